"""Study `compare`: does the surrogate benchmark rank NAS optimizers as the table does?

Each optimizer runs `repeats` times on the tabular benchmark and on the surrogate benchmark under
the same simulated budget, signal and searchable cells (child seeds are shared, so run r of an
optimizer starts from the same random stream on both). The report shows anytime curves (the
incumbent's report metric vs simulated time; mean and 95% CI over repeats), final-performance
distributions, and the Kendall τ / Spearman ρ between the two orderings of the optimizers by mean
final performance (NB301, sec. 5), reported only over 3 or more optimizers.

Methods are ours (`OPTIMIZERS`) or syne-tune's schedulers (``st_*``, `evaluation.hpo`); all are
charged the epochs they train (`evaluation.runners`). Multi-fidelity methods run on the surrogate
side when it holds a learning-curve surrogate (`regressors.curve`). A method whose runs average
fewer than 10 evaluations is flagged in ``warnings``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError
from surrogate_nb.evaluation.optimizers import (
    BaseOptimizer,
    CellPool,
    Trajectory,
    default_optimizers,
    labelled,
)
from surrogate_nb.evaluation.report import PALETTE, Report, mean_band
from surrogate_nb.evaluation.runners import MIN_EVALUATIONS, SyneTuneMethod, evaluations
from surrogate_nb.evaluation.studies._common import (
    StudyResult,
    TableFacts,
    default_budget,
    table_facts,
)
from surrogate_nb.ranking import kendall_tau, spearman
from surrogate_nb.table import BenchmarkLike


def anytime(trajs: Sequence[Trajectory], grid: np.ndarray) -> np.ndarray:
    """(repeats, len(grid)) incumbent report metric at each grid time (NaN before the first)."""
    return np.vstack([t.at(grid) for t in trajs]) if trajs else np.zeros((0, len(grid)))


def rank_agreement(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """Kendall τ and Spearman ρ between two score vectors over the same optimizers (NaN over
    fewer than 3: two optimizers give τ = ±1 by construction)."""
    x, y = np.asarray(a, float), np.asarray(b, float)
    n = int((np.isfinite(x) & np.isfinite(y)).sum())
    if n < 3:
        return {"kendall_tau": float("nan"), "spearman": float("nan"), "n": n}
    return {"kendall_tau": kendall_tau(x, y), "spearman": spearman(x, y), "n": n}


@dataclass
class CompareResult(StudyResult):
    """What `compare_study` found.

    Attributes:
        budget_s: simulated budget per run, seconds.
        repeats: runs per optimizer and benchmark.
        finals: {benchmark: {optimizer: final incumbent report metric per run}}.
        means: {benchmark: {optimizer: mean of `finals`}}.
        rank_agreement: Kendall τ, Spearman ρ and n between the two orderings of the optimizers.
        skipped: {optimizer: why it did not run on both benchmarks}.
        trajectories: {benchmark: {optimizer: [Trajectory.to_dict(), ...]}}.
        evaluations: {benchmark: {optimizer: mean evaluations per run}}.
        warnings: methods whose runs average fewer than `MIN_EVALUATIONS` evaluations.
        cost_epochs: epochs charged per single-fidelity evaluation (None: the table's T).
    """

    budget_s: float
    repeats: int
    finals: dict[str, dict[str, list[float]]]
    means: dict[str, dict[str, float]]
    rank_agreement: dict[str, float]
    skipped: dict[str, str]
    trajectories: dict[str, dict[str, list[dict[str, Any]]]]
    evaluations: dict[str, dict[str, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    cost_epochs: int | None = None

    headline = "compare_anytime"

    def brief(self) -> dict[str, Any]:
        return {
            "means": self.means,
            "rank_agreement": self.rank_agreement,
            "budget_s": self.budget_s,
            "skipped": self.skipped,
        }

    def markdown(self, link: str) -> str:
        ra = self.rank_agreement
        return (
            f"{super().markdown(link)}\n\nRank agreement between the two optimizer orderings: "
            f"Kendall τ = {ra['kendall_tau']:.2f}, Spearman ρ = {ra['spearman']:.2f} "
            f"({ra['n']} optimizers). Budget {self.budget_s:,.0f} simulated seconds.\n\n"
            f"![anytime]({link}/compare_anytime.png)\n\n![final]({link}/compare_final.png)"
        )


#: A method the study runs: one of our optimizers or a syne-tune scheduler.
Method = BaseOptimizer | SyneTuneMethod
#: {benchmark label: {optimizer label: value}}.
PerBench = dict[str, dict[str, Any]]


def compare_study(
    benchmark: BenchmarkLike,
    surrogate_benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    out: str | Path,
    rng: np.random.Generator,
    optimizers: Sequence[Method] | Mapping[str, Method] | None = None,
    repeats: int = 5,
    budget_s: float | None = None,
    report_metric: str | None = None,
    pool: CellPool | None = None,
    surrogate_label: str = "surrogate",
    signal_seed: int | str | None = None,
    cost_epochs: int | None = None,
) -> CompareResult:
    """Run the study and write its report into `out`.

    Args:
        benchmark: the tabular benchmark.
        surrogate_benchmark: the surrogate benchmark (same query/cost API).
        dataset, metric, hp: the optimizers' signal (larger is better).
        out: report directory.
        rng: all randomness.
        optimizers: optimizer instances, ours or syne-tune's (`runners.SyneTuneMethod`); a
            mapping {label: optimizer} to name them; default `default_optimizers`.
        repeats: runs per optimizer and benchmark.
        budget_s: simulated budget (default 100 x the median training time of the table's cells).
        report_metric: incumbent metric reported (default `metric`; e.g. "test_acc").
        pool: searchable cells on both benchmarks (default: the table's cells).
        surrogate_label: how the surrogate benchmark is named in plots (e.g. "surrogate (xgb)").
        signal_seed: None (default): the signal is the table's mean over seeds and the
            surrogate's mean prediction (deterministic, like-for-like); "sample": a random seed
            per query on the table and a noisy draw from the surrogate.
        cost_epochs: charge single-fidelity methods (ours and syne-tune's RS, REA, TPE, BORE)
            this many epochs per evaluation (e.g. NB201's 12-epoch search protocol) instead of
            the table's T; their signal stays the last epoch's (`evaluation.runners`).

    Returns:
        The `CompareResult` (also `summary.json`).
    """
    methods: dict[str, Method] = labelled(
        optimizers if optimizers is not None else default_optimizers()
    )
    idx, _ = benchmark.to_xy(dataset, metric, hp=hp)
    if len(idx) == 0:
        raise SurrogateNBError(f"the table has no {metric!r} values for {dataset!r}")
    runs = _Runs(
        methods=methods,
        benches={"table": benchmark, surrogate_label: surrogate_benchmark},
        dataset=dataset,
        metric=metric,
        hp=hp,
        repeats=repeats,
        budget_s=budget_s if budget_s is not None else default_budget(benchmark, idx, dataset, hp),
        report_metric=report_metric or metric,
        pool=pool or CellPool(idx, space=benchmark.space),
        signal_seed=signal_seed,
        cost_epochs=cost_epochs,
    )
    trajs, skipped = _run_all(runs, rng)
    found = _Findings.of(runs, trajs, skipped)
    facts = table_facts(benchmark, dataset, metric, hp)
    report = Report(Path(out), f"Optimizers on the table vs on the surrogate — {dataset}")
    _report_text(report, facts, runs, found)
    _figure_anytime(report, runs, found)
    _figure_final(report, runs, found)
    _figure_rank(report, runs, found)
    _final_table(report, runs, found)
    result = CompareResult(
        Path(out),
        facts,
        runs.budget_s,
        repeats,
        found.finals,
        found.means,
        found.agree,
        skipped,
        {b: {o: [t.to_dict() for t in ts] for o, ts in d.items()} for b, d in trajs.items()},
        evaluations=found.n_evals,
        warnings=found.warnings,
        cost_epochs=cost_epochs,
    )
    report.summary = result.to_dict()
    report.write()
    return result


@dataclass(frozen=True)
class _Runs:
    """What the study runs: every method on both benchmarks under one budget and signal."""

    methods: dict[str, Method]
    benches: dict[str, BenchmarkLike]  # "table", then the surrogate's label
    dataset: str
    metric: str
    hp: str | None
    repeats: int
    budget_s: float
    report_metric: str
    pool: CellPool
    signal_seed: int | str | None
    cost_epochs: int | None

    @property
    def names(self) -> list[str]:
        """The benchmarks' labels: "table", the surrogate's."""
        return list(self.benches)


def _run_all(
    runs: _Runs, rng: np.random.Generator
) -> tuple[dict[str, dict[str, list[Trajectory]]], dict[str, str]]:
    """({benchmark: {method: trajectories}}, {method: why it did not run on a benchmark}).
    Run r of a method starts from the same random stream on both benchmarks."""
    trajs: dict[str, dict[str, list[Trajectory]]] = {b: {} for b in runs.benches}
    skipped: dict[str, str] = {}
    for (name, opt), child in zip(runs.methods.items(), rng.spawn(len(runs.methods))):
        seqs = np.random.SeedSequence(int(child.integers(2**63))).spawn(runs.repeats)
        for bname, bench in runs.benches.items():
            try:
                trajs[bname][name] = [
                    opt.run(
                        bench,
                        runs.dataset,
                        runs.metric,
                        runs.hp,
                        runs.budget_s,
                        np.random.default_rng(seq),
                        report_metric=runs.report_metric,
                        pool=runs.pool,
                        signal_seed=runs.signal_seed,
                        cost_epochs=runs.cost_epochs,
                    )
                    for seq in seqs
                ]
            except UnknownKeyError as exc:  # e.g. a surrogate that models the final epoch only
                skipped[name] = f"not run on the {bname}: {exc}"
    return trajs, skipped


@dataclass(frozen=True)
class _Findings:
    """The runs summarised: anytime curves, finals, their means and the rank agreement."""

    both: list[str]  # methods that ran on both benchmarks
    skipped: dict[str, str]
    grid: np.ndarray
    curves: PerBench  # {b: {o: (repeats, len(grid))}}
    finals: dict[str, dict[str, list[float]]]
    means: dict[str, dict[str, float]]
    agree: dict[str, float]
    n_evals: dict[str, dict[str, float]]
    warnings: list[str]

    @classmethod
    def of(
        cls,
        runs: _Runs,
        trajs: dict[str, dict[str, list[Trajectory]]],
        skipped: dict[str, str],
    ) -> _Findings:
        both = [o for o in runs.methods if all(o in trajs[b] for b in runs.benches)]
        if not both:
            raise SurrogateNBError(f"no optimizer could run on both benchmarks: {skipped}")
        budget_s = runs.budget_s
        # The curves start once every run has its first result, so each mean is over all runs.
        first = max(
            (t.time_s[0] for b in trajs.values() for ts in b.values() for t in ts if len(t)),
            default=budget_s / 100,
        )
        grid = np.geomspace(min(max(first, 1e-3), budget_s), budget_s, 60)
        finals = {
            b: {o: [t.final_report for t in ts] for o, ts in d.items()} for b, d in trajs.items()
        }
        means = {b: {o: _nanmean(v) for o, v in d.items()} for b, d in finals.items()}
        table, surrogate = runs.names
        n_evals = {
            b: {o: float(np.mean([evaluations(t) for t in ts])) for o, ts in d.items()}
            for b, d in trajs.items()
        }
        return cls(
            both=both,
            skipped=skipped,
            grid=grid,
            curves={b: {o: anytime(ts, grid) for o, ts in d.items()} for b, d in trajs.items()},
            finals=finals,
            means=means,
            agree=rank_agreement(
                [means[table][o] for o in both], [means[surrogate][o] for o in both]
            ),
            n_evals=n_evals,
            warnings=[
                f"{o} on the {b} averages {n:.1f} evaluations per run (< {MIN_EVALUATIONS}): "
                "raise --budget, its ranking is mostly noise"
                for b, d in n_evals.items()
                for o, n in d.items()
                if n < MIN_EVALUATIONS
            ],
        )


def _nanmean(values: list[float]) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def _signal_words(signal_seed: int | str | None) -> str:
    if signal_seed is None:
        return "the table's mean over seeds and the surrogate's mean prediction"
    if signal_seed == "sample":
        return "one random seed per query on the table, a noisy surrogate draw on the surrogate"
    return f"seed {signal_seed}"


def _report_text(report: Report, facts: TableFacts, runs: _Runs, found: _Findings) -> None:
    """The report's paragraphs: data, signal and budget; rank agreement; cost model, warnings."""
    report_metric, agree = runs.report_metric, found.agree
    report.text(
        facts.markdown()
        + f" Signal: `{runs.metric}` ({_signal_words(runs.signal_seed)}); reported: the "
        f"incumbent's `{report_metric}` (mean over seeds). Simulated budget "
        f"{runs.budget_s:,.0f} s of training time (the table's recorded train time per cell); "
        f"{runs.repeats} run(s) per optimizer and benchmark; searchable cells: "
        f"{len(runs.pool)}. Bands: 95% CI over runs."
    )
    report.text(
        f"**Rank agreement** of the optimizers' mean final `{report_metric}`: Kendall τ = "
        f"{agree['kendall_tau']:.3f}, Spearman ρ = {agree['spearman']:.3f} over {agree['n']} "
        f"optimizers run on both benchmarks ({', '.join(found.both)})."
        if agree["n"] >= 3
        else f"**Rank agreement** not reported: {agree['n']} optimizer(s) ran on both benchmarks "
        "(a rank correlation needs at least 3)."
    )
    if runs.cost_epochs is not None:
        report.text(
            f"Cost model: single-fidelity optimizers are charged {runs.cost_epochs} epochs per "
            "evaluation; multi-fidelity ones the epochs they train."
        )
    if found.warnings:
        report.text("**Warning:** " + "; ".join(found.warnings) + ".")
    if found.skipped:
        report.text("Skipped: " + "; ".join(f"`{k}` {v}" for k, v in found.skipped.items()) + ".")


def _figure_anytime(report: Report, runs: _Runs, found: _Findings) -> None:
    """Incumbent report metric against simulated time, one panel per benchmark."""
    names, optimizers, grid, curves = runs.names, list(runs.methods), found.grid, found.curves

    def draw(fig: Any) -> None:
        axes = np.atleast_1d(fig.subplots(1, len(names), sharey=True))
        for ax, b in zip(axes, names):
            for i, o in enumerate(optimizers):
                if o not in curves[b]:
                    continue
                c = PALETTE[i % len(PALETTE)]
                mean, lo, hi = mean_band(curves[b][o], axis=0)
                ax.plot(grid, mean, color=c, label=o)
                ax.fill_between(grid, lo, hi, color=c, alpha=0.15)
            ax.set_xscale("log")
            ax.set_xlabel("simulated training time (s, log scale)")
            ax.set_title(f"on the {b}")
        axes[0].set_ylabel(f"incumbent {runs.report_metric} (%)")
        axes[0].legend(title="optimizer", loc="lower right")  # table: all ran

    bands = {b: {o: mean_band(c, 0) for o, c in d.items()} for b, d in curves.items()}
    report.figure(
        "compare_anytime",
        draw,
        {
            "time_s": grid,
            "curves": {
                b: {o: {"mean": m, "lo": lo, "hi": hi} for o, (m, lo, hi) in d.items()}
                for b, d in bands.items()
            },
        },
        f"Anytime performance: the incumbent's `{runs.report_metric}` against simulated time, "
        f"mean and 95% CI over {runs.repeats} runs, on the table (left) and on the surrogate "
        "benchmark (right).",
        headline=True,
        size=(11.0, 4.2),
    )


def _figure_final(report: Report, runs: _Runs, found: _Findings) -> None:
    """Box plots of the final incumbent's report metric, table vs surrogate, per method."""
    names, optimizers, finals = runs.names, list(runs.methods), found.finals

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        width = 0.38
        for k, b in enumerate(names):
            pos = np.arange(len(optimizers)) + (k - 0.5) * width
            data = [np.asarray(finals[b].get(o, []), float) for o in optimizers]
            data = [d[np.isfinite(d)] for d in data]
            parts = ax.boxplot(
                data, positions=pos, widths=width * 0.9, patch_artist=True, showfliers=True
            )
            for patch in parts["boxes"]:
                patch.set_facecolor(PALETTE[k])
                patch.set_alpha(0.6)
            ax.plot([], [], color=PALETTE[k], lw=8, alpha=0.6, label=b)
        ax.set_xticks(np.arange(len(optimizers)), optimizers, rotation=20)
        ax.set_ylabel(f"final incumbent {runs.report_metric} (%)")
        ax.set_title(f"Final performance after {runs.budget_s:,.0f} s (simulated)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="benchmark")

    report.figure(
        "compare_final",
        draw,
        finals,
        f"Distribution of the final incumbent's `{runs.report_metric}` over {runs.repeats} runs "
        "per optimizer, table vs surrogate benchmark.",
        size=(8.0, 4.2),
    )


def _figure_rank(report: Report, runs: _Runs, found: _Findings) -> None:
    """Each method's mean final value on the table (x) and on the surrogate (y)."""
    table, surrogate = runs.names
    both, means, agree = found.both, found.means, found.agree

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        x = [means[table][o] for o in both]
        y = [means[surrogate][o] for o in both]
        for i, o in enumerate(both):
            ax.scatter(x[i], y[i], color=PALETTE[i % len(PALETTE)], label=o, s=50)
        ax.set_xlabel(f"mean final {runs.report_metric} on the table (%)")
        ax.set_ylabel(f"mean final {runs.report_metric} on the {surrogate} (%)")
        ax.set_title(f"Optimizer ordering: Kendall τ = {agree['kendall_tau']:.2f}")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))

    report.figure(
        "compare_rank",
        draw,
        {"table": means[table], surrogate: means[surrogate], "agreement": agree},
        "Each optimizer's mean final performance on the table (x) and on the surrogate (y).",
        size=(7.0, 4.5),
    )


def _final_table(report: Report, runs: _Runs, found: _Findings) -> None:
    """One row per method: mean and sd of the final values, mean evaluations, per benchmark."""
    nan = float("nan")
    names, means, finals = runs.names, found.means, found.finals
    report.heading("Final performance")
    report.table(
        [
            {
                "optimizer": o,
                **{f"{b} mean": means[b].get(o, nan) for b in names},
                **{
                    f"{b} sd": float(np.nanstd(finals[b][o])) if o in finals[b] else nan
                    for b in names
                },
                **{f"evals ({b}, mean)": found.n_evals[b].get(o, nan) for b in names},
            }
            for o in runs.methods
        ]
    )
