"""NB-101 surrogate benchmark: time to predict every one of the 423,624 cells, then per query.

Claim measured: a `SurrogateBenchmark` over NB-101 (LightGBM `Surrogate`, 4,236 training cells of
../shared/nb101/data-20k.json, 108-epoch validation accuracy) predicts all 423,624 cells in one
call in under 60 s on this 2-core CPU (target of issue 10), and once memoised answers a
single-cell query in microseconds. One run; wall seconds.

``--model gin`` measures the graph-network surrogate instead (fitted with few optimizer steps:
its prediction cost does not depend on them).

Run: ``.venv/bin/python benchmarks/nb101_surrogate_memo.py [--json PATH] [--model lgb|gin]``.
Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_JSON = Path(__file__).resolve().parents[1].parent / "shared/nb101/data-20k.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--model", choices=("lgb", "gin"), default="lgb")
    args = parser.parse_args()

    from surrogate_nb.regressors import GINRegressor, LGBRegressor, Surrogate, SurrogateBenchmark
    from surrogate_nb.table import Benchmark
    from surrogate_nb.table.importers import import_any

    table = Benchmark.open(import_any(args.json, Path(tempfile.mkdtemp()) / "nb101"))
    t = time.perf_counter()
    sb = SurrogateBenchmark.from_table(
        table,
        "cifar10",
        "valid_acc",
        "108",
        rng=np.random.default_rng(0),
        surrogate=Surrogate(LGBRegressor() if args.model == "lgb" else GINRegressor(steps=200)),
        train_size=4236,
    )
    fit_s = time.perf_counter() - t
    n = int(sb.space.size)
    t = time.perf_counter()
    values = sb.query(np.arange(n), "cifar10", "valid_acc", hp="108")
    all_s = time.perf_counter() - t
    for i in range(20):  # small queries: the memo is built on the way
        sb.query(i, "cifar10", "valid_acc", hp="108")
    t = time.perf_counter()
    for i in range(1000, 2000):
        sb.query(i, "cifar10", "valid_acc", hp="108")
    one_us = (time.perf_counter() - t) / 1000 * 1e6
    print(f"{'fit s':>8s} {'all cells s':>12s} {'query us':>9s} {'cells':>8s}")
    print(f"{fit_s:8.1f} {all_s:12.1f} {one_us:9.1f} {n:8d}")
    print(
        json.dumps(
            {
                "bench": "nb101_surrogate_memo",
                "device": f"CPU x{os.cpu_count()} ({platform.processor() or platform.machine()})",
                "model": args.model,
                "cells": n,
                "finite": bool(np.isfinite(values).all()),
                "fit_s": fit_s,
                "predict_all_s": all_s,
                "single_query_us": one_us,
            }
        )
    )


if __name__ == "__main__":
    main()
