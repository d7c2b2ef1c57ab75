"""`snb export MODEL --format syne-tune`: a curve surrogate at every cell, read back by syne-tune.

The surrogate is fitted (small) on the committed Fashion-MNIST table (real values); syne-tune's
own ``deserialize`` reads the export and every value checked equals the surrogate's prediction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.space import Arch

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "surrogate_nb/data/tables/fashion-mnist-lowfi"
DS, SIGNAL = "fashion-mnist-valid", "x-valid_acc"


@pytest.fixture(scope="module")
def st():
    return pytest.importorskip("syne_tune")


@pytest.fixture(scope="module")
def table():
    from surrogate_nb.table import Benchmark

    return Benchmark.open(TABLE)


@pytest.fixture(scope="module")
def saved(table, tmp_path_factory):
    from surrogate_nb.regressors import SurrogateBenchmark

    sb = SurrogateBenchmark.from_curves(
        table,
        DS,
        [SIGNAL, "test_acc"],
        rng=np.random.default_rng(0),
        params={"n_members": 2, "n_estimators": 40},
        calibrate=False,
    )
    return sb, sb.save(tmp_path_factory.mktemp("model") / "sb")


def test_exported_surrogate_equals_its_predictions(st, table, saved, tmp_path):
    from syne_tune.blackbox_repository.blackbox_tabular import deserialize
    from typer.testing import CliRunner

    from surrogate_nb.cli import app
    from surrogate_nb.evaluation.hpo import config_of

    sb, path = saved
    out = tmp_path / "bb"
    args = ["export", str(path), "--format", "syne-tune", "--out", str(out)]
    res = CliRunner().invoke(app, [*args, "--table", str(TABLE)])
    assert res.exit_code == 0, res.output
    bb = deserialize(str(out))[DS]
    assert len(bb.hyperparameters) == 15_625 and bb.num_seeds == 1
    np.testing.assert_array_equal(bb.fidelity_values, np.arange(1, 13))
    names = bb.objectives_names
    assert sorted(names[:2]) == ["metric_test_acc", f"metric_{SIGNAL}"]
    assert names[2] == "metric_elapsed_time"
    have = table.to_xy(DS, SIGNAL)[0]
    lacks = np.setdiff1d(np.arange(15_625), have)
    per_epoch = table.query(have, DS, "train_time_s") / 12
    for cell in (int(have[3]), int(lacks[0]), int(lacks[-1]), 6111):
        cfg = config_of(Arch.from_index(cell))
        for e in (1, 7, 12):
            got = bb.objective_function(cfg, fidelity={"epochs": e}, seed=0)
            for m in (SIGNAL, "test_acc"):
                want = sb.query(cell, DS, m, epoch=e - 1)
                assert got[f"metric_{m}"] == pytest.approx(want, rel=1e-6)
            # a table cell pays its own train time, a cell the table lacks the median
            want_s = per_epoch[have == cell][0] if cell in have else np.median(per_epoch)
            assert got["metric_elapsed_time"] == pytest.approx(want_s * e, rel=1e-5)
    # the whole curve of one row, as syne-tune reads it, is the surrogate's curve
    row = bb.hyperparameters.iloc[100].to_dict()
    np.testing.assert_allclose(
        bb.objective_function(row, seed=0)[:, names.index(f"metric_{SIGNAL}")],
        sb.curve(100, DS, SIGNAL),
        rtol=1e-6,
    )
    # without a table there is no training time: one line, no traceback
    res = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "bb2")])
    assert res.exit_code != 0 and "--table" in str(res.exception)
    assert isinstance(res.exception, SurrogateNBError)


def test_sampled_export_has_noise_model_seeds(st, table, saved, tmp_path):
    from syne_tune.blackbox_repository.blackbox_tabular import deserialize

    from surrogate_nb.evaluation.hpo_export import export_surrogate_blackbox

    sb, _ = saved
    out = export_surrogate_blackbox(
        sb, tmp_path / "bb", metrics=[SIGNAL], samples=3, rng=np.random.default_rng(0)
    )
    bb = deserialize(str(out))[DS]
    assert bb.num_seeds == 3 and bb.objectives_names[0] == f"metric_{SIGNAL}"
    values = bb.objectives_evaluations[:, :, :, 0]  # (cells, seeds, epochs)
    assert np.all(values.std(axis=1).mean(axis=0) > 0.5)  # seeds differ: noise-model draws
    mean = sb.curve(np.arange(15_625), DS, SIGNAL)
    assert np.abs(values.mean(axis=1) - mean).mean() < values.std(axis=1).mean()
    with pytest.raises(SurrogateNBError, match="rng"):
        export_surrogate_blackbox(sb, tmp_path / "x", samples=2)


def test_nb101_surrogate_is_refused_in_one_line(tmp_path):
    from surrogate_nb.evaluation.hpo_export import export_surrogate_blackbox
    from surrogate_nb.regressors import SurrogateBenchmark
    from surrogate_nb.regressors.curve import CurveSurrogate

    sb = SurrogateBenchmark({("cifar10", "valid_acc", None): CurveSurrogate(space="nb101")})
    with pytest.raises(SurrogateNBError, match=r"nb101 has 423,624 cells") as err:
        export_surrogate_blackbox(sb, tmp_path / "bb")
    assert "\n" not in str(err.value) and not (tmp_path / "bb").exists()
