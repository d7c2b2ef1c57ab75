"""Study `weight-sharing`: NB201's six parameter-sharing methods searched, scored by a table.

For each method and search seed: run the search on the setting's data (supernet weights on
``train``, architecture on ``x-valid``), take the found cell, score it by the table (lookup, else
train it under the table's protocol, else a surrogate; `weight_sharing.scoring`). Then:

* accuracy of the found cells (mean ± std over search seeds) next to random search and REA run on
  the table with the same wall-clock (the simulated time charged is the table's recorded training
  time, so both sides spend seconds of this machine's CPU);
* collapse diagnostics: share of parameter-free ops (none / skip / avg-pool) in the derived cell
  and the architecture-weight entropy, per epoch; the epoch from which DARTS's cell has no conv;
* the BN ablation: the same searches with cell BN affine / running statistics switched on
  (NB201 searched with both off and found the choice matters for weight sharing).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.evaluation.optimizers import (
    BaseOptimizer,
    CellPool,
    RandomSearch,
    RegularizedEvolution,
    labelled,
    run_repeats,
)
from surrogate_nb.evaluation.report import PALETTE, Report
from surrogate_nb.evaluation.weight_sharing import (
    METHODS,
    SearchConfig,
    SearchData,
    parameter_free_share,
    search,
)
from surrogate_nb.evaluation.weight_sharing.scoring import TableScorer
from surrogate_nb.space import Arch

#: BN variants of the ablation besides the protocol's (affine, track_running_stats) = (0, 0).
ABLATION_VARIANTS: tuple[tuple[bool, bool], ...] = ((True, True), (False, True), (True, False))
#: Methods the BN ablation runs by default (the issue's and NB201's headline pair).
ABLATION_METHODS: tuple[str, ...] = ("darts-v1", "gdas")


@dataclass(frozen=True)
class DemoPreset:
    """A fidelity at which one search takes at most about a minute on a shared 2-core CPU.

    Attributes:
        resolution / train_subset / eval_subset: data fidelity (as `snb build`); eval_subset
            bounds the x-valid images used for the architecture and for candidate scoring.
        epochs: search epochs per method, chosen so that each search costs about the same
            wall-clock (single-path methods take ~5-15x cheaper steps than DARTS's mixture).
        config: the rest of the search protocol; `arch_lr` is raised 100x over NB201's 3e-4
            because the demo takes ~100-1000x fewer steps (NB201: 100 epochs x 391 steps).
    """

    resolution: int = 8
    train_subset: int = 256
    eval_subset: int = 1000
    epochs: dict[str, int] = field(
        default_factory=lambda: {
            "darts-v1": 5,
            "darts-v2": 2,
            "gdas": 20,
            "setn": 8,
            "enas": 3,
            "rsps": 30,
        }
    )
    config: SearchConfig = field(
        default_factory=lambda: SearchConfig(
            arch_lr=0.03,
            eval_batch_size=256,
            controller_steps=5,
            controller_aggregate=5,
        )
    )

    def config_for(self, method: str, **changes: Any) -> SearchConfig:
        """The preset's config for `method` (its epochs), with `changes` applied."""
        return replace(self.config, epochs=self.epochs.get(method, self.config.epochs), **changes)


DEMO = DemoPreset()


@dataclass
class SearchRun:
    """One search of the study and the score of its cell."""

    method: str
    bn_variant: str
    seed: int
    result: dict[str, Any]
    score: dict[str, Any]


def weight_sharing_study(
    scorer: TableScorer,
    data: SearchData,
    *,
    out: str | Path,
    rng: np.random.Generator,
    configs: dict[str, SearchConfig],
    seeds: int = 3,
    ablation_methods: Sequence[str] = ABLATION_METHODS,
    ablation_variants: Sequence[tuple[bool, bool]] = ABLATION_VARIANTS,
    baselines: Sequence[BaseOptimizer] | None = None,
    baseline_repeats: int = 20,
    device: str = "cpu",
    on_search: Callable[[SearchRun], None] | None = None,
) -> dict[str, Any]:
    """Run every method `seeds` times (plus the BN ablation), score, and write the report.

    Args:
        scorer: scores found cells by the table (and grows it when asked).
        data: the search data.
        out: report directory (report.md, PNGs, figures.json, summary.json, runs.json).
        rng: all randomness (search seeds, baseline runs).
        configs: method name -> its search config (the methods run are its keys).
        seeds: search seeds per method and BN variant.
        ablation_methods / ablation_variants: which methods rerun with which (affine, track).
        baselines: table-based optimizer instances given each method's mean search wall-clock
            (default random search and REA).
        baseline_repeats: runs per baseline and budget.
        device: torch device of the searches.
        on_search: called after each search with its `SearchRun` (progress; its score is filled
            in after all searches, when the missing cells are trained together).

    Returns:
        The summary (also summary.json).
    """
    for m in configs:
        if m not in METHODS:
            raise SurrogateNBError(f"unknown method {m!r} in configs; known: {list(METHODS)}")
    if seeds < 1:
        raise SurrogateNBError(f"seeds must be >= 1, got {seeds}")
    search_seeds = [int(s) for s in rng.integers(0, 2**31 - 1, size=seeds)]
    plan: list[tuple[str, SearchConfig]] = [(m, c) for m, c in configs.items()]
    for m in ablation_methods:
        if m in configs:
            for affine, track in ablation_variants:
                plan.append((m, replace(configs[m], affine=affine, track_running_stats=track)))
    # the baselines search the cells the table held before the study trained any found cell
    pool_cells, _ = scorer.bench.to_xy(scorer.dataset, scorer.valid_metric, hp=scorer.hp)
    runs: list[SearchRun] = []
    found = []
    for method, config in plan:
        for seed in search_seeds:
            gen = torch.Generator().manual_seed(seed)
            result = search(method, data, config, gen, device=device)
            found.append(result.arch)
            run = SearchRun(method, config.bn_variant, seed, result.to_dict(), {})
            runs.append(run)
            if on_search is not None:
                on_search(run)
    for run, score in zip(runs, scorer.score_many(found)):  # missing cells: one training run
        run.score = score.to_dict()
    default_variant = SearchConfig().bn_variant
    main = [r for r in runs if r.bn_variant == default_variant]
    rows = _method_rows(main, list(configs))
    if baselines is None:
        baselines = [RandomSearch(), RegularizedEvolution()]
    base_rows = _baselines(scorer, pool_cells, rows, baselines, baseline_repeats, rng)
    ablation = _ablation_rows(runs, ablation_methods)
    collapse = _collapse_rows(main)
    summary = {
        "facts": {
            "table": str(scorer.path),
            "dataset": scorer.dataset,
            "hp": scorer.hp,
            "valid_metric": scorer.valid_metric,
            "test_metric": scorer.test_metric,
            "search_data": data.data.manifest.get("fidelity", {}),
            "setting": data.data.setting,
            "resolution": data.data.resolution,
            "search_seeds": search_seeds,
            "device": device,
            "threads": torch.get_num_threads(),
            "configs": {m: c.to_dict() for m, c in configs.items()},
        },
        "methods": rows,
        "baselines": base_rows,
        "ablation": ablation,
        "collapse": collapse,
    }
    _write_report(Path(out), summary, main, runs)
    (Path(out) / "runs.json").write_text(
        __import__("json").dumps(
            [r.__dict__ for r in runs], indent=1, default=_json_default, allow_nan=True
        )
    )
    return summary


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    return str(obj)


def _ms(values: Sequence[float]) -> tuple[float, float]:
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], float)
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def _method_rows(runs: list[SearchRun], methods: list[str]) -> list[dict[str, Any]]:
    rows = []
    for m in methods:
        mine = [r for r in runs if r.method == m]
        if not mine:
            continue
        test = _ms([r.score["test_acc"] for r in mine])
        valid = _ms([r.score["valid_acc"] for r in mine])
        wall = _ms([r.result["wall_time_s"] for r in mine])
        pf = _ms([_share(r.result["arch"]) for r in mine])
        rows.append(
            {
                "method": m,
                "test_acc": test[0],
                "test_std": test[1],
                "valid_acc": valid[0],
                "valid_std": valid[1],
                "wall_s": wall[0],
                "wall_std": wall[1],
                "param_free_share": pf[0],
                "cells": ", ".join(str(r.score["arch_index"]) for r in mine),
                "sources": ", ".join(r.score["source"] for r in mine),
                "epochs": mine[0].result["config"]["epochs"],
            }
        )
    return rows


