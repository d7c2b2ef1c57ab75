"""NB301's evaluation protocol on a DARTS table: parts, the noise decision, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from surrogate_nb.cli import app
from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.evaluation.studies.nb301 import (
    by_optimizer,
    nb301_study,
    noise_comparison,
    source_regions,
)
from surrogate_nb.regressors import LGBRegressor, Surrogate
from surrogate_nb.space import DARTS
from surrogate_nb.table import Benchmark, write_table


def darts_table(path, *, seed_noise: float, n: int = 160, noise_cells: int = 20):
    """Values = a function of the cell's op counts + per-seed noise; sources random / rea."""
    rng = np.random.default_rng(0)
    idx = np.unique(DARTS.as_indices([DARTS.sample(rng) for _ in range(n)]))
    X = DARTS.featurize(idx, "stats")
    truth = 60 + 2.0 * X[:, 3] - 1.5 * X[:, 2] + X[:, 9]
    trials = []
    for k, (c, v) in enumerate(zip(idx, truth)):
        for s in (777, 888, 999, 1111, 2222) if k < noise_cells else (777,):
            val = float(v + rng.normal(0, seed_noise))
            trials.append(
                {
                    "arch_index": int(c),
                    "dataset": "fm",
                    "hp": "4",
                    "seed": s,
                    "epochs": 4,
                    "status": "ok",
                    "train_time_s": float(10 + X[k, 3]),
                    "curves": {"x-valid_acc": [val - 3, val - 2, val - 1, val]},
                }
            )
    sources = {
        "random": [int(c) for c in idx[: 2 * len(idx) // 3]],
        "rea": [int(c) for c in idx[2 * len(idx) // 3 :]],
    }
    write_table(path, trials, manifest={"command": "test", "sources": sources}, space="darts")
    return Benchmark.open(path)


LGB = Surrogate(LGBRegressor(n_estimators=150), calibrate=False, space="darts")


def test_noise_decision_follows_the_seed_noise(tmp_path):
    """A learnable truth: with large seed noise the surrogate beats one seed; without, not."""
    for noise, holds in ((3.0, True), (0.0, False)):
        b = darts_table(tmp_path / f"t{noise}", seed_noise=noise)
        idx, y = b.to_xy("fm", "x-valid_acc")
        Y = np.stack([b.query(idx, "fm", "x-valid_acc", seed=s) for s in b.seeds("fm")], 1)
        r = noise_comparison(LGB, idx, y, Y, np.random.default_rng(0))
        assert r["cells"] == 20 and r["holds"] is holds


def test_source_regions_need_enough_cells():
    idx = np.arange(40)
    regions = source_regions({"a": list(range(30)), "b": [30, 31], "c": list(range(30, 40))}, idx)
    assert sorted(regions) == ["a", "c"] and regions["c"].sum() == 10


def test_true_runs_count_as_their_optimizer():
    sources = {"random": [1, 2], "rea": [3], "rea-true": [3, 4], "tpe-true": [5], "all": 7}
    assert by_optimizer(sources) == {"random": [1, 2], "rea": [3, 4], "tpe": [5]}


def test_parts_run_only_the_chosen_ones_on_the_same_split(tmp_path):
    b = darts_table(tmp_path / "t", seed_noise=1.0)
    kw = dict(surrogates={"lgb": LGB}, sizes=(30,))
    only = nb301_study(
        b, "fm", "x-valid_acc", tmp_path / "a", rng=np.random.default_rng(0), parts=["split"], **kw
    )
    assert only.parts == ("split",) and len(only.split_rows) == 1
    assert not (only.size_rows or only.source_rows or only.noise or only.runtime)
    report = (tmp_path / "a" / "report.md").read_text()
    assert "Parts run: split" in report and "Leave one optimizer out" not in report
    every = nb301_study(b, "fm", "x-valid_acc", tmp_path / "b", rng=np.random.default_rng(0), **kw)
    assert every.split_rows == only.split_rows  # same split, same first fit
    with pytest.raises(UnknownKeyError, match="splt"):
        nb301_study(
            b,
            "fm",
            "x-valid_acc",
            tmp_path / "c",
            rng=np.random.default_rng(0),
            parts=["splt"],
            **kw,
        )


def test_a_models_numbers_do_not_depend_on_what_else_ran(tmp_path):
    """Each fit draws from its own stream (part, model, size or source): another model before
    it, or more parts, leave its rows as they are."""
    b = darts_table(tmp_path / "t", seed_noise=1.0)
    rng = np.random.default_rng
    other = Surrogate(LGBRegressor(n_estimators=40, n_members=3), calibrate=False, space="darts")
    alone = nb301_study(
        b,
        "fm",
        "x-valid_acc",
        tmp_path / "a",
        surrogates={"lgb": LGB},
        sizes=(30,),
        rng=rng(0),
        parts=["split", "sources"],
    )
    both = nb301_study(
        b,
        "fm",
        "x-valid_acc",
        tmp_path / "b",
        surrogates={"other": other, "lgb": LGB},
        sizes=(30, 100),
        rng=rng(0),
    )
    mine = [row for row in both.split_rows + both.source_rows if row["model"] == "lgb"]
    assert mine == alone.split_rows + alone.source_rows
    theirs = [row for row in both.split_rows if row["model"] == "other"]
    assert theirs != alone.split_rows  # the check can fail: another model scores otherwise


def test_study_writes_every_part(tmp_path):
    b = darts_table(tmp_path / "t", seed_noise=1.0)
    r = nb301_study(
        b,
        "fm",
        "x-valid_acc",
        tmp_path / "r",
        surrogates={"lgb": LGB},
        sizes=(30, 100),
        rng=np.random.default_rng(0),
    )
    assert r.cells == 160 and r.split == (128, 16)
    assert [row["n_train"] for row in r.size_rows] == [30, 100]
    assert {row["left out"] for row in r.source_rows} == {"random", "rea"}
    assert r.split_rows[0]["kendall_tau"] > 0.5 and r.runtime["cells"] == 16
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["noise"]["cells"] == 20
    assert (tmp_path / "r" / "nb301_train_size.png").stat().st_size > 0


def test_cli(tmp_path):
    darts_table(tmp_path / "t", seed_noise=1.0)
    res = CliRunner().invoke(
        app,
        [
            "study",
            "nb301",
            "-t",
            str(tmp_path / "t"),
            "-d",
            "fm",
            "-m",
            "x-valid_acc",
            "--models",
            "lgb",
            "--sizes",
            "30",
            "-o",
            str(tmp_path / "r"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "best held-out τ" in res.output and (tmp_path / "r" / "report.md").exists()
    bad = CliRunner().invoke(
        app,
        [
            "study",
            "nb301",
            "-t",
            str(tmp_path / "t"),
            "-d",
            "fm",
            "-m",
            "x-valid_acc",
            "--models",
            "bogus",
        ],
    )
    assert bad.exit_code != 0


@pytest.mark.parametrize("n", [10])
def test_too_small_a_table_is_refused(tmp_path, n):
    from surrogate_nb.errors import SurrogateNBError

    b = darts_table(tmp_path / "t", seed_noise=1.0, n=n, noise_cells=0)
    with pytest.raises(SurrogateNBError, match=">= 20 cells"):
        nb301_study(
            b,
            "fm",
            "x-valid_acc",
            tmp_path / "r",
            surrogates={"lgb": LGB},
            rng=np.random.default_rng(0),
        )
