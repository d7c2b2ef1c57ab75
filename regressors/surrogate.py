"""`Surrogate`: cells in, (mean, std) out; a feature pipeline, a target transform, a calibrated
regressor, and a pickle-free on-disk format.

Fitting (`Surrogate.fit`):

1. Features: `regressors.features.featurize(archs, features, space)` — the space's feature set
   (default ``full``; for NB201 statistics of the effective cell + its one-hot).
2. Target transform: ``log_error`` fits t = −log(100 − y) (for percentages: it stretches the
   top of the range where the good cells sit and squeezes the chance-level tail, which helps
   ranking — measured +0.005 Kendall τ on NB201 at 781 cells), ``identity`` fits y. ``auto``
   picks ``log_error`` when every y lies in [0, 100) and some y > 1.
3. Optional tuning (`tune_trials` > 0): Optuna TPE on a validation split of the training data.
4. Calibration (`calibrate=True`): K-fold cross-validation on the training rows (K =
   `calibration_folds`); each row's back-transformed out-of-fold prediction gives
   z = (y − mean) / std, and the std scale s is set so that the central 90% Gaussian interval
   covers 90% of the rows (s = quantile(|z|, 0.9) / 1.645). The model is then fitted on all rows
   and every std is multiplied by s (a model fitted on all rows errs a little less than the
   fold models, so s leans conservative). Bagged trees and deep ensembles are overconfident
   out of sample (their members share most data), so s is typically 2–3.
5. Back-transform: mean = g(m), std = s·g'(m)·σ (delta method), g the inverse transform.

`Surrogate.sample(archs, rng)` is a noisy draw in the spirit of NB301's ``with_noise``: t is
drawn from N(m, (s·σ)²) in the fitted (transformed) space and mapped back, so the draw never leaves
the target's range (< 100 for ``log_error``). The calibrated spread covers the model's error on
unseen cells, which includes the seed-to-seed noise of the table's values; it is not a separate
observation-noise term.

On disk (`Surrogate.save(path)`): a directory with ``manifest.json`` (format name and version,
model name and parameters, feature set and names hash, target transform and description, the
calibration scale, training-data hash and size, library versions, sha256 of every file) and the
model's own files (XGBoost ``.ubj``, LightGBM ``.txt``, torch tensors-only ``.pt``). `load`
refuses a missing, tampered, unknown or newer file with `ModelFormatError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np

from surrogate_nb import _atomic
from surrogate_nb._provenance import library_versions
from surrogate_nb.errors import (
    DataError,
    ModelFormatError,
    NotFittedError,
    SurrogateNBError,
    UnknownKeyError,
)
from surrogate_nb.regressors.base import BaseRegressor, in_row_blocks
from surrogate_nb.regressors.ensemble import DeepEnsembleRegressor
from surrogate_nb.regressors.features import check_features, feature_names, featurize
from surrogate_nb.regressors.graph import GINRegressor
from surrogate_nb.regressors.lgb import LGBRegressor
from surrogate_nb.regressors.tuning import tune
from surrogate_nb.regressors.xgb import XGBRegressor
from surrogate_nb.space import DEFAULT_SPACE, SearchSpace, as_space

FORMAT = "surrogate-nb/surrogate"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TRANSFORMS = ("auto", "identity", "log_error")
#: Upper bound of the ``log_error`` transform (accuracies in percent).
LOG_ERROR_BOUND = 100.0
_Z90 = 1.6448536269514722
_Z50 = 0.6744897501960817
#: Cells per prediction batch when memoising a whole space (bounds the feature matrix's memory).
_MEMO_CHUNK = 32768
#: Spaces up to this size are memoised on the first prediction (NB201: well under a second).
_MEMO_AT_ONCE = 50_000
#: Larger spaces: requests of more than `_DIRECT_MAX` cells, and the first `_DIRECT_CALLS` small
#: ones, are predicted directly; the next small request builds the memo.
_DIRECT_CALLS = 8
_DIRECT_MAX = 64


#: Regressor classes by the name saved models record (`BaseRegressor.name`); `Surrogate.load`
#: rebuilds a saved model from it, the CLI's ``--model`` maps names through it.
REGRESSORS: dict[str, type[BaseRegressor]] = {
    cls.name: cls for cls in (XGBRegressor, LGBRegressor, DeepEnsembleRegressor, GINRegressor)
}


def _forward(y: np.ndarray, transform: str) -> np.ndarray:
    if transform == "log_error":
        return -np.log(LOG_ERROR_BOUND - y)
    return y


def _inverse(t: np.ndarray, transform: str) -> np.ndarray:
    if transform == "log_error":
        return LOG_ERROR_BOUND - np.exp(-t)
    return t


def _slope(t: np.ndarray, transform: str) -> np.ndarray:
    """d inverse / dt at t."""
    if transform == "log_error":
        return np.exp(-t)
    return np.ones_like(t)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _is_saved(path: Path) -> bool:
    return (path / MANIFEST).is_file() and _atomic.kind_of(path) == "model"


def _manifest_digest(manifest: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a saved surrogate's manifest minus its own checksum."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _validate_saved(m: dict[str, Any], mpath: Path, files: dict, scale: float) -> None:
    """Checksum and value rules of a saved surrogate's manifest (`Surrogate.load`)."""
    digest = m.get("manifest_sha256")
    if not isinstance(digest, str) or digest != _manifest_digest(m):
        raise ModelFormatError(
            f"{mpath} fails its manifest_sha256 checksum (missing or not matching): the manifest "
            "was edited or damaged (std_scale, transform, params or files can no longer be "
            "trusted); refit the model"
        )
    if not files or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise ModelFormatError(f"{mpath}: 'files' must list the model's files with their sha256")
    if not np.isfinite(scale) or scale <= 0:
        raise ModelFormatError(
            f"{mpath}: calibration std_scale must be finite and > 0, got {scale}"
        )
    n = m.get("train", {}).get("n") if isinstance(m.get("train"), dict) else None
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ModelFormatError(f"{mpath}: train.n must be a positive integer, got {n!r}")


