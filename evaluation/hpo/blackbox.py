"""`to_blackbox`: a syne-tune ``Blackbox`` over the cells of any benchmark of ours.

The blackbox's answers come from `cells.CellAnswers`; this module plans what it answers
(`fidelity.fidelity_plan`, the pool, the objectives) and wraps the answers in syne-tune's class.
"""

from __future__ import annotations

import functools

import numpy as np

from surrogate_nb.evaluation.hpo.cells import BlackboxPlan, CellAnswers, signal_mode
from surrogate_nb.evaluation.hpo.configs import FIDELITY, config_space
from surrogate_nb.evaluation.hpo.extra import require_syne_tune
from surrogate_nb.evaluation.hpo.fidelity import fidelity_plan
from surrogate_nb.evaluation.optimizers.base import CellPool
from surrogate_nb.table import BenchmarkLike


def _table_pool(
    benchmark: BenchmarkLike, dataset: str, metric: str, hp: str | None
) -> CellPool | None:
    """A table's cells with a `metric` value; None (the whole space) for a surrogate."""
    to_xy = getattr(benchmark, "to_xy", None)
    if to_xy is None or not hasattr(benchmark, "array"):
        return None
    return CellPool(to_xy(dataset, metric, hp=hp)[0], space=benchmark.space)


@functools.cache
def _blackbox_class() -> type:
    """syne-tune's ``Blackbox`` answering through `CellAnswers` (built on first use: syne-tune
    is optional)."""
    from syne_tune.blackbox_repository.blackbox import Blackbox
    from syne_tune.config_space import randint

    class SpaceBlackbox(CellAnswers, Blackbox):
        """The cells of one benchmark as a syne-tune blackbox (see `to_blackbox`)."""

        def __init__(self, plan: BlackboxPlan) -> None:
            Blackbox.__init__(
                self,
                configuration_space=config_space(plan.space),
                fidelity_space={FIDELITY: randint(min(plan.fids), max(plan.fids))},
                objectives_names=plan.names,
            )
            CellAnswers.__init__(self, plan)

        def _objective_function(
            self,
            configuration: dict[str, object],
            fidelity: dict[str, float] | None = None,
            seed: int | None = None,
        ) -> np.ndarray | dict[str, float]:
            return self.answer(configuration, fidelity)

    return SpaceBlackbox


def to_blackbox(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    report_metric: str | None = None,
    pool: CellPool | None = None,
    signal_seed: int | str | None = None,
    run_seed: int = 0,
    fidelity: str = "auto",
) -> CellAnswers:
    """A syne-tune ``Blackbox`` answering the cells of `benchmark`'s space (package docstring).

    Args:
        benchmark: a `Benchmark` or `SurrogateBenchmark` (a curve surrogate for ``"epochs"``
            with T > 1, or one surrogate per budget for ``"budgets"``).
        dataset, metric, hp: the signal (larger is better); `hp` is the target budget.
        report_metric: second objective, the metric reported for incumbents (default `metric`).
        pool: cells that can be answered (default: every cell with a `metric` value in a table;
            the whole space for a surrogate).
        signal_seed: None (means) or "sample" (one single-run curve per run and cell); an int
            seed is refused (`UnknownKeyError`).
        run_seed: keys the single-run draws of ``"sample"``.
        fidelity: ``"auto"``, ``"epochs"``, ``"budgets"`` or ``"final"`` (`fidelity_plan`).

    Raises:
        UnknownKeyError: a `signal_seed` other than None or ``"sample"``, an unknown
            `fidelity` (`fidelity_plan`).

    Returns:
        A ``syne_tune.blackbox_repository.blackbox.Blackbox`` (and `CellAnswers`) with
        ``objectives_names`` = [metric, report_metric (if different), "elapsed_time"];
        ``fidelity_values`` from `fidelity_plan`; ``kind`` the fidelity kind.
    """
    require_syne_tune()
    mode = signal_mode(signal_seed)
    kind, fids, hp = fidelity_plan(benchmark, dataset, metric, hp, fidelity)
    plan = BlackboxPlan(
        benchmark=benchmark,
        dataset=dataset,
        metric=metric,
        report_metric=report_metric or metric,
        hp=hp,
        kind=kind,
        fids=fids,
        pool=pool if pool is not None else _table_pool(benchmark, dataset, metric, hp),
        signal_seed=mode,
        run_seed=run_seed,
    )
    answers: CellAnswers = _blackbox_class()(plan)
    return answers
