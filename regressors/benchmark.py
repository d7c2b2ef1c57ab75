"""`SurrogateBenchmark`: the tabular `Benchmark.query` interface, answered by fitted surrogates.

A drop-in for `surrogate_nb.table.Benchmark` in search loops: ``query(arch, dataset, metric,
hp=None, epoch=None, seed=None, rng=None)`` returns the surrogate mean (``seed=None``) or a noisy
draw (``seed="sample"`` with ``rng``) for any cell of the space (NB201's 15,625, NB-101's
423,624), including cells the table lacks. A surrogate models the final-epoch, seed-averaged
value, so only the last epoch exists and integer seeds are refused. ``params_m`` / ``flops_m``
come from the space's network counters (`SearchSpace.counters`); ``latency_s`` /
``train_time_s`` from an optional tabular benchmark.
A learning-curve `CurveSurrogate` (`regressors.curve`) answers at every epoch (``epoch=e``,
``curve()``, ``epochs()``), with ``seed="sample"`` a single-run draw; one fitted across NB-101's
budgets answers ``hp="4"`` … ``hp="108"`` with one epoch each, as the NB-101 table. Implements
`surrogate_nb.table.BenchmarkLike`; `from_table` is the one way to fit one.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard, cast

import numpy as np

from surrogate_nb import _atomic
from surrogate_nb.errors import ModelFormatError, SurrogateNBError, UnknownKeyError
from surrogate_nb.regressors import curve
from surrogate_nb.regressors.curve import CurveSurrogate
from surrogate_nb.regressors.fitting import SurrogateModel, draw_split, fit_from_table
from surrogate_nb.regressors.surrogate import Surrogate, make_surrogate
from surrogate_nb.space import SearchSpace, as_space, get_space
from surrogate_nb.space.costs import counters
from surrogate_nb.table import COST_COLUMNS, Benchmark, BenchmarkLike, Costs

_INDEX = "surrogates.json"


def _key(dataset: str, metric: str, hp: str | None) -> str:
    return f"{dataset}/{metric}/{hp if hp is not None else '*'}"


#: ``(step, steps, what)``, called as fits proceed.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Target:
    """One surrogate `SurrogateBenchmark.from_table` fits: `metric` answered at schedule `hp`,
    fitted on the values of schedule `fit_hp` (None: `hp`), e.g. NB-101's train time answered at
    every budget from the longest budget that records it."""

    metric: str
    hp: str | None = None
    fit_hp: str | None = None


class SurrogateBenchmark:
    """Surrogates keyed by (dataset, metric, hp), queried like a tabular benchmark.

    Args:
        surrogates: {(dataset, metric, hp): fitted Surrogate}; hp may be None when a dataset has
            a single schedule.
        table: optional tabular `Benchmark` for measured costs (latency, train time) and epochs.

    >>> import numpy as np
    >>> from surrogate_nb.regressors import LGBRegressor
    >>> s = Surrogate(LGBRegressor(n_estimators=20), calibrate=False)
    >>> s = s.fit(np.arange(40), np.linspace(80, 90, 40), rng=np.random.default_rng(0))
    >>> b = SurrogateBenchmark({("cifar10-valid", "valid_acc", "200"): s})
    >>> isinstance(b.query(5, "cifar10-valid", "valid_acc"), float)
    True
    """

    def __init__(
        self,
        surrogates: Mapping[tuple[str, str, str | None], SurrogateModel],
        *,
        table: BenchmarkLike | None = None,
    ) -> None:
        self.surrogates = {
            (d, m, None if h is None else str(h)): s for (d, m, h), s in surrogates.items()
        }
        self.table = table
        self.path: Path | None = None
        spaces = {as_space(s.space).name for s in self.surrogates.values()}
        if len(spaces) > 1:
            raise UnknownKeyError(
                "search space mix", sorted(spaces), [], "every surrogate must model one space"
            )
        self._space: SearchSpace = get_space(spaces.pop() if spaces else "nb201")
        if table is not None and table.space is not self._space:
            raise UnknownKeyError(
                "table space", table.space.name, [self._space.name], "the surrogates' space"
            )

    @classmethod
    def from_table(
        cls,
        table: BenchmarkLike,
        dataset: str,
        metrics: str | Target | Sequence[str | Target],
        hp: str | None = None,
        *,
        rng: np.random.Generator,
        surrogate: SurrogateModel | None = None,
        train_size: int | None = None,
        cells: Sequence[int] | np.ndarray | None = None,
        on_progress: Progress | None = None,
    ) -> SurrogateBenchmark:
        """Fit a copy of `surrogate` (default ``Surrogate()``) per target on `table` (every cell
        with a value — of `cells` only, when given — or `train_size` random ones; `fit_from_table`,
        in the order given, all drawing from `rng`) and wrap them. A metric name is
        ``Target(metric, hp)``.

        `on_progress` is called as ``(step, steps, what)`` within each fit, `what` naming the
        target when there are several.
        """
        items = [metrics] if isinstance(metrics, (str, Target)) else metrics
        targets = list(dict.fromkeys(Target(t, hp) if isinstance(t, str) else t for t in items))
        fitted: dict[tuple[str, str, str | None], SurrogateModel] = {}
        for t in targets:
            report = on_progress
            if on_progress is not None and len(targets) > 1:
                label = f"{t.metric} hp {t.hp}"

                def report(k: int, n: int, what: str, label: str = label) -> None:
                    on_progress(k, n, f"{label} · {what}")

            fit = fit_from_table(
                table,
                dataset,
                t.metric,
                t.fit_hp if t.fit_hp is not None else t.hp,
                rng=rng,
                surrogate=surrogate,
                train_size=train_size,
                cells=cells,
                on_progress=report,
            )
            fitted[(dataset, t.metric, t.hp)] = fit.surrogate
        return cls(fitted, table=table)

    @classmethod
    def join(cls, *parts: SurrogateBenchmark) -> SurrogateBenchmark:
        """One benchmark answering every key of `parts` (e.g. a learning-curve surrogate of the
        metric from `from_curves` and a runtime surrogate from `from_table`), with the first
        part's table; a key held by two parts is refused."""
        if not parts:
            raise SurrogateNBError("join needs at least one SurrogateBenchmark")
        merged: dict[tuple[str, str, str | None], SurrogateModel] = {}
        for part in parts:
            twice = sorted(map(str, merged.keys() & part.surrogates.keys()))
            if twice:
                raise SurrogateNBError(f"join: {', '.join(twice)} answered by two parts")
            merged.update(part.surrogates)
        return cls(merged, table=parts[0].table)

    @classmethod
    def from_curves(
        cls,
        table: Benchmark,
        dataset: str,
        metrics: str | Sequence[str],
        hp: str | None = None,
        *,
        rng: np.random.Generator,
        design: str | None = None,
        **kwargs: Any,
    ) -> SurrogateBenchmark:
        """One `CurveSurrogate` per metric, fitted on every table cell with a whole curve
        (`curve.fit_curve_from_table`; ``cells=`` among `kwargs` keeps those only): it answers
        ``query(..., epoch=e)`` and ``curve``; with ``hp=None`` on NB-101's budgets,
        ``query(..., hp="36")`` as the table. `kwargs` go to `CurveSurrogate`."""
        names = [metrics] if isinstance(metrics, str) else list(dict.fromkeys(metrics))
        surrogates = {
            (dataset, m, hp): curve.fit_curve_from_table(
                table, dataset, m, hp, rng=rng, design=design, **kwargs
            )[0]
            for m in names
        }
        return cls(surrogates, table=table)

    @property
    def space(self) -> SearchSpace:
        """The space every surrogate models (NB201 when there are none)."""
        return self._space

    @property
    def manifest(self) -> dict[str, Any]:
        """What answers: the surrogates' keys, and the table's manifest when there is one."""
        return {
            "surrogates": [_key(*k) for k in self.surrogates],
            **({"table": dict(self.table.manifest)} if self.table is not None else {}),
        }

    # ---- lookups ------------------------------------------------------------------------------

    def datasets(self) -> list[str]:
        """Datasets that have a surrogate."""
        return sorted({d for d, _, _ in self.surrogates})

    def metrics(self, dataset: str | None = None, hp: str | None = None) -> list[str]:
        """Metrics with a surrogate (for `dataset`, all when None), plus the cost metrics."""
        names = {
            m
            for (d, m, h), s in self.surrogates.items()
            if dataset in (None, d) and (hp in (None, h) or _has_schedule(s, hp))
        }
        return sorted(names) + list(COST_COLUMNS)

    def seeds(self, dataset: str, hp: str | None = None) -> list[int]:
        """None: a surrogate models the mean over seeds, it has no per-seed values."""
        return []

    def epochs(self, dataset: str, hp: str | None = None) -> int | None:
        """T: the epochs a curve surrogate of `dataset` answers (1 per schedule of a budget
        model, as an NB-101 table), else the table's T; None when neither says (a final-epoch
        surrogate without a table)."""
        ts = set()
        for (d, _, h), s in self.surrogates.items():
            if d != dataset or not _is_curve(s):
                continue
            if s.hps is None and (hp is None or h in (None, str(hp))):
                ts.add(s.T)
            elif _has_schedule(s, hp):
                ts.add(1)
        if len(ts) == 1:
            return ts.pop()
        if self.table is None or dataset not in self.table.datasets():
            return None
        return self.table.epochs(dataset, hp)

    def _surrogate(self, dataset: str, metric: str, hp: str | None) -> SurrogateModel:
        hp = None if hp is None else str(hp)
        if (dataset, metric, hp) in self.surrogates:
            return self.surrogates[(dataset, metric, hp)]
        matches = [
            (k, s)
            for k, s in self.surrogates.items()
            if k[0] == dataset and k[1] == metric and (hp is None or k[2] is None)
        ]
        if len(matches) == 1:
            return matches[0][1]
        available = [_key(*k) for k in self.surrogates]
        if len(matches) > 1:
            raise UnknownKeyError(
                "hp",
                hp,
                sorted({str(k[2]) for k, _ in matches}),
                f"{dataset!r}/{metric!r} has several schedules; pass hp",
            )
        raise UnknownKeyError(
            "surrogate",
            _key(dataset, metric, hp),
            available,
            "fit one with `snb fit` or SurrogateBenchmark.from_table",
        )

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
        """The surrogate's value of one cell (float) or many (float64 array).

        Args:
            arch: a cell of the space (value, index or text form) or a list / array of them.
            dataset, metric, hp: which surrogate (as in `Benchmark.query`); metric may also be a
                cost ("params_m", "flops_m", "latency_s", "train_time_s").
            epoch: None (or the table's last epoch): surrogates model the final value only.
            seed: None = the surrogate mean; "sample" = a noisy draw with `rng`.
            rng: numpy Generator, required for ``seed="sample"``.

        Raises:
            UnknownKeyError: no surrogate for (dataset, metric, hp), another epoch, an int seed.
            ValueError: ``seed="sample"`` without ``rng``.
        """
        idx = self.space.as_indices(arch)
        scalar = idx.ndim == 0
        idx = np.atleast_1d(idx)
        if metric in COST_COLUMNS:
            out = self._cost_column(idx, dataset, metric, hp)
            return float(out[0]) if scalar else out
        surrogate = self._surrogate(dataset, metric, hp)
        if _is_curve(surrogate):  # a learning-curve surrogate answers at every epoch
            out = _curve_query(surrogate, idx, hp, epoch, seed, rng)
            return float(out[0]) if scalar else out
        self._check_epoch(dataset, hp, epoch)
        if seed is None:
            out = surrogate.predict(idx)[0]
        elif seed == "sample":
            if rng is None:
                raise ValueError("seed='sample' draws with `rng`: pass a numpy Generator")
            out = surrogate.sample(idx, rng)
        else:
            raise UnknownKeyError(
                "seed",
                seed,
                [None, "sample"],
                "a surrogate models the mean over seeds; use seed=None or seed='sample'",
            )
        return float(out[0]) if scalar else np.asarray(out, dtype=np.float64)

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
        """`query` and the number of measured seeds behind each value: 0, a prediction."""
        out = self.query(arch, dataset, metric, hp, epoch, seed, rng)
        return (out, 0) if isinstance(out, float) else (out, np.zeros(len(out), np.int64))

    def to_xy(
        self,
        dataset: str,
        metric: str,
        hp: str | None = None,
        seed: int | None = None,
        epoch: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every cell of the space and its prediction: ``(indices int64, values float64)``; for
        a space too large to list (DARTS), the cells of the table the surrogates came with."""
        if self.space.enumerable:
            idx = np.arange(self.space.cardinality, dtype=np.int64)
        elif self.table is not None and hasattr(self.table, "row_cells"):
            idx = np.asarray(self.table.row_cells(), dtype=np.int64)
        else:
            raise SurrogateNBError(
                f"to_xy lists every cell; the {self.space.name} space has "
                f"{self.space.cardinality:,}: give the benchmark a table (its held cells)"
            )
        return idx, np.asarray(self.query(idx, dataset, metric, hp, epoch, seed))

    def curve(
        self,
        arch: Any,
        dataset: str,
        metric: str,
        hp: str | None = None,
        seed: int | str | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """The per-epoch curve, float64 ``(T,)`` (or ``(n, T)`` for many cells), as
        `Benchmark.curve`: ``seed=None`` the predicted seed-mean curve, ``"sample"`` one plausible
        single-run curve drawn with `rng`. Needs a learning-curve surrogate
        (`regressors.curve.CurveSurrogate`) for (dataset, metric, hp)."""
        surrogate = self._surrogate(dataset, metric, hp)
        if not _is_curve(surrogate):
            raise UnknownKeyError(
                "curve surrogate",
                _key(dataset, metric, hp),
                [_key(*k) for k, s in self.surrogates.items() if _is_curve(s)],
                "this surrogate models the final epoch only; fit a CurveSurrogate",
            )
        idx = self.space.as_indices(arch)
        out = _curve_query(surrogate, np.atleast_1d(idx), hp, slice(None), seed, rng)
        return out[0] if idx.ndim == 0 else out

    def _check_epoch(self, dataset: str, hp: str | None, epoch: Any) -> None:
        if epoch is None:
            return
        T = self.epochs(dataset, hp)
        last = None if T is None else T - 1
        if last is None or epoch not in (last, -1):
            raise UnknownKeyError(
                "epoch",
                epoch,
                [None] if last is None else [None, last],
                "surrogates model the final epoch only; pass epoch=None",
            )

    def _cost_column(
        self, idx: np.ndarray, dataset: str, metric: str, hp: str | None
    ) -> np.ndarray:
        """One cost of many cells, as `cost` gives it per cell: a surrogate of the cost, else
        the network counters (params_m, flops_m), else the table, else NaN. The table and a
        surrogate answer in one batch; counters are computed once per distinct cell and kept
        (`_counters`)."""
        key = (dataset, metric, None if hp is None else str(hp))
        if key in self.surrogates:
            return np.asarray(self.surrogates[key].predict(idx)[0], np.float64)
        if metric in ("params_m", "flops_m"):
            cells, where = np.unique(idx, return_inverse=True)
            found = [_counters(self.space.name, int(i), dataset).get(metric) for i in cells]
            if all(v is not None for v in found):
                return np.asarray(found, np.float64)[where.reshape(-1)]
        out = np.full(len(idx), np.nan)
        if self.table is not None:
            with contextlib.suppress(LookupError, ValueError):  # the table lacks this dataset
                out = np.asarray(self.table.query(idx, dataset, metric, hp=hp), np.float64)
        return out

    def cost(self, arch: Any, dataset: str, hp: str | None = None) -> Costs:
        """Costs of one cell: params_m and flops_m from the network counters (NaN for an unknown
        dataset unless the table has them); latency_s, train_time_s and train_time_per_epoch_s
        from the tabular benchmark if one was given, else NaN."""
        out = dict.fromkeys((*COST_COLUMNS, "train_time_per_epoch_s"), float("nan"))
        if self.table is not None:
            with contextlib.suppress(LookupError, ValueError):  # the table lacks this dataset
                out.update(_as_floats(self.table.cost(arch, dataset, hp)))
        out.update(_counters(self.space.name, self.space.index_of(arch), dataset))
        for metric in COST_COLUMNS:  # a surrogate of a cost (NB-101 train time) answers for it
            key = (dataset, metric, None if hp is None else str(hp))
            if key in self.surrogates:
                out[metric] = float(self.surrogates[key].predict([self.space.index_of(arch)])[0][0])
        return cast(Costs, out)

    # ---- persistence --------------------------------------------------------------------------

    def memoise(self) -> SurrogateBenchmark:
        """Predict every cell now with each final-value surrogate (`Surrogate.memoise`; curve
        surrogates fill their memo per cell as asked). Returns self."""
        for s in self.surrogates.values():
            if isinstance(s, Surrogate):
                s.memoise()
        return self

    def save(self, path: str | os.PathLike) -> Path:
        """A directory with one saved `Surrogate` per key plus ``surrogates.json`` (the keys)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)

        def is_model(p: Path) -> bool:
            return _atomic.kind_of(p) == "model"

        with _atomic.writer_lock(path):
            _atomic.check_output(path, "model")
            _atomic.recover(path, is_model)
            _atomic.clean_stale(path)
            tmp = _atomic.staging_dir(path)
            try:
                entries = []
                for i, ((d, m, h), s) in enumerate(
                    sorted(self.surrogates.items(), key=lambda kv: _key(*kv[0]))
                ):
                    sub = f"surrogate{i}"
                    s.save(tmp / sub)
                    entries.append({"dataset": d, "metric": m, "hp": h, "dir": sub})
                index = {"format_version": 1, "surrogates": entries}
                (tmp / _INDEX).write_text(json.dumps(index))
                _atomic.commit(tmp, path, replaceable=is_model, what="model")
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        return path

    @classmethod
    def _from_single(cls, path: Path, table: BenchmarkLike | None) -> SurrogateBenchmark:
        """A folder written by `Surrogate.save` / ``snb fit``, as a one-key benchmark."""
        s = Surrogate.load(path)
        return cls({_single_key(s, path): s}, table=table)

    @classmethod
    def load(
        cls, path: str | os.PathLike, *, table: BenchmarkLike | None = None
    ) -> SurrogateBenchmark:
        """Read a directory written by `save`, or by `Surrogate.save` / ``snb fit`` (one
        surrogate, keyed by the dataset / metric / hp it was fitted on).

        Raises:
            ModelFormatError: missing or bad index, or a bad surrogate in it.
        """
        path = Path(path)
        if not (path / _INDEX).is_file() and (path / "manifest.json").is_file():
            return cls._from_single(path, table)
        try:
            index = json.loads((path / _INDEX).read_text())
            entries = index["surrogates"]
            if index.get("format_version") != 1:
                raise ModelFormatError(
                    f"{path / _INDEX}: format_version {index.get('format_version')!r} unsupported"
                )
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ModelFormatError(f"{path} is not a saved SurrogateBenchmark: {exc}") from exc
        surrogates = {
            (e["dataset"], e["metric"], e["hp"]): _load_any(path / Path(e["dir"]).name)
            for e in entries
        }
        return cls(surrogates, table=table)


