"""Feature pipeline for NB201 surrogates: space encodings plus cheap, structure-aware statistics.

Every feature is a function of the cell's six ops only, so the whole table (15,625 cells) is
computed once per process in about a second and cached in memory (`_table`); nothing is written to
disk. Feature sets (`FEATURE_SETS`):

* ``onehot`` (30) and ``path`` (155): the space's encodings (`surrogate_nb.space.nb201_encodings`).
* ``stats``: the statistics below, computed on the *effective* cell.
* ``full``: ``stats`` + the one-hot of the effective cell (the default for the tree models).
* ``graph``: the op-on-node DAG (`nb201_encodings.graph_encoding`: 8 nodes, kinds
  ``input, output, *OPS``) in the layout of `surrogate_nb.space.graph`, + ``stats``; for graph
  networks.

The effective cell: an edge is *live* when it is not ``none`` and lies on an input→output path of
non-``none`` edges; every other edge behaves like ``none`` (its output never reaches the cell
output, or its input is always zero). Isomorphic cells (same NATS-Bench ``unique_str``) therefore
share the path-level statistics listed in `INVARIANT_STATS` (`tests/regressors/test_features.py`
checks this over all cells); the edge-level ones (effective one-hot, op counts) still tell a few
isomorphic cells apart. Per-path features use NB201's 4 input→output paths (0→3; 0→1→3;
0→2→3; 0→1→2→3); the two length-2 paths are also given sorted (a symmetric pair), so
swapping nodes 1 and 2 does not change them.

``params_m`` / ``flops_m`` are NB201's counters in closed form (10 classes, 32×32 input):
every conv of every cell counts, dead or not (as the counters do), so each is an affine function
of the number of ``nor_conv_3x3`` and ``nor_conv_1x1`` edges. The coefficients follow from the
TinyNetwork layout (5 cells at C = 16, 32, 64; resolutions 32, 16, 8):
conv3x3 per edge = Σ_C 5·(9C² + 2C) params and Σ 5·9C²·HW MACs; conv1x1 = Σ 5·(C² + 2C) and
Σ 5·C²·HW. `effective_params_m` / `effective_flops_m` count live convs only.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.space.graph import GraphLayout, graph_features, graph_names
from surrogate_nb.space.nb201_cell import (
    EDGES,
    NUM_ARCHS,
    NUM_EDGES,
    NUM_OPS,
    OPS,
    Arch,
    as_indices,
)
from surrogate_nb.space.nb201_encodings import (
    GRAPH_NODE_TYPES,
    GRAPH_NUM_NODES,
    PATHS,
    graph_batch,
    onehot,
    path_encoding,
)

GRAPH_LAYOUT = GraphLayout(nodes=GRAPH_NUM_NODES, kinds=len(GRAPH_NODE_TYPES), output_kind=1)

#: Op ids, positions in `OPS` (none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3).
NONE, SKIP, CONV1, CONV3, POOL = (
    OPS.index(op) for op in ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
)

# ---- closed-form network counters (10 classes, 32x32 input, C=16, N=5) -------------------------
_CHANNELS = (16, 32, 64)
_RESOLUTIONS = (32, 16, 8)
_CELLS_PER_STAGE = 5
#: All-``none`` network (stem, two ResNet blocks, classifier) as NB201's counters report it.
PARAMS_BASE_M = 0.073306
FLOPS_BASE_M = 7.78305
#: Extra params / MACs (millions) per conv edge, summed over the 15 cells.
PARAMS_PER_CONV3_M = sum(_CELLS_PER_STAGE * (9 * c * c + 2 * c) for c in _CHANNELS) / 1e6
PARAMS_PER_CONV1_M = sum(_CELLS_PER_STAGE * (c * c + 2 * c) for c in _CHANNELS) / 1e6
FLOPS_PER_CONV3_M = (
    sum(_CELLS_PER_STAGE * 9 * c * c * r * r for c, r in zip(_CHANNELS, _RESOLUTIONS)) / 1e6
)
FLOPS_PER_CONV1_M = (
    sum(_CELLS_PER_STAGE * c * c * r * r for c, r in zip(_CHANNELS, _RESOLUTIONS)) / 1e6
)


#: Statistics that are equal for all cells of an isomorphism class (NATS-Bench ``unique_str``);
#: checked over all 15,625 cells in the tests. The others depend on which edge carries what
#: (e.g. a conv feeding two skip paths counts once as an edge, twice in the class string).
INVARIANT_STATS: tuple[str, ...] = (
    "connected",
    "n_live_paths",
    "max_conv_depth",
    "min_conv_depth",
    "max_conv3_depth",
    "n_conv_free_paths",
    "n_skip_only_paths",
    "n_pool_paths",
    "sum_path_conv",
    "sum_path_conv3",
    "sum_path_conv1",
    "sum_path_pool",
)


def _live_edges(ops: Sequence[int]) -> list[bool]:
    """Which edges lie on an input→output path of non-``none`` edges."""
    fwd = {0}
    for (s, d), op in zip(EDGES, ops):  # EDGES are in topological order
        if op != NONE and s in fwd:
            fwd.add(d)
    bwd = {3}
    for (s, d), op in reversed(list(zip(EDGES, ops))):
        if op != NONE and d in bwd:
            bwd.add(s)
    return [op != NONE and s in fwd and d in bwd for (s, d), op in zip(EDGES, ops)]


def _stat_row(ops: tuple[int, ...]) -> tuple[list[str], list[float]]:
    live = _live_edges(ops)
    eff = [op if lv else NONE for op, lv in zip(ops, live)]
    names: list[str] = []
    vals: list[float] = []

    def add(name: str, value: float) -> None:
        names.append(name)
        vals.append(float(value))

    for k, op in enumerate(OPS):
        add(f"n_{op}", sum(o == k for o in ops))
    for k, op in enumerate(OPS):
        add(f"eff_n_{op}", sum(o == k for o in eff))
    n3, n1 = sum(o == CONV3 for o in ops), sum(o == CONV1 for o in ops)
    e3, e1 = sum(o == CONV3 for o in eff), sum(o == CONV1 for o in eff)
    add("params_m", PARAMS_BASE_M + n3 * PARAMS_PER_CONV3_M + n1 * PARAMS_PER_CONV1_M)
    add("flops_m", FLOPS_BASE_M + n3 * FLOPS_PER_CONV3_M + n1 * FLOPS_PER_CONV1_M)
    add("effective_params_m", PARAMS_BASE_M + e3 * PARAMS_PER_CONV3_M + e1 * PARAMS_PER_CONV1_M)
    add("effective_flops_m", FLOPS_BASE_M + e3 * FLOPS_PER_CONV3_M + e1 * FLOPS_PER_CONV1_M)
    add("connected", any(live))
    add("n_live_edges", sum(live))

    path_stats = []
    for p, path in enumerate(PATHS):
        seq = [eff[e] for e in path]
        is_live = all(o != NONE for o in seq)
        c3 = sum(o == CONV3 for o in seq) if is_live else 0
        c1 = sum(o == CONV1 for o in seq) if is_live else 0
        pool = sum(o == POOL for o in seq) if is_live else 0
        skip = sum(o == SKIP for o in seq) if is_live else 0
        path_stats.append((is_live, c3, c1, pool, skip))
        add(f"path{p}_live", is_live)
        add(f"path{p}_conv3", c3)
        add(f"path{p}_conv1", c1)
        add(f"path{p}_pool", pool)
        add(f"path{p}_skip", skip)
        add(f"path{p}_conv", c3 + c1)
    # the two length-2 paths are a symmetric pair: also give them sorted
    pair = sorted([path_stats[1], path_stats[2]], key=lambda t: (t[0], t[1] + t[2], t[1], t[3]))
    for rank, st in enumerate(pair):
        add(f"mid{rank}_live", st[0])
        add(f"mid{rank}_conv", st[1] + st[2])
        add(f"mid{rank}_conv3", st[1])
        add(f"mid{rank}_pool", st[3])
    live_paths = [st for st in path_stats if st[0]]
    convs = [st[1] + st[2] for st in live_paths]
    add("n_live_paths", len(live_paths))
    add("max_conv_depth", max(convs, default=0))  # depth of the longest conv path
    add("min_conv_depth", min(convs, default=0))
    add("max_conv3_depth", max((st[1] for st in live_paths), default=0))
    add("n_conv_free_paths", sum(c == 0 for c in convs))  # pure skip/pool shortcuts
    add("n_skip_only_paths", sum(st[1] + st[2] + st[3] == 0 for st in live_paths))
    add("n_pool_paths", sum(st[3] > 0 for st in live_paths))
    add("sum_path_conv", sum(convs))
    add("sum_path_conv3", sum(st[1] for st in live_paths))
    add("sum_path_conv1", sum(st[2] for st in live_paths))
    add("sum_path_pool", sum(st[3] for st in live_paths))
    add("direct_edge", eff[3])  # 0->3: none / skip / conv1 / conv3 / pool
    add("direct_is_conv", eff[3] in (CONV1, CONV3))
    # node depth: most convs on a live route from the input to nodes 1, 2, 3
    depth = {0: 0.0}
    for node in (1, 2, 3):
        ins = [
            depth[s] + (eff[e] in (CONV1, CONV3))
            for e, (s, d) in enumerate(EDGES)
            if d == node and eff[e] != NONE and s in depth
        ]
        if ins:
            depth[node] = max(ins)
        add(
            f"node{node}_in_degree",
            sum(1 for e, (_s, d) in enumerate(EDGES) if d == node and eff[e] != NONE),
        )
    return names, vals


@functools.cache
def _table() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(stat names, stats (15625, k) float32, effective op ids (15625, 6) int64), index order."""
    idx_ops = np.asarray([Arch.from_index(i).op_ids for i in range(NUM_ARCHS)], dtype=np.int64)
    cache: dict[tuple[int, ...], tuple[list[str], list[float]]] = {}
    rows = []
    names: list[str] = []
    for ops in map(tuple, idx_ops.tolist()):
        if ops not in cache:
            cache[ops] = _stat_row(ops)
        names, vals = cache[ops]
        rows.append(vals)
    eff = np.asarray(
        [[op if lv else NONE for op, lv in zip(o, _live_edges(o))] for o in idx_ops.tolist()],
        dtype=np.int64,
    )
    return tuple(names), np.asarray(rows, dtype=np.float32), eff


