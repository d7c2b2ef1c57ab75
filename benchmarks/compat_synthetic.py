"""Speed and memory of the NATS-Bench facade on a full-size NATS-shaped table (SYNTHETIC values).

What it measures, on the machine it runs on: a table of 15,625 cells x 3 seeds x 200 epochs for
cifar10-valid (train, x-valid, test splits), cifar10 (train, test) and cifar100 (train, x-valid,
x-test, test), the shape ``snb import`` makes of the official NATS-Bench ``tss`` file, is built
once in a temporary directory (build time reported, not a target). Then, in a fresh child
process: `create`, the first ``get_more_info`` per dataset (reads that setting's columns), the
median of 2,000 ``get_more_info`` calls on random cells and epochs, of 2,000
``simulate_train_eval`` calls and of 20 ``find_best`` calls, and the process's peak RSS
(``VmHWM``). The values are synthetic; only shapes and sizes are real.

Run: ``.venv/bin/python benchmarks/compat_synthetic.py [--cells N]`` (prints a table, then a final
JSON line).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEEDS = (777, 888, 999)
T = 200
SPLITS = {
    "cifar10-valid": ("x-valid", "test"),
    "cifar10": ("test",),
    "cifar100": ("x-valid", "x-test", "test"),
}


def build(out: Path, cells: int) -> float:
    """Write the synthetic table; returns seconds."""
    from surrogate_nb.table._format import write_table

    rng = np.random.default_rng(0)
    e = np.arange(T, dtype=np.float32)

    def curve(top: float) -> np.ndarray:
        return (top * (1 - np.exp(-e / 30)) + rng.normal(0, 0.5, T)).astype(np.float32)

    def trials():
        for ds, splits in SPLITS.items():
            for i in range(cells):
                for s in SEEDS:
                    curves = {
                        "train_loss": curve(2.0)[::-1].copy(),
                        "train_acc": curve(95),
                        "train_acc5": curve(99),
                        "train_time": np.full(T, 10.0, np.float32),
                    }
                    for sp in splits:
                        curves[f"{sp}_loss"] = curve(2.0)[::-1].copy()
                        curves[f"{sp}_acc"] = curve(90)
                        curves[f"{sp}_time"] = np.full(T, 1.5, np.float32)
                    yield {
                        "arch_index": i,
                        "dataset": ds,
                        "hp": "200",
                        "seed": s,
                        "epochs": T,
                        "status": "ok",
                        "params_m": 0.5,
                        "flops_m": 80.0,
                        "latency_s": 0.01,
                        "train_time_s": 2000.0,
                        "curves": curves,
                    }

    t = time.perf_counter()
    write_table(out, trials(), manifest={"command": "benchmarks/compat_synthetic.py"})
    return time.perf_counter() - t


def measure(path: str, cells: int) -> dict:
    """Runs in a fresh process: the timings and the peak RSS."""
    t = time.perf_counter()
    from surrogate_nb.compat.nats import create

    api = create(path, "tss", rng=np.random.default_rng(0))
    out = {"create_s": time.perf_counter() - t}
    for ds in SPLITS:
        t = time.perf_counter()
        api.get_more_info(0, ds, hp="200")
        out[f"first_get_more_info_{ds}_s"] = time.perf_counter() - t
    rng = np.random.default_rng(1)
    idx = rng.integers(cells, size=2000)
    times = []
    for k, i in enumerate(idx):
        ds = "cifar10-valid" if k % 2 else "cifar100"
        t = time.perf_counter()
        api.get_more_info(int(i), ds, iepoch=int(i) % T, hp="200")
        times.append(time.perf_counter() - t)
    out["get_more_info_median_us"] = float(np.median(times)) * 1e6
    times = []
    for k, i in enumerate(idx):
        t = time.perf_counter()
        api.simulate_train_eval(int(i), "cifar100" if k % 2 else "cifar10", hp="200")
        times.append(time.perf_counter() - t)
    out["simulate_train_eval_median_us"] = float(np.median(times)) * 1e6
    times = []
    for _ in range(20):
        t = time.perf_counter()
        api.find_best("cifar100", "valid", hp="200")
        times.append(time.perf_counter() - t)
    out["find_best_median_ms"] = float(np.median(times)) * 1e3
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            out["peak_rss_mb"] = int(line.split()[1]) / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=15625)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.cells)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "nats_synthetic"
        build_s = build(table, args.cells)
        res = subprocess.run(
            [sys.executable, __file__, "--cells", str(args.cells), "--child", str(table)],
            capture_output=True,
            text=True,
        )
        if res.returncode:
            sys.exit(f"measurement process failed:\n{res.stderr[-2000:]}")
        out = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"{'figure':40s} value")
    print(f"{'table build (s, not a target)':40s} {build_s:.1f}")
    for k, v in out.items():
        print(f"{k:40s} {v:.3f}")
    print(json.dumps({"bench": "compat_synthetic", "device": "cpu", "cells": args.cells, **out}))


if __name__ == "__main__":
    main()
