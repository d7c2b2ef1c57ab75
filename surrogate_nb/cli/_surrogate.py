"""`snb fit`, `snb predict`, `snb surrogate-eval`: surrogate models from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import typer

from surrogate_nb.cli._app import app, console

_MODEL_HELP = (
    "Regressor: xgb (bagged XGBoost), lgb (bagged LightGBM), ensemble (torch deep ensemble) or "
    "gin (graph-network ensemble on the cell's DAG: the most accurate on NB-101, e.g. Kendall "
    "tau 0.81 vs 0.77 for lgb at 424 training cells, but minutes per fit on a laptop CPU where "
    "the trees take seconds)."
)


@app.command("fit")
def fit_cmd(
    ctx: typer.Context,
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
        help="Training schedule (12, 200, ...; NB-101 budgets 4, 12, 36, 108); needed only when "
        "the dataset has several. 'all' fits one surrogate per schedule into one model directory "
        "that answers every budget.",
    ),
    model: str = typer.Option("xgb", "--model", help=_MODEL_HELP),
    train_size: int | None = typer.Option(
        None,
        "--train-size",
        "-n",
        help="Fit on this many random cells (default: every cell with a value). Time on 2 CPU "
        "cores with xgb: ~10 s for 1,000 cells, ~1 min for 20,000.",
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
    curve: str | None = typer.Option(
        None,
        "--curve",
        help="Fit a learning-curve surrogate instead (design 'epoch', 'svd', or 'auto': svd "
        "across budgets, epoch over epochs, the better measured): every epoch of --hp, or with "
        "--hp all every budget of NB-101 (regressors.curve); `snb export` writes one for "
        "syne-tune.",
    ),
) -> None:
    """Fit a surrogate with uncertainty on a table and save it."""
    import numpy as np

    from surrogate_nb._atomic import check_output, writer_lock
    from surrogate_nb.cli._progress import Reporter
    from surrogate_nb.regressors import Surrogate, fit_table_model
    from surrogate_nb.regressors.curve import CurveSurrogate
    from surrogate_nb.table import Benchmark

    ctx.with_resource(writer_lock(out))  # one writer per --out, held until the command ends
    check_output(out, "model")  # before the fit: a table or a file there is refused now
    b = Benchmark.open(table)
    label = f"fit {model}" + ("" if curve is None else f" curves ({curve})")
    with Reporter(label) as bar:
        bar.stage(f"fitting {dataset}/{metric} ...")
        fitted = fit_table_model(
            b,
            dataset,
            metric,
            hp,
            model=model,
            rng=np.random.default_rng(seed),
            train_size=train_size,
            tune_trials=tune,
            curve_design=curve,
            on_progress=lambda k, n, what: bar.update(k, n, f"model fits · {what}", force=True),
        )
    path = fitted.save(out)
    if isinstance(fitted, Surrogate):
        console.print(
            f"wrote [bold]{path}[/]: {model} on {fitted.n_train_} cells of {dataset}/{metric}, "
            f"std scale {fitted.std_scale_:.3g}"
        )
    elif curve is not None:
        (c,) = fitted.surrogates.values()
        s = cast(CurveSurrogate, c)
        what = f"budgets {s.hps}" if s.hps is not None else f"{s.T} epochs"
        console.print(
            f"wrote [bold]{path}[/]: {model} curve surrogate ({s.model_.design}) of "
            f"{dataset}/{metric}, {what}, {s.model_.n_train_} cells"
        )
    else:
        for (_, _, h), one in fitted.surrogates.items():
            fit = cast(Surrogate, one)
            console.print(f"fitted hp {h}: {fit.n_train_} cells, std scale {fit.std_scale_:.3g}")
        hps = [h for _, _, h in fitted.surrogates]
        console.print(f"wrote [bold]{path}[/]: {model} for {dataset}/{metric} at hp {hps}")


def _read_archs_file(path: Path) -> list[str]:
    """One cell per line; blank lines and lines starting with '#' are skipped."""
    from surrogate_nb.errors import InvalidArchError

    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArchError(f"cannot read --archs-file {path}: {exc}", str(path)) from None
    return [s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")]


@app.command("predict")
def predict_cmd(
    model_dir: Path = typer.Argument(
        ..., help="Model directory written by `snb fit` (one schedule, or --hp all)."
    ),
    archs: list[str] | None = typer.Argument(
        None,
        help="Cells of the model's space. NB201: index or NB201 string; NB-101: module hash, "
        "index or 'ops;matrix'.",
    ),
    archs_file: Path | None = typer.Option(
        None, "--archs-file", help="A file with one cell per line (same forms as ARCHS)."
    ),
    hp: str | None = typer.Option(
        None, "--hp", help="Schedule to predict with a multi-schedule model (default: all)."
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print a JSON list of {arch, index, mean, std} (plus hp for multi-schedule models), "
        "in input order.",
    ),
) -> None:
    """Predict mean and std (model uncertainty) of cells with a saved surrogate."""
    from rich.table import Table

    from surrogate_nb.errors import InvalidArchError
    from surrogate_nb.regressors import predict_saved

    texts = list(archs or []) + (_read_archs_file(archs_file) if archs_file else [])
    if not texts:
        raise InvalidArchError("no cells given: pass ARCHS or --archs-file FILE", None)
    pred = predict_saved(model_dir, texts, hp=hp)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in pred.rows]))
        return
    t = Table(
        "index",
        "arch",
        *(["hp"] if pred.multi else []),
        f"mean {pred.metric}",
        "std",
        title=f"{pred.model} surrogate of {pred.what} (std: model uncertainty)",
    )
    t.columns[1].overflow = "fold"  # never truncate: different cells must look different
    t.columns[1].no_wrap = False
    for r in pred.rows:
        hp_col = [str(r.hp)] if pred.multi else []
        t.add_row(str(r.index), r.arch, *hp_col, f"{r.mean:.3f}", f"{r.std:.3f}")
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
    from surrogate_nb.regressors import make_surrogate
    from surrogate_nb.table import Benchmark

    b = Benchmark.open(table)
    prototype = make_surrogate(model, tune_trials=tune_trials if tune else 0, space=b.space)
    idx, y = b.to_xy(dataset, metric, hp=hp)
    with status(f"surrogate-eval: fitting {model} on {train_size} cells, testing on the rest"):
        scores = holdout_metrics(
            idx, y, surrogate=prototype, train_size=train_size, rng=np.random.default_rng(seed)
        )
    result: dict[str, Any] = {"model": model, "dataset": dataset, "metric": metric, "seed": seed}
    result.update(scores)
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
