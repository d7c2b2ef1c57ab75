"""syne-tune and DEHB on the NB301-style surrogate benchmark of the DARTS space: its
configuration space (`SearchSpace.choices`: per cell and node two inputs and two ops) maps back
to canonical DARTS cells, and multi-fidelity schedulers use the curve surrogate's epochs."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.evaluation.hpo import config_of, config_space, run_syne_tune
from surrogate_nb.regressors import SurrogateBenchmark
from surrogate_nb.space import DARTS
from tests.evaluation.test_nb301_study import darts_table

pytest.importorskip("syne_tune")


@pytest.fixture(scope="module")
def darts_surrogate(tmp_path_factory):
    b = darts_table(tmp_path_factory.mktemp("darts") / "t", seed_noise=1.0, n=60, noise_cells=10)
    curves = SurrogateBenchmark.from_curves(
        b, "fm", "x-valid_acc", rng=np.random.default_rng(0), params={"n_estimators": 20}
    )
    runtime = SurrogateBenchmark.from_table(b, "fm", "train_time_s", rng=np.random.default_rng(0))
    return SurrogateBenchmark.join(curves, runtime)


def test_config_space_round_trips_darts_cells():
    cs = config_space(DARTS)
    assert len(cs) == len(DARTS.choices())
    rng = np.random.default_rng(0)
    for _ in range(20):
        arch = DARTS.sample(rng)
        config = config_of(arch, DARTS)
        assert set(config) == set(cs)
        assert DARTS.index_of(DARTS.from_choices(DARTS.to_choices(arch))) == DARTS.index_of(arch)


@pytest.mark.parametrize("method", ["st_bohb", "dehb"])
def test_multi_fidelity_schedulers_run_on_the_darts_surrogate(darts_surrogate, method):
    t = run_syne_tune(
        method, darts_surrogate, "fm", "x-valid_acc", budget_s=300, rng=np.random.default_rng(0)
    )
    assert len(t.arch_index) >= 10
    assert max(t.epochs) == 4 and min(t.epochs) == 1  # the preset's 4 epochs as the fidelity
    assert all(0 <= int(i) < DARTS.cardinality for i in t.arch_index)
    assert np.isfinite(t.final_report)
