"""NB-101 TFRecord import: records per second and peak memory on an official-format file.

Claim measured: `snb import` of an official-layout NB-101 TFRecord streams (peak RSS well under
2 GB, the issue's bound for the 500 MB ``nasbench_only108.tfrecord``) and how many records per
second it decodes, checks and writes. No real TFRecord is available offline, so the script first
writes one with `surrogate_nb.table.importers.nb101.encode_record` (the official framing and
``ModelMetrics`` protobuf; real cells of the space, SYNTHETIC accuracies), three repeats per
cell at 108 epochs like ``nasbench_only108``. The import runs in a fresh subprocess whose peak
RSS is read from /proc (VmHWM).

Run: ``.venv/bin/python benchmarks/nb101_tfrecord_import.py [--cells 100000]``. Prints a table,
then one JSON line. 423,624 cells (the full only108 file, ~1.27 M records) take a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

_CHILD = """
import sys, time
from surrogate_nb.table.importers import import_any
t = time.perf_counter()
import_any(sys.argv[1], sys.argv[2])
dt = time.perf_counter() - t
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(dt, int(hwm) * 1024)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, default=100_000)
    args = parser.parse_args()

    from surrogate_nb.space import NB101
    from surrogate_nb.table.importers.nb101 import encode_record, write_tfrecord

    tmp = Path(tempfile.mkdtemp())
    src = tmp / "nasbench_synthetic_only108.tfrecord"
    rng = np.random.default_rng(0)
    records = []
    t0 = time.perf_counter()
    for i in rng.choice(NB101.size, args.cells, replace=False):
        cell = NB101.from_index(int(i))
        for _ in range(3):
            v = float(rng.uniform(0.8, 0.95))
            evals = [
                {"current_epoch": 0.0},
                {"current_epoch": 54.0, "training_time": 900.0, "validation_accuracy": v - 0.05},
                {"current_epoch": 108.0, "training_time": 1800.0, "validation_accuracy": v},
            ]
            records.append(
                encode_record(cell.module_hash, 108, cell.matrix, list(cell.ops), evals, 1)
            )
    write_tfrecord(src, records)
    n_records = len(records)
    del records
    write_s = time.perf_counter() - t0
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(src), str(tmp / "table")],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak = out.stdout.split()[-2:]
    seconds, peak = float(seconds), int(peak)
    size = src.stat().st_size
    print(
        f"{'records':>10s} {'file MB':>8s} {'import s':>9s} {'records/s':>10s} {'peak RSS MB':>12s}"
    )
    print(
        f"{n_records:10d} {size / 1e6:8.1f} {seconds:9.1f} {n_records / seconds:10.0f} "
        f"{peak / 1e6:12.0f}"
    )
    print(
        json.dumps(
            {
                "bench": "nb101_tfrecord_import",
                "data": "official layout, real cells, SYNTHETIC values, 3 repeats x 108 epochs",
                "device": f"CPU x{os.cpu_count()} ({platform.processor() or platform.machine()})",
                "records": n_records,
                "file_bytes": size,
                "import_s": seconds,
                "records_per_s": n_records / seconds,
                "peak_rss_bytes": peak,
                "fixture_write_s": write_s,
            }
        )
    )


if __name__ == "__main__":
    main()
