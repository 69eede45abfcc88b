"""Re-execute a cycle in a temporary folder and compare: are the recorded results reproducible and untouched?

Three checks: (1) every output listed in reports/<cycle>/manifest.json still has its recorded hash (an edited
output fails); (2) every fetched input still matches data/raw/MANIFEST.json and the cycle's recorded input hashes
(a changed input byte fails); (3) a fresh run from data/raw/ in a temporary copy of the project gives
byte-identical result tables (indicators.csv, the cycle's tables and its CSV and XLSX downloads), Ortsteil pages
(written by one notebook per cycle) and the same
outputs in every executed notebook (text, Markdown, HTML and figures: what the reader sees).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from evalkit.acquire.fetch import verify_raw
from evalkit.cycles.provenance import input_hashes
from evalkit.errors import VerifyError
from evalkit.fileio import sha256_file
from evalkit.paths import Project

COPY = ["data", "params", "notebooks", "_quarto.yml"]


def compare_outputs(cdir: Path, manifest: dict) -> list[str]:
    problems = []
    for o in manifest["outputs"]:
        f = cdir / o["path"]
        if not f.is_file():
            problems.append(f"output {o['path']} is missing")
        elif sha256_file(f) != o["sha256"]:
            problems.append(f"output {o['path']} was changed after the run (sha256 differs from manifest.json)")
    return problems


def compare_inputs(project: Project, manifest: dict) -> list[str]:
    problems = [f"input data/raw/{p} differs from data/raw/MANIFEST.json" for p in verify_raw(project.raw)]
    now = input_hashes(project)
    for path, digest in manifest["inputs"].items():
        if now.get(path) != digest:
            problems.append(f"input {path} differs from the hash recorded for this cycle")
    return problems


def result_tables(root: Path, cycle: int) -> dict[str, Path]:
    cdir = root / "reports" / str(cycle)
    files = {"data/processed/indicators.csv": root / "data/processed/indicators.csv"}
    for f in sorted([*cdir.glob("tabellen/*.csv"), *cdir.glob("downloads/*.csv"), *cdir.glob("downloads/*.xlsx"),
                     *cdir.glob("ortsteil/*.qmd")]):
        files[f.relative_to(root).as_posix()] = f
    return files


def rerun(project: Project, cycle: int, tmp: Path, jobs: int | None) -> Path:
    from evalkit.execution.runner import run_cycles
    from evalkit.indicators.pipeline import build_indicators

    root = tmp / "verify"
    root.mkdir()
    for rel in COPY:
        src = project.root / rel
        if src.is_dir():
            shutil.copytree(src, root / rel, ignore=shutil.ignore_patterns("processed", "restricted"))
        elif src.is_file():
            shutil.copy2(src, root / rel)
    if project.restricted.is_dir():
        shutil.copytree(project.restricted, root / "data" / "restricted")
    copy = Project(root)
    build_indicators(copy)
    report = run_cycles(copy, [cycle], jobs=jobs, force=True, progress=False, log=lambda *_: None)
    if not report.ok:
        raise VerifyError(f"re-execution failed: {', '.join(report.failed)}", file=f"reports/{cycle}")
    return root


def verify_cycle(project: Project, cycle: int | str, jobs: int | None = None) -> list[str]:
    cycle = int(cycle)
    cdir = project.reports / str(cycle)
    mpath = cdir / "manifest.json"
    if not mpath.is_file():
        from evalkit.cycles.params import cycle_files

        known = sorted(cycle_files(project.params))
        if cycle not in known:  # `evalkit run --cycle` would fail too: say what exists
            raise VerifyError(f"no cycle {cycle}: there is no params/cycle-{cycle}.yaml", file=project.params,
                              expected=f"one of {', '.join(map(str, known))}, or a new params/cycle-{cycle}.yaml "
                                       f"and `evalkit run --cycle {cycle}`")
        raise VerifyError("no manifest for this cycle", file=mpath, expected=f"run `evalkit run --cycle {cycle}`")
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    problems = compare_outputs(cdir, manifest) + compare_inputs(project, manifest)
    with tempfile.TemporaryDirectory(prefix="evalkit-verify-") as tmp:
        fresh = rerun(project, cycle, Path(tmp), jobs)
        mine, theirs = result_tables(project.root, cycle), result_tables(fresh, cycle)
        for rel in sorted(set(mine) | set(theirs)):
            if rel not in mine:
                problems.append(f"result {rel} is produced by a fresh run but missing here")
            elif rel not in theirs:
                problems.append(f"result {rel} is not produced by a fresh run")
            elif mine[rel].read_bytes() != theirs[rel].read_bytes():
                problems.append(f"result {rel} differs from a fresh run")
        problems += compare_pages(cdir, fresh / "reports" / str(cycle))
        problems += compare_generated(project, cycle, cdir, manifest)
        problems += compare_report_pdf(cdir, fresh, cycle, manifest, Path(tmp))
    return problems


def compare_report_pdf(cdir: Path, fresh: Path, cycle: int, manifest: dict, tmp: Path) -> list[str]:
    """The committee's PDF typeset again from the fresh run's report notebook with the recorded manifest (its
    date, commit and hashes) by the recorded route: byte for byte the published one, or the PDF says something
    the data do not."""
    from evalkit.errors import EvalkitError
    from evalkit.publish.report_pdf import REPORT_NOTEBOOK, build_pdf

    name = f"bericht-{cycle}.pdf"
    if not (cdir / name).is_file():
        return []  # a listed PDF that is missing is already reported by compare_outputs
    route = manifest.get("report_pdf", {}).get("typeset_by", "pandoc+typst")
    try:
        build_pdf(fresh / "reports" / str(cycle) / REPORT_NOTEBOOK, manifest, tmp / name, cdir / name,
                  route="quarto" if route == "quarto" else "pandoc")
    except EvalkitError as e:
        return [f"report {name} could not be typeset again ({route}): {e.message}"]
    if (tmp / name).read_bytes() != (cdir / name).read_bytes():
        return [f"report {name} differs from the report typeset from a fresh run"]
    return []


def compare_generated(project: Project, cycle: int, cdir: Path, manifest: dict) -> list[str]:
    """The pages evalkit generates (cycle start page, provenance page, the catalogue page) written again from
    the cycle's tables, its recorded manifest and the catalogue: a hand edit shows."""
    from evalkit.cycles.params import load_cycles
    from evalkit.indicators.catalogue import load_catalogue
    from evalkit.publish.pages import catalogue_page, generated_pages

    catalogue = load_catalogue(project.catalogue_file)
    p = load_cycles(project.params, catalogue, (0, 9999))[cycle]
    problems = []
    expected = {**{f"reports/{cycle}/{k}": v for k, v in generated_pages(project, p, cdir, manifest).items()},
                "reports/indikatoren.qmd": catalogue_page(catalogue)}
    for rel, text in expected.items():
        f = project.root / rel
        if not f.is_file():
            problems.append(f"page {rel} is missing")
        elif f.read_text(encoding="utf-8") != text:
            problems.append(f"page {rel} differs from the page generated from the recorded results")
    return problems


