"""Quantities per Ortsteil and year: the published series, plus the few the city does not publish directly.

Age groups are not published as counts; Jugendquote J (under 15 per 100 aged 15–<65) and Altenquote A (65+ per
100 aged 15–<65) recover them: under 15 = E·J/(100+J+A), 15–<65 = E·100/(100+J+A), 65+ = E·A/(100+J+A).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EW = "einwohner:Einwohner insgesamt"
JQ = "einwohner_nach_alter:Jugendquote"
AQ = "einwohner_nach_alter:Altenquote"
DA = "einwohner_nach_alter:Durchschnittsalter"
AREA = "flaechennutzung:Gesamtfläche"


def ortsteil_quantities(obs: pd.DataFrame) -> pd.DataFrame:
    """Wide table indexed by (ot_code, year): one column per published series and per derived quantity."""
    return add_derived(_wide(obs, "value"))


def suppression_ceilings(obs: pd.DataFrame) -> pd.DataFrame:
    """The largest value a suppressed cell can hold (t − 1 for "< t"), NaN elsewhere; published series only."""
    if "suppressed_below" not in obs.columns:
        return pd.DataFrame()
    return _wide(obs.assign(ceiling=obs["suppressed_below"] - 1), "ceiling")


def _wide(obs: pd.DataFrame, column: str) -> pd.DataFrame:
    """One column per published series, indexed by (ot_code, year).

    Built from integer codes rather than `pivot`, which hashes every key string again (8 s of 15 s at 100× the
    Ortsteile). Observations are unique per series, area and year (the observation schema checks it)."""
    ot = obs[obs["level"] == "ortsteil"]
    src_c, src_u = pd.factorize(ot["source"])
    ind_c, ind_u = pd.factorize(ot["indicator_raw"])
    pair_c, pair_u = pd.factorize(src_c.astype(np.int64) * max(len(ind_u), 1) + ind_c, sort=True)
    names = [f"{src_u[p // max(len(ind_u), 1)]}:{ind_u[p % max(len(ind_u), 1)]}" for p in pair_u]
    area_c, area_u = pd.factorize(ot["area_code"])
    years = ot["year"].to_numpy(np.int64)
    year0 = int(years.min()) if len(years) else 0
    n_years = int(years.max()) - year0 + 1 if len(years) else 1
    row_c, row_u = pd.factorize(area_c.astype(np.int64) * n_years + (years - year0))
    wide = np.full((len(row_u), len(pair_u)), np.nan)
    wide[row_c, pair_c] = ot[column].to_numpy(float)
    index = pd.MultiIndex.from_arrays([np.asarray(area_u)[row_u // n_years], row_u % n_years + year0],
                                      names=["ot_code", "year"])
    return pd.DataFrame(wide, index=index, columns=names).sort_index().sort_index(axis=1)


def add_derived(q: pd.DataFrame) -> pd.DataFrame:
    q = q.copy()
    ew, j, a = q.get(EW), q.get(JQ), q.get(AQ)
    if ew is not None and j is not None and a is not None:
        base = 100 + j + a
        q["einwohner_unter15"] = ew * j / base
        q["einwohner_15_65"] = ew * 100 / base
        q["einwohner_ab65"] = ew * a / base
        q["einwohner_unter65"] = q["einwohner_unter15"] + q["einwohner_15_65"]
    if ew is not None and DA in q:
        q["alterssumme"] = q[DA] * ew
    if AREA in q:
        q["flaeche_km2"] = nearest_year(q[AREA]) / 100.0
    return q


def nearest_year(series: pd.Series) -> pd.Series:
    """Fill each Ortsteil's gaps with the value of the nearest year that has one (the earlier year wins a tie)."""
    frame = series.rename("v").reset_index()
    have = frame.dropna(subset=["v"]).sort_values("year")
    want = frame[["ot_code", "year"]].sort_values("year")
    back = pd.merge_asof(want, have.assign(y_b=have["year"]), on="year", by="ot_code", direction="backward")
    fwd = pd.merge_asof(want, have.assign(y_f=have["year"]), on="year", by="ot_code", direction="forward")
    both = back.merge(fwd[["ot_code", "year", "v", "y_f"]], on=["ot_code", "year"], suffixes=("_b", "_f"))
    take_fwd = both["v_b"].isna() | ((both["y_f"] - both["year"]) < (both["year"] - both["y_b"]))
    both["v"] = np.where(take_fwd, both["v_f"], both["v_b"])
    return both.set_index(["ot_code", "year"])["v"].reindex(series.index).rename(series.name)
