"""`snb arch` and `snb space`: look at one cell, or at the whole search space."""

from __future__ import annotations

import json
from collections import Counter

import typer
from rich.table import Table

from surrogate_nb.cli._app import app, console


def describe_arch(value: str) -> dict:
    """Facts about one cell as a JSON-ready dict (index, strings, connectivity, costs)."""
    # closed-form counts (no torch import: `snb arch` stays a light command)
    from surrogate_nb.space import as_arch
    from surrogate_nb.space.nb201_costs import COST_SETTINGS
    from surrogate_nb.space.nb201_costs import flops_m as count_flops
    from surrogate_nb.space.nb201_costs import params_m as count_params
    from surrogate_nb.space.nb201_encodings import to_naslib, to_syne_tune

    arch = as_arch(value)
    costs = {
        name: {
            "params_m": round(count_params(arch, classes), 6),
            "flops_m": round(count_flops(arch, classes, resolution), 6),
            "num_classes": classes,
            "resolution": resolution,
        }
        for name, (classes, resolution) in COST_SETTINGS.items()
    }
    return {
        "index": arch.index,
        "arch_str": str(arch),
        "unique_str": arch.unique_str(),
        "connected": arch.is_connected(),
        "ops": list(arch.ops),
        "naslib_op_indices": to_naslib(arch),
        "syne_tune": to_syne_tune(arch),
        "costs": costs,
    }


@app.command("arch")
def arch_command(
    arch: str = typer.Argument(
        ..., help="An NB201 index (0..15624) or an arch string '|op~0|+|op~0|op~1|+|...|'."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Show a cell: index, NB201 string, isomorphism class, connectivity, params and FLOPs."""
    info = describe_arch(arch)
    if as_json:
        console.print_json(json.dumps(info))
        return
    table = Table(title=f"NB201 cell {info['index']}", show_header=False)
    table.add_column("field", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_row("arch string", info["arch_str"])
    table.add_row("unique string", info["unique_str"])
    table.add_row("connected", "yes" if info["connected"] else "no (input never reaches output)")
    table.add_row("NASLib op_indices", str(info["naslib_op_indices"]))
    console.print(table)
    costs = Table(title="Costs (NB201 counters)")
    for col in ("setting", "classes", "input", "params (M)", "FLOPs (M)"):
        costs.add_column(col, justify="right" if col != "setting" else "left")
    for name, c in info["costs"].items():
        costs.add_row(
            name,
            str(c["num_classes"]),
            f"{c['resolution']}x{c['resolution']}",
            f"{c['params_m']:.6f}",
            f"{c['flops_m']:.5f}",
        )
    console.print(costs)


def summarise_space() -> dict:
    """Counts of the NB201 space: cells, isomorphism classes, disconnected cells, class sizes."""
    from surrogate_nb.space import NB201, OPS, all_archs

    archs = list(all_archs())
    classes = Counter(a.unique_str() for a in archs)
    sizes = Counter(classes.values())
    return {
        "space": NB201.name,
        "num_cells": len(archs),
        "num_ops": len(OPS),
        "ops": list(OPS),
        "num_edges": 6,
        "num_isomorphism_classes": len(classes),
        "num_disconnected": sum(not a.is_connected() for a in archs),
        "class_size_histogram": {str(k): v for k, v in sorted(sizes.items())},
    }


@app.command("space")
def space_command(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Summarise the NB201 search space (cells, isomorphism classes, disconnected cells)."""
    info = summarise_space()
    if as_json:
        console.print_json(json.dumps(info))
        return
    table = Table(title="NB201 search space", show_header=False)
    table.add_row("cells", f"{info['num_cells']:,}")
    table.add_row("ops", ", ".join(info["ops"]))
    table.add_row("edges", str(info["num_edges"]))
    table.add_row("isomorphism classes", f"{info['num_isomorphism_classes']:,}")
    table.add_row("disconnected cells", f"{info['num_disconnected']:,}")
    hist = ", ".join(f"{k}: {v}" for k, v in info["class_size_histogram"].items())
    table.add_row("class sizes (size: count)", hist)
    console.print(table)
