"""The NB201 space: index order, strings, isomorphism classes, connectivity, bad input."""

from __future__ import annotations

import pickle
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from surrogate_nb.errors import InvalidArchError, SurrogateNBError
from surrogate_nb.space import (
    NB201,
    NUM_ARCHS,
    OPS,
    Arch,
    all_archs,
    as_arch,
    as_indices,
    get_space,
)

INDEX0 = (
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|"
    "+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
)

op_tuples = st.tuples(*[st.integers(0, len(OPS) - 1)] * 6)


def test_index_zero_is_the_documented_cell():
    assert str(Arch.from_index(0)) == INDEX0
    assert Arch.from_str(INDEX0).index == 0


def test_reference_index_strings_and_classes_match_every_row(nb201_frame):
    archs = list(all_archs())
    assert len(archs) == NUM_ARCHS == len(nb201_frame)
    assert [str(a) for a in archs] == nb201_frame["arch_str"].tolist()
    assert [a.unique_str() for a in archs] == nb201_frame["nats_unique_str"].tolist()
    parsed = [Arch.from_str(s).index for s in nb201_frame["arch_str"]]
    assert parsed == nb201_frame["index"].tolist()


def test_space_counts():
    archs = list(all_archs())
    assert len(set(archs)) == NUM_ARCHS
    assert len({a.unique_str() for a in archs}) == 6466
    assert sum(not a.is_connected() for a in archs) == 341


def test_disconnected_cells_sit_at_chance(nb201_frame):
    connected = np.array([a.is_connected() for a in all_archs()])
    acc = nb201_frame["cifar10_test_acc_200"].to_numpy()
    assert acc[~connected].max() < 15.0  # 10 classes: chance is 10%
    assert np.median(acc[connected]) > 80.0


@given(op_tuples)
def test_round_trips(ops):
    arch = Arch(ops)
    assert Arch.from_str(str(arch)) == arch
    assert Arch.from_index(arch.index) == arch
    assert Arch.from_ops(arch.ops) == arch
    assert as_arch(arch.index) == as_arch(str(arch)) == arch
    assert hash(Arch.from_str(str(arch))) == hash(arch)
    assert pickle.loads(pickle.dumps(arch)) == arch


@given(op_tuples)
def test_connectivity_matches_a_graph_search(ops):
    arch = Arch(ops)
    live = {
        (s, d)
        for (s, d), op in zip(((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)), arch.ops)
        if op != "none"
    }
    frontier, seen = [0], {0}
    while frontier:
        node = frontier.pop()
        for s, d in live:
            if s == node and d not in seen:
                seen.add(d)
                frontier.append(d)
    assert arch.is_connected() == (3 in seen)


def test_as_indices_vectorised():
    idx = np.array([5, 0, 15624])
    assert as_indices(idx).tolist() == [5, 0, 15624]
    mixed = [Arch.from_index(7), 3, str(Arch.from_index(9))]
    assert as_indices(mixed).tolist() == [7, 3, 9]
    assert int(as_indices(INDEX0)) == 0


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("|conv~0|", "conv"),
        ("|none~0|+|none~0|none~1|", "2"),
        ("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", "none~2"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|zero~2|", "zero"),
        ("none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "none~0|"),
    ],
)
def test_bad_strings_name_the_offending_token(text, token):
    with pytest.raises(InvalidArchError) as info:
        Arch.from_str(text)
    assert isinstance(info.value, ValueError) and isinstance(info.value, SurrogateNBError)
    assert token in str(info.value)
    assert "expected" in str(info.value)


@pytest.mark.parametrize("value", [15625, -1, 10**9])
def test_bad_index(value):
    with pytest.raises(InvalidArchError, match=r"0\.\.15624"):
        Arch.from_index(value)
    with pytest.raises(InvalidArchError, match=str(value)):
        as_indices(np.array([0, value]))


def test_bad_ops():
    with pytest.raises(InvalidArchError, match="'conv'"):
        Arch.from_ops(["conv"] * 6)
    with pytest.raises(InvalidArchError, match="6 ops"):
        Arch.from_ops(["none"] * 5)
    with pytest.raises(InvalidArchError, match="out of range"):
        Arch((0, 0, 0, 0, 0, 5))


def test_errors_survive_pickling():
    with pytest.raises(InvalidArchError) as info:
        Arch.from_str("|conv~0|")
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value) and again.token == "conv"


def test_space_interface():
    rng = np.random.default_rng(0)
    space = get_space("nb201")
    assert space is NB201 and space.size == NUM_ARCHS == len(space)

    class Unsized(type(NB201)):
        size = None

    with pytest.raises(TypeError, match="no finite size"):
        len(Unsized())
    a = space.sample(rng)
    neighbours = space.neighbours(a)
    assert len(neighbours) == 6 * 4 and a not in neighbours
    assert all(sum(x != y for x, y in zip(a.op_ids, n.op_ids)) == 1 for n in neighbours)
    assert space.encode([a, a.index], "onehot").shape == (2, 30)


def test_isomorphism_classes_group_cells():
    classes: dict[str, list[Arch]] = defaultdict(list)
    for a in all_archs():
        classes[a.unique_str()].append(a)
    # the all-'none' class holds every cell whose output is identically zero
    zero = [a for a in all_archs() if a.unique_str() == "#+#+#"]
    assert all(not a.is_connected() for a in zero)
    assert max(len(v) for v in classes.values()) == 275
