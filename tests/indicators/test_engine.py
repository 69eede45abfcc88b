"""Indicator math on a constructed three-Ortsteil city, against values computed by hand."""

from pathlib import Path

import pandas as pd
import pytest

from evalkit.acquire.areas import CITY_CODE
from evalkit.errors import DataError
from evalkit.indicators.catalogue import Catalogue
from evalkit.indicators.engine import COLUMNS, compute_indicators

AREAS = pd.DataFrame({
    "ot_code": ["00", "01", "10"], "ortsteil": ["A-Dorf", "B-Dorf", "C-Dorf"],
    "sbz_code": ["0", "0", "1"], "stadtbezirk": ["Mitte", "Mitte", "Nordost"],
    "pr_code": ["P1", "P2", "P2"], "planungsraum": ["Eins", "Zwei", "Zwei"],
    "valid_from": 2000, "valid_to": None, "pr_valid_from": 2012, "source": "test",
})


def obs_rows(rows):
    df = pd.DataFrame(rows, columns=["source", "indicator_raw", "area_code", "year", "value"])
    df["level"] = "ortsteil"
    df["record"] = range(len(df))
    return df[["source", "indicator_raw", "level", "area_code", "year", "value", "record"]]


def city():
    # Einwohner, Jugendquote, Altenquote and children receiving SGB II per Ortsteil, 2020
    data = {"00": (1500, 20.0, 30.0, 30), "01": (450, 25.0, 25.0, 40), "10": (3000, 10.0, 40.0, 10)}
    rows = []
    for ot, (ew, jq, aq, kids) in data.items():
        rows += [("einwohner", "Einwohner insgesamt", ot, 2020, ew),
                 ("einwohner_nach_alter", "Jugendquote", ot, 2020, jq),
                 ("einwohner_nach_alter", "Altenquote", ot, 2020, aq),
                 ("sgb2", "unter 15 Jahre", ot, 2020, kids)]
    return obs_rows(rows)


CAT = Catalogue.model_validate({"defaults": {"source_credit": "Stadt Leipzig", "licence": "dl-de/by-2-0"},
                                 "indicators": [
    dict(id="kinder_sgb2_quote", name="K", definition="d", kind="rate", numerator="sgb2:unter 15 Jahre",
         denominator="einwohner_unter15", scale=100, unit="%", higher_is_worse=True, goals=["Chancengerechtigkeit"], role="Kontext", focus="f", sources=["sgb2"]),
    dict(id="einwohner", name="E", definition="d", kind="count", numerator="einwohner:Einwohner insgesamt",
         unit="P", higher_is_worse=None, goals=["Chancengerechtigkeit"], role="Kontext", focus="f", sources=["einwohner"]),
]})


def test_catalogue_defaults_apply_unless_an_indicator_says_otherwise():
    from evalkit.indicators.catalogue import load_catalogue

    cat = load_catalogue(Path(__file__).resolve().parents[2] / "data/indicators.yaml")
    assert cat.get("einwohner").source_credit == cat.defaults.source_credit == "Stadt Leipzig, Amt für Statistik und Wahlen"
    assert cat.get("hze_je_1000_u21").licence == "nicht öffentlich"
    assert CAT.get("einwohner").licence == "dl-de/by-2-0"


def value(table, ind, level, code):
    row = table[(table.indicator == ind) & (table.level == level) & (table.area_code == code)]
    assert len(row) == 1, row
    return row.iloc[0]


def test_ortsteil_rate_from_counts():
    t = compute_indicators(city(), AREAS, CAT)
    assert list(t.columns) == COLUMNS
    # A-Dorf: children = 1500·20/150 = 200; 30/200 = 15 %
    r = value(t, "kinder_sgb2_quote", "ortsteil", "00")
    assert r.denominator == pytest.approx(200) and r.numerator == 30 and r.value == pytest.approx(15.0)
    # B-Dorf: 450·25/150 = 75 children; 40/75 = 53.333 %
    assert value(t, "kinder_sgb2_quote", "ortsteil", "01").value == pytest.approx(53.333333, abs=1e-6)
    # C-Dorf: 3000·10/150 = 200 children; 10/200 = 5 %
    assert value(t, "kinder_sgb2_quote", "ortsteil", "10").value == pytest.approx(5.0)


def test_aggregates_sum_numerators_and_denominators_not_rates():
    t = compute_indicators(city(), AREAS, CAT)
    # Stadtbezirk Mitte = A + B: (30+40)/(200+75) = 25.4545 %; the mean of rates would be 34.17 %
    mitte = value(t, "kinder_sgb2_quote", "stadtbezirk", "0")
    assert mitte.value == pytest.approx(100 * 70 / 275, abs=1e-6)
    assert mitte.numerator == 70 and mitte.denominator == pytest.approx(275)
    # Planungsraum Zwei = B + C: 50/275
    assert value(t, "kinder_sgb2_quote", "planungsraum", "P2").value == pytest.approx(100 * 50 / 275, abs=1e-6)
    # City: 80/475
    s = value(t, "kinder_sgb2_quote", "stadt", CITY_CODE)
    assert s.value == pytest.approx(100 * 80 / 475, abs=1e-6)
    assert s.lower < s.value < s.upper
    assert value(t, "einwohner", "stadt", CITY_CODE).value == 4950
    assert value(t, "einwohner", "stadt", CITY_CODE).area_name == "Leipzig"


