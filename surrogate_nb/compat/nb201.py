"""The original NAS-Bench-201 API (``nas_201_api``) over a surrogate-nb table.

    # from nas_201_api import NASBench201API as API
    from surrogate_nb.compat.nb201 import API
    api = API("runs/nb201_v1_1")     # a table: `snb import NAS-Bench-201-v1_1-096897.pth --out ...`
    info = api.get_more_info(1234, "cifar10-valid", hp="200", is_random=False)

Method names, arguments, return shapes and semantics of ``nas_201_api`` 2.1 (the API for the
``NAS-Bench-201-v1_0-e61699.pth`` and ``v1_1-096897.pth`` files): ``len``, ``api[i]``, ``arch``,
``query_index_by_arch``, ``query_by_arch`` / ``query_info_str_by_arch`` (text),
``query_meta_info_by_index`` (an ``ArchResults`` view), ``query_by_index`` (``{seed:
ResultsCount}``), ``get_more_info``, ``get_cost_info``, ``get_latency``, ``simulate_train_eval``,
``find_best``, ``statistics``, ``show``, ``random``, ``str2lists``, ``str2matrix``,
``get_net_config``, ``used_time`` / ``reset_time``. Scripts written for the v1.x API pass
``use_12epochs_result=True/False`` (v1: default False = 200 epochs) instead of ``hp``; it is
accepted by keyword, and a bool in the ``hp`` position means the same.

As in nas_201_api 2.1 (and unlike nats_bench): means use ``np.mean``; ``get_compute_costs``
averages flops / params without the 888-seed fix; ``get_more_info`` has no ``comment`` key;
``simulate_train_eval(arch, dataset, hp, account_time)`` reads the last epoch and takes the latency
of the 12-epoch records (``get_latency`` is called without ``hp``) — on a table without any 12-epoch
records (e.g. the wide CSV), the ``hp`` given is used instead. A v1_0 file's 12-epoch records hold
only cifar10-valid, so there ``simulate_train_eval(..., "cifar10")`` fails with a ``KeyError``,
as official.

Differences that remain (replayed against answers recorded from nas-bench-201 2.1 in
``tests/compat``; everything else agrees):

* Opens a table directory, not the ``.pth`` (import it once with ``snb import``); no torch needed.
* ``is_random=True`` draws with ``rng`` (numpy Generator), not Python's global ``random``.
* Values from the table's float32 curves (~1e-7 relative).
* Where the official ``assert``\\ s or raises ``ValueError`` (bad index, iepoch, seed, dataset),
  `CompatValueError` is raised: a ``ValueError`` *and* an ``AssertionError``, with a message that
  names what exists. Unknown dataset / hp: `CompatKeyError` (a ``KeyError``), as official.
* Missing data (wide-CSV tables): as in `surrogate_nb.compat.nats` (``info.lacks``,
  `MissingDataError` instead of an empty answer); no weights (``get_net_param``).
* ``statistics`` and ``find_best`` look at the cells the table holds (official: every index,
  failing on a partial file).
* ``get_net_config`` answers for every dataset; on a v1_0 file the official reads the config
  from the 12-epoch record, which holds cifar10-valid only, and fails for the others.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from surrogate_nb.compat._api import MoreInfo, TopologyAPI
from surrogate_nb.compat._errors import CompatKeyError, CompatValueError, MissingDataError
from surrogate_nb.compat._records import ArchResults, ResultsCount
from surrogate_nb.errors import TableFormatError
from surrogate_nb.table import Benchmark

__all__ = [
    "API",
    "ArchResults",
    "CompatKeyError",
    "CompatValueError",
    "MissingDataError",
    "MoreInfo",
    "NASBench201API",
    "ResultsCount",
]


def _legacy_hp(hp: Any, use_12epochs_result: bool | None) -> Any:
    if use_12epochs_result is None:
        return hp
    return "12" if use_12epochs_result else "200"


class NASBench201API(TopologyAPI):
    """``nas_201_api.NASBench201API`` answered from a table.

    Args:
        file_path_or_dict: a table directory (or an open `Benchmark`).
        verbose: accepted for compatibility; nothing is printed.
        rng: draws for ``is_random=True``, ``random()`` and ``simulate_train_eval``.

    Raises:
        TableFormatError: a ``.pth`` / missing path (the message gives the import command).
    """

    _numpy_mean = True
    _legacy_fix = False
    _comment = False
    _metric_sep = ","

    def __init__(
        self,
        file_path_or_dict: str | os.PathLike | Benchmark,
        verbose: bool = False,
        rng: np.random.Generator | None = None,
    ) -> None:
        if isinstance(file_path_or_dict, Benchmark):
            b = file_path_or_dict
        else:
            path = os.fspath(file_path_or_dict)
            if os.path.isfile(path):
                raise TableFormatError(
                    f"{path} is a file; import it once into a table and open that: "
                    f"snb import {path} --out <table dir>"
                )
            b = Benchmark.open(path)
        super().__init__(b, rng=rng, verbose=verbose)

    @property
    def evaluated_indexes(self) -> list[int]:
        return self._evaluated_array().tolist()

    def query_meta_info_by_index(
        self, arch_index: Any, hp: Any = "12", use_12epochs_result: bool | None = None
    ) -> ArchResults:
        return super().query_meta_info_by_index(arch_index, _legacy_hp(hp, use_12epochs_result))

    def query_by_index(
        self,
        arch_index: Any,
        dataname: str | None = None,
        hp: Any = "12",
        use_12epochs_result: bool | None = None,
    ) -> Any:
        return super().query_by_index(arch_index, dataname, _legacy_hp(hp, use_12epochs_result))

    def query_by_arch(
        self, arch: Any, hp: Any = "200", use_12epochs_result: bool | None = None
    ) -> str | None:
        return super().query_by_arch(arch, _legacy_hp(hp, use_12epochs_result))

    def get_more_info(
        self,
        index: Any,
        dataset: str,
        iepoch: int | None = None,
        hp: Any = "12",
        is_random: bool | int = True,
        use_12epochs_result: bool | None = None,
    ) -> MoreInfo:
        return super().get_more_info(
            index, dataset, iepoch, _legacy_hp(hp, use_12epochs_result), is_random
        )

    def get_cost_info(
        self, index: Any, dataset: str, hp: Any = "12", use_12epochs_result: bool | None = None
    ) -> dict[str, float | None]:
        return super().get_cost_info(index, dataset, _legacy_hp(hp, use_12epochs_result))

    def get_latency(
        self, index: Any, dataset: str, hp: Any = "12", use_12epochs_result: bool | None = None
    ) -> float | None:
        return super().get_latency(index, dataset, _legacy_hp(hp, use_12epochs_result))

    def find_best(
        self,
        dataset: str,
        metric_on_set: str,
        FLOP_max: float | None = None,
        Param_max: float | None = None,
        hp: Any = "12",
        use_12epochs_result: bool | None = None,
    ) -> tuple[int, float | None]:
        return super().find_best(
            dataset, metric_on_set, FLOP_max, Param_max, _legacy_hp(hp, use_12epochs_result)
        )

    def statistics(
        self, dataset: str, hp: Any = "12", use_12epochs_result: bool | None = None
    ) -> dict[int, int]:
        return super().statistics(dataset, _legacy_hp(hp, use_12epochs_result))

    def simulate_train_eval(
        self, arch: Any, dataset: str, hp: Any = "12", account_time: bool = True
    ) -> tuple[float, float | None, float, float]:
        """``(valid accuracy, latency, time cost, total used time)`` of one drawn seed at the
        last epoch; cifar10 reads cifar10-valid; time cost = train-all-time + valid-per-time."""
        index = self.query_index_by_arch(arch)
        names = ("cifar10", "cifar100", "ImageNet16-120")
        if dataset not in names:
            raise CompatValueError(f"Invalid dataset name : {dataset!r} vs {names}")
        ds = "cifar10-valid" if dataset == "cifar10" else dataset
        info = self.get_more_info(index, ds, iepoch=None, hp=hp, is_random=True)
        what = f"{ds} (hp {self._hp(hp)}, cell {index})"
        if info.get("valid-accuracy") is None:
            raise MissingDataError(
                f"table {self.benchmark.path} records no valid accuracy for {what}"
            )
        cost = self._time_cost(info.get("train-all-time"), info.get("valid-per-time"), what)
        lat_hp = "12" if "12" in self._avaliable_hps else hp
        latency = self.get_latency(index, dataset, lat_hp)
        if account_time:
            self._used_time += cost
        return info["valid-accuracy"], latency, cost, self._used_time


#: For ``from nas_201_api import NASBench201API as API``:
#: ``from surrogate_nb.compat.nb201 import API``.
API = NASBench201API
