"""The committee report's text, section by section, for the report notebook (notebooks/bericht.py), which
papermill executes with the cycle's other notebooks and after them, reading the tables they saved (which passed
disclosure control). The PDF is typeset from that executed notebook's saved outputs (`report_pdf`), so the
report has one narrative, computed in the execution layer, with the same sentences as the site where the site
says the same (summary, measures, weights in words, reading aids).

Each section returns blocks: Markdown text, or a `Figure` (an SVG with caption and alt text) that `show` writes
beside the notebook and places as raw Typst (Pandoc's Typst writer drops alt text, which PDF/UA-1 requires).
Data-derived text is escaped Markdown (`md`) or a Typst string literal (`s`) in the raw Typst blocks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalkit.cycles.context import Context
from evalkit.fileio import read_table
from evalkit.paths import FIGURE_MARKER
from evalkit.publish import report, svg
from evalkit.publish.fmt import ROUNDING_NOTE, ZEICHENERKLAERUNG, de, decimals_for, md, md_table, year_label

TITLE = "Evaluation der Integrierten Kinder- und Jugendhilfeplanung Leipzig"
# the date on the cover is the typesetting date, which the typesetter takes from the manifest (Typst's
# `datetime.today()` is the compile timestamp): the notebook itself holds no timestamp
TODAY = 'datetime.today().display("[day].[month].[year]")'


@dataclass(frozen=True)
class Figure:
    svg: str
    caption: str
    alt: str
    width: str


def s(text) -> str:
    """A Typst string literal for the raw Typst blocks (cover, legend): data-derived text never turns into markup."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def typst_block(*lines: str) -> str:
    """Raw Typst in the Markdown: passed through unchanged by Pandoc and by Quarto's `format: typst`."""
    return "```{=typst}\n" + "\n".join(lines) + "\n```\n"


def heading(text, level: int = 1) -> str:
    return f"{'#' * level} {md(text)}\n"


def table(head: list[str], rows: list[list[str]], align: list[str], caption: str | None = None) -> str:
    """A Markdown table from already formatted cells ('right' columns are numbers)."""
    df = pd.DataFrame(rows, columns=head)
    return md_table(df, numeric={h for h, a in zip(head, align) if a == "right"}, caption=caption)


def figure_typst(file: str, caption: str, alt: str, width: str) -> str:
    return typst_block(f"#figure(image({s(file)}, width: {width}, alt: {s(alt)}), caption: {s(caption)})")


def legend(labels: list[str], extra: str) -> str:
    items = [f"box(rect(width: 8pt, height: 8pt, fill: rgb({s(c)}))) + h(3pt) + {s(label)}"
             for label, c in zip(labels, svg.CLASS_COLOURS)]
    items.append(f"box(rect(width: 8pt, height: 8pt, fill: rgb({s(svg.FLAGGED_COLOUR)}))) + h(3pt) + {s(extra)}")
    return typst_block("#align(center, text(size: 8pt)[" + " #h(8pt) ".join(f"#({i})" for i in items) + "])")


def show(block) -> None:
    """Display one block in the notebook. Under `evalkit run` a figure becomes an SVG file named by its content
    beside the notebook (the `.figures` marker names the folder); opened by hand it is shown inline."""
    from IPython.display import SVG, Markdown, display

    if isinstance(block, str):
        display(Markdown(block))
        return
    marker = Path.cwd() / FIGURE_MARKER
    if not marker.is_file():
        display(SVG(block.svg))
        display(Markdown(f"*{md(block.caption)}*"))
        return
    folder = marker.read_text(encoding="utf-8").strip()
    data = block.svg.encode("utf-8")
    name = f"abb-{hashlib.sha256(data).hexdigest()[:16]}.svg"
    (Path.cwd() / folder).mkdir(parents=True, exist_ok=True)
    (Path.cwd() / folder / name).write_bytes(data)
    display(Markdown(figure_typst(f"{folder}/{name}", block.caption, block.alt, block.width)))


class Tables:
    """The cycle's tables the report reads (written by the cycle's other notebooks); opened by hand without
    them, the published ones in reports/<cycle>/tabellen."""

    def __init__(self, ctx: Context):
        self.dir = Path(ctx.output_dir)
        if not (self.dir / "kennzahlen.csv").is_file():
            self.dir = ctx.project.reports / str(ctx.params.cycle) / "tabellen"

    def get(self, name: str) -> pd.DataFrame | None:
        f = self.dir / name
        return read_table(f) if f.is_file() else None


