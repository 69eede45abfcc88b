"""Ortsteil pages: the inline SVG graphics by hand, and the 63 pages per cycle of the real build (content,
manifest, verify's view of them, German interface text of the rendered site)."""

import json
import re

import pandas as pd
import pytest

from evalkit.publish import svg
from evalkit.publish.interface_de import ENGLISH


def test_area_map_has_every_ortsteil_with_its_name(mirror):
    titles = {f"{i:02d}": f"Ortsteil {i:02d}" for i in range(100)}
    out = svg.area_map(mirror / "geo/ortsteile.geojson", titles, highlight="62", label="Lage von X")
    assert out.count("<path ") == 63 and out.count("<title>") == 63
    assert 'aria-label="Lage von X"' in out and f'fill="{svg.HIGHLIGHT}" stroke="#000"' in out
    assert out.index("<title>Ortsteil 62</title>") > out.index("<title>Ortsteil 00</title>")  # drawn last, on top
    assert out == svg.area_map(mirror / "geo/ortsteile.geojson", titles, highlight="62", label="Lage von X")
    assert "<script" not in out and "http" not in out.replace("http://www.w3.org/2000/svg", "")


def test_line_chart_band_marks_and_german_numbers():
    own = pd.DataFrame({"year": [2018, 2019, 2020], "value": [1.5, 2.5, -0.5], "lower": [1.0, 2.0, -1.0],
                        "upper": [2.0, 3.0, 0.0]})
    city = pd.DataFrame({"year": [2018, 2019, 2020], "value": [1.0, 1.0, 1.0]})
    out = svg.line_chart({"Zentrum <&>": own, "Leipzig": city}, "Titel", "je 100", 1, band_of="Zentrum <&>",
                         marked_years={2019})
    assert out.count("<polygon") == 1 and out.count("<polyline") == 2
    assert "Zentrum &lt;&amp;&gt; 2019: 2,5 je 100 (kleiner Nenner)" in out  # escaped name, German decimal
    assert "Zentrum &lt;&amp;&gt; 2020: \u22120,5 je 100</title>" in out  # minus sign, not a hyphen
    assert out.count('fill="#fff"') == 1  # the one marked year is an open circle
    assert svg.line_chart({"x": city.iloc[0:0]}, "T", "u") == ""


def test_one_page_per_ortsteil_across_all_cycles(built_project):
    """63 pages, with the newest cycle; every cycle's listing links to them."""
    cdir = built_project / "reports/2024"
    pages = sorted(p.stem for p in (cdir / "ortsteil").glob("*.qmd"))
    assert len(pages) == 63
    listed = {o["path"] for o in json.loads((cdir / "manifest.json").read_text())["outputs"]}
    assert {f"ortsteil/{p}.qmd" for p in pages} <= listed  # hashed: provenance and tamper check
    assert (built_project / "_site/reports/2024/ortsteil/62.html").is_file()
    for c in ("2018", "2020", "2022"):
        assert not (built_project / "reports" / c / "ortsteil").exists(), c
        listing = (built_project / "_site/reports" / c / "ortsteilprofile.html").read_text(encoding="utf-8")
        assert len(set(re.findall(r'href="\.\./2024/ortsteil/(\d\d)\.html"', listing))) == 63, c
    listing = (built_project / "_site/reports/2024/ortsteilprofile.html").read_text(encoding="utf-8")
    assert len(set(re.findall(r'href="ortsteil/(\d\d)\.html"', listing))) == 63


