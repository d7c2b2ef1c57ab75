"""NB-101 encodings and surrogate features, vectorised over cell indices.

Every cell is encoded through its representative graph (`surrogate_nb.space.nb101_index`), padded
to 7 vertices with the output at vertex 6, so each index has exactly one encoding.

Feature sets (`FEATURE_SETS`):

* ``onehot`` (36): the 21 upper-triangular adjacency bits + one-hot of the 5 interior ops
  (all zero for absent vertices);
* ``path`` (364): counts of input -> output paths by their op sequence (length 0..5, 3 ops);
* ``stats`` (25): op counts, vertices, edges, depth (longest path in edges), width (most
  vertices at one depth), number of input -> output paths, params (millions, closed form) and
  its log; per op: how many feed the output, how many the input feeds, deepest and shallowest
  depth; the input -> output edge, output fan-in, input fan-out;
* ``full``: ``stats`` + ``onehot`` + the one-hot of a partly canonical vertex order + ``path``
  (the default; 461 columns). Measured on 20,001 published cells (4,236 training cells,
  LightGBM): the role statistics and the canonical one-hot lift held-out Kendall τ from 0.831
  to 0.843.
* ``graph`` (112): the padded graph for graph networks (`surrogate_nb.space.graph`: header,
  7x7 adjacency, node kinds ``input, output, *OPS``) + ``stats``.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.space.graph import GraphLayout, graph_features, graph_names
from surrogate_nb.space.nb101_cell import Cell
from surrogate_nb.space.nb101_cost import params_padded
from surrogate_nb.space.nb101_index import MAX_VERTICES, OPS, shared_index

V = MAX_VERTICES
_TRIU = [(i, j) for j in range(V) for i in range(j)]  # official bit order, padded layout
_MAX_LEN = V - 2
_OFFSETS = np.cumsum([0] + [3**k for k in range(_MAX_LEN + 1)])  # start id per path length
N_PATHS = int(_OFFSETS[-1])  # 364
_CHUNK = 32768
#: Node kinds of the ``graph`` set: input, output, then `OPS`.
GRAPH_KINDS: tuple[str, ...] = ("input", "output", *OPS)
GRAPH_LAYOUT = GraphLayout(nodes=V, kinds=len(GRAPH_KINDS), output_kind=1)


def _path_names() -> list[str]:
    short = ("c3", "c1", "mp")
    names = []
    for length in range(_MAX_LEN + 1):
        for seq in itertools.product(range(3), repeat=length):
            names.append("path_" + ("-".join(short[o] for o in seq) or "skip"))
    return names


def _path_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every input -> output route through increasing interior vertices (2**5 = 32 of them):
    edges (32, 6, 2) as (from, to) pairs padded with (0, 0), interior vertices (32, 5) padded
    with 0, and each route's number of interior vertices (32,)."""
    routes = [c for k in range(_MAX_LEN + 1) for c in itertools.combinations(range(1, V - 1), k)]
    edges = np.zeros((len(routes), _MAX_LEN + 1, 2), np.int64)
    verts = np.zeros((len(routes), _MAX_LEN), np.int64)
    for r, route in enumerate(routes):
        hops = list(zip((0, *route), (*route, V - 1)))
        edges[r, : len(hops)] = hops
        verts[r, : len(route)] = route
    return edges, verts, np.asarray([len(c) for c in routes], np.int64)


_ROUTE_EDGES, _ROUTE_VERTS, _ROUTE_LEN = _path_table()
#: Which of a route's 6 hop slots are real, and the base-3 weight of each of its vertices' op.
_ROUTE_HOP = np.arange(_MAX_LEN + 1)[None, :] <= _ROUTE_LEN[:, None]
_ROUTE_WEIGHT = np.where(
    np.arange(_MAX_LEN)[None, :] < _ROUTE_LEN[:, None],
    3 ** np.maximum(_ROUTE_LEN[:, None] - 1 - np.arange(_MAX_LEN)[None, :], 0),
    0,
)


