"""The finding for the committee, in tables and sentences generated from the numbers they describe: "Befund auf
einen Blick" (cycle page, trends page and page 1 of the PDF's summary take it from here, so the words are the
same), the benchmark of groups chosen the same way without a plan, the comparison designs, the multiple-testing
family and the decomposition of rate changes. No causal wording anywhere: the design cannot carry it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.analyses.evaluation import BENCH_STRONGER, against_benchmark
from evalkit.publish.fmt import de, md, md_table

BEFUND_COLUMNS = ["goal", "indicator", "name", "gap_start", "year_start", "gap_last", "year_last", "change",
                  "ratio_start", "ratio_last", "sdid", "sdid_lower", "sdid_upper", "benchmark", "as_good",
                  "n_benchmark", "sentence"]
PANDEMIC = ("arbeitslose_anteil", "arbeitslose_u25")
NO_CAUSE = ("Die Tabelle beschreibt Entwicklungen; ob der Plan sie verursacht hat, kann dieser Vergleich nicht "
            "zeigen. Nicht öffentlich und daher nicht enthalten: Hilfen zur Erziehung, Bildungserfolge und "
            "Angebote der Jugendarbeit je Ortsteil.")


def _round(v, d=1):
    return None if v is None or not np.isfinite(v) else round(float(v), d)


def _moved(a: float, b: float, what: str) -> str:
    """'sank von 28,7 auf 22,0 (−6,6)': the change of the unrounded gaps, rounded once (28,66 → 22,04 is −6,6,
    not the −6,7 the printed ends suggest); a change that rounds to 0,0 "blieb bei"."""
    d = _round(b - a)
    if d == 0:
        return f"{what} blieb bei {de(_round(a))}"
    return f"{what} {'sank' if d < 0 else 'stieg'} von {de(_round(a))} auf {de(_round(b))} ({de(d, 1, True)})"


def befund(evaluation: pd.DataFrame, benchmark: pd.DataFrame, gaps: dict[str, pd.DataFrame], names: dict[str, str],
           goals: dict[str, str], higher_is_worse: dict[str, bool], plan_start: int) -> pd.DataFrame:
    """One row per outcome: the gap (group minus rest, percentage points) before the plan start and in the
    latest year, its change, the ratio of the rates, the SDID estimate and where it falls among groups selected
    the same way without a plan; and one plain sentence made from exactly these numbers."""
    rows = []
    for ind, gap in gaps.items():
        g = gap.set_index("year")
        y0, y1 = plan_start - 1, int(g.index.max())
        if y0 not in g.index or y1 < plan_start:
            continue
        main = evaluation[(evaluation["indicator"] == ind) & (evaluation["design"] == "hauptgruppe")
                          & (evaluation["estimator"] == "sdid")]
        if main.empty:
            continue
        m = main.iloc[0]
        bench = benchmark[(benchmark["indicator"] == ind) & (benchmark["estimator"] == "sdid")]["estimate"]
        label, as_good = against_benchmark(m["estimate"], bench, m["lower"], m["upper"], higher_is_worse[ind])
        name = names[ind]
        gap0, gap1 = g.loc[y0, "gap"], g.loc[y1, "gap"]
        r0, r1 = g.loc[y0, "ratio"], g.loc[y1, "ratio"]
        if gap0 < 0 and gap1 < 0:  # the group lies below the rest: speak of the gap's size
            moved = ("Die Evaluationsgruppe lag unter dem übrigen Stadtgebiet; "
                     + _moved(-gap0, -gap1, "der Abstand"))
        else:
            moved = _moved(gap0, gap1, "Der Abstand der Evaluationsgruppe zum übrigen Stadtgebiet")
        sentence = (f"{name}: {moved} "
                    f"Prozentpunkte ({y0} → {y1}); ihr Anteil war {y1} das {de(r1, 1)}-fache des übrigen "
                    f"Stadtgebiets ({y0}: das {de(r0, 1)}-fache). Gegenüber dem synthetischen Vergleich "
                    f"{_sdid_words(m)}; verglichen mit {len(bench)} Gruppen, die genauso ausgewählt wurden, ohne "
                    f"Plan, ist das {label}"
                    + (f" ({as_good} von {len(bench)} zeigten eine mindestens so günstige Veränderung)."
                       if len(bench) else "."))
        if ind in PANDEMIC:
            sentence += (" Die Arbeitslosigkeit stieg 2020 pandemiebedingt in der ganzen Stadt; ein Sprung in diesem "
                         "Jahr ist kein Maß für den Plan.")
        rows.append(dict(goal=goals[ind], indicator=ind, name=name, gap_start=gap0, year_start=y0, gap_last=gap1,
                         year_last=y1, change=gap1 - gap0, ratio_start=r0, ratio_last=r1,
                         sdid=m["estimate"], sdid_lower=m["lower"], sdid_upper=m["upper"], benchmark=label,
                         as_good=as_good, n_benchmark=len(bench), sentence=sentence))
    return pd.DataFrame(rows, columns=BEFUND_COLUMNS)


def _sdid_words(m) -> str:
    est, lo, hi = m["estimate"], m["lower"], m["upper"]
    if not np.isfinite(lo):
        return f"änderte sich der Abstand nach dem Planstart um {de(est, 2, True)} Prozentpunkte (ohne Intervall)"
    sure = "das Intervall schließt null aus" if lo > 0 or hi < 0 else "das Intervall schließt null ein"
    return (f"änderte sich der Abstand nach dem Planstart um {de(est, 2, True)} Prozentpunkte (95-%-Intervall "
            f"{de(lo, 2, True)} bis {de(hi, 2, True)}; {sure})")


def befund_markdown(df: pd.DataFrame, heading: str = "##") -> str:
    """The table per goal and the sentences below it (site and PDF: the same text)."""
    if df.empty:
        return ""
    out = [f"{heading} Befund auf einen Blick", ""]
    for goal, part in df.groupby("goal", sort=False):
        table = pd.DataFrame({
            "Kennzahl": part["name"],
            "Abstand vor dem Start": [f"{de(a)} ({y})" for a, y in zip(part["gap_start"], part["year_start"])],
            "Abstand zuletzt": [f"{de(a)} ({y})" for a, y in zip(part["gap_last"], part["year_last"])],
            "Veränderung (Pp.)": [de(v, 1, True) for v in part["change"]],
            # no-break spaces: "3,6 → 3,2" is one reading, never "3,6 →" above "3,2" in a narrow column
            "Verhältnis": [f"{de(a)}\u00a0→\u00a0{de(b)}" for a, b in zip(part["ratio_start"], part["ratio_last"])],
            "Gegenüber gleich ausgewählten Gruppen ohne Plan": part["benchmark"],
        })
        out += [f"{heading}# {md(goal)}", "",
                md_table(table, numeric={"Abstand vor dem Start", "Abstand zuletzt", "Veränderung (Pp.)",
                                         "Verhältnis"},
                         caption=f"{goal}: Abstand der Evaluationsgruppe zum übrigen Stadtgebiet in "
                                 "Prozentpunkten und das Verhältnis der Anteile"), ""]
        out += [f"- {md(s)}" for s in part["sentence"]]
        out.append("")
    out += [md(NO_CAUSE), ""]
    return "\n".join(out)


def benchmark_table(evaluation: pd.DataFrame, benchmark: pd.DataFrame, names: dict[str, str],
                    higher_is_worse: dict[str, bool], plan_start: int) -> pd.DataFrame:
    """Per outcome and statistic: the real estimate, the benchmark groups' range and where the real one falls."""
    rows = []
    labels = {("sdid", "att"): "SDID: Veränderung des Abstands",
              ("its", "level_change"): "ITS: Sprung des Abstands", ("its", "slope_change"): "ITS: Trendänderung"}
    for (ind, est, term), b in benchmark.groupby(["indicator", "estimator", "term"], sort=True):
        real = evaluation[(evaluation["indicator"] == ind) & (evaluation["design"] == "hauptgruppe")
                          & (evaluation["estimator"] == est) & (evaluation["term"] == term)
                          & evaluation["inference"].isin(["cluster", "jackknife", "placebo"])]
        if real.empty:
            continue
        r = real.iloc[0]
        label, as_good = against_benchmark(r["estimate"], b["estimate"], r["lower"], r["upper"], higher_is_worse[ind])
        rows.append({"Kennzahl": names[ind], "Schätzung": labels[(est, term)],
                     f"Evaluationsgruppe ab {plan_start}": de(r["estimate"], 2, True),
                     "gleich ausgewählte Gruppen": f"{de(b['estimate'].min(), 2, True)} bis "
                                                   f"{de(b['estimate'].max(), 2, True)}",
                     "Einordnung": f"{label} ({as_good} von {len(b)} mindestens so günstig)"})
    return pd.DataFrame(rows)


