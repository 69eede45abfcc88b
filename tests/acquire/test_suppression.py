"""Small counts the source publishes as 0: the rule on hand-made series, on the mirror's real series, and what the
engine makes of a suppressed cell (never 0; a range in every aggregate that contains it)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.acquire.areas import load_areas
from evalkit.acquire.observations import load_observations
from evalkit.acquire.sources import load_registry
from evalkit.acquire.suppression import SuppressionRule, detect, mark_suppressed, suppressed_cells
from evalkit.indicators.catalogue import load_catalogue
from evalkit.indicators.engine import compute_indicators

REPO = Path(__file__).resolve().parents[2]
AREAS = load_areas(REPO / "data" / "areas.csv")
CODES = list(AREAS["ot_code"])
COUNT = ["s:n"]


def series(values_by_year: dict[int, list[float]], name="n") -> pd.DataFrame:
    rows = [("s", name, "ortsteil", CODES[i], year, float(v), i)
            for year, values in values_by_year.items() for i, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["source", "indicator_raw", "level", "area_code", "year", "value", "record"])


# 20 Ortsteile; earlier years hold small values (1…9) in 4 of them, so ≥ 3 are expected in a later year
HISTORY = {y: [1, 3, 5, 8] + [20 + i for i in range(16)] for y in (2014, 2015, 2016, 2017)}


def test_zeros_without_small_values_after_years_with_them_are_suppressed():
    obs = series({**HISTORY, 2018: [0, 0, 0, 0] + [10 + i for i in range(16)]})
    found = detect(obs, COUNT)
    assert found[["year", "below", "zeros", "basis"]].to_dict("records") == [
        {"year": 2018, "below": 10, "zeros": 4, "basis": "Reihe"}]
    # expected small values: 4 of 20 in each earlier year → 4.0 in a year of 20 Ortsteile
    assert found["expected_small"].iloc[0] == 4.0


def test_a_zero_beside_small_values_is_a_real_zero():
    obs = series({**HISTORY, 2018: [0, 2, 5, 8] + [10 + i for i in range(16)]})
    assert detect(obs, COUNT).empty


def test_a_zero_in_a_series_that_never_had_small_values_is_a_real_zero():
    big = {y: [30 + i for i in range(20)] for y in (2014, 2015, 2016, 2017)}
    obs = series({**big, 2018: [0] + [30 + i for i in range(19)]})
    assert detect(obs, COUNT).empty  # the earlier years lead one to expect no value below 30


def test_the_rule_threshold_is_the_catalogues():
    obs = series({**HISTORY, 2018: [0, 0, 0, 0] + [10 + i for i in range(16)]})
    assert detect(obs, COUNT, SuppressionRule(min_expected=5)).empty  # 4 expected < 5
    assert detect(obs, ["s:other"]).empty  # only the catalogue's count series are read


def test_suppressed_zeros_become_missing_with_their_bound():
    obs = series({**HISTORY, 2018: [0, 0, 0, 0] + [10 + i for i in range(16)]})
    marked = mark_suppressed(obs, detect(obs, COUNT))
    hit = marked[marked["suppressed_below"].notna()]
    assert len(hit) == 4 and hit["value"].isna().all() and (hit["suppressed_below"] == 10).all()
    assert marked.loc[marked["year"] < 2018, "value"].notna().all()  # earlier values untouched


@pytest.fixture(scope="module")
def real_obs(mirror):
    reg = load_registry(REPO / "data" / "sources.yaml")
    cat = load_catalogue(REPO / "data" / "indicators.yaml")
    return load_observations(mirror, reg.of_kind("api"), AREAS, cat.whole_counts,
                             SuppressionRule(cat.suppression.min_expected))


def test_real_under_25_series_is_suppressed_from_2018(real_obs):
    u25 = real_obs[(real_obs["source"] == "arbeitslose") & (real_obs["indicator_raw"] == "unter 25 Jahre")
                   & (real_obs["level"] == "ortsteil")]
    hidden = u25[u25["suppressed_below"].notna()].groupby("year").size().to_dict()
    # the reviewer's count: 21, 22, 15 zeros in 2018–2020 (and 12, 11 in 2021–2022), 81 in all
    assert {y: hidden[y] for y in (2018, 2019, 2020)} == {2018: 21, 2019: 22, 2020: 15}
    assert sum(hidden.values()) == 81
    assert not (u25.loc[u25["year"] >= 2018, "value"] == 0).any()  # no suppressed count is left as 0
    zw = u25[(u25["area_code"] == "04") & u25["year"].between(2018, 2020)].set_index("year")
    assert zw.loc[2018, "value"] == 15 and np.isnan(zw.loc[2019, "value"]) and zw.loc[2020, "value"] == 21
    assert zw.loc[2019, "suppressed_below"] == 10
    # counts large everywhere are never read as suppressed, nor years before the change of practice
    total = real_obs[real_obs["indicator_raw"] == "Arbeitslose insgesamt"]
    assert total["suppressed_below"].isna().all()
    assert u25.loc[u25["year"] < 2018, "suppressed_below"].isna().all()


def test_every_suppressed_cell_is_listed(real_obs):
    cells = suppressed_cells(real_obs, AREAS)
    assert len(cells) == real_obs["suppressed_below"].notna().sum()
    row = cells[(cells["indicator_raw"] == "unter 25 Jahre") & (cells["year"] == 2019) & (cells["area_code"] == "04")]
    assert row[["area_name", "below"]].to_dict("records") == [{"area_name": "Zentrum-West", "below": 10}]


def test_engine_counts_a_suppressed_cell_from_zero_to_its_bound():
    """Two Ortsteile of Stadtbezirk Mitte hand-made, the rest large; Zentrum (00) suppressed (< 10)."""
    cat = load_catalogue(REPO / "data" / "indicators.yaml")
    rows = []
    for i, code in enumerate(CODES):
        rows.append(("arbeitslose", "unter 25 Jahre", "ortsteil", code, 2019, np.nan if i == 0 else 100.0, i, np.nan))
        rows.append(("einwohner", "Einwohner insgesamt", "ortsteil", code, 2019, 1500.0, i, np.nan))
        rows.append(("einwohner_nach_alter", "Jugendquote", "ortsteil", code, 2019, 25.0, i, np.nan))
        rows.append(("einwohner_nach_alter", "Altenquote", "ortsteil", code, 2019, 25.0, i, np.nan))
    obs = pd.DataFrame(rows, columns=["source", "indicator_raw", "level", "area_code", "year", "value", "record",
                                      "suppressed_below"])
    obs.loc[0, "suppressed_below"] = 10
    sub = cat.model_copy(update={"indicators": [cat.get("arbeitslose_u25")]})
    t = compute_indicators(obs, AREAS, sub).set_index(["level", "area_code"])
    # 15–<65 per Ortsteil = 1500·100/150 = 1000
    own = t.loc[("ortsteil", "00")]
    assert np.isnan(own["value"]) and own["suppressed"] == 1 and own["lower"] == 0.0
    assert own["upper"] > 0.9  # at least 9 of 1000 (0,9 %) before the Wilson widening
    city = t.loc[("stadt", "14713000")]
    n = len(CODES)
    assert city["suppressed"] == 1 and city["denominator"] == 1000 * n
    assert city["numerator"] == 100 * (n - 1) + 4.5  # the midpoint of 0 … 9, never 0
    assert city["value"] == pytest.approx(100 * (100 * (n - 1) + 4.5) / (1000 * n), abs=1e-6)
    sbz = AREAS.loc[AREAS["ot_code"] == "00", "sbz_code"].iloc[0]
    assert t.loc[("stadtbezirk", sbz), "suppressed"] == 1
    other = AREAS.loc[AREAS["sbz_code"] != sbz, "sbz_code"].iloc[0]
    assert t.loc[("stadtbezirk", other), "suppressed"] == 0