# -- sections ---------------------------------------------------------------------------------------------------

def cover(ctx: Context, t: Tables) -> list:
    """Page set-up, cover and contents: raw Typst, the same under Pandoc's and Quarto's template."""
    p = ctx.params
    return [typst_block(
        f"#set document(title: {s(f'{TITLE} – Zyklus {p.cycle}')}, author: \"evalkit\")",
        '#set page(paper: "a4", margin: (x: 2.2cm, y: 2.4cm), numbering: "1", number-align: center)',
        '#set text(lang: "de", region: "de", hyphenate: true, size: 10pt)',
        "#set par(justify: true)", '#set heading(numbering: "1.1")',
        "#show heading.where(level: 1): it => { pagebreak(weak: true); it }",
        "#show figure: set block(breakable: true)",
        "#show table: set text(size: 8.5pt)", "#show table.cell.where(y: 0): strong",
        "#show table.cell: set par(justify: false)",  # justified narrow cells read as gaps
        "#show figure.where(kind: table): set figure.caption(position: top)",
        "#set table(inset: (x: 4pt, y: 3pt), stroke: (x, y) => if y == 0 { (bottom: 0.7pt) } "
        "else { (bottom: 0.2pt + luma(200)) })",
        "#page(numbering: none)[", "#v(3cm)",
        f'#text(size: 24pt, weight: "bold", hyphenate: false, {s(TITLE)})',
        "#v(0.6cm)", f"#text(size: 16pt, {s(f'Evaluationszyklus {p.cycle} · Bezugsjahr {p.reference_year}')})",
        "#v(0.3cm)", f"#text(size: 12pt, {s(p.description)})", "#v(1.5cm)",
        f'#text(size: 11pt, "Stand: " + {TODAY})', "#v(0.3cm)",
        f"#text(size: 11pt, {s('Erstellt vom Evaluationsteam der HTWK Leipzig mit evalkit für den Jugendhilfeausschuss')})",
        "#v(1fr)",
        "#rect(width: 100%, inset: 10pt, stroke: 0.8pt)[#par(" + s(
            "Quellen: " + ctx.credit + " "
            "Dieser Bericht ist keine Veröffentlichung der Stadt Leipzig und gibt nicht deren Auffassung "
            "wieder. Die amtliche Liste der Schwerpunkträume ist nicht öffentlich; berechnete Schwerpunkträume "
            "ersetzen sie nicht.") + ")]", "]",
        '#outline(title: "Inhalt", depth: 2)')]


def data_years(kf: pd.DataFrame) -> str:
    """"2022, 2023 oder 2024": the years the key figures' data end in, from the table."""
    years = sorted({int(y) for y in kf["year"].dropna()})
    if not years:
        return ""
    return years[0].__str__() if len(years) == 1 else ", ".join(map(str, years[:-1])) + f" oder {years[-1]}"


