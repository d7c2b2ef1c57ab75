"""What a lookup means, on real written tables: sampled seeds, per-epoch cost and what a
multi-fidelity run is charged, run columns -> seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surrogate_nb.table import Benchmark, write_table
from surrogate_nb.table.importers.wide import import_wide

N, T = 3000, 3
SEEDS = (777, 888)


def _value(cell: int, seed: int, epoch: int) -> float:
    return cell + (0.25 if seed == 777 else 0.75) + 100_000 * epoch / 1e4


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    trials = []
    for c in range(N):
        for s in SEEDS:
            if c % 5 == 0 and s == 777:
                continue  # only seed 888 ran
            curve = [_value(c, s, e) for e in range(T)]
            if c % 7 == 0 and s == 777:
                curve = [None] * T  # the trial exists, this metric was not recorded
            trials.append(
                {
                    "arch_index": c,
                    "dataset": "d",
                    "hp": str(T),
                    "seed": s,
                    "epochs": T,
                    "train_time_s": 30.0 * (1 + c % 4),
                    "curves": {"valid_acc": curve},
                }
            )
    return Benchmark.open(write_table(tmp_path_factory.mktemp("t") / "t", trials, manifest={}))


def test_sample_draws_each_cells_own_seed_at_the_expected_rate(table):
    """Each sampled value is one of that cell's own seed values at that epoch; cells with one
    usable seed always give it; two-seed cells draw each seed about half the time, independently
    per cell. Planted bugs caught: one draw shared by all cells, drawing among seeds without a
    value (NaN), an off-by-one in the cumulative pick (one seed favoured), the wrong epoch."""
    cells = np.arange(N)
    rng = np.random.default_rng(0)
    for epoch in (0, T - 1):
        got = table.query(cells, "d", "valid_acc", epoch=epoch, seed="sample", rng=rng)
        frac = got - cells - 100_000 * epoch / 1e4
        single = (cells % 5 == 0) | (cells % 7 == 0)
        np.testing.assert_allclose(frac[single], 0.75, atol=1e-3)  # seed 888 only
        two = frac[~single]
        assert np.all(np.isclose(two, 0.25, atol=1e-3) | np.isclose(two, 0.75, atol=1e-3))
        share = np.mean(np.isclose(two, 0.25, atol=1e-3))
        assert 0.46 < share < 0.54  # ~2060 cells: sd ~ 0.011
    scalar = [table.query(c, "d", "valid_acc", seed="sample", rng=rng) for c in range(1, 400)]
    frac = np.array(scalar) - np.arange(1, 400) - 100_000 * (T - 1) / 1e4
    assert set(np.round(frac, 2)) <= {0.25, 0.75}


def test_per_epoch_cost_and_multi_fidelity_charge(table):
    """train_time_per_epoch_s = train_time_s / T; a run that trains e epochs is charged e times
    that. Planted bugs caught: charging the full run for a partial one, dividing by T - 1."""
    for c in (1, 2, 3, 4):
        cost = table.cost(c, "d")
        assert cost["train_time_s"] == pytest.approx(30.0 * (1 + c % 4))
        assert cost["train_time_per_epoch_s"] == pytest.approx(30.0 * (1 + c % 4) / T)
    from surrogate_nb.evaluation.optimizers import CellPool, Hyperband

    traj = Hyperband().run(
        table,
        "d",
        "valid_acc",
        None,
        3000.0,
        np.random.default_rng(0),
        report_metric="valid_acc",
        pool=CellPool(np.arange(N)),
    )
    assert len(traj) > 5 and len(set(traj.epochs)) > 1  # several fidelities were used
    spent = np.diff(np.concatenate([[0.0], traj.time_s]))
    per_epoch = np.array([30.0 * (1 + c % 4) / T for c in traj.arch_index])
    np.testing.assert_allclose(spent, per_epoch * np.array(traj.epochs), rtol=1e-9)


def test_wide_run_columns_become_those_seeds(tmp_path):
    """``_run1`` and ``_run3`` give seeds 1 and 3 (not 0 and 1), each with its own values."""
    src = tmp_path / "w.csv"
    pd.DataFrame(
        {
            "index": [4, 8, 15],
            "ds_valid_acc_12_run1": [10.0, 20.0, 30.0],
            "ds_valid_acc_12_run3": [11.0, 21.0, np.nan],
        }
    ).to_csv(src, index=False)
    b = Benchmark.open(import_wide(src, tmp_path / "t"))
    assert b.seeds("ds") == [1, 3]
    assert [b.query(c, "ds", "valid_acc", seed=1) for c in (4, 8, 15)] == [10.0, 20.0, 30.0]
    assert [b.query(c, "ds", "valid_acc", seed=3) for c in (4, 8)] == [11.0, 21.0]
    assert np.isnan(b.query(15, "ds", "valid_acc", seed=3))
    assert b.query_with_count(15, "ds", "valid_acc") == (30.0, 1)
