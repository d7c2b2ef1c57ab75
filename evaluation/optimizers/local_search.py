"""First-improvement local search with random restarts (White et al. 2020 style).

Start from a random cell; evaluate its neighbours (one-edge mutations, or the nearest pool cells
on a partial table) in random order; move to the first that improves; when every neighbour has
been tried without improvement (a local optimum), restart from a new random cell.
"""

from __future__ import annotations

import math

import numpy as np

from surrogate_nb.evaluation.optimizers.base import A, BaseOptimizer, CellPool


class LocalSearch(BaseOptimizer[A]):
    """Hill climbing over one-edge mutations with random restarts."""

    name = "local_search"

    def reset(self, pool: CellPool[A], max_epochs: int | None = None) -> None:
        super().reset(pool, max_epochs)
        self.current_: tuple[A, float] | None = None
        self.queue_: list[A] = []
        self.seen_: dict[int, float] = {}
        self.shuffled_ = True

    def ask(self, rng: np.random.Generator) -> A:
        if self.current_ is None:
            return self.pool.sample(rng)
        if not self.shuffled_:  # visit the neighbours in a random order (drawn from rng)
            order = rng.permutation(len(self.queue_))
            self.queue_ = [self.queue_[int(k)] for k in order]
            self.shuffled_ = True
        while self.queue_:
            arch = self.queue_.pop()
            if self.pool.space.index_of(arch) not in self.seen_:
                return arch
        self.current_ = None  # local optimum reached: restart
        return self.pool.sample(rng)

    def tell(self, arch: A, value: float) -> None:
        self.seen_[self.pool.space.index_of(arch)] = value
        if not math.isfinite(value):
            return
        if self.current_ is None or value > self.current_[1]:
            self.current_ = (arch, value)
            self.queue_ = self.pool.neighbours(arch)
            self.shuffled_ = False
