"""The optimizer contract and the simulated-time driver every NAS optimizer runs under.

An optimizer is a small strategy object: `ask(rng)` proposes a cell, `tell(arch, value)` hands back
the signal the benchmark gave for it. `BaseOptimizer.run` is the driver that turns any object with
the benchmark `query`/`cost` API (a tabular `Benchmark` or a `SurrogateBenchmark`) into a simulated
NAS run: every evaluation is charged the training time the table records for that cell, and the run
stops before the first evaluation that would overrun `budget_s` (so the final time never exceeds
the budget). Everything random comes from the `rng` passed in, so a seed gives one trajectory.

Spaces and partial tables: optimizers search a `CellPool` (the cells of the benchmark's space that
it can answer for). On the full space the pool's `neighbours` / `mutate` are the space's own
mutations (NB201's 24 one-edge changes; NB-101's op change or edge flip); on a partial table they
are the pool cells at the smallest non-zero Hamming distance of the space's ``onehot`` encoding,
and `project` maps any cell to the nearest pool cell, so the same optimizer code runs on any space
and on a table holding any subset of it.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol

import numpy as np
from typing_extensions import TypeVar

from surrogate_nb.errors import InvalidValueError, SurrogateNBError
from surrogate_nb.space import DEFAULT_SPACE, SearchSpace, get_space
from surrogate_nb.table import Costs

#: The cell type of a pool's space and of the optimizer searching it (`Arch`, `Cell`, `Genome`);
#: unstated, it is ``Any`` (``RandomSearch()`` needs no annotation; ``RandomSearch[Arch]()`` asks
#: and tells `Arch` values).
A = TypeVar("A", default=Any)

# ---------------------------------------------------------------------------------------------
# The searchable cells


class CellPool(Generic[A]):
    """The set of cells an optimizer may propose: a whole space, or a table's subset of it.
    Generic in the space's cell type ``A`` (`Arch`, `Cell`, ...).

    Args:
        indices: indices (in the space's order) of the searchable cells; None = the whole space
            (kept unlisted for a space too large to enumerate, e.g. DARTS: `indices` is None).
        space: the search space (default `surrogate_nb.space.DEFAULT_SPACE`).

    Raises:
        SurrogateNBError: an empty pool.
    """

    def __init__(
        self,
        indices: Sequence[int] | np.ndarray | None = None,
        space: SearchSpace[A] | None = None,
    ) -> None:
        if space is None:
            space = get_space(DEFAULT_SPACE)
        self.space: SearchSpace[A] = space
        self.full = indices is None
        self._codes: np.ndarray | None = None  # onehot rows of a partial pool, built on demand
        if indices is None:  # the whole space: listed only where it can be enumerated
            self.indices: np.ndarray | None = (
                np.arange(space.cardinality, dtype=np.int64) if space.enumerable else None
            )
            return
        idx = np.unique(space.as_indices(np.asarray(indices, dtype=np.int64)))
        if idx.size == 0:
            raise SurrogateNBError("an optimizer needs at least one searchable cell; got none")
        self.indices = idx
        self.full = space.enumerable and idx.size == space.cardinality

    def __len__(self) -> int:
        return self.space.cardinality if self.indices is None else int(self.indices.size)

    def __contains__(self, arch: object) -> bool:
        i = self.space.index_of(arch)
        if self.indices is None:
            return True
        k = int(np.searchsorted(self.indices, i))
        return k < len(self.indices) and int(self.indices[k]) == i

    def arch(self, k: int) -> A:
        """The k-th cell of the pool (its index order)."""
        if self.indices is None:
            return self.space.from_index(int(k))
        return self.space.from_index(int(self.indices[k]))

    def sample(self, rng: np.random.Generator) -> A:
        """A uniformly random pool cell (the space's own `sample` on a space too large to
        list)."""
        if self.indices is None:
            return self.space.sample(rng)
        return self.arch(int(rng.integers(len(self))))

    def distances(self, arch: A) -> np.ndarray:
        """Hamming distance of the space's ``onehot`` encoding from `arch` to each pool cell."""
        if self._codes is None:
            assert self.indices is not None  # only a partial pool (always listed) measures
            self._codes = self.space.featurize(self.indices, "onehot") > 0.5
        code = self.space.featurize(np.asarray([self.space.index_of(arch)]), "onehot")[0] > 0.5
        return (self._codes != code).sum(axis=1)

    def project(self, arch: A, rng: np.random.Generator) -> A:
        """`arch` when in the pool, else a random pool cell at the smallest Hamming distance."""
        if self.full or arch in self:
            return arch
        dist = self.distances(arch)
        best = np.flatnonzero(dist == dist.min())
        return self.arch(int(best[rng.integers(best.size)]))

    def neighbours(self, arch: A) -> list[A]:
        """The space's one-mutation neighbours on the full space; on a partial pool the pool
        cells at the smallest non-zero Hamming distance of the ``onehot`` encoding."""
        if self.full:
            return self.space.neighbours(arch)
        dist = self.distances(arch)
        dist[dist == 0] = dist.max() + 1
        if len(self) < 2:
            return []
        return [self.arch(int(k)) for k in np.flatnonzero(dist == dist.min())]

    def mutate(self, arch: A, rng: np.random.Generator) -> A:
        """One random neighbour (the space's own mutation on the full space)."""
        if self.full:
            return self.space.mutate(arch, rng)
        options = self.neighbours(arch)
        return options[int(rng.integers(len(options)))] if options else self.sample(rng)


# ---------------------------------------------------------------------------------------------
# What a run records


@dataclass
class Trajectory:
    """One optimizer run: one row per evaluation, in the order they happened.

    Attributes:
        optimizer: registry name of the optimizer.
        time_s: (n,) cumulative simulated wall-clock time after each evaluation, seconds.
        arch_index: (n,) official index of the evaluated cell.
        epochs: (n,) training epochs the evaluation used (the table's T for single fidelity).
        signal: (n,) the search signal returned (e.g. validation accuracy, %).
        incumbent_index: (n,) the incumbent cell after each evaluation.
        incumbent_signal: (n,) the incumbent's signal (non-decreasing at the top fidelity).
        incumbent_report: (n,) the incumbent's `report_metric` at full fidelity (e.g. test acc, %).
        budget_s: the simulated budget, seconds.
        meta: the run's settings (dataset, metric, hp, signal seed mode, ...).
    """

    optimizer: str
    time_s: list[float] = field(default_factory=list)
    arch_index: list[int] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    signal: list[float] = field(default_factory=list)
    incumbent_index: list[int] = field(default_factory=list)
    incumbent_signal: list[float] = field(default_factory=list)
    incumbent_report: list[float] = field(default_factory=list)
    budget_s: float = math.inf
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.time_s)

    @property
    def final_report(self) -> float:
        """The last incumbent's report metric (NaN for an empty run)."""
        return self.incumbent_report[-1] if self.incumbent_report else math.nan

    def at(self, times: np.ndarray, *, what: str = "incumbent_report") -> np.ndarray:
        """Step-function value of `what` at each time in `times` (NaN before the first one)."""
        t = np.asarray(self.time_s, dtype=float)
        v = np.asarray(getattr(self, what), dtype=float)
        pos = np.searchsorted(t, np.asarray(times, dtype=float), side="right") - 1
        out = np.full(pos.shape, np.nan)
        ok = pos >= 0
        out[ok] = v[pos[ok]]
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "optimizer": self.optimizer,
            "budget_s": self.budget_s,
            "meta": self.meta,
            "time_s": list(map(float, self.time_s)),
            "arch_index": list(map(int, self.arch_index)),
            "epochs": list(map(int, self.epochs)),
            "signal": list(map(float, self.signal)),
            "incumbent_index": list(map(int, self.incumbent_index)),
            "incumbent_signal": list(map(float, self.incumbent_signal)),
            "incumbent_report": list(map(float, self.incumbent_report)),
        }


