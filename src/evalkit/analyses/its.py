"""Comparative interrupted time series: did the evaluation group's rate change at the plan start, relative to the
rest of the city, more than chance and pre-existing drift would give?

One model per outcome over all available years at Ortsteil level (rates in percentage points, weights =
denominators):

    y = b0 + b1·t + b2·post + b3·t·post + G·(g0 + g1·t + g2·post + g3·t·post),   t = year − start, post = year ≥ start

`level_change` = g2 (the group's jump at the start, beyond the rest's), `slope_change` = g3 (the change of the
group's yearly trend beyond the rest's), `pre_slope_diff` = g1 (were the groups already converging before?).
Intervals: standard errors clustered by Ortsteil with the small-sample correction and t with G−1 degrees of
freedom. `p_perm`: where the estimate falls among the same estimates with the group label given to random sets
of the same size (exact enumeration when there are few sets). `placebo_slope_change`: the same model on the
years before the start with a fake start; `slope_change_without_2020_2021`: the model without the pandemic years.
Nothing here identifies a cause: the design compares trends, it does not isolate the plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from evalkit.analyses import regression
from evalkit.analyses.panel import Panel
from evalkit.indicators.engine import published

TERMS = dict(regression.ITS_TERMS)
COLUMNS = ["indicator", "term", "estimate", "lower", "upper", "p_perm"]


def panel(table: pd.DataFrame, indicator: str, group: set, first: int, last: int) -> pd.DataFrame:
    """Ortsteil-year rates (percentage points) with their denominators and the group label."""
    t = table[(table.indicator == indicator) & (table.level == "ortsteil") & table.year.between(first, last)]
    t = t[(t["denominator"] > 0) & published(t)]  # a suppressed count ("< 10") is no rate to fit
    return pd.DataFrame({"area_code": t["area_code"].to_numpy(), "year": t["year"].to_numpy(int),
                         "rate": (100 * t["numerator"] / t["denominator"]).to_numpy(float),
                         "weight": t["denominator"].to_numpy(float),
                         "group": t["area_code"].isin(group).to_numpy(float)})


def as_panel(p: pd.DataFrame, start: int, eligible: list[str] | None = None) -> Panel:
    """The engine's panel: Ortsteile clustered by themselves; permutation strata 'eligible' (the Ortsteile a
    comparison group may be drawn from) and 'other' (always in the rest)."""
    ok = set(p["area_code"]) if eligible is None else set(eligible)
    d = pd.DataFrame({"unit": p["area_code"].astype(str).to_numpy(), "time": p["year"].to_numpy(int),
                      "y": p["rate"].to_numpy(float), "w": p["weight"].to_numpy(float),
                      "treated_unit": p["group"].to_numpy(float) > 0, "post": p["year"].to_numpy(int) >= start})
    d["cluster"] = d["unit"]
    d["stratum"] = np.where(d["unit"].isin(ok), "eligible", "other")
    return Panel(d.sort_values(["unit", "time"], kind="stable").reset_index(drop=True), start)


def design(p: pd.DataFrame, start: int, group: np.ndarray | None = None) -> pd.DataFrame:
    """The model's columns (for the fitted segments of the figure)."""
    g = p["group"].to_numpy() if group is None else group
    t = (p["year"] - start).to_numpy(float)
    post = (p["year"] >= start).to_numpy(float)
    return pd.DataFrame({"const": 1.0, "t": t, "post": post, "t_post": t * post, "g": g, "g_t": g * t,
                         "g_post": g * post, "g_t_post": g * t * post})


def fit(p: pd.DataFrame, start: int, terms: dict[str, str] = TERMS, alpha: float = 0.05) -> pd.DataFrame:
    """Estimates with cluster-robust small-sample intervals (CR1, t with G−1 df), from the evaluation engine."""
    rows = {r["term"]: r for r in regression.cluster_rows(regression.Model(as_panel(p, start), "its"), alpha)}
    term_of = {col: term for term, col in TERMS.items()}
    out = [{"term": name, **{k: rows[term_of[col]][k] for k in ("estimate", "lower", "upper")}}
           for name, col in terms.items() if np.isfinite(rows[term_of[col]]["estimate"])]
    return pd.DataFrame(out, columns=["term", "estimate", "lower", "upper"])


