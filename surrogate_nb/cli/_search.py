"""`snb search`: run NAS optimizers on a table, print final mean ± std, write an anytime plot."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from surrogate_nb.cli._app import app, console


@app.command("search", context_settings={"allow_extra_args": True, "ignore_unknown_options": False})
def search_cmd(
    ctx: typer.Context,
    table: Path = typer.Argument(..., help="Table directory (see `snb import` / `snb build`)."),
    dataset: str = typer.Option(..., "--dataset", "-d", help="Dataset setting, e.g. cifar10."),
    metric: str = typer.Option(
        "valid_acc", "--metric", "-m", help="Search signal (larger is better), last epoch."
    ),
    report_metric: str | None = typer.Option(
        None, "--report-metric", help="What the incumbent is reported by (default: --metric)."
    ),
    hp: str | None = typer.Option(None, "--hp", help="Training schedule, if several."),
    optimizers: list[str] = typer.Option(
        ["rs", "rea"],
        "--optimizers",
        "-o",
        help="Optimizers, e.g. --optimizers rs rea tpe: rs (random_search), rea, reinforce, "
        "local_search, tpe, hyperband.",
    ),
    runs: int = typer.Option(10, "--runs", "-n", help="Independent runs per optimizer."),
    budget: float = typer.Option(
        12_000.0, "--budget", "-b", help="Simulated seconds of training per run."
    ),
    cost_epochs: int | None = typer.Option(
        None,
        "--cost-epochs",
        help="Charge per-epoch time x this many epochs per evaluation (NB201 charged 12).",
    ),
    sample: bool = typer.Option(
        False, "--sample-seed", help="Signal from one random seed per query (noisy, like NB201)."
    ),
    out: Path = typer.Option(
        Path("runs/search"), "--out", help="Folder for anytime.png and search.json."
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Master seed of every run."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
) -> None:
    """Run NAS optimizers N times each on a table; print final mean ± std; plot anytime curves."""
    import numpy as np
    from rich.table import Table

    from surrogate_nb.cli._progress import Reporter
    from surrogate_nb.errors import UnknownKeyError
    from surrogate_nb.evaluation.optimizers import make_optimizer
    from surrogate_nb.evaluation.search import OPTIMIZERS, optimizer_name, plot_anytime, search
    from surrogate_nb.table import Benchmark

    names = list(optimizers)
    for token in ctx.args:  # `--optimizers rs rea`: typer passes the values after the first here
        if optimizer_name(token) not in OPTIMIZERS:
            raise UnknownKeyError("optimizer", token, ["rs", *OPTIMIZERS])
        names.append(token)
    for n in names:
        if optimizer_name(n) not in OPTIMIZERS:
            raise UnknownKeyError("optimizer", n, ["rs", *OPTIMIZERS])
    b = Benchmark.open(table)
    total = runs * len(dict.fromkeys(map(optimizer_name, names)))
    done = [0]
    with Reporter("search") as bar:
        bar.stage(f"{len(names)} optimizer(s) x {runs} runs, {budget:g} s simulated each ...")

        def on_run(name: str, r: int, n: int) -> None:
            done[0] += 1
            bar.update(done[0], total, f"runs · {name} {r}/{n}")

        result = search(
            b,
            dataset,
            metric,
            hp,
            optimizers=[make_optimizer(n) for n in dict.fromkeys(map(optimizer_name, names))],
            runs=runs,
            budget_s=budget,
            rng=np.random.default_rng(seed),
            report_metric=report_metric,
            on_run=on_run,
            cost_epochs=cost_epochs,
            signal_seed="sample" if sample else None,
        )
    out.mkdir(parents=True, exist_ok=True)
    plot = plot_anytime(result, out / "anytime.png")
    summary = {**result.to_dict(), "plot": str(plot), "seed": seed}
    (out / "search.json").write_text(json.dumps(summary, indent=1))
    if as_json:
        typer.echo(json.dumps(summary))
        return
    rm = result.report_metric
    t = Table(
        "optimizer",
        "runs",
        f"final {rm} (mean ± std)",
        "evaluations / run",
        title=f"{dataset} {metric} (hp {hp or b.hps(dataset)[0]}), budget {budget:g} s",
    )
    for name, info in summary["optimizers"].items():
        t.add_row(
            name,
            str(info["runs"]),
            f"{info['final_mean']:.2f} ± {info['final_std']:.2f}",
            f"{info['evaluations_mean']:.1f}",
        )
    console.print(t)
    console.print(f"wrote {plot} and {out / 'search.json'}", highlight=False, soft_wrap=True)
