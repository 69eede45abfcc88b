"""environment.yml (conda-forge, for researchers) and pyproject.toml (pip) must list the same dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def names(specs):
    return {re.split(r"[<>=!~ \[]", s, maxsplit=1)[0].lower() for s in specs}


def test_environment_matches_pyproject():
    py = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_deps = names(py["dependencies"]) | names(py["optional-dependencies"]["test"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda, pip_extra = set(), set()
    for d in env["dependencies"]:
        if isinstance(d, dict):
            pip_extra |= names(x for x in d["pip"] if not x.startswith("-e"))
        else:
            conda |= names([d])
    assert "quarto" in conda
    assert (conda - {"python", "quarto", "pip"}) | pip_extra == pip_deps


def test_bounds_agree():
    py = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    bounds = {re.split(r"[<>=]", s)[0].lower(): s.split(">=")[1] for s in py["dependencies"] if ">=" in s}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    for d in env["dependencies"]:
        if isinstance(d, str) and ">=" in d and d.split(">=")[0] in bounds:
            assert d.split(">=")[1] == bounds[d.split(">=")[0]], d
