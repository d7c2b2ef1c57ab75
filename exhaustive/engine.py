"""The fast engine: K trials (the seeds of a cell, or several cells) trained as one fused network.

Same semantics as the reference loop (`trainer.train_trial`): same init (weights copied from the
K reference networks, each built from its own seed), same data streams (per-trial
`torch.Generator`, same draw order), same SGD. What changes is how the work is laid out:

* the dataset lives on the device as uint8 (padded once); crops, flips and the shuffle are drawn
  there, batched, with each trial's explicit generator — no loader processes, no per-image Python;
* horizontal fusion: trial k owns channels [k*C, (k+1)*C) of every activation; every conv is a
  grouped conv (channels K*C, groups K), BN is per channel anyway, the classifier is a batched
  matmul. Trial k's batch enters as input channels k. Cells that differ per trial are fused too:
  on each edge, the trials sharing an op run as one grouped op on their channel slice
  (`index_select` / `index_add`), `none` adds nothing. Gradients of trial k only touch trial k's
  slices, so the sum of the K mean losses gives each trial exactly its reference gradient;
* on CUDA only: bf16 autocast, channels_last, optionally torch.compile (`EngineOptions`).
  On CPU it runs plain fp32 (that is what the agreement test uses).

A parameter whose output never reaches the loss gets a zero gradient, as in the reference (NB201's
`none` multiplies by zero, so weight decay and momentum still apply to dead branches).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from surrogate_nb.exhaustive.config import TrainConfig
from surrogate_nb.exhaustive.datasets import PreparedData
from surrogate_nb.exhaustive.trainer import (
    apply_augmentation,
    combine_derived,
    data_generator,
    draw_augmentation,
    empty_curves,
    empty_record,
    init_network,
    measure_latency,
    normalise,
    padded,
    write_epoch,
)
from surrogate_nb.space import EDGES, OPS, Arch, as_arch
from surrogate_nb.table import TrialRecord


@dataclass(frozen=True)
class EngineOptions:
    """Speed switches; each is ignored off CUDA (CPU runs plain fp32, the reference semantics).

    Attributes:
        amp: bf16 autocast for forward/backward (CUDA).
        channels_last: NHWC memory format (CUDA).
        compile: wrap the fused network in torch.compile (CUDA).
        compile_mode: torch.compile mode ("max-autotune" uses CUDA graphs).
    """

    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    compile_mode: str = "max-autotune"


# ---- fused modules ----------------------------------------------------------------------------


def _gconv(k: int, c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(k * c_in, k * c_out, kernel, stride, kernel // 2, groups=k, bias=False)


class _GReLUConvBN(nn.Module):
    def __init__(self, k: int, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__()
        self.conv = _gconv(k, c_in, c_out, kernel, stride)
        self.bn = nn.BatchNorm2d(k * c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(F.relu(x)))


def _pool(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)


class _FusedCell(nn.Module):
    """One cell position for K trials; trials grouped per edge by their op."""

    def __init__(self, archs: Sequence[Arch], c: int) -> None:
        super().__init__()
        self.k, self.c = len(archs), c
        self.plan: list[
            list[tuple[str, int, list[int]]]
        ] = []  # per edge: (op, module slot, trials)
        self.ops = nn.ModuleList()
        self.slots: dict[tuple[int, int], tuple[nn.Module, int]] = {}  # (edge, trial) -> (mod, pos)
        for e in range(len(EDGES)):
            groups: dict[str, list[int]] = {}
            for t, arch in enumerate(archs):
                groups.setdefault(arch.ops[e], []).append(t)
            plan = []
            for op, trials in groups.items():
                slot = -1
                if op in ("nor_conv_1x1", "nor_conv_3x3"):
                    mod = _GReLUConvBN(len(trials), c, c, 3 if op == "nor_conv_3x3" else 1)
                    slot = len(self.ops)
                    self.ops.append(mod)
                    for pos, t in enumerate(trials):
                        self.slots[(e, t)] = (mod, pos)
                plan.append((op, slot, trials))
                if len(trials) < self.k:
                    idx = torch.cat([torch.arange(t * c, (t + 1) * c) for t in trials])
                    self.register_buffer(f"idx_{e}_{op}", idx, persistent=False)
            self.plan.append(plan)

    def _run_op(self, op: str, slot: int, x: torch.Tensor) -> torch.Tensor:
        if op == "skip_connect":
            return x
        if op == "avg_pool_3x3":
            return _pool(x)
        return self.ops[slot](x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for target in (1, 2, 3):
            acc = None
            for e, (src, dst) in enumerate(EDGES):
                if dst != target:
                    continue
                for op, slot, trials in self.plan[e]:
                    if op == "none":
                        continue
                    if len(trials) == self.k:
                        y = self._run_op(op, slot, nodes[src])
                        acc = y if acc is None else acc + y
                    else:
                        idx = getattr(self, f"idx_{e}_{op}")
                        y = self._run_op(op, slot, nodes[src].index_select(1, idx))
                        base = acc if acc is not None else torch.zeros_like(nodes[src])
                        acc = base.index_add(1, idx, y)
            nodes.append(acc if acc is not None else torch.zeros_like(x))
        return nodes[3]


class _FusedResBlock(nn.Module):
    def __init__(self, k: int, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = _GReLUConvBN(k, c_in, c_out, 3, stride=2)
        self.conv_b = _GReLUConvBN(k, c_out, c_out, 3)
        self.down = nn.Conv2d(k * c_in, k * c_out, 1, bias=False, groups=k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.avg_pool2d(x, 2, 2)) + self.conv_b(self.conv_a(x))


class FusedTinyNetwork(nn.Module):
    """K NB201 TinyNetworks as one module: input (B, K*in_ch, H, W), output (B, K, classes)."""

    def __init__(
        self, archs: Sequence[Arch], num_classes: int, C: int = 16, N: int = 5, in_channels: int = 3
    ) -> None:
        super().__init__()
        archs = [as_arch(a) for a in archs]
        k = self.k = len(archs)
        self.stem_conv = _gconv(k, in_channels, C, 3)
        self.stem_bn = nn.BatchNorm2d(k * C)
        layers: list[nn.Module] = []
        c_prev = C
        for stage, c in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(_FusedResBlock(k, c_prev, c))
            layers.extend(_FusedCell(archs, c) for _ in range(N))
            c_prev = c
        self.cells = nn.Sequential(*layers)
        self.last_bn = nn.BatchNorm2d(k * c_prev)
        self.fc_weight = nn.Parameter(torch.zeros(k, num_classes, c_prev))
        self.fc_bias = nn.Parameter(torch.zeros(k, num_classes))
        self.c_last = c_prev

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.last_bn(self.cells(self.stem_bn(self.stem_conv(x)))))
        feats = x.mean(dim=(2, 3)).view(x.shape[0], self.k, self.c_last)
        return torch.einsum("bkf,kcf->bkc", feats, self.fc_weight) + self.fc_bias

    def _slots(self, trial: int) -> list[tuple]:
        """(kind, fused module or param name, position) in the reference network's module order."""
        out: list[tuple] = [("conv", self.stem_conv, trial), ("bn", self.stem_bn, trial)]
        for layer in self.cells:
            if isinstance(layer, _FusedCell):
                for e in range(len(EDGES)):
                    if (e, trial) in layer.slots:
                        mod, pos = layer.slots[(e, trial)]
                        out += [("conv", mod.conv, pos), ("bn", mod.bn, pos)]
            elif isinstance(layer, _FusedResBlock):
                out += [
                    ("conv", layer.conv_a.conv, trial),
                    ("bn", layer.conv_a.bn, trial),
                    ("conv", layer.conv_b.conv, trial),
                    ("bn", layer.conv_b.bn, trial),
                    ("conv", layer.down, trial),
                ]
        out += [("bn", self.last_bn, trial), ("fc", None, trial)]
        return out

    @torch.no_grad()
    def load_trial(self, trial: int, net: nn.Module) -> None:
        """Copy one reference network's weights and BN state into trial `trial`'s slices."""
        ref = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.Linear))]
        slots = self._slots(trial)
        if len(ref) != len(slots):
            raise RuntimeError(
                f"fused layout has {len(slots)} weighted layers, reference has {len(ref)}"
            )
        for m, (kind, mod, pos) in zip(ref, slots):
            if kind == "fc":
                if m.bias is None:
                    raise RuntimeError("the reference network's classifier has no bias")
                self.fc_weight[pos].copy_(m.weight)
                self.fc_bias[pos].copy_(m.bias)
                continue
            n = m.weight.shape[0]
            sl = slice(pos * n, (pos + 1) * n)
            if mod.weight[sl].shape != m.weight.shape:
                raise RuntimeError(
                    f"layer shape mismatch: {mod.weight[sl].shape} vs {m.weight.shape}"
                )
            mod.weight[sl].copy_(m.weight)
            if kind == "bn":
                mod.bias[sl].copy_(m.bias)
                mod.running_mean[sl].copy_(m.running_mean)
                mod.running_var[sl].copy_(m.running_var)


