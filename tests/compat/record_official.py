"""Record the official APIs' answers on small official-format fixtures (run by hand, not in CI).

Two steps, each a plain script run from the repo root:

1. ``.venv/bin/python tests/compat/record_official.py fixtures`` writes, from a fixed seed,
   ``tests/compat/fixtures/``: ``nats-tss-fixture.pickle.pbz2`` (a NATS-Bench ``tss`` full
   archive), ``nb201-pth-fixtures.tar.xz`` (two NAS-Bench-201 ``.pth`` files, v1_0 and v1_1
   style, in one xz archive to keep the repo small) and ``spec.json`` (cells, seeds, arch
   strings). The records follow the documented official structure (``meta_archs`` / ``arch2infos`` /
   ``evaluated_indexes``; ``ArchResults`` and ``ResultsCount`` state dicts; 200-epoch runs keep
   x-valid / x-test and cifar10-valid's ori-test accuracy only at epoch 199; 12-epoch runs use
   seed 111, plus 777 on cifar10-valid; v1_0's 12-epoch records hold cifar10-valid only). Every
   value is a multiple of a power of two, so float32 tables hold it exactly. Needs this package
   (arch strings in the official index order) and torch.
2. In a throwaway environment with the official packages::

       python3 -m venv /tmp/offvenv
       /tmp/offvenv/bin/pip install nats_bench==1.8 nas-bench-201==2.1 numpy torch
       /tmp/offvenv/bin/python tests/compat/record_official.py answers

   runs every call of `official_calls.calls` on ``nats_bench.create(..., "tss")`` and
   ``nas_201_api.NASBench201API`` and writes ``answers_nats.json``, ``answers_nb201_v1_0.json``
   and ``answers_nb201_v1_1.json`` next to this script (with the package versions).

``test_official_replay.py`` replays the answers on the same fixtures through ``snb import`` and
`surrogate_nb.compat`.
"""

from __future__ import annotations

import bz2
import contextlib
import json
import pickle
import random
import shutil
import sys
import tarfile
import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
sys.path.insert(0, str(HERE))

from official_calls import calls, run_call  # noqa: E402

