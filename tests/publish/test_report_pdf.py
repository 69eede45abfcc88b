"""The committee's report as PDF (Typst): it opens, has its sections, German numbers, the not-official statement;
data-derived text cannot become Typst markup."""

import io
import json
import re
import shutil

import pytest

from evalkit.publish.report_doc import s
from evalkit.publish.report_pdf import pdf_info

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
        if c == "2024":  # the ratio "3,6 → 3,2" stays on one line of its table cell, not "3,6 →" over "3,2"
            assert re.search(r"\d,\d[ \u00a0]→[ \u00a0]\d,\d", text), "a ratio in the Befund table is broken"
        listed = {o["path"] for o in json.loads((cdir / "manifest.json").read_text())["outputs"]}
        assert f"bericht-{c}.pdf" in listed
        assert f"](bericht-{c}.pdf)" in (cdir / "index.qmd").read_text(encoding="utf-8")
        assert (built_project / "_site/reports" / c / f"bericht-{c}.pdf").read_bytes() == pdf
        assert json.loads((cdir / "manifest.json").read_text())["report_pdf"] == {
            "file": f"bericht-{c}.pdf", "typeset_by": "quarto" if shutil.which("quarto") else "pandoc+typst"}


def _notebook(path, *blocks, front="---\nlang: de-DE\n---"):
    """A stand-in executed report notebook: a front-matter raw cell and code cells whose saved Markdown outputs
    are `blocks` (what report_doc.show displays)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_raw_cell(front)]
    for b in blocks:
        cell = nbformat.v4.new_code_cell("")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": b, "text/plain": "<md>"})]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def _plain(text: str) -> str:
    """PDF or Markdown text for comparing sentences: no line breaks, no hyphenation at a line end, no Markdown
    escapes or emphasis, one space."""
    text = re.sub(r"-\n(?=[a-zäöüß])", "", text)
    text = re.sub(r"\\(.)", r"\1", text).replace("*", "")
    return re.sub(r"\s+", " ", text).strip()


def _befund(markdown: str) -> list[str]:
    """The sentences of "Befund auf einen Blick": its bullet points."""
    part = markdown.split("## Befund auf einen Blick", 1)[1]
    part = re.split(r"^#{1,2} ", part, maxsplit=1, flags=re.M)[0]  # up to the next section
    return [line[2:] for line in part.splitlines() if line.startswith("- ")]


def test_the_pdf_and_the_site_say_the_same_summary(built_project):
    """One narrative: the Befund sentences of the cycle page (site) are the report notebook's, character for
    character, and the PDF prints them (as far as text extraction can tell: line breaks and hyphens aside)."""
    import nbformat
    from pypdf import PdfReader

    from evalkit.publish.report_pdf import notebook_markdown

    for c in ("2022", "2024"):
        cdir = built_project / "reports" / c
        site = _befund((cdir / "index.qmd").read_text(encoding="utf-8"))
        report = _befund(notebook_markdown(nbformat.read(cdir / "bericht.ipynb", as_version=4)))
        assert len(site) >= 4 and report == site, c
        pdf = _plain("\n".join(p.extract_text() for p in PdfReader(cdir / f"bericht-{c}.pdf").pages))
        for sentence in site:
            assert _plain(sentence) in pdf, (c, sentence[:80])


def test_the_report_notebook_runs_with_the_cycle_and_the_site_leaves_it_out(built_project):
    """bericht.ipynb is executed by papermill with the cycle (in the manifest, with its figures), published for
    reviewers, and is no page of the site: Quarto's render list leaves it out, as smalldocs does."""
    import nbformat

    for c in ("2018", "2024"):
        cdir = built_project / "reports" / c
        nb = nbformat.read(cdir / "bericht.ipynb", as_version=4)
        assert nb.metadata["evalkit"]["template"] == "notebooks/bericht.py"
        listed = {o["path"] for o in json.loads((cdir / "manifest.json").read_text())["outputs"]}
        assert "bericht.ipynb" in listed and any(p.startswith("abbildungen/bericht/abb-") for p in listed)
        assert (built_project / "_site/reports" / c / "bericht.ipynb").is_file()
        assert not (built_project / "_site/reports" / c / "bericht.html").exists()
        text = json.dumps(nb.cells[0].source)
        assert f"Zyklus {c}" in text and "pdf-standard: ua-1" in nb.cells[0].source
        # it read the tables the others wrote: it started when the last of them had finished
        runs = json.loads((cdir / "manifest.json").read_text())["notebooks"]
        others = [r["finished"] for k, r in runs.items() if k != "bericht.ipynb"]
        # 7 pages in each cycle, and with the newest the 17 area profiles
        assert len(others) == (7 + 17 if c == "2024" else 7) and runs["bericht.ipynb"]["started"] >= max(others)


