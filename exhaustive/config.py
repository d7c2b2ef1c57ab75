"""The NB201 training protocol as one frozen value, plus the fidelity knobs of a cheaper build.

Defaults are ../shared/PROTOCOL.md: SGD lr 0.1, momentum 0.9 nesterov, weight decay 5e-4 on all
parameters, batch 256, cosine schedule held constant within an epoch, random crop + flip, seeds
777/888/999. `epochs` is the hp: 12 and 200 are NB201's, any T is allowed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

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

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "eval_batch_size", "channels", "cells_per_stage"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be a positive int, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"TrainConfig.lr must be > 0, got {self.lr!r}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"TrainConfig.momentum must be in [0, 1), got {self.momentum!r}")
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

    def to_dict(self) -> dict:
        """Plain dict for manifests and the ledger."""
        return asdict(self)
