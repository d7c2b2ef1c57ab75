"""`run_syne_tune`: one simulated run of a method of `SCHEDULERS` on a blackbox.

syne-tune's schedulers (incl. its SMAC3 wrapper) run through syne-tune's ``UserBlackboxBackend``
and ``SimulatorCallback`` (simulated wall-clock, one worker); DEHB runs through its own ask/tell
API on the same blackbox with our simulated clock (`dehb_loop`). Either is returned as our
`Trajectory`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.evaluation.hpo.blackbox import to_blackbox
from surrogate_nb.evaluation.hpo.cells import CellAnswers, signal_mode
from surrogate_nb.evaluation.hpo.configs import ELAPSED, FIDELITY, config_choices
from surrogate_nb.evaluation.hpo.dehb_loop import run_dehb
from surrogate_nb.evaluation.hpo.extra import SCHEDULERS, require_method
from surrogate_nb.evaluation.hpo.fidelity import fidelity_plan
from surrogate_nb.evaluation.hpo.schedulers import make_scheduler
from surrogate_nb.evaluation.hpo.trajectory import Row, to_trajectory
from surrogate_nb.evaluation.optimizers.base import CellPool, Trajectory
from surrogate_nb.table import BenchmarkLike


def run_syne_tune(
    method: str,
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None = None,
    budget_s: float = 12_000.0,
    rng: np.random.Generator | None = None,
    *,
    report_metric: str | None = None,
    pool: CellPool | None = None,
    signal_seed: int | str | None = None,
    blackbox: CellAnswers | None = None,
    fidelity: str = "auto",
) -> Trajectory:
    """One simulated run of a method of `SCHEDULERS`; the same `Trajectory` as our optimizers.

    Each row is one reported fidelity of a trial (``epochs`` = that epoch or budget, ``time_s``
    = the simulated tuner time); the incumbent is the best signal at the highest fidelity reached
    so far (as `BaseOptimizer.run`), and its report metric is the benchmark's mean at the target.
    Configurations that name no cell are not rows (``meta["invalid"]`` counts them).

    Args:
        method: a key of `SCHEDULERS`.
        benchmark, dataset, metric, hp, report_metric, pool, signal_seed: see `to_blackbox`.
        budget_s: simulated wall-clock budget, seconds.
        rng: the run's randomness (scheduler seed and single-run draws).
        blackbox: a prebuilt `to_blackbox` result (saves rebuilding it per run).
        fidelity: see `fidelity_plan`; ``"auto"`` gives single-fidelity methods ``"final"`` on a
            benchmark of independent budgets.

    Raises:
        MissingExtraError: syne-tune (or SMAC3 / DEHB for those methods) is not installed.
    """
    require_method(method)
    if rng is None:
        raise SurrogateNBError("run_syne_tune() needs rng=np.random.default_rng(seed)")
    report_metric = report_metric or metric
    mode = signal_mode(signal_seed)
    seed = int(rng.integers(0, 2**31 - 1))
    bb = blackbox
    if bb is None:
        multi = SCHEDULERS[method][1]
        kind, _, _ = fidelity_plan(benchmark, dataset, metric, hp, fidelity, multi_fidelity=multi)
        bb = to_blackbox(
            benchmark,
            dataset,
            metric,
            hp,
            report_metric=report_metric,
            pool=pool,
            signal_seed=signal_seed,
            run_seed=seed,
            fidelity=kind,
        )
    run = dataclasses.replace(
        bb.plan,
        benchmark=benchmark,
        dataset=dataset,
        metric=metric,
        report_metric=report_metric,
        signal_seed=mode,
    )
    if method == "dehb":
        return to_trajectory(run_dehb(bb, budget_s, seed), bb, method, budget_s, run)
    rows = _rows(_simulate(method, bb, metric, budget_s, seed), bb, metric)
    return to_trajectory(rows, bb, method, budget_s, run)


def _simulate(method: str, bb: CellAnswers, metric: str, budget_s: float, seed: int) -> Any:
    """syne-tune's tuner on the simulated backend; its results frame (or None)."""
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_backend import SimulatorConfig

    callback = _event_callback()
    folder = Path(tempfile.mkdtemp(prefix="snb-syne-tune-"))
    # syne-tune 0.16 samples configurations with numpy's global RNG in places (RandomSearcher
    # calls ``Domain.sample()`` without its own random state), so its random_seed alone does not
    # fix a run: seed the global RNG from `rng` for the run and put its state back afterwards.
    global_state = np.random.get_state()
    np.random.seed(seed)
    try:
        with _quiet_syne_tune(folder):
            # SMAC: an initial design of 25 % of the full trainings the budget affords
            n_initial = max(2, int(0.25 * budget_s / bb.typical_full_s()))
            scheduler = make_scheduler(
                method,
                metric,
                list(bb.fidelity_values),
                seed,
                bb.space,
                n_initial=n_initial,
                folder=folder,
            )
            # syne-tune's simulator adds 0.05 s delays per event: sized for real training, they
            # would eat the budget of a fast table (0.3 s per epoch): 1/1000 of an epoch here.
            # The tuner sleep is only the fallback step of `_event_callback`.
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
                tuner_name=f"snb-{method.replace('_', '-')}",
                metadata={"surrogate_nb": True},
                output_logger=_silent_logger(),
            )
            tuner.run()
        return callback.dataframe()
    finally:
        np.random.set_state(global_state)
        shutil.rmtree(folder, ignore_errors=True)


