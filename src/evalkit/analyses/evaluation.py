"""The Leipzig evaluation on the engine: did the evaluation group's gap to the rest of the city change after the
plan start more than the gap of groups chosen the same way without a plan?

The group is the top 13 of a need index, chosen when its outcome indicators were high; such a group drifts back
towards the mean by itself (regression to the mean). So every estimate here is read against:
- the **benchmark**: groups selected by the same rule on the data up to earlier years Y, with a fake start Y + 2
  and as many post years as the real estimate has, using pre-plan data only;
- **comparison groups that resemble the group**: the Ortsteile ranked just below the cut-off as controls, and a
  group selected on an earlier window;
- **permutation within need strata**: the group label re-drawn only among Ortsteile of the same need class.

Designs (all through `evalkit.analyses.evaluate`): an event study of the gap against the year before the start
(leads show whether the groups were already converging), synthetic difference-in-differences as the primary
estimate, and the comparative interrupted time series as a secondary row. Nothing here identifies a cause.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from evalkit.analyses import regression, synthdid
from evalkit.analyses.evaluate import RESULT_COLUMNS, evaluate
from evalkit.analyses.panel import Design, Panel, matrix
from evalkit.indicators.engine import published

COLUMNS = ["indicator", "design", *RESULT_COLUMNS]
HEADLINE = [("sdid", "att"), ("its", "level_change"), ("its", "slope_change")]


def rate_panel(table: pd.DataFrame, indicator: str, treated: set, first: int, last: int,
               units: set | None = None, start: int = 2020, strata: dict | None = None,
               balanced: bool = False) -> Panel:
    """The engine's panel of Ortsteil rates (percentage points, weights = denominators). `units`: the Ortsteile
    to use (treated and controls); `balanced`: only Ortsteile with a published rate in every year."""
    t = table[(table.indicator == indicator) & (table.level == "ortsteil") & table.year.between(first, last)]
    t = t[(t["denominator"] > 0) & published(t)]
    if units is not None:
        t = t[t["area_code"].isin(units | treated)]
    if balanced:
        n = t.groupby("area_code")["year"].nunique()
        t = t[t["area_code"].isin(n[n == t["year"].nunique()].index)]
    d = pd.DataFrame({"unit": t["area_code"].astype(str).to_numpy(), "time": t["year"].to_numpy(int),
                      "y": (100 * t["numerator"] / t["denominator"]).to_numpy(float),
                      "w": t["denominator"].to_numpy(float)})
    d["treated_unit"] = d["unit"].isin(treated)
    d["post"] = d["time"] >= start
    d["cluster"] = d["unit"]
    d["stratum"] = d["unit"].map(strata or {}).fillna("") if strata else ""
    return Panel(d.sort_values(["unit", "time"], kind="stable").reset_index(drop=True), start)


def _design(start: int, estimators: list[str], inference: list[str], draws: int, seed: int,
            statistic: str = "t") -> Design:
    return Design(unit="unit", time="time", outcome="y", weight="w", treated="treated", start=start,
                  estimators=estimators, inference=inference, draws=draws, seed=seed,
                  permutation_statistic=statistic)


def _usable(p: Panel, start: int) -> bool:
    d = p.data
    return bool(d["treated_unit"].any() and (~d["treated_unit"]).any() and (d["time"] < start).sum()
                and d.loc[d["time"] < start, "time"].nunique() >= 2 and (d["time"] >= start).any())


def estimate(table: pd.DataFrame, indicator: str, treated: set, first: int, last: int, start: int,
             estimators: list[str], inference: list[str], draws: int, seed: int, units: set | None = None,
             strata: dict | None = None, variance: bool = True) -> pd.DataFrame:
    """Engine rows for one outcome and one group; `its` needs two post years, `sdid` a balanced panel (Ortsteile
    with a gap in the years are left out of it). SDID variance: the jackknife (Arkhangelsky et al.'s choice with
    several treated units; weights held fixed, so it costs one estimate per Ortsteile left out), the placebo
    variance with a single treated unit. `variance=False`: point estimates only (the benchmark)."""
    rows = []
    post_years = len(range(start, last + 1))
    for est in estimators:
        if est == "its" and post_years < 2:
            continue  # a trend after the start needs two years: not run, so not claimed
        p = rate_panel(table, indicator, treated, first, last, units, start, strata, balanced=est == "sdid")
        if not _usable(p, start):
            continue
        inf = list(inference)
        if est == "sdid":
            if not variance:
                Y, _, _, n0, t0 = matrix(p)
                tau = synthdid.sdid(Y, n0, t0).estimate
                rows.append(pd.DataFrame([dict(estimator="sdid", term="att", estimate=tau, se=np.nan,
                                               lower=np.nan, upper=np.nan, p=np.nan, inference="none")]))
                continue
            inf = ["jackknife"] if len(p.treated_units) > 1 else ["placebo"]
        res, _ = evaluate(p, _design(start, [est], inf, draws, seed))
        rows.append(res)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=RESULT_COLUMNS)
    return out.assign(indicator=indicator)


def sdid_weights(table: pd.DataFrame, indicator: str, treated: set, first: int, last: int,
                 start: int) -> pd.Series:
    """The SDID unit weights of the donors (who the synthetic comparison is made of)."""
    p = rate_panel(table, indicator, treated, first, last, None, start, balanced=True)
    Y, order, _, n0, t0 = matrix(p)
    return pd.Series(synthdid.sdid(Y, n0, t0).omega, index=order[:n0]).sort_values(ascending=False)


# -- the regression-to-the-mean benchmark -----------------------------------------------------------------------

def selection_years(first: int, window: int, plan_start: int, lag: int, post_years: int) -> list[int]:
    """Every year Y whose window of data exists and whose fake start Y + lag leaves `post_years` years before
    the plan start."""
    return list(range(first + window - 1, plan_start - lag - post_years + 1))


def benchmark(table: pd.DataFrame, indicators: dict[str, int], select: Callable[[int], set], first: int,
              window: int, plan_start: int, lag: int = 2) -> pd.DataFrame:
    """Groups selected by the same rule on the data up to year Y, a fake start Y + lag, the same statistics
    with the same number of post years as the real estimate, pre-plan data only: what a group picked this way
    shows without a plan. Columns: indicator, selection_year, fake_start, estimator, term, estimate."""
    rows = []
    groups: dict[int, set] = {}
    for ind, last in sorted(indicators.items()):
        n_post = last - plan_start + 1
        if n_post < 1:
            continue
        for y in selection_years(first, window, plan_start, lag, n_post):
            if y not in groups:
                groups[y] = select(y)
            g = groups[y]
            s = y + lag
            res = estimate(table, ind, g, first, s + n_post - 1, s, ["sdid", "its"], ["cluster"], 19, 1,
                           variance=False)
            for _, r in res[res["inference"].isin(["cluster", "none"])].iterrows():
                if (r["estimator"], r["term"]) in HEADLINE:
                    rows.append(dict(indicator=ind, selection_year=y, fake_start=s, estimator=r["estimator"],
                                     term=r["term"], estimate=r["estimate"]))
    out = pd.DataFrame(rows, columns=["indicator", "selection_year", "fake_start", "estimator", "term",
                                      "estimate"])
    return out.drop_duplicates().sort_values(["indicator", "estimator", "term", "selection_year"]).reset_index(
        drop=True)


BENCH_STRONGER = "stärker als ohne Plan zu erwarten"
BENCH_WITHIN = "im Rahmen dessen, was ohne Plan zu erwarten ist"
BENCH_WEAKER = "schwächer als bei gleich ausgewählten Gruppen ohne Plan"
BENCH_UNCLEAR = "nicht eindeutig"


def against_benchmark(value: float, bench: pd.Series, lower: float, upper: float,
                      higher_is_worse: bool = True) -> tuple[str, int]:
    """Where the real estimate falls among the benchmark groups' estimates: the label and how many benchmark
    groups changed at least as favourably. 'stärker' needs both: beyond every benchmark group in the favourable
    direction and an interval that excludes zero; inside their range is 'im Rahmen'."""
    b = bench.dropna().to_numpy(float)
    if not len(b) or not np.isfinite(value):
        return BENCH_UNCLEAR, 0
    sign = -1.0 if higher_is_worse else 1.0  # favourable: a falling gap when higher is worse
    fav, bfav = sign * value, sign * b
    as_good = int((bfav >= fav).sum())
    excludes_zero = np.isfinite(lower) and np.isfinite(upper) and (lower > 0 or upper < 0)
    if as_good == 0 and excludes_zero and fav > 0:
        return BENCH_STRONGER, as_good
    if b.min() <= value <= b.max():
        return BENCH_WITHIN, as_good
    if fav < bfav.min():
        return BENCH_WEAKER, as_good
    return BENCH_UNCLEAR, as_good


# -- comparison groups and permutation strata ------------------------------------------------------------------

def near_cutoff(index: pd.DataFrame, top: int, width: int) -> set:
    """The Ortsteile ranked just below the cut-off (ranks top+1 … top+width), a control group that resembles
    the group in need."""
    r = index.dropna(subset=["rank"])
    return set(r.loc[(r["rank"] > top) & (r["rank"] <= top + width), "area_code"])


def strata_of(index: pd.DataFrame) -> dict[str, str]:
    """Need classes of the selection index as permutation strata (Ortsteile flagged for a small base are a
    stratum of their own, never labelled as long as no group member is in it)."""
    return dict(zip(index["area_code"], index["need_class"].astype(str)))


def holm(p: pd.Series) -> pd.Series:
    """Holm's step-down adjustment over a family of tests (NaN stays NaN, outside the family)."""
    from statsmodels.stats.multitest import multipletests

    out = pd.Series(np.nan, index=p.index)
    ok = p.notna()
    if ok.any():
        out[ok] = multipletests(p[ok].to_numpy(float), method="holm")[1]
    return out


