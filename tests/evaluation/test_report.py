"""`Report`: markdown order (headline first), PNGs, figures.json, JSON-safe data."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from surrogate_nb.evaluation.report import Report, jsonable, mean_band


def test_report_writes_markdown_png_and_json(tmp_path):
    rep = Report(tmp_path / "r", "A title")
    rep.text("Intro paragraph.")

    def draw(fig):
        ax = fig.add_subplot()
        ax.plot([1, 2, 3], [1, 4, 9], label="y")
        ax.set_xlabel("x (s)")
        ax.legend()

    rep.figure("second", draw, {"x": np.arange(3), "y": [1.0, math.nan]}, "Second figure.")
    rep.figure("first", draw, {"k": np.float32(1.5)}, "Headline figure.", headline=True)
    rep.table([{"a": 1, "b": 0.12345}, {"a": 2, "b": math.nan}])
    rep.summary = {"n": np.int64(3)}
    md = rep.write().read_text()
    assert md.startswith("# A title")
    assert md.index("first.png") < md.index("Intro paragraph.") < md.index("second.png")
    assert md.count("first.png") == 1
    assert "| a | b |" in md and "0.123" in md and "–" in md
    data = json.loads((tmp_path / "r" / "figures.json").read_text())
    assert data["second"]["data"] == {"x": [0, 1, 2], "y": [1.0, None]}
    assert data["first"]["caption"] == "Headline figure."
    for name in ("first", "second"):
        png = (tmp_path / "r" / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "r" / "summary.json").read_text()) == {"n": 3}


def test_mean_band():
    v = np.array([[1.0, np.nan], [3.0, 2.0], [5.0, np.nan]])
    mean, lo, hi = mean_band(v)
    assert mean[0] == 3.0 and lo[0] < 3.0 < hi[0]
    assert hi[0] - mean[0] == pytest.approx(1.96 * 2.0 / np.sqrt(3))
    assert mean[1] == 2.0 and lo[1] == hi[1] == 2.0  # one value: no band


def test_jsonable():
    out = jsonable({1: np.array([np.inf, 2]), "p": (np.int32(4),)})
    assert out == {"1": [None, 2.0], "p": [4]}
