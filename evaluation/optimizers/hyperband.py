"""Hyperband (Li et al. 2018) over the table's epoch dimension: our own successive halving.

Budgets are training epochs. With the table's curve length T (max_epochs), minimum `min_epochs`
and reduction factor eta, bracket s (s_max .. 0) starts n = ceil((s_max+1)/(s+1) * eta**s)
random cells at T * eta**-s epochs and keeps the top 1/eta at each rung until T. A cell evaluated
at e epochs is charged per-epoch time x e (no checkpoint reuse: a promoted cell is charged its new
epoch count in full, as when restarting from scratch). The signal at e epochs is the table's
value after e epochs (`query(..., epoch=e - 1)`, epochs count from 0), i.e. the e-th point of the
T-epoch curve: the cosine schedule is not restarted at e epochs, a documented approximation of a
true e-epoch run. Brackets repeat until the budget ends. Cells are sampled uniformly (Hyperband;
`BOHB` draws them from a TPE model instead).
"""

from __future__ import annotations

import math

import numpy as np

from surrogate_nb.evaluation.optimizers.base import A, BaseOptimizer, CellPool


class Hyperband(BaseOptimizer[A]):
    """Hyperband with successive halving on epochs.

    Args:
        eta: reduction factor between rungs.
        min_epochs: smallest budget (clipped to the table's T).
    """

    name = "hyperband"
    multi_fidelity = True

    def __init__(self, eta: int = 3, min_epochs: int = 1) -> None:
        if eta < 2 or min_epochs < 1:
            raise ValueError(
                f"Hyperband needs eta >= 2 and min_epochs >= 1, got {eta}, {min_epochs}"
            )
        self.eta = eta
        self.min_epochs = min_epochs

    def reset(self, pool: CellPool[A], max_epochs: int | None = None) -> None:
        super().reset(pool, max_epochs)
        self.T_ = int(max_epochs or 1)
        lo = min(self.min_epochs, self.T_)
        self.s_max_ = math.floor(math.log(self.T_ / lo, self.eta) + 1e-9)
        self.bracket_ = self.s_max_  # the next bracket to start
        self.todo_: list[tuple[A, int]] = []  # (arch, epochs) still to evaluate in this rung
        self.results_: list[tuple[A, float]] = []
        self.rung_: tuple[int, int] | None = None  # (bracket s, rung i)
        self.n_: int = 0

    def _epochs(self, s: int, i: int) -> int:
        return max(1, min(self.T_, round(self.T_ * self.eta ** (i - s))))

    def _start_bracket(self, rng: np.random.Generator) -> None:
        s = self.bracket_
        self.bracket_ = self.s_max_ if s == 0 else s - 1
        n = math.ceil((self.s_max_ + 1) / (s + 1) * self.eta**s)
        self.rung_ = (s, 0)
        e = self._epochs(s, 0)
        self.todo_ = [(self._new_cell(rng), e) for _ in range(n)]
        self.results_ = []

    def _new_cell(self, rng: np.random.Generator) -> A:
        """A cell that starts a bracket: uniform at random (BOHB overrides this)."""
        return self.pool.sample(rng)

    def _promote(self, rng: np.random.Generator) -> None:
        """The next rung of the current bracket; a new bracket after the last rung (or first)."""
        if self.rung_ is None or self.rung_[1] >= self.rung_[0]:
            self._start_bracket(rng)
            return
        s, i = self.rung_
        keep = max(1, len(self.results_) // self.eta)
        order = sorted(self.results_, key=lambda r: -r[1] if math.isfinite(r[1]) else math.inf)
        e = self._epochs(s, i + 1)
        self.rung_ = (s, i + 1)
        self.todo_ = [(arch, e) for arch, _ in order[:keep]]
        self.results_ = []

    def ask_fidelity(self, rng: np.random.Generator) -> tuple[A, int | None]:
        while not self.todo_:
            self._promote(rng)
        arch, e = self.todo_.pop(0)
        return arch, e

    def ask(self, rng: np.random.Generator) -> A:
        return self.ask_fidelity(rng)[0]

    def tell_fidelity(self, arch: A, epochs: int | None, value: float) -> None:
        self.results_.append((arch, value))

    def tell(self, arch: A, value: float) -> None:
        self.tell_fidelity(arch, None, value)
