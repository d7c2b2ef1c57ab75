"""`snb demo`: the end-to-end demo (live build, surrogates, studies, report)."""

from __future__ import annotations

from pathlib import Path

import typer

from surrogate_nb.cli._app import app, console, err_console
from surrogate_nb.cli._progress import Reporter, is_terminal

#: The published NB201 reference CSV next to a checkout (absent in a user's fresh clone); the
#: full demo adds a noise study on it when it exists.
NB201_CSV = Path("../shared/nb201/nb201_reference_cifar.csv")


class _DemoProgress:
    """The demo's steps as they run: a bar per step on a terminal (stderr), else plain lines
    through `Reporter` (each step's start and end, the live build's counts, and a "still
    running" line at least every 30 s while a step runs)."""

    def __init__(self) -> None:
        self._bars = None
        self._tasks: dict[str, int] = {}
        self._plain: Reporter | None = None
        self._running: dict[str, str] = {}  # steps started, not done (the live build runs
        # beside the studies): plain lines go back to the latest when another ends

    def __enter__(self) -> _DemoProgress:
        if is_terminal():
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bars = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=err_console,
            )
            self._bars.__enter__()
        else:
            self._plain = Reporter("demo", plain=True).__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.__exit__(*exc)
        if self._plain is not None:
            self._plain.__exit__(*exc)

    def stage(self, name: str, detail: str) -> None:
        self._running[name] = f"{name}: {detail}"
        if self._bars is not None:
            self._tasks[name] = self._bars.add_task(f"{name}: {detail}", total=None)
        else:
            self._plain.stage(f"{name}: {detail}")

    def count(self, name: str, done: int, total: int, what: str) -> None:
        if self._bars is not None:
            if name in self._tasks:
                self._bars.update(self._tasks[name], total=total, completed=done)
        else:
            self._plain.update(done, total, f"{name}: {what}")

    def done(self, name: str, seconds: float | None = None) -> None:
        took = "" if seconds is None else f" ({seconds:.0f} s)"
        if self._bars is not None:
            if name in self._tasks:
                self._bars.update(
                    self._tasks[name], total=1, completed=1, description=f"{name}{took}"
                )
        else:
            self._plain.stage(f"{name}: done{took}")
        self._running.pop(name, None)
        if self._plain is not None and self._running:
            self._plain.update(None, None, list(self._running.values())[-1])

    def on_event(self, kind: str, payload) -> None:
        """The `run_demo` callback."""
        if kind == "stage":
            self.stage(payload["name"], payload["detail"])
        elif kind == "build":
            self.count("live build", payload.done + payload.failed, payload.total, "cells trained")
        elif kind == "done":
            self.done(payload["name"], payload["seconds"])


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
    """Run the end-to-end demo and write OUT/report.md (headline plot first).

    Costs about 1.5 CPU-minutes over two cores: 52 s measured on an
    idle 2-core CPU, several minutes on a shared, loaded one.
    Progress goes to stderr: bars on a terminal, else plain lines
    (one per step, and one at least every 30 s while a step runs).
    """
    with _DemoProgress() as progress:
        progress.stage("starting", "loading libraries (torch, LightGBM, ...)")
        from surrogate_nb.evaluation.demo import DemoConfig, demo_surrogate, run_demo
        from surrogate_nb.regressors import make_surrogate

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
        progress.done("starting")
        summary = run_demo(cfg, on_event=progress.on_event)
    console.print(
        f"wrote [bold]{out / 'report.md'}[/]: {summary.cells:,} cells of "
        f"{summary.dataset} (hp {summary.hp}), seed-to-seed Kendall τ "
        f"{summary.seed_agreement.seed_to_seed_kendall_tau:.3f}"
    )
