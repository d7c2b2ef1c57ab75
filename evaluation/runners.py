"""Search methods by name for the CLI: our optimizers and syne-tune's schedulers (`make_method`).

Every method is an object with the same `run(...)` contract (`BaseOptimizer.run`; syne-tune's
through `SyneTuneMethod`), so studies take instances of either.

Names: the keys of `surrogate_nb.evaluation.optimizers.OPTIMIZERS` (ours) and of
`surrogate_nb.evaluation.hpo.SCHEDULERS` (syne-tune's, prefixed ``st_``, incl. its SMAC3 wrapper
``st_smac``, and ``dehb``; they need the ``hpo`` extra). Every run returns a `Trajectory` under
the same cost model: simulated seconds = the training time of what the method actually trains
(per-epoch time × epochs on a curve benchmark; a budget's own training time on NB-101's
independent budgets; single-fidelity methods: the table's T, or `cost_epochs`).
``cost_epochs=N`` charges a single-fidelity method N epochs per evaluation and leaves its signal
what the benchmark records for the schedule (the last epoch, `BaseOptimizer.run`): for
syne-tune's RandomSearch, REA, TPE and BORE the blackbox then has one fidelity step, valued at
the last epoch and costing N epochs (`ChargedEpochs`), so they are charged and see exactly what
ours do. Multi-fidelity methods pay the epochs they train.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError
from surrogate_nb.evaluation.hpo import SCHEDULERS, require_method, run_syne_tune
from surrogate_nb.evaluation.optimizers import (
    OPTIMIZERS,
    BaseOptimizer,
    CellPool,
    Trajectory,
    make_optimizer,
)
from surrogate_nb.table import BenchmarkLike, Costs

#: Fewer evaluations than this per run make a comparison mostly noise (`compare_study` warns).
MIN_EVALUATIONS = 10


def method_names() -> list[str]:
    """Every accepted method name: ours, then syne-tune's."""
    return list(OPTIMIZERS) + list(SCHEDULERS)


def check_method(name: str) -> None:
    """Raise `UnknownKeyError` for an unknown name, `MissingExtraError` for a syne-tune one
    (or SMAC3 / DEHB) without the extra."""
    if name in SCHEDULERS:
        require_method(name)
    elif name not in OPTIMIZERS:
        raise UnknownKeyError("optimizer", name, method_names())


def is_multi_fidelity(name: str) -> bool:
    """Whether the method evaluates cells at fewer epochs than the table's T."""
    if name in SCHEDULERS:
        return SCHEDULERS[name][1]
    check_method(name)
    return bool(OPTIMIZERS[name].multi_fidelity)


def evaluations(traj: Trajectory) -> int:
    """Cells a run evaluated: syne-tune trials (each reports every epoch it trains), else rows."""
    return int(traj.meta.get("trials", len(traj)))


class SyneTuneMethod:
    """A syne-tune scheduler (``st_*`` name) with our optimizers' `run` contract, so studies
    take it as an instance beside `BaseOptimizer`s (its runs come from `run_syne_tune`)."""

    def __init__(self, name: str) -> None:
        if name not in SCHEDULERS:
            raise UnknownKeyError("syne-tune scheduler", name, list(SCHEDULERS))
        self.name = name
        self.multi_fidelity = SCHEDULERS[name][1]

    def __repr__(self) -> str:
        return f"SyneTuneMethod({self.name!r})"

    def run(
        self,
        benchmark: BenchmarkLike,
        dataset: str,
        metric: str,
        hp: str | None = None,
        budget_s: float = 12_000.0,
        rng: np.random.Generator | None = None,
        *,
        report_metric: str | None = None,
        pool: CellPool | None = None,
        signal_seed: int | str | None = None,
        cost_epochs: int | None = None,
    ) -> Trajectory:
        """One simulated run; ``cost_epochs`` charges a single-fidelity scheduler that many
        epochs per evaluation (module docstring; multi-fidelity ones pick their epochs)."""
        require_method(self.name)
        charged: BenchmarkLike = benchmark
        if cost_epochs is not None and not self.multi_fidelity:
            charged = ChargedEpochs(benchmark, cost_epochs)
        traj = run_syne_tune(
            self.name,
            charged,
            dataset,
            metric,
            hp,
            budget_s,
            rng,
            report_metric=report_metric,
            pool=pool,
            signal_seed=signal_seed,  # None or "sample"; an int seed is refused there
        )
        if isinstance(charged, ChargedEpochs):  # rows record the schedule's epochs, as ours
            traj.epochs = [epochs_of(benchmark, dataset, hp)] * len(traj)
            traj.meta["cost_epochs"] = charged.cost_epochs
        return traj


def epochs_of(benchmark: BenchmarkLike, dataset: str, hp: str | None) -> int:
    """T of (dataset, hp); `SurrogateNBError` where the benchmark cannot say."""
    T = benchmark.epochs(dataset, hp=hp)
    if T is None:
        raise SurrogateNBError(
            f"{type(benchmark).__name__} cannot say how many epochs {dataset!r} has (hp {hp}); "
            "charging epochs needs a table or a learning-curve surrogate"
        )
    return int(T)


class ChargedEpochs:
    """A benchmark seen by a single-fidelity syne-tune scheduler under ``cost_epochs=N``: one
    fidelity step whose value is the benchmark's last epoch (what our optimizers see) and whose
    cost is N epochs of the cell's per-epoch training time. Everything else (queries of the
    report metric, the table's cells, the space) passes through unchanged.

    Args:
        benchmark: a `BenchmarkLike` with curves (a table or a curve-surrogate benchmark).
        cost_epochs: epochs charged per evaluation (>= 1).
    """

    def __init__(self, benchmark: BenchmarkLike, cost_epochs: int) -> None:
        if isinstance(cost_epochs, bool) or not isinstance(cost_epochs, (int, np.integer)):
            raise SurrogateNBError(f"cost_epochs must be a whole number >= 1, got {cost_epochs!r}")
        if cost_epochs < 1:
            raise SurrogateNBError(f"cost_epochs must be >= 1, got {cost_epochs}")
        self.benchmark = benchmark
        self.cost_epochs = int(cost_epochs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.benchmark, name)

    def epochs(self, dataset: str, hp: str | None = None) -> int:
        """One fidelity step."""
        return 1

    def curve(
        self,
        arch: object,
        dataset: str,
        metric: str,
        hp: str | None = None,
        seed: int | str | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """The benchmark's curve cut to its last epoch: shape ``(1,)`` (``(n, 1)`` for many)."""
        curve = self.benchmark.curve(arch, dataset, metric, hp=hp, seed=seed, rng=rng)
        return np.asarray(curve)[..., -1:]

    def cost(self, arch: object, dataset: str, hp: str | None = None) -> Costs:
        """The benchmark's costs with one step = `cost_epochs` epochs of training."""
        c = self.benchmark.cost(arch, dataset, hp=hp).copy()
        per = c.get("train_time_per_epoch_s", math.nan)
        if not np.isfinite(per):
            per = c.get("train_time_s", math.nan) / epochs_of(self.benchmark, dataset, hp)
        step = per * self.cost_epochs
        c["train_time_s"] = step
        c["train_time_per_epoch_s"] = step
        return c


def make_method(name: str) -> BaseOptimizer | SyneTuneMethod:
    """The method called `name`: one of our optimizers, or a syne-tune scheduler (CLI names)."""
    check_method(name)
    return SyneTuneMethod(name) if name in SCHEDULERS else make_optimizer(name)
