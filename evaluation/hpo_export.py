"""A learning-curve surrogate sampled at every cell, written in syne-tune's blackbox format.

`export_surrogate_blackbox(surrogate_benchmark, out)` predicts every cell of the space with each
`CurveSurrogate` of a `SurrogateBenchmark` and writes the result with syne-tune's own
``serialize`` (one task per dataset), so ``syne_tune.blackbox_repository.blackbox_tabular
.deserialize(out)`` reads it as it reads a table export (`hpo.export_blackbox`): configurations
``hp_x0..hp_x5`` (NB201 op names), fidelity ``epochs`` = 1..T, objectives ``metric_<name>`` per
metric plus ``metric_elapsed_time`` (per-epoch train time × epochs).

Seeds: by default one, the predicted seed-mean curve; ``samples=K`` writes K single-run curves
drawn from the surrogate's noise model instead (syne-tune then picks one per evaluation, as on a
table with K seeds). Training time comes from the table the surrogate benchmark holds (or
``table=``): a cell the table lacks gets the median per-epoch time of the cells it has (the count
is recorded in the metadata). Only spaces of at most `MAX_CELLS` cells are exported: NB201's
15,625 cells at 12 epochs, two metrics, took 95 s (the default models' predictions dominate) and
2.2 MB (6.5 MB with 3 drawn seeds) on a shared 2-core CPU (`benchmarks/export_surrogate.py`);
NB-101's 423,624 cells are refused (predicting them all took 4-5 min with one default model,
`benchmarks/curve_surrogate.py`, and the export's configuration encoding is NB201's).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError
from surrogate_nb.evaluation.hpo.configs import ELAPSED
from surrogate_nb.evaluation.hpo.export import nb201_configurations, tabular_task, write_tasks
from surrogate_nb.evaluation.hpo.extra import require_syne_tune
from surrogate_nb.regressors.curve import CurveSurrogate
from surrogate_nb.table import Benchmark, BenchmarkLike

#: Largest space exported cell by cell (NB201: 15,625; NB-101's 423,624 are refused).
MAX_CELLS = 50_000


Key = tuple[str, str, str | None]


def _surrogates(bench: BenchmarkLike) -> dict[Key, object]:
    """A `SurrogateBenchmark`'s {(dataset, metric, hp): surrogate}."""
    surrogates = getattr(bench, "surrogates", None)
    if not isinstance(surrogates, dict):
        raise SurrogateNBError(
            f"{type(bench).__name__} holds no surrogates: exporting needs a SurrogateBenchmark"
        )
    return surrogates


def _predicted(
    s: CurveSurrogate, cells: np.ndarray, samples: int, rng: np.random.Generator | None
) -> np.ndarray:
    """(cells, seeds, T): the predicted mean curve (one seed), or `samples` noise-model draws."""
    if samples:
        assert rng is not None  # checked by the caller
        return np.stack([s.sample(cells, rng) for _ in range(samples)], axis=1)
    return s.predict(cells)[0][:, None, :]


def _curve_keys(
    surrogates: dict[Key, object], dataset: str, metrics: Sequence[str] | None, hp: str | None
) -> dict[str, tuple[str | None, CurveSurrogate]]:
    """{metric: (hp key, CurveSurrogate)} of `dataset`'s per-epoch curve surrogates."""
    found: dict[str, tuple[str | None, CurveSurrogate]] = {}
    for (d, m, h), s in surrogates.items():
        if d != dataset or not isinstance(s, CurveSurrogate) or s.hps is not None:
            continue
        if hp is not None and h not in (None, str(hp)):
            continue
        if metrics is not None and m not in metrics:
            continue
        if m in found:
            raise UnknownKeyError(
                "hp", hp, sorted({str(h), str(found[m][0])}), f"{dataset}/{m} has several; pass hp"
            )
        found[m] = (h, s)
    if not found:
        raise UnknownKeyError(
            "curve surrogate",
            f"{dataset}/{','.join(metrics) if metrics else '*'}",
            [
                f"{d}/{m}/{h}"
                for (d, m, h), s in surrogates.items()
                if isinstance(s, CurveSurrogate)
            ],
            "exporting needs a per-epoch learning-curve surrogate (regressors.curve)",
        )
    missing = sorted(set(metrics or ()) - set(found))
    if missing:
        raise UnknownKeyError("metric", missing[0], sorted(found), f"curve surrogates of {dataset}")
    return found


