"""syne-tune, SMAC3 and DEHB on our tables and surrogates of any space: a blackbox adapter,
simulated runs, and export.

syne-tune (the optional extra ``hpo``: ``pip install "surrogate-nb[hpo]"``; it also holds
``smac`` and ``dehb``) is imported only here and only when used. Entry points:

* `to_blackbox(benchmark, dataset, metric, ...)` — a `syne_tune.blackbox_repository` ``Blackbox``
  over any object with our benchmark API (a tabular `Benchmark`, or a `SurrogateBenchmark`) of
  any search space. Configurations are the space's categorical parameters
  (`SearchSpace.choices`): NB201 keeps syne-tune's own names ``hp_x0 … hp_x5`` (op names, edge
  order of `surrogate_nb.space.EDGES`); NB-101 is 21 edge bits ``e<i><j>`` of a 7-vertex
  upper-triangular matrix and 5 interior ops ``v1 … v5`` (the NB-101 paper's encoding),
  configurations mapped back with `SearchSpace.from_choices`. Objectives: the signal metric, the
  report metric and ``elapsed_time`` (cumulative from the start of the trial, as syne-tune's
  simulator requires). The fidelity (``epochs``) comes from the benchmark (`fidelity_plan`):

  - ``"epochs"``: epochs 1..T of one training (a table or learning-curve surrogate with T > 1);
    elapsed time = per-epoch train time × epochs.
  - ``"budgets"``: the benchmark's numeric training budgets up to `hp` (NB-101: 4, 12, 36, 108;
    a table imported from NB-101 data, or a surrogate per budget such as ``snb fit --hp all``).
    Each budget is an *independent* training with its own cosine schedule, so a result at budget
    b_k costs a fresh training of b_k epochs, not the continuation of b_{k-1}: elapsed time at
    b_k = Σ_{j≤k} train_time(b_j). syne-tune's simulator charges a trial that continues (or is
    resumed) from b_{k-1} to b_k the difference, i.e. exactly train_time(b_k) — what BOHB costs
    at that budget in the NB-101 paper's setting. A budget without a recorded or predicted train
    time is charged the target budget's time × b / target (an epoch costs the same whatever the
    schedule's length; NB-101's published cells record time at 108 epochs only).
  - ``"final"``: the target budget alone (single-fidelity methods on a ``"budgets"`` benchmark:
    they train only the target budget and are charged only its time).

  Invalid configurations: most 21-bit NB-101 matrices are no cell (more than 9 edges after
  pruning, or no input→output path). They are answered with the worst value (`INVALID_VALUE`,
  0 % accuracy) at zero training time, as the NB-101 paper's benchmark code does
  (automl/nas_benchmarks answers them with error 1 and cost 0). Re-sampling is not possible from
  outside a scheduler (it chose the configuration), and projecting onto a nearby valid cell
  would bias what model-based methods learn; the worst value teaches them to avoid such
  configurations, and zero time means random search pays nothing for them either. They are
  never an incumbent and appear in no trajectory row (``meta["invalid"]`` counts them).
  On a partial table a cell the table lacks is answered by its nearest table cell (fewest
  differing ``onehot`` features, lowest index among ties); the result row records the cell
  actually evaluated.
* `run_syne_tune(method, benchmark, ...)` — one run of a method of `SCHEDULERS`: syne-tune's
  schedulers (incl. its SMAC3 wrapper) through syne-tune's ``UserBlackboxBackend`` and
  ``SimulatorCallback`` (simulated wall-clock, one worker), and DEHB through its own ask/tell
  API on the same blackbox with our simulated clock; returned as our `Trajectory`.
* `export_blackbox(table, out)` — an NB201 table in syne-tune's blackbox-repository format,
  written by syne-tune's own ``serialize`` so its ``deserialize`` reads it back.

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
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import InvalidArchError, SurrogateNBError, UnknownKeyError
from surrogate_nb.evaluation.optimizers.base import CellPool, Trajectory
from surrogate_nb.space import EDGES, NB201, OPS, Arch, SearchSpace
from surrogate_nb.table import BenchmarkLike

INSTALL_HINT = 'pip install "surrogate-nb[hpo]"'
#: Configuration keys of NB201: one categorical per edge (syne-tune's NB201 naming).
EDGE_KEYS: tuple[str, ...] = tuple(f"hp_x{i}" for i in range(len(EDGES)))
FIDELITY = "epochs"
ELAPSED = "elapsed_time"
#: Signal and report value of a configuration that is no cell of the space (0 % accuracy).
INVALID_VALUE = 0.0
#: Registry name -> (class: in ``syne_tune.optimizer.baselines``, syne-tune's SMAC3 wrapper, or
#: the ``dehb`` package; multi-fidelity).
SCHEDULERS: dict[str, tuple[str, bool]] = {
    "st_random_search": ("RandomSearch", False),
    "st_rea": ("REA", False),
    "st_tpe": ("TPE", False),
    "st_bore": ("BORE", False),
    "st_asha": ("ASHA", True),
    "st_bohb": ("BOHB", True),
    "st_smac": ("SMACScheduler", False),
    "dehb": ("DEHB", True),
}
#: Methods that need a package beyond syne-tune: name -> (import name, what to call it).
_PACKAGES = {"st_smac": ("smac", "SMAC3"), "dehb": ("dehb", "DEHB")}
#: Fidelity kinds (module docstring).
FIDELITIES = ("auto", "epochs", "budgets", "final")


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


def require_method(method: str) -> None:
    """Check that `method` is known and its packages are installed.

    Raises:
        UnknownKeyError: not a key of `SCHEDULERS`.
        MissingExtraError: syne-tune, SMAC3 or DEHB missing (one line with the install hint).
    """
    if method not in SCHEDULERS:
        raise UnknownKeyError("syne-tune scheduler", method, sorted(SCHEDULERS))
    require_syne_tune()
    if method in _PACKAGES:
        module, label = _PACKAGES[method]
        try:
            __import__(module)
        except ImportError as exc:
            raise MissingExtraError(
                f"{label} is not installed ({exc.name or exc}); install the extra: {INSTALL_HINT}"
            ) from None


def config_choices(space: SearchSpace = NB201) -> list[tuple[str, tuple[Any, ...]]]:
    """``[(key, options)]``: the space's categorical parameters under their configuration keys
    (NB201: ``hp_x0..hp_x5`` with op names; other spaces: `SearchSpace.choices` names)."""
    if space.name == "nb201":
        return [(k, tuple(OPS)) for k in EDGE_KEYS]
    return [(name, tuple(options)) for name, options in space.choices()]


def config_space(space: SearchSpace = NB201) -> dict[str, Any]:
    """syne-tune configuration space of the space's cells: ``{key: choice(options)}``."""
    require_syne_tune()
    from syne_tune.config_space import choice

    return {k: choice(list(options)) for k, options in config_choices(space)}


