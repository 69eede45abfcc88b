"""Small counts the source publishes as 0: find them in the data, so that "not published (< n)" is never read as 0.

From 2018 the statistics API writes counts below a threshold as 0 (e.g. Arbeitslose "unter 25 Jahre": 21, 22 and
15 Ortsteile at 0 in 2018–2020 and not one value from 1 to 9, where 2008–2017 had many). Nothing in a record says
so; the pattern does. The rule (also stated in data/indicators.yaml, `suppression`):

A year of a count series (the catalogue's `whole_counts`) is *suppressing* when it has zeros but no value from 1 up to its smallest
published positive value t, although its earlier (non-suppressing) years would lead one to expect at least
`min_expected` such values (scaled to the number of Ortsteile). The same test is applied to the source file as a
whole (all its count series of that year pooled), which catches a series with few small values of its own.
A zero in a suppressing year means "0 to t − 1": its value becomes missing and `suppressed_below` records t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

COLUMNS = ["source", "indicator_raw", "year", "below", "zeros", "expected_small", "basis"]
RECENT = 5  # earlier years that set the expectation: practice and sizes drift over two decades


@dataclass(frozen=True)
class SuppressionRule:
    """min_expected: small values (1 … t−1) the earlier years lead one to expect before their absence counts as
    evidence. 3 means: were the values there, seeing none would happen by chance about 5 % of the time."""

    min_expected: float = 3.0


def _count_series(ot: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """The series the catalogue names as counts (`whole_counts`): a truncated share such as "Anteil an den
    Erwerbsfähigen" is whole-numbered too, so the values alone cannot tell a count."""
    wanted = set(counts)
    return ot[[f"{s}:{n}" in wanted for s, n in zip(ot["source"], ot["indicator_raw"])]]


def _suppressing(years: dict[int, np.ndarray], rule: SuppressionRule) -> dict[int, tuple[int, float]]:
    """Years (of one series, or one file pooled) that publish nothing below their smallest positive value t,
    although earlier years suggest they should: year → (t, expected number of values in 1 … t−1)."""
    found, history = {}, []
    for year in sorted(years):
        v = years[year]
        v = v[~np.isnan(v)]
        positive = v[v > 0]
        zeros = int((v == 0).sum())
        if not len(positive) or not zeros:
            history.append(v)
            continue
        t = float(positive.min())
        recent = history[-RECENT:]
        expected = (np.mean([np.count_nonzero((h >= 1) & (h < t)) / max(len(h), 1) for h in recent]) * len(v)
                    if recent and t > 1 else 0.0)
        if expected >= rule.min_expected:
            found[year] = (int(t), round(float(expected), 1))
        else:
            history.append(v)
    return found


def detect(obs: pd.DataFrame, counts: list[str], rule: SuppressionRule = SuppressionRule()) -> pd.DataFrame:
    """Suppressing series-years (see COLUMNS): `below` = t, `basis` = "Reihe" (the series' own history) or
    "Datei" (the source file's, pooled). Years where every Ortsteil is 0 are left to `unpublished_years`."""
    ot = _count_series(obs[obs["level"] == "ortsteil"], counts)
    rows = []
    for source, f in ot.groupby("source", sort=True):
        by_file = _suppressing({int(y): g["value"].to_numpy(float) for y, g in f.groupby("year")}, rule)
        for name, s in f.groupby("indicator_raw", sort=True):
            by_year = {int(y): g["value"].to_numpy(float) for y, g in s.groupby("year")}
            own = _suppressing(by_year, rule)
            for year, v in by_year.items():
                zeros = int((v == 0).sum())
                if not zeros or zeros == np.count_nonzero(~np.isnan(v)):
                    continue
                if year in own:
                    rows.append((source, name, year, *own[year][:1], zeros, own[year][1], "Reihe"))
                elif year in by_file:
                    rows.append((source, name, year, by_file[year][0], zeros, by_file[year][1], "Datei"))
    return pd.DataFrame(rows, columns=COLUMNS).astype({"year": int, "below": int, "zeros": int})


def mark_suppressed(obs: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """Zeros of suppressing series-years become missing values with `suppressed_below` = t; every other row
    keeps its value and has no bound."""
    obs = obs.copy()
    key = ["source", "indicator_raw", "year"]
    below = obs[key].merge(found[key + ["below"]], on=key, how="left")["below"].to_numpy(float)
    hit = (obs["level"].to_numpy() == "ortsteil") & (obs["value"].to_numpy() == 0) & ~np.isnan(below)
    obs["suppressed_below"] = np.where(hit, below, np.nan)
    obs.loc[hit, "value"] = np.nan
    return obs


def suppressed_cells(obs: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Every suppressed Ortsteil cell, for the data-quality page: series, year, Ortsteil and its bound."""
    s = obs[obs["suppressed_below"].notna()]
    names = dict(zip(areas["ot_code"], areas["ortsteil"]))
    out = pd.DataFrame({"source": s["source"], "indicator_raw": s["indicator_raw"], "year": s["year"],
                        "area_code": s["area_code"], "area_name": s["area_code"].map(names),
                        "below": s["suppressed_below"].astype(int)})
    return out.sort_values(["source", "indicator_raw", "year", "area_code"]).reset_index(drop=True)
