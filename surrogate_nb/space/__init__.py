"""Search spaces: NB201 (`Arch`), NB-101 (`Cell`) and DARTS / NB301 (`Genome`).

Everything above this layer holds cells as values of their space and talks to the space through
`get_space(name)` or `space_of(cell)` (index <-> cell, parsing, features, sampling, mutation,
network); tables and saved models record the space's name.
"""

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.space._base import Facts, FactTable, SearchSpace
from surrogate_nb.space.darts import Genome
from surrogate_nb.space.darts_space import DARTS, DartsSpace
from surrogate_nb.space.nb101 import NB101, Cell, NB101Space
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
SPACES: dict[str, SearchSpace] = {NB201.name: NB201, NB101.name: NB101, DARTS.name: DARTS}
#: The space an index or a text form is read in when no space is named (`space_of`).
DEFAULT_SPACE = NB201.name


def get_space(name: str) -> SearchSpace:
    """The registered space called `name`."""
    try:
        return SPACES[name]
    except KeyError:
        raise UnknownKeyError("search space", name, sorted(SPACES)) from None


def as_space(space: SearchSpace | str) -> SearchSpace:
    """`space` itself, or the registered space of that name (saved tables and models record
    names; everything above the space layer passes the object)."""
    return space if isinstance(space, SearchSpace) else get_space(space)


def space_of(arch: object) -> SearchSpace:
    """The registered space whose `cell_type` `arch` is; any other value (an index, a string, op
    names) is read in `DEFAULT_SPACE`, whose `as_arch` rejects what it cannot read."""
    for space in SPACES.values():
        if isinstance(arch, space.cell_type):
            return space
    return SPACES[DEFAULT_SPACE]


__all__ = [
    "DARTS",
    "DEFAULT_SPACE",
    "EDGES",
    "NB101",
    "NB201",
    "NUM_ARCHS",
    "NUM_EDGES",
    "NUM_OPS",
    "OPS",
    "SPACES",
    "Arch",
    "Cell",
    "DartsSpace",
    "FactTable",
    "Facts",
    "Genome",
    "NB101Space",
    "NB201Space",
    "SearchSpace",
    "all_archs",
    "as_arch",
    "as_indices",
    "as_space",
    "get_space",
    "space_of",
]
