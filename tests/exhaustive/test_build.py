"""Build driver: cell selection, shards, --unique-only, and resume after kill -9."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from surrogate_nb.errors import BuildError
from surrogate_nb.exhaustive import (
    BuildPlan,
    TrainConfig,
    parse_shard,
    plan_cells,
    resolve_cells,
    run_build,
    unique_mapping,
)
from surrogate_nb.space import NUM_ARCHS, Arch

TINY = dict(epochs=2, channels=4, cells_per_stage=1, batch_size=32, latency_batches=0)


def test_resolve_cells_forms(tmp_path):
    assert resolve_cells("all") == list(range(NUM_ARCHS))
    a, b = resolve_cells(10), resolve_cells("20")
    assert len(a) == 10 and set(a) <= set(b) and a == sorted(a)
    f = tmp_path / "cells.txt"
    f.write_text(f"# my cells\n7\n{Arch.from_index(42)}\n\n7  # again\n")
    assert resolve_cells(str(f)) == [7, 42]
    f.write_text("7\nnot-a-cell\n")
    with pytest.raises(BuildError, match=r"cells.txt:2"):
        resolve_cells(str(f))
    with pytest.raises(BuildError, match=r"1\.\.15625"):
        resolve_cells(0)


def test_shards_partition_the_cells():
    cells = resolve_cells(101)
    parts = []
    for i in range(4):
        _, mine, _ = plan_cells(BuildPlan("npz", "x", cells=101, shard=f"{i}/4"))
        parts.extend(mine)
    assert sorted(parts) == cells and len(parts) == len(set(parts))
    for bad in ("4/4", "a/b", "1"):
        with pytest.raises(BuildError, match="shard"):
            parse_shard(bad)


def test_unique_mapping_one_per_class():
    m = unique_mapping(range(NUM_ARCHS))
    assert len(set(m.values())) == 6466
    for cell, rep in list(m.items())[::997]:
        assert rep <= cell
        assert Arch.from_index(cell).unique_str() == Arch.from_index(rep).unique_str()


def test_unique_only_build_records_mapping(tmp_path, toy_dir):
    # four isomorphic cells (only edge 0->3 reaches the output) + one other
    iso = [
        Arch.from_ops(["none", "nor_conv_3x3", op, "avg_pool_3x3", "none", "none"])
        for op in ("none", "skip_connect", "nor_conv_1x1", "avg_pool_3x3")
    ]
    other = Arch.from_ops(["nor_conv_3x3"] * 6)
    assert len({a.unique_str() for a in [*iso, other]}) == 2
    cells = [other.index, *(a.index for a in iso)]
    plan = BuildPlan(
        "npz",
        str(tmp_path / "t"),
        TrainConfig(**TINY),
        cells=cells,
        seeds=(1,),
        unique_only=True,
        data_dir=str(toy_dir),
    )
    res = run_build(plan)
    man = json.loads((tmp_path / "t" / "manifest.json").read_text())
    mapping = {int(k): v for k, v in man["unique_only"]["mapping"].items()}
    assert set(mapping) == set(cells) and len(set(mapping.values())) == 2
    assert res.done == 2 and res.table is not None


def _cmd(out, toy_dir, cells="6"):
    return [
        sys.executable,
        "-c",
        "from surrogate_nb.cli import main; main()",
        "build",
        "--dataset",
        "npz",
        "--data-dir",
        str(toy_dir),
        "--hp",
        "2",
        "--seeds",
        "1",
        "2",
        "--cells",
        cells,
        "--out",
        str(out),
        "--channels",
        "4",
        "--cells-per-stage",
        "1",
        "--batch-size",
        "32",
        "--threads",
        "1",
        "--fuse",
        "yes",
        "--quiet",
    ]


def _frame(table_dir):
    (f,) = (table_dir / "data").glob("*.parquet")
    df = pq.read_table(f).to_pandas()
    keep = [
        c for c in df.columns if not c.endswith("time") and c not in ("latency_s", "train_time_s")
    ]
    return df[keep].sort_values(["arch_index", "seed"]).reset_index(drop=True)


@pytest.mark.slow
def test_kill_minus_9_then_resume_gives_the_same_table(tmp_path, toy_dir):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    full = tmp_path / "full"
    subprocess.run(_cmd(full, toy_dir), check=True, env=env, capture_output=True, timeout=200)
    out = tmp_path / "resumed"
    ledger = tmp_path / "resumed.ledger.sqlite"
    proc = subprocess.Popen(
        _cmd(out, toy_dir), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 150
    done = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if ledger.exists():
            try:
                done = (
                    sqlite3.connect(ledger)
                    .execute("SELECT COUNT(*) FROM trials WHERE state='done'")
                    .fetchone()[0]
                )
            except sqlite3.Error:
                continue
            if done >= 4:
                break
    assert proc.poll() is None, "build finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    db = sqlite3.connect(ledger)
    before = dict(db.execute("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall())
    assert 4 <= before.get("done", 0) < 12 and not out.exists()
    subprocess.run(_cmd(out, toy_dir), check=True, env=env, capture_output=True, timeout=200)
    attempts = db.execute(
        "SELECT SUM(attempts), COUNT(*), SUM(state='done') FROM trials"
    ).fetchone()
    # every trial done; only the unit (one cell = 2 seeds) in flight at the kill ran twice
    assert attempts[1] == attempts[2] == 12 and attempts[0] <= 12 + 2
    a, b = _frame(full), _frame(out)
    assert len(a) == 12
    assert a.columns.tolist() == b.columns.tolist()
    for col in a.columns:
        x = np.asarray(np.stack(a[col].to_numpy()) if a[col].dtype == object else a[col])
        y = np.asarray(np.stack(b[col].to_numpy()) if b[col].dtype == object else b[col])
        assert np.array_equal(x, y), col
    # a re-run of a finished build trains nothing
    r = subprocess.run(_cmd(out, toy_dir), check=True, env=env, capture_output=True, text=True)
    assert json.loads(r.stdout)["trained_now"] == 0


def test_ledger_of_another_build_is_refused(tmp_path, toy_dir):
    plan = BuildPlan(
        "npz",
        str(tmp_path / "t"),
        TrainConfig(**TINY),
        cells=[1],
        seeds=(1,),
        data_dir=str(toy_dir),
    )
    run_build(plan)
    other = BuildPlan(
        "npz",
        str(tmp_path / "t"),
        TrainConfig(**{**TINY, "epochs": 3}),
        cells=[1],
        seeds=(1,),
        data_dir=str(toy_dir),
    )
    with pytest.raises(BuildError, match="different build"):
        run_build(other)


def test_fusion_is_on_for_cuda_only_by_default():
    assert BuildPlan("npz", "x", device="cpu").fused is False
    assert BuildPlan("npz", "x", device="cuda").fused is True
    assert BuildPlan("npz", "x", device="cpu", fuse="yes").fused is True
    assert BuildPlan("npz", "x", device="cuda", engine="reference").fused is False
    with pytest.raises(BuildError, match="fuse"):
        _ = BuildPlan("npz", "x", fuse="maybe").fused


def test_seed_agreement_known_answers():
    from surrogate_nb.exhaustive.build import seed_agreement

    def rec(cell, seed, acc, status="ok"):
        return {
            "arch_index": cell,
            "seed": seed,
            "status": status,
            "curves": {"x-valid_acc": [0.0, acc], "test_acc": [0.0, 0.0]},
        }

    same = [rec(c, s, float(c)) for c in range(6) for s in (777, 888, 999)]
    out = seed_agreement(same)
    assert out["metric"] == "x-valid_acc" and out["cells_with_all_seeds"] == 6
    assert out["seed_to_seed_kendall_tau"] == pytest.approx(1.0)
    flipped = [rec(c, 777, float(c)) for c in range(6)] + [rec(c, 888, -float(c)) for c in range(6)]
    flipped.append(rec(9, 777, 5.0))  # a cell one seed has not finished yet is left out
    out = seed_agreement(flipped)
    assert out["seed_to_seed_kendall_tau"] == pytest.approx(-1.0)
    assert out["cells"] == 7 and out["cells_with_all_seeds"] == 6


def test_write_partial_holds_whole_cells_only(tmp_path, toy_dir):
    from surrogate_nb.table import Benchmark

    plan = BuildPlan(
        "npz",
        str(tmp_path / "t"),
        TrainConfig(**TINY),
        cells=[11, 22, 33],
        seeds=(1, 2),
        data_dir=str(toy_dir),
    )
    # 3 units of one trial each: cell 11 whole, cell 22 half done
    res = run_build(plan, max_units=3, write_partial=True)
    assert res.done == 3 and res.table is not None
    b = Benchmark.open(res.table)
    (dataset,) = b.datasets()
    idx, _ = b.to_xy(dataset, "test_acc")
    assert idx.tolist() == [11]
    assert b.manifest["complete"] is False and b.manifest["trials"]["pending"] == 3
    assert b.manifest["fidelity"]["cells"] == 1
    # resuming finishes the build and writes the complete table
    res = run_build(plan)
    b = Benchmark.open(res.table)
    assert b.to_xy(dataset, "test_acc")[0].tolist() == [11, 22, 33]
    assert b.manifest["complete"] is True
