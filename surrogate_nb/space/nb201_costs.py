"""NB201 parameter and FLOP counts in closed form (no torch): what `snb arch` shows.

The same counting rules as `surrogate_nb.network.count_params` / `count_flops` (which measure the
torch module), written out from the layout so that light commands need not import torch:

* stem: Conv3x3(in -> C, no bias) + BN(C);
* a cell at c channels: every ``nor_conv_3x3`` edge is ReLU-Conv3x3(c, c)-BN(c), every
  ``nor_conv_1x1`` edge ReLU-Conv1x1(c, c)-BN(c); other ops carry nothing; N cells per stage;
* between stages, a residual block c -> d = 2c: Conv3x3 stride 2 (c -> d) + BN, Conv3x3
  (d -> d) + BN, shortcut AvgPool2x2 + Conv1x1 (c -> d, no bias);
* BN(4C), global pooling, Linear(4C -> classes).

Parameters count every weight (BN: 2 per channel); FLOPs are the multiply-adds of the
convolutions and the linear layer (with its bias) for one image, in millions.
"""

from __future__ import annotations

from surrogate_nb.space.nb201_cell import as_arch

#: NB201's dataset settings as (classes, resolution) for the cost summaries of `snb arch`
COST_SETTINGS: dict[str, tuple[int, int]] = {
    "cifar10": (10, 32),
    "cifar100": (100, 32),
    "ImageNet16-120": (120, 16),
}


def _counts(arch: object) -> tuple[int, int]:
    ops = as_arch(arch).ops
    return ops.count("nor_conv_3x3"), ops.count("nor_conv_1x1")


def params_m(
    arch: object, num_classes: int, in_channels: int = 3, C: int = 16, N: int = 5
) -> float:
    """Parameters of NB201's network for `arch`, in millions."""
    n3, n1 = _counts(arch)
    total = 9 * in_channels * C + 2 * C
    for stage, c in enumerate((C, 2 * C, 4 * C)):
        if stage:
            b = c // 2
            total += 9 * b * c + 2 * c + 9 * c * c + 2 * c + b * c
        total += N * (n3 * (9 * c * c + 2 * c) + n1 * (c * c + 2 * c))
    total += 2 * 4 * C + 4 * C * num_classes + num_classes
    return total / 1e6


def flops_m(
    arch: object,
    num_classes: int,
    resolution: int = 32,
    in_channels: int = 3,
    C: int = 16,
    N: int = 5,
) -> float:
    """Conv + Linear multiply-adds of one ``resolution``² image, in millions."""
    n3, n1 = _counts(arch)
    r = resolution
    total = 9 * in_channels * C * r * r
    for stage, c in enumerate((C, 2 * C, 4 * C)):
        if stage:
            b, q = c // 2, (r - 1) // 2 + 1  # stride-2 3x3 conv, padding 1
            total += 9 * b * c * q * q + 9 * c * c * q * q + b * c * (r // 2) ** 2
            r = q
        total += N * (n3 * 9 * c * c + n1 * c * c) * r * r
    total += 4 * C * num_classes + num_classes
    return total / 1e6
