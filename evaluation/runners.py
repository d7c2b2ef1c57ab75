"""Search methods by name for the CLI: our optimizers and syne-tune's schedulers (`make_method`).

Every method is an object with the same `run(...)` contract (`BaseOptimizer.run`; syne-tune's
through `SyneTuneMethod`), so studies take instances of either.

Names: the keys of `surrogate_nb.evaluation.optimizers.OPTIMIZERS` (ours) and of
`surrogate_nb.evaluation.hpo.SCHEDULERS` (syne-tune's, prefixed ``st_``, incl. its SMAC3 wrapper
``st_smac``, and ``dehb``; they need the ``hpo`` extra). Every run returns a `Trajectory` under
the same cost model: simulated seconds = the training time of what the method actually trains
(per-epoch time × epochs on a curve benchmark; a budget's own training time on NB-101's
independent budgets; single-fidelity methods: the table's T, or `cost_epochs` for ours).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.evaluation.hpo import SCHEDULERS, require_method, run_syne_tune
from surrogate_nb.evaluation.optimizers import (
    OPTIMIZERS,
    BaseOptimizer,
    CellPool,
    Trajectory,
    make_optimizer,
)

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
        benchmark: Any,
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
        """One simulated run (``cost_epochs`` does not apply: schedulers pick their epochs)."""
        require_method(self.name)
        return run_syne_tune(
            self.name,
            benchmark,
            dataset,
            metric,
            hp,
            budget_s,
            rng,
            report_metric=report_metric,
            pool=pool,
            signal_seed=signal_seed,  # None or "sample"; an int seed is refused there
        )


def make_method(name: str) -> BaseOptimizer | SyneTuneMethod:
    """The method called `name`: one of our optimizers, or a syne-tune scheduler (CLI names)."""
    check_method(name)
    return SyneTuneMethod(name) if name in SCHEDULERS else make_optimizer(name)
