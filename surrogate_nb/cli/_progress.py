"""Progress for long CLI work: a rich bar / spinner on a terminal, plain lines otherwise.

Library code never prints; it reports through callbacks (e.g. ``on_progress`` of
`surrogate_nb.exhaustive.run_build`) and the commands render them here, on stderr so that
``--json`` output on stdout stays clean. When stderr is not a terminal (a log file, CI, a pipe)
each update is a plain line, at most one every `PLAIN_INTERVAL_S` seconds (the first and the last
always), and work of unknown length prints a line every `PLAIN_INTERVAL_S` seconds while it runs.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

    from rich.progress import Progress, TaskID

#: Least seconds between two plain progress lines.
PLAIN_INTERVAL_S = float(os.environ.get("SNB_PROGRESS_INTERVAL", "10"))


def _fmt(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def is_terminal() -> bool:
    """Whether progress goes to a terminal (stderr is a TTY)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _plain(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Reporter:
    """Counted progress ("12/300 trials") with a free-text info field.

    Args:
        label: what runs ("build", "fit", ...), the first word of every line.
        quiet: show nothing.
        plain: force plain lines (default: plain unless stderr is a terminal).
    """

    def __init__(self, label: str, *, quiet: bool = False, plain: bool | None = None) -> None:
        self.label = label
        self.quiet = quiet
        self.plain = (not is_terminal()) if plain is None else plain
        self.t0 = time.monotonic()
        self._last = -1e9
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._state: tuple[int | None, int | None, str] = (None, None, "")
        self._shown: tuple[int | None, int | None, str] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Reporter:
        if self.quiet:
            return self
        if not self.plain:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            from surrogate_nb.cli._app import err_console

            bar = Progress(
                TextColumn(f"[bold]{self.label}[/]"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                console=err_console,
            )
            bar.__enter__()
            self._task = bar.add_task(self.label, total=None, info="starting ...")
            self._bar = bar
        else:  # a line at least every 3 intervals, also while one long step runs
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(PLAIN_INTERVAL_S):
            if time.monotonic() - self._last >= 3 * PLAIN_INTERVAL_S:
                done, total, info = self._state
                self._last = time.monotonic()
                count = f" {done}/{total}" if done is not None else ""
                _plain(
                    f"{self.label}{count} {info} (still running) "
                    f"[{_fmt(self._last - self.t0)}]".replace("  ", " ")
                )

    def stage(self, text: str) -> None:
        """A step before counting starts (e.g. "loading data ..."); always shown."""
        self.update(None, None, text, force=True)

    def update(
        self, done: int | None, total: int | None, info: str = "", *, force: bool = False
    ) -> None:
        """Record progress; a plain line is printed when due (or ``force``)."""
        self._state = (done, total, info)
        if self.quiet:
            return
        if self._bar is not None and self._task is not None:
            # rich leaves a None total / completed as it was
            self._bar.update(self._task, total=total, completed=done, info=info)
            return
        now = time.monotonic()
        if force or now - self._last >= PLAIN_INTERVAL_S:
            self._last = now
            self._shown = self._state
            count = f" {done}/{total}" if done is not None else ""
            _plain(f"{self.label}{count} {info} [{_fmt(now - self.t0)}]".rstrip())

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)
            return
        done, total, info = self._state
        if exc_type is None and done is not None and self._shown != self._state:
            _plain(f"{self.label} {done}/{total} {info} [{_fmt(time.monotonic() - self.t0)}]")


@contextlib.contextmanager
def status(text: str, *, quiet: bool = False) -> Iterator[None]:
    """Work of unknown length: a spinner with elapsed time on a terminal; otherwise a plain line
    at the start, one every `PLAIN_INTERVAL_S` seconds while it runs, and one at the end."""
    if quiet:
        yield
        return
    if is_terminal():
        from surrogate_nb.cli._app import err_console

        t0 = time.monotonic()
        with err_console.status(f"{text} ..."):
            yield
        err_console.print(f"{text}: done in {_fmt(time.monotonic() - t0)}", highlight=False)
        return
    t0 = time.monotonic()
    _plain(f"{text} ...")
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(PLAIN_INTERVAL_S):
            _plain(f"{text}: still running [{_fmt(time.monotonic() - t0)}]")

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
    _plain(f"{text}: done in {_fmt(time.monotonic() - t0)}")
