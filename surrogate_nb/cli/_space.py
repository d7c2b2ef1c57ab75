"""`snb arch` and `snb space`: look at one cell, or at the whole search space."""

from __future__ import annotations

import json
from collections import Counter

import typer
from rich.table import Table

from surrogate_nb.cli._app import app, console

SPACE_OPTION = typer.Option(
    "nb201",
    "--space",
    help="Search space: nb201 (15,625 cells), nb101 (423,624 cells) or darts (NB301's DARTS "
    "space, 1,076,746,950,455,072,400 cell pairs).",
)


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


def describe_nb101(value: str) -> dict:
    """Facts about one NB-101 cell as a JSON-ready dict (index, hash, graph, params, FLOPs)."""
    from surrogate_nb.space import NB101
    from surrogate_nb.space.nb101_cost import network_costs

    cell = NB101.as_arch(value)
    params, flops = network_costs(cell, 10)
    return {
        "index": cell.index,
        "module_hash": cell.module_hash,
        "cell": str(cell),
        "ops": list(cell.ops),
        "matrix": [list(r) for r in cell.matrix],
        "vertices": cell.num_vertices,
        "edges": cell.num_edges,
        "costs": {"cifar10": {"params": params, "flops_m": round(flops / 1e6, 6)}},
    }


def describe_darts(value: str) -> dict:
    """Facts about one DARTS-space pair: every representation, params and FLOPs (closed form:
    the published convention at NB301's 32 channels x 8 cells, and DARTS' own 36 x 20)."""
    from surrogate_nb.space import DARTS
    from surrogate_nb.space.darts_cost import network_costs
    from surrogate_nb.space.darts_forms import forms

    g = DARTS.as_arch(value)
    nb301 = network_costs(g, 10)
    darts = network_costs(g, 10, channels=36, layers=20, affine_ops=True)
    return {
        **forms(g),
        "costs": {
            "nb301 (32 x 8 cells, published counting)": {
                "params": nb301[0],
                "flops_m": nb301[1] / 1e6,
            },
            "darts (36 x 20 cells, affine BN)": {"params": darts[0], "flops_m": darts[1] / 1e6},
        },
    }