def data_hash(indices: np.ndarray, y: np.ndarray) -> str:
    """sha256 of the training cells (int64 indices) and targets (float64), in order."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(indices, dtype="<i8").tobytes())
    h.update(np.ascontiguousarray(y, dtype="<f8").tobytes())
    return h.hexdigest()


def make_surrogate(
    model: str, *, tune_trials: int = 0, space: SearchSpace | str = DEFAULT_SPACE
) -> Surrogate:
    """An unfitted `Surrogate` of cells of `space` around the regressor named `model` (a key of
    `REGRESSORS`, the CLI's ``--model``), with its defaults.

    Raises:
        UnknownKeyError: `model` is not a regressor name.
    """
    if model not in REGRESSORS:
        raise UnknownKeyError("surrogate model", model, sorted(REGRESSORS))
    return Surrogate(REGRESSORS[model](), tune_trials=tune_trials, space=space)


class Surrogate:
    """A fitted performance model of NB201 cells with calibrated uncertainty.

    Args:
        regressor: an unfitted `BaseRegressor` (e.g. ``XGBRegressor(n_members=5)``); it is a
            prototype: `fit` fits a fresh copy of it, so one instance can be fitted many times.
            Default ``XGBRegressor()``.
        features: a feature set of the space (`SearchSpace.feature_sets`); default: the
            regressor's ``default_features`` (``"full"``; ``"graph"`` for `GINRegressor`).
        space: the search space of the cells (`NB201`, `NB101`, `DARTS`, or its registered name);
            saved models record its name.
        target: target transform, one of `TRANSFORMS`.
        calibrate: scale the std by cross-validation on the training data (module docstring).
        tune_trials: Optuna trial budget (0 = the regressor's parameters as given).
        calibration_folds: folds of the calibration (None: the regressor's
            ``calibration_folds``, 5 for trees, 2 for the ensemble, whose fits cost more).

    ``__init__`` stores its arguments (a space name is resolved to the space); `fit` checks them.

    >>> import numpy as np
    >>> from surrogate_nb.regressors import LGBRegressor
    >>> s = Surrogate(LGBRegressor(n_estimators=20), calibrate=False)
    >>> s = s.fit(np.arange(50), np.linspace(80, 90, 50), rng=np.random.default_rng(0))
    >>> s.predict([0, 1])[0].shape
    (2,)
    """

    #: what a fitted surrogate models: {"dataset", "metric", "hp"} (`fit_from_table` sets it)
    key_: dict[str, Any] | None

    def __init__(
        self,
        regressor: BaseRegressor | None = None,
        *,
        features: str | None = None,
        target: str = "auto",
        calibrate: bool = True,
        tune_trials: int = 0,
        calibration_folds: int | None = None,
        space: SearchSpace | str = DEFAULT_SPACE,
    ) -> None:
        self.regressor = regressor
        self.features: str = features or str(getattr(regressor, "default_features", "full"))
        self.target = target
        self.calibrate = calibrate
        self.tune_trials = tune_trials
        self.calibration_folds = calibration_folds
        self.space: SearchSpace = as_space(space)

    def __repr__(self) -> str:
        args = {
            "features": self.features,
            "target": self.target,
            "calibrate": self.calibrate,
            "tune_trials": self.tune_trials,
            "calibration_folds": self.calibration_folds,
            "space": self.space.name,
        }
        shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
        return f"Surrogate({self.regressor!r}, {shown})"

    def _default_prototype(self) -> BaseRegressor:
        return XGBRegressor() if self.regressor is None else self.regressor

    def _prototype(self) -> BaseRegressor:
        """The regressor to copy for fitting; checks the stored arguments."""
        regressor = self._default_prototype()
        if not isinstance(regressor, BaseRegressor):
            raise TypeError(
                f"regressor must be a BaseRegressor instance such as XGBRegressor(), got "
                f"{regressor!r}; names ({sorted(REGRESSORS)}) are for the CLI's --model"
            )
        if self.target not in TRANSFORMS:
            raise UnknownKeyError("target transform", self.target, TRANSFORMS)
        check_features(self.features, self.space)
        return regressor

    @property
    def model(self) -> str:
        """Name of the regressor (``"xgb"``, ``"lgb"``, ``"ensemble"``), as saved models record."""
        return (XGBRegressor if self.regressor is None else type(self.regressor)).name

    # ---- fitting ------------------------------------------------------------------------------

    def _X(self, archs: object) -> np.ndarray:
        return featurize(archs, self.features, self.space)

    def _indices(self, archs: object) -> np.ndarray:
        return np.atleast_1d(self.space.as_indices(archs))

    def fit(
        self,
        archs: object,
        y: object,
        *,
        rng: np.random.Generator,
        target_description: str = "",
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> Surrogate:
        """Fit on cells `archs` (any form `as_indices` takes) with targets `y` (n,).

        Args:
            archs: training cells.
            y: their values (e.g. validation accuracy in percent, mean over seeds).
            rng: drives tuning, calibration split and model seeds.
            target_description: free text stored in the saved manifest (what y is).
            on_progress: called as ``(step, steps, what)`` before each model fit (tuning,
                each calibration fold, the final fit) and once at the end (step == steps).

        Returns:
            self.

        Raises:
            InvalidArchError: bad cells.
            DataError: mismatched lengths, non-finite y, or y outside the transform's range.
            TypeError: `regressor` is not a `BaseRegressor` instance.
        """
        prototype = self._prototype()
        idx = self._indices(archs)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(idx) != len(y):
            raise DataError(f"{len(idx)} cells but {len(y)} targets", len(y))
        if not np.all(np.isfinite(y)):
            raise DataError(
                f"{int((~np.isfinite(y)).sum())} targets are NaN/inf; drop missing cells first", y
            )
        transform = self.target
        if transform == "auto":
            in_range = y.size and y.min() >= 0 and y.max() < LOG_ERROR_BOUND and y.max() > 1
            transform = "log_error" if in_range else "identity"
        if transform == "log_error" and y.max() >= LOG_ERROR_BOUND:
            raise DataError(
                f"target 'log_error' needs every y < {LOG_ERROR_BOUND}, got max {y.max()}; use "
                "target='identity'",
                float(y.max()),
            )
        X = self._X(idx)
        t = _forward(y, transform)
        cls = type(prototype)
        params = {k: v for k, v in prototype.get_params().items() if k != "random_state"}
        calibrating = self.calibrate and len(y) >= 20
        folds = self.calibration_folds or cls.calibration_folds
        steps = (self.tune_trials > 0) + (max(int(folds), 2) if calibrating else 0) + 1
        done = [0]

        def step(what: str) -> None:
            if on_progress is not None:
                on_progress(done[0], steps, what)
            done[0] += 1

        if self.tune_trials > 0:
            step(f"tuning ({self.tune_trials} Optuna trials)")
            params = tune(cls, X, t, n_trials=self.tune_trials, rng=rng, fixed=params)
        scale = 1.0
        calib: dict[str, float] = {}
        if calibrating:
            z = self._cross_validated_z(
                cls, params, X, t, y, transform, int(folds), rng, on_fold=step
            )
            scale = float(max(np.quantile(z, 0.9) / _Z90, 1e-3))
            calib = {
                "folds": int(folds),
                "raw_coverage_90": float(np.mean(z <= _Z90)),
                "raw_coverage_50": float(np.mean(z <= _Z50)),
            }
        params["random_state"] = int(rng.integers(0, 2**31 - 1))
        step(f"final fit on {len(y)} cells")
        self.regressor_ = cls(**params).fit(X, t)
        if on_progress is not None:
            on_progress(steps, steps, "fitted")
        self.params_ = params
        self.transform_ = transform
        self.std_scale_ = scale
        self.calibration_ = calib
        self.n_train_ = len(y)
        self.train_hash_ = data_hash(idx, y)
        self.target_description_ = target_description
        return self

    @staticmethod
    def _cross_validated_z(
        cls: type,
        params: dict[str, Any],
        X: np.ndarray,
        t: np.ndarray,
        y: np.ndarray,
        transform: str,
        folds: int,
        rng: np.random.Generator,
        on_fold: Callable[[str], None] | None = None,
    ) -> np.ndarray:
        """|y - mean| / std of every training row, predicted by a model that did not see it."""
        fold_of = rng.permutation(len(y)) % max(folds, 2)
        z = np.empty(len(y))
        for k in range(max(folds, 2)):
            if on_fold is not None:
                on_fold(f"calibration fold {k + 1}/{max(folds, 2)}")
            va = fold_of == k
            m = cls(**{**params, "random_state": int(rng.integers(0, 2**31 - 1))})
            mt, st = m.fit(X[~va], t[~va]).predict(X[va])
            z[va] = np.abs(y[va] - _inverse(mt, transform)) / (_slope(mt, transform) * st)
        return z

    # ---- prediction ---------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "regressor_"):
            raise NotFittedError(
                "this Surrogate is not fitted yet; call fit(archs, y, rng=...) or Surrogate.load"
            )

    def _predict_t(self, archs: object, memoise: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(mean, calibrated std) in the transformed space, from a memo of every cell.

        The model is deterministic once fitted, so the first call predicts every cell of the
        space at once (NB201's 15,625 in a fraction of a second; NB-101's 423,624 in chunks, well
        under a minute) and later calls, one cell or many, are array lookups: an optimizer
        querying one cell at a time would otherwise pay milliseconds per query. In a space of
        more than `_MEMO_AT_ONCE` cells the memo waits for the `_DIRECT_CALLS`-th small request:
        a CLI prediction of a few cells, or a held-out evaluation of many, is answered directly.
        """
        self._check_fitted()
        space = self.space
        if not space.enumerable:  # no memo of a space too large to list: predict directly
            mt, st = self._regress(self._indices(archs))
            return mt, st * self.std_scale_
        memo = self.__dict__.get("_memo")
        if (memo is None or memo[0] is not self.regressor_) and not memoise:
            mt, st = self._regress(self._indices(archs))
            return mt, st * self.std_scale_
        if (memo is None or memo[0] is not self.regressor_) and (space.cardinality > _MEMO_AT_ONCE):
            calls = self.__dict__.get("_direct_calls", 0)
            idx = self._indices(archs)
            if calls < _DIRECT_CALLS or len(idx) > _DIRECT_MAX:
                self._direct_calls = calls + (len(idx) <= _DIRECT_MAX)
                mt, st = self._regress(idx)
                return mt, st * self.std_scale_
        if memo is None or memo[0] is not self.regressor_:  # first call, or refitted / loaded
            memo = self._build_memo()
        idx = self._indices(archs)
        return memo[1][idx], memo[2][idx] * self.std_scale_

    def _regress(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The regressor's (mean, std) of cells `idx`: transformed target, std not calibrated.

        A regressor that predicts on threads (`BaseRegressor.parallel_predict`) gets a large
        batch in row blocks (`in_row_blocks`), each block featurised on its own thread, so
        featurising overlaps prediction instead of preceding it on one core.
        """
        reg = self.regressor_
        if reg.parallel_predict:
            blocks = in_row_blocks(len(idx), lambda rows: reg.predict(self._X(idx[rows])))
            mt, st = (np.concatenate(parts) for parts in zip(*blocks))
        else:
            mt, st = reg.predict(self._X(idx))
        return np.asarray(mt, np.float64), np.asarray(st, np.float64)

    def _build_memo(self) -> tuple[BaseRegressor, np.ndarray, np.ndarray]:
        size = len(self.space)
        mt = np.empty(size, np.float64)
        st = np.empty(size, np.float64)
        for lo in range(0, size, _MEMO_CHUNK):
            part = np.arange(lo, min(size, lo + _MEMO_CHUNK))
            mt[part], st[part] = self._regress(part)
        self._memo = (self.regressor_, mt, st)
        return self._memo

    def memoise(self) -> Surrogate:
        """Predict every cell of the space now (otherwise a large space waits for the
        `_DIRECT_CALLS`-th small request); later predictions are lookups. Returns self.

        Do this before forking worker processes: they then share the memo, and LightGBM's
        OpenMP runtime can hang when first used in a forked child.

        Raises:
            SurrogateNBError: a space too large to list (DARTS), where predictions stay direct.
        """
        self._check_fitted()
        space = self.space
        if not space.enumerable:
            raise SurrogateNBError(
                f"memoise() predicts every cell; the {space.name} space has "
                f"{space.cardinality:,}: its predictions are made per request instead"
            )
        memo = self.__dict__.get("_memo")
        if memo is None or memo[0] is not self.regressor_:
            self._build_memo()
        return self

    def predict(self, archs: object, *, memoise: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) float64 arrays (n,) for `archs`, in the units of the fitted y.

        ``memoise=False``: a one-off prediction (a study's held-out cells) is computed for these
        cells only, without building the memo of the space (a memo that exists is used).

        Raises:
            NotFittedError: before `fit`.
        """
        mt, st = self._predict_t(archs, memoise)
        return _inverse(mt, self.transform_), _slope(mt, self.transform_) * st

    def sample(self, archs: object, rng: np.random.Generator) -> np.ndarray:
        """A noisy draw per cell (like NB301's ``with_noise``; see module docstring)."""
        mt, st = self._predict_t(archs)
        return _inverse(mt + st * rng.standard_normal(len(mt)), self.transform_)

    # ---- persistence --------------------------------------------------------------------------

    @classmethod
    def _load_single_from_index(cls, path: Path) -> Surrogate:
        """The surrogate of a `SurrogateBenchmark.save` folder that holds exactly one."""
        from surrogate_nb.regressors.benchmark import SurrogateBenchmark

        sb = SurrogateBenchmark.load(path)
        if len(sb.surrogates) != 1:
            keys = [f"{d}/{m}/hp={h}" for d, m, h in sb.surrogates]
            raise ModelFormatError(
                f"{path} holds {len(keys)} surrogates ({', '.join(keys)}); load it with "
                "SurrogateBenchmark.load, or point at one of its surrogate* folders"
            )
        return cast(Surrogate, next(iter(sb.surrogates.values())))

    def manifest(self) -> dict[str, Any]:
        """The JSON manifest `save` writes (without file checksums)."""
        self._check_fitted()
        names = feature_names(self.features, self.space)
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": self.model,
            "params": self.params_,
            "features": {
                "set": self.features,
                "n": len(names),
                "names_sha256": hashlib.sha256("\n".join(names).encode()).hexdigest(),
            },
            "target": {
                "transform": self.transform_,
                "configured": self.target,
                "description": self.target_description_,
            },
            "calibration": {"std_scale": self.std_scale_, **self.calibration_},
            "train": {"n": self.n_train_, "sha256": self.train_hash_},
            "versions": library_versions(),
            "space": self.space.name,
            # what was modelled, when known (set by `fit_from_table`): lets a folder written by
            # `snb fit` load as a one-surrogate `SurrogateBenchmark`, and names the metric
            "key": getattr(self, "key_", None),
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model directory `path` (replaced atomically if it exists); returns it."""
        manifest = self.manifest()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with _atomic.writer_lock(path):
            _atomic.check_output(path, "model")
            _atomic.recover(path, _is_saved)
            _atomic.clean_stale(path)
            tmp = _atomic.staging_dir(path)
            try:
                files = self.regressor_.save_model(tmp)
                manifest["files"] = {f: _sha256(tmp / f) for f in files}
                manifest["manifest_sha256"] = _manifest_digest(manifest)
                (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
                # the old model stays at `path` until the new one is complete (crash-safe swap)
                _atomic.commit(
                    tmp, path, replaceable=lambda p: _atomic.kind_of(p) == "model", what="model"
                )
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Surrogate:
        """Read a model directory written by `save`.

        Raises:
            ModelFormatError: missing/corrupt manifest or files, checksum mismatch, another
                format, a newer format version, or an unknown model / feature set.
        """
        path = Path(path)
        mpath = path / MANIFEST
        if not path.exists():
            _atomic.recover(path, _is_saved)
        if not mpath.is_file() and (path / "surrogates.json").is_file():
            return cls._load_single_from_index(path)
        if not mpath.is_file():
            raise ModelFormatError(f"{path} is not a saved surrogate: {MANIFEST} is missing")
        try:
            m = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise ModelFormatError(f"{mpath} is not valid JSON: {exc}") from exc
        if not isinstance(m, dict) or m.get("format") != FORMAT:
            raise ModelFormatError(
                f"{mpath}: format {m.get('format') if isinstance(m, dict) else m!r} is not "
                f"{FORMAT!r}"
            )
        version = m.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
            raise ModelFormatError(
                f"{mpath}: format_version {version!r} is not supported (this surrogate-nb reads "
                f"up to {FORMAT_VERSION}); upgrade surrogate-nb or refit the model"
            )
        try:
            files = dict(m["files"])
            model, params = m["model"], dict(m["params"])
            features, transform = m["features"]["set"], m["target"]["transform"]
            n_features = int(m["features"]["n"])
            scale = float(m["calibration"]["std_scale"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{mpath}: manifest lacks or mangles {exc}") from exc
        _validate_saved(m, mpath, files, scale)
        for name, digest in files.items():
            fpath = path / name
            if Path(name).name != name or not fpath.is_file():
                raise ModelFormatError(f"{path}: model file {name!r} is missing")
            if _sha256(fpath) != digest:
                raise ModelFormatError(f"{fpath}: checksum mismatch; the file was changed")
        if model not in REGRESSORS:
            raise ModelFormatError(f"{mpath}: unknown model {model!r}")
        if transform not in TRANSFORMS[1:]:
            raise ModelFormatError(f"{mpath}: unknown target transform {transform!r}")
        space = m.get("space", "nb201")
        try:
            names = feature_names(features, space)
        except UnknownKeyError as exc:
            raise ModelFormatError(f"{mpath}: {exc}") from exc
        if hashlib.sha256("\n".join(names).encode()).hexdigest() != m["features"].get(
            "names_sha256"
        ):
            raise ModelFormatError(
                f"{mpath}: feature set {features!r} differs from this version's; refit the model"
            )
        try:
            regressor = REGRESSORS[model](
                **{k: v for k, v in params.items() if k != "random_state"}
            )
            out = cls(
                regressor,
                features=features,
                target=m["target"].get("configured", "auto"),
                space=space,
            )
            out._prototype()
        except (UnknownKeyError, TypeError) as exc:
            raise ModelFormatError(f"{mpath}: parameters do not fit this version: {exc}") from exc
        try:
            out.regressor_ = REGRESSORS[model].load_model(path, params, n_features)
        except ModelFormatError:
            raise
        except Exception as exc:
            raise ModelFormatError(f"{path}: cannot load the {model} model: {exc}") from exc
        out.params_ = params
        out.transform_ = transform
        out.std_scale_ = scale
        out.calibration_ = {k: v for k, v in m["calibration"].items() if k != "std_scale"}
        out.n_train_ = int(m["train"]["n"])
        out.train_hash_ = m["train"]["sha256"]
        out.target_description_ = m["target"].get("description", "")
        key = m.get("key")
        out.key_ = key if isinstance(key, dict) else None
        return out