def arch_of(config: dict[str, Any], space: SearchSpace = NB201) -> Any:
    """The cell a configuration names (extra keys, e.g. a max-resource attribute, are ignored).

    Raises:
        UnknownKeyError: a key is missing or a value is not one of its options.
        InvalidArchError: the values name no cell of the space (NB-101: too many edges, no
            input→output path).
    """
    values = []
    keys = config_choices(space)
    for k, options in keys:
        try:
            v = config[k]
            values.append(next(i for i, o in enumerate(options) if o == v))
        except (KeyError, StopIteration) as exc:
            raise UnknownKeyError("configuration", config, [k for k, _ in keys], f"{exc}") from None
    return space.from_choices(values)


def config_of(arch: Any, space: SearchSpace = NB201) -> dict[str, Any]:
    """The configuration of a cell."""
    keys = config_choices(space)
    return {k: options[v] for (k, options), v in zip(keys, space.to_choices(arch))}


def _nearest(pool: CellPool, arch: Any) -> Any:
    if arch in pool:
        return arch
    dist = pool.distances(arch)
    return pool.arch(int(np.flatnonzero(dist == dist.min())[0]))  # pool indices are sorted


def _epochs(benchmark: BenchmarkLike, dataset: str, hp: str | None) -> int:
    try:
        return int(benchmark.epochs(dataset, hp=hp))
    except (AttributeError, TypeError) as exc:
        raise SurrogateNBError(
            f"{type(benchmark).__name__} cannot say how many epochs {dataset!r} has; a "
            "multi-fidelity blackbox needs a table or a learning-curve surrogate"
        ) from exc


