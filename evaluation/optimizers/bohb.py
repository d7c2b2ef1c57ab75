"""BOHB (Falkner et al. 2018): Hyperband whose new cells come from a TPE model.

Brackets, rungs and promotions are `Hyperband`'s. Each new cell of a bracket is drawn at random
with probability `random_fraction` (BOHB's ρ = 1/3), else from a TPE model (Optuna's
multivariate `TPESampler`, the space's `choices` as categorical parameters) fitted on the
results of the largest budget that has at least `min_points` finite results; while no budget
has that many, cells are drawn at random. BOHB's own default for `min_points` is d + 1 (d
parameters: 33 for the DARTS space, whose runs rarely reach it); ours is 10, Optuna's TPE
start-up count and our `TPE`'s default.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.evaluation.optimizers.base import A, CellPool
from surrogate_nb.evaluation.optimizers.hyperband import Hyperband

#: TPE suggestions that are no cell of the space, before a random cell is drawn instead.
_MAX_INVALID = 100


class BOHB(Hyperband[A]):
    """Hyperband with TPE-proposed cells.

    Args:
        eta, min_epochs: as `Hyperband`.
        random_fraction: share of new cells drawn uniformly at random.
        min_points: finite results a budget needs before its TPE model proposes cells.
    """

    name = "bohb"

    def __init__(
        self,
        eta: int = 3,
        min_epochs: int = 1,
        random_fraction: float = 1 / 3,
        min_points: int = 10,
    ) -> None:
        super().__init__(eta, min_epochs)
        if not 0.0 <= random_fraction <= 1.0 or min_points < 1:
            raise ValueError(
                "BOHB needs 0 <= random_fraction <= 1 and min_points >= 1, got "
                f"{random_fraction}, {min_points}"
            )
        self.random_fraction = random_fraction
        self.min_points = min_points

    def reset(self, pool: CellPool[A], max_epochs: int | None = None) -> None:
        super().reset(pool, max_epochs)
        self.observed_: dict[int, list[tuple[list[int], float]]] = {}  # epochs -> results
        self.studies_: dict[int, tuple[Any, int]] = {}  # epochs -> (study, results added)
        self.dists_: dict[str, Any] = {}

    def model_budget(self) -> int | None:
        """The largest budget (epochs) with at least `min_points` finite results, else None."""
        ready = [
            e
            for e, results in self.observed_.items()
            if sum(math.isfinite(v) for _, v in results) >= self.min_points
        ]
        return max(ready) if ready else None

    def _new_cell(self, rng: np.random.Generator) -> A:
        budget = self.model_budget()
        if budget is None or rng.random() < self.random_fraction:
            return self.pool.sample(rng)
        return self._from_model(budget, rng)

    def _from_model(self, budget: int, rng: np.random.Generator) -> A:
        import optuna

        space = self.pool.space
        params = space.choices()
        study = self._study(budget)
        # a fresh sampler per proposal, seeded from the run's stream (TPESampler keeps no state
        # that a proposal needs from the last one; its model is the study's trials)
        study.sampler = optuna.samplers.TPESampler(
            seed=int(rng.integers(2**31 - 1)), n_startup_trials=0, multivariate=True
        )
        for _ in range(_MAX_INVALID):
            trial = study.ask(self.dists_)
            # closed at once (TPE ignores failed trials); the cell's result joins the study as a
            # completed trial of its own when told
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            try:
                arch = space.from_choices([trial.params[name] for name, _ in params])
            except InvalidArchError:
                continue
            return self.pool.project(arch, rng)
        return self.pool.sample(rng)

    def _study(self, budget: int) -> Any:
        """The study of `budget` (made on first use), holding every finite result told at that
        budget so far (added incrementally: one study per budget, not one per proposal)."""
        import optuna

        if budget not in self.studies_:
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            self.dists_ = {
                name: optuna.distributions.CategoricalDistribution(list(range(len(options))))
                for name, options in self.pool.space.choices()
            }
            study = optuna.create_study(direction="maximize")
            self.studies_[budget] = (study, 0)
        study, synced = self.studies_[budget]
        names = [name for name, _ in self.pool.space.choices()]
        results = self.observed_[budget]
        study.add_trials(
            [
                optuna.trial.create_trial(
                    params=dict(zip(names, choices)), distributions=self.dists_, value=value
                )
                for choices, value in results[synced:]
                if math.isfinite(value)
            ]
        )
        self.studies_[budget] = (study, len(results))
        return study

    def tell_fidelity(self, arch: A, epochs: int | None, value: float) -> None:
        super().tell_fidelity(arch, epochs, value)
        budget = self.T_ if epochs is None else int(epochs)
        choices = self.pool.space.to_choices(self.pool.space.as_arch(arch))
        self.observed_.setdefault(budget, []).append((choices, float(value)))
