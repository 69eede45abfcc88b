"""What the parameters say is what runs: a copy whose cycle 2024 starts the plan in 2019 gets every table, page
and the PDF on 2019 — no constant keeps 2020."""

from __future__ import annotations

import json
import re

from evalkit.execution.runner import run_cycles
from evalkit.fileio import read_table
from evalkit.paths import Project


def _texts(nb_path) -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    out = []
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            out.append("".join(c["source"]))
        for o in c.get("outputs", []):
            for kind in ("text/markdown", "text/html"):
                out.append("".join(o.get("data", {}).get(kind, "")))
    return "\n".join(out)


def test_every_table_and_page_follows_plan_start(built_copy):
    p = built_copy / "params/cycle-2024.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "evaluation:\n  plan_start: 2019\n", encoding="utf-8")
    report = run_cycles(Project(built_copy), ["2024"], progress=False, log=lambda *_: None)
    assert report.ok and "2024/trends.ipynb" in report.executed
    tab = built_copy / "reports/2024/tabellen"
    ev = read_table(tab / "evaluation.csv")
    main = ev[(ev.design == "hauptgruppe") & (ev.estimator == "its")]
    assert set(main.periods_pre) == {2019 - 2008} and set(main.periods_post) == {2022 - 2019 + 1}
    befund = read_table(tab / "befund.csv")
    assert set(befund.year_start) == {2018}
    trends = _texts(built_copy / "reports/2024/trends.ipynb")
    assert "Planstart 2019" in trends and "Planstart 2020" not in trends
    assert "Evaluationsgruppe ab 2019" in trends and "ab 2020" not in trends
    assert "Planstart 2019" in _texts(built_copy / "reports/2024/uebersicht.ipynb")
    for nb in sorted((built_copy / "reports/2024").rglob("*.ipynb")):
        text = _texts(nb)
        assert not re.search(r"(Planstart|Start der IKJHP|nach dem Planstart) 2020", text), nb.name
    page = (built_copy / "reports/2024/index.qmd").read_text(encoding="utf-8")
    assert "Planstart 2020" not in page
    from pypdf import PdfReader

    pdf = " ".join(pg.extract_text() for pg in PdfReader(built_copy / "reports/2024/bericht-2024.pdf").pages)
    assert "vor und nach 2019" in " ".join(pdf.split()) and "nach 2020" not in " ".join(pdf.split())
