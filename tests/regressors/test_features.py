"""Feature pipeline: shapes, closed-form counters vs the network, isomorphism invariance."""

from __future__ import annotations

import time

import numpy as np
import pytest

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.space import NB201, Arch, all_archs
from surrogate_nb.space.nb201_features import (
    FEATURE_SETS,
    INVARIANT_STATS,
    cell_stats,
    effective_op_ids,
    feature_names,
    featurize,
    stat_names,
)


def _col(name: str) -> int:
    return list(stat_names()).index(name)


@pytest.mark.parametrize("features", FEATURE_SETS)
def test_shapes_names_and_order(features):
    X = featurize([5, 0, 5], features)
    assert X.dtype == np.float32 and X.shape[0] == 3
    assert X.shape[1] == len(feature_names(features))
    np.testing.assert_array_equal(X[0], X[2])
    assert np.all(np.isfinite(X))


def test_all_cells_fast():
    start = time.perf_counter()
    X = featurize(np.arange(15625), "full")
    assert X.shape[0] == 15625
    assert time.perf_counter() - start < 30  # seconds, not minutes (first call builds the table)


def test_unknown_feature_set():
    with pytest.raises(UnknownKeyError):
        featurize([0], "nope")


def test_closed_form_counters_match_network():
    network = pytest.importorskip("surrogate_nb.network")
    rng = np.random.default_rng(0)
    for i in rng.choice(15625, size=12, replace=False):
        s = cell_stats([int(i)])[0]
        assert s[_col("params_m")] == pytest.approx(network.count_params(int(i), 10), abs=1e-6)
        assert s[_col("flops_m")] == pytest.approx(network.count_flops(int(i), 10), rel=1e-6)


def test_closed_form_params_match_reference(nb201_frame):
    s = cell_stats(nb201_frame["index"].to_numpy())
    ok = np.isclose(s[:, _col("params_m")], nb201_frame["cifar10_params_m"], atol=1e-5)
    assert ok.mean() > 0.99  # the README: 15,530 of 15,625 rows follow the affine form


def test_dead_edges_become_none():
    # 0->1 conv but node 1 feeds nothing alive (1->2, 1->3 none): edge 0->1 is dead.
    a = Arch.from_ops(["nor_conv_3x3", "skip_connect", "none", "none", "none", "nor_conv_1x1"])
    eff = effective_op_ids([a])[0]
    assert list(eff) == [0, 1, 0, 0, 0, 2]
    s = cell_stats([a])[0]
    assert s[_col("n_nor_conv_3x3")] == 1 and s[_col("eff_n_nor_conv_3x3")] == 0
    assert s[_col("max_conv_depth")] == 1 and s[_col("n_live_paths")] == 1
    disconnected = Arch.from_ops(["nor_conv_3x3"] * 3 + ["none"] * 3)
    assert cell_stats([disconnected])[0][_col("connected")] == 0
    assert np.all(effective_op_ids([disconnected]) == 0)


def test_changing_a_dead_edge_changes_no_effective_feature():
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(300):
        a = NB201.sample(rng)
        eff = effective_op_ids([a])[0]
        dead = [e for e in range(6) if eff[e] == 0 and a.op_ids[e] != 0]
        if not dead:
            continue
        ops = list(a.op_ids)
        ops[dead[0]] = 0  # dead edge -> none: same effective cell
        b = Arch(tuple(ops))
        np.testing.assert_array_equal(featurize([a], "eff_onehot"), featurize([b], "eff_onehot"))
        cols = [
            _col(n)
            for n in stat_names()
            if n.startswith(("eff_", "path", "mid", "max_", "min_", "n_live", "sum_"))
        ]
        np.testing.assert_array_equal(cell_stats([a])[0, cols], cell_stats([b])[0, cols])
        checked += 1
    assert checked > 20


def test_invariant_stats_equal_within_isomorphism_classes():
    archs = list(all_archs())
    keys = np.array([a.unique_str() for a in archs])
    X = cell_stats(np.arange(len(archs)))[:, [_col(n) for n in INVARIANT_STATS]]
    order = np.argsort(keys, kind="stable")
    keys, X = keys[order], X[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    assert len(starts) == 6466
    first = np.repeat(X[starts], np.diff(np.r_[starts, len(keys)]), axis=0)
    np.testing.assert_array_equal(X, first)
    # and the invariant columns still tell many classes apart
    assert len({tuple(r) for r in X[starts]}) > 50
