"""Provenance of what this package writes: its version, the git commit, library versions.

Bottom layer: imports nothing from the package, so every layer (table writer, build, surrogate
manifests) records the same facts the same way.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

#: The package version (also `surrogate_nb.__version__`).
__version__ = "0.1.0"
#: Distributions whose versions a saved model records.
MODEL_LIBRARIES: tuple[str, ...] = (
    "surrogate-nb",
    "numpy",
    "xgboost",
    "lightgbm",
    "torch",
    "optuna",
)


def git_commit() -> str | None:
    """HEAD of the git checkout this package runs from; None for an installed copy."""
    import subprocess  # here, not at the top: `import surrogate_nb` (and `snb --help`) stays quick

    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def software_info() -> dict[str, Any]:
    """Producing software: package name, version and, from a git checkout, the commit."""
    return {"name": "surrogate-nb", "version": __version__, "git_commit": git_commit()}


def library_versions(dists: tuple[str, ...] = MODEL_LIBRARIES) -> dict[str, str]:
    """Installed versions of `dists` (those not installed are left out)."""
    import importlib.metadata as _md  # ~70 ms: imported when a manifest is written

    out = {}
    for dist in dists:
        with contextlib.suppress(_md.PackageNotFoundError):
            out[dist] = _md.version(dist)
    return out
