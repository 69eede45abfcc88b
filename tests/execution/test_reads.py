"""A notebook re-executes exactly when a file it read changed: each notebook records the inputs it opened,
listed or looked up (an audit hook in its kernel), and `evalkit run` compares those files, not all of data/."""

from __future__ import annotations

import json

import pytest

from evalkit.execution.runner import run_cycles
from evalkit.paths import Project


def quiet(*_a, **_k):
    pass


def _edit(path):
    path.write_bytes(path.read_bytes() + b"\n")


def _reads(root, cycle=2024) -> dict[str, set[str]]:
    from evalkit.execution.runner import STATE

    state = json.loads((root / "reports" / str(cycle) / STATE).read_text(encoding="utf-8"))
    return {f"{cycle}/{k}": set(v["reads"]) for k, v in state.items()}


def _readers(reads: dict[str, set[str]], path: str) -> set[str]:
    return {nb for nb, r in reads.items() if path in r or any(e.endswith("/") and path.startswith(e) for e in r)}


def _restricted(root):
    """A valid restricted HzE file for 2022: 5 cases per Ortsteil among 1,000 under 21."""
    import pandas as pd

    codes = pd.read_csv(root / "data/areas.csv", dtype={"ot_code": str})["ot_code"]
    (root / "data/restricted").mkdir(exist_ok=True)
    (root / "data/restricted/hze.csv").write_text(
        "ot_code,year,hze_faelle,einwohner_unter21\n" + "".join(f"{c},2022,5,1000\n" for c in codes),
        encoding="utf-8")


CHANGES = {
    # hand-known readers: only the measures page reads the register of stated figures (and the report follows
    # every page of its cycle that ran, because it reads their tables)
    "measures": ("data/measures/measures.csv", lambda r: _edit(r / "data/measures/measures.csv"),
                 lambda ex: ex == {"2024/massnahmen.ipynb", "2024/bericht.ipynb"}),
    # the restricted HzE file appears: the pages that looked for it (the measures page), no profile page
    "restricted file added": ("data/restricted/hze.csv", lambda r: _restricted(r),
        lambda ex: "2024/massnahmen.ipynb" in ex and not any("/profile/" in x for x in ex)),
    "index method": ("data/index_methods/ikjhp.yaml", lambda r: _edit(r / "data/index_methods/ikjhp.yaml"),
                     lambda ex: "2024/schwerpunktraeume.ipynb" in ex and "2024/datenqualitaet.ipynb" not in ex),
    "reference list": ("data/reference/schwerpunktraeume.csv",
                       lambda r: _edit(r / "data/reference/schwerpunktraeume.csv"),
                       lambda ex: "2024/schwerpunktraeume.ipynb" in ex and not any("/profile/" in x for x in ex)),
    "catalogue": ("data/indicators.yaml", lambda r: _edit(r / "data/indicators.yaml"), lambda ex: len(ex) == 25),
}


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_exactly_the_notebooks_that_read_an_input_re_execute(built_copy, kind):
    path, change, expected = CHANGES[kind]
    project = Project(built_copy)
    before = _reads(built_copy)
    change(built_copy)
    report = run_cycles(project, ["2024"], progress=False, log=quiet)
    executed = set(report.executed)
    assert report.ok and expected(executed), (kind, sorted(executed))
    if (built_copy / path).exists() and kind != "restricted file added":
        # no more, no fewer than the recorded readers, and the cycle's report after them
        assert executed == _readers(before, path) | {"2024/bericht.ipynb"}, kind
    again = run_cycles(project, ["2024"], progress=False, log=quiet)
    assert again.executed == [], kind  # the new state is recorded: nothing left to do


def test_every_notebook_records_what_it_read(built_project):
    reads = _reads(built_project)
    assert len(reads) == 25
    for nb, r in reads.items():
        assert "data/processed/indicators.csv" in r and "data/indicators.yaml" in r, nb
        assert all(e.startswith("data/") for e in r), nb  # params count through the fingerprint
    assert "data/restricted/hze.csv" in reads["2024/massnahmen.ipynb"]  # looked for, although absent
    assert "data/measures/measures.csv" not in reads["2024/uebersicht.ipynb"]
