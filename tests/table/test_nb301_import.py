"""NAS-Bench-301 result files → a DARTS table: fixtures written here in NB301's schema."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from surrogate_nb.errors import TableFormatError
from surrogate_nb.space import DARTS
from surrogate_nb.space.darts_forms import CONFIG_PREFIX, to_config
from surrogate_nb.table import Benchmark
from surrogate_nb.table.importers import import_any, infer_format
from surrogate_nb.table.importers.nb301 import (
    INFO_FIELDS,
    PROTOCOL,
    RESULT_FIELDS,
    hp_key,
    import_nb301,
    parse_result,
    setting_differences,
    source_of,
    trial_sources,
)

#: Every field NB301's example result (``surrogate_models/test/results_fidelity_0/results_0.json``
#: of automl/nasbench301) holds, checked by reading that file: top level and ``info[0]``.
EXAMPLE_TOP = {
    "final_metric_score",
    "optimized_hyperparamater_config",
    "budget",
    "info",
    "test_accuracy",
    "runtime",
}
EXAMPLE_INFO = {
    "train_loss",
    "train_accuracy",
    "train_cross_entropy",
    "val_accuracy",
    "val_cross_entropy",
    "epochs",
    "model_parameters",
    "learning_rate",
    "train_datapoints",
    "val_datapoints",
    "dataset_path",
    "dataset_id",
    "train_loss_final",
    "train_accuracy_final",
    "train_cross_entropy_final",
    "val_accuracy_final",
    "val_cross_entropy_final",
}


def result(
    genome,
    rng: np.random.Generator,
    *,
    budget: int = 100,
    curve_len: int | None = None,
    settings: dict | None = None,
    epochs: int | None = None,
) -> dict:
    """One result in NB301's schema (config = protocol settings + the cell's ConfigSpace keys)."""
    val = float(rng.uniform(88, 95))
    config = {**PROTOCOL, **to_config(genome), **(settings or {})}
    config["SimpleLearningrateSchedulerSelector:cosine_annealing:T_max"] = budget
    last = budget if epochs is None else epochs
    info = {
        "train_loss": 0.6,
        "train_accuracy": 86.6,
        "train_cross_entropy": 1.5,
        "val_accuracy": val,
        "val_cross_entropy": 0.2,
        "epochs": last,
        "model_parameters": int(rng.integers(1_000_000, 2_000_000)),
        "learning_rate": 1e-6,
        "train_datapoints": 40000,
        "val_datapoints": 10000,
        "dataset_path": "datasets/CIFAR10.csv",
        "dataset_id": 0,
        "train_loss_final": 0.6,
        "train_accuracy_final": 86.6,
        "train_cross_entropy_final": 1.5,
        "val_accuracy_final": val,
        "val_cross_entropy_final": 0.2,
    }
    doc = {
        "final_metric_score": -val,
        "optimized_hyperparamater_config": config,
        "budget": budget,
        "info": [info],
        "test_accuracy": val - 0.3,
        "runtime": float(rng.integers(10_000, 30_000)),
    }
    if curve_len is not None:
        doc["learning_curves"] = {
            "Train/val_accuracy": list(np.linspace(40, val - 0.5, curve_len)),
            "Train/train_loss": list(np.linspace(2.0, 0.7, curve_len)),
            "Train/gradient_norm": [1.0] * curve_len,  # not a metric we read: ignored
        }
    return doc


def write(folder: Path, name: str, doc: dict | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


@pytest.fixture
def genomes():
    rng = np.random.default_rng(1)
    return [DARTS.sample(rng) for _ in range(6)]


@pytest.fixture
def results_dir(tmp_path, genomes):
    rng = np.random.default_rng(2)
    d = tmp_path / "nb301"
    write(d, "rs/results_0.json", result(genomes[0], rng, curve_len=98))
    write(d, "rs/results_1.json", result(genomes[1], rng))  # final values only
    write(d, "re/results_0.json", result(genomes[2], rng, curve_len=98))
    write(d, "re/results_1.json", result(genomes[0], rng, curve_len=98))  # a repeat: seed 1
    copy = json.loads((d / "re/results_0.json").read_text())
    write(d, "tpe/results_7.json", copy)  # the same run filed twice: skipped
    write(d, "misc/results_3.json", result(genomes[3], rng, epochs=90))
    write(
        d,
        "fidelity/results_0.json",
        result(
            genomes[4],
            rng,
            budget=1500,
            settings={
                "NetworkSelectorDatasetInfo:darts:init_channels": 50,
                "NetworkSelectorDatasetInfo:darts:layers": 20,
                "OptimizerSelector:sgd:learning_rate": 0.0292,
            },
        ),
    )
    return d


def test_importer_reads_the_fields_verified_in_the_official_example():
    # the fields read are a subset of the official example's (learning_curves excepted: the
    # example has none; the key is NAS-Bench-x11's reading of NB301's curve data)
    assert set(RESULT_FIELDS) <= EXAMPLE_TOP
    assert set(INFO_FIELDS) <= EXAMPLE_INFO
    # and the fixture writer here produces exactly the example's field set
    doc = result(DARTS.sample(np.random.default_rng(0)), np.random.default_rng(0))
    assert set(doc) == EXAMPLE_TOP and set(doc["info"][0]) == EXAMPLE_INFO


def test_official_example_when_available():
    path = Path("/work/.mirror/automl+nasbench301/repo")
    if not path.exists():
        pytest.skip("no local copy of automl/nasbench301")
    text = subprocess.run(
        [
            "git",
            "-C",
            str(path),
            "show",
            "HEAD:nasbench301/surrogate_models/test/results_fidelity_0/results_0.json",
        ],
        capture_output=True,
        check=True,
    ).stdout
    doc = json.loads(text)
    assert set(doc) == EXAMPLE_TOP and set(doc["info"][0]) == EXAMPLE_INFO
    r = parse_result(text, "results_0.json")
    # 20 cells x 50 channels, 1500 epochs, lr / wd / autoaugment off NB301's protocol
    assert r.hp.startswith("1500-c50-l20-") and r.last_epoch == 1488
    assert r.finals["valid_acc"] == 97.68 and r.finals["test_acc"] == 97.54
    assert r.params_m == 6.369358 and r.train_time_s == 365136


def test_import_folder(results_dir, genomes, tmp_path):
    assert infer_format(results_dir) == "nb301"
    b = Benchmark.open(import_any(results_dir, tmp_path / "t"))
    assert b.space.name == "darts" and b.datasets() == ["cifar10"]
    hps = b.hps("cifar10")
    assert "100" in hps and len(hps) == 2
    fid = next(h for h in hps if h != "100")
    assert fid.startswith("1500-c50-l20-")
    m = b.manifest
    assert m["training_settings"][fid]["differs_from_protocol"] == {
        "NetworkSelectorDatasetInfo:darts:init_channels": 50,
        "NetworkSelectorDatasetInfo:darts:layers": 20,
        "OptimizerSelector:sgd:learning_rate": 0.0292,
    }
    assert m["duplicates"]["skipped"] == 1
    assert m["curves_ignored"] == ["Train/gradient_norm"]
    g0, g1, g2, g3 = (g.index for g in genomes[:4])
    # a repeat of one cell becomes seed 1; the copy filed under tpe/ is skipped
    assert b.query_with_count(g0, "cifar10", "valid_acc", hp="100")[1] == 2
    assert b.query_with_count(g2, "cifar10", "valid_acc", hp="100")[1] == 1
    assert b.epochs("cifar10", "100") == 100
    # curves fill epochs 1..98, the final value the last position (100), the rest stays null
    c = b.curve(g2, "cifar10", "valid_acc", hp="100")
    assert np.isfinite(c[:98]).all() and np.isnan(c[98]) and np.isfinite(c[99])
    assert c[0] == pytest.approx(40.0)
    # a result without curves: one value per metric at its last epoch, null elsewhere
    c1 = b.curve(g1, "cifar10", "valid_acc", hp="100")
    assert np.isnan(c1[:99]).all() and np.isfinite(c1[99])
    # stopped at epoch 90 of 100: its final values still answer the final epoch
    c3 = b.curve(g3, "cifar10", "test_acc", hp="100")
    assert np.flatnonzero(np.isfinite(c3)).tolist() == [99]
    assert m["stopped_short"] == 1
    assert set(b.metrics("cifar10", "100")) >= {"valid_acc", "train_acc", "test_acc", "valid_loss"}
    assert b.query(g1, "cifar10", "train_time_s", hp="100") > 0
    assert 1 < b.query(g1, "cifar10", "params_m", hp="100") < 2
    idx, _ = b.to_xy("cifar10", "valid_acc", hp="100")
    assert sorted(idx.tolist()) == sorted({g0, g1, g2, g3})
    # sources: from the optimizer folder, 'unknown' for misc/
    cells, seeds, src = trial_sources(b.path, "100")
    got = {(int(c), int(s)): str(x) for c, s, x in zip(cells, seeds, src)}
    assert got == {(g0, 0): "re", (g0, 1): "rs", (g1, 0): "rs", (g2, 0): "re", (g3, 0): "unknown"}


def test_import_zip_equals_folder(results_dir, tmp_path):
    z = tmp_path / "nb301.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(results_dir.rglob("*.json")):
            zf.write(p, "nb_301_v13/" + p.relative_to(results_dir).as_posix())
        zf.writestr("__MACOSX/rs/._results_0.json", b"\x00\x05")
    assert infer_format(z) == "nb301"
    a = Benchmark.open(import_nb301(results_dir, tmp_path / "a"))
    b = Benchmark.open(import_nb301(z, tmp_path / "b"))
    for hp in a.hps("cifar10"):
        ia, ya = a.to_xy("cifar10", "valid_acc", hp=hp)
        ib, yb = b.to_xy("cifar10", "valid_acc", hp=hp)
        assert ia.tolist() == ib.tolist() and np.array_equal(ya, yb)
    assert trial_sources(b.path, "100")[2].tolist() == trial_sources(a.path, "100")[2].tolist()


def test_hp_keys_and_setting_differences():
    assert setting_differences(PROTOCOL, 100) == {}
    # booleans as strings or bools, ints as floats: the same setting
    cfg = {**PROTOCOL, "ImageAugmentation:augment": True, "CreateImageDataLoader:batch_size": 96.0}
    assert setting_differences(cfg, 100) == {}
    assert hp_key(100, {}) == "100"
    assert (
        hp_key(
            50,
            setting_differences(
                {**PROTOCOL, "SimpleLearningrateSchedulerSelector:cosine_annealing:T_max": 50}, 50
            ),
        )
        == "50"
    )
    d = setting_differences({**PROTOCOL, "NetworkSelectorDatasetInfo:darts:layers": 5}, 100)
    assert hp_key(100, d) == "100-l5"
    d = setting_differences({**PROTOCOL, "OptimizerSelector:sgd:momentum": 0.8}, 100)
    key = hp_key(100, d)
    assert key.startswith("100-") and len(key) == 12 and key != hp_key(100, {"x": 1})


def test_source_of():
    assert source_of("nb_301_v13/rs/results_0.json") == "rs"
    assert source_of("PC_DARTS/results_1.json") == "pc_darts"
    assert source_of("re/extra/results_1.json") == "re"
    assert source_of("results_1.json") == "unknown"
    assert source_of("mine/results_1.json") == "unknown"


@pytest.fixture
def one_good(tmp_path, genomes):
    d = tmp_path / "bad"
    write(d, "rs/results_0.json", result(genomes[0], np.random.default_rng(0), curve_len=5))
    return d


def _damage(doc: dict, how: str) -> dict | str:
    if how == "json":
        return json.dumps(doc)[:-20]
    if how == "missing_budget":
        del doc["budget"]
    elif how == "missing_val":
        del doc["info"][0]["val_accuracy"], doc["info"][0]["val_accuracy_final"]
    elif how == "inactive_edge":
        key = next(
            f"{CONFIG_PREFIX}edge_normal_{e}"
            for e in range(2, 5)
            if f"{CONFIG_PREFIX}edge_normal_{e}" not in doc["optimized_hyperparamater_config"]
        )
        doc["optimized_hyperparamater_config"][key] = "skip_connect"
    elif how == "missing_cell_key":
        del doc["optimized_hyperparamater_config"][f"{CONFIG_PREFIX}inputs_node_reduce_5"]
    elif how == "bad_op":
        doc["optimized_hyperparamater_config"][f"{CONFIG_PREFIX}edge_normal_0"] = "conv_7x7"
    elif how == "accuracy":
        doc["test_accuracy"] = 140.0
    elif how == "budget":
        doc["budget"] = "100"
    elif how == "long_curve":
        doc["learning_curves"]["Train/val_accuracy"] = [50.0] * 101
    elif how == "info":
        doc["info"] = {}
    elif how == "curve_value":
        doc["learning_curves"]["Train/train_loss"][2] = "nan?"
    return doc


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("json", "not valid JSON"),
        ("missing_budget", "lacks 'budget'"),
        ("missing_val", "lacks info[0].val_accuracy"),
        ("inactive_edge", "inactive"),
        ("missing_cell_key", "inputs_node_reduce_5"),
        ("bad_op", "conv_7x7"),
        ("accuracy", "test_accuracy = 140.0"),
        ("budget", "budget = '100'"),
        ("long_curve", "101 epochs"),
        ("info", "info must be a non-empty list"),
        ("curve_value", "learning_curves['Train/train_loss'][2] = 'nan?' is not a number"),
    ],
)
def test_bad_result_names_file_and_value_and_writes_nothing(one_good, genomes, tmp_path, how, says):
    doc = result(genomes[1], np.random.default_rng(1), curve_len=5)
    bad = write(one_good, "re/results_9.json", _damage(doc, how))
    out = tmp_path / "out"
    with pytest.raises(TableFormatError) as e:
        import_nb301(one_good, out)
    msg = str(e.value)
    assert str(bad) in msg and says in msg and "\n" not in msg
    assert not out.exists() and not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_bad_input_keeps_an_existing_table(one_good, genomes, tmp_path):
    out = import_nb301(one_good, tmp_path / "out")
    before = (out / "manifest.json").read_bytes()
    write(one_good, "re/results_9.json", "{")
    with pytest.raises(TableFormatError):
        import_nb301(one_good, out)
    assert (out / "manifest.json").read_bytes() == before


def test_truncated_zip_and_zip_bomb(one_good, tmp_path):
    z = tmp_path / "r.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(one_good / "rs/results_0.json", "rs/results_0.json")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    with pytest.raises(TableFormatError, match=r"cut\.zip: not a readable zip archive"):
        import_nb301(cut, tmp_path / "o1")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("rs/results_0.json", b" " * (17 << 20))
    with pytest.raises(TableFormatError, match=r"bomb.zip member rs/results_0.json: inflates"):
        import_nb301(bomb, tmp_path / "o2")
    # a member whose data is damaged (CRC) is named
    data = bytearray(z.read_bytes())
    start = data.find(b"rs/results_0.json") + len("rs/results_0.json") + 10
    data[start] ^= 0xFF
    crc = tmp_path / "crc.zip"
    crc.write_bytes(bytes(data))
    with pytest.raises(TableFormatError, match=r"crc\.zip member rs/results_0\.json"):
        import_nb301(crc, tmp_path / "o3")
    assert not any((tmp_path / o).exists() for o in ("o1", "o2", "o3"))


def test_empty_and_missing_sources(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(TableFormatError, match="holds no"):
        import_nb301(tmp_path / "empty", tmp_path / "o")
    with pytest.raises(TableFormatError, match="no such file or folder"):
        import_nb301(tmp_path / "nope", tmp_path / "o")


def test_cli_import_bad_file_is_one_line(one_good, tmp_path):
    write(one_good, "re/results_9.json", "[1, 2")
    p = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from surrogate_nb.cli import main; sys.argv[0] = 'snb'; main()",
            "import",
            str(one_good),
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode != 0 and "Traceback" not in p.stderr
    errors = [ln for ln in p.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "re/results_9.json: not valid JSON" in errors[0], p.stderr


def test_cli_import_then_fit_end_to_end(tmp_path):
    """`snb import` of NB301 files, `snb fit` on the DARTS table, NB301's API on the model."""
    from typer.testing import CliRunner

    from surrogate_nb.cli import app
    from surrogate_nb.compat import nasbench301 as nb
    from surrogate_nb.space.darts_forms import to_genotype

    rng = np.random.default_rng(3)
    d = tmp_path / "nb301"
    for k in range(60):
        g = DARTS.sample(rng)
        doc = result(g, rng, curve_len=10 if k % 2 else None)
        n_sep = sum(op in (3, 4) for _, op in g.normal)
        doc["info"][0]["val_accuracy"] = 88.0 + 0.8 * n_sep  # a rule the surrogate can learn
        write(d, f"{SOURCES_CYCLE[k % 3]}/results_{k}.json", doc)
    runner = CliRunner()
    r = runner.invoke(app, ["import", str(d), "-o", str(tmp_path / "t")])
    assert r.exit_code == 0, r.output
    assert "1 setting(s)" in r.output and "60 trials" in r.output
    r = runner.invoke(
        app,
        [
            "fit",
            str(tmp_path / "t"),
            "-d",
            "cifar10",
            "-m",
            "valid_acc",
            "--hp",
            "100",
            "--model",
            "lgb",
            "-o",
            str(tmp_path / "m"),
        ],
    )
    assert r.exit_code == 0, r.output
    perf = nb.load_ensemble(tmp_path / "m")
    assert perf.metric == "valid_acc"
    all_sep = DARTS.sample(rng)
    all_sep = type(all_sep).of([(i, 3) for i, _ in all_sep.normal], all_sep.reduce)
    no_sep = type(all_sep).of([(i, 0) for i, _ in all_sep.normal], all_sep.reduce)
    hi = perf.predict(to_genotype(all_sep), "genotype", with_noise=False)
    lo = perf.predict(to_genotype(no_sep), "genotype", with_noise=False)
    assert hi > lo + 1


SOURCES_CYCLE = ("rs", "de", "bananas")
