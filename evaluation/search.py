"""Run NAS optimizers on a benchmark: N runs each, final mean ± std and anytime curves.

`search` is what ``snb search`` calls: each optimizer runs `runs` times under the same simulated
budget (repeat r of every optimizer uses the r-th child of `rng`, so optimizers see comparable
random streams), and `plot_anytime` draws the incumbent's report metric against simulated time
(mean and a 95% band over runs).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import InvalidValueError
from surrogate_nb.evaluation.optimizers import (
    OPTIMIZERS,
    BaseOptimizer,
    CellPool,
    Trajectory,
    check_run_limits,
    labelled,
)
from surrogate_nb.evaluation.report import PALETTE, mean_band, pyplot
from surrogate_nb.table import BenchmarkLike

#: Short names accepted besides the registry's.
ALIASES = {"rs": "random_search", "random": "random_search", "ls": "local_search", "re": "rea"}


def optimizer_name(name: str) -> str:
    """The registry name of an optimizer name or alias (``rs`` -> ``random_search``)."""
    return ALIASES.get(name, name)


@dataclass
class SearchResult:
    """Runs of several optimizers on one benchmark setting.

    Attributes:
        trajectories: optimizer -> its runs.
        budget_s: simulated seconds per run.
        report_metric: what `final` summarises (the incumbent's value of it).
    """

    trajectories: dict[str, list[Trajectory]]
    budget_s: float
    report_metric: str
    facts: dict[str, Any] = field(default_factory=dict)

    def final(self, optimizer: str) -> tuple[float, float, int]:
        """(mean, std over runs (ddof 1), runs) of the last incumbent's report metric."""
        v = np.array([t.final_report for t in self.trajectories[optimizer]], dtype=float)
        v = v[np.isfinite(v)]
        std = float(np.std(v, ddof=1)) if len(v) > 1 else 0.0
        return (float(np.mean(v)) if len(v) else float("nan"), std, len(v))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (per optimizer: mean, std, runs, evaluations per run)."""
        out = {}
        for name, trajs in self.trajectories.items():
            mean, std, n = self.final(name)
            out[name] = {
                "final_mean": mean,
                "final_std": std,
                "runs": n,
                "evaluations_mean": float(np.mean([len(t) for t in trajs])),
                "finals": [t.final_report for t in trajs],
            }
        return {
            "budget_s": self.budget_s,
            "report_metric": self.report_metric,
            **self.facts,
            "optimizers": out,
        }


def search(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None,
    *,
    optimizers: Sequence[BaseOptimizer] | Mapping[str, BaseOptimizer],
    runs: int,
    budget_s: float,
    rng: np.random.Generator,
    report_metric: str | None = None,
    pool: CellPool | None = None,
    on_run: Callable[[str, int, int], None] | None = None,
    **run_kwargs: Any,
) -> SearchResult:
    """Run every optimizer `runs` times on (dataset, metric, hp) of `benchmark`.

    Args:
        benchmark: a `Benchmark` or `SurrogateBenchmark`.
        dataset, metric, hp: the search signal (larger is better).
        optimizers: optimizer instances (labelled by `name`), or ``{label: optimizer}``.
        runs: independent runs per optimizer (>= 1).
        budget_s: simulated seconds per run (> 0).
        rng: master generator; run r of every optimizer uses child r.
        report_metric: what the incumbent is reported by (default `metric`).
        pool: searchable cells (default: the cells the table holds, else the benchmark's
            whole space).
        on_run: called as ``(optimizer, finished_runs, runs)`` after each run.
        **run_kwargs: passed to `BaseOptimizer.run` (``cost_epochs``, ``signal_seed``, ...).

    Raises:
        InvalidValueError: runs < 1 or budget <= 0.
    """
    if not isinstance(runs, int) or runs < 1:
        raise InvalidValueError(f"runs must be an integer >= 1, got {runs!r}")
    check_run_limits(budget_s, run_kwargs.get("cost_epochs"), run_kwargs.get("max_evals"))
    instances = labelled(optimizers)
    space = benchmark.space
    if pool is None and hasattr(benchmark, "present"):
        tabular: Any = benchmark  # a table: `present` rows are its `row_cells`
        held = np.flatnonzero(tabular.present(dataset, hp).any(axis=1))
        if not space.enumerable:  # rows of a sampled space's table are its held cells
            held = tabular.row_cells()[held]
        full = space.enumerable and held.size == space.cardinality
        pool = CellPool(held, space=space) if held.size and not full else None
    children = rng.spawn(runs)
    out: dict[str, list[Trajectory]] = {}
    for name, opt in instances.items():
        trajs = []
        for r, child in enumerate(children):
            # each optimizer gets the same child stream for run r (copied: not consumed twice)
            stream = copy.deepcopy(child)
            trajs.append(
                opt.run(
                    benchmark,
                    dataset,
                    metric,
                    hp,
                    budget_s,
                    stream,
                    report_metric=report_metric or metric,
                    pool=pool,
                    **run_kwargs,
                )
            )
            if on_run is not None:
                on_run(name, r + 1, runs)
        out[name] = trajs
    size = len(pool) if pool is not None else space.cardinality
    facts = {"dataset": dataset, "metric": metric, "hp": hp, "pool_size": size}
    return SearchResult(out, float(budget_s), report_metric or metric, facts)


def plot_anytime(result: SearchResult, path: str | Path, *, points: int = 200) -> Path:
    """Save the anytime plot (incumbent report metric vs simulated time, mean ± 95% band)."""
    plt = pyplot()
    grid = np.linspace(0.0, result.budget_s, points)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for k, (name, trajs) in enumerate(result.trajectories.items()):
        curves = np.vstack([t.at(grid) for t in trajs])
        mean, lo, hi = mean_band(curves)
        color = PALETTE[k % len(PALETTE)]
        final_mean, final_std, _n = result.final(name)
        ax.plot(grid, mean, color=color, label=f"{name}: {final_mean:.2f} ± {final_std:.2f}")
        ax.fill_between(grid, lo, hi, color=color, alpha=0.2, linewidth=0)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(f"incumbent {result.report_metric}")
    ax.set_title(f"{len(next(iter(result.trajectories.values())))} runs per optimizer")
    ax.legend(loc="lower right")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


__all__ = ["ALIASES", "OPTIMIZERS", "SearchResult", "optimizer_name", "plot_anytime", "search"]
