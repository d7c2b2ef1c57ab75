"""Importers: wide CSV (real reference file + a built one), restricted unpickler, NATS, NB201."""

from __future__ import annotations

import bz2
import os
import pickle

import numpy as np
import pandas as pd
import pytest

from surrogate_nb.errors import UnsafePickleError
from surrogate_nb.space import Arch
from surrogate_nb.table import Benchmark
from surrogate_nb.table.importers import import_any, infer_format, safe_loads
from surrogate_nb.table.importers.wide import AGGREGATE_SEED, parse_columns


def test_parse_columns_robust_to_underscores():
    cur, costs, ignored = parse_columns(
        [
            "index",
            "imagenet16_120_test_acc_200",
            "imagenet16_120_valid_acc_200_run1",
            "imagenet16_120_params_m",
            "naslib_cifar10_val_acc",
            "n_runs_200",
            "c_x-test_loss_12",
        ]
    )
    assert ("imagenet16_120", "200", "test_acc") in cur
    assert cur[("imagenet16_120", "200", "valid_acc")] == {1: "imagenet16_120_valid_acc_200_run1"}
    assert ("c", "12", "x-test_loss") in cur
    assert costs == {"imagenet16_120": {"params_m": "imagenet16_120_params_m"}}
    assert set(ignored) == {"naslib_cifar10_val_acc", "n_runs_200"}


@pytest.fixture()
def small_csv(tmp_path):
    rng = np.random.default_rng(0)
    idx = np.array([5, 6111, 17, 300])
    runs = rng.uniform(50, 90, (4, 3))
    runs[1, 2] = np.nan
    frame = pd.DataFrame(
        {
            "index": idx,
            "arch_str": [str(Arch.from_index(int(i))) for i in idx],
            "my_data_test_acc_200": rng.uniform(50, 90, 4),
            "my_data_valid_acc_200": np.nanmean(runs, axis=1),
            **{f"my_data_valid_acc_200_run{k}": runs[:, k] for k in range(3)},
            "my_data_params_m": [0.1, 0.2, 0.3, 0.4],
            "other": 1,
        }
    )
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_wide_small(tmp_path, small_csv):
    path, frame = small_csv
    assert infer_format(path) == "csv"
    b = Benchmark.open(import_any(path, tmp_path / "t"))
    assert b.datasets() == ["my_data"] and b.seeds("my_data") == [AGGREGATE_SEED, 0, 1, 2]
    assert b.epochs("my_data") == 200
    for row in frame.itertuples():
        v, n = b.query_with_count(int(row.index), "my_data", "valid_acc")
        assert v == pytest.approx(row.my_data_valid_acc_200, rel=1e-6)
        assert n == (2 if row.index == 6111 else 3)
        assert b.query(int(row.index), "my_data", "valid_acc", seed=1) == pytest.approx(
            row.my_data_valid_acc_200_run1, rel=1e-6
        )
        assert b.query(int(row.index), "my_data", "test_acc") == pytest.approx(
            row.my_data_test_acc_200, rel=1e-6
        )
        assert np.isnan(b.query(int(row.index), "my_data", "test_acc", seed=0))
        assert np.isnan(b.query(int(row.index), "my_data", "valid_acc", epoch=0))
        assert b.query(int(row.index), "my_data", "params_m") == pytest.approx(row.my_data_params_m)
    assert np.isnan(b.query(6111, "my_data", "valid_acc", seed=2))
    assert b.n_seeds(6111, "my_data") == 3  # seeds -1, 0, 1
    assert "other" in b.manifest["import"]["ignored_columns"]
    # Parquet gives the same table
    pq_path = tmp_path / "wide.parquet"
    frame.to_parquet(pq_path)
    b2 = Benchmark.open(import_any(pq_path, tmp_path / "t2"))
    np.testing.assert_array_equal(b2.array("my_data", "valid_acc"), b.array("my_data", "valid_acc"))


def test_wide_real_csv(tmp_path, nb201_csv):
    frame = pd.read_csv(nb201_csv)
    b = Benchmark.open(import_any(nb201_csv, tmp_path / "nb201"))
    assert sorted(b.datasets()) == ["cifar10", "cifar100"]
    for ds in ("cifar10", "cifar100"):
        col = frame[f"{ds}_test_acc_200"]
        arch, best = b.best(ds, "test_acc")
        assert arch.index == int(frame["index"][col.idxmax()])
        assert best == pytest.approx(col.max(), abs=1e-4)
        idx, y = b.to_xy(ds, "valid_acc")
        assert len(idx) == 15625
        np.testing.assert_allclose(y, frame[f"{ds}_valid_acc_200"].to_numpy(), rtol=1e-5)
    assert b.best("cifar10", "test_acc")[0].index == 6111  # published figure (README)
    assert b.best("cifar10", "test_acc")[1] == pytest.approx(94.373, abs=1e-3)
    n = b.n_seeds(np.arange(15625), "cifar10") - 1  # minus the aggregate pseudo-seed
    np.testing.assert_array_equal(n, frame["n_runs_200"].to_numpy())