def distinct_groups(main: set, variants: dict[str, set]) -> tuple[dict[str, set], dict[str, str]]:
    """Variants that are other groups than the main one and than each other; the rest named with the group
    they equal (so that a sensitivity count never counts the main group twice)."""
    keep, same = {}, {}
    for name, members in sorted(variants.items()):
        if members == main:
            same[name] = "main"
            continue
        twin = next((k for k, v in keep.items() if v == members), None)
        if twin:
            same[name] = twin
        else:
            keep[name] = members
    return keep, same


# -- decomposition of a rate change -----------------------------------------------------------------------------

def decomposition(table: pd.DataFrame, indicator: str, groups: dict[str, set], y0: int, y1: int) -> pd.DataFrame:
    """How much of a group's change in its pooled rate R = N/D from y0 to y1 comes from the numerator and how
    much from the denominator (population growth). Symmetric (Shapley) split, so that the order does not decide:
    numerator part = ½·(N1 − N0)·(1/D0 + 1/D1), denominator part = ½·(N0 + N1)·(1/D1 − 1/D0); they add up to
    R1 − R0. Only Ortsteile with a published count in both years."""
    t = table[(table.indicator == indicator) & (table.level == "ortsteil") & table.year.isin([y0, y1])]
    t = t[(t["denominator"] > 0) & published(t)]
    both = t.groupby("area_code")["year"].nunique()
    t = t[t["area_code"].isin(both[both == 2].index)]
    rows = []
    for name, members in groups.items():
        part = t[t["area_code"].isin(members)]
        g = part.groupby("year")[["numerator", "denominator"]].sum()
        if len(g) < 2:
            continue
        n0, d0 = g.loc[y0]
        n1, d1 = g.loc[y1]
        rows.append(dict(indicator=indicator, group=name, year_from=y0, year_to=y1, rate_from=100 * n0 / d0,
                         rate_to=100 * n1 / d1, change=100 * (n1 / d1 - n0 / d0),
                         from_numerator=50 * (n1 - n0) * (1 / d0 + 1 / d1),
                         from_denominator=50 * (n0 + n1) * (1 / d1 - 1 / d0),
                         numerator_growth=100 * (n1 / n0 - 1) if n0 else np.nan,
                         denominator_growth=100 * (d1 / d0 - 1), ortsteile=int(part["area_code"].nunique())))
    return pd.DataFrame(rows)


