import json
import sqlite3

import pytest

from surrogate_nb.errors import BuildError
from surrogate_nb.exhaustive import Ledger

K1, K2 = ("toy", "2", 1, 10), ("toy", "2", 2, 10)


def test_state_machine(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as led:
        assert led.add([K1, K2]) == 2 and led.add([K1]) == 0
        assert led.pending() == [K1, K2]
        led.start([K1])
        with pytest.raises(BuildError, match="not pending"):
            led.start([K1])
        assert led.counts()["running"] == 1
        led.complete([(K1, {"seed": 1, "x": 1.5})])
        led.start([K2])
        led.fail([K2], "boom")
        assert led.counts() == {"pending": 0, "running": 0, "done": 1, "failed": 1}
        assert list(led.results()) == [{"seed": 1, "x": 1.5}]
        assert led.errors() == {K2: "boom"}
        assert led.pending() == [] and led.pending(retry_failed=True) == [K2]
        led.complete([(K1, {"seed": 1, "x": 9})])  # done rows are never overwritten
        assert list(led.results()) == [{"seed": 1, "x": 1.5}]
        db = sqlite3.connect(tmp_path / "l.sqlite")
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_stale_heartbeat_and_dead_owner_are_reclaimed(tmp_path):
    path = tmp_path / "l.sqlite"
    with Ledger(path, stale_after_s=60) as led:
        led.add([K1, K2])
        led.start([K1, K2])
        led.beat()
    db = sqlite3.connect(path)
    # K1: owned by a live process elsewhere with a fresh heartbeat; K2: a dead local process
    import socket
    import time

    db.execute("UPDATE trials SET owner='otherhost:1', heartbeat=? WHERE seed=1", (time.time(),))
    db.execute(
        "UPDATE trials SET owner=?, heartbeat=? WHERE seed=2",
        (f"{socket.gethostname()}:999999", time.time()),
    )
    db.commit()
    with Ledger(path, stale_after_s=60) as led:
        assert led.reclaim() == 1 and led.pending() == [K2]
        assert led.reclaim(now=time.time() + 3600) == 1  # K1's heartbeat is now stale
        assert led.pending() == [K1, K2]


def test_meta_roundtrip(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as led:
        led.set_meta("fingerprint", {"a": [1, 2]})
        assert led.get_meta("fingerprint") == {"a": [1, 2]} and led.get_meta("x", 3) == 3
        with pytest.raises(ValueError):
            led.complete([(K1, {"bad": float("nan")})])
    json.dumps({})


def test_a_damaged_ledger_is_one_clear_error_and_stays_as_it_was(tmp_path):
    path = tmp_path / "l.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BuildError, match=r"l\.sqlite is damaged or not a build ledger"):
        Ledger(path)
    assert path.read_bytes() == b"not a database at all" * 100  # nothing overwritten