def _share(arch: str) -> float:
    return parameter_free_share(Arch.from_str(arch))


def _baselines(
    scorer: TableScorer,
    pool_cells: np.ndarray,
    rows: list[dict[str, Any]],
    optimizers: Sequence[BaseOptimizer],
    repeats: int,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Random search / REA on the table's cells with each method's mean search wall-clock."""
    bench = scorer.bench
    pool = CellPool(pool_cells)
    out = []
    report = scorer.test_metric or scorer.valid_metric
    for row in rows:
        for name, opt in labelled(optimizers).items():
            trajs = run_repeats(
                opt,
                bench,
                scorer.dataset,
                scorer.valid_metric,
                scorer.hp,
                row["wall_s"],
                rng.spawn(1)[0],
                repeats,
                report_metric=report,
                pool=pool,
                signal_seed="sample",
            )
            finals = [t.final_report for t in trajs]
            m, s = _ms(finals)
            out.append(
                {
                    "budget_of": row["method"],
                    "budget_s": row["wall_s"],
                    "optimizer": name,
                    "test_acc": m,
                    "test_std": s,
                    "evals_mean": float(np.mean([len(t) for t in trajs])),
                    "runs_with_result": int(sum(math.isfinite(f) for f in finals)),
                }
            )
    return out


def _ablation_rows(runs: list[SearchRun], methods: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for m in methods:
        for variant in dict.fromkeys(r.bn_variant for r in runs if r.method == m):
            mine = [r for r in runs if r.method == m and r.bn_variant == variant]
            test = _ms([r.score["test_acc"] for r in mine])
            rows.append(
                {
                    "method": m,
                    "bn": variant,
                    "test_acc": test[0],
                    "test_std": test[1],
                    "param_free_share": _ms([_share(r.result["arch"]) for r in mine])[0],
                    "supernet_valid_acc": _ms([r.result["valid_acc_supernet"] for r in mine])[0],
                    "cells": ", ".join(str(r.score["arch_index"]) for r in mine),
                    "wall_s": _ms([r.result["wall_time_s"] for r in mine])[0],
                }
            )
    return rows


def _collapse_rows(runs: list[SearchRun]) -> list[dict[str, Any]]:
    rows = []
    for r in runs:
        hist = r.result["history"]
        shares = [h["parameter_free_share"] for h in hist]
        if shares and shares[0] is None:
            continue
        first_majority = next((h["epoch"] for h in hist if h["parameter_free_share"] >= 0.5), None)
        rows.append(
            {
                "method": r.method,
                "seed": r.seed,
                "final_share": shares[-1] if shares else math.nan,
                "max_share": max(shares) if shares else math.nan,
                "first_epoch_share>=0.5": first_majority,
                "collapse_epoch (no conv to the end)": r.result["collapse_epoch"],
                "entropy_first": hist[0]["entropy"],
                "entropy_last": hist[-1]["entropy"],
                "epochs": len(hist),
            }
        )
    return rows


def _write_report(out: Path, summary: dict[str, Any], main: list[SearchRun], runs) -> None:
    f = summary["facts"]
    report = Report(out, f"Weight-sharing NAS on {f['setting']}, scored by {Path(f['table']).name}")
    rows, base = summary["methods"], summary["baselines"]
    methods = [r["method"] for r in rows]

    def draw_acc(fig):
        ax = fig.add_subplot()
        x = np.arange(len(rows))
        acc, std = [r["test_acc"] for r in rows], [r["test_std"] for r in rows]
        ax.bar(x, acc, yerr=std, color=PALETTE[0], alpha=0.8, capsize=3, label="found cell")
        for j, name in enumerate(dict.fromkeys(b["optimizer"] for b in base)):
            vals = [next((b["test_acc"] for b in base if b["budget_of"] == m
                          and b["optimizer"] == name), np.nan) for m in methods]  # fmt: skip
            ax.plot(x + 0.15 * (j + 1), vals, "o", color=PALETTE[j + 1],
                    label=f"{name} on the table, same wall-clock")  # fmt: skip
        ax.set_xticks(x, [f"{m}\n{r['wall_s']:.0f} s" for m, r in zip(methods, rows)])
        ax.set_ylabel(f"{f['test_metric'] or f['valid_metric']} of the found cell (%)")
        ax.set_title("Found cells by the table's protocol (mean ± std over search seeds)")
        ax.legend(loc="lower right")

    report.figure(
        "ws_accuracy",
        draw_acc,
        {"methods": rows, "baselines": base},
        f"Accuracy ({f['test_metric']}) of the cell each method returned, by the table "
        f"{Path(f['table']).name} ({f['dataset']}, T = {f['hp']}); bars: mean ± std over "
        f"{len(f['search_seeds'])} search seeds; dots: random search / REA on the table with "
        "the method's mean search wall time as budget (x labels).",
        headline=True,
    )
    report.text(
        f"Search data: `{f['setting']}` at {f['resolution']}×{f['resolution']}, "
        f"supernet weights on the train split, architecture on x-valid; "
        f"device {f['device']}, {f['threads']} thread(s). Scores: `{f['valid_metric']}` / "
        f"`{f['test_metric']}` of the table (source per cell: table lookup, trained now under "
        "the table's protocol, or surrogate)."
    )
    report.heading("Per method (protocol BN: affine off, batch statistics)")
    report.table(rows, floatfmt=".2f")
    report.heading("Random search and REA with the same wall-clock")
    report.table(base, floatfmt=".2f")

    def draw_diag(fig, key, label):
        ax = fig.add_subplot()
        for i, m in enumerate(methods):
            for k, r in enumerate([r for r in main if r.method == m]):
                h = r.result["history"]
                vals = [e[key] for e in h]
                if not vals or vals[0] is None:
                    continue
                frac = [(e["epoch"] + 1) / len(h) for e in h]
                ax.plot(frac, vals, "-", color=PALETTE[i % len(PALETTE)], alpha=0.7,
                        label=m if k == 0 else None)  # fmt: skip
        ax.set_xlabel("search progress (fraction of the method's epochs)")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)

    diag = {
        r.method + f"/seed{r.seed}": {
            "share": [e["parameter_free_share"] for e in r.result["history"]],
            "entropy": [e["entropy"] for e in r.result["history"]],
        }
        for r in main
    }
    report.heading("Collapse diagnostics")
    report.figure(
        "ws_parameter_free",
        lambda fig: draw_diag(fig, "parameter_free_share", "parameter-free share of the cell"),
        {k: v["share"] for k, v in diag.items()},
        "Share of the six edges of the derived (argmax) cell holding none / skip / avg-pool, "
        "per epoch, one line per search seed. 1.0 = DARTS's collapse (no convolution).",
    )
    report.figure(
        "ws_entropy",
        lambda fig: draw_diag(fig, "entropy", "mean per-edge entropy of op weights (nats)"),
        {k: v["entropy"] for k, v in diag.items()},
        "Entropy of the architecture distribution per edge (ln 5 = 1.609 = uniform), per epoch; "
        "ENAS: the controller's distribution along its greedy path.",
    )
    report.table(summary["collapse"], floatfmt=".3f")
    report.heading("BN ablation")
    report.text(
        "Same searches with the cells' BN switched: affine = learnable scale/shift, track = "
        "running statistics (used in eval mode when on). NB201's protocol: affine0-track0."
    )
    report.table(summary["ablation"], floatfmt=".2f")
    report.summary = summary
    report.write()