# ---------------------------------------------------------------------------------------------
# The contract


class RunnableBenchmark(Protocol):
    """What `BaseOptimizer.run` needs from a benchmark: its space, curve length, per-cell costs
    and values. Every `BenchmarkLike` (`Benchmark`, `SurrogateBenchmark`) is one, and so is a
    benchmark that trains the cells it is asked for (`evaluation.true_runs.TrainingBenchmark`)."""

    @property
    def space(self) -> SearchSpace:
        """The search space of the cells."""
        ...

    def epochs(self, dataset: str, hp: str | None = None) -> int | None:
        """T, the curve length of (dataset, hp), or None when unknown."""
        ...

    def cost(self, arch: object, dataset: str, hp: str | None = None) -> Costs:
        """Per-trial costs of one cell."""
        ...

    def query(
        self,
        arch: object,
        dataset: str,
        metric: str,
        hp: str | None = None,
        epoch: int | None = None,
        seed: int | str | None = None,
        rng: np.random.Generator | None = None,
    ) -> float | np.ndarray:
        """A metric of one cell; NaN where not recorded."""
        ...


def _cost_of(cost: Costs, epochs: int | None, total_epochs: int | None) -> float:
    """Simulated seconds for training a cell for `epochs` epochs (None = the table's full run)."""
    per_epoch = cost.get("train_time_per_epoch_s")
    total = cost.get("train_time_s")
    if epochs is None:
        if total is not None and np.isfinite(total):
            return float(total)
        epochs = total_epochs
    if per_epoch is None or not np.isfinite(per_epoch):
        if total is not None and np.isfinite(total) and total_epochs:
            per_epoch = float(total) / total_epochs
        else:
            raise SurrogateNBError(
                f"the benchmark records no training time for this cell (cost={cost}); a "
                "simulated-time run needs train_time_s or train_time_per_epoch_s"
            )
    if epochs is None:
        raise SurrogateNBError(
            f"the benchmark says neither the training time nor the epochs ({cost})"
        )
    return float(per_epoch) * int(epochs)


