"""Integrity on by default: byte flips, manifest edits, crash-safe replacement of a table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_format import make_trials

from surrogate_nb.errors import OutputError, SurrogateNBError, TableFormatError
from surrogate_nb.table import Benchmark, write_table
from surrogate_nb.table import _format as fmt


def _snapshot(path: Path, *, checksums: bool | None = None) -> dict:
    """Every value a user can read: curves of all cells/seeds/epochs and costs."""
    fmt._VERIFIED.clear()  # a fresh process: nothing verified yet
    b = Benchmark.open(path, checksums=checksums)
    out = {}
    for ds in b.datasets():
        for m in b.metrics(ds):
            out[(ds, m)] = np.array(b.array(ds, m), dtype=np.float64)
    out["best"] = b.best("toy-a", "valid_acc")[1]
    return out


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        np.array_equal(a[k], b[k], equal_nan=True) for k in a if k != "best"
    )


@pytest.fixture()
def table(tmp_path):
    return write_table(tmp_path / "t", make_trials(n_cells=12), manifest={"command": "test"})


def test_byte_flip_probe_finds_no_silent_change(table):
    """The issue's probe: one byte flipped (same size) at 160 offsets across a data file; each
    open + read must raise or give the original numbers. Guards: "silently wrong numbers"."""
    base = _snapshot(table)
    f = next((table / "data").glob("*.parquet"))
    raw = f.read_bytes()
    offsets = sorted(set(np.linspace(0, len(raw) - 1, 160).astype(int).tolist()))
    silent = caught = 0
    for off in offsets:
        bad = bytearray(raw)
        bad[off] ^= 0x5A
        f.write_bytes(bytes(bad))
        try:
            got = _snapshot(table)
        except SurrogateNBError:
            caught += 1
        else:
            silent += not _same(got, base)
    f.write_bytes(raw)
    assert silent == 0
    assert caught == len(offsets)  # sha256 on first read: every flip is refused
    assert _same(_snapshot(table), base)


def test_damaged_file_error_names_file_and_verify(table):
    f = table / "data" / fmt.file_name("toy-a", "4")
    raw = bytearray(f.read_bytes())
    raw[len(raw) // 2] ^= 1
    f.write_bytes(bytes(raw))
    fmt._VERIFIED.clear()
    b = Benchmark.open(table)  # open stays cheap (sizes match)
    with pytest.raises(TableFormatError, match=r"damaged.*snb info TABLE --verify"):
        b.query(0, "toy-a", "valid_acc")


def test_checksum_once_per_file_and_opt_out(table, monkeypatch):
    calls = []
    real = fmt.sha256_file
    monkeypatch.setattr(fmt, "sha256_file", lambda p, *a: calls.append(p) or real(p, *a))
    fmt._VERIFIED.clear()
    b = Benchmark.open(table)
    assert b.checksums is True  # on by default
    b.query(0, "toy-a", "valid_acc")
    b.query(0, "toy-a", "train_loss")
    Benchmark.open(table).query(7, "toy-a", "valid_acc")
    assert len(calls) == 1  # first read of that file in this process only
    fmt._VERIFIED.clear()
    Benchmark.open(table, checksums=False).query(0, "toy-b", "valid_acc")
    monkeypatch.setenv("SNB_CHECKSUMS", "off")
    Benchmark.open(table).query(0, "toy-b", "train_loss")
    assert len(calls) == 1  # the explicit opt-outs hash nothing


def test_page_checksums_are_written(table):
    import pyarrow.parquet as pq

    f = table / "data" / fmt.file_name("toy-a", "4")
    # a flip inside a data page is caught by Parquet's own CRC even with sha256 off
    pf = pq.ParquetFile(f)
    col = pf.metadata.row_group(0).column(pf.schema_arrow.get_field_index("valid_acc"))
    start = col.data_page_offset
    raw = bytearray(f.read_bytes())
    raw[start + col.total_compressed_size - 4] ^= 0xFF
    f.write_bytes(bytes(raw))
    with pytest.raises(TableFormatError, match="damaged"):
        Benchmark.open(table, checksums=False).query(0, "toy-a", "valid_acc")


def _edit(table: Path, change, *, reseal: bool) -> None:
    mpath = table / "manifest.json"
    m = json.loads(mpath.read_text())
    change(m)
    if reseal:
        m["manifest_sha256"] = fmt.manifest_digest(m)
    mpath.write_text(json.dumps(m))


EDITS = {
    "epochs": lambda m: m["settings"][0].update(epochs=3),
    "seeds": lambda m: m["settings"][0].update(seeds=[777, 999]),
    "absolute file": lambda m: m["settings"][0].update(file="/etc/passwd"),
    "file outside": lambda m: m["settings"][0].update(file="../x.parquet"),
    "emptied files": lambda m: m.update(files={}),
    "negative epochs": lambda m: m["settings"][0].update(epochs=-1),
    "huge epochs": lambda m: m["settings"][0].update(epochs=20_000_000),
    "seed text": lambda m: m["settings"][0].update(seeds=["777"]),
    "bad sha": lambda m: next(iter(m["files"].values())).update(sha256="00"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_manifest_edit_is_refused(table, name):
    """An edited manifest fails its checksum; Guards: "manifest.json itself is unprotected"."""
    _edit(table, EDITS[name], reseal=False)
    with pytest.raises(TableFormatError, match="manifest_sha256"):
        Benchmark.open(table)


@pytest.mark.parametrize(
    "name",
    ["absolute file", "file outside", "emptied files", "negative epochs", "huge epochs",
     "seed text", "bad sha"],
)  # fmt: skip
def test_manifest_schema_even_with_valid_checksum(table, name):
    """Schema rules hold on their own (a resealed, hand-made manifest is still checked)."""
    _edit(table, EDITS[name], reseal=True)
    with pytest.raises(TableFormatError):
        Benchmark.open(table)


def test_unlisted_data_file_and_missing_checksum(table):
    (table / "data" / "extra.parquet").write_bytes(b"x")
    with pytest.raises(TableFormatError, match="not listed"):
        Benchmark.open(table)
    (table / "data" / "extra.parquet").unlink()
    _edit(table, lambda m: m.pop("manifest_sha256"), reseal=False)
    with pytest.raises(TableFormatError, match="no manifest_sha256"):
        Benchmark.open(table)
    fmt.seal_manifest(table)  # the documented way to seal a checked legacy table
    assert Benchmark.open(table).datasets() == ["toy-a", "toy-b"]


_KILL_BETWEEN_RENAMES = """
import os, sys
sys.path.insert(0, {tests!r})
from surrogate_nb.table import write_table
from test_format import make_trials
real, calls = os.replace, []
def replace(a, b):
    calls.append(a)
    real(a, b)
    if len(calls) == 1 and ".old-" in str(b):
        os._exit(9)  # killed between moving the old table aside and moving the new one in
