"""`snb fit`, `snb predict`, `snb surrogate-eval`: surrogate models from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from surrogate_nb.cli._app import app, console

_MODEL_HELP = (
    "Regressor: xgb (bagged XGBoost), lgb (bagged LightGBM), ensemble (torch deep ensemble) or "
    "gin (graph-network ensemble on the cell's DAG: the most accurate on NB-101, e.g. Kendall "
    "tau 0.81 vs 0.77 for lgb at 424 training cells, but minutes per fit on a laptop CPU where "
    "the trees take seconds)."
)


def make_surrogate(model: str, tune_trials: int = 0, space: str = "nb201"):
    """`Surrogate` of cells of `space` around the regressor named `model` (the CLI's
    ``--model``), defaults."""
    from surrogate_nb.errors import UnknownKeyError
    from surrogate_nb.regressors import REGRESSORS, Surrogate

    if model not in REGRESSORS:
        raise UnknownKeyError("surrogate model", model, sorted(REGRESSORS))
    return Surrogate(REGRESSORS[model](), tune_trials=tune_trials, space=space)


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
    from surrogate_nb.regressors import fit_from_table
    from surrogate_nb.table import Benchmark

    ctx.with_resource(writer_lock(out))  # one writer per --out, held until the command ends
    check_output(out, "model")  # before the fit: a table or a file there is refused now
    prototype = make_surrogate(model, tune_trials=tune)
    b = Benchmark.open(table)
    rng = np.random.default_rng(seed)
    if curve is not None:
        _fit_curve(
            b, dataset, metric, None if hp == "all" else hp, model, curve, train_size, rng, out
        )
        return
    hps = sorted(b.hps(dataset), key=lambda x: (len(x), x)) if hp == "all" else [hp]
    fitted = {}
    for h in hps:
        with Reporter(f"fit {model}" + (f" hp {h}" if hp == "all" else "")) as bar:
            bar.stage(f"reading {dataset}/{metric} from the table ...")
            fit = fit_from_table(
                b,
                dataset,
                metric,
                h,
                rng=rng,
                surrogate=prototype,
                train_size=train_size,
                on_progress=lambda k, n, what: bar.update(k, n, f"model fits · {what}", force=True),
            )
        fitted[(dataset, metric, h)] = fit.surrogate
    if hp == "all":
        from surrogate_nb.regressors import SurrogateBenchmark

        for h in hps:
            s = fitted[(dataset, metric, h)]
            console.print(f"fitted hp {h}: {s.n_train_} cells, std scale {s.std_scale_:.3g}")
        path = SurrogateBenchmark(fitted).save(out)
        console.print(f"wrote [bold]{path}[/]: {model} for {dataset}/{metric} at hp {hps}")
        return
    fit.surrogate.save(out)
    path = out
    console.print(
        f"wrote [bold]{path}[/]: {model} on {len(fit.train)} cells of {dataset}/{metric}, "
        f"std scale {fit.surrogate.std_scale_:.3g}"
    )


def _fit_curve(b, dataset, metric, hp, model, design, train_size, rng, out: Path) -> None:
    """`snb fit --curve`: a `CurveSurrogate` saved as a one-key `SurrogateBenchmark`."""
    from surrogate_nb.cli._progress import Reporter
    from surrogate_nb.errors import UnknownKeyError
    from surrogate_nb.regressors.curve import DESIGNS, curve_benchmark

    if design not in (*DESIGNS, "auto"):
        raise UnknownKeyError("--curve design", design, [*DESIGNS, "auto"])
    cells = None
    if train_size is not None:
        have = b.to_xy(dataset, metric, hp=hp if hp is not None else b.hps(dataset)[0])[0]
        cells = rng.choice(have, min(train_size, len(have)), replace=False)
    with Reporter(f"fit {model} curves ({design})") as bar:
        bar.stage(f"fitting {dataset}/{metric} curves ...")
        sb = curve_benchmark(
            b,
            dataset,
            metric,
            hp,
            rng=rng,
            design=None if design == "auto" else design,
            model=model,
            cells=cells,
        )
    s = next(iter(sb.surrogates.values()))
    design = s.model_.design
    path = sb.save(out)
    what = f"budgets {s.hps}" if s.hps is not None else f"{s.T} epochs"
    console.print(
        f"wrote [bold]{path}[/]: {model} curve surrogate ({design}) of {dataset}/{metric}, {what}, "
        f"{s.model_.n_train_} cells"
    )


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
    from surrogate_nb.regressors import Surrogate, SurrogateBenchmark
    from surrogate_nb.space import get_space

    texts = list(archs or []) + (_read_archs_file(archs_file) if archs_file else [])
    if not texts:
        raise InvalidArchError("no cells given: pass ARCHS or --archs-file FILE", None)
    if (model_dir / "surrogates.json").is_file():
        bench = SurrogateBenchmark.load(model_dir)
        models = {k: s for k, s in bench.surrogates.items() if hp is None or k[2] == str(hp)}
        if not models:
            have = sorted(str(k[2]) for k in bench.surrogates)
            raise InvalidArchError(f"model has no schedule {hp!r}; it has {have}", hp)
    else:
        s = Surrogate.load(model_dir)
        key = getattr(s, "key_", None) or {}
        models = {(key.get("dataset"), key.get("metric"), None): s}
    first_key, first = next(iter(models.items()))
    metric = first_key[1] or first.target_description_ or "target"
    what = "/".join(str(k) for k in first_key[:2] if k) or metric
    sp = get_space(first.space)
    cells = [sp.as_arch(a) for a in texts]
    idx = [sp.index_of(c) for c in cells]
    per_model = {key: s.predict(idx) for key, s in models.items()}
    rows = []
    for j, cell in enumerate(cells):
        for key in sorted(per_model, key=lambda k: (len(str(k[2])), str(k[2]))):
            mean, std = per_model[key]
            row = {"arch": sp.label(cell), "index": idx[j], "metric": metric}
            row.update(mean=float(mean[j]), std=float(std[j]))
            if key[2] is not None:
                row["hp"] = key[2]
            rows.append(row)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    multi = bool(rows) and "hp" in rows[0]
    t = Table(
        "index",
        "arch",
        *(["hp"] if multi else []),
        f"mean {metric}",
        "std",
        title=f"{first.model} surrogate of {what} (std: model uncertainty)",
    )
    t.columns[1].overflow = "fold"  # never truncate: different cells must look different
    t.columns[1].no_wrap = False
    for r in rows:
        hp_col = [r["hp"]] if multi else []
        t.add_row(str(r["index"]), r["arch"], *hp_col, f"{r['mean']:.3f}", f"{r['std']:.3f}")
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

    b = Benchmark.open(table)
    prototype = make_surrogate(model, tune_trials=tune_trials if tune else 0, space=b.space.name)
    idx, y = b.to_xy(dataset, metric, hp=hp)
    with status(f"surrogate-eval: fitting {model} on {train_size} cells, testing on the rest"):
        result = holdout_metrics(
            idx, y, surrogate=prototype, train_size=train_size, rng=np.random.default_rng(seed)
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
