"""Tables of a space that cannot be enumerated (DARTS): sparse rows over the held cells."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.space import DARTS
from surrogate_nb.space.darts import SIZE
from surrogate_nb.table import Benchmark, write_table


@pytest.fixture
def darts_table(tmp_path):
    rng = np.random.default_rng(0)
    cells = [DARTS.sample(rng).index for _ in range(30)] + [SIZE - 1, 0]
    trials = [
        {
            "arch_index": c,
            "dataset": "fm",
            "hp": "3",
            "seed": seed,
            "epochs": 3,
            "status": "ok",
            "train_time_s": 1.0 + k,
            "curves": {"valid_acc": [10.0, 20.0, 30.0 + k + seed]},
        }
        for k, c in enumerate(cells)
        for seed in (0, 1)
        if not (k == 5 and seed == 1)  # one cell with a single seed
    ]
    path = write_table(tmp_path / "t", trials, manifest={"command": "test"}, space="darts")
    return Benchmark.open(path), cells


def test_ranks_above_int32_are_stored_exactly(darts_table):
    b, cells = darts_table
    files = list((b.path / "data").glob("*.parquet"))
    stored = pq.read_table(files[0], columns=["arch_index"]).column(0)
    assert str(stored.type) == "int64"
    assert set(stored.to_pylist()) == set(cells)
    assert b.row_cells().tolist() == sorted(cells)


def test_queries_answer_held_cells_and_nan_elsewhere(darts_table):
    b, cells = darts_table
    assert b.query(cells[3], "fm", "valid_acc") == 33.5  # mean of 33 and 34
    assert b.query(cells[3], "fm", "valid_acc", seed=1) == 34.0
    assert b.query_with_count(cells[5], "fm", "valid_acc") == (35.0, 1)
    assert b.n_seeds(cells[5], "fm") == 1 and b.n_seeds([cells[4], 7], "fm").tolist() == [2, 0]
    assert b.query(SIZE - 1, "fm", "train_time_s") == 31.0
    v, n = b.query_with_count(np.array([cells[0], cells[0] + 1, 1]), "fm", "valid_acc")
    assert v[0] == 30.5 and np.isnan(v[1:]).all() and n.tolist() == [2, 0, 0]
    assert b.query(DARTS.from_index(cells[2]), "fm", "valid_acc", epoch=0) == 10.0
    assert b.curve(str(DARTS.from_index(cells[1])), "fm", "valid_acc").tolist() == [10, 20, 31.5]
    with pytest.raises(InvalidArchError):
        b.query(SIZE, "fm", "valid_acc")


def test_to_xy_best_and_arrays_cover_the_held_cells(darts_table):
    b, cells = darts_table
    idx, y = b.to_xy("fm", "valid_acc")
    assert idx.tolist() == sorted(cells)
    order = np.argsort(cells)
    assert np.allclose(y, [30.5 + k - 0.5 * (k == 5) for k in order])
    best, value = b.best("fm", "valid_acc")
    assert best.index == 0 and value == 30.5 + 31
    assert b.array("fm", "valid_acc").shape == (32, 2, 3)
    assert b.present("fm").sum() == 63
