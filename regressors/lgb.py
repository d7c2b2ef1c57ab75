"""`LGBRegressor`: a bagged ensemble of LightGBM boosters; mean and spread of the members.

Each member is trained on a bootstrap sample with its own seed; boosters are saved in LightGBM's
text model format (``member{i}.txt``).

Default hyper-parameters: set by hand from a short sweep on NB201 (781 random cells, ``full``
features, log-error target). A 40-trial Optuna TPE run (`regressors.tuning`, 20% validation split
of the 781 training cells, 2 members per trial; /tmp script, 2026-11-23) found no held-out gain
(lgb τ 0.8957 tuned vs 0.8960 default, two other draws of 781 cells, tested on the rest), so the
defaults stay and tuning is opt-in (``Surrogate(tune_trials=...)``).

Large batches: a block of at least `FAST_ROWS` rows is predicted through XGBoost copies of the
members (`regressors.lgb_as_xgb`: the same trees and leaves, ~3x faster per tree; made once per
fitted model, ~0.2 s per member, on the first such block). XGBoost sums the leaves in float32, so
these predictions agree with LightGBM's own to ~1e-6 relative, not bit for bit; smaller batches
use LightGBM's predictor. Members that cannot be copied exactly keep LightGBM's predictor. The
copies read only the columns the trees split on where those are few (`NARROW_AT_MOST`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.regressors import lgb_as_xgb
from surrogate_nb.regressors.base import ROWS_PER_THREAD, BaggedTrees

#: A prediction block of at least this many rows goes through the members' XGBoost copies: the
#: size of one `BaggedTrees` thread's block, so a call of this many rows or more takes that path
#: as a whole.
FAST_ROWS = ROWS_PER_THREAD

#: The copies read only the columns the trees split on (one copy of them per block, shared by
#: the members) where those are at most this fraction of the features: XGBoost copies each row's
#: columns once per member and call, but taking the columns costs a copy too. Measured per 10,000
#: cells (paired runs, CPU s): NB-101, 332 of 461 columns (0.72): -5 %; DARTS, 368 of 412 (0.89):
#: +6 %.
NARROW_AT_MOST = 0.75

_CONVERTING = threading.Lock()  # one conversion at a time (the blocks run on several threads)


class LGBRegressor(BaggedTrees):
    """Bagged LightGBM (gradient-boosted trees, L2 loss).

    Args:
        n_members: ensemble size (>= 5 recommended).
        n_estimators: boosting rounds per member.
        learning_rate: shrinkage.
        num_leaves: leaves per tree.
        min_child_samples: minimum rows per leaf.
        subsample: row fraction per iteration (bagging, on top of the bootstrap).
        colsample_bytree: feature fraction per tree.
        reg_lambda: L2 penalty on leaf values.
        random_state: int or numpy Generator; the same value gives the same model.
        n_jobs: threads per booster.
    """

    name = "lgb"
    _member_suffix = ".txt"
    _fast: _Copies | None = None  # the members' XGBoost copies, made on first use

    def __init__(
        self,
        n_members: int = 5,
        n_estimators: int = 500,
        learning_rate: float = 0.03,
        num_leaves: int = 15,
        min_child_samples: int = 5,
        subsample: float = 0.8,
        colsample_bytree: float = 0.7,
        reg_lambda: float = 0.0,
        random_state: int | np.random.Generator | None = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_members = n_members
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _booster_params(self, seed: int) -> dict[str, Any]:
        return {
            "objective": "regression",
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "min_data_in_leaf": int(self.min_child_samples),
            "bagging_fraction": float(self.subsample),
            "bagging_freq": 1,
            "feature_fraction": float(self.colsample_bytree),
            "lambda_l2": float(self.reg_lambda),
            "seed": seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": int(self.n_jobs),
            "verbose": -1,
        }

    def _train_member(self, X: np.ndarray, y: np.ndarray, seed: int) -> Any:
        import lightgbm as lgb

        data = lgb.Dataset(X, label=y, params={"verbose": -1})
        # keep_training_booster: the same trees, without lightgbm's round trip through the model
        # text (~10 % of a small fit's time)
        return lgb.train(
            self._booster_params(seed),
            data,
            num_boost_round=int(self.n_estimators),
            keep_training_booster=True,
        ).free_dataset()

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self._fast = None
        super()._fit(X, y)

    def _load(self, directory: Path) -> None:
        self._fast = None
        super()._load(directory)

    def _fast_members(self) -> _Copies:
        """The members' XGBoost copies, made on first use."""
        with _CONVERTING:
            fast = self._fast
            if fast is None:
                fast = _Copies.of(self.boosters_, int(self.n_features_in_))
                self._fast = fast  # assigned whole: a shallow copy of this model never shares it
        return fast

    def _predict_block(self, X: np.ndarray) -> np.ndarray:
        if len(X) < FAST_ROWS:
            return super()._predict_block(X)
        fast = self._fast_members()
        read = X if fast.columns is None else X.take(fast.columns, axis=1)  # once for all
        return np.stack(
            [
                self._member_predict(b, X) if copy is None else copy.predict(read)
                for b, copy in zip(self.boosters_, fast.members)
            ]
        )

    def _member_predict(self, booster: Any, X: np.ndarray) -> np.ndarray:
        # one thread: lightgbm's default (all cores) costs ~30 ms per call on a busy machine,
        # and `BaggedTrees` spreads large batches over threads itself
        return booster.predict(X, num_threads=1)

    def _load_member(self, path: Path) -> Any:
        import lightgbm as lgb

        return lgb.Booster(model_file=str(path))

    @staticmethod
    def search_space(trial: Any) -> dict[str, Any]:
        return {
            "n_estimators": trial.suggest_int("n_estimators", 200, 1200, log=True),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 7, 63, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 2, 30, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
        }


@dataclass(frozen=True)
class _Copies:
    """Per member its XGBoost copy (None: not copyable), each reading the rows ``X[:, columns]``
    (None: all columns)."""

    columns: np.ndarray | None
    members: list[lgb_as_xgb.FastBooster | None]

    @classmethod
    def of(cls, boosters: list[Any], n_features: int) -> _Copies:
        """Copies reading only the features some member's trees split on where those are at
        most `NARROW_AT_MOST` of the features, else all features."""
        used = lgb_as_xgb.split_columns(boosters)
        columns = used if 0 < len(used) <= NARROW_AT_MOST * n_features else None
        return cls(columns, [_copy(b, columns) for b in boosters])


def _copy(booster: Any, columns: np.ndarray | None = None) -> lgb_as_xgb.FastBooster | None:
    """`lgb_as_xgb.to_xgboost`, or None where the booster cannot be copied exactly."""
    import xgboost as xgb

    try:
        return lgb_as_xgb.to_xgboost(booster, columns)
    except (lgb_as_xgb.NotConvertible, xgb.core.XGBoostError):
        return None
