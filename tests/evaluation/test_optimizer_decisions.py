"""Exact decisions of the optimizers' core: Hyperband's rung budgets and promotions, and the
incumbent rule, each fed known values (issue 22, "test strength")."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surrogate_nb.evaluation.optimizers import BOHB, BaseOptimizer, CellPool, Hyperband
from surrogate_nb.space import NB201


@pytest.mark.parametrize(
    ("T", "eta", "budgets"),
    [
        (200, 3, [2, 7, 22, 67, 200]),  # 200/27 = 7.4, 200/9 = 22.2, 200/3 = 66.7 -> rounded
        (108, 3, [1, 4, 12, 36, 108]),
        (12, 3, [1, 4, 12]),  # 12/9 = 1.33 -> 1, 12/3 = 4
        (100, 2, [2, 3, 6, 12, 25, 50, 100]),  # 100/32 = 3.1, 100/64 = 1.6 -> rounded
    ],
)
def test_hyperband_rung_budgets_are_rounded(T, eta, budgets):
    hb = Hyperband(eta=eta)
    hb.reset(CellPool(space=NB201), max_epochs=T)
    s = hb.s_max_
    assert s == len(budgets) - 1
    assert [hb._epochs(s, i) for i in range(s + 1)] == budgets


def test_hyperband_promotes_the_best_third_of_a_rung():
    """Rung 0 of the largest bracket gets known values; exactly the top len // eta cells, best
    first, come back at the next rung's budget; a NaN is never promoted."""
    hb = Hyperband(eta=3)
    pool = CellPool(np.arange(500), space=NB201)
    hb.reset(pool, max_epochs=27)  # s_max 3: rungs at 1, 3, 9, 27 epochs
    rng = np.random.default_rng(0)
    first = [hb.ask_fidelity(rng) for _ in range(27)]  # n = ceil(4/4 * 27) = 27 at 1 epoch
    assert {e for _, e in first} == {1}
    values = {}
    for k, (arch, e) in enumerate(first):
        v = math.nan if k == 5 else float((k * 7) % 27)  # a permutation of 0..26, one NaN
        values[NB201.index_of(arch)] = v
        hb.tell_fidelity(arch, e, v)
    promoted = [hb.ask_fidelity(rng) for _ in range(9)]
    assert {e for _, e in promoted} == {3}
    finite = sorted((v, i) for i, v in values.items() if math.isfinite(v))
    expected = [i for _, i in reversed(finite[-9:])]
    assert [NB201.index_of(a) for a, _ in promoted] == expected  # best first
    assert not hb.todo_  # nothing else in this rung
    # the next rung keeps the best 3 of these 9 at 9 epochs
    for k, (arch, e) in enumerate(promoted):
        hb.tell_fidelity(arch, e, float(k))  # the last one told is the best now
    third = [hb.ask_fidelity(rng) for _ in range(3)]
    assert [NB201.index_of(a) for a, _ in third] == [NB201.index_of(a) for a, _ in promoted][::-1][
        :3
    ]
    assert {e for _, e in third} == {9}


def test_hyperband_brackets_run_from_most_to_least_aggressive_then_repeat():
    """Bracket s starts ceil((s_max + 1) / (s + 1) * eta**s) cells at T * eta**-s epochs; the
    brackets go s_max, s_max - 1, ..., 0, then s_max again."""
    hb = Hyperband(eta=3)
    hb.reset(CellPool(space=NB201), max_epochs=9)  # s_max 2
    rng = np.random.default_rng(0)
    starts = []
    for _ in range(4):
        hb._start_bracket(rng)
        s, _ = hb.rung_
        starts.append((s, len(hb.todo_), hb.todo_[0][1]))
    assert starts == [(2, 9, 1), (1, 5, 3), (0, 3, 9), (2, 9, 1)]


def test_hyperband_keeps_one_cell_of_a_rung_smaller_than_eta():
    hb = Hyperband(eta=3)
    hb.reset(CellPool(space=NB201), max_epochs=9)
    rng = np.random.default_rng(0)
    hb.rung_ = (2, 0)
    a, b = NB201.from_index(10), NB201.from_index(20)
    hb.results_ = [(a, 50.0), (b, 60.0)]  # 2 // 3 == 0: still one goes on
    hb._promote(rng)
    assert hb.todo_ == [(b, 3)] and hb.rung_ == (2, 1)


def test_hyperband_without_a_curve_length_uses_one_epoch():
    hb = Hyperband(eta=3)
    hb.reset(CellPool(space=NB201), max_epochs=None)
    assert (hb.T_, hb.s_max_) == (1, 0)
    assert hb.ask_fidelity(np.random.default_rng(0))[1] == 1


class _Table:
    """A benchmark with known values per (cell, epochs) and 1 s per epoch."""

    space = NB201

    def __init__(self, values: dict[tuple[int, int], float], T: int = 10) -> None:
        self.values, self.T = values, T

    def epochs(self, dataset, hp=None):
        return self.T

    def cost(self, arch, dataset, hp=None):
        return {"train_time_s": float(self.T), "train_time_per_epoch_s": 1.0}

    def query(self, arch, dataset, metric, hp=None, epoch=None, seed=None, rng=None):
        e = self.T if epoch is None else epoch + 1
        return self.values.get((NB201.index_of(arch), e), -1.0)  # -1: only reported


class _Script(BaseOptimizer):
    """Proposes a fixed list of (cell, epochs)."""

    name = "script"

    def __init__(self, script):
        self.script = list(script)

    def reset(self, pool, max_epochs=None):
        super().reset(pool, max_epochs)
        self.k = 0

    def ask_fidelity(self, rng):
        cell, e = self.script[self.k % len(self.script)]
        self.k += 1
        return NB201.from_index(cell), e

    def ask(self, rng):
        return self.ask_fidelity(rng)[0]

    def tell(self, arch, value):
        pass


