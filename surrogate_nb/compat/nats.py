"""A NATS-Bench-compatible facade over a surrogate-nb table: port a script by changing one import.

    # from nats_bench import create
    from surrogate_nb.compat.nats import create
    api = create("runs/nb201", "tss")    # any table: `snb import` of NATS / NB201 files or a CSV
    info = api.get_more_info(1234, "cifar10-valid", hp="200", is_random=False)

Same method names, arguments, keys and semantics as ``nats_bench`` 1.8 (``NATStopology``):
``len``, ``arch``, ``query_index_by_arch``, ``get_unique_str``, ``get_more_info``,
``get_cost_info``, ``get_latency``, ``simulate_train_eval``, ``used_time`` / ``reset_time``,
``find_best``, ``statistics``, ``query_by_index``, ``query_meta_info_by_index`` (``ArchResults``
/ ``ResultsCount`` views with ``get_metrics``, ``get_compute_costs``, ``get_train``,
``get_eval``, ``get_times``), ``query_info_str_by_arch`` / ``query_by_arch``, ``show``,
``random``, ``str2lists``, ``str2matrix``, ``get_net_config``. ``iepoch`` counts from 0 (None =
last), ``is_random=True`` draws one seed, ``False`` averages, an int picks that seed.
``simulate_train_eval`` follows the official time accounting: time cost = ``train-all-time`` +
``valid-per-time`` at ``iepoch``; when the valid set is not recorded at ``iepoch`` (200-epoch
cifar100 / ImageNet16-120 runs keep x-valid only at epoch 199) the accuracy is ``valtest``'s and
the valid per-epoch time comes from a second draw at the last epoch; latency is
``get_latency(index, dataset, hp)``.

Which table columns answer which official set is described in `surrogate_nb.compat._records`;
for the wide NB201 CSV (``snb import nb201_reference_cifar.csv``): cifar10-valid ``valid-*`` =
``cifar10_valid_acc_200_run<k>``, cifar10 ``test-*`` = ``cifar10_test_acc_200`` (a published
mean), cifar100 ``valid-*`` = ``cifar100_valid_acc_200_run<k>`` (x-valid) and ``test-*`` =
``cifar100_test_acc_200`` (x-test, a mean, so ``is_random=False`` only).

Differences that remain (replayed against answers recorded from nats_bench 1.8 in
``tests/compat``; everything else agrees):

* ``is_random=True`` draws with ``rng`` (a numpy Generator given to `create`, or a fresh one), not
  with Python's global ``random``; pass ``rng`` for reproducible draws.
* Values come from the table's float32 curves: equal to the file's to ~1e-7 relative.
* A table that lacks what the official record always has (train metrics, losses, per-epoch
  values, eval times: the wide CSV has only final accuracies and per-cell costs) gives the keys it
  can fill, None for the rest, and ``info.lacks`` names the rest in one line; a query with nothing
  recorded raises `MissingDataError` with that line instead of returning ``{}``. A train time known
  only as a 200-epoch total answers ``train-all-time`` at the last epoch; in
  ``simulate_train_eval`` an eval time the table does not record counts as 0.
* Errors are `surrogate_nb` errors that name what exists: where the official raises
  ``ValueError`` they are ``ValueError`` subclasses (`CompatValueError`), where it fails with a
  bare ``KeyError`` (unknown dataset or hp) a ``KeyError`` subclass (`CompatKeyError`); a string
  that is not a cell, or a cell the table does not hold, raises `CompatValueError` naming it.
* No weights: ``get_net_param`` raises `MissingDataError`; ``fast_mode``, ``reload`` and
  ``clear_params`` are accepted and do nothing (the whole table is ready after `create`).
* ``find_best`` looks at every cell the table holds (``enforce_all`` is ignored) and, with a FLOP
  or param limit, leaves out cells whose cost is not recorded; ``statistics`` counts those cells.
* ``ResultsCount.seed`` is an int (777), not the file's text (``"0777"``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from surrogate_nb.compat._api import MoreInfo, TopologyAPI
from surrogate_nb.compat._errors import CompatKeyError, CompatValueError, MissingDataError
from surrogate_nb.compat._records import ArchResults, ResultsCount
from surrogate_nb.table import Benchmark

__all__ = [
    "ArchResults",
    "CompatKeyError",
    "CompatValueError",
    "MissingDataError",
    "MoreInfo",
    "NATStopology",
    "ResultsCount",
    "create",
]

_TSS = ("tss", "topology")


def create(
    file_path_or_dict: str | os.PathLike,
    search_space: str = "tss",
    fast_mode: bool = False,
    verbose: bool = False,
    rng: np.random.Generator | None = None,
) -> NATStopology:
    """Open a table as a NATS-Bench topology API (``search_space`` "tss" / "topology").

    Args:
        file_path_or_dict: a table directory (``snb import`` of the NATS / NB201 files or a CSV).
        search_space: "tss" or "topology"; the size space ("sss") is not provided.
        fast_mode, verbose: accepted for compatibility; nothing is printed.
        rng: draws for ``is_random=True``, ``random()`` and ``simulate_train_eval``.

    Raises:
        CompatValueError: another search space (a ValueError, as official).
        TableFormatError: not a table directory (the message names the import command).
    """
    if search_space not in _TSS:
        raise CompatValueError(
            f"invalid search space : {search_space!r}; surrogate-nb tables hold the NB201 "
            f"topology space ({' / '.join(_TSS)})"
        )
    return NATStopology(Benchmark.open(file_path_or_dict), rng=rng, verbose=verbose)


class NATStopology(TopologyAPI):
    """The ``nats_bench`` 1.8 topology API (``NATStopology``) answered from a `Benchmark`."""

    _numpy_mean = False
    _legacy_fix = True
    _comment = True
    _metric_sep = " &"

    @property
    def search_space_name(self) -> str:
        return "topology"

    @property
    def is_topology(self) -> bool:
        return True

    @property
    def is_size(self) -> bool:
        return False

    @property
    def full_epochs_in_paper(self) -> int:
        return 200

    @property
    def full_train_epochs(self) -> int:
        return 200

    @property
    def fast_mode(self) -> bool:
        return False

    @property
    def archive_dir(self) -> None:
        return None

    def simulate_train_eval(
        self,
        arch: Any,
        dataset: str,
        iepoch: int | None = None,
        hp: Any = "12",
        account_time: bool = True,
    ) -> tuple[float, float | None, float, float]:
        """Train ``arch`` on ``dataset`` at no cost: ``(valid accuracy, latency, time cost,
        total used time)`` of one randomly drawn seed (cifar10 reads cifar10-valid)."""
        index = self.query_index_by_arch(arch)
        names = ("cifar10", "cifar100", "ImageNet16-120")
        if dataset not in names:
            raise CompatValueError(f"Invalid dataset name : {dataset!r} vs {names}")
        ds = "cifar10-valid" if dataset == "cifar10" else dataset
        info = self.get_more_info(index, ds, iepoch=iepoch, hp=hp, is_random=True)
        what = f"{ds} (hp {self._hp(hp)}, cell {index})"
        if info.get("valid-accuracy") is not None:
            acc = info["valid-accuracy"]
            cost = self._time_cost(info.get("train-all-time"), info.get("valid-per-time"), what)
        elif info.get("valtest-accuracy") is not None:
            acc = info["valtest-accuracy"]
            last = self.get_more_info(index, dataset, iepoch=None, hp=hp, is_random=True)
            cost = self._time_cost(info.get("train-all-time"), last.get("valid-per-time"), what)
        else:
            raise MissingDataError(
                f"table {self.benchmark.path} records no valid (or valtest) accuracy for {what} "
                f"at iepoch {iepoch}"
            )
        latency = self.get_latency(index, dataset, hp=hp)
        if account_time:
            self._used_time += cost
        return acc, latency, cost, self._used_time
