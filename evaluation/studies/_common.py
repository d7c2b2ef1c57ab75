"""Pieces the studies share: the data they describe, fitting and scoring surrogates, results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from surrogate_nb.evaluation.metrics import all_metrics
from surrogate_nb.evaluation.report import jsonable
from surrogate_nb.regressors import (
    LGBRegressor,
    Surrogate,
    SurrogateModel,
    XGBRegressor,
    fit_copy,
)
from surrogate_nb.table import BenchmarkLike


def default_surrogates() -> dict[str, SurrogateModel]:
    """The surrogates studies fit unless given others: ``{"xgb": ..., "lgb": ...}``."""
    return {"xgb": Surrogate(XGBRegressor()), "lgb": Surrogate(LGBRegressor())}


def score(y_true: np.ndarray, mean: np.ndarray, std: np.ndarray) -> dict[str, float]:
    """`surrogate_nb.evaluation.metrics.all_metrics` (Kendall tau, R², RMSE, NLL, coverage ...)."""
    return {k: float(v) for k, v in all_metrics(y_true, mean, std).items()}


def fit_predict(
    prototype: SurrogateModel,
    train_idx: np.ndarray,
    y_train: np.ndarray,
    test_idx: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit a copy of `prototype` on (train cells, labels); predict the test cells: (mean, std).
    The model is used once, so only the test cells are predicted (no memo of the space)."""
    model = fit_copy(prototype, train_idx, y_train, rng=rng)
    test = np.asarray(test_idx, np.int64)
    if isinstance(model, Surrogate):
        mean, std = model.predict(test, memoise=False)
    else:
        mean, std = model.predict(test)
    return np.asarray(mean, np.float64), np.asarray(std, np.float64)


def default_budget(
    benchmark: BenchmarkLike, cells: np.ndarray, dataset: str, hp: str | None
) -> float:
    """The studies' default simulated budget per optimizer run: 100 times the median training
    time of `cells` (seconds)."""
    times = benchmark.query(cells, dataset, "train_time_s", hp=hp)
    return 100 * float(np.nanmedian(times))


def metric_unit(metric: str) -> str:
    """Axis-label unit of a table metric."""
    if metric.endswith(("_acc", "_acc5")):
        return "accuracy points, %"
    if metric.endswith("_time") or metric.endswith("_s"):
        return "seconds"
    if metric.endswith("_loss"):
        return "cross-entropy"
    return f"{metric} units"


#: Suffix of the sources of `nb301-true`'s real-training runs: ``<optimizer>-true``.
TRUE_SUFFIX = "-true"


def recorded_sources(sources: Any) -> dict[str, list[int]]:
    """A manifest's ``sources`` as {source: its cells}; sources recorded as a count (an
    enumerable space) and a missing or malformed entry give nothing."""
    if not isinstance(sources, Mapping):
        return {}
    return {
        name: [int(c) for c in cells] for name, cells in sources.items() if isinstance(cells, list)
    }


def usable_sizes(sizes: Sequence[int], available: int) -> list[int]:
    """The requested training sizes that fit in `available` cells, ending with `available`
    itself where a larger size was asked (a size curve reaches the largest training set)."""
    out = {int(n) for n in sizes if 2 <= int(n) <= available}
    if available >= 2 and (not out or any(int(n) > available for n in sizes)):
        out.add(available)
    return sorted(out)


@dataclass(frozen=True)
class TableFacts:
    """Which data a study used: where it came from, its size and its fidelity."""

    dataset: str
    metric: str
    hp: str | None
    cells: int
    seeds: list[int]
    epochs: int | None
    path: str | None
    command: str | None
    fidelity: Any

    def markdown(self) -> str:
        """One paragraph stating which data a report used."""
        parts = [
            f"**Data:** table `{self.path or '(in memory)'}`, dataset `{self.dataset}`, "
            f"metric `{self.metric}`, hp `{self.hp}`",
            f"{self.cells} cells with a value",
            f"seeds {self.seeds}" if self.seeds else None,
            f"T = {self.epochs} epochs" if self.epochs else None,
        ]
        text = "; ".join(p for p in parts if p) + "."
        if self.fidelity:
            text += f" Fidelity (from the table manifest): `{self.fidelity}`."
        return text


def table_facts(benchmark: BenchmarkLike, dataset: str, metric: str, hp: str | None) -> TableFacts:
    """`TableFacts` of (dataset, metric, hp) in `benchmark`."""
    idx, _ = benchmark.to_xy(dataset, metric, hp=hp)
    manifest = benchmark.manifest
    ds = (manifest.get("datasets") or {}).get(dataset) or {}
    return TableFacts(
        dataset=dataset,
        metric=metric,
        hp=hp,
        cells=len(idx),
        seeds=list(benchmark.seeds(dataset, hp=hp)),
        epochs=benchmark.epochs(dataset, hp=hp),
        path=None if benchmark.path is None else str(benchmark.path),
        command=manifest.get("command"),
        fidelity=ds.get("fidelity") if isinstance(ds, Mapping) else None,
    )


def seed_matrix(
    benchmark: BenchmarkLike, dataset: str, metric: str, hp: str | None
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Per-seed labels: (indices (n,), Y (n, n_seeds) with NaN where missing, seeds).

    Rows are the cells with a value for at least one seed.
    """
    seeds = list(benchmark.seeds(dataset, hp=hp))
    cols = [benchmark.to_xy(dataset, metric, hp=hp, seed=s) for s in seeds]
    cells = np.unique(np.concatenate([c for c, _ in cols])) if cols else np.zeros(0, np.int64)
    Y = np.full((len(cells), len(seeds)), np.nan)
    for j, (c, y) in enumerate(cols):
        Y[np.searchsorted(cells, c), j] = y
    return cells.astype(np.int64), Y, seeds


@dataclass
class StudyResult:
    """Base of the studies' results: where the report is, the data used, JSON and markdown.

    Attributes:
        out: the report folder (``report.md``, PNGs, ``figures.json``, ``summary.json``).
        facts: the data the study used.
    """

    out: Path
    facts: TableFacts

    #: Figure that headlines the study (file stem in `out`).
    headline: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready (what ``summary.json`` holds)."""
        return jsonable(
            {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "out"}
        )

    def brief(self) -> dict[str, Any]:
        """The headline numbers (for a summary of several studies)."""
        return {}

    def markdown(self, link: str) -> str:
        """A short section on this study for another report; `link` is `out` relative to it."""
        return f"Full report: [{link}/report.md]({link}/report.md)."


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value
