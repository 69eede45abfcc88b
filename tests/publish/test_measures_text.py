"""The measures section says what the sources say: 43 of 67 Grundschulen, German school types, KiFaZ included,
a count the source does not give as "–"; the methods page documents every column of the non-public inputs."""

from pathlib import Path

import pandas as pd

from evalkit.acquire.restricted import hze_schema
from evalkit.analyses.measures import SITE_SCHEMA, load_measures
from evalkit.publish import measures_text

ROOT = Path(__file__).resolve().parents[2]


def test_register_and_coverage_tables_from_the_real_register():
    reg = load_measures(ROOT / "data/measures/measures.csv")
    text = measures_text.register_table(reg)
    assert "Familienzentren (KiFaZ)" in text and "Foerderschule" not in text and "Förderschule" in text
    row = next(line for line in text.splitlines() if "43 von 67 Grundschulen" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3:5] == ["43", "67"] and cells[1] == "Januar 2021"
    no_number = next(line for line in text.splitlines() if "alle Oberschulen (ohne Zahl)" in line)
    assert [c.strip() for c in no_number.strip("|").split("|")][3] == "–"  # never 0
    assert "Anzahl von Anteil" not in text


def test_coverage_table_holds_the_school_list_it_compares_with():
    cov = pd.DataFrame({"measure": ["Schulsozialarbeit"], "date": ["2021-01"], "school_type": ["Foerderschule"],
                        "count": [float("nan")], "total": [float("nan")], "municipal": [16], "share_source": [float("nan")],
                        "share_list": [float("nan")], "note": ["alle"]})
    text = measures_text.coverage_table(cov)
    head = text.splitlines()[0]
    assert "Schulliste 2023" in head and "% der Schulliste" in head
    assert "| Förderschule |" in text and "| 16 |" in text and "0,0" not in text


def test_the_scenario_counts_schools_not_posts():
    sc = {"stated_posts": 43, "stated_total": 67, "stated_date": "2021-01", "located": 53, "posts": 34,
          "ortsteile": ["00"], "poor_children_share": 69.04, "poor_children": 9271, "poor_children_total": 13436,
          "sensitivity": {"skipped": [], "assumed": []}, "placed_by": pd.Series({"Koordinate": 53}),
          "unplaced": pd.DataFrame({"name": ["9. Schule"]})}
    text = measures_text.scenario_text(sc, pd.Series({"00": "Zentrum"}))
    assert "an 43 von 67 Grundschulen" in text and "Stellen an Grundschulen" not in text
    assert "Stand Januar 2021" in text and "die 34 in den bedürftigsten Ortsteilen" in text


def test_the_methods_page_documents_every_column_of_the_non_public_inputs():
    page = (ROOT / "methoden.qmd").read_text(encoding="utf-8")
    section = page.split("{#eingaben}")[1].split("\n## ")[0]
    hze = hze_schema(pd.DataFrame({"ot_code": ["00"]})).columns
    for col in [*SITE_SCHEMA.columns, *hze]:
        assert f"| `{col}` |" in section, col
    assert "massnahmen_standorte.csv" in section and "hze.csv" in section
    notebook = (ROOT / "notebooks/massnahmen.py").read_text(encoding="utf-8")
    assert "methoden.qmd#eingaben" in notebook  # the page that promises the format links to it
