"""No text from a file becomes markup, a shortcode, a formula or broken front matter: payloads through every field
that reaches a page title, a page body, the catalogue page, a figure and a download."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

import pytest
import yaml

PAYLOADS = ['<script>alert(1)</script>', '<img src=x onerror="alert(1)">', "{{< env HOME >}}",
            'Titel mit "Anführung" und: Doppelpunkt', "```{=html}\n<b>roh</b>\n```", "$x^2$ @zitat *fett* [a](b)",
            "=HYPERLINK(\"http://x\")", "Zeile\nneue: zeile"]


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_cycle_page_title_and_description_stay_text(tmp_path, payload):
    from evalkit.cycles.params import CycleParams
    from evalkit.paths import Project
    from evalkit.publish.pages import cycle_index

    p = CycleParams(cycle=2024, title=payload, description=payload, reference_year=2024, indicators=[],
                    map_indicators=[], profile_indicators=[], levels=["ortsteil"])
    (tmp_path / "tabellen").mkdir()
    (tmp_path / "data").mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "data/sources.yaml", tmp_path / "data/sources.yaml")
    page = cycle_index(Project(tmp_path), p, tmp_path)
    fm = front_matter(page)  # parses: a quote or colon in the title does not break the site
    assert "title" in fm and "description" in fm
    for bad in ("<script", "<img", "{{<", "```{=html}", "\n<b>"):
        assert bad not in page
    assert "&lt;script&gt;" in page or "script" not in payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_notebook_front_matter_placeholders_stay_text(payload):
    import nbformat

    from evalkit.execution.runner import _set_title

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_raw_cell('---\ntitle: "Überblick {cycle}"\nsubtitle: "{description}"\n---')]
    _set_title(nb, {"cycle": 2024, "description": payload})
    fm = front_matter(nb.cells[0].source + "\n")
    assert fm["title"] == "Überblick 2024"
    for bad in ("<script", "<img", "{{<", "\n"):
        assert bad not in fm["subtitle"]


def test_catalogue_page_escapes_every_field():
    from evalkit.indicators.catalogue import load_catalogue
    from evalkit.publish.pages import catalogue_page
    from tests.conftest import REPO

    cat = load_catalogue(REPO / "data/indicators.yaml")
    first = cat.indicators[0]
    hostile = first.model_copy(update={"name": PAYLOADS[0], "definition": PAYLOADS[2], "focus": PAYLOADS[1]})
    cat.indicators[0] = hostile
    page = catalogue_page(cat)
    assert "<script" not in page and "{{<" not in page and "<img" not in page
    assert "&lt;script&gt;" in page


def test_figure_caption_and_alt_text_stay_text():
    import matplotlib.pyplot as plt

    from evalkit.publish.figures import figure_html

    fig, _ = plt.subplots()
    html = figure_html(fig, caption=PAYLOADS[2] + PAYLOADS[0], alt=PAYLOADS[1])
    assert "{{<" not in html and "<script" not in html and 'onerror="' not in html


def test_every_table_quotes_cells_a_spreadsheet_would_run(tmp_path):
    from evalkit.fileio import write_table
    from evalkit.publish.pages import write_excel_csv

    df = pd.DataFrame({"name": ["=1+1", "+49", "-x", "@SUM(A1)", "Grünau"], "value": [-1.5, 2.0, -3.0, 4.0, 5.0]})
    write_table(tmp_path / "a.csv", df)
    write_excel_csv(tmp_path / "b.csv", df)
    for f in ("a.csv", "b.csv"):
        text = (tmp_path / f).read_text(encoding="utf-8-sig")
        for cell in ("'=1+1", "'+49", "'-x", "'@SUM(A1)"):
            assert cell in text
        assert "-1.5" in text or "-1,5" in text  # numbers stay numbers
        assert "\n=1" not in text and ";=1" not in text and ",=1" not in text


def test_evalkit_index_result_quotes_formula_ids(tmp_path):
    from evalkit.analyses.index import run_index
    from tests.conftest import REPO

    table = tmp_path / "t.csv"
    table.write_text('id;name;a;b\n=HYPERLINK("x");=cmd;1;2\nb;B;3;1\nc;C;2;2\n', encoding="utf-8")
    method = tmp_path / "m.yaml"
    method.write_text("id: id\nname: name\nindicators: {a: 1, b: 1}\nclasses:\n  - {label: x, from: null, to: null}\n",
                      encoding="utf-8")
    run_index(table, method, tmp_path / "r.csv")
    text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'=cmd" in text
    del REPO


@pytest.mark.parametrize("payload", PAYLOADS)
def test_figure_syntax_keeps_caption_and_alt_text_as_text(payload, tmp_path, monkeypatch):
    """Under `evalkit run` a figure is an SVG file named by its content and Quarto's figure syntax; a payload in
    caption or alt text stays text (no markup, no attribute break-out)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evalkit.publish.figures import figure_file, figure_markdown

    def draw():
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4])
        return fig

    name = figure_file(draw(), tmp_path / "abb")
    assert name == figure_file(draw(), tmp_path / "abb2")  # same figure, same name
    assert (tmp_path / "abb" / name).read_bytes() == (tmp_path / "abb2" / name).read_bytes()
    text = figure_markdown(f"abb/{name}", payload, payload, "Quelle")
    head, attrs = text.rsplit("{#fig-", 1)
    assert attrs.count('"') == 2 and "\n" not in attrs  # one fig-alt value, on one line
    for bad in ("<script", "<img", "{{<", "```"):
        assert bad not in head



