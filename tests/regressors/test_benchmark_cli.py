"""`SurrogateBenchmark` as a drop-in for the tabular `Benchmark`; the `snb` surrogate commands."""

from __future__ import annotations

import json

import numpy as np
import pytest

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.evaluation.metrics import METRIC_KEYS
from surrogate_nb.regressors import LGBRegressor, Surrogate, SurrogateBenchmark
from surrogate_nb.space.nb201_features import cell_stats, stat_names

CELLS = np.arange(0, 15625, 53)[:200]
FAST = '{"n_estimators": 40}'


def _acc(cells: np.ndarray) -> np.ndarray:
    s = cell_stats(cells)
    n = list(stat_names())
    y = 70 + 4 * s[:, n.index("sum_path_conv3")] + 2 * s[:, n.index("sum_path_conv1")]
    return np.where(s[:, n.index("connected")] > 0, y, 10.0)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    write_table = pytest.importorskip("surrogate_nb.table").write_table
    rng = np.random.default_rng(0)
    trials = []
    for i, acc in zip(CELLS, _acc(CELLS)):
        for seed in (777, 888):
            final = float(acc + rng.normal(0, 0.3))
            trials.append(
                {
                    "arch_index": int(i),
                    "dataset": "toy",
                    "hp": "3",
                    "seed": seed,
                    "epochs": 3,
                    "status": "ok",
                    "params_m": 0.1,
                    "flops_m": 1.0,
                    "latency_s": 0.01,
                    "train_time_s": 3.0,
                    "curves": {
                        "valid_acc": [final - 20, final - 5, final],
                        "train_loss": [2.0, 1.0, 0.5],
                    },
                }
            )
    return write_table(
        tmp_path_factory.mktemp("t") / "table", trials, manifest={"protocol": {}, "command": "test"}
    )


@pytest.fixture(scope="module")
def sbench(table):
    from surrogate_nb.table import Benchmark

    b = Benchmark.open(table)
    return SurrogateBenchmark.from_table(
        b,
        "toy",
        "valid_acc",
        rng=np.random.default_rng(0),
        surrogate=Surrogate(LGBRegressor(n_estimators=40)),
    ), b


def test_query_drop_in(sbench):
    sb, table = sbench
    one = sb.query(int(CELLS[3]), "toy", "valid_acc")
    assert isinstance(one, float)
    assert one == pytest.approx(table.query(int(CELLS[3]), "toy", "valid_acc"), abs=3.0)
    many = sb.query(CELLS[:5], "toy", "valid_acc")
    assert many.shape == (5,) and many[0] == pytest.approx(
        sb.query(int(CELLS[0]), "toy", "valid_acc")
    )
    # cells the table lacks still get an answer
    assert np.isfinite(sb.query(1, "toy", "valid_acc"))
    assert sb.query(CELLS[3], "toy", "valid_acc", epoch=2) == one  # the last epoch


def test_query_sample_and_errors(sbench):
    sb, _ = sbench
    a = sb.query(CELLS[:20], "toy", "valid_acc", seed="sample", rng=np.random.default_rng(1))
    b = sb.query(CELLS[:20], "toy", "valid_acc", seed="sample", rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, sb.query(CELLS[:20], "toy", "valid_acc"))
    with pytest.raises(ValueError):
        sb.query(0, "toy", "valid_acc", seed="sample")
    with pytest.raises(UnknownKeyError):
        sb.query(0, "toy", "valid_acc", seed=777)
    with pytest.raises(UnknownKeyError):
        sb.query(0, "toy", "valid_acc", epoch=0)
    with pytest.raises(UnknownKeyError, match="snb fit"):
        sb.query(0, "toy", "train_loss")


def test_cost_and_save_load(sbench, tmp_path):
    sb, table = sbench
    c = sb.cost(int(CELLS[0]), "toy")
    assert c["train_time_s"] == pytest.approx(3.0)  # from the table
    assert sb.query(int(CELLS[0]), "toy", "train_time_s") == pytest.approx(3.0)
    assert sb.cost(0, "cifar10-valid")["params_m"] == pytest.approx(0.129306)  # counters
    loaded = SurrogateBenchmark.load(sb.save(tmp_path / "sb"), table=table)
    np.testing.assert_array_equal(
        loaded.query(CELLS, "toy", "valid_acc"), sb.query(CELLS, "toy", "valid_acc")
    )


