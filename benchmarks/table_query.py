"""Query speed and memory of a full-size tabular benchmark (SYNTHETIC values).

Claim checked: on a 2-core CPU, with integrity checking on (the default: manifest checksum and
schema at open, each data file's sha256 on its first read), a table of 15,625 cells x 4 dataset
settings x 3 seeds x 200 epochs x 8 per-epoch metrics (+4 per-trial costs) opens in < 1 s,
answers the first query of a setting (sha256 of its file + loading one column) in < 2 s,
answers a single later `query` in
< 20 us (median of 20,000 calls after a warmup) and a vectorised 15,625-cell query in < 10 ms
(median of 50), returns one full curve, and stays under 1 GB peak RSS. The values are synthetic
(smooth random curves), **not** NB201 results: only the shapes and sizes are real.

The table is built once in a temporary directory, in its own child process (build time
reported, not a target); the measurements run in another fresh child process. Peak RSS is the
kernel's high-water mark ``VmHWM`` of that process (``/proc/self/status``), reset through
``/proc/self/clear_refs`` between the query phase (import, open, queries) and the verify phase
(``Benchmark.open(path, verify=True)``), so each phase has its own figure. Why not
``getrusage(RUSAGE_SELF).ru_maxrss`` alone: on Linux, ``execve`` carries the peak RSS of the
process image it replaces into ``ru_maxrss``, so a child spawned by a parent that had built the
table reported the *builder's* ~1.1 GB peak (``ru_maxrss_mb`` is still printed, for comparison).

Run: ``.venv/bin/python benchmarks/table_query.py`` (prints a table, then a final JSON line).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from surrogate_nb.space import NUM_ARCHS

DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
SEEDS = (777, 888, 999)
T = 200
METRICS = (
    "train_loss",
    "train_acc",
    "train_time",
    "valid_loss",
    "valid_acc",
    "valid_time",
    "test_loss",
    "test_acc",
)
N = NUM_ARCHS
CHUNK = 3125


def _trials(rng: np.random.Generator):
    """Synthetic TrialRecords: saturating accuracy curves, decaying losses, constant times."""
    t = np.arange(1, T + 1, dtype=np.float32)
    for ds in DATASETS:
        for lo in range(0, N, CHUNK):
            n = min(CHUNK, N - lo)
            for seed in SEEDS:
                final = rng.uniform(10, 95, size=(n, 1)).astype(np.float32)
                rate = rng.uniform(5, 40, size=(n, 1)).astype(np.float32)
                acc = final * (1 - np.exp(-t / rate))
                loss = 2.5 * np.exp(-t / rate) + 0.1
                tt = np.broadcast_to(rng.uniform(5, 30, size=(n, 1)).astype(np.float32), (n, T))
                curves = {
                    "train_loss": loss,
                    "train_acc": acc + 3,
                    "train_time": tt,
                    "valid_loss": loss * 1.1,
                    "valid_acc": acc,
                    "valid_time": tt / 10,
                    "test_loss": loss * 1.05,
                    "test_acc": acc + 0.5,
                }
                for j in range(n):
                    yield {
                        "arch_index": lo + j,
                        "dataset": ds,
                        "hp": "200",
                        "seed": seed,
                        "epochs": T,
                        "status": "ok",
                        "params_m": 1.0,
                        "flops_m": 100.0,
                        "latency_s": 0.01,
                        "train_time_s": float(tt[j, 0] * T),
                        "curves": {m: c[j] for m, c in curves.items()},
                    }


def build(path: Path) -> float:
    from surrogate_nb.table import write_table

    t0 = time.perf_counter()
    write_table(
        path,
        _trials(np.random.default_rng(0)),
        manifest={
            "command": "benchmarks/table_query.py",
            "protocol": {"note": "SYNTHETIC values for a speed benchmark"},
        },
    )
    return time.perf_counter() - t0


def _hwm_mb() -> float | None:
    """Peak resident size of this process image (VmHWM), MB; None where /proc is missing."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def _ru_maxrss_mb() -> float:
    scale = 2**20 if sys.platform == "darwin" else 2**10  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def measure(path: Path) -> dict:
    """Open + query timings and per-phase peak RSS in this (fresh) process; returns the figures."""
    from surrogate_nb.space import Arch
    from surrogate_nb.table import Benchmark

    t0 = time.perf_counter()
    b = Benchmark.open(path)
    open_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    b.query(0, "cifar10-valid", "valid_acc")  # loads one column (first-touch cost)
    first_load_s = time.perf_counter() - t0
    # the first query of a setting includes the sha256 check of its file (integrity is on by
    # default); a second setting, and a third one with checksums off, show that cost
    t0 = time.perf_counter()
    b.query(0, "ImageNet16-120", "valid_acc")
    first_other_s = time.perf_counter() - t0
    b_off = Benchmark.open(path, checksums=False)
    t0 = time.perf_counter()
    b_off.query(0, "cifar100", "valid_acc")
    first_off_s = time.perf_counter() - t0
    del b_off
    t0 = time.perf_counter()
    b.query(0, "cifar10-valid", "test_acc")  # same setting, other metric: file already checked
    second_metric_s = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    cells = rng.integers(0, N, 20000).tolist()
    q = b.query
    for i in cells[:2000]:
        q(i, "cifar10-valid", "valid_acc")
    times = []
    for i in cells:
        s = time.perf_counter_ns()
        q(i, "cifar10-valid", "valid_acc")
        times.append(time.perf_counter_ns() - s)
    single_us = float(np.median(times)) / 1e3
    arch = Arch.from_index(123)
    times = []
    for _ in range(5000):
        s = time.perf_counter_ns()
        q(arch, "cifar10-valid", "valid_acc", epoch=11, seed=777)
        times.append(time.perf_counter_ns() - s)
    single_arch_seed_us = float(np.median(times)) / 1e3
    allc = np.arange(N)
    vt = []
    for _ in range(50):
        s = time.perf_counter()
        q(allc, "cifar10-valid", "valid_acc", epoch=11)
        vt.append(time.perf_counter() - s)
    vec_ms = float(np.median(vt)) * 1e3
    ct = []
    for i in cells[:1000]:
        s = time.perf_counter_ns()
        b.curve(i, "cifar10-valid", "valid_acc")
        ct.append(time.perf_counter_ns() - s)
    curve_us = float(np.median(ct)) / 1e3
    rss_query = _hwm_mb()
    ru_maxrss = _ru_maxrss_mb()  # read before the reset below, which also lowers it
    separate = rss_query is not None and _reset_hwm()
    t0 = time.perf_counter()
    b2 = Benchmark.open(path, verify=True)
    verify_s = time.perf_counter() - t0
    del b2
    ru_maxrss = max(ru_maxrss, _ru_maxrss_mb())
    if rss_query is None:  # no /proc: only the whole-process figure (may include pre-exec peak)
        rss_query = rss_verify = ru_maxrss
    else:
        rss_verify = _hwm_mb() if separate else rss_query
    return {
        "open_s": open_s,
        "verify_open_s": verify_s,
        "checksums_on": bool(b.checksums),
        "first_column_load_s": first_load_s,
        "first_query_of_setting_s": max(first_load_s, first_other_s),
        "first_query_checksums_off_s": first_off_s,
        "first_query_second_metric_s": second_metric_s,
        "single_query_us": single_us,
        "single_query_arch_seed_epoch_us": single_arch_seed_us,
        "vectorised_15625_ms": vec_ms,
        "curve_us": curve_us,
        "peak_rss_mb": max(rss_query, rss_verify),
        "peak_rss_query_mb": rss_query,
        "peak_rss_verify_mb": rss_verify,
        "ru_maxrss_mb": ru_maxrss,
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]))))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--build":
        print(json.dumps({"build_s": build(Path(sys.argv[2]))}))
        return
    from rich.console import Console
    from rich.table import Table

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic_table"
        # build in a child too: this process stays small, so the measuring child cannot
        # inherit a large peak (see the module docstring)
        out = subprocess.run(
            [sys.executable, __file__, "--build", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        build_s = json.loads(out.stdout.strip().splitlines()[-1])["build_s"]
        size_mb = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20
        out = subprocess.run(
            [sys.executable, __file__, "--measure", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        fig = json.loads(out.stdout.strip().splitlines()[-1])
    targets = {
        "open_s": ("< 1 s", 1.0),
        "first_query_of_setting_s": ("< 2 s", 2.0),
        "single_query_us": ("< 20 us", 20.0),
        "vectorised_15625_ms": ("< 10 ms", 10.0),
        "peak_rss_mb": ("< 1024 MB", 1024.0),
        "peak_rss_query_mb": ("< 1024 MB", 1024.0),
        "peak_rss_verify_mb": ("< 1024 MB", 1024.0),
    }
    t = Table(
        "figure (SYNTHETIC full-size table)",
        "value",
        "target",
        "ok",
        title=f"{N} cells x {len(DATASETS)} settings x {len(SEEDS)} seeds x {T} epochs x "
        f"{len(METRICS)} metrics; {size_mb:.0f} MB on disk, built in {build_s:.0f} s",
    )
    for k, v in fig.items():
        if isinstance(v, bool):
            t.add_row(k, str(v), "", "")
            continue
        tgt = targets.get(k)
        t.add_row(
            k, f"{v:.4g}", tgt[0] if tgt else "", ("yes" if v < tgt[1] else "NO") if tgt else ""
        )
    Console().print(t)
    print(
        json.dumps(
            {
                "bench": "table_query",
                "device": "cpu",
                "cells": N,
                "settings": len(DATASETS),
                "seeds": len(SEEDS),
                "epochs": T,
                "metrics": len(METRICS),
                "synthetic": True,
                "size_mb": round(size_mb, 1),
                "build_s": round(build_s, 1),
                **{k: v if isinstance(v, bool) else round(v, 4) for k, v in fig.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
