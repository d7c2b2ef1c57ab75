"""`snb arch` and `snb space`: look at one cell, or at the whole search space."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from surrogate_nb.cli._app import app, console

if TYPE_CHECKING:
    from surrogate_nb.space import Facts

SPACE_OPTION = typer.Option(
    "nb201",
    "--space",
    help="Search space: nb201 (15,625 cells), nb101 (423,624 cells) or darts (NB301's DARTS "
    "space, 1,076,746,950,455,072,400 cell pairs).",
)


def print_facts(facts: Facts, as_json: bool) -> None:
    """A space's `Facts`: its data as one JSON object, or its tables."""
    if as_json:
        console.print_json(json.dumps(facts.data))
        return
    for fact_table in facts.tables:
        table = Table(title=fact_table.title, show_header=bool(fact_table.columns))
        if fact_table.columns:
            for k, col in enumerate(fact_table.columns):
                table.add_column(col, justify="left" if k == 0 else "right")
        else:
            table.add_column("field", no_wrap=True)
            table.add_column("value", overflow="fold")
        for row in fact_table.rows:
            table.add_row(*row)
        console.print(table)


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

    print_facts(get_space(space).describe(arch), as_json)


@app.command("space")
def space_command(
    space: str = SPACE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Summarise a search space (NB201: cells, isomorphism classes, disconnected cells; NB-101:
    cells by vertex and edge count; DARTS: its exact sizes)."""
    from surrogate_nb.space import get_space

    print_facts(get_space(space).summary(), as_json)
