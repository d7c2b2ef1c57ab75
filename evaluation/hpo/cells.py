"""What a blackbox answers for a cell: its signal and report values at each fidelity, and the
simulated training time each fidelity step costs (no syne-tune here: `blackbox` wraps it).

Invalid configurations: most 21-bit NB-101 matrices are no cell (more than 9 edges after pruning,
or no input→output path). They are answered with the worst value (`INVALID_VALUE`, 0 % accuracy)
at zero training time, as the NB-101 paper's benchmark code does (automl/nas_benchmarks answers
them with error 1 and cost 0). Re-sampling is not possible from outside a scheduler (it chose the
configuration), and projecting onto a nearby valid cell would bias what model-based methods learn;
the worst value teaches them to avoid such configurations, and zero time means random search pays
nothing for them either. They are never an incumbent and appear in no trajectory row
(``meta["invalid"]`` counts them). On a partial table a cell the table lacks is answered by its
nearest table cell (fewest differing ``onehot`` features, lowest index among ties); the result row
records the cell actually evaluated.

Signal: ``signal_seed=None`` is the seed mean (table) or the predicted mean (surrogate);
``"sample"`` gives every (run, cell) one single-run curve (a random seed of the table, a
noise-model draw of a curve surrogate), fixed for the run so a paused and resumed trial continues
the same curve.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from surrogate_nb.errors import InvalidArchError, SurrogateNBError, UnknownKeyError
from surrogate_nb.evaluation.hpo.configs import ELAPSED, INVALID_VALUE, arch_of
from surrogate_nb.evaluation.optimizers.base import CellPool
from surrogate_nb.space import SearchSpace
from surrogate_nb.table import BenchmarkLike

#: Cells over which `CellAnswers.typical_epoch_s` takes its median.
TYPICAL_CELLS = 200


@dataclass(frozen=True)
class BlackboxPlan:
    """What one blackbox answers.

    Attributes:
        benchmark, dataset, metric: the signal (larger is better).
        report_metric: the second objective (may be `metric`).
        hp: the target schedule or budget.
        kind: ``"epochs"``, ``"budgets"`` or ``"final"`` (`fidelity.fidelity_plan`).
        fids: the fidelity values.
        pool: cells that can be answered (None: the whole space).
        signal_seed: None (means) or ``"sample"`` (one single-run curve per run and cell).
        run_seed: keys the single-run draws.
    """

    benchmark: BenchmarkLike
    dataset: str
    metric: str
    report_metric: str
    hp: str | None
    kind: str
    fids: list[int]
    pool: CellPool | None
    signal_seed: str | None
    run_seed: int

    @property
    def space(self) -> SearchSpace:
        """The benchmark's search space."""
        return self.benchmark.space

    @property
    def names(self) -> list[str]:
        """Objective names: the signal, the report metric (if different), elapsed time."""
        report = [self.report_metric] if self.report_metric != self.metric else []
        return [self.metric, *report, ELAPSED]

    @property
    def top(self) -> int:
        """Epochs of a training at the top fidelity: T (``"epochs"``) or the target budget."""
        return len(self.fids) if self.kind == "epochs" else int(str(self.hp))


def signal_mode(signal_seed: int | str | None) -> str | None:
    """`signal_seed` as a blackbox takes it: None (means) or ``"sample"``.

    Raises:
        UnknownKeyError: anything else (an int seed: one seed's curve is no single-run draw).
    """
    if signal_seed is None or signal_seed == "sample":
        return signal_seed
    raise UnknownKeyError("signal_seed", signal_seed, [None, "sample"])


def _nearest(pool: CellPool, arch: object) -> object:
    if arch in pool:
        return arch
    dist = pool.distances(arch)
    return pool.arch(int(np.flatnonzero(dist == dist.min())[0]))  # pool indices are sorted


