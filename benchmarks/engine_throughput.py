"""Training throughput: the reference per-cell loop vs the fused engine, side by side, one run.

The same uniform random cells (fixed seed) for every variant, CIFAR-shaped input (3x32x32, 10
classes, batch 256, synthetic uint8 images so no download is needed). Each variant trains 2
epochs of `--steps` steps through the real code paths (`trainer.train_trial`,
`engine.train_group`); epoch 0 is warmup (cuDNN autotune, torch.compile), epoch 1 is timed
(synchronised wall time around the epoch). Aggregate images/s = all images of all trials of the
timed epoch / its wall time. The projection is the training time of the full NB201 CIFAR-10
table: 15,625 cells x 200 epochs x 50,000 images x 3 seeds (evaluation not included).

    python benchmarks/engine_throughput.py --device cuda            # H100: the real figure
    python benchmarks/engine_throughput.py --device cpu --quick     # smoke test on a laptop

Prints a table, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch

from surrogate_nb.exhaustive import EngineOptions, TrainConfig, train_group, train_trial
from surrogate_nb.exhaustive.datasets import PreparedData
from surrogate_nb.space import NB201, NUM_ARCHS

FULL_IMAGES = NUM_ARCHS * 200 * 50_000 * 3  # cells x epochs x CIFAR-10 train x seeds


def synthetic(n: int, classes: int = 10, side: int = 32) -> PreparedData:
    """CIFAR-shaped random data; eval split of one batch (its cost is not in the figure)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, 3, side, side), dtype=np.uint8)
    y = rng.integers(0, classes, n)
    ev = (x[:256], y[:256])
    return PreparedData(
        "synthetic", x, y, {"test": ev}, {}, (0.5,) * 3, (0.25,) * 3, classes, 3, side
    )


def timed_epoch(records: list[dict]) -> float:
    """Wall time of the second epoch of a group (per-trial times are fused time / K)."""
    return sum(r["curves"]["train_time"][1] for r in records)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--cells", type=int, default=64, help="random cells (seed 0)")
    ap.add_argument("--steps", type=int, default=20, help="timed steps per trial")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument(
        "--group",
        type=int,
        nargs="+",
        default=[3, 16, 64],
        help="trials fused per engine step (3 = the seeds of a cell)",
    )
    ap.add_argument(
        "--reference-cells",
        type=int,
        default=None,
        help="cells for the (slow) reference loop; default all",
    )
    ap.add_argument("--quick", action="store_true", help="CPU smoke: 3 cells, 2 steps, batch 64")
    ap.add_argument("--compile", action="store_true", help="also the torch.compile variant")
    args = ap.parse_args()
    if args.quick:
        args.cells, args.steps, args.batch, args.group = 3, 2, 64, [1, 3]
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
    rng = np.random.default_rng(0)
    cells = [NB201.sample(rng) for _ in range(args.cells)]
    data = synthetic(args.steps * args.batch)
    cfg = TrainConfig(epochs=2, batch_size=args.batch, latency_batches=0)
    n = len(data.train_y)
    rows = []

    # reference: one cell at a time, seed 777
    ref_cells = cells[: args.reference_cells or len(cells)]
    t = sum(train_trial(a, data, cfg, 777, dev)["curves"]["train_time"][1] for a in ref_cells)
    ref_ips = len(ref_cells) * n / t
    rows.append({"variant": "reference fp32 per cell", "K": 1, "images_per_s": ref_ips})

    variants = [("engine fp32", EngineOptions(amp=False, channels_last=False))]
    if cuda:
        variants.append(("engine bf16+channels_last", EngineOptions(amp=True, channels_last=True)))
        if args.compile:
            variants.append(("engine bf16+cl+compile", EngineOptions(compile=True)))
    for name, opts in variants:
        for k in args.group:
            total_t, trials = 0.0, 0
            if k == 3:  # the seeds of each cell
                groups = [[(a, s) for s in (777, 888, 999)] for a in cells]
            else:  # k different cells, one seed each
                groups = [[(a, 777) for a in cells[i : i + k]] for i in range(0, len(cells), k)]
            for g in groups:
                total_t += timed_epoch(train_group(g, data, cfg, dev, opts))
                trials += len(g)
            ips = trials * n / total_t
            rows.append(
                {
                    "variant": f"{name} ({'seeds' if k == 3 else 'cells' if k > 1 else 'unfused'})",
                    "K": k,
                    "images_per_s": ips,
                }
            )
    for r in rows:
        r["speedup"] = r["images_per_s"] / ref_ips
        r["projected_gpu_hours"] = FULL_IMAGES / r["images_per_s"] / 3600
    print(f"{'variant':40s} {'K':>3s} {'images/s':>10s} {'x ref':>7s} {'hours (full table)':>19s}")
    for r in rows:
        print(
            f"{r['variant']:40s} {r['K']:3d} {r['images_per_s']:10.0f} {r['speedup']:7.2f} "
            f"{r['projected_gpu_hours']:19.0f}"
        )
    machine = (
        torch.cuda.get_device_name(dev)
        if cuda
        else f"{platform.processor() or 'cpu'} ({torch.get_num_threads()} threads)"
    )
    print(
        json.dumps(
            {
                "machine": machine,
                "device": str(dev),
                "cells": len(cells),
                "steps": args.steps,
                "batch": args.batch,
                "torch": torch.__version__,
                "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "rows": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