def test_no_method_parameter_is_typed_into_the_report():
    """The numbers the report's text names come from the parameters or the tables, not from its source: no
    year, count of draws or of Ortsteile is a literal in report_doc."""
    from pathlib import Path

    from evalkit.publish import report_doc

    src = Path(report_doc.__file__).read_text(encoding="utf-8")
    strings = re.findall(r'"(?:[^"\\]|\\.)*"', src)
    typed = [x for x in strings if re.search(r"\b(19|20)\d\d\b|\b(63|500|999)\b|\bfünf\b", x)]
    assert typed == []


def test_data_derived_text_cannot_become_typst_markup(tmp_path):
    """A hostile name goes through Pandoc as text: the PDF shows it literally and its markup has no effect."""
    from datetime import datetime, timezone

    from pypdf import PdfReader

    from evalkit.publish.fmt import md
    from evalkit.publish.report_doc import typst_block
    from evalkit.publish.report_pdf import typeset

    name = '#set page(width: 3cm) *fett* $x$ <b>'
    nb = _notebook(tmp_path / "bericht.ipynb", typst_block('#set document(title: "Test")'),
                   f"# Abschnitt\n\nOrtsteil {md(name)} ende\n")
    done = typeset(nb, None, datetime(2024, 1, 1, tzinfo=timezone.utc), tmp_path / "x.pdf", route="pandoc")
    page = PdfReader(io.BytesIO(done.pdf)).pages[0]
    assert "#set page(width: 3cm) *fett* $x$ <b>" in re.sub(r"\s+", " ", page.extract_text())
    assert float(page.mediabox.width) > 500  # the page kept its width


def test_the_pdf_is_tagged_pdf_ua_and_refuses_a_figure_without_alt_text(tmp_path):
    from datetime import datetime, timezone

    from evalkit.errors import SiteError
    from evalkit.publish.report_doc import figure_typst, typst_block
    from evalkit.publish.report_pdf import typeset

    folder = tmp_path / "abbildungen" / "bericht"
    folder.mkdir(parents=True)
    (folder / "a.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10">'
                                  '<rect width="20" height="10"/></svg>')
    head = typst_block('#set document(title: "Bericht")', '#set text(lang: "de")')
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    fig = figure_typst("abbildungen/bericht/a.svg", "Beschriftung", "Ein schwarzes Rechteck", "50%")
    ok = typeset(_notebook(tmp_path / "bericht.ipynb", head, fig), None, when, tmp_path / "x.pdf", route="pandoc")
    assert b"/StructTreeRoot" in ok.pdf and b"pdfuaid" in ok.pdf and b"Ein schwarzes Rechteck" in ok.pdf
    with pytest.raises(SiteError, match="alt text"):
        typeset(_notebook(tmp_path / "bericht.ipynb", head, "![Beschriftung](abbildungen/bericht/a.svg)\n"), None,
                when, tmp_path / "x.pdf", route="pandoc")
    with pytest.raises(SiteError, match="title"):
        typeset(_notebook(tmp_path / "bericht.ipynb", "# Ohne Titel\n"), None, when, tmp_path / "x.pdf",
                route="pandoc")


