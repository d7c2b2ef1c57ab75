"""Weight-sharing NAS on the NB201 supernet: DARTS-V1/V2, GDAS, SETN, ENAS, RSPS.

The methods follow NB201's own search code (AutoDL-Projects ``exps/NATS-algos/search-cell.py``);
`loop.SearchConfig` holds its protocol as defaults. The found cell is scored by `score_cell`: a
table lookup, else training it under the table's recorded protocol (the trial joins the table's
ledger and the table), else a surrogate prediction, as asked.

Front door: `search(method, data, config, generator)` -> `SearchResult`;
`METHODS` maps the command-line names to the classes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.evaluation.weight_sharing.gradient import GDAS, SETN, DartsV1, DartsV2
from surrogate_nb.evaluation.weight_sharing.loop import (
    PARAMETER_FREE,
    EpochRecord,
    SearchConfig,
    SearchData,
    SearchMethod,
    SearchResult,
    entropy,
    parameter_free_share,
    run_search,
)
from surrogate_nb.evaluation.weight_sharing.sampling import ENAS, RSPS

#: Method name (as on the command line) -> class.
METHODS: dict[str, type[SearchMethod]] = {
    cls.name: cls for cls in (DartsV1, DartsV2, GDAS, SETN, ENAS, RSPS)
}


def make_method(name: str) -> SearchMethod:
    """A fresh instance of the method called `name`."""
    if name not in METHODS:
        raise UnknownKeyError("weight-sharing method", name, list(METHODS))
    return METHODS[name]()


def search(
    method: str | SearchMethod,
    data: SearchData,
    config: SearchConfig,
    generator: torch.Generator,
    *,
    device: str = "cpu",
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> SearchResult:
    """Run one search (see `loop.run_search`); `method` is a name or a fresh instance."""
    m = make_method(method) if isinstance(method, str) else method
    return run_search(m, data, config, generator, device=device, on_epoch=on_epoch)


__all__ = [
    "ENAS",
    "GDAS",
    "METHODS",
    "PARAMETER_FREE",
    "RSPS",
    "SETN",
    "DartsV1",
    "DartsV2",
    "EpochRecord",
    "SearchConfig",
    "SearchData",
    "SearchMethod",
    "SearchResult",
    "entropy",
    "make_method",
    "parameter_free_share",
    "run_search",
    "search",
]
