"""The NAS-Bench-101 space: cells as small frozen values, validity, pruning and the official hash.

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
import hashlib
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.space._base import SearchSpace

#: Interior ops in the official order (``config['available_ops']``); labels 0, 1, 2 in the hash.
OPS: tuple[str, ...] = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
INPUT, OUTPUT = "input", "output"
MAX_VERTICES = 7
MAX_EDGES = 9
#: Number of distinct cells (module hashes) of the space.
NUM_CELLS = 423_624
#: The four training budgets (epochs) of NB-101.
BUDGETS: tuple[int, ...] = (4, 12, 36, 108)

#: Integer op codes used by exported NB-101 data (e.g. ``data-1k.json``): -1 input, -2 output,
#: 0..2 the interior ops, -3 padding of cells with fewer than 7 vertices.
_OP_CODES = {-1: INPUT, -2: OUTPUT, 0: OPS[0], 1: OPS[1], 2: OPS[2]}
_PAD = -3
_HASH_RE = re.compile(r"[0-9a-f]{32}")


def hash_module(matrix: Sequence[Sequence[int]], labeling: Sequence[int]) -> str:
    """The official NB-101 module hash of a (pruned) matrix and its integer labels.

    Labels are -1 (input), -2 (output) and the index in `OPS` of each interior op; the result
    equals ``nasbench.lib.graph_util.hash_module`` for the same arguments.
    """
    n = len(labeling)
    rows = [list(map(int, r)) for r in matrix]
    in_edges = [sum(rows[w][v] for w in range(n)) for v in range(n)]
    out_edges = [sum(rows[v]) for v in range(n)]
    preds = [[w for w in range(n) if rows[w][v]] for v in range(n)]
    succs = [[w for w in range(n) if rows[v][w]] for v in range(n)]
    md5 = hashlib.md5
    hashes = [
        md5(str((out_edges[v], in_edges[v], int(labeling[v]))).encode()).hexdigest()
        for v in range(n)
    ]
    for _ in range(n):
        hashes = [
            md5(
                (
                    "".join(sorted(hashes[w] for w in preds[v]))
                    + "|"
                    + "".join(sorted(hashes[w] for w in succs[v]))
                    + "|"
                    + hashes[v]
                ).encode()
            ).hexdigest()
            for v in range(n)
        ]
    return md5(str(sorted(hashes)).encode()).hexdigest()


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
        return NB101.index_of_hash(self.module_hash)

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


def from_padded(matrix: object, ops: Sequence[object]) -> Cell:
    """A cell from exported 7 x 7 data with padding (op code -3 marks padded vertices)."""
    codes = [int(o) if not isinstance(o, str) else o for o in ops]
    keep = [i for i, o in enumerate(codes) if o != _PAD]
    m = np.asarray(matrix, dtype=float)
    return Cell.from_spec(m[np.ix_(keep, keep)].astype(np.int8), [codes[i] for i in keep])


class NB101Space(SearchSpace[Cell]):
    """NAS-Bench-101 as a `SearchSpace` (registered as ``"nb101"``)."""

    name = "nb101"
    size = NUM_CELLS
    feature_sets = ("full", "onehot", "path", "stats", "graph")

    @property
    def encodings(self):  # type: ignore[override]
        from surrogate_nb.space import nb101_encodings

        return nb101_encodings.ENCODINGS

    def featurize(self, indices: np.ndarray, features: str) -> np.ndarray:
        from surrogate_nb.space import nb101_encodings

        return nb101_encodings.featurize(indices, features)

    def feature_names(self, features: str) -> list[str]:
        from surrogate_nb.space import nb101_encodings

        return nb101_encodings.feature_names(features)

    def label(self, arch: object) -> str:
        return self.as_arch(arch).module_hash

    @functools.cached_property
    def index_table(self):
        """The `NB101Index` (every cell in index order): loaded from the cache, or enumerated
        once (about 1-2 min on 2 cores) on first use."""
        from surrogate_nb.space.nb101_index import load_index

        return load_index()

    # ---- lookups ------------------------------------------------------------------------------

    def index_of_hash(self, module_hash: str) -> int:
        """Index of a module hash; `InvalidArchError` if malformed or not in the space."""
        h = _check_hash(module_hash)
        hashes = self.index_table.hashes
        i = int(np.searchsorted(hashes, h.encode()))
        if i >= len(hashes) or hashes[i] != h.encode():
            raise _bad(
                f"NB-101 module hash {module_hash!r} is not a cell of the space", module_hash
            )
        return i

    def from_hash(self, module_hash: str) -> Cell:
        return self.from_index(self.index_of_hash(module_hash))

    def from_index(self, index: int) -> Cell:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise _bad(f"NB-101 index must be an int, got {index!r}", index)
        if not 0 <= int(index) < NUM_CELLS:
            raise _bad(f"NB-101 index {index} out of range: expected 0..{NUM_CELLS - 1}", index)
        cell = self.index_table.cell(int(index))
        cell.__dict__["module_hash"] = self.hash_of_index(int(index))  # known: skip re-hashing
        return cell

    def hash_of_index(self, index: int) -> str:
        return self.index_table.hashes[int(index)].decode()

    def from_str(self, text: str) -> Cell:
        text = text.strip()
        if _HASH_RE.fullmatch(text):
            return self.from_hash(text)
        if text.isascii() and text.isdigit():
            return self.from_index(int(text))
        return Cell.from_str(text)

    def as_arch(self, value: object) -> Cell:
        if isinstance(value, Cell):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return self.from_index(int(value))
        if isinstance(value, str):
            return self.from_str(value)
        if isinstance(value, tuple) and len(value) == 2:
            return Cell.from_spec(*value)
        raise _bad(
            f"cannot read an NB-101 cell from {value!r} (type {type(value).__name__}); expected "
            "a Cell, an index 0..423623, a module hash, 'ops;matrix' or (matrix, ops)",
            value,
        )

    def as_indices(self, values: object) -> np.ndarray:
        if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.integer):
            out = values.astype(np.int64, copy=False)
            if out.size and (out.min() < 0 or out.max() >= NUM_CELLS):
                bad = int(out[(out < 0) | (out >= NUM_CELLS)][0])
                raise _bad(f"NB-101 index {bad} out of range: expected 0..{NUM_CELLS - 1}", bad)
            return out
        if isinstance(values, (Cell, str, int, np.integer)) or (
            isinstance(values, tuple) and len(values) == 2 and not isinstance(values[0], Cell)
        ):
            return np.asarray(self.as_arch(values).index, dtype=np.int64)
        return np.fromiter((self.as_arch(v).index for v in values), dtype=np.int64)

    def all_archs(self) -> Iterator[Cell]:
        return (self.from_index(i) for i in range(NUM_CELLS))

    # ---- search moves -------------------------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> Cell:
        """A uniformly random cell (uniform over the 423,624 distinct cells)."""
        return self.from_index(int(rng.integers(NUM_CELLS)))

    def choices(self) -> list[tuple[str, tuple]]:
        """21 upper-triangular edge bits of a 7-vertex cell, then the 5 interior ops."""
        edges = [(f"e{i}{j}", (0, 1)) for j in range(MAX_VERTICES) for i in range(j)]
        return edges + [(f"v{v}", OPS) for v in range(1, MAX_VERTICES - 1)]

    def from_choices(self, values: Sequence[int]) -> Cell:
        values = [int(v) for v in values]
        m = np.zeros((MAX_VERTICES, MAX_VERTICES), np.int8)
        k = 0
        for j in range(MAX_VERTICES):
            for i in range(j):
                m[i, j] = values[k]
                k += 1
        ops = [INPUT, *(OPS[v] for v in values[k:]), OUTPUT]
        return Cell.from_spec(m, ops)

    def to_choices(self, arch: Cell) -> list[int]:
        m, ops = _padded(self.as_arch(arch))
        bits = [int(m[i, j]) for j in range(MAX_VERTICES) for i in range(j)]
        return bits + [OPS.index(o) for o in ops[1:-1]]

    def mutate(self, arch: Cell, rng: np.random.Generator) -> Cell:
        """The NB-101 paper's mutation: change one interior op or flip one edge (of the
        7-vertex padded spec), retried until the result is a valid, different cell."""
        cell = self.as_arch(arch)
        m, ops = _padded(cell)
        for _ in range(1000):
            m2, ops2 = m.copy(), list(ops)
            if rng.random() < 0.5:
                v = int(rng.integers(1, MAX_VERTICES - 1))
                ops2[v] = OPS[(OPS.index(ops2[v]) + int(rng.integers(1, 3))) % 3]
            else:
                i, j = sorted(rng.choice(MAX_VERTICES, size=2, replace=False).tolist())
                m2[i, j] ^= 1
            try:
                child = Cell.from_spec(m2, ops2)
            except InvalidArchError:
                continue
            if child.module_hash != cell.module_hash:
                return child
        return self.sample(rng)  # pragma: no cover - every cell has valid neighbours

    def neighbours(self, arch: Cell) -> list[Cell]:
        """Valid cells one NB-101 mutation away: one interior op changed or one edge flipped.

        Distinct by module hash, the cell itself excluded (the NB-101 paper's mutation, taken on
        the pruned 7-vertex-padded spec so that an edge can also be added to a smaller cell).
        """
        m, ops = _padded(arch)
        seen = {arch.module_hash}
        out: list[Cell] = []

        def add(matrix: np.ndarray, new_ops: list[str]) -> None:
            try:
                cell = Cell.from_spec(matrix, new_ops)
            except InvalidArchError:
                return
            if cell.module_hash not in seen:
                seen.add(cell.module_hash)
                out.append(cell)

        for v in range(1, MAX_VERTICES - 1):
            for op in OPS:
                if op != ops[v]:
                    add(m, [*ops[:v], op, *ops[v + 1 :]])
        for i, j in itertools.combinations(range(MAX_VERTICES), 2):
            flipped = m.copy()
            flipped[i, j] ^= 1
            add(flipped, ops)
        return out


def _padded(cell: Cell) -> tuple[np.ndarray, list[str]]:
    """The cell as a 7-vertex spec: extra interior vertices are unconnected (pruned away)."""
    n = cell.num_vertices
    m = np.zeros((MAX_VERTICES, MAX_VERTICES), np.int8)
    m[: n - 1, : n - 1] = np.asarray(cell.matrix, np.int8)[: n - 1, : n - 1]
    m[: n - 1, MAX_VERTICES - 1] = np.asarray(cell.matrix, np.int8)[: n - 1, n - 1]
    ops = [*cell.ops[:-1], *([OPS[0]] * (MAX_VERTICES - n)), OUTPUT]
    return m, ops


def _check_hash(value: object) -> str:
    if not isinstance(value, str) or not _HASH_RE.fullmatch(value.strip()):
        raise _bad(f"NB-101 module hash must be 32 lowercase hex characters, got {value!r}", value)
    return value.strip()


NB101 = NB101Space()
