"""Shared fixtures. Data from ../shared is optional: tests that need it skip when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SNB_SHARED", ROOT.parent / "shared"))
NB201_CSV = SHARED / "nb201" / "nb201_reference_cifar.csv"
NATS_SAMPLE = SHARED / "nats_sample" / "NATS-tss-v1_0-3ffb9-simple"
NB101_DIR = SHARED / "nb101"
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

# Two cores are shared by pytest-xdist workers: one torch thread each keeps them from fighting.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def nb201_csv() -> Path:
    """The published NB201 reference CSV (../shared/nb201); skips when absent."""
    if not NB201_CSV.is_file():
        pytest.skip(f"reference data absent: {NB201_CSV}")
    return NB201_CSV


@pytest.fixture(scope="session")
def nb201_frame(nb201_csv):
    """The reference CSV as a pandas DataFrame (read once per session)."""
    import pandas as pd

    return pd.read_csv(nb201_csv)


@pytest.fixture(scope="session")
def nats_sample_dir() -> Path:
    """Three real NATS-Bench tss records in fast_mode layout (../shared/nats_sample)."""
    if not NATS_SAMPLE.is_dir():
        pytest.skip(f"NATS-Bench sample absent: {NATS_SAMPLE}")
    return NATS_SAMPLE


@pytest.fixture(scope="session")
def fashion_mnist_dir() -> Path:
    """Debian's dataset-fashion-mnist files; skips when the package is not installed."""
    if not (FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(
            f"Fashion-MNIST absent: {FASHION_MNIST} (apt-get install dataset-fashion-mnist)"
        )
    return FASHION_MNIST


@pytest.fixture(scope="session")
def nb101_index():
    """The enumerated NB-101 index (built once into the user cache dir: ~1-2 min cold)."""
    from surrogate_nb.space import NB101

    return NB101.index_table


def _nb101_json(name: str) -> dict:
    import json

    path = NB101_DIR / name
    if not path.is_file():
        pytest.skip(f"NB-101 published cells absent: {path}")
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def nb101_20k() -> dict:
    """../shared/nb101/data-20k.json (20,001 published cells, column-wise); skips when absent."""
    return _nb101_json("data-20k.json")


@pytest.fixture(scope="session")
def nb101_1k() -> dict:
    """../shared/nb101/data-1k.json (1,000 cells with adjacency + ops); skips when absent."""
    return _nb101_json("data-1k.json")
