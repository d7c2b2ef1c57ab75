"""The build ledger: one SQLite file (WAL) holding the state and result of every trial.

Rows are keyed (dataset, hp, seed, arch_index) and move pending -> running -> done | failed. A
finished trial's TrialRecord is stored as JSON in the same transaction that marks it done, so a
build killed at any moment (kill -9 included) loses at most the trials that were running; they
are handed out again because their owner is dead or their heartbeat is stale. Only the build
driver writes (Ray workers return records to it); the heartbeat thread uses its own connection.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from surrogate_nb.errors import BuildError
from surrogate_nb.table import TrialRecord

#: Trial states, in lifecycle order.
STATES = ("pending", "running", "done", "failed")
Key = tuple[str, str, int, int]  # (dataset, hp, seed, arch_index)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS trials (
    dataset TEXT NOT NULL, hp TEXT NOT NULL, seed INTEGER NOT NULL, arch_index INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', owner TEXT, heartbeat REAL, attempts INTEGER DEFAULT 0,
    result TEXT, error TEXT, updated REAL,
    PRIMARY KEY (dataset, hp, seed, arch_index)
);
CREATE INDEX IF NOT EXISTS trials_state ON trials(state);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    arch_index INTEGER NOT NULL, source TEXT NOT NULL, added REAL,
    PRIMARY KEY (arch_index, source)
);
"""


def owner_id(token: str | None = None) -> str:
    """A run as ``host:pid:token`` (the owner written on rows it runs).

    The random per-run token tells two runs apart when they share host and PID (PID 1 in
    containers, or a PID reused after a crash): a row owned by another run is reclaimed when its
    owner is dead or its heartbeat is stale, even if ``host:pid`` equals ours.
    """
    return f"{socket.gethostname()}:{os.getpid()}:{token or uuid.uuid4().hex[:16]}"


def _parse_owner(owner: str) -> tuple[str, str, str | None]:
    """(host, pid, token) of an owner string; token None for the older ``host:pid`` form."""
    head, _, last = owner.rpartition(":")
    if head and not last.isdigit():
        host, _, pid = head.rpartition(":")
        return host, pid, last
    return head, last, None


def _owner_alive(owner: str | None, me: str | None = None) -> bool:
    """Whether the run that wrote ``owner`` may still run (same host: its PID lives and is not
    this process under another token; another host: only its heartbeat can tell)."""
    if not owner or ":" not in owner:
        return False
    host, pid, _token = _parse_owner(owner)
    if host != socket.gethostname():
        return True
    try:
        if int(pid) == os.getpid():
            return owner == me  # our PID, another run: that run is gone
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


