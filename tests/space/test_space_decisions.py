"""Decisions of the space layer fed known inputs (issue 22): NB-101's edge limit applies after
pruning; `unique_mapping` picks the smallest index of a class whatever the input order."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.exhaustive.build import unique_mapping
from surrogate_nb.space import Arch
from surrogate_nb.space.nb101 import Cell

C3, C1, MP = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"


def _matrix(edges, n=7):
    m = np.zeros((n, n), int)
    for a, b in edges:
        m[a, b] = 1
    return m


MAIN = [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (2, 3), (3, 4), (4, 6), (1, 6)]  # 9 edges


def test_nb101_edge_limit_counts_edges_after_pruning():
    """Vertex 5 feeds nothing (a dead end): its two edges are pruned, leaving 9 edges, so the
    spec is a valid cell although it lists 11."""
    m = _matrix([*MAIN, (0, 5), (1, 5)])
    assert m.sum() == 11
    cell = Cell.from_spec(m, ["input", C3, C1, MP, C3, C1, "output"])
    assert cell.num_edges == 9 and cell.num_vertices == 6
    pruned = Cell.from_spec(_matrix([(a - (a > 5), b - (b > 5)) for a, b in MAIN], 6),
                            ["input", C3, C1, MP, C3, "output"])  # fmt: skip
    assert cell.module_hash == pruned.module_hash


def test_nb101_ten_edges_after_pruning_are_refused():
    m = _matrix([*MAIN, (2, 6)])
    with pytest.raises(InvalidArchError, match="10 edges; allowed at most 9"):
        Cell.from_spec(m, ["input", C3, C1, MP, C3, C1, "output"])


def _a_class_with_two_members(limit: int = 400) -> tuple[int, int]:
    seen: dict[str, int] = {}
    for c in range(limit):
        key = Arch.from_index(c).unique_str()
        if key in seen:
            return seen[key], c
        seen[key] = c
    raise AssertionError("no isomorphic pair in the first cells")


def test_unique_mapping_picks_the_smallest_member_whatever_the_order():
    lo, hi = _a_class_with_two_members()
    assert lo < hi
    for cells in ([hi, lo], [lo, hi], [hi, 7, lo]):
        m = unique_mapping(cells)
        assert m[hi] == lo and m[lo] == lo
    cells = list(range(300))
    assert unique_mapping(cells[::-1]) == unique_mapping(cells)
    assert unique_mapping([hi]) == {hi: hi}  # the smallest among the given cells
