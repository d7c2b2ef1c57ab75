"""`Benchmark.explain_missing`: why a query has no value, as `snb query` says it."""

from __future__ import annotations

import pytest

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.table import Benchmark, write_table


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    trial = {
        "arch_index": 5,
        "dataset": "d",
        "hp": "12",
        "seed": 0,
        "epochs": 12,
        "status": "ok",
        "params_m": 1.0,
        "curves": {"valid_acc": [None] * 11 + [50.0], "test_acc": [None] * 11 + [49.0]},
    }
    other = {**trial, "arch_index": 9, "curves": {"valid_acc": trial["curves"]["valid_acc"]}}
    path = tmp_path_factory.mktemp("missing") / "t"
    return Benchmark.open(write_table(path, [trial, other], manifest={}))


@pytest.mark.parametrize(
    ("arch", "metric", "epoch", "seed", "kind", "phrase"),
    [
        (5, "valid_acc", 3, None, "epoch", "valid_acc of (d, hp 12) has values only at epochs 11"),
        (5, "flops_m", None, None, "cost", "(d, hp 12) records no flops_m for any cell"),
        (6, "valid_acc", None, None, "cell", "cell 6 has no trial in (d, hp 12)"),
        (9, "test_acc", None, None, "value", "cell 9 has trials in (d, hp 12) but no test_acc"),
    ],
)
def test_each_reason_names_what_the_table_holds(bench, arch, metric, epoch, seed, kind, phrase):
    value, n = bench.query_with_count(arch, "d", metric, epoch=epoch, seed=seed)
    assert n == 0 and value != value  # NaN: nothing recorded
    err = bench.explain_missing(arch, "d", metric, epoch=epoch, seed=seed)
    assert isinstance(err, UnknownKeyError) and phrase in str(err)
    assert err.kind == kind
    if kind == "cell":
        assert err.available == [5, 9]
