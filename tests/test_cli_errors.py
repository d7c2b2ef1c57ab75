"""Every bad input at the command line: one line on stderr, non-zero exit, never a traceback.

Run in subprocesses (the issue's point: typer ships its own click, so only the real `main()`
path shows whether its usage errors are caught). One driver process runs all the cases through
`surrogate_nb.cli.main` (each with its own argv), so the suite pays one interpreter start; one
case also runs the installed ``snb`` script itself.
"""

from __future__ import annotations

import bz2
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surrogate_nb.table import write_table

# one worker runs the module: its fixture (one driver subprocess) then runs once
pytestmark = pytest.mark.xdist_group("cli_errors")

_DRIVER = r"""
import contextlib, io, json, sys
from surrogate_nb.cli import main
out = []
for argv in json.loads(sys.argv[1]):
    err, std = io.StringIO(), io.StringIO()
    sys.argv = ["snb", *argv]
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # noqa: BLE001 - escaped main(): a bug to report
            code = "escaped " + type(exc).__name__
    out.append({"argv": argv, "code": code, "stderr": err.getvalue()})
print(json.dumps(out))
"""


def _files(tmp: Path) -> dict[str, Path]:
    f = {}

    def w(name: str, text: str | bytes) -> None:
        p = tmp / name
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
        f[name] = p

    h = "index,cifar10_valid_acc_200\n"
    w("empty.csv", "")
    w("header.csv", h)
    w("text.csv", h + "0,abc\n")
    w("binary.csv", bytes(range(256)) * 4)
    w("frac.csv", h + "0.7,50\n1.7,60\n")
    w("cut.csv", h + "0,50\n1,60\n2,7")
    w("short_row.csv", h + "0,50\n1\n")
    w("big.csv", h + "0,1e300\n")
    w("inf.csv", h + "0,inf\n")
    w("fullwidth.csv", h + "１２,50\n")
    w("arabic.csv", h + "٣,50\n")
    w("hostile_hp.csv", "index,cifar10_test_acc_20000000\n0,1\n1,2\n2,3\n")
    w("hostile_hp2.csv", "index,cifar10_test_acc_99999999999\n0,1\n")
    w("bomb.pickle.pbz2", bz2.compress(b"\0" * (80 << 20)))
    pd.DataFrame({"index": pd.Series([], dtype="int64")}).to_parquet(tmp / "empty.parquet")
    f["empty.parquet"] = tmp / "empty.parquet"
    with zipfile.ZipFile(tmp / "model.pth", "w") as z:
        z.writestr("archive/data.pkl", b"not a pickle")
    f["model.pth"] = tmp / "model.pth"
    return f


