"""`snb`: the command line. Each command parses options, calls one library function, renders.

Command modules register themselves on `surrogate_nb.cli._app.app` when imported below; heavy
libraries (torch, xgboost, ...) are imported inside the commands so `snb --help` stays quick.
"""

from __future__ import annotations

import importlib
import sys

from surrogate_nb.cli._app import app, err_console
from surrogate_nb.errors import SurrogateNBError

#: Command modules, imported for their registrations; one missing yet is skipped.
_COMMAND_MODULES = (
    "_space",
    "_table",
    "_build",
    "_surrogate",
    "_study",
    "_optimizers",
    "_demo",
    "_search",
    "_ws",
    "_hpo",
)
for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"surrogate_nb.cli.{_name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a module is being written
        if exc.name != f"surrogate_nb.cli.{_name}":
            raise


def _usage_classes() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(usage-error classes, abort classes) of typer's vendored click and of click itself.

    typer >= 0.22 ships its own copy of click (``typer._click``): its exceptions are not
    ``click.exceptions.ClickException``, so both families are caught.
    """
    usage: list[type] = []
    aborts: list[type] = []
    for mod in ("typer._click.exceptions", "typer.exceptions", "click.exceptions"):
        try:
            m = importlib.import_module(mod)
        except ImportError:
            continue
        for name in ("ClickException", "TyperException"):
            if isinstance(getattr(m, name, None), type):
                usage.append(getattr(m, name))
        if isinstance(getattr(m, "Abort", None), type):
            aborts.append(m.Abort)
    return tuple(usage), tuple(aborts)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


#: Exit code when the machine, not the input, stopped the command (disk full, out of memory).
EXIT_MACHINE = 3
_NO_SPACE = ("No space left on device", "Disk quota exceeded")


def machine_error(exc: BaseException) -> str | None:
    """One line for a failure of the machine rather than of the input or of surrogate-nb: a
    full disk (an `OSError` with ENOSPC / EDQUOT, or a library's error quoting it, as
    XGBoost's when it cannot write a model), or memory exhausted. None for anything else."""
    import errno

    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:  # the error and what caused it
        seen.add(id(e))
        if isinstance(e, MemoryError):
            return "out of memory (the input is too large for this machine)"
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            where = f" writing {e.filename}" if e.filename else ""
            return f"no space left on the device{where}; free space or write elsewhere"
        text = str(e)
        if any(m in text for m in _NO_SPACE):
            return (
                f"no space left on the device ({type(e).__name__} while writing); free space "
                "or write elsewhere"
            )
        e = e.__cause__ or e.__context__
    return None


def main() -> None:
    """Entry point of `snb`: every error is one line on stderr and a non-zero exit, no traceback.

    Exit codes: 2 for a usage error or bad input (a `SurrogateNBError`, input nested too deeply);
    3 (`EXIT_MACHINE`) when the machine stopped the command (disk full, out of memory); 1 for
    another I/O error or an unexpected failure (set ``SNB_DEBUG=1`` to see its traceback); 130
    for Ctrl-C.
    """
    import os

    usage, aborts = _usage_classes()
    try:
        code = app(standalone_mode=False)
    except SurrogateNBError as exc:
        from rich.markup import escape

        err_console.print(
            f"[bold red]error:[/] {escape(_one_line(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted", highlight=False)
        sys.exit(130)
    except Exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
            sys.exit(2)
        if usage and isinstance(exc, usage):
            ctx = getattr(exc, "ctx", None)
            where = f"{ctx.command_path}: " if ctx is not None else ""
            hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            msg = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            print(f"error: {where}{_one_line(msg)}{hint}", file=sys.stderr)
            sys.exit(int(getattr(exc, "exit_code", 2) or 2))
        if aborts and isinstance(exc, aborts):
            sys.exit(130)
        if os.environ.get("SNB_DEBUG"):
            raise
        machine = machine_error(exc)
        if machine is not None:
            print(f"error: {machine}", file=sys.stderr)
            sys.exit(EXIT_MACHINE)
        if isinstance(exc, RecursionError):
            print(
                "error: the input is nested too deeply to read (thousands of levels of JSON or "
                "pickle); it is not a file this command reads",
                file=sys.stderr,
            )
            sys.exit(2)
        if isinstance(exc, OSError):
            print(f"error: {_one_line(exc)}", file=sys.stderr)
            sys.exit(1)
        print(
            f"error: unexpected {type(exc).__name__}: {_one_line(exc)} (a bug in surrogate-nb; "
            "run with SNB_DEBUG=1 for the traceback and report it)",
            file=sys.stderr,
        )
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)


__all__ = ["app", "main"]
