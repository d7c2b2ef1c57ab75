"""`snb import / info / query / best` through typer's CliRunner."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from surrogate_nb.cli import app
from surrogate_nb.space import Arch


def test_cli_round_trip(tmp_path):
    idx = np.array([1, 2, 3])
    pd.DataFrame(
        {
            "index": idx,
            "d_valid_acc_12_run0": [10.0, 30.0, 20.0],
            "d_valid_acc_12_run1": [12.0, 32.0, np.nan],
        }
    ).to_csv(tmp_path / "w.csv", index=False)
    r = CliRunner()
    res = r.invoke(app, ["import", str(tmp_path / "w.csv"), "--out", str(tmp_path / "t")])
    assert res.exit_code == 0, res.output
    res = r.invoke(app, ["info", str(tmp_path / "t"), "--verify"])
    assert res.exit_code == 0 and "checksums OK" in res.output
    res = r.invoke(app, ["query", str(tmp_path / "t"), "2", "-d", "d", "-m", "valid_acc", "--json"])
    out = json.loads(res.output)
    assert out["value"] == 31.0 and out["n_seeds"] == 2
    res = r.invoke(
        app,
        [
            "query",
            str(tmp_path / "t"),
            str(Arch.from_index(3)),
            "-d",
            "d",
            "-m",
            "valid_acc",
            "--seed",
            "1",
            "--json",
        ],
    )
    assert json.loads(res.output)["value"] is None
    res = r.invoke(app, ["best", str(tmp_path / "t"), "-d", "d", "-m", "valid_acc", "--json"])
    assert json.loads(res.output)["arch_index"] == 2
    res = r.invoke(app, ["query", str(tmp_path / "t"), "2", "-d", "nope", "-m", "valid_acc"])
    assert res.exit_code != 0 and "'d'" in str(res.exception)
