"""Site build safety: renderer choice, no execution, and the last good site kept on failure or interruption."""

import pytest

from evalkit.errors import SiteError
from evalkit.paths import Project
from evalkit.publish import site as site_mod


def test_renderer_is_chosen_and_named(built_copy, monkeypatch, capsys):
    monkeypatch.setattr(site_mod.shutil, "which", lambda name: None)
    assert site_mod.choose_renderer("auto") == "smalldocs"
    with pytest.raises(SiteError, match="quarto is not on PATH"):
        site_mod.choose_renderer("quarto")
    res = site_mod.build_site(Project(built_copy))
    assert res.renderer == "smalldocs" and res.pages > 80


def test_templates_are_not_rendered(built_project):
    site = built_project / "_site"
    assert not (site / "notebooks").exists()
    assert (site / "reports/2022/uebersicht.html").is_file()


@pytest.mark.parametrize("failure", [KeyboardInterrupt, SiteError])
def test_failed_or_interrupted_build_keeps_last_site(built_copy, monkeypatch, failure):
    before = {p.relative_to(built_copy).as_posix(): p.read_bytes() for p in (built_copy / "_site").rglob("*.html")}

    def boom(staging, renderer, only=None, pages=0):
        (staging / "_site").mkdir()
        (staging / "_site" / "index.html").write_text("halb fertig")
        raise failure("stopped midway") if failure is SiteError else failure()

    monkeypatch.setattr(site_mod, "render", boom)
    with pytest.raises(failure):
        site_mod.build_site(Project(built_copy), log=lambda *_: None)
    after = {p.relative_to(built_copy).as_posix(): p.read_bytes() for p in (built_copy / "_site").rglob("*.html")}
    assert after == before
    assert not list(built_copy.glob(".site-staging-*"))


def test_quarto_on_path_is_used_with_the_staged_project(built_copy, tmp_path, monkeypatch):
    """A stand-in `quarto` records its command line and what it was handed, then writes a minimal site."""
    import json
    import os

    record = tmp_path / "quarto-call.json"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "quarto").write_text(f"""#!{os.sys.executable}
import json, pathlib, sys
staged = pathlib.Path(sys.argv[2])
json.dump({{"argv": sys.argv[1:], "files": sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*")
                                                 if p.is_file())}}, open({str(record)!r}, "w"))
(staged / "_site").mkdir()
(staged / "_site" / "index.html").write_text("<html lang='de'>quarto</html>")
""")
    (bin_dir / "quarto").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    messages = []
    res = site_mod.build_site(Project(built_copy), log=messages.append)
    assert res.renderer == "quarto" and "renderer quarto" in messages[0]
    call = json.loads(record.read_text())
    assert call["argv"][0] == "render" and call["argv"][2] == "--no-execute"
    assert "_quarto.yml" in call["files"] and "reports/2022/uebersicht.ipynb" in call["files"]
    assert "reports/2022/manifest.json" in call["files"]
    assert not any(f.startswith("notebooks/") or "/." in f or f.startswith(".") for f in call["files"])
    assert (built_copy / "_site/index.html").read_text() == "<html lang='de'>quarto</html>"


def test_data_derived_strings_are_inert_in_markdown_and_html():
    from evalkit.publish.fmt import md

    assert md("Paunsdorf<img src=x onerror=alert(1)>") == "Paunsdorf&lt;img src=x onerror=alert(1)&gt;"
    assert md("Mitte/Süd") == "Mitte/Süd"
    assert md("**fett** [Link](x)") == r"\*\*fett\*\* \[Link\](x)"
    assert md('a"b') == "a&quot;b"


def test_year_ranges():
    from evalkit.publish.fmt import year_ranges

    assert year_ranges([2020, 2018, 2019, 2022]) == "2018–2020, 2022"
    assert year_ranges([2018, 2020]) == "2018, 2020" and year_ranges([2021]) == "2021"


def test_band_text_says_what_the_engine_applies():
    from evalkit.publish.fmt import band_text

    assert band_text(1.5, None, "SD") == "ab 1,5 SD"
    assert band_text(-0.5, 0.5, "SD") == "−0,5 bis unter 0,5 SD"
    assert band_text(None, -0.5) == "unter −0,5"


