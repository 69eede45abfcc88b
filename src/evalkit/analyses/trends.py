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

from evalkit.indicators.intervals import wilson

PLAN_START = 2020
COLUMNS = ["indicator", "group", "slope", "lower", "upper", "period"]


def group_series(table: pd.DataFrame, indicator: str, members: set, until: int) -> pd.DataFrame:
    """Numerator and denominator per year for the priority group and the rest, summed over Ortsteile."""
    t = table[(table.indicator == indicator) & (table.level == "ortsteil") & (table.year <= until)].copy()
    t["group"] = np.where(t["area_code"].isin(members), "schwerpunkt", "uebrige")
    g = t.groupby(["group", "year"], as_index=False)[["numerator", "denominator"]].sum()
    g["value"] = 100 * g["numerator"] / g["denominator"]
    g["lower"], g["upper"] = wilson(g["numerator"], g["denominator"], 100)
    return g


def _ortsteil_rows(table: pd.DataFrame, indicator: str, members: set, a: int, b: int) -> pd.DataFrame:
    t = table[(table.indicator == indicator) & (table.level == "ortsteil") & table.year.between(a, b)]
    t = t[t["denominator"] > 0].copy()
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


def periods(first: int, last: int) -> list[tuple[int, int]]:
    out = []
    if PLAN_START - 1 - first >= 2:
        out.append((first, PLAN_START - 1))
    if last - PLAN_START >= 1:
        out.append((PLAN_START, last))
    return out


def trends_table(table: pd.DataFrame, indicators: list[str], members: set, until: dict[str, int],
                 first_year: int = 2008) -> tuple[pd.DataFrame, pd.DataFrame]:
    """trends.csv (percentage points per year; groups schwerpunkt, uebrige, abstand = change of the gap) and
    the binomial GLM's log-odds slopes for the same cells."""
    rows, glm_rows = [], []
    for ind in indicators:
        t = table[(table.indicator == ind) & (table.level == "ortsteil")]
        years = t.year[(t.year >= first_year) & (t.year <= until[ind])]
        if years.empty:
            continue
        for a, b in periods(int(years.min()), int(years.max())):
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
    """The gap in percentage points per year with a 95 % interval (normal approximation, two proportions)."""
    w = series.pivot(index="year", columns="group", values=["numerator", "denominator"])
    p1 = w["numerator"]["schwerpunkt"] / w["denominator"]["schwerpunkt"]
    p0 = w["numerator"]["uebrige"] / w["denominator"]["uebrige"]
    se = np.sqrt(p1 * (1 - p1) / w["denominator"]["schwerpunkt"] + p0 * (1 - p0) / w["denominator"]["uebrige"])
    gap = 100 * (p1 - p0)
    return pd.DataFrame({"year": w.index, "gap": gap.to_numpy(), "lower": (gap - 196 * se).to_numpy(),
                         "upper": (gap + 196 * se).to_numpy()})