os.replace = replace
write_table({path!r}, make_trials(n_cells=3, datasets=("new",)), manifest={{}})
"""


def test_kill_between_renames_keeps_old_table(table, tmp_path):
    """Guards: "a kill between the two renames leaves no table at the path"."""
    before = _snapshot(table)
    code = _KILL_BETWEEN_RENAMES.format(tests=str(Path(__file__).parent), path=str(table))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 9, r.stderr
    assert not table.exists()  # the window the kill hit
    assert any(p.name.startswith(".t.old-") for p in tmp_path.iterdir())
    assert _same(_snapshot(table), before)  # a reader restores the old complete table
    write_table(table, make_trials(n_cells=2, datasets=("again",)), manifest={})
    assert Benchmark.open(table).datasets() == ["again"]
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".t.")]
    assert left == []  # the next write cleaned the dead writer's .tmp-/.old- folders


def test_replace_refuses_foreign_directory(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not a surrogate-nb object; refusing to replace"):
        write_table(d, make_trials(n_cells=2), manifest={})
    assert (d / "notes.txt").read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]


def test_recorded_epochs_and_costs_in_manifest(tmp_path):
    trials = make_trials(n_cells=3, datasets=("toy",))
    for t in trials:
        t["curves"]["valid_acc"] = [None, None, 50.0, None]
    b = Benchmark.open(write_table(tmp_path / "t", trials, manifest={}))
    s = b.manifest["settings"][0]
    assert s["recorded"] == {"train_loss": "0-3", "valid_acc": "2"}
    assert s["costs_recorded"] == ["params_m", "latency_s", "train_time_s"]  # flops_m: none


def test_refuses_more_epochs_than_the_cap(tmp_path):
    t = make_trials(n_cells=1, datasets=("toy",), T=4)[0]
    t["epochs"] = fmt.MAX_EPOCHS + 1
    t["curves"] = {"valid_acc": np.zeros(fmt.MAX_EPOCHS + 1)}
    with pytest.raises(TableFormatError, match=r"outside 1\.\.10000"):
        write_table(tmp_path / "t", [t], manifest={})


def test_env_opt_out_values(monkeypatch):
    for v in ("off", "0", "false", "NO"):
        monkeypatch.setenv("SNB_CHECKSUMS", v)
        assert not fmt.checksums_enabled()
    monkeypatch.setenv("SNB_CHECKSUMS", "on")
    assert fmt.checksums_enabled()
    monkeypatch.delenv("SNB_CHECKSUMS")
    assert fmt.checksums_enabled() and os.environ.get("SNB_CHECKSUMS") is None


def test_hostile_nats_epochs_refused_before_allocation():
    """Bounded memory: a record claiming 10^11 epochs is refused, not allocated."""
    from surrogate_nb.table.importers.nats import result_to_trial

    with pytest.raises(TableFormatError, match="outside"):
        result_to_trial(1, "200", "cifar10", 777, {"epochs": 99_999_999_999})


def test_bz2_cap_refuses_before_expanding():
    import bz2

    from surrogate_nb.table.importers._safe_pickle import decompress_capped

    raw = bz2.compress(b"\0" * (4 << 20))
    assert decompress_capped(raw, "x", cap=4 << 20) == b"\0" * (4 << 20)
    with pytest.raises(TableFormatError, match="more than"):
        decompress_capped(raw, "x", cap=1 << 20)
    with pytest.raises(TableFormatError, match="truncated"):
        decompress_capped(raw[: len(raw) // 2], "x")


# ---- issue 22: redundant fields cross-checked, errors in the right class ----------------------


def _swap_setting_files(m: dict) -> None:
    """Point each setting at the other's file, with `files` renamed to match (as a hand edit
    that keeps file names consistent would)."""
    a, b = m["settings"][0], m["settings"][1]
    a["file"], b["file"] = b["file"], a["file"]


def _swap_files_on_disk(table: Path) -> None:
    """Swap the two data files' bytes and their `files` checksums: every name and checksum
    agrees, only the files' own setting tag can tell."""
    m = json.loads((table / "manifest.json").read_text())
    (fa, ia), (fb, ib) = list(m["files"].items())
    pa, pb = table / fa, table / fb
    ra, rb = pa.read_bytes(), pb.read_bytes()
    pa.write_bytes(rb)
    pb.write_bytes(ra)
    for info, other in ((ia, ib), (ib, ia)):
        info["sha256_new"] = other["sha256"]
        info["bytes_new"] = other["bytes"]
    for info in (ia, ib):
        info["sha256"], info["bytes"] = info.pop("sha256_new"), info.pop("bytes_new")
    m["manifest_sha256"] = fmt.manifest_digest(m)
    (table / "manifest.json").write_text(json.dumps(m))


