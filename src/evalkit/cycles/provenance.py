"""Provenance: what produced each number (inputs by hash, code version, packages, parameters)."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from evalkit import __version__
from evalkit.fileio import sha256_file
from evalkit.paths import Project

PACKAGES = ["evalkit", "pandas", "numpy", "statsmodels", "matplotlib", "seaborn", "geopandas", "shapely", "pyogrio",
            "pandera", "pydantic", "papermill", "nbformat", "nbclient", "ipykernel", "jupytext", "smalldocs"]


def input_files(project: Project) -> list[Path]:
    """The files the cycle notebooks depend on, beside their own parameter files: every file under data/ (the
    committed registry, catalogue, areas, index methods, measures, reference lists and name corrections, the
    restricted inputs, the processed tables), not a hand-kept list, so that no kind of input can change without
    the notebooks re-executing. A file that disappears (a restricted file deleted) changes the set as well.

    The fetched files count by content, not MANIFEST.json itself: a re-fetch of identical bytes only moves
    the retrieval time, and that must not re-execute every notebook.
    """
    skip = {project.raw}
    files = [p for p in sorted(project.data.rglob("*"))
             if p.is_file() and not any(part.startswith(".") for part in p.relative_to(project.data).parts)
             and not any(s in p.parents for s in skip)]
    return [*files, *fetched_files(project.raw)]


def fetched_files(raw: Path) -> list[Path]:
    manifest = raw / "MANIFEST.json"
    if not manifest.is_file():
        return []
    return sorted(raw / f["path"] for f in json.loads(manifest.read_text(encoding="utf-8"))["files"])


def input_hashes(project: Project, extra: list[Path] = ()) -> dict[str, str]:
    out = {}
    for p in [*input_files(project), *extra]:
        if p.is_file():
            out[p.relative_to(project.root).as_posix()] = sha256_file(p)
    return dict(sorted(out.items()))


@lru_cache(maxsize=1)
def code_hash() -> str:
    """One hash over the evalkit package's source: any change to the logic re-executes the notebooks."""
    h = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parents[1]  # the evalkit package, all subpackages
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def git_state(root: Path) -> dict:
    def git(*args):
        try:
            r = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):  # no git on the machine: provenance says "unknown"
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def environment(root: Path) -> dict:
    lock = Path(root) / "requirements.lock"
    return {"python": platform.python_version(), "platform": platform.platform(), "packages": package_versions(),
            "git": git_state(root), "evalkit_code_sha256": code_hash(),
            "lock_sha256": sha256_file(lock) if lock.is_file() else None}


def environment_differences(recorded: dict, now: dict) -> list[str]:
    """What differs between the environment a cycle was computed in and this one (a byte-identical verify may
    not survive another package version): Python, the lock file, each recorded package."""
    out = []
    if recorded.get("python") != now.get("python"):
        out.append(f"Python {now.get('python')} (recorded {recorded.get('python')})")
    if recorded.get("lock_sha256") != now.get("lock_sha256"):
        out.append("requirements.lock differs from the one the cycle was computed with")
    for name, version in sorted(recorded.get("packages", {}).items()):
        if now.get("packages", {}).get(name) != version:
            out.append(f"{name} {now.get('packages', {}).get(name)} (recorded {version})")
    return out
