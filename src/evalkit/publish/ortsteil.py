"""One profile page per Ortsteil and cycle ("how is *my* Ortsteil doing?"), written by one executed notebook per
cycle (notebooks/ortsteilprofile.py) instead of 63 notebook runs: pages as Quarto markdown with inline SVG, so
that Quarto and smalldocs render them without executing anything.

Pure functions from the cycle's context to page text; the notebook gathers the data once and writes the files.
Pages hold no timestamps or machine paths: a fresh run writes the same bytes (`evalkit verify` compares them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalkit.acquire.areas import CITY_CODE
from evalkit.cycles.context import Context
from evalkit.publish import report, svg
from evalkit.publish.fmt import ROUNDING_NOTE, ZEICHEN, de, decimals_for, md, md_table, year_label

FOLDER = "ortsteil"
LISTING = "ortsteilprofile"


@dataclass
class Prepared:
    """What every page of a cycle looks up, computed once: 63 pages × a dozen table scans cost 20 s otherwise."""

    series: dict  # (indicator, level, area_code) → rows (year, value, lower, upper, denominator), from first_year
    city: pd.DataFrame  # the city's key figures, indexed by indicator
    stadtbezirk: dict  # sbz_code → its key figures, indexed by indicator

    @classmethod
    def of(cls, ctx: Context) -> "Prepared":
        t = ctx.indicators
        t = t[t["indicator"].isin(ctx.params.profile_indicators) & (t["year"] >= ctx.params.evaluation.first_year)
              & (t["year"] <= ctx.params.reference_year)]
        series = {k: g[["year", "value", "lower", "upper", "denominator"]].sort_values("year")
                  for k, g in t.groupby(["indicator", "level", "area_code"])}
        sbz = {str(c): report.key_figures(ctx, "stadtbezirk", str(c)).set_index("indicator")
               for c in sorted(ctx.areas["sbz_code"].unique())}
        return cls(series, report.key_figures(ctx).set_index("indicator"), sbz)


@dataclass
class Facilities:
    """Facilities per Ortsteil code: schools (name, type), Horte and Kitas (names), each list with its source."""

    schools: pd.DataFrame  # ot_code, name, types, placed_by
    horte: pd.DataFrame  # ot_code, name, placed_by
    kitas: pd.DataFrame  # ot_code, name


SCHOOL_TYPE_WORDS = [("Grundschule", "Grundschule"), ("Oberschule", "Oberschule"), ("Gymnasium", "Gymnasium"),
                     ("Foerderschule", "Förderschule"), ("Berufsschule", "Berufsschule")]
SOURCES = {
    "schools": "Schulen: LeipzigData, Schulliste Stand Februar 2023 (CC0); Lage aus den Koordinaten der Liste oder, "
               "wo sie fehlen, über dieselbe oder eine benachbarte Adresse (Schuldatenbank 2017, OpenStreetMap)",
    "horte": "Horte: LeipzigData, Stand 2018 (CC0); Lage über die Adresse wie bei den Schulen",
    "kitas": "Kitas: © OpenStreetMap-Mitwirkende (ODbL), Stand Juli 2024; Lage aus dem Punkt",
}


def school_type(types: str) -> str:
    words = [de_ for key, de_ in SCHOOL_TYPE_WORDS if key in str(types)]
    kind = " und ".join(words) if words else "Schule"
    return kind + (" (freier Träger)" if "FreierTraeger" in str(types) else "")


def page_path(code: str) -> str:
    return f"{FOLDER}/{code}.qmd"


def _front_matter(title: str, subtitle: str, description: str) -> str:
    # JSON strings are valid YAML scalars: a name with a colon or quote cannot break the header
    return "\n".join(["---", f"title: {json.dumps(title, ensure_ascii=False)}",
                      f"subtitle: {json.dumps(subtitle, ensure_ascii=False)}",
                      f"description: {json.dumps(description, ensure_ascii=False)}", "---", ""])


def _cell(value, unit: str, suppressed: int = 0, small: bool = False) -> str:
    if suppressed and (value is None or pd.isna(value)):
        return ZEICHEN
    text = de(value, decimals_for(unit))
    return text + (" *" if suppressed else "") + (" ⁽ᵏ⁾" if small else "")


def key_table(ctx: Context, pre: Prepared, code: str, sbz_code: str, sbz_name: str, name: str
              ) -> tuple[str, list[str]]:
    """The Ortsteil's key figures beside its Stadtbezirk and the city, with the data year per row (Datenstand)
    and the change since the compared cycle; footnotes for small bases and suppressed counts."""
    ot = report.key_figures(ctx, "ortsteil", code).set_index("indicator")
    sb, city = pre.stadtbezirk[sbz_code], pre.city
    small_limit = ctx.params.small_denominator
    rows, notes, any_small = [], [], False
    for ind in ctx.params.indicators:
        if ind not in ot.index:
            continue
        spec = ctx.catalogue.get(ind)
        r = ot.loc[ind]
        den = None
        if r["year"] is not None and not pd.isna(r["year"]):
            hit = report.value_at(ctx, ind, "ortsteil", code, int(r["year"]))
            den = None if hit is None else hit.denominator
        small = spec.kind == "rate" and den is not None and not pd.isna(den) and den < small_limit
        any_small |= small
        change = "–" if r["change"] is None or pd.isna(r["change"]) else de(r["change"], decimals_for(spec.unit), True)
        rows.append([f"{spec.name} ({spec.unit})", str(year_label(r["year"])), _cell(r["value"], spec.unit, int(r["suppressed"]), small),
                     _cell(sb.loc[ind, "value"], spec.unit, int(sb.loc[ind, "suppressed"])) if ind in sb.index else "–",
                     _cell(city.loc[ind, "value"], spec.unit, int(city.loc[ind, "suppressed"]))
                     if ind in city.index else "–",
                     change])
    head = ["Kennzahl (Einheit)", "Daten\u00adstand", name, sbz_name, "Leipzig",
            f"Veränderung seit {ctx.compare.cycle}" if ctx.compare else "Veränderung"]
    if ctx.compare:
        notes.append(ROUNDING_NOTE)
    if any_small:
        notes.append(f"⁽ᵏ⁾ kleiner Nenner (unter {de(small_limit, 0)} Personen bzw. Haushalte): Der Wert schwankt "
                     "stark von Jahr zu Jahr und ist unsicher.")
    if any("*" in r[2] or "*" in r[3] or "*" in r[4] or ZEICHEN in r[2] for r in rows):
        notes.append(f"{ZEICHEN} Zahl von der Quelle nicht veröffentlicht (kleine Zahl); * Summe enthält solche "
                     "Zahlen, gezählt mit der Mitte ihres Bereichs (siehe Datenqualität).")
    return md_table(pd.DataFrame(rows, columns=head), numeric=set(head[1:])), notes


def history_table(history: pd.DataFrame, code: str, k: int) -> str:
    h = history[history["area_code"] == code].sort_values("cycle")
    view = pd.DataFrame({"Zyklus": h["cycle"].astype(str),
                         "Rang": ["–" if pd.isna(v) else str(int(v)) for v in h["rank"]],
                         "Bedarfsklasse": h["need_class"],
                         f"in den berechneten Top {k}": ["ja" if v else "nein" for v in h["top13"]]})
    return md_table(view, numeric={"Rang"})


def facilities_text(f: Facilities, code: str) -> str:
    out = []
    s = f.schools[f.schools["ot_code"] == code]
    if len(s):
        out.append("**Schulen** (" + str(len(s)) + "): " + "; ".join(
            f"{md(n)} ({school_type(t)}{', Lage über Adresse' if p != 'Koordinate' else ''})"
            for n, t, p in zip(s["name"], s["types"], s["placed_by"])) + ".")
    else:
        out.append("**Schulen:** keine mit bekannter Lage in diesem Ortsteil.")
    h = f.horte[f.horte["ot_code"] == code]
    out.append(("**Horte** (" + str(len(h)) + "): " + "; ".join(md(n) for n in h["name"]) + ".") if len(h)
               else "**Horte:** keiner mit bekannter Lage.")
    k = f.kitas[f.kitas["ot_code"] == code]
    named = [md(n) for n in k["name"].fillna("ohne Namen")]
    out.append(("**Kitas** (" + str(len(k)) + "): " + "; ".join(named) + ".") if len(k)
               else "**Kitas:** keine in OpenStreetMap erfasst.")
    n_out = int(f.schools["ot_code"].isna().sum()) + int(f.horte["ot_code"].isna().sum())
    out.append(f"Quellen: {SOURCES['schools']}. {SOURCES['horte']}. {SOURCES['kitas']}. "
               f"{n_out} Schulen und Horte der Listen ließen sich keinem Ortsteil zuordnen; die Listen sind "
               "nicht vollständig.")
    return "\n\n".join(out)


def charts(ctx: Context, pre: Prepared, code: str, name: str, sbz_code: str, sbz_name: str) -> list[str]:
    out = []
    empty = pd.DataFrame(columns=["year", "value", "lower", "upper", "denominator"])
    for ind in ctx.params.profile_indicators:
        spec = ctx.catalogue.get(ind)
        own = pre.series.get((ind, "ortsteil", code), empty)
        small = set(own.loc[own["denominator"] < ctx.params.small_denominator, "year"].astype(int)) \
            if spec.kind == "rate" else set()
        series = {name: own, sbz_name: pre.series.get((ind, "stadtbezirk", sbz_code), empty),
                  "Leipzig": pre.series.get((ind, "stadt", CITY_CODE), empty)}
        chart = svg.line_chart(series, spec.name, spec.unit, 1, band_of=name, marked_years=small)
        if chart:
            note = (f" Offene Kreise: Jahre mit kleinem Nenner ({', '.join(map(str, sorted(small)))}), der Wert ist "
                    "unsicher." if small else "")
            out.append(chart + "\n\n" + f"*{md(spec.name)} {md(name)} im Vergleich; Band: 95-%-Intervall (Wilson)."
                       f"{note}*")
    return out


def page(ctx: Context, pre: Prepared, code: str, facilities: Facilities, history: pd.DataFrame, group: set,
         titles: dict[str, str]) -> str:
    """The whole page of one Ortsteil in one cycle."""
    a = ctx.areas.set_index("ot_code").loc[code]
    name, sbz_code, sbz_name = str(a["ortsteil"]), str(a["sbz_code"]), str(a["stadtbezirk"])
    pr_code, pr_name = str(a["pr_code"]), str(a["planungsraum"])
    c = ctx.params.cycle
    k = ctx.params.priority.top_k
    in_group = code in group
    table, notes = key_table(ctx, pre, code, sbz_code, sbz_name, name)
    parts = [
        _front_matter(name, f"Ortsteil im Evaluationszyklus {c} · Stadtbezirk {sbz_name} · Planungsraum {pr_name}",
                      f"Profil des Leipziger Ortsteils {name}: Kennzahlen, Bedarfsindex, Entwicklung, Einrichtungen"),
        f"[Zyklus {c}](../index.qmd) › [Alle Ortsteile](../{LISTING}.ipynb) › {md(name)} · "
        f"[Stadtbezirk {md(sbz_name)}](../profile/stadtbezirk-{sbz_code}.ipynb) · "
        f"[Planungsraum {md(pr_name)}](../profile/planungsraum-{pr_code}.ipynb)", "",
        '::: {.callout-note title="Hinweis"}',
        (f"{md(name)} gehört zur **Evaluationsgruppe**: den {len(group)} Ortsteilen mit dem höchsten berechneten "
         f"Bedarf in der Ausgangslage (Zyklus {ctx.params.evaluation.group_from_cycle}), mit denen die Entwicklung "
         "seit dem Planstart verglichen wird." if in_group else
         f"{md(name)} gehört nicht zur Evaluationsgruppe (die {len(group)} Ortsteile mit dem höchsten berechneten "
         f"Bedarf in der Ausgangslage, Zyklus {ctx.params.evaluation.group_from_cycle})."),
        " Eigene Berechnungen aus öffentlichen Daten, keine Veröffentlichung der Stadt Leipzig.", ":::", "",
        "## Kennzahlen", "", table, "", *[n + "\n" for n in notes],
        "## Lage", "",
        svg.area_map(ctx.geojson, titles, highlight=code, label=f"Lage von {name} in Leipzig", max_width=420), "",
        f"*{md(name)} (rot) unter den 63 Leipziger Ortsteilen; der Name jedes Ortsteils erscheint beim Zeigen oder "
        "Tippen.*", "",
        "## Bedarfsindex in allen Zyklen", "", history_table(history, code, k), "",
        "Rang 1 = höchster berechneter Bedarf; „nicht eingestuft“: zu kleine Basis für einen der Bestandteile. "
        "Wie der Index entsteht, steht auf der Seite [Schwerpunkträume](../schwerpunktraeume.ipynb).", "",
        f"## Entwicklung seit {ctx.params.evaluation.first_year}", "", *[ch + "\n" for ch in charts(ctx, pre, code, name, sbz_code, sbz_name)],
        "## Einrichtungen im Ortsteil", "", facilities_text(facilities, code), "",
        "---", "",
        f"Diese Seite schreibt das Notebook [Ortsteile im Profil](../{LISTING}.ipynb) dieses Zyklus; Daten, Parameter, "
        f"Code-Stand und Prüfsummen stehen auf der [Provenienzseite](../provenienz.qmd).", ""]
    return "\n".join(parts)


def listing(ctx: Context, history: pd.DataFrame, group: set) -> str:
    """The cycle's list of all Ortsteil pages (Markdown table, linked), by Stadtbezirk."""
    h = history[history["cycle"] == ctx.params.cycle].set_index("area_code")
    a = ctx.areas.sort_values(["sbz_code", "ot_code"])
    lines = ["| Ortsteil | Stadtbezirk | Rang Bedarfsindex | Evaluationsgruppe |", "|---|---|---:|---|"]
    for r in a.itertuples():
        rank = h["rank"].get(r.ot_code)
        lines.append(f"| [{md(r.ortsteil)}]({FOLDER}/{r.ot_code}.qmd) | {md(r.stadtbezirk)} | "
                     f"{'–' if rank is None or pd.isna(rank) else int(rank)} | {'ja' if r.ot_code in group else ''} |")
    return "\n".join(lines)


def write_pages(out_dir: Path, pages: dict[str, str]) -> list[Path]:
    """Write the pages (code → text) into out_dir/ortsteil/, replacing what was there."""
    from evalkit.fileio import atomic_write_text

    folder = out_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.qmd"):
        if old.stem not in pages:
            old.unlink()
    written = []
    for code, text in sorted(pages.items()):
        atomic_write_text(folder / f"{code}.qmd", text)
        written.append(folder / f"{code}.qmd")
    return written
