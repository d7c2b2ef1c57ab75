"""`BenchmarkLike`: the tabular `Benchmark` and `SurrogateBenchmark` both implement it, with the
protocol's signatures and return shapes, and an optimizer runs on either through it alone."""

from __future__ import annotations

import inspect
import typing

import numpy as np
import pytest

from surrogate_nb.evaluation.optimizers import RegularizedEvolution
from surrogate_nb.regressors import SurrogateBenchmark
from surrogate_nb.table import Benchmark, BenchmarkLike, Costs, write_table

CELLS = np.arange(0, 15625, 311)[:40]


class _Linear:
    """A tiny fitted stand-in surrogate: y = a + b * (index mod 7)."""

    space = "nb201"

    def fit(self, archs, y, *, rng):
        x = np.asarray(archs) % 7
        self.b_, self.a_ = np.polyfit(x, np.asarray(y, float), 1)
        return self

    def predict(self, archs):
        m = self.a_ + self.b_ * (np.asarray(archs) % 7)
        return m, np.ones(len(m))

    def sample(self, archs, rng):
        m, s = self.predict(archs)
        return m + s * rng.standard_normal(len(m))


@pytest.fixture(scope="module")
def benches(tmp_path_factory):
    trials = [
        {
            "arch_index": int(c),
            "dataset": "toy",
            "hp": "3",
            "seed": s,
            "epochs": 3,
            "train_time_s": 30.0,
            "curves": {"valid_acc": [50.0, 60.0, 70.0 + c % 7 + s % 2]},
        }
        for c in CELLS
        for s in (777, 888)
    ]
    table = Benchmark.open(write_table(tmp_path_factory.mktemp("p") / "t", trials, manifest={}))
    surrogate = SurrogateBenchmark.from_table(
        table, "toy", "valid_acc", rng=np.random.default_rng(0), surrogate=_Linear()
    )
    return {"table": table, "surrogate": surrogate}


def _members() -> list[str]:
    return [
        n for n in dir(BenchmarkLike) if not n.startswith("_") and n not in ("path", "register")
    ]


@pytest.mark.parametrize("kind", ["table", "surrogate"])
def test_implements_the_protocol(benches, kind):
    b = benches[kind]
    assert isinstance(b, BenchmarkLike)
    for name in _members():
        proto = getattr(BenchmarkLike, name)
        if not callable(proto):
            continue
        want = list(inspect.signature(proto).parameters)[1:]
        have = list(inspect.signature(getattr(type(b), name)).parameters)[1:]
        assert have[: len(want)] == want, f"{type(b).__name__}.{name}{have} vs protocol {want}"


@pytest.mark.parametrize("kind", ["table", "surrogate"])
def test_return_shapes(benches, kind):
    b = benches[kind]
    one = b.query(int(CELLS[3]), "toy", "valid_acc")
    assert isinstance(one, float) and np.isfinite(one)
    many = b.query(CELLS[:5], "toy", "valid_acc")
    assert many.shape == (5,) and many.dtype == np.float64
    v, n = b.query_with_count(int(CELLS[3]), "toy", "valid_acc")
    assert v == one and isinstance(n, int) and n == (2 if kind == "table" else 0)
    vs, ns = b.query_with_count(CELLS[:5], "toy", "valid_acc")
    np.testing.assert_array_equal(vs, many)
    assert ns.shape == (5,) and ns.dtype == np.int64
    assert set(b.cost(int(CELLS[0]), "toy")) == set(typing.get_type_hints(Costs))
    assert b.epochs("toy") == 3  # the surrogate benchmark reads its table's T
    assert b.seeds("toy") == ([777, 888] if kind == "table" else [])
    idx, y = b.to_xy("toy", "valid_acc")
    assert idx.dtype == np.int64 and y.shape == idx.shape and np.isfinite(y).all()
    assert b.space.name == "nb201" and "valid_acc" in b.metrics("toy")


def test_optimizer_runs_on_both(benches):
    from surrogate_nb.evaluation.optimizers import CellPool

    pool = CellPool(CELLS)
    finals = {
        kind: RegularizedEvolution()
        .run(b, "toy", "valid_acc", budget_s=600, rng=np.random.default_rng(1), pool=pool)
        .final_report
        for kind, b in benches.items()
    }
    assert all(np.isfinite(v) for v in finals.values())