def _per_epoch_seconds(
    table: Benchmark | None, dataset: str, hp: str | None, n: int
) -> tuple[np.ndarray, int]:
    """(per-epoch train time of every cell, how many were imputed by the median)."""
    if table is None:
        raise SurrogateNBError(
            "the surrogate records no training time: pass the table it was fitted on "
            "(table=, or --table) for syne-tune's simulated time"
        )
    total = np.asarray(table.query(np.arange(n), dataset, "train_time_s", hp=hp), np.float64)
    per = total / table.epochs(dataset, hp)
    ok = np.isfinite(per)
    if not ok.any():
        raise SurrogateNBError(
            f"the table records no train_time_s for {dataset!r}: syne-tune's simulated time "
            "needs it"
        )
    per[~ok] = float(np.median(per[ok]))
    return per, int((~ok).sum())


def export_surrogate_blackbox(
    bench: BenchmarkLike,
    out: str | os.PathLike,
    *,
    datasets: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    hp: str | None = None,
    table: Benchmark | None = None,
    samples: int = 0,
    rng: np.random.Generator | None = None,
    max_cells: int = MAX_CELLS,
) -> Path:
    """Write a surrogate's predictions at every cell in syne-tune's blackbox format.

    Args:
        bench: a `SurrogateBenchmark` holding per-epoch `CurveSurrogate`s.
        out: the folder to write (created; existing files in it are replaced).
        datasets: datasets to export (default every one with a curve surrogate).
        metrics: metrics to export (default every curve surrogate of the dataset).
        hp: the schedule, when a dataset has curve surrogates for several.
        table: the table giving training times (default ``bench.table``).
        samples: 0: one seed, the predicted mean curve; K > 0: K noise-model draws (needs rng).
        rng: randomness of the draws.
        max_cells: refuse a larger space.

    Returns:
        The folder.

    Raises:
        SurrogateNBError: a space over `max_cells` cells, no training time, draws without rng.
        UnknownKeyError: no curve surrogate for a dataset / metric.
    """
    space = bench.space
    n = int(space.size or 0)
    if not 0 < n <= max_cells:
        raise SurrogateNBError(
            f"space {space.name} has {n:,} cells: exporting a surrogate at every cell is limited "
            f"to {max_cells:,} (NB201's 15,625)"
        )
    if space.name != "nb201":
        raise SurrogateNBError(
            f"space {space.name}: the syne-tune export encodes NB201 cells only (hp_x0..hp_x5)"
        )
    if samples < 0 or (samples > 0 and not isinstance(rng, np.random.Generator)):
        raise SurrogateNBError(
            f"samples={samples}: 0 (mean curves) or K > 0 noise-model draws with "
            "rng=np.random.default_rng(seed)"
        )
    require_syne_tune()
    table = table if table is not None else getattr(bench, "table", None)
    surrogates = _surrogates(bench)
    datasets = list(datasets or sorted({d for d, _, _ in surrogates}))
    cells = np.arange(n, dtype=np.int64)
    configurations = nb201_configurations(cells)
    tasks, meta = {}, {}
    for d in datasets:
        found = _curve_keys(surrogates, d, metrics, hp)
        Ts = {s.T for _, s in found.values()}
        if len(Ts) != 1:
            raise SurrogateNBError(f"{d}: curve surrogates of different lengths {sorted(Ts)}")
        T = Ts.pop()
        key_hp = next(iter(found.values()))[0]
        cols = [_predicted(s, cells, samples, rng) for _, s in found.values()]
        per, imputed = _per_epoch_seconds(table, d, key_hp, n)
        S = cols[0].shape[1]
        elapsed = per[:, None, None] * np.arange(1, T + 1)
        cols.append(np.broadcast_to(elapsed, (n, S, T)))
        names = [f"metric_{m}" for m in found] + [f"metric_{ELAPSED}"]
        tasks[d] = tabular_task(configurations, np.stack(cols, axis=3), names)
        meta[d] = {"hp": key_hp, "metrics": list(found), "elapsed_time_imputed_cells": imputed}
    return write_tasks(
        tasks,
        out,
        {
            "source": "surrogate-nb",
            "kind": "curve-surrogate predictions at every cell",
            "seeds": "predicted mean curve" if not samples else f"{samples} noise-model draws",
            "surrogate": str(getattr(bench, "path", None) or ""),
            "table": str(getattr(table, "path", "") or ""),
            "space": space.name,
            "cells": n,
            "tasks": meta,
        },
    )
