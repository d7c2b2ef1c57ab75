"""NB-101 index: cost of enumerating the space once (cold) and of loading the cache (warm).

Claim measured: the first use of the NB-101 space enumerates all 1,293,208 labelled DAGs and
hashes them into the 423,624 cells (target: <= 3 min on this 2-core machine), and every later
process loads the checksummed cache in well under 2 s (target <= 2 s). Each phase runs in a fresh
subprocess with its own empty cache directory (``SNB_CACHE_DIR``); wall and CPU seconds are
reported, since a shared machine stretches wall time. Warm is the median of 5 loads.

Run: ``.venv/bin/python benchmarks/nb101_index.py``. Prints a table, then one JSON line.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

_CHILD = """
import os, resource, time
t = time.perf_counter()
from surrogate_nb.space.nb101_index import load_index
index = load_index()
wall = time.perf_counter() - t
cpu = sum(resource.getrusage(w).ru_utime + resource.getrusage(w).ru_stime
          for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(len(index.hashes), wall, cpu)
"""


def _run(cache: str) -> tuple[int, float, float]:
    env = {**os.environ, "SNB_CACHE_DIR": cache}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True
    )
    n, wall, cpu = out.stdout.split()
    return int(n), float(wall), float(cpu)


def main() -> None:
    cache = tempfile.mkdtemp(prefix="snb-nb101-")
    n, cold_wall, cold_cpu = _run(cache)
    warm = [_run(cache) for _ in range(5)]
    warm_wall = statistics.median(w[1] for w in warm)
    load = os.getloadavg()[0]
    print(f"{'phase':6s} {'cells':>8s} {'wall s':>8s} {'cpu s':>8s}")
    print(f"{'cold':6s} {n:8d} {cold_wall:8.1f} {cold_cpu:8.1f}")
    print(f"{'warm':6s} {n:8d} {warm_wall:8.2f} {statistics.median(w[2] for w in warm):8.2f}")
    print(
        json.dumps(
            {
                "bench": "nb101_index",
                "device": f"CPU x{os.cpu_count()} ({platform.processor() or platform.machine()})",
                "load_average_1m": load,
                "cells": n,
                "cold_wall_s": cold_wall,
                "cold_cpu_s": cold_cpu,
                "warm_wall_s_median5": warm_wall,
            }
        )
    )


if __name__ == "__main__":
    main()
