"""The ``graph`` feature set: a cell as a small DAG with one op label per node, flattened.

Graph neural surrogates (`surrogate_nb.regressors.graph.GINRegressor`) read cells in this form;
every space that offers the ``graph`` feature set writes it with `graph_features`. A row is

    [nodes, kinds, output_kind | adjacency (nodes x nodes) | node one-hot (nodes x kinds) | extra]

* a three-column header, the same on every row, so the matrix carries its own layout and any
  regressor can be fitted on it without being told the space;
* ``adjacency[i, j] = 1`` for an edge i -> j (row-major); absent (padding) nodes have no edges and
  an all-zero one-hot row;
* the node one-hot over the space's node kinds; kind ``output_kind`` marks the cell output, the
  node whose embedding a graph network reads out;
* ``extra``: per-cell statistics of the space (its ``stats`` set), appended for the read-out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surrogate_nb.errors import DataError

HEADER: tuple[str, ...] = ("graph_nodes", "graph_kinds", "graph_output_kind")


@dataclass(frozen=True)
class GraphLayout:
    """Sizes of a space's graph form: padded node count, node kinds, the output node's kind."""

    nodes: int
    kinds: int
    output_kind: int

    def width(self) -> int:
        """Columns before the extra statistics (header, adjacency, one-hot)."""
        return len(HEADER) + self.nodes * self.nodes + self.nodes * self.kinds


def graph_features(
    layout: GraphLayout, adjacency: np.ndarray, node_onehot: np.ndarray, extra: np.ndarray
) -> np.ndarray:
    """Rows of the ``graph`` set (n, layout.width() + extra columns), float32."""
    n = len(adjacency)
    header = np.tile(
        np.asarray([layout.nodes, layout.kinds, layout.output_kind], np.float32), (n, 1)
    )
    return np.concatenate(
        [
            header,
            adjacency.reshape(n, -1).astype(np.float32),
            node_onehot.reshape(n, -1).astype(np.float32),
            np.asarray(extra, np.float32).reshape(n, -1),
        ],
        axis=1,
    )


def graph_names(layout: GraphLayout, kind_names: tuple[str, ...], extra: list[str]) -> list[str]:
    """Column names of `graph_features`."""
    r = range(layout.nodes)
    return [
        *HEADER,
        *(f"adj_{i}_{j}" for i in r for j in r),
        *(f"node{i}_{k}" for i in r for k in kind_names),
        *extra,
    ]


def split_graph_features(X: np.ndarray) -> tuple[GraphLayout, np.ndarray, np.ndarray, np.ndarray]:
    """(layout, adjacency (n, N, N), node one-hot (n, N, K), extra (n, E)) of a ``graph`` matrix.

    Raises:
        DataError: the matrix does not start with a consistent graph header (it is another
            feature set, or damaged).
    """
    X = np.asarray(X, np.float32)
    if X.ndim != 2 or X.shape[1] < len(HEADER) or len(X) == 0:
        raise DataError(f"not a 'graph' feature matrix: shape {X.shape}", X.shape)
    head = X[:, : len(HEADER)]
    nodes, kinds, out = (int(v) for v in head[0])
    layout = GraphLayout(nodes, kinds, out)
    ok = (
        np.all(head == head[0])
        and 1 <= nodes <= 64
        and 1 <= kinds <= 64
        and 0 <= out < kinds
        and np.all(head[0] == np.asarray([nodes, kinds, out], np.float32))
        and X.shape[1] >= layout.width()
    )
    if not ok:
        raise DataError(
            f"not a 'graph' feature matrix (header {head[0].tolist()}); fit graph models on the "
            "space's 'graph' feature set (Surrogate(GINRegressor(), features='graph'))",
            head[0].tolist(),
        )
    a = len(HEADER) + nodes * nodes
    adjacency = X[:, len(HEADER) : a].reshape(-1, nodes, nodes)
    onehot = X[:, a : layout.width()].reshape(-1, nodes, kinds)
    return layout, adjacency, onehot, X[:, layout.width() :]
