"""`snb study optimizers`: NAS optimizers on a table or on a surrogate benchmark of any space."""

from __future__ import annotations

from pathlib import Path

import typer

from surrogate_nb.cli._app import console, study_app

_DEFAULT = ["random_search", "rea", "reinforce", "local_search", "tpe"]


def _signal(text: str) -> str | None:
    from surrogate_nb.errors import UnknownKeyError

    if text not in ("mean", "sample"):
        raise UnknownKeyError("--signal", text, ["mean", "sample"])
    return None if text == "mean" else "sample"


@study_app.command("optimizers")
def optimizers_cmd(
    table: Path = typer.Option(
        ...,
        "--table",
        "-t",
        help="Table directory. NB-101: `snb import ../shared/nb101/data-20k.json --out T`.",
    ),
    space: str | None = typer.Option(
        None, "--space", help="Expected search space of the table (nb201, nb101); checked."
    ),
    dataset: str = typer.Option("cifar10", "--dataset", "-d", help="Dataset setting."),
    metric: str = typer.Option(
        "valid_acc", "--metric", "-m", help="Search signal (larger is better)."
    ),
    hp: str | None = typer.Option(
        None, "--hp", help="Training schedule / NB-101 budget, e.g. 108."
    ),
    model: str = typer.Option(
        "lgb",
        "--model",
        help="Surrogate benchmark fitted on every table cell (xgb, lgb, ensemble), also for the "
        "train time when the table records it; 'table' runs on the table's own cells.",
    ),
    optimizers: list[str] = typer.Option(
        _DEFAULT,
        "--optimizers",
        help="Optimizers to run (repeat the option): ours (random_search, rea, reinforce, "
        "local_search, tpe, ...) and, with the hpo extra, st_bohb, st_smac (SMAC3), dehb and "
        "syne-tune's other st_* schedulers. Multi-fidelity ones (st_bohb, st_asha, dehb) search "
        "NB-101's budgets 4/12/36/108 (a surrogate is fitted per budget), each charged its own "
        "training time.",
    ),
    runs: int = typer.Option(100, "--runs", "-r", help="Independent runs per optimizer."),
    signal: str = typer.Option(
        "mean",
        "--signal",
        help="mean: the benchmark's mean (a surrogate's prediction, a table's seed mean); "
        "sample: a random seed per query / a noisy surrogate draw. A surrogate's draw uses its "
        "whole predictive std (model error included), far above seed noise, so 'sample' makes "
        "incumbents chase uncertain cells.",
    ),
    budget: float = typer.Option(
        5e5, "--budget", help="Simulated training seconds per run (NB-101: ~2,000 s per cell)."
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Master seed (fits and runs)."),
    out: Path = typer.Option(Path("runs/studies/optimizers"), "--out", "-o", help="Report folder."),
) -> None:
    """Regret vs simulated time of NAS optimizers (the NB-101 paper's experiment).

    Time on 2 CPU cores for NB-101 (the 20,001 published cells):
    about 9 min for the five default optimizers x 100 runs at --budget 2e5,
    fitting the surrogates and predicting all 423,624 cells included. Per run
    on a shared 2-core CPU: st_bohb ~40 s, dehb ~10 s, st_smac ~1-2 min.
    """
    import numpy as np
    from rich.progress import Progress

    from surrogate_nb.errors import UnknownKeyError
    from surrogate_nb.evaluation.runners import make_method
    from surrogate_nb.evaluation.studies.optimizers import (
        check_optimizers_options,
        optimizers_study,
        study_benchmark,
    )
    from surrogate_nb.table import Benchmark

    check_optimizers_options(runs, budget)  # before the surrogates are fitted (minutes)
    signal_seed = _signal(signal)
    opts = [make_method(o) for o in dict.fromkeys(optimizers)]
    multi = any(getattr(o, "multi_fidelity", False) for o in opts)
    b = Benchmark.open(table)
    if space is not None and b.space.name != space:
        raise UnknownKeyError("search space", space, [b.space.name], f"{table} holds that space")
    rng = np.random.default_rng(seed)
    fit_rng, run_rng = rng.spawn(2)
    with console.status("fitting the surrogate benchmark ..."):
        bench, hp = study_benchmark(b, dataset, metric, hp, model, multi=multi, rng=fit_rng)
    label = "table" if model == "table" else f"{model} surrogate"
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("optimizer runs", total=runs * len(opts))
        result = optimizers_study(
            bench,
            dataset,
            metric,
            hp,
            optimizers=opts,
            runs=runs,
            budget_s=budget,
            rng=run_rng,
            out=out,
            progress=lambda done, total: bar.update(task, completed=done),
            signal_seed=signal_seed,
            title=f"NAS optimizers on {b.space.name} ({label})",
        )
    for row in result.rows():
        console.print(
            f"{row['optimizer']:>14}: final regret {row['final regret (mean)']:.3f} ± "
            f"{row['s.e.']:.3f} (s.e.), {row['evaluations (mean)']:.0f} evals, "
            f"{row['s / run']:.1f} s per run; "
            f"{row['vs random search']}",
            highlight=False,
        )
    console.print(f"wrote [bold]{result.report}[/] (+ regret.png, figures.json)")