@pytest.fixture(scope="session")  # once per worker (tests may interleave)
def cases(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli_errors")
    files = _files(tmp)
    trial = {
        "arch_index": 5,
        "dataset": "d",
        "hp": "12",
        "seed": 0,
        "epochs": 12,
        "status": "ok",
        "params_m": 1.0,
        "curves": {"valid_acc": [None] * 11 + [50.0]},
    }
    table = write_table(tmp / "t", [trial, {**trial, "arch_index": 9}], manifest={})
    flipped = tmp / "flipped"
    shutil.copytree(table, flipped)
    data = next((flipped / "data").glob("*.parquet"))
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    data.write_bytes(bytes(raw))
    t, o = str(table), str(tmp / "out")
    q = ["query", t]
    argvs = {
        "no argument": ["arch"],
        "unknown option": ["arch", "6111", "--bogus"],
        "negative index": ["arch", "-1"],
        "index too big": ["arch", "15625"],
        "unknown command": ["bogus"],
        "epoch not int": [*q, "5", "-d", "d", "-m", "valid_acc", "--epoch", "abc"],
        "superscript digit": [*q, "²", "-d", "d", "-m", "valid_acc"],
        "fullwidth digits": [*q, "１２", "-d", "d", "-m", "valid_acc"],
        "epoch without values": [*q, "5", "-d", "d", "-m", "valid_acc", "--epoch", "3"],
        "cost without values": [*q, "5", "-d", "d", "-m", "flops_m"],
        "cell without trial": [*q, "6", "-d", "d", "-m", "valid_acc"],
        "unknown dataset": [*q, "5", "-d", "nope", "-m", "valid_acc"],
        "byte-flipped parquet": ["query", str(flipped), "5", "-d", "d", "-m", "valid_acc"],
        "not a table": ["info", str(tmp)],
        "train size 0": ["fit", t, "-d", "d", "-m", "valid_acc", "--train-size", "0", "-o", o],
        "pth as nats": ["import", str(files["model.pth"]), "--format", "nats-tss", "--out", o],
        "broken pth": ["import", str(files["model.pth"]), "--out", o],
        "missing file": ["import", str(tmp / "missing.csv"), "--out", o],
    }
    for name, path in files.items():
        if name.endswith((".csv", ".parquet", ".pbz2")):
            argvs[name] = ["import", str(path), "--out", o]
    r = subprocess.run(
        [sys.executable, "-c", _DRIVER, json.dumps(list(argvs.values()))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout.strip().splitlines()[-1])
    return dict(zip(argvs, results)), tmp


EXPECT = {  # case -> a phrase the one line must hold (which value, what was expected)
    "no argument": "Missing argument",
    "unknown option": "No such option: --bogus",
    "negative index": "-1",
    "index too big": "out of range",
    "unknown command": "No such command 'bogus'",
    "epoch not int": "'--epoch'",
    "superscript digit": "ASCII digits",
    "fullwidth digits": "ASCII digits",
    "epoch without values": "values only at epochs 11",
    "cost without values": "records no flops_m",
    "cell without trial": "cell 6 has no trial",
    "unknown dataset": "unknown dataset 'nope'",
    "byte-flipped parquet": "snb info TABLE --verify",
    "not a table": "manifest.json",
    "train size 0": "train_size must be in 2..",
    "pth as nats": "zip archive",
    "broken pth": "not a readable torch .pth",
    "missing file": "no such file",
    "empty.csv": "empty file",
    "header.csv": "no data rows",
    "text.csv": "'abc' is not a number",
    "binary.csv": "binary file",
    "frac.csv": "'0.7' is not an integer",
    "cut.csv": "truncated",
    "short_row.csv": "has 1 fields, the header has 2",
    "big.csv": "'1e300' is infinite or beyond float32",
    "inf.csv": "'inf' is infinite",
    "fullwidth.csv": "ASCII digits",
    "arabic.csv": "ASCII digits",
    "hostile_hp.csv": "20,000,000 epochs",
    "hostile_hp2.csv": "99,999,999,999 epochs",
    "bomb.pickle.pbz2": "decompresses to more than",
    "empty.parquet": "no rows",
}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_one_line_error(cases, name):
    """Guards the issue's "errors as one line" list (usage errors and each listed traceback)."""
    results, _ = cases
    r = results[name]
    lines = [x for x in r["stderr"].splitlines() if x.strip()]
    assert isinstance(r["code"], int) and r["code"] != 0, r
    assert "Traceback" not in r["stderr"], r["stderr"]
    errors = [x for x in lines if x.startswith("error:")]
    assert errors == lines[-1:], r["stderr"]  # one error line, last (progress lines may precede)
    assert all(not x.startswith(" ") for x in lines), r["stderr"]
    assert EXPECT[name] in errors[0], errors[0]


def test_snb_script_usage_error_is_one_line(tmp_path):
    """The installed console script itself (not only `main()`): no traceback on a usage error."""
    snb = Path(sys.executable).with_name("snb")
    if not snb.is_file():
        pytest.skip("the snb console script is not installed next to this python")
    r = subprocess.run([str(snb), "arch"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "error: snb arch: Missing argument 'arch'. (see `snb arch --help`)"
    ]


def test_python_query_wrong_types_raise_package_errors(tmp_path):
    """``query(1.5)`` / ``query(None)`` raised TypeError "'float' object is not iterable"."""
    from surrogate_nb.errors import InvalidArchError
    from surrogate_nb.table import Benchmark

    t = {"arch_index": 1, "dataset": "d", "hp": "2", "seed": 0, "epochs": 2}
    b = Benchmark.open(write_table(tmp_path / "t", [{**t, "curves": {"a": [1, 2]}}], manifest={}))
    for bad in (1.5, None, object(), np.float64(2.0)):
        with pytest.raises(InvalidArchError):
            b.query(bad, "d", "a")
    assert b.query(np.array([1]), "d", "a").tolist() == [2.0]
