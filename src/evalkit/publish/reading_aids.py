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
        if size < 0:  # printed as "kleiner um |size|": the interval of that same number
            lo, hi = -hi, -lo
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
    # the order changed only if the minority side holds for more than one year (one year can be noise)
    crossed = bool(min((gap > 0).sum(), (gap < 0).sum()) > 1)
    return {"gap_mean": float(gap.mean()), "crossed": crossed,
            "ratio_first": float(ratio[0]), "ratio_last": float(ratio[-1])}


PANDEMIC_NOTE = ("2020 stieg die Arbeitslosigkeit pandemiebedingt in der ganzen Stadt, in Gebieten mit hoher "
                 "Arbeitslosigkeit stärker: ein Sprung in diesem Jahr ist kein Maß für den Plan.")


def _interval_rule(e) -> str:
    """When the cluster interval and the permutation p disagree, say so and which rule decides: a finding counts
    as clear only when both agree."""
    clear_ci = not (e.lower <= 0 <= e.upper)
    clear_perm = e.p_perm < 0.05
    if clear_ci == clear_perm:
        return ""
    if clear_ci:
        return (" Das Intervall schließt null aus, der Permutationstest nicht (p ≥ 0,05); evalkit nennt einen "
                "Befund nur eindeutig, wenn beide übereinstimmen: hier nicht eindeutig.")
    return (" Der Permutationstest spricht gegen Zufall (p < 0,05), das Intervall schließt null aber ein; evalkit "
            "nennt einen Befund nur eindeutig, wenn beide übereinstimmen: hier nicht eindeutig.")


