"""The NAS-Bench-201 cell value (`Arch`): 4 nodes, 6 edges, 5 ops, 15,625 cells; index and parsing.

The bottom of the NB201 modules: encodings, features and costs are computed from an `Arch`
(`nb201_encodings`, `nb201_features`, `nb201_costs`), and `nb201.NB201Space` gathers them.

Facts reproduced here (../shared/PROTOCOL.md, checked against the published index in the tests):

* String form ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``; edge order (0→1), (0→2), (1→2), (0→3), (1→3),
  (2→3). Node j is the sum of its incoming edges; node 3 is the cell output.
* Official index order: all cells in product order (first edge slowest, ops in `OPS` order), then
  Python's ``random.seed(88); random.shuffle`` — the order NB201 and NATS-Bench ``tss`` share.
* Isomorphism classes (6,466): NATS-Bench's ``to_unique_str(consider_zero=True)``; see
  `Arch.unique_str`.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from surrogate_nb.errors import InvalidArchError

#: Op names in NB201's own order; an op id is a position in this tuple.
OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: Edges (source node, target node) in the order of the NB201 string.
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
NUM_OPS = len(OPS)
NUM_EDGES = len(EDGES)
NUM_NODES = 4
NUM_ARCHS = NUM_OPS**NUM_EDGES  # 15,625
#: Seed of NB201's shuffle of the product-ordered cell list.
INDEX_SHUFFLE_SEED = 88

_OP_ID = {op: i for i, op in enumerate(OPS)}
_TOKEN = re.compile(r"^(?P<op>[^~|+]*)~(?P<src>[^~|+]*)$")


@functools.cache
def _index_tables() -> tuple[np.ndarray, np.ndarray]:
    """(index -> product code, product code -> index), both int64 arrays of length 15,625.

    The product code of a cell is its position in product order: sum(op_e * 5**(5 - e)).
    """
    codes = list(range(NUM_ARCHS))  # product order == code order
    random.Random(INDEX_SHUFFLE_SEED).shuffle(codes)
    index_to_code = np.asarray(codes, dtype=np.int64)
    code_to_index = np.empty(NUM_ARCHS, dtype=np.int64)
    code_to_index[index_to_code] = np.arange(NUM_ARCHS)
    return index_to_code, code_to_index


def _code(op_ids: Sequence[int]) -> int:
    code = 0
    for op in op_ids:
        code = code * NUM_OPS + op
    return code


def _ops_from_code(code: int) -> tuple[int, ...]:
    ops = []
    for _ in range(NUM_EDGES):
        code, op = divmod(code, NUM_OPS)
        ops.append(op)
    return tuple(reversed(ops))


@dataclass(frozen=True, slots=True)
class Arch:
    """One NB201 cell: an immutable, hashable value holding six op ids (edge order `EDGES`).

    Build it with `Arch.from_str`, `Arch.from_index` or `Arch.from_ops`; it never holds a network
    or a benchmark handle.

    >>> a = Arch.from_index(0)
    >>> str(a)
    '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|'
    >>> Arch.from_str(str(a)).index
    0
    """

    op_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        ops = self.op_ids
        if not isinstance(ops, tuple) or len(ops) != NUM_EDGES:
            raise InvalidArchError(
                f"an NB201 cell has {NUM_EDGES} op ids (one per edge), got {ops!r}", ops
            )
        for op in ops:
            if type(op) is not int or not 0 <= op < NUM_OPS:
                raise InvalidArchError(
                    f"op id {op!r} out of range: expected an int in 0..{NUM_OPS - 1} ({OPS})",
                    ops,
                    op,
                )

    # ---- constructors -------------------------------------------------------------------------

    @classmethod
    def from_ops(cls, ops: Sequence[str | int]) -> Arch:
        """From six op names or op ids, in `EDGES` order."""
        if isinstance(ops, str) or len(ops) != NUM_EDGES:
            raise InvalidArchError(
                f"expected {NUM_EDGES} ops (one per edge {EDGES}), got {ops!r}", ops
            )
        ids = []
        for op in ops:
            if isinstance(op, str):
                if op not in _OP_ID:
                    raise InvalidArchError(f"unknown op {op!r}; expected one of {OPS}", ops, op)
                ids.append(_OP_ID[op])
            elif isinstance(op, (int, np.integer)) and not isinstance(op, bool):
                ids.append(int(op))
            else:
                raise InvalidArchError(f"op {op!r} is neither an op name nor an op id", ops, op)
        return cls(tuple(ids))

    @classmethod
    def from_index(cls, index: int) -> Arch:
        """From the official NB201 / NATS-Bench ``tss`` index (0..15,624)."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise InvalidArchError(f"an arch index must be an int, got {index!r}", index)
        if not 0 <= index < NUM_ARCHS:
            raise InvalidArchError(
                f"arch index {index} out of range: expected 0..{NUM_ARCHS - 1}", index, index
            )
        return cls(_ops_from_code(int(_index_tables()[0][index])))

    @classmethod
    def from_str(cls, text: str) -> Arch:
        """Parse the NB201 string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.

        Raises:
            InvalidArchError: naming the offending token and what was expected there.
        """
        if not isinstance(text, str):
            raise InvalidArchError(f"an NB201 arch string must be a str, got {text!r}", text)
        groups = text.strip().split("+")
        nodes: list[list[tuple[str, str]]] = []
        for group in groups:
            tokens = group.strip()
            if not (tokens.startswith("|") and tokens.endswith("|")) or len(tokens) < 2:
                raise InvalidArchError(
                    f"node group {group!r} in {text!r}: expected the form '|op~k|op~k|'",
                    text,
                    group,
                )
            parsed = []
            for token in tokens[1:-1].split("|"):
                m = _TOKEN.match(token)
                if m is None:
                    raise InvalidArchError(
                        f"token {token!r} in {text!r}: expected the form 'op~k'", text, token
                    )
                if m["op"] not in _OP_ID:
                    raise InvalidArchError(
                        f"unknown op {m['op']!r} in token {token!r} of {text!r}; "
                        f"expected one of {OPS}",
                        text,
                        m["op"],
                    )
                parsed.append((m["op"], m["src"]))
            nodes.append(parsed)
        if len(nodes) != NUM_NODES - 1:
            raise InvalidArchError(
                f"{text!r} has {len(nodes)} node group(s); expected {NUM_NODES - 1} "
                "(for nodes 1, 2, 3), separated by '+'",
                text,
                len(nodes),
            )
        ids = []
        for target, edges in enumerate(nodes, start=1):
            if len(edges) != target:
                raise InvalidArchError(
                    f"node {target} of {text!r} has {len(edges)} incoming edge(s); expected "
                    f"{target} (from nodes {list(range(target))})",
                    text,
                    f"node {target}",
                )
            for expected_src, (op, src) in enumerate(edges):
                if src != str(expected_src):
                    raise InvalidArchError(
                        f"edge '{op}~{src}' into node {target} of {text!r} has input node "
                        f"{src!r}; expected {expected_src}",
                        text,
                        f"{op}~{src}",
                    )
                ids.append(_OP_ID[op])
        return cls(tuple(ids))

    # ---- views --------------------------------------------------------------------------------

    @property
    def ops(self) -> tuple[str, ...]:
        """Op names in `EDGES` order."""
        return tuple(OPS[i] for i in self.op_ids)

    @property
    def code(self) -> int:
        """Position in product order (not the official index)."""
        return _code(self.op_ids)

    @property
    def index(self) -> int:
        """The official NB201 / NATS-Bench ``tss`` index."""
        return int(_index_tables()[1][self.code])

    def __str__(self) -> str:
        o = self.ops
        return f"|{o[0]}~0|+|{o[1]}~0|{o[2]}~1|+|{o[3]}~0|{o[4]}~1|{o[5]}~2|"

    def __repr__(self) -> str:
        return f"Arch({str(self)!r})"

    def node_inputs(self) -> list[list[tuple[str, int]]]:
        """For nodes 1..3, the list of (op, source node) of their incoming edges."""
        nodes: list[list[tuple[str, int]]] = [[] for _ in range(NUM_NODES - 1)]
        for (src, dst), op in zip(EDGES, self.ops):
            nodes[dst - 1].append((op, src))
        return nodes

    def unique_str(self) -> str:
        """The isomorphism-class string, identical to NATS-Bench's ``get_unique_str``.

        Node strings are built from node 0 ('0'): `none` (or a source that is exactly zero, '#')
        gives '#', `skip_connect` passes its source string through, other ops give
        '(source)@op'; a node is its summands sorted as strings and joined by '+'.
        """
        nodes = {0: "0"}
        for target, edges in enumerate(self.node_inputs(), start=1):
            terms = []
            for op, src in edges:
                if op == "none" or nodes[src] == "#":
                    terms.append("#")
                elif op == "skip_connect":
                    terms.append(nodes[src])
                else:
                    terms.append(f"({nodes[src]})@{op}")
            nodes[target] = "+".join(sorted(terms))
        return nodes[NUM_NODES - 1]

    def is_connected(self) -> bool:
        """True when the input reaches the output through non-`none` edges."""
        reach = {0}
        for (src, dst), op in zip(EDGES, self.ops):  # EDGES are in topological order
            if op != "none" and src in reach:
                reach.add(dst)
        return NUM_NODES - 1 in reach


