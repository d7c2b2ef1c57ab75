"""The methods NATS-Bench's ``NATStopology`` and nas_201_api's ``NASBench201API`` share, answered
from a `Benchmark` through the record views of `surrogate_nb.compat._records`.

Subclasses set a few class attributes for the small ways the two official packages differ (how
they average, the NATS flops/params fix, the ``comment`` key, the text format).
"""

from __future__ import annotations

import functools
import os
import sys
from collections import OrderedDict
from typing import Any, TextIO

import numpy as np

from surrogate_nb.compat._errors import CompatKeyError, CompatValueError, MissingDataError
from surrogate_nb.compat._records import (
    AGGREGATE_SEED,
    NATS_DATASETS,
    NUM_CLASSES,
    ArchResults,
    Source,
    TrialStore,
    cell_results,
    sources_of,
)
from surrogate_nb.space import NUM_ARCHS, Arch
from surrogate_nb.space.nb201 import arch_strings
from surrogate_nb.table import Benchmark

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
_HP_NAMES = {"less": "12", "full": "200", True: "12", False: "200"}
_GROUPS = {  # official dataset -> [(key prefix, set name)] that get_more_info reports
    "cifar10-valid": [("valid", "x-valid"), ("test", "ori-test")],
    "cifar10": [("test", "ori-test")],
}
_DEFAULT_GROUPS = [("valid", "x-valid"), ("test", "x-test"), ("valtest", "ori-test")]
#: Record views a facade keeps, most recently used first ((cell, hp, datasets) each; a view
#: holds its answers once computed, so a repeated query is a few dict lookups). Bounded: one
#: view is a few kB, all 15,625 cells x 2 hps x 4 datasets would be ~1 GB.
CACHED_VIEWS = 4096


class MoreInfo(dict):
    """The dict ``get_more_info`` returns, plus ``lacks``: one line naming what the table does not
    record for this query (None when it records everything the official API would return)."""

    lacks: str | None = None


def remap_dataset_set_names(dataset: str, metric_on_set: str) -> tuple[str, str]:
    """The official short names (``cifar10`` + ``valid`` ...) -> (dataset setting, eval set)."""
    if dataset == "cifar10" and metric_on_set == "valid":
        return "cifar10-valid", "x-valid"
    if dataset == "cifar10" and metric_on_set == "test":
        return "cifar10", "ori-test"
    if dataset in ("cifar100", "ImageNet16-120") and metric_on_set in ("valid", "test"):
        return dataset, "x-" + metric_on_set
    return dataset, metric_on_set


def str2lists(arch_str: str) -> list[tuple[tuple[str, int], ...]]:
    """``|op~0|+|op~0|op~1|+...`` -> one tuple of ``(op, input node)`` per node."""
    nodes = []
    for node in arch_str.split("+"):
        pairs = []
        for item in filter(None, node.split("|")):
            parts = item.split("~")
            if len(parts) != 2:
                raise CompatValueError(f"invalid input {item!r} in {arch_str!r}: expected op~node")
            pairs.append((parts[0], int(parts[1])))
        nodes.append(tuple(pairs))
    return nodes


def str2matrix(arch_str: str, search_space: Any = OPS) -> np.ndarray:
    """NB101-style adjacency: ``m[i + 1, j]`` = index in ``search_space`` of the op j -> i+1."""
    nodes = str2lists(arch_str)
    m = np.zeros((len(nodes) + 1, len(nodes) + 1))
    for i, pairs in enumerate(nodes):
        for op, j in pairs:
            if op not in search_space:
                raise CompatValueError(f"this op ({op}) is not in {list(search_space)}")
            m[i + 1, j] = list(search_space).index(op)
    return m


