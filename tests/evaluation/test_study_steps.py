"""Named steps of the studies and the syne-tune adapter, on known inputs."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.evaluation.hpo.cells import signal_mode
from surrogate_nb.evaluation.studies.leave_out import optimizer_regions, space_regions


def test_leave_one_optimizer_out_masks():
    idx = np.array([3, 5, 7, 9])
    got = optimizer_regions(idx, {"a": [3, 5], "b": [5, 7]})
    assert list(got) == ["optimizer:a", "optimizer:b"]
    test, train = got["optimizer:a"]
    assert test.tolist() == [True, True, False, False]
    assert train.tolist() == [False, False, True, False]  # b's cells minus a's
    test, train = got["optimizer:b"]
    assert test.tolist() == [False, True, True, False]
    assert train.tolist() == [True, False, False, False]


def test_space_regions_keep_the_asked_families():
    idx = np.arange(0, 15_625, 125)
    y = np.linspace(0.0, 1.0, len(idx))
    got = space_regions(idx, y, ("top", "random"), top_percent=10.0, rng=np.random.default_rng(0))
    assert list(got) == ["top10%", "random"]
    assert got["top10%"].sum() == 12 and got["top10%"][-12:].all()  # the 12 largest of 125
    assert got["random"].sum() == 25  # a fifth


def test_signal_mode():
    assert signal_mode(None) is None
    assert signal_mode("sample") == "sample"
    with pytest.raises(UnknownKeyError, match="signal_seed"):
        signal_mode(3)


def test_hpo_package_serves_its_public_names():
    from surrogate_nb.evaluation import hpo

    assert {"to_blackbox", "run_syne_tune", "export_blackbox", "MissingExtraError"} <= set(
        hpo.__all__
    )
    for name in hpo.__all__:
        assert getattr(hpo, name) is not None, name
