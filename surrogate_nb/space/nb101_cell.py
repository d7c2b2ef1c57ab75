"""The NAS-Bench-101 cell value (`Cell`): validity, pruning, parsing and the official hash.

The NB-101 modules read bottom-up: `nb101_index` (the space's limits, the official hash, the
enumerated index), this module (the cell value), what is computed from a cell (`nb101_cost`,
`nb101_encodings`, `nb101_network`), and `nb101.NB101Space`, which gathers them.

A cell is a DAG of at most 7 vertices (input, up to 5 interior ops, output) and at most 9 edges,
given by an upper-triangular 0/1 adjacency matrix and one op per vertex, as in the official
``nasbench.api.ModelSpec``. Vertices that are not on an input -> output path are pruned away;
what is left is hashed by the official Weisfeiler-Lehman-style MD5 hash
(``nasbench.lib.graph_util.hash_module``), which identifies the 423,624 distinct cells.

Index: cell ``i`` is the cell whose module hash is the ``i``-th smallest of all 423,624 hashes
(hex order). The order is stable (it depends on the hashes only) and the 20,001 smallest hashes
are exactly ``../shared/nb101/data-20k.json``. The index table comes from enumerating the space
(`surrogate_nb.space.nb101_index`), cached under the user cache directory.

>>> c = Cell.from_spec([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])
>>> str(c), c.num_edges
('input,conv3x3,output;011,001,000', 3)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.space import nb101_index
from surrogate_nb.space.nb101_index import (
    INPUT,
    MAX_EDGES,
    MAX_VERTICES,
    OPS,
    OUTPUT,
    hash_module,
)

#: The four training budgets (epochs) of NB-101.
BUDGETS: tuple[int, ...] = (4, 12, 36, 108)

#: Integer op codes used by exported NB-101 data (e.g. ``data-1k.json``): -1 input, -2 output,
#: 0..2 the interior ops, -3 padding of cells with fewer than 7 vertices.
_OP_CODES = {-1: INPUT, -2: OUTPUT, 0: OPS[0], 1: OPS[1], 2: OPS[2]}
_PAD = -3


def _bad(message: str, value: object, token: object = None) -> InvalidArchError:
    return InvalidArchError(message, value, token)


def _prune(matrix: np.ndarray) -> np.ndarray | None:
    """Vertices on an input -> output path (bool mask), None when input cannot reach output."""
    n = matrix.shape[0]
    fwd = np.zeros(n, bool)
    fwd[0] = True
    for v in range(1, n):
        fwd[v] = bool((matrix[:v, v] & fwd[:v]).any())
    bwd = np.zeros(n, bool)
    bwd[n - 1] = True
    for v in range(n - 2, -1, -1):
        bwd[v] = bool((matrix[v, v + 1 :] & bwd[v + 1 :]).any())
    keep = fwd & bwd
    return keep if keep[0] and keep[n - 1] else None


@dataclass(frozen=True)
class Cell:
    """One NB-101 cell, pruned: ``matrix`` (V x V, upper-triangular 0/1) and ``ops`` (V names).

    Build it with `Cell.from_spec` (validates and prunes), `NB101.from_hash`, `NB101.from_index`
    or `Cell.from_str`. Two isomorphic cells are different values with the same `module_hash`.
    """

    matrix: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]

    @classmethod
    def from_spec(cls, matrix: object, ops: Sequence[object]) -> Cell:
        """Validate and prune a spec as the official ``ModelSpec`` + ``NASBench.is_valid`` do.

        Args:
            matrix: square upper-triangular 0/1 adjacency matrix (nested lists or an array),
                at most 7 x 7.
            ops: one op per vertex: ``"input"``, interior ops from `OPS`, ``"output"``; integer
                codes (-1 input, 0..2 `OPS`, -2 output) are accepted too.

        Raises:
            InvalidArchError: not square or not upper-triangular, not 0/1, more than 7 vertices
                or (after pruning) more than 9 edges, input not connected to output, an unknown
                op or misplaced input/output; the message names the value and what is allowed.
        """
        try:
            m = np.asarray(matrix)
            if m.dtype == object or not (
                np.issubdtype(m.dtype, np.integer)
                or np.issubdtype(m.dtype, np.bool_)
                or np.issubdtype(m.dtype, np.floating)
            ):
                raise ValueError
        except (ValueError, TypeError):
            raise _bad(f"NB-101 matrix {matrix!r} is not a numeric square matrix", matrix) from None
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise _bad(f"NB-101 matrix must be square, got shape {m.shape}", matrix)
        n = m.shape[0]
        if n < 2 or n > MAX_VERTICES:
            raise _bad(f"NB-101 cell has {n} vertices; allowed 2..{MAX_VERTICES}", matrix, n)
        if not np.isin(m, (0, 1)).all():
            raise _bad("NB-101 matrix entries must be 0 or 1", matrix)
        m = m.astype(np.int8)
        if np.tril(m).any():
            raise _bad(
                "NB-101 matrix must be upper-triangular (edges only from a lower to a higher "
                "vertex, nothing on or below the diagonal)",
                matrix,
            )
        names = [_op_name(o, ops) for o in ops]
        if len(names) != n:
            raise _bad(f"NB-101 cell has {n} vertices but {len(names)} ops", ops, len(names))
        if names[0] != INPUT or names[-1] != OUTPUT:
            raise _bad(
                f"NB-101 ops must start with 'input' and end with 'output', got {names}", ops
            )
        for k, name in enumerate(names[1:-1], start=1):
            if name not in OPS:
                raise _bad(
                    f"NB-101 vertex {k} has op {name!r}; interior ops are {', '.join(OPS)}",
                    ops,
                    name,
                )
        keep = _prune(m)
        if keep is None:
            raise _bad("NB-101 cell is disconnected: no path from input to output", matrix)
        pm = m[np.ix_(keep, keep)]
        edges = int(pm.sum())
        if edges > MAX_EDGES:
            raise _bad(f"NB-101 cell has {edges} edges; allowed at most {MAX_EDGES}", matrix, edges)
        kept_ops = tuple(name for name, k in zip(names, keep) if k)
        return cls(tuple(tuple(int(x) for x in row) for row in pm), kept_ops)

    @classmethod
    def from_str(cls, text: str) -> Cell:
        """Parse the CLI form ``ops;matrix``: ``"input,conv3x3-bn-relu,output;011,001,000"``.

        Ops may be abbreviated ``conv3x3``, ``conv1x1``, ``maxpool``; rows are 0/1 strings
        separated by commas.
        """
        try:
            ops_part, matrix_part = text.strip().split(";")
        except ValueError:
            raise _bad(
                f"NB-101 cell {text!r} is not 'ops;matrix' (e.g. "
                "'input,conv3x3-bn-relu,output;011,001,000') nor a 32-hex module hash",
                text,
            ) from None
        ops = [o.strip() for o in ops_part.split(",")]
        rows = [r.strip() for r in matrix_part.split(",")]
        if not all(r and set(r) <= {"0", "1"} for r in rows):
            raise _bad(f"NB-101 matrix rows {rows} must be strings of 0 and 1", text)
        return cls.from_spec([[int(ch) for ch in r] for r in rows], ops)

    @property
    def num_vertices(self) -> int:
        return len(self.ops)

    @property
    def num_edges(self) -> int:
        return sum(map(sum, self.matrix))

    @property
    def labeling(self) -> list[int]:
        """Integer labels of the official hash: -1 input, `OPS` index, -2 output."""
        return [-1, *(OPS.index(o) for o in self.ops[1:-1]), -2]

    @functools.cached_property
    def module_hash(self) -> str:
        """The official module hash (32 hex chars) of this cell."""
        return hash_module(self.matrix, self.labeling)

    @property
    def index(self) -> int:
        """Position of `module_hash` in the sorted list of all hashes (see module docstring)."""
        return nb101_index.index_of_hash(self.module_hash)

    def __str__(self) -> str:
        short = {OPS[0]: "conv3x3", OPS[1]: "conv1x1", OPS[2]: "maxpool"}
        ops = ",".join(short.get(o, o) for o in self.ops)
        return ops + ";" + ",".join("".join(map(str, r)) for r in self.matrix)

    def __repr__(self) -> str:
        return f"Cell({str(self)!r})"


def _op_name(op: object, ops: object) -> str:
    if isinstance(op, str):
        name = op.strip()
        return {"conv3x3": OPS[0], "conv1x1": OPS[1], "maxpool": OPS[2]}.get(name, name)
    if isinstance(op, (int, np.integer, float, np.floating)) and float(op) == int(op):
        code = int(op)
        if code in _OP_CODES:
            return _OP_CODES[code]
    raise _bad(
        f"unknown NB-101 op {op!r}; ops are input, {', '.join(OPS)}, output "
        "(or codes -1, 0, 1, 2, -2)",
        ops,
        op,
    )


def from_padded(matrix: object, ops: Sequence[str | int | float]) -> Cell:
    """A cell from exported 7 x 7 data with padding (op code -3 marks padded vertices)."""
    codes = [int(o) if not isinstance(o, str) else o for o in ops]
    keep = [i for i, o in enumerate(codes) if o != _PAD]
    m = np.asarray(matrix, dtype=float)
    return Cell.from_spec(m[np.ix_(keep, keep)].astype(np.int8), [codes[i] for i in keep])


def _padded(cell: Cell) -> tuple[np.ndarray, list[str]]:
    """The cell as a 7-vertex spec: extra interior vertices are unconnected (pruned away)."""
    n = cell.num_vertices
    m = np.zeros((MAX_VERTICES, MAX_VERTICES), np.int8)
    m[: n - 1, : n - 1] = np.asarray(cell.matrix, np.int8)[: n - 1, : n - 1]
    m[: n - 1, MAX_VERTICES - 1] = np.asarray(cell.matrix, np.int8)[: n - 1, n - 1]
    ops = [*cell.ops[:-1], *([OPS[0]] * (MAX_VERTICES - n)), OUTPUT]
    return m, ops
