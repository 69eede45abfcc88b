"""What the cycle notebooks show, as pure functions over the indicator table: key figures, Ortsteil tables,
profiles and data-quality summaries. Notebooks call these and narrate; they hold no logic of their own."""

from __future__ import annotations

import pandas as pd

from evalkit.acquire.areas import CITY_CODE
from evalkit.cycles.context import Context
from evalkit.publish.fmt import ZEICHEN, de, de_by_unit, decimals_for, md, md_table, rounded_change, url_in_link

# the cycle's pages in reading order (the cycle index lists them, each page links its neighbours)
PAGE_TITLES = {"uebersicht": "Überblick", "ortsteile": "Ortsteile und Karten", "datenqualitaet": "Datenqualität",
               "schwerpunktraeume": "Schwerpunkträume (Bedarfsindex)", "trends": "Trends und Abstände",
               "massnahmen": "Maßnahmen", "ortsteilprofile": "Ortsteile im Profil (alle 63)"}
LEVEL_DE = {"ortsteil": "Ortsteil", "stadtbezirk": "Stadtbezirk", "planungsraum": "Planungsraum", "stadt": "Stadt"}


def value_at(ctx: Context, indicator: str, level: str, code: str, year: int | None) -> pd.Series | None:
    if year is None:
        return None
    pos = ctx._positions.get((indicator, level, str(code), int(year)))
    return None if pos is None else ctx.indicators.iloc[pos]


def key_figures(ctx: Context, level: str = "stadt", code: str = CITY_CODE) -> pd.DataFrame:
    """Per indicator: the value in the cycle's year, the compared cycle's value and the change."""
    rows = []
    for ind in ctx.params.indicators:
        if level not in ctx.catalogue.get(ind).levels:
            continue
        y, yc = ctx.year(ind), ctx.year(ind, compare=True)
        now, before = value_at(ctx, ind, level, code, y), value_at(ctx, ind, level, code, yc)
        note = "" if y == ctx.params.reference_year else (
            f"letzte verfügbare Daten: {y}" if y else "keine Daten bis zum Bezugsjahr")
        same = y is not None and y == yc  # no newer data than the compared cycle had: no change to measure
        if same:
            note = f"{note} (wie im Vergleichszyklus)".strip()
        hidden = 0 if now is None or "suppressed" not in now.index else int(now.suppressed)
        if hidden:
            note = f"{note}; {suppressed_note(hidden, now.lower, now.upper, ctx.unit(ind))}".strip("; ")
        rows.append({
            "indicator": ind, "name": ctx.name(ind), "unit": ctx.unit(ind), "year": y,
            "value": None if now is None else now.value,
            "lower": None if now is None else now.lower, "upper": None if now is None else now.upper,
            "compare_year": yc, "compare_value": None if before is None else before.value,
            # from the unrounded values (ROUNDING_NOTE under every table that prints it)
            "change": None if now is None or before is None or same else
            rounded_change(now.value, before.value, ctx.unit(ind)),
            "note": note, "suppressed": hidden,
        })
    return pd.DataFrame(rows)


def by_goal(ctx: Context, indicators) -> list[tuple[str, list[str]]]:
    """The indicators in sections by the plan's three goals, in catalogue order: indicators that serve all three
    (population, density) first as "Rahmendaten", every other one under its first goal; empty sections left out."""
    from evalkit.indicators.catalogue import GOALS

    sections = {"Rahmendaten": [], **{g: [] for g in GOALS}}
    for ind in indicators:
        goals = ctx.catalogue.get(ind).goals
        sections["Rahmendaten" if set(goals) == set(GOALS) else goals[0]].append(ind)
    return [(name, inds) for name, inds in sections.items() if inds]


def shown_values(kf: pd.DataFrame) -> list[str]:
    """The key figures' values as printed: German format, a * where suppressed Ortsteil counts are inside."""
    return [v + (" *" if n else "") for v, n in zip(de_by_unit(kf["value"], kf["unit"]), kf["suppressed"])]


def suppressed_footnote(kf: pd.DataFrame) -> str:
    """The paragraph under a key-figure table that explains its * marks ("" when there are none)."""
    hit = kf[kf["suppressed"] > 0]
    return "".join(f"\\* {r['name']}: {suppressed_note(int(r['suppressed']), r['lower'], r['upper'], r['unit'])}. "
                   for _, r in hit.iterrows()).strip()


def suppressed_note(n: int, lower, upper, unit: str) -> str:
    """What an aggregate with suppressed Ortsteil counts says about itself (see evalkit.indicators.engine)."""
    return (f"enthält {n} {'Ortsteil' if n == 1 else 'Ortsteile'} mit nicht veröffentlichter Kleinzahl "
            f"({ZEICHEN}), gezählt mit der Mitte ihres Bereichs; Spanne {de(lower, 2)} bis {de(upper, 2)} {unit}")


