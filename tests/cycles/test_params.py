"""Cycle parameter files: the four shipped cycles validate; each kind of bad file names the file and the key."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from evalkit.cycles.params import effective_year, load_cycle, load_cycles
from evalkit.errors import ParamsError
from evalkit.indicators.catalogue import load_catalogue

REPO = Path(__file__).resolve().parents[2]
CAT = load_catalogue(REPO / "data" / "indicators.yaml")
TABLE = pd.DataFrame({"indicator": ["kinder_sgb2_quote"] * 3 + ["migrationsanteil"] * 2 + ["einwohner"] * 2,
                      "year": [2020, 2021, 2022, 2022, 2023, 2008, 2024]})


def test_shipped_cycles_validate():
    cycles = load_cycles(REPO / "params", CAT, TABLE)
    assert sorted(cycles) == [2018, 2020, 2022, 2024]
    assert cycles[2018].compare_with is None and cycles[2024].compare_with == 2022


def bad(tmp_path, change, name="cycle-2022.yaml"):
    raw = yaml.safe_load((REPO / "params" / "cycle-2022.yaml").read_text(encoding="utf-8"))
    change(raw)
    p = tmp_path / name
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return p


@pytest.mark.parametrize("change,needle", [
    (lambda r: r.update(colour="red"), "key 'colour': unknown key"),
    (lambda r: r["indicators"].append("kinderglueck"), "key 'indicators': unknown indicator id 'kinderglueck'"),
    (lambda r: r.update(reference_year=2031), "key 'reference_year': 2031 is outside the data (2020–2024)"),
    (lambda r: r.update(compare_with=2016), "key 'compare_with': cycle 2016 does not exist"),
    (lambda r: r.update(reference_year="zweitausend"), "key 'reference_year'"),
    (lambda r: r["priority"].update(weights={"foo": 1.0}) if "priority" in r else r.update(
        priority={"weights": {"foo": 1.0}}), "key 'priority.weights': unknown indicator id 'foo'"),
])
def test_bad_params_name_file_and_key(tmp_path, change, needle):
    p = bad(tmp_path, change)
    with pytest.raises(ParamsError) as e:
        load_cycle(p, CAT, (2020, 2024), {2018, 2020, 2022, 2024})
    assert str(p) in str(e.value) and needle in str(e.value)


def test_cycle_must_match_file_name(tmp_path):
    p = bad(tmp_path, lambda r: None, name="cycle-2026.yaml")
    with pytest.raises(ParamsError, match="key 'cycle': 2022 does not match the file name"):
        load_cycle(p, CAT, (2020, 2024), {2022, 2026})


def test_effective_year_falls_back_to_latest_available():
    assert effective_year(TABLE, "kinder_sgb2_quote", 2024) == 2022
    assert effective_year(TABLE, "migrationsanteil", 2024) == 2023
    assert effective_year(TABLE, "kinder_sgb2_quote", 2021) == 2021
    assert effective_year(TABLE, "migrationsanteil", 2019) is None


KNOWN = [2018, 2020, 2022, 2024]


def test_a_partial_weight_override_keeps_the_other_defaults(tmp_path):
    """`priority: {weights: {migrationsanteil: 0}}` switches one component off; it used to replace all of them."""
    p = load_cycle(bad(tmp_path, lambda r: r.update(priority={"weights": {"migrationsanteil": 0}})), CAT,
                   (2000, 2024), KNOWN)
    assert p.priority.weights == {"kinder_sgb2_quote": 0.35, "alleinerziehende_bg_anteil": 0.2,
                                  "arbeitslose_anteil": 0.15, "arbeitslose_u25": 0.15}
    p = load_cycle(bad(tmp_path, lambda r: r.update(priority={"weights": {"arbeitslose_u25": 0.5}})), CAT,
                   (2000, 2024), KNOWN)
    assert p.priority.weights["arbeitslose_u25"] == 0.5 and len(p.priority.weights) == 5


@pytest.mark.parametrize("priority,needle", [
    ({"weights": {k: 0 for k in ["kinder_sgb2_quote", "alleinerziehende_bg_anteil", "arbeitslose_anteil",
                                 "arbeitslose_u25", "migrationsanteil"]}}, "every weight is 0"),
    ({"weights": {"arbeitslose_u25": -0.2}}, "negative"),
    ({"weights": {"arbeitslose_u25": float("nan")}}, "not a finite number"),
    ({"weights": {"arbeitslose_u25": float("inf")}}, "not a finite number"),
    ({"top_k": 0}, "key 'priority.top_k'"),
    ({"top_k": 500}, "key 'priority.top_k'"),
    ({"window": 40}, "key 'priority.window'"),
    ({"perturbations": -5}, "key 'priority.perturbations'"),
    ({"min_denominator": -1}, "key 'priority.min_denominator'"),
])
def test_settings_that_cannot_be_true_are_refused(tmp_path, priority, needle):
    with pytest.raises(ParamsError, match=needle):
        load_cycle(bad(tmp_path, lambda r: r.update(priority=priority)), CAT, (2000, 2024), KNOWN)


def test_an_evaluation_group_from_the_period_it_judges_is_refused(tmp_path):
    with pytest.raises(ParamsError, match="taken from the period it judges"):
        load_cycle(bad(tmp_path, lambda r: r.update(evaluation={"group_from_cycle": 2022})), CAT, (2000, 2024),
                   KNOWN)