def test_ortsteil_page_content(built_project):
    text = (built_project / "reports/2024/ortsteil/62.qmd").read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Grünau-Mitte"\n')  # one page, so search lists it once
    table = text.split("## Kennzahlen in allen Zyklen")[1].split("\n## ")[0]
    head = next(line for line in table.splitlines() if line.startswith("| Kennzahl"))
    assert head.count("Zyklus ") == 4 and head.index("Zyklus 2024") < head.index("Zyklus 2018")
    row = next(line for line in table.splitlines() if line.startswith("| Kinder im SGB-II-Bezug"))
    assert "(2022)" in row and "(2018)" in row  # each cycle with the year of its data
    assert "gehört zur **Evaluationsgruppe**" in text  # Grünau-Mitte is in the 2018 group
    for c in ("2018", "2020", "2022", "2024"):
        assert re.search(rf"^\| {c} \| \d+ \| [^|]+ \| (ja|nein) \|$", text, re.M), c
    assert "| Kinder im SGB-II-Bezug (je 100 Kinder unter 15) | 2022 |" in text
    assert text.count('<svg class="evalkit-chart"') == 4 and text.count('<svg class="evalkit-map"') == 1
    assert "**Kitas** (" in text and "OpenStreetMap" in text
    assert "../profile/stadtbezirk-6.ipynb" in text and "../profile/planungsraum-Gruenau.ipynb" in text
    assert "/work/" not in text and "/tmp/" not in text  # no machine paths on a published page
    other = (built_project / "reports/2024/ortsteil/00.qmd").read_text(encoding="utf-8")
    assert "gehört nicht zur Evaluationsgruppe" in other  # Zentrum


def test_site_interface_is_german(built_project):
    site = built_project / "_site"
    renderer = json.loads((built_project / "reports/.site-files.json").read_text(encoding="utf-8"))["renderer"]
    hits = [(p.relative_to(site).as_posix(), e) for p in site.rglob("*.html") for e in ENGLISH[renderer]
            if e in p.read_text(encoding="utf-8")]
    assert hits == []
    script = (site / "site_libs/smalldocs.js").read_text(encoding="utf-8")
    assert "No results" not in script and "Keine Ergebnisse." in script
    index = json.loads((site / "search.json").read_text(encoding="utf-8"))
    hits = [e for e in index if e.get("title") == "Grünau-Mitte" and "ortsteil/62.html" in e.get("href", "")]
    assert hits and all("2024/ortsteil/62.html" in e["href"] for e in hits)


def test_values_in_quantile_classes_with_a_legend_in_words(mirror):
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], index=[f"{i:02d}" for i in range(10)])
    bins, cls = svg.classed(values)
    assert bins == pytest.approx([2.8, 4.6, 6.4, 8.2, 10.0]) and cls.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    legend = svg.value_legend(bins, "je 100", 1, [("keine Daten", svg.GREY)])
    assert "bis 2,8" in legend and "über 2,8 bis 4,6" in legend and "über 8,2 bis 10,0" in legend
    assert "keine Daten" in legend
    out = svg.area_map(mirror / "geo/ortsteile.geojson", {}, hatched={"00", "01"})
    assert out.count('fill="url(#evalkit-hatch)"') == 2 and '<pattern id="evalkit-hatch"' in out


def test_spine_chart_marks_by_shape_and_colour():
    rows = [dict(name="A <b>", min=0.0, q1=1.0, median=2.0, q3=3.0, max=10.0, own=8.0, city=2.5, verdict="höher",
                 colour=svg.WORSE, text="A: 8,0; höher", decimals=1, label="8,0 (▲ höher)"),
            dict(name="B", min=0.0, q1=1.0, median=2.0, q3=3.0, max=4.0, own=1.0, city=2.0, verdict="ähnlich",
                 colour=svg.NEUTRAL, text="B: 1,0; ähnlich", decimals=1, label="1,0"),
            dict(name="C", min=5.0, q1=5.0, median=5.0, q3=5.0, max=5.0, own=5.0, city=9.0, verdict=None,
                 colour=svg.NEUTRAL, text="C: ohne Test", decimals=1, label="5,0")]
    out = svg.spine_chart(rows, "Spine <x>")
    assert out.count("<polygon") == 1 and out.count("<circle") == 2  # ▲ for higher, ● similar, ○ untested
    assert 'fill="#fff"' in out  # the untested marker is open
    assert "A &lt;b&gt;" in out and 'aria-label="Spine &lt;x&gt;"' in out and "<b>" not in out
    assert "<polygon points=\"442.0," in out  # A: own 8 on a 0–10 scale over 540 px from x = 10
    assert svg.verdict_colour("höher", True) == svg.WORSE and svg.verdict_colour("höher", False) == svg.BETTER
    assert svg.verdict_colour("niedriger", None) == svg.NEUTRAL