def _rows(frame: Any, bb: CellAnswers, metric: str) -> list[Row]:
    """The results frame's reports as trajectory rows, in tuner-time order."""
    if frame is None or not len(frame):
        return []
    from syne_tune.constants import ST_TUNER_TIME

    frame = frame.sort_values(ST_TUNER_TIME, kind="stable")
    keys = [(k, k if k in frame.columns else f"config_{k}") for k, _ in config_choices(bb.space)]
    return [
        (
            float(row[ST_TUNER_TIME]),
            int(row["trial_id"]),
            bb.evaluated_arch({k: row[c] for k, c in keys}),
            int(row[FIDELITY]),
            float(row[metric]),
        )
        for row in frame.to_dict("records")
    ]


@contextlib.contextmanager
def _quiet_syne_tune(folder: Path) -> Iterator[None]:
    """Send syne-tune's experiment files to `folder`, its logs (below ERROR) and prints nowhere."""
    from syne_tune.constants import SYNE_TUNE_ENV_FOLDER

    old_env = os.environ.get(SYNE_TUNE_ENV_FOLDER)
    os.environ[SYNE_TUNE_ENV_FOLDER] = str(folder)
    loggers = [logging.getLogger(n) for n in ("syne_tune", "root")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            # its end-of-run summary is print()ed; pandas / ConfigSpace deprecation notices of
            # its schedulers (and SMAC's, DEHB's) are not the user's to act on
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            # BOHB's KDE (statsmodels) divides by zero for a parameter with one level in its data
            warnings.filterwarnings("ignore", category=RuntimeWarning, module="statsmodels")
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


def _silent_logger() -> object:
    """A syne-tune ``TunerLogger`` that prints nothing (library code never prints)."""
    from syne_tune.tuner_logger import TunerLogger

    quiet = {n: (lambda self, *a, **k: None) for n in dir(TunerLogger) if n.startswith("print")}
    return type("SilentTunerLogger", (TunerLogger,), quiet)()


def _event_callback() -> Any:
    """syne-tune's ``SimulatorCallback`` whose tuner sleep jumps to the next simulated event.

    The stock callback advances the clock by a fixed step whenever the worker is busy; a step
    small enough not to idle the worker after each result (1/20 of an epoch) makes an NB-101 run
    (2e5 s budget, ~18 s per epoch) hundreds of thousands of tuner-loop turns. With one worker
    nothing can happen between two events of the backend's queue, so jumping to the next one is
    exact (no idle time is charged) and costs one loop turn per event.
    """
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback

    class EventCallback(SimulatorCallback):
        def on_tuning_sleep(self, sleep_time: float) -> None:
            heap = self._tuner.trial_backend._simulator_state.event_heap
            if heap:
                self._time_keeper.advance_to(heap[0][0])
            else:
                self._time_keeper.advance(self._tuner_sleep_time)

    return EventCallback()
