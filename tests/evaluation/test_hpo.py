"""syne-tune adapter (`evaluation/hpo/`), export, method runners and the README example.

Runs on the committed Fashion-MNIST table (real values, 425 cells × 3 seeds × 12 epochs). The
tests that need syne-tune skip without the ``hpo`` extra (it is in ``dev``, so `make test` runs
them); the missing-extra path is tested by hiding the module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from surrogate_nb.space import Arch

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "surrogate_nb/data/tables/fashion-mnist-lowfi"
DS, SIGNAL = "fashion-mnist-valid", "x-valid_acc"


@pytest.fixture(scope="module")
def table():
    from surrogate_nb.table import Benchmark

    return Benchmark.open(TABLE)


@pytest.fixture(scope="module")
def st():
    return pytest.importorskip("syne_tune")


def test_blackbox_answers_the_tables_curves(st, table):
    from surrogate_nb.evaluation.hpo import config_of, to_blackbox

    bb = to_blackbox(table, DS, SIGNAL, report_metric="test_acc")
    assert bb.objectives_names == [SIGNAL, "test_acc", "elapsed_time"]
    cell = int(table.to_xy(DS, SIGNAL)[0][7])
    cfg = config_of(Arch.from_index(cell))
    values = bb.objective_function(cfg)  # (T, objectives), all fidelities
    np.testing.assert_allclose(values[:, 0], table.curve(cell, DS, SIGNAL), rtol=1e-6)
    one = bb.objective_function(cfg, fidelity={"epochs": 5})
    assert one[SIGNAL] == pytest.approx(table.query(cell, DS, SIGNAL, epoch=4))
    per_epoch = table.cost(cell, DS)["train_time_per_epoch_s"]
    np.testing.assert_allclose(values[:, 2], per_epoch * np.arange(1, 13))
    # a cell the partial table lacks is answered by its nearest table cell
    missing = next(i for i in range(15625) if np.isnan(table.query(i, DS, SIGNAL)))
    near = bb.evaluated_arch(config_of(Arch.from_index(missing)))
    assert np.isfinite(table.query(near, DS, SIGNAL))
    assert sum(a != b for a, b in zip(near.op_ids, Arch.from_index(missing).op_ids)) >= 1


@pytest.mark.parametrize("method", ["st_random_search", "st_rea", "st_asha", "st_bohb"])
def test_syne_tune_runs_are_simulated_and_reproducible(st, table, method):
    from surrogate_nb.evaluation.hpo import run_syne_tune

    def run(seed):
        return run_syne_tune(
            method,
            table,
            DS,
            SIGNAL,
            budget_s=60.0,
            rng=np.random.default_rng(seed),
            report_metric="test_acc",
            signal_seed="sample",
        )

    a, b, c = run(0), run(0), run(1)
    assert a.to_dict() == b.to_dict()  # one seed, one trajectory
    assert a.arch_index != c.arch_index
    assert a.meta["trials"] >= 10 and a.time_s[-1] <= 60.0
    assert np.all(np.diff(a.time_s) >= 0)
    assert np.isfinite(a.final_report)
    best = float(np.nanmax(table.query(table.to_xy(DS, "test_acc")[0], DS, "test_acc")))
    assert a.final_report <= best + 1e-6
    epochs_per_trial = a.meta["trials"] and len(a) / a.meta["trials"]
    if method in ("st_asha", "st_bohb"):  # early stopping: most trials end before epoch 12
        assert epochs_per_trial < 8
    else:
        assert min(a.epochs) == 1 and epochs_per_trial > 10


def test_syne_tune_runs_on_a_curve_surrogate(st, table):
    from surrogate_nb.evaluation.hpo import run_syne_tune
    from surrogate_nb.regressors import SurrogateBenchmark

    sur = SurrogateBenchmark.from_curves(
        table,
        DS,
        [SIGNAL, "test_acc"],
        rng=np.random.default_rng(0),
        params={"n_members": 2, "n_estimators": 40},
        calibrate=False,
    )
    traj = run_syne_tune(
        "st_asha",
        sur,
        DS,
        SIGNAL,
        budget_s=60.0,
        rng=np.random.default_rng(0),
        report_metric="test_acc",
        signal_seed="sample",
    )
    assert traj.meta["trials"] >= 10 and np.isfinite(traj.final_report)
    # the whole space is searchable on the surrogate, not only the table's 425 cells
    assert traj.meta["pool_size"] is None


def test_export_is_read_by_syne_tunes_loader(st, table, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from surrogate_nb.cli import app

    res = CliRunner().invoke(
        app, ["export", str(TABLE), "--format", "syne-tune", "--out", str(tmp_path / "bb")]
    )
    assert res.exit_code == 0, res.output
    from syne_tune.blackbox_repository.blackbox_tabular import deserialize

    bbs = deserialize(str(tmp_path / "bb"))
    bb = bbs[DS]
    cells = table.to_xy(DS, SIGNAL)[0]
    assert len(bb.hyperparameters) == len(cells) and bb.num_seeds == 3
    np.testing.assert_array_equal(bb.fidelity_values, np.arange(1, 13))
    k = 11
    row = bb.hyperparameters.iloc[k].to_dict()
    from surrogate_nb.evaluation.hpo import arch_of

    arch = arch_of(row)
    assert arch.index == cells[k]
    for slot, seed in enumerate(table.seeds(DS)):
        got = bb.objective_function(row, fidelity={"epochs": 12}, seed=slot)
        assert got[f"metric_{SIGNAL}"] == pytest.approx(table.query(arch, DS, SIGNAL, seed=seed))
    # and syne-tune runs its own ASHA on it with its own backend; the table holds 425 of the
    # 15,625 cells, so (as syne-tune documents) a surrogate answers the others
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository import UserBlackboxBackend, add_surrogate
    from syne_tune.optimizer.baselines import ASHA

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "st"))
    cb = SimulatorCallback()
    Tuner(
        trial_backend=UserBlackboxBackend(
            add_surrogate(bb), elapsed_time_attr="metric_elapsed_time"
        ),
        scheduler=ASHA(
            bb.configuration_space,
            metric=f"metric_{SIGNAL}",
            do_minimize=False,
            time_attr="epochs",
            max_t=12,
            random_seed=0,
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=15),
        n_workers=1,
        sleep_time=0,
        callbacks=[cb],
        save_tuner=False,
    ).run()
    assert cb.dataframe()["trial_id"].nunique() >= 10


def test_missing_extra_is_one_line(table, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from surrogate_nb.cli import app
    from surrogate_nb.evaluation import hpo

    monkeypatch.setitem(sys.modules, "syne_tune", None)  # import syne_tune -> ImportError
    with pytest.raises(hpo.MissingExtraError, match=r'pip install "surrogate-nb\[hpo\]"'):
        hpo.run_syne_tune("st_asha", table, DS, SIGNAL, rng=np.random.default_rng(0))
    res = CliRunner().invoke(app, ["export", str(TABLE), "--out", str(tmp_path / "x")])
    assert res.exit_code != 0 and isinstance(res.exception, hpo.MissingExtraError)


def test_cli_missing_extra_and_bad_method_exit_with_one_line(tmp_path):
    code = (
        "import sys; sys.modules['syne_tune'] = None; sys.argv = ['snb', 'export', "
        f"{str(TABLE)!r}, '--out', {str(tmp_path / 'x')!r}]; "
        "from surrogate_nb.cli import main; main()"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 2
    message = " ".join(res.stderr.split())  # rich wraps the line at the terminal's width
    assert message.startswith("error: syne-tune is not installed")
    assert 'pip install "surrogate-nb[hpo]"' in message
    assert "Traceback" not in res.stderr
    from surrogate_nb.errors import UnknownKeyError
    from surrogate_nb.evaluation.runners import check_method

    with pytest.raises(UnknownKeyError, match="st_bohb"):  # the message lists what exists
        check_method("asha")  # syne-tune's is st_asha


def test_compare_runs_syne_tune_and_multi_fidelity_on_both_sides(st, table, tmp_path):
    from surrogate_nb.evaluation.runners import make_method
    from surrogate_nb.evaluation.studies import compare_study
    from surrogate_nb.regressors import SurrogateBenchmark

    sur = SurrogateBenchmark.from_curves(
        table,
        DS,
        [SIGNAL, "test_acc"],
        rng=np.random.default_rng(0),
        params={"n_members": 2, "n_estimators": 40},
        calibrate=False,
    )
    s = compare_study(
        table,
        sur,
        DS,
        SIGNAL,
        out=tmp_path,
        rng=np.random.default_rng(0),
        optimizers=[make_method(n) for n in ("random_search", "hyperband", "st_asha")],
        repeats=2,
        budget_s=30.0,
        report_metric="test_acc",
        cost_epochs=4,
    )
    assert s.skipped == {}
    for side in ("table", "surrogate"):
        assert set(s.finals[side]) == {"random_search", "hyperband", "st_asha"}
    assert s.rank_agreement["n"] == 3
    # 30 s buys ~ 30 / (4 epochs x 0.3 s) evaluations of random search at --cost-epochs 4,
    # about a quarter of that at the full 12 epochs
    assert s.evaluations["table"]["random_search"] > 15
    tiny = compare_study(
        table,
        sur,
        DS,
        SIGNAL,
        out=tmp_path / "tiny",
        rng=np.random.default_rng(0),
        optimizers=[make_method(n) for n in ("random_search", "rea")],
        repeats=1,
        budget_s=10.0,
    )
    assert any("random_search" in w and "< 10" in w for w in tiny.warnings)
    assert "Warning" in (tmp_path / "tiny" / "report.md").read_text()


def test_readme_syne_tune_example_runs_as_written(st, tmp_path):
    text = (ROOT / "README.md").read_text()
    block = text[text.index("<!-- syne-tune example") :]
    code = block[block.index("```python") + len("```python") : block.index("```\n", 10)]
    # run from a copy of the repo root's data path: the example uses repo-relative paths
    (tmp_path / "surrogate_nb/data/tables").mkdir(parents=True)
    os.symlink(TABLE, tmp_path / "surrogate_nb/data/tables/fashion-mnist-lowfi")
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "SYNETUNE_FOLDER": str(tmp_path / "st")},
    )
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith("[") and len(lines[0].strip("[]").split()) == 12
    assert sum("trials, incumbent test_acc" in ln for ln in lines) == 2
    assert "tabular blackbox" in lines[-1]
    assert (tmp_path / "runs/fm-blackbox/objectives_evaluations.npy").is_file()