def gap_series(table: pd.DataFrame, indicator: str, group: set, first: int, last: int) -> pd.DataFrame:
    """Pooled rates of the group and the rest per year (sums of counts) and the gap and ratio between them."""
    t = table[(table.indicator == indicator) & (table.level == "ortsteil") & table.year.between(first, last)]
    t = t[(t["denominator"] > 0) & published(t)]
    t = t.assign(g=t["area_code"].isin(group))
    s = t.groupby(["year", "g"])[["numerator", "denominator"]].sum()
    rate = (100 * s["numerator"] / s["denominator"]).unstack("g")
    return pd.DataFrame({"year": rate.index.astype(int), "group": rate[True].to_numpy(),
                         "rest": rate[False].to_numpy(), "gap": (rate[True] - rate[False]).to_numpy(),
                         "ratio": (rate[True] / rate[False]).to_numpy()}).reset_index(drop=True)


def permutation_rows(table: pd.DataFrame, indicator: str, group: set, first: int, last: int, start: int,
                     strata: dict[str, str], draws: int, seed: int) -> pd.DataFrame:
    """ITS terms with the group label re-drawn within need strata, studentised (|t|)."""
    if last - start + 1 < 2:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    p = rate_panel(table, indicator, group, first, last, None, start, strata)
    model = regression.Model(p, "its")
    sets, enumerated = regression.label_sets(p.units, p.treated_units, strata, draws, seed)
    pv = regression.permutation_p(model, sets, enumerated, "t")
    base = regression.cluster_rows(model, 0.05)
    d = p.data
    return pd.DataFrame([dict(estimator="its", term=r["term"], estimate=r["estimate"], se=np.nan, lower=np.nan,
                              upper=np.nan, p=v, inference="permutation_strata", n_treated=len(p.treated_units),
                              n_control=len(p.units) - len(p.treated_units),
                              periods_pre=int(d.loc[~d["post"], "time"].nunique()),
                              periods_post=int(d.loc[d["post"], "time"].nunique()))
                         for r, v in zip(base, pv)], columns=RESULT_COLUMNS)