def test_ortsteil_compared_with_the_city(built_project):
    """Every verdict follows its interval, every page shows them as chart and table, neighbours link to pages,
    downloads and JSON exist for reuse."""
    from evalkit.fileio import read_table

    cdir = built_project / "reports/2024"
    comp = read_table(cdir / "tabellen/ortsteilvergleich.csv")
    tested = comp[comp["verdict"].notna()]
    assert len(tested) > 400
    for r in tested.itertuples():
        want = "höher" if r.lower > r.city else "niedriger" if r.upper < r.city else "ähnlich"
        assert r.verdict == want, r
    assert set(comp["interval"].dropna()) <= {"Wilson", "Poisson"}
    assert set(comp["trend"].dropna()) <= {"steigend", "fallend", "kein eindeutiger Trend"}
    page = (cdir / "ortsteil/62.qmd").read_text(encoding="utf-8")
    assert page.count('<svg class="evalkit-spine"') == 1 and "Tabelle zur Grafik" in page
    own = comp[comp.area_code == "62"]
    for r in own.itertuples():  # each row of the table says the verdict of the comparison table
        if isinstance(r.verdict, str):
            assert {"höher": "▲ höher als Leipzig", "niedriger": "▼ niedriger als Leipzig",
                    "ähnlich": "● ähnlich wie Leipzig"}[r.verdict] in page
    links = re.findall(r"\]\((\d\d)\.qmd\)", page.split("## Vergleichbare Ortsteile")[1].split("##")[0])
    assert len(links) == 5 and all((cdir / "ortsteil" / f"{c}.qmd").is_file() for c in links) and "62" not in links
    data = cdir / "ortsteil/daten"
    doc = json.loads((data / "kinder_sgb2_quote.json").read_text(encoding="utf-8"))
    assert len(doc["ortsteile"]) == 63 and doc["year"] == 2022 and doc["credit"]
    csv = read_table(data / "62.csv")
    assert set(csv["indicator"]) == set(own["indicator"])
    assert (data / "62-excel.csv").read_bytes().startswith("\ufeff".encode())
    assert (built_project / "_site/reports/2024/ortsteil/daten/62.csv").is_file()  # published beside the page


def test_the_comparison_legend_follows_the_catalogue(tmp_path, mirror):
    """Which interval each indicator is tested with comes from its catalogue entry (`comparison`, or the kind): an
    indicator switched to `poisson` moves in the legend; the trend window follows compare.TREND_YEARS."""
    import shutil
    from pathlib import Path

    import yaml

    from evalkit.analyses import compare
    from evalkit.indicators.catalogue import load_catalogue
    from evalkit.publish.ortsteil import comparison_legend

    root = Path(__file__).resolve().parents[2]
    cat_file = tmp_path / "indicators.yaml"
    shutil.copy(root / "data" / "indicators.yaml", cat_file)
    cat = load_catalogue(cat_file)
    rates = [i.id for i in cat.indicators if i.comparison_interval == "wilson"][:2]
    ctx = type("C", (), {"catalogue": cat})()
    text = comparison_legend(ctx, rates)
    assert f"{cat.get(rates[0]).name}, {cat.get(rates[1]).name}: Wilson-Intervall des Anteils" in text
    assert "Poisson" not in text and f"letzten {compare.TREND_YEARS} Jahre" in text
    raw = yaml.safe_load(cat_file.read_text(encoding="utf-8"))
    for entry in raw["indicators"]:
        if entry["id"] == rates[1]:
            entry["comparison"] = "poisson"
    cat_file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    ctx.catalogue = load_catalogue(cat_file)
    text = comparison_legend(ctx, rates)
    assert f"{cat.get(rates[0]).name}: Wilson-Intervall des Anteils" in text
    assert f"{cat.get(rates[1]).name}: Poisson-Intervall der Zählung" in text
