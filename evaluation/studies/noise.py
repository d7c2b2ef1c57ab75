"""Study `noise`: NB301's claim that a surrogate can beat the table it was fitted on.

Claim (Siems et al., NAS-Bench-301, sec. 4.3): a surrogate fitted on one seed's labels predicts the
mean over *other* seeds better than that seed's own tabular entry does, because the model averages
seed noise across similar cells. Test on real per-seed data:

1. For fit seed s, take cells that have s's label and at least one other seed's.
2. Hold out a test set; the target of a test cell is the mean over the other seeds.
3. Tabular error: s's own entry for the test cell minus the target.
   Surrogate error: the prediction of a model fitted on n *other* cells' s-labels minus the target.
4. Repeat over seeds and splits; compare MAE, RMSE and Kendall τ at each training size n.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.evaluation.report import PALETTE, Report, mean_band
from surrogate_nb.evaluation.studies._common import (
    StudyResult,
    default_surrogates,
    fit_predict,
    metric_unit,
    seed_matrix,
    table_facts,
    usable_sizes,
)
from surrogate_nb.evaluation.studies.train_size import DEFAULT_SIZES
from surrogate_nb.ranking import SeedAgreement, kendall_tau, seed_agreement
from surrogate_nb.regressors import SurrogateModel, draw_nested
from surrogate_nb.table import BenchmarkLike


def errors(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and Kendall τ of `pred` against `target` (both (n,))."""
    d = np.asarray(pred, float) - np.asarray(target, float)
    return {
        "mae": float(np.mean(np.abs(d))),
        "rmse": float(np.sqrt(np.mean(d**2))),
        "kendall_tau": kendall_tau(pred, target) if len(d) >= 3 else float("nan"),
    }


@dataclass
class NoiseResult(StudyResult):
    """What `noise_study` found.

    Attributes:
        seed_agreement: the table's seed-to-seed Kendall τ.
        tabular: {"mae" | "rmse" | "kendall_tau": {"mean", "lo", "hi"}} of the single-seed
            table entry against the other seeds' mean.
        surrogate: {model: {"mae" | ...: {"mean", "lo", "hi": one value per size}}}.
        table: one row per (model, n_train): surrogate vs table MAE and τ, the winner.
        verdict: one paragraph saying who wins, by how much, and from which n.
        sizes: training sizes run.
        runs: one row per (model, n_train, fit seed, repeat).
        tabular_runs: one row per (fit seed, repeat).
    """

    seed_agreement: SeedAgreement
    tabular: dict[str, dict[str, float]]
    surrogate: dict[str, dict[str, dict[str, list[float]]]]
    table: list[dict[str, Any]]
    verdict: str
    sizes: list[int]
    runs: list[dict[str, Any]]
    tabular_runs: list[dict[str, Any]]

    headline = "noise_mae"

    def brief(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "table": self.table,
            "seed_agreement": self.seed_agreement.to_dict(),
        }

    def markdown(self, link: str) -> str:
        return (
            f"{super().markdown(link)}\n\n**Verdict.** {self.verdict}\n\n"
            f"![noise_kendall_tau]({link}/noise_kendall_tau.png)"
        )


