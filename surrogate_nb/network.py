"""The one entry point for every space's network: `build_network`, `count_params`, `count_flops`.

Each takes a cell of any registered space (an NB201 `Arch`, an NB-101 `Cell`, a DARTS `Genome`;
an index or a text form reads as `surrogate_nb.space.DEFAULT_SPACE`) and dispatches through the
cell's space (`SearchSpace.network`, `SearchSpace.costs`), so a new space plugs in by
implementing those two. Closed-form counts without torch for dataset settings:
`surrogate_nb.space.costs`.

The NB201 network's modules (``TinyNetwork`` and its parts) live in
`surrogate_nb.space.nb201_network` and are re-exported here.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from surrogate_nb.space import space_of
from surrogate_nb.space.nb201_network import (
    OP_FACTORY,
    InferCell,
    ReLUConvBN,
    ResNetBlock,
    TinyNetwork,
    Zero,
)


def build_network(
    arch: object,
    num_classes: int,
    C: int | None = None,
    N: int | None = None,
    in_channels: int = 3,
    **options: Any,
) -> nn.Module:
    """The network of a cell, built by its space (`SearchSpace.network`).

    Args:
        arch: the cell.
        num_classes: classifier outputs (10 CIFAR-10, 100 CIFAR-100, 120 ImageNet16-120).
        C: NB201: channels of the first stage (default 16); DARTS: init channels (default 32);
            the NB-101 network's layout is fixed (ignored).
        N: NB201: cells per stage (default 5); DARTS: cells in all (default 8); ignored for NB-101.
        in_channels: image channels (3; 1 for grey-scale data such as Fashion-MNIST).
        **options: the space's own settings (DARTS: ``auxiliary``, ``drop_path_prob``,
            ``resolution``, ``preset``; see `surrogate_nb.space.darts_network`); a space that
            takes none raises `TypeError`.
    """
    return space_of(arch).network(arch, num_classes, C=C, N=N, in_channels=in_channels, **options)


def count_params(
    arch: object, num_classes: int, in_channels: int = 3, C: int | None = None, N: int | None = None
) -> float:
    """Parameters of `build_network(arch, num_classes, C, N)` in millions (NB201's ``params``;
    a DARTS `Genome` in the published per-cell tables' convention, `space.darts_cost`)."""
    space = space_of(arch)
    return space.costs(arch, num_classes, in_channels=in_channels, C=C, N=N)[0]


def count_flops(
    arch: object,
    num_classes: int,
    resolution: int = 32,
    in_channels: int = 3,
    C: int | None = None,
    N: int | None = None,
) -> float:
    """Conv2d + Linear multiply-adds for one `resolution`² image, in millions (NB201's ``flop``)."""
    space = space_of(arch)
    return space.costs(arch, num_classes, resolution=resolution, in_channels=in_channels, C=C, N=N)[
        1
    ]


__all__ = [
    "OP_FACTORY",
    "InferCell",
    "ReLUConvBN",
    "ResNetBlock",
    "TinyNetwork",
    "Zero",
    "build_network",
    "count_flops",
    "count_params",
]