def ortsteil_values(ctx: Context, indicator: str) -> pd.DataFrame:
    """All 63 Ortsteile for one indicator in the cycle's year, with the small-denominator flag."""
    y = ctx.year(indicator)
    t = ctx.indicators
    sub = t[(t.indicator == indicator) & (t.level == "ortsteil") & (t.year == y)].copy()
    kind = ctx.catalogue.get(indicator).kind
    sub["uncertain"] = (sub["denominator"] < ctx.params.small_denominator) if kind == "rate" else False
    names = ctx.areas.set_index("ot_code")
    sub["stadtbezirk"] = sub["area_code"].map(names["stadtbezirk"])
    sub["numerator"] = sub["numerator"].where(sub["value"].notna())  # a suppressed count's midpoint is no datum
    return sub[["indicator", "area_code", "area_name", "stadtbezirk", "year", "numerator", "denominator", "value",
                "lower", "upper", "uncertain", "suppressed"]].sort_values("area_code").reset_index(drop=True)


def series(ctx: Context, indicator: str, level: str, code: str, until: int | None = None) -> pd.DataFrame:
    t = ctx.indicators
    s = t[(t.indicator == indicator) & (t.level == level) & (t.area_code == code)]
    until = until or ctx.params.reference_year
    return s[s.year <= until][["year", "value", "lower", "upper"]].sort_values("year")


def area_name(ctx: Context, level: str, code: str) -> str:
    t = ctx.indicators
    hit = t[(t.level == level) & (t.area_code == code)]
    return str(hit.area_name.iloc[0]) if len(hit) else code


def members(ctx: Context, level: str, code: str) -> pd.DataFrame:
    col = {"stadtbezirk": "sbz_code", "planungsraum": "pr_code"}[level]
    return ctx.areas[ctx.areas[col] == code][["ot_code", "ortsteil", "stadtbezirk", "planungsraum"]]


def profile_table(ctx: Context, level: str, code: str) -> pd.DataFrame:
    """The area's key figures beside the city's, for the profile pages."""
    area = key_figures(ctx, level, code)
    city = key_figures(ctx)[["indicator", "value", "suppressed"]].rename(
        columns={"value": "city_value", "suppressed": "city_suppressed"})
    return area.merge(city, on="indicator", how="left")


def profile_ortsteile(ctx: Context, level: str, code: str) -> pd.DataFrame:
    """Each member Ortsteil with the profile indicators in the cycle's year (wide)."""
    m = members(ctx, level, code)
    out = m[["ot_code", "ortsteil"]].rename(columns={"ot_code": "area_code"}).copy()
    for ind in ctx.params.profile_indicators:
        vals = ortsteil_values(ctx, ind).set_index("area_code")["value"]
        out[ind] = out["area_code"].map(vals)
    return out.reset_index(drop=True)


def cycles_so_far(ctx: Context) -> list[int]:
    """The cycles of params/ up to this one: what a page across cycles shows."""
    from evalkit.cycles.params import cycle_files

    return sorted(c for c in cycle_files(ctx.project.params) if c <= ctx.params.cycle)


def ortsteil_links(ctx: Context, areas: pd.DataFrame, up: str) -> list[str]:
    """Each Ortsteil's name (escaped), linked to its page where the pages stand: with the newest cycle, in the
    folder `ortsteil/` beside `up` (a page of an older cycle, or one run by hand, names them without a link)."""
    if ctx.params.cycle != ctx.latest_cycle:
        return [md(n) for n in areas["ortsteil"]]
    return [f"[{md(n)}]({up}/ortsteil/{url_in_link(str(c))}.qmd)" for c, n in zip(areas["ot_code"], areas["ortsteil"])]


def cycle_figures(ctx: Context, cycles: list[int], level: str, codes: list[str]) -> dict[int, pd.DataFrame]:
    """Each cycle's key figures for the areas (cycle → rows indicator, area_code, year, value, suppressed), read
    with that cycle's own parameters and reference year: the columns of "Kennzahlen in allen Zyklen"."""
    from evalkit.cycles.context import load_context

    out = {}
    for c in cycles:
        cctx = ctx if c == ctx.params.cycle else load_context(ctx.project.root, c, ctx.output_dir)
        rows = [key_figures(cctx, level, code).assign(area_code=code)[["indicator", "area_code", "year", "value",
                                                                        "suppressed"]] for code in codes]
        out[c] = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return out


def cycles_table(ctx: Context, cycles: dict[int, pd.DataFrame], code: str, level: str, whose: str) -> str:
    """One row per indicator of the newest cycle (at the area's level), one column per cycle, newest first: the
    value in that cycle's year."""
    if not cycles:
        return ""
    indicators = [i for i in ctx.params.indicators if level in ctx.catalogue.get(i).levels]
    cols = {}
    for c, t in sorted(cycles.items(), reverse=True):
        own = t[t["area_code"] == code].set_index("indicator")
        cells = []
        for ind in indicators:
            if ind not in own.index or pd.isna(own.loc[ind, "value"]):
                cells.append("–")
                continue
            r = own.loc[ind]
            cells.append(de(r["value"], decimals_for(ctx.unit(ind))) + (" *" if r["suppressed"] else "")
                         + f" ({int(r['year'])})")
        cols[f"Zyklus {c}"] = cells
    view = pd.DataFrame({"Kennzahl (Einheit)": [f"{ctx.name(i)} ({ctx.unit(i)})" for i in indicators], **cols})
    return md_table(view, numeric=set(cols), caption=f"Werte {whose} in jedem Zyklus (in Klammern das Jahr der "
                                                     "Daten, das der Zyklus verwendet)")


