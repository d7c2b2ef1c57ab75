"""Feature encodings and other tools' NB201 encodings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.space import Arch
from surrogate_nb.space.nb201_encodings import (
    PATH_DIM,
    from_naslib,
    from_syne_tune,
    graph_encoding,
    onehot,
    path_encoding,
    to_naslib,
    to_syne_tune,
)

ALL_CONV3 = Arch.from_ops(["nor_conv_3x3"] * 6)
op_tuples = st.tuples(*[st.integers(0, 4)] * 6)


def test_onehot_layout():
    a = Arch.from_index(0)  # avg_pool, conv1x1, skip, conv1x1, skip, skip
    x = onehot([a])
    assert x.shape == (1, 30) and x.dtype == np.float32
    assert x.reshape(6, 5).argmax(1).tolist() == list(a.op_ids)
    assert x.sum() == 6


def test_path_encoding_known_cell():
    x = path_encoding([ALL_CONV3])[0]
    assert x.shape == (PATH_DIM,) == (155,)
    conv = 3
    assert x[conv] == 1  # the direct 0->3 path
    assert x[5 + conv * 5 + conv] == 2  # the two length-2 paths share one slot
    assert x[30 + (conv * 5 + conv) * 5 + conv] == 1  # the length-3 path
    assert x.sum() == 4


@given(op_tuples)
def test_path_encoding_counts_four_paths(ops):
    assert path_encoding([Arch(ops)]).sum() == 4


def test_graph_encoding():
    adj, feats = graph_encoding(ALL_CONV3)
    assert adj.shape == (8, 8) and feats.shape == (8, 7)
    assert np.allclose(np.triu(adj, 1), adj)  # a DAG in topological order
    assert adj[0, 1:].sum() == 3  # three edges leave the input
    assert adj[1:7, 7].sum() == 3  # three edges enter the output
    assert feats.sum(1).tolist() == [1.0] * 8


def test_naslib_known_examples():
    # NASLib: edges (1,2),(1,3),(1,4),(2,3),(2,4),(3,4); ops [skip, none, conv3, conv1, pool]
    a = Arch.from_str(
        "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    )
    assert to_naslib(a) == [2, 3, 0, 4, 1, 2]
    assert from_naslib([2, 3, 0, 4, 1, 2]) == a
    assert to_naslib(Arch.from_ops(["skip_connect"] * 6)) == [0] * 6


@given(op_tuples)
def test_converters_round_trip(ops):
    a = Arch(ops)
    assert from_naslib(to_naslib(a)) == a
    assert from_syne_tune(to_syne_tune(a)) == a


def test_syne_tune_known_example():
    a = Arch.from_index(0)
    cfg = to_syne_tune(a)
    assert list(cfg) == [f"hp_x{i}" for i in range(6)]
    assert cfg["hp_x0"] == "avg_pool_3x3" and cfg["hp_x5"] == "skip_connect"


def test_converter_errors():
    with pytest.raises(InvalidArchError, match="position 2"):
        from_naslib([0, 0, 7, 0, 0, 0])
    with pytest.raises(InvalidArchError, match="hp_x3"):
        from_syne_tune({"hp_x0": "none", "hp_x1": "none", "hp_x2": "none"})
