"""REINFORCE over independent categorical parameters of the space (NB201's RL baseline), in numpy.

Policy: one softmax per categorical parameter of the space (`SearchSpace.choices`: NB201's 6
edges x 5 ops; NB-101's 21 edge bits and 5 interior ops, as in the NB-101 paper), logits start at
zero. After each evaluation the logits move along (reward - baseline) * grad log p(arch), with an
exponential-moving-average baseline (decay 0.9) and step size 0.01 per sample. NB201's baseline
used the same EMA decay and learning rate but an Adam step on the logits; we take plain gradient
steps (documented difference). A sample that is no cell of the space (NB-101: disconnected or
more than 9 edges) is drawn again. On a partial table a sampled cell outside the pool is replaced
by its nearest pool cell, and the update uses the cell actually evaluated.
"""

from __future__ import annotations

import math

import numpy as np

from surrogate_nb.errors import InvalidArchError, SurrogateNBError
from surrogate_nb.evaluation.optimizers.base import A, BaseOptimizer, CellPool

#: Draws before giving up on finding a valid cell (NB-101: about 1 in 3 draws is valid).
_MAX_DRAWS = 10_000


class Reinforce(BaseOptimizer[A]):
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

    def reset(self, pool: CellPool[A], max_epochs: int | None = None) -> None:
        super().reset(pool, max_epochs)
        self.logits_ = [np.zeros(len(options)) for _, options in pool.space.choices()]
        self.baseline_: float | None = None

    def probabilities(self) -> list[np.ndarray]:
        """Option probabilities of every categorical parameter."""
        out = []
        for z in self.logits_:
            p = np.exp(z - z.max())
            out.append(p / p.sum())
        return out

    def ask(self, rng: np.random.Generator) -> A:
        probs = self.probabilities()
        for _ in range(_MAX_DRAWS):
            u = rng.random(len(probs))
            values = [
                min(int(np.searchsorted(np.cumsum(p), x)), len(p) - 1) for p, x in zip(probs, u)
            ]
            try:
                arch = self.pool.space.from_choices(values)
            except InvalidArchError:
                continue
            return self.pool.project(arch, rng)
        raise SurrogateNBError(f"REINFORCE drew {_MAX_DRAWS} invalid cells in a row")

    def tell(self, arch: A, value: float) -> None:
        if not math.isfinite(value):
            return
        if self.baseline_ is None:
            self.baseline_ = value
        advantage = value - self.baseline_
        for z, p, chosen in zip(
            self.logits_, self.probabilities(), self.pool.space.to_choices(arch)
        ):
            grad = -p
            grad[chosen] += 1.0
            z += self.learning_rate * advantage * grad
        self.baseline_ = self.baseline_decay * self.baseline_ + (1 - self.baseline_decay) * value