def design_table(evaluation: pd.DataFrame, names: dict[str, str], labels: dict[str, str]) -> pd.DataFrame:
    """SDID and ITS trend change per outcome and comparison design, with interval or permutation p."""
    rows = []
    e = evaluation[(evaluation["estimator"].isin(["sdid", "its"])) &
                   ((evaluation["estimator"] == "sdid") | (evaluation["term"] == "slope_change"))]
    e = e[e["inference"] != "permutation_strata"]
    for (ind, design), part in e.groupby(["indicator", "design"], sort=True):
        row = {"Kennzahl": names[ind], "Vergleich": labels.get(design, design)}
        for est, col in (("sdid", "SDID (Pp.)"), ("its", "ITS-Trendänderung (Pp. pro Jahr)")):
            r = part[part["estimator"] == est]
            if r.empty:
                row[col] = "nicht gerechnet"
                continue
            r = r.iloc[0]
            row[col] = (f"{de(r['estimate'], 2, True)} ({de(r['lower'], 2, True)} bis {de(r['upper'], 2, True)})"
                        if np.isfinite(r["lower"]) else f"{de(r['estimate'], 2, True)} (Permutations-p "
                                                        f"{de(r['p'], 3)})")
        row["Ortsteile (Gruppe/Vergleich)"] = f"{int(part['n_treated'].iloc[0])}/{int(part['n_control'].iloc[0])}"
        rows.append(row)
    return pd.DataFrame(rows)


