"""Weight-sharing searches (tiny fidelity), collapse bookkeeping, table scoring and the CLI."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError
from surrogate_nb.evaluation.weight_sharing import (
    METHODS,
    EpochRecord,
    SearchConfig,
    SearchData,
    SearchResult,
    entropy,
    parameter_free_share,
    search,
)
from surrogate_nb.evaluation.weight_sharing.scoring import TableScorer, ledger_of
from surrogate_nb.exhaustive import BuildPlan, TrainConfig, load_setting, run_build
from surrogate_nb.space import Arch

TINY = SearchConfig(
    epochs=1,
    batch_size=16,
    eval_batch_size=16,
    channels=4,
    cells_per_stage=1,
    candidates=4,
    controller_steps=1,
    controller_aggregate=2,
)


def _npz_dir(root: Path, n_train=48, n_test=32, side=8, classes=4) -> Path:
    """A learnable toy source: class = brightest quadrant."""
    rng = np.random.default_rng(4)
    root.mkdir(parents=True, exist_ok=True)
    for name, n in (("train", n_train), ("test", n_test)):
        y = rng.integers(0, classes, n)
        x = rng.integers(0, 100, (n, side, side, 3))
        h = side // 2
        for i, c in enumerate(y):
            r, q = divmod(int(c), 2)
            x[i, r * h : (r + 1) * h, q * h : (q + 1) * h] += 150
        np.savez(root / f"{name}.npz", x=x.astype(np.uint8), y=y)
    return root


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    return _npz_dir(tmp_path_factory.mktemp("ws") / "toy")


@pytest.fixture(scope="module")
def data(toy) -> SearchData:
    return SearchData(load_setting("npz", toy), TINY)


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_searches_and_returns_a_cell(method, data):
    res = search(method, data, TINY, torch.Generator().manual_seed(0))
    assert isinstance(res.arch, Arch) and 0 <= res.valid_acc <= 100
    assert len(res.history) == 1 and math.isfinite(res.history[0].base_loss)
    assert res.candidates_scored == (1 if method in ("darts-v1", "darts-v2", "gdas") else 4)
    if method != "rsps":  # RSPS learns no architecture distribution
        assert 0 < res.history[0].entropy <= math.log(5) + 1e-6
    json.dumps(res.to_dict())  # JSON-ready


def test_same_generator_same_search_other_seed_other_trajectory(data):
    cfg = replace(TINY, epochs=2)
    a = search("darts-v1", data, cfg, torch.Generator().manual_seed(3))
    b = search("darts-v1", data, cfg, torch.Generator().manual_seed(3))
    c = search("darts-v1", data, cfg, torch.Generator().manual_seed(4))
    assert a.arch == b.arch
    assert [h.probs for h in a.history] == [h.probs for h in b.history]
    assert [h.base_loss for h in a.history] != [h.base_loss for h in c.history]


def test_darts_moves_the_architecture_and_gdas_anneals_tau(data):
    cfg = replace(TINY, epochs=3, arch_lr=0.05)
    d = search("darts-v1", data, cfg, torch.Generator().manual_seed(1))
    first, last = np.asarray(d.history[0].probs), np.asarray(d.history[-1].probs)
    assert np.abs(last - first).max() > 1e-3  # 3 epochs x 3 steps of Adam at lr 0.05
    g = search("gdas", data, cfg, torch.Generator().manual_seed(1))
    assert [h.extra["tau"] for h in g.history] == pytest.approx([10.0, 5.05, 0.1])


def _history(shares: list[float]) -> list[EpochRecord]:
    return [
        EpochRecord(e, 0.1, 1.0, 50.0, None, None, None, None, s, None, None)
        for e, s in enumerate(shares)
    ]


def test_collapse_epoch_is_the_start_of_the_final_conv_free_run():
    def res(shares):
        return SearchResult("darts-v1", Arch.from_index(0), 0.0, 1.0, _history(shares), {}, {}, 1,
                            "cpu", 1)  # fmt: skip

    assert res([0.5, 1.0, 0.5, 1.0, 1.0]).collapse_epoch == 3
    assert res([1.0, 1.0]).collapse_epoch == 0
    assert res([1.0, 0.83]).collapse_epoch is None
    skip = Arch.from_ops(["skip_connect"] * 5 + ["nor_conv_3x3"])
    assert parameter_free_share(skip) == pytest.approx(5 / 6)
    assert entropy(np.full((6, 5), 0.2)) == pytest.approx(math.log(5))


def test_search_config_rejects_bad_values_and_data_without_x_valid(toy):
    with pytest.raises(SurrogateNBError, match="epochs"):
        SearchConfig(epochs=0)
    with pytest.raises(SurrogateNBError, match="tau_min"):
        SearchConfig(tau_min=2.0, tau_max=1.0)
    prepared = load_setting("npz", toy)
    no_valid = replace(prepared, evals={"test": prepared.evals["x-test"]})
    with pytest.raises(SurrogateNBError, match="x-valid"):
        SearchData(no_valid, TINY)


# ---- scoring by a table ------------------------------------------------------------------------

BUILD = dict(epochs=2, channels=4, cells_per_stage=1, batch_size=32, latency_batches=0)


@pytest.fixture(scope="module")
def built_table(toy, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tbl") / "t"
    plan = BuildPlan("npz", str(out), TrainConfig(**BUILD), cells=[11, 22], seeds=(1, 2),
                     data_dir=str(toy))  # fmt: skip
    assert run_build(plan).table is not None
    return out


def _copy(table: Path, dst: Path) -> Path:
    shutil.copytree(table, dst / table.name)
    shutil.copy2(ledger_of(table), ledger_of(dst / table.name))
    return dst / table.name


def test_lookup_then_train_grows_the_table_and_its_ledger(built_table, tmp_path):
    table = _copy(built_table, tmp_path)
    scorer = TableScorer(table, "npz")
    hit = scorer.score(Arch.from_index(11))
    assert hit.source == "table" and hit.n_seeds == 2 and hit.valid_metric == "x-valid_acc"
    new = Arch.from_index(33)
    got = scorer.score(new)
    assert got.source == "trained" and got.n_seeds == 2 and math.isfinite(got.test_acc)
    again = TableScorer(table, "npz").score(new)  # a fresh lookup finds the grown table
    assert again.source == "table" and again.test_acc == got.test_acc
    from surrogate_nb.exhaustive import Ledger

    with Ledger(ledger_of(table)) as led:
        assert led.counts()["done"] == 6  # 3 cells x 2 seeds
    # the grown trial is what the build itself would have produced for that cell
    ref = tmp_path / "ref"
    plan = BuildPlan("npz", str(ref), TrainConfig(**BUILD), cells=[33], seeds=(1, 2),
                     data_dir=scorer.build_plan().data_dir)  # fmt: skip
    run_build(plan)
    assert TableScorer(ref, "npz").score(new).test_acc == got.test_acc


def test_surrogate_none_and_imported_tables(built_table, tmp_path):
    table = _copy(built_table, tmp_path)
    missing = TableScorer(table, "npz", on_missing="none").score(Arch.from_index(44))
    assert missing.source == "missing" and math.isnan(missing.valid_acc)
    ledger_of(table).unlink()  # as an imported table: no protocol to train under
    with pytest.raises(SurrogateNBError, match="no build ledger"):
        TableScorer(table, "npz").score(Arch.from_index(44))
    with pytest.raises(SurrogateNBError, match="rng"):
        TableScorer(table, "npz", on_missing="surrogate")
    with pytest.raises(UnknownKeyError):
        TableScorer(table, "npz", on_missing="guess")


def test_cli_unknown_method_names_it(tmp_path):
    from typer.testing import CliRunner

    from surrogate_nb.cli import app

    result = CliRunner().invoke(app, ["search-ws", "--method", "darts-v3", "--out", str(tmp_path)])
    assert isinstance(result.exception, UnknownKeyError)  # main() turns it into one line, exit 2
    assert "darts-v3" in str(result.exception) and "darts-v1" in str(result.exception)


def test_cli_search_scores_by_a_user_table(built_table, toy, tmp_path):
    from typer.testing import CliRunner

    from surrogate_nb.cli import app

    table = _copy(built_table, tmp_path)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["search-ws", "--method", "gdas", "--table", str(table), "--data-dir", str(toy),
         "--epochs", "1", "--train-subset", "16", "--out", str(out), "--seed", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rec = json.loads((out / "result.json").read_text())
    assert rec["score"]["source"] in ("table", "trained")
    assert rec["score"]["arch_index"] == rec["search"]["arch_index"]


def test_study_scores_every_search_and_writes_the_report(built_table, data, tmp_path):
    from surrogate_nb.evaluation.studies.weight_sharing import weight_sharing_study

    scorer = TableScorer(_copy(built_table, tmp_path), "npz")
    out = tmp_path / "report"
    s = weight_sharing_study(
        scorer,
        data,
        out=out,
        rng=np.random.default_rng(0),
        configs={"darts-v1": TINY, "rsps": TINY},
        seeds=1,
        ablation_methods=("darts-v1",),
        ablation_variants=((True, True),),
        baseline_repeats=2,
    )
    assert [r["method"] for r in s["methods"]] == ["darts-v1", "rsps"]
    assert [r["bn"] for r in s["ablation"]] == ["affine0-track0", "affine1-track1"]
    assert {b["optimizer"] for b in s["baselines"]} == {"random_search", "rea"}
    runs = json.loads((out / "runs.json").read_text())
    assert len(runs) == 3 and all(r["score"]["source"] in ("table", "trained") for r in runs)
    assert all(math.isfinite(r["score"]["test_acc"]) for r in runs)
    for name in ("report.md", "ws_accuracy.png", "ws_entropy.png", "figures.json"):
        assert (out / name).is_file()
