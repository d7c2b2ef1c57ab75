"""Study reports: a `report.md`, one PNG per figure and `figures.json` holding every figure's data.

A study builds a `Report`, adds prose, tables and figures in reading order (the headline figure
first), and calls `write()`. Figures are drawn with matplotlib's Agg backend (no display needed);
each figure's plotted numbers go, under the figure's name, into `figures.json`, so every plot can
be re-drawn or checked without re-running the study.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: Colours that stay distinguishable for colour-blind readers (Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def jsonable(value: Any) -> Any:
    """`value` with numpy scalars/arrays turned into plain Python (NaN/inf become None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, Path):
        return str(value)
    return value


def pyplot():
    """matplotlib.pyplot on the Agg backend, with the report style applied."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "axes.titlesize": 11,
            "legend.fontsize": 9,
            "legend.frameon": False,
        }
    )
    return plt


def mean_band(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and a 95% normal-approximation confidence band (mean ± 1.96 s.e.) ignoring NaNs."""
    import warnings

    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        n = np.sum(np.isfinite(v), axis=axis)
        mean = np.nanmean(v, axis=axis) if v.size else np.full(v.shape[1 - axis], np.nan)
        sd = np.nanstd(v, axis=axis, ddof=1) if v.shape[axis] > 1 else np.zeros_like(mean)
        se = np.where(n > 1, sd / np.sqrt(np.maximum(n, 1)), 0.0)
    return mean, mean - 1.96 * se, mean + 1.96 * se


@dataclass
class _Figure:
    name: str
    caption: str
    data: Any
    headline: bool


@dataclass
class Report:
    """A study report under construction.

    Args:
        out: output directory (created).
        title: the report's H1 title.
    """

    out: Path
    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)
    figures: dict[str, _Figure] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        self.out.mkdir(parents=True, exist_ok=True)

    def text(self, markdown: str) -> None:
        """A paragraph (or any markdown) in reading order."""
        self.blocks.append(("text", markdown.strip()))

    def heading(self, text: str, level: int = 2) -> None:
        """A section heading."""
        self.blocks.append(("text", "#" * level + " " + text))

    def table(self, rows: Sequence[dict[str, Any]], *, floatfmt: str = ".3f") -> None:
        """A markdown table from dict rows (columns from the first row)."""
        if not rows:
            return
        cols = list(rows[0])

        def fmt(v: Any) -> str:
            if isinstance(v, (float, np.floating)):
                return "–" if not math.isfinite(float(v)) else format(float(v), floatfmt)
            return str(v)

        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
        self.blocks.append(("text", "\n".join(lines)))

    def figure(
        self,
        name: str,
        draw: Callable[[Any], None] | Any,
        data: Any,
        caption: str,
        *,
        headline: bool = False,
        size: tuple[float, float] = (6.4, 4.0),
    ) -> Path:
        """Draw a figure into `<out>/<name>.png` and keep `data` for `figures.json`.

        Args:
            name: file stem and JSON key (letters, digits, '-', '_').
            draw: called with a fresh matplotlib Figure; it adds axes and plots.
            data: the plotted numbers (JSON-able after `jsonable`).
            caption: one or two sentences saying what is plotted, on which data.
            headline: put this figure at the top of the report.
            size: inches.

        Returns:
            The PNG path.
        """
        plt = pyplot()
        fig = plt.figure(figsize=size)
        try:
            draw(fig)
            fig.tight_layout()
            path = self.out / f"{name}.png"
            fig.savefig(path)
        finally:
            plt.close(fig)
        self.figures[name] = _Figure(name, caption, jsonable(data), headline)
        self.blocks.append(("figure", name))
        return path

    def write(self) -> Path:
        """Write report.md, figures.json and summary.json; return the report path."""
        head = [f for f in self.figures.values() if f.headline]
        lines = [f"# {self.title}", ""]
        for f in head:
            lines += [f"![{f.name}]({f.name}.png)", "", f"*{f.caption}*", ""]
        for kind, value in self.blocks:
            if kind == "figure":
                f = self.figures[value]
                if f.headline:
                    continue
                lines += [f"![{f.name}]({f.name}.png)", "", f"*{f.caption}*", ""]
            else:
                lines += [value, ""]
        path = self.out / "report.md"
        path.write_text("\n".join(lines).rstrip() + "\n")
        (self.out / "figures.json").write_text(
            json.dumps(
                {f.name: {"caption": f.caption, "data": f.data} for f in self.figures.values()},
                indent=1,
            )
        )
        (self.out / "summary.json").write_text(json.dumps(jsonable(self.summary), indent=1))
        return path
