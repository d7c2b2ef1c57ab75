"""Import NATS-Bench ``tss`` archives (and the shared record structure of NB201 ``.pth`` files).

Sources, from the documented structures of the official ``nats_bench`` 1.8 API:

* full archive: one bz2 pickle ``{"meta_archs": [15,625 strings], "total_archs",
  "arch2infos": {index: {hp: ArchResults}}, "evaluated_indexes"}``;
* ``fast_mode`` directory: ``meta.pickle.pbz2`` (the same without results) and one
  ``{index:06d}.pickle.pbz2`` per cell holding ``{hp: ArchResults}``.

An ArchResults is ``{"arch_index", "arch_str", "all_results": {(dataset, seed): ResultsCount},
"dataset_seed": {dataset: [seeds]}, ...}`` and a ResultsCount holds ``epochs``, ``seed`` (text
like ``"0777"``), ``train_losses`` / ``train_acc1es`` / ``train_acc5es`` / ``train_times``
({epoch: value}), ``eval_names`` and ``eval_losses`` / ``eval_acc1es`` / ``eval_times``
({"<split>@<epoch>": value}), ``params`` (M), ``flop`` (M) and ``latency`` (list of seconds).

Mapping into the table (kept recognisable, documented in the manifest):

* hp ``"less"`` / ``"12"`` -> ``"12"``, ``"full"`` / ``"200"`` -> ``"200"``; seeds as integers
  (``"0777"`` -> 777), as they are in the file;
* eval split ``"ori-test"`` -> ``"test"`` (the original test set), ``"x-valid"`` and ``"x-test"``
  unchanged. So cifar10-valid has ``x-valid_*`` (its 25k validation half) and ``test_*``;
  cifar10 has ``test_*``; cifar100 / ImageNet16-120 have ``x-valid_*``, ``x-test_*`` (halves of
  the test set) and ``test_*`` (the whole test set);
* metrics ``train_loss``, ``train_acc``, ``train_acc5``, ``train_time`` and ``<split>_loss``,
  ``<split>_acc``, ``<split>_time``; an epoch the file does not record (e.g. ori-test before epoch
  199 of 200-epoch runs, train_acc5 of 200-epoch runs) is null;
* costs ``params_m`` = params, ``flops_m`` = flop, ``latency_s`` = mean of the recorded latencies
  (null when none or negative), ``train_time_s`` = sum of the per-epoch train times.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import TableFormatError
from surrogate_nb.space import Arch
from surrogate_nb.table._format import MAX_EPOCHS, manifest_digest, sha256_file, write_table
from surrogate_nb.table.importers._safe_pickle import safe_load_pickle

HP_NAMES = {"less": "12", "12": "12", "full": "200", "200": "200"}
#: NATS eval split -> table split name.
SPLIT_NAMES = {"ori-test": "test", "x-valid": "x-valid", "x-test": "x-test"}
#: Eval splits each NATS dataset setting records (table names).
KNOWN_SPLITS = {
    "cifar10-valid": ("x-valid", "test"),
    "cifar10": ("test",),
    "cifar100": ("x-valid", "x-test", "test"),
    "ImageNet16-120": ("x-valid", "x-test", "test"),
}
TRAIN_METRICS = ("train_loss", "train_acc", "train_acc5", "train_time")
_CELL_FILE = re.compile(r"^(\d{6})\.pickle(\.pbz2)?$")


def split_name(nats_split: str) -> str:
    """Table split name of a NATS eval split name."""
    return SPLIT_NAMES.get(nats_split, nats_split)


def _series(values: Mapping | None, T: int) -> np.ndarray:
    out = np.full(T, np.nan, np.float32)
    if values:
        for k, v in values.items():
            e = int(k)
            if 0 <= e < T and v is not None:
                out[e] = float(v)
    return out


def _metrics_for(dataset: str, eval_names: list[str]) -> list[str]:
    splits = KNOWN_SPLITS.get(dataset) or tuple(split_name(n) for n in eval_names)
    return [*TRAIN_METRICS] + [f"{s}_{k}" for s in splits for k in ("loss", "acc", "time")]


def result_to_trial(
    index: int, hp: str, dataset: str, seed: int, res: Mapping[str, Any]
) -> dict[str, Any]:
    """One ResultsCount dict -> a TrialRecord dict."""
    T = int(res["epochs"])
    if not 1 <= T <= MAX_EPOCHS:  # refuse before allocating T-long curves
        raise TableFormatError(
            f"cell {index} ({dataset}, hp {hp}, seed {seed}): {T} epochs is outside "
            f"1..{MAX_EPOCHS}; not a NATS-Bench record"
        )
    eval_names = list(res.get("eval_names") or [])
    curves = {
        "train_loss": _series(res.get("train_losses"), T),
        "train_acc": _series(res.get("train_acc1es"), T),
        "train_acc5": _series(res.get("train_acc5es"), T),
        "train_time": _series(res.get("train_times"), T),
    }
    for m in _metrics_for(dataset, eval_names)[len(TRAIN_METRICS) :]:
        curves[m] = np.full(T, np.nan, np.float32)
    for key_name, suffix in (
        ("eval_losses", "loss"),
        ("eval_acc1es", "acc"),
        ("eval_times", "time"),
    ):
        for key, v in (res.get(key_name) or {}).items():
            name, _, epoch = str(key).rpartition("@")
            e = int(epoch)
            metric = f"{split_name(name)}_{suffix}"
            if metric not in curves:
                curves[metric] = np.full(T, np.nan, np.float32)
            if 0 <= e < T and v is not None:
                curves[metric][e] = float(v)
    lat = [float(x) for x in (res.get("latency") or []) if x is not None]
    latency = float(np.mean(lat)) if lat and np.mean(lat) > 0 else None
    times = res.get("train_times")
    return {
        "arch_index": int(index),
        "dataset": dataset,
        "hp": hp,
        "seed": int(seed),
        "epochs": T,
        "status": "ok",
        "params_m": None if res.get("params") is None else float(res["params"]),
        "flops_m": None if res.get("flop") is None else float(res["flop"]),
        "latency_s": latency,
        "train_time_s": float(sum(float(v) for v in times.values())) if times else None,
        "curves": curves,
    }


def arch_results_to_trials(
    index: int, per_hp: Mapping[str, Any], meta_arch: str | None = None
) -> Iterator[dict[str, Any]]:
    """Trials of one cell from ``{hp: ArchResults}`` (NATS ``'12'``/``'200'``, NB201 less/full)."""
    expected = str(Arch.from_index(int(index)))
    for hp_key, ar in per_hp.items():
        hp = HP_NAMES.get(str(hp_key))
        if hp is None:
            raise TableFormatError(
                f"cell {index}: unknown hp key {hp_key!r}; expected one of {sorted(HP_NAMES)}"
            )
        arch_str = ar.get("arch_str") or meta_arch
        if arch_str is not None and arch_str != expected:
            raise TableFormatError(
                f"cell {index}: record holds arch {arch_str!r} but NB201 index {index} is "
                f"{expected!r}; the file does not use the official index"
            )
        for (dataset, seed_key), res in ar["all_results"].items():
            seed = int(res.get("seed", seed_key)) if res.get("seed") is not None else int(seed_key)
            yield result_to_trial(int(index), hp, str(dataset), seed, res)


def _cell_files(directory: Path) -> list[tuple[int, Path]]:
    out = []
    for p in directory.iterdir():
        m = _CELL_FILE.match(p.name)
        if m:
            out.append((int(m.group(1)), p))
    return sorted(out)


def _manifest(source: Path, kind: str, command: str, meta: Mapping | None, n: int) -> dict:
    info: dict[str, Any] = {
        "format": kind,
        "source": source.name,
        "hp_map": {"less": "12", "full": "200"},
        "split_map": dict(SPLIT_NAMES),
        "seeds": "kept as recorded ('0777' -> 777)",
        "cells_imported": n,
    }
    if source.is_file():
        info["source_sha256"] = sha256_file(source)
    if meta is not None:
        info["total_archs"] = meta.get("total_archs")
    return {
        "command": command or f"snb import {source}",
        "protocol": {
            "source": "NATS-Bench tss / NAS-Bench-201 (Dong et al.)",
            "hp": {"12": "12-epoch schedule", "200": "200-epoch schedule"},
        },
        "datasets": {d: {"splits": list(s)} for d, s in KNOWN_SPLITS.items()},
        "import": info,
    }


def import_nats(
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    command: str = "",
    cells: list[int] | None = None,
) -> Path:
    """Convert a NATS-Bench ``tss`` archive (full pickle or fast_mode directory) into a table.

    Args:
        source: ``NATS-tss-v1_0-3ffb9-full`` style pickle (``.pickle.pbz2`` / ``.pickle``) or a
            ``fast_mode`` directory (``meta.pickle.pbz2`` + ``000000.pickle.pbz2`` ...).
        out: the table directory to write (replaced atomically).
        command: producing command line for the manifest.
        cells: import only these indices (default: all found).

    Raises:
        UnsafePickleError: a pickle references a type outside the allow-list.
        TableFormatError: unexpected structure.
    """
    src = Path(source)
    counter = {"n": 0}
    wanted = None if cells is None else set(int(c) for c in cells)
    if src.is_dir():
        files = _cell_files(src)
        if not files:
            raise TableFormatError(
                f"{src}: no per-cell files (000000.pickle.pbz2, ...); not a "
                "NATS-Bench fast_mode directory"
            )
        meta_path = src / "meta.pickle.pbz2"
        meta = safe_load_pickle(meta_path) if meta_path.is_file() else None
        metas = (meta or {}).get("meta_archs")

        def trials():
            for index, path in files:
                if wanted is not None and index not in wanted:
                    continue
                per_hp = safe_load_pickle(path)
                counter["n"] += 1
                yield from arch_results_to_trials(index, per_hp, metas[index] if metas else None)

        kind = "nats-tss fast_mode directory"
    else:
        meta = safe_load_pickle(src)
        if not isinstance(meta, dict) or "arch2infos" not in meta:
            raise TableFormatError(f"{src}: not a NATS-Bench tss archive (no 'arch2infos')")
        metas = meta.get("meta_archs")

        def trials():
            for index in sorted(meta["arch2infos"] or {}):
                if wanted is not None and int(index) not in wanted:
                    continue
                counter["n"] += 1
                yield from arch_results_to_trials(
                    int(index), meta["arch2infos"][index], metas[int(index)] if metas else None
                )

        kind = "nats-tss full archive"
    manifest = _manifest(src, kind, command, meta, 0)
    result = write_table(out, trials(), manifest=manifest)
    _patch_count(result, counter["n"])
    return result


def _patch_count(root: Path, n: int) -> None:
    """Record how many cells were imported (known only after the stream) in the manifest.

    Updated in place (atomically: temp file + rename), with its ``manifest_sha256`` renewed.
    """
    import json

    mpath = root / "manifest.json"
    manifest = json.loads(mpath.read_text())
    manifest["import"]["cells_imported"] = n
    manifest["manifest_sha256"] = manifest_digest(manifest)
    tmp = mpath.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, mpath)
