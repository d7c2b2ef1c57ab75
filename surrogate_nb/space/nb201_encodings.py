"""Feature encodings of NB201 cells, and converters to the encodings of other tools.

Encodings (all float32, one row per cell, in the order the cells were given):

* ``onehot`` (n, 30): edge-major, 5 ops per edge in `OPS` order, edges in `EDGES` order.
* ``path`` (n, 155): NB201's 4 input→output paths (0→3; 0→1→3, 0→2→3; 0→1→2→3) as op sequences:
  5 slots for length-1 sequences, 25 for length 2, 125 for length 3 (`OPS` ids as base-5 digits,
  first edge of the path most significant). A slot counts how many paths carry that sequence
  (the two length-2 paths may share one). Paths through `none` are kept: they are dead, and the
  model can learn that from the `none` digit.
* ``graph``: `graph_encoding` gives the op-on-node DAG (8 nodes: input, the 6 edge ops, output) as
  an adjacency matrix and one-hot node features, the form GCN / transformer predictors take.

Converters: NASLib's `op_indices` (edge order (1,2),(1,3),(1,4),(2,3),(2,4),(3,4) in 1-based nodes,
i.e. 0→1, 0→2, 0→3, 1→2, 1→3, 2→3, and op order `NASLIB_OPS`) and syne-tune's blackbox-repository
configuration (``hp_x0`` .. ``hp_x5`` = op names in NB201 string order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.space.nb201_cell import EDGES, NUM_EDGES, NUM_OPS, OPS, Arch, as_arch

#: Input→output paths as tuples of edge positions (into `EDGES`), in a fixed order.
PATHS: tuple[tuple[int, ...], ...] = ((3,), (0, 4), (1, 5), (0, 2, 5))
PATH_DIM = NUM_OPS + NUM_OPS**2 + NUM_OPS**3  # 155
ONEHOT_DIM = NUM_EDGES * NUM_OPS  # 30

#: NASLib's NB201 op order (`OP_NAMES` there: Identity, Zero, ReLUConvBN3x3, ReLUConvBN1x1,
#: AvgPool1x1 — the last is a 3x3 average pool despite its name).
NASLIB_OPS: tuple[str, ...] = (
    "skip_connect",
    "none",
    "nor_conv_3x3",
    "nor_conv_1x1",
    "avg_pool_3x3",
)
#: NASLib's edge order, as positions into our `EDGES`.
NASLIB_EDGE_ORDER: tuple[int, ...] = (0, 1, 3, 2, 4, 5)
SYNETUNE_KEYS: tuple[str, ...] = tuple(f"hp_x{i}" for i in range(NUM_EDGES))


def _archs(archs: Sequence[object]) -> list[Arch]:
    return [as_arch(a) for a in archs]


def _op_matrix(archs: Sequence[object]) -> np.ndarray:
    return np.asarray([a.op_ids for a in _archs(archs)], dtype=np.int64).reshape(-1, NUM_EDGES)


def onehot(archs: Sequence[object]) -> np.ndarray:
    """(n, 30) float32 one-hot of each edge's op."""
    ops = _op_matrix(archs)
    out = np.zeros((len(ops), NUM_EDGES, NUM_OPS), dtype=np.float32)
    rows = np.arange(len(ops))[:, None]
    out[rows, np.arange(NUM_EDGES)[None, :], ops] = 1.0
    return out.reshape(len(ops), ONEHOT_DIM)


def path_encoding(archs: Sequence[object]) -> np.ndarray:
    """(n, 155) float32 counts of op sequences along the 4 input→output paths."""
    ops = _op_matrix(archs)
    out = np.zeros((len(ops), PATH_DIM), dtype=np.float32)
    offsets = {1: 0, 2: NUM_OPS, 3: NUM_OPS + NUM_OPS**2}
    rows = np.arange(len(ops))
    for path in PATHS:
        slot = np.zeros(len(ops), dtype=np.int64)
        for edge in path:
            slot = slot * NUM_OPS + ops[:, edge]
        np.add.at(out, (rows, offsets[len(path)] + slot), 1.0)
    return out


