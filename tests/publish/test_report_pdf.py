"""The committee's report as PDF (Typst): it opens, has its sections, German numbers, the not-official statement;
data-derived text cannot become Typst markup."""

import io
import json
import re

import pytest

from evalkit.publish.report_pdf import pdf_info, s

SECTIONS = ["Inhalt", "Zusammenfassung", "Kennzahlen der Stadt", "Bedarfslage und Schwerpunkträume",
            "Entwicklung seit dem Planstart", "Maßnahmen", "Datenqualität", "Quellen und Lizenzen", "Provenienz"]


def test_strings_stay_strings():
    assert s('Zentrum "Süd" #set \\ *fett* $x$') == '"Zentrum \\"Süd\\" #set \\\\ *fett* $x$"'
    assert "\n" not in s("a\nb")


def test_report_per_cycle_opens_with_its_sections(built_project):
    from pypdf import PdfReader

    for c in ("2018", "2024"):
        cdir = built_project / "reports" / c
        pdf = (cdir / f"bericht-{c}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) >= 8 and pdf_info(pdf)["pages"] == len(reader.pages)
        text = "\n".join(page.extract_text() for page in reader.pages)
        for section in SECTIONS:
            assert section in text, (c, section)
        assert f"Evaluationszyklus {c}" in text
        assert "keine Veröffentlichung der Stadt Leipzig" in re.sub(r"\s+", " ", text)
        # the baseline says why it has no trends; a later cycle has them
        assert ("noch kein Jahr nach dem Planstart" in re.sub(r"\s+", " ", text)) == (c == "2018")
        assert re.search(r"\b\d{3}\.\d{3}\b", text), "German thousands separator (e.g. 632.560)"
        assert re.search(r"\b\d+,\d\b", text) and not re.search(r"\b\d+\.\d %", text), "decimal comma"
        assert not re.search(r"\b20\d\d-(0[1-9]|1[0-2])\b", text), "dates in words, not ISO"
        assert f"evalkit verify --cycle {c}" in text  # a command, not typographic dashes
        listed = {o["path"] for o in json.loads((cdir / "manifest.json").read_text())["outputs"]}
        assert f"bericht-{c}.pdf" in listed
        assert f"](bericht-{c}.pdf)" in (cdir / "index.qmd").read_text(encoding="utf-8")
        assert (built_project / "_site/reports" / c / f"bericht-{c}.pdf").read_bytes() == pdf
        assert json.loads((cdir / "manifest.json").read_text())["report_pdf"] == {
            "file": f"bericht-{c}.pdf", "typeset_by": "pandoc+typst"}


def _source(built_project, cycle="2024"):
    from evalkit.cycles.context import load_context
    from evalkit.publish import report_pdf

    cdir = built_project / "reports" / cycle
    ctx = load_context(built_project, int(cycle), cdir / "tabellen")
    files: dict[str, str] = {}
    text = report_pdf.source(ctx, files, json.loads((cdir / "manifest.json").read_text()))
    return text, files


def test_report_source_is_quarto_markdown_for_either_route(built_project):
    """One source for both routes: Quarto Markdown with a Typst format in its front matter, Markdown tables and
    figures, raw Typst only in fenced `{=typst}` blocks, and no HTML."""
    import yaml

    text, files = _source(built_project)
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    assert "typst" in front["format"] and front["papersize"] == "a4" and front["lang"] == "de-DE"
    body = text.split("---\n", 2)[2]
    assert "<table" not in body and "<div" not in body
    assert "\n# Zusammenfassung\n" in body and "\n# Provenienz\n" in body
    assert re.search(r"^\| Rang \| Ortsteil \| Index \|", body, re.M), "the top list as a Markdown table"
    assert "#figure(image(\"klassen.svg\", width: 70%, alt: \"Karte der 63 Leipziger Ortsteile" in body
    assert set(files) >= {"klassen.svg", "trend-kinder_sgb2_quote.svg"}
    outside = re.sub(r"```\{=typst\}\n.*?\n```", "", body, flags=re.S)
    assert not re.search(r"^#(?![#\s])", outside, re.M), "Typst markup outside the raw Typst blocks"


def test_data_derived_text_cannot_become_typst_markup(tmp_path):
    """A hostile name goes through Pandoc as text: the PDF shows it literally and its markup has no effect."""
    from datetime import datetime, timezone

    from pypdf import PdfReader

    from evalkit.publish.fmt import md
    from evalkit.publish.report_pdf import typeset

    name = '#set page(width: 3cm) *fett* $x$ <b>'
    text = (f"---\nlang: de-DE\n---\n\n```{{=typst}}\n#set document(title: \"Test\")\n```\n\n# Abschnitt\n\n"
            f"Ortsteil {md(name)} ende\n")
    done = typeset(text, {}, datetime(2024, 1, 1, tzinfo=timezone.utc), tmp_path / "x.pdf", route="pandoc")
    page = PdfReader(io.BytesIO(done.pdf)).pages[0]
    assert "#set page(width: 3cm) *fett* $x$ <b>" in re.sub(r"\s+", " ", page.extract_text())
    assert float(page.mediabox.width) > 500  # the page kept its width


def test_the_pdf_is_tagged_pdf_ua_and_refuses_a_figure_without_alt_text(tmp_path):
    from datetime import datetime, timezone

    from evalkit.errors import SiteError
    from evalkit.publish.report_pdf import figure, typeset, typst_block

    svg_file = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>'
    head = "---\nlang: de-DE\n---\n\n" + typst_block('#set document(title: "Bericht")', '#set text(lang: "de")')
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    ok = typeset(head + figure("a.svg", "Beschriftung", "Ein schwarzes Rechteck", "50%"), {"a.svg": svg_file}, when,
                 tmp_path / "x.pdf", route="pandoc")
    assert b"/StructTreeRoot" in ok.pdf and b"pdfuaid" in ok.pdf and b"Ein schwarzes Rechteck" in ok.pdf
    with pytest.raises(SiteError, match="alt text"):
        typeset(head + "![Beschriftung](a.svg)\n", {"a.svg": svg_file}, when, tmp_path / "x.pdf", route="pandoc")
    with pytest.raises(SiteError, match="title"):
        typeset("# Ohne Titel\n", {}, when, tmp_path / "x.pdf", route="pandoc")


def test_pdf_route_needs_no_tool_on_path(built_project, tmp_path, monkeypatch):
    """Without Quarto, Pandoc or Typst on PATH the PDF is still made: Pandoc comes with pypandoc-binary and Typst
    with the typst package, both installed by pip from pyproject.toml."""
    from datetime import datetime, timezone

    from pypdf import PdfReader

    from evalkit.publish.report_pdf import typeset

    text, files = _source(built_project)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    done = typeset(text, files, datetime(2024, 11, 1, tzinfo=timezone.utc), tmp_path / "bericht.pdf")
    assert done.route == "pandoc+typst" and len(PdfReader(io.BytesIO(done.pdf)).pages) >= 8
    again = typeset(text, files, datetime(2024, 11, 1, tzinfo=timezone.utc), tmp_path / "bericht.pdf")
    assert again.pdf == done.pdf  # same source and date, same bytes


def test_quarto_on_path_typesets_the_same_source(built_project, tmp_path, monkeypatch):
    """With Quarto on PATH the report goes through Quarto's own PDF route. A stand-in `quarto` records its command
    line and the files beside the source, and answers with a PDF; the real Quarto is not installed here."""
    import os
    import sys

    from evalkit.publish.report_pdf import typeset

    text, files = _source(built_project)
    record = tmp_path / "call.json"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "quarto").write_text(f"""#!{sys.executable}
import json, os, pathlib, sys
here = pathlib.Path.cwd()
json.dump({{"argv": sys.argv[1:], "files": sorted(p.name for p in here.iterdir()),
           "source": (here / "bericht.qmd").read_text(), "epoch": os.environ.get("SOURCE_DATE_EPOCH")}},
          open({str(record)!r}, "w"))
(here / "bericht.pdf").write_bytes(b"%PDF-1.7 stand-in")
""")
    (bin_dir / "quarto").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    from datetime import datetime, timezone

    done = typeset(text, files, datetime(2024, 11, 1, tzinfo=timezone.utc), tmp_path / "bericht.pdf")
    call = json.loads(record.read_text())
    assert done.route == "quarto" and done.pdf == b"%PDF-1.7 stand-in"
    assert call["argv"] == ["render", "bericht.qmd", "--to", "typst", "--output", "bericht.pdf"]
    assert call["source"] == text and set(files) <= set(call["files"])
    assert call["epoch"] == str(int(datetime(2024, 11, 1, tzinfo=timezone.utc).timestamp()))