class BaseOptimizer(abc.ABC, Generic[A]):
    """A NAS optimizer over the cells of a space: `ask(rng)` proposes, `tell(arch, value)` learns.
    Generic in the space's cell type ``A``: ``RandomSearch[Arch]()`` proposes `Arch` values.

    Subclasses set `name` and implement `ask`/`tell`; `reset(pool, max_epochs)` is called by the
    driver before a run, so one instance can run many times (each run starts fresh). Multi-fidelity
    optimizers override `ask_fidelity` to also choose the number of training epochs.
    Larger signal values are better (pass a negated metric to minimise).
    """

    name: ClassVar[str] = "base"
    multi_fidelity: ClassVar[bool] = False

    pool: CellPool[A]
    max_epochs: int | None

    def reset(self, pool: CellPool[A], max_epochs: int | None = None) -> None:
        """Forget everything; search `pool` (with `max_epochs` epochs available per cell)."""
        self.pool = pool
        self.max_epochs = max_epochs

    @abc.abstractmethod
    def ask(self, rng: np.random.Generator) -> A:
        """The next cell to evaluate."""

    @abc.abstractmethod
    def tell(self, arch: A, value: float) -> None:
        """The signal observed for `arch` (NaN when the benchmark had no value)."""

    def ask_fidelity(self, rng: np.random.Generator) -> tuple[A, int | None]:
        """The next cell and its number of training epochs (None = the table's full run)."""
        return self.ask(rng), None

    def tell_fidelity(self, arch: A, epochs: int | None, value: float) -> None:
        """Like `tell`, for an evaluation at `epochs` epochs."""
        self.tell(arch, value)

    def run(
        self,
        benchmark: RunnableBenchmark,
        dataset: str,
        metric: str,
        hp: str | None = None,
        budget_s: float = 12_000.0,
        rng: np.random.Generator | None = None,
        *,
        report_metric: str | None = None,
        report_dataset: str | None = None,
        pool: CellPool[A] | None = None,
        signal_seed: int | str | None = "sample",
        cost_epochs: int | None = None,
        max_evals: int | None = None,
    ) -> Trajectory:
        """Run this optimizer against `benchmark` under a simulated wall-clock budget.

        Args:
            benchmark: a `RunnableBenchmark` (`Benchmark`, `SurrogateBenchmark`, ...); the run
                uses its `space`, `query`, `cost` and `epochs`.
            dataset: dataset setting of the signal (e.g. "cifar10-valid", "fashion-mnist").
            metric: signal metric, larger is better (e.g. "valid_acc").
            hp: the table's hp (None when the dataset has one).
            budget_s: simulated budget in seconds of training time.
            rng: the run's only source of randomness (required).
            report_metric: metric reported for the incumbent (e.g. "test_acc"); default `metric`.
            report_dataset: dataset of the report metric; default `dataset`.
            pool: the searchable cells; default the benchmark's whole space.
            signal_seed: "sample" (a random training seed per query, as NB201's experiments),
                None (mean over seeds) or one seed.
            cost_epochs: charge per-epoch time x this many epochs per evaluation instead of the
                recorded total train time (e.g. 12 to charge NB201's 12-epoch cost).
            max_evals: optional cap on the number of evaluations.

        Returns:
            The `Trajectory`; its last time is <= `budget_s`.

        Raises:
            SurrogateNBError: no rng, or a benchmark that records no training time.
        """
        if rng is None:
            raise SurrogateNBError(
                "run() needs rng=np.random.default_rng(seed): nothing else is random"
            )
        check_run_limits(budget_s, cost_epochs, max_evals)
        pool = pool or CellPool(space=benchmark.space)
        report_metric = report_metric or metric
        report_dataset = report_dataset or dataset
        total_epochs = benchmark.epochs(dataset, hp=hp)
        self.reset(pool, total_epochs)
        traj = Trajectory(
            optimizer=self.name,
            budget_s=float(budget_s),
            meta={
                "dataset": dataset,
                "metric": metric,
                "hp": hp,
                "report_metric": report_metric,
                "report_dataset": report_dataset,
                "signal_seed": signal_seed,
                "cost_epochs": cost_epochs,
                "pool_size": len(pool),
            },
        )
        now = 0.0
        best_key: tuple[int, float] = (-1, -math.inf)
        # (index, signal, report); the first finite result always replaces it (fidelity >= 0)
        inc: tuple[int, float, float] = (-1, math.nan, math.nan)
        report_cache: dict[int, float] = {}
        misses = 0
        while max_evals is None or len(traj) < max_evals:
            arch, epochs = self.ask_fidelity(rng)
            charged = cost_epochs if epochs is None else epochs
            seconds = _cost_of(benchmark.cost(arch, dataset, hp=hp), charged, total_epochs)
            if now + seconds > budget_s:
                break
            seed_kw: dict[str, Any] = {"seed": signal_seed}
            if signal_seed == "sample":
                seed_kw["rng"] = rng
            epoch_kw: dict[str, Any] = {} if epochs is None else {"epoch": epochs - 1}  # 0-based
            value = float(benchmark.query(arch, dataset, metric, hp=hp, **epoch_kw, **seed_kw))
            if signal_seed == "sample" and not np.isfinite(value):
                # The drawn seed may lack this metric (e.g. an imported table whose mean-only
                # columns sit under a pseudo-seed): redraw a few times, then use the mean.
                for _ in range(8):
                    value = float(
                        benchmark.query(arch, dataset, metric, hp=hp, **epoch_kw, **seed_kw)
                    )
                    if np.isfinite(value):
                        break
                else:
                    value = float(benchmark.query(arch, dataset, metric, hp=hp, **epoch_kw))
            self.tell_fidelity(arch, epochs, value)
            if not np.isfinite(value):  # a cell the benchmark cannot answer: free, but bounded
                misses += 1
                if misses > 10 * len(pool) + 1000:
                    raise SurrogateNBError(
                        f"{self.name}: the benchmark returned no {metric!r} value for "
                        f"{misses} proposals; is the pool restricted to the table's cells?"
                    )
                continue
            now += seconds
            fid = total_epochs if epochs is None else epochs
            key = (int(fid or 0), value)
            if key > best_key:
                best_key = key
                idx = pool.space.index_of(arch)
                if idx not in report_cache:
                    report_cache[idx] = float(
                        benchmark.query(arch, report_dataset, report_metric, hp=hp, seed=None)
                    )
                inc = (idx, value, report_cache[idx])
            traj.time_s.append(now)
            traj.arch_index.append(pool.space.index_of(arch))
            traj.epochs.append(int(fid or 0))
            traj.signal.append(value)
            traj.incumbent_index.append(inc[0])
            traj.incumbent_signal.append(inc[1])
            traj.incumbent_report.append(inc[2])
        return traj


