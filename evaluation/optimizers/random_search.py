"""Random search: uniform samples from the pool, the NB201 baseline."""

from __future__ import annotations

from typing import Any

import numpy as np

from surrogate_nb.evaluation.optimizers.base import BaseOptimizer


class RandomSearch(BaseOptimizer):
    """Uniformly random cells (with replacement, as NB201's RS baseline)."""

    name = "random_search"

    def ask(self, rng: np.random.Generator) -> Any:
        return self.pool.sample(rng)

    def tell(self, arch: Any, value: float) -> None:
        return None
