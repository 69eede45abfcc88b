"""The API record loader: the real format's quirks, and each kind of bad input with a clear message."""

import json
from pathlib import Path

import pandas as pd
import pytest

from evalkit.acquire.areas import CITY_CODE, load_areas
from evalkit.acquire.observations import (
    load_observations,
    read_records,
    tidy_records,
    unpublished_years,
)
from evalkit.acquire.sources import load_registry
from evalkit.errors import DataError

REPO = Path(__file__).resolve().parents[2]
AREAS = load_areas(REPO / "data" / "areas.csv")


def rec(name="Einwohner insgesamt", wert="100", jahr="2020", ortsteil="Zentrum", stadtbezirk=None):
    return {"name": name, "wert": wert, "jahr": jahr, "periode": "y", "kategorie_Nr": 2, "rubrik_Nr": 1,
            "stadtbezirk": stadtbezirk, "ortsteil": ortsteil}


def write(tmp_path, records, key="daten"):
    p = tmp_path / "x.json"
    p.write_text(json.dumps({key: records}), encoding="utf-8")
    return p


def test_api_quirks_are_read(tmp_path):
    recs = [rec(name="   Ausländer", wert="16,9"), rec(ortsteil=None, stadtbezirk="Nordost", wert="1.234,5"),
            rec(ortsteil=None, stadtbezirk=None, wert="601668"), rec(ortsteil="Volkmarsdorf", wert="7")]
    p = write(tmp_path, recs)
    df = tidy_records(read_records(p), "einwohner", p, AREAS)
    assert list(df.columns) == ["source", "indicator_raw", "level", "area_code", "year", "value", "record"]
    assert df.loc[0, "indicator_raw"] == "Ausländer" and df.loc[0, "value"] == 16.9
    assert (df.loc[1, "level"], df.loc[1, "area_code"], df.loc[1, "value"]) == ("stadtbezirk", "1", 1234.5)
    assert (df.loc[2, "level"], df.loc[2, "area_code"]) == ("stadt", CITY_CODE)
    assert df.loc[3, "area_code"] == "21"


def test_truncated_json(tmp_path):
    p = write(tmp_path, [rec(), rec()])
    p.write_bytes(p.read_bytes()[:-40])
    with pytest.raises(DataError, match=r"x\.json: invalid JSON at line 1, column \d+ .*truncated"):
        read_records(p)


def test_unknown_ortsteil(tmp_path):
    p = write(tmp_path, [rec(), rec(ortsteil="Volksmarsdorf")])
    with pytest.raises(DataError) as e:
        tidy_records(read_records(p), "einwohner", p, AREAS)
    assert "x.json: record 1: unknown Ortsteil 'Volksmarsdorf'" in str(e.value)
    assert "63 Ortsteil names" in str(e.value)


def test_duplicate_record(tmp_path):
    p = write(tmp_path, [rec(), rec(ortsteil="Connewitz"), rec(wert="101")])
    with pytest.raises(DataError) as e:
        tidy_records(read_records(p), "einwohner", p, AREAS)
    assert "duplicate record for 'Einwohner insgesamt', ortsteil 00, 2020 (records 0, 2)" in str(e.value)
    assert "record 2" in str(e.value)


def test_negative_count(tmp_path):
    p = write(tmp_path, [rec(), rec(ortsteil="Connewitz", wert="-5")])
    with pytest.raises(DataError) as e:
        tidy_records(read_records(p), "einwohner", p, AREAS)
    assert "record 1 (Einwohner insgesamt, ortsteil 41, 2020)" in str(e.value)
    assert "≥ 0" in str(e.value)


def test_missing_year(tmp_path):
    p = write(tmp_path, [rec(), rec(ortsteil="Connewitz", jahr=None)])
    with pytest.raises(DataError, match=r"record 1: year None of 'Einwohner insgesamt' \(Connewitz\) is missing"):
        tidy_records(read_records(p), "einwohner", p, AREAS)


def test_year_out_of_range(tmp_path):
    p = write(tmp_path, [rec(jahr="1899")])
    with pytest.raises(DataError, match="a year between 1990"):
        tidy_records(read_records(p), "einwohner", p, AREAS)


def test_not_a_number(tmp_path):
    p = write(tmp_path, [rec(wert="viele")])
    with pytest.raises(DataError, match="record 0: value 'viele'"):
        tidy_records(read_records(p), "einwohner", p, AREAS)


def test_real_mirror_loads_and_flags_unpublished_years(mirror):
    reg = load_registry(REPO / "data" / "sources.yaml")
    obs = load_observations(mirror, reg.of_kind("api"), AREAS)
    assert set(obs[obs.level == "ortsteil"].area_code) == set(AREAS.ot_code)
    gone = unpublished_years(pd.concat([tidy_records(read_records(mirror / "api/arbeitslose.json"), "arbeitslose",
                                                     mirror / "api/arbeitslose.json", AREAS)]))
    # Langzeitarbeitslose: 0 in every Ortsteil from 2018 means "not published", not "no one"
    assert set(gone[gone.indicator_raw == "Langzeitarbeitslose"].year) == {2018, 2019, 2021, 2022}
    lz = obs[(obs.indicator_raw == "Langzeitarbeitslose") & (obs.year == 2019)]
    assert lz.value.isna().all()
