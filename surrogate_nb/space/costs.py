"""Parameter and FLOP counts of any space's network, in closed form (no torch).

One entry point for the layers above (`SurrogateBenchmark.cost`, the CLI): NB201's counts come
from `surrogate_nb.space.nb201_costs`, NB-101's from `surrogate_nb.space.nb101_cost`, DARTS' from
`surrogate_nb.space.darts_cost`; each equals the count of its torch module (tested there).
"""

from __future__ import annotations

from surrogate_nb.space import darts_cost, nb101_cost, nb201_costs
from surrogate_nb.space.darts_space import DARTS
from surrogate_nb.space.nb101 import NB101


def counters(space: str, arch: object, dataset: str) -> dict[str, float]:
    """``params_m`` / ``flops_m`` of a cell's network for a dataset setting whose network the
    space defines (NB201: `nb201_costs.COST_SETTINGS`, cifar10-valid as cifar10; NB-101 and
    DARTS: cifar10, DARTS in the published tables' convention of `darts_cost`), else ``{}``.

    >>> counters("nb201", 0, "cifar10-valid")["params_m"] > 0
    True
    """
    if space == "darts":
        if dataset != "cifar10":
            return {}
        params, flops = darts_cost.network_costs(DARTS.as_arch(arch), 10)
        return {"params_m": params / 1e6, "flops_m": flops / 1e6}
    if space == "nb101":
        if dataset != "cifar10":
            return {}
        params, flops = nb101_cost.network_costs(NB101.as_arch(arch), 10)
        return {"params_m": params / 1e6, "flops_m": flops / 1e6}
    setting = nb201_costs.COST_SETTINGS.get("cifar10" if dataset == "cifar10-valid" else dataset)
    if setting is None:
        return {}
    classes, res = setting
    return {
        "params_m": nb201_costs.params_m(arch, classes),
        "flops_m": nb201_costs.flops_m(arch, classes, resolution=res),
    }
