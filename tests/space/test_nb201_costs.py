"""Closed-form NB201 counts (what `snb arch` shows) against the torch module, and light commands
that never import torch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from surrogate_nb.space import Arch
from surrogate_nb.space.nb201_costs import flops_m, params_m

SETTINGS = [(10, 32, 3), (100, 32, 3), (120, 16, 3), (10, 8, 1), (10, 28, 1)]


def test_closed_form_equals_the_module():
    """Two independent derivations (formula here, hooks on the real module there) agree on
    cost classes that use each term, in five settings (incl. odd stage sizes 28 -> 14 -> 7)."""
    from surrogate_nb.network import count_flops, count_params

    for n3, n1, settings in ((1, 0, SETTINGS[1:3]), (2, 3, SETTINGS[3:])):
        ops = ["nor_conv_3x3"] * n3 + ["nor_conv_1x1"] * n1
        arch = Arch.from_ops(ops + ["skip_connect"] * (6 - len(ops)))
        for classes, res, cin in settings:
            assert params_m(arch, classes, cin) == pytest.approx(
                count_params(arch, classes, cin), abs=1e-12
            )
            assert flops_m(arch, classes, res, cin) == pytest.approx(
                count_flops(arch, classes, res, cin), abs=1e-12
            )


def test_nb201_published_values():
    """The published ranges (../shared/PROTOCOL.md): params 0.073306 (all none) .. 1.531546 M
    (all conv3x3) on CIFAR-10; FLOPs 7.78305 .. 220.11969 (CIFAR-10), 1.9534 .. 55.03756
    (ImageNet16-120)."""
    none, big = Arch.from_ops(["none"] * 6), Arch.from_ops(["nor_conv_3x3"] * 6)
    assert params_m(none, 10) == pytest.approx(0.073306, abs=1e-6)
    assert params_m(big, 10) == pytest.approx(1.531546, abs=1e-6)
    assert flops_m(none, 10) == pytest.approx(7.78305, abs=1e-5)
    assert flops_m(big, 10) == pytest.approx(220.11969, abs=1e-5)
    assert flops_m(none, 120, 16) == pytest.approx(1.9534, abs=1e-4)
    assert flops_m(big, 120, 16) == pytest.approx(55.03756, abs=1e-5)


_PROBE = """
import contextlib, io, json, sys
from surrogate_nb.cli import main
sys.argv = ["snb", *json.loads(sys.argv[1])]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit as exc:
        assert not exc.code, exc.code
heavy = sorted(m for m in ("torch", "xgboost", "lightgbm", "optuna", "sklearn", "ray",
                           "matplotlib", "pandas") if m in sys.modules)
print(json.dumps(heavy))
"""


@pytest.mark.parametrize("argv", [["arch", "6111"], ["arch", "6111", "--json"], ["--help"]])
def test_light_commands_import_no_heavy_library(argv):
    """Guards: "`snb arch 6111` takes 14 s and 840 MB (startup imports)"."""
    r = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == []
