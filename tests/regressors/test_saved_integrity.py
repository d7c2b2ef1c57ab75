"""Saved surrogates: an edited manifest is refused; replacing a saved model is crash-safe."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from surrogate_nb.errors import ModelFormatError
from surrogate_nb.regressors import Surrogate
from surrogate_nb.regressors import surrogate as sm

CELLS = np.arange(0, 15625, 97)[:80]


def _fit(seed: int = 0) -> Surrogate:
    y = 60 + (CELLS % 13).astype(float)
    return Surrogate("lgb", params={"n_estimators": 20}).fit(
        CELLS, y, rng=np.random.default_rng(seed)
    )


@pytest.fixture(scope="module")
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
import os, sys, numpy as np
from surrogate_nb.regressors import Surrogate
real, n = os.replace, []
def replace(a, b):
    n.append(a)
    real(a, b)
    if ".old-" in str(b):
        os._exit(9)  # killed between moving the old model aside and moving the new one in
cells = np.arange(0, 15625, 97)[:80]
s = Surrogate("lgb", params={{"n_estimators": 20}}).fit(
    cells, 50 + (cells % 7).astype(float), rng=np.random.default_rng(1))
os.replace = replace
s.save({path!r})
"""


def test_kill_between_renames_keeps_old_model(saved, tmp_path):
    """Guards: "the surrogate writer deletes the old model first"."""
    import shutil

    path = tmp_path / "model"
    shutil.copytree(saved, path)
    before = Surrogate.load(path).predict(CELLS[:10])
    r = subprocess.run([sys.executable, "-c", _KILL.format(path=str(path))], capture_output=True)
    assert r.returncode == 9, r.stderr
    assert not path.exists()
    after = Surrogate.load(path).predict(CELLS[:10])  # restored: the old complete model
    np.testing.assert_array_equal(before[0], after[0])
    _fit(2).save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # stale .tmp-/.old- cleaned
