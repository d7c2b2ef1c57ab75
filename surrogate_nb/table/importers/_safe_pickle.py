"""Load the official NB201 / NATS-Bench pickles without running arbitrary code.

Unpickling can call any importable function, so these loaders resolve only the globals in
`ALLOWED` (the types the official files contain) and refuse anything else with an
`UnsafePickleError` that names the refused ``module.name``. numpy 1.x paths
(``numpy.core.multiarray.scalar``) are mapped to where numpy 2 keeps them.
"""

from __future__ import annotations

import bz2
import collections
import io
import os
import pickle
from pathlib import Path
from typing import Any

from surrogate_nb.errors import TableFormatError, UnsafePickleError


def _numpy_global(name: str) -> Any:
    import numpy as np

    try:
        from numpy._core import multiarray
    except ImportError:  # numpy 1.x
        from numpy.core import multiarray  # type: ignore[no-redef]
    table = {
        "scalar": multiarray.scalar,
        "_reconstruct": multiarray._reconstruct,
        "dtype": np.dtype,
        "ndarray": np.ndarray,
    }
    return table[name]


def _codecs_encode() -> Any:
    import codecs

    return codecs.encode


#: (module, name) -> loader of the object the name may resolve to.
ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): lambda: collections.OrderedDict,
    ("builtins", "set"): lambda: set,
    ("__builtin__", "set"): lambda: set,  # protocol-2 pickles written by Python 2 names
    ("__builtin__", "frozenset"): lambda: frozenset,
    ("builtins", "frozenset"): lambda: frozenset,
    ("builtins", "slice"): lambda: slice,
    ("_codecs", "encode"): _codecs_encode,
    **{
        (mod, name): (lambda n=name: _numpy_global(n))
        for mod in ("numpy.core.multiarray", "numpy._core.multiarray")
        for name in ("scalar", "_reconstruct")
    },
    ("numpy", "dtype"): lambda: _numpy_global("dtype"),
    ("numpy", "ndarray"): lambda: _numpy_global("ndarray"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """A `pickle.Unpickler` that resolves only the globals in `ALLOWED`."""

    def find_class(self, module: str, name: str) -> Any:
        loader = ALLOWED.get((module, name))
        if loader is None:
            raise UnsafePickleError(
                f"refused to unpickle {module}.{name}: not in the allow-list of types the "
                "official NB201 / NATS-Bench files contain (the file may be malicious or of "
                "another format)"
            )
        return loader()


def safe_loads(data: bytes) -> Any:
    """Unpickle bytes with `RestrictedUnpickler`."""
    return RestrictedUnpickler(io.BytesIO(data)).load()


#: Decompressed size allowed per compressed byte, and the floor of the cap (bytes).
MAX_RATIO = 200
MIN_CAP = 64 << 20


def decompress_capped(raw: bytes, where: object, cap: int | None = None) -> bytes:
    """bz2-decompress ``raw``, refusing output beyond ``cap`` bytes (default
    ``max(MIN_CAP, MAX_RATIO * len(raw))``) before it is produced: a small hostile file cannot
    expand to gigabytes in memory.

    Raises:
        TableFormatError: not bz2 data, truncated, or larger than the cap.
    """
    limit = cap if cap is not None else max(MIN_CAP, MAX_RATIO * len(raw))
    dec = bz2.BZ2Decompressor()
    out = bytearray()
    pos, step = 0, 1 << 20
    try:
        while pos < len(raw) and not dec.eof:
            out += dec.decompress(raw[pos : pos + step], max_length=limit + 1 - len(out))
            pos += step
            while not dec.eof and not dec.needs_input and len(out) <= limit:
                out += dec.decompress(b"", max_length=limit + 1 - len(out))
            if len(out) > limit:
                raise TableFormatError(
                    f"{where}: decompresses to more than {limit:,} bytes ({MAX_RATIO}x its size); "
                    "refusing it (not a benchmark archive, or a decompression bomb)"
                )
    except (OSError, ValueError, EOFError) as exc:
        raise TableFormatError(f"{where}: not valid bz2 data ({exc})") from None
    if not dec.eof:
        raise TableFormatError(f"{where}: the bz2 data is truncated (file cut short?)")
    return bytes(out)


def safe_load_pickle(path: str | os.PathLike) -> Any:
    """Load a pickle file (``.pbz2`` / ``.bz2`` are bz2-decompressed first), restricted.

    Raises:
        TableFormatError: missing, not a pickle (e.g. a ``.pth`` zip), truncated, or too big
            once decompressed.
        UnsafePickleError: a global outside the allow-list.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise TableFormatError(f"cannot read {p}: {exc.strerror or exc}") from None
    if p.suffix in (".pbz2", ".bz2") or raw[:3] == b"BZh":
        raw = decompress_capped(raw, p)
    if raw[:4] == b"PK\x03\x04":
        raise TableFormatError(
            f"{p} is a zip archive (a torch .pth file?), not a pickle; for an NB201 .pth file "
            "use --format nb201-pth"
        )
    try:
        return safe_loads(raw)
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError) as exc:
        raise TableFormatError(
            f"{p} is not a readable pickle ({type(exc).__name__}: {exc}); is the file complete "
            "and of the right --format?"
        ) from None


def safe_torch_load(path: str | os.PathLike) -> Any:
    """`torch.load(weights_only=True)` with the allow-list's numpy globals registered.

    Raises:
        UnsafePickleError: the file references a global outside torch's and our allow-lists.
    """
    import torch

    safe = [
        collections.OrderedDict,
        _codecs_encode(),
        _numpy_global("scalar"),
        _numpy_global("_reconstruct"),
        _numpy_global("dtype"),
        _numpy_global("ndarray"),
    ]
    # numpy 1.x names in the official files, mapped to the numpy 2 objects
    safe += [(_numpy_global(n), f"numpy.core.multiarray.{n}") for n in ("scalar", "_reconstruct")]
    import numpy as np

    safe += [type(np.dtype(t)) for t in ("float64", "float32", "int64", "int32")]
    if not Path(path).is_file():
        raise TableFormatError(f"{path}: no such file")
    try:
        with torch.serialization.safe_globals(safe):
            return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError) as exc:  # not a torch file / cut short
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise TableFormatError(
            f"{path} is not a readable torch .pth file ({first}); is the file complete and of "
            "the right --format?"
        ) from None
    except pickle.UnpicklingError as exc:
        raise _unsafe(path, exc) from exc


def refusal_reason(exc: BaseException) -> str:
    """What a refused ``torch.load(weights_only=True)`` tripped on, in a few words: the global
    it named, or torch's reason; never torch's advice to turn the safe loader off."""
    import re

    text = str(exc)
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found:
        return found.group(1)
    detail = re.search(r"WeightsUnpickler error: ([^\n]*)", text)
    if detail:
        return f"a construct the safe loader refuses ({detail.group(1).strip().rstrip('.')})"
    first = (text.strip().splitlines() or [type(exc).__name__])[0]
    if "weights_only" in text or "can still be loaded" in first:
        return "a construct the safe loader refuses"
    return first


def _unsafe(path: object, exc: BaseException) -> UnsafePickleError:
    what = refusal_reason(exc)
    return UnsafePickleError(
        f"refused to load {path}: it references {what}, not in the allow-list of types the "
        "official NB201 files contain (the file may be malicious or of another format)"
    )
