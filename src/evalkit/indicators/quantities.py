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
DERIVED = ("einwohner_unter15", "einwohner_15_65", "einwohner_ab65", "einwohner_unter65", "alterssumme",
           "flaeche_km2")


def ortsteil_quantities(obs: pd.DataFrame) -> pd.DataFrame:
    """Wide table indexed by (ot_code, year): one column per published series and per derived quantity."""
    ot = obs[obs["level"] == "ortsteil"]
    wide = ot.pivot(index=["area_code", "year"], columns=["source", "indicator_raw"], values="value")
    wide.columns = [f"{s}:{n}" for s, n in wide.columns]
    wide.index = wide.index.set_names(["ot_code", "year"])
    wide = wide.sort_index()
    return add_derived(wide)


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
