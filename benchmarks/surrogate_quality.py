"""Surrogate quality on the real NAS-Bench-201 data: held-out ranking and calibration.

Claim measured: for each model (xgb, lgb, ensemble) and training size (781 = 5%, 1,563 = 10% of
the 15,625 cells), a `Surrogate` fitted on cells drawn uniformly at random is scored on ALL the
remaining cells against CIFAR-10 ``cifar10-valid`` validation accuracy after 200 epochs, mean over
runs (column ``cifar10_valid_acc_200`` of ../shared/nb201/nb201_reference_cifar.csv). Numbers are
means (± std) over 5 draws (seeds 0..4); models use their recorded defaults (no tuning in the
run, which keeps it under 10 minutes on a 2-core CPU). Targets: Kendall τ >= 0.85 at 781 cells
and >= 0.90 at 1,563 for the best model; central 90% intervals covering 85-95% of the truth.

Run: ``.venv/bin/python benchmarks/surrogate_quality.py [--csv PATH] [--draws 5]``. Prints a table,
then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from surrogate_nb.evaluation.metrics import METRIC_KEYS

DEFAULT_CSV = Path(__file__).resolve().parents[1].parent / "shared/nb201/nb201_reference_cifar.csv"
MODELS = ("xgb", "lgb", "ensemble")
SIZES = (781, 1563)
KEYS = (*METRIC_KEYS, "fit_s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    args = parser.parse_args()

    import pandas as pd
    import torch

    from surrogate_nb.evaluation.metrics import holdout_metrics
    from surrogate_nb.regressors import REGRESSORS, Surrogate

    torch.set_num_threads(1)
    frame = pd.read_csv(args.csv, usecols=["index", "cifar10_valid_acc_200"])
    idx = frame["index"].to_numpy(np.int64)
    y = frame["cifar10_valid_acc_200"].to_numpy(np.float64)

    start = time.perf_counter()
    results: dict[str, dict[str, dict[str, float]]] = {}
    header = f"{'model':9s} {'n':>5s} " + " ".join(f"{k:>18s}" for k in KEYS)
    print(header)
    for n in args.sizes:
        for model in args.models:
            runs = [
                holdout_metrics(
                    idx,
                    y,
                    surrogate=Surrogate(REGRESSORS[model]()),
                    train_size=n,
                    rng=np.random.default_rng(s),
                )
                for s in range(args.draws)
            ]
            summary = {
                k: {
                    "mean": float(np.mean([r[k] for r in runs])),
                    "std": float(np.std([r[k] for r in runs])),
                }
                for k in KEYS
            }
            results.setdefault(model, {})[str(n)] = summary
            print(
                f"{model:9s} {n:5d} "
                + " ".join(f"{summary[k]['mean']:10.4f} ±{summary[k]['std']:6.4f}" for k in KEYS),
                flush=True,
            )
    best = {
        str(n): max(args.models, key=lambda m: results[m][str(n)]["kendall_tau"]["mean"])
        for n in args.sizes
    }
    print(
        json.dumps(
            {
                "bench": "surrogate_quality",
                "data": "nb201 cifar10-valid valid_acc_200 (mean over runs)",
                "device": f"CPU x{os.cpu_count()} ({platform.processor() or platform.machine()})",
                "draws": args.draws,
                "best": {
                    n: {
                        "model": m,
                        "kendall_tau": results[m][n]["kendall_tau"]["mean"],
                        "coverage_90": results[m][n]["coverage_90"]["mean"],
                    }
                    for n, m in best.items()
                },
                "results": results,
                "wall_s": time.perf_counter() - start,
            }
        )
    )


if __name__ == "__main__":
    main()
