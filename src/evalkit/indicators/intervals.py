"""Uncertainty for rates of small areas: Wilson score intervals (statsmodels), which stay inside [0, 1]."""

from __future__ import annotations

import numpy as np
from statsmodels.stats.proportion import proportion_confint

ALPHA = 0.05


def wilson(numerator, denominator, scale: float = 1.0):
    """95 % Wilson interval of numerator/denominator, times scale; NaN where the denominator is not positive."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    ok = den > 0
    lo = np.full(num.shape, np.nan)
    hi = np.full(num.shape, np.nan)
    if ok.any():
        l, h = proportion_confint(num[ok], den[ok], alpha=ALPHA, method="wilson")
        lo[ok], hi[ok] = np.asarray(l) * scale, np.asarray(h) * scale
    return lo, hi
