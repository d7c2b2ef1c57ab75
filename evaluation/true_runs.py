"""Real training as a benchmark: optimizers whose every evaluation trains the cell.

`TrainingBenchmark` answers the benchmark calls an optimizer makes (`cost`, `query`) by training
the cell under a build's protocol the first time it is asked (`run_build(only_cells=...)`, so the
trial lands in the build's ledger, resumable, with the optimizer as its source) and reading the
ledger afterwards. Two uses:

* `build_from_optimizer` (``snb build --sample rea``): NB301's data came from NAS optimizers as
  well as random sampling; this proposes a build's cells by a real optimizer run;
* the surrogate-versus-true experiment (`surrogate_nb.evaluation.studies.nb301`): the same
  optimizers on the surrogate benchmark and with real training, charged the recorded time.

A run replays exactly when re-run with the same seed: trained cells are answered from the ledger
(the same values), so a killed run resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import BuildError, UnknownKeyError
from surrogate_nb.evaluation.optimizers import make_optimizer
from surrogate_nb.exhaustive import BuildPlan, BuildResult, Ledger, Progress, run_build
from surrogate_nb.exhaustive.datasets import PreparedData, load_setting
from surrogate_nb.exhaustive.trainer import curve_names
from surrogate_nb.space import SearchSpace
from surrogate_nb.table import COST_COLUMNS, BenchmarkLike, Costs

#: Optimizers that may propose a build's cells (multi-fidelity ones need cheaper trainings).
SOURCE_OPTIMIZERS = ("random_search", "rea", "local_search", "tpe", "reinforce")
#: Seconds to wait for a cell that another process sharing the ledger is training, and between
#: looks (a stale claim of a dead process is reclaimed by `run_build` on a later look).
WAIT_S, POLL_S = 3600.0, 2.0
#: The search signal of a source run: the first of these the setting records.
SIGNALS = ("x-valid_acc", "valid_acc")


class TrainingBenchmark:
    """A `BenchmarkLike` whose values come from training cells under `plan`'s protocol.

    Args:
        plan: the build (dataset, protocol, seeds, ledger, space); its `cells` are ignored.
        source: the source recorded for every cell this benchmark trains or reuses.
        data: the prepared setting (loaded once from the plan when None).
        backend: the build backend (local by default).
        on_trained: called with the cell index after each new training.
    """

    path: Path | None = None

    def __init__(
        self,
        plan: BuildPlan,
        source: str,
        *,
        data: PreparedData | None = None,
        backend: Any = None,
        on_trained: Callable[[int], None] | None = None,
    ) -> None:
        self.plan = dataclasses.replace(plan, cells=[], source=source)
        cfg = plan.config
        self.data = data or load_setting(
            plan.dataset,
            plan.data_dir,
            resolution=cfg.resolution,
            train_subset=cfg.train_subset,
            eval_subset=cfg.eval_subset,
        )
        self.backend = backend
        self.on_trained = on_trained
        self.trained_now = 0
        self._records: dict[int, list[dict]] = {}
        self._metrics = curve_names(self.data)

    # ---- what exists --------------------------------------------------------------------------

    @property
    def space(self) -> SearchSpace:
        return self.plan.search_space

    @property
    def manifest(self) -> Mapping[str, Any]:
        return {"producer": "surrogate_nb.evaluation.true_runs", "command": self.plan.command}

    def datasets(self) -> list[str]:
        return [self.plan.dataset]

    def metrics(self, dataset: str | None = None, hp: str | None = None) -> list[str]:
        return [*self._metrics, *COST_COLUMNS]

    def seeds(self, dataset: str, hp: str | None = None) -> list[int]:
        return list(self.plan.seeds)

    def epochs(self, dataset: str, hp: str | None = None) -> int | None:
        return self.plan.config.epochs

    def evaluated(self) -> int:
        """Distinct cells answered so far."""
        return len(self._records)

    # ---- values -------------------------------------------------------------------------------

    def records(self, arch: Any) -> list[dict]:
        """The cell's done TrialRecords (one per seed), training it first when needed."""
        index = self.space.index_of(arch)
        hit = self._records.get(index)
        if hit is not None:
            return hit
        deadline = time.monotonic() + WAIT_S
        while True:
            result = run_build(
                self.plan, backend=self.backend, only_cells=[index], data=self.data, write=False
            )
            if result.trained_now:
                self.trained_now += result.trained_now
                if self.on_trained is not None:
                    self.on_trained(index)
            with Ledger(self.plan.ledger_path) as ledger:
                recs = ledger.cell_results(index, self.plan.dataset, self.plan.config.hp)
            recs = [r for r in recs if int(r["seed"]) in self.plan.seeds]
            # nothing done and no error: another process sharing the ledger is training it
            if recs or result.errors or time.monotonic() > deadline:
                break
            time.sleep(POLL_S)
        if not recs:
            raise BuildError(
                f"training cell {index} failed: {next(iter(result.errors.values()), '?')}"
            )
        self._records[index] = recs
        return recs

    def query(
        self,
        arch: Any,
        dataset: str,
        metric: str,
        hp: str | None = None,
        epoch: int | None = None,
        seed: int | str | None = None,
        rng: np.random.Generator | None = None,
    ) -> float:
        """One cell's value (mean over the plan's seeds, one seed, or ``"sample"``)."""
        self._check(dataset, metric)
        recs = self.records(arch)
        if seed == "sample":
            if rng is None:
                raise ValueError("seed='sample' needs rng=numpy.random.Generator")
            recs = [recs[int(rng.integers(len(recs)))]]
        elif seed is not None:
            recs = [r for r in recs if int(r["seed"]) == int(seed)]
            if not recs:
                raise UnknownKeyError("seed", seed, self.plan.seeds)
        values = [_value(r, metric, epoch) for r in recs]
        finite = [v for v in values if math.isfinite(v)]
        return float(np.mean(finite)) if finite else math.nan

    def cost(
        self, arch: Any, dataset: str, hp: str | None = None, seed: int | None = None
    ) -> Costs:
        """The recorded costs (mean over seeds): what a simulated clock charges."""
        out = {c: self.query(arch, dataset, c, seed=seed) for c in COST_COLUMNS}
        return Costs(
            params_m=out["params_m"],
            flops_m=out["flops_m"],
            latency_s=out["latency_s"],
            train_time_s=out["train_time_s"],
            train_time_per_epoch_s=out["train_time_s"] / self.plan.config.epochs,
        )

    def _check(self, dataset: str, metric: str) -> None:
        if dataset != self.plan.dataset:
            raise UnknownKeyError("dataset", dataset, [self.plan.dataset])
        if metric not in self._metrics and metric not in COST_COLUMNS:
            raise UnknownKeyError("metric", metric, self.metrics())