class Ledger:
    """SQLite ledger of a build. Safe to open from several processes; one driver writes at a time.

    Args:
        path: the .sqlite file (created with its folder when missing).
        stale_after_s: a running row whose heartbeat is older than this is reclaimed.
    """

    def __init__(self, path: str | os.PathLike, stale_after_s: float = 600.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stale_after_s = float(stale_after_s)
        self.owner = owner_id()
        try:
            self._db = self._connect()
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as e:  # not SQLite, or a damaged header or schema
            raise BuildError(
                f"ledger {self.path} is damaged or not a build ledger ({e}); restore it (e.g. "
                "from git) or move it aside to start the build afresh"
            ) from None
        self._hb_stop: threading.Event | None = None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=60000")
        return db

    def close(self) -> None:
        """Stop the heartbeat and close the connection."""
        self.stop_heartbeat()
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- meta --------------------------------------------------------------------------------

    def get_meta(self, key: str, default=None):
        """A JSON value stored under `key`."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_meta(self, key: str, value) -> None:
        """Store `value` (JSON-able) under `key`."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    # ---- sources -----------------------------------------------------------------------------

    def add_sources(self, source: str, cells: Iterable[int]) -> None:
        """Record that `source` proposed `cells` (a cell may have several sources)."""
        now = time.time()
        with self._tx():
            self._db.executemany(
                "INSERT OR IGNORE INTO sources VALUES (?, ?, ?)",
                [(int(c), str(source), now) for c in cells],
            )

    def sources(self) -> dict[str, list[int]]:
        """{source: its cells, in the order they were added}."""
        out: dict[str, list[int]] = {}
        for a, src in self._db.execute(
            "SELECT arch_index, source FROM sources ORDER BY added, rowid"
        ):
            out.setdefault(src, []).append(int(a))
        return out

    # ---- rows --------------------------------------------------------------------------------

    def add(self, keys: Iterable[Key]) -> int:
        """Insert trials as pending (existing rows are left as they are); returns rows added."""
        rows = [(d, str(h), int(s), int(a), time.time()) for d, h, s, a in keys]
        with self._tx():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO trials(dataset, hp, seed, arch_index, updated) "
                "VALUES (?,?,?,?,?)",
                rows,
            )
            return self._db.total_changes - before

    def counts(self, keys: Sequence[Key] | None = None) -> dict[str, int]:
        """Number of rows per state (all rows, or only `keys`)."""
        out = dict.fromkeys(STATES, 0)
        if keys is None:
            for state, n in self._db.execute("SELECT state, COUNT(*) FROM trials GROUP BY state"):
                out[state] = n
        else:
            for k in keys:
                row = self._db.execute(
                    "SELECT state FROM trials WHERE dataset=? AND hp=? AND seed=? AND arch_index=?",
                    k,
                ).fetchone()
                if row:
                    out[row[0]] += 1
        return out

    def states(self) -> dict[Key, str]:
        """State of every row."""
        return {
            (d, h, s, a): st
            for d, h, s, a, st in self._db.execute(
                "SELECT dataset, hp, seed, arch_index, state FROM trials"
            )
        }

    def reclaim(self, *, now: float | None = None) -> int:
        """Running rows whose owner is dead (this host) or whose heartbeat is stale -> pending."""
        now = time.time() if now is None else now
        n = 0
        with self._tx():
            rows = self._db.execute(
                "SELECT dataset, hp, seed, arch_index, owner, heartbeat FROM trials "
                "WHERE state='running'"
            ).fetchall()
            for d, h, s, a, owner, hb in rows:
                stale = hb is None or now - hb > self.stale_after_s
                if owner != self.owner and (stale or not _owner_alive(owner, self.owner)):
                    self._db.execute(
                        "UPDATE trials SET state='pending', owner=NULL, updated=? WHERE "
                        "dataset=? AND hp=? AND seed=? AND arch_index=?",
                        (now, d, h, s, a),
                    )
                    n += 1
        return n

    def pending(
        self, keys: Sequence[Key] | None = None, *, retry_failed: bool = False
    ) -> list[Key]:
        """Pending rows (and failed ones when `retry_failed`), ordered by arch then seed."""
        states = ("pending", "failed") if retry_failed else ("pending",)
        rows = self._db.execute(
            f"SELECT dataset, hp, seed, arch_index FROM trials WHERE state IN "
            f"({','.join('?' * len(states))}) ORDER BY dataset, hp, arch_index, seed",
            states,
        ).fetchall()
        out = [(d, h, int(s), int(a)) for d, h, s, a in rows]
        if keys is not None:
            wanted = set(keys)
            out = [k for k in out if k in wanted]
        return out

    def claim(self, fingerprint: dict, keys: Iterable[Key]) -> dict | None:
        """Check the build's fingerprint and add its trials, in one transaction.

        The first build on a ledger stores ``fingerprint``; a later one must match it. Done in
        one ``BEGIN IMMEDIATE`` transaction, so two builds with different configs that start
        together cannot both pass the check.

        Returns:
            None when the fingerprint matches (or was stored now; the trials are then added as
            pending), else the stored fingerprint (nothing is changed).
        """
        rows = [(d, str(h), int(s), int(a), time.time()) for d, h, s, a in keys]
        with self._tx():
            row = self._db.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
            old = None if row is None else json.loads(row[0])
            if old is not None and old != json.loads(json.dumps(fingerprint)):
                return old
            if old is None:
                self._db.execute(
                    "INSERT INTO meta VALUES ('fingerprint', ?)", (json.dumps(fingerprint),)
                )
            self._db.executemany(
                "INSERT OR IGNORE INTO trials(dataset, hp, seed, arch_index, updated) "
                "VALUES (?,?,?,?,?)",
                rows,
            )
        return None

    def try_start(self, keys: Sequence[Key]) -> bool:
        """Mark `keys` running for this run if every one is still pending (all or nothing).

        Returns:
            False (and changes nothing) when another run took any of them first: two builds on
            one ledger share the work instead of failing.
        """
        now = time.time()
        with self._tx():
            for k in keys:
                row = self._db.execute(
                    "SELECT state FROM trials WHERE dataset=? AND hp=? AND seed=? AND arch_index=?",
                    k,
                ).fetchone()
                if row is None or row[0] not in ("pending", "failed"):
                    return False
            for k in keys:
                self._db.execute(
                    "UPDATE trials SET state='running', owner=?, heartbeat=?, "
                    "attempts=attempts+1, updated=? WHERE dataset=? AND hp=? AND seed=? AND "
                    "arch_index=?",
                    (self.owner, now, now, *k),
                )
        return True

    def start(self, keys: Sequence[Key]) -> None:
        """Mark `keys` running, owned by this process."""
        now = time.time()
        with self._tx():
            for k in keys:
                cur = self._db.execute(
                    "UPDATE trials SET state='running', owner=?, heartbeat=?, "
                    "attempts=attempts+1, updated=? WHERE dataset=? AND hp=? AND seed=? AND "
                    "arch_index=? AND state IN ('pending','failed')",
                    (self.owner, now, now, *k),
                )
                if cur.rowcount != 1:
                    raise BuildError(f"trial {k} is not pending in {self.path}; cannot start it")

    def complete(self, results: Sequence[tuple[Key, Mapping[str, object]]]) -> None:
        """Store finished TrialRecords and mark them done, all in one transaction."""
        now = time.time()
        with self._tx():
            for k, record in results:
                self._db.execute(
                    "UPDATE trials SET state='done', result=?, error=NULL, updated=? WHERE "
                    "dataset=? AND hp=? AND seed=? AND arch_index=? AND state!='done'",
                    (json.dumps(record, allow_nan=False), now, *k),
                )

    def fail(self, keys: Sequence[Key], error: str) -> None:
        """Mark `keys` failed with an error message (they are retried only on request)."""
        now = time.time()
        with self._tx():
            for k in keys:
                self._db.execute(
                    "UPDATE trials SET state='failed', error=?, updated=? WHERE dataset=? AND "
                    "hp=? AND seed=? AND arch_index=? AND state!='done'",
                    (error[:4000], now, *k),
                )

    def errors(self) -> dict[Key, str]:
        """Error message of every failed row."""
        return {
            (d, h, s, a): e
            for d, h, s, a, e in self._db.execute(
                "SELECT dataset, hp, seed, arch_index, error FROM trials WHERE state='failed'"
            )
        }

    def results(self) -> Iterator[TrialRecord]:
        """TrialRecords of done rows, ordered by dataset, hp, arch_index, seed."""
        cur = self._db.execute(
            "SELECT result FROM trials WHERE state='done' ORDER BY dataset, hp, arch_index, seed"
        )
        for (text,) in cur:
            yield json.loads(text)

    def cell_results(self, arch_index: int, dataset: str, hp: str) -> list[dict]:
        """TrialRecords of one cell's done rows in (dataset, hp), by seed."""
        cur = self._db.execute(
            "SELECT result FROM trials WHERE state='done' AND arch_index=? AND dataset=? AND hp=? "
            "ORDER BY seed",
            (int(arch_index), dataset, str(hp)),
        )
        return [json.loads(text) for (text,) in cur]

    # ---- heartbeat ---------------------------------------------------------------------------

    def beat(self) -> None:
        """Refresh the heartbeat of the rows this process runs."""
        db = self._connect()
        try:
            db.execute(
                "UPDATE trials SET heartbeat=? WHERE state='running' AND owner=?",
                (time.time(), self.owner),
            )
        finally:
            db.close()

    def start_heartbeat(self, every_s: float = 30.0) -> None:
        """Beat every `every_s` seconds from a daemon thread until `stop_heartbeat`."""
        if self._hb_stop is not None:
            return
        stop = self._hb_stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every_s):
                with contextlib.suppress(sqlite3.Error):  # a busy database: next beat
                    self.beat()

        threading.Thread(target=loop, name="ledger-heartbeat", daemon=True).start()

    def stop_heartbeat(self) -> None:
        """Stop the heartbeat thread (if any)."""
        if self._hb_stop is not None:
            self._hb_stop.set()
            self._hb_stop = None

    # ---- internals ---------------------------------------------------------------------------

    def _tx(self):
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
