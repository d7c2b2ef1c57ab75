"""The NB201 supernet: every cell edge holds all five ops, for weight-sharing NAS.

Same skeleton as `surrogate_nb.network.TinyNetwork` (stem Conv-BN · N search cells · ResNet
block · N cells · ResNet block · N cells · BN-ReLU · pool · Linear) and the same op modules
(`OP_FACTORY`); only the cells differ: edge e holds ops 0..4 in `OPS` order. All 3N cells share
one set of architecture weights, which live outside the module (the search method owns them), so
``supernet.parameters()`` are the network weights only.

One forward, four ways of choosing ops (NB201's search code, AutoDL-Projects ``xautodl``):

* ``weights=W`` (W: (6, 5) non-negative, rows usually a softmax): every edge outputs
  ``sum_k W[e, k] * op_k(x)`` (DARTS, SETN's architecture step).
* ``weights=H, index=I`` (H: (6, 5) straight-through one-hot, I: (6,) chosen ops): only op
  ``I[e]`` runs, times ``H[e, I[e]]``, plus the other entries of ``H[e]`` (zero in value, they carry
  the gradient to the unchosen logits) (GDAS).
* ``arch=ops`` (six op ids, or one such tuple per cell): a single path (SETN and ENAS weight
  steps, RSPS, and scoring candidate cells).

Batch norm inside the cells (and the final BN) follows the search-time switches NB201 ablates:
``affine`` (learnable scale/shift) and ``track_running_stats`` (False: batch statistics also in
eval mode). The stem and the ResNet blocks keep default BN, as in NB201's search model. Conv
layers keep ``bias=False`` in every variant: a bias before BN is cancelled by its mean
subtraction (NB201's code adds one when ``affine`` is off; it changes nothing but the count).

Correctness contract (tested): with one-hot ``weights`` for a cell and the weights of
`derive_state_dict`, the supernet computes exactly what ``build_network(cell)`` computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch
from torch import nn

from surrogate_nb.network import OP_FACTORY, ReLUConvBN, ResNetBlock
from surrogate_nb.space import EDGES, NUM_EDGES, NUM_OPS, OPS, Arch, as_arch

#: Op id of `none` (a zero output; single paths avoid nodes whose inputs are all zero).
NONE_OP = OPS.index("none")


def search_op(name: str, channels: int, affine: bool, track_running_stats: bool) -> nn.Module:
    """One cell op of `OP_FACTORY`, its BN switched to the given search-time variant."""
    op = OP_FACTORY[name](channels)
    if isinstance(op, ReLUConvBN):
        op[2] = nn.BatchNorm2d(channels, affine=affine, track_running_stats=track_running_stats)
    return op


class SearchCell(nn.Module):
    """A cell whose six edges each hold the five ops (``edges[e][k]`` = op k on edge e)."""

    def __init__(self, channels: int, affine: bool, track_running_stats: bool) -> None:
        super().__init__()
        self.edges = nn.ModuleList(
            nn.ModuleList(search_op(op, channels, affine, track_running_stats) for op in OPS)
            for _ in EDGES
        )

    def forward(
        self,
        x: torch.Tensor,
        weights: torch.Tensor | None = None,
        index: Sequence[int] | None = None,
        arch: Sequence[int] | None = None,
    ) -> torch.Tensor:
        nodes = [x]
        for target in (1, 2, 3):
            total: torch.Tensor | None = None
            for e, (src, dst) in enumerate(EDGES):
                if dst != target:
                    continue
                out = self._edge(e, nodes[src], weights, index, arch)
                total = out if total is None else total + out
            assert total is not None  # every node has an incoming edge
            nodes.append(total)
        return nodes[3]

    def _edge(self, e, h, weights, index, arch) -> torch.Tensor:
        ops = self.edges[e]
        if arch is not None:
            return ops[arch[e]](h)
        if index is not None:  # GDAS: run the chosen op only; the rest add 0 with a gradient
            k = int(index[e])
            out = ops[k](h) * weights[e, k]
            for j in range(NUM_OPS):
                if j != k:
                    out = out + weights[e, j]
            return out
        out = None
        for k in range(NUM_OPS):
            term = ops[k](h) * weights[e, k]
            out = term if out is None else out + term
        return out


class SuperNetwork(nn.Module):
    """NB201's search model: the TinyNetwork skeleton around `SearchCell`s.

    Args:
        num_classes: classifier outputs.
        C: channels of the first stage (16 in NB201).
        N: cells per stage (5 in NB201).
        in_channels: image channels (1 for Fashion-MNIST).
        affine: learnable BN scale/shift inside cells and in the final BN (NB201 search: False).
        track_running_stats: BN running statistics inside cells and final BN (NB201: False).
    """

    def __init__(
        self,
        num_classes: int,
        C: int = 16,
        N: int = 5,
        in_channels: int = 3,
        *,
        affine: bool = False,
        track_running_stats: bool = False,
    ) -> None:
        super().__init__()
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C)
        )
        layers: list[nn.Module] = []
        c_prev = C
        for stage, c in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResNetBlock(c_prev, c))
            layers.extend(SearchCell(c, affine, track_running_stats) for _ in range(N))
            c_prev = c
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(
            nn.BatchNorm2d(c_prev, affine=affine, track_running_stats=track_running_stats),
            nn.ReLU(inplace=True),
        )
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)
        self.num_search_cells = 3 * N

    def forward(
        self,
        x: torch.Tensor,
        weights: torch.Tensor | None = None,
        *,
        index: Sequence[int] | torch.Tensor | None = None,
        arch: object = None,
    ) -> torch.Tensor:
        """Logits for images `x` (B, C, R, R) under one way of choosing ops (module docstring).

        Args:
            weights: (6, 5) op weights per edge (mixture, or GDAS's straight-through one-hot).
            index: (6,) chosen op per edge, with `weights` = GDAS's hard weights.
            arch: a cell (`Arch`, index, string or six op ids) for every search cell, or a list
                of `num_search_cells` op-id tuples (one per cell, in order).
        """
        if (weights is None) == (arch is None):
            raise ValueError("pass exactly one of weights= (with optional index=) or arch=")
        per_cell = self._per_cell_arch(arch) if arch is not None else None
        if index is not None:
            index = [int(i) for i in index]
        h = self.stem(x)
        k = 0
        for layer in self.cells:
            if isinstance(layer, SearchCell):
                a = per_cell[k] if per_cell is not None else None
                h = layer(h, weights, index, a)
                k += 1
            else:
                h = layer(h)
        h = self.lastact(h)
        return self.classifier(self.global_pooling(h).flatten(1))

    def _per_cell_arch(self, arch: object) -> list[tuple[int, ...]]:
        if (
            isinstance(arch, (list, tuple))
            and len(arch) == self.num_search_cells
            and all(isinstance(a, (list, tuple)) for a in arch)
        ):
            return [tuple(int(o) for o in a) for a in arch]
        ops = arch.op_ids if isinstance(arch, Arch) else _op_ids(arch)
        return [ops] * self.num_search_cells

    def derive_state_dict(self, arch: object) -> dict[str, torch.Tensor]:
        """A state dict for ``build_network(arch, ...)`` holding this supernet's weights.

        Each cell edge takes the weights of op ``arch[e]``. Where the supernet's BN lacks affine
        parameters (running statistics) the derived net gets 1 and 0 (mean 0, variance 1):
        the identity those BN layers apply in training mode.
        """
        from surrogate_nb.network import build_network

        cell = as_arch(arch)
        stem = cast(nn.Conv2d, self.stem[0])
        classes, c_in = self.classifier.out_features, stem.in_channels
        n = self.num_search_cells // 3
        with torch.device("meta"):
            target = build_network(cell, classes, C=stem.out_channels, N=n, in_channels=c_in)
        mine = self.state_dict()
        out: dict[str, torch.Tensor] = {}
        for name, ref in target.state_dict().items():
            key = _supernet_key(name, cell, self.cells)
            if key in mine:
                out[name] = mine[key].detach().clone()
            elif name.endswith(("weight", "running_var")):
                out[name] = torch.ones(ref.shape, dtype=ref.dtype)
            elif name.endswith("num_batches_tracked"):
                out[name] = torch.zeros((), dtype=torch.long)
            else:
                out[name] = torch.zeros(ref.shape, dtype=ref.dtype)
        return out


def _op_ids(arch: object) -> tuple[int, ...]:
    if (
        isinstance(arch, (list, tuple))
        and len(arch) == NUM_EDGES
        and all(isinstance(o, int) for o in arch)
    ):
        return tuple(Arch(tuple(int(o) for o in arch)).op_ids)
    return as_arch(arch).op_ids


def _supernet_key(name: str, cell: Arch, cells: nn.Sequential) -> str:
    """The supernet parameter behind TinyNetwork's `name` (cells.i.edges.e.* -> .e.<op>.*)."""
    parts = name.split(".")
    if parts[0] == "cells" and isinstance(cells[int(parts[1])], SearchCell):
        e = int(parts[3])
        return ".".join([*parts[:4], str(cell.op_ids[e]), *parts[4:]])
    return name


def build_supernet(
    num_classes: int,
    C: int = 16,
    N: int = 5,
    in_channels: int = 3,
    *,
    affine: bool = False,
    track_running_stats: bool = False,
) -> SuperNetwork:
    """`SuperNetwork` with NB201's search-time BN defaults (no affine, batch statistics)."""
    return SuperNetwork(
        num_classes,
        C=C,
        N=N,
        in_channels=in_channels,
        affine=affine,
        track_running_stats=track_running_stats,
    )
