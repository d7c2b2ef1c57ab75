"""Surrogate features: each search space's feature sets (the space, or its registered name).

The feature code lives with its space (`surrogate_nb.space.nb201_features`,
`surrogate_nb.space.nb101_encodings`); this module is the one entry point the regressors use, so
a new space plugs in without changes here. The default set of every space is called ``"full"``.

>>> from surrogate_nb.space import NB201
>>> featurize([0, 1], "onehot", space=NB201).shape
(2, 30)
"""

from __future__ import annotations

import numpy as np

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.space import DEFAULT_SPACE, SearchSpace, as_space

DEFAULT_FEATURES = "full"


def feature_sets(space: SearchSpace | str = DEFAULT_SPACE) -> tuple[str, ...]:
    """Feature set names the space offers."""
    return tuple(as_space(space).feature_sets)


def check_features(features: str, space: SearchSpace | str = DEFAULT_SPACE) -> None:
    """Raise `UnknownKeyError` unless ``features`` is a feature set of ``space``."""
    sp = as_space(space)
    if features not in sp.feature_sets:
        raise UnknownKeyError(f"feature set of {sp.name}", features, tuple(sp.feature_sets))


def featurize(
    archs: object, features: str = DEFAULT_FEATURES, space: SearchSpace | str = DEFAULT_SPACE
) -> np.ndarray:
    """Feature matrix (n, d) float32 of ``archs`` (any cell form of the space), in input order."""
    sp = as_space(space)
    check_features(features, sp)
    return sp.featurize(np.atleast_1d(sp.as_indices(archs)), features)


def feature_names(
    features: str = DEFAULT_FEATURES, space: SearchSpace | str = DEFAULT_SPACE
) -> list[str]:
    """Column names of `featurize(..., features, space)`."""
    sp = as_space(space)
    check_features(features, sp)
    return sp.feature_names(features)
