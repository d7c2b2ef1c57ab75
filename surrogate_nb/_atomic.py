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
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

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


def staging_dir(root: Path) -> Path:
    """A new empty hidden sibling of ``root`` to write the next version into."""
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.tmp-{os.getpid()}-", dir=root.parent))
    _OURS.add(tmp.name)
    return tmp


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
        FileExistsError: ``root`` exists and is something else (non-empty, not ``what``).
    """
    _fsync_dir(tmp)
    if root.exists() and (not root.is_dir() or (not replaceable(root) and any(root.iterdir()))):
        raise FileExistsError(
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
