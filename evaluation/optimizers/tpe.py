"""Tree-structured Parzen Estimator via Optuna's ask/tell interface (seeded `TPESampler`).

The space's categorical parameters (`SearchSpace.choices`: NB201's six edges over the op names;
NB-101's 21 edge bits and 5 ops) are Optuna categorical distributions. Optuna's own random
startup phase (`n_startup_trials`) is kept. A suggestion that is no cell of the space is told to
Optuna as failed and another is asked. On a partial table the suggested cell is replaced by its
nearest pool cell and the trial is told that cell's value.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from surrogate_nb.errors import InvalidArchError, SurrogateNBError
from surrogate_nb.evaluation.optimizers.base import A, BaseOptimizer, CellPool

if TYPE_CHECKING:  # optuna is imported on the first ask (it is slow to import)
    import optuna

#: Suggestions before giving up on finding a valid cell.
_MAX_ASKS = 10_000


class TPE(BaseOptimizer[A]):
    """Optuna TPE.

    Args:
        n_startup_trials: random trials before the TPE model is used.
        multivariate: Optuna's multivariate TPE (models the edges jointly).
    """

    name = "tpe"

    def __init__(self, n_startup_trials: int = 10, multivariate: bool = True) -> None:
        self.n_startup_trials = n_startup_trials
        self.multivariate = multivariate

    def reset(self, pool: CellPool[A], max_epochs: int | None = None) -> None:
        super().reset(pool, max_epochs)
        self.study_: optuna.Study | None = None
        #: Optuna trials asked for each cell index and not yet told, oldest first
        self.pending_: dict[int, list[optuna.trial.Trial]] = {}

    def _study(self, rng: np.random.Generator) -> optuna.Study:
        import optuna

        if self.study_ is None:
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            sampler = optuna.samplers.TPESampler(
                seed=int(rng.integers(2**31 - 1)),
                n_startup_trials=self.n_startup_trials,
                multivariate=self.multivariate,
            )
            self.study_ = optuna.create_study(direction="maximize", sampler=sampler)
        return self.study_

    def ask(self, rng: np.random.Generator) -> A:
        import optuna

        study = self._study(rng)
        space = self.pool.space
        params = space.choices()
        dists: dict[str, optuna.distributions.BaseDistribution] = {
            name: optuna.distributions.CategoricalDistribution(list(range(len(options))))
            for name, options in params
        }
        for _ in range(_MAX_ASKS):
            trial = study.ask(dists)
            try:
                arch = space.from_choices([trial.params[name] for name, _ in params])
            except InvalidArchError:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            arch = self.pool.project(arch, rng)
            self.pending_.setdefault(space.index_of(arch), []).append(trial)
            return arch
        raise SurrogateNBError(f"TPE suggested {_MAX_ASKS} invalid cells in a row")

    def tell(self, arch: A, value: float) -> None:
        import optuna

        trial = self.pending_[self.pool.space.index_of(arch)].pop(0)
        assert self.study_ is not None  # a pending trial was asked of it
        if math.isfinite(value):
            self.study_.tell(trial, value)
        else:
            self.study_.tell(trial, state=optuna.trial.TrialState.FAIL)
