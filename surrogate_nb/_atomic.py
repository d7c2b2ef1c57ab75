"""Crash-safe replacement of a directory (a table, a saved surrogate).

A new object is written into a hidden sibling ``.<name>.tmp-<pid>-<rand>``. To put it at ``root``:

1. no ``root`` yet: one ``rename(tmp, root)``;
2. ``root`` exists: ``rename(root, .<name>.old-<pid>-<rand>)`` then ``rename(tmp, root)``, then
   the old copy is deleted.

A kill between the two renames of step 2 leaves ``root`` absent with the complete old object in
``.<name>.old-<pid>-*``. `recover` (run by every reader when ``root`` is missing, and by every
writer before it writes) renames that old object back, so anyone going through this package
always finds either the old or the new complete object at ``root``. `clean_stale` then removes
the ``.tmp-`` / ``.old-`` siblings left by processes that no longer run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from surrogate_nb.errors import OutputError

#: Staging directories this process created (so a reused PID, e.g. 1 in containers, is not
#: mistaken for the owner of a directory left by an earlier process).
_OURS: set[str] = set()


def _pattern(root: Path) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(root.name)}\.(tmp|old)-(\d+)-[A-Za-z0-9_]+$")


def _alive(pid: int, name: str) -> bool:
    if pid == os.getpid():
        return name in _OURS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _siblings(root: Path) -> list[tuple[str, int, Path]]:
    pat = _pattern(root)
    out: list[tuple[str, int, Path]] = []
    try:
        entries = list(root.parent.iterdir())
    except OSError:
        return out
    for p in entries:
        m = pat.match(p.name)
        if m:
            out.append((m[1], int(m[2]), p))
    return out


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def staging_dir(root: Path) -> Path:
    """A new empty hidden sibling of ``root`` to write the next version into.

    Its mode follows the umask like any other new directory (`tempfile.mkdtemp` makes 0700,
    which would hide a table in a shared folder from colleagues).
    """
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.tmp-{os.getpid()}-", dir=root.parent))
    _OURS.add(tmp.name)
    os.chmod(tmp, 0o777 & ~_umask())
    return tmp


# ---- what an output path holds -----------------------------------------------------------------

#: Kinds of object this package writes, by the ``format`` of their ``manifest.json``.
FORMATS: dict[str, str] = {
    "surrogate-nb-table": "table",
    "surrogate-nb/surrogate": "model",
    "surrogate-nb/curve-surrogate": "model",
}
#: The index file of a folder of several saved surrogates (`SurrogateBenchmark.save`).
MODEL_INDEX = "surrogates.json"


def kind_of(path: Path) -> str | None:
    """What ``path`` holds: "table", "model", "absent", "empty", or None (something else)."""
    if not path.exists() and not path.is_symlink():
        return "absent"
    if not path.is_dir():
        return None
    if (path / MODEL_INDEX).is_file() and not (path / "manifest.json").exists():
        return "model"
    mpath = path / "manifest.json"
    if not mpath.is_file():
        return "empty" if not any(path.iterdir()) else None
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(manifest, dict):
        return None
    fmt = manifest.get("format")
    if fmt is None and "settings" in manifest and "files" in manifest:
        return "table"  # tables written before the manifest named its format
    return FORMATS.get(fmt) if isinstance(fmt, str) else None


def check_output(root: str | os.PathLike, kind: str, *, option: str = "--out") -> Path:
    """Refuse an output path that cannot receive a ``kind`` ("table" or "model") before any
    work starts: one holding another kind of object or foreign files, a file, or a folder this
    process may not write.

    Raises:
        OutputError: one line naming the path, what it holds and what to do.
    """
    root = Path(root)
    have = kind_of(root)
    article = "an" if kind[0] in "aeiou" else "a"
    if have not in ("absent", "empty", kind):
        what = f"a surrogate-nb {have}" if have else "something that is not a surrogate-nb object"
        if have is None and not root.is_dir():
            what = "a file"
        raise OutputError(
            f"{option} {root} holds {what}; refusing to replace it with {article} {kind} "
            f"(choose another {option} or remove it)"
        )
    _check_parent(root, option)
    return root


def _check_parent(root: Path, option: str) -> None:
    """The nearest existing folder above ``root`` is a folder this process may write in."""
    parent = root.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{option} {root}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {root}: cannot write in {parent} (permission denied)")


# ---- one writer per output ---------------------------------------------------------------------

#: Locks this process holds: lock file path -> (file descriptor, depth).
_LOCKS: dict[str, list[int]] = {}


def _lock_path(root: Path) -> Path:
    return root.parent / f".{root.name}.lock"


@contextlib.contextmanager
def writer_lock(root: str | os.PathLike, *, option: str = "--out") -> Iterator[None]:
    """Hold the one-writer lock of ``root`` (an exclusive ``flock`` on the hidden sibling
    ``.<name>.lock``, removed on release; the kernel releases the lock when the process dies, so
    a stale file never blocks); re-entrant within a process.

    Raises:
        OutputError: another process is writing ``root`` now.
    """
    import fcntl

    root = Path(root)
    _check_parent(root, option)
    root.parent.mkdir(parents=True, exist_ok=True)
    lock = str(_lock_path(root).absolute())
    held = _LOCKS.get(lock)
    if held is not None:
        held[1] += 1
        try:
            yield
        finally:
            held[1] -= 1
        return
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                other = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            finally:
                os.close(fd)
            raise OutputError(
                f"{option} {root} is being written by another process (pid {other}); wait for "
                f"it to finish or choose another {option}"
            ) from None
        try:  # the holder before us may have removed the file after we opened it: retry
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _LOCKS[lock] = [fd, 1]
    try:
        yield
    finally:
        del _LOCKS[lock]
        with contextlib.suppress(OSError):
            os.unlink(lock)  # still held: nobody else can be past the check above
        os.close(fd)


def recover(root: Path, is_complete: Callable[[Path], bool]) -> bool:
    """Put the old object back at ``root`` if a writer died between its two renames.

    Args:
        root: the object's path.
        is_complete: whether a directory holds a complete object (e.g. has its manifest).

    Returns:
        True when something was restored.
    """
    if root.exists() or root.is_symlink():
        return False
    olds = [
        p
        for kind, pid, p in _siblings(root)
        if kind == "old" and not _alive(pid, p.name) and is_complete(p)
    ]
    if not olds:
        return False
    olds.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    try:
        os.replace(olds[0], root)
    except OSError:
        return False
    return True


def clean_stale(root: Path) -> None:
    """Remove ``.tmp-`` / ``.old-`` siblings of ``root`` whose writer no longer runs."""
    for _kind, pid, p in _siblings(root):
        if not _alive(pid, p.name):
            shutil.rmtree(p, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def commit(tmp: Path, root: Path, *, replaceable: Callable[[Path], bool], what: str) -> None:
    """Move the finished ``tmp`` to ``root``, replacing an existing object there.

    Args:
        tmp: a directory from `staging_dir`, fully written.
        root: the destination.
        replaceable: whether an existing ``root`` is an object of this kind (else refuse).
        what: what the object is, for the error message ("table", "saved surrogate").

    Raises:
        OutputError: ``root`` exists and is something else (non-empty, not ``what``).
    """
    _fsync_dir(tmp)
    if root.exists() and (not root.is_dir() or (not replaceable(root) and any(root.iterdir()))):
        raise OutputError(
            f"{root} exists and is not a {what}; refusing to replace it "
            "(choose another --out or remove it)"
        )
    if root.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{root.name}.old-{os.getpid()}-", dir=root.parent))
        _OURS.add(old.name)
        os.replace(root, old)  # old was an empty dir: rename replaces it
        try:
            os.replace(tmp, root)
        except BaseException:
            os.replace(old, root)
            raise
        finally:
            _OURS.discard(tmp.name)
        _fsync_dir(root.parent)
        shutil.rmtree(old, ignore_errors=True)
        _OURS.discard(old.name)
    else:
        os.replace(tmp, root)
        _OURS.discard(tmp.name)
        _fsync_dir(root.parent)
