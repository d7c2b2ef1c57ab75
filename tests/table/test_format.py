"""Table format: round trip, corruption detection, atomic writes, NaN gaps."""

from __future__ import annotations

import json

import numpy as np
import pytest

from surrogate_nb.errors import TableFormatError, UnknownKeyError
from surrogate_nb.table import SCHEMA_VERSION, Benchmark, read_manifest, write_table


def make_trials(n_cells=20, seeds=(777, 888), T=4, datasets=("toy-a", "toy-b"), hp="4"):
    rng = np.random.default_rng(0)
    out = []
    for ds in datasets:
        for i in range(n_cells):
            for s in seeds:
                acc = rng.uniform(0, 100, T).tolist()
                if i == 3 and s == seeds[0]:
                    acc[1] = None  # a gap
                out.append(
                    {
                        "arch_index": i * 7,
                        "dataset": ds,
                        "hp": hp,
                        "seed": s,
                        "epochs": T,
                        "status": "ok",
                        "params_m": 0.5 + i,
                        "flops_m": None,
                        "latency_s": 0.01,
                        "train_time_s": 10.0 * T,
                        "curves": {"valid_acc": acc, "train_loss": rng.uniform(0, 2, T)},
                    }
                )
    return out


@pytest.fixture()
def table(tmp_path):
    trials = make_trials()
    path = write_table(tmp_path / "t", list(reversed(trials)), manifest={"command": "test"})
    return path, trials


def test_round_trip(table):
    path, trials = table
    b = Benchmark.open(path)
    assert b.datasets() == ["toy-a", "toy-b"]
    assert b.seeds("toy-a") == [777, 888] and b.epochs("toy-a") == 4
    for t in trials[:40]:
        for e in range(4):
            want = t["curves"]["valid_acc"][e]
            got = b.query(t["arch_index"], t["dataset"], "valid_acc", epoch=e, seed=t["seed"])
            if want is None:
                assert np.isnan(got)
            else:
                assert got == pytest.approx(want, rel=1e-6)
        assert b.query(t["arch_index"], t["dataset"], "params_m", seed=t["seed"]) == t["params_m"]
    m = read_manifest(path)
    assert m["schema_version"] == SCHEMA_VERSION and m["command"] == "test"
    assert all(len(f["sha256"]) == 64 for f in m["files"].values())


def test_rows_sorted_and_nan_gap_preserved(table):
    import pyarrow.parquet as pq

    path, _ = table
    m = read_manifest(path)
    rel = next(iter(m["files"]))
    t = pq.read_table(path / rel)
    keys = list(zip(t.column("arch_index").to_pylist(), t.column("seed").to_pylist()))
    assert keys == sorted(keys)
    b = Benchmark.open(path)
    # cell 21 (i=3) has a null at epoch 1 for seed 777 only: the mean uses seed 888 alone
    v, n = b.query_with_count(21, "toy-a", "valid_acc", epoch=1)
    assert n == 1
    assert v == pytest.approx(b.query(21, "toy-a", "valid_acc", epoch=1, seed=888))
    assert np.isnan(b.query(21, "toy-a", "valid_acc", epoch=1, seed=777))
    assert b.query_with_count(21, "toy-a", "valid_acc", epoch=0)[1] == 2
    # missing cell: NaN, count 0
    assert b.query_with_count(1, "toy-a", "valid_acc")[1] == 0
    with pytest.raises(TypeError, match="return_count"):  # the old spelling is gone (issue 23)
        b.query(1, "toy-a", "valid_acc", return_count=True)
    assert np.isnan(b.cost(21, "toy-a")["flops_m"])


def test_vectorised_equals_scalar(table):
    path, _ = table
    b = Benchmark.open(path)
    cells = [0, 7, 21, 1, 133]
    for seed in (None, 888):
        vec = b.query(cells, "toy-b", "valid_acc", epoch=2, seed=seed)
        assert vec.dtype == np.float64 and vec.shape == (5,)
        sc = [b.query(c, "toy-b", "valid_acc", epoch=2, seed=seed) for c in cells]
        np.testing.assert_array_equal(vec, np.asarray(sc))
    from surrogate_nb.space import Arch

    assert b.query(Arch.from_index(7), "toy-b", "valid_acc") == b.query(
        str(Arch.from_index(7)), "toy-b", "valid_acc"
    )
    np.testing.assert_allclose(
        b.curve(7, "toy-b", "valid_acc", seed=777)[-1], b.query(7, "toy-b", "valid_acc", seed=777)
    )


