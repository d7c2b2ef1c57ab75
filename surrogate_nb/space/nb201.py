"""The NAS-Bench-201 space (`NB201Space`, registered as ``"nb201"``): what the layers above use.

It gathers the NB201 modules, which read bottom-up: `nb201_cell` (the `Arch` value, index and
parsing), `nb201_encodings` / `nb201_features` / `nb201_costs` / `nb201_network` (computed from an
`Arch`). The cell module's public names are re-exported here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from surrogate_nb.space import nb201_encodings, nb201_features
from surrogate_nb.space._base import SearchSpace
from surrogate_nb.space.nb201_cell import (
    EDGES,
    INDEX_SHUFFLE_SEED,
    NUM_ARCHS,
    NUM_EDGES,
    NUM_NODES,
    NUM_OPS,
    OPS,
    Arch,
    all_archs,
    arch_strings,  # noqa: F401  (re-exported: the compat facades read it here)
    as_arch,
    as_indices,
    mutate_edge,
)

if TYPE_CHECKING:
    from torch import nn


class NB201Space(SearchSpace[Arch]):
    """The NB201 space as a `SearchSpace` (see `surrogate_nb.space.SPACES`)."""

    name = "nb201"
    size = NUM_ARCHS
    feature_sets = ("full", "onehot", "path", "eff_onehot", "eff_path", "stats", "graph")

    cell_type = Arch
    encodings = nb201_encodings.ENCODINGS

    def from_index(self, index: int) -> Arch:
        return Arch.from_index(index)

    def from_str(self, text: str) -> Arch:
        return Arch.from_str(text)

    def as_arch(self, value: object) -> Arch:
        return as_arch(value)

    def as_indices(self, values: object) -> np.ndarray:
        return as_indices(values)

    def all_archs(self) -> Iterator[Arch]:
        return all_archs()

    def sample(self, rng: np.random.Generator) -> Arch:
        return Arch(tuple(int(x) for x in rng.integers(0, NUM_OPS, size=NUM_EDGES)))

    def featurize(self, indices: np.ndarray, features: str) -> np.ndarray:
        return nb201_features.featurize(indices, features)

    def feature_names(self, features: str) -> list[str]:
        return nb201_features.feature_names(features)

    def network(
        self,
        arch: object,
        num_classes: int,
        *,
        C: int | None = None,
        N: int | None = None,
        in_channels: int = 3,
        **options: Any,
    ) -> nn.Module:
        """NB201's TinyNetwork (`nb201_network`): ``C`` channels in the first stage (16), ``N``
        cells per stage (5); no further options."""
        from surrogate_nb.space import nb201_network

        if options:
            raise TypeError(f"the NB201 network takes no options {sorted(options)}")
        c, n = (16 if C is None else C), (5 if N is None else N)
        return nb201_network.build(as_arch(arch), num_classes, C=c, N=n, in_channels=in_channels)

    def costs(
        self,
        arch: object,
        num_classes: int,
        *,
        resolution: int = 32,
        in_channels: int = 3,
        C: int | None = None,
        N: int | None = None,
    ) -> tuple[float, float]:
        """(params M, FLOPs M) traced from the module on the meta device (`nb201_network`)."""
        from surrogate_nb.space import nb201_network

        c, n = (16 if C is None else C), (5 if N is None else N)
        return nb201_network.costs(as_arch(arch), num_classes, resolution, in_channels, c, n)

    def choices(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(f"edge{e}", OPS) for e in range(NUM_EDGES)]

    def from_choices(self, values: Sequence[int]) -> Arch:
        return Arch(tuple(int(v) for v in values))

    def to_choices(self, arch: Arch) -> list[int]:
        return list(self.as_arch(arch).op_ids)

    def neighbours(self, arch: Arch) -> list[Arch]:
        return [
            mutate_edge(arch, e, op)
            for e, op in itertools.product(range(NUM_EDGES), range(NUM_OPS))
            if op != arch.op_ids[e]
        ]


NB201 = NB201Space()

__all__ = [
    "EDGES",
    "INDEX_SHUFFLE_SEED",
    "NB201",
    "NUM_ARCHS",
    "NUM_EDGES",
    "NUM_NODES",
    "NUM_OPS",
    "OPS",
    "Arch",
    "NB201Space",
    "all_archs",
    "as_arch",
    "as_indices",
    "mutate_edge",
]
