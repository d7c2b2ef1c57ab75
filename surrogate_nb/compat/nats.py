"""A NATS-Bench-compatible facade over a surrogate-nb table: port a script by changing one import.

    # from nats_bench import create
    from surrogate_nb.compat.nats import create
    api = create("nats_table/", "tss")            # a table from `snb import NATS-tss-...`
    info = api.get_more_info(1234, "cifar10-valid", hp="200", is_random=False)

Same method names, arguments, keys and semantics as ``nats_bench`` 1.8 (``NATStopology``):
``iepoch`` counts from 0 (None = last), ``is_random=True`` draws one seed, ``False`` averages
over the cell's seeds, an int picks that seed; ``get_more_info`` returns ``train-*``,
``valid-*``, ``test-*``, ``valtest-*`` (``-loss``, ``-accuracy``, ``-per-time``,
``-all-time``) and a ``comment`` for cifar10 / cifar10-valid; per-time = cumulative time ÷
(iepoch + 1). Split mapping (table split names from the NATS importer): cifar10-valid valid =
``x-valid``, test = ``test`` (ori-test); cifar10 test = ``test``; cifar100 / ImageNet16-120 valid =
``x-valid``, test = ``x-test``, valtest = ``test`` (ori-test). A group whose accuracy is not
recorded at ``iepoch`` is left out, as NATS does.

Differences that remain:

* ``is_random=True`` draws from ``rng`` (a numpy Generator given to `create`, or a fresh unseeded
  one), not from Python's global ``random``; pass ``rng`` for reproducible draws.
* Results are the table's (float32 curves): values equal NATS's to ~1e-6 relative.
* No ``fast_mode`` / ``reload`` / ``clear_params`` / weights: the whole table is ready after
  `create`; ``get_net_param`` and ``get_net_config`` are not provided (use
  ``surrogate_nb.network.build_network``).
* Errors are `surrogate_nb` errors (`UnknownKeyError`, a `LookupError`) that name what exists,
  instead of bare ``ValueError`` / ``AssertionError``.
* ``get_cost_info`` returns flops, params, latency and ``T-train@epoch``/``T-train@total`` plus
  ``T-<split>@epoch``/``@total`` with the table's split names (``T-ori-test@...`` is given too).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.space import NUM_ARCHS, Arch
from surrogate_nb.table import Benchmark

_HP = {"12": "12", "200": "200", "less": "12", "full": "200", 12: "12", 200: "200"}
_COMMENT = {
    "cifar10-valid": (
        "In this dict, train-loss/accuracy/time is the metric on the train set of CIFAR-10. The "
        "test-loss/accuracy/time is the performance of the CIFAR-10 test set after training on "
        "the train set by {:} epochs. The per-time and total-time indicate the per epoch and "
        "total time costs, respectively."
    ),
    "cifar10": (
        "In this dict, train-loss/accuracy/time is the metric on the train+valid sets of "
        "CIFAR-10. The test-loss/accuracy/time is the performance of the CIFAR-10 test set after "
        "training on the train+valid sets by {:} epochs. The per-time and total-time indicate the "
        "per epoch and total time costs, respectively."
    ),
}


def create(
    file_path_or_dict: str | os.PathLike,
    search_space: str = "tss",
    fast_mode: bool = False,
    verbose: bool = False,
    rng: np.random.Generator | None = None,
) -> NATStopology:
    """Open a table as a NATS-Bench topology API (``search_space`` must be "tss" / "topology").

    ``fast_mode`` and ``verbose`` are accepted for compatibility and ignored.
    """
    if search_space not in ("tss", "topology"):
        raise UnknownKeyError(
            "search space",
            search_space,
            ["tss", "topology"],
            "surrogate-nb tables hold the NB201 topology space only",
        )
    return NATStopology(Benchmark.open(file_path_or_dict), rng=rng)


class NATStopology:
    """The ``nats_bench`` topology-API methods, answered from a `Benchmark`."""

    def __init__(self, benchmark: Benchmark, rng: np.random.Generator | None = None) -> None:
        self.benchmark = benchmark
        self.rng = rng if rng is not None else np.random.default_rng()
        self._used_time = 0.0
        self.meta_archs = [str(Arch.from_index(i)) for i in range(NUM_ARCHS)]
        self._str_to_index = {s: i for i, s in enumerate(self.meta_archs)}

    def __len__(self) -> int:
        return NUM_ARCHS

    def __repr__(self) -> str:
        return f"NATStopology({NUM_ARCHS} architectures, table {self.benchmark.path})"

    @property
    def used_time(self) -> float:
        return self._used_time

    def reset_time(self) -> None:
        self._used_time = 0.0

    # ---- architectures ------------------------------------------------------------------

    def arch(self, index: int) -> str:
        """NB201 string of cell ``index``."""
        return str(Arch.from_index(index))

    def query_index_by_arch(self, arch: Any) -> int:
        """Index of an arch string / Arch / index; -1 when not a cell (as NATS)."""
        if isinstance(arch, (int, np.integer)):
            return int(arch) if 0 <= int(arch) < NUM_ARCHS else -1
        if isinstance(arch, Arch):
            return arch.index
        if hasattr(arch, "tostr"):
            arch = arch.tostr()
        return self._str_to_index.get(str(arch), -1)

    def get_unique_str(self, index: int) -> str:
        """Isomorphism-class string (NATS ``to_unique_str(consider_zero=True)``)."""
        return Arch.from_index(self.query_index_by_arch(index)).unique_str()

    # ---- results ------------------------------------------------------------------------

    def _hp(self, hp: Any) -> str:
        try:
            return _HP[hp]
        except (KeyError, TypeError):
            raise UnknownKeyError("hp", hp, ["12", "200"]) from None

    def _slots(self, index: int, dataset: str, hp: str, is_random: Any) -> list[int]:
        """Seed slots to use: one drawn, all of the cell's, or the named seed."""
        b = self.benchmark
        present = np.flatnonzero(b.present(dataset, hp)[index])
        if len(present) == 0:
            raise UnknownKeyError(
                "arch index", index, [], f"cell {index} has no trial for ({dataset}, hp {hp})"
            )
        if isinstance(is_random, bool):
            if is_random:
                return [int(present[self.rng.integers(len(present))])]
            return [int(s) for s in present]
        if isinstance(is_random, (int, np.integer)):
            seeds = b.seeds(dataset, hp)
            if int(is_random) in seeds and seeds.index(int(is_random)) in present:
                return [seeds.index(int(is_random))]
            raise UnknownKeyError(
                "seed",
                is_random,
                [seeds[i] for i in present],
                f"for cell {index} on ({dataset}, hp {hp})",
            )
        raise ValueError(f"invalid value for is_random: {is_random!r}")

    def _metrics(
        self, index: int, dataset: str, hp: str, split: str, slots: list[int], iepoch: int
    ) -> dict[str, float] | None:
        b = self.benchmark
        if f"{split}_acc" not in b.metrics(dataset, hp):
            return None
        acc = b.array(dataset, f"{split}_acc", hp)[index, slots, iepoch]
        if np.isnan(acc).any():
            return None
        loss = b.array(dataset, f"{split}_loss", hp)[index, slots, iepoch]
        times = b.array(dataset, f"{split}_time", hp)[index, slots, : iepoch + 1]
        all_time = None if np.isnan(times).any() else float(times.sum(axis=1).mean())
        return {"loss": float(np.mean(loss)), "accuracy": float(np.mean(acc)), "all_time": all_time}

    def get_more_info(
        self,
        index: Any,
        dataset: str,
        iepoch: int | None = None,
        hp: str = "12",
        is_random: bool | int = True,
    ) -> dict[str, Any]:
        """Train / valid / test / valtest loss, accuracy and times of one cell (NATS keys)."""
        index = self.query_index_by_arch(index)
        if index < 0:
            raise UnknownKeyError("arch", index, [], "not a cell of the NB201 space")
        hp = self._hp(hp)
        b = self.benchmark
        T = b.epochs(dataset, hp)
        if iepoch is None:
            iepoch = T - 1
        if not 0 <= int(iepoch) < T:
            raise UnknownKeyError("iepoch", iepoch, [0, T - 1], "epochs count from 0")
        iepoch = int(iepoch)
        slots = self._slots(index, dataset, hp, is_random)
        train = self._metrics(index, dataset, hp, "train", slots, iepoch)
        total = iepoch + 1
        info: dict[str, Any] = {}
        if train is not None:
            info["train-loss"] = train["loss"]
            info["train-accuracy"] = train["accuracy"]
            at = train["all_time"]
            info["train-per-time"] = at / total if at is not None else None
            info["train-all-time"] = at
        if dataset == "cifar10-valid":
            valid = self._metrics(index, dataset, hp, "x-valid", slots, iepoch)
            test = self._metrics(index, dataset, hp, "test", slots, iepoch)
            valtest = None
        elif dataset == "cifar10":
            valid = None
            test = self._metrics(index, dataset, hp, "test", slots, iepoch)
            valtest = None
        else:
            valid = self._metrics(index, dataset, hp, "x-valid", slots, iepoch)
            test = self._metrics(index, dataset, hp, "x-test", slots, iepoch)
            valtest = self._metrics(index, dataset, hp, "test", slots, iepoch)
        if dataset in _COMMENT:
            info["comment"] = _COMMENT[dataset].format(hp)
        for name, part in (("valid", valid), ("test", test), ("valtest", valtest)):
            if part is None:
                continue
            at = part["all_time"]
            info[f"{name}-loss"] = part["loss"]
            info[f"{name}-accuracy"] = part["accuracy"]
            info[f"{name}-per-time"] = at / total if at is not None else None
            info[f"{name}-all-time"] = at
        return info

    def get_cost_info(self, index: Any, dataset: str, hp: str = "12") -> dict[str, Any]:
        """flops, params, latency and per-epoch / total times (means over the cell's seeds)."""
        index = self.query_index_by_arch(index)
        hp = self._hp(hp)
        b = self.benchmark
        slots = self._slots(index, dataset, hp, False)

        def mean_cost(name):
            v = b.array(dataset, name, hp)[index, slots]
            v = v[np.isfinite(v)]
            return float(v.mean()) if v.size else None

        info: dict[str, Any] = {
            "flops": mean_cost("flops_m"),
            "params": mean_cost("params_m"),
            "latency": mean_cost("latency_s"),
        }
        metrics = b.metrics(dataset, hp)
        for split in ["train"] + [
            m[: -len("_time")] for m in metrics if m.endswith("_time") and m != "train_time"
        ]:
            t = b.array(dataset, f"{split}_time", hp)[index, slots]
            names = [split] + (["ori-test"] if split == "test" else [])
            for nm in names:
                if np.isnan(t).any():
                    info[f"T-{nm}@epoch"] = info[f"T-{nm}@total"] = None
                else:
                    info[f"T-{nm}@epoch"] = float(t.mean(axis=1).mean())
                    info[f"T-{nm}@total"] = float(t.sum(axis=1).mean())
        return info

    def get_latency(self, index: Any, dataset: str, hp: str = "12") -> float | None:
        """Mean recorded latency (s)."""
        return self.get_cost_info(index, dataset, hp)["latency"]

    def simulate_train_eval(
        self,
        arch: Any,
        dataset: str,
        iepoch: int | None = None,
        hp: str = "12",
        account_time: bool = True,
    ):
        """(valid accuracy, latency, time cost, total used time) of one random-seed trial.

        cifar10 reads cifar10-valid, as NATS does; time cost = train-all-time + valid-per-time.
        """
        index = self.query_index_by_arch(arch)
        names = ("cifar10", "cifar100", "ImageNet16-120")
        if dataset not in names:
            raise UnknownKeyError("dataset", dataset, names)
        ds = "cifar10-valid" if dataset == "cifar10" else dataset
        info = self.get_more_info(index, ds, iepoch=iepoch, hp=hp, is_random=True)
        valid_acc = info["valid-accuracy"]
        time_cost = info["train-all-time"] + info["valid-per-time"]
        latency = self.get_latency(index, dataset)
        if account_time:
            self._used_time += time_cost
        return valid_acc, latency, time_cost, self._used_time