# what a reader sees of a cell; execution counts, timings and widget state are not the page
SHOWN = ("text/plain", "text/markdown", "text/html", "image/png", "image/svg+xml", "application/json")


def page_outputs(nb_path: Path) -> list:
    """The outputs of an executed notebook as the site shows them, with volatile fields left out."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    # the whole notebook as it renders: every cell's type and source (Markdown and raw front matter included),
    # the notebook metadata Quarto reads, and the outputs
    shown = [("metadata", {k: nb.metadata.get(k) for k in ("kernelspec", "jupytext", "title") if k in nb.metadata})]
    for i, cell in enumerate(nb.cells):
        shown.append((i, cell.cell_type, cell.source, (cell.get("metadata") or {}).get("tags", [])))
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                shown.append((i, "stream", out.get("name"), out.get("text", "")))
            elif out.get("output_type") in ("display_data", "execute_result"):
                data = out.get("data", {})
                shown.append((i, "data", {k: data[k] for k in SHOWN if k in data}))
            elif out.get("output_type") == "error":
                shown.append((i, "error", out.get("ename"), out.get("evalue")))
    return shown


def compare_pages(cdir: Path, fresh_cdir: Path) -> list[str]:
    """Every executed notebook's outputs against a fresh run's: a hand-edited page fails even when its new hash
    was written into manifest.json."""
    problems = []
    mine = {p.relative_to(cdir).as_posix() for p in cdir.rglob("*.ipynb")}
    theirs = {p.relative_to(fresh_cdir).as_posix() for p in fresh_cdir.rglob("*.ipynb")}
    for rel in sorted(mine | theirs):
        if rel not in theirs:
            problems.append(f"page {rel} is not produced by a fresh run")
        elif rel not in mine:
            problems.append(f"page {rel} is produced by a fresh run but missing here")
        else:
            a, b = page_outputs(cdir / rel), page_outputs(fresh_cdir / rel)
            if a != b:
                diff = next((x for x, y in zip(a, b) if x != y), None)
                cell = diff[0] if diff is not None else min(len(a), len(b))
                what = "the notebook metadata differs" if cell == "metadata" else (
                    f"the outputs of cell {cell} differ" if diff is None or diff[1] in ("stream", "data", "error")
                    else f"cell {cell} ({diff[1]}) differs")
                problems.append(f"page {rel}: {what} from a fresh run")
    return problems


def verify_site(project: Project) -> list[str]:
    """`evalkit verify --site`: every file in _site/ still has the hash `evalkit site` recorded, and a fresh render
    (same renderer) gives the same files; each file that differs is named."""
    from evalkit.publish.site import SITE_RECORD, render_fresh, site_files

    record_path = project.reports / SITE_RECORD
    if not record_path.is_file():
        raise VerifyError("no record of the published site", file=record_path, expected="run `evalkit site`")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    recorded = record["files"]
    site = project.root / "_site"
    problems = _compare_files(recorded, site_files(site) if site.is_dir() else {}, "is missing",
                              "was not published by `evalkit site`", "was changed after `evalkit site`")
    with tempfile.TemporaryDirectory(prefix="evalkit-verify-site-") as tmp:
        fresh = site_files(render_fresh(project, record["renderer"], Path(tmp)))
    problems += _compare_files(recorded, fresh, "is not produced by a fresh render",
                               "is produced by a fresh render but was not published",
                               "differs from a fresh render")
    return problems


def _compare_files(recorded: dict, other: dict, missing: str, extra: str, changed: str) -> list[str]:
    """One sentence per site file that is missing from `other`, only in `other`, or has another hash there."""
    out = []
    for rel in sorted(set(recorded) | set(other)):
        if rel not in other:
            out.append(f"site file {rel} {missing}")
        elif rel not in recorded:
            out.append(f"site file {rel} {extra}")
        elif other[rel] != recorded[rel]:
            out.append(f"site file {rel} {changed}")
    return out
