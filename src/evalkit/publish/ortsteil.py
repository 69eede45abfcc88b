"""One profile page per Ortsteil and cycle ("how is *my* Ortsteil doing?"), written by one executed notebook per
cycle (notebooks/ortsteilprofile.py) instead of 63 notebook runs: pages as Quarto markdown with inline SVG, so
that Quarto and smalldocs render them without executing anything.

Pure functions from the cycle's context to page text; the notebook gathers the data once and writes the files.
Pages hold no timestamps or machine paths: a fresh run writes the same bytes (`evalkit verify` compares them).
"""

from __future__ import annotations

import json
import math
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
    comparison: pd.DataFrame | None = None  # analyses.cycle.ortsteil_comparison: every Ortsteil against the city
    components: pd.DataFrame | None = None  # standardised need components (comparable Ortsteile)

    @classmethod
    def of(cls, ctx: Context) -> "Prepared":
        t = ctx.indicators
        t = t[t["indicator"].isin(ctx.params.profile_indicators) & (t["year"] >= ctx.params.evaluation.first_year)
              & (t["year"] <= ctx.params.reference_year)]
        series = {k: g[["year", "value", "lower", "upper", "denominator"]].sort_values("year")
                  for k, g in t.groupby(["indicator", "level", "area_code"])}
        sbz = {str(c): report.key_figures(ctx, "stadtbezirk", str(c)).set_index("indicator")
               for c in sorted(ctx.areas["sbz_code"].unique())}
        from evalkit.analyses import cycle as analyses

        return cls(series, report.key_figures(ctx).set_index("indicator"), sbz, analyses.ortsteil_comparison(ctx),
                   analyses.component_profile(ctx))


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


TREND_WORDS = {"steigend": "↗ steigend", "fallend": "↘ fallend", "kein eindeutiger Trend": "→ kein eindeutiger Trend"}
VERDICT_WORDS = {"höher": "höher als Leipzig", "niedriger": "niedriger als Leipzig", "ähnlich": "ähnlich wie Leipzig"}
JUDGEMENT = {svg.WORSE: "ungünstiger", svg.BETTER: "günstiger"}  # what the marker's colour says, in words


def comparison_rows(ctx: Context, pre: Prepared, code: str) -> list[dict]:
    """The spine-chart rows and table cells of one Ortsteil, from the cycle's comparison table."""
    from evalkit.analyses.compare import spine_row

    comp = pre.comparison
    rows = []
    for ind, g in comp.groupby("indicator", sort=False):
        own = g[g["area_code"] == code]
        if own.empty:
            continue
        r = own.iloc[0]
        spec = ctx.catalogue.get(ind)
        row = spine_row(g["value"], r["value"], r["city"])
        if row is None:
            continue
        d = decimals_for(spec.unit)
        verdict = r["verdict"] or None
        # better or worse only for outcomes: a context indicator (migration, density) describes, it does not judge
        colour = svg.verdict_colour(verdict, spec.higher_is_worse if spec.role == "Ergebnis" else None)
        said = VERDICT_WORDS.get(verdict, "ohne Test")
        shown = "–" if pd.isna(r["value"]) else de(r["value"], d)
        interval = "" if pd.isna(r["lower"]) else f"{de(r['lower'], d)}–{de(r['upper'], d)}"
        text = (f"{spec.name} {int(r['year'])}: {shown} {spec.unit}"
                + (f" (95-%-Intervall {interval})" if interval else "") + f"; Leipzig {de(r['city'], d)}; "
                + said)
        row.update(name=spec.name, decimals=d, verdict=verdict, text=text, colour=colour,
                   label=f"{shown} ({svg.MARKERS[verdict]} {said})")
        row.update(indicator=ind, unit=spec.unit, year=int(r["year"]), interval=interval, small=bool(r["small_base"]),
                   word=svg.MARKERS[verdict] + " " + said, better=JUDGEMENT.get(colour, ""),
                   trend="" if not r["trend"] else TREND_WORDS[r["trend"]] + f" ({int(r['trend_from'])}–"
                                                                            f"{int(r['trend_to'])})")
        rows.append(row)
    return rows