def summary(ctx: Context, t: Tables) -> list:
    from evalkit.publish.findings import cycle_summary, years_note

    p = ctx.params
    kf, idx, group = t.get("kennzahlen.csv"), t.get("bedarfsindex.csv"), t.get("evaluationsgruppe.csv")
    years = t.get("ergebnisjahre.csv")
    no_new = years_note(years, p.cycle, p.compare_with, p.reference_year) if years is not None else ""
    top = idx[idx["top13"]].sort_values("rank")
    ends = data_years(kf)
    out = [heading("Zusammenfassung"),
           (f"Dieser Bericht beschreibt die Lage in Leipzig nach den zuletzt verfügbaren Daten"
            f" (Bezugsjahr des Zyklus {p.reference_year})" if not no_new else
            f"Dieser Bericht zum Zyklus {p.cycle} beschreibt die zuletzt verfügbaren Daten")
           + (f" und vergleicht sie mit dem Evaluationszyklus {p.compare_with}." if p.compare_with else ".")
           + " Alle Werte sind aus Zählungen je Ortsteil neu berechnet; größere Gebiete entstehen durch "
           "Summieren von Zählern und Nennern."
           + (f" Die Daten der Stadt reichen je nach Thema bis {ends}; jede Tabelle nennt das Jahr." if ends else "")
           + "\n"]
    text = cycle_summary(t.dir, p.cycle, p.compare_with, p.reference_year, heading="##", callout=False)
    if text:
        out.append(text)
    out.append("Den höchsten berechneten Bedarf haben in diesem Zyklus: "
               + ", ".join(map(md, top["area_name"].head(5))) + f" (die {len(top)} Ortsteile mit dem höchsten "
               "Index stehen im Abschnitt „Bedarfslage und Schwerpunkträume“). Verglichen wird die Entwicklung aber "
               f"mit einer vor dem Plan festgelegten Evaluationsgruppe aus {len(group)} Ortsteilen: "
               + ", ".join(map(md, group["area_name"])) + ".\n")
    out.append("Was die Daten nicht zeigen: Bildungserfolge, Hilfen zur Erziehung und Angebote der Jugendarbeit "
               "sind je Ortsteil nicht öffentlich; der Vergleich beschreibt Entwicklungen und erlaubt keine "
               "Aussage darüber, ob der Plan sie verursacht hat.\n")
    return out


def key_figures(ctx: Context, t: Tables) -> list:
    p = ctx.params
    kf = t.get("kennzahlen.csv")
    out = [heading("Kennzahlen der Stadt"),
           "Je Kennzahl: das Jahr der letzten verfügbaren Daten (Datenstand), der Wert, das 95-%-Intervall und die "
           "Veränderung seit dem Vergleichszyklus. Mit * markierte Werte enthalten nicht veröffentlichte "
           "Kleinzahlen einzelner Ortsteile. " + ROUNDING_NOTE + "\n"]
    for section, members in report.by_goal(ctx, kf["indicator"]):
        part = kf[kf["indicator"].isin(members)]
        rows = [[f"{r['name']} ({r['unit']})", str(year_label(r["year"])),
                 de(r["value"], decimals_for(r["unit"])) + (" *" if r["suppressed"] else ""),
                 "–" if pd.isna(r["lower"]) else f"{de(r['lower'])} bis {de(r['upper'])}",
                 de(r["change"], decimals_for(r["unit"]), True)] for _, r in part.iterrows()]
        out.append(heading(section, 2))
        out.append(table(["Kennzahl (Einheit)", "Datenstand", "Wert", "95-%-Intervall",
                          f"Veränderung seit {p.compare_with}" if p.compare_with else "Veränderung"], rows,
                         ["left", "right", "right", "right", "right"]))
    foot = report.suppressed_footnote(kf)
    if foot:
        out.append(foot + "\n")
    return out


