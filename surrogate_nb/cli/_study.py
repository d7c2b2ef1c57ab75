"""`snb study train-size|noise|leave-out|compare|nb301`: studies writing report.md, PNGs, JSON."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from surrogate_nb.cli._app import console, study_app

_TABLE = typer.Option(
    ..., "--table", "-t", help="Table directory (see `snb import` / `snb build`)."
)
_DATASET = typer.Option(
    ..., "--dataset", "-d", help="Dataset setting, e.g. cifar10-valid or fashion-mnist."
)
_METRIC = typer.Option(
    "valid_acc",
    "--metric",
    "-m",
    help="Target / search-signal metric, larger "
    "is better (final epoch), e.g. valid_acc, x-valid_acc.",
)
_HP = typer.Option(
    None, "--hp", help="Training schedule (12, 200, ...); needed only when the dataset has several."
)
_MODELS = typer.Option(
    ["xgb", "lgb"], "--models", help="Surrogate models, repeat the option: xgb, lgb, ensemble."
)
_SEED = typer.Option(
    0, "--seed", "-s", help="Master seed of every random choice (splits, fits, optimizer runs)."
)


#: The running study's progress (started by `_out`, closed by `_done` or at exit).
_PROGRESS = contextlib.ExitStack()


def _out(out: Path | None, name: str) -> Path:
    from surrogate_nb.cli._progress import status

    _PROGRESS.enter_context(status(f"study {name}"))  # elapsed-time lines while it runs
    return out if out is not None else Path("runs") / "studies" / name


def _done(summary_path: Path, extra: str = "") -> None:
    _PROGRESS.close()
    console.print(f"wrote [bold]{summary_path / 'report.md'}[/] (+ PNGs, figures.json){extra}")


def _surrogates(models: list[str]) -> dict:
    """{name: Surrogate} for the ``--models`` names (unknown names fail before any work)."""
    from surrogate_nb.regressors import make_surrogate

    return {m: make_surrogate(m) for m in dict.fromkeys(models)}


def _optimizers(names: list[str]) -> list:
    """Optimizer instances for the ``--optimizers`` names (unknown names fail before any work)."""
    from surrogate_nb.evaluation.optimizers import make_optimizer

    return [make_optimizer(o) for o in dict.fromkeys(names)]


def _sizes(text: str) -> list[int]:
    from surrogate_nb.errors import SurrogateNBError

    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SurrogateNBError(f"--sizes takes comma-separated integers, got {text!r}") from None


@study_app.command("train-size")
def train_size_cmd(
    table: Path = _TABLE,
    dataset: str = _DATASET,
    metric: str = _METRIC,
    hp: str | None = _HP,
    models: list[str] = _MODELS,
    sizes: str = typer.Option(
        "10,30,100,300,1000,3000,5000",
        "--sizes",
        help="Training-set sizes, comma-separated (sizes the table cannot fill are dropped).",
    ),
    repeats: int = typer.Option(3, "--repeats", "-r", help="Independent train/test splits."),
    test_size: int = typer.Option(
        2000, "--test-size", help="Held-out cells per split (at most half the table)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Report folder (default runs/studies/train-size)."
    ),
    seed: int = _SEED,
) -> None:
    """Surrogate quality (Kendall τ, R², RMSE, coverage) vs number of training cells, per model."""
    import numpy as np

    from surrogate_nb.evaluation.studies import train_size_study
    from surrogate_nb.table import Benchmark

    surrogates = _surrogates(models)
    path = _out(out, "train-size")
    train_size_study(
        Benchmark.open(table),
        dataset,
        metric,
        hp,
        out=path,
        rng=np.random.default_rng(seed),
        surrogates=surrogates,
        sizes=_sizes(sizes),
        repeats=repeats,
        test_size=test_size,
    )
    _done(path)


@study_app.command("noise")
def noise_cmd(
    table: Path = _TABLE,
    dataset: str = _DATASET,
    metric: str = _METRIC,
    hp: str | None = _HP,
    models: list[str] = _MODELS,
    sizes: str = typer.Option(
        "10,30,100,300,1000,3000,5000",
        "--sizes",
        help="Training sizes (cells of the fit seed), comma-separated.",
    ),
    repeats: int = typer.Option(2, "--repeats", "-r", help="Splits per fit seed."),
    test_size: int = typer.Option(2000, "--test-size", help="Held-out cells per split."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Report folder (default runs/studies/noise)."
    ),
    seed: int = _SEED,
) -> None:
    """NB301's noise claim: surrogate fitted on one seed vs that seed's table entry.

    Both are scored against the mean of the other seeds, per training size.
    """
    import numpy as np

    from surrogate_nb.evaluation.studies import noise_study
    from surrogate_nb.table import Benchmark

    surrogates = _surrogates(models)
    path = _out(out, "noise")
    s = noise_study(
        Benchmark.open(table),
        dataset,
        metric,
        hp,
        out=path,
        rng=np.random.default_rng(seed),
        surrogates=surrogates,
        sizes=_sizes(sizes),
        repeats=repeats,
        test_size=test_size,
    )
    console.print(s.verdict, highlight=False)
    _done(path)


@study_app.command("leave-out")
def leave_out_cmd(
    table: Path = _TABLE,
    dataset: str = _DATASET,
    metric: str = _METRIC,
    hp: str | None = _HP,
    models: list[str] = _MODELS,
    top: float = typer.Option(10.0, "--top", help="k of the top-k% region (percent)."),
    optimizers: list[str] = typer.Option(
        ["random_search", "rea", "reinforce", "local_search"],
        "--optimizers",
        help="Optimizers whose visited cells form the leave-one-optimizer-out regions.",
    ),
    budget: float | None = typer.Option(
        None,
        "--budget",
        help="Simulated seconds per optimizer run (default 100 median train times).",
    ),
    repeats: int = typer.Option(3, "--repeats", "-r", help="Runs per optimizer."),
    max_train: int | None = typer.Option(
        None, "--max-train", help="Subsample larger training sets to this many cells (faster)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Report folder (default runs/studies/leave-out)."
    ),
    seed: int = _SEED,
) -> None:
    """Fit on the table minus a region, test on the region.

    Regions: every cell using an op; an op on an edge; the top-k%; one optimizer's visited cells.
    """
    import numpy as np

    from surrogate_nb.evaluation.studies import leave_out_study
    from surrogate_nb.table import Benchmark

    surrogates = _surrogates(models)
    opts = _optimizers(optimizers)
    path = _out(out, "leave-out")
    leave_out_study(
        Benchmark.open(table),
        dataset,
        metric,
        hp,
        out=path,
        rng=np.random.default_rng(seed),
        surrogates=surrogates,
        top_percent=top,
        optimizers=opts,
        budget_s=budget,
        optimizer_repeats=repeats,
        max_train=max_train,
    )
    _done(path)


@study_app.command("compare")
def compare_cmd(
    table: Path = _TABLE,
    dataset: str = _DATASET,
    metric: str = _METRIC,
    hp: str | None = _HP,
    model: str = typer.Option(
        "xgb",
        "--model",
        help="Surrogate model of the surrogate benchmark "
        "(fitted on every table cell): xgb, lgb or ensemble.",
    ),
    report_metric: str | None = typer.Option(
        None,
        "--report-metric",
        help="Metric reported for the incumbent (default: --metric), e.g. test_acc.",
    ),
    optimizers: list[str] = typer.Option(
        ["random_search", "rea", "reinforce", "local_search", "tpe", "hyperband"],
        "--optimizers",
        help="Optimizers to run (repeat the option): ours, or syne-tune's st_random_search, "
        "st_rea, st_tpe, st_bore, st_asha, st_bohb (extra: pip install 'surrogate-nb[hpo]').",
    ),
    budget: float | None = typer.Option(
        None, "--budget", help="Simulated seconds per run (default 100 median train times)."
    ),
    repeats: int = typer.Option(5, "--repeats", "-r", help="Runs per optimizer and benchmark."),
    cost_epochs: int | None = typer.Option(
        None,
        "--cost-epochs",
        help="Charge single-fidelity optimizers this many epochs per evaluation (e.g. 12 for "
        "NB201's search protocol); multi-fidelity ones pay the epochs they train.",
    ),
    curve: str = typer.Option(
        "auto",
        "--curve",
        help="Surrogate side: learning-curve surrogates (epoch or svd design) so multi-fidelity "
        "optimizers run there too; 'none' = final-epoch surrogates; 'auto' = epoch when a "
        "multi-fidelity optimizer is asked for.",
    ),
    sample: bool = typer.Option(
        False,
        "--sample/--mean",
        help="Signal: a random seed per query "
        "(table) and a noisy surrogate draw, instead of means.",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Report folder (default runs/studies/compare)."
    ),
    seed: int = _SEED,
) -> None:
    """Run each optimizer on the table and on the surrogate benchmark; compare their rankings."""
    import numpy as np

    from surrogate_nb.errors import UnknownKeyError
    from surrogate_nb.evaluation.runners import make_method
    from surrogate_nb.evaluation.studies import compare_study
    from surrogate_nb.regressors import SurrogateBenchmark
    from surrogate_nb.table import Benchmark

    surrogate = _surrogates([model])[model]
    opts = [make_method(o) for o in dict.fromkeys(optimizers)]
    if curve not in ("auto", "none", "svd", "epoch"):
        raise UnknownKeyError("--curve", curve, ["auto", "none", "svd", "epoch"])
    if curve == "auto":
        curve = "epoch" if any(o.multi_fidelity for o in opts) else "none"
    rng = np.random.default_rng(seed)
    fit_rng, run_rng = rng.spawn(2)
    b = Benchmark.open(table)
    rm = report_metric or metric
    if curve == "none":
        sur = SurrogateBenchmark.from_table(
            b, dataset, (metric, rm), hp, rng=fit_rng, surrogate=surrogate
        )
    else:
        sur = SurrogateBenchmark.from_curves(
            b, dataset, (metric, rm), hp, rng=fit_rng, design=curve, model=model
        )
    path = _out(out, "compare")
    s = compare_study(
        b,
        sur,
        dataset,
        metric,
        hp,
        out=path,
        rng=run_rng,
        optimizers=opts,
        repeats=repeats,
        budget_s=budget,
        report_metric=rm,
        surrogate_label=f"surrogate ({model}{'' if curve == 'none' else ', ' + curve + ' curves'})",
        signal_seed="sample" if sample else None,
        cost_epochs=cost_epochs,
    )
    for w in s.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    ra = s.rank_agreement
    _done(
        path,
        f"; rank agreement Kendall τ = {ra['kendall_tau']:.3f}"
        if ra["n"] >= 3
        else f"; no rank agreement ({ra['n']} optimizers ran on both sides, 3 needed)",
    )


@study_app.command("nb301")
def nb301_cmd(
    table: Path = _TABLE,
    dataset: str = _DATASET,
    metric: str = _METRIC,
    hp: str | None = _HP,
    models: list[str] = typer.Option(
        ["lgb", "xgb", "ensemble", "gin"],
        "--models",
        help="Surrogate models, repeat the option: gin, xgb, lgb, ensemble (GIN: minutes per fit).",
    ),
    sizes: str = typer.Option(
        "30,100,300,1000,3000", "--sizes", help="Training sizes of the size curve."
    ),
    parts: str = typer.Option(
        "split,sizes,sources,noise,runtime",
        "--parts",
        help="Parts to run, comma-separated (e.g. 'split' alone for GIN, whose fits take "
        "minutes: the other parts fit each model once per size and per optimizer).",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Report folder (default runs/studies/nb301)."
    ),
    seed: int = _SEED,
) -> None:
    """NB301's evaluation protocol on a table of a sampled space (a DARTS table of `snb build
    --space darts`): random split (R², Kendall τ, sparse τ, 90 % coverage), training-set-size
    curve, leave-one-optimizer-out per recorded optimizer, the noise claim on the cells with
    several seeds, a runtime surrogate. About 1-3 min per tree model and part on 2 cores for
    about a thousand cells (GIN: 5-10 min per fit)."""
    import numpy as np

    from surrogate_nb.evaluation.studies.nb301 import nb301_study
    from surrogate_nb.table import Benchmark

    surrogates = _surrogates(models)
    b = Benchmark.open(table)
    path = _out(out, "nb301")
    r = nb301_study(
        b,
        dataset,
        metric,
        path,
        hp=hp,
        surrogates=surrogates,
        sizes=_sizes(sizes),
        rng=np.random.default_rng(seed),
        parts=[p.strip() for p in parts.split(",") if p.strip()],
        on_step=lambda what: console.print(f"· {what}", highlight=False),
    )
    if r.split_rows:
        best = max(r.split_rows, key=lambda row: row["kendall_tau"])
        console.print(
            f"best held-out τ {best['kendall_tau']:.3f} ({best['model']}); seed-to-seed τ "
            f"{r.seed_tau:.3f}",
            highlight=False,
        )
    if r.noise:
        console.print(f"noise claim holds: {r.noise.get('holds')}", highlight=False)
    _done(path)


@study_app.command("nb301-true")
def nb301_true_cmd(
    table: Path = _TABLE,
    metric: str = typer.Option("x-valid_acc", "--metric", "-m", help="Search signal."),
    optimizers: list[str] = typer.Option(
        ["random_search", "rea", "local_search", "tpe"],
        "--optimizers",
        help="Optimizers, repeat the option (registry names; with hyperband or bohb the metric's "
        "surrogate is a learning-curve model and every optimizer runs on it).",
    ),
    runs_true: int = typer.Option(5, "--runs-true", help="Runs per optimizer with real training."),
    runs_surrogate: int = typer.Option(20, "--runs-surrogate", help="Runs on the surrogate."),
    budget_evals: float = typer.Option(
        20, "--budget-evals", help="Budget per run, in median trainings of the table."
    ),
    model: str = typer.Option("lgb", "--model", help="Surrogate model (metric and runtime)."),
    charge: str = typer.Option(
        "evals",
        "--charge",
        help="What an evaluation costs: 'evals' = the table's median training time per full "
        "training on both sides (a budget of N trainings; fair on a shared CPU whose measured "
        "times follow its load), 'recorded' = the recorded time (true side) and the runtime "
        "surrogate's prediction (surrogate side), as NB301.",
    ),
    data_dir: str = typer.Option(None, help="Dataset folder of the table's build (default)."),
    threads: int = typer.Option(
        1,
        "--threads",
        min=1,
        help="CPU threads of torch for the true side's trainings (1 is best on a shared "
        "machine: more threads wait on each other when the cores are busy).",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Report folder (default runs/studies/nb301-true)."
    ),
    seed: int = _SEED,
) -> None:
    """NB301's surrogate-versus-true experiment: the optimizers on the surrogate benchmark and
    with real training of every proposed cell under the table's protocol (its ledger; the true
    runs resume from it). The surrogates are fitted on the table's cells less those only the
    true runs proposed (sources `<optimizer>-true`). Cost: runs_true x optimizers x
    budget_evals trainings (darts-cpu: ~10-30 s each here), the surrogate side seconds."""
    import numpy as np

    from surrogate_nb.errors import UnknownKeyError
    from surrogate_nb.evaluation.studies.nb301_true import plan_of_table, surrogate_vs_true
    from surrogate_nb.regressors import make_surrogate
    from surrogate_nb.table import Benchmark

    if charge not in ("evals", "recorded"):
        raise UnknownKeyError("charge", charge, ["evals", "recorded"])
    surrogate = make_surrogate(model)
    b = Benchmark.open(table)
    plan = plan_of_table(b, data_dir=data_dir)
    import torch

    torch.set_num_threads(threads)
    times = b.to_xy(plan.dataset, "train_time_s")[1]
    path = _out(out, "nb301-true")
    r = surrogate_vs_true(
        b,
        plan,
        metric,
        path,
        optimizers=list(dict.fromkeys(optimizers)),
        surrogate=surrogate,
        runs_true=runs_true,
        runs_surrogate=runs_surrogate,
        budget_s=float(budget_evals) * float(np.median(times)),
        seed=seed,
        curve_model=model,
        charge_s=float(np.median(times)) if charge == "evals" else None,
        on_step=lambda what: console.print(f"· {what}", highlight=False),
    )
    lo, hi = r.tau_interval["low"], r.tau_interval["high"]
    console.print(
        f"ranking agreement (Kendall τ): {r.ranking_tau:.3f} (90 % bootstrap over runs: "
        f"{lo:.2f} to {hi:.2f}); by the surrogate's predicted means {r.ranking_tau_means:.3f}; "
        f"one run {r.seconds_per_run['surrogate']:.2f} s on the "
        f"surrogate, {r.recorded_s_per_true_run:.0f} s of recorded training when true",
        highlight=False,
    )
    _done(path)
