"""`Benchmark`: fast lookups in a table directory (see `surrogate_nb.table._format`).

A (dataset, hp, metric) column is loaded on first use into a dense float32 array shaped
``(cells, n_seeds, T)`` (15,625 cells for NB201, 423,624 for NB-101; NaN where nothing was
recorded) and cached, with its mean over seeds ``(cells, T)`` and the number of seeds behind
each mean. Scalar queries then index numpy arrays directly (a few microseconds); array queries
are one fancy-indexing operation.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, cast

import numpy as np

from surrogate_nb.errors import InvalidValueError, TableFormatError, UnknownKeyError
from surrogate_nb.space import Arch, SearchSpace, get_space
from surrogate_nb.table._format import (
    COST_COLUMNS,
    SETTING_KEY,
    check_file,
    checksums_enabled,
    parse_ranges,
    read_manifest,
    setting_tag,
)
from surrogate_nb.table._types import Costs

_COSTS = frozenset(COST_COLUMNS)
#: Rows per record batch when loading a column (one row group of `write_table`).
_BATCH_ROWS = 4096
#: Cells per block when computing seed means.
_FINISH_ROWS = 1024


#: Arrow primitive types read straight from their buffers (see `_numpy`).
_NUMPY_TYPES = {"int32": np.int32, "int64": np.int64, "float": np.float32, "double": np.float64}


def _valid(arr: Any) -> np.ndarray | None:
    """Validity of an Arrow array's own slots (bool, True = set), None when it has no nulls."""
    if not arr.null_count:
        return None
    bits = np.unpackbits(np.frombuffer(arr.buffers()[0], np.uint8), bitorder="little")
    return bits[arr.offset : arr.offset + len(arr)].astype(bool)


def _numpy(arr: Any) -> np.ndarray:
    """A primitive Arrow array as a numpy array (nulls -> NaN for floats), read-only.

    Reads the Arrow buffers directly: ``pyarrow.Array.to_numpy`` imports pandas, which alone
    adds ~45 MB to the resident size of a process that only queries a table.
    """
    dtype = _NUMPY_TYPES.get(str(arr.type))
    valid = _valid(arr)
    if dtype is None or (valid is not None and not np.issubdtype(dtype, np.floating)):
        return arr.to_numpy(zero_copy_only=False)
    size = np.dtype(dtype).itemsize
    out = np.frombuffer(arr.buffers()[1], dtype, count=len(arr), offset=arr.offset * size)
    if valid is not None:
        out = out.copy()
        out[~valid] = np.nan
    return out


def _damaged(s: _Setting, exc: BaseException) -> TableFormatError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return TableFormatError(
        f"table file {s.rel} is damaged ({first}); check it with `snb info TABLE --verify` and "
        "re-import or rebuild the table"
    )


def _check_batch(s: _Setting, batch: Any, columns: list[str], n_cells: int) -> None:
    """Refuse rows that the manifest cannot place: cell outside the space, unlisted seed, a
    curve whose length is not the setting's epochs (cheap; matters with checksums off)."""
    if batch.num_columns != len(columns) or batch.schema.names != columns:
        raise TableFormatError(f"table file {s.rel} lacks columns {columns}; the table is corrupt")
    rows = _numpy(batch.column(0))
    if rows.size and (int(rows.min()) < 0 or int(rows.max()) >= n_cells):
        raise TableFormatError(f"table file {s.rel} holds a cell index outside 0..{n_cells - 1}")
    seeds = _numpy(batch.column(1))
    if not np.isin(seeds, s.seeds).all():
        raise TableFormatError(f"table file {s.rel} holds a seed that its manifest does not list")
    for j in range(2, len(columns)):
        t = batch.schema.types[j]
        size = getattr(t, "list_size", None)
        if size is not None and size != s.T:
            raise TableFormatError(
                f"table file {s.rel}: {columns[j]} has {size} epochs, the manifest says {s.T}"
            )