def holm_table(evaluation: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    fam = evaluation[evaluation["p_holm"].notna()]
    what = {"att": "SDID: Veränderung des Abstands", "level_change": "ITS: Sprung (Permutation in Bedarfsklassen)",
            "slope_change": "ITS: Trendänderung (Permutation in Bedarfsklassen)"}
    return pd.DataFrame({"Kennzahl": fam["indicator"].map(names), "Test": fam["term"].map(what),
                         "p": [de(v, 3) for v in fam["p"]], "p nach Holm": [de(v, 3) for v in fam["p_holm"]],
                         "hält stand (5 %)": ["ja" if v < 0.05 else "nein" for v in fam["p_holm"]]})


def holm_sentence(evaluation: pd.DataFrame, names: dict[str, str]) -> str:
    fam = evaluation[evaluation["p_holm"].notna()]
    if fam.empty:
        return ""
    keep = fam[fam["p_holm"] < 0.05]
    kinds = sorted({names[i] for i in fam["indicator"]})
    text = (f"Die Familie der Haupttests umfasst {len(fam)} Tests ({len(kinds)} Kennzahlen × SDID-Veränderung, "
            "ITS-Sprung und ITS-Trendänderung mit Permutation innerhalb der Bedarfsklassen). Nach Holms Korrektur "
            f"halten {len(keep)} von {len(fam)} auf dem 5-%-Niveau stand")
    if len(keep):
        text += ": " + "; ".join(sorted({names[i] for i in keep["indicator"]}))
    return text + ". SGB-II-Quote, Kinder im SGB-II-Bezug und Arbeitslose messen weitgehend dasselbe; die " \
                  "Tests sind daher nicht unabhängig, Holm bleibt auch dann gültig."


def decomposition_table(dec: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    group = {"evaluationsgruppe": "Evaluationsgruppe", "uebrige": "übriges Stadtgebiet"}
    return pd.DataFrame({
        "Kennzahl": dec["indicator"].map(names), "Gruppe": dec["group"].map(group),
        "Anteil": [f"{de(a)} → {de(b)}" for a, b in zip(dec["rate_from"], dec["rate_to"])],
        "Veränderung (Pp.)": [de(v, 2, True) for v in dec["change"]],
        "davon Zähler": [de(v, 2, True) for v in dec["from_numerator"]],
        "davon Nenner": [de(v, 2, True) for v in dec["from_denominator"]]})


def decomposition_sentences(dec: pd.DataFrame, names: dict[str, str]) -> list[str]:
    out = []
    for _, r in dec[dec["group"] == "evaluationsgruppe"].iterrows():
        if round(r["change"], 2) == 0:
            continue
        share = r["from_denominator"] / r["change"] if r["change"] else np.nan
        out.append(f"{names[r['indicator']]}: Von der Veränderung um {de(r['change'], 2, True)} Prozentpunkte "
                   f"({r['year_from']}–{r['year_to']}) in der Evaluationsgruppe gehen {de(r['from_denominator'], 2, True)} "
                   f"auf den wachsenden oder schrumpfenden Nenner ({de(r['denominator_growth'], 1, True)} %) zurück "
                   f"und {de(r['from_numerator'], 2, True)} auf den Zähler"
                   + (f" – gut {de(100 * share, 0)} % der Veränderung sind Nennereffekt." if share > 0.2 else "."))
    return out


def event_study_sentence(rows: pd.DataFrame, name: str, plan_start: int, above: bool) -> str:
    """What the leads show: whether the gap was already shrinking or growing before the plan start."""
    es = rows[(rows["inference"] == "cluster")].copy()
    es["year"] = es["term"].astype(int)
    pre = es[es["year"] < plan_start - 1].sort_values("year")
    post = es[es["year"] >= plan_start].sort_values("year")
    if pre.empty or post.empty:
        return ""
    first = pre.iloc[0]
    # a lead below 0 means the gap was smaller then than in the reference year (above: group over the rest)
    grew = first["estimate"] < 0 if above else first["estimate"] > 0
    sure = first["lower"] > 0 or first["upper"] < 0
    last = post.iloc[-1]
    smaller = last["estimate"] < 0 if above else last["estimate"] > 0
    text = (f"{name}: Gegenüber {plan_start - 1} war der Abstand {int(first['year'])} um {de(abs(first['estimate']), 2)} "
            f"Prozentpunkte {'kleiner' if grew else 'größer'} (95-%-Intervall {de(first['lower'], 2, True)} bis "
            f"{de(first['upper'], 2, True)}" + ("" if sure else "; nicht eindeutig") + "): vor dem Planstart "
            + ("liefen die Gruppen auseinander" if grew else "näherten sich die Gruppen schon an")
            + f". {int(last['year'])} war der Abstand um {de(abs(last['estimate']), 2)} Prozentpunkte "
            + ("kleiner" if smaller else "größer") + f" als {plan_start - 1}"
            + (" (das Intervall schließt null aus)." if last["lower"] > 0 or last["upper"] < 0 else
               " (das Intervall schließt null ein).")
            + ("" if grew else " Ob die Annäherung nach dem Start über das hinausgeht, was gleich ausgewählte "
                               "Gruppen ohne Plan zeigen, sagt der Vergleich unten."))
    return text


def years_note(last_years: pd.DataFrame, cycle: int, compare_with: int | None, reference_year: int,
               names: dict[str, str] | None = None) -> str:
    """A cycle without outcome years newer than its compared cycle says so (and does not describe itself as the
    situation of its reference year). `last_years`: indicator, last, compared_last."""
    if compare_with is None or last_years.empty or (last_years["last"] > last_years["compared_last"]).any():
        return ""
    last = int(last_years["last"].max())
    names = names or dict(zip(last_years["indicator"], last_years.get("name", last_years["indicator"])))
    return (f"Keine neuen Ergebnisjahre: Die Daten der Ergebniskennzahlen "
            f"({', '.join(names[i] for i in last_years['indicator'])}) enden {last}, wie schon im Zyklus "
            f"{compare_with}. Die Auswertung der Entwicklung ist daher dieselbe wie dort; dieser Zyklus beschreibt "
            f"nicht die Lage im Bezugsjahr {reference_year}.")


def stronger(df: pd.DataFrame) -> list[str]:
    return list(df.loc[df["benchmark"] == BENCH_STRONGER, "name"])


def years_callout(note: str) -> str:
    body = note.removeprefix("Keine neuen Ergebnisjahre: ")  # the callout's title says it
    return f'::: {{.callout-important title="Keine neuen Ergebnisjahre"}}\n{md(body)}\n:::\n' if note else ""


def cycle_summary(tables, cycle: int, compare_with: int | None, reference_year: int, heading: str = "##",
                  callout: bool = True) -> str:
    """What the cycle page and the PDF's summary open with, from the trends notebook's tables (befund.csv,
    ergebnisjahre.csv): the note on missing outcome years and "Befund auf einen Blick"."""
    from pathlib import Path

    from evalkit.fileio import read_table

    tables = Path(tables)
    out = []
    if (tables / "ergebnisjahre.csv").is_file():
        note = years_note(read_table(tables / "ergebnisjahre.csv"), cycle, compare_with, reference_year)
        if note:
            out.append(years_callout(note) if callout else f"**{md(note)}**\n")
    if (tables / "befund.csv").is_file():
        out.append(befund_markdown(read_table(tables / "befund.csv"), heading))
    return "\n".join(out)


def limits_markdown(last_years: dict[str, int | None], plan_start: int, selection_year: int) -> str:
    """"Grenzen dieser Auswertung" from the data it describes: where each outcome's data end, how many years
    follow the plan start, and up to which year the group was selected."""
    by_year: dict[int, list[str]] = {}
    for name, y in last_years.items():
        if y is not None:
            by_year.setdefault(int(y), []).append(name)
    ends = " bzw. ".join(f"{y} ({', '.join(md(x) for x in n)})" for y, n in sorted(by_year.items()))
    post = max(by_year, default=plan_start - 1) - plan_start + 1
    post_words = ("liegt noch kein Jahr vor" if post <= 0 else
                  f"{'liegt' if post == 1 else 'liegen'} höchstens {post} {'Jahr' if post == 1 else 'Jahre'} vor")
    return "\n".join([
        "## Grenzen dieser Auswertung", "",
        "- Die Gebiete sind klein; Intervalle sind breit, und einzelne Jahre schwanken.",
        f"- Die Daten enden {ends}; ab dem Planstart {plan_start} {post_words}.",
        f"- Die Evaluationsgruppe ist *berechnet* und nach Bedarf ausgewählt (aus den Daten bis {selection_year}). "
        "Gebiete, die wegen hoher Werte gewählt wurden, nähern sich oft von selbst der Mitte an (Regression zur "
        "Mitte); wie stark, zeigen die gleich ausgewählten Gruppen ohne Plan oben. Ihre Zahl ist durch die Jahre "
        "vor dem Planstart begrenzt.",
        "- Die Hilfen zur Erziehung, Bildungserfolge und Angebote je Ortsteil sind nicht öffentlich: ob die "
        "Maßnahmen des Plans dort ankamen, wo sich die Anteile änderten, können diese Daten nicht zeigen.",
        "- Ohne ein Untersuchungsdesign, das Ursachen trennt (etwa Vergleichsgebiete ohne Maßnahmen), sind die "
        "Trends **keine Wirkungsaussage** über den Plan oder einzelne Maßnahmen.",
        "- Zur Kontrolle der Richtung rechnet evalkit dieselben Trends ein zweites Mal mit einem Modell direkt auf "
        "den Zählungen (logistisch; die Seite *Methoden* erklärt es); seine Werte stehen in der Tabelle "
        "„trends_logit“ der Provenienzseite. Was es zeigt, steht hier:", ""])