def test_incumbent_is_chosen_by_fidelity_then_value():
    """A cell seen only at 1 epoch with a high value must not beat a full-fidelity result; at
    equal fidelity the larger value wins; a later, lower value does not replace it."""
    values = {(1, 1): 99.0, (2, 10): 70.0, (3, 10): 80.0, (4, 10): 75.0, (5, 3): 98.0}
    script = [(1, 1), (2, 10), (5, 3), (3, 10), (4, 10)]
    traj = _Script(script).run(
        _Table(values), "d", "acc", budget_s=1e6, rng=np.random.default_rng(0), max_evals=5
    )
    assert traj.incumbent_index == [1, 2, 2, 3, 3]
    assert traj.incumbent_signal == [99.0, 70.0, 70.0, 80.0, 80.0]
    assert traj.epochs == [1, 10, 3, 10, 10]


def test_simulated_time_charges_epochs_and_stops_before_overrunning():
    values = {(1, 1): 1.0, (2, 10): 2.0, (3, 10): 3.0}
    traj = _Script([(1, 1), (2, 10), (3, 10)]).run(
        _Table(values), "d", "acc", budget_s=15.0, rng=np.random.default_rng(0)
    )
    assert traj.time_s == [1.0, 11.0]  # the third (10 s) would end at 21 s > 15 s


def _bohb_with(observed: dict[int, list[float]], **kw) -> BOHB:
    opt = BOHB(**kw)
    opt.reset(CellPool(space=NB201), max_epochs=27)
    opt.observed_ = {e: [([0] * 6, v) for v in values] for e, values in observed.items()}
    return opt


def test_bohb_models_the_largest_budget_with_enough_finite_results():
    nan = math.nan
    observed = {1: [1.0] * 12, 3: [2.0] * 9 + [nan] * 5, 9: [3.0] * 3, 27: [nan] * 20}
    assert _bohb_with(observed, min_points=10).model_budget() == 1  # 3 has 9 finite only
    assert _bohb_with(observed, min_points=9).model_budget() == 3
    assert _bohb_with(observed, min_points=3).model_budget() == 9
    assert _bohb_with(observed, min_points=13).model_budget() is None


def test_bohb_draws_hyperbands_cells_until_a_model_exists():
    """Without enough results BOHB starts brackets with exactly the cells Hyperband draws from
    the same stream."""
    hb, bohb = Hyperband(), BOHB()
    for opt in (hb, bohb):
        opt.reset(CellPool(space=NB201), max_epochs=27)
    bohb.observed_ = {27: [([0] * 6, 1.0)] * 9}  # one short of the default min_points
    a = [hb.ask_fidelity(np.random.default_rng(3)) for _ in range(3)]
    b = [bohb.ask_fidelity(np.random.default_rng(3)) for _ in range(3)]
    assert [(NB201.index_of(x), e) for x, e in a] == [(NB201.index_of(x), e) for x, e in b]


def test_bohb_with_random_fraction_one_never_asks_the_model(monkeypatch):
    bohb = _bohb_with({27: [1.0] * 20}, random_fraction=1.0)
    assert bohb.model_budget() == 27

    def refuse(*_):
        raise AssertionError("the model was asked")

    monkeypatch.setattr(bohb, "_from_model", refuse)
    rng = np.random.default_rng(0)
    assert all(bohb.ask_fidelity(rng) for _ in range(30))


def test_bohb_proposes_from_the_model_of_good_results():
    """Results where op 3 on every edge scores high and others low: with random_fraction 0 the
    TPE model proposes op 3 far more often than a uniform draw (1/5 of the edges)."""
    opt = BOHB(random_fraction=0.0, min_points=10)
    opt.reset(CellPool(space=NB201), max_epochs=27)
    rng = np.random.default_rng(0)
    results = []
    for _ in range(40):
        arch = NB201.sample(rng)
        choices = NB201.to_choices(arch)
        results.append((choices, float(sum(c == 3 for c in choices))))
    opt.observed_ = {9: results}
    proposed = [NB201.to_choices(opt._new_cell(rng)) for _ in range(30)]
    share = np.mean([c == 3 for cell in proposed for c in cell])
    assert share > 0.35  # uniform: 0.2 (sd 0.03 over 180 edges)


def test_bohb_records_each_result_under_its_budget():
    opt = BOHB()
    opt.reset(CellPool(space=NB201), max_epochs=27)
    a, b = NB201.from_index(5), NB201.from_index(7)
    opt.tell_fidelity(a, 3, 40.0)
    opt.tell_fidelity(b, None, 50.0)  # full fidelity: the table's T
    assert opt.observed_ == {3: [(NB201.to_choices(a), 40.0)], 27: [(NB201.to_choices(b), 50.0)]}


def test_bohb_keeps_one_study_per_budget_with_each_finite_result_once():
    import optuna

    opt = BOHB()
    opt.reset(CellPool(space=NB201), max_epochs=27)
    rng = np.random.default_rng(0)
    for k in range(12):
        opt.tell_fidelity(NB201.from_index(k), 9, math.nan if k in (3, 7) else float(k))
    study = opt._study(9)

    def complete(s):
        return [t.value for t in s.get_trials(states=(optuna.trial.TrialState.COMPLETE,))]

    assert complete(study) == [float(k) for k in range(12) if k not in (3, 7)]
    opt._from_model(9, rng)  # asking adds no completed trial
    for k in range(12, 15):
        opt.tell_fidelity(NB201.from_index(k), 9, float(k))
    assert opt._study(9) is study and len(complete(study)) == 13
