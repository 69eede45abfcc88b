"""Render the website: Quarto when it is on PATH, otherwise smalldocs (same _quarto.yml). The renderer only
renders saved outputs. The site is built in a staging folder and swapped into _site/ only when complete, so a
failed or interrupted build leaves the last good site in place."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from evalkit.errors import SiteError
from evalkit.fileio import swap_dir
from evalkit.paths import Project
from evalkit.publish.interface_de import germanise

STATIC = ["_quarto.yml", "site"]  # plus the project-level pages the render list names (index.qmd, impressum.qmd …)
# what a reviewer downloads beside each cycle's pages (the provenance page links them): the executed notebooks,
# the manifest and the result tables; copied after rendering, so that either renderer publishes them
REVIEW_FILES = ["*.ipynb", "profile/*.ipynb", "manifest.json", "tabellen/*.csv", "bericht-*.pdf"]


@dataclass
class SiteResult:
    renderer: str
    output: Path
    pages: int


def choose_renderer(requested: str = "auto") -> str:
    if requested == "quarto" or (requested == "auto" and shutil.which("quarto")):
        if not shutil.which("quarto"):
            raise SiteError("quarto is not on PATH", expected="Quarto installed (conda-forge: quarto) or --renderer smalldocs")
        return "quarto"
    return "smalldocs"


def root_pages(project: Project) -> list[str]:
    cfg = yaml.safe_load((project.root / "_quarto.yml").read_text(encoding="utf-8"))
    return [r for r in cfg.get("project", {}).get("render", []) if "/" not in r and "*" not in r
            and not r.startswith("!")]


def publish_review_files(reports: Path, built: Path) -> None:
    for cdir in sorted(p for p in reports.iterdir() if p.is_dir() and p.name.isdigit()):
        for pattern in REVIEW_FILES:
            for f in sorted(cdir.glob(pattern)):
                target = built / "reports" / cdir.name / f.relative_to(cdir)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)


def stage(project: Project, staging: Path) -> None:
    for rel in [*STATIC, *root_pages(project)]:
        src = project.root / rel
        if src.is_dir():
            shutil.copytree(src, staging / rel)
        elif src.is_file():
            shutil.copy2(src, staging / rel)
    if not (project.reports / "indikatoren.qmd").is_file():
        raise SiteError("no executed reports to render", file=project.reports, expected="run `evalkit run --all` first")
    shutil.copytree(project.reports, staging / "reports",
                    ignore=shutil.ignore_patterns(".*", "*.tmp", "*.old"))


def render(staging: Path, renderer: str) -> None:
    if renderer == "quarto":
        cmd = ["quarto", "render", str(staging), "--no-execute"]
    else:
        cmd = [sys.executable, "-m", "smalldocs.cli", "render", str(staging), "--quiet"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SiteError(f"{renderer} failed (exit {r.returncode}): {(r.stderr or r.stdout).strip()[-2000:]}",
                        file=staging / "_quarto.yml", expected="a site that renders")


def build_site(project: Project, renderer: str = "auto", log=print) -> SiteResult:
    which = choose_renderer(renderer)
    log(f"evalkit site: renderer {which}" + (" (Quarto not on PATH)" if which == "smalldocs" else ""))
    cfg = yaml.safe_load((project.root / "_quarto.yml").read_text(encoding="utf-8"))
    out_name = cfg.get("project", {}).get("output-dir", "_site")
    with tempfile.TemporaryDirectory(prefix=".site-staging-", dir=project.root) as tmp:
        staging = Path(tmp)
        stage(project, staging)
        render(staging, which)
        built = staging / out_name
        if not (built / "index.html").is_file():
            raise SiteError("the renderer produced no index.html", file=built, expected="a complete site")
        germanise(built)
        publish_review_files(project.reports, built)
        pages = sum(1 for _ in built.rglob("*.html"))
        swap_dir(built, project.root / out_name)
    return SiteResult(which, project.root / out_name, pages)