# ---- restricted unpickler -----------------------------------------------------------------


def test_unpickler_refuses_os_system():
    with pytest.raises(UnsafePickleError, match=r"posix\.system|nt\.system"):
        safe_loads(pickle.dumps(os.system))

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with pytest.raises(UnsafePickleError, match="system"):
        safe_loads(pickle.dumps(Evil()))


def test_unpickler_maps_numpy1_paths():
    raw = pickle.dumps({"p": np.float64(0.5)}, protocol=2)
    assert b"multiarray" in raw
    legacy = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray" in legacy
    assert safe_loads(legacy) == {"p": 0.5}


def test_safe_torch_load(tmp_path):
    torch = pytest.importorskip("torch")
    from surrogate_nb.table.importers import safe_torch_load

    torch.save({"a": np.float64(2.5), "b": [1, 2]}, tmp_path / "ok.pth")
    assert safe_torch_load(tmp_path / "ok.pth") == {"a": 2.5, "b": [1, 2]}
    torch.save({"a": os.system}, tmp_path / "bad.pth")
    with pytest.raises(UnsafePickleError, match="system"):
        safe_torch_load(tmp_path / "bad.pth")


# ---- NATS-Bench / NB201 structures built by the tests ------------------------------------


def _result(dataset, seed, T, evals, rng):
    per = {n: rng.uniform(0, 100, T) for n in evals}
    return {
        "name": dataset,
        "seed": f"{seed:04d}",
        "epochs": T,
        "train_losses": {e: float(v) for e, v in enumerate(rng.uniform(0, 2, T))},
        "train_acc1es": {e: float(v) for e, v in enumerate(rng.uniform(0, 100, T))},
        "train_acc5es": None,
        "train_times": {e: 2.0 for e in range(T)},
        "params": np.float64(0.5),
        "flop": 10.0,
        "latency": [np.float64(0.01)],
        "eval_names": list(evals),
        "eval_acc1es": {f"{n}@{e}": float(per[n][e]) for n in evals for e in range(T)},
        "eval_losses": {f"{n}@{e}": 1.0 for n in evals for e in range(T)},
        "eval_times": {f"{n}@{e}": 0.5 for n in evals for e in range(T)},
        "net_state_dict": None,
    }


def build_arch_results(index, rng, hp_keys=("12", "200")):
    out = {}
    for hp_key in hp_keys:
        T = 3 if hp_key in ("12", "less") else 5
        seeds = [111] if T == 3 else [777, 888]
        allr = {}
        for s in seeds:
            allr[("cifar10-valid", s)] = _result(
                "cifar10-valid", s, T, ["x-valid", "ori-test"], rng
            )
            allr[("cifar100", s)] = _result(
                "cifar100", s, T, ["x-valid", "x-test", "ori-test"], rng
            )
        out[hp_key] = {
            "arch_index": index,
            "arch_str": str(Arch.from_index(index)),
            "all_results": allr,
            "dataset_seed": {"cifar10-valid": seeds, "cifar100": seeds},
            "clear_net_done": True,
        }
    return out


def test_nats_full_archive(tmp_path):
    rng = np.random.default_rng(0)
    infos = {i: build_arch_results(i, rng) for i in (0, 9, 42)}
    data = {
        "meta_archs": [str(Arch.from_index(i)) for i in range(15625)],
        "total_archs": 15625,
        "arch2infos": infos,
        "evaluated_indexes": set(infos),
    }
    src = tmp_path / "NATS-tss-v1_0-test-full.pickle.pbz2"
    src.write_bytes(bz2.compress(pickle.dumps(data, protocol=2)))
    b = Benchmark.open(import_any(src, tmp_path / "t"))
    assert set(b.hps("cifar100")) == {"12", "200"}
    assert b.seeds("cifar100", "200") == [777, 888] and b.epochs("cifar100", "200") == 5
    r = infos[42]["200"]["all_results"][("cifar100", 888)]
    assert b.query(42, "cifar100", "x-test_acc", hp="200", epoch=2, seed=888) == pytest.approx(
        r["eval_acc1es"]["x-test@2"], rel=1e-6
    )
    assert b.query(42, "cifar100", "test_acc", hp="200", epoch=4, seed=888) == pytest.approx(
        r["eval_acc1es"]["ori-test@4"], rel=1e-6
    )
    assert np.isnan(b.query(42, "cifar100", "train_acc5", hp="200", seed=888))
    assert b.cost(42, "cifar100", hp="200")["train_time_s"] == pytest.approx(10.0)


