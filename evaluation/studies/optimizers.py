"""Study `optimizers`: NAS optimizers on one benchmark, regret vs simulated wall-clock time.

The NB-101 paper's experiment (Ying et al. 2019, fig. 7), on any benchmark of any space: each
optimizer runs `runs` times under the same simulated budget (`surrogate_nb.evaluation.search`,
which ``snb search`` also uses); an evaluation is charged the benchmark's training time of that
cell (a `SurrogateBenchmark` predicts it with a train-time surrogate when it has one);
multi-fidelity methods (syne-tune's BOHB, DEHB) are charged the training time of each budget
they train (`surrogate_nb.evaluation.hpo`). Regret at time t is the benchmark's optimum of the
report metric minus the incumbent's report value (mean over seeds, or the surrogate mean). The
report shows mean regret ± standard error over runs vs time (log-log), the final regrets, and a
verdict per optimizer against random search (one-sided Mann-Whitney U on final regret,
p < 0.05).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from surrogate_nb.errors import InvalidValueError, SurrogateNBError
from surrogate_nb.evaluation.optimizers import BaseOptimizer, check_run_limits
from surrogate_nb.evaluation.report import PALETTE, Report
from surrogate_nb.evaluation.runners import SyneTuneMethod, evaluations
from surrogate_nb.evaluation.search import search
from surrogate_nb.regressors import SurrogateBenchmark, Target, make_surrogate
from surrogate_nb.table import Benchmark, BenchmarkLike

Progress = Callable[[int, int], None]


@dataclass
class OptimizerStudyResult:
    """What `optimizers_study` measured.

    Attributes:
        optimum: the benchmark's best report value over the whole space.
        grid_s: (g,) times of the regret curves, seconds.
        regret: {optimizer: (runs, g) regret at each grid time; NaN before the first result}.
        final: {optimizer: (runs,) final regret}.
        evaluations: {optimizer: (runs,) evaluations per run}.
        verdicts: {optimizer: one line vs random search}.
        seconds_per_run: {optimizer: mean wall seconds of one simulated run on this machine}.
        report: path of report.md.
    """

    optimum: float
    grid_s: np.ndarray
    regret: dict[str, np.ndarray]
    final: dict[str, np.ndarray]
    evaluations: dict[str, np.ndarray]
    verdicts: dict[str, str] = field(default_factory=dict)
    seconds_per_run: dict[str, float] = field(default_factory=dict)
    report: Path | None = None

    def rows(self) -> list[dict[str, Any]]:
        """One table row per optimizer: final regret mean ± s.e., evaluations, verdict."""
        out = []
        for name, f in self.final.items():
            se = f.std(ddof=1) / np.sqrt(len(f)) if len(f) > 1 else float("nan")
            out.append(
                {
                    "optimizer": name,
                    "runs": len(f),
                    "final regret (mean)": float(np.mean(f)),
                    "median": float(np.median(f)),
                    "s.e.": float(se),
                    "sd": float(f.std(ddof=1)) if len(f) > 1 else float("nan"),
                    "evaluations (mean)": float(np.mean(self.evaluations[name])),
                    "s / run": self.seconds_per_run.get(name, float("nan")),
                    "vs random search": self.verdicts.get(name, ""),
                }
            )
        return out


def space_optimum(
    benchmark: BenchmarkLike, dataset: str, metric: str, hp: str | None, pool: Any = None
) -> float:
    """Best value of `metric` over the searchable cells (default every cell of the space; NaN
    cells ignored).

    Raises:
        SurrogateNBError: no pool in a space too large to list (DARTS): its optimum is unknown.
    """
    cells = pool.indices if pool is not None else None
    if cells is None:
        if not benchmark.space.enumerable:
            raise SurrogateNBError(
                f"the optimum of the {benchmark.space.name} space cannot be found by listing its "
                f"{benchmark.space.cardinality:,} cells; give the cells to compare against (a "
                "table's held cells)"
            )
        cells = np.arange(benchmark.space.cardinality)
    values = benchmark.query(cells, dataset, metric, hp=hp)
    return float(np.nanmax(values))


def study_benchmark(
    table: Benchmark,
    dataset: str,
    metric: str,
    hp: str | None,
    model: str,
    *,
    multi: bool,
    rng: np.random.Generator,
) -> tuple[BenchmarkLike, str | None]:
    """(benchmark, hp) the study runs on: `table` itself when `model` is ``"table"``, else a
    memoised `SurrogateBenchmark` of regressor `model` fitted on every table cell: `metric` at
    `hp`, the train time (this budget's, else the longest budget's that records it), and with
    `multi` (BOHB, DEHB) `metric` at every lower budget. `hp` None reads as the dataset's only
    schedule."""
    if model == "table":
        return table, hp
    hps = table.hps(dataset)
    if hp is None and len(hps) == 1:
        hp = hps[0]
    targets = [Target(metric, hp)]
    timed = [h for h in hps if len(table.to_xy(dataset, "train_time_s", h)[0])]
    if timed:
        targets.append(Target("train_time_s", hp, hp if hp in timed else max(timed, key=float)))
    if multi and hp is not None and hp.isdigit():  # every lower budget, for BOHB / DEHB
        lower = [h for h in hps if h.isdigit() and int(h) < int(hp)]
        targets += [Target(metric, h) for h in sorted(lower, key=int)]
    prototype = make_surrogate(model, space=table.space)
    bench = SurrogateBenchmark.from_table(table, dataset, targets, rng=rng, surrogate=prototype)
    return bench.memoise(), hp


def _verdicts(final: dict[str, np.ndarray], baseline: str) -> dict[str, str]:
    from scipy.stats import mannwhitneyu

    if baseline not in final:
        return {}
    base = final[baseline]
    out = {}
    for name, f in final.items():
        if name == baseline or len(f) < 3 or len(base) < 3:
            continue
        p = float(mannwhitneyu(f, base, alternative="less").pvalue)
        word = "beats" if p < 0.05 else "does not beat"
        out[name] = f"{word} random search (Mann-Whitney U, one-sided, p = {p:.2g})"
    return out


def check_optimizers_options(runs: int, budget_s: float) -> None:
    """Refuse ``runs`` < 1 and a budget that is not a finite number > 0, before any work (a
    study fits its surrogates first, which takes minutes).

    Raises:
        InvalidValueError: naming the option and the value.
    """
    if not isinstance(runs, (int, np.integer)) or isinstance(runs, bool) or runs < 1:
        raise InvalidValueError(f"--runs must be an integer >= 1, got {runs!r}")
    check_run_limits(budget_s)


def optimizers_study(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None,
    *,
    optimizers: Sequence[BaseOptimizer | SyneTuneMethod],
    runs: int,
    budget_s: float,
    rng: np.random.Generator,
    out: Path,
    report_metric: str | None = None,
    signal_seed: int | str | None = "sample",
    pool: Any = None,
    title: str = "NAS optimizers: regret vs simulated time",
    progress: Progress | None = None,
) -> OptimizerStudyResult:
    """Run every optimizer `runs` times on `benchmark` and write the report (module docstring).

    Args:
        benchmark: a `Benchmark` or `SurrogateBenchmark` (query/cost/space).
        dataset, metric, hp: the search signal.
        optimizers: optimizer instances (each runs `runs` times from fresh state): ours, or
            syne-tune's / SMAC3 / DEHB through `SyneTuneMethod` (`runners.make_method`).
        runs: independent runs per optimizer (run r of every optimizer uses child r of `rng`).
        budget_s: simulated seconds of training per run.
        rng: the only source of randomness.
        out: report folder.
        report_metric: what regret is measured on (default `metric`).
        signal_seed: "sample" (a noisy single-run signal), None (means) or a seed.
        pool: searchable cells (`CellPool`; default: the table's cells, else the whole space).
        progress: ``progress(done_runs, total_runs)``.
    """
    import time

    check_optimizers_options(runs, budget_s)

    report_metric = report_metric or metric
    optimum = space_optimum(benchmark, dataset, report_metric, hp, pool)
    grid = np.geomspace(budget_s / 1000, budget_s, 120)
    total = runs * len(optimizers)
    done = [0]
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}

    def on_run(name: str, r: int, n: int) -> None:
        done[0] += 1
        now = time.perf_counter()
        seconds[name] = (now - started.setdefault(name, last[0])) / r
        last[0] = now
        if progress is not None:
            progress(done[0], total)

    last = [time.perf_counter()]
    found = search(
        benchmark,
        dataset,
        metric,
        hp,
        optimizers=cast(Sequence[BaseOptimizer], optimizers),  # a SyneTuneMethod runs alike
        runs=runs,
        budget_s=budget_s,
        rng=rng,
        report_metric=report_metric,
        on_run=on_run,
        signal_seed=signal_seed,
        pool=pool,
    )
    regret, final, evals = {}, {}, {}
    for name, trajs in found.trajectories.items():
        regret[name] = optimum - np.vstack([t.at(grid) for t in trajs])
        final[name] = np.asarray([optimum - t.final_report for t in trajs])
        evals[name] = np.asarray([evaluations(t) for t in trajs])  # trials, not rung reports
    result = OptimizerStudyResult(optimum, grid, regret, final, evals, seconds_per_run=seconds)
    result.verdicts = _verdicts(final, "random_search")
    result.report = _write_report(result, out, title, dataset, metric, report_metric, hp, budget_s)
    return result


def _write_report(
    result: OptimizerStudyResult,
    out: Path,
    title: str,
    dataset: str,
    metric: str,
    report_metric: str,
    hp: str | None,
    budget_s: float,
) -> Path:
    report = Report(out, title)
    grid = result.grid_s
    data = {}

    def draw(fig) -> None:
        ax = fig.add_subplot()
        for k, (name, r) in enumerate(result.regret.items()):
            ok = np.isfinite(r).all(axis=0)  # from the time every run has a result
            mean = r[:, ok].mean(axis=0)
            se = r[:, ok].std(axis=0, ddof=1) / np.sqrt(r.shape[0]) if r.shape[0] > 1 else 0 * mean
            color = PALETTE[k % len(PALETTE)]
            ax.plot(grid[ok], mean, color=color, label=name)
            ax.fill_between(grid[ok], mean - se, mean + se, color=color, alpha=0.2)
            data[name] = {"time_s": grid[ok], "mean": mean, "se": se}
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("simulated training time (s)")
        ax.set_ylabel(f"regret of {report_metric} (points)")
        ax.legend()

    runs = len(next(iter(result.final.values())))
    report.figure(
        "regret",
        draw,
        data,
        f"Mean regret ± 1 standard error over {runs} runs per optimizer vs simulated time; "
        f"signal {dataset}/{metric} (hp {hp}), regret of {report_metric} against the space's "
        f"optimum {result.optimum:.3f}.",
        headline=True,
    )
    report.heading("Final regret")
    report.table(result.rows())
    best = min(result.final, key=lambda k: float(np.mean(result.final[k])))
    robust = min(result.final, key=lambda k: float(np.std(result.final[k])))
    report.text(
        f"Lowest mean final regret: **{best}**. Smallest spread of final regret over runs "
        f"(most robust): **{robust}**. Budget {budget_s:,.0f} simulated seconds per run."
    )
    report.summary = {
        "optimum": result.optimum,
        "budget_s": budget_s,
        "rows": result.rows(),
        "best": best,
        "most_robust": robust,
    }
    return report.write()
