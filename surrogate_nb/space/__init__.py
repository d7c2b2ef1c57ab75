"""Search spaces. NB201 today; NB101 / DARTS plug in as further `SearchSpace` subclasses.

Everything above this layer holds cells as `Arch` values and talks to the space through
`get_space(name)` (index <-> arch, encodings, sampling, neighbours).
"""

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.space._base import SearchSpace
from surrogate_nb.space.nb201 import (
    EDGES,
    NB201,
    NUM_ARCHS,
    NUM_EDGES,
    NUM_OPS,
    OPS,
    Arch,
    NB201Space,
    all_archs,
    as_arch,
    as_indices,
)

#: Registered spaces by name (the name stored in table manifests and model files).
SPACES: dict[str, SearchSpace] = {NB201.name: NB201}


def get_space(name: str) -> SearchSpace:
    """The registered space called `name`."""
    try:
        return SPACES[name]
    except KeyError:
        raise UnknownKeyError("search space", name, sorted(SPACES)) from None


__all__ = [
    "EDGES",
    "NB201",
    "NUM_ARCHS",
    "NUM_EDGES",
    "NUM_OPS",
    "OPS",
    "SPACES",
    "Arch",
    "NB201Space",
    "SearchSpace",
    "all_archs",
    "as_arch",
    "as_indices",
    "get_space",
]
