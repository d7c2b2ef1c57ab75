"""The back-transformed mean and std follow their stated formulas (delta method)."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.regressors import LGBRegressor, Surrogate

CELLS = np.arange(0, 15625, 61)[:200]


@pytest.fixture(scope="module")
def fitted():
    y = 55 + 40 * (1 - np.exp(-(CELLS % 17) / 6.0))  # percentages below 100
    return Surrogate(LGBRegressor(n_estimators=30)).fit(CELLS, y, rng=np.random.default_rng(0))


def test_log_error_back_transform_formula(fitted):
    """For t = -log(100 - y): mean = 100 - exp(-m), std = s * exp(-m) * sigma, with (m, sigma)
    the regressor's own prediction and s the calibration scale (stated independently here).

    Planted bugs caught: a dropped or squared calibration scale, exp(+m) for the slope, the
    std left in the transformed space."""
    assert fitted.transform_ == "log_error" and fitted.std_scale_ > 0
    cells = CELLS[:50] + 1
    m, sigma = fitted.regressor_.predict(fitted._X(cells))
    mean, std = fitted.predict(cells)
    # 1e-7: the surrogate's memo predicts the whole space in one batch, which LightGBM members
    # answer through XGBoost copies of their trees (float32 sums, `regressors.lgb_as_xgb`)
    np.testing.assert_allclose(mean, 100 - np.exp(-m), rtol=1e-7)
    np.testing.assert_allclose(std, fitted.std_scale_ * np.exp(-m) * sigma, rtol=1e-6)
    assert not np.allclose(std, np.exp(-m) * sigma)  # the scale matters (s != 1 here)
