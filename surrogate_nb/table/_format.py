"""The on-disk table format: a directory of Parquet files plus ``manifest.json``.

Layout of a table directory::

    manifest.json                      # schema_version, space, files + sha256, settings, producer
    data/<dataset>__hp<hp>.parquet     # one file per (dataset setting, hp), zstd-compressed

Each Parquet file holds one row per trial, sorted by ``(arch_index, seed)``:

* ``arch_index`` int32 (official NB201 index), ``seed`` int64, ``status`` string ("ok" |
  "diverged");
* per-trial costs ``params_m``, ``flops_m`` (millions), ``latency_s``, ``train_time_s`` (total
  seconds), float64, null when not recorded;
* one ``fixed_size_list<float32>[T]`` column per curve metric (T = epochs of that hp). A value that
  was not recorded is an explicit null, never a copy of another seed or epoch.

Writes are atomic: everything is written into a temporary sibling directory, then swapped in with
``os.replace``; a crash mid-write leaves the previous table as it was.

Verification on open: the manifest must parse, its ``schema_version`` must not exceed
`SCHEMA_VERSION`, and every listed file must exist with the recorded size (cheap, keeps open well
under a second). The full sha256 check reads every byte; it runs with ``verify=True``
(``snb info --verify``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb._provenance import git_commit as git_commit  # re-exported (older callers)
from surrogate_nb._provenance import software_info
from surrogate_nb.errors import TableFormatError
from surrogate_nb.space import get_space
from surrogate_nb.table._types import TrialRecord

#: Version of the layout described above; readers refuse newer versions.
SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
DATA_DIR = "data"
#: Per-trial scalar cost columns (float64), in file order.
COST_COLUMNS: tuple[str, ...] = ("params_m", "flops_m", "latency_s", "train_time_s")
#: Trial statuses a table may hold.
STATUSES: tuple[str, ...] = ("ok", "diverged")
_ROWS_PER_SPILL = 4096


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_name(dataset: str, hp: str) -> str:
    """Parquet file name (inside ``data/``) of one (dataset, hp) setting."""
    slug = re.sub(r"[^A-Za-z0-9.\-]+", "_", f"{dataset}__hp{hp}")
    return f"{slug}.parquet"


# ---- reading the manifest ---------------------------------------------------------------------


def read_manifest(path: str | os.PathLike, *, verify: bool = False) -> dict[str, Any]:
    """Read and check ``manifest.json`` of a table directory.

    Args:
        path: the table directory.
        verify: also recompute every file's sha256 (reads all data); otherwise only sizes.

    Returns:
        The manifest as a dict.

    Raises:
        TableFormatError: no manifest, unreadable JSON, newer schema, missing file, wrong size or
            (with ``verify``) wrong checksum; the message names the file.
    """
    root = Path(path)
    mpath = root / MANIFEST
    if not root.is_dir():
        raise TableFormatError(
            f"no table at {root}: not a directory (expected a table directory "
            f"with {MANIFEST} and {DATA_DIR}/*.parquet)"
        )
    if not mpath.is_file():
        raise TableFormatError(
            f"{mpath} is missing: {root} is not a surrogate-nb table (import one with `snb import`)"
        )
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise TableFormatError(f"{mpath} is not valid JSON ({exc}); the table is corrupt") from exc
    version = manifest.get("schema_version")
    if not isinstance(version, int):
        raise TableFormatError(f"{mpath} has no integer schema_version (got {version!r})")
    if version > SCHEMA_VERSION:
        raise TableFormatError(
            f"{root} uses table schema_version {version}, newer than the {SCHEMA_VERSION} this "
            "surrogate-nb supports; upgrade surrogate-nb (pip install -U surrogate-nb)"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or not isinstance(manifest.get("settings"), list):
        raise TableFormatError(f"{mpath} lacks the 'files' / 'settings' entries; table corrupt")
    for rel, info in files.items():
        fpath = root / rel
        if not fpath.is_file():
            raise TableFormatError(f"table file {rel} listed in {mpath} is missing")
        size = fpath.stat().st_size
        if size != info.get("bytes"):
            raise TableFormatError(
                f"table file {rel} has {size} bytes, the manifest says {info.get('bytes')}: "
                "the file is corrupt or was replaced"
            )
        if verify and sha256_file(fpath) != info.get("sha256"):
            raise TableFormatError(
                f"table file {rel} fails its sha256 checksum: the file is corrupt"
            )
    return manifest


# ---- writing ------------------------------------------------------------------------------------


def _as_curve(values: object, T: int, where: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float32) if values is not None else None
    if arr is None:
        return np.full(T, np.nan, np.float32)
    if arr.shape != (T,):
        raise TableFormatError(f"{where}: curve has shape {arr.shape}, expected ({T},) (epochs)")
    return arr


def _opt_float(value: object) -> float:
    if value is None:
        return math.nan
    return float(value)


class _SettingBuffer:
    """Rows of one (dataset, hp), buffered then spilled to an uncompressed Parquet file."""

    def __init__(self, dataset: str, hp: str, T: int, spill: Path, n_cells: int) -> None:
        self.dataset, self.hp, self.T, self.spill = dataset, hp, T, spill
        self.n_cells = n_cells
        self.metrics: list[str] = []
        self.rows: list[tuple] = []
        self.curves: dict[str, list[np.ndarray]] = {}
        self.writer = None
        self.schema = None
        self.n = 0

    def add(self, trial: Mapping[str, Any]) -> None:
        T = self.T
        where = f"trial arch {trial.get('arch_index')} seed {trial.get('seed')} ({self.dataset}, "
        where += f"hp {self.hp})"
        if int(trial.get("epochs", T)) != T:
            raise TableFormatError(
                f"{where}: epochs {trial['epochs']} differs from {T} used by "
                "earlier trials of this (dataset, hp)"
            )
        curves = trial.get("curves") or {}
        if not self.metrics and self.n == 0 and not self.rows:
            self.metrics = sorted(curves)
            self.curves = {m: [] for m in self.metrics}
        unknown = set(curves) - set(self.metrics)
        if unknown:
            if self.writer is not None:
                raise TableFormatError(
                    f"{where}: metrics {sorted(unknown)} appear after rows "
                    "without them were written; give every trial the same "
                    "curve names (None for unrecorded)"
                )
            for m in sorted(unknown):
                self.curves[m] = [np.full(T, np.nan, np.float32)] * len(self.rows)
                self.metrics.append(m)
        status = str(trial.get("status", "ok"))
        if status not in STATUSES:
            raise TableFormatError(f"{where}: status {status!r} not one of {STATUSES}")
        index = int(trial["arch_index"])
        if not 0 <= index < self.n_cells:
            raise TableFormatError(f"{where}: arch_index {index} outside 0..{self.n_cells - 1}")
        self.rows.append(
            (
                index,
                int(trial["seed"]),
                status,
                *tuple(_opt_float(trial.get(c)) for c in COST_COLUMNS),
            )
        )
        for m in self.metrics:
            self.curves[m].append(_as_curve(curves.get(m), T, f"{where} metric {m}"))
        if len(self.rows) >= _ROWS_PER_SPILL:
            self.flush()

    def _batch(self):
        import pyarrow as pa

        cols = list(zip(*self.rows))
        arrays = [
            pa.array(np.asarray(cols[0], np.int32)),
            pa.array(np.asarray(cols[1], np.int64)),
            pa.array(list(cols[2]), pa.string()),
        ]
        for j in range(len(COST_COLUMNS)):
            v = np.asarray(cols[3 + j], np.float64)
            arrays.append(pa.array(v, mask=np.isnan(v)))
        for m in self.metrics:
            flat = np.stack(self.curves[m]).reshape(-1)
            child = pa.array(flat, mask=np.isnan(flat))
            arrays.append(pa.FixedSizeListArray.from_arrays(child, self.T))
        names = ["arch_index", "seed", "status", *COST_COLUMNS, *self.metrics]
        return pa.RecordBatch.from_arrays(arrays, names=names)

    def flush(self) -> None:
        if not self.rows:
            return
        import pyarrow.parquet as pq

        batch = self._batch()
        if self.writer is None:
            self.schema = batch.schema
            self.writer = pq.ParquetWriter(self.spill, batch.schema, compression="none")
        self.writer.write_batch(batch)
        self.n += len(self.rows)
        self.rows = []
        self.curves = {m: [] for m in self.metrics}

    def finish(self, out: Path) -> dict[str, Any]:
        """Sort the spilled rows, check uniqueness, write the final zstd file; return its facts."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        self.flush()
        self.writer.close()
        table = pq.read_table(self.spill)
        order = pc.sort_indices(
            table, sort_keys=[("arch_index", "ascending"), ("seed", "ascending")]
        )
        table = table.take(order)
        idx = table.column("arch_index").to_numpy()
        seed = table.column("seed").to_numpy()
        dup = (idx[1:] == idx[:-1]) & (seed[1:] == seed[:-1])
        if dup.any():
            k = int(np.flatnonzero(dup)[0])
            raise TableFormatError(
                f"duplicate trial (arch_index {idx[k]}, seed {seed[k]}) in ({self.dataset}, hp "
                f"{self.hp}); each (arch, seed) may appear once"
            )
        # small row groups: a lazy one-column load reads a few MB at a time
        pq.write_table(table, out, compression="zstd", row_group_size=4096)
        self.spill.unlink()
        return {
            "dataset": self.dataset,
            "hp": self.hp,
            "rows": int(table.num_rows),
            "seeds": sorted(int(s) for s in np.unique(seed)),
            "epochs": self.T,
            "metrics": list(self.metrics),
            "cells": int(np.unique(idx).size),
        }


