"""The DARTS search space of NAS-Bench-301: a (normal, reduction) cell pair as a frozen value.

Each cell has two inputs, c_{k-2} (node 0) and c_{k-1} (node 1), and four intermediate nodes
2..5; node ``k`` takes two *distinct* earlier nodes, each through one of the 7 `OPS` (NB301's
index order); the cell output concatenates nodes 2..5. A cell is 8 ``(input, op)`` pairs, pairs
``2i`` and ``2i+1`` feeding node ``i+2`` (NASLib's order). The two pairs of a node are unordered:
the canonical form sorts them by input, so a cell has exactly one value.

Size: input choices per cell 1 · 3 · 6 · 10 = 180, ops 7^8 = 5,764,801, so `CELL_SIZE` =
1,037,664,180 canonical cells per cell type and `SIZE` = CELL_SIZE² =
1,076,746,950,455,072,400 ≈ 1.0767 × 10^18 pairs.

Key (index): the pair's rank ``normal_rank * CELL_SIZE + reduce_rank`` with ``cell_rank =
inputs_rank * 7^8 + ops_rank`` (inputs: the node's input pair among its ``C(k, 2)`` sorted
pairs, mixed radix with node 2 least significant; ops: base 7 over the 8 canonical pairs, pair
0 most significant). The rank is below 2^63, so DARTS tables, ledgers and models key a cell by
an int64 exactly like NB201's and NB-101's indices: the layers above store and compare int64
indices and need no new key type (a string key would cost every table, ledger and feature path
a second code path). Vectorised decoding (`decode`) turns ranks into arrays for featurising.

Text forms (all accepted by `DARTS.from_str`; `forms` prints each):

* compact (the CLI's): ``normal/reduce``, a cell = 8 ``op:input`` tokens in pair order, comma-
  separated, with short op names `SHORT` (mp3 ap3 skip sep3 sep5 dil3 dil5), e.g.
  ``sep3:0,sep3:1,sep3:0,sep3:1,sep3:1,skip:0,skip:0,dil3:2/mp3:0,mp3:1,skip:2,mp3:1,...``;
* the DARTS genotype, as ``print(genotype)`` shows it: ``Genotype(normal=[('sep_conv_3x3', 0),
  ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])``
  (``range(2, 6)`` accepted for the concat lists);
* NASLib's op-tuple form as Python prints it: ``([(0, 3), (1, 3), ...], [(...), ...])``
  (``(input, op_index)``, normal then reduction; lists or tuples);
* the rank as a decimal integer.

The NB301 ConfigSpace dict is read and written by `from_config` / `to_config` (plain dicts, no
ConfigSpace import: see `surrogate_nb.space.darts_forms`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surrogate_nb.errors import InvalidArchError

#: Ops in NB301's / NASLib's index order.
OPS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
#: Short op names of the compact string, in `OPS` order.
SHORT: tuple[str, ...] = ("mp3", "ap3", "skip", "sep3", "sep5", "dil3", "dil5")
NUM_OPS = len(OPS)
#: Intermediate nodes per cell (2..5) and (input, op) pairs per cell.
NUM_NODES = 4
NUM_PAIRS = 2 * NUM_NODES
#: Sorted input pairs of node k (k = 2..5), in rank order: C(k, 2) each.
NODE_INPUTS: tuple[tuple[tuple[int, int], ...], ...] = tuple(
    tuple(itertools.combinations(range(k), 2)) for k in range(2, 2 + NUM_NODES)
)
_RADIX = tuple(len(p) for p in NODE_INPUTS)  # (1, 3, 6, 10)
INPUT_CHOICES = int(np.prod(_RADIX))  # 180
OP_CHOICES = NUM_OPS**NUM_PAIRS  # 5,764,801
#: Canonical cells per cell type, and (normal, reduction) pairs in the space.
CELL_SIZE = INPUT_CHOICES * OP_CHOICES  # 1,037,664,180
SIZE = CELL_SIZE * CELL_SIZE  # 1,076,746,950,455,072,400
_OP_ID = {op: i for i, op in enumerate(OPS)} | {s: i for i, s in enumerate(SHORT)}
#: Rank of each sorted input pair at node k (k = 2..5).
PAIR_RANK = [{pair: r for r, pair in enumerate(p)} for p in NODE_INPUTS]

CellPairs = tuple[tuple[int, int], ...]


def _bad(message: str, value: object, token: object = None) -> InvalidArchError:
    return InvalidArchError(message, value, token)


def op_id(op: object, value: object = None) -> int:
    """Index in `OPS` of an op name, short name or index; `InvalidArchError` otherwise."""
    if isinstance(op, (int, np.integer)) and not isinstance(op, bool) and 0 <= op < NUM_OPS:
        return int(op)
    if isinstance(op, str) and op.strip() in _OP_ID:
        return _OP_ID[op.strip()]
    raise _bad(
        f"unknown DARTS op {op!r}; ops are {', '.join(OPS)} (or indices 0..{NUM_OPS - 1}, "
        f"short names {', '.join(SHORT)})",
        value if value is not None else op,
        op,
    )


def canonical_cell(pairs: Sequence[Sequence[object]], what: str = "cell") -> CellPairs:
    """8 ``(input, op)`` pairs → the canonical tuple (each node's pairs sorted by input).

    Raises:
        InvalidArchError: not 8 pairs, an input that does not exist yet at its node (node k
            takes inputs 0..k-1), the same input twice at one node, an unknown op.
    """
    try:
        items = [tuple(p) for p in pairs]
    except TypeError:
        raise _bad(f"DARTS {what} must be 8 (input, op) pairs, got {pairs!r}", pairs) from None
    if len(items) != NUM_PAIRS or any(len(p) != 2 for p in items):
        raise _bad(
            f"DARTS {what} must have {NUM_PAIRS} (input, op) pairs (two per node 2..5), got "
            f"{len(items)} items: {pairs!r}",
            pairs,
        )
    out: list[tuple[int, int]] = []
    for n in range(NUM_NODES):
        node = n + 2
        a, b = items[2 * n], items[2 * n + 1]
        node_pairs = []
        for inp, op in (a, b):
            if isinstance(inp, bool) or not isinstance(inp, (int, np.integer)):
                raise _bad(f"DARTS {what}: node {node} input {inp!r} is not an int", pairs, inp)
            if not 0 <= int(inp) < node:
                raise _bad(
                    f"DARTS {what}: node {node} takes input {inp}, which does not exist yet; "
                    f"node {node} may take inputs 0..{node - 1}",
                    pairs,
                    inp,
                )
            node_pairs.append((int(inp), op_id(op, pairs)))
        if node_pairs[0][0] == node_pairs[1][0]:
            raise _bad(
                f"DARTS {what}: node {node} takes input {node_pairs[0][0]} twice; its two inputs "
                "must be distinct",
                pairs,
                node_pairs[0][0],
            )
        out.extend(sorted(node_pairs))
    return tuple(out)


def cell_rank(pairs: CellPairs) -> int:
    """Rank of one canonical cell in 0..CELL_SIZE-1."""
    inputs = 0
    for n in reversed(range(NUM_NODES)):
        pair = (pairs[2 * n][0], pairs[2 * n + 1][0])
        inputs = inputs * _RADIX[n] + PAIR_RANK[n][pair]
    ops = 0
    for _, op in pairs:
        ops = ops * NUM_OPS + op
    return inputs * OP_CHOICES + ops


def cell_from_rank(rank: int) -> CellPairs:
    """Inverse of `cell_rank`."""
    inputs, ops = divmod(int(rank), OP_CHOICES)
    op_digits = []
    for _ in range(NUM_PAIRS):
        ops, d = divmod(ops, NUM_OPS)
        op_digits.append(d)
    op_digits.reverse()
    out = []
    for n in range(NUM_NODES):
        inputs, r = divmod(inputs, _RADIX[n])
        i, j = NODE_INPUTS[n][r]
        out += [(i, op_digits[2 * n]), (j, op_digits[2 * n + 1])]
    return tuple(out)


def _check_rank(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise _bad(f"DARTS index must be an int, got {value!r}", value)
    if not 0 <= int(value) < SIZE:
        raise _bad(f"DARTS index {value} out of range: expected 0..{SIZE - 1}", value)
    return int(value)


@dataclass(frozen=True)
class Genome:
    """One DARTS-space architecture: canonical normal and reduction cells (8 pairs each).

    Build it with `Genome.of` (validates, canonicalises), `DARTS.from_index`, `DARTS.from_str`
    or the converters of `surrogate_nb.space.darts_forms`. Equal architectures are equal values.
    """

    normal: CellPairs
    reduce: CellPairs

    @classmethod
    def of(cls, normal: Sequence[Sequence[object]], reduce: Sequence[Sequence[object]]) -> Genome:
        """Validate and canonicalise two cells of ``(input, op)`` pairs (op: name or index)."""
        return cls(canonical_cell(normal, "normal cell"), canonical_cell(reduce, "reduction cell"))

    @property
    def index(self) -> int:
        """The pair's rank (the key of tables and models), below 2^63."""
        return cell_rank(self.normal) * CELL_SIZE + cell_rank(self.reduce)

    @classmethod
    def from_index(cls, index: int) -> Genome:
        n, r = divmod(_check_rank(index), CELL_SIZE)
        return cls(cell_from_rank(n), cell_from_rank(r))

    def cells(self) -> tuple[CellPairs, CellPairs]:
        return self.normal, self.reduce

    def __str__(self) -> str:
        return "/".join(",".join(f"{SHORT[op]}:{inp}" for inp, op in cell) for cell in self.cells())

    def __repr__(self) -> str:
        return f"Genome({str(self)!r})"


def decode(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised `Genome.from_index`: (inputs, ops), each int8 (n, 2, 8) (cell, pair)."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if idx.size and (idx.min() < 0):
        raise _bad(f"DARTS index {int(idx.min())} out of range: expected 0..{SIZE - 1}", idx.min())
    n = idx.size
    inputs = np.zeros((n, 2, NUM_PAIRS), np.int8)
    ops = np.zeros((n, 2, NUM_PAIRS), np.int8)
    tables = [np.asarray(p, np.int8) for p in NODE_INPUTS]
    for c, rank in enumerate((idx // CELL_SIZE, idx % CELL_SIZE)):
        inp, op = np.divmod(rank, OP_CHOICES)
        for s in reversed(range(NUM_PAIRS)):
            op, d = np.divmod(op, NUM_OPS)
            ops[:, c, s] = d
        for k in range(NUM_NODES):
            inp, r = np.divmod(inp, _RADIX[k])
            inputs[:, c, 2 * k : 2 * k + 2] = tables[k][r]
    return inputs, ops
