"""The Leipzig evaluation design: decomposition, benchmark, comparison groups, Holm — on constructed data with
known answers, and end to end on the real mirror data of every cycle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.analyses import evaluation as ev


def counts(rows):
    return pd.DataFrame(rows, columns=["indicator", "level", "area_code", "year", "numerator", "denominator"]).assign(
        suppressed=False)


def test_decomposition_adds_up_and_splits_symmetrically():
    # group: 10 of 100 → 9 of 120: 10 % → 7,5 %; numerator part ½(−1)(1/100 + 1/120), denominator part
    # ½(19)(1/120 − 1/100), in points: −0,9167 and −1,5833, together −2,5
    t = counts([("k", "ortsteil", "a", 2019, 10, 100), ("k", "ortsteil", "a", 2022, 9, 120),
                ("k", "ortsteil", "b", 2019, 5, 100), ("k", "ortsteil", "b", 2022, 5, 100)])
    d = ev.decomposition(t, "k", {"g": {"a"}, "r": {"b"}}, 2019, 2022).set_index("group")
    assert d.loc["g", "change"] == pytest.approx(-2.5)
    assert d.loc["g", "from_numerator"] == pytest.approx(-0.916667, abs=1e-6)
    assert d.loc["g", "from_denominator"] == pytest.approx(-1.583333, abs=1e-6)
    assert d.loc["g", "denominator_growth"] == pytest.approx(20.0)
    assert d.loc["r", "change"] == 0 and d.loc["r", "from_denominator"] == 0


@settings(max_examples=50, deadline=None)
@given(n0=st.integers(1, 500), n1=st.integers(0, 500), d0=st.integers(501, 5000), d1=st.integers(501, 5000))
def test_decomposition_parts_always_sum_to_the_change(n0, n1, d0, d1):
    t = counts([("k", "ortsteil", "a", 2019, n0, d0), ("k", "ortsteil", "a", 2022, n1, d1)])
    r = ev.decomposition(t, "k", {"g": {"a"}}, 2019, 2022).iloc[0]
    assert r["from_numerator"] + r["from_denominator"] == pytest.approx(r["change"], abs=1e-9)
    if n1 == n0:
        assert r["from_numerator"] == 0  # only the denominator moved
    if d1 == d0:
        assert r["from_denominator"] == pytest.approx(0, abs=1e-12)


def test_selection_years_leave_the_post_years_before_the_plan():
    # window 2008–2010 is the first; fake start Y + 2 with three post years must end by 2019
    assert ev.selection_years(2008, 3, 2020, 2, 3) == [2010, 2011, 2012, 2013, 2014, 2015]
    assert ev.selection_years(2008, 3, 2020, 2, 1) == list(range(2010, 2018))


def panel_table(drift_after_2019: float = 0.0) -> pd.DataFrame:
    """20 Ortsteile over 2008–2022 whose rates regress to the mean: high ones fall, low ones rise."""
    rng = np.random.default_rng(4)
    rows = []
    for i in range(20):
        level = 10 + 2 * i
        for y in range(2008, 2023):
            rate = 25 + (level - 25) * 0.93 ** (y - 2008) + rng.normal(scale=0.3)
            if y >= 2020:
                rate += drift_after_2019 * (i >= 15)
            rows.append(("k", "ortsteil", f"{i:02d}", y, rate * 10, 1000.0))
    return counts(rows)


def top_by(table: pd.DataFrame, year: int, k: int = 5) -> set:
    """The top k by the rate pooled over the three years up to `year` (the same rule every year)."""
    t = table[table["year"].between(year - 2, year)]
    s = t.groupby("area_code")[["numerator", "denominator"]].sum()
    return set((s["numerator"] / s["denominator"]).nlargest(k).index)


def test_benchmark_uses_only_data_before_the_plan():
    """What happens from 2020 on cannot change what groups chosen the same way showed without the plan."""
    a = panel_table()
    b = panel_table(drift_after_2019=-5.0)
    ba = ev.benchmark(a, {"k": 2022}, lambda y: top_by(a, y), 2008, 3, 2020, 2)
    bb = ev.benchmark(b, {"k": 2022}, lambda y: top_by(b, y), 2008, 3, 2020, 2)
    pd.testing.assert_frame_equal(ba, bb)
    assert set(ba["selection_year"]) == set(range(2010, 2016))
    assert (ba["fake_start"] + 3 - 1 <= 2019).all()
    # groups chosen at their peak fall back: the benchmark's SDID changes are negative (drift, no plan)
    sd = ba[ba["estimator"] == "sdid"]["estimate"]
    assert (sd < 0).all()


def test_against_benchmark_labels():
    bench = pd.Series([-1.0, -0.5, -0.2])
    assert ev.against_benchmark(-2.0, bench, -3.0, -1.0) == (ev.BENCH_STRONGER, 0)
    assert ev.against_benchmark(-2.0, bench, -3.0, 0.5) == (ev.BENCH_UNCLEAR, 0)  # beyond all, but not sure
    assert ev.against_benchmark(-0.6, bench, -1.0, -0.2) == (ev.BENCH_WITHIN, 1)
    assert ev.against_benchmark(0.3, bench, 0.1, 0.5) == (ev.BENCH_WEAKER, 3)
    # higher is better: the favourable direction flips
    assert ev.against_benchmark(2.0, -bench, 1.0, 3.0, higher_is_worse=False) == (ev.BENCH_STRONGER, 0)


def test_holm_matches_the_step_down_by_hand():
    p = pd.Series([0.01, 0.04, 0.03, np.nan])
    # sorted 0.01, 0.03, 0.04 → 3·0.01 = 0.03, 2·0.03 = 0.06, max(0.06, 1·0.04) = 0.06
    assert ev.holm(p).round(6).tolist()[:3] == [0.03, 0.06, 0.06] and np.isnan(ev.holm(p).iloc[3])


def test_variants_that_equal_the_main_group_are_not_counted():
    keep, same = ev.distinct_groups({"a", "b"}, {"w": {"a", "b"}, "x": {"a"}, "y": {"a"}, "z": {"c"}})
    assert keep == {"x": {"a"}, "z": {"c"}} and same == {"w": "main", "y": "x"}


def test_near_cutoff_takes_the_ranks_just_below():
    idx = pd.DataFrame({"area_code": list("abcdefg"), "rank": [1, 2, 3, 4, 5, 6, None]})
    assert ev.near_cutoff(idx, 2, 3) == {"c", "d", "e"}


# -- end to end on the real data --------------------------------------------------------------------------------

def test_every_cycle_with_post_years_runs_the_designs(built_project):
    from evalkit.fileio import read_table

    for c in ("2020", "2022", "2024"):
        tab = built_project / "reports" / c / "tabellen"
        e = read_table(tab / "evaluation.csv")
        main = e[e["design"] == "hauptgruppe"]
        assert {"event_study", "sdid"} <= set(main["estimator"])
        assert {"hauptgruppe", "nahe_schwelle", "fruehes_fenster"} <= set(e["design"])
        assert "fenster_2017_2019" not in set(e["design"])  # it equals the main group: said, not counted
        es = main[(main["estimator"] == "event_study") & (main["indicator"] == "kinder_sgb2_quote")]
        assert es.loc[es["inference"] == "reference", "term"].astype(int).tolist() == [2019]
        # the referenzliste group has two Ortsteile: no clustered interval, only the ITS with permutation
        # inference, which needs two post years (none in 2020)
        ref = e[e["design"] == "referenzliste"]
        assert (set(ref["inference"]) == {"permutation"} and ref["lower"].isna().all()) if c != "2020" \
            else ref.empty
        bench = read_table(tab / "benchmark.csv")
        assert bench["selection_year"].min() == 2010 and (bench["fake_start"] < 2020).all()
    e22 = read_table(built_project / "reports/2022/tabellen/evaluation.csv")
    # 2022: three post years, so the ITS runs; Holm over the family of 5 × 3 headline tests
    assert e22["p_holm"].notna().sum() == 15
    its = e22[(e22["estimator"] == "its") & (e22["inference"] == "cluster") & (e22["design"] == "hauptgruppe")]
    old = read_table(built_project / "reports/2022/tabellen/its.csv")
    for term in ("level_change", "slope_change"):  # the engine's ITS is the cycle's ITS
        a = its[(its["indicator"] == "kinder_sgb2_quote") & (its["term"] == term)]["estimate"].iloc[0]
        b = old[(old["indicator"] == "kinder_sgb2_quote") & (old["term"] == term)]["estimate"].iloc[0]
        assert a == pytest.approx(b, abs=1e-6)
    # 2020 has one post year: no ITS row is claimed
    e20 = read_table(built_project / "reports/2020/tabellen/evaluation.csv")
    assert not (e20["estimator"] == "its").any() and (e20["periods_post"] == 1).all()


def test_trend_page_leads_with_the_finding_event_study_and_benchmark(built_project):
    import nbformat

    for c in ("2022", "2024"):
        nb = nbformat.read(built_project / "reports" / c / "trends.ipynb", as_version=4)
        text = "\n".join(o.get("data", {}).get("text/markdown", "") if "outputs" in cell else ""
                         for cell in nb.cells for o in cell.get("outputs", []))
        text += "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
        order = [text.find(h) for h in ("Befund auf einen Blick", "Ereignisstudie",
                                        "Gruppen, die genauso ausgewählt wurden, ohne Plan", "Zähler und Nenner",
                                        "Ergänzend: unterbrochene Zeitreihe")]
        assert -1 not in order
    page = (built_project / "reports/2024/index.qmd").read_text(encoding="utf-8")
    assert "Keine neuen Ergebnisjahre" in page and "dieser Zyklus beschreibt nicht die Lage im Bezugsjahr 2024" \
        in page
    assert "Keine neuen Ergebnisjahre" not in (built_project / "reports/2022/index.qmd").read_text(encoding="utf-8")


def test_befund_numbers_are_the_table_cells(built_project):
    """Every number in a Befund sentence is a cell of its row (gaps, ratio, SDID estimate and interval)."""
    import re

    from evalkit.fileio import read_table
    from evalkit.publish.fmt import de

    b = read_table(built_project / "reports/2022/tabellen/befund.csv")
    assert len(b) == 5
    for _, r in b.iterrows():
        s = r["sentence"].replace(r["name"], "")  # numbers in a name ("unter 25 Jahren") are no data
        g0, g1 = (abs(r["gap_start"]), abs(r["gap_last"])) if r["gap_start"] < 0 and r["gap_last"] < 0 else \
            (r["gap_start"], r["gap_last"])
        for value in (de(g0), de(g1), de(r["ratio_last"]), de(r["ratio_start"]), de(r["sdid"], 2, True),
                      de(r["sdid_lower"], 2, True), de(r["sdid_upper"], 2, True)):
            assert value in s, (value, s)
        assert f"({de(g1 - g0, 1, True)})" in s and abs(r["change"] - (r["gap_last"] - r["gap_start"])) < 1e-9
        numbers = re.findall(r"[−+]?\d+(?:,\d+)?", s)
        allowed = {de(g0), de(g1), de(g1 - g0, 1, True), de(r["ratio_last"]), de(r["ratio_start"]), de(r["sdid"], 2, True),
                   de(r["sdid_lower"], 2, True), de(r["sdid_upper"], 2, True), str(r["year_start"]),
                   str(r["year_last"]), str(r["as_good"]), str(r["n_benchmark"]), "95", "2020", "2", "-II"}
        stray = [n for n in numbers if n not in allowed and n.lstrip("+−") not in allowed]
        assert not stray, (stray, s)
        for causal in ("bewirkt", "führte zu", "wegen des Plans", "verursachte", "dank"):
            assert causal not in s
