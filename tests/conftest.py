"""Shared fixtures: the real data mirror, and throw-away copies of the project to run the pipeline in."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COMMITTED = ["data/sources.yaml", "data/areas.csv", "data/indicators.yaml", "data/name_corrections.csv",
             "data/measures", "data/reference", "data/index_methods", "params", "notebooks", "site", "_quarto.yml", "index.qmd",
             "methoden.qmd", "daten.qmd", "impressum.qmd", "indikatoren.qmd"]


def mirror_path() -> Path:
    env = os.environ.get("EVALKIT_DATA_MIRROR")
    path = Path(env) if env else REPO.parent / "shared" / "data" / "leipzig"
    if not (path / "api" / "einwohner.json").is_file():
        pytest.fail(f"the Leipzig data mirror is not at {path}: set EVALKIT_DATA_MIRROR (tests need real data)")
    return path.resolve()


@pytest.fixture(scope="session")
def mirror() -> Path:
    return mirror_path()


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for rel in COMMITTED:
        src = REPO / rel
        if src.is_dir():
            shutil.copytree(src, target / rel, dirs_exist_ok=True)
        elif src.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / rel)
    return target


@pytest.fixture
def project_copy(tmp_path) -> Path:
    return copy_project(tmp_path / "proj")


@pytest.fixture(scope="session")
def fetched_project(tmp_path_factory, mirror) -> Path:
    """A project copy with data fetched from the mirror and indicators computed (shared, read-only)."""
    from evalkit.acquire.fetch import fetch
    from evalkit.acquire.sources import load_registry
    from evalkit.indicators.pipeline import build_indicators
    from evalkit.paths import Project

    root = copy_project(tmp_path_factory.mktemp("fetched") / "proj")
    project = Project(root)
    fetch(load_registry(project.sources_file), project.raw, mirror, log=lambda *_: None)
    build_indicators(project)
    return root


@pytest.fixture(scope="session")
def built_project(tmp_path_factory, fetched_project) -> Path:
    """Every cycle executed and the site rendered (shared, read-only: copy it before changing anything)."""
    from evalkit.execution.runner import run_cycles
    from evalkit.paths import Project
    from evalkit.publish.site import build_site

    root = tmp_path_factory.mktemp("built") / "proj"
    shutil.copytree(fetched_project, root)
    report = run_cycles(Project(root), None, jobs=2, progress=False, log=lambda *_: None)
    assert report.ok, report.failed
    build_site(Project(root), log=lambda *_: None)
    return root


@pytest.fixture
def built_copy(built_project, tmp_path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(built_project, root, symlinks=True)
    return root


SLOW_FIXTURES = {"built_project", "built_copy"}


def pytest_collection_modifyitems(config, items):
    """Tests on a fully built project (every cycle executed, ~1 min to build) and browser tests are `slow`;
    `./tasks test -m "not slow"` is the developers' fast tier, CI runs everything."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
