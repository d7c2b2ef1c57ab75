"""`SurrogateBenchmark`: the tabular `Benchmark.query` interface, answered by fitted surrogates.

A drop-in for `surrogate_nb.table.Benchmark` in search loops: ``query(arch, dataset, metric,
hp=None, epoch=None, seed=None, rng=None)`` returns the surrogate mean (``seed=None``) or a noisy
draw (``seed="sample"`` with ``rng``) for any of the 15,625 cells, including cells the table
lacks. A surrogate models the final-epoch, seed-averaged value, so only the last epoch exists and
integer seeds are refused. ``params_m`` / ``flops_m`` come from the network counters
(`surrogate_nb.network`); ``latency_s`` / ``train_time_s`` from an optional tabular benchmark.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import InvalidValueError, ModelFormatError, UnknownKeyError
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
    def _from_single(cls, path: Path, table: Any | None) -> SurrogateBenchmark:
        """A folder written by `Surrogate.save` / ``snb fit``, as a one-key benchmark."""
        s = Surrogate.load(path)
        return cls({_single_key(s, path): s}, table=table)

    @classmethod
    def load(cls, path: str | os.PathLike, *, table: Any | None = None) -> SurrogateBenchmark:
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
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelFormatError(f"{path} is not a saved SurrogateBenchmark: {exc}") from exc
        surrogates = {
            (e["dataset"], e["metric"], e["hp"]): Surrogate.load(path / Path(e["dir"]).name)
            for e in entries
        }
        return cls(surrogates, table=table)


def _single_key(s: Surrogate, path: Path) -> tuple[str, str, str | None]:
    key = getattr(s, "key_", None)
    if not key or not isinstance(key.get("dataset"), str) or not isinstance(key.get("metric"), str):
        raise ModelFormatError(
            f"{path} is a single saved surrogate without its dataset and metric (saved before "
            "they were recorded); refit it with `snb fit`"
        )
    return key["dataset"], key["metric"], key.get("hp")


def fit_from_table(
    table: Any,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    rng: np.random.Generator,
    model: str = "xgb",
    train_size: int | None = None,
    on_progress: Any = None,
    **surrogate_kwargs: Any,
) -> tuple[Surrogate, np.ndarray]:
    """Fit a `Surrogate` on a tabular benchmark's seed-averaged final values.

    Args:
        table: a `surrogate_nb.table.Benchmark`.
        dataset, metric, hp: what to model (as in `Benchmark.to_xy`).
        rng: draws the training cells and drives the fit.
        model: registry name.
        train_size: number of random cells to train on (None = every cell with a value).
        on_progress: passed to `Surrogate.fit` (``(step, steps, what)``).
        **surrogate_kwargs: passed to `Surrogate`.

    Returns:
        (fitted surrogate, indices of the training cells).
    """
    idx, y = table.to_xy(dataset, metric, hp=hp)
    if train_size is not None:
        if not 2 <= train_size <= len(idx):
            raise InvalidValueError(
                f"train_size must be in 2..{len(idx)} (cells with a value), got {train_size}"
            )
        pick = np.sort(rng.choice(len(idx), size=train_size, replace=False))
        idx, y = idx[pick], y[pick]
    desc = f"{dataset}/{metric}/hp={hp}/last epoch/mean over seeds"
    surrogate = Surrogate(model, **surrogate_kwargs).fit(
        idx, y, rng=rng, target_description=desc, on_progress=on_progress
    )
    surrogate.key_ = {"dataset": dataset, "metric": metric, "hp": hp}
    return surrogate, idx
