"""NB-101 network size in closed form: vertex channels, parameter and FLOP counts (no torch).

The network (official ``nasbench/lib/model_builder.py``): stem conv3x3-BN-ReLU with 128 channels,
3 stacks of 3 cells, a 2x2 max-pool and doubled channels before stacks 2 and 3 (128, 256, 512),
global average pool, dense layer. Inside a cell the output channels are split over the vertices
that feed the output (`vertex_channels`), the input reaches interior vertices through 1x1
conv-BN-ReLU projections, and an input -> output edge adds a projection to the concatenation.

Parameters count what TensorFlow counted as trainable: conv kernels (no bias), BN gamma and
beta, dense weights and bias. FLOPs are multiply-adds of convolutions and the dense layer (bias
included; pooling, BN, ReLU, adds not counted), NB201's counter convention, 32 x 32 input.
`surrogate_nb.space.nb101_network` builds the module; the tests check both counts against it,
and the parameter count against the published ``trainable_parameters`` of 20,001 cells.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from surrogate_nb.space.nb101_cell import Cell
from surrogate_nb.space.nb101_index import OPS

STEM_CHANNELS = 128
NUM_STACKS = 3
CELLS_PER_STACK = 3


def vertex_channels(c_in: int, c_out: int, matrix: Sequence[Sequence[int]]) -> list[int]:
    """Channels of every vertex (official ``compute_vertex_channels``) of a pruned cell."""
    n = len(matrix)
    ch = [0] * n
    ch[0], ch[n - 1] = c_in, c_out
    if n == 2:
        return ch
    fan_in = sum(matrix[v][n - 1] for v in range(1, n - 1))
    share, extra = divmod(c_out, fan_in)
    for v in range(1, n - 1):
        if matrix[v][n - 1]:
            ch[v] = share + (1 if extra > 0 else 0)
            extra -= 1
    for v in range(n - 3, 0, -1):
        if not matrix[v][n - 1]:
            for dst in range(v + 1, n - 1):
                if matrix[v][dst]:
                    ch[v] = max(ch[v], ch[dst])
    return ch


def _conv_bn(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + 2 * c_out


def _cell_costs(cell: Cell, c_in: int, c_out: int, hw: int) -> tuple[int, int]:
    """(params, multiply-adds) of one cell at spatial size hw x hw."""
    m, n = cell.matrix, cell.num_vertices
    ch = vertex_channels(c_in, c_out, m)
    params = flops = 0
    for t in range(1, n - 1):
        if m[0][t]:
            params += _conv_bn(1, c_in, ch[t])
            flops += c_in * ch[t] * hw * hw
        k = {OPS[0]: 3, OPS[1]: 1}.get(cell.ops[t])
        if k is not None:
            params += _conv_bn(k, ch[t], ch[t])
            flops += k * k * ch[t] * ch[t] * hw * hw
    if m[0][n - 1]:
        params += _conv_bn(1, c_in, c_out)
        flops += c_in * c_out * hw * hw
    return params, flops


def network_costs(
    cell: Cell, num_classes: int = 10, resolution: int = 32, in_channels: int = 3
) -> tuple[int, int]:
    """(trainable parameters, multiply-adds) of the NB-101 network of ``cell``."""
    params = _conv_bn(3, in_channels, STEM_CHANNELS)
    flops = 9 * in_channels * STEM_CHANNELS * resolution * resolution
    c_prev, hw = STEM_CHANNELS, resolution
    for stack in range(NUM_STACKS):
        c = STEM_CHANNELS * 2**stack
        if stack > 0:
            hw = (hw + 1) // 2  # 2x2 max-pool, 'same' padding
        for _ in range(CELLS_PER_STACK):
            p, f = _cell_costs(cell, c_prev, c, hw)
            params, flops, c_prev = params + p, flops + f, c
    params += c_prev * num_classes + num_classes
    flops += c_prev * num_classes + num_classes
    return params, flops


def count_params(cell: Cell, num_classes: int = 10) -> int:
    """Trainable parameters (equals the published ``trainable_parameters`` for 10 classes)."""
    return network_costs(cell, num_classes)[0]


def count_flops(cell: Cell, num_classes: int = 10, resolution: int = 32) -> float:
    """Multiply-adds in millions for one ``resolution`` x ``resolution`` image."""
    return network_costs(cell, num_classes, resolution)[1] / 1e6


def params_padded(adj: np.ndarray, ops: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Vectorised `count_params` over padded cells (see `nb101_encodings.padded_arrays`).

    Args:
        adj: (n, 7, 7) 0/1 adjacency with the output at vertex 6 and absent vertices unconnected.
        ops: (n, 7) op codes (0..2 interior ops, negative for input, output and absent vertices).

    Returns:
        (n,) int64 trainable parameters.
    """
    a = adj.astype(np.int64)
    n_cells, nv = a.shape[0], a.shape[1]
    out = nv - 1
    feeds = a[:, 1:out, out]  # interior vertices feeding the output
    fan_in = np.maximum(feeds.sum(axis=1), 1)
    rank = np.cumsum(feeds, axis=1)
    total = np.full(n_cells, _conv_bn(3, 3, STEM_CHANNELS), np.int64)
    from_input = a[:, 0, 1:out]
    o = ops[:, 1:out]
    c_prev = STEM_CHANNELS
    for stack in range(NUM_STACKS):
        c = STEM_CHANNELS * 2**stack
        # vertex channels depend on c only: once per stack, shared by its cells
        share, extra = np.divmod(c, fan_in)
        ch = np.zeros((n_cells, nv), np.int64)
        ch[:, 1:out] = np.where(feeds > 0, share[:, None] + (rank <= extra[:, None]), 0)
        for v in range(out - 1, 0, -1):
            fed = a[:, v, v + 1 : out] * ch[:, v + 1 : out]
            inner = fed.max(axis=1) if fed.shape[1] else np.zeros(n_cells, np.int64)
            ch[:, v] = np.where(feeds[:, v - 1] > 0, ch[:, v], inner)
        interior = ch[:, 1:out]
        convs = np.where(o == 0, 9 * interior * interior + 2 * interior, 0)
        convs += np.where(o == 1, interior * interior + 2 * interior, 0)
        fixed = convs.sum(axis=1) + 2 * (from_input * interior).sum(axis=1)
        projected = (from_input * interior).sum(axis=1)  # 1x1 projections of the cell input
        for _ in range(CELLS_PER_STACK):
            total += c_prev * projected + fixed + a[:, 0, out] * _conv_bn(1, c_prev, c)
            c_prev = c
    return total + c_prev * num_classes + num_classes
