"""The reference trainer: one trial (cell × setting × seed × T), NB201 protocol, plain fp32.

It reads top to bottom: data helpers shared with the fast engine (same random streams), one
epoch of SGD, evaluation, latency, then `train_trial`, which returns a TrialRecord dict in the
table contract (see `surrogate_nb.table.write_table`). The fast engine (`engine.py`) must agree
with this loop; a test checks their loss curves in fp32 on CPU.

Randomness: a trial's seed gives two independent streams, never torch's global RNG state:
the network init (torch.manual_seed inside `fork_rng`, so `build_network` draws the same weights
anywhere) and a `torch.Generator` for the data order and the crops/flips, consumed in a fixed
order: per epoch one `randperm`, then per batch crop offsets then flip coins.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from surrogate_nb.errors import BuildError
from surrogate_nb.exhaustive.config import TrainConfig
from surrogate_nb.exhaustive.datasets import PreparedData
from surrogate_nb.space import as_arch
from surrogate_nb.space.darts_network import NetworkCIFAR
from surrogate_nb.table import TrialRecord

# ---- shared data path (the engine calls these too) --------------------------------------------


def init_network(arch, data: PreparedData, config: TrainConfig, seed: int) -> torch.nn.Module:
    """The trial's network, initialised from `seed` without touching the global RNG state."""
    from surrogate_nb.network import build_network

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        extra = {}
        if config.layers is not None:  # a DARTS-style network: its head and image side
            extra = {"auxiliary": config.auxiliary_weight > 0, "resolution": data.resolution}
        return build_network(
            arch,
            data.num_classes,
            in_channels=data.in_channels,
            **config.network_options(),
            **extra,
        )


def data_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """The trial's data stream (order, crops, flips)."""
    return torch.Generator(device=device).manual_seed(int(seed))