def test_changes_come_from_unrounded_values_and_euros_have_no_decimals():
    from hypothesis import given
    from hypothesis import strategies as st

    from evalkit.publish.fmt import de_by_unit, rounded_change

    assert rounded_change(10.13, 10.06, "je 100 Einwohner") == 0.1  # printed 10,1 and 10,1, but +0,07 → +0,1
    assert rounded_change(42.24, 42.36, "je 100 Einwohner") == -0.1  # not the printed 42,2 − 42,4 = −0,2
    assert rounded_change(1000.4, 998.6, "Personen") == 2.0  # +1,8 persons → 2
    assert rounded_change(None, 1.0, "Personen") is None and rounded_change(float("nan"), 1.0, "Personen") is None
    assert de_by_unit([1840.0], ["Euro je Monat"]) == ["1.840"]

    @given(st.floats(0, 100), st.floats(0, 100))
    def within_half_a_digit(now, before):
        c = rounded_change(now, before, "je 100 Einwohner")
        assert abs(c - (now - before)) <= 0.05 + 1e-9
        assert c == 0 or (c > 0) == (now > before)  # a printed sign is the sign of the true change

    within_half_a_digit()


def test_quarto_gets_only_the_changed_pages_when_little_changed(built_copy, tmp_path, monkeypatch):
    """With Quarto: the first build renders the project; after one notebook changed, Quarto is handed that page
    alone (into the previous site); after nothing changed, Quarto is not called; a changed stylesheet renders all."""
    import json
    import os

    calls = tmp_path / "calls.jsonl"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "quarto").write_text(f"""#!{os.sys.executable}
import json, os, pathlib, sys
args = sys.argv[1:]
root = pathlib.Path(args[1]) if args[1].startswith("/") else pathlib.Path.cwd()
state = root / ".quarto"  # Quarto's incremental state: what earlier renders left
state.mkdir(exist_ok=True)
seen = len(list(state.iterdir()))
(state / f"render-{{seen}}").write_text("")
with open({str(calls)!r}, "a") as f:
    f.write(json.dumps({{"argv": args, "cwd": os.getcwd(), "state": seen}}) + "\\n")
site = root / "_site"
site.mkdir(exist_ok=True)
(site / "index.html").write_text("<html lang='de'>quarto</html>")
for page in args[1:-1] if not args[1].startswith("/") else []:
    out = site / pathlib.Path(page).with_suffix(".html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("<html lang='de'>neu</html>")
""")
    (bin_dir / "quarto").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def argv():
        return [json.loads(line)["argv"] for line in calls.read_text().splitlines()]

    project = Project(built_copy)
    site_mod.build_site(project, log=lambda *_: None)
    assert argv()[-1][0] == "render" and argv()[-1][1].startswith("/")  # the whole staged project
    nb = built_copy / "reports/2022/uebersicht.ipynb"
    nb.write_bytes(nb.read_bytes().replace(b"Kennzahlen", b"Kennzahlen ", 1))
    messages = []
    site_mod.build_site(project, log=messages.append)
    assert argv()[-1] == ["render", "reports/2022/uebersicht.ipynb", "--no-execute"]
    assert json.loads(calls.read_text().splitlines()[-1])["state"] == 1  # the first render's .quarto/ is back
    assert any("1 changed pages handed to Quarto" in m for m in messages)
    assert (built_copy / "_site/reports/2022/uebersicht.html").read_text() == "<html lang='de'>neu</html>"
    n = len(argv())
    site_mod.build_site(project, log=messages.append)
    assert len(argv()) == n and "no page changed" in messages[-1]  # nothing changed: Quarto not even started
    # only the report changed (its notebook is no page, its PDF a file beside the pages): Quarto is not started,
    # and the new PDF is published all the same
    (built_copy / "reports/2022/bericht.ipynb").write_bytes(
        (built_copy / "reports/2022/bericht.ipynb").read_bytes().replace(b"Zusammenfassung", b"Zusammenfassung ", 1))
    (built_copy / "reports/2022/bericht-2022.pdf").write_bytes(b"%PDF-1.7 neu")
    site_mod.build_site(project, log=messages.append)
    assert len(argv()) == n and "no page changed" in messages[-1]
    assert (built_copy / "_site/reports/2022/bericht-2022.pdf").read_bytes() == b"%PDF-1.7 neu"
    css = built_copy / "site/styles.css"
    css.write_text(css.read_text() + "\n/* changed */\n")
    site_mod.build_site(project, log=lambda *_: None)
    assert argv()[-1][1].startswith("/")  # the stylesheet changed: every page renders again