@app.command("arch")
def arch_command(
    arch: str = typer.Argument(
        ...,
        help="NB201: an index (0..15624) or an arch string '|op~0|+|op~0|op~1|+|...|'. "
        "NB-101 (--space nb101): an index (0..423623), a 32-hex module hash, or "
        "'ops;matrix', e.g. 'input,conv3x3,maxpool,output;0110,0001,0001,0000' "
        "(ops conv3x3, conv1x1, maxpool; matrix rows of 0/1). "
        "DARTS (--space darts): the compact form 'normal/reduce', each cell 8 'op:input' "
        "pairs in node order (pairs 2i, 2i+1 feed node i+2; inputs 0 = c_{k-2}, 1 = c_{k-1}, "
        "2.. = earlier nodes; ops mp3 ap3 skip sep3 sep5 dil3 dil5), e.g. "
        "'sep3:0,sep3:1,sep3:0,sep3:1,sep3:1,skip:0,skip:0,dil3:2/"
        "mp3:0,mp3:1,skip:2,mp3:1,mp3:0,skip:2,skip:2,mp3:1'; or a printed DARTS Genotype(...), "
        "NASLib's [[(input, op), ...], [...]], or the index (0..~1.08e18).",
    ),
    space: str = SPACE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Show a cell: index, string/hash, structure, params and FLOPs.

    The first NB-101 use enumerates the space once (about 1-2 min on 2 cores; cached).
    """
    from surrogate_nb.space import get_space

    if get_space(space).name == "darts":
        info = describe_darts(arch)
        if as_json:
            console.print_json(json.dumps(info))
            return
        table = Table(title=f"DARTS cell pair {info['index']}", show_header=False)
        table.add_column("field", no_wrap=True)
        table.add_column("value", overflow="fold")
        for key in ("compact", "genotype", "naslib"):
            table.add_row(key, str(info[key]))
        prefix = "NetworkSelectorDatasetInfo:darts:"
        config = (f"{k.removeprefix(prefix)}={v}" for k, v in info["configspace"].items())
        table.add_row("NB301 config", " ".join(config))
        for name, c in info["costs"].items():
            table.add_row(name.split(" ")[0], f"{c['params']:,} params, {c['flops_m']:.2f} M FLOPs")
        console.print(table)
        return
    if get_space(space).name == "nb101":
        info = describe_nb101(arch)
        if as_json:
            console.print_json(json.dumps(info))
            return
        table = Table(title=f"NB-101 cell {info['index']}", show_header=False)
        table.add_column("field", no_wrap=True)
        table.add_column("value", overflow="fold")
        table.add_row("module hash", info["module_hash"])
        table.add_row("ops", ", ".join(info["ops"]))
        table.add_row("matrix", " ".join("".join(map(str, r)) for r in info["matrix"]))
        table.add_row("vertices / edges", f"{info['vertices']} / {info['edges']}")
        c = info["costs"]["cifar10"]
        table.add_row("params (CIFAR-10)", f"{c['params']:,}")
        table.add_row("FLOPs (M, 32x32)", f"{c['flops_m']:.3f}")
        console.print(table)
        return
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


def summarise_nb101() -> dict:
    """Counts of the NB-101 space: cells, by vertex and edge count."""
    import numpy as np

    from surrogate_nb.space import NB101
    from surrogate_nb.space.nb101 import MAX_EDGES, MAX_VERTICES, OPS

    index = NB101.index_table
    edges = np.array([bin(int(b)).count("1") for b in index.edge_bits])
    return {
        "space": NB101.name,
        "num_cells": int(NB101.size),
        "ops": list(OPS),
        "max_vertices": MAX_VERTICES,
        "max_edges": MAX_EDGES,
        "cells_by_vertices": {
            str(int(k)): int(v) for k, v in zip(*np.unique(index.vertices, return_counts=True))
        },
        "cells_by_edges": {
            str(int(k)): int(v) for k, v in zip(*np.unique(edges, return_counts=True))
        },
    }


def summarise_darts() -> dict:
    """Sizes of the DARTS space (it cannot be listed: the numbers are exact counts)."""
    from surrogate_nb.space import darts

    return {
        "ops": ", ".join(darts.OPS),
        "input choices per cell": darts.INPUT_CHOICES,
        "op choices per cell": darts.OP_CHOICES,
        "cells per cell type": darts.CELL_SIZE,
        "pairs (normal, reduction)": darts.SIZE,
    }


@app.command("space")
def space_command(
    space: str = SPACE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Summarise a search space (NB201: cells, isomorphism classes, disconnected cells; NB-101:
    cells by vertex and edge count)."""
    from surrogate_nb.space import get_space

    if get_space(space).name == "darts":
        info = summarise_darts()
        if as_json:
            console.print_json(json.dumps(info))
            return
        table = Table(title="DARTS / NB301 space", show_header=False)
        table.add_column("field", no_wrap=True)
        table.add_column("value")
        for key, value in info.items():
            table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
        console.print(table)
        return
    if get_space(space).name == "nb101":
        info = summarise_nb101()
        if as_json:
            console.print_json(json.dumps(info))
            return
        table = Table(title="NB-101 search space", show_header=False)
        table.add_row("cells", f"{info['num_cells']:,}")
        table.add_row("ops", ", ".join(info["ops"]))
        table.add_row("limits", f"{info['max_vertices']} vertices, {info['max_edges']} edges")
        table.add_row(
            "cells by vertices",
            ", ".join(f"{k}: {v:,}" for k, v in info["cells_by_vertices"].items()),
        )
        table.add_row(
            "cells by edges", ", ".join(f"{k}: {v:,}" for k, v in info["cells_by_edges"].items())
        )
        console.print(table)
        return
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
