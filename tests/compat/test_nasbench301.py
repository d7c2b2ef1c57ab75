"""`surrogate_nb.compat.nasbench301`: NB301's ``load_ensemble`` / ``predict`` over our surrogates,
fitted here on a synthetic DARTS table (valid_acc rises with the sep_conv ops of the normal cell;
train_time_s with the parameter-heavy ops of both cells)."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.compat import nasbench301 as nb
from surrogate_nb.compat._errors import CompatValueError
from surrogate_nb.errors import ModelFormatError
from surrogate_nb.regressors import LGBRegressor, Surrogate, fit_from_table
from surrogate_nb.space import DARTS
from surrogate_nb.space.darts import decode
from surrogate_nb.space.darts_forms import CONFIG_PREFIX, to_config, to_genotype, to_naslib
from surrogate_nb.table import Benchmark, write_table

SEP = (3, 4)  # sep_conv_3x3, sep_conv_5x5


def _truth(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    _, ops = decode(idx)
    acc = 88.0 + 0.8 * np.isin(ops[:, 0], SEP).sum(axis=1)
    time_s = 1000.0 + 300.0 * (ops >= 3).sum(axis=(1, 2))
    return acc, time_s


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("nb301compat")
    rng = np.random.default_rng(0)
    idx = np.unique([DARTS.sample(rng).index for _ in range(300)])
    acc, time_s = _truth(idx)
    trials = [
        {
            "arch_index": int(i),
            "dataset": "cifar10",
            "hp": "100",
            "seed": 0,
            "epochs": 1,
            "train_time_s": float(t),
            "curves": {"valid_acc": [float(a + rng.normal(0, 0.1))]},
        }
        for i, a, t in zip(idx, acc, time_s)
    ]
    b = Benchmark.open(write_table(root / "t", trials, manifest={"command": "test"}, space="darts"))
    proto = Surrogate(LGBRegressor(n_members=2, n_estimators=150), space="darts")
    paths = {}
    for metric in ("valid_acc", "train_time_s"):
        fit = fit_from_table(b, "cifar10", metric, "100", rng=rng, surrogate=proto)
        paths[metric] = fit.surrogate.save(root / metric)
    return paths


def _cells(n_sep: int, rng: np.random.Generator) -> list:
    """Random cells whose normal cell has exactly `n_sep` sep_conv ops."""
    out = []
    while len(out) < 5:
        g = DARTS.sample(rng)
        normal = [(i, 3 if k < n_sep else 0) for k, (i, _) in enumerate(g.normal)]
        out.append(type(g).of(normal, g.reduce))
    return out


def test_predict_every_representation_and_batches(models):
    perf = nb.load_ensemble(models["valid_acc"], seed=1)
    assert perf.metric == "valid_acc"
    rng = np.random.default_rng(5)
    good, bad = _cells(8, rng), _cells(0, rng)
    g = good[0]
    means = {
        rep: perf.predict(config=form, representation=rep, with_noise=False)
        for rep, form in (
            ("genotype", to_genotype(g)),
            ("genotype", str(to_genotype(g))),
            ("configspace", to_config(g)),
            ("configspace", {**nb.fixed_hyperparameters, **to_config(g)}),
            ("BANANAS", to_naslib(g)),
            ("naslib", to_naslib(g)),
            ("any", str(g)),
        )
    }
    assert len(set(means.values())) == 1 and isinstance(means["genotype"], float)
    # a batch answers each config as one call does, and the model learned the synthetic rule
    batch_good = perf.predict([to_genotype(x) for x in good], "genotype", with_noise=False)
    batch_bad = perf.predict([to_config(x) for x in bad], "configspace", with_noise=False)
    assert batch_good.shape == (5,) and batch_good[0] == means["genotype"]
    assert batch_good.min() > batch_bad.max() + 2
    assert perf.predict([to_naslib(x) for x in bad], "BANANAS", False).tolist() == (
        batch_bad.tolist()
    )
    # with_noise draws around the mean, below 100, reproducibly per seed
    draws = perf.predict([to_genotype(g)] * 400, "genotype", with_noise=True)
    assert draws.std() > 0.01 and draws.max() < 100
    # the transform is monotone: the draws' median is the mean's back-transform
    assert abs(np.median(draws) - means["genotype"]) < 0.25 * draws.std()
    first = nb.load_ensemble(models["valid_acc"], seed=3).predict(to_genotype(g), "genotype")
    second = nb.load_ensemble(models["valid_acc"], seed=3).predict(to_genotype(g), "genotype")
    assert first == second != means["genotype"]


def test_cells_asked_again_are_lookups(models, monkeypatch):
    perf = nb.load_ensemble(models["valid_acc"], seed=4)
    cells = [to_genotype(g) for g in _cells(8, np.random.default_rng(7))]
    fresh = perf.predict(cells, "genotype", with_noise=False)
    rows = []
    regressor = perf.model.regressor_
    own = regressor.predict
    monkeypatch.setattr(regressor, "predict", lambda X: rows.append(len(X)) or own(X))
    # one at a time, in a batch with a repeat: no cell predicted again, the same means
    again = [perf.predict(c, "genotype", with_noise=False) for c in cells]
    assert again == fresh.tolist() and rows == []
    assert perf.predict([*cells, cells[0]], "genotype", with_noise=False).tolist() == [
        *fresh.tolist(),
        fresh[0],
    ]
    # noisy answers draw afresh around the kept prediction
    draws = perf.predict([cells[0]] * 300, "genotype", with_noise=True)
    assert rows == [] and draws.std() > 0.01
    assert abs(np.median(draws) - fresh[0]) < 0.25 * draws.std()
    # a new cell is predicted once (alone: one row), the least recently asked dropped past the bound
    monkeypatch.setattr(nb, "MEMO_CELLS", 5)
    new = to_genotype(_cells(0, np.random.default_rng(8))[0])
    perf.predict(new, "genotype", with_noise=False)
    assert rows == [1] and len(perf._memo) == 5
    perf.predict(cells[1], "genotype", with_noise=False)  # least recent, dropped: predicted again
    assert rows == [1, 1]


def test_runtime_model(models):
    runtime = nb.load_ensemble(models["train_time_s"])
    assert runtime.metric == "train_time_s"
    rng = np.random.default_rng(6)
    heavy, light = _cells(8, rng)[0], _cells(0, rng)[0]
    t_heavy = runtime.predict(to_genotype(heavy), "genotype", with_noise=False)
    t_light = runtime.predict(to_genotype(light), "genotype", with_noise=False)
    assert t_heavy > t_light and t_light > 500


def test_bad_configs(models):
    perf = nb.load_ensemble(models["valid_acc"])
    g = DARTS.sample(np.random.default_rng(2))
    cfg = to_config(g)
    with pytest.raises(NotImplementedError, match="choose from"):
        perf.predict(to_genotype(g), "adjacency")
    broken = dict(cfg)
    del broken[f"{CONFIG_PREFIX}inputs_node_normal_4"]
    with pytest.raises(CompatValueError, match="inputs_node_normal_4"):
        perf.predict(broken, "configspace")
    with pytest.raises(CompatValueError, match=r"learning_rate = 0\.1"):
        perf.predict({**cfg, "OptimizerSelector:sgd:learning_rate": 0.1}, "configspace")
    geno = to_genotype(g)
    bad_op = geno._replace(normal=[("conv_9x9", geno.normal[0][1]), *geno.normal[1:]])
    with pytest.raises(CompatValueError, match="conv_9x9"):
        perf.predict(bad_op, "genotype")
    with pytest.raises(CompatValueError, match="does not exist yet"):
        perf.predict(str(geno._replace(normal=[*geno.normal[:7], ("skip_connect", 7)])), "genotype")
    with pytest.raises(CompatValueError):
        nb.download_models(version="0.9")


def test_load_refuses_official_folders_and_other_spaces(tmp_path, models):
    official = tmp_path / "xgb_v0.9" / "surrogate_model_0"
    official.mkdir(parents=True)
    (official / "surrogate_model.model").write_bytes(b"x")
    with pytest.raises(ModelFormatError, match="NB301 model folder"):
        nb.load_ensemble(tmp_path / "xgb_v0.9")
    s = Surrogate(LGBRegressor(n_members=1, n_estimators=5), calibrate=False)
    s.fit(np.arange(30), np.linspace(80, 90, 30), rng=np.random.default_rng(0))
    with pytest.raises(CompatValueError, match="space 'nb201'"):
        nb.SurrogateAPI(s)
    assert nb.convert_genotype_to_config(nb.Genotype(**to_genotype(DARTS.from_index(7))._asdict()))


def test_official_example_genotype_converts_as_the_official_converter():
    """The genotype of NB301's example.py, converted by the rule of its representations.py."""
    genotype = nb.Genotype(
        normal=[
            ("sep_conv_3x3", 0),
            ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 0),
            ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1),
            ("skip_connect", 0),
            ("skip_connect", 0),
            ("dil_conv_3x3", 2),
        ],
        normal_concat=[2, 3, 4, 5],
        reduce=[
            ("max_pool_3x3", 0),
            ("max_pool_3x3", 1),
            ("skip_connect", 2),
            ("max_pool_3x3", 1),
            ("max_pool_3x3", 0),
            ("skip_connect", 2),
            ("skip_connect", 2),
            ("max_pool_3x3", 1),
        ],
        reduce_concat=[2, 3, 4, 5],
    )
    p = CONFIG_PREFIX
    expect = {
        # official rule: node k's edges start at 0, 2, 5, 9; edge id = start + input
        f"{p}edge_normal_0": "sep_conv_3x3",
        f"{p}edge_normal_1": "sep_conv_3x3",
        f"{p}edge_normal_2": "sep_conv_3x3",
        f"{p}edge_normal_3": "sep_conv_3x3",
        f"{p}edge_normal_6": "sep_conv_3x3",
        f"{p}edge_normal_5": "skip_connect",
        f"{p}edge_normal_9": "skip_connect",
        f"{p}edge_normal_11": "dil_conv_3x3",
        f"{p}inputs_node_normal_3": "0_1",
        f"{p}inputs_node_normal_4": "0_1",
        f"{p}inputs_node_normal_5": "0_2",
        f"{p}edge_reduce_0": "max_pool_3x3",
        f"{p}edge_reduce_1": "max_pool_3x3",
        f"{p}edge_reduce_4": "skip_connect",
        f"{p}edge_reduce_3": "max_pool_3x3",
        f"{p}edge_reduce_5": "max_pool_3x3",
        f"{p}edge_reduce_7": "skip_connect",
        f"{p}edge_reduce_11": "skip_connect",
        f"{p}edge_reduce_10": "max_pool_3x3",
        f"{p}inputs_node_reduce_3": "1_2",
        f"{p}inputs_node_reduce_4": "0_2",
        f"{p}inputs_node_reduce_5": "1_2",
    }
    assert nb.convert_genotype_to_config(genotype) == expect
