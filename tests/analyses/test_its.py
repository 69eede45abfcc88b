"""Comparative interrupted time series on a synthetic panel whose terms are known by construction."""

import numpy as np
import pandas as pd
import pytest

from evalkit.analyses.its import fit, its_table, panel, permutation_p

GROUP = {"01", "02", "03"}
AREAS = ["01", "02", "03", "04", "05", "06"]
OFFSET = {"01": 0.3, "02": -0.3, "03": 0.0, "04": 0.4, "05": -0.4, "06": 0.0}  # cancel within each group


def rate(area: str, year: int) -> float:
    t, post = year - 2020, float(year >= 2020)
    rest = 10 + 0.5 * t + 1.0 * post - 0.2 * t * post
    if area in GROUP:  # pre-slope difference −0.2, level change −1.5, slope change −0.3
        return rest + 2.0 - 0.2 * t - 1.5 * post - 0.3 * t * post + OFFSET[area]
    return rest + OFFSET[area]


def table(noise: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for a in AREAS:
        for y in range(2012, 2024):
            den = 1000.0
            rows.append(("x", "ortsteil", a, y, (rate(a, y) + noise * rng.standard_normal()) * den / 100, den))
    return pd.DataFrame(rows, columns=["indicator", "level", "area_code", "year", "numerator", "denominator"])


def test_its_terms_equal_the_constructed_ones():
    est = fit(panel(table(), "x", GROUP, 2012, 2023), 2020).set_index("term")
    assert est.loc["pre_slope_diff", "estimate"] == pytest.approx(-0.2, abs=1e-9)
    assert est.loc["level_change", "estimate"] == pytest.approx(-1.5, abs=1e-9)
    assert est.loc["slope_change", "estimate"] == pytest.approx(-0.3, abs=1e-9)
    noisy = fit(panel(table(noise=0.01), "x", GROUP, 2012, 2023), 2020).set_index("term")
    truth = {"pre_slope_diff": -0.2, "level_change": -1.5, "slope_change": -0.3}
    for term, value in truth.items():  # small noise: the estimate moves a little and gets a finite interval
        r = noisy.loc[term]
        assert r["estimate"] == pytest.approx(value, abs=0.05)
        assert np.isfinite([r["lower"], r["upper"]]).all() and r["lower"] < r["estimate"] < r["upper"]
        assert r["upper"] - r["lower"] < 0.5


def test_permutation_p_by_exact_enumeration():
    # 20 ways to label 3 of 6 areas; only the true group and its complement reach |estimate|: p = 2/20
    p = permutation_p(panel(table(), "x", GROUP, 2012, 2023), 2020, AREAS, 3, draws=999)
    assert p == pytest.approx({"pre_slope_diff": 0.1, "level_change": 0.1, "slope_change": 0.1})


def test_placebo_and_pandemic_rows():
    out = its_table(table(), {"x": 2023}, GROUP, AREAS, start=2020, first=2012, placebo_start=2016)
    row = out.set_index("term")
    assert list(out.columns) == ["indicator", "term", "estimate", "lower", "upper", "p_perm"]
    assert set(row.index) == {"pre_slope_diff", "level_change", "slope_change", "placebo_slope_change",
                              "slope_change_without_2020_2021"}
    assert row.loc["placebo_slope_change", "estimate"] == pytest.approx(0.0, abs=1e-6)  # linear before 2020
    assert row.loc["slope_change_without_2020_2021", "estimate"] == pytest.approx(-0.3, abs=1e-6)
    assert out.equals(its_table(table(), {"x": 2023}, GROUP, AREAS, start=2020, first=2012, placebo_start=2016))


def test_random_draws_when_there_are_many_sets():
    areas = [f"{i:02d}" for i in range(20)]
    rows = [("x", "ortsteil", a, y, (10 + (0.5 if a in {"00", "01", "02"} and y >= 2020 else 0)) * 10, 1000.0)
            for a in areas for y in range(2014, 2024)]
    t = pd.DataFrame(rows, columns=["indicator", "level", "area_code", "year", "numerator", "denominator"])
    p = permutation_p(panel(t, "x", {"00", "01", "02"}, 2014, 2023), 2020, areas, 3, draws=199, seed=1)
    # C(20, 3) = 1,140 sets > 199 draws: p = (1 + hits) / 200, and no random set beats the true one often
    assert p["level_change"] * 200 == pytest.approx(round(p["level_change"] * 200))
    assert p["level_change"] < 0.05 and np.isfinite(list(p.values())).all()


def test_reading_aid_says_inconclusive_and_no_cause():
    from evalkit.publish.reading_aids import its_reading_aid

    rows = pd.DataFrame({"term": ["pre_slope_diff", "level_change", "slope_change", "placebo_slope_change"],
                         "estimate": [0.1, -1.2, -0.5, -0.05], "lower": [-0.2, -2.0, -0.9, -0.3],
                         "upper": [0.4, -0.4, 0.2, 0.2], "p_perm": [0.5, 0.01, 0.2, 0.8]})
    text = its_reading_aid("Kinder im SGB-II-Bezug", rows, [2020, 2021, 2022])
    assert "Nach 2020 liegen 3 Jahre vor (2020, 2021, 2022)" in text
    assert "Unterschied der jährlichen Trends der beiden Gruppen vor 2020: 0,10 Prozentpunkte pro Jahr " \
           "(95-%-Intervall −0,20 bis 0,40, Permutations-p 0,500) – nicht eindeutig von null verschieden" in text
    # group above the rest and its trend rose faster: the groups drifted apart (not "converged")
    assert "Vor dem Planstart entfernten sich die Gruppen voneinander (nicht eindeutig)." in text
    # a level change is a jump of the gap beyond its trend, never "niedriger als im übrigen Stadtgebiet"
    assert "Sprung des Abstands 2020 über seinen bisherigen Trend hinaus: −1,20 Prozentpunkte (" in text
    assert "niedriger als im übrigen Stadtgebiet" not in text
    assert "Änderung des jährlichen Trends des Abstands ab 2020: −0,50 Prozentpunkte pro Jahr (" in text and \
           text.count("nicht eindeutig von null verschieden") == 2
    assert "klein und nicht eindeutig" in text and "nicht, ob der Plan sie verursacht hat" in text
    for causal in ("bewirkt", "führte zu", "Wirkung des Plans", "wegen des Plans"):
        assert causal not in text


def test_reading_aid_names_the_sensitivity_groups_and_a_reversal():
    from evalkit.publish.reading_aids import its_reading_aid

    rows = pd.DataFrame({"term": ["pre_slope_diff", "level_change", "slope_change", "slope_change_a",
                                  "slope_change_b"],
                         "estimate": [0.1, -1.2, -0.5, -0.7, 0.3], "lower": [-0.2, -2.0, -0.9, -1.0, 0.1],
                         "upper": [0.4, -0.4, -0.1, -0.4, 0.5], "p_perm": [0.5, 0.01, 0.02, 0.01, 0.3]})
    text = its_reading_aid("X", rows, [2020, 2021], group_labels={"a": "Gruppe A", "b": "Gruppe B"})
    assert "Mit anderer Gruppenwahl: Gruppe A −0,70 (−1,00 bis −0,40); Gruppe B 0,30 (0,10 bis 0,50)." in text
    assert "In 1 von 2 verschiedenen Gruppen kehrt sich die Richtung um (Gruppe B)" in text
    same = its_reading_aid("X", rows[rows.term != "slope_change_b"], [2020, 2021], group_labels={"a": "Gruppe A"})
    assert "Die Richtung hängt nicht an der Gruppenwahl." in same


def test_sensitivity_rows_fit_the_other_group():
    """A constructed panel where only Ortsteil 03 changes its slope at 2020: the main group (00, 01) shows no
    change; the alternative group {03} shows the full change of 1 point per year."""
    from evalkit.analyses.its import its_table

    rows = []
    for code in ["00", "01", "02", "03", "04", "05"]:
        for y in range(2014, 2024):
            rate = 10.0 + (1.0 * (y - 2020) if code == "03" and y >= 2020 else 0.0)
            rows.append(("x", "ortsteil", code, y, rate * 10, 1000.0))
    t = pd.DataFrame(rows, columns=["indicator", "level", "area_code", "year", "numerator", "denominator"])
    t["value"] = 100 * t["numerator"] / t["denominator"]
    out = its_table(t, {"x": 2023}, {"00", "01"}, ["00", "01", "02", "03", "04", "05"], draws=99,
                    alt_groups={"only_03": {"03"}}).set_index("term")
    assert out.loc["slope_change", "estimate"] == pytest.approx(-0.25, abs=1e-6)  # 03 is 1 of the 4 in the rest
    assert out.loc["slope_change_only_03", "estimate"] == pytest.approx(1.0, abs=1e-6)
    assert out.loc["slope_change_only_03", "p_perm"] == pytest.approx(1 / 6, abs=1e-6)  # 6 one-area groups, all enumerated


def test_reading_aid_states_the_rule_when_interval_and_permutation_disagree_and_the_pandemic():
    from evalkit.publish.reading_aids import its_reading_aid

    rows = pd.DataFrame({"term": ["pre_slope_diff", "level_change", "slope_change", "placebo_slope_change"],
                         "estimate": [-0.2, 1.0, -0.06, -0.9], "lower": [-0.4, 0.5, -0.12, -1.5],
                         "upper": [-0.05, 1.5, 0.001, -0.3], "p_perm": [0.01, 0.001, 0.02, 0.01]})
    text = its_reading_aid("Arbeitslose", rows, [2020, 2021, 2022], pandemic=True, above=True,
                           equal_groups=["Top 13 2017–2019"])
    assert "Vor dem Planstart näherten sich die Gruppen schon an." in text
    assert "Der Permutationstest spricht gegen Zufall (p < 0,05), das Intervall schließt null aber ein" in text
    assert "pandemiebedingt" in text
    assert "eindeutig von null verschieden und mindestens halb so groß wie die Trendänderung" in text
    assert "Nicht mitgezählt, weil dieselben Ortsteile wie die Evaluationsgruppe: Top 13 2017–2019." in text
    below = its_reading_aid("X", rows, [2020, 2021], above=False)
    assert "entfernten sich die Gruppen voneinander" in below  # below the rest, a falling trend widens the gap
