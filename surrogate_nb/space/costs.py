"""Parameter and FLOP counts of any space's network, in closed form (no torch).

One entry point for the layers above (`SurrogateBenchmark.cost`, the CLI): it asks the space
(`SearchSpace.counters`: NB201's counts come from `surrogate_nb.space.nb201_costs`, NB-101's from
`surrogate_nb.space.nb101_cost`, DARTS' from `surrogate_nb.space.darts_cost`; each equals the
count of its torch module, tested there).
"""

from __future__ import annotations

from surrogate_nb.space import SearchSpace, as_space


def counters(space: SearchSpace | str, arch: object, dataset: str) -> dict[str, float]:
    """``params_m`` / ``flops_m`` of a cell's network for a dataset setting whose network the
    space defines (NB201: `nb201_costs.COST_SETTINGS`, cifar10-valid as cifar10; NB-101 and
    DARTS: cifar10, DARTS in the published tables' convention of `darts_cost`), else ``{}``.
    `space` is the space or its registered name.

    >>> from surrogate_nb.space import NB201
    >>> counters(NB201, 0, "cifar10-valid")["params_m"] > 0
    True
    """
    return as_space(space).counters(arch, dataset)