def test_markdown_table_is_escaped_aligned_and_captioned():
    """Notebooks emit tables as Markdown (one source for site and print): numbers right, missing values as –,
    data-derived text inert, the caption attached; the site's renderer reads it as one table."""
    import pandas as pd
    from smalldocs.markdown import render

    from evalkit.publish.fmt import de, md_table, synthetic

    df = pd.DataFrame({"Ortsteil": ["A|B", "<b>C</b> *x*"], "Wert": [1234.5, float("nan")]})
    text = md_table(df, formats={"Wert": de}, caption="Werte 2024")
    lines = text.splitlines()
    assert lines[0] == "| Ortsteil | Wert |"
    assert lines[1] == "|:" + "-" * 11 + "|" + "-" * 6 + ":|"  # dashes follow the longest text; numbers right
    assert lines[2] == "| A\\|B | 1.234,5 |"
    assert lines[3] == "| &lt;b&gt;C&lt;/b&gt; \\*x\\* | – |"
    assert lines[-1] == ": Werte 2024"
    # a line break inside a cell would end the row; a no-break space (a ratio "3,6 → 3,2") is kept
    two = md_table(pd.DataFrame({"x": ["zwei\nZeilen\u2028hier", "3,6\u00a0→\u00a03,2"]})).splitlines()
    assert two[2] == "| zwei Zeilen hier |" and two[3] == "| 3,6\u00a0→\u00a03,2 |" and len(two) == 4
    html = render(text, {})
    assert html.count("<table") == 1 and html.count("<tr") == 3 and "<caption>Werte 2024</caption>" in html
    assert "<b>" not in html and "<em>" not in html and "A|B" in html and "*x*" in html
    assert 'style="text-align: right"' in html.replace("text-align:right", "text-align: right")
    box = render(synthetic("Annahme: **alle** Stellen nach Bedarf."), {})
    assert "evalkit-synthetic" in box and "callout-warning" in box
    assert "Szenario / synthetisch – keine amtlichen Daten" in box and "<strong>alle</strong>" in box


def test_published_files_follow_the_umask(built_project):
    """mkstemp makes files 0600; a web server running as another user must be able to read what is published."""
    import stat

    private = [p for root in ("reports", "_site") for p in (built_project / root).rglob("*")
               if p.is_file() and not p.name.startswith(".") and not stat.S_IMODE(p.stat().st_mode) & 0o044]
    assert not private, private[:5]


def test_provenance_links_reach_the_notebooks_their_checksums_describe(built_project):
    """A link to an .ipynb reaches its page under either renderer, so the provenance page links the executed
    notebooks to the cycle's archive: it holds exactly the manifest's notebooks, byte for byte, and is published."""
    import hashlib
    import io
    import json
    import zipfile

    cdir = built_project / "reports" / "2024"
    manifest = json.loads((cdir / "manifest.json").read_text(encoding="utf-8"))
    listed = {o["path"]: o["sha256"] for o in manifest["outputs"] if o["path"].endswith(".ipynb")}
    archive = (built_project / "_site/reports/2024/downloads/notebooks-2024.zip").read_bytes()
    assert archive == (cdir / "downloads/notebooks-2024.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        inside = {n: hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist()}
    assert inside == listed and len(listed) == 25
    page = (cdir / "provenienz.qmd").read_text(encoding="utf-8")
    assert "| [`uebersicht.ipynb`](downloads/notebooks-2024.zip) |" in page
    assert "](uebersicht.ipynb)" not in page
    html = (built_project / "_site/reports/2024/provenienz.html").read_text(encoding="utf-8")
    assert 'href="downloads/notebooks-2024.zip"' in html and 'href="uebersicht.html"><code>uebersicht.ipynb' not in html


def test_pages_are_what_the_render_list_selects():
    """The report notebook is the PDF's source: it is no page, so a change to it hands Quarto nothing."""
    from pathlib import Path

    patterns = site_mod.render_patterns(Path(__file__).resolve().parents[2] / "_quarto.yml")
    files = ["index.qmd", "reports/2024/trends.ipynb", "reports/2024/bericht.ipynb", "reports/2024/profile/x.ipynb",
             "reports/2024/ortsteil/62.qmd", "notebooks/trends.ipynb", "reports/2024/tabellen/its.csv",
             "reports/2024/abbildungen/trends/abb-1.svg"]
    assert site_mod.pages_of(files, patterns) == ["index.qmd", "reports/2024/trends.ipynb",
                                                  "reports/2024/profile/x.ipynb", "reports/2024/ortsteil/62.qmd"]
    before = {f: "a" for f in files}
    now = dict(before, **{"reports/2024/bericht.ipynb": "b"})
    assert site_mod.changed_pages(before, now, patterns) == []
    assert site_mod.changed_pages(before, dict(now, **{"reports/2024/trends.ipynb": "b"}), patterns) == [
        "reports/2024/trends.ipynb"]