class CellAnswers:
    """The answers of one `BlackboxPlan`, computed once per cell and run (module docstring)."""

    def __init__(self, plan: BlackboxPlan) -> None:
        self.plan = plan
        self.benchmark = plan.benchmark
        self.pool = plan.pool
        self.space = plan.space
        self.kind = plan.kind
        self.hp = plan.hp
        self._cache: dict[int, np.ndarray] = {}
        self._fallback_epoch_s: float | None = None
        self.invalid_configs = 0

    @property
    def fidelity_values(self) -> np.ndarray:
        """The fidelity values (epochs or budgets)."""
        return np.asarray(self.plan.fids)

    def evaluated_arch(self, config: Mapping[str, object]) -> object | None:
        """The cell evaluated for `config`; None when it names no cell (answered with
        `INVALID_VALUE` at zero cost)."""
        try:
            arch = arch_of(config, self.space)
        except InvalidArchError:
            return None
        return arch if self.pool is None else _nearest(self.pool, arch)

    # ---- costs --------------------------------------------------------------------------------

    def _train_s(self, arch: object, h: str | None, epochs: int) -> float:
        """Train time of `epochs` epochs at schedule `h` (NaN when nothing records it)."""
        cost = self.benchmark.cost(arch, self.plan.dataset, hp=h)
        t = cost.get("train_time_s", math.nan)
        if self.kind == "epochs":
            per = cost.get("train_time_per_epoch_s", math.nan)
            if not np.isfinite(per) and np.isfinite(t):
                per = t / self.plan.top
            return float(per) * epochs
        return float(t)

    def _recorded_epoch_s(self, arch: object) -> float:
        """Per-epoch train time of the target schedule (NaN when nothing records it)."""
        if self.kind == "epochs":
            return self._train_s(arch, self.hp, 1)
        top = self.plan.top
        return self._train_s(arch, self.hp, top) / top

    def _epoch_s(self, arch: object) -> float:
        per = self._recorded_epoch_s(arch)
        return float(per) if np.isfinite(per) else self.typical_epoch_s()

    def _typical_cells(self) -> np.ndarray:
        """Cells whose median time stands in where a cell's is missing: the pool's, the table's
        with a train time, else `TYPICAL_CELLS` cells drawn with a fixed seed."""
        cells: np.ndarray | None = None
        if self.pool is not None:
            cells = self.pool.indices
        else:
            table = getattr(self.benchmark, "table", None) or self.benchmark
            with contextlib.suppress(AttributeError, LookupError, ValueError):
                cells = table.to_xy(self.plan.dataset, "train_time_s", hp=self.hp)[0]
        if cells is None or len(cells) == 0:  # nothing tabulated
            cells = np.random.default_rng(0).integers(0, self.space.cardinality, TYPICAL_CELLS)
        return cells[:: max(1, len(cells) // TYPICAL_CELLS)]

    def typical_epoch_s(self) -> float:
        """Median per-epoch train time over (up to 200 of) the pool's or table's cells."""
        if self._fallback_epoch_s is None:
            times = [self._recorded_epoch_s(int(i)) for i in self._typical_cells()]
            med = float(np.nanmedian(times)) if len(times) else math.nan
            if not np.isfinite(med):
                raise SurrogateNBError(
                    f"no training time recorded for {self.plan.dataset!r}: simulated time needs "
                    "train_time_s in the table"
                )
            self._fallback_epoch_s = med
        return self._fallback_epoch_s

    def typical_full_s(self) -> float:
        """A typical training at the top fidelity, seconds."""
        return self.typical_epoch_s() * self.plan.top

    def step_costs(self, arch: object) -> np.ndarray:
        """(F,) train time of each fidelity's result on its own: an epoch (``"epochs"``) or
        a fresh training at that budget (``"budgets"``, ``"final"``)."""
        fids = self.plan.fids
        if self.kind == "epochs":
            return np.full(len(fids), self._epoch_s(arch))
        per = self._epoch_s(arch)
        out = []
        for b in fids:
            t = self._train_s(arch, str(b), b) if str(b) != str(self.hp) else math.nan
            out.append(t if np.isfinite(t) else per * b)
        return np.asarray(out, float)

    def fresh_cost(self, arch: object | None, k: int) -> float:
        """Train time of a *new* training to fidelity ``fids[k]`` (DEHB does not resume)."""
        if arch is None:
            return 0.0
        cum = self.curves(arch)[:, -1]  # cumulative step costs, cached per cell
        if self.kind == "epochs":
            return float(cum[k])
        return float(cum[k] - (cum[k - 1] if k else 0.0))

    # ---- values -------------------------------------------------------------------------------

    def _values(self, arch: object, m: str, sample: bool) -> np.ndarray:
        """(F,) values of metric `m` at each fidelity."""
        p = self.plan
        key = self.space.index_of(arch)
        if self.kind == "epochs":
            rng = np.random.default_rng([int(p.run_seed), key]) if sample else None
            seed = "sample" if sample else None
            if len(p.fids) == 1:  # a final value only (a final-epoch surrogate answers no curve)
                one = p.benchmark.query(arch, p.dataset, m, hp=self.hp, seed=seed, rng=rng)
                return np.asarray([one])
            curve = p.benchmark.curve(arch, p.dataset, m, hp=self.hp, seed=seed, rng=rng)
            return np.asarray(curve, float)
        out = []
        for k, b in enumerate(p.fids):
            rng = np.random.default_rng([int(p.run_seed), key, k]) if sample else None
            seed = "sample" if sample else None
            try:
                out.append(
                    float(p.benchmark.query(arch, p.dataset, m, hp=str(b), seed=seed, rng=rng))
                )
            except LookupError:  # the report metric exists at the target budget only
                out.append(float(p.benchmark.query(arch, p.dataset, m, hp=self.hp)))
        return np.asarray(out, float)

    def curves(self, arch: object | None) -> np.ndarray:
        """(F, n_objectives) for a cell, computed once per run (a configuration that names no
        cell: `INVALID_VALUE` at zero time)."""
        p = self.plan
        if arch is None:
            out = np.full((len(p.fids), len(p.names)), INVALID_VALUE)
            out[:, -1] = 0.0
            return out
        key = self.space.index_of(arch)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        cols = [self._values(arch, p.metric, p.signal_seed == "sample")]
        if p.report_metric != p.metric:
            cols.append(self._values(arch, p.report_metric, False))
        cols.append(np.cumsum(self.step_costs(arch)))
        out = np.stack(cols, axis=1)
        self._cache[key] = out
        return out

    def answer(
        self, configuration: Mapping[str, object], fidelity: Mapping[str, float] | None
    ) -> np.ndarray | dict[str, float]:
        """A blackbox's answer: (F, n_objectives) for all fidelities, or ``{objective: value}``
        at one."""
        arch = self.evaluated_arch(configuration)
        if arch is None:
            self.invalid_configs += 1
        values = self.curves(arch)
        if fidelity is None:
            return values
        f = int(next(iter(fidelity.values())))
        return dict(zip(self.plan.names, values[self.plan.fids.index(f)]))
