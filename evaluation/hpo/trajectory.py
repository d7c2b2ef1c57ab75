"""Our `Trajectory` from the evaluations of a syne-tune or DEHB run on a blackbox."""

from __future__ import annotations

import math

import numpy as np

from surrogate_nb.evaluation.hpo.cells import BlackboxPlan, CellAnswers
from surrogate_nb.evaluation.optimizers.base import Trajectory

#: One evaluation: (simulated time, trial, cell or None when the configuration names none,
#: fidelity, signal).
Row = tuple[float, int, object | None, int, float]


def _meta(bb: CellAnswers, p: BlackboxPlan, method: str) -> dict[str, object]:
    return {
        "dataset": p.dataset,
        "metric": p.metric,
        "hp": bb.hp,
        "report_metric": p.report_metric,
        "signal_seed": p.signal_seed,
        "library": "dehb" if method == "dehb" else "syne-tune",
        "fidelity": bb.kind,
        "pool_size": None if bb.pool is None else len(bb.pool),
    }


def to_trajectory(
    rows: list[Row],
    bb: CellAnswers,
    method: str,
    budget_s: float,
    run: BlackboxPlan | None = None,
) -> Trajectory:
    """Our `Trajectory` from `rows` in time order (rows after `budget_s` and rows of
    configurations that name no cell are dropped). The incumbent is the best signal at the
    highest fidelity reached so far (as `BaseOptimizer.run`); its report metric is the
    benchmark's mean at the target. `run`: the benchmark, dataset, metrics and signal seed the
    run was asked for (default: the blackbox's own)."""
    p = run or bb.plan
    traj = Trajectory(optimizer=method, budget_s=float(budget_s), meta=_meta(bb, p, method))
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
        index = bb.space.index_of(arch)
        trials.add(trial)
        if np.isfinite(value) and (e, value) > best:
            best = (e, value)
            if index not in reports:
                reports[index] = float(
                    p.benchmark.query(arch, p.dataset, p.report_metric, hp=bb.hp, seed=None)
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