def _value(record: dict, metric: str, epoch: int | None) -> float:
    if metric in COST_COLUMNS:
        v = record.get(metric)
    else:
        curve = record["curves"].get(metric) or []
        e = len(curve) - 1 if epoch is None else int(epoch)
        v = curve[e] if 0 <= e < len(curve) else None
    return math.nan if v is None else float(v)


def signal_metric(benchmark: BenchmarkLike | TrainingBenchmark) -> str:
    """The search signal of a setting: x-valid accuracy where recorded, else valid accuracy."""
    names = benchmark.metrics(benchmark.datasets()[0])
    for name in SIGNALS:
        if name in names:
            return name
    raise UnknownKeyError("signal metric", SIGNALS[0], names)


def build_from_optimizer(
    plan: BuildPlan,
    optimizer: str,
    *,
    seed: int = 0,
    backend: Any = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> BuildResult:
    """Propose a build's cells by one real run of `optimizer` and train each proposal.

    ``plan.cells`` is the number of evaluations (N); the run's seed is `seed`; every cell it
    evaluates is trained under the plan's protocol (or reused from the ledger) and recorded with
    the source ``optimizer`` (``optimizer:seed`` for seeds other than 0). The table is written
    at the end with every done trial of the ledger. Re-running resumes (see module docstring).

    Raises:
        BuildError: an unknown optimizer, N that is not a positive number.
    """
    if optimizer not in SOURCE_OPTIMIZERS:
        raise BuildError(
            f"--sample {optimizer!r} is not a source; sources: random, "
            + ", ".join(SOURCE_OPTIMIZERS)
        )
    spec = str(plan.cells).strip()
    if not spec.isdigit() or int(spec) < 1:
        raise BuildError(f"--sample {optimizer} needs --cells N (evaluations), got {plan.cells!r}")
    n = int(spec)
    source = optimizer if seed == 0 else f"{optimizer}:{seed}"
    t0 = time.time()
    bench = TrainingBenchmark(plan, source, backend=backend)

    def progress(_: int) -> None:  # after each cell: cells evaluated so far (of n)
        if on_progress is not None:
            elapsed = time.time() - t0
            rate = bench.trained_now / elapsed * 3600 if elapsed > 0 else 0.0
            evaluated = bench.evaluated()
            left = (n - evaluated) / rate * 3600 if rate > 0 else None
            on_progress(Progress(evaluated, 0, n, bench.trained_now, rate, left, elapsed))

    bench.on_trained = progress
    make_optimizer(optimizer).run(
        bench,
        plan.dataset,
        signal_metric(bench),
        budget_s=math.inf,
        # one stream per (seed, optimizer): sources do not start from the random sample's cells
        rng=np.random.default_rng([seed, 1 + SOURCE_OPTIMIZERS.index(optimizer)]),
        signal_seed=None,
        max_evals=n,
    )
    progress(0)
    result = run_build(bench.plan, only_cells=[], write_partial=True, data=bench.data)
    return dataclasses.replace(result, total=n, trained_now=bench.trained_now)
