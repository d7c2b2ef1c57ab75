"""The facades keep recently asked cells' record views and their computed answers: a repeated
query must give the same answer as the first, callers' edits of a returned dict must not leak into
later answers, and the kept views are bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from surrogate_nb.compat import _api
from surrogate_nb.compat.nats import MissingDataError, create
from surrogate_nb.table.importers import import_any

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "nats-tss-fixture.pickle.pbz2"
CELLS = (11, 6111, 9930)  # the fixture's cells


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return import_any(FIXTURE, tmp_path_factory.mktemp("nats") / "table")


def test_returned_dicts_are_copies(table):
    api = create(table, "tss", rng=np.random.default_rng(0))
    first = api.get_more_info(11, "cifar10-valid", hp="200", is_random=False)
    expected = dict(first)
    first["train-loss"] = -1.0
    again = api.get_more_info(11, "cifar10-valid", hp="200", is_random=False)
    assert dict(again) == expected
    ar = api.query_meta_info_by_index(11, hp="200")
    m = ar.get_metrics("cifar10-valid", "x-valid", is_random=False)
    m["accuracy"] = -1.0
    assert ar.get_metrics("cifar10-valid", "x-valid", is_random=False)["accuracy"] != -1.0
    seed = ar.get_dataset_seeds("cifar10-valid")[0]
    t = ar.query("cifar10-valid", seed).get_train()
    t["loss"] = -1.0
    assert ar.query("cifar10-valid", seed).get_train()["loss"] != -1.0


def test_missing_value_raises_every_time(table):
    """ori-test of a 200-epoch cifar10-valid run is recorded at epoch 199 only."""
    ar = create(table, "tss").query_meta_info_by_index(11, hp="200")
    for _ in range(2):
        with pytest.raises(MissingDataError, match="no ori-test loss or accuracy"):
            ar.get_metrics("cifar10-valid", "ori-test", iepoch=5, is_random=False)
    with pytest.raises(ValueError, match="invalid iepoch"):
        ar.get_metrics("cifar10-valid", "x-valid", iepoch=[5], is_random=False)


def test_kept_views_are_bounded(table, monkeypatch):
    api = create(table, "tss")
    fresh = {i: api.get_more_info(i, "cifar100", hp="200", is_random=False) for i in CELLS}
    monkeypatch.setattr(_api, "CACHED_VIEWS", 2)
    api = create(table, "tss")
    for i in CELLS:
        api.get_more_info(i, "cifar100", hp="200", is_random=False)
    assert [k[0] for k in api._views] == [6111, 9930]  # the least recently asked went first
    api.get_more_info(6111, "cifar100", hp="200", is_random=False)
    assert [k[0] for k in api._views] == [9930, 6111]
    assert {i: api.get_more_info(i, "cifar100", hp="200", is_random=False) for i in CELLS} == fresh
