"""Quality metrics of a surrogate's predictions (mean, std) against held-out truth.

`holdout_metrics` fits a surrogate on random cells and scores it on all the others.

Ranking: Kendall τ, sparse Kendall τ (NB301: predictions and truth rounded to 0.1 points first, so
differences below the benchmark's noise tie), Spearman ρ, all from `surrogate_nb.ranking`.
Regression: R², RMSE. Uncertainty: Gaussian negative log-likelihood (mean over cells, natural log)
and the empirical coverage of the central 50% and 90% Gaussian intervals mean ± z·std. Computed with
scipy / scikit-learn.
"""

from __future__ import annotations

import numpy as np

from surrogate_nb import ranking
from surrogate_nb.regressors import SurrogateModel, fit_on_cells


def _arrays(*arrays: object) -> list[np.ndarray]:
    out = [np.asarray(a, dtype=np.float64).reshape(-1) for a in arrays]
    n = len(out[0])
    if any(len(a) != n for a in out):
        raise ValueError(f"arrays differ in length: {[len(a) for a in out]}")
    if n < 2:
        raise ValueError(f"need at least 2 values, got {n}")
    return out


def kendall_tau(y_true: object, y_pred: object) -> float:
    """Kendall τ-b between truth and predictions (`surrogate_nb.ranking.kendall_tau`)."""
    return ranking.kendall_tau(*_arrays(y_true, y_pred))


def sparse_kendall_tau(y_true: object, y_pred: object, decimals: int = 1) -> float:
    """Kendall τ-b after rounding both to `decimals` (0.1 points for accuracies in percent)."""
    t, p = _arrays(y_true, y_pred)
    return ranking.sparse_kendall_tau(t, p, decimals=decimals)


def spearman(y_true: object, y_pred: object) -> float:
    """Spearman rank correlation (`surrogate_nb.ranking.spearman`)."""
    return ranking.spearman(*_arrays(y_true, y_pred))


def r2(y_true: object, y_pred: object) -> float:
    """Coefficient of determination R²."""
    from sklearn.metrics import r2_score

    t, p = _arrays(y_true, y_pred)
    return float(r2_score(t, p))


def rmse(y_true: object, y_pred: object) -> float:
    """Root mean squared error."""
    from sklearn.metrics import mean_squared_error

    t, p = _arrays(y_true, y_pred)
    return float(np.sqrt(mean_squared_error(t, p)))


def gaussian_nll(y_true: object, mean: object, std: object) -> float:
    """Mean negative log-density of y_true under N(mean, std²) (natural log)."""
    from scipy.stats import norm

    t, m, s = _arrays(y_true, mean, std)
    if np.any(s <= 0):
        raise ValueError("std must be > 0 everywhere")
    return float(-norm.logpdf(t, loc=m, scale=s).mean())


def coverage(y_true: object, mean: object, std: object, level: float) -> float:
    """Fraction of y_true inside the central `level` interval of N(mean, std²)."""
    from scipy.stats import norm

    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    t, m, s = _arrays(y_true, mean, std)
    lo, hi = norm.interval(level, loc=m, scale=s)
    return float(np.mean((t >= lo) & (t <= hi)))


#: The keys of `all_metrics`, in order.
METRIC_KEYS: tuple[str, ...] = (
    "kendall_tau",
    "sparse_kendall_tau",
    "spearman",
    "r2",
    "rmse",
    "nll",
    "coverage_50",
    "coverage_90",
)


def all_metrics(y_true: object, mean: object, std: object) -> dict[str, float]:
    """Every metric above as a JSON-ready dict.

    Keys: `METRIC_KEYS` (kendall_tau, sparse_kendall_tau, spearman, r2, rmse, nll, coverage_50,
    coverage_90).

    >>> m = all_metrics([1.0, 2.0, 3.0], [1.1, 2.1, 2.9], [0.2, 0.2, 0.2])
    >>> round(m["kendall_tau"], 3), m["coverage_90"]
    (1.0, 1.0)
    """
    return {
        "kendall_tau": kendall_tau(y_true, mean),
        "sparse_kendall_tau": sparse_kendall_tau(y_true, mean),
        "spearman": spearman(y_true, mean),
        "r2": r2(y_true, mean),
        "rmse": rmse(y_true, mean),
        "nll": gaussian_nll(y_true, mean, std),
        "coverage_50": coverage(y_true, mean, std, 0.5),
        "coverage_90": coverage(y_true, mean, std, 0.9),
    }


def holdout_metrics(
    indices: object,
    y: object,
    *,
    surrogate: SurrogateModel,
    train_size: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Fit a copy of `surrogate` on `train_size` random cells of (indices, y) (drawn by
    `surrogate_nb.regressors.fit_on_cells`); score it on all the rest.

    Args:
        indices: cells with a value (int64 NB201 indices, (n,)).
        y: their values (n,).
        surrogate: an unfitted surrogate, e.g. ``Surrogate(XGBRegressor())``; it stays unfitted.
        train_size: number of training cells, drawn uniformly without replacement with `rng`.
        rng: draws the split and drives the fit.

    Returns:
        `all_metrics` on the held-out cells plus n_train, n_test and fit_s (seconds).

    Raises:
        DataError: `train_size` leaves fewer than 2 test cells.
    """
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    yy = np.asarray(y, dtype=np.float64).reshape(-1)
    fit = fit_on_cells(surrogate, idx, yy, rng=rng, train_size=train_size, min_test=2)
    mean, std = fit.surrogate.predict(idx[fit.test])
    out = all_metrics(yy[fit.test], mean, std)
    out.update(n_train=len(fit.train), n_test=len(fit.test), fit_s=float(fit.seconds))
    return out
