"""syne-tune's schedulers by registry name (`extra.SCHEDULERS`), sized to a simulated run."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.evaluation.hpo.configs import FIDELITY, config_space
from surrogate_nb.evaluation.hpo.extra import SCHEDULERS, require_method
from surrogate_nb.space import NB201, SearchSpace


@contextlib.contextmanager
def _working_dir(folder: Path) -> Iterator[None]:
    """`contextlib.chdir` (Python 3.11+) for Python 3.10."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _smac_scheduler(
    metric: str, cs: dict[str, object], random_seed: int, n_initial: int, folder: Path
) -> object:
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
    with _working_dir(folder):  # its own facade (replaced below) writes ./smac3_output
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
) -> object:
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
