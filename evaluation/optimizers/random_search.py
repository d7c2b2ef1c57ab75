"""Random search: uniform samples from the pool, the NB201 baseline."""

from __future__ import annotations

import numpy as np

from surrogate_nb.evaluation.optimizers.base import BaseOptimizer
from surrogate_nb.space import Arch


class RandomSearch(BaseOptimizer):
    """Uniformly random cells (with replacement, as NB201's RS baseline)."""

    name = "random_search"

    def ask(self, rng: np.random.Generator) -> Arch:
        return self.pool.sample(rng)

    def tell(self, arch: Arch, value: float) -> None:
        return None
