"""Reading aids: plain German sentences that say what a trend table shows, and no more."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.publish.fmt import de


def _change(v: float, unit: str, pronoun: str = "") -> str:
    """Every clause its own verb (and subject); a change that rounds to zero is "blieb unverändert", never
    "um 0,00"."""
    who = f" {pronoun}" if pronoun else ""
    if round(abs(v), 2) == 0:
        return f"blieb{who} unverändert"
    return f"{'stieg' if v > 0 else 'sank'}{who} um {de(abs(v), 2)} {unit}"


def reading_aid(name: str, rows: pd.DataFrame, series: pd.DataFrame | None = None) -> str:
    """Per period: how the rate moved in the evaluation group and in the rest of the city (each clause with its
    own verb), and how the *size* of the gap moved, whichever group lies above. With the group series (year,
    group, value) it also gives the ratio of the rates and says when the absolute and the relative gap move in
    opposite directions."""
    parts = []
    for period, r in rows.groupby("period", sort=True):
        g = r.set_index("group")
        sp, ub, ab = g.loc["schwerpunkt"], g.loc["uebrige"], g.loc["abstand"]
        subject = name[:1].upper() + name[1:]
        text = (f"{period}: {subject} {_change(sp.slope, 'Prozentpunkte pro Jahr')} in der Evaluationsgruppe "
                f"(95-%-Intervall {de(sp.lower, 2)} bis {de(sp.upper, 2)}); im übrigen Stadtgebiet "
                f"{_change(ub.slope, 'Prozentpunkte pro Jahr', 'er')} ({de(ub.lower, 2)} bis {de(ub.upper, 2)}).")
        first, last = (int(y) for y in str(period).split("–"))
        level = _levels(series, first, last) if series is not None else None
        sign = 1.0 if level is None or level["gap_mean"] >= 0 else -1.0  # the gap's size: |group − rest|
        size = sign * ab.slope
        lo, hi = sorted((sign * ab.lower, sign * ab.upper))
        where = "" if level is None else ("Die Evaluationsgruppe liegt über dem übrigen Stadtgebiet. "
                                          if sign > 0 else "Die Evaluationsgruppe liegt unter dem übrigen "
                                                           "Stadtgebiet. ")
        if round(abs(size), 2) == 0:
            gap = "Der Abstand blieb unverändert"
        else:
            gap = f"Der Abstand wurde um {de(abs(size), 2)} Prozentpunkte pro Jahr {'größer' if size > 0 else 'kleiner'}"
        sure = ("das Intervall schließt null aus." if lo > 0 or hi < 0 else
                "das Intervall schließt null ein: kein gesicherter Unterschied zwischen den Entwicklungen.")
        text += f" {where}{gap} ({de(lo, 2)} bis {de(hi, 2)}) – {sure}"
        if level is not None and level["crossed"]:
            text += " Im Zeitraum tauschten die Gruppen ihre Reihenfolge."
        if level is not None and np.isfinite(level["ratio_first"]) and np.isfinite(level["ratio_last"]):
            text += (f" Im Verhältnis: das {de(level['ratio_first'], 2)}-fache {first}, das "
                     f"{de(level['ratio_last'], 2)}-fache {last}.")
            rel_up = abs(level["ratio_last"] - 1) > abs(level["ratio_first"] - 1)
            if round(abs(size), 2) > 0 and rel_up != (size > 0):
                text += (" Absoluter und relativer Abstand entwickeln sich gegenläufig: beide Angaben sind richtig, "
                         "sie messen Verschiedenes.")
        parts.append(text)
    return "\n\n".join(parts)


def _levels(series: pd.DataFrame, first: int, last: int) -> dict | None:
    """The gap's mean sign, whether it changed sign, and the ratio of the two groups' rates at both ends."""
    w = series[series["year"].between(first, last)].pivot(index="year", columns="group", values="value")
    if not {"schwerpunkt", "uebrige"} <= set(w.columns) or w.empty:
        return None
    gap = w["schwerpunkt"] - w["uebrige"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (w["schwerpunkt"] / w["uebrige"]).to_numpy(float)
    return {"gap_mean": float(gap.mean()), "crossed": bool((gap > 0).any() and (gap < 0).any()),
            "ratio_first": float(ratio[0]), "ratio_last": float(ratio[-1])}


def its_reading_aid(name: str, rows: pd.DataFrame, post_years: list[int], plan_start: int = 2020,
                    group_labels: dict[str, str] | None = None) -> str:
    """What the interrupted time series shows for one indicator, and what it does not: no causal wording; an
    interval that includes zero is inconclusive; the placebo and the permutation p say how much to trust it."""
    r = rows.set_index("term")

    def said(term: str, what: str) -> str:
        e = r.loc[term]
        interval = f"95-%-Intervall {de(e.lower, 2)} bis {de(e.upper, 2)}, Permutations-p {de(e.p_perm, 3)}"
        if e.lower <= 0 <= e.upper:
            return f"{what}: {de(e.estimate, 2)} Prozentpunkte ({interval}) – nicht eindeutig von null verschieden"
        direction = "niedriger" if e.estimate < 0 else "höher"
        return f"{what}: {de(e.estimate, 2)} Prozentpunkte, also {direction} als im übrigen Stadtgebiet ({interval})"

    n_post = len(post_years)
    parts = [f"{name}: Nach {plan_start} liegen {n_post} Jahr{'e' if n_post != 1 else ''} vor "
             f"({', '.join(map(str, post_years))}).",
             said("pre_slope_diff", "Unterschied der jährlichen Trends schon vor " + str(plan_start)) + ".",
             said("level_change", f"Sprung der Evaluationsgruppe {plan_start} gegenüber dem übrigen Stadtgebiet")
             + ".",
             said("slope_change", f"Änderung ihres jährlichen Trends ab {plan_start} gegenüber dem übrigen "
                                  "Stadtgebiet") + "."]
    if "placebo_slope_change" in r.index:
        pl = r.loc["placebo_slope_change"]
        big = abs(pl.estimate) >= abs(r.loc["slope_change"].estimate) / 2 or not (pl.lower <= 0 <= pl.upper)
        parts.append(f"Placebo (vorgetäuschter Start vor {plan_start}, nur Jahre davor): {de(pl.estimate, 2)} "
                     + ("– ähnlich groß oder eindeutig: die Daten trennen den Planstart nicht sicher von Drift."
                        if big else "– klein und nicht eindeutig, wie erwartet."))
    if "slope_change_without_2020_2021" in r.index:
        cv = r.loc["slope_change_without_2020_2021"]
        parts.append(f"Ohne die Pandemiejahre 2020 und 2021: {de(cv.estimate, 2)} ({de(cv.lower, 2)} bis "
                     f"{de(cv.upper, 2)}).")
    alt = [(k, r.loc[f"slope_change_{k}"]) for k in (group_labels or {}) if f"slope_change_{k}" in r.index]
    if alt:
        main = r.loc["slope_change"].estimate
        same = [k for k, a in alt if np.sign(a.estimate) == np.sign(main)]
        parts.append("Mit anderer Gruppenwahl: " + "; ".join(
            f"{group_labels[k]} {de(a.estimate, 2)} ({de(a.lower, 2)} bis {de(a.upper, 2)})" for k, a in alt) + ". "
            + ("Die Richtung hängt nicht an der Gruppenwahl." if len(same) == len(alt) else
               f"In {len(alt) - len(same)} von {len(alt)} Varianten kehrt sich die Richtung um: Das Ergebnis hängt "
               "an der Wahl der Gruppe."))
    parts.append("Der Vergleich beschreibt Entwicklungen; er zeigt nicht, ob der Plan sie verursacht hat.")
    return " ".join(parts)
