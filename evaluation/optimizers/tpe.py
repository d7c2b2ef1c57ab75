"""Tree-structured Parzen Estimator via Optuna's ask/tell interface (seeded `TPESampler`).

The six edges are six categorical parameters over the op names. Optuna's own random startup
phase (`n_startup_trials`) is kept. On a partial table the suggested cell is replaced by its
nearest pool cell and the trial is told that cell's value.
"""

from __future__ import annotations

import math

import numpy as np

from surrogate_nb.evaluation.optimizers.base import BaseOptimizer, CellPool
from surrogate_nb.space import NUM_EDGES, OPS, Arch


class TPE(BaseOptimizer):
    """Optuna TPE.

    Args:
        n_startup_trials: random trials before the TPE model is used.
        multivariate: Optuna's multivariate TPE (models the edges jointly).
    """

    name = "tpe"

    def __init__(self, n_startup_trials: int = 10, multivariate: bool = True) -> None:
        self.n_startup_trials = n_startup_trials
        self.multivariate = multivariate

    def reset(self, pool: CellPool, max_epochs: int | None = None) -> None:
        super().reset(pool, max_epochs)
        self.study_ = None
        self.pending_: dict[int, list] = {}

    def _study(self, rng: np.random.Generator):
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

    def ask(self, rng: np.random.Generator) -> Arch:
        import optuna

        study = self._study(rng)
        dist = optuna.distributions.CategoricalDistribution(list(OPS))
        trial = study.ask({f"edge{e}": dist for e in range(NUM_EDGES)})
        arch = self.pool.project(
            Arch.from_ops([trial.params[f"edge{e}"] for e in range(NUM_EDGES)]), rng
        )
        self.pending_.setdefault(arch.index, []).append(trial)
        return arch

    def tell(self, arch: Arch, value: float) -> None:
        import optuna

        trial = self.pending_[arch.index].pop(0)
        if math.isfinite(value):
            self.study_.tell(trial, value)
        else:
            self.study_.tell(trial, state=optuna.trial.TrialState.FAIL)
