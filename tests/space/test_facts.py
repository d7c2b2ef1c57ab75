"""What each space says about a cell and itself (`describe`, `summary`) and its closed-form
counters (`counters`): the hooks `snb arch`, `snb space` and `SurrogateBenchmark.cost` call."""

from __future__ import annotations

import json

import pytest

from surrogate_nb.space import DARTS, NB101, NB201, Facts, FactTable, SearchSpace
from surrogate_nb.space.costs import counters
from surrogate_nb.space.nb201_costs import COST_SETTINGS
from tests.space.test_darts import DARTS_V2


def _json_ready(facts: Facts) -> None:
    assert json.loads(json.dumps(facts.data)) == facts.data
    assert all(isinstance(t, FactTable) for t in facts.tables)
    for t in facts.tables:
        width = len(t.columns) or 2
        assert all(len(row) == width and all(isinstance(c, str) for c in row) for row in t.rows)


def test_nb201_describes_a_cell_with_its_forms_and_costs():
    facts = NB201.describe(6111)
    _json_ready(facts)
    assert facts.data["index"] == 6111 and facts.data["connected"] is True
    assert facts.data["costs"]["cifar10"]["flops_m"] == pytest.approx(153.27297, abs=1e-4)
    assert NB201.describe(facts.data["arch_str"]).data == facts.data
    cell, costs = facts.tables
    assert cell.title == "NB201 cell 6111" and cell.columns == ()
    assert dict(cell.rows)["arch string"] == facts.data["arch_str"]
    assert costs.columns == ("setting", "classes", "input", "params (M)", "FLOPs (M)")
    assert [row[0] for row in costs.rows] == list(COST_SETTINGS)


def test_nb201_summary_counts_the_space():
    facts = NB201.summary()
    _json_ready(facts)
    assert facts.data["num_cells"] == 15625 and facts.data["num_isomorphism_classes"] == 6466
    rows = dict(facts.tables[0].rows)
    assert rows["cells"] == "15,625" and rows["disconnected cells"] == "341"


def test_darts_describes_a_pair_and_counts_the_space():
    g = DARTS.from_str(DARTS_V2)
    facts = DARTS.describe(g)
    _json_ready(facts)
    assert facts.data["index"] == g.index and facts.data["compact"] == str(g)
    nb301 = facts.data["costs"]["nb301 (32 x 8 cells, published counting)"]
    assert nb301 == {"params": 909866, "flops_m": pytest.approx(159.765514)}
    (table,) = facts.tables
    assert table.title == f"DARTS cell pair {g.index}"
    assert dict(table.rows)["nb301"] == "909,866 params, 159.77 M FLOPs"
    summary = DARTS.summary()
    assert summary.data["pairs (normal, reduction)"] == 1_076_746_950_455_072_400
    assert dict(summary.tables[0].rows)["cells per cell type"] == "1,037,664,180"


def test_nb101_describes_a_cell(nb101_index):
    facts = NB101.describe("input,conv3x3,output;011,001,000")
    _json_ready(facts)
    assert facts.data["edges"] == 3 and facts.data["vertices"] == 3
    rows = dict(facts.tables[0].rows)
    assert rows["matrix"] == "011 001 000" and rows["vertices / edges"] == "3 / 3"


def test_counters_dispatch_through_the_space_object_or_its_name():
    assert counters(NB201, 0, "cifar10-valid") == NB201.counters(0, "cifar10")
    assert counters("nb201", 0, "cifar10-valid") == counters(NB201, 0, "cifar10-valid")
    assert set(NB201.counters(0, "ImageNet16-120")) == {"params_m", "flops_m"}
    assert NB201.counters(0, "svhn") == {}
    g = DARTS.from_str(DARTS_V2)
    assert counters(DARTS, g, "cifar10") == {
        "params_m": pytest.approx(0.909866, abs=1e-12),
        "flops_m": pytest.approx(159.765514, abs=1e-9),
    }
    assert DARTS.counters(g, "cifar100") == {} and NB101.counters(0, "cifar100") == {}


def test_a_space_without_its_own_hooks_says_its_size():
    class Tiny(SearchSpace[int]):
        name, size, cell_type, encodings, feature_sets = "tiny", 3, int, {}, ()

        def from_index(self, index: int) -> int:
            return index

        from_str = as_arch = from_index

        def as_indices(self, values: object) -> object:
            return values

        def all_archs(self):
            return iter(range(3))

        def sample(self, rng):
            return 0

        def neighbours(self, arch):
            return []

        def choices(self):
            return []

        def from_choices(self, values):
            return 0

        def to_choices(self, arch):
            return []

        def featurize(self, indices, features):
            return indices

        def feature_names(self, features):
            return []

    space = Tiny()
    assert space.describe(2).data == {"index": 2, "label": "2"}
    assert space.summary().data == {"space": "tiny", "num_cells": 3}
    assert space.summary().tables[0].rows == (("cells", "3"),) and space.counters(1, "x") == {}
