"""End to end on the real mirror: fetch → observations → indicators, the published-share check, bad input."""

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from evalkit.paths import Project

LEVEL_SIZES = {"ortsteil": 63, "stadtbezirk": 10, "planungsraum": 7, "stadt": 1}


def read(root, name):
    return pd.read_csv(root / "data" / "processed" / name, dtype={"area_code": str})


def test_indicators_cover_every_area_and_year(fetched_project):
    t = read(fetched_project, "indicators.csv")
    assert list(t.columns) == ["indicator", "level", "area_code", "area_name", "year", "numerator",
                               "denominator", "value", "lower", "upper", "suppressed"]
    expected_years = {"einwohner": (2000, 2024), "kinder_sgb2_quote": (2008, 2022), "sgb2_quote": (2008, 2022),
                      "arbeitslose_anteil": (2000, 2022), "migrationsanteil": (2008, 2023),
                      "jugendquote": (2000, 2023), "einwohnerdichte": (2000, 2024)}
    for ind, (y0, y1) in expected_years.items():
        sub = t[t.indicator == ind]
        for level, n in LEVEL_SIZES.items():
            lv = sub[sub.level == level]
            assert lv.groupby("year").area_code.nunique().eq(n).all(), (ind, level)
            assert (lv.year.min(), lv.year.max()) == (y0, y1), (ind, level)
    inc = t[t.indicator == "haushaltseinkommen"]
    assert set(inc.level) == {"ortsteil"} and sorted(inc.year.unique()) == [2011, 2013, 2015, 2017, 2019, 2021]
    assert not t.duplicated(["indicator", "level", "area_code", "year"]).any()


def test_city_totals_agree_with_published_city_rows(fetched_project):
    """Ortsteil sums against the city's own Stadtbezirk and city rows (einwohner.json has them)."""
    import json

    t = read(fetched_project, "indicators.csv")
    raw = json.loads((fetched_project / "data/raw/api/einwohner.json").read_text(encoding="utf-8"))["daten"]
    pub = {int(r["jahr"]): int(r["wert"]) for r in raw
           if r["name"].strip() == "Einwohner insgesamt" and r["ortsteil"] is None and r["stadtbezirk"] is None}
    mine = t[(t.indicator == "einwohner") & (t.level == "stadt")].set_index("year").value
    for year, value in pub.items():
        # residents the register cannot place in an Ortsteil: up to 579 (0.12 %) in 2000, at most 18 since 2011
        gap = value - mine[year]
        assert 0 <= gap <= (0.0015 * value if year < 2011 else 20), year


def test_published_shares_are_reproduced(fetched_project):
    c = read(fetched_project, "share_check.csv")
    rates = c.groupby("indicator").match.mean()
    for ind in ("sgb2_quote", "elb_quote", "migrationsanteil", "auslaenderanteil"):
        assert rates[ind] == 1.0, ind
    assert rates["kinder_sgb2_quote"] >= 943 / 945
    assert rates["arbeitslose_anteil"] >= 0.97
    classes = c[~c.match].groupby(["indicator", "class"]).size().to_dict()
    # Hartmannsdorf-Knautnaundorf 2001–2005: the city published 0 although 175–195 people were unemployed
    assert classes[("arbeitslose_anteil", "published zero")] == 5
    assert classes[("arbeitslose_anteil", "truncation edge")] == 32
    assert classes[("arbeitslose_anteil", "other")] == 4 and classes[("kinder_sgb2_quote", "other")] == 2


def test_rerun_is_byte_identical(fetched_project, tmp_path):
    from evalkit.indicators.pipeline import build_indicators

    before = (fetched_project / "data/processed/indicators.csv").read_bytes()
    copy = tmp_path / "again"
    shutil.copytree(fetched_project, copy)
    build_indicators(Project(copy))
    assert (copy / "data/processed/indicators.csv").read_bytes() == before


def test_hand_check_one_ortsteil(fetched_project):
    """Volkmarsdorf 2019, from the raw numbers: children in SGB II / (E·J/(100+J+A))."""
    import json

    raw = fetched_project / "data/raw/api"
    def pick(file, name, key="data"):
        recs = json.loads((raw / file).read_text(encoding="utf-8"))[key]
        return float(next(r["wert"].replace(",", ".") for r in recs if r["name"].strip() == name
                          and r["ortsteil"] == "Volkmarsdorf" and r["jahr"] == "2019"))
    e = pick("einwohner.json", "Einwohner insgesamt", "daten")
    j, a = pick("einwohner_nach_alter.json", "Jugendquote"), pick("einwohner_nach_alter.json", "Altenquote")
    kids = pick("sgb2.json", "unter 15 Jahre")
    t = read(fetched_project, "indicators.csv")
    row = t[(t.indicator == "kinder_sgb2_quote") & (t.area_code == "21") & (t.year == 2019)].iloc[0]
    assert row.value == pytest.approx(100 * kids / (e * j / (100 + j + a)), abs=1e-5)
    assert row.lower < row.value < row.upper