def _budgets(benchmark: BenchmarkLike, dataset: str, metric: str) -> list[int]:
    """The numeric training budgets (hp values) at which `benchmark` answers `metric`."""
    if hasattr(benchmark, "surrogates"):
        hps = {h for (d, m, h) in benchmark.surrogates if d == dataset and m == metric}
    else:
        try:
            hps = set(benchmark.hps(dataset))
        except (AttributeError, LookupError):
            hps = set()
    return sorted(int(h) for h in hps if h is not None and str(h).isdigit())


def fidelity_plan(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None,
    fidelity: str = "auto",
    *,
    multi_fidelity: bool = True,
) -> tuple[str, list[int], str | None]:
    """``(kind, fidelity values, target hp)`` of a blackbox (module docstring).

    ``"auto"`` is ``"epochs"`` when the benchmark answers T > 1 epochs of `hp`, else
    ``"budgets"`` when it answers several numeric budgets up to `hp` and the method is
    multi-fidelity, else ``"final"`` when `hp` is a numeric budget, else ``"epochs"`` with T = 1.

    Raises:
        UnknownKeyError: an unknown `fidelity`, or ``"budgets"`` where there are none.
    """
    if fidelity not in FIDELITIES:
        raise UnknownKeyError("fidelity", fidelity, list(FIDELITIES))
    budgets = _budgets(benchmark, dataset, metric)
    if hp is None and len(budgets) > 1:
        hp = str(budgets[-1])
    if fidelity == "auto":
        T = _epochs(benchmark, dataset, hp)
        if T > 1:
            fidelity = "epochs"
        elif len(budgets) > 1 and multi_fidelity:
            fidelity = "budgets"
        elif hp is not None and str(hp).isdigit() and int(hp) in budgets:
            fidelity = "final"  # one budget's final value (e.g. NB-101 at 108 epochs)
        else:
            fidelity = "epochs"
    if fidelity == "epochs":
        return "epochs", list(range(1, _epochs(benchmark, dataset, hp) + 1)), hp
    if hp is None or not str(hp).isdigit() or int(hp) not in budgets:
        raise UnknownKeyError(
            "budget", hp, [str(b) for b in budgets], f"{fidelity!r} fidelity needs hp = a budget"
        )
    if fidelity == "final":
        return "final", [int(hp)], hp
    return "budgets", [b for b in budgets if b <= int(hp)], hp


