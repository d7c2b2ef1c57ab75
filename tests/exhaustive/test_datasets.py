import pickle

import numpy as np
import pytest

from surrogate_nb.errors import DatasetError, UnknownKeyError
from surrogate_nb.exhaustive import export_npz, load_setting, load_source
from surrogate_nb.exhaustive.datasets import SPLIT_SEED


def test_cifar10_pickles_and_valid_split(cifar10_dir):
    raw = load_source("cifar10", cifar10_dir)
    assert raw.train_x.shape == (40, 3, 32, 32) and raw.test_x.shape == (8, 3, 32, 32)
    d = load_setting("cifar10-valid", cifar10_dir)
    assert (
        len(d.train_y) == 20 and len(d.evals["x-valid"][1]) == 20 and len(d.evals["test"][1]) == 8
    )
    # the halves partition train, deterministically
    again = load_setting("cifar10-valid", cifar10_dir)
    assert d.manifest["split_sha256"] == again.manifest["split_sha256"]
    both = np.concatenate([d.train_x, d.evals["x-valid"][0]])
    assert sorted(map(bytes, both)) == sorted(map(bytes, raw.train_x))
    assert d.manifest["split_seed"] == SPLIT_SEED
    assert d.mean[0] == pytest.approx(125.3 / 255)


def test_cifar100_halves_and_derived_test(cifar100_dir):
    d = load_setting("cifar100", cifar100_dir)
    assert set(d.evals) == {"x-valid", "x-test"} and d.derived == {"test": ("x-valid", "x-test")}
    assert len(d.evals["x-valid"][1]) == len(d.evals["x-test"][1]) == 5
    assert d.num_classes == 100


def test_imagenet16_keeps_first_120_classes(imagenet16_dir):
    raw = load_source("imagenet16", imagenet16_dir)
    assert raw.train_x.shape[1:] == (3, 16, 16)
    assert raw.train_y.min() >= 0 and raw.train_y.max() < 120
    assert len(raw.train_y) < 120  # about half of the 240-class toy labels dropped
    d = load_setting("ImageNet16-120", imagenet16_dir)
    assert d.num_classes == 120 and d.resolution == 16


def test_idx_files_gz_and_plain(idx_dir):
    raw = load_source("fashion-mnist", idx_dir)
    assert raw.train_x.shape == (40, 1, 28, 28) and raw.test_y.shape == (20,)
    d = load_setting("fashion-mnist", idx_dir, resolution=16)
    assert d.train_x.shape == (40, 1, 16, 16) and d.in_channels == 1
    p = load_setting("fashion-mnist", idx_dir, resolution=32)
    assert p.train_x.shape[-1] == 32 and (p.train_x[:, :, :2] == 0).all()  # zero-padded border


def test_npz_dir_and_export_roundtrip(npz_dir, tmp_path):
    d = load_setting("npz", npz_dir, train_subset=50, eval_subset=10)
    assert len(d.train_y) == 50 and len(d.evals["x-valid"][1]) == 10 and d.num_classes == 4
    assert "train@fidelity" in d.manifest["split_sha256"]
    f = export_npz("npz", tmp_path / "one.npz", npz_dir)
    a, b = load_source("npz", npz_dir), load_source("npz", f)
    assert np.array_equal(a.train_x, b.train_x) and np.array_equal(a.test_y, b.test_y)


def test_missing_and_malformed_files_name_the_path(tmp_path, cifar10_dir, idx_dir):
    with pytest.raises(DatasetError, match="does not exist"):
        load_source("cifar10", tmp_path / "nowhere")
    (cifar10_dir / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(DatasetError, match="data_batch_3") as exc:
        load_source("cifar10", cifar10_dir)
    assert "test_batch" in str(exc.value)  # the expected layout is spelled out
    bad = cifar10_dir / "cifar-10-batches-py" / "data_batch_3"
    with bad.open("wb") as fh:
        pickle.dump({b"data": np.zeros((2, 5), np.uint8), b"labels": [0, 1]}, fh)
    with pytest.raises(DatasetError, match="data_batch_3"):
        load_source("cifar10", cifar10_dir)
    (idx_dir / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x09\x01garbage")
    with pytest.raises(DatasetError, match="train-labels-idx1-ubyte"):
        load_source("fashion-mnist", idx_dir)


def test_pickle_with_code_is_refused(cifar10_dir):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    with (cifar10_dir / "cifar-10-batches-py" / "test_batch").open("wb") as fh:
        pickle.dump({b"data": Evil(), b"labels": []}, fh)
    with pytest.raises(DatasetError, match="numpy arrays only"):
        load_source("cifar10", cifar10_dir)


def test_unknown_setting():
    with pytest.raises(UnknownKeyError, match="cifar10-valid"):
        load_setting("cifar11")


def test_real_fashion_mnist(fashion_mnist_dir):
    d = load_setting("fashion-mnist-valid", fashion_mnist_dir, resolution=16, train_subset=1000)
    assert d.manifest["split_sizes"] == {"train": 30000, "x-valid": 30000, "test": 10000}
    assert d.train_x.shape == (1000, 1, 16, 16) and d.train_x.dtype == np.uint8
    assert set(np.unique(d.train_y)) == set(range(10))
    assert 0.2 < d.mean[0] < 0.4  # Fashion-MNIST mean ≈ 0.286