def cli(root, *args, env_extra=None):
    import os

    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "evalkit", "--root", str(root), *args], capture_output=True,
                          text=True, env=env)


@pytest.mark.parametrize("damage,needle", [
    (lambda p: p.write_bytes(p.read_bytes()[:5000]), "invalid JSON"),
    (lambda p: p.write_text(p.read_text(encoding="utf-8").replace('"Volkmarsdorf"', '"Volksmarsdorf"', 1),
                            encoding="utf-8"), "unknown Ortsteil 'Volksmarsdorf'"),
])
def test_failed_run_keeps_last_good_outputs(fetched_project, tmp_path, damage, needle):
    root = tmp_path / "p"
    shutil.copytree(fetched_project, root)
    good = (root / "data/processed/indicators.csv").read_bytes()
    damage(root / "data/raw/api/sgb2.json")
    r = cli(root, "indicators")
    assert r.returncode == 2
    assert needle in r.stderr and "sgb2.json" in r.stderr
    assert (root / "data/processed/indicators.csv").read_bytes() == good


def set_value(path, index, wert):
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["daten" if "daten" in doc else "data"][index]["wert"] = wert
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def drop_feature(path, code):
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"] = [f for f in doc["features"] if f["properties"]["OT"] != code]
    path.write_text(json.dumps(doc), encoding="utf-8")


def set_feature(path, code, geometry=None, new_code=None):
    doc = json.loads(path.read_text(encoding="utf-8"))
    for f in doc["features"]:
        if f["properties"]["OT"] == code:
            if new_code:
                f = json.loads(json.dumps(f))
                f["properties"]["OT"] = new_code
                doc["features"].append(f)
                break
            f["geometry"] = geometry
    path.write_text(json.dumps(doc), encoding="utf-8")


BOWTIE = {"type": "Polygon", "coordinates": [[[12.3, 51.3], [12.4, 51.4], [12.4, 51.3], [12.3, 51.4], [12.3, 51.3]]]}


@pytest.mark.parametrize("file,damage,needle", [
    # record 19: Volkmarsdorf, Einwohner insgesamt 2000 (7,553)
    ("api/einwohner.json", lambda p: set_value(p, 19, "7553.5"), "record 19: einwohner:Einwohner insgesamt: 7553.5"),
    ("api/einwohner.json", lambda p: set_value(p, 19, "50,7"), "is not a whole number"),
    ("api/einwohner.json", lambda p: set_value(p, 19, "7.553"), "German thousands separator"),
    ("api/einwohner.json", lambda p: set_value(p, 19, "Infinity"), "record 19: value 'Infinity'"),
    ("api/einwohner.json", lambda p: set_value(p, 19, "NaN"), "is not a finite number"),
    ("api/einwohner.json", lambda p: set_value(p, 19, "999999999999"), "more than the whole city (479,996)"),
    ("api/einwohner.json", lambda p: p.write_text('{"daten": []}', encoding="utf-8"), "no records"),
    ("geo/ortsteile.geojson", lambda p: drop_feature(p, "21"), "no polygon for Ortsteil 21"),
    ("geo/ortsteile.geojson", lambda p: set_feature(p, "21", new_code="99"), "Ortsteil 99 is not in the area"),
    ("geo/ortsteile.geojson", lambda p: set_feature(p, "21", None), "Ortsteil 21 has no polygon"),
    ("geo/ortsteile.geojson", lambda p: set_feature(p, "21", BOWTIE), "Ortsteil 21: the Polygon is not a valid"),
])
def test_inputs_that_cannot_be_true_are_refused(fetched_project, tmp_path, file, damage, needle):
    root = tmp_path / "p"
    shutil.copytree(fetched_project, root)
    before = {p.name: p.read_bytes() for p in (root / "data/processed").iterdir()}
    damage(root / "data/raw" / file)
    r = cli(root, "indicators")
    assert r.returncode == 2, r.stdout
    assert needle in r.stderr and file.split("/")[-1] in r.stderr, r.stderr
    assert {p.name: p.read_bytes() for p in (root / "data/processed").iterdir()} == before


