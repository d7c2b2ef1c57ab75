"""syne-tune, SMAC3 and DEHB on our tables and surrogates of any space: a blackbox adapter,
simulated runs, and export.

syne-tune (the optional extra ``hpo``: ``pip install "surrogate-nb[hpo]"``; it also holds
``smac`` and ``dehb``) is imported only in this package and only when used (`extra`). Entry
points, and the modules that hold them:

* `to_blackbox(benchmark, dataset, metric, ...)` (`blackbox`) — a
  `syne_tune.blackbox_repository` ``Blackbox`` over any object with our benchmark API (a tabular
  `Benchmark`, or a `SurrogateBenchmark`) of any search space. Configurations are the space's
  categorical parameters (`configs`). Objectives: the signal metric, the report metric and
  ``elapsed_time`` (cumulative from the start of the trial, as syne-tune's simulator requires).
  The fidelity (``epochs``: epochs 1..T, independent budgets, or the final budget) comes from the
  benchmark (`fidelity`). The answers, invalid configurations (the worst value at zero time) and
  the single-run signal are `cells`'.
* `run_syne_tune(method, benchmark, ...)` (`tuner`) — one run of a method of `SCHEDULERS`
  (`schedulers`): syne-tune's schedulers (incl. its SMAC3 wrapper) through syne-tune's
  ``UserBlackboxBackend`` and ``SimulatorCallback`` (simulated wall-clock, one worker), and DEHB
  through its own ask/tell API on the same blackbox with our simulated clock (`dehb_loop`);
  returned as our `Trajectory` (`trajectory`).
* `export_blackbox(table, out)` (`export`) — an NB201 table in syne-tune's blackbox-repository
  format, written by syne-tune's own ``serialize`` so its ``deserialize`` reads it back.
"""

from surrogate_nb.evaluation.hpo.blackbox import to_blackbox
from surrogate_nb.evaluation.hpo.cells import BlackboxPlan, CellAnswers
from surrogate_nb.evaluation.hpo.configs import (
    EDGE_KEYS,
    ELAPSED,
    FIDELITY,
    INVALID_VALUE,
    arch_of,
    config_choices,
    config_of,
    config_space,
)
from surrogate_nb.evaluation.hpo.export import export_blackbox
from surrogate_nb.evaluation.hpo.extra import (
    INSTALL_HINT,
    SCHEDULERS,
    MissingExtraError,
    require_method,
    require_syne_tune,
)
from surrogate_nb.evaluation.hpo.fidelity import FIDELITIES, fidelity_plan
from surrogate_nb.evaluation.hpo.schedulers import make_scheduler
from surrogate_nb.evaluation.hpo.tuner import run_syne_tune

__all__ = [
    "EDGE_KEYS",
    "ELAPSED",
    "FIDELITIES",
    "FIDELITY",
    "INSTALL_HINT",
    "INVALID_VALUE",
    "SCHEDULERS",
    "BlackboxPlan",
    "CellAnswers",
    "MissingExtraError",
    "arch_of",
    "config_choices",
    "config_of",
    "config_space",
    "export_blackbox",
    "fidelity_plan",
    "make_scheduler",
    "require_method",
    "require_syne_tune",
    "run_syne_tune",
    "to_blackbox",
]
