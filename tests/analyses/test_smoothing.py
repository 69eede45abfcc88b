"""Empirical-Bayes smoothing (Marshall, global): by hand, and against PySAL's esda."""

import numpy as np
import pytest

from evalkit.analyses.smoothing import empirical_bayes


def test_marshall_by_hand():
    """n = 2, 8, 30 of d = 10, 40, 50: m = 40/100 = 0.4; rates 0.2, 0.2, 0.6;
    s² = (10·0.04 + 40·0.04 + 50·0.04)/100 = 0.04; a = 0.04 − 0.4/(100/3) = 0.028;
    w = 0.028/(0.028 + 0.4/d) = 0.4118, 0.7368, 0.7778."""
    got = empirical_bayes([2, 8, 30], [10, 40, 50])
    w = np.array([0.028 / (0.028 + 0.04), 0.028 / (0.028 + 0.01), 0.028 / (0.028 + 0.008)])
    want = 0.4 + w * (np.array([0.2, 0.2, 0.6]) - 0.4)
    assert got == pytest.approx(want, abs=1e-12)
    assert got[0] == pytest.approx(0.4 - 0.2 * 0.028 / 0.068)  # the smallest area moves most towards 0.4


def test_no_spread_beyond_chance_gives_the_city_rate():
    got = empirical_bayes([1, 2, 3], [100, 100, 100])  # variance below what chance alone gives
    assert got == pytest.approx([0.02, 0.02, 0.02])


def test_missing_and_zero_denominators():
    got = empirical_bayes([1.0, np.nan, 5.0, 2.0], [10.0, 10.0, 0.0, 20.0])
    assert np.isnan(got[1]) and np.isnan(got[2]) and not np.isnan(got[[0, 3]]).any()


def test_agrees_with_esda():
    from esda import smoothing as esda_smoothing  # a test dependency (pyproject: test extra)
    rng = np.random.default_rng(4)
    d = rng.integers(20, 5000, 63).astype(float)
    n = rng.binomial(d.astype(int), rng.uniform(0.02, 0.3, 63)).astype(float)
    ours = empirical_bayes(n, d)
    theirs = esda_smoothing.Empirical_Bayes(n.reshape(-1, 1), d.reshape(-1, 1)).r.ravel()
    assert ours == pytest.approx(theirs, rel=1e-10)
