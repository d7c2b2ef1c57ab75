"""`snb search` / `evaluation.search`: N runs per optimizer, mean ± std, an anytime plot."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from surrogate_nb.cli import app
from surrogate_nb.errors import InvalidValueError, UnknownKeyError
from surrogate_nb.evaluation.optimizers import RandomSearch, RegularizedEvolution, make_optimizer
from surrogate_nb.evaluation.search import optimizer_name, plot_anytime, search
from surrogate_nb.table import Benchmark, write_table


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(0)
    trials = [
        {
            "arch_index": int(c),
            "dataset": "d",
            "hp": "4",
            "seed": s,
            "epochs": 4,
            "train_time_s": 40.0,
            "curves": {"valid_acc": rng.uniform(50, 90, 4), "test_acc": rng.uniform(50, 90, 4)},
        }
        for c in range(0, 15625, 31)
        for s in (1, 2)
    ]
    return write_table(tmp_path_factory.mktemp("s") / "t", trials, manifest={})


def test_search_summary_matches_runs(table, tmp_path):
    b = Benchmark.open(table)
    res = search(
        b, "d", "valid_acc", None, optimizers=[RandomSearch(), RegularizedEvolution()],
        runs=4, budget_s=800.0, rng=np.random.default_rng(0), report_metric="test_acc",
    )  # fmt: skip
    assert list(res.trajectories) == ["random_search", "rea"]
    for name, trajs in res.trajectories.items():
        assert len(trajs) == 4 and all(0 < len(t) <= 20 for t in trajs)  # 40 s per evaluation
        finals = np.array([t.final_report for t in trajs])
        mean, std, n = res.final(name)
        assert (mean, n) == (pytest.approx(finals.mean()), 4)
        assert std == pytest.approx(finals.std(ddof=1))
        pool = set(range(0, 15625, 31))
        assert all(set(t.arch_index) <= pool for t in trajs)  # only cells the table holds
    png = plot_anytime(res, tmp_path / "a.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InvalidValueError):
        search(b, "d", "valid_acc", None, optimizers=[RandomSearch()], runs=0, budget_s=1.0,
               rng=np.random.default_rng(0))  # fmt: skip
    with pytest.raises(UnknownKeyError):  # names are the CLI's: mapped through the registry
        make_optimizer(optimizer_name("grid"))
    assert optimizer_name("rs") == "random_search"


def test_snb_search_cli(table, tmp_path):
    out = tmp_path / "s"
    args = ["search", str(table), "-d", "d", "--optimizers", "rs", "rea", "--runs", "3"]
    r = CliRunner().invoke(app, [*args, "--budget", "400", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert set(summary["optimizers"]) == {"random_search", "rea"}
    assert summary["optimizers"]["rea"]["runs"] == 3
    assert (out / "anytime.png").is_file() and (out / "search.json").is_file()
    r = CliRunner().invoke(app, [*args, "bogus", "--budget", "400", "--out", str(out)])
    assert r.exit_code != 0 and "bogus" in str(r.exception)