def padded_arrays(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(adjacency (n, 7, 7) int8, ops (n, 7) int8) of the cells' representatives, padded.

    Ops: 0..2 index into `OPS`, -1 input, -2 output, -3 absent vertex.
    """
    index = shared_index()
    nv = index.vertices[indices].astype(np.int64)
    bits = index.edge_bits[indices].astype(np.int64)
    codes = index.op_codes[indices].astype(np.int64)
    n = len(indices)
    adj = np.zeros((n, V, V), np.int8)
    ops = np.full((n, V), -3, np.int8)
    ops[:, 0] = -1
    ops[:, V - 1] = -2
    for k in range(2, V + 1):
        sel = np.flatnonzero(nv == k)
        if not sel.size:
            continue
        b, c = bits[sel], codes[sel]
        pos = [*range(k - 1), V - 1]  # vertex position in the padded layout
        for y in range(1, k):
            for x in range(y):
                adj[sel, pos[x], pos[y]] = (b >> (x + y * (y - 1) // 2)) & 1
        for v in range(1, k - 1):
            ops[sel, v] = c % 3
            c = c // 3
    return adj, ops


def _onehot(adj: np.ndarray, ops: np.ndarray) -> np.ndarray:
    bits = np.stack([adj[:, i, j] for i, j in _TRIU], axis=1).astype(np.float32)
    interior = ops[:, 1 : V - 1]
    oh = (interior[:, :, None] == np.arange(3)[None, None, :]).astype(np.float32)
    return np.concatenate([bits, oh.reshape(len(ops), -1)], axis=1)


def _paths(adj: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """Path counts by op sequence: each of the 32 routes (`_path_table`) is a path when all its
    edges exist; its id is the offset of its length + its ops read as a base-3 number."""
    n = len(adj)
    edge_on = adj.astype(bool)[:, _ROUTE_EDGES[..., 0], _ROUTE_EDGES[..., 1]]  # (n, 32, 6)
    rows, routes = np.nonzero((edge_on | ~_ROUTE_HOP[None]).all(axis=2))
    digits = ops[rows[:, None], _ROUTE_VERTS[routes]].astype(np.int64)  # (paths, 5)
    ids = _OFFSETS[_ROUTE_LEN[routes]] + (digits * _ROUTE_WEIGHT[routes]).sum(axis=1)
    counts = np.bincount(rows * N_PATHS + ids, minlength=n * N_PATHS)
    return counts.reshape(n, N_PATHS).astype(np.float32)


def _width(adj: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Most interior vertices at one depth (absent vertices and the output not counted)."""
    present = adj[:, :, 1 : V - 1].any(axis=1)
    interior = depth[:, 1 : V - 1]
    return np.stack([((interior == d) & present).sum(axis=1) for d in range(1, V)], 1).max(1)


def _depths(adj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(longest path from the input, longest path to the output) of every vertex, (n, 7)."""
    a = adj.astype(bool)
    n = len(a)
    depth = np.zeros((n, V), np.int64)
    for v in range(1, V):
        depth[:, v] = np.where(a[:, :v, v], depth[:, :v] + 1, 0).max(axis=1)
    height = np.zeros((n, V), np.int64)
    for v in range(V - 2, -1, -1):
        height[:, v] = np.where(a[:, v, v + 1 :], height[:, v + 1 :] + 1, 0).max(axis=1)
    return depth, height


def _roles(adj: np.ndarray, ops: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Where each op sits: per op, vertices feeding the output, fed by the input, and its
    deepest and shallowest depth; then the input->output edge, output fan-in, input fan-out."""
    a = adj.astype(bool)
    cols = []
    for o in range(3):
        m = ops == o
        cols += [
            (m & a[:, :, V - 1]).sum(axis=1),
            (m & a[:, 0, :]).sum(axis=1),
            np.where(m, depth, -1).max(axis=1),
            np.where(m, depth, V).min(axis=1),
        ]
    cols += [a[:, 0, V - 1], a[:, :, V - 1].sum(axis=1), a[:, 0, :].sum(axis=1)]
    return np.column_stack(cols).astype(np.float32)


def _canonical_onehot(
    adj: np.ndarray, ops: np.ndarray, depth: np.ndarray, height: np.ndarray
) -> np.ndarray:
    """`_onehot` after ordering the interior vertices by (depth, op, height, out-degree): a
    partial canonical form, so isomorphic cells mostly share it whatever their representative."""
    outdeg = adj.astype(np.int64).sum(axis=2)
    key = depth * 1000 + np.where(ops >= 0, ops, 9) * 100 + height * 10 + outdeg
    key = np.where(ops != -3, key, 10**6)
    key[:, 0], key[:, V - 1] = -1, 10**7
    order = np.argsort(key, axis=1, kind="stable")
    a = np.take_along_axis(np.take_along_axis(adj, order[:, :, None], 1), order[:, None, :], 2)
    return _onehot(a, np.take_along_axis(ops, order, 1))


def _stats(adj: np.ndarray, ops: np.ndarray, paths: np.ndarray, depth: np.ndarray) -> np.ndarray:
    counts = np.stack([(ops == o).sum(axis=1) for o in range(3)], axis=1)
    nv = (ops != -3).sum(axis=1)
    ne = adj.reshape(len(adj), -1).sum(axis=1)
    width = _width(adj, depth)
    n_paths = paths.sum(axis=1)
    params = params_padded(adj, ops) / 1e6
    return np.column_stack([counts, nv, ne, depth[:, V - 1], width, n_paths, params]).astype(
        np.float32
    )


STAT_NAMES: tuple[str, ...] = (
    "n_conv3x3",
    "n_conv1x1",
    "n_maxpool",
    "n_vertices",
    "n_edges",
    "depth",
    "width",
    "n_paths",
    "params_m",
    "log_params",
    *(
        f"{op}_{role}"
        for op in ("conv3x3", "conv1x1", "maxpool")
        for role in ("to_output", "from_input", "max_depth", "min_depth")
    ),
    "input_to_output",
    "output_fan_in",
    "input_fan_out",
)


def _encode_chunk(indices: np.ndarray, features: str) -> np.ndarray:
    adj, ops = padded_arrays(indices)
    if features == "onehot":
        return _onehot(adj, ops)
    paths = _paths(adj, ops)
    if features == "path":
        return paths
    depth, height = _depths(adj)  # once per chunk: stats, roles and the canonical order use it
    stats = _stats(adj, ops, paths, depth)
    stats = np.column_stack([stats, np.log(stats[:, -1]), _roles(adj, ops, depth)])
    stats = stats.astype(np.float32)
    if features == "stats":
        return stats
    if features == "graph":
        kind = np.where(ops >= 0, ops + 2, np.where(ops == -1, 0, np.where(ops == -2, 1, -1)))
        node_onehot = kind[:, :, None] == np.arange(len(GRAPH_KINDS))[None, None, :]
        return graph_features(GRAPH_LAYOUT, adj, node_onehot, stats)
    canonical = _canonical_onehot(adj, ops, depth, height)
    return np.concatenate([stats, _onehot(adj, ops), canonical, paths], axis=1)


FEATURE_SETS: tuple[str, ...] = ("onehot", "path", "stats", "full", "graph")


def featurize(indices: np.ndarray, features: str = "full") -> np.ndarray:
    """Feature matrix (n, d) float32 of cells given by index (see module docstring)."""
    if features not in FEATURE_SETS:
        raise UnknownKeyError("feature set", features, FEATURE_SETS)
    idx = np.atleast_1d(np.asarray(indices, dtype=np.int64))
    parts = [_encode_chunk(idx[k : k + _CHUNK], features) for k in range(0, len(idx), _CHUNK)]
    if not parts:
        return np.zeros((0, len(feature_names(features))), np.float32)
    return np.concatenate(parts, axis=0)


def feature_names(features: str = "full") -> list[str]:
    """Column names of `featurize(..., features)`."""
    onehot = [f"e{i}{j}" for i, j in _TRIU] + [f"v{v}_{op}" for v in range(1, V - 1) for op in OPS]
    names = {
        "onehot": onehot,
        "path": _path_names(),
        "stats": list(STAT_NAMES),
        "full": [*STAT_NAMES, *onehot, *(f"canon_{c}" for c in onehot), *_path_names()],
        "graph": graph_names(GRAPH_LAYOUT, GRAPH_KINDS, list(STAT_NAMES)),
    }
    if features not in names:
        raise UnknownKeyError("feature set", features, FEATURE_SETS)
    return names[features]


def encode(cells: list[Cell], features: str = "full") -> np.ndarray:
    """Features of `Cell` values (via their index)."""
    return featurize(np.asarray([c.index for c in cells], np.int64), features)


ENCODINGS = {name: functools.partial(encode, features=name) for name in FEATURE_SETS}