def test_a_missing_ortsteil_year_is_reported_not_silent(fetched_project, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(fetched_project, root)
    path = root / "data/raw/api/sgb2.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    key = "daten" if "daten" in doc else "data"
    doc[key] = [r for r in doc[key] if not (r["ortsteil"] == "Volkmarsdorf" and r["jahr"] == "2020"
                                                   and r["name"].strip() == "unter 15 Jahre")]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    r = cli(root, "indicators")
    assert r.returncode == 0, r.stderr
    assert "note: kinder_sgb2_quote: in 2020 not every Ortsteil has data" in r.stdout
    inc = pd.read_csv(root / "data/processed/incomplete.csv")
    assert inc[(inc.indicator == "kinder_sgb2_quote") & (inc.year == 2020)].missing.tolist() == [1]
    t = pd.read_csv(root / "data/processed/indicators.csv", dtype={"area_code": str})
    k = t[(t.indicator == "kinder_sgb2_quote") & (t.year == 2020)]
    assert set(k.level) == {"ortsteil", "stadtbezirk", "planungsraum"} and len(k[k.level == "ortsteil"]) == 62


def test_a_duplicate_key_in_a_cycle_file_is_refused(fetched_project, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(fetched_project, root)
    p = root / "params/cycle-2022.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "small_denominator: 10\n", encoding="utf-8")
    r = cli(root, "run", "--cycle", "2022", "--no-progress")
    assert r.returncode == 2 and "cycle-2022.yaml" in r.stderr and "'small_denominator' appears twice" in r.stderr


def test_cli_fetch_without_network_or_mirror(tmp_path, project_copy):
    import yaml

    reg = yaml.safe_load((project_copy / "data/sources.yaml").read_text(encoding="utf-8"))
    for s in reg["sources"]:
        s["url"] = "http://127.0.0.1:9/" + s["path"]
    (project_copy / "data/sources.yaml").write_text(yaml.safe_dump(reg, allow_unicode=True), encoding="utf-8")
    r = cli(project_copy, "fetch", env_extra={"EVALKIT_DATA_MIRROR": ""})
    assert r.returncode == 2 and "EVALKIT_DATA_MIRROR" in r.stderr
    assert not (project_copy / "data/raw").exists()


def test_published_density_check_on_the_mirror(fetched_project):
    d = pd.read_csv(Project(fetched_project).processed / "density_check.csv", dtype={"area_code": str})
    assert len(d) == 63 * 20  # 2004–2023
    # 2020: the city's base is exactly Einwohner / the 2020 land-use area, in every Ortsteil
    assert (d[d.year == 2020]["class"] == "match").all()
    zentrum = d[(d.area_code == "00")].set_index("year")
    # the example: published 2,951 per km², recomputed 1,735 / 0.82 = 2,115.9 (−28.3 %)
    assert zentrum.loc[2004, "published"] == 2951
    assert zentrum.loc[2004, "recomputed"] == pytest.approx(1735 / 0.82, abs=1e-4)
    assert zentrum.loc[2004, "difference_pct"] == pytest.approx(-28.3005, abs=1e-4)
    assert zentrum.loc[2004, "class"] == "boundary change"
    # 2021: 2,679.73 × 0.74 km² = 1,983 persons, not the 1,884 Einwohner: another population base
    assert zentrum.loc[2021, "class"] == "population base"
    assert set(d["class"]) <= {"match", "population base", "area base", "boundary change", "base unknown"}


def test_density_classes_by_hand():
    from evalkit.indicators.checks import published_density_check

    ind = pd.DataFrame({"indicator": "einwohnerdichte", "level": "ortsteil", "area_code": ["A"] * 5,
                        "area_name": "A", "year": [2001, 2002, 2003, 2004, 2005],
                        "numerator": [1000.0, 1000, 1000, 1000, 1000], "denominator": 2.0,
                        "value": [500.0, 500, 500, 500, 500]})
    published = [501.0,  # 0.2 % off → match
                 510.2,  # 2 % off; × 2 or 1.5 km² no whole persons; implied 1.96 km², within 5 % → base unknown
                 1200 / 2.0 + 0.5,  # 600.5 × 2 = 1,201 persons ≠ 1,000 → population base
                 1000 / 1.5,  # implied 1.5 km², the surveyed area of another year → area base
                 1000 / 1.0]  # implied 1 km², 50 % off every surveyed area → boundary change
    obs = pd.concat([
        pd.DataFrame({"source": "einwohnerdichte", "indicator_raw": "Einwohnerdichte", "level": "ortsteil",
                      "area_code": "A", "year": [2001, 2002, 2003, 2004, 2005], "value": published}),
        pd.DataFrame({"source": "flaechennutzung", "indicator_raw": "Gesamtfläche", "level": "ortsteil",
                      "area_code": "A", "year": [2001, 2006], "value": [200.0, 150.0]})])
    d = published_density_check(ind, obs).set_index("year")
    assert d["class"].to_dict() == {2001: "match", 2002: "base unknown", 2003: "population base",
                                    2004: "area base", 2005: "boundary change"}


def test_no_suppressed_count_is_published_as_zero(fetched_project):
    t = read(fetched_project, "indicators.csv")
    cells = read(fetched_project, "suppressed.csv")
    u25 = cells[(cells["source"] == "arbeitslose") & (cells["indicator_raw"] == "unter 25 Jahre")]
    assert len(u25) == 81
    rows = t[t["indicator"] == "arbeitslose_u25"].merge(u25[["area_code", "year"]], on=["area_code", "year"])
    assert len(rows) == 81 and rows["value"].isna().all() and (rows["suppressed"] == 1).all()
    assert (rows["lower"] == 0).all() and (rows["upper"] > 0).all()  # a range, not a zero
    city = t[(t["indicator"] == "arbeitslose_u25") & (t["level"] == "stadt")].set_index("year")
    assert city.loc[2019, "suppressed"] == 22 and city.loc[2017, "suppressed"] == 0
    assert city.loc[2019, "lower"] < city.loc[2019, "value"] < city.loc[2019, "upper"]
