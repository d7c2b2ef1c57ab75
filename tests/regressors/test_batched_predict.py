"""Batched prediction: threaded row blocks give the single-thread answer; a one-off prediction
builds no memo; the thread count follows the batch size; a surrogate featurises each block on
its thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from surrogate_nb.regressors import LGBRegressor, Surrogate, XGBRegressor
from surrogate_nb.regressors import base as base_mod
from surrogate_nb.regressors import surrogate as surrogate_mod


def test_prediction_threads_follow_rows(monkeypatch):
    monkeypatch.setattr(base_mod.os, "sched_getaffinity", lambda _pid: {0, 1, 2}, raising=False)
    rows = base_mod.ROWS_PER_THREAD
    assert base_mod.prediction_threads(rows - 1) == 1
    assert base_mod.prediction_threads(2 * rows) == 2
    assert base_mod.prediction_threads(100 * rows) == 3  # at most one per usable CPU


@pytest.mark.parametrize("cls", [LGBRegressor, XGBRegressor])
def test_threaded_blocks_equal_one_block(cls, monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8)).astype(np.float32)
    y = X[:, 0] * 2 + rng.normal(size=300)
    model = cls(n_members=3, n_estimators=30).fit(X, y)
    whole = model._predict_block(X)
    monkeypatch.setattr(base_mod, "ROWS_PER_THREAD", 50)
    monkeypatch.setattr(base_mod.os, "sched_getaffinity", lambda _pid: {0, 1, 2}, raising=False)
    assert base_mod.prediction_threads(len(X)) == 3
    mean, std = model.predict(X)
    np.testing.assert_array_equal(mean, whole.mean(0))
    np.testing.assert_array_equal(std, whole.std(0, ddof=1))


@pytest.mark.parametrize("cls", [LGBRegressor, XGBRegressor])
def test_members_trained_on_threads_equal_serial_ones(cls, monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 8)).astype(np.float32)
    y = X[:, 0] * 2 + rng.normal(size=300)
    monkeypatch.setattr(base_mod, "usable_cpus", lambda: 1)
    serial = cls(n_members=3, n_estimators=30, random_state=4).fit(X, y)
    monkeypatch.setattr(base_mod, "usable_cpus", lambda: 3)
    threaded = cls(n_members=3, n_estimators=30, random_state=4).fit(X, y)
    for a, b in zip(serial.boosters_, threaded.boosters_):
        np.testing.assert_array_equal(
            serial._member_predict(a, X[:50]), threaded._member_predict(b, X[:50])
        )
    np.testing.assert_array_equal(serial.predict(X)[0], threaded.predict(X)[0])


def test_one_off_prediction_builds_no_memo():
    idx = np.arange(0, 15625, 97)
    y = np.sin(idx / 500.0) * 5 + 80
    s = Surrogate(LGBRegressor(n_members=2, n_estimators=20), calibrate=False)
    s.fit(idx, y, rng=np.random.default_rng(0))
    once = s.predict([5, 7, 11], memoise=False)
    assert "_memo" not in s.__dict__
    memo = s.predict([5, 7, 11])  # NB201: the first memoised prediction fills every cell
    assert s.__dict__["_memo"][1].shape == (15625,)
    # the memo's 15,625 rows go through the members' XGBoost copies (float32 sums)
    np.testing.assert_allclose(once[0], memo[0], rtol=1e-7)
    np.testing.assert_allclose(once[1], memo[1], rtol=1e-4)


def test_row_blocks_cover_the_rows_in_order_on_threads(monkeypatch):
    monkeypatch.setattr(base_mod, "ROWS_PER_THREAD", 10)
    monkeypatch.setattr(base_mod, "usable_cpus", lambda: 3)
    seen = []

    def block(rows: slice) -> tuple[slice, bool]:
        seen.append(threading.current_thread() is threading.main_thread())
        # a call from inside a block predicts its rows as one block, on this thread
        inner = base_mod.in_row_blocks(rows.stop - rows.start, lambda r: r)
        return rows, inner == [slice(0, rows.stop - rows.start)]

    out = base_mod.in_row_blocks(35, block)
    assert [r for r, _ in out] == [slice(0, 11), slice(11, 23), slice(23, 35)]
    assert all(nested_whole for _, nested_whole in out)
    assert seen == [False, False, False]  # every block on a pool thread
    assert base_mod.in_row_blocks(19, lambda r: r) == [slice(0, 19)]  # under 2 blocks: inline


def test_surrogate_featurises_each_block_on_its_thread(monkeypatch):
    idx = np.arange(0, 15625, 37)
    y = np.cos(idx / 700.0) * 4 + 85
    s = Surrogate(XGBRegressor(n_members=3, n_estimators=20), calibrate=False)
    s.fit(idx, y, rng=np.random.default_rng(0))
    cells = np.arange(3, 15625, 61)
    whole = s.regressor_._predict_block(s._X(cells))  # one block, one thread
    featurised = []
    featurize = surrogate_mod.featurize

    def spy(archs, features, space):
        featurised.append((len(np.atleast_1d(archs)), threading.current_thread().name))
        return featurize(archs, features, space)

    monkeypatch.setattr(surrogate_mod, "featurize", spy)
    monkeypatch.setattr(base_mod, "ROWS_PER_THREAD", 50)
    monkeypatch.setattr(base_mod, "usable_cpus", lambda: 2)
    s.predict(cells, memoise=False)
    assert sorted(n for n, _ in featurised) == [128, 129]  # 257 cells: two blocks
    assert all(name != threading.main_thread().name for _, name in featurised)
    mt, st = s._regress(cells)
    np.testing.assert_array_equal(mt, whole.mean(0))
    np.testing.assert_array_equal(st, whole.std(0, ddof=1))
