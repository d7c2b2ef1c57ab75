"""Importers: published benchmark files -> table directories.

`import_any` picks the importer from ``format`` or from the source (directory -> NATS fast_mode,
``.pth`` -> NB201, ``.pbz2`` / ``.pickle`` -> NATS full archive, ``.csv`` / ``.parquet`` -> wide).
"""

from __future__ import annotations

import os
from pathlib import Path

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.table.importers._safe_pickle import (
    RestrictedUnpickler,
    safe_load_pickle,
    safe_loads,
    safe_torch_load,
)
from surrogate_nb.table.importers.nats import import_nats
from surrogate_nb.table.importers.nb201_pth import import_nb201_pth
from surrogate_nb.table.importers.wide import import_wide

#: Format names accepted by `import_any` / ``snb import --format``.
FORMATS = ("csv", "parquet", "nb201-pth", "nats-tss")


def infer_format(source: str | os.PathLike) -> str:
    """The format of ``source`` guessed from its type and name."""
    p = Path(source)
    name = p.name.lower()
    if p.is_dir():
        return "nats-tss"
    if name.endswith(".pth"):
        return "nb201-pth"
    if name.endswith((".pbz2", ".pickle", ".pkl")):
        return "nats-tss"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    raise UnknownKeyError(
        "source format", p.name, FORMATS, "cannot tell from the name; pass --format"
    )


def import_any(
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    format: str | None = None,
    command: str = "",
) -> Path:
    """Import ``source`` into the table directory ``out`` (format inferred when None)."""
    fmt = format or infer_format(source)
    if fmt in ("csv", "parquet"):
        return import_wide(source, out, command=command)
    if fmt == "nb201-pth":
        return import_nb201_pth(source, out, command=command)
    if fmt == "nats-tss":
        return import_nats(source, out, command=command)
    raise UnknownKeyError("import format", fmt, FORMATS)


__all__ = [
    "FORMATS",
    "RestrictedUnpickler",
    "import_any",
    "infer_format",
    "safe_load_pickle",
    "safe_loads",
    "safe_torch_load",
]
