"""Evaluation: NAS optimizers under simulated time, studies of surrogate quality, reports, demo.

Public names:

* optimizers: `OPTIMIZERS` (name -> class), `make_optimizer`, `BaseOptimizer`, `CellPool`,
  `Trajectory`, `run_repeats`;
* studies: `train_size_study`, `noise_study`, `leave_out_study`, `compare_study` (each returns
  a `StudyResult` dataclass);
* reports: `Report`;
* the demo: `run_demo`, `DemoConfig` (`DemoConfig.quick()` / `.full()`), `default_table_path`.

matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import importlib
from typing import Any

from surrogate_nb.evaluation.optimizers import (
    OPTIMIZERS,
    BaseOptimizer,
    CellPool,
    Trajectory,
    make_optimizer,
    run_repeats,
)

_LAZY = {
    "Report": "surrogate_nb.evaluation.report",
    "train_size_study": "surrogate_nb.evaluation.studies",
    "noise_study": "surrogate_nb.evaluation.studies",
    "leave_out_study": "surrogate_nb.evaluation.studies",
    "compare_study": "surrogate_nb.evaluation.studies",
    "run_demo": "surrogate_nb.evaluation.demo",
    "DemoConfig": "surrogate_nb.evaluation.demo",
    "default_table_path": "surrogate_nb.evaluation.demo",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "OPTIMIZERS",
    "BaseOptimizer",
    "CellPool",
    "DemoConfig",
    "Report",
    "Trajectory",
    "compare_study",
    "default_table_path",
    "leave_out_study",
    "make_optimizer",
    "noise_study",
    "run_demo",
    "run_repeats",
    "train_size_study",
]
