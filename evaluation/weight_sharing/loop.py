"""The shared search loop of the weight-sharing methods (NB201's ``search-cell.py`` protocol).

Facts of the protocol (AutoDL-Projects, ``exps/NATS-algos/search-cell.py`` and
``configs/nas-benchmark/algos/weight-sharing.config``), reproduced in `SearchConfig`'s defaults:

* data: one search epoch is one pass over the setting's ``train`` split in batches of 64; each
  training image is paired with a random ``x-valid`` image (drawn with replacement), and both
  batches are augmented like training data (random crop + flip). Candidate cells are scored on
  single batches of 512 un-augmented ``x-valid`` images.
* per step: first the network weights take an SGD step on the training batch (lr 0.025 cosine
  to 0.001 over all steps, momentum 0.9 nesterov, weight decay 5e-4), then the architecture takes
  a step on the validation batch (Adam lr 3e-4, betas (0.5, 0.999), weight decay 1e-3; ENAS
  trains its controller after each epoch instead).
* 100 epochs; BN inside the cells without affine parameters and without running statistics.
* at the end the method proposes candidates (DARTS / GDAS: the argmax cell; SETN: the 100 most
  likely cells; ENAS: 100 controller samples; RSPS: 100 random cells); each is scored on one
  validation batch and the best is returned.

Everything random (weight init, data order, augmentation, pairing, sampling, Gumbel noise) comes
from the `torch.Generator` passed in, so a generator seed gives one search.
"""

from __future__ import annotations

import abc
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.exhaustive.datasets import PreparedData
from surrogate_nb.exhaustive.trainer import augment, normalise, padded
from surrogate_nb.space import NUM_ARCHS, NUM_EDGES, OPS, Arch
from surrogate_nb.supernet import SuperNetwork, build_supernet

#: Ops without parameters: a cell made of these only is DARTS's collapse.
PARAMETER_FREE = ("none", "skip_connect", "avg_pool_3x3")
_PARAM_FREE_IDS = tuple(OPS.index(o) for o in PARAMETER_FREE)