#: The `hp` of `fit_table_model` that fits every schedule of a dataset.
ALL_HPS = "all"


def fit_table_model(
    table: Benchmark,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    model: str = "xgb",
    rng: np.random.Generator,
    train_size: int | None = None,
    tune_trials: int = 0,
    curve_design: str | None = None,
    on_progress: Progress | None = None,
) -> Surrogate | SurrogateBenchmark:
    """The surrogate ``snb fit`` fits on a table (either kind saves with ``.save(path)``).

    Args:
        hp: one schedule (None: the dataset's only one), or `ALL_HPS` (``"all"``): one surrogate
            per schedule of `dataset` in a `SurrogateBenchmark`.
        model: the regressor's name (`make_surrogate`); with `curve_design`, the curve model's.
        train_size: fit on this many random cells (`draw_split`), else on every cell with a value.
        tune_trials: Optuna trials of a `Surrogate` (not used by curve surrogates).
        curve_design: None for a final-value `Surrogate`; ``"epoch"``, ``"svd"`` or ``"auto"``
            (`curve.DESIGNS`; auto: the better measured one) for a one-key `SurrogateBenchmark`
            holding a `CurveSurrogate` of every epoch of `hp`, or with ``hp="all"`` across the
            dataset's budgets (NB-101).

    Returns:
        the fitted `Surrogate` (one schedule), else a `SurrogateBenchmark`.
    """
    every = hp == ALL_HPS
    if curve_design is not None:
        if curve_design not in (*curve.DESIGNS, "auto"):
            raise UnknownKeyError("curve design", curve_design, [*curve.DESIGNS, "auto"])
        hp = None if every else hp
        cells = None
        if train_size is not None:
            have = table.to_xy(dataset, metric, hp=hp if hp is not None else table.hps(dataset)[0])
            rows, _ = draw_split(len(have[0]), min(train_size, len(have[0])), rng)
            cells = have[0][rows]
        design = None if curve_design == "auto" else curve_design
        return SurrogateBenchmark.from_curves(
            table, dataset, metric, hp, rng=rng, design=design, model=model, cells=cells
        )
    prototype = make_surrogate(model, tune_trials=tune_trials, space=table.space.name)
    if every:
        hps = sorted(table.hps(dataset), key=lambda x: (len(x), x))
        return SurrogateBenchmark.from_table(
            table,
            dataset,
            [Target(metric, h) for h in hps],
            rng=rng,
            surrogate=prototype,
            train_size=train_size,
            on_progress=on_progress,
        )
    fit = fit_from_table(
        table,
        dataset,
        metric,
        hp,
        rng=rng,
        surrogate=prototype,
        train_size=train_size,
        on_progress=on_progress,
    )
    return cast(Surrogate, fit.surrogate)


