"""Trends and gaps with statsmodels: is the gap between the priority areas and the rest of the city narrowing?

The unit is the Ortsteil-year. Reported slopes (trends.csv) are in percentage points per year from a weighted
least-squares fit of the rates (weights: denominators; standard errors clustered by Ortsteil), which reads in the
unit the committee discusses. A binomial GLM on the counts (logit link, denominators as trials, clustered
standard errors) gives the same cells on the log-odds scale as a check of direction. The gap's change per year is
the year × priority-group interaction, estimated separately before and after the plan start (2020).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from evalkit.indicators.engine import published

PLAN_START = 2020
COLUMNS = ["indicator", "group", "slope", "lower", "upper", "period"]


def group_series(table: pd.DataFrame, indicator: str, members: set, until: int) -> pd.DataFrame:
    """Numerator and denominator per year for the priority group and the rest, summed over Ortsteile.

    Suppressed counts enter with the midpoint of their range, as in the engine's aggregates; `suppressed` says
    how many Ortsteile of a group-year did."""
    t = table[(table.indicator == indicator) & (table.level == "ortsteil") & (table.year <= until)].copy()
    t["group"] = np.where(t["area_code"].isin(members), "schwerpunkt", "uebrige")
    if "suppressed" not in t.columns:
        t["suppressed"] = 0
    g = t.groupby(["group", "year"], as_index=False)[["numerator", "denominator", "suppressed"]].sum()
    g["value"] = 100 * g["numerator"] / g["denominator"]
    g["lower"], g["upper"], g["se"], g["df"] = pooled_interval(t, g)
    return g


def pooled_interval(t: pd.DataFrame, g: pd.DataFrame, level: float = 0.95) -> tuple:
    """A 95 % interval for each group-year's pooled rate from the spread between its Ortsteile (the ratio
    estimator's cluster variance, t with m−1 df). Register counts vary far more between areas than a binomial
    allows (Pearson dispersion 28–73), so a Wilson band on the summed counts would be much too narrow."""
    from scipy.stats import t as student

    merged = t.merge(g[["group", "year", "numerator", "denominator"]], on=["group", "year"], suffixes=("", "_g"))
    ratio = merged["numerator_g"] / merged["denominator_g"]
    merged["e2"] = (merged["numerator"] - ratio * merged["denominator"]) ** 2
    agg = merged.groupby(["group", "year"]).agg(m=("e2", "size"), e2=("e2", "sum"))
    agg = agg.reindex(pd.MultiIndex.from_frame(g[["group", "year"]]))
    m = agg["m"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(m / (m - 1) * agg["e2"].to_numpy() / g["denominator"].to_numpy() ** 2)
        half = 100 * student.ppf(0.5 + level / 2, np.maximum(m - 1, 1)) * se
    value = g["value"].to_numpy()
    half = np.where(m > 1, half, np.nan)
    return value - half, value + half, 100 * se, m - 1


def _ortsteil_rows(table: pd.DataFrame, indicator: str, members: set, a: int, b: int) -> pd.DataFrame:
    t = table[(table.indicator == indicator) & (table.level == "ortsteil") & table.year.between(a, b)]
    t = t[(t["denominator"] > 0) & published(t)].copy()  # suppressed counts are not rates to fit
    t["sp"] = t["area_code"].isin(members).astype(float)
    t["year_c"] = t["year"] - (a + b) / 2
    t["year_sp"] = t["year_c"] * t["sp"]
    t["rate"] = 100 * t["numerator"] / t["denominator"]
    return t


def _design(df: pd.DataFrame, cols: list[str]) -> tuple[pd.DataFrame, dict]:
    """Regressors with a constant, and the fit options that cluster standard errors by Ortsteil."""
    X = sm.add_constant(df[cols].astype(float), has_constant="add")
    return X, {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(df["area_code"])[0]}}


def _wls(df: pd.DataFrame, cols: list[str]):
    """Rates in percentage points, weighted by the denominator, standard errors clustered by Ortsteil: the
    slope reads directly as points per year and year-to-year noise of each area is not mistaken for signal."""
    X, clustered = _design(df, cols)
    return sm.WLS(df["rate"], X, weights=df["denominator"]).fit(**clustered)


def glm_slope(df: pd.DataFrame, cols: list[str], term: str) -> tuple[float, float, float]:
    """Binomial GLM (logit) on the counts, denominators as trials, Pearson scale, clustered by Ortsteil:
    the change of the log-odds per year (exp() of it is the odds ratio per year)."""
    X, clustered = _design(df, cols)
    y = np.column_stack([df["numerator"], df["denominator"] - df["numerator"]])
    return _coef(sm.GLM(y, X, family=sm.families.Binomial()).fit(**clustered), term)


def _coef(fit, term: str) -> tuple[float, float, float]:
    lo, hi = fit.conf_int().loc[term]
    return float(fit.params[term]), float(lo), float(hi)


def periods(first: int, last: int, plan_start: int = PLAN_START) -> list[tuple[int, int]]:
    """Before and after the plan start (`evaluation.plan_start` of the cycle; the constant is only the default)."""
    out = []
    if plan_start - 1 - first >= 2:
        out.append((first, plan_start - 1))
    if last - plan_start >= 1:
        out.append((plan_start, last))
    return out


def trends_table(table: pd.DataFrame, indicators: list[str], members: set, until: dict[str, int],
                 first_year: int = 2008, plan_start: int = PLAN_START) -> tuple[pd.DataFrame, pd.DataFrame]:
    """trends.csv (percentage points per year; groups schwerpunkt, uebrige, abstand = change of the gap) and
    the binomial GLM's log-odds slopes for the same cells."""
    rows, glm_rows = [], []
    for ind in indicators:
        t = table[(table.indicator == ind) & (table.level == "ortsteil")]
        years = t.year[(t.year >= first_year) & (t.year <= until[ind])]
        if years.empty:
            continue
        for a, b in periods(int(years.min()), int(years.max()), plan_start):
            df = _ortsteil_rows(table, ind, members, a, b)
            label = f"{a}–{b}"
            both = _wls(df, ["year_c", "sp", "year_sp"])
            for grp, part in (("schwerpunkt", df[df.sp == 1]), ("uebrige", df[df.sp == 0])):
                rows.append((ind, grp, *_coef(_wls(part, ["year_c"]), "year_c"), label))
                glm_rows.append((ind, grp, *glm_slope(part, ["year_c"], "year_c"), label))
            rows.append((ind, "abstand", *_coef(both, "year_sp"), label))
            glm_rows.append((ind, "abstand", *glm_slope(df, ["year_c", "sp", "year_sp"], "year_sp"), label))
    out = pd.DataFrame(rows, columns=COLUMNS)
    glm = pd.DataFrame(glm_rows, columns=COLUMNS)
    for frame in (out, glm):
        for c in ("slope", "lower", "upper"):
            frame[c] = frame[c].round(6)
    return out, glm


def gap_by_year(series: pd.DataFrame) -> pd.DataFrame:
    """The gap in percentage points per year with a 95 % interval from both groups' spread between Ortsteile
    (their cluster standard errors combined; t with the smaller group's degrees of freedom)."""
    from scipy.stats import t as student

    w = series.pivot(index="year", columns="group", values=["value", "se", "df"])
    gap = w["value"]["schwerpunkt"] - w["value"]["uebrige"]
    se = np.sqrt(w["se"]["schwerpunkt"] ** 2 + w["se"]["uebrige"] ** 2)
    df = np.maximum(np.minimum(w["df"]["schwerpunkt"], w["df"]["uebrige"]), 1)
    half = student.ppf(0.975, df) * se
    return pd.DataFrame({"year": w.index, "gap": gap.to_numpy(), "lower": (gap - half).to_numpy(),
                         "upper": (gap + half).to_numpy()})
