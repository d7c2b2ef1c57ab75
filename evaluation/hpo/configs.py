"""A space's cells as syne-tune configurations, and the names a blackbox reports under.

Configurations are the space's categorical parameters (`SearchSpace.choices`): NB201 keeps
syne-tune's own names ``hp_x0 … hp_x5`` (op names, edge order of `surrogate_nb.space.EDGES`);
NB-101 is 21 edge bits ``e<i><j>`` of a 7-vertex upper-triangular matrix and 5 interior ops
``v1 … v5`` (the NB-101 paper's encoding), configurations mapped back with
`SearchSpace.from_choices`.
"""

from __future__ import annotations

from collections.abc import Mapping

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.evaluation.hpo.extra import require_syne_tune
from surrogate_nb.space import EDGES, NB201, OPS, SearchSpace

#: Configuration keys of NB201: one categorical per edge (syne-tune's NB201 naming).
EDGE_KEYS: tuple[str, ...] = tuple(f"hp_x{i}" for i in range(len(EDGES)))
#: The fidelity's name in a blackbox.
FIDELITY = "epochs"
#: The cumulative training time objective (syne-tune's simulator reads it).
ELAPSED = "elapsed_time"
#: Signal and report value of a configuration that is no cell of the space (0 % accuracy).
INVALID_VALUE = 0.0


def config_choices(space: SearchSpace = NB201) -> list[tuple[str, tuple[object, ...]]]:
    """``[(key, options)]``: the space's categorical parameters under their configuration keys
    (NB201: ``hp_x0..hp_x5`` with op names; other spaces: `SearchSpace.choices` names)."""
    if space.name == "nb201":
        return [(k, tuple(OPS)) for k in EDGE_KEYS]
    return [(name, tuple(options)) for name, options in space.choices()]


def config_space(space: SearchSpace = NB201) -> dict[str, object]:
    """syne-tune configuration space of the space's cells: ``{key: choice(options)}``."""
    require_syne_tune()
    from syne_tune.config_space import choice

    return {k: choice(list(options)) for k, options in config_choices(space)}


def arch_of(config: Mapping[str, object], space: SearchSpace = NB201) -> object:
    """The cell a configuration names (extra keys, e.g. a max-resource attribute, are ignored).

    Raises:
        UnknownKeyError: a key is missing or a value is not one of its options.
        InvalidArchError: the values name no cell of the space (NB-101: too many edges, no
            input→output path).
    """
    values = []
    keys = config_choices(space)
    for k, options in keys:
        try:
            v = config[k]
            values.append(next(i for i, o in enumerate(options) if o == v))
        except (KeyError, StopIteration) as exc:
            raise UnknownKeyError("configuration", config, [k for k, _ in keys], f"{exc}") from None
    return space.from_choices(values)


def config_of(arch: object, space: SearchSpace = NB201) -> dict[str, object]:
    """The configuration of a cell."""
    keys = config_choices(space)
    return {k: options[v] for (k, options), v in zip(keys, space.to_choices(arch))}
