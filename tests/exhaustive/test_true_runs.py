"""Real training as a benchmark: optimizer sources of a build, resumable runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from surrogate_nb.errors import BuildError, UnknownKeyError
from surrogate_nb.evaluation.true_runs import TrainingBenchmark, build_from_optimizer
from surrogate_nb.exhaustive import BuildPlan, Ledger, TrainConfig
from surrogate_nb.space import DARTS

TINY = TrainConfig(epochs=2, channels=8, layers=5, batch_size=32, latency_batches=0)


@pytest.fixture
def plan(tmp_path, toy_dir):
    return BuildPlan(
        "npz",
        str(tmp_path / "t"),
        config=TINY,
        cells=3,
        seeds=(777,),
        space="darts",
        engine="reference",
        data_dir=str(toy_dir),
    )


def test_training_benchmark_trains_once_and_answers_from_the_ledger(plan):
    bench = TrainingBenchmark(plan, "probe")
    g = DARTS.sample(np.random.default_rng(5))
    v = bench.query(g, "npz", "x-valid_acc") if "x-valid_acc" in bench.metrics() else None
    metric = "x-valid_acc" if v is not None else "valid_acc"
    value = bench.query(g, "npz", metric)
    assert bench.trained_now == 1 and 0 <= value <= 100
    assert bench.query(g, "npz", metric, epoch=0) == bench.records(g)[0]["curves"][metric][0]
    cost = bench.cost(g, "npz")
    assert cost["train_time_s"] > 0 and cost["train_time_per_epoch_s"] == cost["train_time_s"] / 2
    again = TrainingBenchmark(plan, "probe")  # a new process: the ledger answers
    assert again.query(g, "npz", metric) == value and again.trained_now == 0
    with Ledger(plan.ledger_path) as ledger:
        assert ledger.sources() == {"probe": [g.index]}
    with pytest.raises(UnknownKeyError):
        bench.query(g, "cifar10", metric)


def test_build_from_optimizer_records_its_source_and_resumes(plan):
    first = build_from_optimizer(plan, "rea", seed=0)
    assert first.total == 3 and first.trained_now >= 1 and first.table
    with open(f"{first.table}/manifest.json") as fh:
        m = json.load(fh)
    assert set(m["sources"]) == {"rea"} and len(m["sources"]["rea"]) == first.done
    again = build_from_optimizer(plan, "rea", seed=0)  # the same run replays from the ledger
    assert again.trained_now == 0 and again.done == first.done
    with pytest.raises(BuildError, match="not a source"):
        build_from_optimizer(plan, "hyperband")