class TopologyAPI:
    """Shared implementation; see `surrogate_nb.compat.nats` and `surrogate_nb.compat.nb201`."""

    #: nats_bench averages with sum/len, nas_201_api with np.mean.
    _numpy_mean = False
    #: nats_bench >= 1.6 takes seed 888's flops / params when the seeds disagree.
    _legacy_fix = True
    #: nats_bench adds a ``comment`` for cifar10-valid / cifar10.
    _comment = True
    #: separator in ``query_info_str_by_arch`` lines.
    _metric_sep = " &"

    def __init__(
        self,
        benchmark: Benchmark,
        rng: np.random.Generator | None = None,
        verbose: bool = False,
    ) -> None:
        self.benchmark = benchmark
        self.rng = rng if rng is not None else np.random.default_rng()
        self.verbose = verbose
        self.filename = os.path.basename(str(benchmark.path))
        self._sources: dict[str, Source] = sources_of(benchmark)
        self._store = TrialStore(benchmark)
        self.meta_archs = list(arch_strings())
        self.archstr2index = _archstr2index().copy()
        self._views: OrderedDict[tuple[int, str, tuple[str, ...] | None], ArchResults] = (
            OrderedDict()
        )
        self._avaliable_hps = {hp for d in benchmark.datasets() for hp in benchmark.hps(d)}
        self._evaluated: np.ndarray | None = None
        self._used_time = 0.0

    # ---- the space ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return NUM_ARCHS

    def __getitem__(self, index: int) -> str:
        return self.meta_archs[index]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({len(self.evaluated_indexes)}/{NUM_ARCHS} architectures, "
            f"table={self.benchmark.path})"
        )

    @property
    def avaliable_hps(self) -> list[str]:
        return sorted(self._avaliable_hps, key=int)

    @property
    def used_time(self) -> float:
        return self._used_time

    def reset_time(self) -> None:
        self._used_time = 0

    @property
    def evaluated_indexes(self) -> Any:
        return set(self._evaluated_array().tolist())

    def _evaluated_array(self) -> np.ndarray:
        if self._evaluated is None:
            b = self.benchmark
            cells = [self._store.rows(d, hp)[0] for d in b.datasets() for hp in b.hps(d)]
            self._evaluated = np.unique(np.concatenate(cells)) if cells else np.zeros(0, np.int64)
        return self._evaluated

    def arch(self, index: int) -> str:
        """NB201 string of cell ``index``."""
        if not isinstance(index, (int, np.integer)) or not 0 <= int(index) < NUM_ARCHS:
            raise CompatValueError(f"invalid index : {index!r} vs. {NUM_ARCHS} (0 .. 15624)")
        return self.meta_archs[int(index)]

    def random(self) -> int:
        """A random cell index (drawn with this API's ``rng``)."""
        return int(self.rng.integers(NUM_ARCHS))

    def query_index_by_arch(self, arch: Any) -> int:
        """Index of an arch string / object with ``tostr()`` / index; -1 for a string that is not a
        cell. An int outside 0 .. 15624 raises `CompatValueError` (a ValueError), as official."""
        if isinstance(arch, (int, np.integer)) and not isinstance(arch, bool):
            if 0 <= int(arch) < NUM_ARCHS:
                return int(arch)
            raise CompatValueError(
                f"Invalid architecture index {arch} vs [0, {NUM_ARCHS}): cells are 0 .. 15624"
            )
        if isinstance(arch, Arch):
            return arch.index
        if isinstance(arch, str):
            return self.archstr2index.get(arch, -1)
        if hasattr(arch, "tostr"):
            return self.archstr2index.get(arch.tostr(), -1)
        return -1

    def get_unique_str(self, arch: Any) -> str:
        """Isomorphism-class string (NATS ``to_unique_str(consider_zero=True)``)."""
        return Arch.from_index(self._cell(arch, need_trial=False)).unique_str()

    str2lists = staticmethod(str2lists)
    str2matrix = staticmethod(str2matrix)

    # ---- records -----------------------------------------------------------------------------

    def _cell(self, arch: Any, need_trial: bool = True) -> int:
        index = self.query_index_by_arch(arch)
        if index < 0:
            raise CompatValueError(f"{arch!r} is not a cell of the NB201 space")
        if need_trial and index not in self._evaluated_set():
            raise CompatValueError(
                f"cell {index} has no trial in table {self.benchmark.path}; "
                "fit a surrogate (surrogate_nb.SurrogateBenchmark) to answer for it"
            )
        return index

    def _evaluated_set(self) -> frozenset:
        if not hasattr(self, "_evaluated_frozen"):
            self._evaluated_frozen = frozenset(self._evaluated_array().tolist())
        return self._evaluated_frozen

    def _hp(self, hp: Any) -> str:
        if isinstance(hp, bool) or hp in ("less", "full"):
            return _HP_NAMES[hp]
        return str(hp)

    def _source(self, dataset: str) -> Source:
        src = self._sources.get(dataset) if isinstance(dataset, str) else None
        if src is None:
            raise CompatKeyError("dataset", dataset, list(self._sources), self._wide_hint(dataset))
        return src

    def _wide_hint(self, dataset: Any) -> str:
        if any(s.wide for s in self._sources.values()):
            return "a wide-CSV table answers only the settings its columns hold"
        return ""

    def _table_hp(self, dataset: str, hp: str) -> str | None:
        return hp if hp in self.benchmark.hps(dataset) else None

    def _results(self, index: int, hp: Any, datasets: list[str] | None = None) -> ArchResults:
        """The record view of a cell (kept: the last `CACHED_VIEWS` asked are reused)."""
        hp = self._hp(hp)
        key = (index, hp, None if datasets is None else tuple(datasets))
        ar = self._views.get(key)
        if ar is not None:
            self._views.move_to_end(key)
            return ar
        if hp not in self._avaliable_hps:
            raise CompatKeyError("hp", hp, self.avaliable_hps, f"in table {self.benchmark.path}")
        ar = cell_results(
            self._store,
            self._sources,
            index,
            self.meta_archs[index],
            lambda d: self._table_hp(d, hp),
            datasets,
            legacy_fix=self._legacy_fix,
            numpy_mean=self._numpy_mean,
            draw=lambda n: int(self.rng.integers(n)),
        )
        self._views[key] = ar
        if len(self._views) > CACHED_VIEWS:
            self._views.popitem(last=False)
        return ar

    def _dataset_results(self, index: int, dataset: str, hp: Any) -> ArchResults:
        self._source(dataset)
        ar = self._results(index, hp, [dataset])
        if dataset not in ar.dataset_seed:
            raise CompatKeyError(
                "dataset", dataset, [], f"cell {index} has no {dataset} trial at hp {self._hp(hp)}"
            )
        return ar

    def _draw_seed(self, seeds: list[int]) -> int:
        """The seed ``is_random=True`` uses (official: ``random.choice``)."""
        return seeds[int(self.rng.integers(len(seeds)))]

    def query_meta_info_by_index(self, arch_index: Any, hp: Any = "12") -> ArchResults:
        """All trials of a cell under ``hp``, as an ``ArchResults`` view."""
        index = self._cell(arch_index)
        ar = self._results(index, hp)
        if not ar.dataset_seed:
            raise CompatValueError(
                f"cell {index} has no trial at hp {self._hp(hp)}; hps: {self.avaliable_hps}"
            )
        return ar

    def query_by_index(self, arch_index: Any, dataname: str | None = None, hp: Any = "12") -> Any:
        """``ArchResults`` (``dataname=None``) or ``{seed: ResultsCount}`` of one dataset."""
        info = self.query_meta_info_by_index(arch_index, hp)
        if dataname is None:
            return info
        if dataname not in info.get_dataset_names():
            raise CompatValueError(
                f"invalid dataset-name : {dataname} vs. {info.get_dataset_names()}"
            )
        return info.query(dataname)

    # ---- the main queries --------------------------------------------------------------------

    def get_more_info(
        self,
        index: Any,
        dataset: str,
        iepoch: int | None = None,
        hp: Any = "12",
        is_random: bool | int = True,
    ) -> MoreInfo:
        """Train / valid / test / valtest loss, accuracy and times of one cell (official keys).

        Keys the table cannot fill are left out or None; ``.lacks`` on the returned dict says
        which in one line. A query with nothing recorded raises `MissingDataError`.
        """
        idx = self._cell(index)
        ar = self._dataset_results(idx, dataset, hp)
        if isinstance(is_random, bool) and is_random:
            is_random = self._draw_seed(ar.get_dataset_seeds(dataset))
        lacks: list[str] = []

        def metrics(setname: str) -> dict[str, Any] | None:
            try:
                return ar.get_metrics(dataset, setname, iepoch=iepoch, is_random=is_random)
            except MissingDataError:
                return None

        train = metrics("train")
        T = ar.get_total_epoch(dataset)
        e = T - 1 if iepoch is None else int(iepoch)
        total = e + 1
        info = MoreInfo()
        groups = [("train", train)]
        if self._comment and dataset in ("cifar10-valid", "cifar10"):
            info_comment = _COMMENT[dataset].format(self._hp(hp))
        else:
            info_comment = None
        for key, setname in _GROUPS.get(dataset, _DEFAULT_GROUPS):
            groups.append((key, metrics(setname)))
        for key, part in groups:
            if part is None:
                lacks.append(f"{key}-*")
                continue
            at = part["all_time"]
            info[f"{key}-loss"] = part["loss"]
            info[f"{key}-accuracy"] = part["accuracy"]
            info[f"{key}-per-time"] = at / total if at is not None else None
            info[f"{key}-all-time"] = at
            lacks += [f"{key}-{k}" for k in ("loss", "accuracy") if part[k] is None]
            if at is None:
                lacks.append(f"{key}-time")
            if key == "train" and info_comment is not None:
                info["comment"] = info_comment
        if info_comment is not None and "comment" not in info:
            info["comment"] = info_comment
        if lacks:
            info.lacks = (
                f"table {self.benchmark.path} does not record {', '.join(lacks)} for "
                f"{dataset} (hp {self._hp(hp)}, iepoch {e}, cell {idx})"
            )
        if not any(k != "comment" for k in info):
            raise MissingDataError(info.lacks)
        return info

    def get_cost_info(self, index: Any, dataset: str, hp: Any = "12") -> dict[str, float | None]:
        """``flops``, ``params``, ``latency``, ``T-train@epoch`` / ``@total`` and
        ``T-<eval set>@epoch`` / ``@total`` for the eval sets the cell's trials hold."""
        idx = self._cell(index)
        return self._dataset_results(idx, dataset, hp).get_compute_costs(dataset)

    def get_latency(self, index: Any, dataset: str, hp: Any = "12") -> float | None:
        """Mean recorded latency (s), None when not recorded."""
        return self.get_cost_info(index, dataset, hp)["latency"]

    def _time_cost(self, train_all: Any, valid_per: Any, what: str) -> float:
        if train_all is None:
            raise MissingDataError(
                f"table {self.benchmark.path} records no train time for {what}; "
                "simulate_train_eval needs it"
            )
        return train_all + (valid_per or 0.0)

    # ---- whole-table queries -----------------------------------------------------------------

    def find_best(
        self,
        dataset: str,
        metric_on_set: str,
        flop_max: float | None = None,
        param_max: float | None = None,
        hp: Any = "12",
        enforce_all: bool | None = None,
    ) -> tuple[int, float | None]:
        """``(index, accuracy)`` of the cell with the highest mean accuracy (last epoch) on
        ``metric_on_set``, among cells within the FLOP / param limits; ``(-1, None)`` if none.
        Cells whose flops (params) are not recorded are left out when a limit is given."""
        ds, setname = remap_dataset_set_names(dataset, metric_on_set)
        setname = "x-valid" if setname == "valid" else setname
        src = self._source(ds)
        hp_ = self._hp(hp)
        if hp_ not in self.benchmark.hps(src.dataset):
            raise CompatKeyError("hp", hp_, self.benchmark.hps(src.dataset), f"for {ds!r}")
        if setname not in src.sets:
            raise MissingDataError(
                f"table {self.benchmark.path} records no {setname!r} set for {ds}; "
                f"it holds {list(src.sets)}"
            )
        tds, prefix = src.dataset, src.sets[setname]
        cells, seeds, _ = self._store.rows(tds, hp_)
        acc = np.asarray(self._store.column(tds, hp_, f"{prefix}_acc")[:, -1], np.float64)
        mean = _cell_means(cells, acc)
        keep = np.isfinite(mean)
        for limit, cost in ((flop_max, "flops_m"), (param_max, "params_m")):
            if limit is None:
                continue
            c = self._cost_means(cells, seeds, self._store.column(tds, hp_, cost))
            keep &= np.isfinite(c) & ~(c > limit)
        if not keep.any():
            return -1, None
        best = int(np.flatnonzero(keep)[np.argmax(mean[keep])])
        return best, float(mean[best])

    def _cost_means(self, cells: np.ndarray, seeds: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Per-cell mean of a per-trial cost, with the NATS 888 fix when the seeds disagree."""
        out = _cell_means(cells, v)
        if not self._legacy_fix or not (seeds == 888).any():
            return out
        r = np.round(v, 5)
        ok = np.isfinite(r)
        lo = np.full(NUM_ARCHS, np.inf)
        hi = np.full(NUM_ARCHS, -np.inf)
        np.minimum.at(lo, cells[ok], r[ok])
        np.maximum.at(hi, cells[ok], r[ok])
        n_rows = np.bincount(cells, minlength=NUM_ARCHS)
        n_ok = np.bincount(cells[ok], minlength=NUM_ARCHS)
        at888 = np.full(NUM_ARCHS, np.nan)
        at888[cells[seeds == 888]] = v[seeds == 888]
        bad = (n_rows > 1) & (n_ok == n_rows) & (hi > lo) & np.isfinite(at888)
        out[bad] = at888[bad]
        return out

    def statistics(self, dataset: str, hp: Any) -> dict[int, int]:
        """``{number of seeds: number of cells}`` for ``dataset`` / ``hp`` (cells in the table)."""
        src = self._sources.get(dataset) if isinstance(dataset, str) else None
        if src is None:
            raise CompatValueError(f"{dataset} not in {list(self._sources)}")
        hp_ = self._hp(hp)
        counts = np.zeros(NUM_ARCHS, np.int64)
        if hp_ in self.benchmark.hps(src.dataset):
            cells, seeds, _ = self._store.rows(src.dataset, hp_)
            held = np.ones(len(cells), bool)
            if src.wide:  # a trial counts when it holds one of this setting's sets
                held[:] = False
                metrics = self.benchmark.metrics(src.dataset, hp_)
                for prefix in src.sets.values():
                    for k in ("acc", "loss"):
                        if f"{prefix}_{k}" in metrics:
                            col = self._store.column(src.dataset, hp_, f"{prefix}_{k}")
                            held |= np.isfinite(col).any(axis=1)
            real = held & (seeds != AGGREGATE_SEED)
            n_real = np.bincount(cells[real], minlength=NUM_ARCHS)
            n_agg = np.bincount(cells[held & ~real], minlength=NUM_ARCHS)
            counts = np.where(n_real > 0, n_real, n_agg)
        ev = self._evaluated_array()
        values, n = np.unique(counts[ev], return_counts=True)
        return {int(v): int(k) for v, k in zip(values, n, strict=True)}

    # ---- text --------------------------------------------------------------------------------

    def _info_lines(self, ar: ArchResults, extra: Any = None) -> list[str]:
        def fmt(part: dict[str, Any] | None) -> str:
            if part is None or part["accuracy"] is None:
                return "not recorded"
            loss = "n/a" if part["loss"] is None else f"{part['loss']:.3f}"
            return f"loss = {loss}{self._metric_sep} top1 = {part['accuracy']:.2f}%"

        def get(ds: str, st: str) -> dict[str, Any] | None:
            try:
                return ar.get_metrics(ds, st)
            except MissingDataError:
                return None

        names = ar.get_dataset_names()
        lines = [ar.arch_str, f"datasets : {names}, extra-info : {extra}"]
        for ds in names:
            c = ar.get_compute_costs(ds)
            lat = c["latency"]
            lat_s = f"{lat * 1000:.2f}" if lat is not None and lat > 0 else None
            flop = "  n/a" if c["flops"] is None else f"{c['flops']:6.2f}"
            par = "n/a" if c["params"] is None else f"{c['params']:.3f}"
            lines.append(f"{ds:14s} FLOP={flop} M, Params={par} MB, latency={lat_s} ms.")
            tr = fmt(get(ds, "train"))
            if ds == "cifar10-valid":
                lines.append(f"{ds:14s} train : [{tr}], valid : [{fmt(get(ds, 'x-valid'))}]")
            elif ds == "cifar10":
                lines.append(f"{ds:14s} train : [{tr}], test  : [{fmt(get(ds, 'ori-test'))}]")
            else:
                lines.append(
                    f"{ds:14s} train : [{tr}], valid : [{fmt(get(ds, 'x-valid'))}], "
                    f"test : [{fmt(get(ds, 'x-test'))}]"
                )
        return lines

    def query_info_str_by_arch(self, arch: Any, hp: Any = "12") -> str | None:
        """The official multi-line summary of a cell under ``hp``; None if it has no trial."""
        index = self.query_index_by_arch(arch)
        if index not in self._evaluated_set():
            return None
        ar = self._results(index, hp)
        return "\n".join(self._info_lines(ar, f"arch-index={index}"))

    def query_by_arch(self, arch: Any, hp: Any = "200") -> str | None:
        """Same as `query_info_str_by_arch` (the NB201 v1 name; v1 defaulted to 200 epochs)."""
        return self.query_info_str_by_arch(arch, hp)

    def show(self, index: int = -1, file: TextIO | None = None) -> None:
        """Print the summary of cell ``index`` (all cells with a trial when ``index < 0``)."""
        out = file or sys.stdout
        cells = self._evaluated_array().tolist() if index < 0 else [index]
        for i in cells:
            if not 0 <= i < NUM_ARCHS or i not in self._evaluated_set():
                print(f"The {i}-th architecture has no trial in this table.", file=out)
                continue
            for hp in self.avaliable_hps:
                ar = self._results(i, hp)
                if not ar.dataset_seed:
                    continue
                print(">" * 40 + f" {ar.get_total_epoch():03d} epochs " + ">" * 40, file=out)
                print("\n".join(self._info_lines(ar)), file=out)
            print("<" * 40 + "------------" + "<" * 40, file=out)

    # ---- networks ----------------------------------------------------------------------------

    def get_net_config(self, index: Any, dataset: str) -> dict[str, Any]:
        """The official network config: ``{"name": "infer.tiny", "C": 16, "N": 5, ...}``."""
        idx = self._cell(index, need_trial=False)
        if dataset not in NUM_CLASSES and dataset not in self._sources:
            raise CompatKeyError("dataset", dataset, list(NATS_DATASETS))
        return {
            "name": "infer.tiny",
            "C": 16,
            "N": 5,
            "arch_str": self.meta_archs[idx],
            "num_classes": NUM_CLASSES.get(dataset, 10),
        }

    def get_net_param(self, index: Any, dataset: str, seed: int | None, hp: Any = "12") -> Any:
        """Not available: tables hold results, not weights."""
        raise MissingDataError(
            "surrogate-nb tables hold no trained weights; build the network with "
            "surrogate_nb.network.build_network(Arch.from_index(i), num_classes) and train it"
        )

    def clear_params(self, index: int, hp: Any = None) -> None:
        """No-op: tables hold no weights."""

    def reload(self, archive_root: str | None = None, index: int | None = None) -> None:
        """No-op: the whole table is available from the start."""


@functools.cache
def _archstr2index() -> dict[str, int]:
    return {s: i for i, s in enumerate(arch_strings())}


def _cell_means(cells: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-cell mean over the trials that hold a value (NaN for none), float64 ``(15625,)``;
    summed in row (seed) order, as the official ``sum / len``."""
    v = np.asarray(values, np.float64)
    ok = np.isfinite(v)
    n = np.bincount(cells[ok], minlength=NUM_ARCHS)
    total = np.bincount(cells[ok], weights=v[ok], minlength=NUM_ARCHS)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


_COMMENT = {
    "cifar10-valid": (
        "In this dict, train-loss/accuracy/time is the metric on the train set of CIFAR-10. The "
        "test-loss/accuracy/time is the performance of the CIFAR-10 test set after training on "
        "the train set by {:} epochs. The per-time and total-time indicate the per epoch and "
        "total time costs, respectively."
    ),
    "cifar10": (
        "In this dict, train-loss/accuracy/time is the metric on the train+valid sets of "
        "CIFAR-10. The test-loss/accuracy/time is the performance of the CIFAR-10 test set after "
        "training on the train+valid sets by {:} epochs. The per-time and total-time indicate the "
        "per epoch and total time costs, respectively."
    ),
}
