"""Trend and gap models on constructed data with known slopes."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

from evalkit.analyses.trends import gap_by_year, glm_slope, periods, trends_table
from evalkit.publish.reading_aids import reading_aid


def constructed(slope_sp, slope_rest, years=range(2010, 2023), n=10000, base_sp=30.0, base_rest=10.0):
    """Exact linear rates (no noise): 2 priority Ortsteile, 3 others."""
    rows = []
    for code, sp in (("01", True), ("02", True), ("03", False), ("04", False), ("05", False)):
        for y in years:
            p = (base_sp + slope_sp * (y - 2010)) if sp else (base_rest + slope_rest * (y - 2010))
            rows.append(("k", "ortsteil", code, y, p / 100 * n, n))
    df = pd.DataFrame(rows, columns=["indicator", "level", "area_code", "year", "numerator", "denominator"])
    df["area_name"] = df["area_code"]
    return df


def test_linear_slopes_and_gap_change_are_recovered():
    t = constructed(-1.0, -0.25)
    tt, _ = trends_table(t, ["k"], {"01", "02"}, {"k": 2022}, first_year=2010)
    pre = tt[tt.period == "2010–2019"].set_index("group")
    assert pre.loc["schwerpunkt", "slope"] == pytest.approx(-1.0, abs=1e-6)
    assert pre.loc["uebrige", "slope"] == pytest.approx(-0.25, abs=1e-6)
    assert pre.loc["abstand", "slope"] == pytest.approx(-0.75, abs=1e-6)  # the gap narrows by 0.75 pp a year
    post = tt[tt.period == "2020–2022"].set_index("group")
    assert post.loc["abstand", "slope"] == pytest.approx(-0.75, abs=1e-6)
    assert set(tt.columns) == {"indicator", "group", "slope", "lower", "upper", "period"}


def test_binomial_glm_recovers_known_log_odds_slope():
    rows = []
    for code in ("01", "02", "03"):
        for y in range(2008, 2020):
            p = expit(-1.5 - 0.08 * (y - 2013.5))
            rows.append((code, y, p * 50000, 50000.0))
    df = pd.DataFrame(rows, columns=["area_code", "year", "numerator", "denominator"])
    df["year_c"] = df["year"] - 2013.5
    b, lo, hi = glm_slope(df, ["year_c"], "year_c")
    assert b == pytest.approx(-0.08, abs=1e-6) and lo <= b <= hi


def test_periods_split_at_plan_start():
    assert periods(2008, 2022) == [(2008, 2019), (2020, 2022)]
    assert periods(2008, 2018) == [(2008, 2019)]
    assert periods(2020, 2022) == [(2020, 2022)]


def test_gap_by_year_and_reading_aid():
    t = constructed(-1.0, -0.25)
    from evalkit.analyses.trends import group_series

    g = gap_by_year(group_series(t, "k", {"01", "02"}, 2022))
    assert g.set_index("year").loc[2010, "gap"] == pytest.approx(20.0)
    assert (g["lower"] <= g["gap"]).all() and (g["gap"] <= g["upper"]).all()  # identical Ortsteile: no spread
    tt, _ = trends_table(t, ["k"], {"01", "02"}, {"k": 2022}, first_year=2010)
    text = reading_aid("Der Anteil", tt, group_series(t, "k", {"01", "02"}, 2022))
    assert "sank um 1,00 Prozentpunkte pro Jahr in der Evaluationsgruppe" in text
    assert "im übrigen Stadtgebiet sank er um 0,25" in text
    assert "Die Evaluationsgruppe liegt über dem übrigen Stadtgebiet. Der Abstand wurde um 0,75 Prozentpunkte pro " \
           "Jahr kleiner" in text


SLOPE = st.one_of(st.just(0.0), st.floats(0.02, 1.5), st.floats(-1.5, -0.02)).map(lambda v: round(v, 2))


@settings(max_examples=40, deadline=None)
@given(slope_sp=SLOPE, slope_rest=SLOPE, above=st.booleans())
def test_reading_aid_speaks_of_the_gap_size_whatever_its_sign(slope_sp, slope_rest, above):
    """Positive and negative gaps, rising and falling series: every clause has its own verb, the gap's size moves
    as the numbers say, and nothing is printed as a change of 0,00."""
    from evalkit.analyses.trends import group_series

    base_sp, base_rest = (60.0, 40.0) if above else (40.0, 60.0)  # 20 points apart: the gap never changes sign
    t = constructed(slope_sp, slope_rest, base_sp=base_sp, base_rest=base_rest)
    tt, _ = trends_table(t, ["k"], {"01", "02"}, {"k": 2022}, first_year=2010)
    text = reading_aid("Der Anteil", tt[tt.period == "2010–2019"], group_series(t, "k", {"01", "02"}, 2022))

    def clause(v, who=""):
        w = f" {who}" if who else ""
        return f"blieb{w} unverändert" if v == 0 else f"{'stieg' if v > 0 else 'sank'}{w} um {abs(v):.2f}".replace(
            ".", ",")

    assert f"Der Anteil {clause(slope_sp)}" in text
    assert f"im übrigen Stadtgebiet {clause(slope_rest, 'er')}" in text
    assert ("liegt über" if above else "liegt unter") in text
    size = (slope_sp - slope_rest) * (1 if above else -1)
    if round(abs(size), 2) == 0:
        assert "Der Abstand blieb unverändert" in text
    else:
        assert f"Der Abstand wurde um {abs(size):.2f}".replace(".", ",") in text
        assert ("größer" if size > 0 else "kleiner") in text
    assert "0,00 Prozentpunkte" not in text and "um 0,00" not in text


def test_group_band_comes_from_the_spread_between_ortsteile():
    from evalkit.analyses.trends import group_series

    # two group Ortsteile, 2020: 10 of 100 and 30 of 100 → pooled 20 %; residuals 10 − 20 = −10 and +10;
    # var = 2/1 · 200 / 200² = 0.01 → SE 0.1 → half-width 100 · t(1 df, 0.975) · 0.1 = 127.06 points (two areas!)
    rows = [("k", "ortsteil", "01", 2020, 10.0, 100.0), ("k", "ortsteil", "02", 2020, 30.0, 100.0),
            ("k", "ortsteil", "03", 2020, 5.0, 100.0), ("k", "ortsteil", "04", 2020, 5.0, 100.0),
            ("k", "ortsteil", "05", 2020, 5.0, 100.0)]
    t = pd.DataFrame(rows, columns=["indicator", "level", "area_code", "year", "numerator", "denominator"])
    g = group_series(t, "k", {"01", "02"}, 2020).set_index("group")
    assert g.loc["schwerpunkt", "value"] == pytest.approx(20.0)
    assert g.loc["schwerpunkt", "upper"] - 20.0 == pytest.approx(127.062, abs=1e-3)
    # the rest: every Ortsteil at exactly 5 %: no spread, no width
    assert g.loc["uebrige", "lower"] == pytest.approx(5.0) and g.loc["uebrige", "upper"] == pytest.approx(5.0)


def test_periods_follow_the_plan_start_of_the_params():
    assert periods(2008, 2022, plan_start=2018) == [(2008, 2017), (2018, 2022)]
    assert periods(2008, 2022, plan_start=2021) == [(2008, 2020), (2021, 2022)]
