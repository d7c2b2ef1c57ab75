"""REA's ageing and tournament, checked move by move (not only "REA beats RS" in aggregate)."""

from __future__ import annotations

import numpy as np

from surrogate_nb.evaluation.optimizers.base import CellPool
from surrogate_nb.evaluation.optimizers.evolution import RegularizedEvolution
from surrogate_nb.space import Arch


def _far_apart(n: int, rng: np.random.Generator) -> list[Arch]:
    """n cells pairwise >= 3 edges apart: a one-edge child has exactly one possible parent."""
    out: list[Arch] = []
    while len(out) < n:
        a = Arch(tuple(int(x) for x in rng.integers(0, 5, 6)))
        if all(sum(x != y for x, y in zip(a.op_ids, b.op_ids)) >= 3 for b in out):
            out.append(a)
    return out


def _parent(child: Arch, population: list[Arch]) -> Arch:
    near = [p for p in population if sum(x != y for x, y in zip(child.op_ids, p.op_ids)) == 1]
    assert len(near) == 1
    return near[0]


def test_ageing_removes_the_oldest_not_the_worst():
    """Planted bug caught: popping the worst (or the newest) member instead of the oldest."""
    rea = RegularizedEvolution(population_size=4, sample_size=2)
    rea.reset(CellPool())
    cells = [Arch.from_index(i) for i in (10, 20, 30, 40, 50, 60)]
    values = [99.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # the oldest is the best
    for a, v in zip(cells, values):
        rea.tell(a, v)
    assert [a.index for a, _ in rea.population_] == [30, 40, 50, 60]
    rea.tell(Arch.from_index(70), float("nan"))  # a failed evaluation does not age the queue
    assert [a.index for a, _ in rea.population_] == [30, 40, 50, 60]


def test_tournament_parent_is_best_of_the_sample():
    """Each child's parent is the best of `sample_size` members drawn without replacement.

    Planted bugs caught: parent = worst of the sample (min for max), parent = best of the whole
    population (no tournament), sample drawn with replacement or of the wrong size (the rate at
    which the population's best is the parent moves off 3/10)."""
    rng = np.random.default_rng(0)
    pop = _far_apart(10, rng)
    values = rng.permutation(10).astype(float)
    rea = RegularizedEvolution(population_size=10, sample_size=3)
    pool = CellPool()
    rea.reset(pool)
    for a, v in zip(pop, values):
        rea.tell(a, v)
    value_of = {a: v for a, v in zip(pop, values)}
    best = pop[int(np.argmax(values))]
    n, hits = 600, 0
    ask_rng, twin = np.random.default_rng(1), np.random.default_rng(1)
    for _ in range(n):
        child = rea.ask(ask_rng)
        picks = twin.choice(10, size=3, replace=False)  # the draw REA must make
        expected = max((pop[int(k)] for k in picks), key=value_of.__getitem__)
        twin.integers(len(pool.neighbours(expected)))  # the mutation draw
        parent = _parent(child, pop)
        assert parent == expected
        hits += parent == best
    # P(best in a 3-of-10 sample) = 0.3; 600 draws: sd ~ 0.019
    assert 0.24 < hits / n < 0.36
