"""CPU cost of training DARTS' NetworkCIFAR: milliseconds per training image on one torch thread.

What it measures, on the machine it runs on: for each (channels, cells, image side, auxiliary
head) of a grid, the DARTS-V2 cell's network (`surrogate_nb.space.darts_network`, drop path 0.2, SGD
with momentum) takes training steps on random images (batch 64 by default: forward, the DARTS
loss with the auxiliary term, backward, step); after one warm-up step, the median of ``--steps``
step times divided by the batch size is reported, with the params and FLOPs of the closed-form
counters (DARTS' affine network, auxiliary head included). The cell matters little next to the
macro settings; the times scale with FLOPs, i.e. with side² × channels².

Run: ``.venv/bin/python benchmarks/darts_step_time.py [--steps N] [--batch B] [--grid a,b,c,d ...]``
(prints a table, then one JSON line).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from surrogate_nb.space import DARTS
from surrogate_nb.space.darts_cost import network_costs
from surrogate_nb.space.darts_network import NetworkCIFAR

DARTS_V2 = (
    "sep3:0,sep3:1,sep3:0,sep3:1,skip:0,sep3:1,skip:0,dil3:2/"
    "mp3:0,mp3:1,skip:2,mp3:1,mp3:0,skip:2,skip:2,mp3:1"
)
#: (channels, cells, side, auxiliary)
GRID = [
    (8, 5, 16, False),
    (8, 5, 32, False),
    (16, 5, 16, True),
    (16, 8, 16, True),
    (16, 8, 32, True),
    (32, 8, 16, True),
    (32, 8, 32, True),
]


def step_ms(setting: tuple[int, int, int, bool], batch: int, steps: int) -> float:
    """Median milliseconds per image of one training step."""
    channels, layers, side, aux = setting
    torch.manual_seed(0)
    net = NetworkCIFAR(DARTS.from_str(DARTS_V2), 10, channels, layers, aux, 0.2, resolution=side)
    opt = torch.optim.SGD(net.parameters(), lr=0.025, momentum=0.9, weight_decay=3e-4)
    x, y = torch.randn(batch, 3, side, side), torch.randint(0, 10, (batch,))
    net.train()
    times = []
    for _ in range(steps + 1):
        t = time.perf_counter()
        out = net(x)
        logits, aux_logits = out if isinstance(out, tuple) else (out, None)
        loss = F.cross_entropy(logits, y)
        if aux_logits is not None:
            loss = loss + 0.4 * F.cross_entropy(aux_logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times[1:]) / batch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--grid", nargs="*", help="settings as channels,cells,side,aux(0/1)")
    args = ap.parse_args()
    grid = GRID
    if args.grid:
        grid = [tuple(int(v) for v in s.split(",")) for s in args.grid]  # type: ignore[misc]
        grid = [(c, n, r, bool(a)) for c, n, r, a in grid]
    torch.set_num_threads(1)
    genome = DARTS.from_str(DARTS_V2)
    rows = []
    print(
        f"{'C':>4} {'cells':>5} {'side':>4} {'aux':>3} {'params M':>9} {'MFLOPs':>8} {'ms/img':>7}"
    )
    for setting in grid:
        c, n, r, a = setting
        params, flops = network_costs(
            genome, channels=c, layers=n, resolution=r, auxiliary=a, affine_ops=True
        )
        ms = step_ms(setting, args.batch, args.steps)
        rows.append(
            {
                "channels": c,
                "cells": n,
                "side": r,
                "aux": a,
                "params": params,
                "flops": flops,
                "ms_per_image": round(ms, 2),
            }
        )
        print(
            f"{c:>4} {n:>5} {r:>4} {'yes' if a else 'no':>3} {params / 1e6:>9.3f} "
            f"{flops / 1e6:>8.1f} {ms:>7.1f}"
        )
    print(json.dumps({"batch": args.batch, "threads": 1, "rows": rows}))


if __name__ == "__main__":
    main()
