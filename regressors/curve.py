"""Learning-curve surrogates: a metric at every recorded epoch / budget, mean ± std, and draws of
plausible single-run curves.

`CurveModel` works on any feature matrix ``X (n, d)`` and curves ``Y (n, S, T)`` (S seeds, T
recorded epochs or budgets, NaN where a run is missing), so it serves any search space whose cells
have features (NB201's `featurize`, NB101 graph encodings, ...). Two designs (``design=``):

* ``"svd"`` (NAS-Bench-x11): centre the seed-mean curves (in the target-transformed space), keep
  the top-k right singular vectors (k explains 99 % of the variance, or ``n_components``), fit one
  bagged regressor per coefficient. Mean = reconstruction; variance = Σ_j V_je² σ_j² (coefficient
  errors taken as independent) plus the truncation residual's per-epoch variance.
* ``"epoch"``: one bagged regressor on rows ``(x, log(budget_e))`` → value at e (n·T rows): the
  JAHS-Bench-201 / YAHPO style of a fidelity as one more input.

Measured on held-out cells (`benchmarks/curve_surrogate.py`): on the Fashion-MNIST table (5
random 80/20 splits) ``"epoch"`` has the lower RMSE and higher Kendall τ averaged over the 12
epochs (4.23 vs 4.27 points, 0.743 vs 0.734) and at the last epoch (3.77 vs 4.02, 0.816 vs
0.795), ``"svd"`` wins the first two epochs, and ``"epoch"`` fits 2-5× faster; so ``"epoch"``
is `CurveModel`'s default. On NB-101's four budgets (4,236 training cells, NB-101 ``full``
features, 4,000 held-out cells, 3 draws) ``"svd"`` is better at every budget (τ 0.815 vs 0.786
at 108 epochs, 0.762 vs 0.744 at 36); so `fit_curve_from_table` (and
`SurrogateBenchmark.from_curves`) pick ``"svd"`` for budget curves and ``"epoch"`` for per-epoch
curves unless told (``design=``).

Both then share:

* **Target transform** (as `Surrogate`): ``log_error`` t = −log(100 − y) for percentages, else
  identity; std is mapped back by the delta method.
* **Calibration** per epoch: K-fold cross-validation over cells gives z = |y − mean| / std for every
  (held-out cell, epoch); std at epoch e is scaled by s_e = quantile(z_·e, 0.9) / 1.645.
* **Noise model** (what one training run adds to the seed mean), fitted on the table's seeds in the
  transformed space: residuals r_ise = t_ise − mean_s t_ise (rescaled by S / (S − 1), the bias of
  deviations from a mean of S), a per-epoch sd σ_e, a pooled epoch-by-epoch correlation matrix C,
  and a per-cell variance ratio g(x) (a small LightGBM fit of the cell's mean squared standardised
  residual on its features: some cells are noisier than others). A single-run draw is
  t = m(x) + √g(x) · σ ⊙ (L z) with L Lᵀ = C, mapped back. With one seed per cell there is no noise
  model and `sample` refuses.

`CurveSurrogate` wraps a `CurveModel` with the features of its space's cells (``space=``,
`SearchSpace.featurize`) and a memo of the cells asked for so far (filled in chunks; NB-101's
423,624 cells fit in ~30 MB at 4 budgets); `SurrogateBenchmark` answers ``query(..., epoch=e)``
and ``curve`` with it. Its curve positions are either the epochs of one training schedule, or
(``hps=``, `budget_curves_from_table`) the budgets of a table whose schedules are budgets, as
NB-101's hp 4 / 12 / 36 / 108: one position per schedule, its final value, the budget as the
fidelity; `SurrogateBenchmark` then answers ``hp=<budget>`` like the table (one epoch per
schedule).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from surrogate_nb import _atomic
from surrogate_nb.errors import (
    InvalidArchError,
    ModelFormatError,
    NotFittedError,
    SurrogateNBError,
    UnknownKeyError,
)
from surrogate_nb.regressors.base import BaseRegressor
from surrogate_nb.regressors.features import check_features, feature_names, featurize
from surrogate_nb.regressors.lgb import LGBRegressor
from surrogate_nb.regressors.surrogate import (
    LOG_ERROR_BOUND,
    REGRESSORS,
    _forward,
    _inverse,
    _sha256,
    _slope,
    library_versions,
)
from surrogate_nb.space import DEFAULT_SPACE, SearchSpace, as_space
from surrogate_nb.table import Benchmark

DESIGNS = ("svd", "epoch")
FORMAT = "surrogate-nb/curve-surrogate"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_MEMO_CHUNK = 32768
_Z90 = 1.6448536269514722
#: Noise-ratio regressor: a single small LightGBM booster (it smooths noisy per-cell ratios).
_NOISE_PARAMS: dict[str, Any] = {
    "n_members": 1,
    "n_estimators": 150,
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_child_samples": 20,
    "subsample": 1.0,
}
_G_CLIP = (0.05, 20.0)


def _registry() -> dict[str, type[BaseRegressor]]:
    return REGRESSORS


def _as_curves(Y: object) -> np.ndarray:
    """Y as float64 (n, S, T); a (n, T) array is one seed."""
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim == 2:
        Y = Y[:, None, :]
    if Y.ndim != 3:
        raise InvalidArchError(
            f"curves must be (n, T) or (n, seeds, T), got shape {Y.shape}", Y.shape
        )
    return Y


class NoiseModel(TypedDict):
    """A curve model's seed-to-seed noise: per-position sd, their correlation and its Cholesky
    factor, the per-cell variance-ratio regressor, and the number of runs it was fitted on."""

    sd: np.ndarray
    corr: np.ndarray
    chol: np.ndarray
    ratio_model: BaseRegressor
    n_runs: int


class CurveModel:
    """Learning curves of cells from their features: mean ± std per epoch, single-run draws.

    Args:
        design: ``"svd"`` (coefficients of a truncated SVD basis) or ``"epoch"`` (budget as a
            feature); see the module docstring.
        model: registry name of the regressor (``"lgb"``, ``"xgb"``, ``"ensemble"``).
        params: constructor arguments of the regressor (override its defaults).
        n_components: SVD basis size (None: the smallest k explaining 99 % of the variance).
        target: ``"auto"``, ``"identity"`` or ``"log_error"`` (as `Surrogate`).
        calibrate: per-epoch std scale from K-fold cross-validation.
        calibration_folds: K.
        fidelities: the budget of each recorded epoch (default 1..T), the ``"epoch"`` design's
            input (as its log) and what `budgets_` reports.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((60, 3)); Y = 50 + 30 * X[:, :1] * np.linspace(0.2, 1, 5)
    >>> m = CurveModel(params={"n_estimators": 30}).fit(X, Y, rng=rng)
    >>> m.predict(X[:2])[0].shape
    (2, 5)
    """

    def __init__(
        self,
        design: str = "epoch",
        *,
        model: str = "lgb",
        params: dict[str, Any] | None = None,
        n_components: int | None = None,
        target: str = "auto",
        calibrate: bool = True,
        calibration_folds: int = 5,
        fidelities: Iterable[float] | None = None,
    ) -> None:
        if design not in DESIGNS:
            raise UnknownKeyError("curve design", design, DESIGNS)
        if model not in _registry():
            raise UnknownKeyError("surrogate model", model, sorted(_registry()))
        if target not in ("auto", "identity", "log_error"):
            raise UnknownKeyError("target transform", target, ("auto", "identity", "log_error"))
        if n_components is not None and n_components < 1:
            raise ValueError(f"n_components must be >= 1 or None, got {n_components}")
        self.design = design
        self.model = model
        self.params = dict(params or {})
        self.n_components = n_components
        self.target = target
        self.calibrate = calibrate
        self.calibration_folds = calibration_folds
        self.fidelities = None if fidelities is None else [float(f) for f in fidelities]

    # ---- fitting ------------------------------------------------------------------------------

    def fit(self, X: object, Y: object, *, rng: np.random.Generator) -> CurveModel:
        """Fit on features ``X (n, d)`` and curves ``Y (n, S, T)`` or ``(n, T)``.

        Cells whose seed-mean curve has a NaN are dropped (a curve is modelled whole).

        Raises:
            InvalidArchError: mismatched shapes, fewer than 10 complete cells, or values outside
                the transform's range.
        """
        X = np.asarray(X, dtype=np.float32)
        Y = _as_curves(Y)
        if X.ndim != 2 or len(X) != len(Y):
            raise InvalidArchError(
                f"X must be (n, d) with n = {len(Y)} curves, got shape {X.shape}", X.shape
            )
        with np.errstate(invalid="ignore"), _quiet_nanmean():
            mean = np.nanmean(Y, axis=1)  # (n, T)
        keep = np.all(np.isfinite(mean), axis=1)
        X, Y, mean = X[keep], Y[keep], mean[keep]
        if len(X) < 10:
            raise InvalidArchError(
                f"need at least 10 cells with a whole curve, got {len(X)}", len(X)
            )
        T = Y.shape[2]
        fid = (
            np.arange(1, T + 1, dtype=float)
            if self.fidelities is None
            else np.asarray(self.fidelities, float)
        )
        if fid.shape != (T,) or np.any(fid <= 0):
            raise InvalidArchError(f"fidelities must be {T} positive budgets, got {fid}", fid)
        transform = self.target
        finite = Y[np.isfinite(Y)]
        if transform == "auto":
            ok = finite.min() >= 0 and finite.max() < LOG_ERROR_BOUND and finite.max() > 1
            transform = "log_error" if ok else "identity"
        if transform == "log_error" and finite.max() >= LOG_ERROR_BOUND:
            raise InvalidArchError(
                f"target 'log_error' needs every value < {LOG_ERROR_BOUND}, got {finite.max()}",
                float(finite.max()),
            )
        self.transform_ = transform
        self.budgets_ = fid
        self.T_ = T
        Tm = _forward(mean, transform)

        scale = np.ones(T)
        self.calibration_: dict[str, Any] = {}
        if self.calibrate and len(X) >= 20:
            z = np.empty_like(mean)
            folds = max(2, int(self.calibration_folds))
            fold_of = rng.permutation(len(X)) % folds
            for k in range(folds):
                va = fold_of == k
                state = self._fit_core(X[~va], Tm[~va], rng)
                mt, st = self._predict_core(state, X[va])
                z[va] = np.abs(mean[va] - _inverse(mt, transform)) / (_slope(mt, transform) * st)
            scale = np.maximum(np.quantile(z, 0.9, axis=0) / _Z90, 1e-3)
            self.calibration_ = {
                "folds": folds,
                "raw_coverage_90": [float(c) for c in np.mean(z <= _Z90, axis=0)],
            }
        self.std_scale_ = scale
        self.state_ = self._fit_core(X, Tm, rng)
        self.n_features_in_ = X.shape[1]
        self.n_train_ = len(X)
        self._fit_noise(X, Y, Tm, transform, rng)
        return self

    def _fit_core(self, X: np.ndarray, Tm: np.ndarray, rng: np.random.Generator) -> dict:
        cls = _registry()[self.model]

        def make() -> Any:
            return cls(**{**self.params, "random_state": int(rng.integers(0, 2**31 - 1))})

        if self.design == "svd":
            mu = Tm.mean(axis=0)
            _, s, vt = np.linalg.svd(Tm - mu, full_matrices=False)
            if self.n_components is None:
                share = np.cumsum(s**2) / max(float(np.sum(s**2)), 1e-300)
                k = int(np.searchsorted(share, 0.99) + 1)
            else:
                k = int(self.n_components)
            k = max(1, min(k, len(s)))
            basis = vt[:k]  # (k, T)
            coef = (Tm - mu) @ basis.T  # (n, k)
            resid = Tm - mu - coef @ basis
            regs = [make().fit(X, coef[:, j]) for j in range(k)]
            return {"mu": mu, "basis": basis, "resid_var": resid.var(axis=0), "regs": regs}
        rows = self._epoch_rows(X)
        reg = make().fit(rows, Tm.reshape(-1))
        return {"reg": reg}

    def _epoch_rows(self, X: np.ndarray) -> np.ndarray:
        """(n·T, d + 1): each cell's features once per epoch, with log(budget) last (cell-major)."""
        n, T = len(X), self.T_
        rows = np.repeat(X, T, axis=0)
        col = np.tile(np.log(self.budgets_), n)[:, None]
        return np.hstack([rows, col.astype(np.float32)])

    def _predict_core(self, state: dict, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Transformed-space (mean, uncalibrated std), each (n, T)."""
        if self.design == "svd":
            preds = [r.predict(X) for r in state["regs"]]
            cm = np.stack([p[0] for p in preds], axis=1)  # (n, k)
            cs = np.stack([p[1] for p in preds], axis=1)
            basis = state["basis"]
            mean = state["mu"] + cm @ basis
            var = (cs**2) @ (basis**2) + state["resid_var"]
            return mean, np.sqrt(np.maximum(var, 1e-18))
        m, s = state["reg"].predict(self._epoch_rows(X))
        return m.reshape(len(X), self.T_), s.reshape(len(X), self.T_)

    def _fit_noise(
        self, X: np.ndarray, Y: np.ndarray, Tm: np.ndarray, transform: str, rng: np.random.Generator
    ) -> None:
        """Seed-to-seed noise: per-epoch sd, epoch correlation, per-cell variance ratio."""
        self.noise_: NoiseModel | None = None
        Ty = _forward(Y, transform)  # (n, S, T)
        count = np.isfinite(Ty).all(axis=2).sum(axis=1)  # whole seed curves per cell
        multi = count >= 2
        if multi.sum() < 10:
            return
        Ty, Xm = Ty[multi], X[multi]
        full = np.isfinite(Ty).all(axis=2)  # (m, S)
        centre = np.nanmean(np.where(full[:, :, None], Ty, np.nan), axis=1, keepdims=True)
        r = np.where(full[:, :, None], Ty - centre, np.nan)
        inflate = np.sqrt(count[multi] / (count[multi] - 1.0))[:, None, None]
        r = r * inflate
        flat = r.reshape(-1, r.shape[2])
        flat = flat[np.isfinite(flat).all(axis=1)]  # (runs, T)
        sd = np.sqrt(np.mean(flat**2, axis=0))
        sd = np.maximum(sd, 1e-9)
        corr = (flat / sd).T @ (flat / sd) / len(flat)
        d = np.sqrt(np.maximum(np.diag(corr), 1e-12))
        corr = corr / np.outer(d, d)
        ratio = np.nanmean((r / sd) ** 2, axis=(1, 2))  # (m,) E = 1 over cells
        g = LGBRegressor(**_NOISE_PARAMS, random_state=int(rng.integers(0, 2**31 - 1)))
        g.fit(Xm, ratio)
        self.noise_ = {
            "sd": sd,
            "corr": corr,
            "chol": _chol(corr),
            "ratio_model": g,
            "n_runs": len(flat),
        }

    # ---- prediction ---------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "state_"):
            raise NotFittedError("this CurveModel is not fitted yet; call fit(X, Y, rng=...)")

    def _X(self, X: object) -> np.ndarray:
        self._check_fitted()
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise InvalidArchError(
                f"X must be (n, {self.n_features_in_}) features, got shape {X.shape}", X.shape
            )
        return X

    def predict_t(self, X: object) -> tuple[np.ndarray, np.ndarray]:
        """Transformed-space (mean, calibrated std), each (n, T)."""
        mt, st = self._predict_core(self.state_, self._X(X))
        return mt, st * self.std_scale_

    def noise_ratio(self, X: object) -> np.ndarray:
        """(n,) per-cell noise variance ratio g(x) (1 = the table's average cell)."""
        if self.noise_ is None:
            return np.ones(len(np.asarray(X)))
        g, _ = self.noise_["ratio_model"].predict(self._X(X))
        return np.clip(g, *_G_CLIP)

    def predict(self, X: object, *, include_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std), float64 (n, T), in the units of the fitted curves.

        Args:
            X: features (n, d).
            include_noise: False: std of the seed-mean curve (model uncertainty); True: of one
                training run (adds the noise model's variance).
        """
        mt, st = self.predict_t(X)
        if include_noise and self.noise_ is not None:
            nv = self.noise_ratio(X)[:, None] * self.noise_["sd"] ** 2
            st = np.sqrt(st**2 + nv)
        return _inverse(mt, self.transform_), _slope(mt, self.transform_) * st

    def sample(self, X: object, rng: np.random.Generator, *, mean_t: np.ndarray | None = None):
        """One plausible single-run curve per cell, float64 (n, T).

        Raises:
            SurrogateNBError: no noise model (the training curves had one seed per cell).
        """
        noise = self.noise_model()
        mt = self.predict_t(X)[0] if mean_t is None else mean_t
        z = rng.standard_normal(mt.shape) @ noise["chol"].T
        g = np.sqrt(self.noise_ratio(X))[:, None]
        return _inverse(mt + g * noise["sd"] * z, self.transform_)

    def noise_model(self) -> NoiseModel:
        """The fitted noise model (``sd``, ``corr``, ``chol``, ``ratio_model``, ``n_runs``).

        Raises:
            SurrogateNBError: none (the training curves had one seed per cell).
        """
        if self.noise_ is None:
            raise SurrogateNBError(
                "this curve model has no noise model: its training table had one seed per cell; "
                "use the mean (seed=None)"
            )
        return self.noise_

    # ---- persistence --------------------------------------------------------------------------

    def _regressors(self) -> list[tuple[str, Any]]:
        regs = (
            [(f"coef{j}", r) for j, r in enumerate(self.state_["regs"])]
            if self.design == "svd"
            else [("epoch", self.state_["reg"])]
        )
        if self.noise_ is not None:
            regs.append(("noise_ratio", self.noise_["ratio_model"]))
        return regs

    def save(self, path: str | os.PathLike, extra: dict[str, Any] | None = None) -> Path:
        """Write a model directory (replaced atomically): JSON manifest + arrays in ``.npy``
        (no pickle) + one sub-directory per regressor in its library's format."""
        self._check_fitted()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with _atomic.writer_lock(path):
            _atomic.check_output(path, "model")
            _atomic.recover(path, lambda p: _atomic.kind_of(p) == "model")
            _atomic.clean_stale(path)
            tmp = _atomic.staging_dir(path)
            self._save_into(tmp, path, extra)
        return path

    def _save_into(self, tmp: Path, path: Path, extra: dict[str, Any] | None) -> None:
        try:
            arrays = {"std_scale": self.std_scale_, "budgets": self.budgets_}
            if self.design == "svd":
                arrays |= {k: self.state_[k] for k in ("mu", "basis", "resid_var")}
            if self.noise_ is not None:
                arrays |= {"noise_sd": self.noise_["sd"], "noise_corr": self.noise_["corr"]}
            files = []
            for name, arr in arrays.items():
                np.save(tmp / f"{name}.npy", np.asarray(arr, np.float64), allow_pickle=False)
                files.append(f"{name}.npy")
            regs = {}
            for name, reg in self._regressors():
                (tmp / name).mkdir()
                names = reg.save_model(tmp / name)
                files += [f"{name}/{f}" for f in names]
                regs[name] = {
                    "model": reg.name,
                    "params": reg.get_params(),
                    "n_features": int(reg.n_features_in_),
                }
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "config": {
                    "design": self.design,
                    "model": self.model,
                    "params": self.params,
                    "n_components": self.n_components,
                    "target": self.target,
                    "calibrate": self.calibrate,
                    "calibration_folds": self.calibration_folds,
                    "fidelities": self.fidelities,
                },
                "transform": self.transform_,
                "T": self.T_,
                "n_features": self.n_features_in_,
                "n_train": self.n_train_,
                "calibration": self.calibration_,
                "noise_runs": None if self.noise_ is None else self.noise_["n_runs"],
                "regressors": regs,
                "versions": library_versions(),
                **(extra or {}),
            }
            manifest["files"] = {f: _sha256(tmp / f) for f in files}
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
            _atomic.commit(
                tmp, path, replaceable=lambda p: _atomic.kind_of(p) == "model", what="model"
            )
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike) -> CurveModel:
        """Read a directory written by `save`.

        Raises:
            ModelFormatError: missing, tampered, another format or a newer version.
        """
        path = Path(path)
        m = read_manifest(path)
        try:
            out = cls(**m["config"])
            for name, digest in m["files"].items():
                f = path / name
                if ".." in Path(name).parts or not f.is_file():
                    raise ModelFormatError(f"{path}: model file {name!r} is missing")
                if _sha256(f) != digest:
                    raise ModelFormatError(f"{f}: checksum mismatch; the file was changed")

            def arr(name: str) -> np.ndarray:
                return np.load(path / f"{name}.npy", allow_pickle=False)

            def reg(name: str) -> Any:
                info = m["regressors"][name]
                return _registry()[info["model"]].load_model(
                    path / name, info["params"], info["n_features"]
                )

            out.transform_ = m["transform"]
            out.T_ = int(m["T"])
            out.n_features_in_ = int(m["n_features"])
            out.n_train_ = int(m["n_train"])
            out.calibration_ = m["calibration"]
            out.std_scale_ = arr("std_scale")
            out.budgets_ = arr("budgets")
            if out.design == "svd":
                n = sum(1 for k in m["regressors"] if k.startswith("coef"))
                out.state_ = {k: arr(k) for k in ("mu", "basis", "resid_var")}
                out.state_["regs"] = [reg(f"coef{j}") for j in range(n)]
            else:
                out.state_ = {"reg": reg("epoch")}
            out.noise_ = None
            if m.get("noise_runs") is not None:
                corr = arr("noise_corr")
                out.noise_ = {
                    "sd": arr("noise_sd"),
                    "corr": corr,
                    "chol": _chol(corr),
                    "ratio_model": reg("noise_ratio"),
                    "n_runs": m["noise_runs"],
                }
        except ModelFormatError:
            raise
        except (KeyError, TypeError, ValueError, OSError, UnknownKeyError) as exc:
            raise ModelFormatError(f"{path}: not a readable curve model: {exc}") from exc
        return out


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a saved curve model, checked for format and version."""
    mpath = path / MANIFEST
    try:
        m = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise ModelFormatError(f"{path} is not a saved curve model: {exc}") from exc
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise ModelFormatError(f"{mpath}: format is not {FORMAT!r}")
    if m.get("format_version") != FORMAT_VERSION:
        raise ModelFormatError(
            f"{mpath}: format_version {m.get('format_version')!r} unsupported (reads "
            f"{FORMAT_VERSION}); upgrade surrogate-nb or refit"
        )
    return m


def _chol(corr: np.ndarray) -> np.ndarray:
    """Cholesky factor of a correlation matrix, with a small ridge when it is near-singular."""
    for eps in (0.0, 1e-8, 1e-6, 1e-4, 1e-2):
        try:
            return np.linalg.cholesky(corr + eps * np.eye(len(corr)))
        except np.linalg.LinAlgError:
            continue
    return np.eye(len(corr))


@contextlib.contextmanager
def _quiet_nanmean() -> Iterator[None]:
    """Silence numpy's 'mean of empty slice' warning (an all-NaN cell stays NaN and is dropped)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


class _Memo:
    """Per-cell predictions of a `CurveSurrogate`: one row per cell of an enumerable space (row =
    cell index), else one row per cell asked for so far (rows grow as new cells come)."""

    def __init__(self, space: SearchSpace, T: int) -> None:
        self.T = T
        self.dense = bool(space.enumerable)
        n = int(space.cardinality) if self.dense else 0
        self.slot: dict[int, int] = {}
        self.mt, self.st = np.zeros((n, T)), np.zeros((n, T))
        self.g, self.done = np.zeros(n), np.zeros(n, bool)

    def rows(self, idx: np.ndarray) -> np.ndarray:
        """The memo rows of cells `idx` (new cells get new, not-done rows)."""
        if self.dense:
            return idx
        before = len(self.slot)
        rows = np.fromiter(
            (self.slot.setdefault(int(i), len(self.slot)) for i in idx), np.int64, len(idx)
        )
        grow = len(self.slot) - before
        if grow:
            self.mt = np.concatenate([self.mt, np.zeros((grow, self.T))])
            self.st = np.concatenate([self.st, np.zeros((grow, self.T))])
            self.g = np.concatenate([self.g, np.zeros(grow)])
            self.done = np.concatenate([self.done, np.zeros(grow, bool)])
        return rows


class CurveSurrogate:
    """A `CurveModel` over the cells of a search space (its `SearchSpace.featurize` features),
    queried by cell.

    Args:
        design, model, **kwargs: passed to `CurveModel`.
        features: a feature set of the space (`SearchSpace.feature_sets`).
        space: the search space of the cells, or its registered name (saved models record the
            name).
        hps: None: the curve positions are the epochs of one schedule. A list: position j is the
            final value of schedule ``hps[j]`` (NB-101's budgets "4", "12", "36", "108"; see
            `budget_curves_from_table`); `setting_columns` maps a schedule to its position.

    Predictions are memoised per cell, computed in chunks of the cells asked for, so optimizers
    querying one cell at a time pay a lookup after the first query, and the whole space (15,625
    NB201 cells, 423,624 NB-101 cells) can be predicted once. The memo of a space too large to
    list (DARTS) holds the cells asked for so far.
    """

    def __init__(
        self,
        design: str = "epoch",
        *,
        features: str = "full",
        space: SearchSpace | str = DEFAULT_SPACE,
        hps: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.space: SearchSpace = as_space(space)
        check_features(features, self.space)
        self.features = features
        self.hps = None if hps is None else [str(h) for h in hps]
        self.model_ = kwargs.pop("_model", None) or CurveModel(design, **kwargs)

    def _X(self, archs: object) -> np.ndarray:
        return featurize(archs, self.features, self.space)

    def _indices(self, archs: object) -> np.ndarray:
        return np.atleast_1d(self.space.as_indices(archs))

    @property
    def T(self) -> int:
        """Number of recorded epochs / budgets."""
        return int(self.model_.T_)

    def setting_columns(self, hp: str | None) -> np.ndarray:
        """The curve positions of training schedule `hp`: all T of a per-epoch model (its one
        schedule), the one position of budget `hp` of a budget model.

        Raises:
            UnknownKeyError: a budget model and `hp` None or not one of its schedules.
        """
        if self.hps is None:
            return np.arange(self.T)
        if hp is None:
            raise UnknownKeyError(
                "hp", None, self.hps, "the model spans several training schedules; pass hp="
            )
        try:
            return np.array([self.hps.index(str(hp))])
        except ValueError:
            raise UnknownKeyError(
                "hp", hp, self.hps, "the schedules this model was fitted on"
            ) from None

    @property
    def has_noise(self) -> bool:
        """Whether single-run draws are possible (the training table had several seeds)."""
        return self.model_.noise_ is not None

    def fit(self, archs: object, Y: object, *, rng: np.random.Generator) -> CurveSurrogate:
        """Fit on cells and their curves ``Y (n, S, T)`` (see `CurveModel.fit`)."""
        idx = self._indices(archs)
        Y = _as_curves(Y)
        if self.hps is not None and Y.shape[2] != len(self.hps):
            raise InvalidArchError(
                f"curves have {Y.shape[2]} positions for {len(self.hps)} schedules {self.hps}",
                Y.shape,
            )
        self.model_.fit(self._X(idx), Y, rng=rng)
        self.__dict__.pop("_memo", None)
        return self

    def _memo_rows(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Transformed (mean, std) (n, T) and noise ratio (n,) of cells `idx`, from the memo;
        cells not predicted yet are predicted first, 32,768 at a time (bounds the feature
        matrix: NB-101's full features are 461 float32 columns)."""
        memo = self.__dict__.get("_memo")
        if memo is None:
            memo = self._memo = _Memo(self.space, self.T)
        rows = memo.rows(idx)
        new_rows = np.flatnonzero(~memo.done[rows])
        if len(new_rows):
            new_rows = new_rows[np.unique(rows[new_rows], return_index=True)[1]]
            for lo in range(0, len(new_rows), _MEMO_CHUNK):
                part = new_rows[lo : lo + _MEMO_CHUNK]
                X = self._X(idx[part])
                at = rows[part]
                memo.mt[at], memo.st[at] = self.model_.predict_t(X)
                memo.g[at] = self.model_.noise_ratio(X)
                memo.done[at] = True
        return memo.mt[rows], memo.st[rows], memo.g[rows]

    def predict(
        self, archs: object, *, include_noise: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) float64 (n, T) curves of the cells (see `CurveModel.predict`)."""
        mt, st, g = self._memo_rows(self._indices(archs))
        m = self.model_
        if include_noise and m.noise_ is not None:
            st = np.sqrt(st**2 + g[:, None] * m.noise_["sd"] ** 2)
        return _inverse(mt, m.transform_), _slope(mt, m.transform_) * st

    def sample(self, archs: object, rng: np.random.Generator) -> np.ndarray:
        """One single-run curve per cell, float64 (n, T) (see `CurveModel.sample`)."""
        mt, _, g = self._memo_rows(self._indices(archs))
        m = self.model_
        noise = m.noise_model()
        z = rng.standard_normal(mt.shape) @ noise["chol"].T
        return _inverse(mt + np.sqrt(g)[:, None] * noise["sd"] * z, m.transform_)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model directory (`CurveModel.save` plus the feature set)."""
        names = feature_names(self.features, self.space)
        return self.model_.save(
            path,
            extra={
                "features": {
                    "set": self.features,
                    "names_sha256": hashlib.sha256("\n".join(names).encode()).hexdigest(),
                },
                "space": self.space.name,
                "hps": self.hps,
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> CurveSurrogate:
        """Read a directory written by `save`."""
        path = Path(path)
        m = read_manifest(path)
        features = (m.get("features") or {}).get("set")
        space = m.get("space", "nb201")
        if not isinstance(features, str) or not isinstance(space, str):
            raise ModelFormatError(f"{path}: unknown or missing feature set {features!r}")
        try:
            names = feature_names(features, space)
        except UnknownKeyError as exc:
            raise ModelFormatError(f"{path}: unknown or missing feature set {features!r}") from exc
        digest = hashlib.sha256("\n".join(names).encode()).hexdigest()
        if m["features"].get("names_sha256") != digest:
            raise ModelFormatError(
                f"{path}: feature set {features!r} differs from this version's; refit the model"
            )
        hps = m.get("hps")
        if hps is not None and not (isinstance(hps, list) and all(isinstance(h, str) for h in hps)):
            raise ModelFormatError(f"{path}: 'hps' must be a list of schedule names, got {hps!r}")
        out = cls(features=features, space=space, hps=hps, _model=CurveModel.load(path))
        if hps is not None and len(hps) != out.T:
            raise ModelFormatError(f"{path}: {len(hps)} schedules for {out.T} curve positions")
        return out


def curves_from_table(
    table: Benchmark, dataset: str, metric: str, hp: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(cell indices (n,), curves (n, S, T) float64) of the cells with at least one whole run."""
    arr = np.asarray(table.array(dataset, metric, hp), dtype=np.float64)
    rows = np.flatnonzero(np.any(np.all(np.isfinite(arr), axis=2), axis=1))
    return table.row_cells()[rows], arr[rows]


def budget_curves_from_table(
    table: Benchmark, dataset: str, metric: str
) -> tuple[np.ndarray, np.ndarray, list[str], list[float]]:
    """Curves across a dataset's training schedules, each one budget (NB-101: hp 4/12/36/108).

    Position j of a curve is the final recorded value of schedule ``hps[j]`` (its last
    `epoch_values` entry is the budget); schedules are ordered by budget. Seeds are matched by
    their recorded id (NB-101 trains every budget separately, so a seed's values at two budgets
    are two runs).

    Returns:
        (cell indices (n,), curves (n, S, B) float64, hps, budgets) over the cells that have a
        value at every budget; S is the union of the schedules' seeds (NaN where a seed lacks a
        run).

    Raises:
        SurrogateNBError: fewer than two schedules, or two with the same budget.
    """
    hps = list(table.hps(dataset))
    budget = {h: float(table.epoch_values(dataset, h)[-1]) for h in hps}
    if len(hps) < 2 or len(set(budget.values())) != len(hps):
        raise SurrogateNBError(
            f"{dataset!r} has schedules {budget} (hp: final epoch); budget curves need two or "
            "more with different final epochs; pass hp= to model one schedule's epochs"
        )
    hps.sort(key=budget.__getitem__)
    seeds = sorted({int(s) for h in hps for s in table.seeds(dataset, h)})
    slot = {s: k for k, s in enumerate(seeds)}
    first = np.asarray(table.array(dataset, metric, hps[0]))  # (N, S_h, T_h)
    Y = np.full((len(first), len(seeds), len(hps)), np.nan)
    for j, h in enumerate(hps):
        arr = first if j == 0 else np.asarray(table.array(dataset, metric, h))
        for k, seed in enumerate(table.seeds(dataset, h)):
            Y[:, slot[int(seed)], j] = arr[:, k, -1]
    rows = np.flatnonzero(np.all(np.any(np.isfinite(Y), axis=1), axis=1))
    return table.row_cells()[rows], Y[rows], hps, [budget[h] for h in hps]


def fit_curve_from_table(
    table: Benchmark,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    rng: np.random.Generator,
    design: str | None = None,
    cells: np.ndarray | None = None,
    **kwargs: Any,
) -> tuple[CurveSurrogate, np.ndarray]:
    """Fit a `CurveSurrogate` on a table's per-seed curves of `metric`, with the features of
    the table's space.

    Args:
        table: a `Benchmark`.
        hp: the schedule whose epochs are the curve; None with a dataset of several schedules
            (NB-101's budgets): the curve runs across them (`budget_curves_from_table`).
        design: ``"epoch"`` or ``"svd"``; None: the better one measured for the kind of curve
            (``"svd"`` across budgets, ``"epoch"`` over epochs; module docstring).
        cells: train on these cells only (None: every cell with a whole curve).
        **kwargs: `CurveSurrogate` / `CurveModel` arguments.

    Returns:
        (fitted surrogate, its training cells).
    """
    if hp is None and len(table.hps(dataset)) > 1:
        idx, Y, hps, budgets = budget_curves_from_table(table, dataset, metric)
        kwargs.setdefault("fidelities", budgets)
        kwargs["hps"] = hps
        design = design or "svd"
    else:
        idx, Y = curves_from_table(table, dataset, metric, hp)
        design = design or "epoch"
    if cells is not None:
        pick = np.isin(idx, np.asarray(cells, np.int64))
        idx, Y = idx[pick], Y[pick]
    kwargs.setdefault("space", table.space)
    return CurveSurrogate(design, **kwargs).fit(idx, Y, rng=rng), idx
