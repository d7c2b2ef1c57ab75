"""Every representation of a DARTS-space architecture users meet, converted both ways.

* the DARTS ``Genotype`` (``quark0/darts`` ``cnn/genotypes.py``): ``normal=[(op_name, input),
  ...]``, ``normal_concat=[2, 3, 4, 5]``, the same for ``reduce``; as an object with those
  attributes or as the string ``print(genotype)`` shows;
* NASLib's op-tuple form ``[[(input, op_index) × 8], [(input, op_index) × 8]]`` (normal,
  reduction), as a Python object or as printed;
* the NB301 ConfigSpace dict (``NetworkSelectorDatasetInfo:darts:edge_normal_0`` = op name, ...,
  ``...:inputs_node_normal_3`` = ``"0_2"``): read and written as a plain dict. We do not import
  ConfigSpace for it: the dict is all NB301's ``predict(config, representation="configspace")``
  receives, and NB301's users hit ConfigSpace's version breaks on ``configspace.json`` (nasbench301
  issue 20); `from_config` checks every key (missing, inactive but set, unknown op) itself;
* the compact string of the CLI (`surrogate_nb.space.darts`'s docstring) and the rank.
"""

from __future__ import annotations

import ast
from collections import namedtuple
from collections.abc import Iterable, Mapping

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.space.darts import (
    NUM_NODES,
    OPS,
    SHORT,
    Genome,
    op_id,
)

#: The DARTS genotype type (field names as in ``cnn/genotypes.py``).
Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
CONCAT = [2, 3, 4, 5]
#: Prefix of the NB301 ConfigSpace keys of the cell pair.
CONFIG_PREFIX = "NetworkSelectorDatasetInfo:darts:"
#: First ConfigSpace edge id of node 2..5: edge = start + input (node 2: 0-1, ..., node 5: 9-13).
EDGE_START = (0, 2, 5, 9)
NUM_EDGES = 14
#: ConfigSpace keys under the prefix that are fixed training settings, not the cell pair.
_CONFIG_FIXED = {"init_channels", "layers", "auxiliary", "drop_path_prob"}
_CELL_TYPES = ("normal", "reduce")
_MAX_TEXT = 20_000


def _bad(message: str, value: object, token: object = None) -> InvalidArchError:
    return InvalidArchError(message, value, token)


# ---- DARTS genotype -----------------------------------------------------------------------------


def to_genotype(g: Genome) -> Genotype:
    """The DARTS ``Genotype`` namedtuple (op names, concat [2, 3, 4, 5])."""
    n, r = ([(OPS[op], inp) for inp, op in cell] for cell in g.cells())
    return Genotype(normal=n, normal_concat=list(CONCAT), reduce=r, reduce_concat=list(CONCAT))


def genotype_str(g: Genome) -> str:
    """``str(to_genotype(g))``: the text DARTS and NB301 print."""
    return str(to_genotype(g))


def from_genotype(genotype: object) -> Genome:
    """A Genome from any object with ``normal``/``reduce`` lists of ``(op_name, input)``."""
    cells = []
    for kind in _CELL_TYPES:
        cell = getattr(genotype, kind, None)
        concat = getattr(genotype, f"{kind}_concat", CONCAT)
        if cell is None:
            raise _bad(f"DARTS genotype lacks {kind!r}: {genotype!r}", genotype, kind)
        if list(concat) != CONCAT:
            raise _bad(
                f"DARTS genotype {kind}_concat is {list(concat)}; NB301's space concatenates "
                f"nodes {CONCAT}",
                genotype,
                kind,
            )
        try:
            pairs = [(inp, op) for op, inp in cell]
        except (TypeError, ValueError):
            raise _bad(
                f"DARTS genotype {kind} must be a list of (op_name, input) pairs, got {cell!r}",
                genotype,
            ) from None
        cells.append(pairs)
    return Genome.of(*cells)


# ---- NASLib --------------------------------------------------------------------------------------


def to_naslib(g: Genome) -> list[list[tuple[int, int]]]:
    """NASLib's compact form ``[[(input, op_index) × 8], [...]]`` (normal, reduction)."""
    return [list(cell) for cell in g.cells()]


