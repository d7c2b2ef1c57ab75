"""Issue 22 ("trust, round two") at the command line: no input destroys a result, work that
cannot succeed is refused before it starts, and every refusal is one line with the right exit
code (2: the input; 3: the machine). Same driver as `test_cli_errors` (one interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli_errors import _DRIVER

from surrogate_nb.table import Benchmark, write_table

pytestmark = pytest.mark.xdist_group("cli_trust")


def _trial(i: int) -> dict:
    return {
        "arch_index": i,
        "dataset": "d",
        "hp": "12",
        "seed": 0,
        "epochs": 12,
        "status": "ok",
        "params_m": 1.0,
        "train_time_s": 10.0,
        "curves": {"valid_acc": [None] * 11 + [50.0 + i]},
    }


def _fake_model(path: Path) -> Path:
    """A folder that `kind_of` reads as a saved model (its manifest's format)."""
    path.mkdir()
    (path / "manifest.json").write_text(json.dumps({"format": "surrogate-nb/surrogate"}))
    (path / "model.ubj").write_bytes(b"weights")
    return path


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli_trust")
    table = write_table(tmp / "t", [_trial(i) for i in (5, 9, 11)], manifest={})
    other = write_table(tmp / "t2", [_trial(i) for i in (5, 9)], manifest={})
    model = _fake_model(tmp / "model")
    (tmp / "a_file").write_text("x")
    csv = tmp / "cells.csv"
    csv.write_text("index,cifar10_valid_acc_200\n0,50\n1,60\n")
    wide = tmp / "wide.csv"
    cols = [f"ds{k}_valid_acc_12" for k in range(300)]
    wide.write_text("index," + ",".join(cols) + "\n0," + ",".join(["50"] * 300) + "\n")
    badutf = tmp / "badutf"
    write_table(badutf, [_trial(5)], manifest={})
    raw = (badutf / "manifest.json").read_bytes()
    (badutf / "manifest.json").write_bytes(raw[:20] + b"\xff\xfe" + raw[22:])
    deep = tmp / "deep.json"
    deep.write_text('{"4_final_validation_accuracy": ' + "[" * 50_000 + "]" * 50_000 + "}")
    t, o = str(table), str(tmp / "out")
    m = ["-d", "d", "-m", "valid_acc"]
    argvs = {
        "import over a model": ["import", str(csv), "--out", str(model)],
        "fit over a table": ["fit", t, *m, "-o", str(other)],
        "fit under a file": ["fit", t, *m, "-o", str(tmp / "a_file" / "x")],
        "import over a file": ["import", str(csv), "--out", str(tmp / "a_file")],
        "best median": ["best", t, *m, "--mode", "median"],
        "rng seed -1": ["query", t, "5", *m, "--seed", "sample", "--rng-seed=-1"],
        "build tpu": ["build", "--dataset", "fashion-mnist-valid", "--out", o, "--device", "tpu"],
        "build engine": ["build", "--dataset", "fashion-mnist-valid", "--out", o, "--engine", "x"],
        "build over a model": ["build", "--dataset", "fashion-mnist-valid", "--out", str(model)],
        "search budget inf": ["search", t, *m, "--budget", "inf", "--out", o],
        "search cost epochs": ["search", t, *m, "--cost-epochs=-1", "--out", o],
        "optimizers runs 0": ["study", "optimizers", "--table", t, *m, "--runs", "0"],
        "optimizers budget": ["study", "optimizers", "--table", t, *m, "--budget=-1"],
        "optimizers signal": ["study", "optimizers", "--table", t, *m, "--signal", "bogus"],
        "train-size sizes 0": ["study", "train-size", "--table", t, *m, "--sizes", "0", "-o", o],
        "csv of 300 settings": ["import", str(wide), "--out", o],
        "non-UTF-8 manifest": ["info", str(badutf)],
        "deeply nested json": ["import", str(deep), "--format", "nb101-json", "--out", o],
    }
    r = subprocess.run(
        [sys.executable, "-c", _DRIVER, json.dumps(list(argvs.values()))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout.strip().splitlines()[-1])
    return dict(zip(argvs, results)), tmp


EXPECT = {  # case -> (exit code, a phrase the one line must hold)
    "import over a model": (2, "holds a surrogate-nb model; refusing to replace it with a table"),
    "fit over a table": (2, "holds a surrogate-nb table; refusing to replace it with a model"),
    "fit under a file": (2, "is not a directory"),
    "import over a file": (2, "holds a file"),
    "best median": (2, "mode must be 'max' or 'min', got 'median'"),
    "rng seed -1": (2, "--rng-seed"),
    "build tpu": (2, "--device 'tpu' is not a device"),
    "build engine": (2, "--engine must be 'fast' or 'reference', got 'x'"),
    "build over a model": (2, "holds a surrogate-nb model"),
    "search budget inf": (2, "budget must be a finite number"),
    "search cost epochs": (2, "cost_epochs must be an integer >= 1"),
    "optimizers runs 0": (2, "--runs must be an integer >= 1, got 0"),
    "optimizers budget": (2, "budget must be a finite number of simulated seconds > 0, got -1"),
    "optimizers signal": (2, "unknown --signal 'bogus'"),
    "train-size sizes 0": (2, "--sizes must be training-set sizes >= 2, got 0"),
    "csv of 300 settings": (2, "300 (dataset, hp) settings; one import writes at most 256"),
    "non-UTF-8 manifest": (2, "manifest.json is not UTF-8"),
    "deeply nested json": (2, "nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_refused_in_one_line_before_work(cases, name):
    results, _ = cases
    r = results[name]
    code, phrase = EXPECT[name]
    lines = [x for x in r["stderr"].splitlines() if x.strip()]
    assert r["code"] == code, r
    assert "Traceback" not in r["stderr"] and "a bug in surrogate-nb" not in r["stderr"], r
    errors = [x for x in lines if x.startswith("error:")]
    assert errors == lines[-1:], r["stderr"]
    assert phrase in errors[0], errors[0]


def test_refusals_left_every_object_in_place(cases):
    """Item 1: the model, the table and the file that the commands above aimed at are intact,
    and nothing was written where the refused commands pointed."""
    _, tmp = cases
    assert json.loads((tmp / "model" / "manifest.json").read_text())["format"].endswith(
        "/surrogate"
    )
    assert (tmp / "model" / "model.ubj").read_bytes() == b"weights"
    assert Benchmark.open(tmp / "t2").datasets() == ["d"]
    assert (tmp / "a_file").read_text() == "x"
    assert not (tmp / "out").exists()
    assert not [p for p in tmp.iterdir() if p.name.startswith(".") and "tmp-" in p.name]


def test_machine_errors_are_named_with_their_own_exit_code():
    """Item 4: a full disk during `snb fit` surfaced as "unexpected XGBoostError ... a bug"."""
    import errno

    from xgboost.core import XGBoostError

    from surrogate_nb.cli import EXIT_MACHINE, machine_error

    disk = XGBoostError("[12:00:00] ../src/common/io.cc:99: No space left on device")
    assert "no space left on the device (XGBoostError" in machine_error(disk)
    assert "no space left" in machine_error(OSError(errno.ENOSPC, "x", "/out/m.ubj"))
    assert "/out/m.ubj" in machine_error(OSError(errno.ENOSPC, "x", "/out/m.ubj"))
    try:
        try:
            raise OSError(errno.EDQUOT, "quota")
        except OSError as inner:
            raise RuntimeError("save failed") from inner
    except RuntimeError as wrapped:
        assert "no space left" in machine_error(wrapped)
    assert machine_error(ValueError("bad")) is None
    assert machine_error(OSError(errno.ENOENT, "gone")) is None
    assert EXIT_MACHINE == 3


_FIT = ["-d", "d", "-m", "valid_acc"]
_FULL_DISK_DRIVER = r"""
import sys
import surrogate_nb.regressors.surrogate as s
from xgboost.core import XGBoostError
def full(*a, **k):
    raise XGBoostError("[00:00:00] src/c_api/c_api.cc:1: No space left on device")
s.Surrogate.save = full
from surrogate_nb.cli import main
sys.argv = ["snb", *sys.argv[1:]]
main()
"""


def test_full_disk_during_fit_is_one_line_exit_3(cases):
    _, tmp = cases
    out = tmp / "fitted"
    r = subprocess.run(
        [sys.executable, "-c", _FULL_DISK_DRIVER, "fit", str(tmp / "t"), *_FIT, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 3, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("error: no space left on the device")
    assert "Traceback" not in r.stderr


def test_second_writer_is_refused_while_the_first_holds_the_output(tmp_path):
    """Item 6: two writers to one --out both reported success; the last one won silently."""
    from surrogate_nb import _atomic
    from surrogate_nb.errors import OutputError

    out = tmp_path / "t"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from surrogate_nb._atomic import writer_lock\n"
            f"with writer_lock({str(out)!r}):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(
            OutputError, match=rf"being written by another process \(pid {holder.pid}\)"
        ):
            write_table(out, [_trial(5)], manifest={})
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    write_table(out, [_trial(5)], manifest={})  # the lock died with its holder
    assert Benchmark.open(out).datasets() == ["d"]
    assert not (tmp_path / ".t.lock").exists()  # removed on release
    with _atomic.writer_lock(out), _atomic.writer_lock(out):  # re-entrant in one process
        write_table(out, [_trial(9)], manifest={})


def test_tables_and_models_follow_the_umask(tmp_path):
    """Item 6: tables and models were written 0700 (`mkdtemp`), unreadable to colleagues."""
    old = os.umask(0o022)
    try:
        table = write_table(tmp_path / "t", [_trial(5)], manifest={})
    finally:
        os.umask(old)
    assert table.stat().st_mode & 0o777 == 0o755
    old = os.umask(0o077)
    try:
        private = write_table(tmp_path / "p", [_trial(5)], manifest={})
    finally:
        os.umask(old)
    assert private.stat().st_mode & 0o777 == 0o700


def test_library_writers_replace_only_their_own_kind(tmp_path):
    """Item 1 in the library: `write_table` over a model, `Surrogate.save` over a table."""
    import numpy as np

    from surrogate_nb.errors import OutputError
    from surrogate_nb.regressors import Surrogate, XGBRegressor

    model = _fake_model(tmp_path / "model")
    with pytest.raises(OutputError, match="holds a surrogate-nb model"):
        write_table(model, [_trial(5)], manifest={})
    table = write_table(tmp_path / "t", [_trial(5)], manifest={})
    s = Surrogate(XGBRegressor(n_estimators=5, n_members=2), calibrate=False)
    s.fit(np.arange(20), np.linspace(50, 60, 20), rng=np.random.default_rng(0))
    with pytest.raises(OutputError, match="holds a surrogate-nb table"):
        s.save(table)
    assert Benchmark.open(table).datasets() == ["d"]
    s.save(tmp_path / "m")
    s.save(tmp_path / "m")  # a model replaces a model
    assert Surrogate.load(tmp_path / "m").predict(np.arange(3))[0].shape == (3,)