@functools.cache
def arch_strings() -> tuple[str, ...]:
    """The NB201 strings of all 15,625 cells in official index order (built once, ~10 ms)."""
    by_code = [
        f"|{a}~0|+|{b}~0|{c}~1|+|{d}~0|{e}~1|{f}~2|"
        for a, b, c, d, e, f in itertools.product(OPS, repeat=NUM_EDGES)
    ]  # product order == code order (`_code`)
    return tuple(by_code[c] for c in _index_tables()[0].tolist())


def all_archs() -> Iterator[Arch]:
    """All 15,625 cells in official index order."""
    for code in _index_tables()[0]:
        yield Arch(_ops_from_code(int(code)))


def as_arch(value: object) -> Arch:
    """One arch from an `Arch`, an index, an NB201 string (or its index as text), or 6 ops."""
    if isinstance(value, Arch):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return Arch.from_index(int(value))
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return Arch.from_index(int(text))
        if text and all(c.isdigit() or c.isnumeric() for c in text):
            raise InvalidArchError(
                f"arch index {value!r} is not written in ASCII digits 0-9; expected an index "
                f"0..{NUM_ARCHS - 1} or an NB201 string",
                value,
            )
        return Arch.from_str(text)
    if isinstance(value, (tuple, list)):
        return Arch.from_ops(value)
    raise InvalidArchError(
        f"cannot read an NB201 arch from {value!r} (type {type(value).__name__}); expected an "
        "Arch, an index 0..15624, an NB201 string or 6 op names",
        value,
    )