# ---- the fused training loop ------------------------------------------------------------------


def train_group(
    trials: Sequence[tuple[object, int]],
    data: PreparedData,
    config: TrainConfig,
    device: str | torch.device = "cpu",
    options: EngineOptions | None = None,
) -> list[TrialRecord]:
    """Train K trials [(arch, seed), ...] together; returns their TrialRecords in order.

    Per-trial times (train_time, eval times, train_time_s) are the fused wall time divided by K
    (the amortised cost); latency is measured on the trial's own reference network.
    """
    device = torch.device(device)
    opts = options or EngineOptions()
    cuda = device.type == "cuda"
    amp, cl = cuda and opts.amp, cuda and opts.channels_last
    k = len(trials)
    archs = [as_arch(a) for a, _ in trials]
    curves = [empty_curves(data, config) for _ in trials]
    records = [empty_record(a, data, config, s, c) for (a, s), c in zip(trials, curves)]
    refs = [init_network(a, data, config, s) for a, s in trials]
    net = FusedTinyNetwork(
        archs, data.num_classes, config.channels, config.cells_per_stage, data.in_channels
    )
    for t, ref in enumerate(refs):
        net.load_trial(t, ref)
    net = net.to(device)
    if cl or not cuda:  # on CPU NHWC is faster too (mkldnn convs, pooling), fp32 either way
        net = net.to(memory_format=torch.channels_last)
    params = list(net.parameters())
    opt = torch.optim.SGD(
        params,
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )
    # torch.compile of a module is a module (its stub says only "callable")
    model = (
        cast(nn.Module, torch.compile(net, mode=opts.compile_mode))
        if (cuda and opts.compile)
        else net
    )
    gens = [data_generator(s, device) for _, s in trials]
    pad = config.pad_for(data.resolution)
    mean = torch.tensor(data.mean, device=device).view(1, -1, 1, 1)
    std = torch.tensor(data.std, device=device).view(1, -1, 1, 1)
    mean_k, std_k = mean.repeat(1, k, 1, 1), std.repeat(1, k, 1, 1)
    xpad = padded(torch.from_numpy(data.train_x).to(device), pad)
    ytr = torch.from_numpy(data.train_y).to(device)
    evals = {
        s: (torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))
        for s, (x, y) in data.evals.items()
    }
    n = len(ytr)
    alive = [True] * k
    totals = [0.0] * k

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    for epoch in range(config.epochs):
        lr = config.lr_at(epoch)
        for group in opt.param_groups:
            group["lr"] = lr
        sync()
        start = time.perf_counter()
        perms = [torch.randperm(n, generator=g, device=device) for g in gens]
        loss_sum = torch.zeros(k, device=device, dtype=torch.float64)
        c1 = torch.zeros(k, device=device, dtype=torch.long)
        c5 = torch.zeros(k, device=device, dtype=torch.long)
        model.train()
        for i in range(0, n, config.batch_size):
            # per-trial draws (each trial's own stream), then one gather for all K trials
            idxs = [p[i : i + config.batch_size] for p in perms]
            b = len(idxs[0])
            draws = [draw_augmentation(b, pad, config.flip, g) for g in gens]
            idx = torch.cat(idxs)
            off = torch.cat([d[0] for d in draws])
            coins = [d[1] for d in draws if d[1] is not None]
            coin = torch.cat(coins) if config.flip else None
            xb = apply_augmentation(xpad, idx, off, coin, pad)  # (K*b, C, s, s)
            xb = xb.view(k, b, *xb.shape[1:]).transpose(0, 1).reshape(b, -1, *xb.shape[2:])
            # NHWC input: faster on CPU too (pooling and mkldnn convs), and what the reference
            # loop's gather produces
            xb = normalise(xb, mean_k, std_k).contiguous(memory_format=torch.channels_last)
            yb = ytr[idx].view(k, b).t()  # (b, K)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                logits = model(xb)  # (b, K, classes)
            logits = logits.float()
            losses = F.cross_entropy(logits.permute(0, 2, 1), yb, reduction="none").mean(0)  # (K,)
            opt.zero_grad(set_to_none=False)
            losses.sum().backward()
            opt.step()
            with torch.no_grad():
                loss_sum += losses.detach().double() * len(yb)
                top = logits.topk(min(5, logits.shape[-1]), dim=-1).indices
                hit = top == yb[..., None]
                c1 += hit[..., 0].sum(0)
                c5 += hit.any(-1).sum(0)
        sync()
        elapsed = (time.perf_counter() - start) / k
        stats = _evaluate(model, evals, mean, std, k, config.eval_batch_size, amp, cl, sync)
        ls, h1, h5 = loss_sum.tolist(), c1.tolist(), c5.tolist()
        for t in range(k):
            if not alive[t]:
                continue
            totals[t] += elapsed
            train = (ls[t], h1[t], h5[t], n, elapsed)
            if not math.isfinite(ls[t]):
                alive[t] = False
                records[t]["status"] = "diverged"
                write_epoch(curves[t], epoch, lr, train, {})
                continue
            per = {s: (v[0][t], v[1][t], v[2][t], v[3], v[4] / k) for s, v in stats.items()}
            write_epoch(curves[t], epoch, lr, train, combine_derived(data, per))
        if not any(alive):
            break
    for t in range(k):
        records[t]["train_time_s"] = totals[t]
        records[t]["latency_s"] = measure_latency(refs[t].to(device), data, config, device)
    return records


