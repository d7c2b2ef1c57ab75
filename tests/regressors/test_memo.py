"""`Surrogate.memoise` / `SurrogateBenchmark.memoise`: every cell predicted once, same answers."""

from __future__ import annotations

import numpy as np

from surrogate_nb.regressors import LGBRegressor, Surrogate, SurrogateBenchmark, featurize


def test_memoise_predicts_every_cell_once_with_the_same_answers():
    cells = np.arange(0, 15625, 53)
    y = 80 + featurize(cells, "stats")[:, 0]
    s = Surrogate(LGBRegressor(n_estimators=30), calibrate=False)
    s.fit(cells, y, rng=np.random.default_rng(0))
    direct = s.regressor_.predict(featurize([3, 4000], "full"))
    bench = SurrogateBenchmark({("cifar10", "valid_acc", "200"): s})
    assert bench.memoise() is bench
    memo = s.__dict__["_memo"]
    assert memo[1].shape == (15625,)
    np.testing.assert_allclose(memo[1][[3, 4000]], direct[0])
    assert s.memoise().__dict__["_memo"] is memo  # built once
