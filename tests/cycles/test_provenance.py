"""Every kind of input counts: changing (or deleting) any file a notebook can read changes the input hashes,
so the notebooks re-execute instead of publishing what the old file said."""

from __future__ import annotations

import shutil

import pytest

from evalkit.cycles.provenance import input_hashes
from evalkit.paths import Project


@pytest.fixture
def project(fetched_project, tmp_path) -> Project:
    root = tmp_path / "proj"
    shutil.copytree(fetched_project, root)
    (root / "data/restricted").mkdir(exist_ok=True)
    (root / "data/restricted/hze.csv").write_text("ot_code,year,hze_faelle,einwohner_unter21\n00,2022,5,100\n",
                                                  encoding="utf-8")
    return Project(root)


def _edit(path):
    path.write_bytes(path.read_bytes() + b"\n")


KINDS = {
    "raw source": lambda r: _edit(sorted((r / "data/raw/api").rglob("*.json"))[0]),
    "catalogue": lambda r: _edit(r / "data/indicators.yaml"),
    "areas": lambda r: _edit(r / "data/areas.csv"),
    "index method (class bands)": lambda r: _edit(r / "data/index_methods/ikjhp.yaml"),
    "restricted file corrected": lambda r: _edit(r / "data/restricted/hze.csv"),
    "restricted file deleted": lambda r: (r / "data/restricted/hze.csv").unlink(),
    "measures": lambda r: _edit(sorted((r / "data/measures").iterdir())[0]),
    "reference list": lambda r: _edit(sorted((r / "data/reference").iterdir())[0]),
    "name corrections": lambda r: _edit(r / "data/name_corrections.csv"),
    "processed table": lambda r: _edit(r / "data/processed/indicators.csv"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_of_input_changes_the_fingerprint(project, kind):
    before = input_hashes(project)
    KINDS[kind](project.root)
    after = input_hashes(project)
    assert before != after, kind


def test_refetching_identical_bytes_changes_nothing(project):
    before = input_hashes(project)
    manifest = project.raw / "MANIFEST.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("20", "20", 1) + " ", encoding="utf-8")
    assert input_hashes(project) == before


def test_environment_differences_are_named():
    from evalkit.cycles.provenance import environment_differences

    rec = {"python": "3.11.7", "lock_sha256": "a", "packages": {"pandas": "3.0.0", "numpy": "2.2.0"}}
    now = {"python": "3.11.7", "lock_sha256": "b", "packages": {"pandas": "3.0.1", "numpy": "2.2.0"}}
    assert environment_differences(rec, now) == ["requirements.lock differs from the one the cycle was computed with",
                                                 "pandas 3.0.1 (recorded 3.0.0)"]
    assert environment_differences(rec, rec) == []


def test_the_lock_pins_every_installed_package_with_hashes():
    """requirements.lock (used by ./tasks) pins each package of the tested environment, each with a hash."""
    from importlib import metadata

    from tests.conftest import REPO

    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    pins = {}
    for line in text.splitlines():
        if line and not line.startswith((" ", "#", "-")) and "==" in line:
            name, version = line.split(" ")[0].split("==")
            pins[name.lower().replace("_", "-")] = version
    assert text.count("--hash=sha256:") >= len(pins) > 100
    for dist in ("pandas", "numpy", "statsmodels", "papermill", "pydantic"):
        assert pins[dist] == metadata.version(dist), dist
