"""Read-only views of a table in the shape of the official NB201 / NATS-Bench records.

The official APIs keep, per cell and hp, an ``ArchResults`` holding one ``ResultsCount`` per
(dataset, seed). These classes rebuild that shape from a table (one row per trial, curves per
epoch, NaN = not recorded) so the facades can answer with the official semantics; each view
slices the columns `TrialStore` reads once per (dataset, hp).

Which table columns feed which official set is decided by `sources_of`:

* NATS / NB201 imports (and `snb build` tables) name their datasets and splits as NATS does, except
  that the original test set is ``test`` in a table and ``ori-test`` in the official records.
* Wide CSV / Parquet imports (``snb import file.csv``) name splits ``valid`` / ``test``. Their
  meaning follows the NB201 columns (see ``../shared/nb201/README.md``): ``cifar10_valid_*`` is the
  ``cifar10-valid`` setting's validation half (official ``x-valid``), ``cifar10_test_*`` is the
  ``cifar10`` setting (train+valid) on the test set (``ori-test``); for cifar100 and any other
  dataset ``valid`` is ``x-valid`` and ``test`` is ``x-test`` (halves of the test set). A value
  recorded only as a mean over unnamed seeds (wide importer's seed -1) answers mean queries
  (``is_random=False``) and is not one of the cell's seeds. The per-cell costs (params, latency,
  200-epoch train time) answer for every setting of their dataset, except that a wide
  ``cifar10_train_time_s`` is the cifar10-valid run's time and is not given to ``cifar10``.
"""

from __future__ import annotations

import math
import random as _random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from surrogate_nb.compat._errors import CompatKeyError, CompatValueError, MissingDataError
from surrogate_nb.space import NUM_ARCHS
from surrogate_nb.table import Benchmark

