"""REINFORCE over six independent categorical edge distributions (NB201's RL baseline), in numpy.

Policy: one softmax over the 5 ops per edge, logits start at zero. After each evaluation the
logits move along (reward - baseline) * grad log p(arch), with an exponential-moving-average
baseline (decay 0.9) and step size 0.01 per sample. NB201's baseline used the same EMA decay and
learning rate but an Adam step on the logits; we take plain gradient steps (documented difference).
On a partial table a sampled cell outside the pool is replaced by its nearest pool cell, and the
update uses the cell actually evaluated.
"""

from __future__ import annotations

import math

import numpy as np

from surrogate_nb.evaluation.optimizers.base import BaseOptimizer, CellPool
from surrogate_nb.space import NUM_EDGES, NUM_OPS, Arch


class Reinforce(BaseOptimizer):
    """REINFORCE with an EMA baseline.

    Args:
        learning_rate: step size on the logits (per evaluation).
        baseline_decay: EMA decay of the reward baseline.
    """

    name = "reinforce"

    def __init__(self, learning_rate: float = 0.01, baseline_decay: float = 0.9) -> None:
        if not learning_rate > 0 or not 0 <= baseline_decay < 1:
            raise ValueError(
                "REINFORCE needs learning_rate > 0 and 0 <= baseline_decay < 1, got "
                f"learning_rate={learning_rate}, baseline_decay={baseline_decay}"
            )
        self.learning_rate = learning_rate
        self.baseline_decay = baseline_decay

    def reset(self, pool: CellPool, max_epochs: int | None = None) -> None:
        super().reset(pool, max_epochs)
        self.logits_ = np.zeros((NUM_EDGES, NUM_OPS))
        self.baseline_: float | None = None

    def probabilities(self) -> np.ndarray:
        """(6, 5) op probabilities per edge."""
        z = self.logits_ - self.logits_.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def ask(self, rng: np.random.Generator) -> Arch:
        p = self.probabilities()
        u = rng.random(NUM_EDGES)
        ops = tuple(
            int(min(np.searchsorted(np.cumsum(p[e]), u[e]), NUM_OPS - 1)) for e in range(NUM_EDGES)
        )
        return self.pool.project(Arch(ops), rng)

    def tell(self, arch: Arch, value: float) -> None:
        if not math.isfinite(value):
            return
        if self.baseline_ is None:
            self.baseline_ = value
        advantage = value - self.baseline_
        grad = -self.probabilities()
        grad[np.arange(NUM_EDGES), arch.op_ids] += 1.0
        self.logits_ += self.learning_rate * advantage * grad
        self.baseline_ = self.baseline_decay * self.baseline_ + (1 - self.baseline_decay) * value
