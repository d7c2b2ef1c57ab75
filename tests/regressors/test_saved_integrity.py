"""Saved surrogates: an edited manifest is refused; replacing a saved model is crash-safe."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from surrogate_nb.errors import ModelFormatError
from surrogate_nb.regressors import LGBRegressor, Surrogate
from surrogate_nb.regressors import surrogate as sm

CELLS = np.arange(0, 15625, 97)[:80]
pytestmark = pytest.mark.xdist_group("saved_integrity")  # the module fixture fits once


def _fit(seed: int = 0) -> Surrogate:
    y = 60 + (CELLS % 13).astype(float)
    return Surrogate(LGBRegressor(n_estimators=20)).fit(CELLS, y, rng=np.random.default_rng(seed))


@pytest.fixture(scope="session")  # once per worker (tests may interleave)
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "model"
    _fit().save(path)
    return path


def _edited(saved: Path, tmp_path: Path, change, *, reseal: bool) -> Path:
    import shutil

    out = tmp_path / "edited"
    shutil.copytree(saved, out)
    m = json.loads((out / "manifest.json").read_text())
    change(m)
    if reseal:
        m["manifest_sha256"] = sm._manifest_digest(m)
    (out / "manifest.json").write_text(json.dumps(m))
    return out


EDITS = {
    "negative std_scale": lambda m: m["calibration"].update(std_scale=-1.0),
    "NaN std_scale": lambda m: m["calibration"].update(std_scale=float("nan")),
    "other transform": lambda m: m["target"].update(
        transform="identity" if m["target"]["transform"] == "log_error" else "log_error"
    ),
    "n_members": lambda m: m["params"].update(n_members=int(m["params"].get("n_members", 5)) + 3),
    "emptied files": lambda m: m.update(files={}),
    "no checksum": lambda m: m.pop("manifest_sha256"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_edited_manifest_is_refused(saved, tmp_path, name):
    """Guards: "saved surrogates: negative/NaN std_scale, transform, n_members, emptied files
    load silently"."""
    with pytest.raises(ModelFormatError):
        Surrogate.load(_edited(saved, tmp_path, EDITS[name], reseal=False))


@pytest.mark.parametrize("name", ["negative std_scale", "NaN std_scale", "emptied files"])
def test_value_rules_hold_with_a_valid_checksum(saved, tmp_path, name):
    with pytest.raises(ModelFormatError):
        Surrogate.load(_edited(saved, tmp_path, EDITS[name], reseal=True))


def test_load_round_trip(saved):
    s = Surrogate.load(saved)
    mean, std = s.predict(CELLS[:5])
    assert np.all(np.isfinite(mean)) and np.all(std > 0)


_KILL = """
import os
from surrogate_nb.regressors import Surrogate
s = Surrogate.load({new!r})
real = os.replace
def replace(a, b):
    real(a, b)
    if ".old-" in str(b):
        os._exit(9)  # killed between moving the old model aside and moving the new one in
os.replace = replace
s.save({path!r})
"""


def test_kill_between_renames_keeps_old_model(saved, tmp_path):
    """Guards: "the surrogate writer deletes the old model first"."""
    import shutil

    path = tmp_path / "model"
    shutil.copytree(saved, path)
    before = Surrogate.load(path).predict(CELLS[:10])
    new = _fit(1).save(tmp_path.parent / f"{tmp_path.name}-new")
    code = _KILL.format(path=str(path), new=str(new))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert r.returncode == 9, r.stderr
    assert not path.exists()
    after = Surrogate.load(path).predict(CELLS[:10])  # restored: the old complete model
    np.testing.assert_array_equal(before[0], after[0])
    _fit(2).save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # stale .tmp-/.old- cleaned


def _toy_table(tmp_path: Path) -> Path:
    from surrogate_nb.table import write_table

    y = 60 + (CELLS % 13).astype(float)
    trials = [
        {"arch_index": int(c), "dataset": "d", "hp": "2", "seed": 0, "epochs": 2,
         "curves": {"valid_acc": [v - 5, v], "test_acc": [v - 6, v - 1]}}
        for c, v in zip(CELLS, y)
    ]  # fmt: skip
    return write_table(tmp_path / "t", trials, manifest={})


def test_one_save_format_both_ways(tmp_path):
    """Guards: "SurrogateBenchmark.save folders and snb fit folders cannot load each other"."""
    from surrogate_nb.regressors import SurrogateBenchmark, fit_from_table
    from surrogate_nb.table import Benchmark

    b = Benchmark.open(_toy_table(tmp_path))
    kw = {"rng": np.random.default_rng(0), "surrogate": Surrogate(LGBRegressor(n_estimators=10))}
    va = fit_from_table(b, "d", "valid_acc", **kw).surrogate
    te = fit_from_table(b, "d", "test_acc", **kw).surrogate
    va.save(tmp_path / "fit")  # what `snb fit` writes
    sb = SurrogateBenchmark.load(tmp_path / "fit")
    assert list(sb.surrogates) == [("d", "valid_acc", None)]
    assert sb.query(int(CELLS[3]), "d", "valid_acc") == pytest.approx(
        float(va.predict([int(CELLS[3])])[0][0])
    )
    SurrogateBenchmark({("d", "valid_acc", None): va}).save(tmp_path / "one")
    one = Surrogate.load(tmp_path / "one")  # a one-surrogate SurrogateBenchmark folder
    np.testing.assert_array_equal(one.predict(CELLS[:5])[0], va.predict(CELLS[:5])[0])
    SurrogateBenchmark({("d", "valid_acc", None): va, ("d", "test_acc", None): te}).save(
        tmp_path / "two"
    )
    with pytest.raises(ModelFormatError, match="holds 2 surrogates"):
        Surrogate.load(tmp_path / "two")


def test_predict_names_metric_and_keeps_whole_arch(tmp_path):
    """Guards: "`snb predict` truncates arch strings ... and does not name the metric"."""
    from typer.testing import CliRunner

    from surrogate_nb.cli import app
    from surrogate_nb.regressors import fit_from_table
    from surrogate_nb.space import Arch
    from surrogate_nb.table import Benchmark

    b = Benchmark.open(_toy_table(tmp_path))
    s = fit_from_table(
        b, "d", "valid_acc", rng=np.random.default_rng(0),
        surrogate=Surrogate(LGBRegressor(n_estimators=10)),
    ).surrogate  # fmt: skip
    s.save(tmp_path / "m")  # what `snb fit` writes
    cells = ["6111", "9930"]  # same first 60 characters of their arch strings
    r = CliRunner().invoke(app, ["predict", str(tmp_path / "m"), *cells], terminal_width=80)
    assert r.exit_code == 0, r.output
    assert "mean valid_acc" in r.stdout and "d/valid_acc" in r.stdout
    shown: dict[str, str] = {}  # index -> arch column, folded lines joined
    row = None
    for line in r.stdout.splitlines():
        parts = line.split("│")
        if len(parts) < 4:
            continue
        row = parts[1].strip() or row
        shown[row] = shown.get(row, "") + parts[2].strip()
    assert shown == {c: str(Arch.from_index(int(c))) for c in cells}
    r = CliRunner().invoke(app, ["predict", str(tmp_path / "m"), "6111", "--json"])
    assert json.loads(r.stdout)[0]["metric"] == "valid_acc"