#: NATS-Bench / NB201 dataset settings, in the order the official records list them.
NATS_DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
#: Official eval-set names, in a fixed order.
EVAL_SETS = ("x-valid", "x-test", "ori-test")
NUM_CLASSES = {"cifar10-valid": 10, "cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
#: Seed under which wide imports store a published mean (see `importers.wide.AGGREGATE_SEED`).
AGGREGATE_SEED = -1
_FIELDS = {"loss": "loss", "accuracy": "acc", "time": "time"}


def _f(x: Any) -> float | None:
    """A finite float, or None for NaN / missing."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _sum(values: np.ndarray) -> float:
    return float(np.sum(np.asarray(values, dtype=np.float64)))


@dataclass(frozen=True)
class Source:
    """Where an official dataset setting lives in a table.

    Attributes:
        dataset: the table's dataset name.
        sets: official set name (``train``, ``x-valid``, ``x-test``, ``ori-test``) -> table split
            prefix (metrics ``<prefix>_loss`` / ``_acc`` / ``_time``).
        wide: the table is a wide import (final-epoch values, no curves).
        drop_costs: per-trial costs of the table dataset that do not belong to this setting.
    """

    dataset: str
    sets: dict[str, str] = field(default_factory=dict)
    wide: bool = False
    drop_costs: frozenset = frozenset()


def _wide_target(ds: str, prefix: str) -> tuple[str, str]:
    """(official dataset, official set) of a wide table's split prefix."""
    if prefix in ("valid", "x-valid"):
        return ("cifar10-valid" if ds == "cifar10" else ds), "x-valid"
    if prefix in ("test", "ori-test"):
        return ds, ("ori-test" if ds in ("cifar10", "cifar10-valid") else "x-test")
    return ds, prefix


def sources_of(b: Benchmark) -> dict[str, Source]:
    """Official dataset name -> `Source`, for every dataset setting the table can answer."""
    wide = (b.manifest.get("import") or {}).get("format") == "wide"
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for ds in b.datasets():
        prefixes = sorted(
            {m.rsplit("_", 1)[0] for m in b.metrics(ds) if m.endswith(("_acc", "_loss", "_time"))}
        )
        for p in prefixes:
            if wide:
                name, st = _wide_target(ds, p)
            else:
                name, st = ds, ("ori-test" if p == "test" else p)
            out.setdefault(name, (ds, {}))[1][st] = p
    order = [d for d in NATS_DATASETS if d in out] + [d for d in out if d not in NATS_DATASETS]
    # A wide cifar10 file's per-cell train time is the cifar10-valid run's (25k training images;
    # checked against the official records of cells 0, 11 and 284): cifar10 (train+valid, 50k
    # images) does not get it.
    return {
        d: Source(
            out[d][0],
            out[d][1],
            wide,
            frozenset({"train_time_s"})
            if wide and d == "cifar10" and out[d][0] == "cifar10"
            else frozenset(),
        )
        for d in order
    }


class TrialStore:
    """Row-wise access to a table's trials, one (dataset, hp) file and one column at a time.

    The facades answer per cell, so they keep each column as the file holds it, ``(rows, T)``
    float32 (rows sorted by cell, then seed), instead of `Benchmark`'s dense
    ``(15625, n_seeds, T)`` arrays: memory follows the trials the table holds (a few cells cost
    a few kB, not 37 MB per 200-epoch column) and no seed means are computed.
    """

    def __init__(self, b: Benchmark) -> None:
        self.benchmark = b
        self._files = {(s["dataset"], str(s["hp"])): s["file"] for s in b.manifest["settings"]}
        self._index: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._columns: dict[tuple[str, str, str], np.ndarray] = {}

    def _read(self, dataset: str, hp: str, column: str) -> Any:
        # ParquetFile, not pq.read_table: the latter imports pyarrow.dataset (~1 s, ~60 MB);
        # opened by the table, so its checksum and own setting are checked as for any query
        with self.benchmark._open_file(dataset, hp) as pf:
            table = pf.read(columns=[column], use_threads=False)
        return table.column(0).combine_chunks()

    def rows(self, dataset: str, hp: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(cell of each row, seed of each row, first row of each cell)``; the last has 15626
        entries, so cell i's rows are ``starts[i]:starts[i + 1]``."""
        key = (dataset, hp)
        if key not in self._index:
            cells = np.asarray(self._read(dataset, hp, "arch_index").to_numpy(), np.int64)
            seeds = np.asarray(self._read(dataset, hp, "seed").to_numpy(), np.int64)
            starts = np.searchsorted(cells, np.arange(NUM_ARCHS + 1))
            self._index[key] = (cells, seeds, starts)
        return self._index[key]

    def column(self, dataset: str, hp: str, name: str) -> np.ndarray:
        """A curve ``(rows, T)`` float32 or a cost ``(rows,)`` float64; NaN = not recorded."""
        key = (dataset, hp, name)
        if key not in self._columns:
            col = self._read(dataset, hp, name)
            if name in _COSTS:
                out = np.asarray(col.to_numpy(zero_copy_only=False), np.float64)
            else:
                T = self.benchmark.epochs(dataset, hp)
                flat = col.values.slice(col.offset * T, len(col) * T)
                out = np.asarray(flat.to_numpy(zero_copy_only=False), np.float32)
                out = out.reshape(len(col), T)
                if col.null_count:  # a whole curve may be null
                    out = out.copy()
                    out[np.asarray(col.is_null().to_numpy(zero_copy_only=False), bool)] = np.nan
            out.setflags(write=False)
            self._columns[key] = out
        return self._columns[key]

    def cell_rows(self, dataset: str, hp: str, index: int) -> slice:
        starts = self.rows(dataset, hp)[2]
        return slice(int(starts[index]), int(starts[index + 1]))


class ResultsCount:
    """One trial (dataset setting, seed) of one cell, shaped like the official ``ResultsCount``.

    ``get_train`` / ``get_eval`` / ``get_times`` / ``get_latency`` answer as the official methods;
    the per-epoch dicts (``train_acc1es``, ``eval_acc1es`` keyed ``"<set>@<epoch>"``, ...) hold
    only what the table recorded. Each (set, epoch) point is computed once and kept (a facade
    keeps recently asked cells' views, so repeated queries are dict lookups).
    """

    def __init__(
        self,
        dataset: str,
        seed: int,
        epochs: int,
        curves: dict[tuple[str, str], np.ndarray],
        costs: dict[str, float | None],
        arch_str: str,
    ) -> None:
        self.dataset = dataset
        self.seed = seed
        self.epochs = epochs
        self._curves = curves
        self._costs = costs
        self.arch_str = arch_str
        self.name = f"{dataset}-seed-{seed}"
        self.params = costs.get("params_m")
        self.flop = costs.get("flops_m")
        lat = costs.get("latency_s")
        self.latency = None if lat is None else [lat]
        self.net_state_dict = None
        #: (set, epoch) -> the point dict, or the message of its MissingDataError.
        self._points: dict[tuple[str, int], dict[str, Any] | str] = {}
        self.eval_names = [
            s
            for s in EVAL_SETS
            if any((s, k) in curves and np.isfinite(curves[(s, k)]).any() for k in _FIELDS.values())
        ]

    def __repr__(self) -> str:
        return (
            f"ResultsCount({self.name}, arch={self.arch_str}, seed={self.seed}, "
            f"{len(self.eval_names)} eval-sets: [{', '.join(self.eval_names)}])"
        )

    # ---- the official per-epoch dicts -------------------------------------------------------

    def _series(self, st: str, k: str) -> dict[int, float]:
        c = self._curves.get((st, k))
        return {} if c is None else {int(e): float(c[e]) for e in np.flatnonzero(np.isfinite(c))}

    @property
    def train_acc1es(self) -> dict[int, float]:
        return self._series("train", "acc")

    @property
    def train_acc5es(self) -> dict[int, float] | None:
        return self._series("train", "acc5") or None

    @property
    def train_losses(self) -> dict[int, float]:
        return self._series("train", "loss")

    @property
    def train_times(self) -> dict[int, float] | None:
        return self._series("train", "time") or None

    def _eval_dict(self, k: str) -> dict[str, float]:
        return {f"{s}@{e}": v for s in self.eval_names for e, v in self._series(s, k).items()}

    @property
    def eval_acc1es(self) -> dict[str, float]:
        return self._eval_dict("acc")

    @property
    def eval_losses(self) -> dict[str, float]:
        return self._eval_dict("loss")

    @property
    def eval_times(self) -> dict[str, float]:
        return self._eval_dict("time")

    # ---- the official accessors -------------------------------------------------------------

    def get_total_epoch(self) -> int:
        return self.epochs

    def get_eval_set(self) -> list[str]:
        return list(self.eval_names)

    def get_latency(self) -> float:
        """Mean recorded latency (s); -1.0 when none was recorded (as the official)."""
        return -1.0 if self.latency is None else float(self.latency[0])

    def get_net_param(self, clone: bool = False) -> Any:
        raise MissingDataError(
            "surrogate-nb tables hold no trained weights; build the network with "
            "surrogate_nb.network.build_network and train it"
        )

    def _epoch(self, iepoch: int | None) -> int:
        if iepoch is None:
            return self.epochs - 1
        if isinstance(iepoch, (int, np.integer)) and 0 <= int(iepoch) < self.epochs:
            return int(iepoch)
        raise CompatValueError(
            f"invalid iepoch={iepoch!r}: epochs count from 0 to {self.epochs - 1} (None = last)"
        )

    def _time(self, st: str, e: int) -> tuple[float | None, float | None]:
        t = self._curves.get((st, "time"))
        if t is not None and np.isfinite(t[: e + 1]).all():
            return float(t[e]), _sum(t[: e + 1])
        total = self._costs.get("train_time_s") if st == "train" else None
        if total is not None and e == self.epochs - 1:  # a per-trial total, no per-epoch times
            return None, total
        return None, None

    def _point(self, st: str, e: int) -> dict[str, Any]:
        """The shared (cached) point dict; callers that hand it out copy it."""
        point = self._points.get((st, e))
        if point is None:
            try:
                point = self._compute_point(st, e)
            except MissingDataError as exc:
                point = str(exc)
            self._points[(st, e)] = point
        if isinstance(point, str):
            raise MissingDataError(point)
        return point

    def _compute_point(self, st: str, e: int) -> dict[str, Any]:
        losses = self._curves.get((st, "loss"))
        accs = self._curves.get((st, "acc"))
        loss = None if losses is None else _f(losses[e])
        acc = None if accs is None else _f(accs[e])
        cur, total = self._time(st, e)
        if loss is None and acc is None and (st != "train" or total is None):
            raise MissingDataError(
                f"{self.dataset} seed {self.seed}: no {st} loss or accuracy recorded at epoch {e}"
            )
        return {"iepoch": e, "loss": loss, "accuracy": acc, "cur_time": cur, "all_time": total}

    def get_train(self, iepoch: int | None = None) -> dict[str, Any]:
        """``{"iepoch", "loss", "accuracy", "cur_time", "all_time"}`` on the training set."""
        return dict(self._point("train", self._epoch(iepoch)))

    def get_eval(self, name: str, iepoch: int | None = None) -> dict[str, Any]:
        """The same keys on eval set ``name`` (``"valid"`` means ``"x-valid"``)."""
        e = self._epoch(iepoch)
        name = "x-valid" if name == "valid" else name
        if name not in self.eval_names:
            raise MissingDataError(
                f"{self.dataset} seed {self.seed} records no {name!r} set; it holds "
                f"{self.eval_names}"
            )
        return dict(self._point(name, e))

    def get_times(self) -> dict[str, float | None]:
        """``T-train@epoch`` / ``@total`` and ``T-<set>@epoch`` / ``@total`` per eval set."""
        T = self.epochs
        info: dict[str, float | None] = {}
        for st in ("train", *self.eval_names):
            t = self._curves.get((st, "time"))
            if t is not None and np.isfinite(t).all():
                total = _sum(t)
                info[f"T-{st}@epoch"], info[f"T-{st}@total"] = total / T, total
            elif st == "train" and (recorded := self._costs.get("train_time_s")) is not None:
                info[f"T-{st}@epoch"], info[f"T-{st}@total"] = recorded / T, recorded
            else:
                info[f"T-{st}@epoch"] = info[f"T-{st}@total"] = None
        return info

    def get_config(self, str2structure: Callable | None = None) -> dict[str, Any]:
        """The official network config (NB201 TinyNetwork: C=16, N=5)."""
        cfg: dict[str, Any] = {"name": "infer.tiny", "C": 16, "N": 5}
        if str2structure is None:
            cfg["arch_str"] = self.arch_str
        else:
            cfg["genotype"] = str2structure(self.arch_str)
        cfg["num_classes"] = NUM_CLASSES.get(self.dataset)
        return cfg


def _mean(values: Sequence[float], numpy_mean: bool) -> float:
    return float(np.mean(values)) if numpy_mean else sum(values) / len(values)


class ArchResults:
    """All trials of one cell under one hp, shaped like the official ``ArchResults``.

    Args:
        arch_index / arch_str: the cell.
        trials: ``{dataset: {seed: ResultsCount}}``, seeds in increasing order.
        aggregates: ``{dataset: ResultsCount}`` holding values recorded only as a mean over
            unnamed seeds (wide imports); they answer ``is_random=False`` for sets no seed holds.
        legacy_fix: apply NATS-Bench 1.8's fix for inconsistent flops / params (seed 888's value).
        numpy_mean: average with ``np.mean`` (nas_201_api) rather than ``sum / len`` (nats_bench).
        draw: picks an index in ``range(n)`` for ``is_random=True``.
    """

    def __init__(
        self,
        arch_index: int,
        arch_str: str,
        trials: dict[str, dict[int, ResultsCount]],
        aggregates: dict[str, ResultsCount],
        *,
        legacy_fix: bool,
        numpy_mean: bool,
        draw: Callable[[int], int] | None = None,
    ) -> None:
        self.arch_index = arch_index
        self.arch_str = arch_str
        self.dataset_seed = {d: list(t) for d, t in trials.items()}
        self.all_results = {(d, s): r for d, t in trials.items() for s, r in t.items()}
        self.clear_net_done = True
        self._aggregates = aggregates
        self._legacy_fix = legacy_fix
        self._numpy_mean = numpy_mean
        self._draw = draw or (lambda n: _random.randrange(n))
        #: (dataset, setname, iepoch) -> seed-mean dict, or the message of its MissingDataError.
        self._means: dict[tuple[str, str, int | None], dict[str, Any] | str] = {}
        self._epochs: dict[str | None, int] = {}

    def __repr__(self) -> str:
        return (
            f"ArchResults(arch-index={self.arch_index}, arch={self.arch_str}, "
            f"{len(self.all_results)} runs, clear=True)"
        )

    def _seeds(self, dataset: str) -> list[int]:
        try:
            return self.dataset_seed[dataset]
        except KeyError:
            raise CompatKeyError(
                "dataset", dataset, list(self.dataset_seed), f"for cell {self.arch_index}"
            ) from None

    def get_dataset_names(self) -> list[str]:
        return list(self.dataset_seed)

    def get_dataset_seeds(self, dataset: str) -> list[int]:
        return list(self._seeds(dataset))

    def query(self, dataset: str, seed: int | None = None) -> Any:
        """``{seed: ResultsCount}`` of ``dataset``, or the one trial of ``seed``."""
        seeds = self._seeds(dataset)
        if seed is None:
            return {s: self.all_results[(dataset, s)] for s in seeds}
        if seed not in seeds:
            raise CompatKeyError("seed", seed, seeds, f"for {dataset!r}, cell {self.arch_index}")
        return self.all_results[(dataset, seed)]

    def get_net_param(self, dataset: str, seed: int | None = None) -> Any:
        raise MissingDataError(
            "surrogate-nb tables hold no trained weights; build the network with "
            "surrogate_nb.network.build_network and train it"
        )

    def get_total_epoch(self, dataset: str | None = None) -> int:
        if dataset in self._epochs:
            return self._epochs[dataset]
        names = self.get_dataset_names() if dataset is None else [dataset]
        epochs = {self.all_results[(d, s)].epochs for d in names for s in self._seeds(d)}
        if len(epochs) != 1:
            raise CompatValueError(f"trials of cell {self.arch_index} differ in epochs: {epochs}")
        self._epochs[dataset] = epochs.pop()
        return self._epochs[dataset]

    def get_latency(self, dataset: str) -> float:
        """Mean latency over the seeds; `CompatValueError` when a seed has none (as official)."""
        lats = []
        for s in self._seeds(dataset):
            lat = self.all_results[(dataset, s)].get_latency()
            if lat <= 0:
                raise CompatValueError(f"no latency recorded for {dataset} with seed={s}")
            lats.append(lat)
        return sum(lats) / len(lats)

    def _costs(self, values: list[float | None], seeds: list[int]) -> float | None:
        vals = [v for v in values if v is not None]
        if not vals:
            return None
        inconsistent = len({f"{v:.5f}" for v in vals}) > 1
        if self._legacy_fix and len(vals) == len(values) > 1 and inconsistent and 888 in seeds:
            return vals[seeds.index(888)]  # nats_bench 1.6+: the 888 run's value
        return _mean(vals, self._numpy_mean)

    def _seed_mean(
        self,
        dataset: str,
        setname: str,
        iepoch: int | None,
        seeds: list[int],
        one: Callable[[ResultsCount], dict[str, Any]],
    ) -> dict[str, Any]:
        """Mean over the seeds that record ``setname`` at ``iepoch`` (per key, Nones left out)."""
        infos, missing = [], None
        for s in seeds:
            try:
                infos.append(one(self.all_results[(dataset, s)]))
            except MissingDataError as e:
                missing = e
        if not infos and dataset in self._aggregates:
            return one(self._aggregates[dataset])
        if not infos:
            raise missing or MissingDataError(f"{dataset}: no {setname} values")
        out: dict[str, Any] = {}
        for k in infos[0]:
            vals = [i[k] for i in infos if i[k] is not None]
            out[k] = _mean(vals, self._numpy_mean) if vals and k != "iepoch" else None
        out["iepoch"] = infos[0]["iepoch"]
        return out

    def get_compute_costs(self, dataset: str) -> dict[str, float | None]:
        """``flops``, ``params``, ``latency`` and the ``T-*`` times, means over the seeds."""
        seeds = self._seeds(dataset)
        results = [self.all_results[(dataset, s)] for s in seeds]
        lats = [r.get_latency() for r in results]
        lats = [x for x in lats if x > 0]
        info: dict[str, float | None] = {
            "flops": self._costs([r.flop for r in results], seeds),
            "params": self._costs([r.params for r in results], seeds),
            "latency": _mean(lats, self._numpy_mean) if lats else None,
        }
        times: dict[str, list[float | None]] = {}
        for r in results:
            for k, v in r.get_times().items():
                times.setdefault(k, []).append(v)
        for k, vs in times.items():
            got = [v for v in vs if v is not None]
            info[k] = _mean(got, self._numpy_mean) if got else None
        return info

    def get_metrics(
        self, dataset: str, setname: str, iepoch: int | None = None, is_random: Any = False
    ) -> dict[str, Any]:
        """Loss, accuracy and times on ``setname`` (see the official docstring for the sets).

        ``is_random``: True = one trial drawn, False = mean over the trials, an int = that seed.
        """
        seeds = self._seeds(dataset)

        def one(r: ResultsCount) -> dict[str, Any]:
            return r.get_train(iepoch) if setname == "train" else r.get_eval(setname, iepoch)

        if isinstance(is_random, bool) and is_random:
            return one(self.all_results[(dataset, seeds[self._draw(len(seeds))])])
        if isinstance(is_random, bool) and not (
            iepoch is None or isinstance(iepoch, (int, np.integer))
        ):
            return self._seed_mean(dataset, setname, iepoch, seeds, one)  # raises its error
        if isinstance(is_random, bool):
            key = (dataset, setname, iepoch)
            mean = self._means.get(key)
            if mean is None:
                try:
                    mean = self._seed_mean(dataset, setname, iepoch, seeds, one)
                except MissingDataError as exc:
                    mean = str(exc)
                self._means[key] = mean
            if isinstance(mean, str):
                raise MissingDataError(mean)
            return dict(mean)
        if isinstance(is_random, (int, np.integer)):
            if int(is_random) not in seeds:
                raise CompatValueError(
                    f"can not find random seed ({is_random}) from {seeds} for {dataset!r}, "
                    f"cell {self.arch_index}"
                )
            return one(self.all_results[(dataset, int(is_random))])
        raise CompatValueError(f"invalid value for is_random: {is_random!r} (True, False, a seed)")


def cell_results(
    store: TrialStore,
    sources: dict[str, Source],
    index: int,
    arch_str: str,
    hp_of: Callable[[str], str | None],
    datasets: Sequence[str] | None = None,
    **kw: Any,
) -> ArchResults:
    """The `ArchResults` view of cell ``index``; ``hp_of(dataset)`` gives the table hp (None =
    the dataset does not hold that hp, so it is left out, as in an official record)."""
    trials: dict[str, dict[int, ResultsCount]] = {}
    aggregates: dict[str, ResultsCount] = {}
    for name in datasets if datasets is not None else list(sources):
        src = sources[name]
        hp = hp_of(src.dataset)
        if hp is None:
            continue
        b = store.benchmark
        rows = store.cell_rows(src.dataset, hp, index)
        seeds = store.rows(src.dataset, hp)[1][rows]
        metrics = set(b.metrics(src.dataset, hp))
        T = b.epochs(src.dataset, hp)
        arrays = {}
        for st, prefix in src.sets.items():
            for k in ("loss", "acc", "time") + (("acc5",) if st == "train" else ()):
                if f"{prefix}_{k}" in metrics:
                    arrays[(st, k)] = store.column(src.dataset, hp, f"{prefix}_{k}")[rows]
        costs = {c: store.column(src.dataset, hp, c)[rows] for c in _COSTS}
        per_seed: dict[int, ResultsCount] = {}
        for j, seed in enumerate(seeds.tolist()):
            curves = {key: a[j] for key, a in arrays.items()}
            if src.wide and not any(np.isfinite(c).any() for c in curves.values()):
                continue  # a wide trial of the same table dataset that holds another view's sets
            costs_j = {c: None if c in src.drop_costs else _f(v[j]) for c, v in costs.items()}
            per_seed[seed] = ResultsCount(name, seed, T, curves, costs_j, arch_str)
        if AGGREGATE_SEED in per_seed and len(per_seed) > 1:
            aggregates[name] = per_seed.pop(AGGREGATE_SEED)
        if per_seed:
            trials[name] = per_seed
    return ArchResults(index, arch_str, trials, aggregates, **kw)


_COSTS = ("params_m", "flops_m", "latency_s", "train_time_s")
