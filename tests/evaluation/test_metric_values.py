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


def test_coverage_interval_is_closed_and_level_is_checked():
    """Survivors of the mutation run: the interval's ends count as inside, and a level outside
    (0, 1) is refused."""
    from scipy.stats import norm

    lo, hi = norm.interval(0.9, loc=0.0, scale=1.0)
    assert coverage([lo, hi], [0.0, 0.0], [1.0, 1.0], 0.9) == 1.0
    for level in (0.0, 1.0, -0.5, 1.5):
        with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
            coverage([0.0, 1.0], [0.0, 0.0], [1.0, 1.0], level)
    assert coverage([0.0, 5.0], [0.0, 0.0], [1.0, 1.0], 0.001) == pytest.approx(0.5)


def test_sparse_kendall_tau_rounds_to_the_given_decimals():
    from surrogate_nb.evaluation.metrics import sparse_kendall_tau

    y = [70.01, 70.04, 70.4, 70.6]  # in order at full precision; ties appear as it rounds
    p = [0.0, 1.0, 2.0, 3.0]
    t0, t1, t2 = (sparse_kendall_tau(y, p, decimals=d) for d in (0, 1, 2))
    assert t0 < t1 < t2 == pytest.approx(1.0)
    assert sparse_kendall_tau(y, p) == t1  # the default is 0.1 points