def test_the_cover_date_is_the_manifests(tmp_path):
    """The notebook holds no timestamp: the cover's "Stand" is the typesetting date, the manifest's."""
    from datetime import datetime, timezone

    from pypdf import PdfReader

    from evalkit.publish.report_doc import TODAY, typst_block
    from evalkit.publish.report_pdf import typeset

    nb = _notebook(tmp_path / "bericht.ipynb", typst_block('#set document(title: "T")', f'#text("Stand: " + {TODAY})'))
    done = typeset(nb, None, datetime(2024, 11, 3, 9, 0, tzinfo=timezone.utc), tmp_path / "x.pdf", route="pandoc")
    assert "Stand: 03.11.2024" in PdfReader(io.BytesIO(done.pdf)).pages[0].extract_text()


def test_pdf_route_needs_no_tool_on_path(built_project, tmp_path, monkeypatch):
    """Without Quarto, Pandoc or Typst on PATH the PDF is still made: Pandoc comes with pypandoc-binary and Typst
    with the typst package, both installed by pip from pyproject.toml."""
    from datetime import datetime, timezone

    from pypdf import PdfReader

    from evalkit.publish.report_pdf import typeset

    nb = built_project / "reports" / "2024" / "bericht.ipynb"
    manifest = json.loads((nb.parent / "manifest.json").read_text())
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    done = typeset(nb, manifest, datetime(2024, 11, 1, tzinfo=timezone.utc), tmp_path / "bericht.pdf")
    assert done.route == "pandoc+typst" and len(PdfReader(io.BytesIO(done.pdf)).pages) >= 8
    again = typeset(nb, manifest, datetime(2024, 11, 1, tzinfo=timezone.utc), tmp_path / "bericht.pdf")
    assert again.pdf == done.pdf  # same notebook and date, same bytes


def test_quarto_on_path_typesets_the_executed_notebook(built_project, tmp_path, monkeypatch):
    """With Quarto on PATH the report goes through Quarto's own PDF route: the executed notebook (saved outputs,
    with the provenance section appended) and its figures. A stand-in `quarto` records its command line and the
    files it was given, and answers with a PDF; the real Quarto is not installed here."""
    import os
    import sys
    from datetime import datetime, timezone

    import nbformat

    from evalkit.publish.report_pdf import notebook_markdown, typeset

    nb_path = built_project / "reports" / "2024" / "bericht.ipynb"
    manifest = json.loads((nb_path.parent / "manifest.json").read_text())
    record = tmp_path / "call.json"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "quarto").write_text(f"""#!{sys.executable}
import json, os, pathlib, sys
here = pathlib.Path.cwd()
json.dump({{"argv": sys.argv[1:], "files": sorted(str(p.relative_to(here)) for p in here.rglob("*")),
           "notebook": (here / "bericht.ipynb").read_text(), "epoch": os.environ.get("SOURCE_DATE_EPOCH")}},
          open({str(record)!r}, "w"))
(here / "bericht.pdf").write_bytes(b"%PDF-1.7 stand-in")
""")
    (bin_dir / "quarto").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    done = typeset(nb_path, manifest, datetime(2024, 11, 1, tzinfo=timezone.utc), tmp_path / "bericht.pdf")
    call = json.loads(record.read_text())
    assert done.route == "quarto" and done.pdf == b"%PDF-1.7 stand-in"
    assert call["argv"] == ["render", "bericht.ipynb", "--to", "typst", "--output", "bericht.pdf"]
    given = nbformat.reads(call["notebook"], as_version=4)
    ours = nbformat.read(nb_path, as_version=4)
    assert given.cells[:-1] == ours.cells  # the saved outputs as executed …
    assert given.cells[-1].source.startswith("# Provenienz")  # … and the manifest's provenance after them
    assert notebook_markdown(ours) in notebook_markdown(given)
    figures = {p.name for p in (nb_path.parent / "abbildungen" / "bericht").iterdir()}
    assert figures and {f"abbildungen/bericht/{f}" for f in figures} <= set(call["files"])
    assert call["epoch"] == str(int(datetime(2024, 11, 1, tzinfo=timezone.utc).timestamp()))
