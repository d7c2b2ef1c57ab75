"""The cell's wiring pinned by an independently stated rule, not by the code's own tables.

Rule (the NB201 string ``|a~0|+|b~0|c~1|+|d~0|e~1|f~2|``): group j (1..3) lists the ops into
node j; ``op~i`` feeds node i; node j = sum of its ops applied to their source nodes; the cell
outputs node 3. With only ``skip_connect`` (identity) and ``none`` (zero), node j is an integer
multiple of the input, so every one of the 64 skip/none cells has a known output multiple.
Planted bugs caught: an edge read from the wrong source, edges in another order, output taken
from another node, ``none`` not zeroing.
"""

from __future__ import annotations

import itertools

import torch

from surrogate_nb.network import InferCell
from surrogate_nb.space import Arch


def _expected_multiple(ops_by_group: list[list[str]]) -> int:
    node = [1]  # node 0 = the input
    for group in ops_by_group:
        node.append(sum(node[i] for i, op in enumerate(group) if op == "skip_connect"))
    return node[3]


def test_every_skip_none_cell_outputs_its_stated_multiple():
    x = torch.arange(1.0, 1.0 + 2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    for bits in itertools.product(("none", "skip_connect"), repeat=6):
        groups = [list(bits[0:1]), list(bits[1:3]), list(bits[3:6])]
        text = "+".join("|" + "|".join(f"{op}~{i}" for i, op in enumerate(g)) + "|" for g in groups)
        cell = InferCell(Arch.from_str(text), 3)
        with torch.no_grad():
            out = cell(x)
        torch.testing.assert_close(out, x * _expected_multiple(groups), rtol=0, atol=0)


def test_a_conv_edge_sits_where_the_string_puts_it():
    """The only conv (1x1 on ``op~1`` into node 3) sees node 1 = x; the rest is zero, so the
    output equals ReLU-conv-BN of x (computed here with functional ops)."""
    text = "|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|none~2|"
    torch.manual_seed(0)
    cell = InferCell(Arch.from_str(text), 3).eval()
    convs = [m for m in cell.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 1
    x = torch.randn(2, 3, 4, 4)
    with torch.no_grad():
        ref = torch.nn.functional.conv2d(torch.relu(x), convs[0].weight)
        bn = next(m for m in cell.modules() if isinstance(m, torch.nn.BatchNorm2d))
        ref = torch.nn.functional.batch_norm(
            ref, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps
        )
        torch.testing.assert_close(cell(x), ref)
