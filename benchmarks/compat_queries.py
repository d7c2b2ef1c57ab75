"""nats_bench 1.8 and our NATS facade side by side, in one process, on the same official files.

The files: an official ``fast_mode`` directory of 40 cells, written in a temporary folder from
the real NATS-Bench ``tss`` sample in ``../shared/nats_sample`` (``meta.pickle.pbz2`` and the
records of cells 0, 11 and 284, see its SOURCE.md): cell ``CELLS[k]`` gets the record of sample
cell ``k % 3`` with its ``arch_index`` / ``arch_str`` set to that cell, so the values are real
official values and both sides read the same bytes. ``snb import`` turns the directory into a
table once (not timed). Then, 3 runs, alternating the two APIs inside each run:

* open: ``nats_bench.create(dir, "tss", fast_mode=True)`` / ``surrogate_nb.compat.nats.create``
  (both modules imported beforehand; the first open in the process, which builds what later
  opens reuse, is reported on its own);
* warm query: one pass of ``get_more_info(i, "cifar10-valid", hp="200", is_random=False)`` over
  the 40 cells loads what each side loads lazily, then 20 timed passes; the figure is the median
  pass time / 40.

Every answer is compared with nats_bench's (same keys, values to 1e-6 relative: the table holds
float32 values of the files' float64 ones); a difference stops the benchmark. The NB201 facade
(`surrogate_nb.compat.nb201.API`, the same code with nas_201_api's averaging) is timed on the
same table as a third side; nas_201_api itself is not installed here (its v1 files are ``.pth``).

Run: ``.venv/bin/python benchmarks/compat_queries.py`` (needs ``nats_bench``, in the ``dev``
extra, and ``../shared/nats_sample``; prints a table, then a final JSON line).
"""

from __future__ import annotations

import argparse
import bz2
import json
import math
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "nats_sample"
SAMPLE_DIR = SAMPLE / "NATS-tss-v1_0-3ffb9-simple"
SAMPLE_CELLS = (0, 11, 284)
CELLS = [int(i) for i in np.linspace(0, 15624, 40)]
QUERY = {"dataset": "cifar10-valid", "hp": "200", "is_random": False}


def write_records(out: Path) -> Path:
    """The 40-cell official fast_mode directory (see the module docstring)."""
    from surrogate_nb.space import Arch
    from surrogate_nb.table.importers._safe_pickle import safe_load_pickle

    out.mkdir(parents=True)
    (out / "meta.pickle.pbz2").write_bytes((SAMPLE_DIR / "meta.pickle.pbz2").read_bytes())
    sample = [safe_load_pickle(SAMPLE_DIR / f"{c:06d}.pickle.pbz2") for c in SAMPLE_CELLS]
    for k, cell in enumerate(CELLS):
        record = sample[k % len(sample)]
        arch = str(Arch.from_index(cell))
        for per_hp in record.values():
            per_hp["arch_index"], per_hp["arch_str"] = cell, arch
            for res in per_hp["all_results"].values():
                res["arch_config"]["arch_str"] = arch
        with bz2.open(out / f"{cell:06d}.pickle.pbz2", "wb") as f:
            pickle.dump(record, f, protocol=pickle.HIGHEST_PROTOCOL)
    return out


def _pass(api) -> float:
    t = time.perf_counter()
    for i in CELLS:
        api.get_more_info(i, **QUERY)
    return time.perf_counter() - t


def measure(open_api, passes: int) -> dict:
    """Open, one loading pass, then `passes` timed passes: seconds."""
    t = time.perf_counter()
    api = open_api()
    opened = time.perf_counter() - t
    first = _pass(api)
    warm = [_pass(api) / len(CELLS) for _ in range(passes)]
    return {"open_s": opened, "first_pass_s": first, "warm_query_s": statistics.median(warm)}


def check_same(ours, theirs) -> int:
    """Compare every cell's answer; returns the number of values compared."""
    n = 0
    for i in CELLS:
        a, b = ours.get_more_info(i, **QUERY), theirs.get_more_info(i, **QUERY)
        if set(a) != set(b):
            sys.exit(f"cell {i}: keys differ: ours {sorted(a)} vs nats_bench {sorted(b)}")
        for k, v in b.items():
            w = a[k]
            same = w == v if isinstance(v, str) or v is None else math.isclose(w, v, rel_tol=1e-6)
            if not same:
                sys.exit(f"cell {i}: {k} differs: ours {w!r} vs nats_bench {v!r}")
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--passes", type=int, default=20)
    args = ap.parse_args()
    if not SAMPLE_DIR.is_dir():
        sys.exit(f"needs the official NATS sample at {SAMPLE_DIR.resolve()}")
    try:
        import nats_bench
    except ImportError:
        sys.exit("needs nats_bench (pip install -e '.[dev]')")
    from surrogate_nb.compat import nats, nb201
    from surrogate_nb.table.importers import import_any

    with tempfile.TemporaryDirectory() as tmp:
        records = write_records(Path(tmp) / "NATS-tss-v1_0-3ffb9-simple")
        table = import_any(records, Path(tmp) / "table")
        sides = {
            "nats_bench": lambda: nats_bench.create(str(records), "tss", True, False),
            "surrogate_nb": lambda: nats.create(table, "tss", rng=np.random.default_rng(0)),
            "snb nb201": lambda: nb201.API(table, rng=np.random.default_rng(0)),
        }
        first_open = {}
        for name, open_api in sides.items():
            t = time.perf_counter()
            open_api()
            first_open[name] = time.perf_counter() - t
        compared = check_same(sides["surrogate_nb"](), sides["nats_bench"]())
        runs = []
        for r in range(args.runs):
            order = list(sides) if r % 2 == 0 else list(sides)[::-1]
            runs.append({name: measure(sides[name], args.passes) for name in order})
    print(
        f"{len(CELLS)} cells, {compared} answer values equal to nats_bench's; query "
        f"get_more_info(i, {QUERY['dataset']!r}, hp={QUERY['hp']!r}, is_random=False)"
    )
    print(
        "first open in the process (s): " + ", ".join(f"{k} {v:.3f}" for k, v in first_open.items())
    )
    print(f"{'run':>3} {'':12} {'open (s)':>9} {'warm query (us)':>16} {'first pass (s)':>15}")
    for r, run in enumerate(runs, 1):
        for name in sides:
            m = run[name]
            print(
                f"{r:>3} {name:12} {m['open_s']:9.3f} {m['warm_query_s'] * 1e6:16.1f} "
                f"{m['first_pass_s']:15.3f}"
            )
        ratio = run["nats_bench"]["warm_query_s"] / run["surrogate_nb"]["warm_query_s"]
        print(f"{r:>3} {'speed-up':12} {'':9} {ratio:15.1f}x")
    ratios = [
        run["nats_bench"]["warm_query_s"] / run["surrogate_nb"]["warm_query_s"] for run in runs
    ]
    out = {
        "bench": "compat_queries",
        "device": "cpu",
        "nats_bench": nats_bench.__version__ if hasattr(nats_bench, "__version__") else "1.8",
        "first_open_s": first_open,
        "runs": runs,
        "warm_speedup_min": min(ratios),
        "warm_speedup_max": max(ratios),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
