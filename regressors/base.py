"""`BaseRegressor`: the small, sklearn-like contract every surrogate model follows.

* ``__init__`` only stores its arguments (so `get_params` / `clone`-style copies work).
* ``fit(X, y) -> self``; learned state ends in ``_``.
* ``predict(X) -> (mean, std)``, two float64 arrays of shape (n,); std > 0 is the model's own
  uncertainty (spread of a bagged / deep ensemble).
* ``predict`` or ``save_model`` before ``fit`` raises `NotFittedError`.
* ``save_model(directory) -> list[str]`` writes the library's own model format (never pickle) and
  returns the file names; ``load_model(directory, params)`` is its inverse.
* ``search_space(trial)`` gives Optuna the tunable hyper-parameters (`regressors.tuning`).
"""

from __future__ import annotations

import inspect
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from surrogate_nb.errors import DataError, NotFittedError


def seed_from(random_state: int | np.random.Generator | None) -> int:
    """A native int seed from an int or a numpy Generator (LightGBM's convention); None -> 0."""
    if random_state is None:
        return 0
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    raise TypeError(f"random_state must be an int or a numpy Generator, got {random_state!r}")


def check_x(X: object) -> np.ndarray:
    """X as a 2-d float32 array."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise DataError(f"X must be 2-d (n_samples, n_features), got shape {X.shape}", X.shape)
    return X


def check_xy(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """X as a 2-d float32 array and y as a 1-d float64 of matching length, finite values only."""
    X = check_x(X)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if len(y) != len(X):
        raise DataError(f"X has {len(X)} rows but y has {len(y)} values", len(y))
    if not np.all(np.isfinite(y)):
        raise DataError(
            f"y holds {int((~np.isfinite(y)).sum())} non-finite values; drop missing cells first",
            y,
        )
    if len(y) < 2:
        raise DataError(f"need at least 2 training samples, got {len(y)}", len(y))
    return X, y


class BaseRegressor(ABC):
    """Base of the surrogate models: fit on a feature matrix, predict (mean, std)."""

    #: Registry name, also written into saved models.
    name: ClassVar[str] = ""
    #: Cross-validation folds `Surrogate` calibrates with by default (fewer for costly fits).
    calibration_folds: ClassVar[int] = 5
    #: The feature set `Surrogate` uses when none is given (graph networks need ``"graph"``).
    default_features: ClassVar[str] = "full"
    #: `predict` may run on several threads at once and releases the GIL while it works: a
    #: caller may then predict row blocks on threads (`in_row_blocks`; `Surrogate` featurises
    #: each block on its thread too). False for the torch models (one process-wide thread pool).
    parallel_predict: ClassVar[bool] = False

    # ---- sklearn-style parameters -------------------------------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The constructor arguments (as stored)."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params: Any) -> BaseRegressor:
        """Set constructor arguments; unknown names raise `ValueError`."""
        for k, v in params.items():
            if k not in self._param_names():
                raise ValueError(f"unknown parameter {k!r} for {type(self).__name__}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ---- contract -----------------------------------------------------------------------------

    def fit(self, X: object, y: object) -> BaseRegressor:
        """Fit on X (n, d) and y (n,); returns self."""
        X, y = check_xy(X, y)
        self._fit(X, y)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: object) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std), float64 arrays (n,); std is strictly positive.

        Raises:
            NotFittedError: before `fit`.
        """
        self._check_fitted()
        X = check_x(X)
        if X.shape[1] != self.n_features_in_:
            raise DataError(
                f"X has {X.shape[1]} features; the model was fitted on {self.n_features_in_}",
                X.shape,
            )
        mean, std = self._predict(X)
        return np.asarray(mean, np.float64), np.maximum(np.asarray(std, np.float64), 1e-9)

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, y) (or load a saved "
                "model) before predict or save"
            )

    def save_model(self, directory: str | Path) -> list[str]:
        """Write the fitted model into `directory` in its library's format; returns file names."""
        self._check_fitted()
        return self._save(Path(directory))

    @classmethod
    def load_model(
        cls, directory: str | Path, params: dict[str, Any], n_features: int
    ) -> BaseRegressor:
        """Rebuild a fitted model from `save_model`'s files and its constructor params."""
        model = cls(**params)
        model._load(Path(directory))
        model.n_features_in_ = int(n_features)
        return model

    @abstractmethod
    def _fit(self, X: np.ndarray, y: np.ndarray) -> None: ...

    @abstractmethod
    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    @abstractmethod
    def _save(self, directory: Path) -> list[str]: ...

    @abstractmethod
    def _load(self, directory: Path) -> None: ...

    @staticmethod
    def search_space(trial: Any) -> dict[str, Any]:
        """Optuna search space: hyper-parameters suggested on `trial` (an `optuna.Trial`)."""
        return {}