def test_cost_columns_in_one_batch_equal_per_cell_costs(sbench):
    sb, _ = sbench
    # cells the table holds and cells it lacks (NaN from the table), one asked twice
    cells = np.r_[CELLS[:20], [1, 2, 3], CELLS[0]]
    for dataset in ("toy", "cifar10-valid", "cifar100"):  # table only / counters / counters
        for metric in ("params_m", "flops_m", "latency_s", "train_time_s"):
            batch = sb.query(cells, dataset, metric)
            per_cell = [sb.cost(int(i), dataset)[metric] for i in cells]
            np.testing.assert_array_equal(batch, per_cell, err_msg=f"{dataset} {metric}")
    assert np.isnan(sb.query([1], "toy", "latency_s")).all()  # not in the table
    assert sb.query(int(CELLS[0]), "toy", "flops_m") == 1.0  # the table's (no toy network)


# ---- CLI (last: needs the table writer and the app) ---------------------------------------------


def _invoke(args):
    from typer.testing import CliRunner

    from surrogate_nb.cli import app

    return CliRunner().invoke(app, args)


def test_cli_fit_predict_eval(table, tmp_path):
    out = tmp_path / "model"
    r = _invoke(
        [
            "fit",
            str(table),
            "--dataset",
            "toy",
            "--metric",
            "valid_acc",
            "--model",
            "lgb",
            "--train-size",
            "150",
            "--seed",
            "1",
            "--out",
            str(out),
        ]
    )
    assert r.exit_code == 0, r.output
    assert (out / "manifest.json").is_file()
    r = _invoke(["predict", str(out), str(int(CELLS[0])), "1", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [row["index"] for row in rows] == [int(CELLS[0]), 1]
    assert all(row["std"] > 0 for row in rows)
    r = _invoke(
        [
            "surrogate-eval",
            "--table",
            str(table),
            "--dataset",
            "toy",
            "--metric",
            "valid_acc",
            "--model",
            "xgb",
            "--train-size",
            "120",
            "--seed",
            "0",
            "--json",
            "--no-tune",
        ]
    )
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)  # progress lines go to stderr
    assert set(METRIC_KEYS) <= set(m)
    assert m["n_test"] == len(CELLS) - 120
    assert m["kendall_tau"] > 0.5


def test_cli_bad_model(table, tmp_path):
    r = _invoke(
        [
            "fit",
            str(table),
            "--dataset",
            "toy",
            "--metric",
            "valid_acc",
            "--model",
            "svm",
            "--out",
            str(tmp_path / "m"),
        ]
    )
    assert r.exit_code != 0
    assert isinstance(r.exception, UnknownKeyError)


def test_targets_answer_at_one_schedule_what_was_fitted_on_another(table):
    from surrogate_nb.regressors import Target
    from surrogate_nb.table import Benchmark

    b = Benchmark.open(table)
    seen: list[str] = []
    sb = SurrogateBenchmark.from_table(
        b,
        "toy",
        ["valid_acc", Target("train_time_s", "9", fit_hp="3"), "valid_acc"],
        "3",
        rng=np.random.default_rng(0),
        surrogate=Surrogate(LGBRegressor(n_estimators=10), calibrate=False),
        on_progress=lambda k, n, what: seen.append(what),
    )
    assert list(sb.surrogates) == [("toy", "valid_acc", "3"), ("toy", "train_time_s", "9")]
    assert sb.surrogates[("toy", "train_time_s", "9")].n_train_ == len(CELLS)
    assert sb.query(int(CELLS[0]), "toy", "train_time_s", hp="9") == pytest.approx(3.0, abs=0.1)
    assert seen[0].startswith("valid_acc hp 3 · ") and seen[-1] == "train_time_s hp 9 · fitted"


def test_draw_nested_is_the_permutation_split():
    from surrogate_nb.regressors import draw_nested

    test, pool = draw_nested(10, 3, np.random.default_rng(5))
    perm = np.random.default_rng(5).permutation(10)
    assert test.tolist() == perm[:3].tolist() and pool.tolist() == perm[3:].tolist()
    assert sorted([*test, *pool]) == list(range(10))
