"""Predictions of a saved model for given cells: what `snb predict` prints, as a library call.

>>> from surrogate_nb.regressors import predict_saved
>>> predict_saved("model", ["6111", 0]).rows[0].to_dict()  # doctest: +SKIP
{'arch': '|nor_conv_3x3~0|+...', 'index': 6111, 'metric': 'valid_acc', 'mean': 91.2, 'std': 0.4}
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.regressors.benchmark import SurrogateBenchmark
from surrogate_nb.regressors.fitting import SurrogateModel
from surrogate_nb.regressors.surrogate import Surrogate
from surrogate_nb.space import as_space

#: (dataset, metric, hp) of one saved surrogate; dataset / metric None when a bare `Surrogate`
#: was saved without them.
Key = tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class Prediction:
    """One cell's predicted mean and std (model uncertainty) at one schedule."""

    arch: str
    index: int
    metric: str
    mean: float
    std: float
    #: the schedule, for a model of several (None: the model's one schedule)
    hp: str | None = None

    def to_dict(self) -> dict[str, object]:
        """``{arch, index, metric, mean, std}``, plus ``hp`` for a multi-schedule model."""
        out: dict[str, object] = {
            "arch": self.arch,
            "index": self.index,
            "metric": self.metric,
            "mean": self.mean,
            "std": self.std,
        }
        if self.hp is not None:
            out["hp"] = self.hp
        return out


@dataclass(frozen=True)
class Predictions:
    """What a saved model predicts for some cells: one row per cell and schedule, in input
    order (schedules in numeric order within a cell)."""

    #: the regressor's name (``"xgb"``, ...)
    model: str
    #: what was modelled, ``"dataset/metric"`` (or the target's description)
    what: str
    metric: str
    rows: tuple[Prediction, ...]

    @property
    def multi(self) -> bool:
        """Whether the rows name their schedule (a model of several schedules)."""
        return bool(self.rows) and self.rows[0].hp is not None


def load_models(path: str | os.PathLike, hp: str | None = None) -> dict[Key, SurrogateModel]:
    """The surrogates of a model directory written by `snb fit` / `save`: every schedule of a
    multi-schedule model (or only `hp`), or the one `Surrogate` keyed by what it models.

    Raises:
        InvalidArchError: `hp` is not a schedule of the model.
        ModelFormatError: the directory is no saved model.
    """
    path = Path(path)
    if (path / "surrogates.json").is_file():
        bench = SurrogateBenchmark.load(path)
        models: dict[Key, SurrogateModel] = {
            k: s for k, s in bench.surrogates.items() if hp is None or k[2] == str(hp)
        }
        if not models:
            have = sorted(str(k[2]) for k in bench.surrogates)
            raise InvalidArchError(f"model has no schedule {hp!r}; it has {have}", hp)
        return models
    s = Surrogate.load(path)
    key = s.key_ or {}
    return {(key.get("dataset"), key.get("metric"), None): s}


def predict_saved(
    path: str | os.PathLike, archs: Sequence[object], *, hp: str | None = None
) -> Predictions:
    """Predict mean and std of `archs` (any form the model's space reads: index, string, hash,
    cell) with the saved model at `path`; `hp` picks one schedule of a multi-schedule model.

    Raises:
        InvalidArchError: no cells, a cell the space cannot read, or an unknown `hp`.
        ModelFormatError: the directory is no saved model.
    """
    if not archs:
        raise InvalidArchError("no cells given to predict", None)
    models = load_models(path, hp)
    first_key, first = next(iter(models.items()))
    description = first.target_description_ if isinstance(first, Surrogate) else None
    metric = first_key[1] or description or "target"
    what = "/".join(str(k) for k in first_key[:2] if k) or metric
    space = as_space(first.space)
    cells = [space.as_arch(a) for a in archs]
    idx = [space.index_of(c) for c in cells]
    per_model = {key: s.predict(idx) for key, s in models.items()}
    order = sorted(per_model, key=lambda k: (len(str(k[2])), str(k[2])))
    rows = tuple(
        Prediction(
            arch=space.label(cell),
            index=idx[j],
            metric=metric,
            mean=float(per_model[key][0][j]),
            std=float(per_model[key][1][j]),
            hp=key[2],
        )
        for j, cell in enumerate(cells)
        for key in order
    )
    model = first.model if isinstance(first, Surrogate) else type(first).__name__
    return Predictions(model=model, what=what, metric=metric, rows=rows)
