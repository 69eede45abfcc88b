"""The indicator engine: every catalogue indicator for every area level and year with data.

Values are computed from counts at Ortsteil level and aggregated by summing numerators and denominators, never by
averaging rates. An aggregate is published for a year only when all of its Ortsteile have data that year; a
partial sum would look like a real value and be wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.acquire.areas import LEVELS, area_names, membership
from evalkit.indicators.catalogue import Catalogue, Indicator
from evalkit.errors import DataError
from evalkit.indicators.intervals import wilson
from evalkit.indicators.quantities import ortsteil_quantities

COLUMNS = ["indicator", "level", "area_code", "area_name", "year", "numerator", "denominator", "value",
           "lower", "upper"]
DECIMALS = {"numerator": 4, "denominator": 4, "value": 6, "lower": 6, "upper": 6}


def _missing(q: pd.DataFrame, name: str | None) -> bool:
    return name is not None and name not in q.columns


def ortsteil_values(ind: Indicator, q: pd.DataFrame, obs: pd.DataFrame, files: dict) -> pd.DataFrame:
    """One indicator's numerator and denominator per Ortsteil and year, checked for impossible shares."""
    for part in (ind.numerator, ind.denominator):
        if _missing(q, part):
            raise DataError(f"indicator {ind.id!r} needs quantity {part!r}, which no source provides",
                            file="data/indicators.yaml", record=ind.id,
                            expected="a published series <source>:<name> or a derived quantity")
    cols = {"numerator": q[ind.numerator]}
    if ind.denominator:
        cols["denominator"] = q[ind.denominator]
    df = pd.DataFrame(cols).dropna().reset_index()
    if "denominator" not in df:
        df["denominator"] = np.nan
    if ind.kind == "rate":
        bad = df[df["numerator"] > df["denominator"] + 1e-9]
        if len(bad):
            row = bad.iloc[0]
            src, name = ind.numerator.split(":", 1) if ":" in ind.numerator else (None, ind.numerator)
            hit = obs[(obs["source"] == src) & (obs["indicator_raw"] == name) & (obs["level"] == "ortsteil")
                      & (obs["area_code"] == row["ot_code"]) & (obs["year"] == row["year"])]
            raise DataError(
                f"{ind.id}: numerator {row['numerator']:g} ({ind.numerator}) above its denominator "
                f"{row['denominator']:g} ({ind.denominator}) for Ortsteil {row['ot_code']}, {int(row['year'])}",
                file=files.get(src, src), record=int(hit["record"].iloc[0]) if len(hit) else None,
                expected="a numerator no larger than its denominator")
    return df


def aggregate(df: pd.DataFrame, members: pd.DataFrame, levels) -> pd.DataFrame:
    """Sum numerators and denominators over each area's Ortsteile; keep only complete area-years."""
    m = members[members["level"].isin(levels)]
    size = m.groupby(["level", "area_code"]).size().rename("expected")
    joined = df.merge(m, on="ot_code", how="inner")
    g = joined.groupby(["level", "area_code", "year"], sort=True).agg(
        numerator=("numerator", "sum"), denominator=("denominator", "sum"), n_den=("denominator", "count"),
        n=("ot_code", "size"))
    g.loc[g["n_den"] == 0, "denominator"] = np.nan  # counts and surveys have no denominator
    g = g.join(size, on=["level", "area_code"])
    return g[g["n"] == g["expected"]].drop(columns=["n", "n_den", "expected"]).reset_index()


def finish(ind: Indicator, g: pd.DataFrame) -> pd.DataFrame:
    num, den = g["numerator"].to_numpy(float), g["denominator"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if ind.kind in ("count", "survey"):
            value = num
        elif ind.kind == "mean":
            value = num / den
        else:
            value = ind.scale * num / den
    lower = upper = np.full(len(g), np.nan)
    if ind.kind == "rate":
        lower, upper = wilson(num, den, ind.scale)
    out = g.assign(indicator=ind.id, value=value, lower=lower, upper=upper)
    if ind.kind == "survey":
        out["numerator"] = np.nan
    return out


def compute_indicators(obs: pd.DataFrame, areas: pd.DataFrame, catalogue: Catalogue, files: dict | None = None,
                       extra_quantities: pd.DataFrame | None = None) -> pd.DataFrame:
    """The full indicator table (see COLUMNS), sorted and rounded so that reruns are byte-identical."""
    q = ortsteil_quantities(obs)
    if extra_quantities is not None:
        q = q.join(extra_quantities, how="outer")
    members = membership(areas)
    frames = []
    for ind in catalogue.indicators:
        if ind.restricted and _missing(q, ind.numerator):
            continue  # restricted inputs (data/restricted/) are optional: no file, no indicator
        df = ortsteil_values(ind, q, obs, files or {})
        frames.append(finish(ind, aggregate(df, members, ind.levels)))
    table = pd.concat(frames, ignore_index=True)
    table = table.merge(area_names(areas), on=["level", "area_code"], how="left")
    return tidy(table)


def tidy(table: pd.DataFrame) -> pd.DataFrame:
    level_order = {lvl: i for i, lvl in enumerate(LEVELS)}
    table = table.assign(_lvl=table["level"].map(level_order))
    table = table.sort_values(["indicator", "_lvl", "area_code", "year"]).drop(columns="_lvl")
    for col, d in DECIMALS.items():
        table[col] = table[col].astype(float).round(d)
    table["year"] = table["year"].astype(int)
    return table[COLUMNS].reset_index(drop=True)
