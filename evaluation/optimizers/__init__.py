"""NAS optimizers that run on any benchmark with the `query`/`cost` API under simulated time.

Library calls (studies, the demo) take instances; `OPTIMIZERS` / `make_optimizer` map the CLI's
names to classes:

>>> from surrogate_nb.evaluation.optimizers import OPTIMIZERS, make_optimizer
>>> sorted(OPTIMIZERS)
['bohb', 'hyperband', 'local_search', 'random_search', 'rea', 'reinforce', 'tpe']
"""

from __future__ import annotations

from typing import Any

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.evaluation.optimizers.base import (
    BaseOptimizer,
    CellPool,
    RunnableBenchmark,
    Trajectory,
    check_run_limits,
    labelled,
    run_repeats,
)
from surrogate_nb.evaluation.optimizers.bohb import BOHB
from surrogate_nb.evaluation.optimizers.evolution import RegularizedEvolution
from surrogate_nb.evaluation.optimizers.hyperband import Hyperband
from surrogate_nb.evaluation.optimizers.local_search import LocalSearch
from surrogate_nb.evaluation.optimizers.random_search import RandomSearch
from surrogate_nb.evaluation.optimizers.reinforce import Reinforce
from surrogate_nb.evaluation.optimizers.tpe import TPE

#: Registry: name -> optimizer class (the names the CLI and the studies accept).
OPTIMIZERS: dict[str, type[BaseOptimizer]] = {
    cls.name: cls
    for cls in (RandomSearch, RegularizedEvolution, Reinforce, LocalSearch, TPE, Hyperband, BOHB)
}


def default_optimizers() -> list[BaseOptimizer]:
    """One instance of every optimizer with its default settings, in `OPTIMIZERS` order."""
    return [cls() for cls in OPTIMIZERS.values()]


def make_optimizer(name: str, **kwargs: Any) -> BaseOptimizer:
    """A new optimizer by registry name.

    Raises:
        UnknownKeyError: a name not in `OPTIMIZERS`.
    """
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise UnknownKeyError("optimizer", name, sorted(OPTIMIZERS)) from None
    return cls(**kwargs)


__all__ = [
    "BOHB",
    "OPTIMIZERS",
    "TPE",
    "BaseOptimizer",
    "CellPool",
    "Hyperband",
    "LocalSearch",
    "RandomSearch",
    "RegularizedEvolution",
    "Reinforce",
    "RunnableBenchmark",
    "Trajectory",
    "check_run_limits",
    "default_optimizers",
    "labelled",
    "make_optimizer",
    "run_repeats",
]
