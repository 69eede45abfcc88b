"""An area against the city, as small-area profiles do (England's Fingertips): is the value significantly higher,
similar or lower than the city's, is it getting better, and which areas resemble it. Pure functions.

- Shares and rates carry Wilson intervals from the engine; counts and count-based ratios get the exact Poisson
  interval below 10 and Byar's approximation from 10 on (Public Health England, Technical Guide: Confidence Intervals). An area is
  "höher"/"niedriger" when its interval excludes the city's value, "ähnlich" otherwise — the city is the
  benchmark, not a second sample.
- The recent trend is the chi-squared test for trend in proportions (Cochran–Armitage, as Fingertips' recent
  trends) over the last five years with data, by statsmodels' linear-by-linear association test.
- Comparable areas are the nearest neighbours on the standardised need components of the cycle's index.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
HIGHER, SIMILAR, LOWER = "höher", "ähnlich", "niedriger"
RISING, FALLING, NO_TREND = "steigend", "fallend", "kein eindeutiger Trend"
TREND_YEARS = 5


def byar_interval(count: float, z: float = Z95) -> tuple[float, float]:
    """The 95 % interval of a Poisson count: exact (chi-squared) below 10, Byar's approximation from 10 on, as
    PHE's tools do (0 → lower 0)."""
    o = float(count)
    if not math.isfinite(o) or o < 0:
        return (math.nan, math.nan)
    if o < 10:
        from scipy.stats import chi2

        return (0.0 if o == 0 else float(chi2.ppf(0.025, 2 * o) / 2), float(chi2.ppf(0.975, 2 * o + 2) / 2))
    lower = 0.0 if o == 0 else o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    o1 = o + 1
    upper = o1 * (1 - 1 / (9 * o1) + z / (3 * math.sqrt(o1))) ** 3
    return (lower, upper)


def versus(lower: float, upper: float, benchmark: float) -> str | None:
    """Higher, similar or lower than the benchmark by the area's interval; None without an interval."""
    if any(v is None or not np.isfinite(v) for v in (lower, upper, benchmark)):
        return None
    if lower > benchmark:
        return HIGHER
    if upper < benchmark:
        return LOWER
    return SIMILAR


def recent_trend(years, numerators, denominators, n_years: int = TREND_YEARS, alpha: float = 0.05
                 ) -> tuple[str | None, float | None, list[int]]:
    """Direction and p of the trend in a proportion over the last `n_years` years with data (needs ≥ 3 years and
    whole counts); None when it cannot be tested."""
    from statsmodels.stats.contingency_tables import Table

    d = pd.DataFrame({"year": years, "num": numerators, "den": denominators}).dropna()
    d = d[(d["den"] > 0) & (d["num"] >= 0) & (d["num"] <= d["den"])].sort_values("year").tail(n_years)
    if len(d) < 3 or d["num"].sum() == 0 or (d["num"] == d["den"]).all():
        return None, None, d["year"].astype(int).tolist()
    counts = np.vstack([d["num"].to_numpy(float), (d["den"] - d["num"]).to_numpy(float)])
    res = Table(counts).test_ordinal_association(row_scores=np.array([1.0, 0.0]),
                                                 col_scores=d["year"].to_numpy(float))
    share = d["num"] / d["den"]
    slope = np.polyfit(d["year"].to_numpy(float), share.to_numpy(float), 1)[0]
    if res.pvalue >= alpha:
        return NO_TREND, float(res.pvalue), d["year"].astype(int).tolist()
    return (RISING if slope > 0 else FALLING), float(res.pvalue), d["year"].astype(int).tolist()


def neighbours(z: pd.DataFrame, code: str, k: int = 5) -> list[str]:
    """The k areas nearest to `code` on the standardised components (Euclidean, over the components both have;
    ties by code). Areas without a complete profile are left out; [] when `code` has none."""
    if code not in z.index or z.loc[code].isna().all():
        return []
    own = z.loc[code]
    cols = own.dropna().index
    other = z.drop(index=code)[cols].dropna()
    dist = np.sqrt(((other - own[cols]) ** 2).sum(axis=1))
    return [c for c, _ in sorted(dist.items(), key=lambda kv: (round(kv[1], 12), kv[0]))[:k]]


def spine_row(values: pd.Series, own: float, city: float) -> dict | None:
    """One spine-chart row: the range, quartiles and median of all areas' values, the area's and the city's."""
    v = values.dropna().astype(float)
    if v.empty:
        return None
    q = v.quantile([0.25, 0.5, 0.75]).to_numpy()
    return {"min": float(v.min()), "q1": float(q[0]), "median": float(q[1]), "q3": float(q[2]),
            "max": float(v.max()), "own": float(own) if own is not None and np.isfinite(own) else math.nan,
            "city": float(city) if city is not None and np.isfinite(city) else math.nan, "n": int(len(v))}
