"""Wall time of one weight-sharing search per method at the demo fidelity (CPU).

Claim checked: at the `DEMO` preset of `surrogate_nb.evaluation.studies.weight_sharing`
(Fashion-MNIST ``fashion-mnist-valid``, 8x8 images, 256 supernet training images, 1,000 x-valid
images, full NB201 supernet C=16 N=5, per-method epochs) one search takes at most a minute on a
shared 2-core CPU with one torch thread (measured 12-20 s per method at load ~2-4 and 15-70 s at
load 7-14, 2026-12-01), far below the issue's 5-minute cap. Each method runs `--repeats`
times (different search seeds); the table gives mean and std of the wall time and the found cells.

    python benchmarks/weight_sharing_search.py [--methods darts-v1 gdas] [--repeats 1]

Prints a table, then one JSON line per method and a final summary JSON line.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from surrogate_nb.evaluation.studies.weight_sharing import DEMO
from surrogate_nb.evaluation.weight_sharing import METHODS, SearchData, search
from surrogate_nb.exhaustive import load_setting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    prepared = load_setting(
        "fashion-mnist-valid",
        resolution=DEMO.resolution,
        train_subset=DEMO.train_subset,
        eval_subset=DEMO.eval_subset,
    )
    load_s = time.perf_counter() - t0
    data = SearchData(prepared, DEMO.config)
    rows = []
    print(f"{'method':10s} {'epochs':>6s} {'mean_s':>8s} {'std_s':>7s}  cells")
    for method in args.methods:
        config = DEMO.config_for(method)
        times, cells = [], []
        for r in range(args.repeats):
            gen = torch.Generator().manual_seed(args.seed + r)
            res = search(method, data, config, gen)
            times.append(res.wall_time_s)
            cells.append(res.arch.index)
        row = {
            "bench": "ws_search",
            "method": method,
            "device": "cpu",
            "threads": args.threads,
            "epochs": config.epochs,
            "n": args.repeats,
            "mean_s": float(np.mean(times)),
            "std_s": float(np.std(times, ddof=1)) if len(times) > 1 else 0.0,
            "max_s": float(np.max(times)),
            "cells": cells,
        }
        rows.append(row)
        print(f"{method:10s} {config.epochs:6d} {row['mean_s']:8.1f} {row['std_s']:7.1f}  {cells}")
    for row in rows:
        print(json.dumps(row))
    print(
        json.dumps(
            {
                "bench": "ws_search_summary",
                "device": "cpu",
                "threads": args.threads,
                "data_load_s": load_s,
                "max_search_s": max(r["max_s"] for r in rows),
                "under_5_min": all(r["max_s"] <= 300 for r in rows),
            }
        )
    )


if __name__ == "__main__":
    main()
