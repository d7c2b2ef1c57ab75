"""The on-disk table format: a directory of Parquet files plus ``manifest.json``.

Layout of a table directory::

    manifest.json                      # schema_version, space, files + sha256, settings, producer
    data/<dataset>__hp<hp>.parquet     # one file per (dataset setting, hp), zstd-compressed

Each Parquet file holds one row per trial, sorted by ``(arch_index, seed)``:

* ``arch_index`` int32 (the cell's index in its space; int64 for a space of 2^31 cells or
  more, e.g. DARTS' ranks), ``seed`` int64, ``status`` string ("ok" |
  "diverged");
* per-trial costs ``params_m``, ``flops_m`` (millions), ``latency_s``, ``train_time_s`` (total
  seconds), float64, null when not recorded;
* one ``fixed_size_list<float32>[T]`` column per curve metric (T = epochs of that hp). A value that
  was not recorded is an explicit null, never a copy of another seed or epoch.

Writes are crash-safe (`surrogate_nb._atomic`): everything is written into a hidden sibling
directory, then swapped in; a crash at any point leaves the old or the new complete table at the
path (a reader or the next writer restores the old one if a writer died between its renames).

Integrity, on by default:

* ``manifest.json`` is validated against its schema (types, ranges, relative paths inside the
  table, every data file listed, present and referenced) and carries ``manifest_sha256``, the
  sha256 of its own canonical JSON without that key (`manifest_digest`): an edited manifest is
  refused.
* each data file's sha256 is checked against the manifest the first time a process reads it
  (`check_file`, remembered per file identity, so later reads cost nothing); Parquet page
  checksums are also written and verified. Opt out with ``Benchmark.open(path, checksums=False)``
  or ``SNB_CHECKSUMS=off`` in the environment (sizes and the manifest are still checked).
* ``verify=True`` (``snb info --verify``) checks every file at open.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence, Sized
from pathlib import Path
from typing import Any, TypeGuard, cast

import numpy as np

from surrogate_nb import _atomic
from surrogate_nb._provenance import git_commit as git_commit  # re-exported (older callers)
from surrogate_nb._provenance import software_info
from surrogate_nb.errors import TableFormatError
from surrogate_nb.space import DEFAULT_SPACE, SearchSpace, as_space
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
#: Largest curve length (epochs) and number of seeds a setting may declare.
MAX_EPOCHS = 10_000
MAX_SEEDS = 10_000
#: Most (dataset, hp) settings, so data files, one table holds (NB201 has 4 x 2, NATS 3 x 2).
MAX_SETTINGS = 256
#: Environment variable that turns the first-read sha256 check off ("off" / "0").
CHECKSUMS_ENV = "SNB_CHECKSUMS"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


#: Parquet schema metadata key holding the file's own (dataset, hp) (`setting_tag`).
SETTING_KEY = b"surrogate_nb.setting"


def setting_tag(dataset: str, hp: str) -> bytes:
    """The value stored under `SETTING_KEY` in a data file of (dataset, hp)."""
    return json.dumps([dataset, hp]).encode()


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


# ---- integrity -------------------------------------------------------------------------------


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of a manifest minus its checksum."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def checksums_enabled() -> bool:
    """False when ``SNB_CHECKSUMS`` is "off" / "0" / "false" / "no" (the first-read opt-out)."""
    return os.environ.get(CHECKSUMS_ENV, "on").strip().lower() not in ("off", "0", "false", "no")


#: Files whose sha256 matched in this process: (path, size, mtime_ns, inode) -> sha256.
_VERIFIED: dict[tuple[str, int, int, int], str] = {}


def check_file(path: Path, sha256: str, rel: str | None = None) -> None:
    """Check a data file against its manifest sha256, once per file identity and process.

    Raises:
        TableFormatError: the file's bytes differ from what the table's writer produced.
    """
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    if _VERIFIED.get(key) == sha256:
        return
    if sha256_file(path) != sha256:
        raise TableFormatError(
            f"table file {rel or path} fails its sha256 checksum: the file is damaged "
            "(its values cannot be trusted); check the table with `snb info TABLE --verify` and "
            "re-import or rebuild it"
        )
    _VERIFIED[key] = sha256


def _is_table(path: Path) -> bool:
    return _atomic.kind_of(path) == "table"


def _fail(mpath: Path, what: str) -> TableFormatError:
    return TableFormatError(f"{mpath}: {what}; the table is corrupt")


def _is_int(v: object) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


def _inside(rel: Any) -> bool:
    """A relative POSIX path below ``data/`` naming a Parquet file, without ``..``."""
    if not isinstance(rel, str) or "\\" in rel or rel.startswith("/") or ":" in rel:
        return False
    parts = rel.split("/")
    return (
        len(parts) == 2
        and parts[0] == DATA_DIR
        and parts[1].endswith(".parquet")
        and parts[1] not in ("", ".", "..")
        and not parts[1].startswith(".")
    )


def _cross_check(mpath: Path, where: str, s: Mapping[str, Any], info: Mapping[str, Any]) -> None:
    """The redundant fields of one setting agree: its file's ``dataset`` / ``hp`` and name, the
    ``epoch_values`` length, the ``cells`` count and the ``costs_recorded`` names."""
    for k in ("dataset", "hp"):
        if k in info and info[k] != s[k]:
            raise _fail(
                mpath,
                f"{where} is ({s['dataset']}, hp {s['hp']}) but its file {s['file']} is listed "
                f"for {k} {info[k]!r}",
            )
    expected = f"{DATA_DIR}/{file_name(s['dataset'], s['hp'])}"
    if s["file"] != expected:
        raise _fail(
            mpath, f"{where} ({s['dataset']}, hp {s['hp']}) points at {s['file']}, not {expected}"
        )
    ev = s.get("epoch_values")
    if ev is not None and (
        not isinstance(ev, list) or len(ev) != s.get("epochs") or not all(_is_int(e) for e in ev)
    ):
        raise _fail(mpath, f"{where}.epoch_values must list one integer epoch per curve position")
    cells = s.get("cells")
    if cells is not None and (not _is_int(cells) or not 0 <= cells <= s.get("rows", 0)):
        raise _fail(mpath, f"{where}.cells must be an integer in 0..rows, got {cells!r}")
    costs = s.get("costs_recorded")
    if costs is not None and (not isinstance(costs, list) or not set(costs) <= set(COST_COLUMNS)):
        raise _fail(mpath, f"{where}.costs_recorded must name cost columns {COST_COLUMNS}")


def validate_manifest(manifest: Mapping[str, Any], root: Path) -> None:
    """Check a table manifest's schema; raise `TableFormatError` naming the first bad entry.

    Rules: ``files`` is a non-empty object of ``data/<name>.parquet`` -> {``sha256`` (64 hex),
    ``bytes`` (int >= 0)}, each present on disk, and every ``*.parquet`` under ``data/`` is
    listed; ``settings`` is a non-empty list of {``dataset`` (text), ``hp`` (text), ``file`` (a
    listed file), ``epochs`` (1..`MAX_EPOCHS`), ``seeds`` (distinct ints, 1..`MAX_SEEDS` of them),
    ``metrics`` (distinct texts), ``rows`` (int >= 0)}; each file belongs to exactly one setting
    and each (dataset, hp) appears once.
    """
    mpath = root / MANIFEST
    if not isinstance(manifest.get("space", "nb201"), str):
        raise _fail(mpath, f"space must be text, got {manifest.get('space')!r}")
    files = manifest.get("files")
    settings = manifest.get("settings")
    if not isinstance(files, dict) or not files:
        raise _fail(mpath, "'files' must be a non-empty object (data file -> sha256, bytes)")
    if not isinstance(settings, list) or not settings:
        raise _fail(mpath, "'settings' must be a non-empty list")
    for rel, info in files.items():
        if not _inside(rel):
            raise _fail(mpath, f"file entry {rel!r} is not a relative data/<name>.parquet path")
        if not isinstance(info, dict):
            raise _fail(mpath, f"file entry {rel!r} must be an object")
        if not isinstance(info.get("sha256"), str) or not _HEX64.match(info["sha256"]):
            raise _fail(mpath, f"file {rel}: sha256 must be 64 hex digits")
        if not _is_int(info.get("bytes")) or info["bytes"] < 0:
            raise _fail(mpath, f"file {rel}: bytes must be an integer >= 0")
        if not (root / rel).is_file():
            raise TableFormatError(f"table file {rel} listed in {mpath} is missing")
    data = root / DATA_DIR
    on_disk = {f"{DATA_DIR}/{p.name}" for p in data.glob("*.parquet")} if data.is_dir() else set()
    unlisted = sorted(on_disk - set(files))
    if unlisted:
        raise _fail(mpath, f"data file {unlisted[0]} is not listed in 'files'")
    used: set[str] = set()
    keys: set[tuple[str, str]] = set()
    for i, s in enumerate(settings):
        where = f"settings[{i}]"
        if not isinstance(s, dict):
            raise _fail(mpath, f"{where} must be an object")
        for k in ("dataset", "hp"):
            if not isinstance(s.get(k), str) or not s[k]:
                raise _fail(mpath, f"{where}.{k} must be non-empty text, got {s.get(k)!r}")
        if s.get("file") not in files:
            raise _fail(mpath, f"{where}.file {s.get('file')!r} is not one of the listed files")
        if s["file"] in used:
            raise _fail(mpath, f"{where}.file {s['file']} is used by two settings")
        used.add(s["file"])
        if (s["dataset"], s["hp"]) in keys:
            raise _fail(mpath, f"{where}: ({s['dataset']}, hp {s['hp']}) appears twice")
        keys.add((s["dataset"], s["hp"]))
        T = s.get("epochs")
        if not _is_int(T) or not 1 <= T <= MAX_EPOCHS:
            raise _fail(mpath, f"{where}.epochs must be an integer in 1..{MAX_EPOCHS}, got {T!r}")
        seeds = s.get("seeds")
        if (
            not isinstance(seeds, list)
            or not 1 <= len(seeds) <= MAX_SEEDS
            or not all(_is_int(x) for x in seeds)
            or len(set(seeds)) != len(seeds)
            or seeds != sorted(seeds)
        ):
            raise _fail(mpath, f"{where}.seeds must be a sorted list of distinct integers")
        metrics = s.get("metrics")
        if (
            not isinstance(metrics, list)
            or not all(isinstance(x, str) and x for x in metrics)
            or len(set(metrics)) != len(metrics)
            or set(metrics) & set(COST_COLUMNS)
        ):
            raise _fail(mpath, f"{where}.metrics must be a list of distinct metric names")
        if not _is_int(s.get("rows")) or s["rows"] < 0:
            raise _fail(mpath, f"{where}.rows must be an integer >= 0")
        rec = s.get("recorded", {})
        if not isinstance(rec, dict) or not all(
            k in metrics and isinstance(v, str) and re.fullmatch(r"[0-9,\-]*", v)
            for k, v in rec.items()
        ):
            raise _fail(mpath, f"{where}.recorded must map metrics to epoch ranges")
        _cross_check(mpath, where, s, files[s["file"]])
    unused = sorted(set(files) - used)
    if unused:
        raise _fail(mpath, f"file {unused[0]} belongs to no setting")


def seal_manifest(path: str | os.PathLike) -> None:
    """(Re)write ``manifest_sha256`` of a table after checking every data file's sha256.

    For tables written before manifests carried a checksum; refuses a table whose data files do
    not match their recorded sha256.
    """
    root = Path(path)
    mpath = root / MANIFEST
    manifest = json.loads(mpath.read_text())
    validate_manifest(manifest, root)
    for rel, info in manifest["files"].items():
        check_file(root / rel, info["sha256"], rel)
    manifest["manifest_sha256"] = manifest_digest(manifest)
    tmp = mpath.with_name(f".{MANIFEST}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, mpath)


# ---- reading the manifest ---------------------------------------------------------------------


def read_manifest(path: str | os.PathLike, *, verify: bool = False) -> dict[str, Any]:
    """Read and check ``manifest.json`` of a table directory.

    Args:
        path: the table directory.
        verify: also recompute every file's sha256 (reads all data); otherwise only sizes
            (the data files are then checked when first read, see `check_file`).

    Returns:
        The manifest as a dict.

    Raises:
        TableFormatError: no manifest, unreadable JSON, newer schema, manifest checksum or
            schema broken, missing file, wrong size or (with ``verify``) wrong checksum; the
            message names the file.
    """
    root = Path(path)
    mpath = root / MANIFEST
    if not root.is_dir():
        _atomic.recover(root, _is_table)
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
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except RecursionError:
        raise TableFormatError(f"{mpath}: JSON nested too deeply; the table is corrupt") from None
    except UnicodeDecodeError as exc:
        raise TableFormatError(
            f"{mpath} is not UTF-8 text (byte {exc.start}); the table is corrupt"
        ) from None
    except (OSError, ValueError) as exc:
        raise TableFormatError(f"{mpath} is not valid JSON ({exc}); the table is corrupt") from exc
    if not isinstance(manifest, dict):
        raise TableFormatError(f"{mpath} is not a JSON object; the table is corrupt")
    version = manifest.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise TableFormatError(f"{mpath} has no integer schema_version (got {version!r})")
    if version > SCHEMA_VERSION:
        raise TableFormatError(
            f"{root} uses table schema_version {version}, newer than the {SCHEMA_VERSION} this "
            "surrogate-nb supports; upgrade surrogate-nb (pip install -U surrogate-nb)"
        )
    digest = manifest.get("manifest_sha256")
    if not isinstance(digest, str):
        raise TableFormatError(
            f"{mpath} has no manifest_sha256 (it was edited, or written before surrogate-nb "
            "checked manifests): re-import or rebuild the table, or seal it after checking its "
            "data with surrogate_nb.table._format.seal_manifest"
        )
    if digest != manifest_digest(manifest):
        raise TableFormatError(
            f"{mpath} fails its manifest_sha256 checksum: the manifest was edited or damaged "
            "(its epochs, seeds, files or settings can no longer be trusted)"
        )
    validate_manifest(manifest, root)
    files = manifest["files"]
    for rel, info in files.items():
        fpath = root / rel
        size = fpath.stat().st_size
        if size != info["bytes"]:
            raise TableFormatError(
                f"table file {rel} has {size} bytes, the manifest says {info['bytes']}: "
                "the file is corrupt or was replaced"
            )
        if verify:
            check_file(fpath, info["sha256"], rel)
    return manifest


# ---- writing ------------------------------------------------------------------------------------


def _as_curve(values: object, T: int, where: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float32) if values is not None else None
    if arr is None:
        return np.full(T, np.nan, np.float32)
    if arr.shape != (T,):
        raise TableFormatError(f"{where}: curve has shape {arr.shape}, expected ({T},) (epochs)")
    return arr


def _opt_float(value: float | str | None) -> float:
    if value is None:
        return math.nan
    return float(value)


class _SettingBuffer:
    """Rows of one (dataset, hp), buffered then spilled to an uncompressed Parquet file."""

    def __init__(self, dataset: str, hp: str, T: int, spill: Path, n_cells: int) -> None:
        if not 1 <= T <= MAX_EPOCHS:
            raise TableFormatError(
                f"({dataset}, hp {hp}): {T} epochs is outside 1..{MAX_EPOCHS} (the most a table "
                "holds: a dense column takes cells x seeds x epochs x 4 bytes in memory)"
            )
        self.dataset, self.hp, self.T, self.spill = dataset, hp, T, spill
        self.n_cells = n_cells
        self.metrics: list[str] = []
        self.rows: list[tuple] = []
        self.curves: dict[str, list[np.ndarray]] = {}
        self.writer: Any = None  # a pyarrow ParquetWriter once rows are spilled
        self.schema: Any = None
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
            pa.array(np.asarray(cols[0], np.int32 if self.n_cells < 2**31 else np.int64)),
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
        recorded = {m: _ranges(_epochs_with_values(table.column(m), self.T)) for m in self.metrics}
        costs = [c for c in COST_COLUMNS if table.column(c).null_count < table.num_rows]
        # the file names its own setting: a reader refuses a file put under another setting
        meta = {**(table.schema.metadata or {}), SETTING_KEY: setting_tag(self.dataset, self.hp)}
        table = table.replace_schema_metadata(meta)
        # small row groups: a lazy one-column load reads a few MB at a time
        pq.write_table(
            table, out, compression="zstd", row_group_size=4096, write_page_checksum=True
        )
        self.spill.unlink()
        return {
            "dataset": self.dataset,
            "hp": self.hp,
            "rows": int(table.num_rows),
            "seeds": sorted(int(s) for s in np.unique(seed)),
            "epochs": self.T,
            "metrics": list(self.metrics),
            "cells": int(np.unique(idx).size),
            # what holds at least one value: epochs per curve metric ("0-199", "11", "" = none)
            # and the per-trial costs (`snb info` and `snb query` say what exists)
            "recorded": recorded,
            "costs_recorded": costs,
        }


def _epochs_with_values(column: Any, T: int) -> np.ndarray:
    """0-based epochs at which at least one row of a fixed-size-list column holds a value."""
    import pyarrow as pa

    seen = np.zeros(T, bool)
    for chunk in column.chunks:
        if len(chunk) == 0:
            continue
        child = chunk.values.slice(chunk.offset * T, len(chunk) * T)
        valid = np.asarray(child.is_valid().to_numpy(zero_copy_only=False), bool)
        valid = valid.reshape(len(chunk), T)
        if chunk.null_count:
            valid &= np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), bool)[:, None]
        if isinstance(child, pa.FloatingPointArray):
            vals = np.asarray(child.to_numpy(zero_copy_only=False), np.float64).reshape(-1, T)
            valid &= ~np.isnan(vals)
        seen |= valid.any(axis=0)
    return np.flatnonzero(seen)


def _ranges(epochs: np.ndarray) -> str:
    """Compact text of sorted ints: [0, 1, 2, 5] -> "0-2,5"; [] -> ""."""
    parts: list[str] = []
    e = [int(x) for x in epochs]
    i = 0
    while i < len(e):
        j = i
        while j + 1 < len(e) and e[j + 1] == e[j] + 1:
            j += 1
        parts.append(str(e[i]) if i == j else f"{e[i]}-{e[j]}")
        i = j + 1
    return ",".join(parts)


def parse_ranges(text: str) -> list[int]:
    """Inverse of the compact epoch text stored under ``recorded`` ("0-2,5" -> [0, 1, 2, 5])."""
    out: list[int] = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


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
    space: SearchSpace | str = DEFAULT_SPACE,
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
        space: the search space of the cells (or its registered name); the manifest stores its
            name.
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
    sp = as_space(space)
    n_cells = sp.cardinality
    root = Path(path)
    root.parent.mkdir(parents=True, exist_ok=True)
    extra = json.loads(json.dumps(dict(manifest), default=_jsonable))
    with _atomic.writer_lock(root):
        _atomic.check_output(root, "table")
        _atomic.recover(root, _is_table)
        _atomic.clean_stale(root)
        tmp = _atomic.staging_dir(root)
        _write_into(tmp, root, trials, extra, sp.name, n_cells, epoch_values)
    return root


def _write_into(
    tmp: Path,
    root: Path,
    trials: Iterable[TrialRecord],
    extra: dict[str, Any],
    space: str,
    n_cells: int,
    epoch_values: Mapping[tuple[str, str], Sequence[int]] | None,
) -> None:
    """The body of `write_table`: write the table into ``tmp``, then swap it in at ``root``."""
    try:
        (tmp / DATA_DIR).mkdir()
        buffers: dict[tuple[str, str], _SettingBuffer] = {}
        for trial in trials:
            key = (str(trial["dataset"]), str(trial["hp"]))
            buf = buffers.get(key)
            if buf is None:
                if len(buffers) >= MAX_SETTINGS:
                    raise TableFormatError(
                        f"more than {MAX_SETTINGS} (dataset, hp) settings (one data file each; "
                        f"the {MAX_SETTINGS + 1}th is {key}): a table holds at most {MAX_SETTINGS}"
                    )
                first = next(iter(trial["curves"].values()))
                T = int(trial.get("epochs") or len(cast(Sized, first)))
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
        full = json.loads(json.dumps(full, default=_jsonable))  # the form a reader sees
        full["manifest_sha256"] = manifest_digest(full)
        with open(tmp / MANIFEST, "w") as fh:
            json.dump(full, fh, indent=1, sort_keys=False)
            fh.flush()
            os.fsync(fh.fileno())
        _atomic.commit(tmp, root, replaceable=_is_table, what="surrogate-nb table")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