def priority(ctx: Context, t: Tables) -> list:
    from evalkit.analyses import cycle as analyses
    from evalkit.analyses.priority import FLAGGED
    from evalkit.publish import priority_text

    p = ctx.params
    idx, unc = t.get("bedarfsindex.csv"), t.get("rangunsicherheit.csv")
    bands = sorted(analyses.ikjhp_method(ctx).classes, key=lambda b: -(b.lower if b.lower is not None else -1e9))
    labels = [b.label for b in bands]
    names = ctx.areas.set_index("ot_code")["ortsteil"]
    out = [heading("Bedarfslage und Schwerpunkträume"),
           priority_text.components_sentence(p.priority.weights, ctx.name)
           + f", je über {p.priority.window} Jahre gepoolt, über die Ortsteile "
           + ("z-standardisiert" if p.priority.normalise == "z" else "rangnormalisiert")
           + ", gewichtet und addiert. " + priority_text.weight_rationale(p.priority.weights, ctx.name)
           + " Die Klassen sind Bänder des standardisierten Index. Es ist eine eigene Berechnung, keine "
           "amtliche Liste.\n"]
    counts = idx["need_class"].value_counts()
    out.append(Figure(svg.area_map(ctx.geojson, {c: str(n) for c, n in names.items()},
                                   fills=svg.class_fills(idx, labels), label="Bedarfsklassen"),
                      f"Bedarfsklassen der {len(names)} Ortsteile, Zyklus {p.cycle}",
                      f"Karte der {len(names)} Leipziger Ortsteile nach Bedarfsklasse: "
                      + "; ".join(f"{c}: {n} Ortsteile" for c, n in counts.items()) + ".", "70%"))
    out.append(legend(labels, "nicht eingestuft (zu kleine Basis)"))
    u = unc.set_index("area_code") if unc is not None else None
    rows = []
    for r in idx[idx["top13"]].sort_values("rank").itertuples():
        known = u is not None and r.area_code in u.index
        p_top = f"{de(100 * u.loc[r.area_code, 'p_top'], 0)} %" if known else "–"
        span = f"{int(u.loc[r.area_code, 'rank_lower'])} bis {int(u.loc[r.area_code, 'rank_upper'])}" if known else "–"
        rows.append([str(int(r.rank)), str(r.area_name), de(r.index, 2), str(r.need_class), p_top, span])
    out.append(table(["Rang", "Ortsteil", "Index", "Klasse", f"in Top {p.priority.top_k} bei Zählungs-Ziehungen",
                      "Rangbereich"], rows, ["right", "left", "right", "left", "right", "right"]))
    out.append(f"„in Top {p.priority.top_k} bei Zählungs-Ziehungen“ und „Rangbereich“: Anteil und 95-%-Bereich in "
               f"{p.priority.count_draws} Ziehungen der Zählungen (Poisson) – wie sicher die Zuordnung angesichts "
               f"kleiner Zahlen ist. Nicht eingestuft: {int((idx['need_class'] == FLAGGED).sum())} Ortsteile mit zu "
               "kleiner Basis.\n")
    return out


def trends(ctx: Context, t: Tables) -> list:
    from evalkit.analyses import cycle as analyses
    from evalkit.publish.findings import PANDEMIC
    from evalkit.publish.reading_aids import its_reading_aid

    p, ev = ctx.params, ctx.params.evaluation
    its, group = t.get("its.csv"), t.get("evaluationsgruppe.csv")
    out = [heading("Entwicklung seit dem Planstart"),
           "Je Kennzahl ein Modell über alle Jahre und Ortsteile: Niveau und jährlicher Trend der "
           f"Evaluationsgruppe vor und nach {ev.plan_start} im Vergleich zum übrigen Stadtgebiet, mit "
           f"Permutationstest ({ev.permutations} zufällige Gruppen) und Placebo (vorgetäuschter Start "
           f"{ev.placebo_start}). Die Hauptschätzung (synthetische Differenz-von-Differenzen) und der Vergleich mit "
           "gleich ausgewählten Gruppen ohne Plan stehen in der Zusammenfassung und auf der Seite „Trends und "
           "Abstände“.\n"]
    if not its["indicator"].isin(analyses.TREND_INDICATORS).any():
        out.append(f"Im Zyklus {p.cycle} (Bezugsjahr {p.reference_year}) liegt noch kein Jahr nach dem Planstart "
                   f"{ev.plan_start} vor; dieser Zyklus beschreibt die Ausgangslage, mit der die späteren Zyklen "
                   "die Entwicklung vergleichen.\n")
    members = set(group["area_code"].astype(str))
    alt = analyses.sensitivity_groups(ctx)
    distinct, same = analyses.evaluation.distinct_groups(members, {k: m for k, (m, _) in alt.items()})
    alt_labels = {k: f"{b} ({len(m)} Ortsteile)" for k, (m, b) in alt.items() if k in distinct}
    equal = [f"{b} ({len(m)} Ortsteile)" for k, (m, b) in alt.items() if k in same]
    for ind in analyses.TREND_INDICATORS:
        rows_i = its[its["indicator"] == ind]
        if rows_i.empty:
            continue
        spec = ctx.catalogue.get(ind)
        until = ctx.year(ind)
        fitted = analyses.its.fitted_series(ctx.indicators, ind, members, ev.plan_start, ev.first_year, until)
        series = {lab: fitted[fitted["group"] == g].rename(columns={"observed": "value"})[["year", "value"]]
                  for g, lab in (("evaluationsgruppe", "Evaluationsgruppe"), ("uebrige", "übriges Stadtgebiet"))}
        last = {lab: v.dropna().iloc[-1] for lab, v in series.items() if len(v.dropna())}
        out.append(heading(spec.name, 2))
        out.append(Figure(svg.line_chart(series, spec.name, spec.unit, 1),
                          f"{spec.name}: Evaluationsgruppe und übriges Stadtgebiet, {ev.first_year}–{until}",
                          f"Liniendiagramm {spec.name} ({spec.unit}) von {ev.first_year} bis {until}: "
                          + "; ".join(f"{lab} zuletzt {de(r['value'], 1)}" for lab, r in last.items()) + ".",
                          "85%"))
        post = list(range(ev.plan_start, until + 1))
        g = analyses.evaluation.gap_series(ctx.indicators, ind, members, ev.first_year, until).set_index("year")
        y0 = ev.plan_start - 1
        above = bool(g.loc[y0, "gap"] > 0) if y0 in g.index else True
        out.append(its_reading_aid(spec.name, rows_i, post, ev.plan_start, alt_labels, above=above,
                                   pandemic=ind in PANDEMIC, equal_groups=equal) + "\n")
    return out


