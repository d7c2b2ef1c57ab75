"""LightGBM boosters copied into XGBoost (`regressors.lgb_as_xgb`): the same split decisions,
the same predictions to float32 precision, refusals where a copy would not be exact; copies that
read only the columns the trees split on."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from surrogate_nb.regressors import LGBRegressor
from surrogate_nb.regressors import lgb as lgb_mod
from surrogate_nb.regressors.lgb_as_xgb import (
    NotConvertible,
    split_columns,
    split_conditions,
    to_xgboost,
)


def test_split_conditions_decide_as_lightgbm():
    thresholds = np.array([0.5, 0.1, 1e-35, -2.7, 1.0000000180025095e-35, 3e38, 1e300, -1e300])
    cond = split_conditions(thresholds)
    assert cond.dtype == np.float32
    for t, c in zip(thresholds, cond):
        near = np.float32(t) if abs(t) < 3.4e38 else np.float32(np.sign(t) * 3.4e38)
        xs = [near, np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(-np.inf))]
        xs += [np.float32(0.0), np.float32(-np.inf), np.float32(np.inf)]
        for x in xs:
            assert (x < c) == (float(x) <= t), (t, x, c)
    # 0.1 is not a float32 and float32(0.1) is above it: float32(0.1) goes right, the one
    # below it left
    assert cond[1] == np.float32(0.1)


def _booster(X, y, **params):
    params = {"objective": "regression", "num_leaves": 15, "verbose": -1, "seed": 0, **params}
    return lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=60)


@pytest.mark.parametrize("nan_in_training", [False, True])
def test_copy_predicts_as_lightgbm(nan_in_training):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6)).astype(np.float32)
    X[:, 5] = rng.integers(0, 3, size=600)  # few distinct values: rows exactly at thresholds
    y = X[:, 0] * 3 + np.sin(X[:, 1]) + X[:, 5] + 80
    if nan_in_training:
        X[rng.random(X.shape) < 0.1] = np.nan  # missing_type NaN, default children used
    booster = _booster(X, y)
    fast = to_xgboost(booster)
    test = rng.normal(size=(3000, 6)).astype(np.float32)
    test[:, 5] = rng.integers(0, 3, size=3000)
    test[rng.random(test.shape) < 0.05] = np.nan  # missing_type None: LightGBM reads NaN as 0
    np.testing.assert_allclose(fast.predict(test), booster.predict(test), rtol=1e-6, atol=0)
    assert abs(fast.offset) > 1  # the starting average, summed in float64


def test_single_leaf_trees():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 3)).astype(np.float32)
    y = X[:, 0] + 5
    stumps = _booster(X, y, min_data_in_leaf=40)  # no split possible: one leaf per tree
    assert "num_leaves=1\n" in stumps.model_to_string()
    np.testing.assert_allclose(to_xgboost(stumps).predict(X), stumps.predict(X), rtol=1e-6)


def test_refuses_categorical_splits():
    rng = np.random.default_rng(1)
    X = np.c_[rng.integers(0, 5, 400), rng.normal(size=400)].astype(np.float32)
    y = (X[:, 0] == 3) * 5.0 + X[:, 1]
    booster = lgb.train(
        {"objective": "regression", "verbose": -1, "min_data_per_group": 5},
        lgb.Dataset(X, label=y, categorical_feature=[0]),
        num_boost_round=10,
    )
    with pytest.raises(NotConvertible, match="categorical"):
        to_xgboost(booster)
    assert lgb_mod._copy(booster) is None  # LGBRegressor keeps LightGBM's predictor for it


def test_refuses_other_objectives():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    booster = lgb.train(
        {"objective": "poisson", "verbose": -1}, lgb.Dataset(X, label=np.exp(X[:, 0])), 5
    )
    with pytest.raises(NotConvertible, match="objective"):
        to_xgboost(booster)


def test_regressor_takes_the_copies_for_large_blocks_only():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 5)).astype(np.float32)
    y = X[:, 0] - X[:, 1] ** 2 + 10
    model = LGBRegressor(n_members=3, n_estimators=40).fit(X, y)
    big = rng.normal(size=(lgb_mod.FAST_ROWS, 5)).astype(np.float32)
    assert model._fast is None
    small = model._predict_block(big[:100])
    assert model._fast is None  # a small block: LightGBM's predictor, no copies made
    fast = model._predict_block(big)
    assert model._fast is not None and all(f is not None for f in model._fast.members)
    own = np.stack([b.predict(big, num_threads=1) for b in model.boosters_])
    np.testing.assert_array_equal(small, own[:, :100])
    np.testing.assert_allclose(fast, own, rtol=1e-6)
    assert not np.array_equal(fast, own)  # the copies' path was taken (float32 sums)
    model.fit(X, y + 1)
    assert model._fast is None  # a refit drops the copies of the old members


def test_copies_read_only_the_columns_trees_split_on():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 6)).astype(np.float32)
    X[:, [1, 4]] = 0.0  # constant: no tree splits on them
    y = X[:, 0] * 2 - X[:, 3] + X[:, 5] ** 2 + X[:, 2]
    a, b = _booster(X, y, seed=1), _booster(X, y, seed=2, feature_fraction=0.5)
    columns = split_columns([a, b])
    np.testing.assert_array_equal(columns, [0, 2, 3, 5])
    test = rng.normal(size=(2000, 6)).astype(np.float32)
    for booster in (a, b):
        narrow = to_xgboost(booster, columns).predict(test[:, columns])
        np.testing.assert_array_equal(narrow, to_xgboost(booster).predict(test))
    with pytest.raises(ValueError, match=r"leave out features \[5\]"):
        to_xgboost(a, np.array([0, 2, 3]))


@pytest.mark.parametrize(
    ("constant", "columns"),
    [([], None), ([4], None), ([1, 4], [0, 2, 3, 5])],  # 6, 5 (> 3/4) and 4 of 6 columns split on
)
def test_regressor_copies_read_the_split_columns_where_those_are_few(constant, columns):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(400, 6)).astype(np.float32)
    X[:, constant] = 1.0
    y = X[:, 0] - X[:, 2] * X[:, 3] + X[:, 5]
    model = LGBRegressor(n_members=3, n_estimators=40).fit(X, y)
    big = rng.normal(size=(lgb_mod.FAST_ROWS, 6)).astype(np.float32)
    fast = model._predict_block(big)
    assert lgb_mod.NARROW_AT_MOST == 0.75
    if columns is None:
        assert model._fast.columns is None  # rows passed as they are
    else:
        np.testing.assert_array_equal(model._fast.columns, columns)
    wide = np.stack([to_xgboost(b).predict(big) for b in model.boosters_])
    np.testing.assert_array_equal(fast, wide)
