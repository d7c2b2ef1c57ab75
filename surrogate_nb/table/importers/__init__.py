"""Importers: published benchmark files -> table directories.

`import_any` picks the importer from ``format`` or from the source (directory -> NATS fast_mode,
``.pth`` -> NB201, ``.pbz2`` / ``.pickle`` -> NATS full archive, ``.csv`` / ``.parquet`` -> wide,
``.tfrecord`` -> NB-101 official, ``.json`` with NB-101 columns -> NB-101 export, ``.zip`` or a
folder of NB301 ``results_*.json`` -> NAS-Bench-301 results).
"""

from __future__ import annotations

import os
from pathlib import Path

from surrogate_nb._atomic import check_output, writer_lock
from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.table.importers._safe_pickle import (
    RestrictedUnpickler,
    safe_load_pickle,
    safe_loads,
    safe_torch_load,
)
from surrogate_nb.table.importers.nats import import_nats
from surrogate_nb.table.importers.nb101 import (
    import_nb101_json,
    import_nb101_tfrecord,
    is_nb101_json,
)
from surrogate_nb.table.importers.nb201_pth import import_nb201_pth
from surrogate_nb.table.importers.nb301 import import_nb301, is_nb301_source
from surrogate_nb.table.importers.wide import import_wide

#: Format names accepted by `import_any` / ``snb import --format``.
FORMATS = ("csv", "parquet", "nb201-pth", "nats-tss", "nb101-tfrecord", "nb101-json", "nb301")


def infer_format(source: str | os.PathLike) -> str:
    """The format of ``source`` guessed from its type and name."""
    p = Path(source)
    name = p.name.lower()
    if is_nb301_source(p):
        return "nb301"
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
    if name.endswith(".tfrecord"):
        return "nb101-tfrecord"
    if name.endswith(".json") and is_nb101_json(p):
        return "nb101-json"
    raise UnknownKeyError(
        "source format", p.name, FORMATS, "cannot tell from the name; pass --format"
    )


def import_any(
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    format: str | None = None,
    command: str = "",
    progress=None,
) -> Path:
    """Import ``source`` into the table directory ``out`` (format inferred when None)."""
    with writer_lock(out):  # one writer: a second import to `out` is refused at once
        check_output(out, "table")  # before reading: a model or a file there is refused now
        fmt = format or infer_format(source)
        if fmt in ("csv", "parquet"):
            return import_wide(source, out, command=command)
        if fmt == "nb201-pth":
            return import_nb201_pth(source, out, command=command)
        if fmt == "nats-tss":
            return import_nats(source, out, command=command)
        if fmt == "nb101-tfrecord":
            return import_nb101_tfrecord(source, out, command=command, progress=progress)
        if fmt == "nb101-json":
            return import_nb101_json(source, out, command=command)
        if fmt == "nb301":
            return import_nb301(source, out, command=command, progress=progress)
        raise UnknownKeyError("import format", fmt, FORMATS)


__all__ = [
    "FORMATS",
    "RestrictedUnpickler",
    "import_any",
    "import_nb301",
    "infer_format",
    "safe_load_pickle",
    "safe_loads",
    "safe_torch_load",
]