def test_sample_needs_rng_and_is_reproducible(table):
    path, _ = table
    b = Benchmark.open(path)
    with pytest.raises(ValueError, match="rng"):
        b.query(7, "toy-a", "valid_acc", seed="sample")
    a = b.query(
        np.arange(0, 140, 7), "toy-a", "valid_acc", seed="sample", rng=np.random.default_rng(3)
    )
    c = b.query(
        np.arange(0, 140, 7), "toy-a", "valid_acc", seed="sample", rng=np.random.default_rng(3)
    )
    np.testing.assert_array_equal(a, c)
    per_seed = b.query(np.arange(0, 140, 7)[:, None].repeat(2, 1).ravel(), "toy-a", "valid_acc")
    assert np.isfinite(a).all() and per_seed.shape == (40,)


def test_errors_name_what_exists(tmp_path):
    trials = make_trials(n_cells=3) + make_trials(n_cells=3, datasets=("toy-a",), hp="8", T=8)
    b = Benchmark.open(write_table(tmp_path / "t", trials, manifest={}))
    with pytest.raises(UnknownKeyError, match="toy-b") as e:
        b.query(0, "nope", "valid_acc")
    assert e.value.available == ["toy-a", "toy-b"]
    with pytest.raises(UnknownKeyError, match="'4', '8'"):
        b.query(0, "toy-a", "valid_acc")  # two hps: no silent default
    assert np.isfinite(b.query(0, "toy-a", "valid_acc", hp="8"))
    with pytest.raises(UnknownKeyError, match="train_loss"):
        b.query(0, "toy-b", "nope")
    with pytest.raises(UnknownKeyError, match="777"):
        b.query(0, "toy-b", "valid_acc", seed=1)
    with pytest.raises(UnknownKeyError, match="epoch"):
        b.query(0, "toy-b", "valid_acc", epoch=4)


def test_best_and_to_xy(table):
    path, _ = table
    b = Benchmark.open(path)
    idx, y = b.to_xy("toy-a", "valid_acc", epoch=3)
    assert idx.dtype == np.int64 and len(idx) == 20 and np.all(np.diff(idx) > 0)
    arch, v = b.best("toy-a", "valid_acc", epoch=3)
    assert v == y.max() and arch.index == idx[np.argmax(y)]
    arch, v = b.best("toy-a", "valid_acc", epoch=3, mode="min")
    assert v == y.min()


def test_corruption_detected(table):
    path, _ = table
    rel = next(iter(read_manifest(path)["files"]))
    f = path / rel
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    Benchmark.open(path)  # same size: the cheap check passes
    with pytest.raises(TableFormatError, match=rel.split("/")[-1]):
        Benchmark.open(path, verify=True)
    f.write_bytes(bytes(data[:-3]))
    with pytest.raises(TableFormatError, match="bytes"):
        Benchmark.open(path)
    f.unlink()
    with pytest.raises(TableFormatError, match="missing"):
        Benchmark.open(path)


def test_newer_schema_refused(table):
    path, _ = table
    m = json.loads((path / "manifest.json").read_text())
    m["schema_version"] = SCHEMA_VERSION + 1
    (path / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(TableFormatError, match=rf"schema_version {SCHEMA_VERSION + 1}.*upgrade"):
        Benchmark.open(path)


def test_failed_write_keeps_old_table(table):
    path, trials = table
    before = (path / "manifest.json").read_text()

    def bad():
        yield from trials[:5]
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError, match="crash"):
        write_table(path, bad(), manifest={})
    assert (path / "manifest.json").read_text() == before
    Benchmark.open(path, verify=True)
    dup = trials[:3] + trials[:1]
    with pytest.raises(TableFormatError, match="duplicate"):
        write_table(path, dup, manifest={})
    assert (path / "manifest.json").read_text() == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_write_rejects_bad_trials(tmp_path):
    t = make_trials(n_cells=1)[0]
    with pytest.raises(TableFormatError, match="shape"):
        write_table(
            tmp_path / "x", [t, {**t, "seed": 1, "curves": {"valid_acc": [1.0]}}], manifest={}
        )
    with pytest.raises(TableFormatError, match="status"):
        write_table(tmp_path / "x", [{**t, "status": "weird"}], manifest={})
    with pytest.raises(TableFormatError, match="no trials"):
        write_table(tmp_path / "x", [], manifest={})


def test_sample_draws_only_seeds_that_hold_the_value(table):
    path, _ = table
    b = Benchmark.open(path)
    rng = np.random.default_rng(0)
    # cell 21 (i=3) has no value at epoch 1 for seed 777: every draw must land on seed 888
    draws = {b.query(21, "toy-a", "valid_acc", epoch=1, seed="sample", rng=rng) for _ in range(50)}
    assert draws == {b.query(21, "toy-a", "valid_acc", epoch=1, seed=888)}
    both = {b.query(21, "toy-a", "valid_acc", epoch=2, seed="sample", rng=rng) for _ in range(50)}
    assert len(both) == 2  # both seeds hold epoch 2