def measures(ctx: Context, t: Tables) -> list:
    """The same tables and words as the site's measures page."""
    from evalkit.publish import measures_text

    out = [heading("Maßnahmen"),
           "Kinder- und Familienzentren, Schulsozialarbeit und die Begleitung im Berufsvorbereitungsjahr sind in "
           "ihrer Zahl öffentlich belegt, ihre Standorte nicht. Die erste Tabelle nennt jede Zahl mit ihrer "
           "Quelle, die zweite setzt die Zahlen der Schulen mit Maßnahme in Bezug zur Zahl der Quelle und zu den "
           "kommunalen Schulen der Schulliste.\n"]
    if (reg := t.get("massnahmen_quellen.csv")) is not None:
        out.append(measures_text.register_table(reg))
    if (cov := t.get("massnahmen_abdeckung.csv")) is not None and len(cov):
        out.append(measures_text.coverage_table(cov))
    out.append("Ein bedarfsorientiertes Verteilungsszenario (kein tatsächlicher Standortplan) steht auf der Seite "
               "„Maßnahmen“ der Website; es nennt die Schulen ohne bekannte Lage und wie stark sein Ergebnis von "
               "ihnen abhängt.\n")
    return out


def data_quality(ctx: Context, t: Tables) -> list:
    hidden = t.get("kleinzahlen.csv")
    hidden = hidden if hidden is not None else pd.DataFrame(columns=["Reihe", "Jahr", "Wert", "Ortsteile"])
    first = int(hidden["Jahr"].min()) if len(hidden) else None
    out = [heading("Datenqualität"),
           (f"Seit {first} weist die Statistik kleine Zahlen als 0 aus, ohne es zu kennzeichnen. evalkit erkennt "
            "solche Jahre an den Daten und verwendet diese Nullen nie als 0. " if first else
            "In den Daten dieses Zyklus erkennt evalkit keine als 0 ausgewiesenen Kleinzahlen. ")
           + ZEICHENERKLAERUNG + "\n"]
    if len(hidden):
        rows = [[str(r["Reihe"]), str(r["Jahr"]), str(r["Wert"]), str(r["Ortsteile"])] for _, r in hidden.iterrows()]
        out.append(table(["Reihe", "Jahr", "Wert", "Ortsteile"], rows, ["left", "right", "right", "right"]))
    out.append("Weitere Prüfungen (Abgleich mit den veröffentlichten Anteilen, Einwohnerdichte, Stadtsummen) stehen "
               "auf der Seite „Datenqualität“ des Zyklus.\n")
    return out


def sources(ctx: Context, t: Tables) -> list:
    from evalkit.acquire.sources import load_registry

    registry = load_registry(ctx.project.sources_file)
    lines = [f"- {md(src.title)}: {md(src.credit)} – {md(src.licence)}." for src in registry.sources]
    return [heading("Quellen und Lizenzen"), "\n".join(lines) + "\n",
            "Namensnennung: " + " ".join(f"{md(a.covers)}: „{md(a.credit)}“, {md(a.licence)} ({md(a.url)})."
                                         for a in registry.attribution) + "\n"]


# the report in order: each section takes the context and the cycle's tables and returns its blocks
SECTIONS = (cover, summary, key_figures, priority, trends, measures, data_quality, sources)
