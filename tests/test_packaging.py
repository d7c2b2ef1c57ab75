"""The package installs under one namespace, both editable and as a wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMESPACES = (
    "surrogate_nb",
    "surrogate_nb.exhaustive",
    "surrogate_nb.regressors",
    "surrogate_nb.evaluation",
)


def _import_paths(env: dict | None = None) -> dict[str, str]:
    code = (
        "import importlib, json; "
        "print(json.dumps({n: importlib.import_module(n).__file__ for n in %r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code % (NAMESPACES,)],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        check=True,
    )
    import json

    return json.loads(out.stdout)


def test_editable_install_maps_the_folders():
    paths = _import_paths()
    assert Path(paths["surrogate_nb.exhaustive"]).parent == ROOT / "exhaustive"
    assert Path(paths["surrogate_nb.regressors"]).parent == ROOT / "regressors"
    assert Path(paths["surrogate_nb.evaluation"]).parent == ROOT / "evaluation"


def test_no_generic_top_level_names():
    """Installed, the folders are reachable only under surrogate_nb (checked outside the repo)."""
    code = (
        "import importlib.util, json; "
        "print(json.dumps([importlib.util.find_spec(n) is not None "
        "for n in ('exhaustive', 'regressors', 'evaluation')]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True
    )
    assert out.stdout.strip() == "[false, false, false]"


@pytest.mark.slow
def test_wheel_contains_and_imports_all_namespaces(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-v",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert "absent from the `packages` configuration" not in build.stdout + build.stderr
    (wheel,) = (tmp_path / "dist").glob("surrogate_nb-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    table = "surrogate_nb/data/tables/fashion-mnist-lowfi/"
    assert table + "manifest.json" in names  # the embedded table travels with the wheel
    assert any(n.startswith(table + "data/") and n.endswith(".parquet") for n in names)
    for ns in NAMESPACES:
        assert f"{ns.replace('.', '/')}/__init__.py" in names, ns
    assert not any(
        n.startswith(("exhaustive/", "regressors/", "evaluation/", "tests/")) for n in names
    )
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    paths = _import_paths(env)
    for ns in NAMESPACES:
        assert Path(paths[ns]).is_relative_to(target), (ns, paths[ns])