def comparison_section(ctx: Context, pre: Prepared, code: str, name: str) -> str:
    """Is the Ortsteil different from the city, and is it getting better? A spine chart with the table behind it."""
    rows = comparison_rows(ctx, pre, code)
    if not rows:
        return "Für diesen Ortsteil liegen keine vergleichbaren Werte vor."
    hi = [r for r in rows if r["verdict"] == "höher"]
    lo = [r for r in rows if r["verdict"] == "niedriger"]
    worse = [r for r in rows if r["better"] == "ungünstiger"]
    chart = svg.spine_chart(rows, f"{name} im Vergleich mit Leipzig und allen Ortsteilen: "
                            + "; ".join(r["text"] for r in rows))
    own_col = f"{md(name)} (95-%-Intervall)"
    table = md_table(pd.DataFrame({
        "Kennzahl (Jahr; Einheit)": [f"{r['name']} ({r['year']}; {r['unit']})" for r in rows],
        own_col: [("–" if not math.isfinite(r["own"]) else de(r["own"], r["decimals"]))
                  + (" ⁽ᵏ⁾" if r["small"] else "") + (f" ({r['interval']})" if r["interval"] else "")
                  for r in rows],
        "Leipzig": [de(r["city"], r["decimals"]) for r in rows],
        "Vergleich": [r["word"] + (f" ({r['better']})" if r["better"] else "") for r in rows],
        "Trend (5 Jahre)": [r["trend"] or "–" for r in rows],
        "alle Ortsteile": [f"{de(r['min'], r['decimals'])}–{de(r['max'], r['decimals'])}" for r in rows]}),
        numeric={own_col, "Leipzig", "alle Ortsteile"},
        caption=f"{name} im Vergleich mit Leipzig (Tabelle zur Grafik)")
    summary = (f"Von {len(rows)} Kennzahlen liegt {md(name)} bei {len(hi)} deutlich über und bei {len(lo)} "
               f"deutlich unter dem Wert der Stadt (das 95-%-Intervall des Ortsteils schließt den Stadtwert aus); "
               f"ungünstiger als in der Stadt: {', '.join(md(r['name']) for r in worse) or 'keine'}.")
    return "\n\n".join([summary, chart, table, comparison_legend(ctx, [r["indicator"] for r in rows])])


INTERVAL_WORDS = {"wilson": "Wilson-Intervall des Anteils", "poisson": "Poisson-Intervall der Zählung"}


def comparison_legend(ctx: Context, indicators: list[str]) -> str:
    """The legend under the spine chart: which interval each shown indicator is tested with comes from the
    catalogue's `comparison` field, the trend window from `compare.TREND_YEARS`."""
    from evalkit.analyses.compare import TREND_YEARS

    by_kind: dict[str, list[str]] = {}
    for ind in indicators:
        spec = ctx.catalogue.get(ind)
        if spec.comparison_interval in INTERVAL_WORDS:
            by_kind.setdefault(spec.comparison_interval, []).append(md(spec.name))
    tests = "; ".join(f"{', '.join(names)}: {INTERVAL_WORDS[k]}" for k, names in sorted(by_kind.items()))
    return ("▲/▼: das 95-%-Intervall des Ortsteils liegt ganz über bzw. unter dem Wert der Stadt"
            + (f" ({tests})" if tests else "") + "; ●: der Stadtwert liegt im Intervall. Farbe, nur bei "
            "Ergebniskennzahlen: blau günstiger, rot ungünstiger, grau bei Kontextkennzahlen (die Form trägt die "
            "Aussage auch ohne Farbe). Trend: Chi-Quadrat-Test auf Trend (Cochran–Armitage) über die letzten "
            f"{TREND_YEARS} Jahre mit Daten, 5-%-Niveau; ⁽ᵏ⁾ kleiner Nenner. Grau: Spannweite aller Ortsteile, "
            "dunkler die mittlere Hälfte, weiß der Median, schwarz Leipzig.")


def neighbours_text(ctx: Context, pre: Prepared, code: str, name: str) -> str:
    from evalkit.analyses.compare import neighbours

    near = neighbours(pre.components, code, 5) if pre.components is not None else []
    names = ctx.areas.set_index("ot_code")["ortsteil"]
    if not near:
        return (f"{md(name)} hat keinen vollständigen Bedarfsindex (zu kleine Basis) und daher keine berechneten "
                "Vergleichsortsteile.")
    return (f"Am ähnlichsten in den Bestandteilen des Bedarfsindex ({', '.join(md(ctx.name(i)) for i in pre.components.columns)}; "
            f"standardisiert, euklidischer Abstand): " + ", ".join(f"[{md(names[c])}]({c}.qmd)" for c in near) + ".")


def cycle_figures(ctx: Context, cycles: list[int]) -> dict[int, pd.DataFrame]:
    """Each cycle's key figures for every Ortsteil, read with that cycle's own reference year."""
    return report.cycle_figures(ctx, cycles, "ortsteil", sorted(ctx.areas["ot_code"]))


