"""`snb fit`, `snb predict`, `snb surrogate-eval`: surrogate models from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from surrogate_nb.cli._app import app, console

_MODEL_HELP = (
    "Regressor: xgb (bagged XGBoost), lgb (bagged LightGBM) or ensemble (torch deep ensemble)."
)


def _check_model(model: str) -> None:
    from surrogate_nb.errors import UnknownKeyError
    from surrogate_nb.regressors import REGRESSORS

    if model not in REGRESSORS:
        raise UnknownKeyError("surrogate model", model, sorted(REGRESSORS))


@app.command("fit")
def fit_cmd(
    table: Path = typer.Argument(..., help="Table directory (see `snb import`)."),
    dataset: str = typer.Option(
        ..., "--dataset", "-d", help="Dataset setting, e.g. cifar10-valid."
    ),
    metric: str = typer.Option(
        ...,
        "--metric",
        "-m",
        help="Metric to model, e.g. valid_acc (final epoch, mean over seeds).",
    ),
    hp: str | None = typer.Option(
        None,
        "--hp",
        help="Training schedule (12, 200, ...); needed only when the dataset has several.",
    ),
    model: str = typer.Option("xgb", "--model", help=_MODEL_HELP),
    train_size: int | None = typer.Option(
        None,
        "--train-size",
        "-n",
        help="Fit on this many random cells (default: every cell with a value).",
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the cell draw and of the fit."),
    tune: int = typer.Option(
        0,
        "--tune",
        help="Optuna TPE trials on a validation split of the training cells (0 = tuned defaults).",
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Model directory to write (JSON manifest + the library's own model files).",
    ),
) -> None:
    """Fit a surrogate with uncertainty on a table and save it."""
    import numpy as np

    from surrogate_nb.cli._progress import Reporter
    from surrogate_nb.regressors.benchmark import fit_from_table
    from surrogate_nb.table import Benchmark

    _check_model(model)
    b = Benchmark.open(table)
    with Reporter(f"fit {model}") as bar:
        bar.stage(f"reading {dataset}/{metric} from the table ...")
        surrogate, idx = fit_from_table(
            b,
            dataset,
            metric,
            hp,
            rng=np.random.default_rng(seed),
            model=model,
            train_size=train_size,
            tune_trials=tune,
            on_progress=lambda k, n, what: bar.update(k, n, f"model fits · {what}", force=True),
        )
    path = surrogate.save(out)
    console.print(
        f"wrote [bold]{path}[/]: {model} on {len(idx)} cells of {dataset}/{metric}, "
        f"std scale {surrogate.std_scale_:.3g}"
    )


@app.command("predict")
def predict_cmd(
    model_dir: Path = typer.Argument(..., help="Model directory written by `snb fit`."),
    archs: list[str] = typer.Argument(..., help="Cells: indices (0..15624) or NB201 strings."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
) -> None:
    """Predict mean and std (model uncertainty) of cells with a saved surrogate."""
    from rich.table import Table

    from surrogate_nb.regressors import Surrogate
    from surrogate_nb.space import as_arch

    surrogate = Surrogate.load(model_dir)
    cells = [as_arch(a) for a in archs]
    mean, std = surrogate.predict(cells)
    key = getattr(surrogate, "key_", None) or {}
    metric = key.get("metric") or surrogate.target_description_ or "target"
    what = "/".join(str(key[k]) for k in ("dataset", "metric") if key.get(k)) or metric
    rows = [
        {"index": c.index, "arch": str(c), "metric": metric, "mean": float(m), "std": float(s)}
        for c, m, s in zip(cells, mean, std)
    ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    t = Table(
        "index",
        "arch",
        f"mean {metric}",
        "std",
        title=f"{surrogate.model} surrogate of {what} (std: model uncertainty)",
    )
    t.columns[1].overflow = "fold"  # never truncate: different cells must look different
    t.columns[1].no_wrap = False
    for r in rows:
        t.add_row(str(r["index"]), r["arch"], f"{r['mean']:.3f}", f"{r['std']:.3f}")
    console.print(t, soft_wrap=False)


@app.command("surrogate-eval")
def surrogate_eval_cmd(
    table: Path = typer.Option(..., "--table", "-t", help="Table directory."),
    dataset: str = typer.Option(
        ..., "--dataset", "-d", help="Dataset setting, e.g. cifar10-valid."
    ),
    metric: str = typer.Option(..., "--metric", "-m", help="Metric to model, e.g. valid_acc."),
    hp: str | None = typer.Option(
        None, "--hp", help="Training schedule; needed only when the dataset has several."
    ),
    model: str = typer.Option("xgb", "--model", help=_MODEL_HELP),
    train_size: int = typer.Option(
        781,
        "--train-size",
        "-n",
        help="Random training cells; all the other cells with a value are the test set.",
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the cell draw and of the fit."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as one JSON object."),
    tune: bool = typer.Option(
        False,
        "--tune/--no-tune",
        help="Tune hyper-parameters with Optuna TPE on a validation split of the training cells.",
    ),
    tune_trials: int = typer.Option(20, "--tune-trials", help="Optuna trial budget with --tune."),
) -> None:
    """Fit on N random cells, report Kendall tau, R2, NLL, coverage ... on all the rest."""
    import numpy as np
    from rich.table import Table

    from surrogate_nb.cli._progress import status
    from surrogate_nb.evaluation.metrics import holdout_metrics
    from surrogate_nb.table import Benchmark

    _check_model(model)
    idx, y = Benchmark.open(table).to_xy(dataset, metric, hp=hp)
    with status(f"surrogate-eval: fitting {model} on {train_size} cells, testing on the rest"):
        result = holdout_metrics(
            idx,
            y,
            model=model,
            train_size=train_size,
            rng=np.random.default_rng(seed),
            tune_trials=tune_trials if tune else 0,
        )
    result = {"model": model, "dataset": dataset, "metric": metric, "seed": seed, **result}
    if as_json:
        typer.echo(json.dumps(result))
        return
    t = Table(
        "metric",
        "value",
        title=f"{model} on {train_size} cells, tested on {result['n_test']} ({dataset}/{metric})",
    )
    for k, v in result.items():
        if isinstance(v, float):
            t.add_row(k, f"{v:.4f}")
    console.print(t)
