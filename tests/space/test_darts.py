"""The DARTS / NB301 space: size, rank, canonical form, every representation, moves, features."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surrogate_nb.errors import InvalidArchError, UnknownKeyError
from surrogate_nb.space import DARTS, Genome, get_space
from surrogate_nb.space import darts_encodings as enc
from surrogate_nb.space import darts_forms as forms
from surrogate_nb.space.darts import CELL_SIZE, OPS, SIZE, cell_from_rank, cell_rank, decode

# The DARTS-V2 genotype as printed by quark0/darts cnn/genotypes.py (DARTS = DARTS_V2).
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)


def test_size_per_cell_and_total():
    inputs = math.prod(math.comb(k, 2) for k in range(2, 6))
    assert inputs == 180
    assert CELL_SIZE == inputs * 7**8 == 1_037_664_180
    assert SIZE == CELL_SIZE**2 == 1_076_746_950_455_072_400 < 2**63
    assert get_space("darts") is DARTS and DARTS.size is None and DARTS.cardinality == SIZE


def test_cell_rank_is_a_bijection_on_a_small_slice():
    # every rank of the first and last 2,000 decodes to a canonical cell that ranks back
    for r in itertools.chain(range(2000), range(CELL_SIZE - 2000, CELL_SIZE)):
        cell = cell_from_rank(r)
        assert cell_rank(cell) == r
        assert all(cell[2 * n][0] < cell[2 * n + 1][0] for n in range(4))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, SIZE - 1))
def test_index_round_trip(index):
    g = Genome.from_index(index)
    assert g.index == index
    assert DARTS.from_str(str(g)) == g


def test_canonical_form_ignores_pair_order():
    g = DARTS.from_str(DARTS_V2)
    normal = list(g.normal)
    swapped = [normal[2 * n + 1 - k] for n in range(4) for k in range(2)]
    h = Genome.of(swapped, g.reduce)
    assert h == g and h.index == g.index
    # NASLib's form with swapped pairs gives the same key
    naslib = [[normal[1], normal[0], *normal[2:]], list(g.reduce)]
    assert DARTS.as_indices(naslib) == g.index


def test_round_trips_between_all_representations_on_10000_cells():
    rng = np.random.default_rng(7)
    for _ in range(10_000):
        g = DARTS.sample(rng)
        assert forms.from_genotype(forms.to_genotype(g)) == g
        assert DARTS.from_str(forms.genotype_str(g)) == g
        assert forms.from_naslib(forms.to_naslib(g)) == g
        assert DARTS.from_str(str(forms.to_naslib(g))) == g
        assert forms.from_config(forms.to_config(g)) == g
        assert DARTS.from_str(forms.compact(g)) == g
        assert DARTS.from_choices(DARTS.to_choices(g)) == g


def test_darts_v2_reads_in_every_form():
    g = DARTS.from_str(DARTS_V2)
    # DARTS-V2 lists node 4's pairs as (sep, 1), (skip, 0): the canonical form sorts them
    assert forms.genotype_str(g) != DARTS_V2 and DARTS.from_str(forms.genotype_str(g)) == g
    assert str(g).startswith("sep3:0,sep3:1,sep3:0,sep3:1,skip:0,sep3:1,skip:0,dil3:2/")
    assert DARTS.from_str(DARTS_V2.replace("[2, 3, 4, 5]", "range(2, 6)")) == g
    assert DARTS.as_arch(forms.to_genotype(g)) == g
    assert DARTS.as_arch(forms.to_config(g)) == g
    assert DARTS.from_str(str(g.index)) == g


def test_config_matches_nb301_edge_numbering():
    # node 2: edges 0-1, node 3: 2-4, node 4: 5-8, node 5: 9-13; edge = start + input
    g = Genome.of(
        [(0, 3), (1, 3), (0, 0), (2, 1), (1, 2), (3, 4), (2, 5), (4, 6)],
        [(0, 0), (1, 1), (1, 2), (2, 3), (0, 4), (3, 5), (3, 6), (4, 0)],
    )
    c = forms.to_config(g)
    p = forms.CONFIG_PREFIX
    assert c[p + "edge_normal_0"] == "sep_conv_3x3" and c[p + "edge_normal_4"] == "avg_pool_3x3"
    assert c[p + "inputs_node_normal_3"] == "0_2" and c[p + "inputs_node_normal_5"] == "2_4"
    assert c[p + "edge_normal_11"] == "dil_conv_3x3" and c[p + "edge_normal_13"] == "dil_conv_5x5"
    assert c[p + "edge_reduce_5"] == "sep_conv_5x5" and c[p + "edge_reduce_8"] == "dil_conv_3x3"
    assert c[p + "inputs_node_reduce_4"] == "0_3"
    assert len(c) == 2 * (8 + 3)
    # fixed NB301 training settings beside the cell keys are ignored
    full = {**c, p + "init_channels": 32, "OptimizerSelector:sgd:momentum": 0.9}
    assert forms.from_config(full) == g


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ([(0, 3), (1, 3), (0, 3), (3, 3), (1, 3), (0, 2), (0, 2), (2, 5)], "does not exist yet"),
        ([(0, 3), (0, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (2, 5)], "twice"),
        ([(0, "conv_7x7"), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (2, 5)], "conv_7x7"),
        ([(0, 3), (1, 3), (0, 3)], "8 (input, op) pairs"),
    ],
)
def test_bad_cells_are_refused_with_the_value(value, needle):
    ok = DARTS.from_str(DARTS_V2).reduce
    with pytest.raises(InvalidArchError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        Genome.of(value, ok)


def test_bad_config_and_text():
    g = DARTS.from_str(DARTS_V2)
    p = forms.CONFIG_PREFIX
    missing = forms.to_config(g)
    del missing[p + "inputs_node_reduce_4"]
    with pytest.raises(InvalidArchError, match=r"lacks .*inputs_node_reduce_4"):
        forms.from_config(missing)
    inactive = {**forms.to_config(g), p + "edge_normal_7": "skip_connect"}  # node 4 reads 0, 1
    with pytest.raises(InvalidArchError, match=r"edge_normal_7.*inactive"):
        forms.from_config(inactive)
    bad_pair = {**forms.to_config(g), p + "inputs_node_normal_3": "2_2"}
    with pytest.raises(InvalidArchError, match="'2_2'"):
        forms.from_config(bad_pair)
    for text in ("sep3:0,sep3:9/x", "Genotype(normal=[", "[[(0, 1)]]", "hello", "[" * 5000):
        with pytest.raises(InvalidArchError):
            DARTS.from_str(text)
    with pytest.raises(InvalidArchError, match="normal_concat"):
        DARTS.from_str(DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=[4, 5]"))
    with pytest.raises(InvalidArchError, match="out of range"):
        DARTS.from_index(SIZE)
    with pytest.raises(InvalidArchError, match="cannot be listed"):
        DARTS.all_archs()


def test_neighbours_are_every_single_change():
    g = DARTS.from_str(DARTS_V2)
    nbrs = DARTS.neighbours(g)
    # 96 op changes + input changes: per cell node 3: 2 x 1, node 4: 2 x 2, node 5: 2 x 3
    assert len(nbrs) == len(set(nbrs)) == 2 * (8 * 6 + 12)
    assert g not in nbrs
    for h in nbrs:
        diff = sum(a != b for x, y in zip(g.cells(), h.cells()) for a, b in zip(x, y))
        assert 1 <= diff <= 2  # one pair changed (two positions if the node's pairs re-sort)


def test_mutate_is_one_neighbour_and_covers_input_and_op_changes():
    g = DARTS.from_str(DARTS_V2)
    nbrs = set(DARTS.neighbours(g))
    rng = np.random.default_rng(0)
    kids = [DARTS.mutate(g, rng) for _ in range(2000)]
    assert all(k in nbrs for k in kids)
    input_changes = sum(
        [p[0] for p in k.normal] != [p[0] for p in g.normal]
        or [p[0] for p in k.reduce] != [p[0] for p in g.reduce]
        for k in kids
    )
    # a coin flip between input and op change on nodes 3..5 (6 of 8 pairs): ~3/8 input changes
    assert 0.30 < input_changes / len(kids) < 0.45


def test_sample_is_uniform_over_ops_and_input_pairs():
    rng = np.random.default_rng(1)
    idx = np.array([DARTS.sample(rng).index for _ in range(20_000)])
    inputs, ops = decode(idx)
    counts = np.bincount(ops.reshape(-1), minlength=7) / ops.size
    assert np.allclose(counts, 1 / 7, atol=0.01)
    node5 = inputs[:, 0, 6] * 10 + inputs[:, 0, 7]  # 10 input pairs of node 5, equally likely
    freq = np.unique(node5, return_counts=True)[1] / len(idx)
    assert len(freq) == 10 and np.allclose(freq, 0.1, atol=0.01)


def test_features_match_the_cells():
    rng = np.random.default_rng(3)
    cells = [DARTS.sample(rng) for _ in range(200)]
    idx = DARTS.as_indices(cells)
    inputs, ops = decode(idx)
    for k, g in enumerate(cells):
        assert [p for p in g.normal] == list(zip(inputs[k, 0].tolist(), ops[k, 0].tolist()))
    for fs in enc.FEATURE_SETS:
        X = DARTS.featurize(idx, fs)
        assert X.shape == (200, len(DARTS.feature_names(fs))) and X.dtype == np.float32
    A = DARTS.featurize(idx, "adjacency").reshape(200, 2, 14, 7)
    assert (A.sum((2, 3)) == 8).all()  # 8 active edges per cell, one op each
    g = cells[0]
    e, o = forms.EDGE_START[3] + g.normal[6][0], g.normal[6][1]
    assert A[0, 0, e, o] == 1
    S = DARTS.featurize(idx, "stats").reshape(200, 2, 12)
    assert (S[:, :, :7].sum(-1) == 8).all()
    assert np.array_equal(S[:, 0, :7], np.stack([(ops[:, 0] == j).sum(1) for j in range(7)], 1))
    assert ((S[:, :, 9] >= 1) & (S[:, :, 9] <= 4)).all()  # depth
    with pytest.raises(UnknownKeyError):
        DARTS.featurize(idx, "path")


def test_graph_features_are_the_line_graph():
    from surrogate_nb.space.graph import split_graph_features

    g = DARTS.from_str(DARTS_V2)
    layout, adj, kinds, _ = split_graph_features(DARTS.featurize(DARTS.as_indices([g]), "graph"))
    assert (layout.nodes, layout.kinds, layout.output_kind) == (23, 21, 20)
    adj, kinds = adj[0], kinds[0]
    assert (kinds.sum(1) == 1).all()
    # normal pair 7 (dil_conv_3x3 from node 2) is fed by both pairs of node 2 (nodes 2 and 3)
    assert adj[2, 9] == 1 and adj[3, 9] == 1 and adj[0, 9] == 0
    assert kinds[9, 2 + OPS.index("dil_conv_3x3")] == 1
    assert adj[:, 22].sum() == 2 and adj[10, 22] == 1 and adj[21, 22] == 1
    assert adj[2:10, 10].sum() == 8


def test_choices_cover_the_space():
    names = [n for n, _ in DARTS.choices()]
    sizes = [len(o) for _, o in DARTS.choices()]
    assert len(names) == 22 and math.prod(sizes) == SIZE
