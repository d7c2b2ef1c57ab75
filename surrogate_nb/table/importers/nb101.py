"""NB-101 importers: the official TFRecord files and the column-wise JSON export, no TensorFlow.

**Official TFRecord** (``nasbench_only108.tfrecord``, ``nasbench_full.tfrecord``). Framing, per
record: ``uint64 length`` (little-endian), ``uint32 masked CRC-32C of the length bytes``, the
data, ``uint32 masked CRC-32C of the data``; masked = ``((crc >> 15) | (crc << 17)) +
0xa282ead8`` mod 2**32. Both checksums are verified (CRC-32C by ``google-crc32c``, a C
library). Each record is a UTF-8 JSON array ``[module_hash, epochs, adjacency (V*V '0'/'1'
chars), ops (comma-separated), base64 ModelMetrics]``; ``ModelMetrics`` is the official protobuf
(``nasbench/lib/model_metrics.proto``), decoded by the ``protobuf`` runtime from a descriptor built
in code below (the runtime is the reference decoder for the wire format; a descriptor in code
avoids shipping generated ``_pb2`` code tied to one protobuf release). Evaluation 1 is the halfway
point and evaluation 2 the end of training, as the official API reads them.

The table: dataset ``cifar10``, one setting per budget (hp ``4``, ``12``, ``36``, ``108``), two
curve positions (``epoch_values`` = [hp/2, hp]) of ``train_acc``, ``valid_acc``, ``test_acc``
(percent) and ``training_time`` (cumulative training seconds); per trial ``params_m`` and
``train_time_s``. NB-101 records no seeds: its three runs per cell become seeds 0, 1, 2 in file
order (the official API's repeat index), which the manifest states.

**Column JSON** (e.g. ``../shared/nb101/data-20k.json``): keys ``key`` (module hash),
``4_final_validation_accuracy`` ... ``108_...`` (fractions), ``final_training_time``,
``trainable_parameters``. One run per cell whose repeat is not recorded: it becomes the
pseudo-seed `UNKNOWN_RUN_SEED` (-2), never one of the repeats 0..2, and ``train_time_s`` is set for
hp 108 only (the file's time is the 108-epoch run's).

Both stream: the TFRecord is read record by record into dense per-budget arrays (peak memory
about 100 MB for the full space at one budget), with progress reported by bytes read.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import re
import struct
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import InvalidArchError, TableFormatError
from surrogate_nb.space.nb101 import BUDGETS, NB101, NUM_CELLS, Cell, from_padded
from surrogate_nb.space.nb101_cost import params_padded
from surrogate_nb.space.nb101_encodings import padded_arrays
from surrogate_nb.table._format import write_table
from surrogate_nb.table._types import TrialRecord

#: Seed of a run whose NB-101 repeat index is unknown (column JSON exports).
UNKNOWN_RUN_SEED = -2
#: Largest record accepted (official records are well under 1 KB).
MAX_RECORD_BYTES = 1 << 20
_MASK_DELTA = 0xA282EAD8
_REPEATS = 3
_PAD_CODES = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0)
_CURVES = ("train_acc", "valid_acc", "test_acc", "training_time")

Progress = Callable[[int, int], None]


# ---- TFRecord framing ---------------------------------------------------------------------------


def masked_crc32c(data: bytes) -> int:
    """The TFRecord checksum of ``data``."""
    import google_crc32c

    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def iter_tfrecord(path: str | os.PathLike, progress: Progress | None = None) -> Iterator[bytes]:
    """Records of a TFRecord file, both checksums verified.

    Raises:
        TableFormatError: truncated record, bad length or data CRC, oversized record; the
            message names the file and the record's byte offset.
    """
    path = Path(path)
    total = path.stat().st_size
    with open(path, "rb") as fh:
        offset = 0
        while True:
            header = fh.read(12)
            if not header:
                return
            if len(header) < 12:
                raise TableFormatError(f"{path}: truncated record header at byte {offset}")
            (length,) = struct.unpack("<Q", header[:8])
            (length_crc,) = struct.unpack("<I", header[8:])
            if masked_crc32c(header[:8]) != length_crc:
                raise TableFormatError(
                    f"{path}: record at byte {offset} fails its length CRC: the file is corrupt "
                    "or not a TFRecord file"
                )
            if length > MAX_RECORD_BYTES:
                raise TableFormatError(
                    f"{path}: record at byte {offset} claims {length} bytes (> {MAX_RECORD_BYTES})"
                )
            data = fh.read(length)
            footer = fh.read(4)
            if len(data) < length or len(footer) < 4:
                raise TableFormatError(
                    f"{path}: record at byte {offset} is truncated (file cut short?)"
                )
            if masked_crc32c(data) != struct.unpack("<I", footer)[0]:
                raise TableFormatError(f"{path}: record at byte {offset} fails its data CRC")
            offset += 16 + length
            if progress is not None:
                progress(offset, total)
            yield data


def write_tfrecord(path: str | os.PathLike, records: list[bytes]) -> None:
    """Write records with TFRecord framing (used to make test fixtures)."""
    with open(path, "wb") as fh:
        for data in records:
            header = struct.pack("<Q", len(data))
            fh.write(header + struct.pack("<I", masked_crc32c(header)))
            fh.write(data + struct.pack("<I", masked_crc32c(data)))


# ---- ModelMetrics protobuf ----------------------------------------------------------------------


def _model_metrics_class() -> Any:
    """The ``nasbench.ModelMetrics`` message class, from a descriptor built here."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(
        name="surrogate_nb_nasbench_model_metrics.proto", package="nasbench", syntax="proto2"
    )
    ev = fdp.message_type.add(name="EvaluationData")
    for number, name in enumerate(
        (
            "current_epoch",
            "training_time",
            "train_accuracy",
            "validation_accuracy",
            "test_accuracy",
        ),
        start=1,
    ):
        ev.field.add(name=name, number=number, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    ev.field.add(name="checkpoint_path", number=6, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    mm = fdp.message_type.add(name="ModelMetrics")
    mm.field.add(
        name="evaluation_data",
        number=1,
        type=F.TYPE_MESSAGE,
        type_name=".nasbench.EvaluationData",
        label=F.LABEL_REPEATED,
    )
    mm.field.add(name="trainable_parameters", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    mm.field.add(name="total_time", number=3, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("nasbench.ModelMetrics"))


def encode_record(
    module_hash: str,
    epochs: int,
    matrix: list[list[int]],
    ops: list[str],
    evaluations: list[dict[str, float]],
    trainable_parameters: int,
    total_time: float = 0.0,
) -> bytes:
    """One record in the official layout (used to make test fixtures)."""
    msg = _model_metrics_class()()
    for ev in evaluations:
        e = msg.evaluation_data.add()
        for k, v in ev.items():
            setattr(e, k, v)
    msg.trainable_parameters = trainable_parameters
    msg.total_time = total_time
    adjacency = "".join(str(int(x)) for row in matrix for x in row)
    raw = base64.b64encode(msg.SerializeToString()).decode()
    return json.dumps([module_hash, epochs, adjacency, ",".join(ops), raw]).encode()


# ---- importers ----------------------------------------------------------------------------------


class _Budget:
    """Dense arrays of one budget: (cells, repeats, 2 positions) per curve metric."""

    def __init__(self) -> None:
        self.curves = {m: np.full((NUM_CELLS, _REPEATS, 2), np.nan, np.float32) for m in _CURVES}
        self.final_time = np.full((NUM_CELLS, _REPEATS), np.nan, np.float64)
        self.filled = np.zeros(NUM_CELLS, np.int8)


def _decode(data: bytes, where: str, metrics_cls: Any) -> tuple[str, int, str, str, Any]:
    try:
        module_hash, epochs, adjacency, ops, raw = json.loads(data.decode("utf-8"))
        metrics = metrics_cls.FromString(base64.b64decode(raw, validate=True))
    except (UnicodeDecodeError, ValueError, TypeError, binascii.Error) as exc:
        raise TableFormatError(f"{where}: not an NB-101 record ({exc})") from None
    except Exception as exc:  # protobuf's DecodeError
        raise TableFormatError(f"{where}: bad ModelMetrics protobuf ({exc})") from None
    if len(metrics.evaluation_data) < 3:
        raise TableFormatError(
            f"{where}: ModelMetrics holds {len(metrics.evaluation_data)} evaluations, expected 3 "
            "(start, halfway, end)"
        )
    return str(module_hash), int(epochs), str(adjacency), str(ops), metrics


def _check_spec(module_hash: str, adjacency: str, ops: str, where: str) -> None:
    dim = round(len(adjacency) ** 0.5)
    if dim * dim != len(adjacency):
        raise TableFormatError(f"{where}: adjacency of {len(adjacency)} chars is not square")
    try:
        cell = Cell.from_spec(
            [[int(adjacency[r * dim + c]) for c in range(dim)] for r in range(dim)],
            ops.split(","),
        )
    except (InvalidArchError, ValueError) as exc:
        raise TableFormatError(f"{where}: invalid cell ({exc})") from None
    if cell.module_hash != module_hash:
        raise TableFormatError(
            f"{where}: record says hash {module_hash} but its graph hashes to {cell.module_hash}"
        )


def import_nb101_tfrecord(
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    command: str = "",
    progress: Progress | None = None,
    check_specs: int = 1000,
) -> Path:
    """Import an official NB-101 TFRecord file into a table (see module docstring).

    Args:
        source: ``nasbench_only108.tfrecord`` or ``nasbench_full.tfrecord``.
        out: table directory to write.
        progress: ``progress(bytes_read, total_bytes)``.
        check_specs: re-hash the graph of the first N records and compare with their hash.

    Raises:
        TableFormatError: framing, CRC, JSON, base64 or protobuf errors, a hash not in the
            space, more than 3 runs of one cell; nothing is written then.
    """
    source = Path(source)
    metrics_cls = _model_metrics_class()
    budgets: dict[int, _Budget] = {}
    params = np.full(NUM_CELLS, np.nan, np.float64)
    for n, data in enumerate(iter_tfrecord(source, progress)):
        where = f"{source} record {n}"
        module_hash, epochs, adjacency, ops, m = _decode(data, where, metrics_cls)
        try:
            i = NB101.index_of_hash(module_hash)
        except InvalidArchError as exc:
            raise TableFormatError(f"{where}: {exc}") from None
        if n < check_specs:
            _check_spec(module_hash, adjacency, ops, where)
        b = budgets.get(epochs)
        if b is None:
            if epochs not in BUDGETS:
                raise TableFormatError(
                    f"{where}: epochs {epochs} is not an NB-101 budget {BUDGETS}"
                )
            b = budgets[epochs] = _Budget()
        r = int(b.filled[i])
        if r >= _REPEATS:
            raise TableFormatError(
                f"{where}: more than {_REPEATS} runs of {module_hash} at {epochs}"
            )
        b.filled[i] += 1
        for pos, ev in enumerate((m.evaluation_data[1], m.evaluation_data[2])):
            b.curves["train_acc"][i, r, pos] = 100.0 * ev.train_accuracy
            b.curves["valid_acc"][i, r, pos] = 100.0 * ev.validation_accuracy
            b.curves["test_acc"][i, r, pos] = 100.0 * ev.test_accuracy
            b.curves["training_time"][i, r, pos] = ev.training_time
        b.final_time[i, r] = m.evaluation_data[2].training_time
        params[i] = m.trainable_parameters / 1e6
    if not budgets:
        raise TableFormatError(f"{source}: no records")

    def trials() -> Iterator[TrialRecord]:
        for epochs, b in sorted(budgets.items()):
            for i in np.flatnonzero(b.filled):
                for r in range(int(b.filled[i])):
                    yield {
                        "arch_index": int(i),
                        "dataset": "cifar10",
                        "hp": str(epochs),
                        "seed": r,
                        "epochs": 2,
                        "status": "ok",
                        "params_m": float(params[i]),
                        "train_time_s": float(b.final_time[i, r]),
                        "curves": {k: v[i, r] for k, v in b.curves.items()},
                    }

    manifest = {
        "command": command,
        "source": {
            "file": source.name,
            "format": "nasbench tfrecord",
            "bytes": source.stat().st_size,
        },
        "protocol": _PROTOCOL,
        "seeds": "NB-101 records no seeds: seeds 0, 1, 2 are the repeat index (file order), as "
        "the official API's random.randint(0, 2) picks them",
        "units": {"*_acc": "percent", "training_time": "seconds (cumulative, training only)"},
    }
    epoch_values = {("cifar10", str(e)): [e // 2, e] for e in budgets}
    return write_table(out, trials(), manifest=manifest, space="nb101", epoch_values=epoch_values)


def is_nb101_json(source: str | os.PathLike, limit: int = 64 << 20) -> bool:
    """True for a JSON object holding an NB-101 ``<epochs>_final_validation_accuracy`` column
    (scans the first `limit` bytes in 1 MiB blocks; the column may follow a long hash list)."""
    marker = b'_final_validation_accuracy"'
    try:
        with open(source, "rb") as fh:
            block = fh.read(1 << 20)
            if not block.lstrip().startswith(b"{"):
                return False
            seen, tail = len(block), b""
            while block:
                if marker in tail + block:
                    return True
                tail = block[-len(marker) :]
                if seen >= limit:
                    return False
                block = fh.read(1 << 20)
                seen += len(block)
    except OSError:
        return False
    return False


#: Columns of the column JSON this importer reads (besides the budget accuracy columns).
_JSON_COLUMNS = ("key", "final_training_time", "trainable_parameters", "operations", "adjacency")
#: Columns known to carry nothing a table holds (data-1k.json's 2-d plot coordinates).
_JSON_IGNORED = ("embedding",)
_BUDGET_COLUMN = re.compile(r"^(\d+)_final_validation_accuracy$")


def _json_columns(data: dict[str, Any], source: Path) -> list[int]:
    """The budgets the JSON holds; refuses an unknown ``<epochs>_final_...`` column and a graph
    given by only one of ``operations`` / ``adjacency``; warns about other unknown columns."""
    budgets, unknown = [], []
    for name in data:
        m = _BUDGET_COLUMN.match(name)
        if m is not None:
            if int(m[1]) not in BUDGETS:
                raise TableFormatError(
                    f"{source}: column {name!r} is not an NB-101 budget (epochs in {BUDGETS}); "
                    "rename or remove it"
                )
            budgets.append(int(m[1]))
        elif name not in _JSON_COLUMNS and name not in _JSON_IGNORED:
            unknown.append(name)
    if unknown:
        warnings.warn(
            f"{source}: ignoring column(s) {', '.join(map(repr, sorted(unknown)))} (not NB-101 "
            f"data this importer reads)",
            stacklevel=3,
        )
    if ("operations" in data) != ("adjacency" in data):
        have, lack = (
            ("operations", "adjacency") if "operations" in data else ("adjacency", "operations")
        )
        raise TableFormatError(
            f"{source}: column {have!r} without {lack!r}: a cell's graph needs both (or neither)"
        )
    return sorted(budgets)


def _numeric(data: dict[str, Any], name: str, n: int, source: Path) -> np.ndarray:
    """A column as float64, refusing non-numbers, nulls, non-finite values and a wrong length."""
    values = data[name]
    if not isinstance(values, list) or len(values) != n:
        size = len(values) if isinstance(values, list) else type(values).__name__
        raise TableFormatError(f"{source}: column {name!r} has {size} values, 'key' {n}")
    bad = next(
        (
            r
            for r, v in enumerate(values)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
        ),
        None,
    )
    if bad is not None:
        raise TableFormatError(
            f"{source}: column {name!r} holds non-numeric values ({name}[{bad}] = "
            f"{values[bad]!r}); expected finite numbers"
        )
    return np.asarray(values, dtype=np.float64)


def _refuse_outside(col: np.ndarray, name: str, source: Path, ok: np.ndarray, rule: str) -> None:
    bad = np.flatnonzero(~ok)
    if bad.size:
        raise TableFormatError(
            f"{source}: {name}[{bad[0]}] = {float(col[bad[0]])!r}; expected {rule}"
        )


def _graph_cell(ops: object, adjacency: object, where: str) -> Cell:
    """The cell of one row's padded graph (op codes -1, 0..2, -2, -3 = padding), validated."""
    if not isinstance(ops, list) or not all(
        isinstance(o, (int, float)) and not isinstance(o, bool) and float(o) in _PAD_CODES
        for o in ops
    ):
        raise TableFormatError(
            f"{where}: operations {ops!r} must be a list of op codes (-1 input, 0 conv3x3, "
            "1 conv1x1, 2 maxpool, -2 output, -3 padding)"
        )
    codes = [int(o) for o in ops]
    m = np.asarray(adjacency, dtype=object)
    if (
        m.ndim != 2
        or m.shape != (len(codes), len(codes))
        or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and x in (0, 1) for x in m.flat
        )
    ):
        raise TableFormatError(
            f"{where}: adjacency must be a {len(codes)}x{len(codes)} matrix of 0/1 (one row and "
            f"column per op), got shape {m.shape}"
        )
    m = m.astype(np.int8)
    pad = [i for i, c in enumerate(codes) if c == -3]
    if m[pad, :].any() or m[:, pad].any():
        raise TableFormatError(f"{where}: a padding vertex (op -3) has edges")
    try:
        return from_padded(m, codes)
    except (InvalidArchError, ValueError) as exc:
        raise TableFormatError(f"{where}: not a valid NB-101 cell ({exc})") from None


def import_nb101_json(
    source: str | os.PathLike, out: str | os.PathLike, *, command: str = ""
) -> Path:
    """Import the column-wise NB-101 JSON export (see module docstring).

    Checks: every column is as long as ``key``; accuracies are fractions in [0, 1], parameter
    counts non-negative integers, training times finite and >= 0; a row's
    ``trainable_parameters`` equals the parameter count of its key's cell (`count_params`: a
    misaligned key is caught even without graphs); when the file carries ``operations`` and
    ``adjacency``, each row's graph must be a valid cell whose hash is its key. A budget column
    that is not an NB-101 budget is refused; other unknown columns are ignored with a warning.

    Raises:
        TableFormatError: not JSON, missing columns, columns of unequal length, a malformed or
            unknown hash, a value out of range, a graph that is not a cell or not its key;
            nothing is written then.
    """
    source = Path(source)
    try:
        data = json.loads(source.read_text())
    except RecursionError:
        raise TableFormatError(f"{source}: JSON nested too deeply to be NB-101 data") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TableFormatError(f"{source}: not a JSON file ({exc})") from None
    if not isinstance(data, dict) or "key" not in data:
        raise TableFormatError(f"{source}: expected a JSON object of columns with 'key' (hashes)")
    budgets = _json_columns(data, source)
    if not budgets:
        raise TableFormatError(
            f"{source}: no '<epochs>_final_validation_accuracy' column (epochs in {BUDGETS})"
        )
    keys = data["key"]
    if not isinstance(keys, list) or not keys:
        raise TableFormatError(f"{source}: 'key' must be a non-empty list of module hashes")
    n = len(keys)
    cols: dict[str, np.ndarray] = {}
    for e in budgets:
        name = f"{e}_final_validation_accuracy"
        col = cols[name] = _numeric(data, name, n, source)
        _refuse_outside(col, name, source, (col >= 0) & (col <= 1), "a fraction in [0, 1]")
    for name in ("final_training_time", "trainable_parameters"):
        if name not in data:
            cols[name] = np.full(n, np.nan)
            continue
        col = cols[name] = _numeric(data, name, n, source)
        if name == "final_training_time":
            _refuse_outside(col, name, source, col >= 0, "seconds >= 0")
        else:
            _refuse_outside(
                col, name, source, (col >= 0) & (col == np.round(col)), "an integer count >= 0"
            )
    try:
        idx = np.fromiter((NB101.index_of_hash(k) for k in keys), np.int64, n)
    except (InvalidArchError, TypeError) as exc:
        raise TableFormatError(f"{source}: {exc}") from None
    if "trainable_parameters" in data:
        expected = params_padded(*padded_arrays(idx))
        bad = np.flatnonzero(expected != cols["trainable_parameters"])
        if bad.size:
            r = int(bad[0])
            raise TableFormatError(
                f"{source}: row {r}: trainable_parameters = {int(cols['trainable_parameters'][r])}"
                f" but cell {keys[r]} has {int(expected[r])} parameters: keys and values are "
                "misaligned (or the file is not NB-101 data)"
            )
    if "operations" in data:
        ops_col, adj_col = data["operations"], data["adjacency"]
        for name, col in (("operations", ops_col), ("adjacency", adj_col)):
            if not isinstance(col, list) or len(col) != n:
                raise TableFormatError(f"{source}: column {name!r} must have one entry per key")
        for r in range(n):
            cell = _graph_cell(ops_col[r], adj_col[r], f"{source}: row {r}")
            if cell.module_hash != keys[r]:
                raise TableFormatError(
                    f"{source}: row {r}: key {keys[r]} but its graph (operations, adjacency) "
                    f"hashes to {cell.module_hash}: keys and graphs are misaligned"
                )

    def trials() -> Iterator[TrialRecord]:
        for e in budgets:
            acc = cols[f"{e}_final_validation_accuracy"]
            for row in range(n):
                yield {
                    "arch_index": int(idx[row]),
                    "dataset": "cifar10",
                    "hp": str(e),
                    "seed": UNKNOWN_RUN_SEED,
                    "epochs": 1,
                    "status": "ok",
                    "params_m": cols["trainable_parameters"][row] / 1e6,
                    "train_time_s": cols["final_training_time"][row] if e == 108 else None,
                    "curves": {"valid_acc": [100.0 * acc[row]]},
                }

    manifest = {
        "command": command,
        "source": {"file": source.name, "format": "nb101 column json", "cells": n},
        "protocol": _PROTOCOL,
        "seeds": f"one run per cell whose NB-101 repeat is not recorded: pseudo-seed "
        f"{UNKNOWN_RUN_SEED}; train_time_s is that run's 108-epoch time (hp 108 only)",
        "units": {"valid_acc": "percent"},
    }
    epoch_values = {("cifar10", str(e)): [e] for e in budgets}
    return write_table(out, trials(), manifest=manifest, space="nb101", epoch_values=epoch_values)


_PROTOCOL = {
    "benchmark": "NAS-Bench-101",
    "dataset": "CIFAR-10: 40k train / 10k validation (from the train set) / 10k test",
    "optimizer": "RMSProp, cosine decay, batch 256, budgets 4/12/36/108 epochs, 3 repeats",
    "hardware": "TPU v2 (training_time)",
}
