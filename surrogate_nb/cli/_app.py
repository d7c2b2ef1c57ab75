"""The typer application that every `snb` command module registers on."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="snb",
    help=(
        "surrogate-nb: NAS-Bench-201 rebuilt. Inspect cells (arch, space), import and query "
        "tabular benchmarks (import, info, query, best), train all cells under the NB201 protocol "
        "(build), fit surrogates with uncertainty (fit, predict, surrogate-eval), and run studies "
        "(study ...). `snb demo` runs the end-to-end demo."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
study_app = typer.Typer(
    help="Studies that write report.md, PNG plots and a JSON of every figure.",
    no_args_is_help=True,
)
app.add_typer(study_app, name="study")

console = Console()
err_console = Console(stderr=True)
