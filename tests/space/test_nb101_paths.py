"""NB-101 ``path`` features against paths enumerated one by one (depth-first search)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from surrogate_nb.space import get_space
from surrogate_nb.space.nb101_encodings import feature_names, padded_arrays

SHORT = ("c3", "c1", "mp")


def _enumerated(adj: np.ndarray, ops: np.ndarray) -> Counter:
    """Input -> output paths of one padded cell, counted by their column name."""
    out: Counter = Counter()

    def walk(v: int, seq: tuple[int, ...]) -> None:
        if v == 6:
            out["path_" + ("-".join(SHORT[o] for o in seq) or "skip")] += 1
            return
        for w in range(v + 1, 7):
            if adj[v, w]:
                walk(w, seq if w == 6 else (*seq, int(ops[w])))

    walk(0, ())
    return out


def test_path_counts_match_enumeration():
    space = get_space("nb101")
    rng = np.random.default_rng(3)
    idx = np.concatenate([rng.integers(space.size, size=300), [0, space.size - 1]])
    X = space.featurize(idx, "path")
    names = feature_names("path")
    adj, ops = padded_arrays(idx)
    assert X.shape == (len(idx), len(names)) and X.dtype == np.float32
    for k in range(len(idx)):
        got = {names[j]: int(X[k, j]) for j in np.flatnonzero(X[k])}
        assert got == dict(_enumerated(adj[k], ops[k])), int(idx[k])
    assert X.sum() > len(idx)  # cells have paths; a zero matrix would not pass the loop alone