SEED = 20260112
NB201_TAR = "nb201-pth-fixtures.tar.xz"
CELLS = [11, 6111, 9930]
NUM_CLASSES = {"cifar10-valid": 10, "cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
EVAL_NAMES = {
    "cifar10-valid": ["x-valid", "ori-test"],
    "cifar10": ["ori-test"],
    "cifar100": ["ori-test", "x-valid", "x-test"],
    "ImageNet16-120": ["ori-test", "x-valid", "x-test"],
}
#: Which seeds each cell has per hp and dataset (varied on purpose: 1, 2 or 3 runs).
SEEDS_200 = {
    11: {
        "cifar10-valid": [777, 888, 999],
        "cifar10": [777],
        "cifar100": [777, 888, 999],
        "ImageNet16-120": [888],
    },
    6111: {
        "cifar10-valid": [777, 888],
        "cifar10": [777, 888],
        "cifar100": [888],
        "ImageNet16-120": [777],
    },
    9930: {
        "cifar10-valid": [777, 888],
        "cifar10": [888],
        "cifar100": [888],
        "ImageNet16-120": [888],
    },
}
SEEDS_12 = {
    "cifar10-valid": [111, 777],
    "cifar10": [111],
    "cifar100": [111],
    "ImageNet16-120": [111],
}


def _q(rng: np.random.Generator, lo: float, hi: float, step: int) -> float:
    """A value in [lo, hi) that is a multiple of 1 / step (step a power of two)."""
    return float(rng.integers(int(lo * step), int(hi * step))) / step


def _curve(rng, e: int, T: int, start: float, end: float, step: int) -> float:
    """A learning-curve-like value at epoch ``e``, plus noise, a multiple of 1 / step."""
    x = start + (end - start) * (1 - np.exp(-5 * e / T))
    return float(np.floor(x * step) + rng.integers(0, 4)) / step


def _trial(rng, arch_str, ds, seed, T, params, flops, latency, seed_text):
    """One ResultsCount state dict."""
    top = _q(rng, 60, 99, 4)
    train_acc = {e: _curve(rng, e, T, 10, top, 4) for e in range(T)}
    train_loss = {e: _curve(rng, e, T, 2.3, 0.1, 128) for e in range(T)}
    per_epoch = _q(rng, 4, 20, 256)
    train_times = {e: per_epoch + _q(rng, 0, 0.25, 16) for e in range(T)}
    accs, losses, times = {}, {}, {}
    for name in EVAL_NAMES[ds]:
        sparse = T == 200 and (name in ("x-valid", "x-test") and ds not in ("cifar10-valid",))
        sparse |= T == 200 and ds == "cifar10-valid" and name == "ori-test"
        t_eval = _q(rng, 0.5, 3, 256)
        for e in range(T):
            if not sparse or e == T - 1:
                accs[f"{name}@{e}"] = _curve(rng, e, T, 10, top - 5, 4)
                losses[f"{name}@{e}"] = _curve(rng, e, T, 2.4, 0.3, 128)
            times[f"{name}@{e}"] = t_eval
    return {
        "name": f"{ds}-seed-{seed}",
        "net_state_dict": None,
        "train_acc1es": train_acc,
        "train_acc5es": {e: min(100.0, v + 4.0) for e, v in train_acc.items()} if T == 12 else None,
        "train_losses": train_loss,
        "train_times": train_times,
        "arch_config": {
            "channel": 16,
            "num_cells": 5,
            "arch_str": arch_str,
            "class_num": NUM_CLASSES[ds],
        },
        "params": params,
        "flop": flops,
        "seed": seed_text(seed),
        "epochs": T,
        "latency": None if latency is None else [latency],
        "eval_names": list(EVAL_NAMES[ds]),
        "eval_acc1es": accs,
        "eval_losses": losses,
        "eval_times": times,
    }


def _arch_results(rng, index, arch_str, seeds, T, seed_text):
    """One ArchResults state dict: {dataset: seeds} trials of one cell under one hp."""
    all_results, dataset_seed = {}, {}
    for ds, ss in seeds.items():
        params = _q(rng, 0.1, 1.5, 1024)
        flops = _q(rng, 10, 200, 256)
        no_latency = index == 9930 and ds == "ImageNet16-120"
        latency = None if no_latency else _q(rng, 0.005, 0.03, 65536)
        dataset_seed[ds] = list(ss)
        for s in ss:
            p = params + (1 / 32 if (index == 6111 and s == 777 and T == 200) else 0.0)
            all_results[(ds, s)] = _trial(rng, arch_str, ds, s, T, p, flops, latency, seed_text)
    return {
        "arch_index": index,
        "arch_str": arch_str,
        "all_results": all_results,
        "dataset_seed": dataset_seed,
        "clear_net_done": True,
    }


def write_fixtures() -> None:
    """Step 1: the fixture files and spec.json (needs surrogate_nb and torch)."""
    import torch

    from surrogate_nb.space import NUM_ARCHS, Arch

    meta = [str(Arch.from_index(i)) for i in range(NUM_ARCHS)]
    FIXTURES.mkdir(exist_ok=True)
    rng = np.random.default_rng(SEED)

    def nats_text(s):
        return f"{s:04d}"

    arch2infos = OrderedDict()
    for i in CELLS:
        arch2infos[i] = OrderedDict(
            [
                ("12", _arch_results(rng, i, meta[i], SEEDS_12, 12, nats_text)),
                ("200", _arch_results(rng, i, meta[i], SEEDS_200[i], 200, nats_text)),
            ]
        )
    nats = {
        "meta_archs": meta,
        "total_archs": NUM_ARCHS,
        "arch2infos": arch2infos,
        "evaluated_indexes": list(CELLS),
    }
    with bz2.BZ2File(FIXTURES / "nats-tss-fixture.pickle.pbz2", "wb") as f:
        pickle.dump(nats, f, protocol=4)
    pths = []
    for version, less_seeds in (("v1_0", {"cifar10-valid": [111, 777]}), ("v1_1", SEEDS_12)):
        infos = OrderedDict()
        for i in CELLS:
            infos[i] = OrderedDict(
                [
                    ("less", _arch_results(rng, i, meta[i], less_seeds, 12, int)),
                    ("full", _arch_results(rng, i, meta[i], SEEDS_200[i], 200, int)),
                ]
            )
        data = {
            "meta_archs": meta,
            "total_archs": NUM_ARCHS,
            "arch2infos": infos,
            "evaluated_indexes": list(CELLS),
        }
        pths.append((f"NAS-Bench-201-{version}-fixture.pth", data))
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(FIXTURES / NB201_TAR, "w:xz") as tar:
        for name, data in pths:  # one archive: xz shares the 15,625 arch strings of both files
            torch.save(data, Path(tmp) / name)  # protocol 2, as the official files
            tar.add(Path(tmp) / name, arcname=name)
    spec = {
        "seed": SEED,
        "cells": CELLS,
        "arch_str": {str(i): meta[i] for i in CELLS},
        "limits": [[60.0, None], [None, 0.8], [120.0, 1.2]],
        "nats": {"seeds": {str(i): {"12": SEEDS_12, "200": SEEDS_200[i]} for i in CELLS}},
        "nb201_v1_0": {
            "seeds": {
                str(i): {"12": {"cifar10-valid": [111, 777]}, "200": SEEDS_200[i]} for i in CELLS
            }
        },
        "nb201_v1_1": {"seeds": {str(i): {"12": SEEDS_12, "200": SEEDS_200[i]} for i in CELLS}},
    }
    (FIXTURES / "spec.json").write_text(json.dumps(spec, indent=1) + "\n")


def call_spec(spec: dict, name: str) -> dict:
    """The argument of `official_calls.calls` for fixture ``name`` (nats / nb201_v1_0 / v1_1)."""
    return {**spec, "seeds": spec[name]["seeds"]}


@contextlib.contextmanager
def force_official(seeds):
    """Make ``random.choice`` (the official draw for is_random=True) return ``seeds`` in order."""
    if seeds is None:
        yield
        return
    todo = list(seeds)
    saved = random.choice
    random.choice = lambda seq: todo.pop(0)
    try:
        yield
    finally:
        random.choice = saved


def record_answers() -> None:
    """Step 2: run the official APIs on the fixtures (needs nats_bench 1.8, nas-bench-201 2.1)."""
    from importlib.metadata import version

    import nats_bench
    from nas_201_api import NASBench201API

    spec = json.loads((FIXTURES / "spec.json").read_text())
    versions = {p: version(p) for p in ("nats_bench", "nas-bench-201", "numpy", "torch")}
    nats_file = str(FIXTURES / "nats-tss-fixture.pickle.pbz2")
    jobs = [("nats", "nats", lambda: nats_bench.create(nats_file, "tss", verbose=False))]
    tmp = Path(tempfile.mkdtemp())
    with tarfile.open(FIXTURES / NB201_TAR) as tar:
        tar.extractall(tmp, filter="data")
    for v in ("v1_0", "v1_1"):
        pth = tmp / f"NAS-Bench-201-{v}-fixture.pth"
        jobs.append((f"nb201_{v}", "nb201", lambda p=pth: NASBench201API(str(p), verbose=False)))
    for name, kind, make in jobs:
        api = make()
        answers = []
        for call in calls(kind, call_spec(spec, name)):
            answers.append({**call, **run_call(api, call, force_official)})
        out = {"fixture": name, "kind": kind, "versions": versions, "answers": answers}
        (HERE / f"answers_{name}.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
        print(f"{name}: {len(answers)} answers")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    step = sys.argv[1] if len(sys.argv) > 1 else ""
    if step == "fixtures":
        write_fixtures()
    elif step == "answers":
        record_answers()
    else:
        sys.exit("usage: record_official.py fixtures|answers")
