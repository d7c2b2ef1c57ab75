"""Named training protocols (`TrainConfig` values) a build can start from (`snb build --preset`).

* ``nb201``: NB201's protocol (../shared/PROTOCOL.md) at T = 200; the default of `TrainConfig`.
* ``nb301``: NB301's training of the DARTS space (its data and ``fixed_hyperparameters``):
  ``NetworkCIFAR`` with 32 channels × 8 cells, auxiliary head (loss weight 0.4), drop path 0.2,
  SGD lr 0.025 momentum 0.9 (no Nesterov) weight decay 3e-4, batch 96, cosine over 100 epochs,
  cutout 16, mixup α 0.2, gradient clipping 5 (DARTS' trainer), 32×32 images. GPU work:
  about 9 days per cell on one CPU thread.
* ``darts-cpu``: a low-fidelity DARTS-space protocol for a CPU (`DARTS_CPU`, chosen by a
  measured probe: docs/notes/issue21.md) — NB301's optimiser (at lr 0.1: 25 steps must
  learn something) and regularisers (cutout scaled to the image side, no auxiliary head) on
  8 channels × 5 cells, 4 epochs of 600 Fashion-MNIST
  images at 8×8, 300 images per eval split: about 9 s per trial on one busy CPU thread.
"""

from __future__ import annotations

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.exhaustive.config import TrainConfig

NB301 = TrainConfig(
    epochs=100,
    lr=0.025,
    momentum=0.9,
    nesterov=False,
    weight_decay=3e-4,
    batch_size=96,
    channels=32,
    layers=8,
    auxiliary_weight=0.4,
    drop_path_prob=0.2,
    cutout=16,
    grad_clip=5.0,
    mixup_alpha=0.2,
    resolution=32,
)

DARTS_CPU = TrainConfig(
    epochs=4,
    lr=0.1,
    momentum=0.9,
    nesterov=False,
    weight_decay=3e-4,
    batch_size=96,
    channels=8,
    layers=5,
    auxiliary_weight=0.0,
    drop_path_prob=0.2,
    cutout=4,
    grad_clip=5.0,
    resolution=8,
    train_subset=600,
    eval_subset=300,
    latency_batches=0,
)

#: Presets by name: (config, search space the protocol is for).
PRESETS: dict[str, tuple[TrainConfig, str]] = {
    "nb201": (TrainConfig(), "nb201"),
    "nb301": (NB301, "darts"),
    "darts-cpu": (DARTS_CPU, "darts"),
}


def get_preset(name: str) -> tuple[TrainConfig, str]:
    """(config, space) of a named preset; `UnknownKeyError` names the presets."""
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        raise UnknownKeyError("training preset", name, sorted(PRESETS)) from None
