"""The NB-101 facade: official API names, keys, budget counters and errors over our tables."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from surrogate_nb.compat.nasbench import OutOfDomainError, api
from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.space import NB101
from surrogate_nb.table.importers import import_any
from surrogate_nb.table.importers.nb101 import encode_record, write_tfrecord

pytestmark = pytest.mark.xdist_group("nb101")

C3, C1, MP = api.CONV3X3, api.CONV1X1, api.MAXPOOL3X3


def _spec(index: int) -> api.ModelSpec:
    cell = NB101.from_index(index)
    return api.ModelSpec(matrix=[list(r) for r in cell.matrix], ops=list(cell.ops))


@pytest.fixture(scope="module")
def tfrecord(tmp_path_factory, nb101_index):
    """An official-layout file: cells 0 and 5, budgets 4 and 108, three runs each."""
    records = []
    for i in (0, 5):
        cell = NB101.from_index(i)
        for e in (4, 108):
            for r in range(3):
                v = 0.8 + 0.01 * r + 0.001 * i
                evals = [
                    {},
                    {
                        "training_time": 10.0 * e,
                        "train_accuracy": v,
                        "validation_accuracy": v - 0.1,
                        "test_accuracy": v - 0.2,
                    },
                    {
                        "training_time": 20.0 * e + r,
                        "train_accuracy": v + 0.1,
                        "validation_accuracy": v,
                        "test_accuracy": v - 0.01,
                    },
                ]
                records.append(
                    encode_record(cell.module_hash, e, cell.matrix, list(cell.ops), evals, 1000 + i)
                )
    path = tmp_path_factory.mktemp("nasbench") / "nasbench_tiny.tfrecord"
    write_tfrecord(path, records)
    return path


def test_query_returns_the_official_keys_and_counts_budget(tfrecord):
    nb = api.NASBench(str(tfrecord), seed=0)
    assert nb.valid_epochs == {4, 108}
    spec = _spec(5)
    data = nb.query(spec)
    assert set(data) == {
        "module_adjacency",
        "module_operations",
        "trainable_parameters",
        "training_time",
        "train_accuracy",
        "validation_accuracy",
        "test_accuracy",
    }
    assert data["trainable_parameters"] == 1005
    run = round((data["validation_accuracy"] - 0.805) / 0.01)
    assert run in (0, 1, 2) and data["training_time"] == pytest.approx(2160.0 + run)
    assert data["test_accuracy"] == pytest.approx(data["validation_accuracy"] - 0.01, abs=1e-6)
    half = nb.query(spec, epochs=4, stop_halfway=True)
    assert half["training_time"] == pytest.approx(40.0)
    assert nb.get_budget_counters() == (pytest.approx(2160.0 + run + 40.0), 108 + 2)
    nb.reset_budget_counters()
    assert nb.get_budget_counters() == (0.0, 0)
    seen = {round(nb.query(spec)["validation_accuracy"], 4) for _ in range(40)}
    assert len(seen) == 3  # all three runs get drawn


def test_isomorphic_specs_and_unpruned_specs_hit_the_same_cell(tfrecord):
    nb = api.NASBench(str(tfrecord), seed=0)
    cell = NB101.from_index(0)
    m = np.zeros((7, 7), int)
    m[: len(cell.ops), : len(cell.ops)] = cell.matrix
    fixed, computed = nb.get_metrics_from_spec(
        api.ModelSpec(m[: len(cell.ops), : len(cell.ops)].tolist(), list(cell.ops))
    )
    assert sorted(computed) == [4, 108] and len(computed[108]) == 3
    assert set(computed[108][0]) == {
        f"{w}_{k}"
        for w in ("halfway", "final")
        for k in ("training_time", "train_accuracy", "validation_accuracy", "test_accuracy")
    }
    assert fixed["trainable_parameters"] == 1000
    assert set(nb.hash_iterator()) == {NB101.hash_of_index(0), NB101.hash_of_index(5)}


def test_validity_and_errors(tfrecord):
    nb = api.NASBench(str(tfrecord))
    disconnected = api.ModelSpec([[0, 0, 0], [0, 0, 1], [0, 0, 0]], ["input", C3, "output"])
    assert not disconnected.valid_spec and not nb.is_valid(disconnected)
    too_many = api.ModelSpec(
        np.triu(np.ones((7, 7), int), 1), ["input", C3, C3, C1, C1, MP, "output"]
    )
    assert not nb.is_valid(too_many)
    assert not nb.is_valid(api.ModelSpec([[0, 1], [0, 0]], ["output", "input"]))
    with pytest.raises(ValueError, match="square"):
        api.ModelSpec([[0, 1, 0]], ["input", "output"])
    with pytest.raises(ValueError, match="upper triangular"):
        api.ModelSpec([[0, 0], [1, 0]], ["input", "output"])
    with pytest.raises(OutOfDomainError, match="epochs"):
        nb.query(_spec(0), epochs=36)
    with pytest.raises(OutOfDomainError, match="not in the table") as info:
        nb.query(_spec(1))
    assert isinstance(info.value, SurrogateNBError)
    with pytest.raises(KeyError):
        nb.get_metrics_from_hash("f" * 32)


def test_surrogate_answers_cells_the_table_lacks(tmp_path, nb101_index):
    from surrogate_nb.regressors import LGBRegressor, Surrogate, SurrogateBenchmark
    from surrogate_nb.space.nb101_cost import params_padded
    from surrogate_nb.space.nb101_encodings import padded_arrays
    from surrogate_nb.table import Benchmark

    keys = [NB101.hash_of_index(i) for i in range(60)]
    acc = np.linspace(0.85, 0.94, 60)
    src = tmp_path / "cells.json"
    src.write_text(
        json.dumps(
            {
                "key": keys[:40],
                "108_final_validation_accuracy": acc[:40].tolist(),
                "final_training_time": np.linspace(1000, 2000, 40).tolist(),
                "trainable_parameters": params_padded(*padded_arrays(np.arange(40))).tolist(),
            }
        )
    )
    table = import_any(src, tmp_path / "t")
    b = Benchmark.open(table)
    s = Surrogate(LGBRegressor(n_estimators=30), space="nb101", calibrate=False)
    s.fit(np.arange(40), 100 * acc[:40], rng=np.random.default_rng(0))
    sur = SurrogateBenchmark({("cifar10", "valid_acc", "108"): s}, table=b)
    nb = api.NASBench(table, seed=1, surrogate=sur)
    held = nb.query(_spec(3))
    assert held["validation_accuracy"] == pytest.approx(acc[3], abs=1e-6)
    assert math.isnan(held["test_accuracy"])  # a column export has validation accuracy only
    lacked = nb.query(_spec(50))
    assert lacked["source"] == "surrogate" and 0.5 < lacked["validation_accuracy"] < 1.0
    with pytest.raises(OutOfDomainError, match="halfway"):
        nb.query(_spec(3), stop_halfway=True)
