"""Learning-curve surrogate on NB-101's budgets (4/12/36/108) with the space's own features.

Real values: the table is imported from ../shared/nb101/data-20k.json (20,001 published cells,
one run per budget); skips when that file is absent. The budget curve model answers
``hp=<budget>`` through `SurrogateBenchmark` as the table does.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError
from surrogate_nb.ranking import kendall_tau
from surrogate_nb.regressors import SurrogateBenchmark
from surrogate_nb.regressors.curve import CurveSurrogate, budget_curves_from_table

SMALL = {"n_members": 2, "n_estimators": 80, "learning_rate": 0.1}
DS, M = "cifar10", "valid_acc"
BUDGETS = ["4", "12", "36", "108"]


@pytest.fixture(scope="module")
def nb101_table(tmp_path_factory, nb101_index):
    from surrogate_nb.table import Benchmark
    from surrogate_nb.table.importers import import_any
    from tests.conftest import NB101_DIR

    src = NB101_DIR / "data-20k.json"
    if not src.is_file():
        pytest.skip(f"NB-101 published cells absent: {src}")
    return Benchmark.open(import_any(src, tmp_path_factory.mktemp("nb101") / "t"))


@pytest.fixture(scope="module")
def split(nb101_table):
    idx = nb101_table.to_xy(DS, M, hp="108")[0]
    perm = np.random.default_rng(7).permutation(idx)
    return perm[:800], perm[800:1600]  # train, held out


@pytest.fixture(scope="module")
def bench(nb101_table, split):
    return SurrogateBenchmark.from_curves(
        nb101_table, DS, M, rng=np.random.default_rng(0), params=SMALL, cells=split[0]
    )


def test_budget_curves_follow_the_tables_schedules(nb101_table):
    idx, Y, hps, budgets = budget_curves_from_table(nb101_table, DS, M)
    assert hps == BUDGETS and budgets == [4.0, 12.0, 36.0, 108.0]
    assert len(idx) == 20_001 and Y.shape == (20_001, 1, 4)
    for j, h in enumerate(hps):
        np.testing.assert_allclose(Y[:50, 0, j], nb101_table.query(idx[:50], DS, M, hp=h))


def test_nb101_curve_model_uses_the_spaces_features_and_ranks_held_out_cells(
    bench, nb101_table, split
):
    from surrogate_nb.regressors.features import feature_names

    s = bench.surrogates[(DS, M, None)]
    assert isinstance(s, CurveSurrogate) and s.space.name == "nb101" and s.hps == BUDGETS
    assert s.model_.design == "svd"  # the default for budget curves (measured better)
    assert s.model_.n_features_in_ == len(feature_names("full", "nb101"))
    np.testing.assert_array_equal(s.model_.budgets_, [4, 12, 36, 108])
    held = split[1]
    taus = []
    for h in BUDGETS:
        pred = bench.query(held, DS, M, hp=h)
        truth = nb101_table.query(held, DS, M, hp=h)
        taus.append(kendall_tau(truth, pred))
    # 800 training cells, small model: the 108-epoch ranking is far from chance
    assert taus[-1] > 0.65, taus
    # the curve rises with the budget on average, as the table's does
    means = [bench.query(held, DS, M, hp=h).mean() for h in BUDGETS]
    assert np.all(np.diff(means) > 0), means


def test_nb101_queries_and_refusals_match_the_table(bench, nb101_table):
    cell = nb101_table.space.hash_of_index(12)
    for h in BUDGETS:
        assert bench.epochs(DS, h) == nb101_table.epochs(DS, h) == 1
        c = bench.curve(cell, DS, M, hp=h)
        assert c.shape == nb101_table.curve(cell, DS, M, hp=h).shape == (1,)
        assert bench.query(cell, DS, M, hp=h) == pytest.approx(c[0])
        assert bench.query(cell, DS, M, hp=h, epoch=0) == pytest.approx(c[0])
        assert M in bench.metrics(DS, h)
    # a cell the table lacks (indices above 20,000) is answered, the whole space in one call
    assert np.isfinite(bench.query(423_000, DS, M, hp="108"))
    for bad in ({"hp": None}, {"hp": "50"}, {"hp": "4", "epoch": 1}):
        with pytest.raises(UnknownKeyError):
            nb101_table.query(cell, DS, M, **bad)
        with pytest.raises(UnknownKeyError, match=r"hp|epoch"):
            bench.query(cell, DS, M, **bad)
    with pytest.raises(SurrogateNBError, match="one seed per cell"):  # one run per budget
        bench.query(cell, DS, M, hp="108", seed="sample", rng=np.random.default_rng(0))


def test_nb101_curve_model_saves_its_space_and_schedules(bench, nb101_table, tmp_path):
    from surrogate_nb.regressors import SurrogateBenchmark

    path = bench.save(tmp_path / "sb")
    manifest = json.loads((path / "surrogate0" / "manifest.json").read_text())
    assert manifest["space"] == "nb101" and manifest["hps"] == BUDGETS
    back = SurrogateBenchmark.load(path, table=nb101_table)
    assert back.space.name == "nb101"
    cells = [0, 5, 400_000]
    for h in ("4", "108"):
        np.testing.assert_allclose(
            back.query(cells, DS, M, hp=h), bench.query(cells, DS, M, hp=h), rtol=1e-6
        )


def test_cli_fits_a_budget_curve_model_and_export_refuses_nb101(nb101_table, tmp_path):
    from typer.testing import CliRunner

    from surrogate_nb.cli import app
    from surrogate_nb.regressors import SurrogateBenchmark

    out = tmp_path / "m"
    args = ["fit", str(nb101_table.path), "-d", DS, "-m", M, "--hp", "all", "--curve", "auto"]
    res = CliRunner().invoke(app, [*args, "--model", "lgb", "--train-size", "150", "-o", str(out)])
    assert res.exit_code == 0, res.output
    s = SurrogateBenchmark.load(out).surrogates[(DS, M, None)]
    assert s.hps == BUDGETS and s.model_.n_train_ == 150 and s.space.name == "nb101"
    assert s.model_.design == "svd"
    res = CliRunner().invoke(app, ["export", str(out), "--out", str(tmp_path / "bb")])
    assert res.exit_code != 0 and "423,624 cells" in str(res.exception)
    assert not (tmp_path / "bb").exists()