def _evaluate(model, evals, mean, std, k, batch, amp, cl, sync) -> dict:
    """Per split: (loss sums per trial, top1 per trial, top5 per trial, count, wall time)."""
    out = {}
    model.eval()
    with torch.no_grad():
        for split, (x, y) in evals.items():
            sync()
            start = time.perf_counter()
            loss = torch.zeros(k, device=x.device, dtype=torch.float64)
            c1 = torch.zeros(k, device=x.device, dtype=torch.long)
            c5 = torch.zeros(k, device=x.device, dtype=torch.long)
            for i in range(0, len(y), batch):
                xb = normalise(x[i : i + batch], mean, std).repeat(1, k, 1, 1)
                xb = xb.contiguous(memory_format=torch.channels_last)
                yb = y[i : i + batch]
                with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=amp):
                    logits = model(xb)
                logits = logits.float()
                yk = yb[:, None].expand(-1, k)
                loss += (
                    F.cross_entropy(logits.permute(0, 2, 1), yk, reduction="none").sum(0).double()
                )
                top = logits.topk(min(5, logits.shape[-1]), dim=-1).indices
                hit = top == yk[..., None]
                c1 += hit[..., 0].sum(0)
                c5 += hit.any(-1).sum(0)
            sync()
            out[split] = (
                loss.tolist(),
                c1.tolist(),
                c5.tolist(),
                len(y),
                time.perf_counter() - start,
            )
    model.train()
    return out


__all__ = ["OPS", "EngineOptions", "FusedTinyNetwork", "train_group"]
