"""Surrogate features: each search space's feature sets, looked up by the space's name.

The feature code lives with its space (`surrogate_nb.space.nb201_features`,
`surrogate_nb.space.nb101_encodings`); this module is the one entry point the regressors use, so
a new space plugs in without changes here. The default set of every space is called ``"full"``.

>>> featurize([0, 1], "onehot", space="nb201").shape
(2, 30)
"""

from __future__ import annotations

import numpy as np

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.space import get_space

DEFAULT_FEATURES = "full"


def feature_sets(space: str = "nb201") -> tuple[str, ...]:
    """Feature set names the space offers."""
    return tuple(get_space(space).feature_sets)


def check_features(features: str, space: str = "nb201") -> None:
    """Raise `UnknownKeyError` unless ``features`` is a feature set of ``space``."""
    if features not in feature_sets(space):
        raise UnknownKeyError(f"feature set of {space}", features, feature_sets(space))


def featurize(archs: object, features: str = DEFAULT_FEATURES, space: str = "nb201") -> np.ndarray:
    """Feature matrix (n, d) float32 of ``archs`` (any cell form of the space), in input order."""
    check_features(features, space)
    sp = get_space(space)
    return sp.featurize(np.atleast_1d(sp.as_indices(archs)), features)


def feature_names(features: str = DEFAULT_FEATURES, space: str = "nb201") -> list[str]:
    """Column names of `featurize(..., features, space)`."""
    check_features(features, space)
    return get_space(space).feature_names(features)
