"""The cycle's report for the Jugendhilfeausschuss as PDF, typeset from the executed report notebook
(reports/<cycle>/bericht.ipynb, written by notebooks/bericht.py through `publish.report_doc`): by Quarto's own
`format: typst` when Quarto is on PATH, else by Pandoc and the Typst compiler from PyPI (the same two tools Quarto
runs), so that both routes read one source and nothing is computed here. Tagged PDF/UA-1 on both routes.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from evalkit import tools
from evalkit.errors import SiteError
from evalkit.fileio import atomic_write_bytes
from evalkit.paths import FIGURE_FOLDER
from evalkit.publish.fmt import md, md_table

REPORT_NOTEBOOK = "bericht.ipynb"


def notebook_markdown(nb) -> str:
    """The report's Markdown from the executed notebook's saved outputs: the front matter (raw cell), Markdown
    cells, and every Markdown output of the code cells, in order. Nothing is computed here."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type in ("raw", "markdown"):
            parts.append(cell.source.strip() + "\n")
        elif cell.cell_type == "code":
            for out in cell.get("outputs", []):
                text = out.get("data", {}).get("text/markdown") if out.get("output_type") in (
                    "display_data", "execute_result") else None
                if text is not None:
                    parts.append((text if isinstance(text, str) else "".join(text)).strip() + "\n")
    return "\n".join(parts)


def provenance_markdown(manifest: dict | None, cycle: int) -> str:
    """The last section, from the cycle's manifest (as the site's provenance page): parameters, commit and the
    input checksums. It is the only part not in the notebook, because the notebook holds no commit or time."""
    m = manifest or {}
    git = m.get("code", {}).get("git", {})
    rows = [[k, v[:16] + "…"] for k, v in sorted(m.get("inputs", {}).items())
            if k.startswith("data/raw/") or k == "data/processed/indicators.csv"]
    return "\n".join([
        "# Provenienz\n",
        f"Parameter: {md(m.get('params_file', '–'))}. Git-Commit: {md(git.get('commit') or 'unbekannt')}"
        + (" (mit nicht eingecheckten Änderungen)" if git.get("dirty") else "")
        + ". Prüfsummen (SHA-256, gekürzt; vollständig auf der Provenienzseite und in manifest.json):\n",
        md_table(pd.DataFrame(rows, columns=["Datei", "SHA-256 (Anfang)"])),
        f"Nachrechnen: `evalkit verify --cycle {int(cycle)}` führt den Zyklus erneut aus, vergleicht jede Tabelle "
        "Byte für Byte und setzt diesen Bericht aus dem neu ausgeführten Berichtsnotebook erneut.\n"])


PDF_STANDARD = "ua-1"


@dataclass
class Typeset:
    pdf: bytes
    route: str  # "quarto" or "pandoc+typst": which one ran, recorded in the manifest


def typeset(notebook: Path, manifest: dict | None, when: datetime, file: Path, route: str = "auto") -> Typeset:
    """The executed report notebook as PDF. With Quarto on PATH, Quarto's own PDF route (`quarto render
    bericht.ipynb --to typst`, saved outputs only, never executed); otherwise Pandoc (PyPI `pypandoc-binary`)
    writes Typst from the same Markdown and the Typst compiler (PyPI `typst`) typesets it. The provenance section
    comes from the manifest; the date is the manifest's, so the same inputs give the same PDF. `route`: "auto"
    (Quarto when on PATH), "quarto" or "pandoc" (verify typesets again by the route the manifest records)."""
    import nbformat

    quarto = shutil.which("quarto") if route in ("auto", "quarto") else None
    if route == "quarto" and not quarto:
        raise SiteError("quarto is not on PATH", file=file, expected="Quarto installed, or the pandoc+typst route")
    if not Path(notebook).is_file():
        raise SiteError("the report notebook has not been executed", file=notebook,
                        expected="`evalkit run` (it executes bericht.ipynb after the cycle's other notebooks)")
    nb = nbformat.read(notebook, as_version=4)
    cycle = nb.metadata.get("evalkit", {}).get("cycle", (manifest or {}).get("cycle", 0))
    with tempfile.TemporaryDirectory(prefix="evalkit-pdf-") as tmp:
        root = Path(tmp)
        figures = Path(notebook).parent / FIGURE_FOLDER / Path(notebook).stem
        if figures.is_dir():
            shutil.copytree(figures, root / FIGURE_FOLDER / Path(notebook).stem)
        epoch = {"SOURCE_DATE_EPOCH": str(int(when.timestamp()))}
        if quarto:
            nb.cells.append(nbformat.v4.new_markdown_cell(provenance_markdown(manifest, cycle)))
            nbformat.write(nb, root / "bericht.ipynb")
            tools.run([quarto, "render", "bericht.ipynb", "--to", "typst", "--output", "bericht.pdf"], cwd=root,
                      env=epoch, error=SiteError, file=file, expected="a report Quarto can typeset", name="quarto")
            return Typeset((root / "bericht.pdf").read_bytes(), "quarto")
        import pypandoc
        import typst

        (root / "bericht.md").write_text(notebook_markdown(nb) + "\n" + provenance_markdown(manifest, cycle),
                                         encoding="utf-8")
        # a bare template: page, type and cover come from the source's own Typst block, as under Quarto
        (root / "bare.typst").write_text("$for(header-includes)$\n$header-includes$\n$endfor$\n$body$\n",
                                         encoding="utf-8")
        tools.run([pypandoc.get_pandoc_path(), "bericht.md", "--from", "markdown", "--to", "typst", "--standalone",
                   "--template", "bare.typst", "--output", "bericht.typ"], cwd=root, env=epoch, error=SiteError, file=file,
                  expected="a report Pandoc can convert", name="pandoc")
        # tagged PDF/UA-1: Typst refuses to write it when a figure lacks alt text or the document a title
        try:
            pdf = typst.compile(str(root / "bericht.typ"), root=str(root), timestamp=int(when.timestamp()),
                                pdf_standards=[PDF_STANDARD])
        except typst.TypstError as e:
            raise SiteError(f"typst: {e}", file=file, expected="a report Typst can typeset as tagged PDF/UA-1 "
                                                               "(a document title, alt text on every figure)") from None
        return Typeset(pdf, "pandoc+typst")


def build_pdf(notebook: Path, manifest: dict | None, target: Path, shown: Path | None = None,
              route: str = "auto") -> str:
    """Typeset the executed report notebook into `target` (written atomically); returns the route that ran.
    Errors name `shown` (the published path) rather than the staged one; `route` as in `typeset`."""
    stamp = (manifest or {}).get("generated_at")
    when = datetime.fromisoformat(stamp) if stamp else datetime(2020, 1, 1, tzinfo=timezone.utc)
    done = typeset(Path(notebook), manifest, when, shown or target, route)
    atomic_write_bytes(target, done.pdf)
    return done.route


def write_cycle_pdf(project, p, cdir: Path, manifest: dict | None = None) -> str:
    """reports/<cycle>/bericht-<cycle>.pdf from the staged cycle's executed report notebook; returns the route."""
    name = f"bericht-{p.cycle}.pdf"
    return build_pdf(cdir / REPORT_NOTEBOOK, manifest, cdir / name, project.reports / str(p.cycle) / name)


def pdf_info(pdf: bytes) -> dict:
    """Page count from the PDF's page tree (for tests and the bench without a PDF library)."""
    import re

    counts = [int(m) for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    return {"pages": max(counts) if counts else 0}
