"""Studies on a tiny table of SYNTHETIC values (see conftest): outputs, keys, and known answers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.evaluation.metrics import METRIC_KEYS
from surrogate_nb.evaluation.optimizers import Hyperband, RandomSearch, RegularizedEvolution
from surrogate_nb.evaluation.studies import (
    compare_study,
    leave_out_study,
    noise_study,
    train_size_study,
)
from surrogate_nb.evaluation.studies.compare import rank_agreement
from surrogate_nb.table import Benchmark

DS, METRIC = "fashion-mnist", "valid_acc"


def _outputs(out, figures):
    assert (out / "report.md").is_file()
    data = json.loads((out / "figures.json").read_text())
    for name in figures:
        assert (out / f"{name}.png").stat().st_size > 5_000
        assert name in data and "caption" in data[name] and "data" in data[name]
    assert json.loads((out / "summary.json").read_text())
    return data


@pytest.fixture(scope="module")
def bench(synthetic_table):
    return Benchmark.open(synthetic_table[0])


def test_train_size(bench, table_tools, tmp_path):
    s = train_size_study(
        bench,
        DS,
        METRIC,
        out=tmp_path,
        rng=np.random.default_rng(0),
        surrogates={"ridge": table_tools["ridge"]()},
        sizes=(10, 50, 150),
        repeats=2,
        test_size=100,
    )
    data = _outputs(tmp_path, ["train_size_kendall_tau", "train_size_r2", "train_size_rmse"])
    assert data["train_size_kendall_tau"]["data"]["ridge"]["n_train"] == [10, 50, 150]
    assert s.sizes == [10, 50, 150] and len(s.runs) == 6
    assert set(METRIC_KEYS) <= set(s.runs[0])
    taus = {r["n_train"]: r["kendall_tau"] for r in s.table}
    assert taus[150] > taus[10]  # additive truth: more data helps a linear model
    md = (tmp_path / "report.md").read_text()
    assert md.index("train_size_kendall_tau.png") < md.index("train_size_rmse.png")
    assert "SYNTHETIC" in md  # the table's fidelity note is quoted


class _Oracle:
    """Predicts the known SYNTHETIC truth exactly, whatever it was fitted on."""

    truth = None

    def __init__(self, model="oracle"):
        pass

    def fit(self, archs, y, *, rng):
        return self

    def predict(self, archs):
        m = self.truth(np.asarray(archs))
        return m, np.ones(len(m))


def test_noise_known_answer(table_tools, tmp_path):
    """Seeds = truth + N(0, σ²): an oracle surrogate's MAE vs the other seeds' mean is
    E|ε₂| = σ√(2/π) (2 seeds), the single-seed table's is E|ε₁-ε₂| = σ√2·√(2/π)."""
    sigma = 2.0
    path, _ = table_tools["make"](tmp_path / "t", n_cells=1200, noise=sigma, seed=3)
    _Oracle.truth = staticmethod(lambda idx: table_tools["truth"](idx, 3))
    s = noise_study(
        Benchmark.open(path),
        DS,
        METRIC,
        out=tmp_path / "r",
        rng=np.random.default_rng(1),
        surrogates={"oracle": _Oracle()},
        sizes=(50,),
        repeats=1,
        test_size=600,
    )
    _outputs(tmp_path / "r", ["noise_mae", "noise_kendall_tau", "noise_rmse"])
    c = np.sqrt(2 / np.pi)
    assert s.tabular["mae"]["mean"] == pytest.approx(sigma * np.sqrt(2) * c, rel=0.1)
    assert s.surrogate["oracle"]["mae"]["mean"][0] == pytest.approx(sigma * c, rel=0.1)
    assert s.table[0]["winner (MAE)"] == "surrogate"
    assert "the surrogate wins" in s.verdict
    assert 0 < s.seed_agreement.seed_to_seed_kendall_tau < 1


def test_noise_zero_noise_table_wins(table_tools, tmp_path):
    path, _ = table_tools["make"](tmp_path / "t", n_cells=200, noise=0.0, seed=4)
    s = noise_study(
        Benchmark.open(path),
        DS,
        METRIC,
        out=tmp_path / "r",
        rng=np.random.default_rng(0),
        surrogates={"ridge": table_tools["ridge"]()},
        sizes=(20,),
        repeats=1,
    )
    assert s.tabular["mae"]["mean"] == pytest.approx(0.0, abs=1e-4)  # float32 storage
    assert s.tabular["kendall_tau"]["mean"] == pytest.approx(1.0)
    assert s.table[0]["winner (MAE)"] == "table"