def test_swapped_setting_files_are_refused(table):
    """Issue 22 item 3: with two setting files swapped and the checksum recomputed, every
    answer of one dataset was the other's."""
    _edit(table, _swap_setting_files, reseal=True)
    with pytest.raises(TableFormatError, match="listed for dataset"):
        Benchmark.open(table)


def test_files_swapped_on_disk_are_refused_at_first_read(table):
    fmt._VERIFIED.clear()
    _swap_files_on_disk(table)
    b = Benchmark.open(table)  # names, sizes and checksums all agree
    with pytest.raises(TableFormatError, match="files were swapped"):
        b.query(0, "toy-a", "valid_acc")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda m: m["settings"][0].update(cells=10_000), "cells must be"),
        (lambda m: m["settings"][0].update(epoch_values=[1, 2]), "epoch_values"),
        (lambda m: m["settings"][0].update(costs_recorded=["bogus"]), "costs_recorded"),
        (lambda m: m["settings"][0].update(rows=23), "holds 24 rows"),
    ],
)
def test_redundant_manifest_fields_are_cross_checked(table, change, words):
    fmt._VERIFIED.clear()
    _edit(table, change, reseal=True)
    with pytest.raises(TableFormatError, match=words):
        Benchmark.open(table, checksums=False).query(0, "toy-a", "valid_acc")


def test_non_utf8_manifest_is_a_format_error_naming_the_file(table):
    """Issue 22 item 4: a raw UnicodeDecodeError reached the CLI as "a bug"."""
    mpath = table / "manifest.json"
    raw = mpath.read_bytes()
    mpath.write_bytes(raw[:10] + b"\xff" + raw[11:])
    with pytest.raises(TableFormatError, match=r"manifest\.json is not UTF-8"):
        Benchmark.open(table)
    from surrogate_nb.compat import nats

    with pytest.raises(TableFormatError, match="not UTF-8"):
        nats.create(str(table), "tss", fast_mode=True, verbose=False)


def test_deeply_nested_manifest_is_a_format_error(table):
    (table / "manifest.json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(TableFormatError, match="nested too deeply"):
        Benchmark.open(table)


def test_checksum_cache_rehashes_a_file_changed_in_place(table):
    """The cache of verified files is keyed by (path, size, mtime, inode): a file damaged after
    its first read is hashed again, whether rewritten in place or replaced by another inode."""
    fmt._VERIFIED.clear()
    Benchmark.open(table).query(0, "toy-a", "valid_acc")  # verified and remembered
    f = table / "data" / fmt.file_name("toy-a", "4")
    raw = f.read_bytes()
    st = f.stat()
    bad = bytearray(raw)
    bad[len(bad) // 2] ^= 1
    with open(f, "r+b") as fh:  # in place: same inode and size, new mtime
        fh.write(bytes(bad))
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    with pytest.raises(TableFormatError, match=r"damaged|sha256"):
        Benchmark.open(table).query(0, "toy-a", "valid_acc")
    # same size and mtime as the verified file, but another inode
    f.write_bytes(raw)
    fmt._VERIFIED.clear()
    Benchmark.open(table).query(0, "toy-a", "valid_acc")
    st = f.stat()
    other = f.with_name("other.tmp")
    other.write_bytes(bytes(bad))
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, f)
    assert f.stat().st_mtime_ns == st.st_mtime_ns and f.stat().st_size == st.st_size
    with pytest.raises(TableFormatError, match=r"damaged|sha256"):
        Benchmark.open(table).query(0, "toy-a", "valid_acc")