def from_naslib(value: object) -> Genome:
    """A Genome from NASLib's ``[[(input, op_index) × 8], [...]]`` (either pair order)."""
    pair = list(value) if isinstance(value, Iterable) else []
    if len(pair) != 2:
        raise _bad(
            f"NASLib DARTS form must be [normal, reduction], two lists of 8 (input, op) pairs; "
            f"got {value!r}",
            value,
        )
    return Genome.of(pair[0], pair[1])


# ---- NB301 ConfigSpace dict ----------------------------------------------------------------------


def to_config(g: Genome, prefix: str = CONFIG_PREFIX) -> dict[str, str]:
    """The NB301 ConfigSpace dict of the pair (active keys only, as a configuration holds)."""
    out: dict[str, str] = {}
    for kind, cell in zip(_CELL_TYPES, g.cells()):
        for n in range(NUM_NODES):
            a, b = cell[2 * n], cell[2 * n + 1]
            for inp, op in (a, b):
                out[f"{prefix}edge_{kind}_{EDGE_START[n] + inp}"] = OPS[op]
            if n > 0:
                out[f"{prefix}inputs_node_{kind}_{n + 2}"] = f"{a[0]}_{b[0]}"
    return out


def from_config(config: Mapping[str, object]) -> Genome:
    """A Genome from an NB301 ConfigSpace dict (keys with or without the NB301 prefix).

    Keys outside the cell pair (training settings such as ``CreateImageDataLoader:batch_size``
    or ``...:darts:init_channels``) are ignored.

    Raises:
        InvalidArchError: a missing ``inputs_node_*`` or active ``edge_*`` key, an edge key set
            that its node's inputs leave inactive, a malformed input pair, an unknown op or key.
    """
    if not isinstance(config, Mapping):
        raise _bad(f"NB301 config must be a dict, got {type(config).__name__}", config)
    keys: dict[str, object] = {}
    for key, value in config.items():
        name = str(key)
        if name.startswith(CONFIG_PREFIX):
            name = name[len(CONFIG_PREFIX) :]
        elif ":" in name:
            continue  # another component's hyperparameter (fixed training settings)
        if name in _CONFIG_FIXED:
            continue
        keys[name] = value
    cells = []
    for kind in _CELL_TYPES:
        pairs: list[tuple[int, object]] = []
        used: set[str] = set()
        for n in range(NUM_NODES):
            node = n + 2
            if n == 0:
                inputs = (0, 1)
            else:
                key = f"inputs_node_{kind}_{node}"
                if key not in keys:
                    raise _bad(f"NB301 config lacks {CONFIG_PREFIX}{key}", config, key)
                inputs = _input_pair(keys[key], node, key, config)
                used.add(key)
            for inp in inputs:
                key = f"edge_{kind}_{EDGE_START[n] + inp}"
                if key not in keys:
                    raise _bad(
                        f"NB301 config lacks {CONFIG_PREFIX}{key} (active: node {node} takes "
                        f"input {inp})",
                        config,
                        key,
                    )
                pairs.append((inp, op_id(keys[key], config)))
                used.add(key)
        for key in keys:
            if f"_{kind}_" in key and key not in used:
                what = (
                    "an edge that its node's inputs leave inactive"
                    if key.startswith(f"edge_{kind}_")
                    else "which is not a key of the DARTS space"
                )
                raise _bad(f"NB301 config sets {CONFIG_PREFIX}{key}, {what}", config, key)
        cells.append(pairs)
    unknown = [k for k in keys if not any(f"_{c}_" in k for c in _CELL_TYPES)]
    if unknown:
        raise _bad(
            f"NB301 config has unknown key {CONFIG_PREFIX}{unknown[0]}; the cell keys are "
            "edge_{normal,reduce}_{0..13} and inputs_node_{normal,reduce}_{3,4,5}",
            config,
            unknown[0],
        )
    return Genome.of(*cells)


def _input_pair(value: object, node: int, key: str, config: object) -> tuple[int, int]:
    parts = str(value).split("_")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        i, j = int(parts[0]), int(parts[1])
        if i < j < node:
            return i, j
    raise _bad(
        f"NB301 config {CONFIG_PREFIX}{key} = {value!r}; expected 'i_j' with 0 <= i < j < {node}",
        config,
        key,
    )


# ---- text ----------------------------------------------------------------------------------------


def compact(g: Genome) -> str:
    """The CLI's compact string (``str(g)``)."""
    return str(g)


