"""`snb export`: a table in another library's format (syne-tune's blackbox repository)."""

from __future__ import annotations

from pathlib import Path

import typer

from surrogate_nb.cli._app import app, console

#: --format name -> what it writes.
EXPORT_FORMATS = {"syne-tune": "syne-tune blackbox-repository folder (needs the hpo extra)"}


@app.command("export")
def export_cmd(
    table: Path = typer.Argument(..., help="Table directory (see `snb import` / `snb build`)."),
    fmt: str = typer.Option(
        "syne-tune", "--format", "-f", help="Output format: " + ", ".join(EXPORT_FORMATS) + "."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write."),
    datasets: list[str] = typer.Option(
        [], "--dataset", "-d", help="Datasets to export (repeat; default all)."
    ),
    metrics: list[str] = typer.Option(
        [], "--metric", "-m", help="Curve metrics to export (repeat; default all but lr)."
    ),
    hp: str | None = typer.Option(None, "--hp", help="Training schedule (when several)."),
) -> None:
    """Write TABLE in another library's format: syne-tune loads it with its own `deserialize`."""
    from surrogate_nb.errors import UnknownKeyError

    if fmt not in EXPORT_FORMATS:
        raise UnknownKeyError("export format", fmt, list(EXPORT_FORMATS))
    from surrogate_nb.evaluation.hpo import export_blackbox
    from surrogate_nb.table import Benchmark

    b = Benchmark.open(table)
    for d in datasets:
        b.hps(d)  # an unknown dataset fails here, with what exists
    path = export_blackbox(b, out, datasets=datasets or None, metrics=metrics or None, hp=hp)
    console.print(
        f"wrote [bold]{path}[/] (syne-tune blackbox; load with "
        "syne_tune.blackbox_repository.blackbox_tabular.deserialize)"
    )
