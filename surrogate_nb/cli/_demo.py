"""`snb demo`: the end-to-end demo (live build, surrogates, studies, report)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import typer

from surrogate_nb.cli._app import app, console

#: The published NB201 reference CSV next to a checkout (absent in a user's fresh clone); the
#: full demo adds a noise study on it when it exists.
NB201_CSV = Path("../shared/nb201/nb201_reference_cifar.csv")


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(
        Path("runs/demo"),
        "--out",
        "-o",
        help="Output folder for report.md, its plots and the per-study reports.",
    ),
    quick: bool = typer.Option(
        False,
        "--quick",
        help="A smaller demo (1 live cell, fewer repeats and sizes, no NB201 part), for CI.",
    ),
    table: Path | None = typer.Option(
        None,
        "--table",
        "-t",
        help="Table to study (default: "
        "the committed surrogate_nb/data/tables/"
        "fashion-mnist-lowfi).",
    ),
    live_cells: int | None = typer.Option(
        None, "--live-cells", help="Cells trained live at the start (default 3, quick 1; 0 skips)."
    ),
    nb201_csv: Path | None = typer.Option(
        None,
        "--nb201-csv",
        help=f"Published NB201 reference CSV for an extra noise study (full demo; default "
        f"{NB201_CSV} when it exists).",
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Fashion-MNIST folder (default /usr/share/datasets/fashion-mnist)."
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Master seed."),
    model: str = typer.Option("lgb", "--model", help="Surrogate model used in the studies."),
) -> None:
    """Run the end-to-end demo and write OUT/report.md (headline plot first)."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from surrogate_nb.cli._progress import Reporter, is_terminal
    from surrogate_nb.cli._surrogate import make_surrogate
    from surrogate_nb.evaluation.demo import DemoConfig, demo_surrogate, run_demo

    regressor = type(make_surrogate(model).regressor)  # unknown names fail here
    settings = {
        "out": out,
        "table": table,
        "data_dir": str(data_dir) if data_dir else None,
        "seed": seed,
        "surrogate": demo_surrogate(regressor, quick=quick),
        "surrogate_label": model,
    }
    if live_cells is not None:
        settings["live_cells"] = live_cells
    if not quick:
        csv = nb201_csv or (NB201_CSV if NB201_CSV.is_file() else None)
        settings["nb201_csv"] = csv
    cfg = DemoConfig.quick(**settings) if quick else DemoConfig.full(**settings)
    if not is_terminal():  # a log file or pipe: plain lines, one at least every 30 s
        with Reporter("demo") as plain:
            summary = run_demo(cfg, on_event=partial(_plain_event, plain))
        _wrote(out, summary)
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, int] = {}

        def on_event(kind: str, payload) -> None:
            if kind == "stage":
                tasks[payload["name"]] = bar.add_task(
                    f"{payload['name']}: {payload['detail']}", total=None
                )
            elif kind == "build":
                task = tasks.get("live build")
                if task is not None:
                    bar.update(task, total=payload.total, completed=payload.done + payload.failed)
            elif kind == "done":
                task = tasks.get(payload["name"])
                if task is not None:
                    bar.update(
                        task,
                        total=1,
                        completed=1,
                        description=f"{payload['name']} ({payload['seconds']:.0f} s)",
                    )

        summary = run_demo(cfg, on_event=on_event)
    _wrote(out, summary)


def _plain_event(reporter, kind: str, payload) -> None:
    """`run_demo`'s events as plain progress lines (`Reporter` adds the 30 s heartbeat)."""
    if kind == "stage":
        reporter.stage(f"{payload['name']}: {payload['detail']}")
    elif kind == "build":
        reporter.update(payload.done + payload.failed, payload.total, "live build trials")
    elif kind == "done":
        reporter.stage(f"{payload['name']} done ({payload['seconds']:.0f} s)")


def _wrote(out: Path, summary) -> None:
    console.print(
        f"wrote [bold]{out / 'report.md'}[/]: {summary.cells:,} cells of "
        f"{summary.dataset} (hp {summary.hp}), seed-to-seed Kendall τ "
        f"{summary.seed_agreement.seed_to_seed_kendall_tau:.3f}"
    )
