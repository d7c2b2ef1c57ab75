"""Ray backend on a local instance with CPU workers: same records as the local backend."""

import pytest

from surrogate_nb.exhaustive import BuildPlan, TrainConfig, load_setting, run_build
from surrogate_nb.table import Benchmark

pytestmark = pytest.mark.ray
TINY = TrainConfig(epochs=2, channels=4, cells_per_stage=1, batch_size=32, latency_batches=0)


def test_ray_matches_local(tmp_path, toy_dir):
    import ray  # in the dev extra: a missing or broken ray fails this test, it is not skipped

    from surrogate_nb.exhaustive.ray_backend import RayBackend

    data = load_setting("npz", toy_dir)
    kw = dict(config=TINY, cells=[3, 300, 3000], seeds=(1, 2), data_dir=str(toy_dir))
    local = run_build(BuildPlan("npz", str(tmp_path / "local"), **kw), data=data)
    # a Ray start-up failure must fail this test (it used to turn into a skip)
    backend = RayBackend(
        "local", init_kwargs={"num_cpus": 2, "include_dashboard": False, "log_to_driver": False}
    )
    backend._ensure()
    try:
        remote = run_build(
            BuildPlan("npz", str(tmp_path / "ray"), **kw), data=data, backend=backend
        )
    finally:
        ray.shutdown()
    assert local.done == remote.done == 6 and remote.failed == 0
    a, b = Benchmark.open(local.table), Benchmark.open(remote.table)
    for metric in ("train_loss", "x-valid_acc", "test_loss"):
        for seed in (1, 2):
            for cell in (3, 300, 3000):
                assert (
                    a.curve(cell, "npz", metric, seed=seed).tolist()
                    == b.curve(cell, "npz", metric, seed=seed).tolist()
                )


def _free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _pids_of(marker: str) -> list[int]:
    """Processes whose command line names `marker` (the head's own temp dir): the ones the
    `ray start` below spawned, and only those."""
    import os
    from pathlib import Path

    out = []
    for p in Path("/proc").glob("[0-9]*"):
        try:
            if marker.encode() in (p / "cmdline").read_bytes() and int(p.name) != os.getpid():
                out.append(int(p.name))
        except OSError:
            continue
    return out


def _stop_head(marker: str) -> None:
    import contextlib
    import os
    import signal
    import time

    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _pids_of(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.time() + 10
        while _pids_of(marker) and time.time() < deadline:
            time.sleep(0.2)
    assert not _pids_of(marker), "ray head processes left running"


_SNB = "import sys; from surrogate_nb.cli import main; sys.argv[0] = 'snb'; main()"


def test_build_against_a_ray_start_head_with_token_auth(tmp_path, toy_dir):
    """Issue 22 item 7: `ray start --head` turns token authentication on when a token exists
    (~/.ray/auth_token, made by any local ray.init); `snb build --ray-address` then failed with
    "cannot connect to Ray". A real head, started as users start it, with a token in HOME and
    RAY_AUTH_MODE unset; the build's trials run as its tasks and match a local build."""
    import json
    import os
    import secrets
    import shutil
    import subprocess
    import sys
    import tempfile

    home = tmp_path / "home"
    (home / ".ray").mkdir(parents=True)
    (home / ".ray" / "auth_token").write_text(secrets.token_hex(32))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env |= {"HOME": str(home), "RAY_USAGE_STATS_ENABLED": "0"}
    ray_cli = [sys.executable, "-m", "ray.scripts.scripts"]  # this venv's ray, not a shebang's
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's socket paths have a limit
    port, agent, grpc, runtime_env = _free_ports(4)
    try:
        subprocess.run(
            [*ray_cli, "start", "--head", f"--port={port}", f"--temp-dir={temp}", "--num-cpus=1",
             "--num-gpus=0", "--include-dashboard=false", "--disable-usage-stats",
             f"--dashboard-agent-listen-port={agent}",
             f"--dashboard-agent-grpc-port={grpc}", f"--runtime-env-agent-port={runtime_env}"],
            env=env, check=True, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        cells = tmp_path / "cells.txt"
        cells.write_text("300\n")
        out = tmp_path / "ray"
        r = subprocess.run(
            [sys.executable, "-c", _SNB, "build", "--dataset", "npz",
             "--data-dir", str(toy_dir), "--out", str(out), "--hp", "2", "--cells", str(cells),
             "--seeds", "1", "--channels", "4", "--cells-per-stage", "1", "--batch-size", "32",
             "--ray-address", f"127.0.0.1:{port}", "--quiet"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        _stop_head(temp)
        shutil.rmtree(temp, ignore_errors=True)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stdout[r.stdout.index("{") :])
    assert summary["done"] == 1 and summary["failed"] == 0
    data = load_setting("npz", toy_dir)
    kw = dict(config=TrainConfig(epochs=2, channels=4, cells_per_stage=1, batch_size=32),
              cells=[300], seeds=(1,), data_dir=str(toy_dir))  # fmt: skip
    local = run_build(BuildPlan("npz", str(tmp_path / "local"), **kw), data=data)
    a, b = Benchmark.open(local.table), Benchmark.open(out)
    assert a.curve(300, "npz", "x-valid_acc", seed=1).tolist() == (
        b.curve(300, "npz", "x-valid_acc", seed=1).tolist()
    )


def test_connection_failure_says_what_to_set(monkeypatch):
    from surrogate_nb.errors import BuildError
    from surrogate_nb.exhaustive import ray_backend

    port = _free_ports(1)[0]  # nothing listens there
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    backend = ray_backend.RayBackend(f"127.0.0.1:{port}")
    import ray

    monkeypatch.setattr(ray, "init", _refuse)
    with pytest.raises(BuildError, match="export RAY_AUTH_MODE=token and RAY_AUTH_TOKEN"):
        backend._ensure()


def _refuse(*args, **kwargs):
    raise ConnectionError("Failed to connect to Ray cluster\nmore detail")


def test_client_auth_follows_ray_start_rule(monkeypatch, tmp_path):
    from surrogate_nb.exhaustive.ray_backend import match_ray_start_auth

    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        monkeypatch.delenv(var, raising=False)
    assert match_ray_start_auth() is False  # no token anywhere: a head starts without auth
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("x" * 64)
    assert match_ray_start_auth() is False  # an explicit mode is respected
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    assert match_ray_start_auth() is True
