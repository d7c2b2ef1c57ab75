"""Regularized evolution (REA; Real et al. 2019) with NB201's settings: population 10, tournament 3.

The population is a FIFO queue: the first `population_size` cells are random; afterwards each
child is a mutation of the best of `sample_size` random population members (the space's own:
NB201 one edge, NB-101 one op or one edge), and adding a child removes the oldest member
("ageing"). On a partial table mutation picks among the parent's nearest pool cells
(`CellPool.mutate`).
"""

from __future__ import annotations

import collections
import math

import numpy as np

from surrogate_nb.evaluation.optimizers.base import A, BaseOptimizer, CellPool


class RegularizedEvolution(BaseOptimizer[A]):
    """REA.

    Args:
        population_size: queue length (NB201: 10).
        sample_size: tournament size (NB201: 3).
    """

    name = "rea"

    def __init__(self, population_size: int = 10, sample_size: int = 3) -> None:
        if not 1 <= sample_size <= population_size:
            raise ValueError(
                "REA needs 1 <= sample_size <= population_size, got "
                f"sample_size={sample_size}, population_size={population_size}"
            )
        self.population_size = population_size
        self.sample_size = sample_size

    def reset(self, pool: CellPool[A], max_epochs: int | None = None) -> None:
        super().reset(pool, max_epochs)
        self.population_: collections.deque[tuple[A, float]] = collections.deque()

    def ask(self, rng: np.random.Generator) -> A:
        if len(self.population_) < self.population_size:
            return self.pool.sample(rng)
        picks = rng.choice(len(self.population_), size=self.sample_size, replace=False)
        parent = max((self.population_[int(k)] for k in picks), key=lambda m: m[1])[0]
        return self.pool.mutate(parent, rng)

    def tell(self, arch: A, value: float) -> None:
        if not math.isfinite(value):
            return
        self.population_.append((arch, value))
        if len(self.population_) > self.population_size:
            self.population_.popleft()
