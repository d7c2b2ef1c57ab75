"""What `Surrogate` promises, each checked at the module with known inputs (issue 22): the
calibration's folds never see the rows they score, its scale is the stated quantile, and
`sample` draws from its stated distribution (checked with enough draws to see a 10x error)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from scipy import stats

from surrogate_nb.regressors import Surrogate, XGBRegressor
from surrogate_nb.regressors.base import BaseRegressor
from surrogate_nb.regressors.surrogate import _Z90


class _Recorder(BaseRegressor):
    """Predicts mean = 0, std = 1 for every row and records the rows it saw (column 0 of X
    holds the row id)."""

    name = "recorder"
    fits: ClassVar[list[set[int]]] = []
    predicts: ClassVar[list[set[int]]] = []

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def _fit(self, X, y):
        _Recorder.fits.append({int(v) for v in X[:, 0]})

    def _predict(self, X):
        _Recorder.predicts.append({int(v) for v in X[:, 0]})
        return np.zeros(len(X)), np.ones(len(X))

    def _save(self, directory):
        return []

    def _load(self, directory):
        pass


def test_calibration_folds_score_only_rows_they_did_not_fit():
    _Recorder.fits, _Recorder.predicts = [], []
    n, folds = 23, 5
    X = np.column_stack([np.arange(n), np.zeros(n)]).astype(float)
    y = np.linspace(-3.0, 3.0, n)
    z = Surrogate._cross_validated_z(
        _Recorder, {}, X, y, y, "identity", folds, np.random.default_rng(0)
    )
    assert len(_Recorder.fits) == len(_Recorder.predicts) == folds
    for fitted, scored in zip(_Recorder.fits, _Recorder.predicts):
        assert not fitted & scored  # a fold never scores a row it was fitted on
        assert fitted | scored == set(range(n))
    assert sorted(i for s in _Recorder.predicts for i in s) == list(range(n))  # each row once
    np.testing.assert_allclose(z, np.abs(y))  # mean 0, std 1: z = |y - 0| / 1


def test_calibration_scale_is_the_90_percent_quantile_over_1645():
    """`fit` sets std_scale = quantile(|z|, 0.9) / 1.645, so 90 % of rows fall in the 90 %
    interval after scaling."""
    rng = np.random.default_rng(1)
    y = rng.normal(0, 4.0, 200)
    s = Surrogate(_Recorder(), target="identity", features="onehot", calibration_folds=4)
    s.fit(np.arange(200), y, rng=np.random.default_rng(0))
    assert s.std_scale_ == pytest.approx(np.quantile(np.abs(y), 0.9) / _Z90)
    assert s.calibration_["raw_coverage_90"] == pytest.approx(np.mean(np.abs(y) <= _Z90))


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    cells = rng.choice(15625, 300, replace=False)
    y = 80 + 10 * rng.random(300)  # percent, so the log_error transform is chosen
    s = Surrogate(XGBRegressor(n_estimators=30, n_members=4), calibrate=False)
    return s.fit(cells, y, rng=np.random.default_rng(1))


def test_sample_draws_from_its_stated_distribution(fitted):
    """t = -log(100 - draw) must be N(m, s^2) with (m, s) the calibrated prediction in the
    transformed space; adding the noise after the back-transform gives draws 10-30x too
    narrow, far outside these bounds."""
    assert fitted.transform_ == "log_error"
    cells = np.array([3, 777, 5000])
    mt, st = fitted._predict_t(cells)
    n = 20_000
    rng = np.random.default_rng(7)
    draws = fitted.sample(np.repeat(cells, n), rng).reshape(len(cells), n)
    assert (draws < 100).all()
    t = -np.log(100 - draws)
    for k in range(len(cells)):
        # mean within 5 standard errors, std within 5 % (n = 20,000: its s.e. is 0.5 %)
        assert abs(t[k].mean() - mt[k]) < 5 * st[k] / np.sqrt(n)
        assert t[k].std(ddof=1) == pytest.approx(st[k], rel=0.05)
        assert stats.kstest((t[k] - mt[k]) / st[k], "norm").pvalue > 1e-4
    mean, std = fitted.predict(cells)
    # the delta-method std of `predict` matches the draws' spread in accuracy units
    np.testing.assert_allclose(draws.std(axis=1), std, rtol=0.1)
    np.testing.assert_allclose(np.median(draws, axis=1), mean, atol=0.05 * std.max())
