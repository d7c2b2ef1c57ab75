"""`snb export`: a table, or a learning-curve surrogate sampled at every cell, in another
library's format (syne-tune's blackbox repository)."""

from __future__ import annotations

from pathlib import Path

import typer

from surrogate_nb.cli._app import app, console

#: --format name -> what it writes.
EXPORT_FORMATS = {"syne-tune": "syne-tune blackbox-repository folder (needs the hpo extra)"}


def _is_model_dir(path: Path) -> bool:
    """A folder written by `SurrogateBenchmark.save` or a single saved (curve) surrogate."""
    import json

    if (path / "surrogates.json").is_file():
        return True
    try:
        fmt = json.loads((path / "manifest.json").read_text()).get("format")
    except (OSError, ValueError, AttributeError, RecursionError):
        return False
    return isinstance(fmt, str) and fmt.startswith("surrogate-nb/") and "surrogate" in fmt


@app.command("export")
def export_cmd(
    source: Path = typer.Argument(
        ...,
        metavar="TABLE_OR_MODEL",
        help="Table directory (see `snb import` / `snb build`), or a saved learning-curve "
        "surrogate (SurrogateBenchmark.save of SurrogateBenchmark.from_curves): its "
        "predictions at every cell of the space are exported (NB201; NB-101 is refused).",
    ),
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
    table: Path | None = typer.Option(
        None,
        "--table",
        help="A surrogate's table, for training times (syne-tune's simulated time). Exporting "
        "NB201's 15,625 cells took 95 s with two default curve surrogates (2.2 MB; shared 2-core "
        "CPU, benchmarks/export_surrogate.py).",
    ),
    samples: int = typer.Option(
        0,
        "--samples",
        help="A surrogate: 0 = one seed, the predicted mean curve; K = K single-run curves "
        "drawn from its noise model (seeds).",
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the --samples draws."),
) -> None:
    """Write TABLE_OR_MODEL in another library's format: syne-tune loads it with its own
    `deserialize`."""
    from surrogate_nb.errors import UnknownKeyError
    from surrogate_nb.table import Benchmark

    if fmt not in EXPORT_FORMATS:
        raise UnknownKeyError("export format", fmt, list(EXPORT_FORMATS))
    if _is_model_dir(source):
        import numpy as np

        from surrogate_nb.evaluation.hpo_export import export_surrogate_blackbox
        from surrogate_nb.regressors import SurrogateBenchmark

        costs = Benchmark.open(table) if table is not None else None
        sb = SurrogateBenchmark.load(source, table=costs)
        path = export_surrogate_blackbox(
            sb,
            out,
            datasets=datasets or None,
            metrics=metrics or None,
            hp=hp,
            samples=samples,
            rng=np.random.default_rng(seed),
        )
        what = "surrogate predictions at every cell"
    else:
        from surrogate_nb.evaluation.hpo import export_blackbox

        b = Benchmark.open(source)
        for d in datasets:
            b.hps(d)  # an unknown dataset fails here, with what exists
        path = export_blackbox(b, out, datasets=datasets or None, metrics=metrics or None, hp=hp)
        what = "table"
    console.print(
        f"wrote [bold]{path}[/] (syne-tune blackbox, {what}; load with "
        "syne_tune.blackbox_repository.blackbox_tabular.deserialize)"
    )