class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)


def labelled(optimizers: Sequence[N] | Mapping[str, N]) -> dict[str, N]:
    """{label: optimizer}: a mapping as given, a sequence labelled by each optimizer's `name`
    (ours, or anything named, e.g. a syne-tune method of `evaluation.runners`).

    Raises:
        SurrogateNBError: two optimizers of a sequence share a name (pass a mapping instead).
    """
    if isinstance(optimizers, Mapping):
        return dict(optimizers)
    out: dict[str, N] = {}
    for opt in optimizers:
        if opt.name in out:
            raise SurrogateNBError(
                f"two optimizers are both named {opt.name!r}; pass a mapping "
                "{label: optimizer} to tell them apart"
            )
        out[opt.name] = opt
    return out


def check_run_limits(
    budget_s: float, cost_epochs: int | None = None, max_evals: int | None = None
) -> None:
    """Refuse limits under which a run cannot finish or means nothing: a budget that is not a
    finite number > 0 (an infinite one only with ``max_evals``), ``cost_epochs`` < 1,
    ``max_evals`` < 1.

    Raises:
        InvalidValueError: naming the value and the allowed range.
    """

    def is_int(v: object) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if max_evals is not None and (not is_int(max_evals) or max_evals < 1):
        raise InvalidValueError(f"max_evals must be an integer >= 1, got {max_evals!r}")
    try:
        budget = float(budget_s)
    except (TypeError, ValueError):
        budget = math.nan
    if not budget > 0 or (math.isinf(budget) and max_evals is None):
        raise InvalidValueError(
            f"budget must be a finite number of simulated seconds > 0, got {budget_s!r}"
        )
    if cost_epochs is not None and (not is_int(cost_epochs) or cost_epochs < 1):
        raise InvalidValueError(
            f"cost_epochs must be an integer >= 1 (epochs charged per evaluation), "
            f"got {cost_epochs!r}"
        )


def run_repeats(
    optimizer: BaseOptimizer[A],
    benchmark: RunnableBenchmark,
    dataset: str,
    metric: str,
    hp: str | None,
    budget_s: float,
    rng: np.random.Generator,
    repeats: int,
    **kwargs: Any,
) -> list[Trajectory]:
    """`repeats` independent runs; repeat r uses the r-th child of `rng` (reproducible)."""
    children = rng.spawn(repeats)
    return [
        optimizer.run(benchmark, dataset, metric, hp, budget_s, child, **kwargs)
        for child in children
    ]