def _check_file_facts(s: _Setting, pf: Any) -> None:
    """The file's own facts agree with its manifest entry: its row count and, when it records
    one (tables written since the check exists), the (dataset, hp) it was written for."""
    if pf.metadata.num_rows != s.rows:
        raise TableFormatError(
            f"table file {s.rel} holds {pf.metadata.num_rows} rows, the manifest says {s.rows}; "
            "the table is corrupt"
        )
    tag = (pf.schema_arrow.metadata or {}).get(SETTING_KEY)
    if tag is not None and tag != setting_tag(s.dataset, s.hp):
        raise TableFormatError(
            f"table file {s.rel} was written for {tag.decode(errors='replace')}, but the manifest "
            f"uses it for ({s.dataset!r}, {s.hp!r}): its files were swapped; the table is corrupt"
        )


class _Setting:
    """One (dataset, hp): its file, seeds, epochs, metrics and cached dense arrays."""

    __slots__ = (
        "T",
        "cache",
        "dataset",
        "epoch_values",
        "expect",
        "file",
        "hp",
        "lock",
        "metrics",
        "present",
        "rel",
        "rows",
        "seed_slot",
        "seeds",
    )

    def __init__(self, info: dict[str, Any], root: Path) -> None:
        self.dataset = info["dataset"]
        self.hp = str(info["hp"])
        self.file = root / info["file"]
        self.rel = info["file"]
        self.rows = int(info["rows"])
        #: sha256 to check before the first read (None: checksums off)
        self.expect: str | None = None
        self.seeds = [int(s) for s in info["seeds"]]
        self.seed_slot = {s: i for i, s in enumerate(self.seeds)}
        self.T = int(info["epochs"])
        self.metrics = list(info["metrics"])
        #: training epoch each curve position records (1..T unless the setting says otherwise)
        self.epoch_values = [int(e) for e in info.get("epoch_values") or range(1, self.T + 1)]
        self.cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.present: np.ndarray | None = None
        self.lock = threading.Lock()


