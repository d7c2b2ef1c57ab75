"""The NAS-Bench-101 space (`NB101Space`, registered as ``"nb101"``): what the layers above use.

It gathers the NB-101 modules, which read bottom-up: `nb101_index` (limits, official hash, the
enumerated index), `nb101_cell` (the `Cell` value), `nb101_cost` / `nb101_encodings` /
`nb101_network` (computed from a cell). The names of those modules that callers use are
re-exported here.

Index: cell ``i`` is the cell whose module hash is the ``i``-th smallest of all 423,624 hashes
(hex order). The order is stable (it depends on the hashes only) and the 20,001 smallest hashes
are exactly ``../shared/nb101/data-20k.json``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.space import nb101_cost, nb101_encodings, nb101_index
from surrogate_nb.space._base import Facts, FactTable, SearchSpace
from surrogate_nb.space.nb101_cell import BUDGETS, Cell, _bad, _padded, _prune, from_padded
from surrogate_nb.space.nb101_index import (
    _HASH_RE,
    INPUT,
    MAX_EDGES,
    MAX_VERTICES,
    NUM_CELLS,
    OPS,
    OUTPUT,
    hash_module,
)

if TYPE_CHECKING:
    from torch import nn


class NB101Space(SearchSpace[Cell]):
    """NAS-Bench-101 as a `SearchSpace` (registered as ``"nb101"``)."""

    name = "nb101"
    size = NUM_CELLS
    feature_sets = ("full", "onehot", "path", "stats", "graph")

    cell_type = Cell
    encodings = nb101_encodings.ENCODINGS

    def featurize(self, indices: np.ndarray, features: str) -> np.ndarray:
        return nb101_encodings.featurize(indices, features)

    def feature_names(self, features: str) -> list[str]:
        return nb101_encodings.feature_names(features)

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
        """The official NB-101 network (`nb101_network`); its layout is fixed, so ``C`` and ``N``
        are ignored; no further options."""
        from surrogate_nb.space import nb101_network

        if options:
            raise TypeError(f"the NB-101 network takes no options {sorted(options)}")
        return nb101_network.build_network(self.as_arch(arch), num_classes, in_channels)

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
        """(params M, FLOPs M) in closed form (`nb101_cost`; ``C``, ``N`` ignored)."""
        cell = self.as_arch(arch)
        params, flops = nb101_cost.network_costs(cell, num_classes, resolution, in_channels)
        return params / 1e6, flops / 1e6

    def counters(self, arch: object, dataset: str) -> dict[str, float]:
        """CIFAR-10 only (NB-101's dataset)."""
        if dataset != "cifar10":
            return {}
        params, flops = nb101_cost.network_costs(self.as_arch(arch), 10)
        return {"params_m": params / 1e6, "flops_m": flops / 1e6}

    def describe(self, arch: object) -> Facts:
        """Index, module hash, ops, matrix, size, and CIFAR-10 params / FLOPs (closed form)."""
        cell = self.as_arch(arch)
        params, flops = nb101_cost.network_costs(cell, 10)
        data = {
            "index": cell.index,
            "module_hash": cell.module_hash,
            "cell": str(cell),
            "ops": list(cell.ops),
            "matrix": [list(r) for r in cell.matrix],
            "vertices": cell.num_vertices,
            "edges": cell.num_edges,
            "costs": {"cifar10": {"params": params, "flops_m": round(flops / 1e6, 6)}},
        }
        rows = (
            ("module hash", cell.module_hash),
            ("ops", ", ".join(cell.ops)),
            ("matrix", " ".join("".join(map(str, r)) for r in cell.matrix)),
            ("vertices / edges", f"{cell.num_vertices} / {cell.num_edges}"),
            ("params (CIFAR-10)", f"{params:,}"),
            ("FLOPs (M, 32x32)", f"{round(flops / 1e6, 6):.3f}"),
        )
        return Facts(data, (FactTable(f"NB-101 cell {cell.index}", rows),))

    def summary(self) -> Facts:
        """Cells, ops, limits, and the cells by vertex and by edge count (enumerates the index
        on first use)."""
        index = self.index_table
        edges = np.array([bin(int(b)).count("1") for b in index.edge_bits])
        by_vertices = {
            str(int(k)): int(v) for k, v in zip(*np.unique(index.vertices, return_counts=True))
        }
        by_edges = {str(int(k)): int(v) for k, v in zip(*np.unique(edges, return_counts=True))}
        data = {
            "space": self.name,
            "num_cells": NUM_CELLS,
            "ops": list(OPS),
            "max_vertices": MAX_VERTICES,
            "max_edges": MAX_EDGES,
            "cells_by_vertices": by_vertices,
            "cells_by_edges": by_edges,
        }
        rows = (
            ("cells", f"{NUM_CELLS:,}"),
            ("ops", ", ".join(OPS)),
            ("limits", f"{MAX_VERTICES} vertices, {MAX_EDGES} edges"),
            ("cells by vertices", ", ".join(f"{k}: {v:,}" for k, v in by_vertices.items())),
            ("cells by edges", ", ".join(f"{k}: {v:,}" for k, v in by_edges.items())),
        )
        return Facts(data, (FactTable("NB-101 search space", rows),))

    def label(self, arch: object) -> str:
        return self.as_arch(arch).module_hash

    @property
    def index_table(self) -> nb101_index.NB101Index:
        """The `NB101Index` (every cell in index order): loaded from the cache, or enumerated
        once (about 1-2 min on 2 cores) on first use."""
        return nb101_index.shared_index()

    # ---- lookups ------------------------------------------------------------------------------

    def index_of_hash(self, module_hash: str) -> int:
        """Index of a module hash; `InvalidArchError` if malformed or not in the space."""
        return nb101_index.index_of_hash(module_hash)

    def from_hash(self, module_hash: str) -> Cell:
        return self.from_index(self.index_of_hash(module_hash))

    def from_index(self, index: int) -> Cell:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise _bad(f"NB-101 index must be an int, got {index!r}", index)
        if not 0 <= int(index) < NUM_CELLS:
            raise _bad(f"NB-101 index {index} out of range: expected 0..{NUM_CELLS - 1}", index)
        cell = Cell(*self.index_table.spec(int(index)))
        cell.__dict__["module_hash"] = self.hash_of_index(int(index))  # known: skip re-hashing
        return cell

    def hash_of_index(self, index: int) -> str:
        return self.index_table.hashes[int(index)].decode()

    def from_str(self, text: str) -> Cell:
        text = text.strip()
        if _HASH_RE.fullmatch(text):
            return self.from_hash(text)
        if text.isascii() and text.isdigit():
            return self.from_index(int(text))
        return Cell.from_str(text)

    def as_arch(self, value: object) -> Cell:
        if isinstance(value, Cell):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return self.from_index(int(value))
        if isinstance(value, str):
            return self.from_str(value)
        if isinstance(value, tuple) and len(value) == 2:
            return Cell.from_spec(*value)
        raise _bad(
            f"cannot read an NB-101 cell from {value!r} (type {type(value).__name__}); expected "
            "a Cell, an index 0..423623, a module hash, 'ops;matrix' or (matrix, ops)",
            value,
        )

    def as_indices(self, values: object) -> np.ndarray:
        if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.integer):
            out = values.astype(np.int64, copy=False)
            if out.size and (out.min() < 0 or out.max() >= NUM_CELLS):
                bad = int(out[(out < 0) | (out >= NUM_CELLS)][0])
                raise _bad(f"NB-101 index {bad} out of range: expected 0..{NUM_CELLS - 1}", bad)
            return out
        if isinstance(values, (Cell, str, int, np.integer)) or (
            isinstance(values, tuple) and len(values) == 2 and not isinstance(values[0], Cell)
        ):
            return np.asarray(self.as_arch(values).index, dtype=np.int64)
        return np.fromiter(
            (self.as_arch(v).index for v in cast(Iterable[object], values)), dtype=np.int64
        )

    def all_archs(self) -> Iterator[Cell]:
        return (self.from_index(i) for i in range(NUM_CELLS))

    # ---- search moves -------------------------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> Cell:
        """A uniformly random cell (uniform over the 423,624 distinct cells)."""
        return self.from_index(int(rng.integers(NUM_CELLS)))

    def choices(self) -> list[tuple[str, tuple]]:
        """21 upper-triangular edge bits of a 7-vertex cell, then the 5 interior ops."""
        edges = [(f"e{i}{j}", (0, 1)) for j in range(MAX_VERTICES) for i in range(j)]
        return edges + [(f"v{v}", OPS) for v in range(1, MAX_VERTICES - 1)]

    def from_choices(self, values: Sequence[int]) -> Cell:
        values = [int(v) for v in values]
        m = np.zeros((MAX_VERTICES, MAX_VERTICES), np.int8)
        k = 0
        for j in range(MAX_VERTICES):
            for i in range(j):
                m[i, j] = values[k]
                k += 1
        ops = [INPUT, *(OPS[v] for v in values[k:]), OUTPUT]
        return Cell.from_spec(m, ops)

    def to_choices(self, arch: Cell) -> list[int]:
        m, ops = _padded(self.as_arch(arch))
        bits = [int(m[i, j]) for j in range(MAX_VERTICES) for i in range(j)]
        return bits + [OPS.index(o) for o in ops[1:-1]]

    def mutate(self, arch: Cell, rng: np.random.Generator) -> Cell:
        """The NB-101 paper's mutation: change one interior op or flip one edge (of the
        7-vertex padded spec), retried until the result is a valid, different cell."""
        cell = self.as_arch(arch)
        m, ops = _padded(cell)
        for _ in range(1000):
            m2, ops2 = m.copy(), list(ops)
            if rng.random() < 0.5:
                v = int(rng.integers(1, MAX_VERTICES - 1))
                ops2[v] = OPS[(OPS.index(ops2[v]) + int(rng.integers(1, 3))) % 3]
            else:
                i, j = sorted(rng.choice(MAX_VERTICES, size=2, replace=False).tolist())
                m2[i, j] ^= 1
            try:
                child = Cell.from_spec(m2, ops2)
            except InvalidArchError:
                continue
            if child.module_hash != cell.module_hash:
                return child
        return self.sample(rng)  # pragma: no cover - every cell has valid neighbours

    def neighbours(self, arch: Cell) -> list[Cell]:
        """Valid cells one NB-101 mutation away: one interior op changed or one edge flipped.

        Distinct by module hash, the cell itself excluded (the NB-101 paper's mutation, taken on
        the pruned 7-vertex-padded spec so that an edge can also be added to a smaller cell).
        """
        m, ops = _padded(arch)
        seen = {arch.module_hash}
        out: list[Cell] = []

        def add(matrix: np.ndarray, new_ops: list[str]) -> None:
            try:
                cell = Cell.from_spec(matrix, new_ops)
            except InvalidArchError:
                return
            if cell.module_hash not in seen:
                seen.add(cell.module_hash)
                out.append(cell)

        for v in range(1, MAX_VERTICES - 1):
            for op in OPS:
                if op != ops[v]:
                    add(m, [*ops[:v], op, *ops[v + 1 :]])
        for i, j in itertools.combinations(range(MAX_VERTICES), 2):
            flipped = m.copy()
            flipped[i, j] ^= 1
            add(flipped, ops)
        return out


NB101 = NB101Space()

__all__ = [
    "BUDGETS",
    "INPUT",
    "MAX_EDGES",
    "MAX_VERTICES",
    "NB101",
    "NUM_CELLS",
    "OPS",
    "OUTPUT",
    "Cell",
    "NB101Space",
    "_prune",
    "from_padded",
    "hash_module",
]
