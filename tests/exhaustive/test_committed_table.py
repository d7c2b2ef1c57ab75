"""The committed Fashion-MNIST table reproduces: re-trained cells land within its seed noise."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from surrogate_nb.evaluation.demo import default_table_path
from surrogate_nb.exhaustive import TrainConfig, load_setting, train_unit
from surrogate_nb.space import Arch
from surrogate_nb.table import Benchmark


@pytest.fixture(scope="module")
def committed():
    path = default_table_path()
    if path is None:
        pytest.skip("the committed table is not built yet")
    b = Benchmark.open(path)
    (dataset,) = b.datasets()
    return b, dataset


def test_manifest_records_how_it_was_built(committed):
    b, dataset = committed
    m = b.manifest
    assert m["command"].startswith("snb build")
    assert m["git_commit"]
    assert m["protocol"]["seeds"] == [777, 888, 999]
    assert m["datasets"][dataset]["split_sha256"]
    assert 0.0 < m["fidelity"]["seed_to_seed_kendall_tau"] <= 1.0
    idx, _ = b.to_xy(dataset, "x-valid_acc")
    assert len(idx) == m["fidelity"]["cells"]


def test_no_holes_in_seeds(committed):
    b, dataset = committed
    _, n = b.query_with_count(np.arange(15625), dataset, "x-valid_acc")
    held = n > 0
    assert held.sum() > 0 and (n[held] == 3).all()


@pytest.mark.slow
def test_retrained_cells_match_stored_values(committed, fashion_mnist_dir):
    b, dataset = committed
    proto = b.manifest["protocol"]
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in proto.items() if k in fields})
    data = load_setting(
        dataset,
        fashion_mnist_dir,
        resolution=config.resolution,
        train_subset=config.train_subset,
        eval_subset=config.eval_subset,
    )
    assert data.manifest["split_sha256"] == b.manifest["datasets"][dataset]["split_sha256"]
    idx, _ = b.to_xy(dataset, "x-valid_acc")
    cells = [int(i) for i in idx if Arch.from_index(int(i)).is_connected()][:2]
    (record_a, record_b) = train_unit(
        [(c, 777) for c in cells], data, config, "cpu", b.manifest.get("engine", "fast")
    )
    for cell, record in zip(cells, (record_a, record_b)):
        stored = np.array([b.query(cell, dataset, "x-valid_acc", seed=s) for s in (777, 888, 999)])
        noise = max(3 * stored.std(), 2.0)  # accuracy points
        got = record["curves"]["x-valid_acc"][-1]
        assert abs(got - stored[0]) <= noise, (cell, got, stored)
        assert abs(got - stored.mean()) <= noise, (cell, got, stored)
        loss = np.array(record["curves"]["train_loss"])
        stored_loss = b.curve(cell, dataset, "train_loss", seed=777)
        assert np.abs(loss - stored_loss).max() < 0.25, (cell, loss, stored_loss)
