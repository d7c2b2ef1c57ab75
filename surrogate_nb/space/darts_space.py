"""The DARTS space as a `SearchSpace`: the cell value (`darts`), its text and dict forms
(`darts_forms`) and its features (`darts_encodings`) gathered for the layers above, with the
search moves NB301's optimizers use. Registered as ``"darts"``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from surrogate_nb.space import darts_cost, darts_encodings, darts_forms
from surrogate_nb.space._base import Facts, FactTable, SearchSpace
from surrogate_nb.space.darts import (
    CELL_SIZE,
    INPUT_CHOICES,
    NODE_INPUTS,
    NUM_NODES,
    NUM_OPS,
    NUM_PAIRS,
    OP_CHOICES,
    OPS,
    PAIR_RANK,
    SIZE,
    Genome,
    _bad,
    canonical_cell,
)

if TYPE_CHECKING:
    from torch import nn


class DartsSpace(SearchSpace[Genome]):
    """The DARTS / NAS-Bench-301 space as a `SearchSpace` (registered as ``"darts"``).

    ``size`` is None: the space (about 1.08 × 10^18 cells, `SIZE`) is indexable but far too large
    to enumerate, so `all_archs` and whole-space memos refuse it; `cardinality` is the exact size.
    """

    name = "darts"
    size = None
    cardinality = SIZE
    cell_size = CELL_SIZE
    feature_sets = darts_encodings.FEATURE_SETS
    cell_type = Genome

    encodings = darts_encodings.ENCODINGS

    def featurize(self, indices: np.ndarray, features: str) -> np.ndarray:
        return darts_encodings.featurize(indices, features)

    def feature_names(self, features: str) -> list[str]:
        return darts_encodings.feature_names(features)

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
        """DARTS' ``NetworkCIFAR`` (`darts_network`; NB301's preset: ``C`` 32 init channels,
        ``N`` 8 cells, auxiliary head, drop path 0.2); `options`: ``preset``, ``auxiliary``,
        ``drop_path_prob``, ``resolution``, ``affine_ops``."""
        from surrogate_nb.space.darts_network import build_darts_network

        genome = self.as_arch(arch)
        return build_darts_network(
            genome, num_classes, channels=C, layers=N, in_channels=in_channels, **options
        )

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
        """(params M, FLOPs M) in the published per-cell tables' convention (`darts_cost`: no
        auxiliary head, non-affine BN in the cell ops; ``C``, ``N`` default to NB301's 32, 8)."""
        params, flops = darts_cost.network_costs(
            self.as_arch(arch),
            num_classes,
            channels=darts_cost.PUBLISHED_CHANNELS if C is None else C,
            layers=darts_cost.PUBLISHED_LAYERS if N is None else N,
            resolution=resolution,
            in_channels=in_channels,
        )
        return params / 1e6, flops / 1e6

    def counters(self, arch: object, dataset: str) -> dict[str, float]:
        """CIFAR-10 only (NB301's dataset), in the published tables' convention."""
        if dataset != "cifar10":
            return {}
        params, flops = darts_cost.network_costs(self.as_arch(arch), 10)
        return {"params_m": params / 1e6, "flops_m": flops / 1e6}

    def describe(self, arch: object) -> Facts:
        """Every representation of a cell pair (`darts_forms.forms`), and params / FLOPs in
        closed form: the published convention at NB301's 32 channels x 8 cells, and DARTS' own
        36 x 20 with affine BN."""
        g = self.as_arch(arch)
        nb301 = darts_cost.network_costs(g, 10)
        darts = darts_cost.network_costs(g, 10, channels=36, layers=20, affine_ops=True)
        costs = {
            "nb301 (32 x 8 cells, published counting)": {
                "params": nb301[0],
                "flops_m": nb301[1] / 1e6,
            },
            "darts (36 x 20 cells, affine BN)": {"params": darts[0], "flops_m": darts[1] / 1e6},
        }
        config = darts_forms.to_config(g)
        rows = [
            ("compact", darts_forms.compact(g)),
            ("genotype", darts_forms.genotype_str(g)),
            ("naslib", str(darts_forms.to_naslib(g))),
            (
                "NB301 config",
                " ".join(
                    f"{k.removeprefix(darts_forms.CONFIG_PREFIX)}={v}" for k, v in config.items()
                ),
            ),
        ]
        rows += [
            (name.split(" ")[0], f"{c['params']:,} params, {c['flops_m']:.2f} M FLOPs")
            for name, c in costs.items()
        ]
        data = {**darts_forms.forms(g), "costs": costs}
        return Facts(data, (FactTable(f"DARTS cell pair {g.index}", tuple(rows)),))

    def summary(self) -> Facts:
        """Sizes of the space (it cannot be listed: the numbers are exact counts)."""
        data: dict[str, Any] = {
            "ops": ", ".join(OPS),
            "input choices per cell": INPUT_CHOICES,
            "op choices per cell": OP_CHOICES,
            "cells per cell type": CELL_SIZE,
            "pairs (normal, reduction)": SIZE,
        }
        rows = tuple(
            (key, f"{value:,}" if isinstance(value, int) else str(value))
            for key, value in data.items()
        )
        return Facts(data, (FactTable("DARTS / NB301 space", rows),))

    # ---- lookups ------------------------------------------------------------------------------

    def from_index(self, index: int) -> Genome:
        return Genome.from_index(index)

    def from_str(self, text: str) -> Genome:
        return darts_forms.parse(text)

    def as_arch(self, value: object) -> Genome:
        if isinstance(value, Genome):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return self.from_index(int(value))
        if isinstance(value, str):
            return self.from_str(value)
        return darts_forms.from_object(value)

    def as_indices(self, values: object) -> np.ndarray:
        if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.integer):
            out = values.astype(np.int64, copy=False)
            if out.size and out.min() < 0:
                raise _bad(f"DARTS index {int(out.min())} out of range: expected 0..{SIZE - 1}", 0)
            return out
        if isinstance(values, (Genome, str, int, np.integer, dict)) or _is_single(values):
            return np.asarray(self.as_arch(values).index, dtype=np.int64)
        return np.fromiter((self.as_arch(v).index for v in values), dtype=np.int64)  # type: ignore[attr-defined]

    def all_archs(self) -> Iterator[Genome]:
        raise _bad(
            f"the DARTS space has {SIZE:,} cells and cannot be listed; sample it "
            "(DARTS.sample) or use the cells a table holds",
            None,
        )

    def label(self, arch: object) -> str:
        return str(self.as_arch(arch))

    # ---- search moves -------------------------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> Genome:
        """A uniformly random canonical pair (NB301's random sampling: each node's input pair and
        each op uniform, which is uniform over canonical cells)."""
        return Genome.from_index(int(rng.integers(0, SIZE, dtype=np.int64)))

    def neighbours(self, arch: Genome) -> list[Genome]:
        """Every pair one NB301/NASLib mutation away: one op changed (2 × 8 × 6 = 96) or one
        input changed to another existing node not already feeding that node (2 × 12 = 24)."""
        g = self.as_arch(arch)
        out: list[Genome] = []
        for c, cell in enumerate(g.cells()):
            for s, (inp, op) in enumerate(cell):
                for new in range(NUM_OPS):
                    if new != op:
                        out.append(_replaced(g, c, s, (inp, new)))
                node = s // 2 + 2
                other = cell[s ^ 1][0]
                for new_inp in range(node):
                    if new_inp not in (inp, other):
                        out.append(_replaced(g, c, s, (new_inp, op)))
        return out

    def mutate(self, arch: Genome, rng: np.random.Generator) -> Genome:
        """NB301's / NASLib's mutation: one cell, one pair, then (coin flip) its op or its input
        is changed; an input change is retried as an op change where no other input exists
        (node 2). The result is valid and different."""
        g = self.as_arch(arch)
        c = int(rng.integers(2))
        s = int(rng.integers(NUM_PAIRS))
        inp, op = g.cells()[c][s]
        node = s // 2 + 2
        other = g.cells()[c][s ^ 1][0]
        free = [i for i in range(node) if i not in (inp, other)]
        if free and rng.random() < 0.5:
            return _replaced(g, c, s, (free[int(rng.integers(len(free)))], op))
        new = int(rng.integers(NUM_OPS - 1))
        return _replaced(g, c, s, (inp, new + (new >= op)))

    # ---- the space as categorical parameters (REINFORCE, TPE, syne-tune) ----------------------

    def choices(self) -> list[tuple[str, tuple]]:
        """Per cell type: the input pair of nodes 3..5 (node 2 has one), then the 8 ops."""
        out: list[tuple[str, tuple]] = []
        for cell in ("normal", "reduce"):
            for n in range(1, NUM_NODES):
                pairs = tuple(f"{i}_{j}" for i, j in NODE_INPUTS[n])
                out.append((f"inputs_{cell}_{n + 2}", pairs))
            out += [(f"op_{cell}_{s}", OPS) for s in range(NUM_PAIRS)]
        return out

    def from_choices(self, values: Sequence[int]) -> Genome:
        v = [int(x) for x in values]
        per = NUM_NODES - 1 + NUM_PAIRS
        if len(v) != 2 * per:
            raise _bad(f"DARTS choices need {2 * per} values, got {len(v)}", values)
        cells = []
        for c in range(2):
            part = v[c * per : (c + 1) * per]
            pairs_of_node = [(0, 1)] + [NODE_INPUTS[n][part[n - 1]] for n in range(1, NUM_NODES)]
            ops = part[NUM_NODES - 1 :]
            cells.append([(pairs_of_node[s // 2][s % 2], ops[s]) for s in range(NUM_PAIRS)])
        return Genome.of(*cells)

    def to_choices(self, arch: Genome) -> list[int]:
        g = self.as_arch(arch)
        out: list[int] = []
        for cell in g.cells():
            for n in range(1, NUM_NODES):
                out.append(PAIR_RANK[n][(cell[2 * n][0], cell[2 * n + 1][0])])
            out += [op for _, op in cell]
        return out


def _replaced(g: Genome, c: int, s: int, pair: tuple[int, int]) -> Genome:
    cells = [list(g.normal), list(g.reduce)]
    cells[c][s] = pair
    return Genome(canonical_cell(cells[0]), canonical_cell(cells[1]))


def _is_single(values: object) -> bool:
    """A single arch in a non-Genome object form (genotype namedtuple, NASLib nested pairs)."""
    if hasattr(values, "normal") and hasattr(values, "reduce"):
        return True
    return (
        isinstance(values, (list, tuple))
        and len(values) == 2
        and all(isinstance(c, (list, tuple)) and len(c) == NUM_PAIRS for c in values)
        and all(isinstance(p, (list, tuple)) and len(p) == 2 for c in values for p in c)
    )


DARTS = DartsSpace()
