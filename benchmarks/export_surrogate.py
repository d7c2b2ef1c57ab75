"""Export of a curve surrogate at every NB201 cell in syne-tune's format: time and size.

Claim measured: `evaluation.hpo_export.export_surrogate_blackbox` writes a learning-curve
surrogate's predictions at all 15,625 NB201 cells (12 epochs, two metrics plus elapsed time) in
seconds and a few MB, and syne-tune's own ``deserialize`` reads it back. The surrogate is fitted
here on the committed Fashion-MNIST table (``x-valid_acc`` and ``test_acc``, the curve model's
defaults, epoch design); the export is timed with mean curves (1 seed) and with ``--samples 3``
noise-model draws (3 seeds). The NB-101 line is arithmetic, not a run: the same layout for
423,624 cells at 4 budgets, with the whole-space prediction time measured by
`benchmarks/curve_surrogate.py` (the export refuses NB-101).

Run: ``.venv/bin/python benchmarks/export_surrogate.py``. Prints a table, then one JSON line.
"""

from __future__ import annotations

import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "surrogate_nb/data/tables/fashion-mnist-lowfi"
DS = "fashion-mnist-valid"


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def main() -> None:
    from syne_tune.blackbox_repository.blackbox_tabular import deserialize

    from surrogate_nb.evaluation.hpo_export import export_surrogate_blackbox
    from surrogate_nb.regressors import SurrogateBenchmark
    from surrogate_nb.table import Benchmark

    table = Benchmark.open(TABLE)
    t0 = time.perf_counter()
    sb = SurrogateBenchmark.from_curves(
        table, DS, ["x-valid_acc", "test_acc"], rng=np.random.default_rng(0)
    )
    fit_s = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp())
    rows = []
    for samples in (0, 3):
        for s in sb.surrogates.values():  # a cold memo: the export predicts every cell
            s.__dict__.pop("_memo", None)
        out = tmp / f"bb{samples}"
        t0 = time.perf_counter()
        export_surrogate_blackbox(sb, out, samples=samples, rng=np.random.default_rng(0))
        export_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        bb = deserialize(str(out))[DS]
        load_s = time.perf_counter() - t0
        rows.append(
            {
                "seeds": bb.num_seeds,
                "cells": len(bb.hyperparameters),
                "export_s": round(export_s, 1),
                "deserialize_s": round(load_s, 2),
                "size_mb": round(_size_mb(out), 2),
            }
        )
    print(f"fit (2 metrics, defaults): {fit_s:.0f} s")
    print(f"{'seeds':>6s} {'cells':>7s} {'export s':>9s} {'load s':>7s} {'MB':>6s}")
    for r in rows:
        print(
            f"{r['seeds']:6d} {r['cells']:7d} {r['export_s']:9.1f} {r['deserialize_s']:7.2f} "
            f"{r['size_mb']:6.2f}"
        )
    nb101_mb = 423_624 * 1 * 4 * 2 * 4 / 2**20  # cells x seeds x budgets x (metric + time) x f32
    print(f"NB-101 (not run): objectives array alone {nb101_mb:.0f} MB for one metric, 1 seed")
    print(
        json.dumps(
            {
                "bench": "export_surrogate",
                "machine": f"{platform.processor() or platform.machine()} CPU, 2 cores",
                "fit_s": round(fit_s, 1),
                "exports": rows,
                "nb101_objectives_mb_1metric_1seed": round(nb101_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
