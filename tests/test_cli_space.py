"""`snb arch` and `snb space`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from surrogate_nb.cli import app

runner = CliRunner()


def test_arch_json_by_index_and_string():
    out = runner.invoke(app, ["arch", "6111", "--json"])
    assert out.exit_code == 0, out.output
    info = json.loads(out.output)
    assert info["index"] == 6111 and info["connected"]
    assert abs(info["costs"]["cifar10"]["flops_m"] - 153.27297) < 1e-4
    again = json.loads(runner.invoke(app, ["arch", info["arch_str"], "--json"]).output)
    assert again == info


def test_arch_table_output():
    out = runner.invoke(app, ["arch", "0"])
    assert out.exit_code == 0 and "ImageNet16-120" in out.output and "avg_pool_3x3" in out.output


def test_bad_arch_is_one_clear_error():
    from surrogate_nb.errors import InvalidArchError

    out = runner.invoke(app, ["arch", "|conv~0|"])
    assert out.exit_code != 0
    assert isinstance(out.exception, InvalidArchError) and "conv" in str(out.exception)


def test_main_turns_errors_into_one_line(capsys, monkeypatch):
    import sys

    import pytest

    from surrogate_nb.cli import main

    monkeypatch.setattr(sys, "argv", ["snb", "arch", "15625"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "15625" in err and "Traceback" not in err


def test_space_summary():
    out = runner.invoke(app, ["space", "--json"])
    info = json.loads(out.output)
    assert info["num_cells"] == 15625
    assert info["num_isomorphism_classes"] == 6466
    assert info["num_disconnected"] == 341
    assert sum(int(k) * v for k, v in info["class_size_histogram"].items()) == 15625
