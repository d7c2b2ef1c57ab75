"""Learning-curve surrogates (`regressors/curve.py`) and `SurrogateBenchmark` at any epoch.

Synthetic curves (SYNTHETIC values, test-only): each cell's final value is linear in its features,
curves rise as 1 - exp(-e / tau) towards it, and every seed adds noise with a known per-epoch sd
and an AR(1) correlation across epochs, so fitted means, coverage and the noise model can be
checked against the truth. The committed Fashion-MNIST table covers the NB201 path.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from surrogate_nb.errors import ModelFormatError, SurrogateNBError, UnknownKeyError
from surrogate_nb.regressors import SurrogateBenchmark
from surrogate_nb.regressors.curve import CurveModel, CurveSurrogate

SMALL = {"n_members": 3, "n_estimators": 60, "learning_rate": 0.1}
T = 6
NOISE_SD = np.linspace(2.0, 0.8, T)  # per-epoch single-run sd (accuracy points)
TABLE = Path(__file__).resolve().parents[2] / "surrogate_nb/data/tables/fashion-mnist-lowfi"


def synthetic(n: int, seeds: int = 3, seed: int = 0):
    """X (n, 4), curves (n, seeds, T) in percent, and the noise-free mean curves (n, T)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, 4))
    final = 55 + 30 * X[:, 0] + 8 * X[:, 1] * X[:, 2]
    tau = 1.0 + 2.0 * X[:, 3]
    e = np.arange(1, T + 1)
    mean = final[:, None] * (1 - np.exp(-e[None, :] / tau[:, None]))
    z = rng.standard_normal((n, seeds, T))
    for t in range(1, T):  # AR(1) across epochs, unit variance
        z[:, :, t] = 0.7 * z[:, :, t - 1] + np.sqrt(1 - 0.49) * z[:, :, t]
    return X.astype(np.float32), mean[:, None, :] + NOISE_SD * z, mean


@pytest.fixture(scope="module")
def data():
    return synthetic(400)


@pytest.fixture(scope="module", params=["svd", "epoch"])
def fitted(request, data):
    X, Y, _ = data
    return CurveModel(request.param, params=SMALL).fit(
        X[:300], Y[:300], rng=np.random.default_rng(0)
    )


def test_both_designs_predict_held_out_curves(fitted, data):
    X, _, mean = data
    m, s = fitted.predict(X[300:])
    assert m.shape == s.shape == (100, T) and np.all(s > 0)
    rmse = np.sqrt(np.mean((m - mean[300:]) ** 2, axis=0))
    spread = mean[300:].std(axis=0)
    assert np.all(rmse < 0.5 * spread)  # far better than predicting the average curve
    cover = np.mean(np.abs(m - mean[300:]) <= 1.645 * s)
    assert 0.75 <= cover <= 1.0  # calibrated 90% intervals, held out


def test_noise_model_matches_the_seed_spread(fitted, data):
    X, _, _ = data
    rng = np.random.default_rng(1)
    draws = np.stack([fitted.sample(X[300:340], rng) for _ in range(300)])  # (300, 40, T)
    sd = draws.std(axis=0).mean(axis=0)
    np.testing.assert_allclose(sd, NOISE_SD, rtol=0.25)
    # consecutive epochs of one draw move together (AR(1) 0.7), far epochs much less
    dev = draws - draws.mean(axis=0)
    r01 = np.corrcoef(dev[..., 0].ravel(), dev[..., 1].ravel())[0, 1]
    r05 = np.corrcoef(dev[..., 0].ravel(), dev[..., 5].ravel())[0, 1]
    assert r01 > 0.5 and r05 < r01 - 0.3
    _, s_mean = fitted.predict(X[300:])
    _, s_run = fitted.predict(X[300:], include_noise=True)
    assert np.all(s_run > s_mean)


def test_one_seed_has_no_noise_model():
    X, Y, _ = synthetic(120, seeds=1)
    m = CurveModel("svd", params=SMALL, calibrate=False).fit(X, Y, rng=np.random.default_rng(0))
    assert m.noise_ is None
    with pytest.raises(SurrogateNBError, match="one seed per cell"):
        m.sample(X[:2], np.random.default_rng(0))
    np.testing.assert_array_equal(m.predict(X[:3])[1], m.predict(X[:3], include_noise=True)[1])


