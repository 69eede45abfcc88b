"""An Ortsteil against the city: Byar intervals, the higher/similar/lower rule, the trend test, neighbours."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2

from evalkit.analyses.compare import (FALLING, HIGHER, LOWER, NO_TREND, RISING, SIMILAR, byar_interval, neighbours,
                                      recent_trend, versus)


def test_byar_by_hand_and_against_the_exact_poisson_interval():
    # by hand: 10 · (1 − 1/90 − 1.96/(3·√10))³ = 4.7874; 11 · (1 − 1/99 + 1.96/(3·√11))³ = 18.3915 (exact 18.3904)
    lo, hi = byar_interval(10)
    assert lo == pytest.approx(4.7874, abs=1e-3) and hi == pytest.approx(18.3915, abs=1e-3)
    assert byar_interval(0) == (0.0, pytest.approx(3.6889, abs=1e-3))  # below 10 the exact interval
    assert byar_interval(3) == (pytest.approx(0.6187, abs=1e-3), pytest.approx(8.7673, abs=1e-3))
    for o in (10, 24, 100, 1000):  # Byar within 1 % of the exact (chi-squared) limits
        exact = (chi2.ppf(0.025, 2 * o) / 2, chi2.ppf(0.975, 2 * o + 2) / 2)
        got = byar_interval(o)
        assert got[0] == pytest.approx(exact[0], rel=0.01) and got[1] == pytest.approx(exact[1], rel=0.01), o


@settings(max_examples=80, deadline=None)
@given(st.floats(0, 100), st.floats(0, 50), st.floats(0, 100))
def test_higher_only_when_the_interval_lies_above(lo, width, city):
    hi = lo + width
    word = versus(lo, hi, city)
    assert word == (HIGHER if lo > city else LOWER if hi < city else SIMILAR)
    assert versus(float("nan"), hi, city) is None


def test_cochran_armitage_trend_by_hand():
    """Proportions 10/100, 15/100, 20/100, 25/100 over four years: the Cochran–Armitage statistic by hand."""
    years, num, den = [2019, 2020, 2021, 2022], np.array([10, 15, 20, 25.0]), np.array([100, 100, 100, 100.0])
    n, p = den.sum(), num.sum() / den.sum()
    t = np.array(years, float)
    tbar = (den * t).sum() / n
    ca = ((num * (t - tbar)).sum()) ** 2 / (p * (1 - p) * (den * (t - tbar) ** 2).sum())
    # statsmodels' linear-by-linear statistic is (N − 1)/N of the Cochran–Armitage one
    expected_p = chi2.sf(ca * (n - 1) / n, 1)
    word, pval, used = recent_trend(years, num, den)
    assert word == RISING and pval == pytest.approx(expected_p, rel=1e-6) and used == years
    assert recent_trend(years, num[::-1], den)[0] == FALLING
    assert recent_trend(years, [20, 21, 19, 20], den)[0] == NO_TREND
    assert recent_trend([2021, 2022], [1, 2], [10, 10])[0] is None  # too few years to test


def test_only_the_last_five_years_count():
    years = list(range(2010, 2023))
    num = [50] * 8 + [10, 10, 10, 10, 10]  # a fall long ago, flat in the last five years
    assert recent_trend(years, num, [100] * 13) == (NO_TREND, pytest.approx(1.0), list(range(2018, 2023)))


def test_neighbours_on_the_components():
    z = pd.DataFrame({"a": [0.0, 0.1, 2.0, -1.0, np.nan], "b": [0.0, 0.2, 2.0, 1.0, 0.0]},
                     index=["00", "01", "02", "03", "04"])
    assert neighbours(z, "00", 2) == ["01", "03"]  # distances 0.224, 1.414, 2.83
    assert neighbours(z, "04", 1) == ["00"]  # on the component it has (b): 00 at 0, then 01 at 0.2
    assert neighbours(z.assign(a=np.nan, b=np.nan), "00") == []
    assert math.isfinite(len(neighbours(z, "02", 10)))
