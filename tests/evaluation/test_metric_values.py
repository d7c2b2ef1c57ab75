"""Scores with known values (issue 22: NLL computed with the variance in place of the std was
caught only far away, by an end-to-end test)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surrogate_nb.evaluation.metrics import coverage, gaussian_nll


def test_gaussian_nll_known_values():
    half_log_2pi = 0.5 * math.log(2 * math.pi)

    def nll(y, m, s):  # two identical rows: the metrics need at least 2 values
        return gaussian_nll([y, y], [m, m], [s, s])

    assert nll(0.0, 0.0, 1.0) == pytest.approx(half_log_2pi)
    assert nll(0.0, 0.0, 2.0) == pytest.approx(half_log_2pi + math.log(2))
    assert nll(2.0, 0.0, 2.0) == pytest.approx(half_log_2pi + math.log(2) + 0.5)
    assert gaussian_nll([1.0, 3.0], [1.0, 0.0], [1.0, 3.0]) == pytest.approx(
        half_log_2pi + 0.5 * (math.log(3) + 0.5)
    )
    with pytest.raises(ValueError, match="std must be > 0"):
        gaussian_nll([0.0, 1.0], [0.0, 0.0], [0.0, 1.0])


def test_coverage_known_values():
    z90 = 1.6448536269514722
    y = np.array([0.0, 1.6, 1.7, -1.6, -1.7, 10.0])
    assert coverage(y, np.zeros(6), np.ones(6), 0.9) == pytest.approx(3 / 6)
    assert coverage(y * 2, np.zeros(6), 2 * np.ones(6), 0.9) == pytest.approx(3 / 6)  # scaled
    assert coverage([z90 - 1e-9, z90 + 1e-9], [0, 0], [1, 1], 0.9) == pytest.approx(0.5)
    assert coverage([0.67, 0.68], [0, 0], [1, 1], 0.5) == pytest.approx(0.5)