def _single_key(s: Surrogate, path: Path) -> tuple[str, str, str | None]:
    key = getattr(s, "key_", None)
    if not key or not isinstance(key.get("dataset"), str) or not isinstance(key.get("metric"), str):
        raise ModelFormatError(
            f"{path} is a single saved surrogate without its dataset and metric (saved before "
            "they were recorded); refit it with `snb fit`"
        )
    return key["dataset"], key["metric"], key.get("hp")


@functools.lru_cache(maxsize=1 << 17)
def _counters(space: str, index: int, dataset: str) -> dict[str, float]:
    """`counters` of one cell, kept: 50-110 µs per NB-101 / DARTS cell, asked again and again
    by searches (the dict is shared: read it, do not change it)."""
    return counters(space, index, dataset)


def _as_floats(costs: Costs) -> Mapping[str, float]:
    """A `Costs` read by a name known only at run time."""
    return cast(Mapping[str, float], costs)


def _is_curve(surrogate: object) -> TypeGuard[CurveSurrogate]:
    return isinstance(surrogate, CurveSurrogate)


def _has_schedule(surrogate: Any, hp: str | None) -> bool:
    """Whether `surrogate` is a budget curve model (NB-101) with schedule `hp` among its own."""
    return _is_curve(surrogate) and surrogate.hps is not None and str(hp) in surrogate.hps