def its_reading_aid(name: str, rows: pd.DataFrame, post_years: list[int], plan_start: int | None = None,
                    group_labels: dict[str, str] | None = None, above: bool = True, pandemic: bool = False,
                    equal_groups: list[str] | None = None) -> str:
    """What the interrupted time series shows for one indicator, and what it does not. The terms are changes of
    the *gap* (group minus rest): a level change is a jump of the gap beyond its trend, a slope change a change
    of its yearly trend (per year). No causal wording; an interval that includes zero is inconclusive, and so is
    a term where interval and permutation p disagree. `above`: the group's rate lies above the rest's."""
    r = rows.set_index("term")

    def said(term: str, what: str, unit: str) -> str:
        e = r.loc[term]
        interval = f"95-%-Intervall {de(e.lower, 2)} bis {de(e.upper, 2)}, Permutations-p {de(e.p_perm, 3)}"
        text = f"{what}: {de(e.estimate, 2)} {unit} ({interval})"
        if e.lower <= 0 <= e.upper:
            return text + " – nicht eindeutig von null verschieden." + _interval_rule(e)
        return text + "." + _interval_rule(e)

    n_post = len(post_years)
    pre = r.loc["pre_slope_diff"]
    # the gap's size grows when the difference of the trends has the gap's sign
    widening = (pre.estimate > 0) == above
    pre_words = ("Vor dem Planstart entfernten sich die Gruppen voneinander" if widening
                 else "Vor dem Planstart näherten sich die Gruppen schon an")
    pre_words += ("" if not (pre.lower <= 0 <= pre.upper) else " (nicht eindeutig)") + "."
    plan_start = post_years[0] if plan_start is None else plan_start  # the first post year is the start
    parts = [f"{name}: Nach {plan_start} liegen {n_post} Jahr{'e' if n_post != 1 else ''} vor "
             f"({', '.join(map(str, post_years))}).",
             said("pre_slope_diff", f"Unterschied der jährlichen Trends der beiden Gruppen vor {plan_start}",
                  "Prozentpunkte pro Jahr"), pre_words,
             said("level_change", f"Sprung des Abstands {plan_start} über seinen bisherigen Trend hinaus",
                  "Prozentpunkte"),
             said("slope_change", f"Änderung des jährlichen Trends des Abstands ab {plan_start}",
                  "Prozentpunkte pro Jahr")]
    if pandemic:
        parts.append(PANDEMIC_NOTE)
    if "placebo_slope_change" in r.index:
        pl, sc = r.loc["placebo_slope_change"], r.loc["slope_change"]
        clear = not (pl.lower <= 0 <= pl.upper)
        similar = abs(pl.estimate) >= abs(sc.estimate) / 2
        if clear and similar:
            case = "eindeutig von null verschieden und mindestens halb so groß wie die Trendänderung ab " \
                   f"{plan_start}"
        elif clear:
            case = "eindeutig von null verschieden, aber kleiner als die Hälfte der Trendänderung"
        elif similar:
            case = "nicht eindeutig, aber mindestens halb so groß wie die Trendänderung"
        else:
            case = "klein und nicht eindeutig, wie erwartet"
        verdict = (" Die Daten trennen den Planstart nicht sicher von Drift." if clear or similar else "")
        parts.append(f"Placebo (vorgetäuschter Start vor {plan_start}, nur Jahre davor): {de(pl.estimate, 2)} "
                     f"Prozentpunkte pro Jahr ({de(pl.lower, 2)} bis {de(pl.upper, 2)}) – {case}.{verdict}")
    if "slope_change_without_2020_2021" in r.index:
        cv = r.loc["slope_change_without_2020_2021"]
        parts.append(f"Ohne die Pandemiejahre 2020 und 2021: {de(cv.estimate, 2)} ({de(cv.lower, 2)} bis "
                     f"{de(cv.upper, 2)}).")
    alt = [(k, r.loc[f"slope_change_{k}"]) for k in (group_labels or {}) if f"slope_change_{k}" in r.index]
    if alt:
        main = r.loc["slope_change"].estimate
        reversed_ = [k for k, a in alt if np.sign(a.estimate) != np.sign(main)]
        text = "Mit anderer Gruppenwahl: " + "; ".join(
            f"{group_labels[k]} {de(a.estimate, 2)} ({de(a.lower, 2)} bis {de(a.upper, 2)})" for k, a in alt) + ". "
        if not reversed_:
            text += "Die Richtung hängt nicht an der Gruppenwahl."
        else:
            text += (f"In {len(reversed_)} von {len(alt)} verschiedenen Gruppen kehrt sich die Richtung um ("
                     + ", ".join(group_labels[k] for k in reversed_) + "): Das Ergebnis hängt an der Wahl der Gruppe.")
        parts.append(text)
    if equal_groups:
        parts.append("Nicht mitgezählt, weil dieselben Ortsteile wie die Evaluationsgruppe: "
                     + ", ".join(equal_groups) + ".")
    parts.append("Der Vergleich beschreibt Entwicklungen; er zeigt nicht, ob der Plan sie verursacht hat.")
    return " ".join(parts)


def logit_check(linear: pd.DataFrame, logit: pd.DataFrame, names: dict[str, str]) -> str:
    """Whether the count model (logit) gives the gap's trend the same direction as the linear model, period by
    period — said for each case where it does not, instead of a blanket "confirms"."""
    a = linear[linear["group"] == "abstand"].set_index(["indicator", "period"])["slope"]
    b = logit[logit["group"] == "abstand"].set_index(["indicator", "period"])["slope"]
    both = pd.concat([a.rename("lin"), b.rename("logit")], axis=1).dropna()
    if both.empty:
        return ""
    differ = both[np.sign(both["lin"].round(3)) != np.sign(both["logit"].round(3))]
    if differ.empty:
        return (f"Das logistische Modell auf den Zählungen gibt dem Abstand in allen {len(both)} Zeiträumen die "
                "gleiche Richtung wie das lineare Modell.")
    cases = "; ".join(f"{names.get(i, i)} {p}: linear {de(r.lin, 3)} Prozentpunkte pro Jahr, logistisch "
                      f"{de(r.logit, 3)} (log-Odds pro Jahr)" for (i, p), r in differ.iterrows())
    return (f"Das logistische Modell auf den Zählungen gibt dem Abstand in {len(both) - len(differ)} von "
            f"{len(both)} Zeiträumen die gleiche Richtung wie das lineare Modell; nicht in: {cases}. Dort ändern "
            "sich absoluter Abstand (Prozentpunkte) und relativer Abstand (Odds) gegenläufig; die Richtung hängt "
            "also am Maß.")
