"""Which official (dataset, split) each split of a wide CSV becomes in the NATS facade, fed
known columns (issue 22: `cifar10-valid` test columns mapped to x-test lost `test-accuracy`)."""

from __future__ import annotations

import pytest

from surrogate_nb.compat._records import _wide_target


@pytest.mark.parametrize(
    ("ds", "prefix", "target"),
    [
        ("cifar10", "valid", ("cifar10-valid", "x-valid")),  # NB201 CSV: the valid run
        ("cifar10", "test", ("cifar10", "ori-test")),
        ("cifar10-valid", "valid", ("cifar10-valid", "x-valid")),
        ("cifar10-valid", "test", ("cifar10-valid", "ori-test")),
        ("cifar10-valid", "ori-test", ("cifar10-valid", "ori-test")),
        ("cifar100", "valid", ("cifar100", "x-valid")),
        ("cifar100", "test", ("cifar100", "x-test")),
        ("ImageNet16-120", "x-valid", ("ImageNet16-120", "x-valid")),
        ("ImageNet16-120", "test", ("ImageNet16-120", "x-test")),
        ("cifar100", "train", ("cifar100", "train")),
    ],
)
def test_wide_split_targets(ds, prefix, target):
    assert _wide_target(ds, prefix) == target


def test_wide_cifar10_valid_test_column_is_the_facade_test_accuracy(tmp_path):
    from surrogate_nb.compat.nats import create
    from surrogate_nb.table.importers import import_any

    csv = tmp_path / "cells.csv"
    csv.write_text(
        "index,cifar10-valid_valid_acc_12,cifar10-valid_test_acc_12,"
        "cifar100_valid_acc_12,cifar100_test_acc_12\n"
        "0,81.5,80.25,51.5,50.25\n1,71.5,70.25,41.5,40.25\n"
    )
    api = create(str(import_any(csv, tmp_path / "t")), "tss", fast_mode=True, verbose=False)
    c10 = api.get_more_info(1, "cifar10-valid", hp="12", is_random=False)
    assert c10["valid-accuracy"] == pytest.approx(71.5)
    assert c10["test-accuracy"] == pytest.approx(70.25)
    c100 = api.get_more_info(0, "cifar100", hp="12", is_random=False)
    assert c100["valid-accuracy"] == pytest.approx(51.5)
    assert c100["test-accuracy"] == pytest.approx(50.25)
