"""A true-side cell that another process sharing the ledger is training is waited for, not
reported as failed; a real failure still ends the wait at once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from surrogate_nb.errors import BuildError
from surrogate_nb.evaluation import true_runs


class _Ledger:
    def __init__(self, answers):
        self.answers = answers

    def __call__(self, path):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def cell_results(self, index, dataset, hp):
        return self.answers.pop(0)


def _bench(monkeypatch, answers, errors):
    looks = []
    monkeypatch.setattr(true_runs, "POLL_S", 0.0)
    monkeypatch.setattr(
        true_runs,
        "run_build",
        lambda *a, **k: looks.append(1) or SimpleNamespace(trained_now=0, errors=errors),
    )
    monkeypatch.setattr(true_runs, "Ledger", _Ledger(answers))
    bench = object.__new__(true_runs.TrainingBenchmark)
    bench.plan = SimpleNamespace(
        ledger_path="x", dataset="d", config=SimpleNamespace(hp="4"), seeds=(777,)
    )
    bench.backend, bench.data, bench.on_trained, bench.trained_now = None, None, None, 0
    bench._records = {}
    monkeypatch.setattr(
        true_runs.TrainingBenchmark, "space", property(lambda self: SimpleNamespace(index_of=int))
    )
    return bench, looks


def test_a_cell_trained_elsewhere_is_waited_for(monkeypatch):
    rec = {"seed": 777, "curves": {}}
    bench, looks = _bench(monkeypatch, [[], [], [rec]], errors={})
    assert bench.records(5) == [rec] and len(looks) == 3


def test_a_failed_training_is_not_waited_for(monkeypatch):
    bench, looks = _bench(monkeypatch, [[]], errors={(5, 777): "diverged"})
    with pytest.raises(BuildError, match="training cell 5 failed: diverged"):
        bench.records(5)
    assert len(looks) == 1
