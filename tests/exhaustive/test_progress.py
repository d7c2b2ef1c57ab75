"""Honest progress: a build reports before its first trial ends; plain lines off a terminal."""

from __future__ import annotations

import time

from surrogate_nb.cli import _progress
from surrogate_nb.exhaustive import BuildPlan, TrainConfig, run_build

TINY = TrainConfig(epochs=2, channels=4, cells_per_stage=1, batch_size=32, latency_batches=0)


def test_build_reports_before_the_first_unit(tmp_path, toy_dir):
    """Guards: "`snb build` shows `0/None loading data` until the first trial ends"."""
    seen = []
    plan = BuildPlan("npz", str(tmp_path / "t"), config=TINY, cells=[3, 30], seeds=(1,),
                     data_dir=str(toy_dir))  # fmt: skip
    run_build(plan, on_progress=seen.append, max_units=1)
    assert seen[0].total == 2 and seen[0].trained_now == 0 and seen[0].done == 0
    assert seen[-1].trained_now == 1 and seen[-1].done == 1


def test_plain_lines_when_not_a_terminal(monkeypatch, capsys):
    """Off a terminal: a stage line at once, counted lines, a still-running line during a long
    step, one final line; `status` prints start, heartbeat and done lines."""
    monkeypatch.setattr(_progress, "PLAIN_INTERVAL_S", 0.05)
    with _progress.Reporter("fit", plain=True) as bar:
        bar.stage("reading ...")
        bar.update(1, 3, "model fits")
        time.sleep(0.4)  # a long step: the heartbeat speaks
        bar.update(3, 3, "model fits", force=True)
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("fit reading ...")
    assert any("fit 1/3 model fits" in x for x in err)
    assert any("(still running)" in x for x in err)
    assert err[-1].startswith("fit 3/3 model fits")
    with _progress.status("study noise"):
        time.sleep(0.15)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "study noise ..." and err[-1].startswith("study noise: done in")
    assert any("still running" in x for x in err[1:-1])
