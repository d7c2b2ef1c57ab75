"""Ray backend: units of trials as Ray tasks; the driver keeps the ledger.

Tasks are pure (`build.train_unit`: same unit, same records), so Ray's retries of a task whose
worker died are harmless, and a task's result is written to the ledger only by the driver. The
prepared dataset is put in the object store once. Each task asks for `num_gpus` (a fraction
packs several on one GPU) or, on CPU, `num_cpus`.

Ray is an optional extra (``pip install -e ".[ray]"``); importing this module does not need it.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path

from surrogate_nb.errors import BuildError
from surrogate_nb.exhaustive.build import Unit, train_unit
from surrogate_nb.exhaustive.config import TrainConfig
from surrogate_nb.exhaustive.datasets import PreparedData
from surrogate_nb.table import TrialRecord


def _ray():
    try:
        import ray
    except ImportError:
        raise BuildError(
            "the Ray backend needs ray: pip install -e '.[ray]' (or drop --ray-address)"
        ) from None
    return ray


#: What to set when a connection fails: `ray start` (Ray >= 2.5x) turns token authentication
#: on when a token exists (``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``,
#: which a local ``ray.init()`` creates) and ``RAY_AUTH_MODE`` is unset.
AUTH_HINT = (
    "If the cluster was started with `ray start --head` and uses token authentication, this "
    "machine needs the cluster's token: export RAY_AUTH_MODE=token and RAY_AUTH_TOKEN=<the "
    "head's `ray get-auth-token`> (or copy the head's ~/.ray/auth_token here); a cluster "
    "started with RAY_AUTH_MODE=disabled needs RAY_AUTH_MODE=disabled here too"
)


def _token_available() -> bool:
    if os.environ.get("RAY_AUTH_TOKEN"):
        return True
    path = os.environ.get("RAY_AUTH_TOKEN_PATH")
    if path:
        return Path(path).is_file()
    return (Path.home() / ".ray" / "auth_token").is_file()


def match_ray_start_auth() -> bool:
    """Decide token authentication for a client as `ray start --head` decides it for the head:
    on when ``RAY_AUTH_MODE`` is unset and a token is available here (an explicit
    ``RAY_AUTH_MODE`` is respected). Without this, a client of a `ray start` head on the same
    machine fails with "Authentication token is missing".

    Returns:
        Whether token authentication is on for this process.
    """
    mode = os.environ.get("RAY_AUTH_MODE")
    if mode is not None:
        return mode.lower() == "token"
    if not _token_available():
        return False
    try:  # Ray's own rule, which also refreshes its cached config
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # an older or newer Ray: set the mode ourselves
        os.environ["RAY_AUTH_MODE"] = "token"
        return True
    return bool(maybe_enable_token_auth_if_token_available(warn_if_disabled=False))


class RayBackend:
    """Schedules units on a Ray cluster, at most `max_in_flight` at a time.

    Args:
        address: Ray address ("auto", "ray://host:10001", or "local" to start one here).
        device: "cuda" (each task gets `num_gpus`) or "cpu".
        engine: "fast" or "reference".
        num_gpus: GPUs per task on CUDA (0.25 = four tasks share a GPU).
        num_cpus: CPUs per task.
        max_in_flight: tasks submitted ahead of the results (None = 2 × cluster slots).
        init_kwargs: extra arguments of `ray.init` (e.g. num_cpus for a local instance).
        space: the search space of the units' cells.
    """

    def __init__(
        self,
        address: str | None = "auto",
        device: str = "cpu",
        engine: str = "fast",
        num_gpus: float = 1.0,
        num_cpus: float = 1.0,
        max_in_flight: int | None = None,
        init_kwargs: dict | None = None,
        space: str = "nb201",
    ) -> None:
        self.address = None if address in (None, "local") else address
        self.device, self.engine, self.space = device, engine, space
        self.num_gpus = num_gpus if device.startswith("cuda") else 0
        self.num_cpus = num_cpus
        self.max_in_flight = max_in_flight
        self.init_kwargs = dict(init_kwargs or {})

    def _ensure(self):
        ray = _ray()
        if not ray.is_initialized():
            if self.address is not None:
                match_ray_start_auth()
            try:
                ray.init(address=self.address, **self.init_kwargs)
            except Exception as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise BuildError(
                    f"cannot connect to Ray at {self.address!r}: {first}. {AUTH_HINT}"
                ) from exc
        return ray

    def run(
        self, units: Iterable[Unit], data: PreparedData, config: TrainConfig
    ) -> Iterator[tuple[Unit, list[TrialRecord] | BaseException]]:
        """Yield (unit, records) or (unit, exception) in completion order."""
        ray = self._ensure()
        task = ray.remote(num_cpus=self.num_cpus, num_gpus=self.num_gpus, max_retries=3)(
            _remote_train
        )
        data_ref = ray.put(data)
        limit = self.max_in_flight
        if limit is None:
            res = ray.cluster_resources()
            slots = (
                (res.get("GPU", 0) / self.num_gpus)
                if self.num_gpus
                else (res.get("CPU", 1) / self.num_cpus)
            )
            limit = max(1, int(2 * slots))
        in_flight: dict = {}
        it = iter(units)
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < limit:
                try:
                    unit = next(it)
                except StopIteration:
                    exhausted = True
                    break
                ref = task.remote(unit, data_ref, config, self.device, self.engine, self.space)
                in_flight[ref] = unit
            if not in_flight:
                return
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                unit = in_flight.pop(ref)
                try:
                    yield unit, ray.get(ref)
                except Exception as exc:  # task error: recorded as failed by the driver
                    yield unit, exc


def _remote_train(
    unit: Unit, data: PreparedData, config: TrainConfig, device: str, engine: str, space: str
):
    import torch

    torch.set_num_threads(1) if device == "cpu" else None
    try:
        return train_unit(unit, data, config, device, engine, space)
    except Exception as exc:
        raise BuildError(f"unit {unit} failed: {exc}\n{traceback.format_exc(limit=5)}") from None
