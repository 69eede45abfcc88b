"""Reading aids: plain German sentences that say what a trend table shows, and no more."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.publish.fmt import de


def reading_aid(name: str, rows: pd.DataFrame) -> str:
    """A plain German sentence per period: how the rate moved in the priority areas, the rest, and the gap."""
    parts = []
    for period, r in rows.groupby("period", sort=True):
        g = r.set_index("group")
        sp, ub, ab = g.loc["schwerpunkt"], g.loc["uebrige"], g.loc["abstand"]

        def verb(v):
            return "stieg" if v > 0 else "sank"

        sig = ab.lower > 0 or ab.upper < 0
        direction = "wuchs" if ab.slope > 0 else "schrumpfte"
        subject = name[:1].upper() + name[1:]
        parts.append(
            f"{period}: {subject} {verb(sp.slope)} in der Evaluationsgruppe um {de(abs(sp.slope), 2)} Prozentpunkte "
            f"pro Jahr (95-%-Intervall {de(sp.lower, 2)} bis {de(sp.upper, 2)}), im übrigen Stadtgebiet "
            f"{'ebenfalls ' if np.sign(sp.slope) == np.sign(ub.slope) else ''}um {de(abs(ub.slope), 2)} "
            f"({de(ub.lower, 2)} bis {de(ub.upper, 2)}). Der Abstand {direction} um {de(abs(ab.slope), 2)} "
            f"Prozentpunkte pro Jahr ({de(ab.lower, 2)} bis {de(ab.upper, 2)}) – "
            + ("das Intervall schließt null aus." if sig else "das Intervall schließt null ein: kein gesicherter "
               "Unterschied zwischen den Entwicklungen."))
    return "\n\n".join(parts)


def its_reading_aid(name: str, rows: pd.DataFrame, post_years: list[int], plan_start: int = 2020) -> str:
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
    parts.append("Der Vergleich beschreibt Entwicklungen; er zeigt nicht, ob der Plan sie verursacht hat.")
    return " ".join(parts)
