"""The index's make-up in words follows the weights: leader, shares, number of components and caveats."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.cycles.params import DEFAULT_WEIGHTS
from evalkit.publish.priority_text import component_caveats, components_sentence, number_word, weight_rationale

NAMES = {"kinder_sgb2_quote": "Kinder im SGB-II-Bezug", "alleinerziehende_bg_anteil": "Alleinerziehende",
         "arbeitslose_anteil": "Arbeitslose", "arbeitslose_u25": "Arbeitslose unter 25",
         "migrationsanteil": "Migrationshintergrund"}


def test_the_default_weights_in_words():
    text = weight_rationale(DEFAULT_WEIGHTS, NAMES.get)
    assert text.startswith("Kinder im SGB-II-Bezug zählt mit 35 % des Gewichts am meisten, weil der Plan")
    assert "Alleinerziehende (20 %)" in text and "Migrationshintergrund (15 %)" in text
    assert components_sentence(DEFAULT_WEIGHTS, NAMES.get).startswith("Der Bedarfsindex fasst fünf Anteile")
    assert component_caveats(DEFAULT_WEIGHTS, NAMES.get).startswith("Drei Eigenschaften")


def test_moved_weights_move_the_words():
    w = dict(DEFAULT_WEIGHTS, arbeitslose_anteil=0.5)
    text = weight_rationale(w, NAMES.get)
    assert text.startswith("Arbeitslose zählt mit") and "weil der Plan" not in text  # the reason is the leader's
    assert weight_rationale({"arbeitslose_anteil": 1, "migrationsanteil": 1}, NAMES.get).startswith(
        "Alle zwei Bestandteile zählen gleich (je 50 %")
    only = {"migrationsanteil": 1.0, "kinder_sgb2_quote": 2.0}
    caveats = component_caveats(only, NAMES.get)
    assert caveats.startswith("Eine Eigenschaft") and "Alleinerziehende" not in caveats
    assert component_caveats({"kinder_sgb2_quote": 1.0}, NAMES.get) == ""


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(NAMES)), st.integers(1, 20), min_size=1))
def test_the_named_leader_is_the_largest_weight_and_shares_are_the_weights(w):
    text = weight_rationale(w, NAMES.get)
    total = sum(w.values())
    top = max(w.values())
    leaders = [k for k, v in w.items() if v == top]
    if len(set(w.values())) > 1:
        assert all(NAMES[k] in text.split(" am meisten")[0] for k in leaders)
        for k, v in w.items():  # every share printed is the weight's share, rounded
            assert f"{round(100 * v / total + 1e-9):d} %" in text.replace(".", "") or f"{100 * v / total:.0f} %" in text
    n = len(w)
    assert f"fasst {number_word(n)} " in components_sentence(w, NAMES.get)
    assert len(re.findall(r"^- ", component_caveats(w, NAMES.get), flags=re.M)) == sum(
        [("alleinerziehende_bg_anteil" in w), ("arbeitslose_u25" in w and "arbeitslose_anteil" in w),
         ("migrationsanteil" in w)])
