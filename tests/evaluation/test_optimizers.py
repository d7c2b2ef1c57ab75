"""Optimizer contract tests: every optimizer subclasses `OptimizerContract`."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError
from surrogate_nb.evaluation.optimizers import (
    BOHB,
    OPTIMIZERS,
    TPE,
    CellPool,
    Hyperband,
    LocalSearch,
    RandomSearch,
    RegularizedEvolution,
    Reinforce,
    make_optimizer,
    run_repeats,
)
from surrogate_nb.space import NB201, Arch

BUDGET = 3_000.0  # ~25 evaluations of the fake's 100-160 s cells


def _run(opt, bench, seed, **kw):
    return opt.run(
        bench,
        "synth",
        "valid_acc",
        None,
        kw.pop("budget", BUDGET),
        np.random.default_rng(seed),
        report_metric="test_acc",
        **kw,
    )


class OptimizerContract:
    """Shared checks; subclasses set `make`."""

    make = staticmethod(RandomSearch)

    def test_same_seed_same_trajectory(self, fake_benchmark):
        a = _run(self.make(), fake_benchmark, 3)
        b = _run(self.make(), fake_benchmark, 3)
        assert a.to_dict() == b.to_dict()
        c = _run(self.make(), fake_benchmark, 4)
        assert c.arch_index != a.arch_index

    def test_reusable_instance(self, fake_benchmark):
        opt = self.make()
        a = _run(opt, fake_benchmark, 5)
        b = _run(opt, fake_benchmark, 5)
        assert a.to_dict() == b.to_dict()

    def test_budget_respected(self, fake_benchmark):
        t = _run(self.make(), fake_benchmark, 0)
        assert len(t) >= 5
        assert t.time_s[-1] <= BUDGET
        assert np.all(np.diff(t.time_s) > 0)
        # the trajectory's times are the sum of the charged costs
        charged = [
            fake_benchmark.cost(int(i), "synth")["train_time_per_epoch_s"] * e
            for i, e in zip(t.arch_index, t.epochs)
        ]
        np.testing.assert_allclose(np.cumsum(charged), t.time_s)

    def test_incumbent_monotone(self, fake_benchmark):
        t = _run(self.make(), fake_benchmark, 1)
        key = list(zip(t.epochs, t.signal))
        inc = np.asarray(t.incumbent_signal)
        # the incumbent is the best (fidelity, signal) seen so far
        for k in range(len(t)):
            best = max(key[: k + 1])
            assert inc[k] == best[1]
        # the incumbent's (fidelity, signal) never decreases; with one fidelity, nor its signal
        inc_key = [max(key[: k + 1]) for k in range(len(t))]
        assert all(a <= b for a, b in itertools.pairwise(inc_key))
        if len(set(t.epochs)) == 1:
            assert np.all(np.diff(inc) >= 0)
        # its report metric is the report metric of the incumbent cell
        for i, r in zip(t.incumbent_index, t.incumbent_report):
            assert r == fake_benchmark.query(i, "synth", "test_acc")

    def test_partial_pool(self, fake_cls):
        cells = np.random.default_rng(0).choice(15625, size=300, replace=False)
        bench = fake_cls(cells=cells)
        t = _run(self.make(), bench, 2, pool=CellPool(cells))
        assert len(t) >= 5
        assert set(t.arch_index) <= set(cells.tolist())

    def test_needs_rng(self, fake_benchmark):
        with pytest.raises(SurrogateNBError, match="rng"):
            self.make().run(fake_benchmark, "synth", "valid_acc", None, 100.0, None)


class TestRandomSearch(OptimizerContract):
    make = staticmethod(RandomSearch)


class TestREA(OptimizerContract):
    make = staticmethod(RegularizedEvolution)

    def test_children_are_mutations(self, fake_benchmark):
        t = _run(self.make(), fake_benchmark, 0, budget=20_000)
        pop = set(t.arch_index[:10])
        later = [Arch.from_index(i) for i in t.arch_index[10:]]
        assert later
        # every child is one edge away from some earlier cell
        seen = [Arch.from_index(i) for i in t.arch_index]
        for k, child in enumerate(later, start=10):
            dists = [sum(a != b for a, b in zip(child.op_ids, s.op_ids)) for s in seen[:k]]
            assert 1 in dists
        assert pop

    def test_rejects_bad_tournament(self):
        with pytest.raises(ValueError, match="sample_size"):
            RegularizedEvolution(population_size=2, sample_size=3)


class TestReinforce(OptimizerContract):
    make = staticmethod(Reinforce)

    def test_policy_moves_towards_reward(self):
        opt = Reinforce(learning_rate=0.5)
        opt.reset(CellPool())
        good = Arch((3,) * 6)
        opt.tell(Arch((0,) * 6), 10.0)  # sets the baseline
        for _ in range(5):
            opt.tell(good, 50.0)
        assert all(p[3] > 0.2 for p in opt.probabilities())


class TestLocalSearch(OptimizerContract):
    make = staticmethod(LocalSearch)


class TestTPE(OptimizerContract):
    make = staticmethod(TPE)


class TestHyperband(OptimizerContract):
    make = staticmethod(Hyperband)

    def test_uses_several_fidelities(self, fake_benchmark):
        t = _run(self.make(), fake_benchmark, 0, budget=20_000)
        assert len(set(t.epochs)) >= 2
        assert max(t.epochs) == fake_benchmark.T
        assert min(t.epochs) < fake_benchmark.T


class TestBOHB(TestHyperband):
    make = staticmethod(BOHB)


def test_registry_and_errors():
    assert set(OPTIMIZERS) == {
        "random_search",
        "rea",
        "reinforce",
        "local_search",
        "tpe",
        "hyperband",
        "bohb",
    }
    assert isinstance(make_optimizer("rea"), RegularizedEvolution)
    with pytest.raises(UnknownKeyError, match="random_search"):
        make_optimizer("grid")


def test_pool_neighbours_full_space_are_mutations():
    pool = CellPool()
    a = Arch.from_index(123)
    assert sorted(x.index for x in pool.neighbours(a)) == sorted(
        x.index for x in NB201.neighbours(a)
    )


def test_cost_epochs_scales_charge(fake_benchmark):
    t = _run(RandomSearch(), fake_benchmark, 0, cost_epochs=6)
    first = fake_benchmark.cost(t.arch_index[0], "synth")["train_time_per_epoch_s"] * 6
    assert t.time_s[0] == pytest.approx(first)


def test_rea_beats_random_search_on_structured_benchmark(fake_benchmark):
    """Averaged over repeats, REA's final incumbent is better than random search's."""
    rng = np.random.default_rng(0)
    kw = {"report_metric": "test_acc"}
    rs = run_repeats(
        RandomSearch(), fake_benchmark, "synth", "valid_acc", None, 20_000, rng, 10, **kw
    )
    rea = run_repeats(
        RegularizedEvolution(), fake_benchmark, "synth", "valid_acc", None, 20_000, rng, 10, **kw
    )
    rs_final = np.mean([t.final_report for t in rs])
    rea_final = np.mean([t.final_report for t in rea])
    assert rea_final > rs_final


_SPAWN = """
import json, sys
import numpy as np
sys.path.insert(0, {conftest_dir!r})
from conftest import FakeBenchmark
from surrogate_nb.evaluation.optimizers import make_optimizer
b = FakeBenchmark()
t = make_optimizer({name!r}).run(b, "synth", "valid_acc", None, 3000.0, np.random.default_rng(7))
print(json.dumps(t.arch_index))
"""


@pytest.mark.parametrize("name", ["rea", "tpe", "hyperband", "bohb"])
def test_same_seed_in_spawned_processes(name, tmp_path):
    """Same seed, fresh interpreters with different string hashing: same trajectory."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = _SPAWN.format(conftest_dir=str(Path(__file__).parent), name=name)
    outs = []
    for hashseed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        res = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=True,
        )
        outs.append(json.loads(res.stdout.strip().splitlines()[-1]))
    assert outs[0] == outs[1] and len(outs[0]) > 5
