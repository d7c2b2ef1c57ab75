"""`snb demo` progress into a file: a line as each step starts and ends, counts of the live
build, and "still running" lines while one step runs long."""

from __future__ import annotations

import time
from types import SimpleNamespace

from surrogate_nb.cli import _demo, _progress


def test_plain_lines_during_a_long_step(capsys, monkeypatch):
    monkeypatch.setattr(_progress, "PLAIN_INTERVAL_S", 0.05)
    monkeypatch.setattr(_demo, "is_terminal", lambda: False)
    with _demo._DemoProgress() as p:
        p.stage("starting", "loading libraries")
        first = capsys.readouterr().err
        p.on_event("stage", {"name": "live build", "detail": "training cells"})
        p.on_event("build", SimpleNamespace(done=1, failed=0, total=3))
        time.sleep(0.5)  # a step that runs longer than 3 intervals
        p.on_event("done", {"name": "live build", "seconds": 12.3})
    err = capsys.readouterr().err.splitlines()
    assert first.startswith("demo starting: loading libraries")
    assert err[0].startswith("demo live build: training cells")
    assert any("1/3 live build: cells trained" in line for line in err)
    assert any("(still running)" in line for line in err[1:-1])
    assert err[-1].startswith("demo live build: done (12 s)")


def test_plain_lines_follow_the_step_still_running(capsys, monkeypatch):
    """The live build ends while a study runs: "still running" names the study again."""
    monkeypatch.setattr(_progress, "PLAIN_INTERVAL_S", 0.05)
    monkeypatch.setattr(_demo, "is_terminal", lambda: False)
    with _demo._DemoProgress() as p:
        p.on_event("stage", {"name": "live build", "detail": "training cells"})
        p.on_event("stage", {"name": "leave-out", "detail": "fitting"})
        p.on_event("done", {"name": "live build", "seconds": 5.0})
        capsys.readouterr()
        time.sleep(0.5)
    late = capsys.readouterr().err.splitlines()
    assert late and all("leave-out: fitting" in line for line in late)
