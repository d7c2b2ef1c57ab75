"""Import the official NAS-Bench-201 ``.pth`` files (v1_0-e61699 and v1_1-096897).

Documented structure (``torch.save`` of a dict): ``{"meta_archs": [15,625 strings],
"total_archs": 15625, "evaluated_indexes": [...], "arch2infos": {index: {"less": ArchResults,
"full": ArchResults}}}``; an ArchResults has the same layout as NATS-Bench's (see
`surrogate_nb.table.importers.nats`), so the same conversion applies: ``"less"`` -> hp ``"12"``,
``"full"`` -> hp ``"200"``, eval split ``"ori-test"`` -> ``"test"``. The file is read with
``torch.load(weights_only=True)`` and an allow-list (numpy 1.x scalar paths, ``_codecs.encode``).
"""

from __future__ import annotations

import os
from pathlib import Path

from surrogate_nb.errors import TableFormatError
from surrogate_nb.table._format import write_table
from surrogate_nb.table.importers._safe_pickle import safe_torch_load
from surrogate_nb.table.importers.nats import _manifest, arch_results_to_trials


def import_nb201_pth(
    source: str | os.PathLike, out: str | os.PathLike, *, command: str = ""
) -> Path:
    """Convert an official NB201 ``.pth`` file into a table directory.

    Raises:
        UnsafePickleError: the file references a type outside the allow-list.
        TableFormatError: not the documented structure.
    """
    src = Path(source)
    data = safe_torch_load(src)
    if not isinstance(data, dict) or "arch2infos" not in data:
        raise TableFormatError(
            f"{src}: not an NB201 benchmark file (no 'arch2infos' key; "
            f"keys: {sorted(data)[:8] if isinstance(data, dict) else type(data)})"
        )
    metas = data.get("meta_archs")

    def trials():
        for index in sorted(data["arch2infos"]):
            yield from arch_results_to_trials(
                int(index), data["arch2infos"][index], metas[int(index)] if metas else None
            )

    manifest = _manifest(src, "nb201-pth", command, data, len(data["arch2infos"]))
    manifest["protocol"]["source"] = "NAS-Bench-201 .pth (Dong & Yang, ICLR 2020)"
    return write_table(out, trials(), manifest=manifest)