def permutation_p(p: pd.DataFrame, start: int, eligible: list[str], size: int, draws: int = 999,
                  seed: int = 20201) -> dict[str, float]:
    """Two-sided permutation p per term: the share of label sets (the observed one included) whose estimate is at
    least as far from zero as the observed, the group re-drawn among `eligible`. All sets when there are no more
    than `draws`, else random ones (the engine's `permutation` with the estimate as statistic)."""
    panel_ = as_panel(p, start, eligible)
    strata = dict(zip(panel_.data["unit"], panel_.data["stratum"]))
    strata.update({a: "eligible" for a in eligible})
    units = sorted(set(eligible) | set(panel_.data["unit"]))
    # `size` Ortsteile drawn, as many as the group has, even where one of them has no rate to fit
    sets, enumerated = regression.label_sets(units, panel_.treated_units, strata, draws, seed,
                                             need={"eligible": size})
    pvals = regression.permutation_p(regression.Model(panel_, "its"), sets, enumerated, "estimate")
    return dict(zip(TERMS, pvals))


def its_table(table: pd.DataFrame, indicators: dict[str, int], group: set, eligible: list[str], start: int = 2020,
              first: int = 2008, placebo_start: int = 2016, draws: int = 999, seed: int = 20201,
              alt_groups: dict[str, set] | None = None) -> pd.DataFrame:
    """its.csv: per indicator the terms, their intervals and permutation p (sorted, rounded: byte-stable).

    `alt_groups` (name → Ortsteile) add sensitivity rows `slope_change_<name>`: the same model with another
    comparison group, so that a reader sees whether the result hangs on how the group was chosen."""
    rows = []
    for ind, last in sorted(indicators.items()):
        p = panel(table, ind, group, first, last)
        if p.empty or p.loc[p["year"] >= start, "year"].nunique() < 2:
            continue  # a trend after the start needs at least two years

        est = fit(p, start)
        perm = permutation_p(p, start, eligible, len(group), draws, seed)
        est["p_perm"] = est["term"].map(perm)
        pre = p[p["year"] < start]
        placebo = fit(pre, placebo_start, {"placebo_slope_change": "g_t_post"})
        placebo["p_perm"] = permutation_p(pre, placebo_start, eligible, len(group), draws, seed)["slope_change"]
        covid = p[~p["year"].isin([2020, 2021])]
        no_covid = fit(covid, start, {"slope_change_without_2020_2021": "g_t_post"}) \
            if covid.loc[covid["year"] >= start, "year"].nunique() >= 2 else pd.DataFrame()
        if len(no_covid):
            no_covid["p_perm"] = permutation_p(covid, start, eligible, len(group), draws, seed)["slope_change"]
        alt = []
        for name, members in sorted((alt_groups or {}).items()):
            q = panel(table, ind, members, first, last)
            if not q["group"].any():
                continue
            a = fit(q, start, {f"slope_change_{name}": "g_t_post"})
            a["p_perm"] = permutation_p(q, start, sorted(set(eligible) | set(members)), len(members), draws,
                                        seed)["slope_change"]
            alt.append(a)
        rows.append(pd.concat([est, placebo, no_covid, *alt], ignore_index=True).assign(indicator=ind))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=COLUMNS)
    for c in ("estimate", "lower", "upper", "p_perm"):
        out[c] = out[c].astype(float).round(6)
    return out[COLUMNS]


def fitted_series(table: pd.DataFrame, indicator: str, group: set, start: int, first: int, last: int) -> pd.DataFrame:
    """Both groups' pooled rates per year and the model's fitted segments (at each group's mean weight), for
    the figure."""
    p = panel(table, indicator, group, first, last)
    X = design(p, start)
    res = sm.WLS(p["rate"].to_numpy(), X, weights=p["weight"].to_numpy()).fit()
    years = np.arange(first, last + 1)
    out = []
    for g in (1.0, 0.0):
        q = pd.DataFrame({"year": years, "group": g})
        fitted = design(q.assign(area_code="x"), start, np.full(len(q), g)) @ res.params
        sub = p[p["group"] == g].groupby("year")
        pooled = (sub.apply(lambda d: np.average(d["rate"], weights=d["weight"]), include_groups=False)
                  .reindex(years))
        out.append(pd.DataFrame({"year": years, "group": "evaluationsgruppe" if g else "uebrige",
                                 "observed": pooled.to_numpy(), "fitted": fitted.to_numpy()}))
    return pd.concat(out, ignore_index=True)