def stat_names() -> tuple[str, ...]:
    """Names of the ``stats`` columns."""
    return _table()[0]


def cell_stats(archs: object) -> np.ndarray:
    """(n, k) float32 structure statistics of the effective cells (see module docstring)."""
    return _table()[1][np.atleast_1d(as_indices(archs))]


def effective_op_ids(archs: object) -> np.ndarray:
    """(n, 6) int64 op ids with every dead edge replaced by ``none``."""
    return _table()[2][np.atleast_1d(as_indices(archs))]


def effective_onehot(archs: object) -> np.ndarray:
    """(n, 30) float32 one-hot of the effective cell."""
    ops = effective_op_ids(archs)
    out = np.zeros((len(ops), NUM_EDGES, NUM_OPS), dtype=np.float32)
    out[np.arange(len(ops))[:, None], np.arange(NUM_EDGES)[None, :], ops] = 1.0
    return out.reshape(len(ops), NUM_EDGES * NUM_OPS)


def _effective_archs(archs: object) -> list[Arch]:
    return [Arch(tuple(int(o) for o in row)) for row in effective_op_ids(archs)]


def _encode(archs: object, name: str) -> np.ndarray:
    idx = np.atleast_1d(as_indices(archs))
    if name == "onehot":
        return onehot([Arch.from_index(int(i)) for i in idx])
    if name == "path":
        return path_encoding([Arch.from_index(int(i)) for i in idx])
    if name == "eff_path":
        return path_encoding(_effective_archs(idx))
    if name == "stats":
        return cell_stats(idx)
    if name == "full":
        return np.concatenate([cell_stats(idx), effective_onehot(idx)], axis=1)
    if name == "eff_onehot":
        return effective_onehot(idx)
    if name == "graph":
        adj, nodes = graph_batch([Arch.from_index(int(i)) for i in idx])
        return graph_features(GRAPH_LAYOUT, adj, nodes, cell_stats(idx))
    raise UnknownKeyError("feature set", name, FEATURE_SETS)


