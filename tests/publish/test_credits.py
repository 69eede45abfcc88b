"""The credit line and the cycle menu are generated: data/sources.yaml and params/ say them once, and every page,
figure, download, the footer and the PDF follow."""

from __future__ import annotations

import json
import shutil

import yaml

from evalkit.acquire.sources import credit_line, load_registry
from evalkit.publish.fmt import md
from evalkit.paths import Project
from evalkit.publish.site import site_config


def test_the_credit_line_comes_from_the_attribution(project_copy):
    reg = load_registry(project_copy / "data/sources.yaml")
    line = reg.credit_line()
    assert line.startswith("Daten und Ortsteilgeometrie: Stadt Leipzig, Amt für Statistik und Wahlen (dl-de/by-2-0)")
    assert "© OpenStreetMap-Mitwirkende (ODbL)" in line and line.endswith("eigene Berechnungen.")
    src = project_copy / "data/sources.yaml"
    src.write_text(src.read_text(encoding="utf-8").replace('credit: "LeipzigData"', 'credit: "LeipzigData e. V."'),
                   encoding="utf-8")
    assert "LeipzigData e. V. (CC0)" in credit_line(src)  # a changed file is read again, not cached


def test_navbar_and_footer_are_generated(project_copy):
    project = Project(project_copy)
    for c in (2018, 2020, 2024):  # cycles with executed reports; 2022 has none yet
        (project.reports / str(c)).mkdir(parents=True)
        (project.reports / str(c) / "index.qmd").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    cfg = yaml.safe_load(site_config(project))
    menu = next(i for i in cfg["website"]["navbar"]["left"] if i.get("text") == "Zyklen")["menu"]
    assert menu == [{"text": "2024", "href": "reports/2024/index.qmd"}, {"text": "2020", "href": "reports/2020/index.qmd"},
                    {"text": "2018 (Ausgangslage)", "href": "reports/2018/index.qmd"}]
    assert cfg["website"]["page-footer"]["center"] == credit_line(project.sources_file)
    assert cfg["project"]["render"] == yaml.safe_load((project_copy / "_quarto.yml").read_text())["project"]["render"]
    shutil.copy(project.params / "cycle-2024.yaml", project.params / "cycle-2026.yaml")
    (project.reports / "2026").mkdir()
    (project.reports / "2026" / "index.qmd").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    menu = next(i for i in yaml.safe_load(site_config(project))["website"]["navbar"]["left"]
                if i.get("text") == "Zyklen")["menu"]
    assert menu[0] == {"text": "2026", "href": "reports/2026/index.qmd"}  # a new params file, no edit of _quarto.yml


def test_every_place_that_credits_says_the_generated_line(built_project):
    import pandas as pd

    line = credit_line(built_project / "data/sources.yaml")
    site = built_project / "_site"
    for page in ("index.html", "daten.html", "impressum.html", "reports/2024/uebersicht.html",
                 "reports/2024/provenienz.html", "reports/2024/schwerpunktraeume.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert line in html.replace("&amp;", "&"), page
    xlsx = pd.read_excel(built_project / "reports/2024/downloads/indikatoren-2024.xlsx", sheet_name="Quelle")
    assert xlsx.iloc[0, 0] == line
    nb = json.loads((built_project / "reports/2024/uebersicht.ipynb").read_text(encoding="utf-8"))
    assert any(md(line) in "".join(o.get("data", {}).get("text/markdown", "")) for c in nb["cells"]
               for o in c.get("outputs", []))  # the figures' captions (Markdown-escaped in the figure syntax)
    from pypdf import PdfReader

    pdf = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(built_project / "reports/2024/bericht-2024.pdf").pages[:1])
    assert "Stadt Leipzig, Amt für Statistik und Wahlen (dl-de/by-2-0)" in pdf.replace("- ", "-")
    for mod in ("pages", "maps", "figures", "report_pdf"):  # no module types the line any more
        from pathlib import Path

        text = (Path(__file__).resolve().parents[2] / "src/evalkit/publish" / f"{mod}.py").read_text(encoding="utf-8")
        assert "Amt für Statistik und Wahlen" not in text, mod
