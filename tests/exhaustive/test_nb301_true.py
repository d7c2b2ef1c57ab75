"""The surrogate-versus-true experiment on a tiny DARTS build (real training, toy data)."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.evaluation.studies.nb301_true import plan_of_table, surrogate_vs_true
from surrogate_nb.exhaustive import BuildPlan, Ledger, TrainConfig, run_build
from surrogate_nb.regressors import LGBRegressor, Surrogate
from surrogate_nb.table import Benchmark

TINY = TrainConfig(epochs=1, channels=8, layers=5, batch_size=32, latency_batches=0)


def _darts_build(tmp_path, toy_dir, config: TrainConfig, cells: int):
    """(table, its plan, the signal metric, a budget of 3 median trainings) of a tiny build."""
    out = tmp_path / "t"
    run_build(
        BuildPlan(
            "npz",
            str(out),
            config=config,
            cells=cells,
            seeds=(777,),
            space="darts",
            engine="reference",
            data_dir=str(toy_dir),
        )
    )
    table = Benchmark.open(out)
    plan = plan_of_table(table, data_dir=str(toy_dir))
    metric = "valid_acc" if "valid_acc" in table.metrics("npz") else "x-valid_acc"
    budget = 3 * float(np.median(table.to_xy("npz", "train_time_s")[1]))
    return table, plan, metric, budget


def test_both_sides_run_and_the_true_side_replays(tmp_path, toy_dir):
    table, plan, metric, budget = _darts_build(tmp_path, toy_dir, TINY, cells=24)
    assert plan.config == TINY and plan.space == "darts" and plan.seeds == (777,)
    kw = dict(
        optimizers=["random_search", "rea"],
        runs_true=1,
        runs_surrogate=2,
        budget_s=budget,
        surrogate=Surrogate(LGBRegressor(n_estimators=30)),
    )
    r = surrogate_vs_true(table, plan, metric, tmp_path / "r", **kw)
    assert set(r.finals["true"]) == {"random_search", "rea"}
    assert len(r.finals["surrogate"]["rea"]) == 2 and len(r.finals["true"]["rea"]) == 1
    assert r.trained >= 1 and r.seconds_per_run["true"] > 0
    assert np.isnan(r.ranking_tau) or -1.0 <= r.ranking_tau <= 1.0  # NaN: one side all tied
    assert {n: len(v) for n, v in r.surrogate_means.items()} == {"random_search": 2, "rea": 2}
    assert np.isnan(r.ranking_tau_means) or -1.0 <= r.ranking_tau_means <= 1.0
    assert (tmp_path / "r" / "nb301_true_anytime.png").exists()
    with Ledger(plan.ledger_path) as ledger:
        sources = ledger.sources()
        assert {"random_search-true", "rea-true"} <= set(sources)
        # one true run per optimizer: it trained the cells recorded with its source; it
        # evaluated those that fitted its budget
        spent = {
            name: sum(
                rec["train_time_s"]
                for i in sources[f"{name}-true"]
                for rec in ledger.cell_results(i, plan.dataset, plan.config.hp)
            )
            for name in ("random_search", "rea")
        }
    assert all(0 < r.recorded_s[n][0] <= spent[n] + 1e-9 for n in spent)
    runs = [s[0] for s in r.recorded_s.values()]
    assert r.recorded_s_per_true_run == pytest.approx(np.mean(runs))
    again = surrogate_vs_true(table, plan, metric, tmp_path / "r2", **kw)
    assert again.trained == 0 and again.finals["true"] == r.finals["true"]
    assert again.recorded_s == r.recorded_s


def test_multi_fidelity_optimizers_run_on_both_sides_with_a_curve_surrogate(tmp_path, toy_dir):
    """With Hyperband among the optimizers the surrogate side answers every epoch (a learning-
    curve surrogate, no noise model on one seed: runs use its mean) and both sides run."""
    config = TrainConfig(epochs=3, channels=8, layers=5, batch_size=32, latency_batches=0)
    table, plan, metric, budget = _darts_build(tmp_path, toy_dir, config, cells=16)
    r = surrogate_vs_true(
        table,
        plan,
        metric,
        tmp_path / "r",
        optimizers=["random_search", "hyperband"],
        runs_true=1,
        runs_surrogate=2,
        budget_s=budget,
        surrogate=Surrogate(LGBRegressor(n_estimators=30)),
        curve_model="lgb",
    )
    assert set(r.finals["surrogate"]) == {"random_search", "hyperband"}
    assert all(np.isfinite(v) for v in r.finals["surrogate"]["hyperband"])
    assert r.trained >= 1