def _from_compact(text: str) -> Genome:
    cells = []
    for part in text.split("/"):
        pairs = []
        for token in part.split(","):
            op, sep, inp = token.strip().partition(":")
            if not sep or not inp.strip().isdigit():
                raise _bad(
                    f"DARTS compact token {token!r} is not 'op:input' (e.g. sep3:0)", text, token
                )
            pairs.append((int(inp), op_id(op, text)))
        cells.append(pairs)
    return Genome.of(*cells)


def _literal(node: ast.AST, text: str) -> object:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and not node.keywords
    ):
        return list(range(*(int(_literal(a, text)) for a in node.args)))  # type: ignore[call-overload]
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise _bad(f"cannot read {ast.unparse(node)[:80]!r} in DARTS genotype", text) from None


def _from_genotype_text(tree: ast.Call, text: str) -> Genome:
    fields = list(Genotype._fields)
    if len(tree.args) > len(fields):
        raise _bad(f"DARTS genotype takes {len(fields)} fields, got {len(tree.args)}", text)
    values = {fields[i]: _literal(a, text) for i, a in enumerate(tree.args)}
    for kw in tree.keywords:
        if kw.arg not in fields:
            raise _bad(f"DARTS genotype has no field {kw.arg!r}; fields: {fields}", text, kw.arg)
        values[kw.arg] = _literal(kw.value, text)
    missing = [f for f in ("normal", "reduce") if f not in values]
    if missing:
        raise _bad(f"DARTS genotype lacks {missing[0]!r}", text, missing[0])
    values.setdefault("normal_concat", CONCAT)
    values.setdefault("reduce_concat", CONCAT)
    return from_genotype(Genotype(**values))


def parse(text: str) -> Genome:
    """Any textual form: compact, genotype string, NASLib's printed form, or a decimal rank."""
    if not isinstance(text, str):
        raise _bad(f"DARTS architecture text must be a str, got {type(text).__name__}", text)
    s = text.strip()
    if len(s) > _MAX_TEXT:
        raise _bad(f"DARTS architecture text is {len(s)} characters; at most {_MAX_TEXT}", s[:40])
    if s.isascii() and s.isdigit():
        return Genome.from_index(int(s))
    if s[:1] in "[(" or s.startswith("Genotype"):
        try:
            tree = ast.parse(s, mode="eval").body
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            raise _bad(
                f"cannot parse DARTS architecture {s[:80]!r}: not a genotype or NASLib form", s
            ) from None
        if isinstance(tree, ast.Call):
            name = (
                tree.func.attr
                if isinstance(tree.func, ast.Attribute)
                else getattr(tree.func, "id", None)
            )
            if name != "Genotype":
                raise _bad(f"DARTS architecture call {name!r}: only Genotype(...) is read", s)
            return _from_genotype_text(tree, s)
        return from_naslib(_literal(tree, s))
    if ":" in s and "/" in s:
        return _from_compact(s)
    raise _bad(
        f"cannot read a DARTS architecture from {s[:80]!r}; expected the compact form "
        f"'{SHORT[3]}:0,{SHORT[3]}:1,.../...' (8 op:input per cell, normal/reduction), a "
        "Genotype(...) string, NASLib's [[(input, op), ...], [...]] or an index",
        s,
    )


def from_object(value: object) -> Genome:
    """Any non-text single form: genotype object, NASLib nested pairs, ConfigSpace dict."""
    if isinstance(value, Mapping):
        return from_config(value)
    if hasattr(value, "normal") and hasattr(value, "reduce"):
        return from_genotype(value)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        first = value[0]
        head = first[0] if isinstance(first, (list, tuple)) and first else None
        if isinstance(head, (list, tuple)) and head and isinstance(head[0], str):
            # genotype-style cells of (op_name, input)
            return Genome.of(*([(i, o) for o, i in c] for c in value))
        return from_naslib(value)
    raise _bad(
        f"cannot read a DARTS architecture from {value!r} (type {type(value).__name__}); "
        "expected a Genome, an index, a string form, a Genotype, NASLib's [[(input, op), ...], "
        "[...]] or an NB301 ConfigSpace dict",
        value,
    )


def forms(g: Genome) -> dict[str, object]:
    """Every representation of one architecture (what ``snb arch --space darts`` prints)."""
    return {
        "index": g.index,
        "compact": compact(g),
        "genotype": genotype_str(g),
        "naslib": str(to_naslib(g)),
        "configspace": to_config(g),
    }
