"""Surrogate queries at scale (NB-101, DARTS): cells per second for 10,000 random cells, per model.

What it measures, on the machine it runs on: for each model (``xgb``, ``lgb``, ``ensemble``,
``gin``; the regressors' default sizes, so a prediction costs what a user's does) a
`SurrogateBenchmark` fitted on ``--train`` cells: NB-101 (``--space nb101``, default) on
``../shared/nb101/data-20k.json`` (108-epoch validation accuracy), DARTS (``--space darts``) on
random cells with made-up labels (no public DARTS data ships here; the values do not matter to
the time). Without calibration and, for the networks, with few optimizer steps: neither
changes what a prediction costs; the fit time is reported, not a target. Then:

* **batch**: ``query(cells, "cifar10", "valid_acc", hp="108")`` on 10,000 random cells of the
  423,624 (features computed and predicted in one batch; no memo is involved: a large space's
  surrogate predicts a request of more than 64 cells directly), ``--repeats`` times with fresh
  cells; the median gives cells per second;
  (the process's CPU seconds for the batch are printed too: on a busy machine wall time
  includes waiting for a core; and those of the calling thread, the part of the work that no
  other core can take: two free cores need at least (CPU s + caller CPU s) / 2 of wall time);
* **one cell**: ``query(i, ...)`` of single cells before any memo exists (the first small
  requests are predicted directly), median of 7 calls: the cost of asking one cell at a time,
  which is what a design that featurises and predicts one configuration per call pays per
  cell (nasbench301's ``predict(config)``);
* **costs**: ``query(cells, "cifar10", "params_m")`` for the batch's cells (counted per distinct
  cell and kept: first and second time);
* DARTS only, **nasbench301 port**: ``SurrogateAPI.predict(genotype, "genotype")`` one config per
  call (new configs; then configs asked before, which it keeps), the per-call cost of that API.

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
HP = {"nb101": "108", "darts": "100"}


def regressor(name: str):
    """The model with its default size; networks with few optimizer steps (fit time only)."""
    from surrogate_nb.regressors import REGRESSORS

    cls = REGRESSORS[name]
    return cls(steps=200) if "steps" in cls._param_names() else cls()


def random_cells(space, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` random cell indices of `space` (DARTS: sampled genomes; its indices pass int64)."""
    if space.enumerable:
        return rng.integers(int(space.size), size=n)
    return np.array([space.sample(rng).index for _ in range(n)], np.int64)


def fit(table, space: str, name: str, train: int):
    """A `SurrogateBenchmark` of one model (NB-101: on the table; DARTS: made-up labels)."""
    from surrogate_nb.regressors import Surrogate, SurrogateBenchmark
    from surrogate_nb.space import get_space

    surrogate = Surrogate(regressor(name), calibrate=False, space=space)
    rng = np.random.default_rng(0)
    if table is not None:
        return SurrogateBenchmark.from_table(
            table, *QUERY, HP[space], rng=rng, surrogate=surrogate, train_size=train
        )
    idx = random_cells(get_space(space), train, rng)
    surrogate.fit(idx, rng.normal(90, 2, size=len(idx)), rng=rng)
    return SurrogateBenchmark({(*QUERY, HP[space]): surrogate})


def timed(f) -> tuple[float, float, float]:
    """(wall s, CPU s of this process, CPU s of the calling thread) of calling `f`."""
    t, c, m = time.perf_counter(), time.process_time(), time.thread_time()
    f()
    return time.perf_counter() - t, time.process_time() - c, time.thread_time() - m


