"""surrogate-nb: NAS-Bench-201 rebuilt, with surrogates on top.

The front door. `import surrogate_nb` needs only numpy; the table, network and surrogate layers are
imported on first use of their names:

>>> from surrogate_nb import Arch
>>> Arch.from_index(6111).is_connected()
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from surrogate_nb._provenance import __version__
from surrogate_nb.errors import (
    InvalidArchError,
    SurrogateNBError,
    TableFormatError,
    UnknownKeyError,
)
from surrogate_nb.space import Arch, all_archs

#: Names served lazily: name -> module that defines it.
_LAZY = {
    "Benchmark": "surrogate_nb.table",
    "write_table": "surrogate_nb.table",
    "build_network": "surrogate_nb.network",
    "count_params": "surrogate_nb.network",
    "count_flops": "surrogate_nb.network",
    "Surrogate": "surrogate_nb.regressors",
    "SurrogateBenchmark": "surrogate_nb.regressors",
}

if TYPE_CHECKING:  # pragma: no cover
    from surrogate_nb.network import build_network, count_flops, count_params
    from surrogate_nb.regressors import Surrogate, SurrogateBenchmark
    from surrogate_nb.table import Benchmark, write_table


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'surrogate_nb' has no attribute {name!r}")


__all__ = [
    "Arch",
    "Benchmark",
    "InvalidArchError",
    "Surrogate",
    "SurrogateBenchmark",
    "SurrogateNBError",
    "TableFormatError",
    "UnknownKeyError",
    "__version__",
    "all_archs",
    "build_network",
    "count_flops",
    "count_params",
    "write_table",
]
