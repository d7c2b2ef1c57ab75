"""Fitting surrogates on cells: one way to draw training cells, one way to fit a fresh copy.

* `draw_split` draws ``train_size`` cells uniformly without replacement (the first ``train_size``
  of ``rng.permutation(n)``); every caller that fits on N random cells (`fit_on_cells`, hence
  `fit_from_table`, `SurrogateBenchmark.from_table`, ``snb fit``, ``snb surrogate-eval``) draws
  them this way, so one seed gives one set of training cells everywhere.
* `draw_nested` draws a test set and an ordered training pool whose prefixes are nested training
  sets (the train-size and noise studies' growing sizes).
* `fit_copy` fits a fresh copy of a surrogate prototype, so callers (studies fitting one model
  many times, a benchmark with one surrogate per metric) never share fitted state.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from surrogate_nb.errors import DataError
from surrogate_nb.regressors.surrogate import Surrogate
from surrogate_nb.space import SearchSpace
from surrogate_nb.table import BenchmarkLike


class SurrogateModel(Protocol):
    """What studies and `SurrogateBenchmark` need from a surrogate (`Surrogate` and
    `CurveSurrogate` are two): fit on cell indices, predict (mean, std), save."""

    #: the search space whose cell indices `fit` and `predict` take (a model that still says its
    #: registered name is read through `surrogate_nb.space.as_space`)
    space: SearchSpace

    def fit(self, archs: np.ndarray, y: np.ndarray, *, rng: np.random.Generator) -> object:
        """Fit in place on int64 cell indices (n,) and their values (n,) or curves (n, ...)."""
        ...

    def predict(self, archs: np.ndarray | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) of the cells with these indices."""
        ...

    def sample(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One noisy draw per cell (a `SurrogateBenchmark`'s ``seed="sample"``)."""
        ...

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted model to a directory; returns it."""
        ...


M = TypeVar("M", bound=SurrogateModel)


def draw_split(
    n: int, train_size: int | None, rng: np.random.Generator, *, min_test: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, test rows) of ``range(n)``, each sorted.

    Args:
        n: rows available.
        train_size: rows to train on (None = all of them, no test rows).
        rng: draws the rows (the first `train_size` of ``rng.permutation(n)``).
        min_test: rows that must be left for testing.

    Raises:
        DataError: `train_size` outside ``2 .. n - min_test``.
    """
    if train_size is None:
        return np.arange(n), np.zeros(0, np.int64)
    if not 2 <= train_size <= n - min_test:
        raise DataError(
            f"train_size must be in 2..{n - min_test} ({n} cells with a value"
            + (f", {min_test} kept for testing" if min_test else "")
            + f"), got {train_size}",
            train_size,
        )
    perm = rng.permutation(n)
    return np.sort(perm[:train_size]), np.sort(perm[train_size:])


def draw_nested(n: int, n_test: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(test rows, training pool) of ``range(n)`` for studies over growing training sets: the
    first `n_test` rows of ``rng.permutation(n)`` are the test set, the rest (in that random order)
    the pool, whose prefixes ``pool[:k]`` are nested training sets of k random cells."""
    perm = rng.permutation(n)
    return perm[:n_test], perm[n_test:]


def fit_copy(
    prototype: M,
    archs: np.ndarray | Sequence[int],
    y: np.ndarray | Sequence[float],
    *,
    rng: np.random.Generator,
    description: str = "",
    on_progress: Callable[[int, int, str], None] | None = None,
) -> M:
    """A fitted deep copy of `prototype` (which stays unfitted); `description` and
    `on_progress` (``(step, steps, what)``) reach a `Surrogate`'s fit.

    Raises:
        DataError: fewer than 2 training cells.
    """
    if len(archs) < 2:
        raise DataError(f"cannot fit a surrogate on {len(archs)} cell(s); need at least 2", len(y))
    model = copy.deepcopy(prototype)
    idx, yy = np.asarray(archs, np.int64), np.asarray(y, np.float64)
    if isinstance(model, Surrogate):
        model.fit(idx, yy, rng=rng, target_description=description, on_progress=on_progress)
    else:
        model.fit(idx, yy, rng=rng)
    return model


@dataclass
class Fit:
    """A surrogate fitted on random cells, and which cells it saw.

    Attributes:
        surrogate: the fitted copy.
        train: rows of the given (indices, y) it was trained on, int64, sorted.
        test: the rows left out, int64, sorted.
        seconds: wall-clock time of the fit.
    """

    surrogate: SurrogateModel
    train: np.ndarray
    test: np.ndarray
    seconds: float


def fit_on_cells(
    prototype: SurrogateModel,
    indices: np.ndarray | Sequence[int],
    y: np.ndarray | Sequence[float],
    *,
    rng: np.random.Generator,
    train_size: int | None = None,
    min_test: int = 0,
    description: str = "",
    on_progress: Callable[[int, int, str], None] | None = None,
) -> Fit:
    """Fit a copy of `prototype` on `train_size` random cells of (indices, y) (`draw_split`)."""
    idx = np.asarray(indices, np.int64).reshape(-1)
    yy = np.asarray(y, np.float64).reshape(-1)
    if len(idx) != len(yy):
        raise DataError(f"{len(idx)} cells but {len(yy)} values", len(yy))
    tr, te = draw_split(len(idx), train_size, rng, min_test=min_test)
    start = time.perf_counter()
    model = fit_copy(
        prototype, idx[tr], yy[tr], rng=rng, description=description, on_progress=on_progress
    )
    return Fit(model, tr, te, time.perf_counter() - start)


def for_space(prototype: M, space: SearchSpace) -> M:
    """`prototype`, or a shallow copy of it modelling cells of `space` (a `Surrogate` records
    its space; a table or study says which space its cells belong to)."""
    if isinstance(prototype, Surrogate) and prototype.space != space:
        prototype = copy.copy(prototype)
        prototype.space = space
    return prototype


def fit_from_table(
    table: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None = None,
    *,
    rng: np.random.Generator,
    surrogate: SurrogateModel | None = None,
    train_size: int | None = None,
    cells: Sequence[int] | np.ndarray | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> Fit:
    """Fit a copy of `surrogate` (default ``Surrogate()``) on a benchmark's seed-averaged final
    values of (dataset, metric, hp): all cells with a value (of `cells` only, when given), or
    `train_size` random ones of them. The `Fit`'s rows index ``table.to_xy(dataset, metric,
    hp=hp)`` (restricted to `cells`). A fitted `Surrogate` records what it models in ``key_``
    (saved with it), so a saved one loads as a one-key `SurrogateBenchmark`."""
    idx, y = table.to_xy(dataset, metric, hp=hp)
    if cells is not None:
        keep = np.isin(idx, np.asarray(cells, dtype=np.int64))
        idx, y = idx[keep], y[keep]
        if not len(idx):
            raise DataError(f"none of the {len(cells)} cells given has a value of {metric}")
    desc = f"{dataset}/{metric}/hp={hp}/last epoch/mean over seeds"
    prototype = for_space(surrogate if surrogate is not None else Surrogate(), table.space)
    fit = fit_on_cells(
        prototype,
        idx,
        y,
        rng=rng,
        train_size=train_size,
        description=desc,
        on_progress=on_progress,
    )
    if isinstance(fit.surrogate, Surrogate):
        fit.surrogate.key_ = {"dataset": dataset, "metric": metric, "hp": hp}
    return fit
