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
_COMMAND_MODULES = ("_space", "_table", "_build", "_surrogate", "_study", "_demo", "_hpo")
for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"surrogate_nb.cli.{_name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a module is being written
        if exc.name != f"surrogate_nb.cli.{_name}":
            raise


def main() -> None:
    """Entry point of `snb`: a `SurrogateNBError` becomes one line on stderr and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except SurrogateNBError as exc:
        from rich.markup import escape  # a message may hold brackets, e.g. "surrogate-nb[hpo]"

        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except Exception as exc:  # click's own usage errors and aborts
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


__all__ = ["app", "main"]
