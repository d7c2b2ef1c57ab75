"""DEHB through its ask/tell API on a blackbox, with a simulated clock."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.evaluation.hpo.cells import CellAnswers
from surrogate_nb.evaluation.hpo.configs import INVALID_VALUE, config_choices
from surrogate_nb.evaluation.hpo.trajectory import Row


@contextlib.contextmanager
def _quiet_dehb() -> Iterator[None]:
    """DEHB without its deprecation notices, loguru messages and per-instance log-file sinks."""
    from loguru import logger

    core = logger._core  # type: ignore[attr-defined]  # loguru keeps its sinks there
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # DEHB on ConfigSpace 1.x
        before = set(core.handlers)  # DEHB adds a file sink (with a thread) per instance
        logger.disable("dehb")  # DEHB logs through loguru's global logger; library code is quiet
        try:
            yield
        finally:
            for handler in set(core.handlers) - before:
                logger.remove(handler)
            logger.enable("dehb")


def run_dehb(bb: CellAnswers, budget_s: float, seed: int) -> list[Row]:
    """One DEHB run on blackbox `bb`: its evaluations as trajectory rows, in time order.

    DEHB's fidelities are min..max of the blackbox's with eta = 3 (NB-101: 4, 12, 36, 108;
    epochs 1..T: rounded to the nearest epoch). It never resumes a training, so each evaluation
    costs a fresh training to its fidelity (`CellAnswers.fresh_cost`); the clock advances by that
    and the run ends at the first evaluation that would end after `budget_s`. Fitness = −signal
    (DEHB minimises); a configuration that names no cell gets `INVALID_VALUE` at zero cost.
    """
    import ConfigSpace
    from dehb import DEHB

    fids = [int(f) for f in bb.fidelity_values]
    cs = ConfigSpace.ConfigurationSpace(seed=seed)
    for key, options in config_choices(bb.space):
        cs.add(ConfigSpace.CategoricalHyperparameter(key, list(options)))
    folder = Path(tempfile.mkdtemp(prefix="snb-dehb-"))
    rows: list[Row] = []
    try:
        with _quiet_dehb():
            if len(fids) < 2:
                raise SurrogateNBError(
                    f"DEHB needs a multi-fidelity benchmark; {bb.plan.dataset!r} answers one "
                    f"fidelity {fids}"
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
                value = float(bb.curves(arch)[k, 0])
                cost = bb.fresh_cost(arch, k)
                if clock + cost > budget_s:
                    break
                clock += cost
                rows.append((clock, trial, arch, fids[k], value))
                opt.tell(job, {"fitness": -value, "cost": cost})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows
