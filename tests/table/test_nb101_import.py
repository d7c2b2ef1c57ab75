"""NB-101 importers: official TFRecord framing and protobuf, the column JSON, bad files."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from surrogate_nb.errors import TableFormatError
from surrogate_nb.space import NB101
from surrogate_nb.table import Benchmark
from surrogate_nb.table.importers import import_any, infer_format
from surrogate_nb.table.importers.nb101 import (
    UNKNOWN_RUN_SEED,
    encode_record,
    iter_tfrecord,
    masked_crc32c,
    write_tfrecord,
)

pytestmark = pytest.mark.xdist_group("nb101")


def test_masked_crc32c_known_values():
    # CRC-32C check value (RFC 3720 test vector) and TensorFlow's masking formula
    import google_crc32c

    assert google_crc32c.value(b"123456789") == 0xE3069283
    crc = 0xE3069283
    assert masked_crc32c(b"123456789") == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _records(cells, budgets=(4, 108), repeats=3):
    """Official-layout records with values derived from (cell, budget, repeat)."""
    out, truth = [], {}
    for i in cells:
        cell = NB101.from_index(int(i))
        for e in budgets:
            for r in range(repeats):
                v = 0.5 + 0.001 * (i % 100) + 0.01 * r + e / 1000
                evals = [
                    {"current_epoch": 0.0},
                    {
                        "current_epoch": e / 2,
                        "training_time": 10.0 * e,
                        "train_accuracy": v,
                        "validation_accuracy": v - 0.1,
                        "test_accuracy": v - 0.2,
                    },
                    {
                        "current_epoch": float(e),
                        "training_time": 20.0 * e + r,
                        "train_accuracy": v + 0.05,
                        "validation_accuracy": v,
                        "test_accuracy": v - 0.01,
                    },
                ]
                params = 1000 + int(i)
                out.append(
                    encode_record(cell.module_hash, e, cell.matrix, list(cell.ops), evals, params)
                )
                truth[(int(i), e, r)] = (v, 20.0 * e + r, params)
    return out, truth


@pytest.fixture(scope="module")
def fixture_file(tmp_path_factory, nb101_index):
    cells = [0, 7, 123_456, 423_623]
    records, truth = _records(cells)
    path = tmp_path_factory.mktemp("nb101") / "nasbench_fixture.tfrecord"
    write_tfrecord(path, records)
    return path, truth


def test_tfrecord_round_trip(fixture_file, tmp_path):
    path, truth = fixture_file
    assert infer_format(path) == "nb101-tfrecord"
    seen = []
    table = import_any(
        path, tmp_path / "t", progress=lambda done, total: seen.append((done, total))
    )
    assert seen[-1][0] == seen[-1][1] == path.stat().st_size
    b = Benchmark.open(table)
    assert b.space is NB101 and sorted(b.hps("cifar10"), key=int) == ["4", "108"]
    assert b.seeds("cifar10", "108") == [0, 1, 2]
    assert b.epoch_values("cifar10", "108") == [54, 108]
    for (i, e, r), (v, t, params) in truth.items():
        h = NB101.hash_of_index(i)
        assert b.query(h, "cifar10", "valid_acc", hp=str(e), seed=r) == pytest.approx(100 * v, 1e-5)
        assert b.query(i, "cifar10", "valid_acc", hp=str(e), seed=r, epoch=0) == pytest.approx(
            100 * (v - 0.1), 1e-5
        )
        assert b.query(i, "cifar10", "train_time_s", hp=str(e), seed=r) == pytest.approx(t)
        assert b.query(i, "cifar10", "params_m", hp=str(e), seed=r) == pytest.approx(params / 1e6)
    assert np.isnan(b.query(1, "cifar10", "valid_acc", hp="108"))  # not in the file


def _corrupt(path, tmp_path, edit):
    data = bytearray(path.read_bytes())
    edit(data)
    bad = tmp_path / "bad.tfrecord"
    bad.write_bytes(bytes(data))
    return bad


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d.__setitem__(40, d[40] ^ 1), "data CRC"),
        (lambda d: d.__setitem__(2, d[2] ^ 1), "length CRC"),
        (lambda d: d.__delitem__(slice(len(d) - 7, len(d))), "truncated"),
        (lambda d: d.__delitem__(slice(len(d) - 3, len(d))), "truncated"),
    ],
)
def test_corrupt_tfrecord_is_refused_and_writes_nothing(fixture_file, tmp_path, edit, words):
    bad = _corrupt(fixture_file[0], tmp_path, edit)
    with pytest.raises(TableFormatError, match=words):
        import_any(bad, tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_bad_payloads(tmp_path, nb101_index):
    cell = NB101.from_index(3)
    good = json.loads(encode_record(cell.module_hash, 4, cell.matrix, list(cell.ops), [{}] * 3, 1))
    cases = {
        "base64": json.dumps([*good[:4], "!!not base64!!"]).encode(),
        "not an NB-101 record": b"\xff\xfe",
        "not a cell": json.dumps(["f" * 32, *good[1:]]).encode(),
        "budget": json.dumps([good[0], 5, *good[2:]]).encode(),
        "hashes to": json.dumps([NB101.hash_of_index(4), *good[1:]]).encode(),
    }
    for words, record in cases.items():
        path = tmp_path / f"{len(words)}.tfrecord"
        write_tfrecord(path, [record])
        with pytest.raises(TableFormatError, match=words):
            import_any(path, tmp_path / "t")
    assert len(list(iter_tfrecord(path))) == 1
    # a length field claiming an absurd size is refused before reading it
    huge = struct.pack("<Q", 1 << 40)
    (tmp_path / "huge.tfrecord").write_bytes(huge + struct.pack("<I", masked_crc32c(huge)))
    with pytest.raises(TableFormatError, match="claims"):
        import_any(tmp_path / "huge.tfrecord", tmp_path / "t")


def _params(i: int) -> int:
    from surrogate_nb.space.nb101_cost import count_params

    return count_params(NB101.from_index(i))


def test_column_json_import(tmp_path, nb101_index):
    keys = [NB101.hash_of_index(i) for i in (0, 9, 400_000)]
    data = {
        "key": keys,
        "4_final_validation_accuracy": [0.5, 0.6, 0.7],
        "108_final_validation_accuracy": [0.9, 0.91, 0.1],
        "final_training_time": [100.0, 200.0, 300.0],
        "trainable_parameters": [_params(i) for i in (0, 9, 400_000)],
    }
    src = tmp_path / "cells.json"
    src.write_text(json.dumps(data))
    assert infer_format(src) == "nb101-json"
    b = Benchmark.open(import_any(src, tmp_path / "t"))
    assert b.seeds("cifar10", "108") == [UNKNOWN_RUN_SEED]  # the run's repeat is unknown
    assert b.query(keys[1], "cifar10", "valid_acc", hp="108") == pytest.approx(91.0)
    assert b.query(400_000, "cifar10", "valid_acc", hp="4") == pytest.approx(70.0)
    assert b.query(9, "cifar10", "train_time_s", hp="108") == 200.0
    assert np.isnan(b.query(9, "cifar10", "train_time_s", hp="4"))
    assert "repeat is not recorded" in b.manifest["seeds"]
    best, value = b.best("cifar10", "valid_acc", hp="108")
    assert best.module_hash == keys[1] and value == pytest.approx(91.0)


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d["key"].__setitem__(0, "zz"), "32 lowercase hex"),
        (lambda d: d["key"].__setitem__(0, "f" * 32), "not a cell"),
        (lambda d: d["4_final_validation_accuracy"].__setitem__(1, 1.5), r"\[1\] = 1.5"),
        (lambda d: d["4_final_validation_accuracy"].pop(), "has 1 values"),
        (lambda d: d["4_final_validation_accuracy"].__setitem__(0, "x"), "non-numeric"),
    ],
)
def test_bad_column_json(tmp_path, nb101_index, edit, words):
    data = {
        "key": [NB101.hash_of_index(i) for i in (0, 1)],
        "4_final_validation_accuracy": [0.5, 0.6],
    }
    edit(data)
    src = tmp_path / "cells.json"
    src.write_text(json.dumps(data))
    with pytest.raises(TableFormatError, match=words):
        import_any(src, tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_shared_20k_imports(tmp_path, nb101_20k):
    from tests.conftest import NB101_DIR

    b = Benchmark.open(import_any(NB101_DIR / "data-20k.json", tmp_path / "t"))
    idx, y = b.to_xy("cifar10", "valid_acc", hp="108")
    assert len(idx) == 20_001
    assert y.mean() == pytest.approx(91.04, abs=0.01) and y.max() == pytest.approx(94.91, abs=0.01)
    assert b.query(0, "cifar10", "valid_acc", hp="108") == pytest.approx(93.04887652397156, 1e-6)


def _graph_json(cells) -> dict:
    """Column JSON with data-1k.json's graph columns (padded 7x7 adjacency, op codes)."""
    from surrogate_nb.space.nb101_encodings import padded_arrays

    adj, ops = padded_arrays(np.asarray(cells))
    return {
        "key": [NB101.hash_of_index(i) for i in cells],
        "108_final_validation_accuracy": [0.9, 0.8, 0.7][: len(cells)],
        "trainable_parameters": [_params(i) for i in cells],
        "final_training_time": [100.0, 200.0, 300.0][: len(cells)],
        "operations": ops.astype(int).tolist(),
        "adjacency": adj.astype(float).tolist(),
        "embedding": [[0.0, 1.0]] * len(cells),
    }


def _import_json(tmp_path, data):
    src = tmp_path / "cells.json"
    src.write_text(json.dumps(data))
    return import_any(src, tmp_path / "t", format="nb101-json")


def test_column_json_with_graphs_imports(tmp_path, nb101_index):
    b = Benchmark.open(_import_json(tmp_path, _graph_json([0, 9, 400_000])))
    assert b.query(9, "cifar10", "valid_acc", hp="108") == pytest.approx(80.0)


def _swap_keys(d):
    d["key"][0], d["key"][1] = d["key"][1], d["key"][0]


def _set_op(d, value):
    d["operations"][0][1] = value


def _lower_edge(d):
    d["adjacency"][0][3][1] = 1.0


def _six_rows(d):
    d["adjacency"][0] = d["adjacency"][0][:6]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        # issue 22: each of these imported with exit 0 and put values on the wrong cells
        (_swap_keys, "misaligned"),
        (lambda d: _set_op(d, 7), "op codes"),
        (lambda d: _set_op(d, 0.5), "op codes"),
        (_lower_edge, "upper-triangular"),
        (_six_rows, "7x7"),
        (lambda d: d.pop("operations"), "without 'operations'"),
        (lambda d: d.pop("adjacency"), "without 'adjacency'"),
        (lambda d: d["operations"].pop(), "one entry per key"),
        # numeric fields feed simulated budgets: range-checked like accuracies
        (lambda d: d["trainable_parameters"].__setitem__(1, -5), r"trainable_parameters\[1\]"),
        (lambda d: d["trainable_parameters"].__setitem__(1, 1.5), "integer count"),
        (lambda d: d["final_training_time"].__setitem__(2, -1.0), r"final_training_time\[2\]"),
        (lambda d: d["final_training_time"].__setitem__(2, None), "non-numeric"),
        (lambda d: d["108_final_validation_accuracy"].__setitem__(0, None), "non-numeric"),
        # an unknown budget column was dropped without a word
        (lambda d: d.__setitem__("7_final_validation_accuracy", [0.5] * 3), "not an NB-101 budget"),
    ],
)
def test_inconsistent_graph_json_is_refused(tmp_path, nb101_index, edit, words):
    data = _graph_json([0, 9, 400_000])
    edit(data)
    with pytest.raises(TableFormatError, match=words):
        _import_json(tmp_path, data)
    assert not (tmp_path / "t").exists()


def test_swapped_keys_without_graphs_are_caught_by_parameter_counts(tmp_path, nb101_index):
    data = _graph_json([0, 9, 400_000])
    del data["operations"], data["adjacency"]
    assert _params(0) != _params(400_000)
    data["key"][0], data["key"][2] = data["key"][2], data["key"][0]
    with pytest.raises(TableFormatError, match=r"row 0: trainable_parameters .* misaligned"):
        _import_json(tmp_path, data)


def test_unknown_non_budget_column_is_named_in_a_warning(tmp_path, nb101_index):
    data = _graph_json([0, 9])
    data["notes"] = ["a", "b"]
    with pytest.warns(UserWarning, match="ignoring column.*'notes'"):
        _import_json(tmp_path, data)


def test_deeply_nested_json_is_a_format_error(tmp_path):
    src = tmp_path / "deep.json"
    src.write_text(
        '{"key": ' + "[" * 100_000 + "]" * 100_000 + ', "4_final_validation_accuracy": []}'
    )
    with pytest.raises(TableFormatError, match="nested too deeply"):
        import_any(src, tmp_path / "t", format="nb101-json")
