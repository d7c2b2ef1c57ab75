"""`snb build`: train cells of any space into a table (resumable); `snb export-data`."""

from __future__ import annotations

import json
import shlex
import sys
from typing import Any

import typer

from surrogate_nb.cli._app import app, console, err_console
from surrogate_nb.errors import BuildError


def _seeds(first: list[int] | None, extra: list[str]) -> tuple[int, ...]:
    """`--seeds 777 888 999`: typer takes one value per option, the rest arrive as extra args."""
    seeds = list(first or [])
    for token in extra:
        if not token.lstrip("-").isdigit():
            raise BuildError(f"unexpected argument {token!r} (seeds are integers)")
        seeds.append(int(token))
    return tuple(seeds) if seeds else (777, 888, 999)


@app.command("build", context_settings={"allow_extra_args": True, "ignore_unknown_options": False})
def build_command(
    ctx: typer.Context,
    dataset: str = typer.Option(
        ...,
        help="Setting: cifar10-valid, cifar10, cifar100, ImageNet16-120, "
        "fashion-mnist-valid, fashion-mnist, or npz (a user folder, see --data-dir).",
    ),
    out: str = typer.Option(..., help="Table directory to write; the ledger is OUT.ledger.sqlite."),
    space: str = typer.Option(
        None,
        help="Search space: nb201 (default), darts (NB301's DARTS space: cells are sampled, "
        "--cells N or a file of compact strings; see `snb arch --space darts --help`).",
    ),
    preset: str = typer.Option(
        None,
        help="Training protocol: nb201 (default), nb301 (NB301's DARTS training: GPU, ~9 days "
        "per cell on one CPU thread), darts-cpu (low-fidelity DARTS on Fashion-MNIST: ~4 s "
        "per trial on an idle thread here, 10-30 s on a busy one). Options below override its "
        "fields.",
    ),
    sample: str = typer.Option(
        None,
        help="Where the cells come from: 'random' (default: --cells N uniform samples) or a "
        "NAS optimizer (random_search, rea, local_search, tpe, reinforce) whose --cells N "
        "evaluations are real trainings in this ledger; each cell records its source.",
    ),
    sample_seed: int = typer.Option(0, help="Seed of an optimizer source's run (--sample)."),
    hp: int = typer.Option(None, help="T, epochs of every trial and of the cosine schedule."),
    seeds: list[int] = typer.Option(
        None, help="Training seeds, e.g. --seeds 777 888 999 (default: NB201's 777 888 999)."
    ),
    cells: str = typer.Option(
        None,
        help="'all' (NB201's 15,625; the default there), N (a fixed uniform sample of N cells, "
        "seed 0), or a FILE with one cell per line (index or the space's string).",
    ),
    device: str = typer.Option("cpu", help="Torch device: cpu, cuda, cuda:1, ..."),
    engine: str = typer.Option(
        None,
        help="'fast' (NB201 only: seeds/cells fused into grouped convs; its default) or "
        "'reference' (plain loop; any space).",
    ),
    shard: str = typer.Option(None, help="Train only shard i of n ('i/n') of the cell list."),
    unique_only: bool = typer.Option(
        False, "--unique-only", help="Train one cell per isomorphism class; map the rest to it."
    ),
    data_dir: str = typer.Option(
        None, help="Dataset folder or .npz (default for Fashion-MNIST: /usr/share/datasets/...)."
    ),
    download: bool = typer.Option(False, help="Download CIFAR via torchvision into --data-dir."),
    train_subset: int = typer.Option(None, help="Fidelity: train on N images (seeded subset)."),
    eval_subset: int = typer.Option(None, help="Fidelity: score at most N images per eval split."),
    resolution: int = typer.Option(None, help="Fidelity: image side (resize down / pad up)."),
    channels: int = typer.Option(
        None, help="Fidelity: C, channels of the first stage (NB201 16, NB301 32)."
    ),
    cells_per_stage: int = typer.Option(None, help="Fidelity: N, cells per stage (NB201 5)."),
    layers: int = typer.Option(None, help="DARTS: cells in all (NB301 8, DARTS 20)."),
    batch_size: int = typer.Option(None, help="Training batch size (NB201 256, NB301 96)."),
    group_cells: int = typer.Option(
        1, help="Cells fused per engine step (each with all its seeds); more fills a big GPU."
    ),
    fuse: str = typer.Option(
        "auto", help="Fuse a cell's seeds into one network: auto (on CUDA only), yes, no."
    ),
    retry_failed: bool = typer.Option(False, help="Train failed trials again."),
    max_units: int = typer.Option(None, help="Stop after this many units (time-boxed runs)."),
    write_partial: bool = typer.Option(
        False,
        "--write-partial",
        help="Write the table even when trials remain (manifest: complete=false); "
        "with --max-units 0 it only exports what the ledger holds.",
    ),
    ray_address: str = typer.Option(
        None,
        help="Schedule trials as Ray tasks on this cluster ('HOST:PORT' of a `ray start --head`, "
        "'auto', 'ray://h:10001', 'local'). A head with token authentication (Ray's default "
        "when ~/.ray/auth_token exists) needs, from another machine, RAY_AUTH_MODE=token and "
        "RAY_AUTH_TOKEN=$(ray get-auth-token) exported here.",
    ),
    gpus_per_task: float = typer.Option(1.0, help="Ray: GPUs per task (a fraction packs more)."),
    threads: int = typer.Option(
        None, help="CPU threads of torch (1 per build process is best on a shared machine)."
    ),
    quiet: bool = typer.Option(False, help="No progress bar; print only the final summary."),
) -> None:
    """Train cells into a table (NB201's protocol by default; NB301's DARTS space with
    --space darts); killed and re-run, it resumes from the ledger."""
    import dataclasses

    from surrogate_nb.cli._progress import Reporter
    from surrogate_nb.exhaustive import BuildPlan, run_build
    from surrogate_nb.exhaustive.presets import get_preset

    if threads:
        import torch

        torch.set_num_threads(threads)

    base, preset_space = get_preset(preset or ("darts-cpu" if space == "darts" else "nb201"))
    space = space or preset_space
    overrides: dict[str, Any] = {  # TrainConfig fields the options set
        "epochs": hp,
        "batch_size": batch_size,
        "channels": channels,
        "cells_per_stage": cells_per_stage,
        "layers": layers,
        "resolution": resolution,
        "train_subset": train_subset,
        "eval_subset": eval_subset,
    }
    try:
        config = dataclasses.replace(base, **{k: v for k, v in overrides.items() if v is not None})
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    if (config.layers is None) != (space == "nb201"):
        raise BuildError(
            f"--preset {preset or 'nb201'} trains {preset_space} networks, not {space}'s; "
            "pick a preset of that space (nb201; nb301 or darts-cpu for darts)"
        )
    engine = engine or ("fast" if space == "nb201" else "reference")
    optimizer = None
    if sample not in (None, "random"):
        optimizer = sample
    if cells is None:
        if space != "nb201":
            raise BuildError(f"--cells N (or a file) is required for the {space} space")
        cells = "all"
    plan = BuildPlan(
        dataset=dataset,
        out=out,
        config=config,
        cells=cells,
        seeds=_seeds(seeds, ctx.args),
        shard=shard,
        unique_only=unique_only,
        data_dir=data_dir,
        device=device,
        engine=engine,
        group_cells=group_cells,
        fuse=fuse,
        retry_failed=retry_failed,
        command=" ".join(shlex.quote(a) for a in ["snb", *sys.argv[1:]]),
        space=space,
        source=optimizer,
    )
    backend = None
    if ray_address:
        from surrogate_nb.exhaustive.ray_backend import RayBackend

        backend = RayBackend(
            ray_address, device=device, engine=engine, num_gpus=gpus_per_task, space=space
        )
    if download:
        from surrogate_nb.exhaustive.datasets import SETTINGS, load_source

        load_source(SETTINGS[dataset].source, data_dir, download=True)
    with Reporter("build", quiet=quiet) as bar:
        bar.stage(f"loading {dataset} and planning the trials ...")

        def show(p) -> None:
            eta = "?" if p.eta_s is None else f"{p.eta_s / 3600:.2f} h"
            bar.update(
                p.done + p.failed,
                p.total,
                f"trials · {p.trials_per_hour:.0f} trials/h · ETA {eta} · failed {p.failed}"
                if p.trained_now
                else "trials · training the first unit ...",
                force=p.trained_now == 0,
            )

        if optimizer is not None:
            from surrogate_nb.evaluation.true_runs import build_from_optimizer

            result = build_from_optimizer(
                plan, optimizer, seed=sample_seed, backend=backend, on_progress=show
            )
        else:
            result = run_build(
                plan,
                backend=backend,
                on_progress=show,
                max_units=max_units,
                write_partial=write_partial,
            )
    summary = {
        "total": result.total,
        "done": result.done,
        "failed": result.failed,
        "trained_now": result.trained_now,
        "table": result.table,
        "ledger": result.ledger,
    }
    console.print_json(json.dumps(summary))
    if result.failed:
        first = next(iter(result.errors.values()), "")
        first = (str(first).strip().splitlines() or ["?"])[0]
        err_console.print(
            f"{result.failed} trial(s) failed; the first: {first}", highlight=False, soft_wrap=True
        )
    if result.table is None:
        err_console.print(
            "table not written yet: trials remain (other shards, --max-units, or failures; "
            "re-run the same command to resume, add --retry-failed to retry failures)"
        )


@app.command("export-data")
def export_data_command(
    source: str = typer.Option(
        "fashion-mnist", help="Raw source: fashion-mnist, cifar10, cifar100, imagenet16, npz."
    ),
    out: str = typer.Option(..., help="The .npz file to write (x_train, y_train, x_test, y_test)."),
    data_dir: str = typer.Option(None, help="Where the source lives (default for Fashion-MNIST)."),
) -> None:
    """Write a dataset source as one .npz, to carry it to a GPU machine (--data-dir FILE.npz)."""
    from surrogate_nb.exhaustive import export_npz

    console.print(str(export_npz(source, out, data_dir)))
