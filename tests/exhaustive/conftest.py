"""Tiny dataset files in every supported format, written by the tests themselves."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest


def _planar(rng, n, side, classes, label_offset=0):
    data = rng.integers(0, 256, size=(n, 3 * side * side), dtype=np.uint8)
    labels = (rng.integers(0, classes, size=n) + label_offset).tolist()
    return data, labels


@pytest.fixture
def cifar10_dir(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data, labels = _planar(rng, 8, 32, 10)
        with (folder / name).open("wb") as fh:
            pickle.dump({b"data": data, b"labels": labels}, fh)
    return tmp_path


@pytest.fixture
def cifar100_dir(tmp_path) -> Path:
    rng = np.random.default_rng(1)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    for name, n in (("train", 20), ("test", 10)):
        data, labels = _planar(rng, n, 32, 100)
        with (folder / name).open("wb") as fh:
            pickle.dump({"data": data, "fine_labels": labels}, fh)
    return tmp_path


@pytest.fixture
def imagenet16_dir(tmp_path) -> Path:
    rng = np.random.default_rng(2)
    for name in [f"train_data_batch_{i}" for i in range(1, 11)] + ["val_data"]:
        data, labels = _planar(rng, 12, 16, 240, label_offset=1)  # labels 1..240
        with (tmp_path / name).open("wb") as fh:
            pickle.dump({"data": data, "labels": labels}, fh)
    return tmp_path


def write_idx(path: Path, array: np.ndarray, packed: bool = True) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    raw = header + array.astype(np.uint8).tobytes()
    if packed:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)


@pytest.fixture
def idx_dir(tmp_path) -> Path:
    rng = np.random.default_rng(3)
    for split, n in (("train", 40), ("t10k", 20)):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n), packed=False)
    return tmp_path


def make_npz_dir(root: Path, n_train=96, n_test=48, side=8, classes=4, seed=4) -> Path:
    """A learnable toy 'npz' source: class = brightest quadrant (so curves move)."""
    rng = np.random.default_rng(seed)
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


@pytest.fixture
def npz_dir(tmp_path) -> Path:
    return make_npz_dir(tmp_path / "toy")


@pytest.fixture(scope="session")
def toy_dir(tmp_path_factory) -> Path:
    """A session-wide toy npz source (96 train / 48 test, 8x8, 4 classes)."""
    return make_npz_dir(tmp_path_factory.mktemp("toy") / "toy")


@pytest.fixture(scope="session")
def npz_maker():
    """`make_npz_dir` itself, for tests that need their own copy."""
    return make_npz_dir
