"""Checks of recomputed values against what the city published.

The mirror's Ortsteil shares are truncated to integers; a recomputed share, truncated, must equal them. The
match rate per indicator goes to the data-quality page; mismatches are listed so that each can be explained.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.indicators.catalogue import Catalogue

EPS = 1e-9


def published_share_check(indicators: pd.DataFrame, obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """One row per Ortsteil-year and checked indicator: recomputed, truncated, published, match."""
    rows = []
    ot = indicators[indicators["level"] == "ortsteil"]
    for ind in catalogue.indicators:
        if not ind.check:
            continue
        src, name = ind.check.split(":", 1)
        pub = obs[(obs["source"] == src) & (obs["indicator_raw"] == name) & (obs["level"] == "ortsteil")]
        pub = pub.dropna(subset=["value"])[["area_code", "year", "value"]].rename(columns={"value": "published"})
        mine = ot[ot["indicator"] == ind.id][["area_code", "area_name", "year", "value", "numerator", "denominator"]]
        m = mine.merge(pub, on=["area_code", "year"], how="inner")
        m["truncated"] = np.floor(m["value"] + EPS)
        m["match"] = m["truncated"] == m["published"]
        m.insert(0, "indicator", ind.id)
        m.insert(1, "published_as", ind.check)
        rows.append(m)
    out = pd.concat(rows, ignore_index=True)
    return out.rename(columns={"value": "recomputed"})


def match_rates(check: pd.DataFrame) -> pd.DataFrame:
    g = check.groupby(["indicator", "published_as"]).agg(checked=("match", "size"), matched=("match", "sum"))
    g["rate"] = g["matched"] / g["checked"]
    return g.reset_index()


EDGE = 0.1


def classify_mismatch(check: pd.DataFrame) -> pd.Series:
    """Why a recomputed share disagrees with the published one.

    - "truncation edge": the recomputed share lies within 0.1 points below the published integer; the estimated
      age-group denominator (from quotas rounded to one decimal) decides on which side of the integer it falls.
    - "published zero": the city published a share of 0 although the counts are positive (a source error).
    - "other": anything else; listed on the data-quality page.
    """
    gap = check["published"] - check["recomputed"]
    edge = (gap > 0) & (gap < EDGE)
    zero = (check["published"] == 0) & (check["numerator"] > 0)
    return pd.Series(np.select([check["match"], edge, zero], ["match", "truncation edge", "published zero"],
                               default="other"), index=check.index, name="class")


DENSITY_MATCH = 0.005  # relative: whole-hectare areas alone move a small Ortsteil's density by up to 1.4 %
BOUNDARY = 0.05


def published_density_check(indicators: pd.DataFrame, obs: pd.DataFrame,
                            density: str = "einwohnerdichte:Einwohnerdichte",
                            area: str = "flaechennutzung:Gesamtfläche") -> pd.DataFrame:
    """evalkit's Einwohnerdichte (Einwohner / Gesamtfläche of the nearest land-use survey) against the density
    the city publishes per Ortsteil, one row per Ortsteil-year, with the class that explains a difference.

    Classes, tried in this order:
    - "match": within 0.5 %;
    - "population base": published density × one of the Ortsteil's surveyed areas is a whole number of persons
      other than Einwohner insgesamt (the city divided another population count by the same area);
    - "area base": the area implied by the published figure (Einwohner / density) is the area of another
      land-use survey year, to the hectare;
    - "boundary change": the implied area is more than 5 % away from every surveyed area of the Ortsteil (its
      area in the city's base differs from today's boundaries; most are 2004–2006, before the first survey);
    - "base unknown": within 5 %, but neither base explains it (the source does not say which it used).
    """
    src, name = density.split(":", 1)
    pub = obs[(obs["source"] == src) & (obs["indicator_raw"] == name) & (obs["level"] == "ortsteil")]
    pub = pub.dropna(subset=["value"])[["area_code", "year", "value"]].rename(columns={"value": "published"})
    mine = indicators[(indicators["indicator"] == "einwohnerdichte") & (indicators["level"] == "ortsteil")]
    m = mine[["area_code", "area_name", "year", "numerator", "denominator", "value"]].merge(
        pub, on=["area_code", "year"], how="inner").rename(columns={"value": "recomputed", "numerator": "einwohner",
                                                                     "denominator": "flaeche_km2"})
    asrc, aname = area.split(":", 1)
    surveyed = obs[(obs["source"] == asrc) & (obs["indicator_raw"] == aname) & (obs["level"] == "ortsteil")]
    surveyed = surveyed.dropna(subset=["value"]).groupby("area_code")["value"].apply(
        lambda v: np.unique(v.to_numpy(float) / 100.0))
    m["difference_pct"] = (100 * (m["recomputed"] / m["published"] - 1)).round(4)
    m["implied_km2"] = (m["einwohner"] / m["published"]).round(6)
    m["class"] = [_density_class(r, surveyed.get(r.area_code, np.array([r.flaeche_km2])))
                  for r in m.itertuples(index=False)]
    return m[["area_code", "area_name", "year", "einwohner", "flaeche_km2", "recomputed", "published",
              "difference_pct", "implied_km2", "class"]].sort_values(["area_code", "year"]).reset_index(drop=True)


def _density_class(r, areas: np.ndarray) -> str:
    if abs(r.recomputed / r.published - 1) < DENSITY_MATCH:
        return "match"
    persons = r.published * areas
    if np.any((np.abs(persons - np.round(persons)) < 0.01) & (np.round(persons) != r.einwohner)) \
            and r.published != round(r.published):
        return "population base"
    implied = r.einwohner / r.published
    if np.any((implied >= areas - 1e-9) & (implied < areas + 0.01)):
        return "area base"
    if np.min(np.abs(implied / areas - 1)) > BOUNDARY:
        return "boundary change"
    return "base unknown"


def city_totals_check(indicators: pd.DataFrame, obs: pd.DataFrame,
                      series: str = "einwohner:Einwohner insgesamt", indicator: str = "einwohner") -> pd.DataFrame:
    """The city's published total against evalkit's city value (the sum of the Ortsteile), per year: residents
    the register cannot place in an Ortsteil show as a shortfall."""
    src, name = series.split(":", 1)
    pub = obs[(obs["source"] == src) & (obs["indicator_raw"] == name) & (obs["level"] == "stadt")]
    pub = pub.dropna(subset=["value"])[["year", "value"]].rename(columns={"value": "published"})
    mine = indicators[(indicators["indicator"] == indicator) & (indicators["level"] == "stadt")]
    m = pub.merge(mine[["year", "value"]].rename(columns={"value": "ortsteil_sum"}), on="year", how="inner")
    m["difference"] = m["ortsteil_sum"] - m["published"]
    return m.sort_values("year").reset_index(drop=True)
