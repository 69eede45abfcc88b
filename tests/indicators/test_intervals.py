import math

import numpy as np
import pytest

from evalkit.indicators.intervals import wilson


def test_wilson_matches_hand_computation():
    # 3 of 10, z = 1.959964: centre (0.3 + z²/20)/(1 + z²/10), half-width z·sqrt(0.021 + z²/400)/(1 + z²/10)
    z = 1.959963984540054
    centre = (0.3 + z**2 / 20) / (1 + z**2 / 10)
    half = z * math.sqrt(0.3 * 0.7 / 10 + z**2 / 400) / (1 + z**2 / 10)
    lo, hi = wilson([3], [10], scale=100)
    assert lo[0] == pytest.approx(100 * (centre - half), abs=1e-9)
    assert hi[0] == pytest.approx(100 * (centre + half), abs=1e-9)
    assert lo[0] == pytest.approx(10.7789, abs=1e-3) and hi[0] == pytest.approx(60.3222, abs=1e-3)


def test_wilson_stays_in_range_for_zero_and_full_counts():
    lo, hi = wilson([0, 5], [5, 5])
    assert lo[0] == 0 and 0 < hi[0] < 1
    assert 0 < lo[1] < 1 and hi[1] == pytest.approx(1)


def test_wilson_without_denominator_is_nan():
    lo, hi = wilson([1], [0])
    assert np.isnan(lo[0]) and np.isnan(hi[0])
