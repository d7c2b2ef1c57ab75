"""The NAS-Bench-201 space (`NB201Space`, registered as ``"nb201"``): what the layers above use.

It gathers the NB201 modules, which read bottom-up: `nb201_cell` (the `Arch` value, index and
parsing), `nb201_encodings` / `nb201_features` / `nb201_costs` / `nb201_network` (computed from an
`Arch`). The cell module's public names are re-exported here.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from surrogate_nb.space import nb201_costs, nb201_encodings, nb201_features
from surrogate_nb.space._base import Facts, FactTable, SearchSpace
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

    def counters(self, arch: object, dataset: str) -> dict[str, float]:
        """Closed-form counts for NB201's settings (`nb201_costs.COST_SETTINGS`; cifar10-valid is
        cifar10's network)."""
        setting = nb201_costs.COST_SETTINGS.get(
            "cifar10" if dataset == "cifar10-valid" else dataset
        )
        if setting is None:
            return {}
        classes, res = setting
        return {
            "params_m": nb201_costs.params_m(arch, classes),
            "flops_m": nb201_costs.flops_m(arch, classes, resolution=res),
        }

    def describe(self, arch: object) -> Facts:
        """Index, arch and unique strings, connectivity, NASLib / Syne Tune forms, and params /
        FLOPs for each of NB201's settings (closed form)."""
        a = as_arch(arch)
        costs = {
            name: {
                "params_m": round(nb201_costs.params_m(a, classes), 6),
                "flops_m": round(nb201_costs.flops_m(a, classes, resolution), 6),
                "num_classes": classes,
                "resolution": resolution,
            }
            for name, (classes, resolution) in nb201_costs.COST_SETTINGS.items()
        }
        data = {
            "index": a.index,
            "arch_str": str(a),
            "unique_str": a.unique_str(),
            "connected": a.is_connected(),
            "ops": list(a.ops),
            "naslib_op_indices": nb201_encodings.to_naslib(a),
            "syne_tune": nb201_encodings.to_syne_tune(a),
            "costs": costs,
        }
        cell = FactTable(
            f"NB201 cell {a.index}",
            (
                ("arch string", str(a)),
                ("unique string", a.unique_str()),
                ("connected", "yes" if a.is_connected() else "no (input never reaches output)"),
                ("NASLib op_indices", str(nb201_encodings.to_naslib(a))),
            ),
        )
        cost_rows = tuple(
            (
                name,
                str(c["num_classes"]),
                f"{c['resolution']}x{c['resolution']}",
                f"{c['params_m']:.6f}",
                f"{c['flops_m']:.5f}",
            )
            for name, c in costs.items()
        )
        columns = ("setting", "classes", "input", "params (M)", "FLOPs (M)")
        return Facts(data, (cell, FactTable("Costs (NB201 counters)", cost_rows, columns)))

    def summary(self) -> Facts:
        """Cells, ops, edges, isomorphism classes, disconnected cells, class sizes."""
        archs = list(all_archs())
        classes = Counter(a.unique_str() for a in archs)
        sizes = Counter(classes.values())
        histogram = {str(k): v for k, v in sorted(sizes.items())}
        disconnected = sum(not a.is_connected() for a in archs)
        data = {
            "space": self.name,
            "num_cells": len(archs),
            "num_ops": len(OPS),
            "ops": list(OPS),
            "num_edges": NUM_EDGES,
            "num_isomorphism_classes": len(classes),
            "num_disconnected": disconnected,
            "class_size_histogram": histogram,
        }
        hist = ", ".join(f"{k}: {v}" for k, v in histogram.items())
        rows = (
            ("cells", f"{len(archs):,}"),
            ("ops", ", ".join(OPS)),
            ("edges", str(NUM_EDGES)),
            ("isomorphism classes", f"{len(classes):,}"),
            ("disconnected cells", f"{disconnected:,}"),
            ("class sizes (size: count)", hist),
        )
        return Facts(data, (FactTable("NB201 search space", rows),))


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
