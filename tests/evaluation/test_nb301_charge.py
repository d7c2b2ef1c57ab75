"""The surrogate-versus-true experiment's fixed charge: every full training costs the same
simulated seconds on both sides, whatever the benchmark records."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.evaluation.optimizers import Hyperband, RandomSearch
from surrogate_nb.evaluation.studies.nb301_true import FixedCharge


def test_fixed_charge_replaces_the_recorded_time(fake_benchmark):
    charged = FixedCharge(fake_benchmark, 40.0)
    arch = fake_benchmark.space.from_index(3)
    recorded = fake_benchmark.cost(arch, "synth")
    assert recorded["train_time_s"] != 40.0
    cost = charged.cost(arch, "synth")
    assert cost["train_time_s"] == 40.0
    assert cost["train_time_per_epoch_s"] == pytest.approx(40.0 / fake_benchmark.T)
    # everything else is the benchmark's
    assert charged.query(arch, "synth", "valid_acc") == fake_benchmark.query(
        arch, "synth", "valid_acc"
    )
    assert charged.space is fake_benchmark.space


def test_a_budget_of_n_charges_is_n_full_trainings(fake_benchmark):
    charged = FixedCharge(fake_benchmark, 40.0)
    t = RandomSearch().run(charged, "synth", "valid_acc", None, 7 * 40.0, np.random.default_rng(0))
    assert len(t.arch_index) == 7 and t.time_s[-1] == pytest.approx(280.0)
    hb = Hyperband().run(charged, "synth", "valid_acc", None, 7 * 40.0, np.random.default_rng(0))
    per_epoch = 40.0 / fake_benchmark.T
    assert np.allclose(np.diff([0.0, *hb.time_s]), [per_epoch * e for e in hb.epochs])


def test_ranking_interval_follows_the_runs():
    from surrogate_nb.evaluation.studies.nb301_true import ranking_interval

    names = ["a", "b", "c"]
    surrogate = {"a": [1.0, 1.1, 0.9], "b": [2.0, 2.1, 1.9], "c": [3.0, 3.0, 3.1]}
    rng = np.random.default_rng(0)
    # well separated, same order on both sides: every resample agrees
    same = {"a": [10.0, 10.5, 9.5], "b": [20.0, 21.0, 19.0], "c": [30.0, 31.0, 29.0]}
    r = ranking_interval({"surrogate": surrogate, "true": same}, names, rng, resamples=200)
    assert r == {"low": 1.0, "high": 1.0, "positive": 1.0}
    # reversed order: every resample disagrees
    rev = {"a": [30.0, 31.0], "b": [20.0, 21.0], "c": [10.0, 11.0]}
    r = ranking_interval({"surrogate": surrogate, "true": rev}, names, rng, resamples=200)
    assert r == {"low": -1.0, "high": -1.0, "positive": 0.0}
    # overlapping true runs: the interval spans both signs
    loose = {"a": [10.0, 30.0], "b": [20.0, 21.0], "c": [15.0, 25.0]}
    r = ranking_interval({"surrogate": surrogate, "true": loose}, names, rng, resamples=200)
    assert r["low"] < 0 < r["high"] and 0 < r["positive"] < 1