def test_noise_needs_two_seeds(table_tools, tmp_path):
    path, _ = table_tools["make"](tmp_path / "t", n_cells=30, seeds=(777,))
    with pytest.raises(SurrogateNBError, match="at least 2"):
        noise_study(
            Benchmark.open(path),
            DS,
            METRIC,
            out=tmp_path / "r",
            rng=np.random.default_rng(0),
            surrogates={"ridge": table_tools["ridge"]()},
        )


def test_leave_out(bench, table_tools, tmp_path):
    s = leave_out_study(
        bench,
        DS,
        METRIC,
        out=tmp_path,
        rng=np.random.default_rng(0),
        surrogates={"ridge": table_tools["ridge"]()},
        optimizers=(RandomSearch(), RegularizedEvolution()),
        optimizer_repeats=2,
    )
    _outputs(tmp_path, ["leave_out_kendall_tau", "leave_out_rmse", "leave_out_edge_op"])
    regions = {r["region"] for r in s.rows}
    assert {"op:nor_conv_3x3", "top10%", "random", "optimizer:rea"} <= regions
    assert sum(r.startswith("edge") for r in regions) + len(s.skipped) >= 30
    by = {r["region"]: r for r in s.rows}
    # the leave-op-out region is exactly the cells using that op
    idx, _ = bench.to_xy(DS, METRIC)
    from surrogate_nb.space import Arch

    uses = sum(3 in Arch.from_index(int(i)).op_ids for i in idx)
    assert by["op:nor_conv_3x3"]["n_test"] == uses
    assert by["op:nor_conv_3x3"]["n_train"] == len(idx) - uses
    assert by["top10%"]["n_test"] == round(len(idx) * 0.1)


def test_compare(bench, table_tools, tmp_path):
    from surrogate_nb.regressors import SurrogateBenchmark

    rng = np.random.default_rng(0)
    sur = SurrogateBenchmark.from_table(
        bench, DS, ("valid_acc", "test_acc"), rng=rng, surrogate=table_tools["ridge"]()
    )
    s = compare_study(
        bench,
        sur,
        DS,
        METRIC,
        out=tmp_path,
        rng=rng,
        optimizers=(RandomSearch(), RegularizedEvolution(), Hyperband()),
        repeats=3,
        budget_s=1500,
        report_metric="test_acc",
    )
    _outputs(tmp_path, ["compare_anytime", "compare_final", "compare_rank"])
    assert set(s.finals["table"]) == {"random_search", "rea", "hyperband"}
    assert "hyperband" in s.skipped  # the surrogate models the final epoch only
    assert set(s.finals["surrogate"]) == {"random_search", "rea"}
    assert all(len(v) == 3 for v in s.finals["table"].values())
    # two optimizers ran on both sides: no rank correlation is reported over fewer than 3
    assert s.rank_agreement["n"] == 2 and np.isnan(s.rank_agreement["kendall_tau"])
    assert "not reported" in (tmp_path / "report.md").read_text()
    assert json.loads((tmp_path / "summary.json").read_text())["means"] == json.loads(
        json.dumps(s.to_dict()["means"])
    )


def test_rank_agreement():
    assert rank_agreement([1, 2, 3], [10, 20, 30])["kendall_tau"] == pytest.approx(1.0)
    assert rank_agreement([1, 2, 3], [3, 2, 1])["spearman"] == pytest.approx(-1.0)
    two = rank_agreement([1, 2, np.nan], [2, 1, 3])  # 2 usable optimizers: no correlation
    assert two["n"] == 2 and np.isnan(two["kendall_tau"]) and np.isnan(two["spearman"])


def test_cli_train_size(synthetic_table, tmp_path):
    """`snb study train-size` end to end with the real LightGBM surrogate (2 small fits)."""
    from typer.testing import CliRunner

    from surrogate_nb.cli import app

    out = tmp_path / "cli"
    res = CliRunner().invoke(
        app,
        [
            "study",
            "train-size",
            "--table",
            str(synthetic_table[0]),
            "--dataset",
            DS,
            "--models",
            "lgb",
            "--sizes",
            "10,40",
            "--repeats",
            "1",
            "--test-size",
            "50",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (out / "report.md").is_file() and (out / "train_size_kendall_tau.png").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert [r["n_train"] for r in summary["table"]] == [10, 40]


def test_cli_rejects_unknown_model(synthetic_table):
    from typer.testing import CliRunner

    from surrogate_nb.cli import app
    from surrogate_nb.errors import UnknownKeyError

    res = CliRunner().invoke(
        app,
        ["study", "noise", "--table", str(synthetic_table[0]), "--dataset", DS, "--models", "svm"],
    )
    assert isinstance(res.exception, UnknownKeyError)
