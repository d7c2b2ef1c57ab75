"""`SurrogateBenchmark`: the tabular `Benchmark.query` interface, answered by fitted surrogates.

A drop-in for `surrogate_nb.table.Benchmark` in search loops: ``query(arch, dataset, metric,
hp=None, epoch=None, seed=None, rng=None)`` returns the surrogate mean (``seed=None``) or a noisy
draw (``seed="sample"`` with ``rng``) for any of the 15,625 cells, including cells the table
lacks. A `Surrogate` models the final-epoch, seed-averaged value, so only the last epoch exists and
integer seeds are refused; a learning-curve `CurveSurrogate` (`regressors.curve`) answers at every
epoch (``epoch=e``, ``curve()``, ``epochs()``), with ``seed="sample"`` a single-run draw.
``params_m`` / ``flops_m`` come from the network counters (`surrogate_nb.network`);
``latency_s`` / ``train_time_s`` from an optional tabular benchmark.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import ModelFormatError, UnknownKeyError
from surrogate_nb.regressors.surrogate import Surrogate
from surrogate_nb.space import as_indices

#: (num_classes, resolution) per dataset setting, for the network counters.
_COUNTER_SETTINGS: dict[str, tuple[int, int]] = {
    "cifar10": (10, 32),
    "cifar10-valid": (10, 32),
    "cifar100": (100, 32),
    "ImageNet16-120": (120, 16),
}
_COSTS = ("params_m", "flops_m", "latency_s", "train_time_s")
_INDEX = "surrogates.json"


def _key(dataset: str, metric: str, hp: str | None) -> str:
    return f"{dataset}/{metric}/{hp if hp is not None else '*'}"


class SurrogateBenchmark:
    """Surrogates keyed by (dataset, metric, hp), queried like a tabular benchmark.

    Args:
        surrogates: {(dataset, metric, hp): fitted Surrogate}; hp may be None when a dataset has
            a single schedule.
        table: optional tabular `Benchmark` for measured costs (latency, train time) and epochs.

    >>> import numpy as np
    >>> s = Surrogate("lgb", params={"n_estimators": 20}, calibrate=False)
    >>> s = s.fit(np.arange(40), np.linspace(80, 90, 40), rng=np.random.default_rng(0))
    >>> b = SurrogateBenchmark({("cifar10-valid", "valid_acc", "200"): s})
    >>> isinstance(b.query(5, "cifar10-valid", "valid_acc"), float)
    True
    """

    def __init__(
        self,
        surrogates: Mapping[tuple[str, str, str | None], Surrogate],
        *,
        table: Any | None = None,
    ) -> None:
        self.surrogates = {
            (d, m, None if h is None else str(h)): s for (d, m, h), s in surrogates.items()
        }
        self.table = table

    @classmethod
    def from_table(
        cls,
        table: Any,
        dataset: str,
        metric: str,
        hp: str | None = None,
        *,
        rng: np.random.Generator,
        model: str = "xgb",
        train_size: int | None = None,
        **surrogate_kwargs: Any,
    ) -> SurrogateBenchmark:
        """Fit one surrogate on `table` (all cells, or `train_size` random ones) and wrap it."""
        surrogate, _ = fit_from_table(
            table,
            dataset,
            metric,
            hp,
            rng=rng,
            model=model,
            train_size=train_size,
            **surrogate_kwargs,
        )
        return cls({(dataset, metric, hp): surrogate}, table=table)

    # ---- lookups ------------------------------------------------------------------------------

    def datasets(self) -> list[str]:
        """Datasets that have a surrogate."""
        return sorted({d for d, _, _ in self.surrogates})

    def metrics(self, dataset: str) -> list[str]:
        """Metrics with a surrogate for `dataset`, plus the cost metrics."""
        return sorted({m for d, m, _ in self.surrogates if d == dataset}) + list(_COSTS)

    def _surrogate(self, dataset: str, metric: str, hp: str | None) -> Surrogate:
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
    ) -> Any:
        """The surrogate's value of one cell (float) or many (float64 array).

        Args:
            arch: an `Arch`, an index, an NB201 string, or a list / array of them.
            dataset, metric, hp: which surrogate (as in `Benchmark.query`); metric may also be a
                cost ("params_m", "flops_m", "latency_s", "train_time_s").
            epoch: None (or the table's last epoch): surrogates model the final value only.
            seed: None = the surrogate mean; "sample" = a noisy draw with `rng`.
            rng: numpy Generator, required for ``seed="sample"``.

        Raises:
            UnknownKeyError: no surrogate for (dataset, metric, hp), another epoch, an int seed.
            ValueError: ``seed="sample"`` without ``rng``.
        """
        idx = as_indices(arch)
        scalar = idx.ndim == 0
        idx = np.atleast_1d(idx)
        if metric in _COSTS:
            out = np.asarray([self.cost(int(i), dataset, hp)[metric] for i in idx])
            return float(out[0]) if scalar else out
        surrogate = self._surrogate(dataset, metric, hp)
        if _is_curve(surrogate):  # a learning-curve surrogate answers at every epoch
            out = _curve_query(surrogate, idx, epoch, seed, rng)
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
        idx = as_indices(arch)
        out = _curve_query(surrogate, np.atleast_1d(idx), slice(None), seed, rng)
        return out[0] if idx.ndim == 0 else out

    def epochs(self, dataset: str, hp: str | None = None) -> int:
        """T, the number of epochs a curve surrogate of `dataset` answers (else the table's)."""
        ts = {
            s.T
            for (d, _, h), s in self.surrogates.items()
            if d == dataset and _is_curve(s) and (hp is None or h in (None, str(hp)))
        }
        if len(ts) == 1:
            return ts.pop()
        if self.table is not None:
            return int(self.table.epochs(dataset, hp))
        raise UnknownKeyError(
            "epochs of dataset", dataset, sorted(ts), "no curve surrogate and no table"
        )

    def _check_epoch(self, dataset: str, hp: str | None, epoch: Any) -> None:
        if epoch is None:
            return
        last = None
        if self.table is not None:
            try:
                last = self.table.epochs(dataset, hp) - 1
            except Exception:  # the table may not hold this dataset
                last = None
        if last is None or epoch not in (last, -1):
            raise UnknownKeyError(
                "epoch",
                epoch,
                [None] if last is None else [None, last],
                "surrogates model the final epoch only; pass epoch=None",
            )

    def cost(self, arch: Any, dataset: str, hp: str | None = None) -> dict[str, float]:
        """Costs of one cell: params_m and flops_m from the network counters (NaN for an unknown
        dataset unless the table has them); latency_s, train_time_s and train_time_per_epoch_s
        from the tabular benchmark if one was given, else NaN."""
        out = dict.fromkeys((*_COSTS, "train_time_per_epoch_s"), float("nan"))
        if self.table is not None:
            with contextlib.suppress(LookupError, ValueError):  # the table lacks this dataset
                out.update(self.table.cost(arch, dataset, hp))
        if dataset in _COUNTER_SETTINGS:
            from surrogate_nb.network import count_flops, count_params

            classes, res = _COUNTER_SETTINGS[dataset]
            out["params_m"] = count_params(arch, classes)
            out["flops_m"] = count_flops(arch, classes, resolution=res)
        return out

    # ---- persistence --------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """A directory with one saved `Surrogate` per key plus ``surrogates.json`` (the keys)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        entries = []
        for i, ((d, m, h), s) in enumerate(
            sorted(self.surrogates.items(), key=lambda kv: _key(*kv[0]))
        ):
            sub = f"surrogate{i}"
            s.save(path / sub)
            entries.append({"dataset": d, "metric": m, "hp": h, "dir": sub})
        (path / _INDEX).write_text(json.dumps({"format_version": 1, "surrogates": entries}))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, *, table: Any | None = None) -> SurrogateBenchmark:
        """Read a directory written by `save`.

        Raises:
            ModelFormatError: missing or bad index, or a bad surrogate in it.
        """
        path = Path(path)
        try:
            index = json.loads((path / _INDEX).read_text())
            entries = index["surrogates"]
            if index.get("format_version") != 1:
                raise ModelFormatError(
                    f"{path / _INDEX}: format_version {index.get('format_version')!r} unsupported"
                )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelFormatError(f"{path} is not a saved SurrogateBenchmark: {exc}") from exc
        surrogates = {
            (e["dataset"], e["metric"], e["hp"]): _load_any(path / Path(e["dir"]).name)
            for e in entries
        }
        return cls(surrogates, table=table)


def _is_curve(surrogate: Any) -> bool:
    from surrogate_nb.regressors.curve import CurveSurrogate

    return isinstance(surrogate, CurveSurrogate)


def _curve_query(
    surrogate: Any, idx: np.ndarray, epoch: Any, seed: Any, rng: np.random.Generator | None
) -> np.ndarray:
    """Values of a `CurveSurrogate` at one epoch (int, None = last) or all (a slice)."""
    if not isinstance(epoch, slice):
        T = surrogate.T
        if epoch is None:
            epoch = T - 1
        elif not (isinstance(epoch, (int, np.integer)) and not isinstance(epoch, bool)) or not (
            0 <= int(epoch) < T
        ):
            raise UnknownKeyError(
                "epoch", epoch, [0, T - 1], f"the curve surrogate's epochs count from 0 to {T - 1}"
            )
        epoch = int(epoch)
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
    from surrogate_nb.regressors import curve

    with contextlib.suppress(OSError, ValueError):
        if json.loads((path / curve.MANIFEST).read_text()).get("format") == curve.FORMAT:
            return curve.CurveSurrogate.load(path)
    return Surrogate.load(path)


def fit_from_table(
    table: Any,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    rng: np.random.Generator,
    model: str = "xgb",
    train_size: int | None = None,
    **surrogate_kwargs: Any,
) -> tuple[Surrogate, np.ndarray]:
    """Fit a `Surrogate` on a tabular benchmark's seed-averaged final values.

    Args:
        table: a `surrogate_nb.table.Benchmark`.
        dataset, metric, hp: what to model (as in `Benchmark.to_xy`).
        rng: draws the training cells and drives the fit.
        model: registry name.
        train_size: number of random cells to train on (None = every cell with a value).
        **surrogate_kwargs: passed to `Surrogate`.

    Returns:
        (fitted surrogate, indices of the training cells).
    """
    idx, y = table.to_xy(dataset, metric, hp=hp)
    if train_size is not None:
        if not 2 <= train_size <= len(idx):
            raise ValueError(
                f"train_size must be in 2..{len(idx)} (cells with a value), got {train_size}"
            )
        pick = np.sort(rng.choice(len(idx), size=train_size, replace=False))
        idx, y = idx[pick], y[pick]
    desc = f"{dataset}/{metric}/hp={hp}/last epoch/mean over seeds"
    surrogate = Surrogate(model, **surrogate_kwargs).fit(idx, y, rng=rng, target_description=desc)
    return surrogate, idx
