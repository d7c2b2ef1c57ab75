"""`snb search-ws` and `snb study weight-sharing`: parameter-sharing NAS scored by a table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import typer

from surrogate_nb.cli._app import app, console, err_console, study_app

_METHODS_HELP = "darts-v1, darts-v2, gdas, setn, enas, rsps"
_TABLE = typer.Option(
    None,
    "--table",
    "-t",
    help="Table that scores the found cell (default: the committed Fashion-MNIST table, "
    "copied into <out> first so the committed files never change).",
)
_DATASET = typer.Option(
    None,
    "--dataset",
    "-d",
    help="Setting to search on and score by (default: the table's only one).",
)
_HP = typer.Option(None, "--hp", help="The table's hp, when it has several.")
_SEARCH_DATASET = typer.Option(
    None,
    "--search-dataset",
    help="Setting whose train / x-valid splits the search uses, when it differs from the "
    "table's (e.g. cifar10-valid searched, scored by an imported NB201 table's cifar10).",
)
_ON_MISSING = typer.Option(
    "train",
    "--on-missing",
    help="A cell the table lacks: train it under the table's protocol and add it to the table "
    "(train), predict it with a surrogate (surrogate), or report it missing (none).",
)
_DATA_DIR = typer.Option(None, "--data-dir", help="Dataset folder or .npz (default: per source).")
_DEVICE = typer.Option("cpu", "--device", help="torch device (cpu, cuda, cuda:1).")
_THREADS = typer.Option(1, "--threads", help="torch CPU threads (1 is fastest on a shared box).")
_SEED = typer.Option(0, "--seed", "-s", help="Master seed of every random choice.")
_RESOLUTION = typer.Option(None, "--resolution", help="Image side for the search (fidelity).")
_TRAIN_SUBSET = typer.Option(None, "--train-subset", help="Training images of the supernet.")
_EVAL_SUBSET = typer.Option(None, "--eval-subset", help="x-valid images for the architecture.")
_EPOCHS = typer.Option(None, "--epochs", help="Search epochs (default: protocol 100 / preset).")
_DEMO = typer.Option(
    False,
    "--demo",
    help="The demo preset: ~1 minute per search on a 2-core CPU (8x8 images, 256 training "
    "images, per-method epochs, arch lr 0.03); explicit options override it.",
)


def _resolve_table(table: Path | None, out: Path) -> Path:
    """The table to score with; the committed one is copied (with its ledger) into `out`."""
    from surrogate_nb.errors import SurrogateNBError
    from surrogate_nb.evaluation.demo import default_table_path
    from surrogate_nb.evaluation.weight_sharing.scoring import ledger_of

    if table is not None:
        return table
    src = default_table_path()
    if src is None:
        raise SurrogateNBError("no --table given and the committed table is not installed")
    dst = out / src.name
    if not (dst / "manifest.json").is_file():
        out.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dst, dirs_exist_ok=True)
        if ledger_of(src).is_file():
            shutil.copy2(ledger_of(src), ledger_of(dst))
    return dst


def _scorer(table, dataset, hp, on_missing, device, data_dir, seed):
    import numpy as np

    from surrogate_nb.evaluation.weight_sharing.scoring import TableScorer
    from surrogate_nb.table import Benchmark

    if dataset is None:
        names = Benchmark.open(table).datasets()
        if len(names) != 1:
            from surrogate_nb.errors import UnknownKeyError

            raise UnknownKeyError("dataset", None, names, "the table has several; pass --dataset")
        dataset = names[0]
    return TableScorer(
        table,
        dataset,
        hp,
        on_missing=on_missing,
        device=device,
        data_dir=data_dir,
        rng=np.random.default_rng(seed),
    )


def _search_data(dataset, data_dir, config, resolution, train_subset, eval_subset):
    from surrogate_nb.evaluation.weight_sharing import SearchData
    from surrogate_nb.exhaustive import load_setting

    prepared = load_setting(
        dataset,
        data_dir,
        resolution=resolution,
        train_subset=train_subset,
        eval_subset=eval_subset,
    )
    return SearchData(prepared, config)


def _fidelity(demo, resolution, train_subset, eval_subset):
    from surrogate_nb.evaluation.studies.weight_sharing import DEMO

    if not demo:
        return resolution, train_subset, eval_subset
    return (
        resolution or DEMO.resolution,
        train_subset or DEMO.train_subset,
        eval_subset or DEMO.eval_subset,
    )


def _check_method(name: str) -> None:
    from surrogate_nb.errors import UnknownKeyError
    from surrogate_nb.evaluation.weight_sharing import METHODS

    if name not in METHODS:
        raise UnknownKeyError("weight-sharing method", name, list(METHODS))


@app.command("search-ws")
def search_ws_cmd(
    method: str = typer.Option(..., "--method", "-m", help=f"Method: {_METHODS_HELP}."),
    table: Path | None = _TABLE,
    dataset: str | None = _DATASET,
    hp: str | None = _HP,
    search_dataset: str | None = _SEARCH_DATASET,
    on_missing: str = _ON_MISSING,
    epochs: int | None = _EPOCHS,
    resolution: int | None = _RESOLUTION,
    train_subset: int | None = _TRAIN_SUBSET,
    eval_subset: int | None = _EVAL_SUBSET,
    affine: bool = typer.Option(False, "--affine/--no-affine", help="Cell BN affine (NB201: off)."),
    track: bool = typer.Option(
        False, "--track/--no-track", help="Cell BN running statistics (NB201: off)."
    ),
    arch_lr: float | None = typer.Option(None, "--arch-lr", help="Architecture Adam lr."),
    demo: bool = _DEMO,
    data_dir: str | None = _DATA_DIR,
    device: str = _DEVICE,
    threads: int = _THREADS,
    seed: int = _SEED,
    out: Path = typer.Option(Path("runs/search-ws"), "--out", "-o", help="Result folder."),
) -> None:
    """Search a cell with one weight-sharing method, then score it by a table."""
    from dataclasses import replace

    import torch

    from surrogate_nb.evaluation.studies.weight_sharing import DEMO
    from surrogate_nb.evaluation.weight_sharing import SearchConfig, search

    _check_method(method)
    torch.set_num_threads(threads)
    path = _resolve_table(table, out)
    scorer = _scorer(path, dataset, hp, on_missing, device, data_dir, seed)
    config = DEMO.config_for(method) if demo else SearchConfig()
    changes: dict[str, Any] = {"affine": affine, "track_running_stats": track}
    if epochs is not None:
        changes["epochs"] = epochs
    if arch_lr is not None:
        changes["arch_lr"] = arch_lr
    config = replace(config, **changes)
    res, tr, ev = _fidelity(demo, resolution, train_subset, eval_subset)
    data = _search_data(search_dataset or scorer.dataset, data_dir, config, res, tr, ev)

    def progress(rec):
        shown = f"{rec.derived_index}" if rec.derived_index is not None else "-"
        err_console.print(
            f"epoch {rec.epoch + 1}/{config.epochs}: supernet train acc {rec.base_acc:.1f}% · "
            f"derived cell {shown} · {rec.time_s:.1f} s",
            highlight=False,
        )

    result = search(method, data, config, torch.Generator().manual_seed(seed), device=device,
                    on_epoch=progress)  # fmt: skip
    score = scorer.score(result.arch)
    out.mkdir(parents=True, exist_ok=True)
    record = {"search": result.to_dict(), "score": score.to_dict()}
    (out / "result.json").write_text(json.dumps(record, indent=1))
    console.print(f"{method}: found cell {result.arch.index} {result.arch}", highlight=False)
    console.print(
        f"search {result.wall_time_s:.1f} s ({device}, {threads} thread(s)); "
        f"{score.valid_metric} {score.valid_acc:.2f} ± {score.valid_std:.2f}, "
        f"{score.test_metric} {score.test_acc:.2f} ± {score.test_std:.2f} "
        f"[{score.source}{': ' + score.note if score.note else ''}]",
        highlight=False,
    )
    console.print(f"wrote {out / 'result.json'}")


@study_app.command("weight-sharing")
def weight_sharing_cmd(
    table: Path | None = _TABLE,
    dataset: str | None = _DATASET,
    hp: str | None = _HP,
    search_dataset: str | None = _SEARCH_DATASET,
    on_missing: str = _ON_MISSING,
    methods: list[str] = typer.Option(
        ["darts-v1", "darts-v2", "gdas", "setn", "enas", "rsps"],
        "--methods",
        help="Methods (repeat the option).",
    ),
    seeds: int = typer.Option(3, "--seeds", help="Search seeds per method."),
    ablation: list[str] = typer.Option(
        ["darts-v1", "gdas"], "--ablation", help="Methods rerun with the other BN variants."
    ),
    protocol: bool = typer.Option(
        False,
        "--protocol/--demo",
        help="NB201's full search protocol (100 epochs, native data; GPU hours) or the demo "
        "preset (~1 minute per search on a 2-core CPU; default).",
    ),
    epochs: int | None = _EPOCHS,
    resolution: int | None = _RESOLUTION,
    train_subset: int | None = _TRAIN_SUBSET,
    eval_subset: int | None = _EVAL_SUBSET,
    data_dir: str | None = _DATA_DIR,
    device: str = _DEVICE,
    threads: int = _THREADS,
    seed: int = _SEED,
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Report folder (default runs/studies/weight-sharing)."
    ),
) -> None:
    """DARTS-V1/V2, GDAS, SETN, ENAS, RSPS over search seeds, scored by a table; BN ablation."""
    from dataclasses import replace

    import numpy as np
    import torch

    from surrogate_nb.evaluation.studies.weight_sharing import DEMO, weight_sharing_study
    from surrogate_nb.evaluation.weight_sharing import SearchConfig

    for m in [*methods, *ablation]:
        _check_method(m)
    torch.set_num_threads(threads)
    path = out if out is not None else Path("runs") / "studies" / "weight-sharing"
    tbl = _resolve_table(table, path)
    scorer = _scorer(tbl, dataset, hp, on_missing, device, data_dir, seed)
    configs = {}
    for m in methods:
        c = SearchConfig() if protocol else DEMO.config_for(m)
        configs[m] = replace(c, epochs=epochs) if epochs is not None else c
    res, tr, ev = _fidelity(not protocol, resolution, train_subset, eval_subset)
    first = next(iter(configs.values()))
    data = _search_data(search_dataset or scorer.dataset, data_dir, first, res, tr, ev)

    def progress(run):
        err_console.print(
            f"{run.method} ({run.bn_variant}) seed {run.seed}: cell {run.result['arch_index']}, "
            f"search {run.result['wall_time_s']:.0f} s",
            highlight=False,
        )

    summary = weight_sharing_study(
        scorer,
        data,
        out=path,
        rng=np.random.default_rng(seed),
        configs=configs,
        seeds=seeds,
        ablation_methods=[m for m in ablation if m in configs],
        device=device,
        on_search=progress,
    )
    for r in summary["methods"]:
        console.print(
            f"{r['method']}: {r['test_acc']:.2f} ± {r['test_std']:.2f} in {r['wall_s']:.0f} s",
            highlight=False,
        )
    console.print(f"wrote [bold]{path / 'report.md'}[/] (+ PNGs, figures.json, runs.json)")
