"""DARTS-space encodings and surrogate features, vectorised over ranks (`darts.decode`).

Feature sets (`FEATURE_SETS`; both cells, normal first):

* ``adjacency`` (196): per cell, the 14 possible edges (input → node, NB301's ConfigSpace edge
  ids) × 7 ops one-hot: NB301's own tree-model encoding, invariant to the order of a node's pairs;
* ``onehot`` (192): per cell and canonical pair, the one-hot of its input (0..4) and op (7);
* ``stats`` (24): per cell, op counts (7), how many pairs read c_{k-2} and c_{k-1}, the depth
  (longest chain of intermediate nodes, 1..4), the number of intermediate nodes that no later
  node reads, parametric ops (sep/dil convs);
* ``full`` (default, 412): ``stats`` + ``adjacency`` + ``onehot``;
* ``graph``: the line graph of both cells for graph networks (`surrogate_nb.space.graph`): per
  cell 11 nodes (c_{k-2}, c_{k-1}, the 8 ops, the cell output), an op node fed by the op nodes
  of its input node (or by the input node), the output fed by all 8 ops; both outputs feed one
  final node (23 nodes, read out there); node kinds per cell type, + ``stats``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.space.darts import NUM_OPS, NUM_PAIRS, OPS, SHORT, Genome, decode
from surrogate_nb.space.darts_forms import EDGE_START, NUM_EDGES
from surrogate_nb.space.graph import GraphLayout, graph_features, graph_names

FEATURE_SETS: tuple[str, ...] = ("full", "adjacency", "onehot", "stats", "graph")
_CELLS = ("n", "r")
_MAX_INPUT = 5
_PARAMETRIC = np.array([op.startswith(("sep", "dil")) for op in OPS])
_NODE_OF_PAIR = np.arange(NUM_PAIRS) // 2  # 0..3 = node 2..5
_EDGE_BASE = np.asarray(EDGE_START)[_NODE_OF_PAIR]
_CHUNK = 65536

# graph: per cell 11 nodes (0: c_{k-2}, 1: c_{k-1}, 2..9: pairs, 10: output); node 22 = final.
_PER_CELL = 11
GRAPH_KINDS: tuple[str, ...] = (
    *(f"{c}_{k}" for c in _CELLS for k in ("in0", "in1", *SHORT, "out")),
    "arch",
)
GRAPH_LAYOUT = GraphLayout(
    nodes=2 * _PER_CELL + 1, kinds=len(GRAPH_KINDS), output_kind=len(GRAPH_KINDS) - 1
)
_KINDS_PER_CELL = 10


def _adjacency(inputs: np.ndarray, ops: np.ndarray) -> np.ndarray:
    n = len(ops)
    out = np.zeros((n, 2, NUM_EDGES, NUM_OPS), np.float32)
    edge = _EDGE_BASE[None, None, :] + inputs
    r = np.arange(n)[:, None, None]
    c = np.arange(2)[None, :, None]
    out[r, c, edge, ops] = 1.0
    return out.reshape(n, -1)


def _onehot(inputs: np.ndarray, ops: np.ndarray) -> np.ndarray:
    n = len(ops)
    inp = np.eye(_MAX_INPUT, dtype=np.float32)[inputs]
    op = np.eye(NUM_OPS, dtype=np.float32)[ops]
    return np.concatenate([inp, op], -1).reshape(n, -1)


def _stats(inputs: np.ndarray, ops: np.ndarray) -> np.ndarray:
    n = len(ops)
    counts = np.stack([(ops == o).sum(-1) for o in range(NUM_OPS)], -1)  # (n, 2, 7)
    from_in = np.stack([(inputs == 0).sum(-1), (inputs == 1).sum(-1)], -1)  # (n, 2, 2)
    depth = np.zeros((n, 2, 6), np.int8)  # nodes 0..5
    for s in range(NUM_PAIRS):
        node = s // 2 + 2
        src = np.take_along_axis(depth, inputs[:, :, s : s + 1].astype(np.int64), -1)[..., 0]
        depth[:, :, node] = np.maximum(depth[:, :, node], src + 1)
    used = np.zeros((n, 2, 6), bool)
    np.put_along_axis(used, inputs.astype(np.int64), True, -1)
    loose = (~used[:, :, 2:]).sum(-1)
    parametric = _PARAMETRIC[ops].sum(-1)
    per_cell = np.concatenate(
        [counts, from_in, depth.max(-1)[..., None], loose[..., None], parametric[..., None]], -1
    )
    return per_cell.reshape(n, -1).astype(np.float32)


def _graph(inputs: np.ndarray, ops: np.ndarray, stats: np.ndarray) -> np.ndarray:
    n = len(ops)
    N, K = GRAPH_LAYOUT.nodes, GRAPH_LAYOUT.kinds
    adj = np.zeros((n, N, N), np.float32)
    kinds = np.zeros((n, N, K), np.float32)
    rows = np.arange(n)
    for c in range(2):
        base, kbase = c * _PER_CELL, c * _KINDS_PER_CELL
        kinds[:, base, kbase] = 1.0
        kinds[:, base + 1, kbase + 1] = 1.0
        out = base + 10
        kinds[:, out, kbase + 9] = 1.0
        adj[:, out, N - 1] = 1.0
        for s in range(NUM_PAIRS):
            me = base + 2 + s
            kinds[rows, me, kbase + 2 + ops[:, c, s]] = 1.0
            adj[:, me, out] = 1.0
            src = inputs[:, c, s].astype(np.int64)
            direct = src < 2
            adj[rows[direct], base + src[direct], me] = 1.0
            feeders = base + 2 + 2 * (src[~direct] - 2)  # the two pairs of input node src
            adj[rows[~direct], feeders, me] = 1.0
            adj[rows[~direct], feeders + 1, me] = 1.0
    kinds[:, N - 1, K - 1] = 1.0
    return graph_features(GRAPH_LAYOUT, adj, kinds, stats)


def _encode_chunk(indices: np.ndarray, features: str) -> np.ndarray:
    inputs, ops = decode(indices)
    if features == "adjacency":
        return _adjacency(inputs, ops)
    if features == "onehot":
        return _onehot(inputs, ops)
    stats = _stats(inputs, ops)
    if features == "stats":
        return stats
    if features == "graph":
        return _graph(inputs, ops, stats)
    return np.concatenate([stats, _adjacency(inputs, ops), _onehot(inputs, ops)], 1)


def _check(features: str) -> None:
    if features not in FEATURE_SETS:
        raise UnknownKeyError("DARTS feature set", features, FEATURE_SETS)


def featurize(indices: np.ndarray, features: str = "full") -> np.ndarray:
    """(n, d) float32 features of the pairs with these ranks."""
    _check(features)
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    parts = [_encode_chunk(idx[i : i + _CHUNK], features) for i in range(0, len(idx), _CHUNK)]
    if not parts:
        return np.zeros((0, len(feature_names(features))), np.float32)
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


@functools.cache
def _names(features: str) -> tuple[str, ...]:
    stats = [
        f"{c}_{name}"
        for c in _CELLS
        for name in (
            *(f"count_{s}" for s in SHORT),
            "from_in0",
            "from_in1",
            "depth",
            "loose",
            "parametric",
        )
    ]
    adjacency = [f"{c}_e{e}_{s}" for c in _CELLS for e in range(NUM_EDGES) for s in SHORT]
    onehot = [
        f"{c}_p{p}_{what}"
        for c in _CELLS
        for p in range(NUM_PAIRS)
        for what in (*(f"in{i}" for i in range(_MAX_INPUT)), *SHORT)
    ]
    if features == "stats":
        return tuple(stats)
    if features == "adjacency":
        return tuple(adjacency)
    if features == "onehot":
        return tuple(onehot)
    if features == "graph":
        return tuple(graph_names(GRAPH_LAYOUT, GRAPH_KINDS, stats))
    return tuple(stats + adjacency + onehot)


def feature_names(features: str = "full") -> list[str]:
    """Column names of `featurize(..., features)`."""
    _check(features)
    return list(_names(features))


def encode(archs: Sequence[Genome], features: str = "full") -> np.ndarray:
    """Feature matrix of Genome values."""
    return featurize(np.fromiter((g.index for g in archs), np.int64, len(archs)), features)


ENCODINGS = {name: functools.partial(encode, features=name) for name in FEATURE_SETS}