@dataclass(frozen=True)
class SearchConfig:
    """How one weight-sharing search runs (defaults: NB201 / NATS-Bench search protocol).

    Attributes:
        epochs: search epochs (passes over the training split).
        batch_size: training (and paired validation) images per step.
        eval_batch_size: validation images per candidate score.
        lr / lr_min: network-weight SGD lr, cosine from lr to lr_min over all steps.
        momentum / nesterov / weight_decay: network-weight SGD settings.
        arch_lr / arch_betas / arch_weight_decay / arch_eps: architecture Adam (None = the
            method's default: 3e-4, (0.5, 0.999), 1e-3, 1e-8; ENAS 1e-3, ..., 0, 1e-3).
        tau_max / tau_min: GDAS Gumbel-softmax temperature, linear from max to min over epochs.
        candidates: cells scored at the end by SETN, ENAS and RSPS.
        controller_steps / controller_aggregate: ENAS controller updates per epoch and samples
            averaged per update (NB201: 50 and 20).
        affine / track_running_stats: BN variant inside the cells (NB201 search: both off).
        channels / cells_per_stage: supernet C and N (16, 5).
        crop_pad: random-crop padding; None = resolution // 8, at least 1 (as `TrainConfig`).
        flip: random horizontal flips.
    """

    epochs: int = 100
    batch_size: int = 64
    eval_batch_size: int = 512
    lr: float = 0.025
    lr_min: float = 0.001
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    arch_lr: float | None = None
    arch_betas: tuple[float, float] | None = None
    arch_weight_decay: float | None = None
    arch_eps: float | None = None
    tau_max: float = 10.0
    tau_min: float = 0.1
    candidates: int = 100
    controller_steps: int = 50
    controller_aggregate: int = 20
    affine: bool = False
    track_running_stats: bool = False
    channels: int = 16
    cells_per_stage: int = 5
    crop_pad: int | None = None
    flip: bool = True

    def __post_init__(self) -> None:
        for name in (
            "epochs",
            "batch_size",
            "eval_batch_size",
            "candidates",
            "controller_steps",
            "controller_aggregate",
            "channels",
            "cells_per_stage",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SurrogateNBError(f"SearchConfig.{name} must be a positive int, got {value!r}")
        if not (self.lr > 0 and 0 <= self.lr_min <= self.lr):
            raise SurrogateNBError(
                f"SearchConfig needs lr > 0 and 0 <= lr_min <= lr, got lr={self.lr!r}, "
                f"lr_min={self.lr_min!r}"
            )
        if not 0 < self.tau_min <= self.tau_max:
            raise SurrogateNBError(
                f"SearchConfig needs 0 < tau_min <= tau_max, got tau_min={self.tau_min!r}, "
                f"tau_max={self.tau_max!r}"
            )

    @property
    def bn_variant(self) -> str:
        """ "affine{0|1}-track{0|1}", the ablation label."""
        return f"affine{int(self.affine)}-track{int(self.track_running_stats)}"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for JSON)."""
        return asdict(self)


# ---- data ---------------------------------------------------------------------------------------


class SearchData:
    """A prepared setting as tensors: the train split for weights, x-valid for the architecture.

    Args:
        data: from `surrogate_nb.exhaustive.load_setting` (fidelity knobs applied there).
        config: the search config (crop padding and flips).

    Raises:
        SurrogateNBError: the setting has no ``x-valid`` split.
    """

    def __init__(self, data: PreparedData, config: SearchConfig) -> None:
        if "x-valid" not in data.evals:
            raise SurrogateNBError(
                f"setting {data.setting!r} has no x-valid split to search the architecture on "
                f"(it has {sorted(data.evals)}); use e.g. cifar10-valid or fashion-mnist-valid"
            )
        self.data = data
        self.pad = config.crop_pad if config.crop_pad is not None else max(1, data.resolution // 8)
        self.flip = config.flip
        self.mean = torch.tensor(data.mean).view(1, -1, 1, 1)
        self.std = torch.tensor(data.std).view(1, -1, 1, 1)
        self.train_x = padded(torch.from_numpy(data.train_x), self.pad)
        self.train_y = torch.from_numpy(data.train_y)
        vx, vy = data.evals["x-valid"]
        self.valid_u8 = torch.from_numpy(vx)
        self.valid_x = padded(self.valid_u8, self.pad)
        self.valid_y = torch.from_numpy(vy)
        self.num_classes = data.num_classes
        self.in_channels = data.in_channels

    def search_batches(
        self, batch_size: int, gen: torch.Generator
    ) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
        """One epoch of (train x, train y, valid x, valid y) batches, augmented, normalised."""
        n, nv = len(self.train_y), len(self.valid_y)
        perm = torch.randperm(n, generator=gen)
        out = []
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            vidx = torch.randint(0, nv, (len(idx),), generator=gen)
            xb = normalise(
                augment(self.train_x, idx, self.pad, self.flip, gen), self.mean, self.std
            )
            xv = normalise(
                augment(self.valid_x, vidx, self.pad, self.flip, gen), self.mean, self.std
            )
            out.append((xb, self.train_y[idx], xv, self.valid_y[vidx]))
        return out

    def valid_batches(self, batch_size: int, gen: torch.Generator):
        """Endless un-augmented validation batches in a random order (reshuffled each pass)."""
        nv = len(self.valid_y)
        while True:
            perm = torch.randperm(nv, generator=gen)
            for i in range(0, nv, batch_size):
                idx = perm[i : i + batch_size]
                yield normalise(self.valid_u8[idx], self.mean, self.std), self.valid_y[idx]


# ---- the method contract ------------------------------------------------------------------------


Forward = dict[str, Any]  # keyword arguments of SuperNetwork.forward besides x


class SearchMethod(abc.ABC):
    """One weight-sharing method: how weights are trained, how the architecture learns.

    The loop calls, per step: `weight_forward` (the supernet's op choice for the weight step),
    then `arch_step`; per epoch: `start_epoch` before and `end_epoch` after; at the end
    `candidates`. `op_probs` (per-edge op probabilities, or None) feeds the diagnostics.
    """

    name: ClassVar[str] = "base"
    #: Architecture-optimizer defaults (NB201's search-cell.py command lines).
    arch_defaults: ClassVar[dict[str, Any]] = {
        "lr": 3e-4,
        "betas": (0.5, 0.999),
        "weight_decay": 1e-3,
        "eps": 1e-8,
    }

    def setup(self, net: SuperNetwork, config: SearchConfig, gen: torch.Generator) -> None:
        """Create the architecture state (called once, after the supernet is built)."""
        self.net, self.config = net, config

    def arch_optimizer(self, params: Sequence[torch.Tensor]) -> torch.optim.Optimizer:
        """Adam over `params` with the config's arch settings (method defaults where None)."""
        c, d = self.config, self.arch_defaults
        return torch.optim.Adam(
            params,
            lr=c.arch_lr if c.arch_lr is not None else d["lr"],
            betas=tuple(c.arch_betas) if c.arch_betas is not None else d["betas"],
            weight_decay=c.arch_weight_decay
            if c.arch_weight_decay is not None
            else d["weight_decay"],
            eps=c.arch_eps if c.arch_eps is not None else d["eps"],
        )

    def start_epoch(self, epoch: int, epochs: int) -> dict[str, float]:
        """Before epoch `epoch`; returns values to record (e.g. GDAS's tau)."""
        return {}

    @abc.abstractmethod
    def weight_forward(self, gen: torch.Generator) -> Forward:
        """How the supernet chooses ops for the next weight step."""

    def arch_step(
        self,
        base: tuple[torch.Tensor, torch.Tensor],
        valid: tuple[torch.Tensor, torch.Tensor],
        w_optimizer: torch.optim.Optimizer,
        gen: torch.Generator,
    ) -> tuple[float, float] | None:
        """One architecture step on the validation batch; (loss, top-1 %) or None."""
        return None

    def end_epoch(self, data: SearchData, gen: torch.Generator) -> dict[str, float]:
        """After an epoch's steps (ENAS trains its controller here)."""
        return {}

    def op_probs(self) -> np.ndarray | None:
        """(6, 5) op probabilities per edge of the current architecture distribution."""
        return None

    def derived(self) -> Arch | None:
        """The cell the method would return now without scoring candidates (argmax)."""
        probs = self.op_probs()
        return None if probs is None else Arch(tuple(int(i) for i in probs.argmax(axis=1)))

    @abc.abstractmethod
    def candidates(self, n: int, gen: torch.Generator) -> list[Arch]:
        """Cells to score on validation batches at the end (one = no scoring needed)."""


# ---- results ------------------------------------------------------------------------------------


@dataclass
class EpochRecord:
    """What one search epoch did (all accuracies in %, losses cross-entropy, times seconds)."""

    epoch: int
    lr: float
    base_loss: float
    base_acc: float
    arch_loss: float | None
    arch_acc: float | None
    derived_index: int | None
    derived: str | None
    parameter_free_share: float | None
    entropy: float | None
    probs: list[list[float]] | None
    extra: dict[str, float] = field(default_factory=dict)
    time_s: float = 0.0


@dataclass
class SearchResult:
    """One finished search.

    Attributes:
        method: registry name.
        arch: the returned cell.
        valid_acc: its top-1 (%) on the validation batch(es) that chose it (supernet weights).
        wall_time_s: search wall time (supernet training + candidate scoring), seconds.
        history: one `EpochRecord` per epoch.
        config: the `SearchConfig` as a dict.
        data: the setting's fidelity facts (setting, resolution, sizes).
        candidates_scored: how many candidate cells were scored at the end.
        device / threads: where it ran.
    """

    method: str
    arch: Arch
    valid_acc: float
    wall_time_s: float
    history: list[EpochRecord]
    config: dict[str, Any]
    data: dict[str, Any]
    candidates_scored: int
    device: str
    threads: int

    @property
    def collapse_epoch(self) -> int | None:
        """First epoch from which the derived cell has no parametric op until the end."""
        shares = [h.parameter_free_share for h in self.history]
        if not shares or shares[-1] != 1.0:
            return None
        k = len(shares)
        while k > 0 and shares[k - 1] == 1.0:
            k -= 1
        return self.history[k].epoch

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "method": self.method,
            "arch": str(self.arch),
            "arch_index": self.arch.index,
            "valid_acc_supernet": self.valid_acc,
            "wall_time_s": self.wall_time_s,
            "collapse_epoch": self.collapse_epoch,
            "candidates_scored": self.candidates_scored,
            "config": self.config,
            "data": self.data,
            "device": self.device,
            "threads": self.threads,
            "history": [asdict(h) for h in self.history],
        }


