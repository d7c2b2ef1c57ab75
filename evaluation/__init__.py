"""Evaluation: NAS optimizers under simulated time, studies of surrogate quality, reports, demo.

Public names:

* optimizers: `OPTIMIZERS` (name -> class), `make_optimizer`, `BaseOptimizer`, `CellPool`,
  `Trajectory`, `run_repeats`;
* studies: `train_size_study`, `noise_study`, `leave_out_study`, `compare_study`, `STUDIES`;
* reports: `Report`;
* the demo: `run_demo`, `default_table_path`.

Studies, reports and the demo import matplotlib / the regressors only when called.
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
    "STUDIES": "surrogate_nb.evaluation.studies",
    "train_size_study": "surrogate_nb.evaluation.studies",
    "noise_study": "surrogate_nb.evaluation.studies",
    "leave_out_study": "surrogate_nb.evaluation.studies",
    "compare_study": "surrogate_nb.evaluation.studies",
    "run_demo": "surrogate_nb.evaluation.demo",
    "default_table_path": "surrogate_nb.evaluation.demo",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "OPTIMIZERS",
    "STUDIES",
    "BaseOptimizer",
    "CellPool",
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