def coverage(ctx: Context) -> pd.DataFrame:
    """Ortsteile with data per indicator and year (the data-quality page)."""
    t = ctx.indicators
    ot = t[(t.level == "ortsteil") & t.indicator.isin(ctx.params.indicators) & (t.suppressed == 0)]
    cov = ot.groupby(["indicator", "year"]).area_code.nunique().rename("ortsteile").reset_index()
    return cov.sort_values(["indicator", "year"]).reset_index(drop=True)


def coverage_summary(ctx: Context, cov: pd.DataFrame) -> pd.DataFrame:
    """Per indicator the years with all 63 Ortsteile, with some, and without data (year ranges, not a column per
    year: 17 year columns do not fit a page)."""
    from evalkit.publish.fmt import year_ranges

    years = list(range(ctx.params.evaluation.first_year, ctx.params.reference_year + 1))
    rows = []
    for ind, g in cov.groupby("indicator", sort=False):
        n = g.set_index("year")["ortsteile"].reindex(years).fillna(0).astype(int)
        full, part, none = n[n == 63].index, n[(n > 0) & (n < 63)], n[n == 0].index
        rows.append({"Indikator": ctx.name(ind), "vollständig": year_ranges(full) or "–",
                     "unvollständig (Ortsteile mit Daten)": "; ".join(f"{y}: {v}" for y, v in part.items()) or "–",
                     "keine Daten": year_ranges(none) or "–"})
    return pd.DataFrame(rows)


def year_notes(ctx: Context) -> list[str]:
    notes = []
    for ind in ctx.params.indicators:
        y = ctx.year(ind)
        if y != ctx.params.reference_year:
            same = " Es gibt keine neueren Daten als im Vergleichszyklus, eine Veränderung ist nicht messbar." \
                if y is not None and y == ctx.year(ind, compare=True) else ""
            notes.append(f"{ctx.name(ind)}: Daten nur bis {y}; verwendet wird {y} statt {ctx.params.reference_year}."
                         + same if y else f"{ctx.name(ind)}: keine Daten bis {ctx.params.reference_year}.")
    return notes


def suppressed_summary(ctx: Context) -> pd.DataFrame:
    """Every suppressed Ortsteil count up to the cycle's year, one row per series and year, Ortsteile named
    (data/processed/suppressed.csv, written by `evalkit indicators`)."""
    from evalkit.fileio import read_table

    cells = read_table(ctx.project.processed / "suppressed.csv")
    cells = cells[cells["year"] <= ctx.params.reference_year]
    rows = [{"Reihe": f"Arbeitslose: {name}" if src == "arbeitslose" else f"{src}: {name}", "Jahr": int(year),
             "Wert": f"0 bis {int(below) - 1}", "Ortsteile": len(g), "Betroffene Ortsteile": ", ".join(g["area_name"])}
            for (src, name, year, below), g in cells.groupby(["source", "indicator_raw", "year", "below"], sort=True)]
    return pd.DataFrame(rows, columns=["Reihe", "Jahr", "Wert", "Ortsteile", "Betroffene Ortsteile"])


def nav(ctx: Context, page: str) -> str:
    """Where the reader is: back to the cycle, and on to the previous and next page of the cycle (profiles: back
    to the cycle and to all Ortsteile)."""
    c = ctx.params.cycle
    if page not in PAGE_TITLES:  # a Stadtbezirk or Planungsraum profile (across cycles, with the newest), one down
        return (f"[Zyklus {c}](../index.qmd) › Profile · [Alle Ortsteile](../ortsteilprofile.ipynb) · "
                "[Übersicht](../uebersicht.ipynb)")
    order = list(PAGE_TITLES)
    i = order.index(page)
    parts = [f"[Zyklus {c}](index.qmd) › {PAGE_TITLES[page]}"]
    if i > 0:
        parts.append(f"← [{PAGE_TITLES[order[i - 1]]}]({order[i - 1]}.ipynb)")
    if i + 1 < len(order):
        parts.append(f"[{PAGE_TITLES[order[i + 1]]}]({order[i + 1]}.ipynb) →")
    return " · ".join(parts) + "\n\n" + years_callout_for(ctx)


def years_callout_for(ctx: Context) -> str:
    """At the top of every page of a cycle without outcome years newer than its compared cycle's."""
    from evalkit.analyses.cycle import outcome_years
    from evalkit.publish.findings import years_callout, years_note

    p = ctx.params
    return years_callout(years_note(outcome_years(ctx), p.cycle, p.compare_with, p.reference_year))
