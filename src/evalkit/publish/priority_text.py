"""What the need index is made of, in words generated from the cycle's weights: the priority page and the PDF
say the same, and neither can claim an order of weights or a component the params do not have."""

from __future__ import annotations

from typing import Callable

from evalkit.publish.fmt import de, md

NUMBER_WORDS = {1: "ein", 2: "zwei", 3: "drei", 4: "vier", 5: "fünf", 6: "sechs", 7: "sieben", 8: "acht",
                9: "neun", 10: "zehn", 11: "elf", 12: "zwölf"}
CHILD_POVERTY = "kinder_sgb2_quote"
REASONS = {CHILD_POVERTY: "weil der Plan Chancengerechtigkeit für Kinder an erster Stelle nennt"}


def number_word(n: int) -> str:
    return NUMBER_WORDS.get(n, str(n))


def _list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " und " + items[-1]


def components_sentence(weights: dict[str, float], name: Callable[[str], str]) -> str:
    """'Der Index fasst fünf Anteile zusammen: A, B, …' in the order of the weights."""
    order = sorted(weights, key=lambda k: (-weights[k], k))
    return (f"Der Bedarfsindex fasst {number_word(len(order))} "
            f"{'Anteil' if len(order) == 1 else 'Anteile'} je Ortsteil zusammen "
            f"({_list([md(name(k)) for k in order])})")


def weight_rationale(weights: dict[str, float], name: Callable[[str], str]) -> str:
    """Which component counts most and by how much, from the weights themselves (an equal weighting says so)."""
    total = sum(weights.values())
    share = {k: w / total for k, w in weights.items()}
    order = sorted(weights, key=lambda k: (-weights[k], k))
    if len(set(round(w, 12) for w in weights.values())) == 1:
        text = (f"Alle {number_word(len(order))} Bestandteile zählen gleich "
                f"(je {de(100 * share[order[0]], 0)} % des Gewichts).")
    else:
        top = [k for k in order if weights[k] == weights[order[0]]]
        rest = [k for k in order if k not in top]
        lead = _list([md(name(k)) for k in top])
        if len(top) == 1:
            text = f"{lead} zählt mit {de(100 * share[top[0]], 0)} % des Gewichts am meisten"
            if top[0] in REASONS:
                text += ", " + REASONS[top[0]]
        else:
            text = f"{lead} zählen mit je {de(100 * share[top[0]], 0)} % des Gewichts am meisten"
        if rest:
            text += "; es " + ("folgen " if len(rest) > 1 else "folgt ") + _list(
                [f"{md(name(k))} ({de(100 * share[k], 0)} %)" for k in rest])
        text += "."
    return text + " Die Gewichte sind eine eigene, begründete Setzung (Parameter `priority.weights`), keine amtliche."


CAVEATS = {
    "alleinerziehende_bg_anteil": lambda name: (
        f"**{name('alleinerziehende_bg_anteil')}** ist ein Anteil *unter den SGB-II-Bedarfsgemeinschaften mit "
        "Kindern*, nicht an der Bevölkerung. Er misst, wie die Armut zusammengesetzt ist, nicht wie verbreitet sie "
        "ist, und hängt negativ mit den anderen Bestandteilen zusammen. Seine kleinen Nenner führen zu den meisten "
        "Einstufungen „nicht eingestuft“."),
    ("arbeitslose_u25", "arbeitslose_anteil"): lambda name: (
        f"**{name('arbeitslose_u25')}** und **{name('arbeitslose_anteil')}** messen fast dasselbe (sehr hohe "
        "Korrelation); zusammen wiegen sie schwerer, als ihre Gewichte vermuten lassen."),
    "migrationsanteil": lambda name: (
        f"**{name('migrationsanteil')}** beschreibt die Bevölkerung, nicht einen Bedarf; Berlins Monitoring "
        "Soziale Stadtentwicklung führt sie als Kontext, nicht im Index."),
}


def component_caveats(weights: dict[str, float], name: Callable[[str], str]) -> str:
    """The properties of the components in use that deserve a critical look, as a Markdown list ("" if none)."""
    used = set(weights)
    items = [f(lambda k: md(name(k))) for key, f in CAVEATS.items()
             if (set(key) if isinstance(key, tuple) else {key}) <= used]
    if not items:
        return ""
    head = (f"{'Eine' if len(items) == 1 else number_word(len(items)).capitalize()} "
            f"{'Eigenschaft der Bestandteile verdient' if len(items) == 1 else 'Eigenschaften der Bestandteile verdienen'}"
            " einen kritischen Blick, deshalb zeigt diese Seite Varianten:")
    return head + "\n\n" + "\n".join(f"- {i}" for i in items) + "\n"