def padded(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Zero-pad uint8 images once (torchvision RandomCrop(padding=p) pads with black, as NB201)."""
    return F.pad(x, (pad, pad, pad, pad))


def draw_augmentation(
    b: int, pad: int, flip: bool, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Random crop offsets (b, 2) in 0..2p, then (if `flip`) flip coins (b,), drawn from `gen`."""
    off = torch.randint(0, 2 * pad + 1, (b, 2), generator=gen, device=gen.device)
    coin = torch.rand(b, generator=gen, device=gen.device) < 0.5 if flip else None
    return off, coin


def apply_augmentation(
    xpad: torch.Tensor, idx: torch.Tensor, off: torch.Tensor, coin: torch.Tensor | None, pad: int
) -> torch.Tensor:
    """Crop images `idx` of the padded set at offsets `off`, flip where `coin`; one gather."""
    side = xpad.shape[-1] - 2 * pad
    off = off.to(xpad.device)
    ar = torch.arange(side, device=xpad.device)
    rows = (off[:, 0, None] + ar)[:, :, None]  # (b, side, 1)
    cols = (off[:, 1, None] + ar)[:, None, :]  # (b, 1, side)
    out = xpad[idx[:, None, None], :, rows, cols].permute(0, 3, 1, 2)  # (b, C, side, side)
    if coin is not None:
        out = torch.where(coin.to(xpad.device)[:, None, None, None], out.flip(3), out)
    return out


def augment(
    xpad: torch.Tensor, idx: torch.Tensor, pad: int, flip: bool, gen: torch.Generator
) -> torch.Tensor:
    """Random crop (zero padding `pad`) and, if `flip`, random horizontal flip of images `idx`."""
    off, coin = draw_augmentation(idx.numel(), pad, flip, gen)
    return apply_augmentation(xpad, idx, off, coin, pad)


def cutout(x: torch.Tensor, length: int, gen: torch.Generator) -> torch.Tensor:
    """DARTS' cutout: per image, zero the square of side `length` centred at a random pixel
    (clipped at the border), centres drawn from `gen` (rows, then columns)."""
    b, _, h, w = x.shape
    cy = torch.randint(0, h, (b,), generator=gen, device=gen.device).to(x.device)
    cx = torch.randint(0, w, (b,), generator=gen, device=gen.device).to(x.device)
    half = length // 2
    ys = torch.arange(h, device=x.device)[None, :]
    xs = torch.arange(w, device=x.device)[None, :]
    in_y = (ys >= cy[:, None] - half) & (ys < cy[:, None] + half)  # (b, h)
    in_x = (xs >= cx[:, None] - half) & (xs < cx[:, None] + half)  # (b, w)
    hole = in_y[:, :, None] & in_x[:, None, :]
    return x * (~hole)[:, None].to(x.dtype)


def mixup(
    x: torch.Tensor, alpha: float, gen: torch.Generator, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Mixup of a batch with a shuffled copy of itself: (mixed batch, the copy's order, λ),
    λ ~ Beta(α, α) from `rng`, the order from `gen`; the loss is λ·CE(y) + (1 − λ)·CE(y[order])."""
    lam = float(rng.beta(alpha, alpha))
    order = torch.randperm(len(x), generator=gen).to(x.device)
    return lam * x + (1.0 - lam) * x[order], order, lam


def mixed_loss(logits: torch.Tensor, y: torch.Tensor, order: torch.Tensor | None, lam: float):
    """Cross-entropy against `y`, or mixup's λ-weighted pair of targets when `order` is given."""
    if order is None:
        return F.cross_entropy(logits, y)
    return lam * F.cross_entropy(logits, y) + (1.0 - lam) * F.cross_entropy(logits, y[order])


def normalise(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """uint8 -> float, per-channel (x/255 - mean) / std; mean/std shaped (1, C, 1, 1)."""
    return (x.float() / 255.0 - mean) / std


def topk_correct(logits: torch.Tensor, y: torch.Tensor) -> tuple[int, int]:
    """Number of top-1 and top-5 hits (top-5 = top-min(5, classes))."""
    k = min(5, logits.shape[-1])
    top = logits.topk(k, dim=-1).indices
    hit = top == y[:, None]
    return int(hit[:, 0].sum()), int(hit.any(dim=-1).sum())


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def curve_names(data: PreparedData) -> list[str]:
    """Curve metric names a trial on `data` records (table contract)."""
    names = ["lr", "train_loss", "train_acc", "train_acc5", "train_time"]
    for split in [*data.evals, *data.derived]:
        names += [f"{split}_loss", f"{split}_acc", f"{split}_acc5", f"{split}_time"]
    return names


def combine_derived(
    data: PreparedData, stats: dict[str, tuple[float, int, int, int, float]]
) -> dict:
    """Fold eval stats (loss sum, top1, top5, count, time) into derived splits (e.g. test)."""
    out = dict(stats)
    for name, parts in data.derived.items():
        loss = sum(stats[p][0] for p in parts)
        c1 = sum(stats[p][1] for p in parts)
        c5 = sum(stats[p][2] for p in parts)
        n = sum(stats[p][3] for p in parts)
        t = sum(stats[p][4] for p in parts)
        out[name] = (loss, c1, c5, n, t)
    return out


def measure_latency(
    net: torch.nn.Module, data: PreparedData, config: TrainConfig, device
) -> float | None:
    """Forward time (s) of an eval batch of `eval_batch_size`; the first batch is dropped."""
    if config.latency_batches < 2:
        return None
    x = torch.zeros(
        config.eval_batch_size, data.in_channels, data.resolution, data.resolution, device=device
    )
    was_training = net.training
    net.eval()
    times = []
    with torch.no_grad():
        for _ in range(config.latency_batches):
            if torch.device(device).type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            net(x)
            if torch.device(device).type == "cuda":
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - start)
    net.train(was_training)
    return float(np.mean(times[1:]))


def trial_costs(arch, data: PreparedData, config: TrainConfig) -> tuple[float, float]:
    """(params M, FLOPs M) by NB201's counting rules at the data's resolution."""
    from surrogate_nb.network import count_flops, count_params

    kw = {"in_channels": data.in_channels, **config.network_options()}
    return (
        count_params(arch, data.num_classes, **kw),
        count_flops(arch, data.num_classes, resolution=data.resolution, **kw),
    )


def check_protocol(space, data: PreparedData, config: TrainConfig) -> None:
    """Refuse, before any training, a protocol whose network the space cannot build on this
    data (e.g. a DARTS network whose reductions do not fit the image side).

    Raises:
        BuildError: one line naming the setting and what would work.
    """
    try:
        trial_costs(space.from_index(0), data, config)
    except (ValueError, TypeError) as exc:
        raise BuildError(
            f"the training protocol does not fit the {space.name} network on "
            f"{data.setting} at {data.resolution}x{data.resolution}: {exc}"
        ) from None


#: The curves of a run being trained, {metric: one value per epoch, None until recorded}.
Curves = dict[str, list[float | None]]


def empty_curves(data: PreparedData, config: TrainConfig) -> Curves:
    """Every curve of a run, filled with None (`write_epoch` fills them in epoch by epoch)."""
    return {name: [None] * config.epochs for name in curve_names(data)}


def empty_record(
    arch, data: PreparedData, config: TrainConfig, seed: int, curves: Curves | None = None
) -> TrialRecord:
    """A TrialRecord holding `curves` (default: `empty_curves`), filled in epoch by epoch."""
    params, flops = trial_costs(arch, data, config)
    return {
        "arch_index": arch.index if hasattr(arch, "index") else as_arch(arch).index,
        "dataset": data.setting,
        "hp": config.hp,
        "seed": int(seed),
        "epochs": config.epochs,
        "status": "ok",
        "params_m": params,
        "flops_m": flops,
        "latency_s": None,
        "train_time_s": None,
        "curves": empty_curves(data, config) if curves is None else curves,
    }


def write_epoch(c: Curves, epoch: int, lr: float, train: tuple, evals: dict) -> None:
    """Store one epoch into a run's curves: train = (loss sum, top1, top5, count, time); evals
    likewise per split."""
    loss, c1, c5, n, t = train
    c["lr"][epoch] = lr
    c["train_loss"][epoch] = _finite(loss / n)
    c["train_acc"][epoch] = 100.0 * c1 / n
    c["train_acc5"][epoch] = 100.0 * c5 / n
    c["train_time"][epoch] = t
    for split, (loss, c1, c5, n, t) in evals.items():
        c[f"{split}_loss"][epoch] = _finite(loss / n)
        c[f"{split}_acc"][epoch] = 100.0 * c1 / n
        c[f"{split}_acc5"][epoch] = 100.0 * c5 / n
        c[f"{split}_time"][epoch] = t


# ---- the reference loop -----------------------------------------------------------------------


def _evaluate(net, x_u8, y, mean, std, batch, device) -> tuple[float, int, int, int, float]:
    start = time.perf_counter()
    net.eval()
    loss = 0.0
    c1 = c5 = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            xb = normalise(x_u8[i : i + batch].to(device), mean, std)
            yb = y[i : i + batch].to(device)
            logits = net(xb)
            loss += float(F.cross_entropy(logits, yb, reduction="sum"))
            a, b = topk_correct(logits, yb)
            c1, c5 = c1 + a, c5 + b
    net.train()
    return loss, c1, c5, len(y), time.perf_counter() - start


def train_trial(
    arch, data: PreparedData, config: TrainConfig, seed: int, device: str | torch.device = "cpu"
) -> TrialRecord:
    """Train one trial with the plain fp32 loop and return its TrialRecord dict.

    A non-finite training loss ends the trial with status "diverged" (remaining epochs None); it
    never raises, so a build goes on. DARTS-style settings of `config` (auxiliary loss, drop
    path, cutout, gradient clipping, mixup) apply when set; NB201's protocol uses none of them.
    Training accuracy under mixup counts the batch's own labels.
    """
    device = torch.device(device)
    curves = empty_curves(data, config)
    record = empty_record(arch, data, config, seed, curves)
    net = init_network(arch, data, config, seed).to(device)
    gen = data_generator(seed, "cpu")
    mix_rng = np.random.default_rng([seed, 1]) if config.mixup_alpha else None
    opt = torch.optim.SGD(
        net.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )
    pad = config.pad_for(data.resolution)
    mean = torch.tensor(data.mean, device=device).view(1, -1, 1, 1)
    std = torch.tensor(data.std, device=device).view(1, -1, 1, 1)
    xpad = padded(torch.from_numpy(data.train_x), pad)
    ytr = torch.from_numpy(data.train_y)
    evals = {k: (torch.from_numpy(x), torch.from_numpy(y)) for k, (x, y) in data.evals.items()}
    n = len(ytr)
    total = 0.0
    net.train()
    for epoch in range(config.epochs):
        lr = config.lr_at(epoch)
        for group in opt.param_groups:
            group["lr"] = lr
        if isinstance(net, NetworkCIFAR):  # DARTS' drop path grows over the epochs
            net.drop_path_prob = config.drop_path_prob * epoch / config.epochs
        start = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        loss_sum, c1, c5 = 0.0, 0, 0
        for i in range(0, n, config.batch_size):
            idx = perm[i : i + config.batch_size]
            xb = normalise(augment(xpad, idx, pad, config.flip, gen).to(device), mean, std)
            if config.cutout:
                xb = cutout(xb, config.cutout, gen)
            yb = ytr[idx].to(device)
            order, lam = None, 1.0
            if mix_rng is not None:
                xb, order, lam = mixup(xb, config.mixup_alpha, gen, mix_rng)
            out = net(xb)
            logits, aux = out if isinstance(out, tuple) else (out, None)
            loss = mixed_loss(logits, yb, order, lam)
            if aux is not None and config.auxiliary_weight:
                loss = loss + config.auxiliary_weight * mixed_loss(aux, yb, order, lam)
            opt.zero_grad(set_to_none=False)
            loss.backward()
            if config.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), config.grad_clip)
            opt.step()
            loss_sum += float(loss.detach()) * len(idx)
            a, b = topk_correct(logits.detach(), yb)
            c1, c5 = c1 + a, c5 + b
        elapsed = time.perf_counter() - start
        total += elapsed
        if not math.isfinite(loss_sum):
            record["status"] = "diverged"
            write_epoch(curves, epoch, lr, (loss_sum, c1, c5, n, elapsed), {})
            break
        stats = {
            k: _evaluate(net, x, y, mean, std, config.eval_batch_size, device)
            for k, (x, y) in evals.items()
        }
        write_epoch(curves, epoch, lr, (loss_sum, c1, c5, n, elapsed), combine_derived(data, stats))
    record["train_time_s"] = total
    record["latency_s"] = measure_latency(net, data, config, device)
    return record
