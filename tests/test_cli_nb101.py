"""NB-101 on the command line: arch/space, import/query/best, fit --hp all, predict --archs-file."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from surrogate_nb.cli import app
from surrogate_nb.space import NB101

pytestmark = pytest.mark.xdist_group("nb101")


def _real_params(idx) -> list[int]:
    """The cells' true parameter counts (the importer checks them against the keys)."""
    from surrogate_nb.space.nb101_cost import params_padded
    from surrogate_nb.space.nb101_encodings import padded_arrays

    return params_padded(*padded_arrays(np.asarray(idx))).tolist()


@pytest.fixture(scope="module")
def nb101_table(tmp_path_factory, nb101_index):
    """A column-JSON NB-101 table of 300 cells, two budgets (SYNTHETIC accuracies)."""
    d = tmp_path_factory.mktemp("cli101")
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(NB101.size, 300, replace=False))
    from surrogate_nb.space.nb101_encodings import featurize

    signal = featurize(idx, "stats")[:, 0] / 50  # more conv3x3 -> higher accuracy
    data = {
        "key": [NB101.hash_of_index(int(i)) for i in idx],
        "12_final_validation_accuracy": (0.6 + signal + rng.normal(0, 0.01, 300)).tolist(),
        "108_final_validation_accuracy": (0.8 + signal + rng.normal(0, 0.01, 300)).tolist(),
        "final_training_time": rng.uniform(1000, 3000, 300).tolist(),
        "trainable_parameters": _real_params(idx),
    }
    (d / "cells.json").write_text(json.dumps(data))
    res = CliRunner().invoke(app, ["import", str(d / "cells.json"), "--out", str(d / "t")])
    assert res.exit_code == 0, res.output
    return d, idx


def test_arch_and_space(nb101_index):
    r = CliRunner()
    res = r.invoke(app, ["arch", "0", "--space", "nb101", "--json"])
    info = json.loads(res.output)
    assert (
        info["module_hash"] == NB101.hash_of_index(0)
        and info["costs"]["cifar10"]["params"] == 8_555_530
    )
    res = r.invoke(app, ["arch", "input,conv3x3,output;011,001,000", "--space", "nb101", "--json"])
    assert json.loads(res.output)["edges"] == 3
    res = r.invoke(app, ["space", "--space", "nb101", "--json"])
    info = json.loads(res.output)
    assert info["num_cells"] == 423_624 and sum(info["cells_by_vertices"].values()) == 423_624


def test_query_best_fit_predict(nb101_table, tmp_path):
    d, idx = nb101_table
    r = CliRunner()
    h = NB101.hash_of_index(int(idx[7]))
    res = r.invoke(
        app, ["query", str(d / "t"), h, "-d", "cifar10", "-m", "valid_acc", "--hp", "108", "--json"]
    )
    out = json.loads(res.output)
    assert out["arch"] == h and out["arch_index"] == idx[7] and 60 < out["value"] < 100
    res = r.invoke(
        app, ["best", str(d / "t"), "-d", "cifar10", "-m", "valid_acc", "--hp", "12", "--json"]
    )
    assert json.loads(res.output)["arch_index"] in set(idx.tolist())
    model = tmp_path / "m"
    fit = [
        "fit",
        str(d / "t"),
        "-d",
        "cifar10",
        "-m",
        "valid_acc",
        "--hp",
        "all",
        "--model",
        "lgb",
        "-o",
        str(model),
    ]
    res = r.invoke(app, fit)
    assert res.exit_code == 0, res.output
    cells = [
        NB101.hash_of_index(5),
        "# a comment",
        "",
        str(NB101.from_index(9)),
        NB101.hash_of_index(5),
    ]
    (tmp_path / "cells.txt").write_text("\n".join(cells) + "\n")
    res = r.invoke(
        app,
        [
            "predict",
            str(model),
            "--archs-file",
            str(tmp_path / "cells.txt"),
            "--hp",
            "108",
            "--json",
        ],
    )
    rows = json.loads(res.output)
    assert [row["arch"] for row in rows] == [
        NB101.hash_of_index(i) for i in (5, 9, 5)
    ]  # input order
    assert rows[0] == rows[2] and all(row["std"] > 0 and row["hp"] == "108" for row in rows)
    res = r.invoke(app, ["predict", str(model), NB101.hash_of_index(5), "--json"])
    assert [row["hp"] for row in json.loads(res.output)] == ["12", "108"]  # every budget


@pytest.mark.parametrize(
    "args",
    [
        ["arch", "f" * 32, "--space", "nb101"],
        ["arch", "input,conv5x5,output;011,001,000", "--space", "nb101"],
        ["arch", "0", "--space", "nb999"],
        ["arch", "sep3:0,sep3:0,sep3:0,sep3:1,sep3:1,skip:0,skip:0,dil3:2/x:0", "--space", "darts"],
    ],
)
def test_bad_cells_are_one_line(nb101_index, args):
    snb = [sys.executable, "-c", "from surrogate_nb.cli import main; main()"]
    res = subprocess.run([*snb, *args], capture_output=True, text=True)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
