"""Fixtures for the evaluation tests: a synthetic benchmark with known structure.

SYNTHETIC VALUES, test-only: each cell's "accuracy" is a sum of per-edge op contributions (so
local moves help) plus per-seed Gaussian noise; curves rise towards the final value. Nothing here
is a measurement.
"""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.errors import UnknownKeyError
from surrogate_nb.space import NB201, NUM_ARCHS, Arch, as_arch, as_indices

SEEDS = (777, 888, 999)


class FakeBenchmark:
    """In-memory stand-in with the `Benchmark` query/cost API (one dataset, one hp).

    Args:
        noise: per-seed noise sd (accuracy points).
        cells: indices held (None = all 15,625).
        epochs: curve length T.
    """

    space = NB201

    def __init__(self, noise: float = 0.5, cells=None, epochs: int = 12, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.T = epochs
        contrib = rng.normal(0, 2.0, size=(6, 5))
        ops = np.asarray([Arch.from_index(i).op_ids for i in range(NUM_ARCHS)])
        self.final = 80.0 + contrib[np.arange(6), ops].sum(axis=1)  # (15625,)
        self.test = self.final + 1.0
        self.seed_vals = self.final[:, None] + rng.normal(0, noise, size=(NUM_ARCHS, len(SEEDS)))
        self.time = 100.0 + 10.0 * (ops == 3).sum(axis=1)  # s per T epochs
        self.cells = np.arange(NUM_ARCHS) if cells is None else np.asarray(cells)
        self.held = np.zeros(NUM_ARCHS, bool)
        self.held[self.cells] = True

    def epochs(self, dataset, hp=None):
        return self.T

    def seeds(self, dataset, hp=None):
        return list(SEEDS)

    def _check(self, dataset, metric):
        if dataset != "synth":
            raise UnknownKeyError("dataset", dataset, ["synth"])
        if metric not in ("valid_acc", "test_acc"):
            raise UnknownKeyError("metric", metric, ["valid_acc", "test_acc"])

    def query(self, arch, dataset, metric, hp=None, epoch=None, seed=None, rng=None):
        self._check(dataset, metric)
        if isinstance(arch, np.ndarray):
            return np.asarray(
                [self.query(int(a), dataset, metric, hp, epoch, seed, rng) for a in arch]
            )
        i = int(as_arch(arch).index)
        if not self.held[i]:
            return float("nan")
        if metric == "test_acc":
            v = self.test[i]
        elif seed is None:
            v = self.seed_vals[i].mean()
        elif seed == "sample":
            v = self.seed_vals[i, int(rng.integers(len(SEEDS)))]
        else:
            v = self.seed_vals[i, SEEDS.index(seed)]
        if epoch is not None:
            v = v * (1 - 0.5 * (1 - (epoch + 1) / self.T))  # 0-based epochs
        return float(v)

    def cost(self, arch, dataset, hp=None):
        i = int(as_arch(arch).index)
        t = float(self.time[i])
        return {
            "params_m": 1.0,
            "flops_m": 1.0,
            "latency_s": 0.01,
            "train_time_s": t,
            "train_time_per_epoch_s": t / self.T,
        }

    def to_xy(self, dataset, metric, hp=None, seed=None, epoch=None):
        idx = self.cells.astype(np.int64)
        return idx, np.asarray([self.query(int(i), dataset, metric, seed=seed) for i in idx])


@pytest.fixture(scope="session")
def fake_benchmark() -> FakeBenchmark:
    return FakeBenchmark()


def indices(archs) -> np.ndarray:
    return as_indices(list(archs))


@pytest.fixture(scope="session")
def fake_cls() -> type[FakeBenchmark]:
    """The FakeBenchmark class (test modules cannot import conftest directly)."""
    return FakeBenchmark


# ---- a small real table (write_table) with SYNTHETIC values, for the studies and the demo ----

TABLE_SEEDS = (777, 888)


def additive_truth(indices: np.ndarray, seed: int = 0) -> np.ndarray:
    """SYNTHETIC 'true' accuracy: 70 + sum of per-edge op contributions (known structure)."""
    contrib = np.random.default_rng(seed).normal(0, 3.0, size=(6, 5))
    ops = np.asarray([Arch.from_index(int(i)).op_ids for i in indices])
    return 70.0 + contrib[np.arange(6), ops].sum(axis=1)


def make_synthetic_table(
    path,
    n_cells: int = 400,
    noise: float = 1.0,
    seeds=TABLE_SEEDS,
    epochs: int = 4,
    seed: int = 0,
    dataset: str = "fashion-mnist",
):
    """Write a table of SYNTHETIC values (truth + per-seed noise); returns (path, cells)."""
    from surrogate_nb.table import write_table

    rng = np.random.default_rng(seed)
    cells = np.sort(rng.choice(NUM_ARCHS, size=n_cells, replace=False))
    truth = additive_truth(cells, seed)
    trials = []
    for c, f in zip(cells.tolist(), truth.tolist()):
        for s in seeds:
            final = f + noise * rng.standard_normal()
            ramp = np.linspace(0.6, 1.0, epochs)
            trials.append(
                {
                    "arch_index": c,
                    "dataset": dataset,
                    "hp": str(epochs),
                    "seed": s,
                    "epochs": epochs,
                    "status": "ok",
                    "params_m": 0.5,
                    "flops_m": 10.0,
                    "latency_s": 0.01,
                    "train_time_s": 20.0 + (c % 7),
                    "curves": {
                        "valid_acc": (final * ramp).tolist(),
                        "test_acc": ((final + 0.5) * ramp).tolist(),
                        "train_loss": np.linspace(2, 1, epochs).tolist(),
                    },
                }
            )
    write_table(
        path,
        trials,
        manifest={
            "command": "tests/evaluation (SYNTHETIC values)",
            "datasets": {dataset: {"fidelity": "SYNTHETIC test table"}},
        },
    )
    return path, cells


class RidgeSurrogate:
    """Fast test surrogate: ridge regression on the one-hot encoding (std = residual sd)."""

    space = "nb201"

    def __init__(self, model: str = "ridge") -> None:
        self.model = model

    @staticmethod
    def _X(archs):
        from surrogate_nb.space import NB201

        idx = as_indices(np.asarray(archs, dtype=np.int64))
        return np.hstack([NB201.encode(idx.tolist(), "onehot"), np.ones((len(idx), 1))])

    def fit(self, archs, y, *, rng):
        X = self._X(archs)
        y = np.asarray(y, float)
        self.w_ = np.linalg.solve(X.T @ X + 1e-2 * np.eye(X.shape[1]), X.T @ y)
        self.sd_ = float(np.std(y - X @ self.w_)) + 1e-3
        return self

    def predict(self, archs):
        m = self._X(archs) @ self.w_
        return m, np.full(len(m), self.sd_)

    def sample(self, archs, rng):
        m, s = self.predict(archs)
        return m + s * rng.standard_normal(len(m))


@pytest.fixture(scope="session")
def synthetic_table(tmp_path_factory):
    """(path, cells) of a 400-cell, 2-seed, T=4 table of SYNTHETIC values."""
    return make_synthetic_table(tmp_path_factory.mktemp("tables") / "synth")


@pytest.fixture(scope="session")
def table_tools():
    """Helpers for building test tables and fast surrogates."""
    return {"make": make_synthetic_table, "truth": additive_truth, "ridge": RidgeSurrogate}