def _curve_query(
    surrogate: Any,
    idx: np.ndarray,
    hp: str | None,
    epoch: Any,
    seed: Any,
    rng: np.random.Generator | None,
) -> np.ndarray:
    """Values of a `CurveSurrogate` for schedule `hp` at one epoch (int, None = last) or all
    (a slice); a budget model answers one epoch per schedule."""
    cols = surrogate.setting_columns(hp)
    if isinstance(epoch, slice):
        epoch = cols
    else:
        T = len(cols)
        if epoch is None:
            epoch = T - 1
        elif not (isinstance(epoch, (int, np.integer)) and not isinstance(epoch, bool)) or not (
            0 <= int(epoch) < T
        ):
            raise UnknownKeyError(
                "epoch", epoch, [0, T - 1], f"the curve surrogate's epochs count from 0 to {T - 1}"
            )
        epoch = int(cols[int(epoch)])
    if seed is None:
        out = surrogate.predict(idx)[0]
    elif isinstance(seed, str) and seed == "sample":
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                "seed='sample' draws a single-run curve and needs rng=numpy.random.Generator "
                f"(e.g. np.random.default_rng(0)); got rng={rng!r}"
            )
        out = surrogate.sample(idx, rng)
    else:
        raise UnknownKeyError(
            "seed",
            seed,
            [None, "sample"],
            "a surrogate models the mean over seeds; use seed=None or seed='sample'",
        )
    return np.asarray(out[:, epoch], dtype=np.float64)


def _load_any(path: Path) -> Any:
    """A saved `Surrogate` or `CurveSurrogate`, by its manifest's format."""
    with contextlib.suppress(OSError, ValueError, RecursionError):
        if json.loads((path / curve.MANIFEST).read_text()).get("format") == curve.FORMAT:
            return curve.CurveSurrogate.load(path)
    return Surrogate.load(path)
