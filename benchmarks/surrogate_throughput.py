"""Surrogate queries at scale on NB-101: cells per second for 10,000 random cells, per model.

What it measures, on the machine it runs on: for each model (``xgb``, ``lgb``, ``ensemble``,
``gin``; the regressors' default sizes, so a prediction costs what a user's does) a
`SurrogateBenchmark` fitted on ``--train`` cells of ``../shared/nb101/data-20k.json`` (108-epoch
validation accuracy; without calibration and, for the networks, with few optimizer steps: neither
changes what a prediction costs; the fit time is reported, not a target). Then:

* **batch**: ``query(cells, "cifar10", "valid_acc", hp="108")`` on 10,000 random cells of the
  423,624 (features computed and predicted in one batch; no memo is involved: a large space's
  surrogate predicts a request of more than 64 cells directly), ``--repeats`` times with fresh
  cells; the median gives cells per second;
  (the process's CPU seconds for the batch are printed too: on a busy machine wall time
  includes waiting for a core);
* **one cell**: ``query(i, ...)`` of single cells before any memo exists (the first small
  requests are predicted directly), median of 7 calls: the cost of asking one cell at a time,
  which is what a design that featurises and predicts one configuration per call pays per
  cell (nasbench301's ``predict(config)``).

Target (issue 24): tree models (xgb, lgb) >= 20,000 cells/s on this 2-core CPU.

Run: ``.venv/bin/python benchmarks/surrogate_throughput.py [--models xgb lgb ...]`` (prints a
table, then one JSON line).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_JSON = Path(__file__).resolve().parents[1].parent / "shared/nb101/data-20k.json"
MODELS = ("xgb", "lgb", "ensemble", "gin")
QUERY = ("cifar10", "valid_acc")
HP = "108"


def regressor(name: str):
    """The model with its default size; networks with few optimizer steps (fit time only)."""
    from surrogate_nb.regressors import REGRESSORS

    cls = REGRESSORS[name]
    return cls(steps=200) if "steps" in cls._param_names() else cls()


def measure(table, name: str, train: int, cells: int, repeats: int) -> dict:
    from surrogate_nb.regressors import Surrogate, SurrogateBenchmark

    t = time.perf_counter()
    sb = SurrogateBenchmark.from_table(
        table,
        *QUERY,
        HP,
        rng=np.random.default_rng(0),
        surrogate=Surrogate(regressor(name), calibrate=False, space=table.space),
        train_size=train,
    )
    fit_s = time.perf_counter() - t
    size = int(sb.space.size)
    rng = np.random.default_rng(1)
    singles = []
    for i in rng.integers(size, size=7):  # direct predictions: no memo yet
        t = time.perf_counter()
        sb.query(int(i), *QUERY, hp=HP)
        singles.append(time.perf_counter() - t)
    batches, cpu = [], []
    for _ in range(repeats):
        idx = rng.integers(size, size=cells)
        t, c = time.perf_counter(), time.process_time()
        values = sb.query(idx, *QUERY, hp=HP)
        batches.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        if values.shape != (cells,) or not np.isfinite(values).all():
            raise SystemExit(f"{name}: the batch query returned {values.shape} / non-finite")
    batch_s = statistics.median(batches)
    return {
        "model": name,
        "fit_s": fit_s,
        "batch_s": batch_s,
        "batch_cpu_s": statistics.median(cpu),
        "cells_per_s": cells / batch_s,
        "single_query_ms": statistics.median(singles) * 1e3,
        "one_at_a_time_cells_per_s": 1 / statistics.median(singles),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    ap.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    ap.add_argument("--train", type=int, default=4236)
    ap.add_argument("--cells", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if not args.json.is_file():
        raise SystemExit(f"needs the NB-101 data at {args.json}")
    from surrogate_nb.table import Benchmark
    from surrogate_nb.table.importers import import_any

    with tempfile.TemporaryDirectory() as tmp:
        table = Benchmark.open(import_any(args.json, Path(tmp) / "nb101"))
        rows = [measure(table, m, args.train, args.cells, args.repeats) for m in args.models]
    print(f"{args.cells:,} random NB-101 cells per query, median of {args.repeats}")
    print(
        f"{'model':9s} {'cells/s':>9s} {'batch s':>8s} {'CPU s':>6s} {'1 cell ms':>10s} "
        f"{'1-at-a-time cells/s':>20s} {'fit s':>7s}"
    )
    for r in rows:
        print(
            f"{r['model']:9s} {r['cells_per_s']:9,.0f} {r['batch_s']:8.3f} {r['batch_cpu_s']:6.2f} "
            f"{r['single_query_ms']:10.2f} {r['one_at_a_time_cells_per_s']:20,.0f} "
            f"{r['fit_s']:7.1f}"
        )
    print(
        json.dumps(
            {
                "bench": "surrogate_throughput",
                "device": f"CPU x{os.cpu_count()} ({platform.processor() or platform.machine()})",
                "load_avg": os.getloadavg(),
                "cells": args.cells,
                "train": args.train,
                "rows": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
