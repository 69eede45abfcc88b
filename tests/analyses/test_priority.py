"""Need index on constructed Ortsteile, checked against a z-score composite computed by hand."""

import numpy as np
import pandas as pd
import pytest

from evalkit.analyses.priority import (
    FLAGGED,
    need_index,
    pooled,
    reference_overlap,
    standardise,
    window_stability,
)


def table(rows):
    """rows: (indicator, area_code, year, numerator, denominator)."""
    df = pd.DataFrame(rows, columns=["indicator", "area_code", "year", "numerator", "denominator"])
    df["level"] = "ortsteil"
    df["area_name"] = "OT " + df["area_code"]
    df["value"] = 100 * df["numerator"] / df["denominator"]
    return df


def city(n=6, small=None):
    rows = []
    for k in range(n):
        code = f"{k:02d}"
        den_a = 20 if code == small else 1000
        for y in (2020, 2021, 2022):
            rows.append(("a", code, y, 10 * (k + 1) * den_a // 1000, den_a))   # a: 1 %, 2 %, … 6 %
            rows.append(("b", code, y, (60 - 10 * k) * 10, 10000))             # b: 6 %, 5 %, … 1 %
    return table(rows)


def test_pooled_rate_sums_numerators_and_denominators():
    t = table([("a", "00", 2021, 1, 10), ("a", "00", 2022, 9, 90)])
    p = pooled(t, "a", 2022, 2)
    assert p.loc["00", "value"] == pytest.approx(10.0)  # (1+9)/(10+90), not mean(10 %, 10 %) by luck:
    t2 = table([("a", "00", 2021, 1, 10), ("a", "00", 2022, 90, 900)])
    assert pooled(t2, "a", 2022, 2).loc["00", "value"] == pytest.approx(100 * 91 / 910)


def test_composite_equals_hand_computed_z_scores():
    idx = need_index(city(), {"a": 2022, "b": 2022}, {"a": 0.75, "b": 0.25}, window=3, top=2, perturbations=0)
    # a = 1..6 %, b = 6..1 %: z(a) = (a - 3.5)/sd, z(b) = -z(a); sd (population) of 1..6 = sqrt(35/12)
    sd = np.sqrt(35 / 12)
    za = (np.arange(1, 7) - 3.5) / sd
    expected = 0.75 * za + 0.25 * (-za)  # the weighted sum, then standardised (population SD; its mean is 0)
    assert idx["index"].to_numpy() == pytest.approx(np.round(expected / expected.std(), 6))
    assert list(idx.sort_values("rank")["area_code"][:2]) == ["05", "04"]
    assert idx.set_index("area_code").loc["05", "top13"] and not idx.set_index("area_code").loc["03", "top13"]
    # classes: the index in standard deviations; 05 lies at 2.5/sqrt(35/12) = 1.46 SD → "hoher Bedarf" (< 1.5)
    s = expected / expected.std()
    assert s[5] == pytest.approx(1.4638501, rel=1e-6)
    classes = idx.set_index("area_code")["need_class"]
    assert classes["05"] == "hoher Bedarf" and classes["00"] == "niedriger Bedarf" and classes["02"] == "mittlerer Bedarf"


def test_small_base_is_flagged_not_ranked():
    idx = need_index(city(small="02"), {"a": 2022, "b": 2022}, {"a": 0.5, "b": 0.5}, min_denominator=100,
                     top=2, perturbations=10)
    row = idx.set_index("area_code").loc["02"]
    assert row["need_class"] == FLAGGED and pd.isna(row["rank"]) and not row["top13"] and row["stability"] == 0


def test_stability_is_deterministic_and_bounded():
    args = ({"a": 2022, "b": 2022}, {"a": 0.6, "b": 0.4})
    one = need_index(city(), *args, top=2, perturbations=200, seed=5)
    two = need_index(city(), *args, top=2, perturbations=200, seed=5)
    pd.testing.assert_frame_equal(one, two)
    assert one["stability"].between(0, 1).all()
    assert one.set_index("area_code").loc["05", "stability"] > one.set_index("area_code").loc["00", "stability"]


def test_rank_normalisation_is_monotone():
    v = pd.Series([3.0, 1.0, 2.0], index=list("xyz"))
    s = standardise(v, "rank")
    assert s["y"] < s["z"] < s["x"] and s["z"] == pytest.approx(0)


def test_window_stability_and_reference_overlap():
    w = window_stability(city(), {"a": 2022, "b": 2022}, {"a": 1, "b": 0.5}, [1, 3], top=2)
    assert set(w["window"]) == {1, 3} and w.groupby("window").top13.sum().eq(2).all()
    idx = need_index(city(), {"a": 2022, "b": 2022}, {"a": 1, "b": 0.5}, top=2, perturbations=0)
    ref = pd.DataFrame({"list": ["X", "X"], "area_code": ["05", "00"], "area_name": ["a", "b"]})
    ov = reference_overlap(idx, ref)
    assert ov.set_index("area_code").top13.to_dict() == {"00": False, "05": True}


def test_need_index_without_perturbations_has_no_stability():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero
        idx = need_index(city(), {"a": 2022, "b": 2022}, {"a": 0.5, "b": 0.5}, perturbations=0, top=2)
    assert idx["stability"].isna().all() and idx["top13"].sum() == 2


def test_rank_uncertainty_from_count_draws():
    """Counts in the millions barely move: every rank stays put (p_top 1 or 0, intervals of width 0). Two
    Ortsteile with identical small counts tie for the last top place: each gets it in about half the draws."""
    from evalkit.analyses.priority import count_uncertainty

    big = []
    for k in range(6):
        for y in (2020, 2021, 2022):
            big.append(("a", f"{k:02d}", y, 1_000_000 * (k + 1), 100_000_000))
    u = count_uncertainty(table(big), {"a": 2022}, {"a": 1.0}, window=3, top=2, draws=200).set_index("area_code")
    assert u.loc[["05", "04"], "p_top"].tolist() == [1.0, 1.0] and (u.loc[["00", "01", "02", "03"], "p_top"] == 0).all()
    assert (u["rank_lower"] == u["rank"]).all() and (u["rank_upper"] == u["rank"]).all()

    tie = []
    for k, n in enumerate([5, 10, 40, 40, 200, 400]):  # "02" and "03" identical, competing for place 3 of top 3
        for y in (2020, 2021, 2022):
            tie.append(("a", f"{k:02d}", y, n, 1000))
    u = count_uncertainty(table(tie), {"a": 2022}, {"a": 1.0}, window=3, top=3, draws=2000, seed=5)
    u = u.set_index("area_code")
    assert u.loc[["05", "04"], "p_top"].tolist() == [1.0, 1.0]
    assert u.loc["02", "p_top"] == pytest.approx(0.5, abs=0.05) and u.loc["03", "p_top"] == pytest.approx(0.5, abs=0.05)
    assert u.loc["02", "rank_lower"] == 3 and u.loc["02", "rank_upper"] == 4
    assert u.loc["00", "p_top"] == 0
