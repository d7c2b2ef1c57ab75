"""Import a wide per-cell file (CSV or Parquet): one row per cell, one column per value.

Column names understood (any dataset name, ``_`` allowed in it):

* ``<dataset>_<metric>_<hp>``: the final-epoch value of ``metric`` under schedule ``hp``
  (digits, = T epochs), e.g. ``cifar10_test_acc_200``. ``metric`` is ``[<split>_](acc|acc5|loss|
  time)`` with a split name without ``_`` (e.g. ``valid_acc``, ``x-test_loss``, ``train_time``).
* ``<dataset>_<metric>_<hp>_run<k>``: the same for training run k. **Run k becomes seed k.**
* ``<dataset>_params_m``, ``_flops_m``, ``_latency_s``, ``_train_time_s``: per-cell costs, attached
  to every trial of that dataset (the wide file has one value per cell, not per run).
* the cell: ``index`` / ``arch_index`` (official NB201 index) and/or ``arch_str`` / ``arch``;
  when both are present they must agree.

Other columns (e.g. ``n_runs_200``, ``naslib_cifar10_val_acc``) are ignored and listed in the
manifest under ``import.ignored_columns``.

Values land at epoch T-1 of a T-long curve; earlier epochs are null (not recorded). When a metric
has ``_run<k>`` columns, the mean column is not stored (it is checked against the runs' mean, and
the largest gap is recorded in the manifest). A metric with only a mean column is stored under the
pseudo-seed `AGGREGATE_SEED` (-1), meaning "a published mean over unrecorded seeds": ``seed=None``
queries then return it (count 1), and no real seed pretends to hold it.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import TableFormatError
from surrogate_nb.space import NUM_ARCHS, as_indices
from surrogate_nb.table._format import (
    COST_COLUMNS,
    MAX_EPOCHS,
    MAX_SETTINGS,
    sha256_file,
    write_table,
)

#: Most columns one wide file may have (NB201's published CSV has about 120).
MAX_COLUMNS = 20_000
#: Seed under which a mean-only column (no per-run columns) is stored.
AGGREGATE_SEED = -1

_CURVE = re.compile(
    r"^(?P<ds>.+?)_(?P<metric>(?:[A-Za-z0-9\-]+_)?(?:acc|acc5|loss|time))_(?P<hp>[0-9]+)"
    r"(?:_run(?P<run>[0-9]+))?$"
)
_COST = re.compile(r"^(?P<ds>.+)_(?P<cost>" + "|".join(COST_COLUMNS) + r")$")
_INDEX_COLS = ("index", "arch_index")
_ARCH_COLS = ("arch_str", "arch")


def parse_columns(columns: list[str]) -> tuple[dict, dict, list[str]]:
    """Sort column names into curve values, costs and ignored columns.

    Returns:
        (curves {(dataset, hp, metric): {run (None = mean): column}},
         costs {dataset: {cost: column}}, ignored columns).
    """
    curves: dict[tuple[str, str, str], dict[int | None, str]] = {}
    costs: dict[str, dict[str, str]] = {}
    ignored = []
    for col in columns:
        if col in _INDEX_COLS or col in _ARCH_COLS:
            continue
        m = _COST.match(col)
        if m:
            costs.setdefault(m["ds"], {})[m["cost"]] = col
            continue
        m = _CURVE.match(col)
        if m:
            run = int(m["run"]) if m["run"] is not None else None
            curves.setdefault((m["ds"], m["hp"], m["metric"]), {})[run] = col
            continue
        ignored.append(col)
    return curves, costs, ignored


#: Largest wide file read (bytes on disk, and decompressed for ``.csv.gz``).
MAX_BYTES = 2 << 30


def _check_csv_text(text: str, path: Path) -> None:
    """Refuse a CSV whose rows do not all have the header's number of fields, or whose last
    row is not ended by a newline (a file cut mid-row)."""
    import csv
    import io

    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if not header or not any(h.strip() for h in header):
        raise TableFormatError(f"{path}: empty file (no header row)")
    n = len(header)
    count = 0
    for count, row in enumerate(rows, start=1):
        if len(row) != n and row:
            raise TableFormatError(
                f"{path}: data row {count} has {len(row)} fields, the header has {n}"
                + (" (the file looks truncated)" if count and not text.endswith("\n") else "")
            )
    if count == 0:
        raise TableFormatError(f"{path}: no data rows (only a header)")
    if not text.endswith(("\n", "\r")):
        raise TableFormatError(
            f"{path}: the last row does not end with a newline: the file looks truncated "
            "(cut mid-row); if it is complete, add a final newline"
        )


def _read(path: Path):
    import pandas as pd

    if not path.is_file():
        raise TableFormatError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise TableFormatError(f"{path}: {size:,} bytes is more than the {MAX_BYTES:,} allowed")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise TableFormatError(f"{path}: not a readable Parquet file ({first})") from None
        if len(frame) == 0:
            raise TableFormatError(f"{path}: the Parquet file holds no rows")
        return frame
    raw = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        import zlib

        d = zlib.decompressobj(wbits=31)
        try:
            raw = d.decompress(raw, MAX_BYTES + 1)
        except zlib.error as exc:
            raise TableFormatError(f"{path}: not valid gzip data ({exc})") from None
        if len(raw) > MAX_BYTES:
            raise TableFormatError(f"{path}: decompresses to more than {MAX_BYTES:,} bytes")
        if not d.eof:
            raise TableFormatError(f"{path}: the gzip data is truncated (file cut short?)")
    if b"\x00" in raw[:65536]:
        raise TableFormatError(f"{path}: a binary file, not a CSV text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableFormatError(f"{path}: not UTF-8 text, so not a CSV file") from None
    _check_csv_text(text, path)
    import io

    try:
        return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""], dtype=str)
    except (ValueError, pd.errors.ParserError) as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise TableFormatError(f"{path}: not a readable CSV file ({first})") from None


_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity)")


def _texts(series) -> list[str]:
    """Cells of a column as stripped text; a missing cell (empty, NaN, None) is ""."""
    out = []
    for v in series.tolist():
        if v is None or (isinstance(v, float) and v != v):
            out.append("")
        else:
            out.append(str(v).strip())
    return out


def _numbers(frame, col: str, path: Path) -> np.ndarray:
    """A value column as float64: empty / "nan" = missing (NaN); anything else must be a finite
    float32 number in ASCII digits.

    One rule for every value that is not a finite float32 number: the file is refused with the
    column and row named (an overflowing ``1e300`` and a literal ``inf`` alike).
    """
    import pandas as pd

    series = frame[col]
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(np.float64)
    else:  # text read from a CSV
        values = np.full(len(series), np.nan)
        for row, t in enumerate(_texts(series)):
            if t == "" or t.lower() == "nan":
                continue
            if not _NUMBER.fullmatch(t.lower()):
                raise TableFormatError(f"{path}: column {col} row {row + 1}: {t!r} is not a number")
            values[row] = float(t)
    big = np.isinf(values) | (np.abs(np.nan_to_num(values)) > np.finfo(np.float32).max)
    if big.any():
        row = int(np.flatnonzero(big)[0])
        raise TableFormatError(
            f"{path}: column {col} row {row + 1}: {series.iloc[row]!r} is infinite or beyond "
            "float32; values must be finite numbers (leave a cell empty for 'not recorded')"
        )
    return values


def _integers(frame, col: str, path: Path) -> np.ndarray:
    """An index column as int64: ASCII digits only, no fraction, no missing value."""
    import pandas as pd

    series = frame[col]
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(np.float64)
        bad = np.isnan(values) | (values != np.floor(values))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise TableFormatError(
                f"{path}: column {col} row {row + 1}: {series.iloc[row]!r} is not an integer "
                "cell index"
            )
        return values.astype(np.int64)
    texts = _texts(series)
    for row, t in enumerate(texts):
        if not re.fullmatch(r"[0-9]+", t):
            raise TableFormatError(
                f"{path}: column {col} row {row + 1}: {t!r} is not an integer cell index "
                "(ASCII digits 0-9 only)"
            )
    return np.array([int(t) for t in texts], dtype=np.int64)


def _cell_indices(frame, path: Path) -> np.ndarray:
    idx = None
    for c in _INDEX_COLS:
        if c in frame.columns:
            idx = _integers(frame, c, path)
            break
    arch = next((c for c in _ARCH_COLS if c in frame.columns), None)
    if arch is not None:
        from_str = as_indices(list(frame[arch].astype(str)))
        if idx is not None and not np.array_equal(idx, from_str):
            bad = int(np.flatnonzero(idx != from_str)[0])
            raise TableFormatError(
                f"{path}: row {bad} has index {idx[bad]} but {arch} {frame[arch].iloc[bad]!r} "
                f"is cell {from_str[bad]}; the file's index is not the official NB201 index"
            )
        idx = from_str
    if idx is None:
        raise TableFormatError(
            f"{path}: no cell column; expected one of {_INDEX_COLS + _ARCH_COLS}"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= NUM_ARCHS):
        raise TableFormatError(f"{path}: cell index outside 0..{NUM_ARCHS - 1}")
    if np.unique(idx).size != idx.size:
        raise TableFormatError(f"{path}: a cell appears in more than one row")
    return idx


def import_wide(source: str | os.PathLike, out: str | os.PathLike, *, command: str = "") -> Path:
    """Convert a wide per-cell CSV / Parquet file into a table directory.

    Args:
        source: the wide file (``.csv`` or ``.parquet``).
        out: table directory to write (replaced atomically).
        command: the producing command line, stored in the manifest.

    Returns:
        The table directory.

    Raises:
        TableFormatError: no recognisable value columns, no cell column, bad indices.
    """
    src = Path(source)
    frame = _read(src)
    curves, costs, ignored = parse_columns(list(frame.columns))
    if not curves:
        raise TableFormatError(
            f"{src}: no column named <dataset>_<metric>_<hp>[_run<k>] (e.g. cifar10_valid_acc_200);"
            f" columns: {list(frame.columns)[:12]}"
        )
    n_settings = len({(ds, hp) for ds, hp, _ in curves})
    if n_settings > MAX_SETTINGS:
        raise TableFormatError(
            f"{src}: its columns name {n_settings:,} (dataset, hp) settings; one import writes at "
            f"most {MAX_SETTINGS} (one data file each): split the file"
        )
    if len(frame.columns) > MAX_COLUMNS:
        raise TableFormatError(
            f"{src}: {len(frame.columns):,} columns; one import reads at most {MAX_COLUMNS:,}"
        )
    for ds, hp, _metric in curves:
        if not 1 <= int(hp) <= MAX_EPOCHS:
            raise TableFormatError(
                f"{src}: column {next(iter(curves[(ds, hp, _metric)].values()))} names hp {hp}: "
                f"a curve of {int(hp):,} epochs is outside 1..{MAX_EPOCHS}"
            )
    cells = _cell_indices(frame, src)
    mean_gaps: dict[str, float] = {}
    # (dataset, hp) -> {seed: {metric: values (n_rows,)}}
    settings: dict[tuple[str, str], dict[int, dict[str, np.ndarray]]] = {}
    for (ds, hp, metric), cols in sorted(curves.items()):
        per_seed = settings.setdefault((ds, hp), {})
        runs = sorted(r for r in cols if r is not None)
        if runs:
            block = np.stack([_numbers(frame, cols[r], src) for r in runs], axis=1)
            for j, r in enumerate(runs):
                per_seed.setdefault(r, {})[metric] = block[:, j]
            if None in cols:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    gap = np.nanmax(
                        np.abs(np.nanmean(block, axis=1) - _numbers(frame, cols[None], src))
                    )
                mean_gaps[cols[None]] = float(gap)
        else:
            per_seed.setdefault(AGGREGATE_SEED, {})[metric] = _numbers(frame, cols[None], src)
    cost_values = {
        ds: {c: _numbers(frame, col, src) for c, col in cs.items()} for ds, cs in costs.items()
    }

    def trials():
        for (ds, hp), per_seed in sorted(settings.items()):
            T = int(hp)
            metrics = sorted({m for v in per_seed.values() for m in v})
            cv = cost_values.get(ds, {})
            for seed in sorted(per_seed):
                values = per_seed[seed]
                have = np.zeros(len(cells), bool)
                for v in values.values():
                    have |= np.isfinite(v)
                for row in np.flatnonzero(have):
                    out = {}
                    for m in metrics:
                        curve = np.full(T, np.nan, np.float32)
                        if m in values:
                            curve[T - 1] = values[m][row]
                        out[m] = curve
                    yield {
                        "arch_index": int(cells[row]),
                        "dataset": ds,
                        "hp": hp,
                        "seed": seed,
                        "epochs": T,
                        "status": "ok",
                        **{
                            c: (float(cv[c][row]) if c in cv and np.isfinite(cv[c][row]) else None)
                            for c in COST_COLUMNS
                        },
                        "curves": out,
                    }

    manifest: dict[str, Any] = {
        "command": command or f"snb import {src} --out {out}",
        "protocol": {"source": "wide per-cell file", "values_at": "last epoch (T-1) only"},
        "datasets": {ds: {} for ds, _ in settings},
        "import": {
            "format": "wide",
            "source_file": src.name,
            "source_sha256": sha256_file(src),
            "seeds": "column suffix _run<k> -> seed k; mean-only columns -> seed -1",
            "aggregate_seed": AGGREGATE_SEED,
            "ignored_columns": ignored,
            "mean_vs_runs_max_abs_gap": mean_gaps,
        },
    }
    return write_table(out, trials(), manifest=manifest)
