"""Empirical-Bayes smoothing of small-area rates (Marshall 1991, global method).

A rate from 40 households swings by chance far more than one from 4,000; ranked raw, the smallest Ortsteile
crowd the extremes. Marshall's estimator pulls each rate towards the city's rate by a weight that grows with its
own denominator: w_i = a / (a + m / d_i), with m = Σn/Σd, a = Σd_i(r_i − m)²/Σd − m/d̄ (the between-area variance
beyond chance, set to 0 when negative: then every rate is the city's). PySAL's `esda.smoothing.Empirical_Bayes`
computes the same (checked in the tests); it is not a dependency because its smoothing module is deprecated.
"""

from __future__ import annotations

import numpy as np


def empirical_bayes(numerator, denominator) -> np.ndarray:
    """Smoothed rates n/d (same scale as n/d). Areas without a positive denominator get NaN."""
    n = np.asarray(numerator, dtype=float)
    d = np.asarray(denominator, dtype=float)
    ok = (d > 0) & ~np.isnan(n)
    out = np.full(n.shape, np.nan)
    if not ok.any():
        return out
    n_ok, d_ok = n[ok], d[ok]
    r = n_ok / d_ok
    m = n_ok.sum() / d_ok.sum()
    a = max((d_ok * (r - m) ** 2).sum() / d_ok.sum() - m / d_ok.mean(), 0.0)
    w = a / (a + m / d_ok) if a > 0 else np.zeros_like(r)
    out[ok] = m + w * (r - m)
    return out
