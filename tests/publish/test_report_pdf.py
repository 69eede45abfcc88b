"""The committee's report as PDF (Typst): it opens, has its sections, German numbers, the not-official statement;
data-derived text cannot become Typst markup."""

import io
import json
import re

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
        assert re.search(r"\b\d{3}\.\d{3}\b", text), "German thousands separator (e.g. 632.560)"
        assert re.search(r"\b\d+,\d\b", text) and not re.search(r"\b\d+\.\d %", text), "decimal comma"
        listed = {o["path"] for o in json.loads((cdir / "manifest.json").read_text())["outputs"]}
        assert f"bericht-{c}.pdf" in listed
        assert f"](bericht-{c}.pdf)" in (cdir / "index.qmd").read_text(encoding="utf-8")
        assert (built_project / "_site/reports" / c / f"bericht-{c}.pdf").read_bytes() == pdf