def noise_study(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    out: str | Path,
    rng: np.random.Generator,
    surrogates: Mapping[str, SurrogateModel] | None = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    repeats: int = 2,
    test_size: int = 2000,
) -> NoiseResult:
    """Run the study and write its report into `out`.

    Args:
        benchmark: a table with several seeds.
        dataset, metric, hp: the per-seed labels compared.
        out: report directory.
        rng: all randomness.
        surrogates: {label: unfitted surrogate}, each fitted afresh per run (default
            `default_surrogates`: xgb and lgb).
        sizes: training sizes n (cells whose fit-seed labels the surrogate sees).
        repeats: splits per fit seed.
        test_size: held-out cells per split (capped at half the eligible cells).

    Returns:
        The `NoiseResult` (also `summary.json`).

    Raises:
        SurrogateNBError: fewer than two seeds, or too few cells with two seeds.
    """
    surrogates = dict(surrogates) if surrogates is not None else default_surrogates()
    models = list(surrogates)
    cells, Y, seeds = seed_matrix(benchmark, dataset, metric, hp)
    if len(seeds) < 2:
        raise SurrogateNBError(
            f"the noise study needs per-seed labels from at least 2 seeds; ({dataset}, hp {hp}) "
            f"has seeds {seeds}"
        )
    n_labels = np.isfinite(Y).sum(axis=1)
    runs: list[dict[str, Any]] = []
    sizes_used: list[int] = []
    tab_runs: list[dict[str, Any]] = []
    for j, seed in enumerate(seeds):
        eligible = np.flatnonzero(np.isfinite(Y[:, j]) & (n_labels >= 2))
        if len(eligible) < 6:
            continue
        n_test = max(3, min(test_size, len(eligible) // 2))
        ok_sizes = usable_sizes(sizes, len(eligible) - n_test)
        sizes_used = sorted(set(sizes_used) | set(ok_sizes))
        others = [k for k in range(len(seeds)) if k != j]
        for r, child in enumerate(rng.spawn(repeats)):
            test, pool = (eligible[rows] for rows in draw_nested(len(eligible), n_test, child))
            target = np.nanmean(Y[np.ix_(test, others)], axis=1)
            tab = errors(Y[test, j], target)
            tab_runs.append({"fit_seed": seed, "repeat": r, "n_test": n_test, **tab})
            for model, prototype in surrogates.items():
                for n in ok_sizes:
                    train = pool[:n]
                    mean, _ = fit_predict(prototype, cells[train], Y[train, j], cells[test], child)
                    sur = errors(mean, target)
                    runs.append(
                        {
                            "model": model,
                            "n_train": n,
                            "fit_seed": seed,
                            "repeat": r,
                            **{f"surrogate_{k}": v for k, v in sur.items()},
                            **{f"tabular_{k}": v for k, v in tab.items()},
                        }
                    )
    if not runs:
        raise SurrogateNBError(
            "the noise study needs at least 6 cells with labels from 2 seeds; "
            f"({dataset}, hp {hp}) "
            f"has {int((n_labels >= 2).sum())}"
        )
    facts = table_facts(benchmark, dataset, metric, hp)
    agreement = seed_agreement(Y, seeds)
    result = NoiseResult(
        Path(out),
        facts,
        agreement,
        **_summarise(runs, tab_runs, models, sizes_used),
        runs=runs,
        tabular_runs=tab_runs,
    )

    report = Report(
        Path(out), f"Surrogate vs single-seed table (NB301's noise claim) — {dataset}, {metric}"
    )
    report.text(
        facts.markdown() + " Seed-to-seed agreement of the table: mean Kendall τ = "
        f"{agreement.seed_to_seed_kendall_tau:.3f} over {len(agreement.pairs)} seed pair(s)."
    )
    report.text(
        "Each surrogate is fitted on ONE seed's labels of n training cells and predicts held-out "
        "cells; the tabular entry is that same seed's value for the held-out cell. Both are scored "
        "against the mean of the OTHER seeds on the held-out cells. Bands: 95% CI over fit seeds "
        "and splits."
    )
    report.text("**Verdict.** " + result.verdict)
    for k, key in enumerate(("mae", "kendall_tau", "rmse")):
        label = {
            "mae": "MAE vs other seeds' mean",
            "rmse": "RMSE vs other seeds' mean",
            "kendall_tau": "Kendall τ with other seeds' mean",
        }[key]
        data = {
            "n_train": sizes_used,
            "tabular": result.tabular[key],
            "surrogate": {m: result.surrogate[m][key] for m in models},
        }

        def draw(fig, key=key, label=label, data=data):
            ax = fig.add_subplot()
            t = data["tabular"]
            x = data["n_train"]
            ax.axhline(t["mean"], color="black", ls="--", label="table (single seed)")
            ax.axhspan(t["lo"], t["hi"], color="black", alpha=0.1)
            for i, m in enumerate(models):
                c = PALETTE[i % len(PALETTE)]
                d = data["surrogate"][m]
                ax.plot(x, d["mean"], "o-", color=c, label=f"surrogate {m}")
                ax.fill_between(x, d["lo"], d["hi"], color=c, alpha=0.2)
            ax.set_xscale("log")
            ax.set_xlabel("training cells of the fit seed (log scale)")
            unit = "" if key == "kendall_tau" else f" ({metric_unit(metric)})"
            ax.set_ylabel(label + unit)
            ax.set_title(f"{label}: surrogate vs single-seed table")
            ax.legend()

        report.figure(
            f"noise_{key}",
            draw,
            data,
            f"{label} on held-out cells for surrogates fitted on one seed's labels (solid) and for "
            f"that seed's tabular entry (dashed; independent of n). Data: per-seed `{metric}` of "
            f"`{dataset}`.",
            headline=k == 0,
        )
    report.heading("Per training size")
    report.table(result.table)
    report.summary = result.to_dict()
    report.write()
    return result


def _summarise(runs, tab_runs, models, sizes) -> dict[str, Any]:
    tab = {}
    for key in ("mae", "rmse", "kendall_tau"):
        mean, lo, hi = mean_band(np.asarray([[r[key]] for r in tab_runs], float), axis=0)
        tab[key] = {"mean": float(mean[0]), "lo": float(lo[0]), "hi": float(hi[0])}
    sur: dict[str, dict[str, dict[str, list[float]]]] = {}
    rows = []
    for m in models:
        sur[m] = {}
        for key in ("mae", "rmse", "kendall_tau"):
            cols = [
                [r[f"surrogate_{key}"] for r in runs if r["model"] == m and r["n_train"] == n]
                for n in sizes
            ]
            width = max((len(c) for c in cols), default=0)
            mat = np.full((width, len(sizes)), np.nan)
            for i, c in enumerate(cols):
                mat[: len(c), i] = c
            mean, lo, hi = mean_band(mat, axis=0)
            sur[m][key] = {"mean": mean.tolist(), "lo": lo.tolist(), "hi": hi.tolist()}
        for i, n in enumerate(sizes):
            s_mae = sur[m]["mae"]["mean"][i]
            if not np.isfinite(s_mae):
                continue
            t_mae = tab["mae"]["mean"]
            rows.append(
                {
                    "model": m,
                    "n_train": n,
                    "surrogate_mae": s_mae,
                    "table_mae": t_mae,
                    "surrogate_tau": sur[m]["kendall_tau"]["mean"][i],
                    "table_tau": tab["kendall_tau"]["mean"],
                    "winner (MAE)": "surrogate" if s_mae < t_mae else "table",
                    "margin_mae": t_mae - s_mae,
                }
            )
    verdict = _verdict(rows, tab)
    return {"tabular": tab, "surrogate": sur, "table": rows, "verdict": verdict, "sizes": sizes}


def _verdict(rows: list[dict[str, Any]], tab: dict[str, Any]) -> str:
    if not rows:
        return "no surrogate could be scored."
    parts = []
    for m in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == m]
        wins = [r for r in mine if r["winner (MAE)"] == "surrogate"]
        last = mine[-1]
        pct = 100 * last["margin_mae"] / last["table_mae"] if last["table_mae"] > 0 else np.nan
        who = "the surrogate" if last["margin_mae"] > 0 else "the table"
        text = (
            f"`{m}` at n = {last['n_train']}: MAE {last['surrogate_mae']:.3f} vs "
            f"{last['table_mae']:.3f} for the single-seed table entry, so {who} wins by "
            f"{abs(last['margin_mae']):.3f} ({abs(pct):.0f}% of the table's MAE)"
        )
        text += (
            f"; the surrogate first wins at n = {wins[0]['n_train']}"
            if wins
            else "; the surrogate does not win at any size tried"
        )
        parts.append(text + ".")
    return " ".join(parts)