def test_aggregate_needs_every_ortsteil():
    obs = city()
    obs = obs[~((obs.area_code == "01") & (obs.indicator_raw == "unter 15 Jahre"))]
    t = compute_indicators(obs, AREAS, CAT)
    k = t[t.indicator == "kinder_sgb2_quote"]
    assert set(k[k.level == "stadtbezirk"].area_code) == {"1"}  # Mitte lacks B-Dorf: no value
    assert k[k.level == "stadt"].empty
    assert set(k[k.level == "planungsraum"].area_code) == {"P1"}


def test_numerator_above_denominator_names_file_and_record():
    obs = city()
    obs.loc[(obs.area_code == "10") & (obs.indicator_raw == "unter 15 Jahre"), "value"] = 250  # > 200 children
    with pytest.raises(DataError) as e:
        compute_indicators(obs, AREAS, CAT, files={"sgb2": "raw/api/sgb2.json"})
    msg = str(e.value)
    assert "raw/api/sgb2.json" in msg and "record 11" in msg and "Ortsteil 10, 2020" in msg
    assert "no larger than its denominator" in msg


def test_rerun_is_identical():
    a = compute_indicators(city(), AREAS, CAT).to_csv(index=False)
    b = compute_indicators(city().sample(frac=1, random_state=1), AREAS, CAT).to_csv(index=False)
    assert a == b


def test_indicator_table_is_checked_on_read(fetched_project, tmp_path):
    from evalkit.errors import DataError
    from evalkit.indicators.engine import read_indicator_table

    src = fetched_project / "data/processed/indicators.csv"
    assert len(read_indicator_table(src)) > 20000
    lines = src.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "indicators.csv"
    bad.write_text("\n".join([lines[0], lines[1], lines[1], *lines[2:5]]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="indicators.csv.*(unique|duplicate)"):
        read_indicator_table(bad)
    bad.write_text("\n".join([lines[0].replace("value", "wert"), *lines[1:5]]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="indicators.csv"):
        read_indicator_table(bad)


def test_values_outside_their_plausible_range_are_refused():
    import pandas as pd

    from evalkit.errors import DataError
    from evalkit.indicators.plausibility import check_ranges

    ok = pd.DataFrame({"indicator": ["kinder_sgb2_quote", "einwohner"], "level": "ortsteil", "area_code": "01",
                       "year": 2020, "value": [100.0, 0.0]})
    check_ranges(ok, CAT)
    assert CAT.get("kinder_sgb2_quote").plausible_range == (0.0, 100.0)
    bad = ok.assign(value=[100.5, 0.0])
    with pytest.raises(DataError, match=r"kinder_sgb2_quote = 100.5 for ortsteil 01, 2020 is outside"):
        check_ranges(bad, CAT)
    with pytest.raises(DataError, match="einwohner = -1"):
        check_ranges(ok.assign(value=[1.0, -1.0]), CAT)


def test_a_listing_source_gives_no_value_where_it_lists_nothing():
    """OpenStreetMap lists the Kitas it knows: an Ortsteil with none listed has no value (never 0,0), and its
    0 still counts in the sums, so the city's rate is the listed Kitas over all children."""
    obs = city()
    kids = {"00": 3, "01": 0, "10": 2}
    obs = pd.concat([obs, obs_rows([("kitas", "kitas_osm", ot, 2020, n) for ot, n in kids.items()])],
                    ignore_index=True)
    spec = dict(id="kitas_je_1000_kinder", name="Kitas", definition="d", kind="ratio", numerator="kitas:kitas_osm",
                denominator="einwohner_unter15", scale=1000, unit="je 1.000", higher_is_worse=False,
                goals=["Starke Familien"], role="Kontext", focus="f", sources=["kitas"])
    for unrecorded, b_value in ((True, None), (False, 0.0)):
        cat = Catalogue.model_validate({"defaults": {"source_credit": "OSM", "licence": "ODbL"},
                                        "indicators": [dict(spec, zero_is_unrecorded=unrecorded)]})
        t = compute_indicators(obs, AREAS, cat)
        b = value(t, "kitas_je_1000_kinder", "ortsteil", "01")
        assert (pd.isna(b.value) if b_value is None else b.value == b_value) and b.numerator == 0
        assert value(t, "kitas_je_1000_kinder", "ortsteil", "00").value == pytest.approx(1000 * 3 / 200)
        # city: 5 Kitas over 200 + 75 + 200 children
        assert value(t, "kitas_je_1000_kinder", "stadt", CITY_CODE).value == pytest.approx(1000 * 5 / 475, abs=1e-6)
