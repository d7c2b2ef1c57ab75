"""Study `leave-out`: fit on the table minus a region of the space, test on the region.

Regions (each one run per model):

* ``op:<op>`` — every cell that uses `op` on any edge (one run per op);
* ``edge<e>:<op>`` — every cell with `op` on edge e (6 edges x 5 ops);
* ``top<k>%`` — the best k% of cells by the metric (extrapolating upwards);
* ``optimizer:<name>`` — the cells visited by that optimizer's trajectories; the surrogate is
  fitted on the cells visited by all the other optimizers (NB301's leave-one-optimizer-out);
* ``random`` — a random 20% of the cells, the in-distribution reference.

Training labels are per-cell means over seeds; scores are `all_metrics` on the region's cells.
Kendall τ inside a narrow region (top-k%) is expected to be lower than on the whole space, since
the region spans a small range of the metric: compare with ``random``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.evaluation.optimizers import (
    BaseOptimizer,
    CellPool,
    LocalSearch,
    RandomSearch,
    RegularizedEvolution,
    Reinforce,
    labelled,
    run_repeats,
)
from surrogate_nb.evaluation.report import PALETTE, Report
from surrogate_nb.evaluation.studies._common import (
    StudyResult,
    TableFacts,
    default_budget,
    default_surrogates,
    fit_predict,
    metric_unit,
    score,
    table_facts,
)
from surrogate_nb.regressors import SurrogateModel, draw_split
from surrogate_nb.space import EDGES, OPS, Arch
from surrogate_nb.table import BenchmarkLike


def default_optimizers() -> list[BaseOptimizer]:
    """Optimizers whose visited cells form the leave-one-optimizer-out regions by default."""
    return [RandomSearch(), RegularizedEvolution(), Reinforce(), LocalSearch()]


#: Region families: ops anywhere, op on an edge, top-k%, random reference, optimizers' cells.
REGION_KINDS: tuple[str, ...] = ("op", "edge", "top", "random", "optimizer")


def regions(
    idx: np.ndarray, y: np.ndarray, *, top_percent: float = 10.0, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Boolean test masks over `idx` for the op, edge-op, top-k% and random regions."""
    ops = np.asarray([Arch.from_index(int(i)).op_ids for i in idx], dtype=np.int8).reshape(-1, 6)
    out: dict[str, np.ndarray] = {}
    for o, name in enumerate(OPS):
        out[f"op:{name}"] = (ops == o).any(axis=1)
    for e, (a, b) in enumerate(EDGES):
        for o, name in enumerate(OPS):
            out[f"edge{e}({a}->{b}):{name}"] = ops[:, e] == o
    k = max(1, round(len(y) * top_percent / 100))
    top = np.zeros(len(y), bool)
    top[np.argsort(-y, kind="stable")[:k]] = True
    out[f"top{top_percent:g}%"] = top
    rand = np.zeros(len(y), bool)
    rand[rng.choice(len(y), size=max(1, len(y) // 5), replace=False)] = True
    out["random"] = rand
    return out


@dataclass
class LeaveOutResult(StudyResult):
    """What `leave_out_study` found.

    Attributes:
        rows: one row per (region, model): n_train, n_test and every `all_metrics` key.
        skipped: regions with too few cells, with their sizes.
        visited: cells visited per optimizer (leave-one-optimizer-out regions).
        budget_s: the optimizers' simulated budget (None when none ran).
    """

    rows: list[dict[str, Any]]
    skipped: list[str]
    visited: dict[str, int]
    budget_s: float | None

    headline = "leave_out_kendall_tau"

    def brief(self) -> dict[str, Any]:
        keys = ("region", "model", "n_train", "n_test", "kendall_tau", "r2", "rmse")
        return {"rows": [{k: r[k] for k in keys} for r in self.rows]}

    def markdown(self, link: str) -> str:
        return (
            f"{super().markdown(link)}\n\n![leave_out]({link}/leave_out_kendall_tau.png)\n\n"
            f"![edge_op]({link}/leave_out_edge_op.png)"
        )


def leave_out_study(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    out: str | Path,
    rng: np.random.Generator,
    surrogates: Mapping[str, SurrogateModel] | None = None,
    top_percent: float = 10.0,
    optimizers: Sequence[BaseOptimizer] | Mapping[str, BaseOptimizer] | None = None,
    budget_s: float | None = None,
    optimizer_repeats: int = 3,
    max_train: int | None = None,
    kinds: Sequence[str] = REGION_KINDS,
) -> LeaveOutResult:
    """Run the study and write its report into `out`.

    Args:
        benchmark: a table.
        dataset, metric, hp: the regression target (mean over seeds per cell); also the
            optimizers' signal for the leave-one-optimizer-out regions.
        out: report directory.
        rng: all randomness.
        surrogates: {label: unfitted surrogate}, each fitted afresh per region (default
            `default_surrogates`: xgb and lgb).
        top_percent: k of the top-k% region.
        optimizers: optimizer instances whose visited cells form the leave-one-optimizer-out
            regions (default `default_optimizers`; empty: skip those regions).
        budget_s: simulated budget per optimizer run (default: 100 median training times).
        optimizer_repeats: runs per optimizer.
        max_train: subsample training sets larger than this (keeps CPU runs short).
        kinds: which region families to run (subset of `REGION_KINDS`).

    Returns:
        The `LeaveOutResult` (also `summary.json`).
    """
    surrogates = dict(surrogates) if surrogates is not None else default_surrogates()
    methods = labelled(optimizers if optimizers is not None else default_optimizers())
    idx, y = benchmark.to_xy(dataset, metric, hp=hp)
    r_regions, r_models, r_opt = rng.spawn(3)
    tests = space_regions(idx, y, kinds, top_percent=top_percent, rng=r_regions)
    trains = {name: ~m for name, m in tests.items()}
    visited: dict[str, list[int]] = {}
    if "optimizer" in kinds and methods and len(idx) >= 10:
        if budget_s is None:
            budget_s = default_budget(benchmark, idx, dataset, hp)
        visited = visited_cells(
            benchmark, dataset, metric, hp, idx, methods, budget_s, optimizer_repeats, r_opt
        )
        for name, (test, train) in optimizer_regions(idx, visited).items():
            tests[name], trains[name] = test, train
    rows, skipped = _fit_regions(idx, y, tests, trains, surrogates, max_train, r_models)

    facts = table_facts(benchmark, dataset, metric, hp)
    report = Report(Path(out), f"Leave-region-out generalisation — {dataset}, {metric}")
    _report_text(report, facts, max_train, visited, optimizer_repeats, budget_s, skipped)
    _figure_bars(report, facts, rows, list(surrogates), top_percent)
    if "edge" not in kinds:
        report.text("Edge-op regions not run (`kinds` excludes them).")
    _figure_edge_op(report, rows, next(iter(surrogates)))
    _runs_table(report, rows)
    result = LeaveOutResult(
        Path(out), facts, rows, skipped, {k: len(v) for k, v in visited.items()}, budget_s
    )
    report.summary = result.to_dict()
    report.write()
    return result


def space_regions(
    idx: np.ndarray,
    y: np.ndarray,
    kinds: Sequence[str],
    *,
    top_percent: float,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """`regions` of the families in `kinds` (the optimizers' regions excepted)."""
    family = {"op:": "op", "edge": "edge", "top": "top", "random": "random"}
    masks = regions(idx, y, top_percent=top_percent, rng=rng)
    return {
        n: m
        for n, m in masks.items()
        if next(f for p, f in family.items() if n.startswith(p)) in kinds
    }


def visited_cells(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None,
    idx: np.ndarray,
    optimizers: Mapping[str, BaseOptimizer],
    budget_s: float,
    repeats: int,
    rng: np.random.Generator,
) -> dict[str, list[int]]:
    """{optimizer: sorted cells its `repeats` runs on the table's cells `idx` visited}."""
    pool = CellPool(idx, space=benchmark.space)
    visited = {}
    for (name, opt), child in zip(optimizers.items(), rng.spawn(len(optimizers))):
        trajs = run_repeats(
            opt, benchmark, dataset, metric, hp, budget_s, child, repeats, pool=pool
        )
        visited[name] = sorted({i for t in trajs for i in t.arch_index})
    return visited


def optimizer_regions(
    idx: np.ndarray, visited: Mapping[str, Sequence[int]]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Leave-one-optimizer-out: ``{"optimizer:<name>": (test mask, train mask)}`` over `idx`;
    the test cells are those the optimizer visited, the training cells those the others visited
    (minus the test cells)."""
    pos = {int(c): k for k, c in enumerate(idx)}

    def mask(cells: Sequence[int]) -> np.ndarray:
        out = np.zeros(len(idx), bool)
        out[[pos[i] for i in cells]] = True
        return out

    out = {}
    for name, cells in visited.items():
        test = mask(cells)
        train = np.zeros(len(idx), bool)
        for other, others in visited.items():
            if other != name:
                train |= mask(others)
        out[f"optimizer:{name}"] = (test, train & ~test)
    return out


def _fit_regions(
    idx: np.ndarray,
    y: np.ndarray,
    tests: Mapping[str, np.ndarray],
    trains: Mapping[str, np.ndarray],
    surrogates: Mapping[str, SurrogateModel],
    max_train: int | None,
    rng: np.random.Generator,
) -> tuple[list[dict[str, Any]], list[str]]:
    """(one row per region and model: sizes and scores, regions skipped for too few cells).
    A training set over `max_train` cells is subsampled (`draw_split`)."""
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for (name, test), child in zip(tests.items(), rng.spawn(len(tests))):
        train = np.flatnonzero(trains[name])
        tst = np.flatnonzero(test)
        if len(train) < 2 or len(tst) < 3:
            skipped.append(f"{name} (train {len(train)}, test {len(tst)})")
            continue
        if max_train is not None and len(train) > max_train:
            train = train[draw_split(len(train), max_train, child)[0]]
        for model, prototype in surrogates.items():
            mean, std = fit_predict(prototype, idx[train], y[train], idx[tst], child)
            rows.append(
                {
                    "region": name,
                    "model": model,
                    "n_train": len(train),
                    "n_test": len(tst),
                    **score(y[tst], mean, std),
                }
            )
    return rows, skipped


def _report_text(
    report: Report,
    facts: TableFacts,
    max_train: int | None,
    visited: Mapping[str, Sequence[int]],
    optimizer_repeats: int,
    budget_s: float | None,
    skipped: Sequence[str],
) -> None:
    """The report's paragraphs: data and method, the optimizers' runs, skipped regions."""
    report.text(
        facts.markdown()
        + " Each run fits a surrogate on every table cell outside a region and scores it on the "
        "region. `random` (a random 20% of cells) is the in-distribution reference."
        + (f" Training sets subsampled to at most {max_train} cells." if max_train else "")
    )
    if visited:
        report.text(
            "Leave-one-optimizer-out: each optimizer ran "
            f"{optimizer_repeats} time(s) for {budget_s:,.0f} s of simulated training time on the "
            f"table; cells visited: "
            + ", ".join(f"{k} {len(v)}" for k, v in visited.items())
            + ". The surrogate is fitted on the cells the other optimizers visited."
        )
    if skipped:
        report.text("Skipped (too few cells): " + "; ".join(skipped) + ".")


def _figure_bars(
    report: Report,
    facts: TableFacts,
    rows: Sequence[Mapping[str, Any]],
    models: Sequence[str],
    top_percent: float,
) -> None:
    """Kendall τ (the headline) and RMSE per region and model, edge-op regions left out."""
    dataset = facts.dataset
    bar_regions = [n for n in dict.fromkeys(r["region"] for r in rows) if not n.startswith("edge")]
    labels = {
        "kendall_tau": "Kendall τ on the left-out region",
        "rmse": f"RMSE ({metric_unit(facts.metric)})",
    }
    for k, (key, label) in enumerate(labels.items()):
        data = {
            m: {
                n: next((r[key] for r in rows if r["region"] == n and r["model"] == m), None)
                for n in bar_regions
            }
            for m in models
        }

        def draw(fig: Any, data: dict[str, dict[str, Any]] = data, label: str = label) -> None:
            ax = fig.add_subplot()
            width = 0.8 / max(1, len(models))
            x = np.arange(len(bar_regions))
            for i, m in enumerate(models):
                vals = [np.nan if data[m][n] is None else data[m][n] for n in bar_regions]
                ax.barh(x + i * width, vals, height=width, color=PALETTE[i % len(PALETTE)], label=m)
            ax.set_yticks(x + width * (len(models) - 1) / 2, bar_regions)
            ax.invert_yaxis()
            ax.set_xlabel(label)
            ax.set_title(f"{label} ({dataset})")
            ax.legend(title="surrogate")

        report.figure(
            f"leave_out_{key}",
            draw,
            {"regions": bar_regions, "values": data},
            f"{label} of surrogates fitted without the region (ops, top-{top_percent:g}%, "
            f"optimizers' visited cells, random reference). Data: {facts.cells} cells of "
            f"`{dataset}`.",
            headline=k == 0,
            size=(7.0, 0.35 * len(bar_regions) + 1.8),
        )


def _figure_edge_op(report: Report, rows: Sequence[Mapping[str, Any]], model0: str) -> None:
    """Heat map of `model0`'s Kendall τ on each (edge, op) region."""
    heat = np.full((len(EDGES), len(OPS)), np.nan)
    for r in rows:
        if r["model"] == model0 and r["region"].startswith("edge"):
            e = int(r["region"][4])
            o = OPS.index(r["region"].split(":")[1])
            heat[e, o] = r["kendall_tau"]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        im = ax.imshow(
            heat,
            cmap="viridis",
            vmin=np.nanmin(heat) if np.isfinite(heat).any() else 0,
            vmax=1.0,
            aspect="auto",
        )
        for e in range(len(EDGES)):
            for o in range(len(OPS)):
                if np.isfinite(heat[e, o]):
                    ax.text(
                        o,
                        e,
                        f"{heat[e, o]:.2f}",
                        ha="center",
                        va="center",
                        color="white",
                        fontsize=8,
                    )
        ax.set_xticks(range(len(OPS)), OPS, rotation=30, ha="right")
        ax.set_yticks(range(len(EDGES)), [f"edge {e} ({a}→{b})" for e, (a, b) in enumerate(EDGES)])
        ax.set_xlabel("op left out on that edge")
        ax.set_title(f"Kendall τ on left-out (edge, op) region — {model0}")
        ax.grid(False)
        fig.colorbar(im, ax=ax, label="Kendall τ")

    report.figure(
        "leave_out_edge_op",
        draw,
        {"edges": [list(e) for e in EDGES], "ops": list(OPS), "model": model0, "kendall_tau": heat},
        f"Kendall τ of the `{model0}` surrogate on cells with a given op on a given edge, fitted "
        "on all other cells (blank: region too small).",
        size=(7.0, 4.2),
    )


#: The columns of the report's table of runs.
RUN_COLUMNS = (
    "region",
    "model",
    "n_train",
    "n_test",
    "kendall_tau",
    "spearman",
    "r2",
    "rmse",
    "coverage_90",
)


def _runs_table(report: Report, rows: Sequence[Mapping[str, Any]]) -> None:
    report.heading("All runs")
    report.table([{k: r[k] for k in RUN_COLUMNS} for r in rows])