def test_bad_input_is_refused():
    with pytest.raises(UnknownKeyError, match="curve design"):
        CurveModel("pca")
    X, Y, _ = synthetic(30)
    with pytest.raises(ValueError, match="X must be"):
        CurveModel().fit(X[:10], Y, rng=np.random.default_rng(0))
    m = CurveModel(params=SMALL, calibrate=False).fit(X, Y, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        m.predict(X[:, :3])


def test_same_rng_same_model(data):
    X, Y, _ = data
    a = CurveModel("epoch", params=SMALL).fit(X[:100], Y[:100], rng=np.random.default_rng(5))
    b = CurveModel("epoch", params=SMALL).fit(X[:100], Y[:100], rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.predict(X[100:110])[0], b.predict(X[100:110])[0])


def test_save_load_roundtrip_and_tamper(fitted, data, tmp_path):
    X, _, _ = data
    path = fitted.save(tmp_path / "m")
    back = CurveModel.load(path)
    for a, b in zip(
        fitted.predict(X[:20], include_noise=True), back.predict(X[:20], include_noise=True)
    ):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_allclose(fitted.sample(X[:5], rng_a), back.sample(X[:5], rng_b), rtol=1e-6)
    assert not list(path.glob("*.pkl"))
    (path / "std_scale.npy").write_bytes(b"tampered")
    with pytest.raises(ModelFormatError, match="checksum"):
        CurveModel.load(path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 99
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFormatError, match="format_version"):
        CurveModel.load(path)


# ---- NB201 cells on the committed table, through SurrogateBenchmark ---------------------------


@pytest.fixture(scope="module")
def table():
    from surrogate_nb.table import Benchmark

    return Benchmark.open(TABLE)


@pytest.fixture(scope="module")
def curve_bench(table):
    return SurrogateBenchmark.from_curves(
        table, "fashion-mnist-valid", "x-valid_acc", rng=np.random.default_rng(0), params=SMALL
    )


def test_surrogate_benchmark_answers_every_epoch(curve_bench, table):
    ds, m = "fashion-mnist-valid", "x-valid_acc"
    cells = table.to_xy(ds, m)[0][:50]
    curves = curve_bench.curve(cells, ds, m)
    assert curves.shape == (50, 12) and curve_bench.epochs(ds) == table.epochs(ds) == 12
    for e in (0, 5, 11):
        np.testing.assert_allclose(curve_bench.query(cells, ds, m, epoch=e), curves[:, e])
    assert curve_bench.query(int(cells[0]), ds, m) == pytest.approx(curves[0, -1])  # None = last
    assert isinstance(curve_bench.query(int(cells[0]), ds, m, epoch=3), float)
    assert curve_bench.curve(int(cells[0]), ds, m).shape == (12,)
    # fitted on the table: the mean curves track the table's seed means
    truth = table.curve(cells, ds, m)
    assert np.corrcoef(curves[:, -1], truth[:, -1])[0, 1] > 0.8
    assert np.all(np.diff(curves.mean(axis=0))[4:] > 0)  # accuracy rises over training


def test_surrogate_benchmark_samples_and_refuses_like_benchmark(curve_bench):
    ds, m = "fashion-mnist-valid", "x-valid_acc"
    a = curve_bench.curve(6111, ds, m, seed="sample", rng=np.random.default_rng(0))
    b = curve_bench.curve(6111, ds, m, seed="sample", rng=np.random.default_rng(0))
    c = curve_bench.curve(6111, ds, m, seed="sample", rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    with pytest.raises(UnknownKeyError, match="epoch"):
        curve_bench.query(6111, ds, m, epoch=12)
    with pytest.raises(UnknownKeyError, match="seed"):
        curve_bench.query(6111, ds, m, seed=777)
    with pytest.raises(ValueError, match="rng"):
        curve_bench.query(6111, ds, m, seed="sample")


def test_final_epoch_surrogate_has_no_curve(table):
    from surrogate_nb.regressors import LGBRegressor, Surrogate, SurrogateBenchmark

    sb = SurrogateBenchmark.from_table(
        table,
        "fashion-mnist-valid",
        "x-valid_acc",
        rng=np.random.default_rng(0),
        surrogate=Surrogate(LGBRegressor(n_estimators=20, n_members=2), calibrate=False),
    )
    with pytest.raises(UnknownKeyError, match="CurveSurrogate"):
        sb.curve(5, "fashion-mnist-valid", "x-valid_acc")


def test_saved_surrogate_benchmark_keeps_curves(curve_bench, table, tmp_path):
    from surrogate_nb.regressors import SurrogateBenchmark

    back = SurrogateBenchmark.load(curve_bench.save(tmp_path / "sb"), table=table)
    s = back.surrogates[("fashion-mnist-valid", "x-valid_acc", None)]
    assert isinstance(s, CurveSurrogate)
    np.testing.assert_allclose(
        back.curve([1, 2, 3], "fashion-mnist-valid", "x-valid_acc"),
        curve_bench.curve([1, 2, 3], "fashion-mnist-valid", "x-valid_acc"),
        rtol=1e-6,
    )


def test_multi_fidelity_optimizer_runs_on_the_curve_surrogate(curve_bench, table):
    from surrogate_nb.evaluation.optimizers import CellPool, Hyperband

    pool = CellPool(table.to_xy("fashion-mnist-valid", "x-valid_acc")[0])
    traj = Hyperband().run(
        curve_bench,
        "fashion-mnist-valid",
        "x-valid_acc",
        budget_s=100.0,
        rng=np.random.default_rng(0),
        pool=pool,
        signal_seed="sample",
    )
    assert len(traj) > 10 and min(traj.epochs) < 12 and max(traj.epochs) == 12
    assert traj.time_s[-1] <= 100.0
