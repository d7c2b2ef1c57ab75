"""The NB-101 index: the space's limits and official hash, and every distinct cell in hash order,
cached on disk after one enumeration (the bottom of the NB-101 modules; `Cell` is built on it).

Enumeration follows the official ``generate_graphs.py``: for 2..7 vertices, every upper-triangular
matrix (bit ``x + y(y-1)/2`` is the edge x -> y) whose vertices all lie on an input -> output path
and that has at most 9 edges, times every labelling of the interior vertices with the 3 ops:
1,293,208 labelled graphs. Each is hashed with the official module hash; the first graph seen per
hash is kept as that cell's representative (as the official buckets do), giving 423,624 cells.
Cell ``i`` is the ``i``-th smallest hash.

Cost: about 1-2 min on 2 CPU cores, once. The result (hashes, vertex counts, edge bits, op codes;
~7 MB) is written atomically to ``<user cache dir>/surrogate-nb/nb101-index-v1.npz`` with its
sha256 beside it; later loads check the checksum and take well under 2 s. ``SNB_CACHE_DIR``
overrides the directory.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from surrogate_nb.errors import InvalidArchError

#: Interior ops in the official order (``config['available_ops']``); labels 0, 1, 2 in the hash.
OPS: tuple[str, ...] = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
INPUT, OUTPUT = "input", "output"
MAX_VERTICES = 7
MAX_EDGES = 9
#: Number of distinct cells (module hashes) of the space.
NUM_CELLS = 423_624
_HASH_RE = re.compile(r"[0-9a-f]{32}")

CACHE_NAME = "nb101-index-v1.npz"
#: Labelled graphs the enumeration visits (official ``generate_graphs.py`` figure).
NUM_LABELLED_GRAPHS = 1_293_208


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


def cache_dir() -> Path:
    """Where derived data is cached: ``$SNB_CACHE_DIR`` or the platform's user cache dir."""
    env = os.environ.get("SNB_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("surrogate-nb"))


@dataclass(frozen=True)
class NB101Index:
    """All cells in index order. Arrays of length 423,624.

    Attributes:
        hashes: ``S32`` ASCII hex module hashes, sorted.
        vertices: uint8 vertex count of each representative.
        edge_bits: uint32 edges of the representative (official bit order).
        op_codes: uint8 interior ops as base-3 digits (first interior vertex least significant).
    """

    hashes: np.ndarray
    vertices: np.ndarray
    edge_bits: np.ndarray
    op_codes: np.ndarray

    def spec(self, i: int) -> tuple[tuple[tuple[int, ...], ...], tuple[str, ...]]:
        """(matrix, ops) of cell ``i``'s representative, already pruned (`Cell`'s fields)."""
        n = int(self.vertices[i])
        m = _matrix(int(self.edge_bits[i]), n)
        code = int(self.op_codes[i])
        interior = []
        for _ in range(n - 2):
            interior.append(OPS[code % 3])
            code //= 3
        return tuple(tuple(int(x) for x in r) for r in m), (INPUT, *interior, OUTPUT)


def _matrix(bits: int, n: int) -> np.ndarray:
    m = np.zeros((n, n), np.int8)
    for y in range(1, n):
        for x in range(y):
            if (bits >> (x + y * (y - 1) // 2)) & 1:
                m[x, y] = 1
    return m


def _full_dag_bits(n: int) -> list[int]:
    """Edge bit masks of n-vertex matrices with every vertex on a path and <= 9 edges."""
    out = []
    for bits in range(2 ** (n * (n - 1) // 2)):
        if bin(bits).count("1") > MAX_EDGES:
            continue
        m = _matrix(bits, n)
        if m[:-1].any(axis=1).all() and m[:, 1:].any(axis=0).all():
            out.append(bits)
    return out


def _hash_chunk(args: tuple[int, list[int]]) -> tuple[list[str], list[int]]:
    """Hashes (and enumeration keys) of every labelling of the given n-vertex matrices."""
    n, bit_list = args
    md5 = hashlib.md5
    init: dict[tuple[int, int, int], str] = {}
    hashes: list[str] = []
    keys: list[int] = []
    labelings = list(itertools.product(range(3), repeat=n - 2))
    for bits in bit_list:
        m = _matrix(bits, n)
        preds = [[w for w in range(n) if m[w, v]] for v in range(n)]
        succs = [[w for w in range(n) if m[v, w]] for v in range(n)]
        ins = [len(p) for p in preds]
        outs = [len(s) for s in succs]
        base = (n * (1 << 21) + bits) * 243
        for li, lab in enumerate(labelings):
            labels = (-1, *lab, -2)
            h = []
            for v in range(n):
                key = (outs[v], ins[v], labels[v])
                s = init.get(key)
                if s is None:
                    s = init[key] = md5(str(key).encode()).hexdigest()
                h.append(s)
            for _ in range(n):
                h = [
                    md5(
                        (
                            "".join(sorted([h[w] for w in preds[v]]))
                            + "|"
                            + "".join(sorted([h[w] for w in succs[v]]))
                            + "|"
                            + h[v]
                        ).encode()
                    ).hexdigest()
                    for v in range(n)
                ]
            hashes.append(md5(str(sorted(h)).encode()).hexdigest())
            keys.append(base + li)
    return hashes, keys


def enumerate_space(workers: int | None = None, progress=None) -> NB101Index:
    """Enumerate the whole space (about 1-2 min on 2 cores); see the module docstring.

    Args:
        workers: processes to use (default: the CPU count, at most 8).
        progress: optional callable ``progress(done_graphs, total_graphs)``.
    """
    jobs: list[tuple[int, list[int]]] = []
    for n in range(2, MAX_VERTICES + 1):
        bits = _full_dag_bits(n)
        step = max(1, 400 // (3 ** (n - 2)))
        jobs += [(n, bits[k : k + step]) for k in range(0, len(bits), step)]
    workers = workers or min(8, os.cpu_count() or 1)
    all_hashes: list[str] = []
    all_keys: list[int] = []
    done = 0
    if workers > 1:
        pool = ProcessPoolExecutor(workers)
        results = pool.map(_hash_chunk, jobs, chunksize=4)
    else:
        pool = None
        results = map(_hash_chunk, jobs)
    try:
        for hashes, keys in results:
            all_hashes += hashes
            all_keys += keys
            done += len(hashes)
            if progress is not None:
                progress(done, NUM_LABELLED_GRAPHS)
    finally:
        if pool is not None:
            pool.shutdown()
    h = np.array(all_hashes, dtype="S32")
    k = np.array(all_keys, dtype=np.int64)
    order = np.argsort(k, kind="stable")
    h, k = h[order], k[order]
    uniq, first = np.unique(h, return_index=True)  # sorted hashes, first graph of each
    rep = k[first]
    lab_idx = rep % 243
    rep_bits = (rep // 243) % (1 << 21)
    rep_n = rep // 243 // (1 << 21)
    # labelling index -> base-3 code with the first interior vertex least significant
    codes = np.zeros(len(rep), np.int64)
    for nv in range(2, MAX_VERTICES + 1):
        sel = rep_n == nv
        digits = lab_idx[sel]
        code = np.zeros(int(sel.sum()), np.int64)
        # itertools.product: the last interior vertex varies fastest
        for pos in range(nv - 3, -1, -1):
            code += (digits % 3) * 3**pos
            digits = digits // 3
        codes[sel] = code
    return NB101Index(
        hashes=uniq,
        vertices=rep_n.astype(np.uint8),
        edge_bits=rep_bits.astype(np.uint32),
        op_codes=codes.astype(np.uint8),
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_index(index: NB101Index, path: Path) -> None:
    """Write the index atomically (temp file + rename), with ``<path>.sha256`` beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                hashes=index.hashes,
                vertices=index.vertices,
                edge_bits=index.edge_bits,
                op_codes=index.op_codes,
            )
            fh.flush()
            os.fsync(fh.fileno())
        digest = _sha256(Path(tmp))
        side = path.with_name(path.name + ".sha256")
        side_tmp = side.with_name(side.name + f".{os.getpid()}")
        side_tmp.write_text(digest + "\n")
        os.replace(tmp, path)
        os.replace(side_tmp, side)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_cached(path: Path) -> NB101Index | None:
    side = path.with_name(path.name + ".sha256")
    if not (path.is_file() and side.is_file()):
        return None
    if side.read_text().strip() != _sha256(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            index = NB101Index(
                hashes=z["hashes"],
                vertices=z["vertices"],
                edge_bits=z["edge_bits"],
                op_codes=z["op_codes"],
            )
    except (OSError, ValueError, KeyError):
        return None
    if len(index.hashes) != NUM_CELLS:
        return None
    return index


def load_index(progress=None) -> NB101Index:
    """The cached index; enumerates and caches it first when missing or damaged.

    Processes that start together share one enumeration: the first holds a lock file beside
    the cache while it enumerates, the others wait for it and then read the cache.
    """
    path = cache_dir() / CACHE_NAME
    index = _read_cached(path)
    if index is not None:
        return index
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        _lock(lock)
        index = _read_cached(path)  # another process may have written it meanwhile
        if index is None:
            index = enumerate_space(progress=progress)
            if len(index.hashes) != NUM_CELLS:  # pragma: no cover - would be a bug
                raise RuntimeError(f"NB-101 enumeration found {len(index.hashes)} cells")
            save_index(index, path)
    return index


def _lock(fh) -> None:
    """Block until this process holds an exclusive lock on ``fh`` (released when it closes)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no sharing, each process enumerates
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)


@functools.cache
def shared_index() -> NB101Index:
    """The index of this process: `load_index` once, then kept."""
    return load_index()


def _check_hash(value: object) -> str:
    if not isinstance(value, str) or not _HASH_RE.fullmatch(value.strip()):
        raise InvalidArchError(
            f"NB-101 module hash must be 32 lowercase hex characters, got {value!r}", value
        )
    return value.strip()


def index_of_hash(module_hash: str) -> int:
    """Index of a module hash; `InvalidArchError` if malformed or not in the space."""
    h = _check_hash(module_hash).encode()
    hashes = shared_index().hashes
    i = int(np.searchsorted(hashes, h))
    if i >= len(hashes) or hashes[i] != h:
        raise InvalidArchError(
            f"NB-101 module hash {module_hash!r} is not a cell of the space", module_hash
        )
    return i