def measure(table, space: str, name: str, train: int, cells: int, repeats: int) -> dict:
    hp = HP[space]
    t = time.perf_counter()
    sb = fit(table, space, name, train)
    fit_s = time.perf_counter() - t
    rng = np.random.default_rng(1)
    singles = []
    for i in random_cells(sb.space, 7, rng):  # direct predictions: no memo yet
        singles.append(timed(lambda i=i: sb.query(int(i), *QUERY, hp=hp)))
    batches = []
    for _ in range(repeats):
        idx = random_cells(sb.space, cells, rng)
        values = []
        batches.append(timed(lambda i=idx, v=values: v.append(sb.query(i, *QUERY, hp=hp))))
        if values[0].shape != (cells,) or not np.isfinite(values[0]).all():
            raise SystemExit(f"{name}: the batch query returned {values[0].shape} / non-finite")
    costs = [timed(lambda: sb.query(idx, "cifar10", "params_m", hp=hp)) for _ in range(2)]
    batch_s = statistics.median(b[0] for b in batches)
    single_s = statistics.median(s[0] for s in singles)
    row = {
        "space": space,
        "model": name,
        "fit_s": fit_s,
        "batch_s": batch_s,
        "batch_cpu_s": statistics.median(b[1] for b in batches),
        "batch_caller_cpu_s": statistics.median(b[2] for b in batches),
        "cells_per_s": cells / batch_s,
        "single_query_ms": single_s * 1e3,
        "single_query_cpu_ms": statistics.median(s[1] for s in singles) * 1e3,
        "one_at_a_time_cells_per_s": 1 / single_s,
        "params_m_first_cpu_s": costs[0][1],
        "params_m_again_cpu_s": costs[1][1],
    }
    if space == "darts":
        row.update(nb301_calls(sb, rng))
    return row


def nb301_calls(sb, rng: np.random.Generator, n: int = 50) -> dict:
    """CPU ms per `SurrogateAPI.predict` of one genotype: new configs, then the same again."""
    from surrogate_nb.compat import nasbench301 as nb
    from surrogate_nb.space import DARTS
    from surrogate_nb.space.darts_forms import to_genotype

    api = nb.SurrogateAPI(next(iter(sb.surrogates.values())), seed=0)
    genotypes = [to_genotype(DARTS.sample(rng)) for _ in range(n)]

    def calls() -> float:
        return timed(lambda: [api.predict(g, "genotype", with_noise=True) for g in genotypes])[1]

    return {
        "nb301_new_config_cpu_ms": calls() / n * 1e3,
        "nb301_asked_again_cpu_ms": calls() / n * 1e3,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--space", choices=sorted(HP), default="nb101")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help="NB-101 data")
    ap.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    ap.add_argument("--train", type=int, default=4236)
    ap.add_argument("--cells", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from surrogate_nb.table import Benchmark
    from surrogate_nb.table.importers import import_any

    with tempfile.TemporaryDirectory() as tmp:
        table = None
        if args.space == "nb101":
            if not args.json.is_file():
                raise SystemExit(f"needs the NB-101 data at {args.json}")
            table = Benchmark.open(import_any(args.json, Path(tmp) / "nb101"))
        rows = [
            measure(table, args.space, m, args.train, args.cells, args.repeats) for m in args.models
        ]
    print(f"{args.cells:,} random {args.space} cells per query, median of {args.repeats}")
    print(
        f"{'model':9s} {'cells/s':>9s} {'batch s':>8s} {'CPU s':>6s} {'caller':>6s} "
        f"{'1 cell ms':>10s} {'1 cell CPU ms':>14s} {'params_m CPU s':>15s} {'fit s':>7s}"
    )
    for r in rows:
        print(
            f"{r['model']:9s} {r['cells_per_s']:9,.0f} {r['batch_s']:8.3f} {r['batch_cpu_s']:6.2f} "
            f"{r['batch_caller_cpu_s']:6.2f} "
            f"{r['single_query_ms']:10.2f} {r['single_query_cpu_ms']:14.2f} "
            f"{r['params_m_first_cpu_s']:7.2f}/{r['params_m_again_cpu_s']:.2f} {r['fit_s']:7.1f}"
        )
        if "nb301_new_config_cpu_ms" in r:
            print(
                f"  nasbench301 port, one genotype per call: {r['nb301_new_config_cpu_ms']:.2f} "
                f"CPU ms new, {r['nb301_asked_again_cpu_ms']:.3f} CPU ms asked again"
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
