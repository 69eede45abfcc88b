"""Restricted inputs: used when present, validated, never published unprotected."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evalkit.acquire.areas import load_areas
from evalkit.acquire.restricted import load_hze, synthetic_hze
from evalkit.cycles.params import load_cycle
from evalkit.errors import DataError, ParamsError
from evalkit.indicators.catalogue import load_catalogue
from evalkit.indicators.pipeline import build_indicators
from evalkit.paths import Project
from evalkit.publish.pages import cycle_table

REPO = Path(__file__).resolve().parents[2]
AREAS = load_areas(REPO / "data" / "areas.csv")


def test_restricted_file_feeds_the_indicator(fetched_project, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(fetched_project, root)
    (root / "data/restricted").mkdir()
    hze = synthetic_hze(AREAS, [2021, 2022], seed=3)
    hze.to_csv(root / "data/restricted/hze.csv", index=False)
    res = build_indicators(Project(root))
    t = res.indicators[res.indicators.indicator == "hze_je_1000_u21"]
    assert set(t.level) == {"ortsteil", "stadtbezirk", "planungsraum", "stadt"}
    row = hze[(hze.ot_code == "21") & (hze.year == 2022)].iloc[0]
    got = t[(t.level == "ortsteil") & (t.area_code == "21") & (t.year == 2022)].iloc[0]
    assert got.value == pytest.approx(1000 * row.hze_faelle / row.einwohner_unter21, abs=1e-6)
    city = t[(t.level == "stadt") & (t.year == 2022)].iloc[0]
    y22 = hze[hze.year == 2022]
    assert city.value == pytest.approx(1000 * y22.hze_faelle.sum() / y22.einwohner_unter21.sum(), abs=1e-6)
    cat = load_catalogue(REPO / "data/indicators.yaml")
    p = load_cycle(REPO / "params/cycle-2022.yaml", cat, (2000, 2024), {2018, 2020, 2022, 2024})
    p.indicators.append("hze_je_1000_u21")  # even if someone lists it, downloads leave it out
    assert "hze_je_1000_u21" not in set(cycle_table(res.indicators, p, {"hze_je_1000_u21"}).indicator)


def test_without_restricted_file_there_is_no_restricted_indicator(fetched_project):
    t = pd.read_csv(fetched_project / "data/processed/indicators.csv")
    assert "hze_je_1000_u21" not in set(t.indicator)


def test_bad_restricted_file_names_line(tmp_path):
    hze = synthetic_hze(AREAS, [2022], seed=3)
    hze.loc[5, "hze_faelle"] = -1
    p = tmp_path / "hze.csv"
    hze.to_csv(p, index=False)
    with pytest.raises(DataError, match=r"hze\.csv: record line 7: column 'hze_faelle'"):
        load_hze(p, AREAS)


def test_restricted_indicator_cannot_be_mapped(tmp_path):
    raw = yaml.safe_load((REPO / "params/cycle-2022.yaml").read_text(encoding="utf-8"))
    raw["map_indicators"].append("hze_je_1000_u21")
    p = tmp_path / "cycle-2022.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError, match="'hze_je_1000_u21' is restricted"):
        load_cycle(p, load_catalogue(REPO / "data/indicators.yaml"), (2000, 2024), {2020, 2022})


def test_attack_restricted_indicator_in_the_need_index_weights(fetched_project, tmp_path):
    """The issue's attack: hze.csv present and `hze_je_1000_u21: 0.3` in the weights of cycle 2024."""
    import subprocess
    import sys

    root = tmp_path / "p"
    shutil.copytree(fetched_project, root)
    (root / "data/restricted").mkdir()
    synthetic_hze(AREAS, range(2018, 2024), seed=3).to_csv(root / "data/restricted/hze.csv", index=False)
    build_indicators(Project(root))
    p = root / "params/cycle-2024.yaml"
    raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    raw["priority"] = {"weights": {"hze_je_1000_u21": 0.3, "kinder_sgb2_quote": 0.7}}
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "evalkit", "--root", str(root), "run", "--cycle", "2024",
                        "--no-progress"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "key 'priority.weights': 'hze_je_1000_u21' is restricted" in r.stderr
    assert not (root / "reports/2024/tabellen/bedarfsindex.csv").exists()