def page(ctx: Context, pre: Prepared, code: str, facilities: Facilities, history: pd.DataFrame, group: set,
         titles: dict[str, str], cycles: dict[int, pd.DataFrame] | None = None) -> str:
    """The whole page of one Ortsteil: the newest cycle against the city, and every cycle's figures."""
    a = ctx.areas.set_index("ot_code").loc[code]
    name, sbz_code, sbz_name = str(a["ortsteil"]), str(a["sbz_code"]), str(a["stadtbezirk"])
    pr_code, pr_name = str(a["pr_code"]), str(a["planungsraum"])
    c = ctx.params.cycle
    k = ctx.params.priority.top_k
    in_group = code in group
    table, notes = key_table(ctx, pre, code, sbz_code, sbz_name, name)
    parts = [
        _front_matter(name, f"Ortsteil in den Evaluationszyklen {', '.join(map(str, sorted(cycles or [c])))} · Stadtbezirk {sbz_name} · Planungsraum {pr_name}",
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
        "## Im Vergleich mit Leipzig", "", comparison_section(ctx, pre, code, name), "",
        "## Vergleichbare Ortsteile", "", neighbours_text(ctx, pre, code, name), "",
        f"Die Werte dieses Ortsteils zum Herunterladen: [CSV](daten/{code}.csv) · "
        f"[CSV für Excel](daten/{code}-excel.csv). Je Kennzahl alle Ortsteile als JSON: "
        + " · ".join(f"[{i}](daten/{i}.json)" for i in sorted(pre.comparison["indicator"].unique())) + ".", "",
        f"## Kennzahlen im Zyklus {c}", "", table, "", *[n + "\n" for n in notes],
        "## Kennzahlen in allen Zyklen", "", report.cycles_table(ctx, cycles or {}, code, "ortsteil", "des Ortsteils"), "",
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
    """The cycle's list of all Ortsteil pages (Markdown table, linked), by Stadtbezirk; the pages stand with the
    newest cycle, so an older cycle links there."""
    h = history[history["cycle"] == ctx.params.cycle].set_index("area_code")
    where = FOLDER if ctx.params.cycle == ctx.latest_cycle else f"../{ctx.latest_cycle}/{FOLDER}"
    a = ctx.areas.sort_values(["sbz_code", "ot_code"])
    lines = ["| Ortsteil | Stadtbezirk | Rang Bedarfsindex | Evaluationsgruppe |", "|---|---|---:|---|"]
    for r in a.itertuples():
        rank = h["rank"].get(r.ot_code)
        lines.append(f"| [{md(r.ortsteil)}]({where}/{r.ot_code}.qmd) | {md(r.stadtbezirk)} | "
                     f"{'–' if rank is None or pd.isna(rank) else int(rank)} | {'ja' if r.ot_code in group else ''} |")
    return "\n".join(lines)


DATA_FOLDER = "daten"
DATA_DE = {"indicator": "Kennung", "name": "Kennzahl", "unit": "Einheit", "year": "Jahr", "value": "Wert",
           "lower": "untere Grenze (95 %)", "upper": "obere Grenze (95 %)", "interval": "Intervall",
           "city": "Leipzig", "verdict": "Vergleich mit Leipzig", "small_base": "kleiner Nenner", "trend": "Trend",
           "trend_p": "Trend p", "trend_from": "Trend von", "trend_to": "Trend bis"}


def write_data(out_dir: Path, ctx: Context, comparison: pd.DataFrame) -> list[Path]:
    """Beside the pages, in ortsteil/daten/: each Ortsteil's comparison as CSV (machine) and as CSV for German
    Excel, and one JSON file per indicator with every Ortsteil (for reuse). Same table, same bytes."""
    from evalkit.fileio import atomic_write_text, write_table
    from evalkit.publish.pages import write_excel_csv

    folder = out_dir / FOLDER / DATA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    names = ctx.areas.set_index("ot_code")["ortsteil"]
    comp = comparison.assign(name=comparison["indicator"].map(ctx.name), unit=comparison["indicator"].map(ctx.unit))
    cols = ["indicator", "name", "unit", "year", "value", "lower", "upper", "interval", "city", "verdict",
            "small_base", "trend", "trend_p", "trend_from", "trend_to"]
    written = []
    for code, g in comp.groupby("area_code", sort=True):
        t = g[cols].reset_index(drop=True)
        write_table(folder / f"{code}.csv", t)
        write_excel_csv(folder / f"{code}-excel.csv", t.rename(columns=DATA_DE))
        written += [folder / f"{code}.csv", folder / f"{code}-excel.csv"]
    for ind, g in comp.groupby("indicator", sort=True):
        doc = {"indicator": ind, "name": ctx.name(ind), "unit": ctx.unit(ind), "year": int(g["year"].iloc[0]),
               "city": _num(g["city"].iloc[0]), "cycle": ctx.params.cycle, "credit": ctx.credit,
               "ortsteile": [{"area_code": r.area_code, "name": str(names.get(r.area_code, r.area_code)),
                              "value": _num(r.value), "lower": _num(r.lower), "upper": _num(r.upper),
                              "versus_city": r.verdict or None, "small_base": bool(r.small_base),
                              "trend": r.trend or None} for r in g.itertuples()]}
        atomic_write_text(folder / f"{ind}.json", json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n")
        written.append(folder / f"{ind}.json")
    return written


def _num(v):
    return None if v is None or pd.isna(v) else round(float(v), 6)


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
