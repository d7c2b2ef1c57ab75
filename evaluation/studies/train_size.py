"""Study `train-size`: surrogate quality against the number of training cells, per model.

For each repeat the table's cells (with a value for the metric, mean over seeds) are shuffled;
a fixed held-out test set (at most `test_size` cells, at most half the table) is set aside, and each
model is fitted on the first n of the remaining cells for every n in `sizes` (10 … 5,000, those that
fit). Every (model, n, repeat) is scored on the same test set with `all_metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import InvalidValueError, SurrogateNBError
from surrogate_nb.evaluation.report import PALETTE, Report, mean_band
from surrogate_nb.evaluation.studies._common import (
    StudyResult,
    default_surrogates,
    fit_predict,
    metric_unit,
    score,
    table_facts,
    usable_sizes,
)
from surrogate_nb.regressors import SurrogateModel, draw_nested
from surrogate_nb.table import BenchmarkLike

#: Training sizes tried by default (those larger than the table allows are dropped).
DEFAULT_SIZES: tuple[int, ...] = (10, 30, 100, 300, 1000, 3000, 5000)
#: Metrics plotted, with their axis labels.
PLOTTED = {
    "kendall_tau": "Kendall τ (test cells)",
    "spearman": "Spearman ρ (test cells)",
    "r2": "R² (test cells)",
    "rmse": "RMSE (target units)",
    "coverage_90": "coverage of the 90% interval",
}


@dataclass
class TrainSizeResult(StudyResult):
    """What `train_size_study` found.

    Attributes:
        n_test: held-out cells per repeat.
        sizes: training sizes run.
        runs: one row per (model, n_train, repeat) with every `all_metrics` key.
        table: one row per (model, n_train): the mean over repeats of the plotted metrics.
    """

    n_test: int
    sizes: list[int]
    runs: list[dict[str, Any]]
    table: list[dict[str, Any]]

    headline = "train_size_kendall_tau"

    def brief(self) -> dict[str, Any]:
        return {"n_test": self.n_test, "table": self.table}

    def markdown(self, link: str) -> str:
        return super().markdown(link) + f"\n\n![{self.headline}]({link}/{self.headline}.png)"


def check_train_size_options(sizes: Sequence[int], repeats: int, test_size: int) -> None:
    """Refuse options under which the study means nothing, before any fit: no size, a size
    below 2 (a surrogate needs two cells), ``repeats`` < 1, ``test_size`` < 2.

    Raises:
        InvalidValueError: naming the option and the value.
    """
    sizes = list(sizes)
    bad = [n for n in sizes if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2]
    if not sizes or bad:
        raise InvalidValueError(
            f"--sizes must be training-set sizes >= 2, got {bad[0] if bad else 'none'!r}"
        )
    if not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise InvalidValueError(f"--repeats must be an integer >= 1, got {repeats!r}")
    if not isinstance(test_size, (int, np.integer)) or test_size < 2:
        raise InvalidValueError(f"--test-size must be an integer >= 2, got {test_size!r}")


def train_size_study(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    out: str | Path,
    rng: np.random.Generator,
    surrogates: Mapping[str, SurrogateModel] | None = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    repeats: int = 3,
    test_size: int = 2000,
) -> TrainSizeResult:
    """Run the study and write its report into `out`.

    Args:
        benchmark: a table.
        dataset, metric, hp: the regression target (mean over seeds per cell).
        out: report directory.
        rng: all randomness (splits, model seeds).
        surrogates: {label: unfitted surrogate}, each fitted afresh per run (default
            `default_surrogates`: xgb and lgb).
        sizes: training sizes.
        repeats: independent splits.
        test_size: held-out cells per repeat (capped at half the table).

    Returns:
        The `TrainSizeResult` (also in `summary.json`).

    Raises:
        SurrogateNBError: fewer than 4 cells with a value.
    """
    check_train_size_options(sizes, repeats, test_size)
    surrogates = dict(surrogates) if surrogates is not None else default_surrogates()
    models = list(surrogates)
    idx, y = benchmark.to_xy(dataset, metric, hp=hp)
    if len(idx) < 4:
        raise SurrogateNBError(
            f"train-size needs at least 4 cells with {metric!r} on {dataset!r}; the table has "
            f"{len(idx)}"
        )
    n_test = max(2, min(test_size, len(idx) // 2))
    sizes_used = usable_sizes(sizes, len(idx) - n_test)
    runs: list[dict[str, Any]] = []
    for r, child in enumerate(rng.spawn(repeats)):
        test, pool = draw_nested(len(idx), n_test, child)
        for model, prototype in surrogates.items():
            for n in sizes_used:
                train = pool[:n]
                mean, std = fit_predict(prototype, idx[train], y[train], idx[test], child)
                runs.append(
                    {"model": model, "n_train": n, "repeat": r, **score(y[test], mean, std)}
                )

    facts = table_facts(benchmark, dataset, metric, hp)
    agg = _aggregate(runs, models, sizes_used)
    report = Report(Path(out), f"Surrogate quality vs training-set size — {dataset}, {metric}")
    report.text(
        facts.markdown()
        + f" Test set: {n_test} held-out cells per repeat; {repeats} repeat(s); models "
        f"{', '.join(models)}; sizes {sizes_used}. Bands: 95% CI over repeats."
    )
    for k, (key, label) in enumerate(PLOTTED.items()):
        if key == "rmse":
            label = f"RMSE ({metric_unit(metric)})"
        data = {m: {"n_train": sizes_used, **agg[m][key]} for m in models}

        def draw(fig, key=key, label=label, data=data):
            ax = fig.add_subplot()
            for j, m in enumerate(models):
                c = PALETTE[j % len(PALETTE)]
                d = data[m]
                ax.plot(d["n_train"], d["mean"], "o-", color=c, label=m)
                ax.fill_between(d["n_train"], d["lo"], d["hi"], color=c, alpha=0.2)
            ax.set_xscale("log")
            ax.set_xlabel("training cells (log scale)")
            ax.set_ylabel(label)
            ax.set_title(f"{label} vs training size ({dataset}, {metric})")
            ax.legend(title="surrogate")

        report.figure(
            f"train_size_{key}",
            draw,
            data,
            f"{label} of each surrogate on {n_test} held-out cells against the number of training "
            f"cells; mean and 95% CI over {repeats} split(s). Data: {facts.cells} cells of "
            f"`{dataset}` (table mean over seeds).",
            headline=k == 0,
        )
    rows = [
        {"model": m, "n_train": n, **{k: agg[m][k]["mean"][i] for k in PLOTTED}}
        for m in models
        for i, n in enumerate(sizes_used)
    ]
    report.heading("All numbers")
    report.table(rows)
    result = TrainSizeResult(Path(out), facts, n_test, sizes_used, runs, rows)
    report.summary = result.to_dict()
    report.write()
    return result


def _aggregate(runs: list[dict[str, Any]], models: Sequence[str], sizes: Sequence[int]):
    out: dict[str, dict[str, dict[str, list[float]]]] = {}
    for m in models:
        out[m] = {}
        for key in PLOTTED:
            mat = np.asarray(
                [[r[key] for r in runs if r["model"] == m and r["n_train"] == n] for n in sizes],
                dtype=float,
            ).T  # (repeats, sizes)
            mean, lo, hi = mean_band(mat, axis=0)
            out[m][key] = {"mean": mean.tolist(), "lo": lo.tolist(), "hi": hi.tolist()}
    return out
