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
    default_surrogates,
    fit_predict,
    metric_unit,
    score,
    table_facts,
)
from surrogate_nb.regressors import SurrogateModel
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
    models = list(surrogates)
    optimizers = labelled(optimizers if optimizers is not None else default_optimizers())
    idx, y = benchmark.to_xy(dataset, metric, hp=hp)
    pos = {int(c): k for k, c in enumerate(idx)}
    r_regions, r_models, r_opt = rng.spawn(3)
    masks = regions(idx, y, top_percent=top_percent, rng=r_regions)
    family = {"op:": "op", "edge": "edge", "top": "top", "random": "random"}
    masks = {
        n: m
        for n, m in masks.items()
        if next(f for p, f in family.items() if n.startswith(p)) in kinds
    }
    train_masks = {name: ~m for name, m in masks.items()}
    visited: dict[str, list[int]] = {}
    if "optimizer" in kinds and optimizers and len(idx) >= 10:
        if budget_s is None:
            times = benchmark.query(idx, dataset, "train_time_s", hp=hp)
            budget_s = 100 * float(np.nanmedian(times))
        pool = CellPool(idx, space=benchmark.space)
        for (name, opt), child in zip(optimizers.items(), r_opt.spawn(len(optimizers))):
            trajs = run_repeats(
                opt,
                benchmark,
                dataset,
                metric,
                hp,
                budget_s,
                child,
                optimizer_repeats,
                pool=pool,
            )
            visited[name] = sorted({i for t in trajs for i in t.arch_index})
        for name in visited:
            test = np.zeros(len(idx), bool)
            test[[pos[i] for i in visited[name]]] = True
            train = np.zeros(len(idx), bool)
            for other in visited:
                if other != name:
                    train[[pos[i] for i in visited[other]]] = True
            masks[f"optimizer:{name}"] = test
            train_masks[f"optimizer:{name}"] = train & ~test
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for (name, test), child in zip(masks.items(), r_models.spawn(len(masks))):
        train = np.flatnonzero(train_masks[name])
        tst = np.flatnonzero(test)
        if len(train) < 2 or len(tst) < 3:
            skipped.append(f"{name} (train {len(train)}, test {len(tst)})")
            continue
        if max_train is not None and len(train) > max_train:
            train = np.sort(child.choice(train, size=max_train, replace=False))
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

    facts = table_facts(benchmark, dataset, metric, hp)
    report = Report(Path(out), f"Leave-region-out generalisation — {dataset}, {metric}")
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
    bar_regions = [n for n in dict.fromkeys(r["region"] for r in rows) if not n.startswith("edge")]
    for k, key in enumerate(("kendall_tau", "rmse")):
        data = {
            m: {
                n: next((r[key] for r in rows if r["region"] == n and r["model"] == m), None)
                for n in bar_regions
            }
            for m in models
        }
        label = {
            "kendall_tau": "Kendall τ on the left-out region",
            "rmse": f"RMSE ({metric_unit(metric)})",
        }[key]

        def draw(fig, data=data, label=label):
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
    if "edge" not in kinds:
        report.text("Edge-op regions not run (`kinds` excludes them).")
    heat = np.full((len(EDGES), len(OPS)), np.nan)
    model0 = models[0]
    for r in rows:
        if r["model"] == model0 and r["region"].startswith("edge"):
            e = int(r["region"][4])
            o = OPS.index(r["region"].split(":")[1])
            heat[e, o] = r["kendall_tau"]

    def draw_heat(fig):
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
        draw_heat,
        {"edges": [list(e) for e in EDGES], "ops": list(OPS), "model": model0, "kendall_tau": heat},
        f"Kendall τ of the `{model0}` surrogate on cells with a given op on a given edge, fitted "
        "on all other cells (blank: region too small).",
        size=(7.0, 4.2),
    )
    report.heading("All runs")
    report.table(
        [
            {
                k: r[k]
                for k in (
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
            }
            for r in rows
        ]
    )
    result = LeaveOutResult(
        Path(out), facts, rows, skipped, {k: len(v) for k, v in visited.items()}, budget_s
    )
    report.summary = result.to_dict()
    report.write()
    return result
