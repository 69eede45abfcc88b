"""Notebook templates: stored as text (jupytext), each with a cell tagged `parameters`, narrating, not computing."""

from pathlib import Path

import jupytext
import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((REPO / "notebooks").glob("*.py"))


def test_templates_exist():
    assert {p.stem for p in TEMPLATES} >= {"uebersicht", "ortsteile", "datenqualitaet", "profil"}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_template_has_parameters_and_no_outputs(path):
    nb = jupytext.read(path)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert "project_root" in tagged[0].source and "output_dir" in tagged[0].source
    assert nb.cells[0].cell_type == "raw" and "title:" in nb.cells[0].source
    # logic lives in the package: no long function definitions in notebooks
    for c in nb.cells:
        assert "def " not in c.source or len(c.source.splitlines()) < 8, c.source[:80]
