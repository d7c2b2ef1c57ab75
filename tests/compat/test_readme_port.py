"""The README's NATS port example runs as written on the table the README tour builds
(``snb import ../shared/nb201/nb201_reference_cifar.csv --out runs/nb201``), and the facade maps
the wide CSV onto NATS names and split meanings (../shared/nb201/README.md). Skips without
../shared."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from surrogate_nb.compat.nats import CompatKeyError, CompatValueError, MissingDataError, create
from surrogate_nb.table.importers import import_any

README = Path(__file__).resolve().parents[2] / "README.md"


def _port_example() -> str:
    text = README.read_text()
    start = text.index("Porting a NATS-Bench script is one import")
    block = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert block is not None, "README: no python block after the NATS port sentence"
    return block.group(1)


@pytest.fixture(scope="module")
def tour_dir(nb201_csv, tmp_path_factory):
    root = tmp_path_factory.mktemp("tour")
    import_any(nb201_csv, root / "runs" / "nb201")
    return root


@pytest.fixture(scope="module")
def api(tour_dir):
    return create(tour_dir / "runs" / "nb201", "tss", rng=np.random.default_rng(0))


def test_readme_example_runs_as_written(tour_dir, nb201_frame, monkeypatch):
    monkeypatch.chdir(tour_dir)
    ns: dict = {}
    exec(compile(_port_example(), "README.md", "exec"), ns)
    row = nb201_frame.iloc[6111]
    assert ns["info"]["valid-accuracy"] == pytest.approx(row["cifar10_valid_acc_200"], abs=1e-4)
    assert "train-loss" in ns["info"].lacks and "\n" not in ns["info"].lacks
    runs = [row[f"cifar100_valid_acc_200_run{k}"] for k in range(3)]
    assert any(ns["acc"] == pytest.approx(v, abs=1e-4) for v in runs if v == v)
    assert ns["time_cost"] == pytest.approx(row["cifar100_train_time_s"])
    assert ns["latency"] == pytest.approx(row["cifar100_latency_s"])
    assert ns["used"] == pytest.approx(ns["time_cost"])


def test_wide_csv_split_mapping(api, nb201_frame):
    f = nb201_frame
    for i in (0, 11, 6111, 9930):
        row = f.iloc[i]
        c10v = api.get_more_info(i, "cifar10-valid", hp="200", is_random=False)
        assert c10v["valid-accuracy"] == pytest.approx(row["cifar10_valid_acc_200"], abs=1e-4)
        assert "test-accuracy" not in c10v  # the CSV has no cifar10-valid ori-test column
        c10 = api.get_more_info(i, "cifar10", hp="200")
        assert c10["test-accuracy"] == pytest.approx(row["cifar10_test_acc_200"], abs=1e-4)
        assert "valid-accuracy" not in c10 and "comment" in c10
        c100 = api.get_more_info(i, "cifar100", hp="200", is_random=False)
        assert c100["valid-accuracy"] == pytest.approx(row["cifar100_valid_acc_200"], abs=1e-4)
        assert c100["test-accuracy"] == pytest.approx(row["cifar100_test_acc_200"], abs=1e-4)
        assert "valtest-accuracy" not in c100
        seed = api.query_meta_info_by_index(i, "200").get_dataset_seeds("cifar100")[-1]
        one = api.get_more_info(i, "cifar100", hp="200", is_random=seed)
        assert one["valid-accuracy"] == pytest.approx(row[f"cifar100_valid_acc_200_run{seed}"])
        assert "test-accuracy" not in one and "test-*" in one.lacks  # x-test: a mean only
        cost = api.get_cost_info(i, "cifar10-valid", hp="200")
        assert cost["params"] == pytest.approx(row["cifar10_params_m"])
        assert cost["T-train@total"] == pytest.approx(row["cifar10_train_time_s"])
        assert cost["flops"] is None and cost["T-x-valid@total"] is None
        # the CSV's cifar10 train time is the cifar10-valid run's; cifar10 does not get it
        assert api.get_cost_info(i, "cifar10", hp="200")["T-train@total"] is None
    assert api.statistics("cifar10-valid", "200") == {
        int(k): int(v) for k, v in f["n_runs_200"].value_counts().items()
    }
    best = f["cifar10_test_acc_200"].idxmax()
    assert api.find_best("cifar10", "test", hp="200") == (
        best,
        pytest.approx(f["cifar10_test_acc_200"][best], abs=1e-4),
    )
    assert api.find_best("cifar100", "valid", hp="200")[0] == f["cifar100_valid_acc_200"].idxmax()


def test_one_line_errors(api):
    with pytest.raises(MissingDataError) as e:  # nothing recorded before the last epoch
        api.get_more_info(6111, "cifar10", iepoch=5, hp="200")
    assert "\n" not in str(e.value) and "cifar10" in str(e.value)
    assert isinstance(e.value, KeyError)
    with pytest.raises(CompatValueError, match="15625"):
        api.get_more_info(15625, "cifar10-valid", hp="200")
    with pytest.raises(ValueError, match="15625"):
        api.query_index_by_arch(15625)
    assert api.query_index_by_arch("|nor_conv_3x3~0|+|bogus~0|") == -1
    with pytest.raises(KeyError) as e:
        api.simulate_train_eval(6111, "ImageNet16-120", hp="200")
    assert isinstance(e.value, CompatKeyError) and "cifar100" in str(e.value)
    with pytest.raises(CompatKeyError, match="'200'"):
        api.get_more_info(6111, "cifar10", hp="12")
