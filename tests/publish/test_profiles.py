"""The Stadtbezirk and Planungsraum profiles of the real build: one page per area across all cycles, with the
newest cycle; each cycle's column is that cycle's figure, summed from the area's Ortsteile."""

import json
import re

import pandas as pd
import pytest


def _markdown(nb_path) -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return "\n".join("".join(o.get("data", {}).get("text/markdown", "")) for c in nb["cells"]
                     for o in c.get("outputs", []))


def _raw(nb_path) -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return "".join(next(c for c in nb["cells"] if c["cell_type"] == "raw")["source"])


def _row(table: str, name: str) -> list[str]:
    line = next(x for x in table.splitlines() if x.startswith(f"| {name} ("))
    return [c.strip() for c in line.strip("|").split("|")][1:]


def test_a_planungsraum_profile_shows_every_cycle_summed_from_its_ortsteile(built_project):
    cdir = built_project / "reports/2024/profile"
    nb = cdir / "planungsraum-Gruenau.ipynb"
    assert 'title: "Planungsraum Grünau"' in _raw(nb)  # no cycle in the title: search lists the area once
    assert 'subtitle: "Profil über die Evaluationszyklen 2018, 2020, 2022, 2024"' in _raw(nb)
    text = _markdown(nb)
    table = text.split("Werte für Grünau in jedem Zyklus")[0].rsplit("| Kennzahl (Einheit)", 1)[1]
    areas = pd.read_csv(built_project / "data/areas.csv", dtype=str)
    members = set(areas.loc[areas["pr_code"] == "Gruenau", "ot_code"])
    assert len(members) == 7
    t = pd.read_csv(built_project / "data/processed/indicators.csv", dtype={"area_code": str})
    ot = t[(t["level"] == "ortsteil") & t["area_code"].isin(members)].groupby(["indicator", "year"])[
        ["numerator", "denominator"]].sum(min_count=1)

    def shown(ind, year, decimals):
        num, den = ot.loc[(ind, year), "numerator"], ot.loc[(ind, year), "denominator"]
        v = num if pd.isna(den) else 100 * num / den
        return f"{v:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".") + f" ({year})"

    # cycle 2024, 2022, 2020, 2018, each with the data of its own reference year (SGB II ends in 2022)
    assert _row(table, "Einwohner") == [shown("einwohner", y, 0) for y in (2024, 2022, 2020, 2018)]
    assert _row(table, "Kinder im SGB-II-Bezug") == [shown("kinder_sgb2_quote", y, 1)
                                                     for y in (2022, 2022, 2020, 2018)]
    assert _row(table, "Kinder im SGB-II-Bezug")[-1] == "41,8 (2018)"  # 3,087 of 7,381 children, by hand


def test_profiles_stand_with_the_newest_cycle_and_older_cycles_link_there(built_project):
    for c in ("2018", "2020", "2022"):
        assert not (built_project / "reports" / c / "profile").exists(), c
        index = (built_project / "reports" / c / "index.qmd").read_text(encoding="utf-8")
        assert "[Planungsraum Grünau](../2024/profile/planungsraum-Gruenau.ipynb)" in index, c
        assert "stehen beim neuesten Zyklus 2024" in index
    index = (built_project / "reports/2024/index.qmd").read_text(encoding="utf-8")
    assert "[Stadtbezirk Mitte](profile/stadtbezirk-0.ipynb)" in index
    assert len(re.findall(r"\]\(profile/(stadtbezirk|planungsraum)-[^)]+\.ipynb\)", index)) == 17
    # the member list links every Ortsteil page, which stand beside the profiles' folder
    text = _markdown(built_project / "reports/2024/profile/planungsraum-Gruenau.ipynb")
    assert "[Grünau-Mitte](../ortsteil/62.qmd)" in text
    assert (built_project / "reports/2024/ortsteil/62.qmd").is_file()


@pytest.mark.parametrize("stem", ["stadtbezirk-0", "planungsraum-West"])
def test_every_profile_has_four_cycle_columns_newest_first(built_project, stem):
    text = _markdown(built_project / f"reports/2024/profile/{stem}.ipynb")
    head = next(x for x in text.splitlines() if x.startswith("| Kennzahl (Einheit)"))
    assert re.findall(r"Zyklus (\d{4})", head) == ["2024", "2022", "2020", "2018"]
