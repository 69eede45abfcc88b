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
# what a reviewer downloads beside each cycle's pages (the provenance page links them): the manifest, the result
# tables, the PDF and the downloads; copied after rendering, so that either renderer publishes them. The executed
# notebooks go to ipynb/ beside the pages: at their own path they are pages, and Quarto rewrites a link to a
# page's .ipynb into its .html, so the provenance page's link would not reach the file its checksum describes
REVIEW_FILES = ["manifest.json", "tabellen/*.csv", "bericht-*.pdf", "downloads/*", "ortsteil/daten/*"]
NOTEBOOK_COPIES = "ipynb"
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


def executed_notebooks(cdir: Path) -> list[Path]:
    return sorted(f for f in cdir.rglob("*.ipynb") if not any(part.startswith(".")
                                                               for part in f.relative_to(cdir).parts))


def publish_review_files(reports: Path, built: Path) -> None:
    for cdir in sorted(p for p in reports.iterdir() if p.is_dir() and p.name.isdigit()):
        files = [(f, f.relative_to(cdir)) for pattern in REVIEW_FILES for f in sorted(cdir.glob(pattern))]
        files += [(f, NOTEBOOK_COPIES / f.relative_to(cdir)) for f in executed_notebooks(cdir)]
        for f, rel in files:
            target = built / "reports" / cdir.name / rel
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
    for cdir in sorted(p for p in project.reports.iterdir() if p.is_dir() and p.name.isdigit()):
        for f in executed_notebooks(cdir):  # the files the provenance page links exist when the renderer checks
            target = staging / "reports" / cdir.name / NOTEBOOK_COPIES / f.relative_to(cdir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
    (staging / "_quarto.yml").write_text(site_config(project), encoding="utf-8")


NAVBAR_CYCLES = "Zyklen"


def site_config(project: Project) -> str:
    """The project's _quarto.yml with what is generated, not typed: the navbar's cycle menu (every params file
    with executed reports, newest first; a cycle without a compared cycle is the baseline) and the footer's
    credit line (data/sources.yaml)."""
    from evalkit.acquire.sources import credit_line
    from evalkit.cycles.params import cycle_files
    from evalkit.yamlio import load_yaml_file

    cfg = yaml.safe_load((project.root / "_quarto.yml").read_text(encoding="utf-8"))
    menu = []
    for c, f in sorted(cycle_files(project.params).items(), reverse=True):
        if not (project.reports / str(c) / "index.qmd").is_file():
            continue
        baseline = (load_yaml_file(f, "cycle parameters") or {}).get("compare_with") is None
        menu.append({"text": f"{c} (Ausgangslage)" if baseline else str(c), "href": f"reports/{c}/index.qmd"})
    website = cfg.setdefault("website", {})
    for item in website.get("navbar", {}).get("left", []):
        if isinstance(item, dict) and item.get("text") == NAVBAR_CYCLES:
            item["menu"] = menu
    website.setdefault("page-footer", {})["center"] = credit_line(project.sources_file)
    return ("# generated by `evalkit site` from the project's _quarto.yml, params/ and data/sources.yaml\n"
            + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True, width=1000))


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


QUARTO_STATE = ".quarto-state"  # in reports/: Quarto's .quarto/ folder, kept from one render to the next
SECONDS_PER_PAGE = 10.0  # the tool timeout grows with the pages handed over (real Quarto: ~2 s CPU a page)


def render_timeout(pages: int) -> float:
    """The renderer's time limit: EVALKIT_TOOL_TIMEOUT, or more when the work needs it (a full real-Quarto render
    of 361 pages on a busy machine takes longer than the 1,800 s default)."""
    from evalkit.settings import settings

    return max(settings().tool_timeout, 120.0 + SECONDS_PER_PAGE * pages)


def render(staging: Path, renderer: str, only: list[str] | None = None, pages: int = 0) -> None:
    if renderer == "quarto":
        # a list of files: Quarto renders just those into the output folder, which holds the previous site
        cmd = ["quarto", "render", *only, "--no-execute"] if only else ["quarto", "render", str(staging), "--no-execute"]
    else:
        cmd = [sys.executable, "-m", "smalldocs.cli", "render", str(staging), "--quiet"]
    tools.run(cmd, error=SiteError, file=staging / "_quarto.yml", expected="a site that renders",
              cwd=staging if only else None, name=renderer,
              timeout=render_timeout(len(only) if only else pages))


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
        state = project.reports / QUARTO_STATE
        if which == "quarto" and state.is_dir():  # Quarto's own incremental state, as if it rendered in place
            shutil.copytree(state, staging / ".quarto", dirs_exist_ok=True)
        render(staging, which, only, pages=sum(1 for f in now if f.endswith(PAGE_SUFFIXES)))
        built = staging / out_name
        if not (built / "index.html").is_file():
            raise SiteError("the renderer produced no index.html", file=built, expected="a complete site")
        if which == "quarto" and (staging / ".quarto").is_dir():
            shutil.rmtree(state, ignore_errors=True)
            shutil.copytree(staging / ".quarto", state)
        if which == "smalldocs":  # Quarto writes its own German interface (lang: de); smalldocs writes English
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
    which = choose_renderer(renderer)
    render(staging, which, None, pages=sum(1 for f in source_hashes(staging) if f.endswith(PAGE_SUFFIXES)))
    built = staging / out_name
    if which == "smalldocs":
        germanise(built)
    publish_review_files(project.reports, built)
    return built