class Benchmark:
    """A tabular NAS benchmark opened from a table directory.

    The table's search space (``manifest["space"]``, `space`) says what a cell is; every array
    has one row per cell of the space, in the space's index order.

    Shapes: a curve metric is ``(n cells, n_seeds, T epochs)``; epochs count from 0 and
    ``epoch=None`` is the last one (T - 1). ``seed=None`` is the mean over the seeds that have a
    value (NaN-aware); `query_with_count` also gives how many seeds were averaged. Implements
    `surrogate_nb.table.BenchmarkLike`.

    Example:
        >>> b = Benchmark.open("my_table")  # doctest: +SKIP
        >>> b.query(6111, "cifar10", "test_acc", hp="200")  # doctest: +SKIP
        94.37333
    """

    def __init__(
        self, root: Path, manifest: dict[str, Any], *, checksums: bool | None = None
    ) -> None:
        self.path = root
        self.manifest = manifest
        #: the search space recorded in the manifest (default "nb201")
        self.space: SearchSpace = get_space(manifest.get("space", "nb201"))
        #: indices are 0.._n-1; a space that cannot be enumerated (DARTS) gets sparse rows: one
        #: per cell the table holds (`row_cells`), plus an all-NaN row for every other cell
        self._n = self.space.cardinality
        self._sparse = not self.space.enumerable
        self._held: np.ndarray | None = None
        self.checksums = checksums_enabled() if checksums is None else bool(checksums)
        self._settings: dict[str, dict[str, _Setting]] = {}
        for info in manifest["settings"]:
            s = _Setting(info, root)
            if self.checksums:
                s.expect = manifest["files"][info["file"]]["sha256"]
            self._settings.setdefault(s.dataset, {})[s.hp] = s

    # ---- opening ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls, path: str | os.PathLike, *, verify: bool = False, checksums: bool | None = None
    ) -> Benchmark:
        """Open a table directory.

        Args:
            path: the table directory (written by `write_table` / ``snb import``).
            verify: recompute every file's sha256 now (reads all data). Without it, the
                manifest (its checksum and schema) and each file's presence and size are
                checked at open, and each file's sha256 the first time it is read.
            checksums: check each data file's sha256 on its first read (default True, or the
                ``SNB_CHECKSUMS`` environment variable); False is the explicit opt-out.

        Raises:
            TableFormatError: corrupt, incomplete or newer-schema table (message names the file).
        """
        root = Path(path)
        return cls(root, read_manifest(root, verify=verify), checksums=checksums)

    def __repr__(self) -> str:
        parts = [f"{d}: hp {sorted(h)}" for d, h in self._settings.items()]
        return f"Benchmark({str(self.path)!r}; {'; '.join(parts)})"

    # ---- what exists ------------------------------------------------------------------------

    def datasets(self) -> list[str]:
        """Dataset settings in the table."""
        return list(self._settings)

    def hps(self, dataset: str) -> list[str]:
        """Training schedules (hp, e.g. "12", "200") recorded for ``dataset``."""
        return list(self._dataset(dataset))

    def metrics(self, dataset: str | None = None, hp: str | None = None) -> list[str]:
        """Curve metrics plus per-trial cost names; all datasets when ``dataset`` is None."""
        if dataset is None:
            names = {m for hs in self._settings.values() for s in hs.values() for m in s.metrics}
        elif hp is None:
            names = {m for s in self._dataset(dataset).values() for m in s.metrics}
        else:
            names = set(self._setting(dataset, hp).metrics)
        return sorted(names) + list(COST_COLUMNS)

    def seeds(self, dataset: str, hp: str | None = None) -> list[int]:
        """Seeds that have at least one trial in (dataset, hp)."""
        return list(self._setting(dataset, hp).seeds)

    def epochs(self, dataset: str, hp: str | None = None) -> int:
        """T, the curve length of (dataset, hp)."""
        return self._setting(dataset, hp).T

    def epoch_values(self, dataset: str, hp: str | None = None) -> list[int]:
        """The training epoch recorded at each curve position (``1..T`` for a per-epoch curve;
        e.g. ``[54, 108]`` for an NB-101 108-epoch run's halfway and final evaluations)."""
        return list(self._setting(dataset, hp).epoch_values)

    def n_seeds(self, arch: Any, dataset: str, hp: str | None = None) -> int | np.ndarray:
        """Number of trials (seeds) recorded for a cell (or array of cells) in (dataset, hp)."""
        s = self._setting(dataset, hp)
        present = self._present(s)
        idx = self._rows(self._indices(arch))
        out = present[idx].sum(axis=-1)
        return int(out) if np.ndim(out) == 0 else out

    # ---- lookups ----------------------------------------------------------------------------

    def query(
        self,
        arch: Any,
        dataset: str,
        metric: str,
        hp: str | None = None,
        epoch: int | None = None,
        seed: int | str | None = None,
        rng: np.random.Generator | None = None,
    ) -> float | np.ndarray:
        """One metric value of one cell (float) or of many (float64 array); with the number of
        seeds behind each value: `query_with_count`.

        Args:
            arch: a cell of the table's space (NB201: `Arch`, index or string; NB-101: `Cell`,
                index or module hash), or a list / array of them.
            dataset: dataset setting, e.g. "cifar10-valid".
            metric: a curve metric (e.g. "valid_acc") or a per-trial cost ("params_m",
                "flops_m", "latency_s", "train_time_s"; ``epoch`` is ignored for these).
            hp: training schedule; may be omitted only when the dataset has a single hp.
            epoch: 0-based epoch; None = last.
            seed: None = mean over available seeds, an int = that seed, "sample" = one seed
                drawn per cell with ``rng`` among the seeds that cell has.
            rng: numpy Generator, required for ``seed="sample"``.

        Returns:
            float (scalar arch) or float64 array; NaN where not recorded.

        Raises:
            UnknownKeyError: unknown dataset, hp, metric, seed or epoch (lists what exists).
            InvalidArchError: not a cell of the table's space.
            ValueError: ``seed="sample"`` without ``rng``.
        """
        return self._lookup(arch, dataset, metric, hp, epoch, seed, rng, False)

    def query_with_count(
        self,
        arch: Any,
        dataset: str,
        metric: str,
        hp: str | None = None,
        epoch: int | None = None,
        seed: int | str | None = None,
        rng: np.random.Generator | None = None,
    ) -> tuple[float, int] | tuple[np.ndarray, np.ndarray]:
        """`query` and how many seeds are behind each value: ``(float, int)`` for one cell,
        ``(float64 array, int64 array)`` for many (0 where nothing was recorded)."""
        return self._lookup(arch, dataset, metric, hp, epoch, seed, rng, True)

    def explain_missing(
        self,
        arch: Any,
        dataset: str,
        metric: str,
        hp: str | None = None,
        epoch: int | None = None,
        seed: int | str | None = None,
    ) -> UnknownKeyError:
        """Why `query` has no value for one cell (call it when `query_with_count` counts 0): the
        setting records no such cost, or not that epoch, or the cell has no trial there, or its
        trials lack the value; the error names what the table does hold."""
        index = self.space.index_of(arch)
        s = self._setting(dataset, hp)
        info = next(
            x for x in self.manifest["settings"] if x["dataset"] == s.dataset and x["hp"] == s.hp
        )
        where = f"({s.dataset}, hp {s.hp})"
        if metric in COST_COLUMNS:
            costs = info.get("costs_recorded")
            if costs is not None and metric not in costs:
                return UnknownKeyError(
                    "cost", metric, costs, f"{where} records no {metric} for any cell"
                )
        else:
            rec = info.get("recorded", {}).get(metric)
            e = s.T - 1 if epoch is None else epoch
            if rec is not None and e not in parse_ranges(rec):
                return UnknownKeyError(
                    "epoch",
                    e,
                    [rec or "none"],
                    f"{metric} of {where} has values only at epochs {rec or 'none'} (from 0)",
                )
        if int(self.n_seeds(index, s.dataset, s.hp)) == 0:
            held = self.present(s.dataset, s.hp).any(axis=1).nonzero()[0].tolist()
            return UnknownKeyError(
                "cell",
                index,
                held,
                f"cell {index} has no trial in {where} (cells with trials above)",
            )
        which = "" if seed in (None, "mean") else f" for seed {seed}"
        return UnknownKeyError(
            "value",
            metric,
            [],
            f"cell {index} has trials in {where} but no {metric} value{which} there",
        )

    def _lookup(
        self,
        arch: Any,
        dataset: str,
        metric: str,
        hp: str | None,
        epoch: int | None,
        seed: int | str | None,
        rng: np.random.Generator | None,
        return_count: bool,
    ) -> Any:
        s = self._setting(dataset, hp)
        # fast path: a plain int cell
        if type(arch) is int and 0 <= arch < self._n and not self._sparse:
            idx: Any = arch
            scalar = True
        elif isinstance(arch, Arch) and self.space.name == "nb201":
            idx, scalar = arch.index, True
        else:
            idx = self._rows(self._indices(arch))
            scalar = idx.ndim == 0
            if scalar:
                idx = int(idx)
        if metric in _COSTS:
            values, mean, count = self._cost_arrays(s, metric)
            e = None
        else:
            values, mean, count = self._arrays(s, metric)
            if epoch is None:
                e = s.T - 1
            elif type(epoch) is int and 0 <= epoch < s.T:
                e = epoch
            else:
                e = self._epoch(s, epoch)
        if seed is None:
            if e is None:
                out, n = mean[idx], count[idx]
            else:
                out, n = mean[idx, e], count[idx, e]
        elif seed == "sample":
            out = self._sample(s, values, idx, e, rng)
            n = np.isfinite(out).astype(np.int64) if not scalar else int(out == out)
        else:
            slot = s.seed_slot.get(seed) if type(seed) is int else None
            if slot is None:
                slot = self._seed_slot(s, seed)
            out = values[idx, slot] if e is None else values[idx, slot, e]
            n = (out == out).astype(np.int64) if not scalar else int(out == out)
        if scalar:
            out = float(out)
            if return_count:
                return out, int(n)
            return out
        out = np.asarray(out, dtype=np.float64)
        return (out, np.asarray(n, dtype=np.int64)) if return_count else out

    def curve(
        self,
        arch: Any,
        dataset: str,
        metric: str,
        hp: str | None = None,
        seed: int | str | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """The per-epoch curve, float64 ``(T,)`` (or ``(n, T)`` for an array of cells)."""
        s = self._setting(dataset, hp)
        if metric in _COSTS:
            raise UnknownKeyError(
                "curve metric",
                metric,
                s.metrics,
                f"{metric} is a per-trial cost: use query() or cost()",
            )
        idx = self._rows(self._indices(arch))
        values, mean, _ = self._arrays(s, metric)
        if seed is None:
            out = mean[idx]
        elif seed == "sample":
            out = self._sample(s, values, idx, slice(None), rng)
        else:
            out = values[idx, self._seed_slot(s, seed)]
        return np.array(out, dtype=np.float64)

    def cost(
        self, arch: Any, dataset: str, hp: str | None = None, seed: int | None = None
    ) -> Costs:
        """Per-trial costs of one cell (mean over seeds unless ``seed``).

        Returns:
            {"params_m", "flops_m", "latency_s", "train_time_s", "train_time_per_epoch_s"};
            NaN where not recorded.
        """
        s = self._setting(dataset, hp)
        out = {c: self.query(arch, dataset, c, hp=s.hp, seed=seed) for c in COST_COLUMNS}
        return cast(Costs, {**out, "train_time_per_epoch_s": out["train_time_s"] / s.T})

    def best(
        self,
        dataset: str,
        metric: str,
        hp: str | None = None,
        mode: str = "max",
        epoch: int | None = None,
        seed: int | None = None,
    ) -> tuple[Any, float]:
        """The best cell by a metric (mean over seeds unless ``seed``), as ``(cell, value)``."""
        if mode not in ("max", "min"):
            raise InvalidValueError(f"mode must be 'max' or 'min', got {mode!r}")
        idx, y = self.to_xy(dataset, metric, hp=hp, seed=seed, epoch=epoch)
        if idx.size == 0:
            raise UnknownKeyError(
                "metric values", metric, [], f"no cell of {dataset!r} has a value for {metric!r}"
            )
        k = int(np.argmax(y) if mode == "max" else np.argmin(y))
        return self.space.from_index(int(idx[k])), float(y[k])

    def to_xy(
        self,
        dataset: str,
        metric: str,
        hp: str | None = None,
        seed: int | None = None,
        epoch: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Regression data: cells that have a value, in increasing index order.

        Returns:
            ``(indices int64 (n,), y float64 (n,))``; ``seed=None`` gives per-cell means.
        """
        cells = self.row_cells()
        y = np.asarray(self.query(cells, dataset, metric, hp=hp, epoch=epoch, seed=seed))
        keep = np.flatnonzero(np.isfinite(y))
        return cells[keep], y[keep]

    def array(self, dataset: str, metric: str, hp: str | None = None) -> np.ndarray:
        """The dense read-only array of a metric: ``(rows, n_seeds, T)`` float32 for a curve,
        ``(rows, n_seeds)`` float64 for a cost; row k is cell ``row_cells()[k]`` (every cell of
        an enumerable space, the held cells otherwise); seeds in `seeds` order, NaN = not
        recorded."""
        s = self._setting(dataset, hp)
        arrays = self._cost_arrays if metric in _COSTS else self._arrays
        dense = arrays(s, metric)[0]
        return dense[:-1] if self._sparse else dense

    def present(self, dataset: str, hp: str | None = None) -> np.ndarray:
        """Boolean ``(rows, n_seeds)``: which (cell, seed) trials exist in (dataset, hp); rows as
        in `array`."""
        present = self._present(self._setting(dataset, hp))
        return present[:-1] if self._sparse else present

    def row_cells(self) -> np.ndarray:
        """int64 cell index of each row of `array` / `present`: ``arange(size)`` for an
        enumerable space, the sorted cells held in any setting for one that is not (DARTS)."""
        if not self._sparse:
            return np.arange(self._n, dtype=np.int64)
        if self._held is None:
            held = [
                _numpy(batch.column(0)).astype(np.int64)
                for ss in (s for hs in self._settings.values() for s in hs.values())
                for batch in self._batches(ss, ["arch_index", "seed"])
            ]
            cells = np.unique(np.concatenate(held)) if held else np.zeros(0, np.int64)
            cells.setflags(write=False)
            self._held = cells
        return self._held

    # ---- internals --------------------------------------------------------------------------

    def _dataset(self, dataset: str) -> dict[str, _Setting]:
        try:
            return self._settings[dataset]
        except (KeyError, TypeError):
            raise UnknownKeyError("dataset", dataset, list(self._settings)) from None

    def _setting(self, dataset: str, hp: str | None) -> _Setting:
        hs = self._settings.get(dataset) if isinstance(dataset, str) else None
        if hs is None:
            raise UnknownKeyError("dataset", dataset, list(self._settings))
        if hp is None:
            if len(hs) == 1:
                return next(iter(hs.values()))
            raise UnknownKeyError(
                "hp",
                None,
                list(hs),
                f"{dataset!r} has several training schedules; pass hp= one of them",
            )
        s = hs.get(hp)
        if s is None:
            s = hs.get(str(hp))
            if s is None:
                raise UnknownKeyError("hp", hp, list(hs), f"for dataset {dataset!r}")
        return s

    def _n_rows(self) -> int:
        return self._n if not self._sparse else len(self.row_cells()) + 1

    def _rows(self, idx: Any) -> Any:
        """Row of each cell index in the dense arrays (sparse: the last row, all NaN, for cells
        the table does not hold)."""
        if not self._sparse:
            return idx
        held = self.row_cells()
        idx = np.asarray(idx, dtype=np.int64)
        pos = np.searchsorted(held, idx)
        hit = held[np.minimum(pos, len(held) - 1)] == idx if len(held) else pos < 0
        return np.where(hit, pos, len(held))

    def _indices(self, arch: Any) -> Any:
        if isinstance(arch, (list, tuple)) and not arch:
            return np.zeros(0, np.int64)
        return self.space.as_indices(arch)

    @staticmethod
    def _epoch(s: _Setting, epoch: Any) -> int:
        if isinstance(epoch, (int, np.integer)) and not isinstance(epoch, bool):
            e = int(epoch)
            if 0 <= e < s.T:
                return e
        raise UnknownKeyError(
            "epoch",
            epoch,
            [0, s.T - 1],
            f"epochs of ({s.dataset}, hp {s.hp}) count from 0 to {s.T - 1}",
        )

    @staticmethod
    def _seed_slot(s: _Setting, seed: Any) -> int:
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            slot = s.seed_slot.get(int(seed))
            if slot is not None:
                return slot
        raise UnknownKeyError(
            "seed", seed, s.seeds, f"in ({s.dataset}, hp {s.hp}); or None (mean) or 'sample'"
        )

    def _sample(
        self, s: _Setting, values: np.ndarray, idx: Any, e: Any, rng: np.random.Generator | None
    ) -> Any:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                "seed='sample' draws a seed at random and needs rng=numpy.random.Generator "
                f"(e.g. np.random.default_rng(0)); got rng={rng!r}"
            )
        # draw only among the seeds that hold a value for this metric (and epoch): a trial
        # can exist while one of its metrics is missing (e.g. an imported mean-only column)
        held = values[idx] if e is None else values[idx, :, e]  # (S,) or (n, S)
        weights = (~np.isnan(held)).astype(np.float64)
        total = weights.sum(axis=-1, keepdims=True)
        u = rng.random(np.shape(total))
        cum = np.cumsum(weights, axis=-1)
        slot = (cum <= u * total).sum(axis=-1)  # first slot whose cumulative count exceeds u*n
        slot = np.minimum(slot, len(s.seeds) - 1)
        if np.ndim(idx) == 0:
            slot = int(np.asarray(slot).reshape(-1)[0])
            v = values[idx, slot] if e is None else values[idx, slot, e]
            return v if total[0] > 0 else np.full(np.shape(v), np.nan)
        rows = np.asarray(idx)
        v = values[rows, slot] if e is None else values[rows, slot, e]
        v = np.array(v, dtype=np.float64)
        v[total[:, 0] == 0] = np.nan
        return v

    def _open_file(self, dataset: str, hp: str) -> Any:
        """The `pyarrow.parquet.ParquetFile` of one setting, checked as `_batches` checks it
        (sha256 on first read, row count, the file's own setting); the caller closes it."""
        s = self._setting(dataset, hp)
        return self._parquet(s)

    def _parquet(self, s: _Setting) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if s.expect is not None:
            check_file(s.file, s.expect, s.rel)
        try:
            pf = pq.ParquetFile(s.file, pre_buffer=False, page_checksum_verification=True)
        except (OSError, pa.ArrowException) as exc:
            raise _damaged(s, exc) from None
        try:
            _check_file_facts(s, pf)
        except BaseException:
            pf.close()
            raise
        return pf

    def _batches(self, s: _Setting, columns: list[str]):
        """Record batches of a few columns of one setting's file, one row group at a time.

        Memory notes (peak RSS is a stated target): `pyarrow.parquet.ParquetFile` is used
        rather than ``pq.read_table``, which loads the dataset / Acero engine (~60 MB resident
        even for two int columns); ``pre_buffer=False`` reads column chunk by column chunk
        instead of coalescing whole row-group ranges; no memory map, so pages of the file that
        were read do not stay resident in this process. Arrow's allocator keeps freed buffers,
        so callers hand them back with `_release_arrow_memory` when done.
        """
        import pyarrow as pa

        pf = self._parquet(s)
        try:
            batches = pf.iter_batches(batch_size=_BATCH_ROWS, columns=columns, use_threads=False)
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    return
                except (OSError, pa.ArrowException) as exc:
                    raise _damaged(s, exc) from None
                _check_batch(s, batch, columns, self._n)
                yield batch
        finally:
            pf.close()

    @staticmethod
    def _release_arrow_memory() -> None:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()

    def _present(self, s: _Setting) -> np.ndarray:
        if s.present is None:
            with s.lock:
                if s.present is None:
                    present = np.zeros((self._n_rows(), len(s.seeds)), bool)
                    for batch in self._batches(s, ["arch_index", "seed"]):
                        rows = self._rows(_numpy(batch.column(0)).astype(np.int64))
                        present[rows, np.searchsorted(s.seeds, _numpy(batch.column(1)))] = True
                    self._release_arrow_memory()
                    present.setflags(write=False)
                    s.present = present
        return s.present

    def _arrays(self, s: _Setting, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        hit = s.cache.get(metric)
        if hit is not None:
            return hit
        if metric not in s.metrics:
            raise UnknownKeyError(
                "metric", metric, s.metrics + list(COST_COLUMNS), f"in ({s.dataset}, hp {s.hp})"
            )
        with s.lock:
            hit = s.cache.get(metric)
            if hit is not None:
                return hit
            T = s.T
            dense = np.full((self._n_rows(), len(s.seeds), T), np.nan, np.float32)
            # batch by batch: the peak is the dense array plus one batch, not a whole column
            for batch in self._batches(s, ["arch_index", "seed", metric]):
                rows = self._rows(_numpy(batch.column(0)).astype(np.int64))
                slots = np.searchsorted(s.seeds, _numpy(batch.column(1)))
                col = batch.column(2)
                flat = col.values.slice(col.offset * T, len(col) * T)
                vals = _numpy(flat).astype(np.float32, copy=False).reshape(len(col), T)
                valid = _valid(col)  # a whole curve may be null
                if valid is not None:
                    vals = vals.copy()
                    vals[~valid] = np.nan
                dense[rows, slots] = vals
                del batch, col, flat, vals, valid
            self._release_arrow_memory()
            hit = self._finish(dense)
            s.cache[metric] = hit
        return hit

    def _cost_arrays(self, s: _Setting, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = "cost:" + metric
        hit = s.cache.get(key)
        if hit is not None:
            return hit
        with s.lock:
            hit = s.cache.get(key)
            if hit is not None:
                return hit
            dense = np.full((self._n_rows(), len(s.seeds)), np.nan, np.float64)
            for batch in self._batches(s, ["arch_index", "seed", metric]):
                rows = self._rows(_numpy(batch.column(0)).astype(np.int64))
                slots = np.searchsorted(s.seeds, _numpy(batch.column(1)))
                dense[rows, slots] = _numpy(batch.column(2))  # nulls -> NaN
            self._release_arrow_memory()
            hit = self._finish(dense)
            s.cache[key] = hit
        return hit

    @staticmethod
    def _finish(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(values, nan-mean over the seed axis, count over the seed axis), all read-only.

        Computed in blocks of cells so the temporaries stay a few MB (full-size ones would add
        ~100 MB to the peak RSS for a (15625, 3, 200) column).
        """
        n, n_seeds = dense.shape[:2]
        rest = dense.shape[2:]
        mean = np.empty((n, *rest), dense.dtype)
        count = np.empty((n, *rest), np.int8 if n_seeds < 127 else np.int64)
        for lo in range(0, n, _FINISH_ROWS):
            block = dense[lo : lo + _FINISH_ROWS]
            ok = ~np.isnan(block)
            c = ok.sum(axis=1, dtype=np.int64)
            total = np.where(ok, block, 0).sum(axis=1, dtype=np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean[lo : lo + _FINISH_ROWS] = total / c
            count[lo : lo + _FINISH_ROWS] = c
        for a in (dense, mean, count):
            a.setflags(write=False)
        return dense, mean, count