#: Feature sets by name (the name is stored in saved models).
FEATURE_SETS: tuple[str, ...] = (
    "onehot",
    "path",
    "eff_onehot",
    "eff_path",
    "stats",
    "full",
    "graph",
)


@functools.cache
def _full_matrix(name: str) -> np.ndarray:
    return _encode(np.arange(NUM_ARCHS), name)


def featurize(archs: object, features: str = "full") -> np.ndarray:
    """Feature matrix (n, d) float32 for `archs` (any form `as_indices` accepts), in input order.

    Args:
        archs: cells (Arch, index, NB201 string, or a sequence/array of them).
        features: one of `FEATURE_SETS`.

    Raises:
        UnknownKeyError: for an unknown feature set.

    >>> featurize([0, 1], "onehot").shape
    (2, 30)
    """
    if features not in FEATURE_SETS:
        raise UnknownKeyError("feature set", features, FEATURE_SETS)
    return _full_matrix(features)[np.atleast_1d(as_indices(archs))]


def feature_names(features: str = "full") -> list[str]:
    """Column names of `featurize(..., features)`."""
    edge_op = [f"e{s}{d}_{op}" for s, d in EDGES for op in OPS]
    if features == "onehot":
        return edge_op
    if features == "eff_onehot":
        return [f"eff_{n}" for n in edge_op]
    if features in ("path", "eff_path"):
        return [f"{features}_{i}" for i in range(featurize([0], features).shape[1])]
    if features == "stats":
        return list(stat_names())
    if features == "full":
        return list(stat_names()) + [f"eff_{n}" for n in edge_op]
    if features == "graph":
        return graph_names(GRAPH_LAYOUT, GRAPH_NODE_TYPES, list(stat_names()))
    raise UnknownKeyError("feature set", features, FEATURE_SETS)
