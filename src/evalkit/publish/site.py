"""Render the website: Quarto when it is on PATH, otherwise smalldocs (same _quarto.yml). The renderer only
renders saved outputs. The site is built in a staging folder and swapped into _site/ only when complete, so a
failed or interrupted build leaves the last good site in place."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from evalkit import tools
from evalkit.errors import SiteError
from evalkit.fileio import atomic_write_text, swap_dir
from evalkit.paths import Project
from evalkit.publish.interface_de import germanise

STATIC = ["_quarto.yml", "site"]  # plus the project-level pages the render list names (index.qmd, impressum.qmd …)
# what a reviewer downloads beside each cycle's pages (the provenance page links them): the executed notebooks,
# the manifest and the result tables; copied after rendering, so that either renderer publishes them
REVIEW_FILES = ["*.ipynb", "profile/*.ipynb", "manifest.json", "tabellen/*.csv", "bericht-*.pdf", "downloads/*"]
SITE_RECORD = ".site-files.json"  # in reports/: the hash of every file `evalkit site` published (verify --site)
SOURCES_RECORD = ".site-sources.json"  # in reports/: what the published site was rendered from (path → sha256)
PAGE_SUFFIXES = (".qmd", ".ipynb", ".md")
INCREMENTAL_SHARE = 0.5  # Quarto gets a list of pages when at most this share of them changed


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


def source_hashes(staging: Path) -> dict[str, str]:
    from evalkit.fileio import sha256_file

    return {f.relative_to(staging).as_posix(): sha256_file(f) for f in sorted(staging.rglob("*")) if f.is_file()}


def changed_pages(before: dict, now: dict) -> list[str] | None:
    """The pages to hand Quarto when little changed; None when the whole project must render (configuration or
    stylesheet changed, a page was removed, or more than INCREMENTAL_SHARE of the pages changed)."""
    pages = [f for f in now if f.endswith(PAGE_SUFFIXES)]
    gone = [f for f in before if f.endswith(PAGE_SUFFIXES) and f not in now]
    config = [f for f in now if not f.endswith(PAGE_SUFFIXES) and (f == "_quarto.yml" or f.startswith("site/"))
              and before.get(f) != now[f]]
    changed = [f for f in pages if before.get(f) != now[f]]
    # an include (reports/_stand.md …) changes the pages that include it: render everything then
    if gone or config or any(f.rsplit("/", 1)[-1].startswith("_") for f in changed):
        return None
    if not pages or len(changed) > INCREMENTAL_SHARE * len(pages):
        return None
    return [f for f in changed if not f.rsplit("/", 1)[-1].startswith("_")]


def render(staging: Path, renderer: str, only: list[str] | None = None) -> None:
    if renderer == "quarto":
        # a list of files: Quarto renders just those into the output folder, which holds the previous site
        cmd = ["quarto", "render", *only, "--no-execute"] if only else ["quarto", "render", str(staging), "--no-execute"]
    else:
        cmd = [sys.executable, "-m", "smalldocs.cli", "render", str(staging), "--quiet"]
    tools.run(cmd, error=SiteError, file=staging / "_quarto.yml", expected="a site that renders",
              cwd=staging if only else None, name=renderer)


def build_site(project: Project, renderer: str = "auto", log=print) -> SiteResult:
    which = choose_renderer(renderer)
    log(f"evalkit site: renderer {which}" + (" (Quarto not on PATH)" if which == "smalldocs" else ""))
    cfg = yaml.safe_load((project.root / "_quarto.yml").read_text(encoding="utf-8"))
    out_name = cfg.get("project", {}).get("output-dir", "_site")
    with tempfile.TemporaryDirectory(prefix=".site-staging-", dir=project.root) as tmp:
        staging = Path(tmp)
        stage(project, staging)
        now = source_hashes(staging)
        record = project.reports / SOURCES_RECORD
        only = None
        if which == "quarto" and record.is_file() and (project.root / out_name / "index.html").is_file():
            try:
                before = json.loads(record.read_text(encoding="utf-8"))
                # only a site Quarto itself rendered can take Quarto's pages one by one
                only = changed_pages(before["sources"], now) if before.get("renderer") == "quarto" else None
            except (ValueError, KeyError, TypeError):
                only = None
        if only == []:
            log("evalkit site: no page changed; the published site stays as it is")
            return SiteResult(which, project.root / out_name, sum(1 for _ in (project.root / out_name).rglob("*.html")))
        if only:
            log(f"evalkit site: {len(only)} changed pages handed to Quarto (of {sum(1 for f in now if f.endswith(PAGE_SUFFIXES))})")
            shutil.copytree(project.root / out_name, staging / out_name)
        render(staging, which, only)
        built = staging / out_name
        if not (built / "index.html").is_file():
            raise SiteError("the renderer produced no index.html", file=built, expected="a complete site")
        germanise(built)
        publish_review_files(project.reports, built)
        pages = sum(1 for _ in built.rglob("*.html"))
        published = site_files(built)
        swap_dir(built, project.root / out_name)
        atomic_write_text(record, json.dumps({"renderer": which, "sources": now}, indent=0, sort_keys=True) + "\n")
        atomic_write_text(project.reports / SITE_RECORD,
                          json.dumps({"renderer": which, "files": published}, indent=0, sort_keys=True) + "\n")
    return SiteResult(which, project.root / out_name, pages)


def site_files(folder: Path) -> dict[str, str]:
    """Every published file by its sha256 (what a reader can download or open)."""
    from evalkit.fileio import sha256_file

    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def render_fresh(project: Project, renderer: str, into: Path) -> Path:
    """The whole site rendered again into a temporary folder, as `evalkit site` renders it, without touching
    _site/ (for `verify --site`)."""
    cfg = yaml.safe_load((project.root / "_quarto.yml").read_text(encoding="utf-8"))
    out_name = cfg.get("project", {}).get("output-dir", "_site")
    staging = into / "staging"
    staging.mkdir(parents=True)
    stage(project, staging)
    render(staging, choose_renderer(renderer), None)
    built = staging / out_name
    germanise(built)
    publish_review_files(project.reports, built)
    return built
