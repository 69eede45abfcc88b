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
