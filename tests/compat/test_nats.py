"""NATS-Bench facade on the real sample (and a test-built archive via the importer tests)."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.compat.nats import create
from surrogate_nb.table.importers import import_any
from surrogate_nb.table.importers._safe_pickle import safe_load_pickle


@pytest.fixture(scope="module")
def api_and_raw(tmp_path_factory, nats_sample_dir):
    out = import_any(nats_sample_dir, tmp_path_factory.mktemp("nats") / "t")
    raw = safe_load_pickle(nats_sample_dir / "000011.pickle.pbz2")
    return create(out, "tss", rng=np.random.default_rng(0)), raw


def test_arch_index_and_len(api_and_raw):
    api, raw = api_and_raw
    assert len(api) == 15625
    assert api.arch(11) == raw["200"]["arch_str"]
    assert api.query_index_by_arch(raw["200"]["arch_str"]) == 11
    assert api.query_index_by_arch("|bogus~0|") == -1


def test_get_more_info_matches_raw(api_and_raw):
    api, raw = api_and_raw
    res = raw["200"]["all_results"]
    seeds = raw["200"]["dataset_seed"]["cifar100"]
    info = api.get_more_info(11, "cifar100", hp="200", is_random=False)
    want = np.mean([res[("cifar100", s)]["eval_acc1es"]["x-valid@199"] for s in seeds])
    assert info["valid-accuracy"] == pytest.approx(want, rel=1e-5)
    want = np.mean([res[("cifar100", s)]["eval_acc1es"]["x-test@199"] for s in seeds])
    assert info["test-accuracy"] == pytest.approx(want, rel=1e-5)
    assert "valtest-accuracy" in info
    tt = np.mean([sum(res[("cifar100", s)]["train_times"].values()) for s in seeds])
    assert info["train-all-time"] == pytest.approx(tt, rel=1e-5)
    assert info["train-per-time"] == pytest.approx(tt / 200, rel=1e-5)
    # cifar10-valid at an early epoch: ori-test only recorded at 199, so no test-* keys
    early = api.get_more_info(11, "cifar10-valid", iepoch=10, hp="200", is_random=777)
    assert "test-accuracy" not in early and "comment" in early
    r = res[("cifar10-valid", 777)]
    assert early["valid-accuracy"] == pytest.approx(r["eval_acc1es"]["x-valid@10"], rel=1e-6)
    assert early["train-accuracy"] == pytest.approx(r["train_acc1es"][10], rel=1e-6)


def test_random_seed_and_costs(api_and_raw):
    api, raw = api_and_raw
    seeds = raw["12"]["dataset_seed"]["cifar10-valid"]
    vals = {api.get_more_info(11, "cifar10-valid", hp="12")["valid-accuracy"] for _ in range(30)}
    assert len(vals) == len(seeds)
    cost = api.get_cost_info(11, "cifar10", hp="200")
    r = raw["200"]["all_results"][("cifar10", 777)]
    assert cost["params"] == pytest.approx(float(r["params"]))
    assert cost["flops"] == pytest.approx(r["flop"])
    acc, lat, tcost, used = api.simulate_train_eval(11, "cifar10", hp="12")
    assert acc in {
        api.get_more_info(11, "cifar10-valid", hp="12", is_random=s)["valid-accuracy"]
        for s in seeds
    }
    assert used == pytest.approx(tcost) and lat > 0


def test_unique_str(api_and_raw, nb201_csv):
    import pandas as pd

    api, _ = api_and_raw
    frame = pd.read_csv(nb201_csv, usecols=["index", "nats_unique_str"])
    for i in (0, 11, 284, 6111):
        assert api.get_unique_str(i) == frame["nats_unique_str"][i]


def test_cost_keys_and_errors_on_real_records(api_and_raw):
    """Official key set of get_cost_info (no extra keys) and ValueError where nats_bench raises."""
    api, raw = api_and_raw
    cost = api.get_cost_info(11, "cifar10-valid", hp="200")
    names = raw["200"]["all_results"][("cifar10-valid", 777)]["eval_names"]
    want = {"flops", "params", "latency", "T-train@epoch", "T-train@total"}
    want |= {f"T-{n}@{k}" for n in names for k in ("epoch", "total")}
    assert set(cost) == want
    with pytest.raises(ValueError, match="15625"):
        api.get_more_info(15625, "cifar10", hp="200")
    with pytest.raises(ValueError):
        api.query_index_by_arch(15625)
    with pytest.raises(ValueError):
        api.get_more_info(11, "cifar10-valid", iepoch=200, hp="200")
    # ImageNet16-120 at an epoch where x-valid is not recorded: valtest accuracy (official rule)
    acc, lat, cost_s, _ = api.simulate_train_eval(11, "ImageNet16-120", iepoch=50, hp="200")
    seeds = raw["200"]["dataset_seed"]["ImageNet16-120"]
    res = raw["200"]["all_results"]
    assert any(
        acc == pytest.approx(res[("ImageNet16-120", s)]["eval_acc1es"]["ori-test@50"], rel=1e-6)
        for s in seeds
    )
    assert lat == pytest.approx(api.get_latency(11, "ImageNet16-120", hp="200"))
    # time cost: train time up to epoch 50 + the x-valid per-epoch time of the last epoch
    r = res[("ImageNet16-120", seeds[0])]  # the records' times are equal across seeds
    train = sum(r["train_times"][e] for e in range(51))
    valid_per = sum(r["eval_times"][f"x-valid@{e}"] for e in range(200)) / 200
    assert cost_s == pytest.approx(train + valid_per, rel=1e-5)
