"""The NB-101 space: official hash, validity and pruning, the enumerated index, mutation."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from surrogate_nb.errors import InvalidArchError, SurrogateNBError
from surrogate_nb.space import NB101, Cell, get_space
from surrogate_nb.space.nb101 import MAX_EDGES, NUM_CELLS, OPS, from_padded, hash_module
from surrogate_nb.space.nb101_cost import count_params

pytestmark = pytest.mark.xdist_group("nb101")

C3, C1, MP = OPS
# The first record of NB-101 (smallest hash): published hash and trainable_parameters.
FIRST_HASH = "00005c142e6f48ac74fdcf73e3439874"
FIRST_PARAMS = 8_555_530


def chain(*ops: str) -> Cell:
    """input -> op1 -> ... -> output, a straight line."""
    n = len(ops) + 2
    m = [[1 if j == i + 1 else 0 for j in range(n)] for i in range(n)]
    return Cell.from_spec(m, ["input", *ops, "output"])


def test_registered_and_sized(nb101_index):
    assert get_space("nb101") is NB101
    assert NB101.size == NUM_CELLS == len(nb101_index.hashes) == len(NB101) == 423_624
    assert np.all(nb101_index.hashes[:-1] < nb101_index.hashes[1:])  # sorted, distinct


def test_index_zero_is_the_published_first_record(nb101_index):
    cell = NB101.from_index(0)
    assert cell.module_hash == FIRST_HASH
    assert count_params(cell) == FIRST_PARAMS
    assert NB101.from_hash(FIRST_HASH) == cell and cell.index == 0


def test_random_indices_round_trip(nb101_index):
    rng = np.random.default_rng(0)
    for i in rng.integers(0, NUM_CELLS, 200):
        cell = NB101.from_index(int(i))
        assert cell.index == i
        assert NB101.hash_of_index(int(i)) == cell.module_hash
        assert NB101.from_str(str(cell)).module_hash == cell.module_hash
        assert cell.num_edges <= MAX_EDGES and cell.num_vertices <= 7


def test_all_shared_hashes_are_cells_in_order(nb101_index, nb101_20k):
    keys = nb101_20k["key"]
    assert len(keys) == 20_001
    # data-20k holds the 20,001 smallest hashes: they are indices 0..20000 exactly
    assert NB101.as_indices(keys).tolist() == list(range(20_001))


def test_params_equal_the_published_ones_for_all_20001(nb101_index, nb101_20k):
    from surrogate_nb.space.nb101_cost import params_padded
    from surrogate_nb.space.nb101_encodings import padded_arrays

    idx = NB101.as_indices(nb101_20k["key"])
    adj, ops = padded_arrays(idx)
    np.testing.assert_array_equal(params_padded(adj, ops), nb101_20k["trainable_parameters"])
    rng = np.random.default_rng(1)  # the scalar counter agrees with the vectorised one
    for i in rng.choice(idx, 50, replace=False):
        assert count_params(NB101.from_index(int(i))) == nb101_20k["trainable_parameters"][i]


def test_hash_reproduces_the_1000_published_keys(nb101_1k):
    for key, adj, ops in zip(nb101_1k["key"], nb101_1k["adjacency"], nb101_1k["operations"]):
        assert from_padded(adj, ops).module_hash == key


def test_hash_is_invariant_to_vertex_order():
    # two interior vertices in parallel: swapping them gives the same cell
    m = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    a = Cell.from_spec(m, ["input", C3, MP, "output"])
    b = Cell.from_spec(m, ["input", MP, C3, "output"])
    c = Cell.from_spec(m, ["input", C3, C3, "output"])
    assert a.module_hash == b.module_hash != c.module_hash
    assert hash_module(m, [-1, 0, 2, -2]) == a.module_hash


def test_pruning_drops_dangling_vertices():
    # vertex 2 has no path to the output; vertex 3 no path from the input
    m = [
        [0, 1, 1, 0, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
    ]
    cell = Cell.from_spec(m, ["input", C3, C1, MP, "output"])
    assert cell == chain(C3)
    assert cell.module_hash == chain(C3).module_hash


@pytest.mark.parametrize(
    ("matrix", "ops", "words"),
    [
        ([[0, 1], [0, 0], [0, 0]], ["input", "output"], "square"),
        ([[0, 1], [1, 0]], ["input", "output"], "upper-triangular"),
        ([[0, 2], [0, 0]], ["input", "output"], "0 or 1"),
        (np.eye(8, k=1, dtype=int), ["input", *[C3] * 6, "output"], "8 vertices"),
        ([[0, 0, 0], [0, 0, 1], [0, 0, 0]], ["input", C3, "output"], "disconnected"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"], "conv5x5"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [C3, C3, "output"], "start with 'input'"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", C3], "ops"),
        ("abc", ["input", "output"], "square"),
    ],
)
def test_bad_specs_name_the_problem(matrix, ops, words):
    with pytest.raises(InvalidArchError, match=words) as info:
        Cell.from_spec(matrix, ops)
    assert isinstance(info.value, SurrogateNBError) and "\n" not in str(info.value)


def test_more_than_nine_edges_is_refused():
    m = np.triu(np.ones((7, 7), int), k=1)  # 21 edges, all vertices connected
    with pytest.raises(InvalidArchError, match="edges; allowed at most 9"):
        Cell.from_spec(m, ["input", C3, C3, C1, C1, MP, "output"])


@pytest.mark.parametrize(
    "text", ["xyz", "0f" * 15, "G" * 32, "ffffffffffffffffffffffffffffffff", "423624", "-1", "1.5"]
)
def test_bad_hashes_and_indices(nb101_index, text):
    with pytest.raises(InvalidArchError):
        NB101.from_str(text)


def test_errors_pickle():
    try:
        Cell.from_spec([[0, 1], [1, 0]], ["input", "output"])
    except InvalidArchError as exc:
        again = pickle.loads(pickle.dumps(exc))
        assert str(again) == str(exc)


def test_sample_is_uniform_over_indices(nb101_index):
    rng = np.random.default_rng(0)
    idx = np.array([NB101.sample(rng).index for _ in range(400)])
    assert len(set(idx)) > 390  # 423,624 cells: collisions are rare
    assert 0.35 < np.mean(idx < NUM_CELLS // 2) < 0.65


def test_neighbours_are_one_mutation_away(nb101_index):
    rng = np.random.default_rng(3)
    for _ in range(5):
        cell = NB101.sample(rng)
        nbs = NB101.neighbours(cell)
        hashes = [c.module_hash for c in nbs]
        assert nbs and cell.module_hash not in hashes and len(set(hashes)) == len(hashes)
        for nb in nbs:
            assert 0 <= nb.index < NUM_CELLS  # a cell of the space
        assert NB101.mutate(cell, rng).module_hash in hashes
    # a chain input -> conv3x3 -> output: changing the op gives exactly the two other ops
    base = chain(C3)
    one_op = {c.module_hash for c in NB101.neighbours(base) if c.num_vertices == 3}
    assert {chain(C1).module_hash, chain(MP).module_hash} <= one_op


def test_cache_detects_damage(nb101_index, tmp_path):
    from surrogate_nb.space.nb101_index import _read_cached, save_index

    path = tmp_path / "index.npz"
    save_index(nb101_index, path)
    again = _read_cached(path)
    assert again is not None and np.array_equal(again.hashes, nb101_index.hashes)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert _read_cached(path) is None  # checksum mismatch -> rebuilt, never trusted
