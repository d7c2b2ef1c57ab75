"""Optuna tuning: seeded, fixed budget, training rows only."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.regressors import REGRESSORS, Surrogate, XGBRegressor, featurize
from surrogate_nb.regressors.tuning import split_train_valid, tune

CELLS = np.arange(0, 15625, 131)[:100]


def _y(cells):
    return 80.0 + (np.asarray(cells) % 11) * 0.5


def test_split_is_disjoint_and_seeded():
    a = split_train_valid(100, 0.2, np.random.default_rng(0))
    b = split_train_valid(100, 0.2, np.random.default_rng(0))
    assert len(a[1]) == 20 and not set(a[0]) & set(a[1])
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError):
        split_train_valid(100, 1.5, np.random.default_rng(0))


def test_tune_is_seeded_and_in_space():
    X, y = featurize(CELLS), _y(CELLS)
    fixed = {"n_estimators": 20}
    p1 = tune(REGRESSORS["lgb"], X, y, n_trials=3, rng=np.random.default_rng(1), fixed={})
    p2 = tune(REGRESSORS["lgb"], X, y, n_trials=3, rng=np.random.default_rng(1), fixed={})
    assert p1 == p2
    assert set(p1) <= set(REGRESSORS["lgb"]._param_names())
    assert tune(REGRESSORS["lgb"], X, y, n_trials=0, rng=np.random.default_rng(1), fixed=fixed) == (
        fixed
    )


def test_surrogate_with_tiny_budget(tmp_path):
    s = Surrogate(XGBRegressor(n_members=5), tune_trials=2)
    s.fit(CELLS, _y(CELLS), rng=np.random.default_rng(0))
    assert "learning_rate" in s.params_  # came from the search space
    loaded = Surrogate.load(s.save(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict(CELLS)[0], s.predict(CELLS)[0])


def test_a_name_is_refused_with_a_hint():
    """Library calls take instances; a name fails at fit, saying what to pass."""
    with pytest.raises(TypeError, match=r"XGBRegressor\(\)"):
        Surrogate("ensemble").fit(CELLS, _y(CELLS), rng=np.random.default_rng(0))
