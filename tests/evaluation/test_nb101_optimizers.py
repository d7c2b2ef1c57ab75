"""Optimizers on the NB-101 space: the same code, the space's own sampling and mutation."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.evaluation.optimizers import OPTIMIZERS, CellPool, make_optimizer
from surrogate_nb.space import NB101, Cell

pytestmark = pytest.mark.xdist_group("nb101")


class AdditiveNB101:
    """Synthetic NB-101 benchmark: value = linear in the one-hot encoding; 100 s per cell."""

    space = NB101

    def __init__(self, seed: int = 0) -> None:
        self.w = np.random.default_rng(seed).normal(size=36)

    def _idx(self, arch):
        return np.atleast_1d(NB101.as_indices(arch))

    def query(self, arch, dataset, metric, hp=None, epoch=None, seed=None, rng=None):
        idx = self._idx(arch)
        v = 50 + NB101.featurize(idx, "onehot") @ self.w
        if seed == "sample":
            v = v + rng.normal(0, 0.1, len(v))
        return float(v[0]) if np.ndim(NB101.as_indices(arch)) == 0 else v

    def cost(self, arch, dataset, hp=None):
        return {"train_time_s": 100.0, "train_time_per_epoch_s": 100.0 / 108}

    def epochs(self, dataset, hp=None):
        return 1


@pytest.mark.parametrize("name", sorted(n for n, c in OPTIMIZERS.items() if not c.multi_fidelity))
def test_every_optimizer_searches_nb101(nb101_index, name):
    bench = AdditiveNB101()
    traj = make_optimizer(name).run(
        bench, "cifar10", "valid_acc", "108", 3000.0, np.random.default_rng(0)
    )
    assert len(traj) == 30  # 100 s each, 3,000 s budget
    assert all(0 <= i < NB101.size for i in traj.arch_index)
    again = make_optimizer(name).run(
        bench, "cifar10", "valid_acc", "108", 3000.0, np.random.default_rng(0)
    )
    assert again.arch_index == traj.arch_index  # same seed, same run


def test_rea_children_are_mutations_of_the_population(nb101_index):
    bench = AdditiveNB101(seed=1)
    opt = make_optimizer("rea", population_size=5, sample_size=2)
    traj = opt.run(bench, "cifar10", "valid_acc", "108", 2000.0, np.random.default_rng(2))
    seen = [NB101.from_index(i) for i in traj.arch_index]
    for k in range(5, len(seen)):
        child = NB101.to_choices(seen[k])
        # one op changed or one edge flipped, relative to an earlier cell (up to isomorphism
        # the padded encodings of parent and child can differ more, so compare module hashes)
        parents = seen[max(0, k - 5) : k]
        nbs = {c.module_hash for p in parents for c in NB101.neighbours(p)}
        assert seen[k].module_hash in nbs, child


def test_mutation_changes_one_op_or_one_edge(nb101_index):
    rng = np.random.default_rng(5)
    for _ in range(20):
        cell = NB101.sample(rng)
        child = NB101.mutate(cell, rng)
        assert child.module_hash != cell.module_hash
        assert child.module_hash in {c.module_hash for c in NB101.neighbours(cell)}


def test_choices_round_trip(nb101_index):
    rng = np.random.default_rng(0)
    params = NB101.choices()
    assert len(params) == 26  # 21 edge bits + 5 ops
    for _ in range(20):
        cell = NB101.sample(rng)
        again = NB101.from_choices(NB101.to_choices(cell))
        assert isinstance(again, Cell) and again.module_hash == cell.module_hash


def test_partial_pool_projects_to_its_cells(nb101_index):
    pool = CellPool(np.arange(0, 2000, 7), space=NB101)
    rng = np.random.default_rng(0)
    outside = NB101.from_index(1)
    assert outside not in pool
    inside = pool.project(outside, rng)
    assert inside in pool
    for nb in pool.neighbours(inside):
        assert nb in pool
    assert pool.mutate(inside, rng) in pool


def test_optimizers_study_reports_regret(nb101_index, tmp_path):
    from surrogate_nb.evaluation.optimizers import LocalSearch, RandomSearch, RegularizedEvolution
    from surrogate_nb.evaluation.studies.optimizers import optimizers_study

    class Small(AdditiveNB101):
        """Only the first 3,000 cells have values (the optimum is cheap to find exactly)."""

        def query(self, arch, dataset, metric, hp=None, epoch=None, seed=None, rng=None):
            v = np.atleast_1d(super().query(arch, dataset, metric, hp, epoch, seed, rng))
            idx = np.atleast_1d(NB101.as_indices(arch))
            v = np.where(idx < 3000, v, np.nan)
            return float(v[0]) if np.ndim(NB101.as_indices(arch)) == 0 else v

    bench = Small()
    pool = CellPool(np.arange(3000), space=NB101)
    optimum = np.nanmax(bench.query(np.arange(3000), "cifar10", "valid_acc"))
    res = optimizers_study(
        bench, "cifar10", "valid_acc", "108",
        optimizers=[RandomSearch(), RegularizedEvolution(), LocalSearch()],
        runs=6, budget_s=4000.0, rng=np.random.default_rng(0), out=tmp_path,
        signal_seed=None, pool=pool,
    )  # fmt: skip
    assert res.optimum == pytest.approx(optimum)
    for name, f in res.final.items():
        assert len(f) == 6 and np.all(f >= -1e-9)  # regret is never negative
        r = res.regret[name]
        assert np.all(np.diff(r[:, np.isfinite(r).all(axis=0)], axis=1) <= 1e-9)  # mean signal
    assert set(res.verdicts) == {"rea", "local_search"}
    assert (tmp_path / "report.md").is_file() and (tmp_path / "regret.png").is_file()