def test_a_licence_url_from_the_registry_cannot_end_its_link_or_table_cell():
    """`licence_url` and the attribution's `url` go into `[text](<url>)` inside a table row: a `>`, `|` or space
    in them is percent-encoded, so (parsed by Pandoc) the link keeps its whole URL and the table its columns."""
    import re
    from types import SimpleNamespace

    import pypandoc

    from evalkit.publish.pages import sources_page_text

    url = "https://example.org/a b|c>d"
    registry = SimpleNamespace(
        sources=[SimpleNamespace(title="Quelle", credit="Stadt", licence="dl-de/by-2-0", licence_url=url)],
        attribution=[SimpleNamespace(covers="Daten", credit="Stadt", licence="dl-de/by-2-0", url=url)])
    html = pypandoc.convert_text(sources_page_text(registry), "html", format="markdown")
    assert html.count('href="https://example.org/a%20b%7Cc%3Ed"') == 2
    row = re.search(r"<tbody>.*?</tbody>", html, re.S).group(0)
    assert row.count("<td") == 3


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_linked_ortsteil_column_keeps_the_name_text_and_the_other_cells_escaped(payload):
    """The profile's Ortsteil column is a link the caller built (`markdown=`): the name inside it is escaped
    there, and every other cell of the table still is; Pandoc sees one link and text, never the payload's markup."""
    from types import SimpleNamespace

    import pypandoc

    from evalkit.publish.fmt import md_table
    from evalkit.publish.report import ortsteil_links

    ctx = SimpleNamespace(params=SimpleNamespace(cycle=2024), latest_cycle=2024)
    areas = pd.DataFrame({"ot_code": ["62"], "ortsteil": [payload]})
    view = pd.DataFrame({"Ortsteil": ortsteil_links(ctx, areas, ".."), "Notiz": [payload]})
    html = pypandoc.convert_text(md_table(view, markdown={"Ortsteil"}), "html", format="markdown",
                                 extra_args=["--wrap=none"])
    assert html.count("<a ") == 1 and 'href="../ortsteil/62.qmd"' in html
    for bad in ("<script", "<img", "<b>", "<em>", "<strong>", "{{<", 'class="math'):
        assert bad not in html, (payload, bad)
    older = SimpleNamespace(params=SimpleNamespace(cycle=2022), latest_cycle=2024)
    plain = pypandoc.convert_text(ortsteil_links(older, areas, "..")[0], "html", format="markdown",
                                  extra_args=["--wrap=none"])
    assert "<a " not in plain and "<script" not in plain and "<img" not in plain  # an older cycle names, no link
