"""Ledger ownership by run (not host:pid), one-transaction config claim, shared work."""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time

from surrogate_nb.exhaustive import Ledger
from surrogate_nb.exhaustive.ledger import owner_id

K1, K2, K3 = ("toy", "2", 1, 10), ("toy", "2", 2, 10), ("toy", "2", 1, 11)


def _own(path, key, owner: str, heartbeat: float) -> None:
    db = sqlite3.connect(path)
    db.execute(
        "UPDATE trials SET state='running', owner=?, heartbeat=? WHERE dataset=? AND hp=? AND "
        "seed=? AND arch_index=?",
        (owner, heartbeat, *key),
    )
    db.commit()
    db.close()


def test_dead_run_with_our_host_and_pid_is_reclaimed(tmp_path):
    """Guards: "a trial left running by a dead process whose host:pid equals the new run's
    (PID 1 in containers) is never reclaimed"."""
    path = tmp_path / "l.sqlite"
    with Ledger(path, stale_after_s=60) as led:
        led.add([K1, K2, K3])
        me = f"{socket.gethostname()}:{os.getpid()}"
        _own(path, K1, me + ":deadbeef00000000", time.time() - 3600)  # stale, same host:pid
        _own(path, K2, me, time.time())  # the older host:pid form, fresh heartbeat
        _own(path, K3, me + ":cafe000000000000", time.time())  # fresh, same pid, other run
        assert led.owner.startswith(me + ":") and led.owner != me
        assert led.reclaim() == 3
        assert led.counts()["pending"] == 3


def test_live_run_elsewhere_with_fresh_heartbeat_is_kept(tmp_path):
    path = tmp_path / "l.sqlite"
    with Ledger(path, stale_after_s=60) as led:
        led.add([K1])
        _own(path, K1, "other-host:1:0123456789abcdef", time.time())
        assert led.reclaim() == 0
        assert led.reclaim(now=time.time() + 120) == 1  # until its heartbeat goes stale


def test_owner_ids_differ_per_run():
    assert owner_id() != owner_id()


def test_config_check_and_claim_are_one_transaction(tmp_path):
    """Guards: "two builds with different configs can both pass the config check if they start
    together". Many pairs of racing claims: exactly one config wins each time."""
    for trial in range(15):
        path = tmp_path / f"l{trial}.sqlite"
        Ledger(path).close()  # schema exists
        barrier = threading.Barrier(2)
        results = {}

        def claim(name, fp, path=path, barrier=barrier, results=results) -> None:
            with Ledger(path) as led:
                barrier.wait()
                results[name] = led.claim(fp, [K1] if name == "a" else [K2])

        ts = [
            threading.Thread(target=claim, args=("a", {"epochs": 12})),
            threading.Thread(target=claim, args=("b", {"epochs": 200})),
        ]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        passed = [n for n, old in results.items() if old is None]
        assert len(passed) == 1, results
        with Ledger(path) as led:
            # only the winner's trials were added
            assert led.counts()["pending"] == 1
            assert led.get_meta("fingerprint") == {"epochs": 12 if passed == ["a"] else 200}


def test_identical_builds_share_units(tmp_path):
    """Guards: "two identical builds on one --out: one exits 2 after one trial"."""
    path = tmp_path / "l.sqlite"
    with Ledger(path) as a, Ledger(path) as b:
        assert a.claim({"x": 1}, [K1, K2, K3]) is None
        assert b.claim({"x": 1}, [K1, K2, K3]) is None  # same config: joins
        assert a.try_start([K1, K2])
        assert not b.try_start([K2, K3])  # all or nothing: K2 is a's
        assert b.counts()["running"] == 2 and b.pending() == [K3]
        assert b.try_start([K3])
        assert a.counts()["running"] == 3


def test_build_skips_units_another_build_runs(tmp_path, toy_dir):
    """A second identical build on one --out trains what is left instead of exiting with
    "trial is not pending" (the unit a live build holds is skipped, not failed)."""
    from surrogate_nb.exhaustive import BuildPlan, TrainConfig, run_build

    tiny = TrainConfig(epochs=2, channels=4, cells_per_stage=1, batch_size=32, latency_batches=0)
    plan = BuildPlan("npz", str(tmp_path / "t"), config=tiny, cells=[3, 30, 300], seeds=(1,),
                     data_dir=str(toy_dir))  # fmt: skip
    run_build(plan, max_units=0)  # ledger + fingerprint + pending trials
    _own(plan.ledger_path, ("npz", "2", 1, 30), "other-host:7:0123456789abcdef", time.time())
    result = run_build(plan)
    assert result.trained_now == 2 and result.done == 2 and result.failed == 0
    assert result.table is None  # cell 30 is still the other build's
    with Ledger(plan.ledger_path) as led:
        assert led.counts() == {"pending": 0, "running": 1, "done": 2, "failed": 0}


class _Failing:
    """A backend whose every unit fails (a device that breaks at the first op)."""

    def run(self, units, data, config):
        for unit in units:
            yield unit, RuntimeError("device lost\nsecond line")


def test_a_run_whose_every_trial_fails_is_a_failure(tmp_path, toy_dir):
    """Issue 22 item 5: `snb build --device tpu` exited 0 with every trial failed."""
    import pytest

    from surrogate_nb.errors import BuildError
    from surrogate_nb.exhaustive import BuildPlan, TrainConfig, run_build

    tiny = TrainConfig(epochs=2, channels=4, cells_per_stage=1, batch_size=32, latency_batches=0)
    plan = BuildPlan("npz", str(tmp_path / "t"), config=tiny, cells=[3, 30], seeds=(1,),
                     data_dir=str(toy_dir))  # fmt: skip
    with pytest.raises(BuildError, match=r"every trial of this run failed \(2\).*device lost\. "):
        run_build(plan, backend=_Failing())
    with Ledger(plan.ledger_path) as led:
        assert led.counts()["failed"] == 2  # recorded for --retry-failed
    assert not (tmp_path / "t").exists()


def test_bad_device_and_engine_are_refused_before_loading_data(tmp_path):
    import pytest

    from surrogate_nb.errors import BuildError
    from surrogate_nb.exhaustive import BuildPlan, run_build
    from surrogate_nb.exhaustive.build import check_device

    missing = str(tmp_path / "no-such-data")  # never read: the options fail first
    for kwargs, words in [
        ({"device": "tpu"}, "not a device a build trains on"),
        ({"device": "cuda:7"}, "CUDA device"),
        ({"engine": "x"}, "--engine must be"),
        ({"fuse": "maybe"}, "--fuse must be"),
        ({"group_cells": 0}, "--group-cells must be"),
    ]:
        plan = BuildPlan("npz", str(tmp_path / "t"), data_dir=missing, **kwargs)
        with pytest.raises(BuildError, match=words):
            run_build(plan)
    check_device("cuda:3", here=False)  # a Ray worker elsewhere may have it
    check_device("cpu")
    assert not (tmp_path / "t.ledger.sqlite").exists()
