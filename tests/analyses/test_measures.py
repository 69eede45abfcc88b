from pathlib import Path

import pandas as pd
import pytest

from evalkit.analyses import measures
from evalkit.errors import DataError

REPO = Path(__file__).resolve().parents[2]


def test_registry_holds_the_stated_counts():
    m = measures.load_measures(REPO / "data/measures/measures.csv")
    kifaz = m[m.measure == "KiFaZ"].set_index("date")["count"]
    assert kifaz["2012-04"] == 10 and kifaz["2021-01"] == 21
    ssa = m[(m.measure == "Schulsozialarbeit") & (m.date == "2021-01")].set_index("school_type")
    assert ssa.loc["Grundschule", "count"] == 43 and ssa.loc["Grundschule", "total"] == 67
    assert m["source"].str.startswith("http").all()


def test_coverage_against_school_list(mirror):
    schools = measures.school_counts(mirror / "facilities/schulen_2023.csv")
    gs = schools.set_index("school_type").loc["Grundschule"]
    assert gs["all"] == 83 and gs["municipal"] == 70 and gs["municipal_located"] == 48
    cov = measures.coverage(measures.load_measures(REPO / "data/measures/measures.csv"), schools)
    row = cov[(cov.school_type == "Grundschule") & (cov.date == "2021-01")].iloc[0]
    assert row.share_source == pytest.approx(64.2) and row.share_list == pytest.approx(61.4)


def test_allocation_scenario_goes_down_the_ranking():
    schools = pd.DataFrame({"schul_id": list("abcd"), "name": ["S1", "S2", "S3", "S4"],
                            "ot_code": ["01", "02", "02", "03"]})
    index = pd.DataFrame({"area_code": ["01", "02", "03"], "index": [0.1, 1.2, -0.5], "rank": [2, 1, 3]})
    kids = pd.DataFrame({"area_code": ["01", "02", "03"], "numerator": [100, 300, 600]})
    res = measures.allocation_scenario(schools, index, 2, kids)
    assert res["ortsteile"] == ["02"]  # both posts go to the neediest Ortsteil's two schools
    assert res["poor_children_share"] == pytest.approx(30.0)
    res = measures.allocation_scenario(schools, index, 3, kids)
    assert res["ortsteile"] == ["01", "02"] and res["poor_children_share"] == pytest.approx(40.0)


def test_site_registry_is_validated(tmp_path):
    (tmp_path / measures.SITE_FILE).write_text(
        "site,measure,school_id,kita_id,ot_code,start,end,vza\n"
        "s1,Schulsozialarbeit,SN-1,,21,2019,,1.0\n"
        "s2,Zauberei,SN-2,,21,2019,,1.0\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"massnahmen_standorte\.csv: record line 3: column 'measure'"):
        measures.load_sites(tmp_path)
    assert measures.load_sites(tmp_path / "none") is None


def test_street_keys_match_across_the_lists():
    assert measures.street_key("Göbschelwitzer Weg") == measures.street_key("GoebschelwitzerWeg")
    assert measures.street_key("Scharnhorststr.") == measures.street_key("Scharnhorststraße")


def test_schools_without_coordinates_are_placed_by_address(mirror):
    f = mirror / "facilities"
    kitas = measures.kita_addresses(f / "kitas_osm_2024-07.json", mirror / "geo/ortsteile.geojson")
    placed = measures.place_schools(f / "schulen_2023.csv", f / "schulen_schuldatenbank_2017.csv", kitas=kitas)
    assert len(placed) == 70  # every municipal Grundschule, placed or not
    by = placed.set_index("name")
    # the same address in the 2017 database: Göbschelwitzer Weg 1 lies in Plaußig-Portitz (15)
    assert by.loc["Grundschule Portitz", ["ot_code", "placed_by"]].tolist() == ["15", "gleiche Adresse"]
    assert by.loc["Kurt-Masur-Schule", "ot_code"] == "40"  # Scharnhorststr. 24, Südvorstadt
    counts = placed["placed_by"].value_counts()
    assert counts["Koordinate"] == 48 and counts["nicht verortet"] == len(placed) - placed["ot_code"].notna().sum()
    assert placed["ot_code"].notna().sum() > 48  # more than the coordinates alone


def test_scenario_says_how_much_unplaced_schools_move_it():
    """Ortsteil 02 ranks first but has no located school: the scenario passes it over; assuming one of the
    unplaced schools there moves the result by hand-computable amounts."""
    schools = pd.DataFrame({"schul_id": list("abc"), "name": ["S1", "S3", "S4"], "ot_code": ["01", "03", "04"]})
    index = pd.DataFrame({"area_code": ["01", "02", "03", "04"], "index": [1.0, 2.0, 0.5, -1.0],
                          "rank": [2, 1, 3, 4]})
    kids = pd.DataFrame({"area_code": ["01", "02", "03", "04"], "numerator": [100, 500, 200, 200]})
    base = measures.allocation_scenario(schools, index, 2, kids)
    assert base["ortsteile"] == ["01", "03"] and base["poor_children_share"] == pytest.approx(30.0)
    sens = measures.scenario_sensitivity(schools, index, 2, kids, unplaced=5)
    assert sens["skipped"] == ["02"] and sens["assumed"] == ["02"]
    assert sens["ortsteile"] == ["01", "02"] and sens["poor_children_share"] == pytest.approx(60.0)
    none = measures.scenario_sensitivity(schools, index, 2, kids, unplaced=0)
    assert none["assumed"] == [] and none["poor_children_share"] == pytest.approx(30.0)


def test_a_facility_list_without_a_needed_column_is_named(mirror, tmp_path):
    """A school list whose export lost a column fails with the file and the missing column, not a KeyError in a
    notebook; an unreadable file is named too."""
    f = mirror / "facilities"
    broken = tmp_path / "schulen_2023.csv"
    pd.read_csv(f / "schulen_2023.csv", dtype=str).drop(columns=["hausnr"]).to_csv(broken, index=False)
    with pytest.raises(DataError) as e:
        measures.address_points(f / "schulen_schuldatenbank_2017.csv", broken)
    assert str(broken) in str(e.value) and "no column hausnr" in str(e.value) and "header" in str(e.value)
    assert "street_slug, hausnr, ot_nr_point_in_polygon" in str(e.value)
    empty = tmp_path / "leer.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="cannot read the school list"):
        measures.school_counts(empty)