#: Rows per prediction thread: a batch of fewer rows is predicted on the calling thread.
ROWS_PER_THREAD = 2048


def usable_cpus() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def prediction_threads(rows: int) -> int:
    """Threads for predicting `rows` rows: one per `ROWS_PER_THREAD` rows, at most one per CPU
    this process may use."""
    return max(1, min(usable_cpus(), rows // ROWS_PER_THREAD))


_T = TypeVar("_T")
_IN_BLOCK = threading.local()  # ``inside`` is True on a thread while it predicts one block


def in_row_blocks(rows: int, predict: Callable[[slice], _T]) -> list[_T]:
    """``predict(block)`` for consecutive row blocks covering ``range(rows)``, in order: one
    block per `prediction_threads`, each on its own Python thread (the libraries release the
    GIL while they predict; no OpenMP pool is started, so a forked worker can still predict).

    Called again from inside a block (a regressor's own split, under a caller that split the
    batch already), it predicts all its rows as one block on the calling thread.
    """
    threads = 1 if getattr(_IN_BLOCK, "inside", False) else prediction_threads(rows)
    if threads == 1:
        return [predict(slice(0, rows))]
    cut = np.linspace(0, rows, threads + 1).astype(int)

    def block(k: int) -> _T:
        _IN_BLOCK.inside = True  # the pool's threads end with this call
        return predict(slice(cut[k], cut[k + 1]))

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(block, range(threads)))


def bootstrap_members(n: int, n_members: int, seed: int) -> list[tuple[int, np.ndarray]]:
    """Per member: (seed, bootstrap row indices of length n), all drawn from one seed."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_members):
        member_seed = int(rng.integers(0, 2**31 - 1))
        out.append((member_seed, rng.integers(0, n, size=n)))
    return out


class BaggedTrees(BaseRegressor):
    """A bagged ensemble of boosters: each member trains on its own bootstrap sample and seed;
    the prediction is the members' mean and their spread (sample std) the model uncertainty.

    Subclasses give the library calls: `_train_member`, `_member_predict` (single-threaded: the
    library's own thread pool is not used), `_load_member`, ``_member_suffix`` and a
    ``save_model(path)`` method on their boosters. They must have ``n_members`` and
    ``random_state`` among their `__init__` arguments.

    Members train on one Python thread per usable CPU (`usable_cpus`; each fit single-threaded,
    so the boosters are those of a serial fit). A large batch is split into row blocks
    predicted on threads (`in_row_blocks`).
    """

    _member_suffix: ClassVar[str]
    parallel_predict = True
    #: set by every subclass's `__init__`
    n_members: int
    random_state: int | np.random.Generator | None

    @abstractmethod
    def _train_member(self, X: np.ndarray, y: np.ndarray, seed: int) -> Any: ...

    @abstractmethod
    def _member_predict(self, booster: Any, X: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _load_member(self, path: Path) -> Any: ...

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        members = bootstrap_members(len(y), int(self.n_members), seed_from(self.random_state))

        def train(member: tuple[int, np.ndarray]) -> Any:
            seed, rows = member
            return self._train_member(X[rows], y[rows], seed)

        # members are independent single-threaded fits: one Python thread per usable CPU (the
        # libraries release the GIL), the same boosters as one after the other
        threads = min(len(members), usable_cpus())
        if threads <= 1:
            self.boosters_ = [train(m) for m in members]
        else:
            with ThreadPoolExecutor(threads) as pool:
                self.boosters_ = list(pool.map(train, members))

    def _predict_block(self, X: np.ndarray) -> np.ndarray:
        return np.stack([self._member_predict(b, X) for b in self.boosters_]).astype(np.float64)

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        preds = np.concatenate(in_row_blocks(len(X), lambda s: self._predict_block(X[s])), axis=1)
        return preds.mean(0), preds.std(0, ddof=1) if len(preds) > 1 else np.zeros(len(X))

    def _save(self, directory: Path) -> list[str]:
        names = [f"member{i}{self._member_suffix}" for i in range(len(self.boosters_))]
        for name, booster in zip(names, self.boosters_):
            booster.save_model(str(directory / name))
        return names

    def _load(self, directory: Path) -> None:
        self.boosters_ = [
            self._load_member(directory / f"member{i}{self._member_suffix}")
            for i in range(int(self.n_members))
        ]