def parameter_free_share(arch: Arch) -> float:
    """Share of the six edges holding a parameter-free op (none, skip, avg-pool)."""
    return sum(o in _PARAM_FREE_IDS for o in arch.op_ids) / NUM_EDGES


def entropy(probs: np.ndarray) -> float:
    """Mean over edges of the op distribution's entropy, nats (ln 5 = 1.609 is uniform)."""
    p = np.clip(np.asarray(probs, float), 1e-12, 1.0)
    return float(-(p * np.log(p)).sum(axis=1).mean())


# ---- the loop -----------------------------------------------------------------------------------


def _seed_from(gen: torch.Generator) -> int:
    return int(torch.randint(0, 2**62, (1,), generator=gen))


def _top1(logits: torch.Tensor, y: torch.Tensor) -> float:
    return 100.0 * float((logits.argmax(1) == y).float().mean())


def run_search(
    method: SearchMethod,
    data: SearchData,
    config: SearchConfig,
    generator: torch.Generator,
    *,
    device: str | torch.device = "cpu",
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> SearchResult:
    """Search with `method` on `data`; returns the chosen cell and the per-epoch diagnostics.

    Args:
        method: a fresh `SearchMethod` instance.
        data: the search data (train split for weights, x-valid for the architecture).
        config: protocol and fidelity.
        generator: all randomness (CPU generator).
        device: torch device of the supernet.
        on_epoch: progress callback, called after every epoch.
    """
    device = torch.device(device)
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_seed_from(generator))
        net = build_supernet(
            data.num_classes,
            C=config.channels,
            N=config.cells_per_stage,
            in_channels=data.in_channels,
            affine=config.affine,
            track_running_stats=config.track_running_stats,
        ).to(device)
    method.setup(net, config, generator)
    w_opt = torch.optim.SGD(
        net.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = math.ceil(len(data.train_y) / config.batch_size)
    total_steps = config.epochs * steps_per_epoch
    history: list[EpochRecord] = []
    step = 0
    for epoch in range(config.epochs):
        t0 = time.perf_counter()
        extra = dict(method.start_epoch(epoch, config.epochs))
        net.train()
        sums = np.zeros(4)
        counts = np.zeros(2)
        lr = config.lr
        for xb, yb, xv, yv in data.search_batches(config.batch_size, generator):
            lr = config.lr_min + 0.5 * (config.lr - config.lr_min) * (
                1 + math.cos(math.pi * step / total_steps)
            )
            for group in w_opt.param_groups:
                group["lr"] = lr
            xb, yb, xv, yv = xb.to(device), yb.to(device), xv.to(device), yv.to(device)
            kw = method.weight_forward(generator)
            net.zero_grad(set_to_none=True)
            logits = net(xb, **kw)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            w_opt.step()
            sums[0] += float(loss.detach()) * len(yb)
            sums[1] += _top1(logits.detach(), yb) * len(yb)
            counts[0] += len(yb)
            arch = method.arch_step((xb, yb), (xv, yv), w_opt, generator)
            if arch is not None:
                sums[2] += arch[0] * len(yv)
                sums[3] += arch[1] * len(yv)
                counts[1] += len(yv)
            step += 1
        if not np.isfinite(sums[0]):
            raise SurrogateNBError(
                f"{method.name}: the supernet's training loss became non-finite in epoch {epoch}"
            )
        extra.update(method.end_epoch(data, generator))
        probs = method.op_probs()
        cell = method.derived()
        rec = EpochRecord(
            epoch=epoch,
            lr=lr,
            base_loss=sums[0] / counts[0],
            base_acc=sums[1] / counts[0],
            arch_loss=sums[2] / counts[1] if counts[1] else None,
            arch_acc=sums[3] / counts[1] if counts[1] else None,
            derived_index=None if cell is None else cell.index,
            derived=None if cell is None else str(cell),
            parameter_free_share=None if cell is None else parameter_free_share(cell),
            entropy=None if probs is None else entropy(probs),
            probs=None if probs is None else np.round(probs, 5).tolist(),
            extra=extra,
            time_s=time.perf_counter() - t0,
        )
        history.append(rec)
        if on_epoch is not None:
            on_epoch(rec)
    cands = method.candidates(config.candidates, generator)
    best, best_acc = select(net, cands, data, config.eval_batch_size, generator, device)
    return SearchResult(
        method=method.name,
        arch=best,
        valid_acc=best_acc,
        wall_time_s=time.perf_counter() - start,
        history=history,
        config=config.to_dict(),
        data={
            "setting": data.data.setting,
            "resolution": data.data.resolution,
            "train_images": len(data.train_y),
            "valid_images": len(data.valid_y),
        },
        candidates_scored=len(cands),
        device=str(device),
        threads=torch.get_num_threads(),
    )


@torch.no_grad()
def select(
    net: SuperNetwork,
    cands: Sequence[Arch],
    data: SearchData,
    batch_size: int,
    gen: torch.Generator,
    device: torch.device,
) -> tuple[Arch, float]:
    """The candidate with the best top-1 on its own validation batch (NB201's get_best_arch)."""
    if not cands:
        raise SurrogateNBError("the search method proposed no candidate cell")
    net.eval()
    batches = data.valid_batches(batch_size, gen)
    accs = []
    for arch in cands:
        x, y = next(batches)
        accs.append(_top1(net(x.to(device), arch=arch), y.to(device)))
    k = int(np.argmax(accs))
    net.train()
    return cands[k], accs[k]


def uniform_cell(gen: torch.Generator) -> Arch:
    """A uniformly random cell."""
    return Arch(tuple(int(o) for o in torch.randint(0, len(OPS), (NUM_EDGES,), generator=gen)))


def all_op_ids() -> np.ndarray:
    """(15625, 6) op ids of every cell, product order (row r = op ids of code r)."""
    grids = np.stack(np.meshgrid(*[np.arange(len(OPS))] * NUM_EDGES, indexing="ij"), -1)
    return grids.reshape(NUM_ARCHS, NUM_EDGES)
