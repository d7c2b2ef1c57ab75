"""Tables (and, in `evaluation.hpo_export`, curve surrogates) in syne-tune's blackbox-repository
format, written by syne-tune's own ``serialize`` so its ``deserialize`` reads them back."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.evaluation.hpo.configs import (
    EDGE_KEYS,
    ELAPSED,
    FIDELITY,
    config_of,
    config_space,
)
from surrogate_nb.evaluation.hpo.extra import require_syne_tune
from surrogate_nb.space import Arch
from surrogate_nb.table import Benchmark

if TYPE_CHECKING:
    import pandas as pd


def nb201_configurations(cells: np.ndarray) -> pd.DataFrame:
    """syne-tune's hyper-parameter frame of NB201 cells: ``hp_x0..hp_x5`` (op names) per row."""
    import pandas as pd

    return pd.DataFrame(
        [config_of(Arch.from_index(int(i))) for i in cells], columns=list(EDGE_KEYS)
    )


def tabular_task(configurations: pd.DataFrame, evaluations: np.ndarray, names: list[str]) -> object:
    """One task of an NB201 export: syne-tune's ``BlackboxTabular`` over epochs 1..T.

    Args:
        configurations: `nb201_configurations` of the cells.
        evaluations: (cells, seeds, T, objectives).
        names: the objectives' names (``metric_<name>``).
    """
    from syne_tune.blackbox_repository.blackbox_tabular import BlackboxTabular
    from syne_tune.config_space import randint

    T = evaluations.shape[2]
    return BlackboxTabular(
        hyperparameters=configurations,
        configuration_space=config_space(),
        fidelity_space={FIDELITY: randint(1, T)},
        objectives_evaluations=evaluations.astype(np.float32),
        fidelity_values=np.arange(1, T + 1),
        objectives_names=names,
    )


def write_tasks(
    tasks: Mapping[str, object], out: str | os.PathLike, metadata: Mapping[str, object]
) -> Path:
    """Write {task: blackbox} into the folder `out` (created) with syne-tune's ``serialize``."""
    from syne_tune.blackbox_repository.blackbox_tabular import serialize

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    serialize(dict(tasks), str(folder), metadata=dict(metadata))
    return folder


def export_blackbox(
    table: Benchmark,
    out: str | os.PathLike,
    *,
    datasets: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    hp: str | None = None,
) -> Path:
    """Write a table in syne-tune's blackbox-repository format (syne-tune's own ``serialize``).

    One task per dataset; hyper-parameters ``hp_x0..hp_x5`` (op names) for every cell that has
    at least one trial in every exported dataset; objectives ``metric_<name>`` for the curve
    metrics plus ``metric_elapsed_time`` (per-epoch train time × epochs); seeds as recorded (NaN
    where a seed is missing: syne-tune's tabular blackbox then imputes from the previous epoch).
    Read it back with ``syne_tune.blackbox_repository.blackbox_tabular.deserialize(out)``. A
    partial table holds only some of the 15,625 cells; syne-tune answers the others once wrapped
    with its ``add_surrogate`` (its tabular blackbox refuses a configuration it lacks).

    Args:
        table: a `Benchmark`.
        out: the folder to write (created; existing files in it are replaced).
        datasets: datasets to export (default all); they must share the hp's epoch count.
        metrics: curve metrics (default every curve metric of the setting except ``lr``).
        hp: training schedule (default: the datasets' only one).

    Returns:
        The folder.
    """
    require_syne_tune()
    datasets = list(datasets or table.datasets())
    settings = {d: table._setting(d, hp) for d in datasets}
    Ts = {s.T for s in settings.values()}
    if len(Ts) != 1:
        raise SurrogateNBError(
            f"datasets {datasets} have different epoch counts {sorted(Ts)}; export them one by one"
        )
    T = Ts.pop()
    present = np.all([table.present(d, s.hp).any(axis=1) for d, s in settings.items()], axis=0)
    cells = np.flatnonzero(present)
    if cells.size == 0:
        raise SurrogateNBError(f"no cell has a trial in every one of {datasets}")
    if metrics is None:
        first = next(iter(settings.values()))
        metrics = [m for m in first.metrics if m != "lr"]
    configurations = nb201_configurations(cells)
    names = [f"metric_{m}" for m in metrics] + [f"metric_{ELAPSED}"]
    tasks = {}
    for d, s in settings.items():
        cols = []
        for m in metrics:
            cols.append(np.asarray(table.array(d, m, s.hp), np.float64)[cells])  # (n, S, T)
        tt = np.asarray(table.array(d, "train_time_s", s.hp), np.float64)[cells]  # (n, S)
        cols.append(tt[:, :, None] / T * np.arange(1, T + 1))
        tasks[d] = tabular_task(configurations, np.stack(cols, axis=3), names)
    return write_tasks(
        tasks,
        out,
        {
            "source": "surrogate-nb",
            "table": str(getattr(table, "path", "")),
            "hp": next(iter(settings.values())).hp,
            "seeds": {d: list(s.seeds) for d, s in settings.items()},
            "cells": int(cells.size),
            "nb201_index": [int(i) for i in cells],
        },
    )