def test_notebooks_see_public_indicators_only_and_tables_pass_the_gate(fetched_project, tmp_path):
    from evalkit.analyses.cycle import hze_table
    from evalkit.cycles.context import load_context, save_table
    from evalkit.errors import DisclosureError

    root = tmp_path / "p"
    shutil.copytree(fetched_project, root)
    (root / "data/restricted").mkdir()
    synthetic_hze(AREAS, [2021, 2022], seed=1).to_csv(root / "data/restricted/hze.csv", index=False)
    build_indicators(Project(root))
    assert "hze_je_1000_u21" in set(pd.read_csv(root / "data/processed/indicators.csv").indicator)
    ctx = load_context(root, 2022, tmp_path / "out")
    assert "hze_je_1000_u21" not in set(ctx.indicators.indicator)
    leak = pd.read_csv(root / "data/processed/indicators.csv", dtype={"area_code": str})
    with pytest.raises(DisclosureError, match="would publish restricted data: hze_je_1000_u21"):
        save_table(ctx, leak[leak.indicator == "hze_je_1000_u21"], "leak.csv")
    protected = hze_table(ctx)
    # the notebook receives no raw count at all: only the published text (and which cells are hidden)
    assert "value" not in protected.columns and set(protected["published"].map(type)) == {str}
    save_table(ctx, protected[["cell", "level", "area_code", "published", "year"]], "hze_geschuetzt.csv")
    assert (tmp_path / "out/hze_geschuetzt.csv").is_file()
    raw = pd.DataFrame({"restricted:hze_faelle": [3.0]})
    with pytest.raises(DisclosureError):
        save_table(ctx, raw, "raw.csv")
    # the bypass that DataFrame.attrs allowed: restricted data merged or concatenated with a public table (both
    # drop attrs) is still refused, because the gate reads names, not attrs
    from evalkit.acquire.restricted import load_restricted_dir

    counts = load_restricted_dir(root / "data/restricted", AREAS).reset_index()
    public = ctx.indicators[ctx.indicators.level == "ortsteil"][["area_code", "year", "value"]]
    merged = public.merge(counts.rename(columns={"ot_code": "area_code"}), on=["area_code", "year"])
    assert not merged.attrs
    with pytest.raises(DisclosureError, match="restricted:hze_faelle"):
        save_table(ctx, merged, "merged.csv")
    stacked = pd.concat([public, counts.rename(columns={"ot_code": "area_code"})])
    with pytest.raises(DisclosureError, match="restricted"):
        save_table(ctx, stacked, "stacked.csv")


@pytest.mark.parametrize("edit, needle", [
    (lambda df: df.assign(hze_faelle=df.hze_faelle.astype(float)).pipe(lambda d: d.assign(
        hze_faelle=[18.5] + list(d.hze_faelle[1:]))), "whole number"),
    (lambda df: df[~((df.ot_code == "21") & (df.year == 2022))], "year 2022 has no row for Ortsteil 21"),
    (lambda df: df.iloc[0:0], "no rows"),
])
def test_restricted_input_that_cannot_be_true_is_refused(tmp_path, edit, needle):
    hze = edit(synthetic_hze(AREAS, [2021, 2022], seed=3))
    p = tmp_path / "hze.csv"
    hze.to_csv(p, index=False)
    with pytest.raises(DataError, match=needle):
        load_hze(p, AREAS)


def test_empty_restricted_file_is_named(tmp_path):
    p = tmp_path / "hze.csv"
    p.write_text("")
    with pytest.raises(DataError, match="hze.csv: the file is empty"):
        load_hze(p, AREAS)


def test_a_table_too_sparse_to_protect_is_not_published():
    import numpy as np

    from evalkit.analyses.disclosure import protected_table
    from evalkit.errors import DisclosureError

    rng = np.random.default_rng(16)  # a sparse table: 80 % zeros (published), a few small counts
    counts = pd.Series(np.where(rng.random(63) < 0.8, 0, rng.integers(1, 6, 63)), index=AREAS["ot_code"])
    with pytest.raises(DisclosureError, match="cannot be protected"):
        protected_table(counts, AREAS)


def test_restricted_data_only_after_the_reference_year_is_withheld_with_a_reason(fetched_project, tmp_path):
    from evalkit.analyses.cycle import hze_table
    from evalkit.cycles.context import load_context
    from evalkit.errors import DisclosureError

    root = tmp_path / "p"
    shutil.copytree(fetched_project, root)
    (root / "data/restricted").mkdir()
    synthetic_hze(AREAS, [2023, 2024], seed=3).to_csv(root / "data/restricted/hze.csv", index=False)
    with pytest.raises(DisclosureError, match="no year up to the reference year 2022 .the file starts in 2023"):
        hze_table(load_context(root, 2022, tmp_path / "out"))


def test_unwritable_output_is_a_clear_error(tmp_path):
    from evalkit.errors import EvalkitError
    from evalkit.fileio import write_table

    blocker = tmp_path / "tabellen"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(EvalkitError, match=r"tabellen/x.csv: cannot write"):
        write_table(blocker / "x.csv", pd.DataFrame({"a": [1]}))
