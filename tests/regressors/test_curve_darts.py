"""Learning-curve surrogates over a space too large to list (DARTS): rows of a sparse table are
cells, and the memo holds the cells asked for."""

from __future__ import annotations

import numpy as np

from surrogate_nb.regressors import SurrogateBenchmark
from surrogate_nb.regressors.curve import curves_from_table
from tests.evaluation.test_nb301_study import darts_table


def test_curves_of_a_sparse_table_are_keyed_by_cell(tmp_path):
    b = darts_table(tmp_path / "t", seed_noise=1.0, n=40, noise_cells=5)
    idx, Y = curves_from_table(b, "fm", "x-valid_acc")
    assert np.array_equal(idx, b.row_cells())  # every held cell has a whole curve
    assert idx.max() > len(idx)  # int64 cell keys, not row positions
    for k in (0, 7, 39):
        got = np.nanmean(Y[k, :, -1])
        assert got == np.float32(b.query(int(idx[k]), "fm", "x-valid_acc"))


def test_curve_benchmark_answers_any_darts_cell_at_every_epoch(tmp_path):
    b = darts_table(tmp_path / "t", seed_noise=1.0, n=60, noise_cells=10)
    sb = SurrogateBenchmark.from_curves(
        b, "fm", "x-valid_acc", rng=np.random.default_rng(0), params={"n_estimators": 20}
    )
    (surrogate,) = sb.surrogates.values()
    new = np.array([b.space.index_of(b.space.sample(np.random.default_rng(9)))])
    cells = np.concatenate([b.row_cells()[:3], new, b.row_cells()[:1]])
    together = sb.query(cells, "fm", "x-valid_acc", epoch=2)
    one_by_one = [sb.query(int(c), "fm", "x-valid_acc", epoch=2) for c in cells]
    assert np.allclose(together, one_by_one) and together[0] == together[-1]
    assert len(surrogate._memo.slot) == 4  # the distinct cells asked for, nothing listed
    curve = [sb.query(int(new[0]), "fm", "x-valid_acc", epoch=e) for e in range(4)]
    assert np.all(np.diff(curve) > 0)  # the table's curves rise by 1 per epoch
    draw = sb.query(
        int(new[0]), "fm", "x-valid_acc", epoch=3, seed="sample", rng=np.random.default_rng(1)
    )
    assert np.isfinite(draw) and draw != curve[-1]