def _jsonable(obj: Any) -> Any:
    """Check early that the producer's manifest entries serialise (numpy scalars allowed)."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"manifest value {obj!r} of type {type(obj).__name__} is not JSON data")


def write_table(
    path: str | os.PathLike,
    trials: Iterable[TrialRecord],
    *,
    manifest: Mapping[str, Any],
    space: str = "nb201",
    epoch_values: Mapping[tuple[str, str], Sequence[int]] | None = None,
) -> Path:
    """Write a table directory atomically from trial records.

    Args:
        path: the table directory to create or replace.
        trials: `TrialRecord` dicts (``arch_index``, ``dataset``, ``hp``, ``seed``, ``epochs``,
            ``status``, ``params_m``, ``flops_m``, ``latency_s``, ``train_time_s`` and
            ``curves``: {metric: sequence of T floats, None for an unrecorded epoch}). Curves may
            be lists or numpy arrays. Every trial of one (dataset, hp) has the same T.
        manifest: the producer's facts (``protocol``, ``command``, ``datasets``, ...); the writer
            adds ``schema_version``, ``space``, ``files`` (sha256 + bytes), ``settings``,
            ``software`` and ``created``.
        space: the search space name stored in the manifest (cells are indices of it).
        epoch_values: optional {(dataset, hp): training epoch of each curve position} for
            settings whose curves are not one value per epoch (e.g. NB-101's halfway and final
            evaluations ``[54, 108]``); stored in the setting's manifest entry.

    Returns:
        The table directory.

    Raises:
        TableFormatError: inconsistent trials (T mismatch, duplicates, bad index or status) or
            no trials at all; the previous table at ``path`` is left untouched.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp()) / "t"
        >>> t = {"arch_index": 0, "dataset": "toy", "hp": "2", "seed": 0, "epochs": 2,
        ...      "status": "ok", "curves": {"valid_acc": [10.0, 20.0]}}
        >>> write_table(d, [t], manifest={"command": "doctest"}).name
        't'
    """
    n_cells = int(get_space(space).size)
    root = Path(path)
    root.parent.mkdir(parents=True, exist_ok=True)
    extra = json.loads(json.dumps(dict(manifest), default=_jsonable))
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.tmp-", dir=root.parent))
    try:
        (tmp / DATA_DIR).mkdir()
        buffers: dict[tuple[str, str], _SettingBuffer] = {}
        for trial in trials:
            key = (str(trial["dataset"]), str(trial["hp"]))
            buf = buffers.get(key)
            if buf is None:
                T = int(trial.get("epochs") or len(next(iter(trial["curves"].values()))))
                buf = _SettingBuffer(*key, T, tmp / f".spill-{len(buffers)}.parquet", n_cells)
                buffers[key] = buf
            buf.add(trial)
        if not buffers:
            raise TableFormatError("no trials to write: a table needs at least one trial")
        files: dict[str, Any] = {}
        settings = []
        for key in sorted(buffers):
            rel = f"{DATA_DIR}/{file_name(*key)}"
            if rel in files:
                raise TableFormatError(f"settings {key} collide on file name {rel}")
            facts = buffers[key].finish(tmp / rel)
            fpath = tmp / rel
            files[rel] = {
                "sha256": sha256_file(fpath),
                "bytes": fpath.stat().st_size,
                "dataset": key[0],
                "hp": key[1],
            }
            entry = {**facts, "file": rel}
            ev = (epoch_values or {}).get(key)
            if ev is not None:
                if len(ev) != facts["epochs"]:
                    raise TableFormatError(
                        f"epoch_values for {key} has {len(ev)} entries, curves have "
                        f"{facts['epochs']}"
                    )
                entry["epoch_values"] = [int(e) for e in ev]
            settings.append(entry)
        full = {
            **extra,
            "schema_version": SCHEMA_VERSION,
            "format": "surrogate-nb-table",
            "space": space,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "software": software_info(),
            "files": files,
            "settings": settings,
        }
        with open(tmp / MANIFEST, "w") as fh:
            json.dump(full, fh, indent=1, sort_keys=False)
            fh.flush()
            os.fsync(fh.fileno())
        _swap_in(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root


def _swap_in(tmp: Path, root: Path) -> None:
    """Replace ``root`` by ``tmp``: rename the old table aside, rename the new one in, drop old."""
    if not root.exists():
        os.replace(tmp, root)
        return
    if not (root / MANIFEST).is_file() and any(root.iterdir()):
        raise TableFormatError(
            f"{root} exists and is not a surrogate-nb table; refusing to "
            "replace it (choose another --out or remove it)"
        )
    old = root.parent / f".{root.name}.old-{os.getpid()}"
    os.replace(root, old)
    try:
        os.replace(tmp, root)
    except BaseException:
        os.replace(old, root)
        raise
    shutil.rmtree(old, ignore_errors=True)
