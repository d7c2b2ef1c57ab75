"""Hyper-parameter tuning with Optuna TPE on a validation split of the training data only.

The objective is Kendall τ (`surrogate_nb.ranking`) between the validation predictions and truth,
the quantity the surrogate is judged on. The split is drawn from the caller's `rng`, the TPE sampler
is seeded from it too, and the trial budget is fixed, so the same inputs give the same parameters.
Test cells never reach this module: callers pass their training rows only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from surrogate_nb.errors import DataError
from surrogate_nb.ranking import kendall_tau
from surrogate_nb.regressors.base import BaseRegressor


def split_train_valid(
    n: int, valid_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random (train rows, valid rows) of range(n); the valid part has >= 2 rows."""
    if not 0.0 < valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be in (0, 1), got {valid_fraction}")
    n_valid = max(2, round(n * valid_fraction))
    if n - n_valid < 2:
        raise DataError(f"too few training samples ({n}) to hold out a validation split", n)
    perm = rng.permutation(n)
    return perm[n_valid:], perm[:n_valid]


def tune(
    model_cls: type[BaseRegressor],
    X: np.ndarray,
    y: np.ndarray,
    *,
    n_trials: int,
    rng: np.random.Generator,
    valid_fraction: float = 0.2,
    fixed: dict[str, Any] | None = None,
    tuning_members: int = 2,
) -> dict[str, Any]:
    """Best hyper-parameters of `model_cls` found by TPE in `n_trials` trials.

    Args:
        model_cls: a `BaseRegressor` subclass with a `search_space`.
        X: training features (n, d); y: training targets (n,).
        n_trials: fixed trial budget (0 returns `fixed` unchanged).
        rng: drives the validation split, the sampler seed and the model seeds.
        valid_fraction: fraction of the training rows held out for scoring.
        fixed: parameters that are not tuned (passed to every trial).
        tuning_members: ensemble size during tuning (the final fit uses the full size);
            small keeps trials cheap, the ranking of settings barely depends on it.

    Returns:
        `fixed` updated with the best trial's parameters.
    """
    import optuna

    fixed = dict(fixed or {})
    if n_trials <= 0:
        return fixed
    tr, va = split_train_valid(len(y), valid_fraction, rng)
    model_seed = int(rng.integers(0, 2**31 - 1))
    sampler = optuna.samplers.TPESampler(seed=int(rng.integers(0, 2**31 - 1)))

    def objective(trial: optuna.Trial) -> float:
        params = {**fixed, **model_cls.search_space(trial)}
        if "n_members" in model_cls._param_names():
            params["n_members"] = tuning_members
        params["random_state"] = model_seed
        mean, _ = model_cls(**params).fit(X[tr], y[tr]).predict(X[va])
        tau = kendall_tau(mean, y[va])
        return tau if np.isfinite(tau) else -1.0

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=int(n_trials))
    return {**fixed, **study.best_params}
