"""The ``graph`` feature set of both spaces and the graph-network surrogate (`GINRegressor`)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from surrogate_nb.errors import DataError
from surrogate_nb.regressors import GINRegressor, LGBRegressor, Surrogate, featurize
from surrogate_nb.space.graph import split_graph_features
from surrogate_nb.space.nb201_encodings import graph_encoding
from surrogate_nb.space.nb201_features import cell_stats


def test_nb201_graph_rows_are_the_cells_dag_and_stats():
    cells = np.array([0, 1, 777, 15624])
    layout, adj, kinds, extra = split_graph_features(featurize(cells, "graph", "nb201"))
    assert (layout.nodes, layout.kinds, layout.output_kind) == (8, 7, 1)
    for row, i in enumerate(cells):
        a, f = graph_encoding(int(i))
        np.testing.assert_array_equal(adj[row], a)
        np.testing.assert_array_equal(kinds[row], f)
    np.testing.assert_allclose(extra, cell_stats(cells))


@pytest.mark.xdist_group("nb101")
def test_nb101_graph_rows_are_the_padded_cells(nb101_index):
    from surrogate_nb.space import get_space

    space = get_space("nb101")
    cells = np.array([0, 5, 123_456, 423_623])
    layout, adj, kinds, extra = split_graph_features(featurize(cells, "graph", "nb101"))
    assert (layout.nodes, layout.kinds, layout.output_kind) == (7, 5, 1)
    for row, i in enumerate(cells):
        cell = space.from_index(int(i))
        m = np.asarray(cell.matrix)
        n = len(m)
        pos = [*range(n - 1), 6]  # the output sits at vertex 6, padding before it
        np.testing.assert_array_equal(adj[row][np.ix_(pos, pos)], m)
        assert adj[row].sum() == m.sum()
        assert kinds[row, 0, 0] == 1 and kinds[row, 6, 1] == 1
        assert kinds[row].sum() == n  # padded vertices have no kind
    np.testing.assert_allclose(extra, featurize(cells, "stats", "nb101"))


def test_other_feature_sets_are_refused_in_one_line():
    with pytest.raises(DataError, match="not a 'graph' feature matrix"):
        split_graph_features(featurize(np.arange(5), "full", "nb201"))
    X = featurize(np.arange(5), "graph", "nb201")
    X[2, 0] = 9  # header no longer the same on every row
    with pytest.raises(DataError, match="graph"):
        GINRegressor(steps=5).fit(X, np.arange(5.0))


def test_gin_learns_from_the_graph_alone():
    """With the appended statistics zeroed, only message passing can tell cells apart."""
    rng = np.random.default_rng(0)
    cells = rng.permutation(15625)[:800]
    stats = cell_stats(cells)
    from surrogate_nb.space.nb201_features import stat_names

    names = list(stat_names())
    y = 3.0 * stats[:, names.index("sum_path_conv3")] + stats[:, names.index("sum_path_conv1")]
    X = featurize(cells, "graph", "nb201")
    layout, *_ = split_graph_features(X)
    X[:, layout.width() :] = 0.0
    m = GINRegressor(steps=150, hidden=16, random_state=1).fit(X[:400], y[:400])
    mean, std = m.predict(X[400:])
    assert kendalltau(mean, y[400:])[0] > 0.7  # 0.81 measured
    assert np.all(std > 0)


def test_surrogate_features_default_to_the_regressors_choice():
    assert Surrogate(GINRegressor()).features == "graph"
    assert Surrogate(LGBRegressor()).features == "full"
    assert Surrogate(GINRegressor(), features="graph", space="nb101").features == "graph"