def test_nats_refuses_evil_archive(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    src = tmp_path / "evil.pickle.pbz2"
    src.write_bytes(bz2.compress(pickle.dumps({"arch2infos": {0: Evil()}})))
    with pytest.raises(UnsafePickleError, match="system"):
        import_any(src, tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_nb201_pth(tmp_path):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    infos = {i: build_arch_results(i, rng, ("less", "full")) for i in (3, 4)}
    src = tmp_path / "NAS-Bench-201-v1_1-test.pth"
    torch.save(
        {
            "meta_archs": [str(Arch.from_index(i)) for i in range(15625)],
            "arch2infos": infos,
            "evaluated_indexes": [3, 4],
            "total_archs": 15625,
        },
        src,
    )
    assert infer_format(src) == "nb201-pth"
    b = Benchmark.open(import_any(src, tmp_path / "t"))
    assert set(b.hps("cifar10-valid")) == {"12", "200"}
    r = infos[4]["less"]["all_results"][("cifar10-valid", 111)]
    assert b.query(4, "cifar10-valid", "x-valid_acc", hp="12", seed=111) == pytest.approx(
        r["eval_acc1es"]["x-valid@2"], rel=1e-6
    )


def test_nats_real_sample(tmp_path, nats_sample_dir):
    from surrogate_nb.table.importers._safe_pickle import safe_load_pickle

    b = Benchmark.open(import_any(nats_sample_dir, tmp_path / "t"))
    assert b.manifest["import"]["cells_imported"] == 3
    assert sorted(b.datasets()) == ["ImageNet16-120", "cifar10", "cifar10-valid", "cifar100"]
    assert b.seeds("cifar10-valid", "12") == [111, 777]
    assert b.seeds("cifar100", "200") == [777, 888, 999]
    raw = safe_load_pickle(nats_sample_dir / "000284.pickle.pbz2")
    for (ds, seed), r in raw["200"]["all_results"].items():
        e = r["epochs"] - 1
        want = (
            r["eval_acc1es"][f"x-valid@{e}"]
            if ds != "cifar10"
            else r["eval_acc1es"][f"ori-test@{e}"]
        )
        metric = "x-valid_acc" if ds != "cifar10" else "test_acc"
        assert b.query(284, ds, metric, hp="200", seed=int(seed)) == pytest.approx(want, rel=1e-6)
        assert b.query(284, ds, "params_m", hp="200", seed=int(seed)) == pytest.approx(
            float(r["params"])
        )
    meta = safe_load_pickle(nats_sample_dir / "meta.pickle.pbz2")
    assert all(meta["meta_archs"][i] == str(Arch.from_index(i)) for i in range(0, 15625, 97))


def test_nats_real_sample_matches_csv(tmp_path, nats_sample_dir, nb201_csv):
    frame = pd.read_csv(nb201_csv).set_index("index")
    b = Benchmark.open(import_any(nats_sample_dir, tmp_path / "t"))
    for i in (0, 11, 284):
        assert b.query(i, "cifar10", "test_acc", hp="200") == pytest.approx(
            frame.loc[i, "cifar10_test_acc_200"], abs=1e-3
        )


def test_refusal_of_a_foreign_pickle_drops_torch_advice(tmp_path):
    """Issue 22 item 4: the refusal quoted torch's advice to set ``weights_only=False``."""
    import fractions
    import pickle

    import torch

    from surrogate_nb.errors import UnsafePickleError
    from surrogate_nb.table.importers._safe_pickle import refusal_reason, safe_torch_load

    path = tmp_path / "foreign.pth"
    torch.save({"x": fractions.Fraction(1, 3)}, path)
    with pytest.raises(UnsafePickleError) as info:
        safe_torch_load(path)
    assert "fractions.Fraction" in str(info.value)
    assert "weights_only" not in str(info.value) and "can still be loaded" not in str(info.value)
    advice = pickle.UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two options"
        "\n\t(1) Re-running `torch.load` with `weights_only` set to `False` will likely succeed"
        "\n\tWeightsUnpickler error: Unsupported operand 149\n\nCheck the documentation"
    )
    assert refusal_reason(advice) == "a construct the safe loader refuses (Unsupported operand 149)"
    bare = pickle.UnpicklingError("Weights only load failed. set weights_only=False to load it")
    assert "weights_only" not in refusal_reason(bare)
    assert refusal_reason(EOFError("Ran out of input")) == "Ran out of input"
