"""The surrogate side of `nb301-true` is fitted without the cells only the true runs proposed:
the cell choice (`fit_cells`), fitting on given cells (`fit_from_table(cells=...)`) and one
benchmark joining a curve surrogate and a runtime surrogate (`SurrogateBenchmark.join`)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from surrogate_nb.errors import DataError, SurrogateNBError
from surrogate_nb.evaluation.studies.nb301_true import fit_cells
from surrogate_nb.regressors import SurrogateBenchmark
from surrogate_nb.regressors.fitting import fit_from_table
from tests.evaluation.test_nb301_study import LGB, darts_table


def test_fit_cells_leave_out_what_only_true_runs_proposed():
    table = SimpleNamespace(
        manifest={"sources": {"random": [3, 1], "rea": [5], "rea-true": [5, 9], "tpe-true": [11]}}
    )
    # 5 was also proposed by rea (kept); 9 and 11 only by true runs (left out)
    assert fit_cells(table).tolist() == [1, 3, 5]


def test_fit_cells_without_recorded_sources_is_every_cell():
    assert fit_cells(SimpleNamespace(manifest={})) is None
    # an enumerable space's manifest records counts, not cell lists
    assert fit_cells(SimpleNamespace(manifest={"sources": {"all": 15625}})) is None


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return darts_table(tmp_path_factory.mktemp("darts") / "t", seed_noise=1.0, n=60, noise_cells=5)


def test_fit_from_table_keeps_the_given_cells_only(table):
    idx, _ = table.to_xy("fm", "x-valid_acc")
    chosen = idx[::3]
    fit = fit_from_table(
        table, "fm", "x-valid_acc", rng=np.random.default_rng(0), surrogate=LGB, cells=chosen
    )
    assert len(fit.train) + len(fit.test) == len(chosen)
    with pytest.raises(DataError, match="none of the 2 cells"):
        fit_from_table(table, "fm", "x-valid_acc", rng=np.random.default_rng(0), cells=[1, 2])


def test_join_answers_both_parts_and_refuses_a_key_twice(table):
    rng = np.random.default_rng(0)
    curves = SurrogateBenchmark.from_curves(
        table, "fm", "x-valid_acc", rng=rng, params={"n_estimators": 10}
    )
    runtime = SurrogateBenchmark.from_table(table, "fm", "train_time_s", rng=rng, surrogate=LGB)
    both = SurrogateBenchmark.join(curves, runtime)
    assert set(both.surrogates) == {("fm", "x-valid_acc", None), ("fm", "train_time_s", None)}
    assert both.table is curves.table
    cell = int(table.to_xy("fm", "x-valid_acc")[0][0])
    assert np.isfinite(both.query(cell, "fm", "x-valid_acc", epoch=2))
    assert both.cost(cell, "fm")["train_time_s"] > 0
    with pytest.raises(SurrogateNBError, match="answered by two parts"):
        SurrogateBenchmark.join(runtime, runtime)
