"""Contract shared by every surrogate model: shapes, std > 0, determinism, errors, save/load."""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pytest

from surrogate_nb.errors import ModelFormatError, NotFittedError
from surrogate_nb.regressors import REGRESSORS, Surrogate, featurize

CELLS = np.arange(0, 15625, 97)[:120]  # 120 spread-out cells


def _targets(cells: np.ndarray) -> np.ndarray:
    """A smooth synthetic accuracy: more live conv3x3 on paths -> higher, disconnected -> 10."""
    from surrogate_nb.space.nb201_features import cell_stats, stat_names

    s = cell_stats(cells)
    n = list(stat_names())
    y = 70 + 4 * s[:, n.index("sum_path_conv3")] + 2 * s[:, n.index("sum_path_conv1")]
    return np.where(s[:, n.index("connected")] > 0, y, 10.0).astype(np.float64)


class RegressorContract:
    """Subclass per model with `name` and cheap `params`."""

    name: str = ""
    params: ClassVar[dict] = {}
    features: str = "full"

    @classmethod
    def surrogate(cls, **kw) -> Surrogate:
        return Surrogate(REGRESSORS[cls.name](**cls.params), **kw)

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls) -> Surrogate:
        y = _targets(CELLS)
        return cls.surrogate().fit(CELLS, y, rng=np.random.default_rng(0))

    def test_registry_and_init_stores_args_only(self):
        cls = REGRESSORS[self.name]
        m = cls(**self.params)
        assert m.get_params()["n_members"] >= 5
        assert not any(k.endswith("_") for k in vars(m))

    def test_regressor_fit_predict_shapes_and_positive_std(self):
        X = featurize(CELLS, self.features)
        y = _targets(CELLS)
        m = REGRESSORS[self.name](**self.params, random_state=3)
        assert m.fit(X, y) is m
        mean, std = m.predict(X[:7])
        assert mean.shape == (7,) and std.shape == (7,)
        assert mean.dtype == np.float64 and np.all(std > 0)
        assert m.n_features_in_ == X.shape[1]

    def test_feature_constant_in_training_stays_bounded(self):
        X = featurize(CELLS, self.features)
        y = _targets(CELLS)
        X[:, -1] = 0.0
        m = REGRESSORS[self.name](**self.params, random_state=0).fit(X, y)
        X[:, -1] = 1.0  # a value never seen in training
        mean, std = m.predict(X)
        assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
        assert mean.min() > y.min() - 30 and mean.max() < y.max() + 30

    def test_not_fitted(self):
        with pytest.raises(NotFittedError):
            REGRESSORS[self.name](**self.params).predict(featurize(CELLS[:3], self.features))
        with pytest.raises(NotFittedError):
            self.surrogate().predict(CELLS[:3])
        with pytest.raises(NotFittedError):
            self.surrogate().save("unused")

    def test_surrogate_predict_sample(self, fitted):
        mean, std = fitted.predict(CELLS[:10])
        assert mean.shape == std.shape == (10,) and np.all(std > 0)
        draw = fitted.sample(CELLS[:10], np.random.default_rng(1))
        assert draw.shape == (10,) and not np.array_equal(draw, mean)
        assert np.all(draw < 100)  # log_error target never leaves the range
        again = fitted.sample(CELLS[:10], np.random.default_rng(1))
        np.testing.assert_array_equal(draw, again)

    def test_same_random_state_same_predictions(self, fitted):
        y = _targets(CELLS)
        other = self.surrogate().fit(CELLS, y, rng=np.random.default_rng(0))
        for a, b in zip(fitted.predict(CELLS), other.predict(CELLS)):
            np.testing.assert_array_equal(a, b)

    def test_save_load_round_trip(self, fitted, tmp_path):
        path = fitted.save(tmp_path / "model")
        manifest = json.loads((path / "manifest.json").read_text())
        assert manifest["model"] == self.name and manifest["format_version"] == 1
        assert manifest["train"]["n"] == len(CELLS) and len(manifest["train"]["sha256"]) == 64
        assert not any(p.suffix in (".pkl", ".pickle") for p in path.iterdir())
        loaded = Surrogate.load(path)
        for a, b in zip(fitted.predict(CELLS), loaded.predict(CELLS)):
            np.testing.assert_array_equal(a, b)

    def test_load_refuses_newer_or_tampered(self, fitted, tmp_path):
        path = fitted.save(tmp_path / "model")
        mpath = path / "manifest.json"
        original = mpath.read_text()
        manifest = json.loads(original)
        manifest["format_version"] = 99
        mpath.write_text(json.dumps(manifest))
        with pytest.raises(ModelFormatError, match="format_version"):
            Surrogate.load(path)
        mpath.write_text("{not json")
        with pytest.raises(ModelFormatError):
            Surrogate.load(path)
        mpath.write_text(original)
        model_file = path / next(iter(json.loads(original)["files"]))
        model_file.write_bytes(model_file.read_bytes()[:-8] + b"XXXXXXXX")
        with pytest.raises(ModelFormatError, match="checksum"):
            Surrogate.load(path)
        with pytest.raises(ModelFormatError):
            Surrogate.load(tmp_path / "missing")


class TestXGB(RegressorContract):
    name = "xgb"
    params: ClassVar[dict] = {"n_estimators": 40}


class TestLGB(RegressorContract):
    name = "lgb"
    params: ClassVar[dict] = {"n_estimators": 40}


class TestGIN(RegressorContract):
    name = "gin"
    params: ClassVar[dict] = {"steps": 120, "hidden": 16}
    features = "graph"


class TestEnsemble(RegressorContract):
    name = "ensemble"
    params: ClassVar[dict] = {"steps": 150, "hidden": 32}


def test_same_seed_same_model_in_a_fresh_process(tmp_path):
    """A seed gives the same predictions in a spawned interpreter with another hash seed."""
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np, sys\n"
        "from surrogate_nb.regressors import LGBRegressor, Surrogate\n"
        "cells = np.arange(0, 15625, 97)[:120]\n"
        "y = 80 + (cells % 7).astype(float)\n"
        "s = Surrogate(LGBRegressor(n_estimators=30))\n"
        "s = s.fit(cells, y, rng=np.random.default_rng(5))\n"
        "np.save(sys.argv[1], np.stack(s.predict(cells)))\n"
    )
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"p{hash_seed}.npy"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=120)
        outs.append(np.load(out))
    np.testing.assert_array_equal(outs[0], outs[1])
