"""The training protocol as one frozen value, plus the fidelity knobs of a cheaper build.

Defaults are NB201's (../shared/PROTOCOL.md): SGD lr 0.1, momentum 0.9 nesterov, weight decay 5e-4
on all parameters, batch 256, cosine schedule held constant within an epoch, random crop + flip,
seeds 777/888/999. `epochs` is the hp: 12 and 200 are NB201's, any T is allowed.

DARTS-style networks (the DARTS / NB301 space) add `layers`, the auxiliary head, drop path,
cutout and gradient clipping (`surrogate_nb.exhaustive.presets` names NB301's settings). These
fields were added later: `to_dict` records them only when they differ from their defaults, so
ledgers and manifests of earlier builds keep matching.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

#: The three training seeds of NB201's 200-epoch runs.
SEEDS: tuple[int, ...] = (777, 888, 999)


@dataclass(frozen=True)
class TrainConfig:
    """How one trial is trained. Every trial of a table shares one config (it goes in the manifest).

    Attributes:
        epochs: T, the length of every curve and of the cosine schedule (epochs); the hp.
        lr: peak learning rate (per step, batch-mean loss).
        momentum: SGD momentum (nesterov when `nesterov`).
        nesterov: use Nesterov momentum.
        weight_decay: L2 coefficient applied to every parameter (BN and biases included).
        batch_size: training images per step (the last step of an epoch may be smaller).
        eval_batch_size: images per forward pass when scoring eval splits and latency.
        crop_pad: zero padding (pixels) of the random crop; None = resolution // 8, min 1
            (4 at 32x32, 2 at 16x16 as in NB201).
        flip: random horizontal flip with probability 0.5.
        channels: C, channels of the first stage (NB201: 16).
        cells_per_stage: N, cells per stage (NB201: 5).
        resolution: image side (pixels) fed to the network; None = the dataset's native side.
            Fidelity knob: smaller images are area-resized, larger ones zero-padded.
        train_subset: train on the first `train_subset` images of the (seeded) shuffled train
            split; None = all. Fidelity knob.
        eval_subset: score at most this many images per eval split; None = all. Fidelity knob.
        latency_batches: eval batches timed for latency (s); the first is dropped, the rest
            averaged; below 2 = latency not measured (None).
        layers: total cells of a DARTS-style network (NB301: 8, DARTS: 20; reductions at 1/3
            and 2/3 of the depth); None = NB201's three stages of `cells_per_stage` cells.
        auxiliary_weight: weight of the auxiliary head's loss (DARTS / NB301: 0.4); 0 = no
            auxiliary head.
        drop_path_prob: final drop-path probability, raised linearly from 0 over the epochs
            as DARTS does (NB301: 0.2).
        cutout: side (pixels) of the random square zeroed in each normalised training image
            (NB301: 16 at 32x32); 0 = none.
        grad_clip: clip the gradient norm to this value before each step (DARTS: 5); None = no
            clipping.
        mixup_alpha: mixup (Zhang et al. 2018) of each training batch with a shuffled copy of
            itself, weight λ ~ Beta(α, α), the loss mixed by λ (NB301: α 0.2); 0 = none.
    """

    epochs: int = 200
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    batch_size: int = 256
    eval_batch_size: int = 256
    crop_pad: int | None = None
    flip: bool = True
    channels: int = 16
    cells_per_stage: int = 5
    resolution: int | None = None
    train_subset: int | None = None
    eval_subset: int | None = None
    latency_batches: int = 3
    layers: int | None = None
    auxiliary_weight: float = 0.0
    drop_path_prob: float = 0.0
    cutout: int = 0
    grad_clip: float | None = None
    mixup_alpha: float = 0.0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "eval_batch_size", "channels", "cells_per_stage"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be a positive int, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"TrainConfig.lr must be > 0, got {self.lr!r}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"TrainConfig.momentum must be in [0, 1), got {self.momentum!r}")
        if self.layers is not None and (not isinstance(self.layers, int) or self.layers < 3):
            raise ValueError(f"TrainConfig.layers must be None or an int >= 3, got {self.layers!r}")
        if not 0 <= self.auxiliary_weight < 10:
            raise ValueError(
                f"TrainConfig.auxiliary_weight must be in [0, 10), got {self.auxiliary_weight!r}"
            )
        if not 0 <= self.drop_path_prob < 1:
            raise ValueError(
                f"TrainConfig.drop_path_prob must be in [0, 1), got {self.drop_path_prob!r}"
            )
        if not isinstance(self.cutout, int) or self.cutout < 0:
            raise ValueError(f"TrainConfig.cutout must be an int >= 0, got {self.cutout!r}")
        if not 0 <= self.mixup_alpha < 100:
            raise ValueError(
                f"TrainConfig.mixup_alpha must be in [0, 100), got {self.mixup_alpha!r}"
            )
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"TrainConfig.grad_clip must be None or > 0, got {self.grad_clip!r}")
        for name in ("resolution", "train_subset", "eval_subset"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(
                    f"TrainConfig.{name} must be None or a positive int, got {value!r}"
                )

    @property
    def hp(self) -> str:
        """The table's hp key: str(T)."""
        return str(self.epochs)

    def lr_at(self, epoch: int) -> float:
        """Learning rate of epoch `epoch` (0-based): lr/2*(1+cos(pi*e/T)), held for the epoch."""
        if not 0 <= epoch < self.epochs:
            raise ValueError(f"epoch must be in 0..{self.epochs - 1}, got {epoch}")
        return 0.5 * self.lr * (1.0 + math.cos(math.pi * epoch / self.epochs))

    def pad_for(self, resolution: int) -> int:
        """Random-crop padding (pixels) at `resolution`."""
        return self.crop_pad if self.crop_pad is not None else max(1, resolution // 8)

    def network_options(self) -> dict:
        """Keyword arguments of `surrogate_nb.network.build_network`: ``C`` and ``N`` (NB201:
        cells per stage; with `layers`, a DARTS network's cells in all)."""
        return {
            "C": self.channels,
            "N": self.cells_per_stage if self.layers is None else self.layers,
        }

    def to_dict(self) -> dict:
        """Plain dict for manifests and the ledger (later fields only when set, see above)."""
        out = asdict(self)
        for name in _LATER_FIELDS:
            if out[name] == _DEFAULTS[name]:
                del out[name]
        return out


#: Fields added after the first tables were built (kept out of `to_dict` at their defaults).
_LATER_FIELDS = (
    "layers",
    "auxiliary_weight",
    "drop_path_prob",
    "cutout",
    "grad_clip",
    "mixup_alpha",
)
_DEFAULTS = {f.name: f.default for f in fields(TrainConfig)}