#: Node features of the op-on-node graph: [input, output, *OPS].
GRAPH_NODE_TYPES: tuple[str, ...] = ("input", "output", *OPS)
GRAPH_NUM_NODES = NUM_EDGES + 2


def graph_encoding(arch: object) -> tuple[np.ndarray, np.ndarray]:
    """Op-on-node DAG of one cell.

    Node 0 is the cell input, nodes 1..6 the edges in `EDGES` order (each labelled with its op),
    node 7 the output. An edge-node feeds every edge-node that leaves its target node; edges into
    cell node 3 feed the output.

    Returns:
        (adjacency (8, 8) float32 with adj[i, j] = 1 for i → j, features (8, 7) float32 one-hot
        over `GRAPH_NODE_TYPES`).
    """
    a = as_arch(arch)
    adj = np.zeros((GRAPH_NUM_NODES, GRAPH_NUM_NODES), dtype=np.float32)
    for e, (src, dst) in enumerate(EDGES):
        if src == 0:
            adj[0, e + 1] = 1.0
        for f, (src2, _dst2) in enumerate(EDGES):
            if src2 == dst:
                adj[e + 1, f + 1] = 1.0
        if dst == 3:
            adj[e + 1, GRAPH_NUM_NODES - 1] = 1.0
    feats = np.zeros((GRAPH_NUM_NODES, len(GRAPH_NODE_TYPES)), dtype=np.float32)
    feats[0, 0] = 1.0
    feats[-1, 1] = 1.0
    for e, op in enumerate(a.op_ids):
        feats[e + 1, 2 + op] = 1.0
    return adj, feats


def graph_batch(archs: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    """`graph_encoding` stacked: adjacency (n, 8, 8) and features (n, 8, 7)."""
    pairs = [graph_encoding(a) for a in archs]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def graph_flat(archs: Sequence[object]) -> np.ndarray:
    """The graph form flattened to a feature matrix (n, 64 + 56), for the encoding registry."""
    adj, feats = graph_batch(archs)
    return np.concatenate([adj.reshape(len(adj), -1), feats.reshape(len(feats), -1)], axis=1)


# ---- other tools' encodings ---------------------------------------------------------------------


def to_naslib(arch: object) -> list[int]:
    """NASLib's ``op_indices`` (six ints) for a cell."""
    a = as_arch(arch)
    return [NASLIB_OPS.index(a.ops[e]) for e in NASLIB_EDGE_ORDER]


def from_naslib(op_indices: Sequence[int]) -> Arch:
    """A cell from NASLib's ``op_indices``."""
    if isinstance(op_indices, str) or len(op_indices) != NUM_EDGES:
        raise InvalidArchError(
            f"NASLib op_indices must be {NUM_EDGES} ints, got {op_indices!r}", op_indices
        )
    ops: list[str] = [""] * NUM_EDGES
    for pos, (edge, idx) in enumerate(zip(NASLIB_EDGE_ORDER, op_indices)):
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)) or not 0 <= idx < 5:
            raise InvalidArchError(
                f"NASLib op index {idx!r} at position {pos} must be an int in 0..4 ({NASLIB_OPS})",
                op_indices,
                idx,
            )
        ops[edge] = NASLIB_OPS[int(idx)]
    return Arch.from_ops(ops)


def to_syne_tune(arch: object) -> dict[str, str]:
    """syne-tune's NB201 blackbox configuration ``{"hp_x0": op, ..., "hp_x5": op}``."""
    return dict(zip(SYNETUNE_KEYS, as_arch(arch).ops))


def from_syne_tune(config: Mapping[str, str]) -> Arch:
    """A cell from a syne-tune NB201 configuration."""
    missing = [k for k in SYNETUNE_KEYS if k not in config]
    if missing:
        raise InvalidArchError(
            f"syne-tune NB201 configuration lacks {missing}; expected keys {list(SYNETUNE_KEYS)}",
            dict(config),
            missing[0],
        )
    return Arch.from_ops([config[k] for k in SYNETUNE_KEYS])


ENCODINGS: dict[str, Callable[[Sequence[object]], np.ndarray]] = {
    "onehot": onehot,
    "path": path_encoding,
    "graph": graph_flat,
}
