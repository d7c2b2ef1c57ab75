"""Random search: uniform samples from the pool, the NB201 baseline."""

from __future__ import annotations

import numpy as np

from surrogate_nb.evaluation.optimizers.base import A, BaseOptimizer


class RandomSearch(BaseOptimizer[A]):
    """Uniformly random cells (with replacement, as NB201's RS baseline)."""

    name = "random_search"

    def ask(self, rng: np.random.Generator) -> A:
        return self.pool.sample(rng)

    def tell(self, arch: A, value: float) -> None:
        return None
