"""syne-tune on our tables and surrogates: a blackbox adapter, simulated runs, and export.

syne-tune (the optional extra ``hpo``: ``pip install "surrogate-nb[hpo]"``) is imported only here
and only when used. Three entry points:

* `to_blackbox(benchmark, dataset, metric, ...)` — a `syne_tune.blackbox_repository` ``Blackbox``
  over any object with our benchmark API (a tabular `Benchmark`, or a `SurrogateBenchmark` holding
  a learning-curve surrogate). Configurations are NB201 cells as six categorical hyper-parameters
  ``hp_x0 … hp_x5`` (op names, edge order of `surrogate_nb.space.EDGES`; syne-tune's own NB201
  import uses the same names), the fidelity is ``epochs`` = 1..T, objectives are the signal metric,
  the report metric and ``elapsed_time`` (the table's per-epoch train time × epochs, cumulative
  from the start of the run, as syne-tune's simulator requires). On a partial table a cell the
  table lacks is answered by its nearest table cell (fewest differing edges, lowest index among
  ties); the result row records the cell actually evaluated.
* `run_syne_tune(method, benchmark, ...)` — one run of a syne-tune scheduler (`SCHEDULERS`) on that
  blackbox through syne-tune's ``UserBlackboxBackend`` and ``SimulatorCallback`` (simulated
  wall-clock, one worker), returned as our `Trajectory` so studies treat it like our optimizers.
* `export_blackbox(table, out)` — the table in syne-tune's blackbox-repository format, written by
  syne-tune's own ``serialize`` so its ``deserialize`` reads it back.

Signal: ``signal_seed=None`` is the seed mean (table) or the predicted mean (surrogate);
``"sample"`` gives every (run, cell) one single-run curve (a random seed of the table, a noise-model
draw of a curve surrogate), fixed for the run so a paused and resumed trial continues the same
curve.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError
from surrogate_nb.evaluation.optimizers.base import CellPool, Trajectory
from surrogate_nb.space import EDGES, OPS, Arch

INSTALL_HINT = 'pip install "surrogate-nb[hpo]"'
#: Configuration keys: one categorical per NB201 edge (syne-tune's NB201 naming).
EDGE_KEYS: tuple[str, ...] = tuple(f"hp_x{i}" for i in range(len(EDGES)))
FIDELITY = "epochs"
ELAPSED = "elapsed_time"
#: Registry name -> (syne-tune class in ``syne_tune.optimizer.baselines``, multi-fidelity).
SCHEDULERS: dict[str, tuple[str, bool]] = {
    "st_random_search": ("RandomSearch", False),
    "st_rea": ("REA", False),
    "st_tpe": ("TPE", False),
    "st_bore": ("BORE", False),
    "st_asha": ("ASHA", True),
    "st_bohb": ("BOHB", True),
}


class MissingExtraError(SurrogateNBError, ImportError):
    """An optional dependency group is not installed; the message says how to install it."""


def require_syne_tune() -> Any:
    """Import syne-tune (and its blackbox repository), or raise `MissingExtraError`."""
    try:
        import syne_tune  # noqa: F401
        import syne_tune.blackbox_repository as repo
    except ImportError as exc:
        raise MissingExtraError(
            f"syne-tune is not installed ({exc.name or exc}); install the extra: {INSTALL_HINT}"
        ) from None
    return repo


def config_space() -> dict[str, Any]:
    """syne-tune configuration space of NB201 cells: ``{hp_x<i>: choice(OPS)}``."""
    require_syne_tune()
    from syne_tune.config_space import choice

    return {k: choice(list(OPS)) for k in EDGE_KEYS}


def arch_of(config: dict[str, Any]) -> Arch:
    """The cell a configuration names (extra keys, e.g. a max-resource attribute, are ignored)."""
    try:
        return Arch(tuple(OPS.index(config[k]) for k in EDGE_KEYS))
    except (KeyError, ValueError) as exc:
        raise UnknownKeyError("configuration", config, list(EDGE_KEYS), f"{exc}") from None


def config_of(arch: Arch) -> dict[str, str]:
    """The configuration of a cell."""
    return {k: OPS[o] for k, o in zip(EDGE_KEYS, arch.op_ids)}


def _nearest(pool: CellPool, arch: Arch) -> Arch:
    if arch in pool:
        return arch
    dist = pool.distances(arch)
    return pool.arch(int(np.flatnonzero(dist == dist.min())[0]))  # pool indices are sorted


def _epochs(benchmark: Any, dataset: str, hp: str | None) -> int:
    try:
        return int(benchmark.epochs(dataset, hp=hp))
    except (AttributeError, TypeError) as exc:
        raise SurrogateNBError(
            f"{type(benchmark).__name__} cannot say how many epochs {dataset!r} has; a "
            "multi-fidelity blackbox needs a table or a learning-curve surrogate"
        ) from exc


def to_blackbox(
    benchmark: Any,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    report_metric: str | None = None,
    pool: CellPool | None = None,
    signal_seed: str | None = None,
    run_seed: int = 0,
) -> Any:
    """A syne-tune ``Blackbox`` answering NB201 cells from `benchmark` (module docstring).

    Args:
        benchmark: a `Benchmark` or a `SurrogateBenchmark` with a curve surrogate for `metric`.
        dataset, metric, hp: the signal (larger is better).
        report_metric: second objective, the metric reported for incumbents (default `metric`).
        pool: cells that can be answered (default: every cell with a `metric` value in a table;
            the whole space for a surrogate).
        signal_seed: None (means) or "sample" (one single-run curve per run and cell).
        run_seed: keys the single-run draws of ``"sample"``.

    Returns:
        A ``syne_tune.blackbox_repository.blackbox.Blackbox`` with ``objectives_names`` =
        [metric, report_metric (if different), "elapsed_time"] and fidelities 1..T.
    """
    require_syne_tune()
    from syne_tune.blackbox_repository.blackbox import Blackbox
    from syne_tune.config_space import randint

    if signal_seed not in (None, "sample"):
        raise UnknownKeyError("signal_seed", signal_seed, [None, "sample"])
    T = _epochs(benchmark, dataset, hp)
    if pool is None and hasattr(benchmark, "to_xy") and hasattr(benchmark, "array"):
        pool = CellPool(benchmark.to_xy(dataset, metric, hp=hp)[0])
    report_metric = report_metric or metric
    names = [metric] + ([report_metric] if report_metric != metric else []) + [ELAPSED]
    cs = config_space()

    class NB201Blackbox(Blackbox):
        """NB201 cells of one benchmark as a syne-tune blackbox (see `to_blackbox`)."""

        def __init__(self) -> None:
            super().__init__(
                configuration_space=cs,
                fidelity_space={FIDELITY: randint(1, T)},
                objectives_names=names,
            )
            self.benchmark = benchmark
            self.pool = pool
            self._cache: dict[int, np.ndarray] = {}
            self._fallback_epoch_s: float | None = None

        @property
        def fidelity_values(self) -> np.ndarray:
            return np.arange(1, T + 1)

        def evaluated_arch(self, config: dict[str, Any]) -> Arch:
            arch = arch_of(config)
            return arch if self.pool is None else _nearest(self.pool, arch)

        def _epoch_s(self, arch: Arch) -> float:
            cost = self.benchmark.cost(arch, dataset, hp=hp)
            per = cost.get("train_time_per_epoch_s", math.nan)
            if not np.isfinite(per) and np.isfinite(cost.get("train_time_s", math.nan)):
                per = cost["train_time_s"] / T
            if np.isfinite(per):
                return float(per)
            return self.typical_epoch_s()  # a surrogate's cell outside the table

        def typical_epoch_s(self) -> float:
            """Median per-epoch train time over (up to 200 of) the pool's or table's cells."""
            if self._fallback_epoch_s is None:
                if self.pool is not None:
                    cells = self.pool.indices
                else:
                    table = getattr(self.benchmark, "table", None) or self.benchmark
                    try:
                        cells = table.to_xy(dataset, "train_time_s", hp=hp)[0]
                    except (AttributeError, LookupError, ValueError):
                        cells = np.arange(0)
                times = [
                    self.benchmark.cost(int(i), dataset, hp=hp)["train_time_s"]
                    for i in cells[:: max(1, len(cells) // 200)]
                ]
                med = float(np.nanmedian(times)) if len(times) else math.nan
                if not np.isfinite(med):
                    raise SurrogateNBError(
                        f"no training time recorded for {dataset!r}: simulated time needs "
                        "train_time_s in the table"
                    )
                self._fallback_epoch_s = med / T
            return self._fallback_epoch_s

        def _curves(self, arch: Arch) -> np.ndarray:
            """(T, n_objectives) for a cell, computed once per run."""
            hit = self._cache.get(arch.index)
            if hit is not None:
                return hit
            kw: dict[str, Any] = {}
            if signal_seed == "sample":
                kw = {
                    "seed": "sample",
                    "rng": np.random.default_rng([int(run_seed), int(arch.index)]),
                }
            cols = [np.asarray(self.benchmark.curve(arch, dataset, metric, hp=hp, **kw), float)]
            if report_metric != metric:
                cols.append(
                    np.asarray(self.benchmark.curve(arch, dataset, report_metric, hp=hp), float)
                )
            cols.append(self._epoch_s(arch) * np.arange(1, T + 1, dtype=float))
            out = np.stack(cols, axis=1)
            self._cache[arch.index] = out
            return out

        def _objective_function(
            self,
            configuration: dict[str, Any],
            fidelity: dict | None = None,
            seed: int | None = None,
        ) -> Any:
            values = self._curves(self.evaluated_arch(configuration))
            if fidelity is None:
                return values
            e = int(next(iter(fidelity.values())))
            return dict(zip(self.objectives_names, values[e - 1]))

    return NB201Blackbox()


@contextlib.contextmanager
def _quiet_syne_tune(folder: Path):
    """Send syne-tune's experiment files to `folder`, its logs (below ERROR) and prints nowhere."""
    from syne_tune.constants import SYNE_TUNE_ENV_FOLDER

    old_env = os.environ.get(SYNE_TUNE_ENV_FOLDER)
    os.environ[SYNE_TUNE_ENV_FOLDER] = str(folder)
    loggers = [logging.getLogger(n) for n in ("syne_tune", "root")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its end-of-run summary is print()ed
            yield
    finally:
        for lg, lvl in zip(loggers, levels):
            lg.setLevel(lvl)
        if old_env is None:
            os.environ.pop(SYNE_TUNE_ENV_FOLDER, None)
        else:
            os.environ[SYNE_TUNE_ENV_FOLDER] = old_env


def _backend_class() -> type:
    """syne-tune's ``UserBlackboxBackend`` with the simulated clock driven by training time only.

    syne-tune's simulator also advances its clock by the real time the tuner spends between
    backend calls (the schedulers' decision time). That makes a run depend on the machine and its
    load, so two runs with one seed differ; our optimizers are not charged decision time either.
    Here that step is a no-op, and a seed gives one trajectory.
    """
    from syne_tune.blackbox_repository import UserBlackboxBackend

    class TrainingTimeBackend(UserBlackboxBackend):
        def _advance_by_outside_time(self) -> None:
            return None

    return TrainingTimeBackend


def _silent_logger() -> Any:
    """A syne-tune ``TunerLogger`` that prints nothing (library code never prints)."""
    from syne_tune.tuner_logger import TunerLogger

    quiet = {n: (lambda self, *a, **k: None) for n in dir(TunerLogger) if n.startswith("print")}
    return type("SilentTunerLogger", (TunerLogger,), quiet)()


def make_scheduler(method: str, metric: str, T: int, random_seed: int) -> Any:
    """A syne-tune scheduler by registry name (`SCHEDULERS`), maximising `metric`.

    REA uses NB201's settings (population 10, tournament 3) so it matches ours; the others
    syne-tune's defaults (ASHA / BOHB: grace period 1 epoch, reduction factor 3, max_t = T).
    """
    require_syne_tune()
    from syne_tune.optimizer import baselines

    if method not in SCHEDULERS:
        raise UnknownKeyError("syne-tune scheduler", method, sorted(SCHEDULERS))
    cls_name, multi = SCHEDULERS[method]
    cls = getattr(baselines, cls_name)
    cs = config_space()
    common: dict[str, Any] = {"config_space": cs, "do_minimize": False, "random_seed": random_seed}
    if cls_name == "RandomSearch":
        return cls(metrics=[metric], **common)
    if cls_name == "REA":
        return cls(metric=metric, population_size=10, sample_size=3, **common)
    if multi:
        return cls(metric=metric, time_attr=FIDELITY, max_t=T, **common)
    return cls(metric=metric, **common)


def run_syne_tune(
    method: str,
    benchmark: Any,
    dataset: str,
    metric: str,
    hp: str | None = None,
    budget_s: float = 12_000.0,
    rng: np.random.Generator | None = None,
    *,
    report_metric: str | None = None,
    pool: CellPool | None = None,
    signal_seed: str | None = None,
    blackbox: Any | None = None,
) -> Trajectory:
    """One simulated run of a syne-tune scheduler; the same `Trajectory` as our optimizers.

    Each row is one reported epoch of a trial (``epochs`` = that epoch, ``time_s`` = syne-tune's
    simulated tuner time); the incumbent is the best signal at the highest fidelity reached so far
    (as `BaseOptimizer.run`), and its report metric is the table's seed mean at full fidelity.

    Args:
        method: a key of `SCHEDULERS`.
        benchmark, dataset, metric, hp, report_metric, pool, signal_seed: see `to_blackbox`.
        budget_s: simulated wall-clock budget, seconds.
        rng: the run's randomness (scheduler seed and single-run draws).
        blackbox: a prebuilt `to_blackbox` result (saves rebuilding it per run).

    Raises:
        MissingExtraError: syne-tune is not installed.
    """
    require_syne_tune()
    if rng is None:
        raise SurrogateNBError("run_syne_tune() needs rng=np.random.default_rng(seed)")
    if method not in SCHEDULERS:
        raise UnknownKeyError("syne-tune scheduler", method, sorted(SCHEDULERS))
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_backend import SimulatorConfig
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback

    report_metric = report_metric or metric
    seed = int(rng.integers(0, 2**31 - 1))
    bb = blackbox or to_blackbox(
        benchmark,
        dataset,
        metric,
        hp,
        report_metric=report_metric,
        pool=pool,
        signal_seed=signal_seed,
        run_seed=seed,
    )
    T = len(bb.fidelity_values)
    callback = SimulatorCallback()
    folder = Path(tempfile.mkdtemp(prefix="snb-syne-tune-"))
    # syne-tune 0.16 samples configurations with numpy's global RNG in places (RandomSearcher
    # calls ``Domain.sample()`` without its own random state), so its random_seed alone does not
    # fix a run: seed the global RNG from `rng` for the run and put its state back afterwards.
    global_state = np.random.get_state()
    np.random.seed(seed)
    try:
        with _quiet_syne_tune(folder):
            scheduler = make_scheduler(method, metric, T, seed)
            # syne-tune's simulator advances its clock by a 5 s tuner sleep whenever the worker
            # is busy, and adds 0.05 s delays per event: sized for real training, they would eat
            # the budget of a fast table (0.3 s per epoch). The sleep is the clock's step (a
            # smaller one means more loop turns): 1/20 of a typical epoch; delays 1/1000.
            epoch_s = bb.typical_epoch_s()
            delay = 1e-3 * epoch_s
            backend = _backend_class()(
                blackbox=bb,
                elapsed_time_attr=ELAPSED,
                simulator_config=SimulatorConfig(delay, delay, delay, delay, delay),
                tuner_sleep_time=0.05 * epoch_s,
            )
            tuner = Tuner(
                trial_backend=backend,
                scheduler=scheduler,
                stop_criterion=StoppingCriterion(max_wallclock_time=budget_s),
                n_workers=1,
                sleep_time=0,
                callbacks=[callback],
                results_update_interval=1e9,
                print_update_interval=1e9,
                save_tuner=False,
                tuner_name=f"snb-{method}",
                metadata={"surrogate_nb": True},
                output_logger=_silent_logger(),
            )
            tuner.run()
        frame = callback.dataframe()
    finally:
        np.random.set_state(global_state)
        shutil.rmtree(folder, ignore_errors=True)
    return _trajectory(
        frame, bb, method, benchmark, dataset, metric, hp, report_metric, budget_s, signal_seed
    )


def _trajectory(
    frame: Any,
    bb: Any,
    method: str,
    benchmark: Any,
    dataset: str,
    metric: str,
    hp: str | None,
    report_metric: str,
    budget_s: float,
    signal_seed: str | None,
) -> Trajectory:
    from syne_tune.constants import ST_TUNER_TIME

    traj = Trajectory(
        optimizer=method,
        budget_s=float(budget_s),
        meta={
            "dataset": dataset,
            "metric": metric,
            "hp": hp,
            "report_metric": report_metric,
            "signal_seed": signal_seed,
            "library": "syne-tune",
            "pool_size": None if bb.pool is None else len(bb.pool),
        },
    )
    if frame is None or len(frame) == 0:
        return traj
    frame = frame.sort_values(ST_TUNER_TIME, kind="stable")
    keys = [k if k in frame.columns else f"config_{k}" for k in EDGE_KEYS]
    best: tuple[int, float] = (-1, -math.inf)
    inc: tuple[int, float, float] = (-1, math.nan, math.nan)
    reports: dict[int, float] = {}
    trials: set[int] = set()
    for row in frame.to_dict("records"):
        t = float(row[ST_TUNER_TIME])
        if t > budget_s:
            break
        arch = bb.evaluated_arch({k: row[c] for k, c in zip(EDGE_KEYS, keys)})
        e, value = int(row[FIDELITY]), float(row[metric])
        trials.add(int(row["trial_id"]))
        if np.isfinite(value) and (e, value) > best:
            best = (e, value)
            if arch.index not in reports:
                reports[arch.index] = float(
                    benchmark.query(arch, dataset, report_metric, hp=hp, seed=None)
                )
            inc = (arch.index, value, reports[arch.index])
        traj.time_s.append(t)
        traj.arch_index.append(arch.index)
        traj.epochs.append(e)
        traj.signal.append(value)
        traj.incumbent_index.append(inc[0])
        traj.incumbent_signal.append(inc[1])
        traj.incumbent_report.append(inc[2])
    traj.meta["trials"] = len(trials)
    return traj


def export_blackbox(
    table: Any,
    out: str | os.PathLike,
    *,
    datasets: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    hp: str | None = None,
) -> Path:
    """Write a table in syne-tune's blackbox-repository format (syne-tune's own ``serialize``).

    One task per dataset; hyper-parameters ``hp_x0..hp_x5`` (op names) for every cell that has
    at least one trial in every exported dataset; objectives ``metric_<name>`` for the curve
    metrics plus ``metric_elapsed_time`` (per-epoch train time × epochs); seeds as recorded (NaN
    where a seed is missing: syne-tune's tabular blackbox then imputes from the previous epoch).
    Read it back with ``syne_tune.blackbox_repository.blackbox_tabular.deserialize(out)``. A
    partial table holds only some of the 15,625 cells; syne-tune answers the others once wrapped
    with its ``add_surrogate`` (its tabular blackbox refuses a configuration it lacks).

    Args:
        table: a `Benchmark`.
        out: the folder to write (created; existing files in it are replaced).
        datasets: datasets to export (default all); they must share the hp's epoch count.
        metrics: curve metrics (default every curve metric of the setting except ``lr``).
        hp: training schedule (default: the datasets' only one).

    Returns:
        The folder.
    """
    require_syne_tune()
    import pandas as pd
    from syne_tune.blackbox_repository.blackbox_tabular import BlackboxTabular, serialize
    from syne_tune.config_space import randint

    datasets = list(datasets or table.datasets())
    settings = {d: table._setting(d, hp) for d in datasets}
    Ts = {s.T for s in settings.values()}
    if len(Ts) != 1:
        raise SurrogateNBError(
            f"datasets {datasets} have different epoch counts {sorted(Ts)}; export them one by one"
        )
    T = Ts.pop()
    present = np.all([table.present(d, s.hp).any(axis=1) for d, s in settings.items()], axis=0)
    cells = np.flatnonzero(present)
    if cells.size == 0:
        raise SurrogateNBError(f"no cell has a trial in every one of {datasets}")
    if metrics is None:
        first = next(iter(settings.values()))
        metrics = [m for m in first.metrics if m != "lr"]
    archs = [Arch.from_index(int(i)) for i in cells]
    hps = pd.DataFrame([config_of(a) for a in archs], columns=list(EDGE_KEYS))
    names = [f"metric_{m}" for m in metrics] + [f"metric_{ELAPSED}"]
    bbs = {}
    for d, s in settings.items():
        cols = []
        for m in metrics:
            cols.append(np.asarray(table.array(d, m, s.hp), np.float64)[cells])  # (n, S, T)
        tt = np.asarray(table.array(d, "train_time_s", s.hp), np.float64)[cells]  # (n, S)
        cols.append(tt[:, :, None] / T * np.arange(1, T + 1))
        evals = np.stack(cols, axis=3).astype(np.float32)  # (n, S, T, objectives)
        bbs[d] = BlackboxTabular(
            hyperparameters=hps,
            configuration_space=config_space(),
            fidelity_space={FIDELITY: randint(1, T)},
            objectives_evaluations=evals,
            fidelity_values=np.arange(1, T + 1),
            objectives_names=names,
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    serialize(
        bbs,
        str(out),
        metadata={
            "source": "surrogate-nb",
            "table": str(getattr(table, "path", "")),
            "hp": next(iter(settings.values())).hp,
            "seeds": {d: list(s.seeds) for d, s in settings.items()},
            "cells": int(cells.size),
            "nb201_index": [int(i) for i in cells],
        },
    )
    return out
