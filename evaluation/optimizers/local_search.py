"""First-improvement local search with random restarts (White et al. 2020 style).

Start from a random cell; evaluate its neighbours (one-edge mutations, or the nearest pool cells
on a partial table) in random order; move to the first that improves; when every neighbour has
been tried without improvement (a local optimum), restart from a new random cell.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from surrogate_nb.evaluation.optimizers.base import BaseOptimizer, CellPool


class LocalSearch(BaseOptimizer):
    """Hill climbing over one-edge mutations with random restarts."""

    name = "local_search"

    def reset(self, pool: CellPool, max_epochs: int | None = None) -> None:
        super().reset(pool, max_epochs)
        self.current_: tuple[Any, float] | None = None
        self.queue_: list[Any] = []
        self.seen_: dict[int, float] = {}
        self.shuffled_ = True

    def ask(self, rng: np.random.Generator) -> Any:
        if self.current_ is None:
            return self.pool.sample(rng)
        if not self.shuffled_:  # visit the neighbours in a random order (drawn from rng)
            order = rng.permutation(len(self.queue_))
            self.queue_ = [self.queue_[int(k)] for k in order]
            self.shuffled_ = True
        while self.queue_:
            arch = self.queue_.pop()
            if arch.index not in self.seen_:
                return arch
        self.current_ = None  # local optimum reached: restart
        return self.pool.sample(rng)

    def tell(self, arch: Any, value: float) -> None:
        self.seen_[arch.index] = value
        if not math.isfinite(value):
            return
        if self.current_ is None or value > self.current_[1]:
            self.current_ = (arch, value)
            self.queue_ = self.pool.neighbours(arch)
            self.shuffled_ = False
