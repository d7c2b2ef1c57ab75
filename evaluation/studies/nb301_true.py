"""Study `nb301-true`: NB301's final experiment — do optimizers rank the same on the surrogate
benchmark as with real training?

The same NAS optimizers run (a) on a `SurrogateBenchmark` fitted on the table (the metric, plus a
runtime surrogate that charges simulated time, as NB301's benchmark does) and (b) with real
training of every proposed cell under the table's protocol (`true_runs.TrainingBenchmark`: each
training lands in the build's ledger with the source ``<optimizer>-true``, and is charged its
recorded training time). Both sides get the same simulated budget. Per optimizer: the anytime
incumbent's value as the run saw it (`Trajectory.incumbent_signal`: a noisy draw on the surrogate
side, one training run on the true side; mean and 95 % band over runs), the final one's mean; the
verdict is the Kendall τ between the two sides' rankings of the optimizers.

True runs replay from the ledger: re-running the same command resumes them.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb import ranking
from surrogate_nb.errors import BuildError, SurrogateNBError
from surrogate_nb.evaluation.optimizers import OPTIMIZERS, Trajectory, make_optimizer
from surrogate_nb.evaluation.report import PALETTE, Report, mean_band
from surrogate_nb.evaluation.studies._common import (
    TRUE_SUFFIX,
    StudyResult,
    recorded_sources,
    table_facts,
)
from surrogate_nb.evaluation.true_runs import TrainingBenchmark
from surrogate_nb.exhaustive import BuildPlan, TrainConfig
from surrogate_nb.regressors import SurrogateBenchmark, SurrogateModel
from surrogate_nb.regressors.fitting import for_space
from surrogate_nb.table import Benchmark, Costs


def plan_of_table(table: Benchmark, *, data_dir: str | None = None) -> BuildPlan:
    """The build that made `table` (its protocol, first seed, space, ledger beside it), to train
    more cells the same way; `BuildError` when the manifest records no build protocol."""
    protocol = dict(table.manifest.get("protocol") or {})
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    if not protocol or not table.datasets():
        raise BuildError(f"{table.path} records no build protocol (was it made by snb build?)")
    config = TrainConfig(**{k: v for k, v in protocol.items() if k in names})
    seeds = tuple(int(s) for s in protocol.get("seeds") or [777])
    return BuildPlan(
        dataset=table.datasets()[0],
        out=str(table.path),
        config=config,
        cells=[],
        seeds=seeds[:1],
        space=table.space.name,
        engine="reference",
        data_dir=data_dir,
    )


def fit_cells(table: Benchmark) -> np.ndarray | None:
    """The table's cells proposed by some source other than a true run (``<optimizer>-true``,
    sorted), the cells the surrogate side is fitted on, so it never learns what the true runs
    found; None when the manifest records no sources (all cells)."""
    sources = recorded_sources(table.manifest.get("sources"))
    if not sources:
        return None
    keep = {c for name, cells in sources.items() if not name.endswith(TRUE_SUFFIX) for c in cells}
    return np.array(sorted(keep), dtype=np.int64)


def ranking_interval(
    finals: dict[str, dict[str, list[float]]],
    names: Sequence[str],
    rng: np.random.Generator,
    *,
    resamples: int = 1000,
    level: float = 0.9,
) -> dict[str, float]:
    """How sure the ranking agreement is, given few runs (a percentile bootstrap): the runs of
    every optimizer on each side are resampled with replacement and the Kendall τ between the
    sides' mean finals recomputed.

    Returns:
        {"low", "high"}: the `level` interval of τ over the resamples where it is defined (NaN
        when none is: a side ties every optimizer); "positive": the share of all resamples
        with τ > 0.
    """
    taus = np.empty(resamples)
    runs = {side: [np.asarray(finals[side][n], dtype=float) for n in names] for side in finals}
    for b in range(resamples):
        means = {
            side: [float(np.nanmean(r[rng.integers(0, len(r), len(r))])) for r in rs]
            for side, rs in runs.items()
        }
        taus[b] = ranking.kendall_tau(means["surrogate"], means["true"])
    finite = taus[np.isfinite(taus)]
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail]) if len(finite) else (np.nan, np.nan)
    return {
        "low": float(low),
        "high": float(high),
        "positive": float(np.sum(finite > 0) / resamples),
    }


class FixedCharge:
    """`benchmark` with every full training charged `seconds` (per epoch: seconds / T), whatever
    it records or predicts; everything else is the benchmark's. Asking the cost trains nothing
    (a `TrainingBenchmark` trains on `query` only)."""

    def __init__(self, benchmark: Any, seconds: float) -> None:
        self.benchmark = benchmark
        self.seconds = float(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.benchmark, name)

    def cost(self, arch: Any, dataset: str, hp: str | None = None, seed: Any = None) -> Costs:
        T = self.benchmark.epochs(dataset, hp) or 1
        nan = math.nan
        return Costs(
            params_m=nan,
            flops_m=nan,
            latency_s=nan,
            train_time_s=self.seconds,
            train_time_per_epoch_s=self.seconds / T,
        )


@dataclass
class TrueResult(StudyResult):
    """What `surrogate_vs_true` found.

    Attributes:
        budget_s: simulated budget of every run (seconds of training time).
        charge_s: seconds charged per full training on both sides (None: recorded / predicted).
        finals: {side: {optimizer: per run, the final incumbent's value as the run saw it}}.
        ranking_tau: Kendall τ between the sides' rankings of the optimizers (by mean final;
            NaN when one side ties every optimizer).
        seconds_per_run: {side: mean wall seconds of one run} (a true run replayed from the
            ledger takes seconds: see `recorded_s_per_true_run`).
        recorded_s: {optimizer: per true run, the recorded training seconds of the distinct
            cells it evaluated} (what a run costs when it trains every cell itself).
        trained: trainings the true side ran now (the rest came from the ledger).
        fit_cells: table cells the surrogates were fitted on (None: every cell).
        tau_interval: `ranking_interval` of `ranking_tau` (bootstrap over the runs).
        surrogate_means: {optimizer: per surrogate run, the surrogate's predicted mean of its
            final incumbent} (its noise-free quality; the true side has one seed per cell).
        ranking_tau_means: Kendall τ between the ranking by `surrogate_means` and the true
            side's ranking.
    """

    budget_s: float
    charge_s: float | None
    finals: dict[str, dict[str, list[float]]]
    ranking_tau: float
    seconds_per_run: dict[str, float]
    trained: int
    fit_cells: int | None = None
    tau_interval: dict[str, float] = dataclasses.field(default_factory=dict)
    recorded_s: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    surrogate_means: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    ranking_tau_means: float = math.nan

    @property
    def recorded_s_per_true_run(self) -> float:
        """Mean of `recorded_s` over every true run."""
        runs = [s for per in self.recorded_s.values() for s in per]
        return float(np.mean(runs)) if runs else math.nan

    headline = "nb301_true_anytime"


def surrogate_vs_true(
    table: Benchmark,
    plan: BuildPlan,
    metric: str,
    out: str | Path,
    *,
    optimizers: Sequence[str],
    surrogate: SurrogateModel,
    runs_true: int = 5,
    runs_surrogate: int = 20,
    budget_s: float,
    seed: int = 0,
    curve_model: str = "lgb",
    charge_s: float | None = None,
    on_step: Callable[[str], None] | None = None,
) -> TrueResult:
    """Run `optimizers` on the surrogate benchmark and with real training; compare rankings.

    Args:
        table: the table the surrogates are fitted on (its space and dataset).
        plan: the build whose protocol and ledger the true runs train with (its `cells` unused).
        metric: search signal (e.g. x-valid_acc); the incumbent's value is reported.
        out: report folder.
        optimizers: registry names (`evaluation.optimizers.OPTIMIZERS`). With a multi-fidelity
            one (hyperband, bohb) the metric's surrogate is a learning-curve surrogate (it
            answers every epoch; every optimizer then runs on it), and the true side charges an
            evaluation at e of T epochs e/T of the recorded training time, as on a table.
        surrogate: prototype of the runtime surrogate, and of the metric's when every optimizer
            is single-fidelity.
        runs_true / runs_surrogate: runs per optimizer on each side (run r uses the same seed on
            both sides).
        budget_s: simulated seconds of training per run.
        seed: master seed.
        curve_model: regressor of the learning-curve surrogate (`CurveModel`'s ``model``).
        charge_s: None charges each evaluation its training time: recorded (true side) or
            predicted by the runtime surrogate (surrogate side), as NB301. A number charges every
            full training that many simulated seconds on both sides (e/T of it at e of T epochs):
            for a machine whose measured times follow its load more than the cell (a shared
            CPU), where recorded times would rank the optimizers by when they ran.
        on_step: progress callback (a short line per run).

    Raises:
        SurrogateNBError: fewer than 2 optimizers or runs, a non-positive budget.
    """
    if len(optimizers) < 2 or runs_true < 1 or runs_surrogate < 1:
        raise SurrogateNBError("the comparison needs >= 2 optimizers and >= 1 run per side")
    if not budget_s > 0:
        raise SurrogateNBError(f"budget must be > 0 simulated seconds, got {budget_s!r}")
    if charge_s is not None and not charge_s > 0:
        raise SurrogateNBError(f"charge must be > 0 simulated seconds, got {charge_s!r}")
    step = on_step or (lambda _: None)
    dataset = plan.dataset
    proto = for_space(surrogate, table.space)
    step("fitting the metric and runtime surrogates")
    rng = np.random.default_rng(seed)
    cells = fit_cells(table)
    if any(OPTIMIZERS[name].multi_fidelity for name in optimizers if name in OPTIMIZERS):
        curves = SurrogateBenchmark.from_curves(
            table, dataset, metric, rng=rng, model=curve_model, cells=cells
        )
        runtime = SurrogateBenchmark.from_table(
            table, dataset, "train_time_s", rng=rng, surrogate=proto, cells=cells
        )
        sb = SurrogateBenchmark.join(curves, runtime)
        # single-run draws need the curve model's noise model (a table with repeated seeds)
        draws = all(getattr(s, "has_noise", True) for s in curves.surrogates.values())
    else:
        sb = SurrogateBenchmark.from_table(
            table, dataset, [metric, "train_time_s"], rng=rng, surrogate=proto, cells=cells
        )
        draws = True
    trajs: dict[str, dict[str, list[Trajectory]]] = {"surrogate": {}, "true": {}}
    clock: dict[str, list[float]] = {"surrogate": [], "true": []}
    recorded: dict[str, list[float]] = {}  # per true run: recorded training s of its cells
    first = TrainingBenchmark(plan, f"{optimizers[0]}{TRUE_SUFFIX}")  # loads the setting once
    true_benches = {
        n: TrainingBenchmark(plan, f"{n}{TRUE_SUFFIX}", data=first.data) for n in optimizers[1:]
    }
    true_benches[optimizers[0]] = first

    def one_run(side: str, name: str, r: int, bench: Any) -> None:
        if charge_s is not None:
            bench = FixedCharge(bench, charge_s)
        t0 = time.perf_counter()
        traj = make_optimizer(name).run(
            bench,
            dataset,
            metric,
            budget_s=budget_s,
            # [seed, r, 1]: default_rng([0, 0]) would replay default_rng(0), the stream that
            # sampled the table's random cells
            rng=np.random.default_rng([seed, r, 1]),
            signal_seed="sample" if side == "surrogate" and draws else None,
        )
        clock[side].append(time.perf_counter() - t0)
        trajs[side].setdefault(name, []).append(traj)
        if side == "true":
            costs = (true_benches[name].cost(int(i), dataset) for i in set(traj.arch_index))
            recorded.setdefault(name, []).append(sum(c["train_time_s"] for c in costs))

    for name in optimizers:
        for r in range(runs_surrogate):
            step(f"{name}: surrogate run {r + 1}/{runs_surrogate}")
            one_run("surrogate", name, r, sb)
    # run-major on the true side: an interrupted study has its first runs of every optimizer,
    # and a later `runs_true=k` replays them from the ledger
    for r in range(runs_true):
        for name in optimizers:
            step(f"true run {r + 1}/{runs_true}: {name}")
            one_run("true", name, r, true_benches[name])
    trained = sum(b.trained_now for b in true_benches.values())
    finals = {
        side: {n: [t.incumbent_signal[-1] for t in ts] for n, ts in by.items()}
        for side, by in trajs.items()
    }
    means = {side: [float(np.nanmean(finals[side][n])) for n in optimizers] for side in finals}
    tau = ranking.kendall_tau(means["surrogate"], means["true"])
    sur_means = {n: [t.final_report for t in ts] for n, ts in trajs["surrogate"].items()}
    tau_means = ranking.kendall_tau(
        [float(np.nanmean(sur_means[n])) for n in optimizers], means["true"]
    )
    result = TrueResult(
        out=Path(out),
        facts=table_facts(table, dataset, metric, None),
        budget_s=float(budget_s),
        charge_s=charge_s,
        finals=finals,
        ranking_tau=float(tau),
        seconds_per_run={k: float(np.mean(v)) for k, v in clock.items()},
        trained=trained,
        recorded_s=recorded,
        surrogate_means=sur_means,
        ranking_tau_means=float(tau_means),
        fit_cells=None if cells is None else len(cells),
        tau_interval=ranking_interval(finals, list(optimizers), np.random.default_rng([seed, 2])),
    )
    _report(result, trajs, list(optimizers), metric)
    return result


def _report(
    r: TrueResult, trajs: dict[str, dict[str, list[Trajectory]]], names: list[str], metric: str
) -> None:
    report = Report(r.out, f"Surrogate benchmark vs real training · {metric}")
    grid = np.linspace(0, r.budget_s, 100)
    data: dict[str, dict[str, list[list[float]]]] = {}
    for side, by in trajs.items():
        data[side] = {}
        for n in names:
            curves = np.stack([t.at(grid, what="incumbent_signal") for t in by[n]])
            mean, lo, hi = mean_band(curves)
            data[side][n] = [mean.tolist(), lo.tolist(), hi.tolist()]

    def draw(fig):
        for k, side in enumerate(("surrogate", "true")):
            ax = fig.add_subplot(1, 2, k + 1)
            for j, n in enumerate(names):
                mean, lo, hi = (np.asarray(v) for v in data[side][n])
                ax.plot(grid, mean, color=PALETTE[j % len(PALETTE)], label=n)
                ax.fill_between(grid, lo, hi, color=PALETTE[j % len(PALETTE)], alpha=0.15)
            ax.set_title(f"{side} ({len(trajs[side][names[0]])} runs each)")
            ax.set_xlabel("simulated training time (s)")
            ax.set_ylabel(f"incumbent {metric}")
        fig.axes[0].legend(fontsize=8)

    report.figure(
        "nb301_true_anytime",
        draw,
        {"grid_s": grid.tolist(), **data},
        "Anytime incumbent (mean and 95% band over runs) of each optimizer on the surrogate "
        "benchmark (left) and with real training of every proposed cell (right), same budget.",
        headline=True,
        size=(11, 4),
    )
    rows = [
        {
            "optimizer": n,
            "surrogate final": float(np.nanmean(r.finals["surrogate"][n])),
            "its predicted mean": float(np.nanmean(r.surrogate_means[n])),
            "true final": float(np.nanmean(r.finals["true"][n])),
            "true runs": len(r.finals["true"][n]),
        }
        for n in names
    ]
    report.table(rows)
    iv = r.tau_interval
    report.text(
        f"Kendall τ between the two rankings of the optimizers: **{r.ranking_tau:.3f}** "
        f"({len(names)} optimizers; {iv['low']:.2f} to {iv['high']:.2f} in 90 % of bootstrap "
        f"resamples of the runs, τ > 0 in {100 * iv['positive']:.0f} %). One run takes "
        f"{r.seconds_per_run['surrogate']:.2f} s on the surrogate and "
        f"{r.seconds_per_run['true']:.1f} s with real training ({r.trained} trainings now; "
        "the rest came from the ledger); the trainings of one true run took "
        f"{r.recorded_s_per_true_run:.0f} s as recorded (the distinct cells it evaluated, each "
        f"trained once; {r.recorded_s_per_true_run / r.seconds_per_run['surrogate']:,.0f}x a "
        "surrogate run)."
    )
    report.text(
        "Both sides report the incumbent's value as the run saw it (NB301's comparison): on the "
        "true side its one training run, on the surrogate side the noisy draw that made it the "
        "incumbent. Both are the best of a run's noisy evaluations, so both sit above the "
        "incumbent's mean over seeds; where the surrogate's noise model is right, by as much. "
        "Ranked instead by the surrogate's predicted mean of each final incumbent (no noise on "
        f"that side), the agreement with the true ranking is τ {r.ranking_tau_means:.3f}."
    )
    if r.fit_cells is not None:
        report.text(
            f"The surrogates were fitted on the table's {r.fit_cells} cells proposed by sources "
            f"other than the true runs (`*{TRUE_SUFFIX}`): the surrogate side never saw a cell "
            "only the true runs found."
        )
    if r.charge_s is not None:
        report.text(
            f"Charge: every full training costs {r.charge_s:.1f} simulated seconds on both sides "
            f"(an evaluation at e of T epochs e/T of it), so a run's budget is "
            f"{r.budget_s / r.charge_s:.0f} full trainings; the recorded and predicted training "
            "times were not used (on a shared CPU they follow the machine's load)."
        )
    else:
        report.text(
            "Charge: each evaluation costs its recorded training time (true side) or the runtime "
            "surrogate's prediction (surrogate side), as in NB301."
        )
    report.summary = r.to_dict()
    report.write()