def as_indices(values: object) -> np.ndarray:
    """Vectorised `as_arch(...).index`: one arch or a sequence/array of archs -> int64 array.

    A scalar input gives a 0-d array. Integer arrays take a fast path (range check only).
    """
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.integer):
        out = values.astype(np.int64, copy=False)
        if out.size and (out.min() < 0 or out.max() >= NUM_ARCHS):
            bad = out[(out < 0) | (out >= NUM_ARCHS)][0]
            raise InvalidArchError(
                f"arch index {int(bad)} out of range: expected 0..{NUM_ARCHS - 1}",
                int(bad),
                int(bad),
            )
        return out
    if isinstance(values, (Arch, str, int, np.integer)):
        return np.asarray(as_arch(values).index, dtype=np.int64)
    if (
        isinstance(values, (tuple, list))
        and len(values) == NUM_EDGES
        and all(isinstance(v, str) and v in _OP_ID for v in values)
    ):
        return np.asarray(Arch.from_ops(values).index, dtype=np.int64)
    if not isinstance(values, (tuple, list, np.ndarray, range)):
        raise InvalidArchError(
            f"cannot read NB201 archs from {values!r} (type {type(values).__name__}); expected "
            f"an Arch, an index 0..{NUM_ARCHS - 1}, an NB201 string, or a list / array of them",
            values,
        )
    return np.fromiter((as_arch(v).index for v in values), dtype=np.int64)


def mutate_edge(arch: Arch, edge: int, op: int) -> Arch:
    """`arch` with the op on `edge` (0..5) replaced by op id `op`."""
    ops = list(arch.op_ids)
    ops[edge] = op
    return Arch(tuple(ops))