def to_blackbox(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    report_metric: str | None = None,
    pool: CellPool | None = None,
    signal_seed: str | None = None,
    run_seed: int = 0,
    fidelity: str = "auto",
) -> Any:
    """A syne-tune ``Blackbox`` answering the cells of `benchmark`'s space (module docstring).

    Args:
        benchmark: a `Benchmark` or `SurrogateBenchmark` (a curve surrogate for ``"epochs"``
            with T > 1, or one surrogate per budget for ``"budgets"``).
        dataset, metric, hp: the signal (larger is better); `hp` is the target budget.
        report_metric: second objective, the metric reported for incumbents (default `metric`).
        pool: cells that can be answered (default: every cell with a `metric` value in a table;
            the whole space for a surrogate).
        signal_seed: None (means) or "sample" (one single-run curve per run and cell).
        run_seed: keys the single-run draws of ``"sample"``.
        fidelity: ``"auto"``, ``"epochs"``, ``"budgets"`` or ``"final"`` (`fidelity_plan`).

    Returns:
        A ``syne_tune.blackbox_repository.blackbox.Blackbox`` with ``objectives_names`` =
        [metric, report_metric (if different), "elapsed_time"]; ``fidelity_values`` from
        `fidelity_plan`; ``kind`` the fidelity kind.
    """
    require_syne_tune()
    from syne_tune.blackbox_repository.blackbox import Blackbox
    from syne_tune.config_space import randint

    if signal_seed not in (None, "sample"):
        raise UnknownKeyError("signal_seed", signal_seed, [None, "sample"])
    kind, fids, hp = fidelity_plan(benchmark, dataset, metric, hp, fidelity)
    space: SearchSpace = benchmark.space
    T = len(fids) if kind == "epochs" else None
    if pool is None and hasattr(benchmark, "to_xy") and hasattr(benchmark, "array"):
        pool = CellPool(benchmark.to_xy(dataset, metric, hp=hp)[0], space=space)
    report_metric = report_metric or metric
    names = [metric] + ([report_metric] if report_metric != metric else []) + [ELAPSED]
    cs = config_space(space)
    target = int(hp) if kind != "epochs" else None

    class SpaceBlackbox(Blackbox):
        """The cells of one benchmark as a syne-tune blackbox (see `to_blackbox`)."""

        def __init__(self) -> None:
            super().__init__(
                configuration_space=cs,
                fidelity_space={FIDELITY: randint(min(fids), max(fids))},
                objectives_names=names,
            )
            self.benchmark = benchmark
            self.pool = pool
            self.space = space
            self.kind = kind
            self.hp = hp
            self._cache: dict[int, np.ndarray] = {}
            self._fallback_epoch_s: float | None = None
            self.invalid_configs = 0

        @property
        def fidelity_values(self) -> np.ndarray:
            return np.asarray(fids)

        def evaluated_arch(self, config: dict[str, Any]) -> Any | None:
            """The cell evaluated for `config`; None when it names no cell (answered with
            `INVALID_VALUE` at zero cost)."""
            try:
                arch = arch_of(config, space)
            except InvalidArchError:
                return None
            return arch if self.pool is None else _nearest(self.pool, arch)

        def _train_s(self, arch: Any, h: str | None, epochs: int) -> float:
            """Train time of `epochs` epochs at schedule `h` (NaN when nothing records it)."""
            cost = self.benchmark.cost(arch, dataset, hp=h)
            t = cost.get("train_time_s", math.nan)
            if kind == "epochs":
                per = cost.get("train_time_per_epoch_s", math.nan)
                if not np.isfinite(per) and np.isfinite(t):
                    per = t / T
                return float(per) * epochs
            return float(t)

        def _epoch_s(self, arch: Any) -> float:
            per = (
                self._train_s(arch, hp, 1)
                if kind == "epochs"
                else self._train_s(arch, hp, target) / target
            )
            return float(per) if np.isfinite(per) else self.typical_epoch_s()

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
                if len(cells) == 0:  # nothing tabulated: 200 cells drawn with a fixed seed
                    cells = np.random.default_rng(0).integers(0, int(space.size), 200)
                times = [  # per epoch
                    self._train_s(int(i), hp, 1)
                    if kind == "epochs"
                    else self._train_s(int(i), hp, target) / target
                    for i in cells[:: max(1, len(cells) // 200)]
                ]
                med = float(np.nanmedian(times)) if len(times) else math.nan
                if not np.isfinite(med):
                    raise SurrogateNBError(
                        f"no training time recorded for {dataset!r}: simulated time needs "
                        "train_time_s in the table"
                    )
                self._fallback_epoch_s = med
            return self._fallback_epoch_s

        def typical_full_s(self) -> float:
            """A typical training at the top fidelity, seconds."""
            return self.typical_epoch_s() * (T if kind == "epochs" else target)

        def step_costs(self, arch: Any) -> np.ndarray:
            """(F,) train time of each fidelity's result on its own: an epoch (``"epochs"``) or
            a fresh training at that budget (``"budgets"``, ``"final"``)."""
            if kind == "epochs":
                return np.full(len(fids), self._epoch_s(arch))
            per = self._epoch_s(arch)
            out = []
            for b in fids:
                t = self._train_s(arch, str(b), b) if str(b) != str(hp) else math.nan
                out.append(t if np.isfinite(t) else per * b)
            return np.asarray(out, float)

        def fresh_cost(self, arch: Any | None, k: int) -> float:
            """Train time of a *new* training to fidelity ``fids[k]`` (DEHB does not resume)."""
            if arch is None:
                return 0.0
            cum = self._curves(arch)[:, -1]  # cumulative step costs, cached per cell
            if kind == "epochs":
                return float(cum[k])
            return float(cum[k] - (cum[k - 1] if k else 0.0))

        def _values(self, arch: Any, m: str, sample: bool) -> np.ndarray:
            key = space.index_of(arch)
            if kind == "epochs":
                kw: dict[str, Any] = {}
                if sample:
                    kw = {"seed": "sample", "rng": np.random.default_rng([int(run_seed), key])}
                if T == 1:  # a final value only (a final-epoch surrogate answers no curve)
                    return np.asarray([self.benchmark.query(arch, dataset, m, hp=hp, **kw)])
                return np.asarray(self.benchmark.curve(arch, dataset, m, hp=hp, **kw), float)
            out = []
            for k, b in enumerate(fids):
                kw = {}
                if sample:
                    kw = {"seed": "sample", "rng": np.random.default_rng([int(run_seed), key, k])}
                try:
                    out.append(float(self.benchmark.query(arch, dataset, m, hp=str(b), **kw)))
                except LookupError:  # the report metric exists at the target budget only
                    out.append(float(self.benchmark.query(arch, dataset, m, hp=hp)))
            return np.asarray(out, float)

        def _curves(self, arch: Any | None) -> np.ndarray:
            """(F, n_objectives) for a cell, computed once per run."""
            if arch is None:
                out = np.full((len(fids), len(names)), INVALID_VALUE)
                out[:, -1] = 0.0
                return out
            key = space.index_of(arch)
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            cols = [self._values(arch, metric, signal_seed == "sample")]
            if report_metric != metric:
                cols.append(self._values(arch, report_metric, False))
            cols.append(np.cumsum(self.step_costs(arch)))
            out = np.stack(cols, axis=1)
            self._cache[key] = out
            return out

        def _objective_function(
            self,
            configuration: dict[str, Any],
            fidelity: dict | None = None,
            seed: int | None = None,
        ) -> Any:
            arch = self.evaluated_arch(configuration)
            if arch is None:
                self.invalid_configs += 1
            values = self._curves(arch)
            if fidelity is None:
                return values
            f = int(next(iter(fidelity.values())))
            return dict(zip(self.objectives_names, values[fids.index(f)]))

    return SpaceBlackbox()


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


def _silent_logger() -> Any:
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


def _smac_scheduler(
    metric: str, cs: dict[str, Any], random_seed: int, n_initial: int, folder: Path
) -> Any:
    """syne-tune's SMAC3 wrapper (``SMACScheduler``) with SMAC sized to the run.

    syne-tune builds SMAC's HPO facade (random-forest BO) with ``n_trials=1000``; SMAC's own
    rule then makes its
    Sobol initial design 25 % of that (250 configurations), so a run of ~100 evaluations would
    be quasi-random search. We rebuild the facade with the same settings (one call per
    configuration, non-deterministic) and an initial design of `n_initial` configurations (25 %
    of the evaluations the budget affords: SMAC's rule applied to this run's length), and point
    its output folder (SMAC writes its run history) into `folder` instead of ``./smac3_output``.
    Importing syne-tune's wrapper sets the root logger to INFO; the level is put back.
    """
    root = logging.getLogger()
    level = root.level
    try:
        from smac import HyperparameterOptimizationFacade, Scenario
        from smac.model.random_forest import RandomForest
        from syne_tune.optimizer.schedulers.smac_scheduler import SMACScheduler
    finally:
        root.setLevel(level)
    seed = max(1, int(random_seed))  # syne-tune passes a falsy seed to SMAC as -1 (random)
    with contextlib.chdir(folder):  # its own facade (replaced below) writes ./smac3_output
        sched = SMACScheduler(cs, metric=metric, do_minimize=False, random_seed=seed)
    scenario = Scenario(
        sched.smac_configspace,
        deterministic=False,
        n_trials=10**6,  # the simulated budget ends the run, not SMAC
        seed=seed,
        output_directory=folder / "smac3",
    )
    # the facade's random forest (`get_model`'s settings) on one thread: with n_jobs=-1 its
    # joblib threads poll with sleeps, which took ~40 % of a run on this 2-core machine
    model = RandomForest(
        log_y=True,
        n_trees=10,
        bootstrapping=True,
        ratio_features=1.0,
        min_samples_split=2,
        min_samples_leaf=1,
        max_depth=2**20,
        configspace=scenario.configspace,
        instance_features=scenario.instance_features,
        seed=scenario.seed,
        n_jobs=1,
    )
    sched.smac = HyperparameterOptimizationFacade(
        scenario,
        lambda seed: -1,  # ask/tell only
        model=model,
        initial_design=HyperparameterOptimizationFacade.get_initial_design(
            scenario, n_configs=n_initial
        ),
        intensifier=HyperparameterOptimizationFacade.get_intensifier(scenario, max_config_calls=1),
        overwrite=True,
        logging_level=False,
    )
    return sched


def make_scheduler(
    method: str,
    metric: str,
    fidelities: int | Sequence[int],
    random_seed: int,
    space: SearchSpace = NB201,
    *,
    n_initial: int = 10,
    folder: Path | None = None,
) -> Any:
    """A syne-tune scheduler by registry name (`SCHEDULERS`), maximising `metric`.

    REA uses NB201's settings (population 10, tournament 3) so it matches ours; ASHA / BOHB:
    grace period = the lowest fidelity, max_t = the highest, reduction factor 3 (NB-101: rungs at
    4, 12, 36, 108 epochs); SMAC: `_smac_scheduler` (`n_initial`, `folder`); the others
    syne-tune's defaults. `fidelities`: the blackbox's fidelity values (an int T = 1..T).
    """
    require_method(method)
    if method == "dehb":
        raise UnknownKeyError("syne-tune scheduler", method, [m for m in SCHEDULERS if m != "dehb"])
    from syne_tune.optimizer import baselines

    fids = list(range(1, fidelities + 1)) if isinstance(fidelities, int) else list(fidelities)
    cls_name, multi = SCHEDULERS[method]
    cs = config_space(space)
    if cls_name == "SMACScheduler":
        return _smac_scheduler(metric, cs, random_seed, n_initial, folder or Path.cwd())
    cls = getattr(baselines, cls_name)
    common: dict[str, Any] = {"config_space": cs, "do_minimize": False, "random_seed": random_seed}
    if cls_name == "RandomSearch":
        return cls(metrics=[metric], **common)
    if cls_name == "REA":
        return cls(metric=metric, population_size=10, sample_size=3, **common)
    if multi:
        return cls(
            metric=metric, time_attr=FIDELITY, max_t=max(fids), grace_period=min(fids), **common
        )
    return cls(metric=metric, **common)


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
    signal_seed: str | None = None,
    blackbox: Any | None = None,
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
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_backend import SimulatorConfig

    report_metric = report_metric or metric
    multi = SCHEDULERS[method][1]
    seed = int(rng.integers(0, 2**31 - 1))
    if blackbox is None:
        kind, _, _ = fidelity_plan(benchmark, dataset, metric, hp, fidelity, multi_fidelity=multi)
        blackbox = to_blackbox(
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
    bb = blackbox
    if method == "dehb":
        return _run_dehb(bb, benchmark, dataset, metric, report_metric, budget_s, seed, signal_seed)
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
        frame = callback.dataframe()
    finally:
        np.random.set_state(global_state)
        shutil.rmtree(folder, ignore_errors=True)
    rows = []
    if frame is not None and len(frame):
        from syne_tune.constants import ST_TUNER_TIME

        frame = frame.sort_values(ST_TUNER_TIME, kind="stable")
        keys = [
            (k, k if k in frame.columns else f"config_{k}") for k, _ in config_choices(bb.space)
        ]
        for row in frame.to_dict("records"):
            config = {k: row[c] for k, c in keys}
            rows.append(
                (
                    float(row[ST_TUNER_TIME]),
                    int(row["trial_id"]),
                    bb.evaluated_arch(config),
                    int(row[FIDELITY]),
                    float(row[metric]),
                )
            )
    return _trajectory(
        rows, bb, method, benchmark, dataset, metric, report_metric, budget_s, signal_seed
    )


def _run_dehb(
    bb: Any,
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    report_metric: str,
    budget_s: float,
    seed: int,
    signal_seed: str | None,
) -> Trajectory:
    """One DEHB run through its ask/tell API on blackbox `bb`, with a simulated clock.

    DEHB's fidelities are min..max of the blackbox's with eta = 3 (NB-101: 4, 12, 36, 108;
    epochs 1..T: rounded to the nearest epoch). It never resumes a training, so each evaluation
    costs a fresh training to its fidelity (`fresh_cost`); the clock advances by that and the run
    ends at the first evaluation that would end after `budget_s`. Fitness = −signal (DEHB
    minimises); a configuration that names no cell gets `INVALID_VALUE` at zero cost.
    """
    import ConfigSpace
    from dehb import DEHB
    from loguru import logger

    fids = [int(f) for f in bb.fidelity_values]
    cs = ConfigSpace.ConfigurationSpace(seed=seed)
    for key, options in config_choices(bb.space):
        cs.add(ConfigSpace.CategoricalHyperparameter(key, list(options)))
    folder = Path(tempfile.mkdtemp(prefix="snb-dehb-"))
    quiet = contextlib.ExitStack()
    quiet.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore", DeprecationWarning)  # DEHB on ConfigSpace 1.x
    before = set(logger._core.handlers)  # DEHB adds a file sink (with a thread) per instance
    logger.disable("dehb")  # DEHB logs through loguru's global logger; library code is quiet
    rows: list[tuple[float, int, Any, int, float]] = []
    try:
        if len(fids) < 2:
            raise SurrogateNBError(
                f"DEHB needs a multi-fidelity benchmark; {dataset!r} answers one fidelity {fids}"
            )
        opt = DEHB(
            cs=cs,
            dimensions=len(cs),
            min_fidelity=fids[0],
            max_fidelity=fids[-1],
            eta=3,
            n_workers=1,
            seed=seed,
            output_path=str(folder),
            save_freq="end",  # writes only from run(), which the ask/tell loop never calls
        )
        clock = 0.0
        for trial in range(100_000):  # the simulated budget ends the run
            job = opt.ask()
            k = int(np.argmin([abs(f - float(job["fidelity"])) for f in fids]))
            arch = bb.evaluated_arch(dict(job["config"]))
            if arch is None:
                bb.invalid_configs += 1
                opt.tell(job, {"fitness": -INVALID_VALUE, "cost": 0.0})
                continue
            value = float(bb._curves(arch)[k, 0])
            cost = bb.fresh_cost(arch, k)
            if clock + cost > budget_s:
                break
            clock += cost
            rows.append((clock, trial, arch, fids[k], value))
            opt.tell(job, {"fitness": -value, "cost": cost})
    finally:
        for handler in set(logger._core.handlers) - before:
            logger.remove(handler)
        logger.enable("dehb")
        quiet.close()
        shutil.rmtree(folder, ignore_errors=True)
    return _trajectory(
        rows, bb, "dehb", benchmark, dataset, metric, report_metric, budget_s, signal_seed
    )


def _trajectory(
    rows: list[tuple[float, int, Any, int, float]],
    bb: Any,
    method: str,
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    report_metric: str,
    budget_s: float,
    signal_seed: str | None,
) -> Trajectory:
    """Our `Trajectory` from ``(time, trial, cell or None, fidelity, signal)`` rows in time
    order (rows after `budget_s` and rows of configurations that name no cell are dropped)."""
    library = "dehb" if method == "dehb" else "syne-tune"
    traj = Trajectory(
        optimizer=method,
        budget_s=float(budget_s),
        meta={
            "dataset": dataset,
            "metric": metric,
            "hp": bb.hp,
            "report_metric": report_metric,
            "signal_seed": signal_seed,
            "library": library,
            "fidelity": bb.kind,
            "pool_size": None if bb.pool is None else len(bb.pool),
        },
    )
    space = bb.space
    best: tuple[int, float] = (-1, -math.inf)
    inc: tuple[int, float, float] = (-1, math.nan, math.nan)
    reports: dict[int, float] = {}
    trials: set[int] = set()
    invalid: set[int] = set()
    for t, trial, arch, e, value in rows:
        if t > budget_s:
            break
        if arch is None:
            invalid.add(trial)
            continue
        index = space.index_of(arch)
        trials.add(trial)
        if np.isfinite(value) and (e, value) > best:
            best = (e, value)
            if index not in reports:
                reports[index] = float(
                    benchmark.query(arch, dataset, report_metric, hp=bb.hp, seed=None)
                )
            inc = (index, value, reports[index])
        traj.time_s.append(t)
        traj.arch_index.append(index)
        traj.epochs.append(e)
        traj.signal.append(value)
        traj.incumbent_index.append(inc[0])
        traj.incumbent_signal.append(inc[1])
        traj.incumbent_report.append(inc[2])
    traj.meta["trials"] = len(trials)
    traj.meta["invalid"] = len(invalid) if method != "dehb" else int(bb.invalid_configs)
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
