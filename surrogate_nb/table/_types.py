"""The typed contracts of the table layer: a trial record, a cell's costs, and `BenchmarkLike`,
what optimizers and studies need from a benchmark.

`BenchmarkLike` is a `typing.Protocol`: the tabular `Benchmark` and the regressors'
`SurrogateBenchmark` implement it (checked in ``tests/test_protocol.py``), and anything else with
these methods (a test stand-in, a learning-curve surrogate) can be passed where it is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypedDict, runtime_checkable

import numpy as np

from surrogate_nb.space import SearchSpace


class _TrialKeys(TypedDict):
    arch_index: int
    dataset: str
    hp: str
    seed: int
    curves: Mapping[str, Sequence[float | None] | np.ndarray | None]


class TrialRecord(_TrialKeys, total=False):
    """One training run of one cell, as the trainer returns it and `write_table` stores it.

    Keys: ``arch_index`` (official index), ``dataset``, ``hp`` (schedule, e.g. "200"), ``seed``,
    ``curves`` ({metric: T floats, None for an unrecorded epoch}); optional ``epochs`` (T),
    ``status`` ("ok" | "diverged"), per-trial costs ``params_m``, ``flops_m`` (millions),
    ``latency_s``, ``train_time_s`` (seconds, None when not recorded).
    """

    epochs: int
    status: str
    params_m: float | None
    flops_m: float | None
    latency_s: float | None
    train_time_s: float | None


class Costs(TypedDict):
    """Per-trial costs of a cell (NaN where not recorded): millions of parameters and FLOPs,
    seconds of inference latency, of training in total and per epoch."""

    params_m: float
    flops_m: float
    latency_s: float
    train_time_s: float
    train_time_per_epoch_s: float


@runtime_checkable
class BenchmarkLike(Protocol):
    """What an optimizer or a study needs from a benchmark (tabular or surrogate).

    ``arch`` arguments take an `Arch`, an index, a space string, or a list / array of them; a
    scalar arch gives a float, many give a float64 array. ``seed=None`` is the mean over seeds,
    an int one seed, ``"sample"`` one seed drawn per cell with ``rng``.
    """

    @property
    def path(self) -> Path | None:
        """The table directory, or None for one held in memory."""
        ...

    @property
    def space(self) -> SearchSpace:
        """The search space of the cells."""
        ...

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Provenance: the table manifest (protocol, fidelity, command), or a description."""
        ...

    def datasets(self) -> list[str]:
        """Dataset settings answered."""
        ...

    def metrics(self, dataset: str | None = None, hp: str | None = None) -> list[str]:
        """Metrics answered (curve metrics, then the cost columns)."""
        ...

    def seeds(self, dataset: str, hp: str | None = None) -> list[int]:
        """Training seeds with per-seed values (empty when only means exist)."""
        ...

    def epochs(self, dataset: str, hp: str | None = None) -> int | None:
        """T, the curve length of (dataset, hp), or None when unknown."""
        ...

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
        """A metric of one cell (float) or many (float64 array); NaN where not recorded."""
        ...

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
        """`query` plus how many measured seeds are behind each value (0 for a prediction)."""
        ...

    def curve(
        self,
        arch: Any,
        dataset: str,
        metric: str,
        hp: str | None = None,
        seed: int | str | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """The per-epoch values of one cell (T,) or many (n, T); seeds as in `query`."""
        ...

    def cost(self, arch: Any, dataset: str, hp: str | None = None) -> Costs:
        """Per-trial costs of one cell."""
        ...

    def to_xy(
        self,
        dataset: str,
        metric: str,
        hp: str | None = None,
        seed: int | None = None,
        epoch: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(indices int64 (n,), values float64 (n,)) of the cells that have a value."""
        ...
