"""`snb import`, `snb info`, `snb query`, `snb best`: tabular benchmarks from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from surrogate_nb.cli._app import app, console


@app.command("import")
def import_cmd(
    source: Path = typer.Argument(
        ...,
        help="File or directory to import: wide CSV/Parquet, "
        "NB201 .pth, NATS-Bench tss archive or fast_mode directory, NB-101 .tfrecord / column "
        "JSON, NAS-Bench-301 results (a folder of results_*.json, or a .zip of them; the "
        "optimizer folders rs/, re/, ... are kept as each trial's source).",
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Table directory to write (replaced atomically if it exists)."
    ),
    format: str | None = typer.Option(
        None,
        "--format",
        "-f",
        help="csv | parquet | nb201-pth | nats-tss | nb101-tfrecord | nb101-json | nb301; "
        "inferred from SOURCE when omitted.",
    ),
) -> None:
    """Convert a published benchmark file into a surrogate-nb table."""
    from surrogate_nb.cli._progress import Reporter, status
    from surrogate_nb.table import Benchmark
    from surrogate_nb.table.importers import import_any, infer_format

    command = " ".join(["snb", *sys.argv[1:]])
    fmt = format or infer_format(source)
    if fmt == "nb301":  # thousands of files, read twice (check + seeds, then write)
        with Reporter("import") as bar:
            bar.stage(f"reading NB301 results from {source} ...")
            path = import_any(
                source,
                out,
                format=fmt,
                command=command,
                progress=lambda done, total: bar.update(done, total, "files (2 passes)"),
            )
    else:
        with status(f"importing {source}"):
            path = import_any(source, out, format=fmt, command=command)
    b = Benchmark.open(path)
    settings = b.manifest["settings"]
    seeds = sorted({s for st in settings for s in st["seeds"]})
    cells = max(st.get("cells", 0) for st in settings)
    console.print(
        f"wrote [bold]{path}[/]: {len(settings)} setting(s), up to {cells} cells per setting, "
        f"seeds {seeds}, {sum(st['rows'] for st in settings)} trials: "
        + ", ".join(f"{d} (hp {', '.join(b.hps(d))})" for d in b.datasets()),
        highlight=False,
        soft_wrap=True,
    )


@app.command("info")
def info_cmd(
    table: Path = typer.Argument(..., help="Table directory."),
    verify: bool = typer.Option(
        False,
        "--verify",
        help="Recompute every file's sha256 (reads all data); otherwise only sizes are checked.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
) -> None:
    """Show what a table holds: settings, seeds, epochs, metrics, producer."""
    from rich.table import Table

    from surrogate_nb.table import Benchmark

    b = Benchmark.open(table, verify=verify)
    m = b.manifest
    if as_json:
        console.print_json(json.dumps(m))
        return
    sw = m.get("software", {})
    console.print(
        f"[bold]{table}[/]  schema {m['schema_version']}, space {m.get('space')}, "
        f"made by {sw.get('name')} {sw.get('version')} ({m.get('created')})"
        + ("  [green]checksums OK[/]" if verify else "")
    )
    if m.get("command"):
        console.print(f"command: {m['command']}", highlight=False)
    t = Table("dataset", "hp", "epochs", "seeds", "trials", "cells", "metrics [epochs with values]")
    for s in m["settings"]:
        rec = s.get("recorded")
        if rec is None:  # tables written before `recorded` existed
            metrics = ", ".join(s["metrics"])
        else:
            metrics = ", ".join(
                f"{k} [{rec[k]}]" if rec.get(k) else f"{k} [no values]" for k in s["metrics"]
            )
        costs = s.get("costs_recorded")
        if costs is not None:
            metrics += "; costs: " + (", ".join(costs) or "none recorded")
        t.add_row(
            s["dataset"],
            s["hp"],
            str(s["epochs"]),
            ", ".join(map(str, s["seeds"])),
            str(s["rows"]),
            str(s.get("cells", "")),
            metrics,
        )
    console.print(t)


def _seed(seed: str | None):
    if seed is None or seed == "mean":
        return None
    if seed == "sample":
        return "sample"
    try:
        return int(seed)
    except ValueError:
        from surrogate_nb.errors import UnknownKeyError

        raise UnknownKeyError("seed", seed, ["mean", "sample", "<int>"]) from None


@app.command("query")
def query_cmd(
    table: Path = typer.Argument(..., help="Table directory."),
    arch: str = typer.Argument(
        ...,
        help="Cell of the table's space. NB201: index (0..15624) or NB201 string. NB-101: index "
        "(0..423623), 32-hex module hash, or 'ops;matrix' (see `snb arch --help`).",
    ),
    dataset: str = typer.Option(
        ..., "--dataset", "-d", help="Dataset setting, e.g. cifar10-valid."
    ),
    metric: str = typer.Option(
        ...,
        "--metric",
        "-m",
        help="Metric, e.g. valid_acc, or a cost: params_m, flops_m, latency_s, train_time_s.",
    ),
    hp: str | None = typer.Option(
        None,
        "--hp",
        help="Training schedule (e.g. 12, 200); required when the dataset has several.",
    ),
    seed: str | None = typer.Option(
        None,
        "--seed",
        help="A seed, 'mean' (default: mean over available seeds) or 'sample' (uses --rng-seed).",
    ),
    epoch: int | None = typer.Option(None, "--epoch", help="Epoch from 0; default the last."),
    rng_seed: int = typer.Option(
        0, "--rng-seed", min=0, help="Seed of the generator for --seed sample (>= 0)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Look up one value of one cell."""
    import numpy as np

    from surrogate_nb.table import Benchmark

    b = Benchmark.open(table)
    a = b.space.as_arch(arch)
    index, label = b.space.index_of(a), b.space.label(a)
    value, n = b.query_with_count(
        a,
        dataset,
        metric,
        hp=hp,
        epoch=epoch,
        seed=_seed(seed),
        rng=np.random.default_rng(rng_seed),
    )
    missing = b.explain_missing(a, dataset, metric, hp, epoch, _seed(seed)) if n == 0 else None
    if missing is not None and not as_json:
        raise missing
    if as_json:
        print(
            json.dumps(
                {
                    "arch_index": index,
                    "arch": label,
                    "dataset": dataset,
                    "metric": metric,
                    "hp": hp,
                    "epoch": epoch,
                    "seed": seed,
                    "value": None if value != value else value,
                    "n_seeds": n,
                    **({"missing": str(missing)} if missing is not None else {}),
                }
            )
        )
        return
    console.print(
        f"{metric} of {index} {label} on {dataset}: [bold]{value:.6g}[/] "
        f"({'mean of ' + str(n) + ' seed(s)' if seed in (None, 'mean') else 'seed ' + str(seed)})",
        highlight=False,
        soft_wrap=True,
    )


@app.command("best")
def best_cmd(
    table: Path = typer.Argument(..., help="Table directory."),
    dataset: str = typer.Option(..., "--dataset", "-d", help="Dataset setting."),
    metric: str = typer.Option(..., "--metric", "-m", help="Metric to rank cells by."),
    hp: str | None = typer.Option(
        None, "--hp", help="Training schedule; required when the dataset has several."
    ),
    mode: str = typer.Option("max", "--mode", help="max or min."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """The best cell by a metric (mean over seeds, last epoch)."""
    from surrogate_nb.table import Benchmark

    b = Benchmark.open(table)
    arch, value = b.best(dataset, metric, hp=hp, mode=mode)
    index, label = b.space.index_of(arch), b.space.label(arch)
    if as_json:
        print(json.dumps({"arch_index": index, "arch": label, "value": value}))
        return
    console.print(
        f"best {metric} on {dataset}: [bold]{value:.6g}[/] at {index} {label}",
        highlight=False,
        soft_wrap=True,
    )
