"""The syne-tune / SMAC3 / DEHB adapter on NB-101: configurations, budgets, simulated cost.

A synthetic NB-101 benchmark with NB-101's four independent budgets (value linear in the cell's
one-hot encoding, lower at small budgets; 10 s per epoch, train time recorded at 36 and 108
epochs only) makes every expected value computable here. Budgets are tiny (a few dozen
trainings), so each run takes about a second (SMAC several).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from surrogate_nb.space import NB101

pytestmark = pytest.mark.xdist_group("nb101")
DS, SIGNAL, HP = "cifar10", "valid_acc", "108"
EPOCH_S = 10.0


class BudgetNB101:
    """Synthetic NB-101 benchmark with budgets 4/12/36/108 (see module docstring)."""

    space = NB101

    def __init__(self, seed: int = 0) -> None:
        self.w = np.random.default_rng(seed).normal(size=36)

    def hps(self, dataset):
        return ["108", "12", "36", "4"]

    def epochs(self, dataset, hp=None):
        return 1

    def query(self, arch, dataset, metric, hp=None, epoch=None, seed=None, rng=None):
        idx = NB101.as_indices(arch)
        v = 80 + NB101.featurize(np.atleast_1d(idx), "onehot") @ self.w - 100 / float(hp)
        if seed == "sample":
            v = v + rng.normal(0, 0.1, len(v))
        return float(v[0]) if np.ndim(idx) == 0 else v

    def cost(self, arch, dataset, hp=None):
        t = EPOCH_S * int(hp) if str(hp) in ("36", "108") else math.nan
        return {"train_time_s": t, "train_time_per_epoch_s": t}


@pytest.fixture(scope="module")
def st():
    return pytest.importorskip("syne_tune")


def test_nb101_configurations_map_back_to_valid_cells(st, nb101_index):
    from surrogate_nb.errors import InvalidArchError
    from surrogate_nb.evaluation.hpo import arch_of, config_of, config_space, to_blackbox

    cs = config_space(NB101)
    assert len(cs) == 26  # 21 edge bits + 5 interior ops
    assert list(cs["e01"].categories) == [0, 1] and len(cs["v1"].categories) == 3
    rng = np.random.default_rng(0)
    for _ in range(20):
        cell = NB101.sample(rng)
        back = arch_of(config_of(cell, NB101), NB101)
        assert back.module_hash == cell.module_hash
    full = {k: 1 for k in cs if k.startswith("e")} | {f"v{v}": "maxpool3x3" for v in range(1, 6)}
    with pytest.raises(InvalidArchError):  # 21 edges > 9
        arch_of(full, NB101)
    bb = to_blackbox(BudgetNB101(), DS, SIGNAL, HP)
    assert bb.evaluated_arch(full) is None
    values = bb.objective_function(full)  # every budget: worst value, no training time
    np.testing.assert_array_equal(values, np.zeros((4, 2)))
    # syne-tune's own sampler draws configurations that name cells, or are answered as invalid
    for config in (cs_sample(cs, k) for k in range(30)):
        arch = bb.evaluated_arch(config)
        assert arch is None or 0 <= arch.index < NB101.size


def cs_sample(cs, k):
    rng = np.random.RandomState(k)
    return {name: dom.sample(random_state=rng) for name, dom in cs.items()}


def test_budgets_are_independent_trainings_each_charged_its_own_time(st, nb101_index):
    from surrogate_nb.evaluation.hpo import fidelity_plan, to_blackbox

    bench = BudgetNB101()
    assert fidelity_plan(bench, DS, SIGNAL, HP) == ("budgets", [4, 12, 36, 108], HP)
    assert fidelity_plan(bench, DS, SIGNAL, HP, multi_fidelity=False) == ("final", [108], HP)
    assert fidelity_plan(bench, DS, SIGNAL, "36")[1] == [4, 12, 36]
    one = BudgetNB101()
    one.hps = lambda dataset: ["108"]  # a benchmark of the target budget only
    assert fidelity_plan(one, DS, SIGNAL, HP) == ("final", [108], HP)
    cell = NB101.sample(np.random.default_rng(3))
    bb = to_blackbox(bench, DS, SIGNAL, HP)
    from surrogate_nb.evaluation.hpo import config_of

    values = bb.objective_function(config_of(cell, NB101))
    expected_values = [bench.query(cell, DS, SIGNAL, hp=str(b)) for b in (4, 12, 36, 108)]
    np.testing.assert_allclose(values[:, 0], expected_values)
    # a result at budget b costs a fresh b-epoch training: elapsed = running sum of 10 s x b
    np.testing.assert_allclose(values[:, 1], EPOCH_S * np.cumsum([4, 12, 36, 108]))
    assert bb.fresh_cost(cell, 1) == pytest.approx(EPOCH_S * 12)  # DEHB: one new training
    final = to_blackbox(bench, DS, SIGNAL, HP, fidelity="final")
    np.testing.assert_allclose(final.objective_function(config_of(cell, NB101))[:, 1], [1080.0])


def _charged(traj) -> float:
    """Training time of every trial of a syne-tune run, from its rows alone: a trial that reached
    budget b trained every budget up to b, each from scratch (10 s per epoch)."""
    top: dict[int, int] = {}
    trial = -1
    for e in traj.epochs:  # one worker: a trial's rows are consecutive and its budgets ascend
        trial += e == min(traj.epochs)
        top[trial] = e
    return sum(EPOCH_S * sum(b for b in (4, 12, 36, 108) if b <= t) for t in top.values())


@pytest.mark.parametrize("method", ["st_bohb", "dehb"])
def test_multi_fidelity_runs_on_nb101_budgets(st, nb101_index, method):
    pytest.importorskip("dehb")
    from surrogate_nb.evaluation.hpo import run_syne_tune

    bench = BudgetNB101()
    budget = 30 * 1080.0  # 30 full trainings

    def run(seed):
        return run_syne_tune(method, bench, DS, SIGNAL, HP, budget, np.random.default_rng(seed))

    a, b, c = run(0), run(0), run(1)
    assert a.to_dict() == b.to_dict() and a.arch_index != c.arch_index  # reproducible by seed
    assert set(a.epochs) <= {4, 12, 36, 108} and {4, 108} <= set(a.epochs)
    assert all(0 <= i < NB101.size for i in a.arch_index)
    assert a.time_s[-1] <= budget and np.all(np.diff(a.time_s) >= 0)
    assert a.meta["fidelity"] == "budgets" and a.meta["trials"] > 30  # cheap low budgets
    best = max(a.signal[k] for k in range(len(a)) if a.epochs[k] == 108)
    assert a.incumbent_signal[-1] == pytest.approx(best)
    if method == "dehb":  # its clock: the sum of one fresh training per evaluation
        costs = [EPOCH_S * e for e in a.epochs]
        np.testing.assert_allclose(a.time_s, np.cumsum(costs))
    else:  # syne-tune's simulator: a promoted trial is charged the new budget's training
        assert a.time_s[-1] == pytest.approx(_charged(a), rel=0.01)


def test_smac_runs_sized_to_the_budget_and_reproducible(st, nb101_index):
    pytest.importorskip("smac")
    from surrogate_nb.evaluation.hpo import run_syne_tune

    bench = BudgetNB101()

    def run(seed):
        return run_syne_tune(
            "st_smac", bench, DS, SIGNAL, HP, 6.5 * 1080.0, np.random.default_rng(seed)
        )

    a = run(0)
    assert a.meta["fidelity"] == "final" and set(a.epochs) == {108}  # single fidelity
    assert a.meta["trials"] == 6 and a.time_s[-1] <= 6.5 * 1080.0  # 1,080 s per training
    assert a.to_dict() == run(0).to_dict()


def test_missing_smac_or_dehb_is_one_line(monkeypatch):
    from surrogate_nb.evaluation import hpo
    from surrogate_nb.evaluation.runners import check_method

    pytest.importorskip("syne_tune")
    monkeypatch.setitem(sys.modules, "smac", None)
    monkeypatch.setitem(sys.modules, "dehb", None)
    for name, label in (("st_smac", "SMAC3"), ("dehb", "DEHB")):
        with pytest.raises(hpo.MissingExtraError) as err:
            check_method(name)
        message = str(err.value)
        assert message.startswith(f"{label} is not installed") and "\n" not in message
        assert 'pip install "surrogate-nb[hpo]"' in message
    check_method("st_bohb")  # syne-tune's own schedulers need neither


def test_optimizers_study_takes_bohb_and_dehb_arms(st, nb101_index, tmp_path):
    pytest.importorskip("dehb")
    from surrogate_nb.evaluation.optimizers import CellPool, make_optimizer
    from surrogate_nb.evaluation.runners import make_method
    from surrogate_nb.evaluation.studies.optimizers import optimizers_study

    result = optimizers_study(
        BudgetNB101(),
        DS,
        SIGNAL,
        HP,
        optimizers=[make_optimizer("random_search"), make_method("st_bohb"), make_method("dehb")],
        runs=3,
        budget_s=20 * 1080.0,
        rng=np.random.default_rng(0),
        out=tmp_path,
        signal_seed=None,
        pool=CellPool(np.arange(0, NB101.size, 97), space=NB101),  # optimum over a sample
    )
    rows = {r["optimizer"]: r for r in result.rows()}
    assert set(rows) == {"random_search", "st_bohb", "dehb"}
    assert rows["random_search"]["evaluations (mean)"] == 20
    assert rows["st_bohb"]["evaluations (mean)"] > 20  # trials, most stopped at low budgets
    assert (tmp_path / "report.md").is_file()


def test_cli_study_optimizers_runs_bohb_and_dehb_on_an_nb101_table(st, nb101_1k, tmp_path):
    pytest.importorskip("dehb")
    import json

    from typer.testing import CliRunner

    from surrogate_nb.cli import app
    from tests.conftest import NB101_DIR  # present: the nb101_1k fixture skips otherwise

    run = CliRunner().invoke
    res = run(app, ["import", str(NB101_DIR / "data-1k.json"), "--out", str(tmp_path / "t")])
    assert res.exit_code == 0, res.output
    args = ["study", "optimizers", "-t", str(tmp_path / "t"), "--space", "nb101", "--hp", "108"]
    args += ["--model", "table", "--runs", "2", "--budget", "2e4", "--out", str(tmp_path / "o")]
    for m in ("random_search", "st_bohb", "dehb"):
        args += ["--optimizers", m]
    res = run(app, args)
    assert res.exit_code == 0, res.output
    rows = json.loads((tmp_path / "o" / "summary.json").read_text())["rows"]
    evals = {r["optimizer"]: r["evaluations (mean)"] for r in rows}
    assert set(evals) == {"random_search", "st_bohb", "dehb"}
    # ~2,000 s per 108-epoch training: random search affords ~10; BOHB and DEHB more, cheaper
    assert evals["random_search"] < evals["st_bohb"] and evals["random_search"] < evals["dehb"]
