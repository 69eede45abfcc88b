"""The cycle's report for the Jugendhilfeausschuss as PDF, written once as Quarto Markdown and typeset with Typst:
by Quarto's own `format: typst` when Quarto is on PATH, else by Pandoc and the Typst compiler from PyPI (the
same two tools Quarto runs), so that both routes read one source.

Assembled after a cycle's notebooks have run, from the tables they saved (reports/<cycle>/tabellen/, which passed
disclosure control) and the indicator table: cover, contents, summary, key figures, priority areas with a map,
trends with their reading aids, measures, data quality, sources and licences, provenance. Data-derived text is
escaped Markdown (`md`), or a Typst string literal in the few raw Typst blocks (cover, legend), so it cannot
become markup.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from evalkit import tools
from evalkit.cycles.context import Context
from evalkit.errors import SiteError
from evalkit.fileio import atomic_write_bytes, read_table
from evalkit.publish import report, svg
from evalkit.publish.fmt import ROUNDING_NOTE, ZEICHENERKLAERUNG, day_de, de, decimals_for, md, md_table, month_de, year_label



def s(text) -> str:
    """A Typst string literal for the raw Typst blocks (cover, legend): data-derived text never turns into markup."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def typst_block(*lines: str) -> str:
    """Raw Typst in the Markdown source: passed through unchanged by Pandoc and by Quarto's `format: typst`."""
    return "```{=typst}\n" + "\n".join(lines) + "\n```\n"


def para(text) -> str:
    return f"{text}\n"


def heading(text, level: int = 1) -> str:
    return f"{'#' * level} {md(text)}\n"


def table(head: list[str], rows: list[list[str]], align: list[str], caption: str | None = None) -> str:
    """A Markdown table from already formatted cells ('right' columns are numbers)."""
    df = pd.DataFrame(rows, columns=head)
    return md_table(df, numeric={h for h, a in zip(head, align) if a == "right"}, caption=caption)


def figure(file: str, caption: str, alt: str, width: str) -> str:
    """A figure with caption and alt text as raw Typst (Pandoc's Typst writer drops alt text, which PDF/UA-1
    requires); both strings are Typst string literals, so data-derived text cannot become markup."""
    return typst_block(f"#figure(image({s(file)}, width: {width}, alt: {s(alt)}), caption: {s(caption)})")


def legend(labels: list[str], extra: str) -> str:
    items = [f"box(rect(width: 8pt, height: 8pt, fill: rgb({s(c)}))) + h(3pt) + {s(label)}"
             for label, c in zip(labels, svg.CLASS_COLOURS)]
    items.append(f"box(rect(width: 8pt, height: 8pt, fill: rgb({s(svg.FLAGGED_COLOUR)}))) + h(3pt) + {s(extra)}")
    return typst_block("#align(center, text(size: 8pt)[" + " #h(8pt) ".join(f"#({i})" for i in items) + "])")


def source(ctx: Context, files: dict[str, str], manifest: dict | None) -> str:
    """The Typst source of the whole report. `files` collects the SVG graphics it references (name → text)."""
    from evalkit.analyses import cycle as analyses
    from evalkit.analyses.priority import FLAGGED
    from evalkit.publish.reading_aids import its_reading_aid

    p, tab = ctx.params, Path(ctx.output_dir)
    kf = read_table(tab / "kennzahlen.csv")
    idx = read_table(tab / "bedarfsindex.csv")
    its = read_table(tab / "its.csv")
    group = read_table(tab / "evaluationsgruppe.csv")
    unc = read_table(tab / "rangunsicherheit.csv") if (tab / "rangunsicherheit.csv").is_file() else None
    hidden = read_table(tab / "kleinzahlen.csv") if (tab / "kleinzahlen.csv").is_file() else pd.DataFrame()
    measures = read_table(tab / "massnahmen_abdeckung.csv") if (tab / "massnahmen_abdeckung.csv").is_file() else None
    stand_de = day_de((manifest or {}).get("generated_at", datetime.now(timezone.utc).isoformat()))
    bands = sorted(analyses.ikjhp_method(ctx).classes, key=lambda b: -(b.lower if b.lower is not None else -1e9))
    labels = [b.label for b in bands]
    names = ctx.areas.set_index("ot_code")["ortsteil"]

    title = "Evaluation der Integrierten Kinder- und Jugendhilfeplanung Leipzig"
    out = ["---", f"pagetitle: {json.dumps(f'{title} – Zyklus {p.cycle}', ensure_ascii=False)}",
           "lang: de-DE", "papersize: a4", "fontsize: 10pt", "margin:", "  x: 2.2cm", "  y: 2.4cm",
           'section-numbering: "1.1"', 'page-numbering: "1"', "number-sections: true", "toc: false",
           "format:", "  typst:", "    keep-typ: false", "---", ""]
    # page set-up, then the cover and the contents: raw Typst, the same for Pandoc's and Quarto's template
    out.append(typst_block(
        f"#set document(title: {s(f'{title} – Zyklus {p.cycle}')}, author: \"evalkit\")",
        '#set page(paper: "a4", margin: (x: 2.2cm, y: 2.4cm), numbering: "1", number-align: center)',
        '#set text(lang: "de", region: "de", hyphenate: true, size: 10pt)',
        "#set par(justify: true)", '#set heading(numbering: "1.1")',
        "#show heading.where(level: 1): it => { pagebreak(weak: true); it }",
        "#show figure: set block(breakable: true)",
        "#show table: set text(size: 8.5pt)", "#show table.cell.where(y: 0): strong",
        "#show figure.where(kind: table): set figure.caption(position: top)",
        "#set table(inset: (x: 4pt, y: 3pt), stroke: (x, y) => if y == 0 { (bottom: 0.7pt) } "
        "else { (bottom: 0.2pt + luma(200)) })",
        "#page(numbering: none)[", "#v(3cm)",
        f'#text(size: 24pt, weight: "bold", hyphenate: false, {s(title)})',
        "#v(0.6cm)", f"#text(size: 16pt, {s(f'Evaluationszyklus {p.cycle} · Bezugsjahr {p.reference_year}')})",
        "#v(0.3cm)", f"#text(size: 12pt, {s(p.description)})", "#v(1.5cm)",
        f"#text(size: 11pt, {s(f'Stand: {stand_de}')})", "#v(0.3cm)",
        f"#text(size: 11pt, {s('Erstellt vom Evaluationsteam der HTWK Leipzig mit evalkit für den Jugendhilfeausschuss')})",
        "#v(1fr)",
        "#rect(width: 100%, inset: 10pt, stroke: 0.8pt)[#par(" + s(
            "Quellen: " + ctx.credit + " "
            "Dieser Bericht ist keine Veröffentlichung der Stadt Leipzig und gibt nicht deren Auffassung "
            "wieder. Die amtliche Liste der Schwerpunkträume ist nicht öffentlich; berechnete Schwerpunkträume "
            "ersetzen sie nicht.") + ")]", "]",
        '#outline(title: "Inhalt", depth: 2)'))

    # summary
    top = idx[idx["top13"]].sort_values("rank")
    out.append(heading("Zusammenfassung"))
    from evalkit.publish.findings import PANDEMIC, cycle_summary, years_note

    no_new = years_note(read_table(tab / "ergebnisjahre.csv"), p.cycle, p.compare_with, p.reference_year) \
        if (tab / "ergebnisjahre.csv").is_file() else ""
    out.append(para((f"Dieser Bericht beschreibt die Lage in Leipzig nach den zuletzt verfügbaren Daten"
                     f" (Bezugsjahr des Zyklus {p.reference_year})" if not no_new else
                     f"Dieser Bericht zum Zyklus {p.cycle} beschreibt die zuletzt verfügbaren Daten")
                    + (f" und vergleicht sie mit dem Evaluationszyklus {p.compare_with}." if p.compare_with else ".")
                    + " Alle Werte sind aus Zählungen je Ortsteil neu berechnet; größere Gebiete entstehen durch "
                    "Summieren von Zählern und Nennern. Die Daten der Stadt reichen je nach Thema bis 2022, 2023 "
                    "oder 2024; jede Tabelle nennt das Jahr."))
    summary = cycle_summary(tab, p.cycle, p.compare_with, p.reference_year, heading="##", callout=False)
    if summary:
        out.append(summary)
    out.append(para("Den höchsten berechneten Bedarf haben in diesem Zyklus: "
                    + ", ".join(map(md, top["area_name"].head(5))) + f" (die {len(top)} Ortsteile mit dem höchsten Index "
                    "stehen in Abschnitt 3). Verglichen wird die Entwicklung aber mit einer vor dem Plan "
                    f"festgelegten Evaluationsgruppe aus {len(group)} Ortsteilen: " + ", ".join(map(md, group["area_name"]))
                    + "."))
    out.append(para("Was die Daten nicht zeigen: Bildungserfolge, Hilfen zur Erziehung und Angebote der Jugendarbeit "
                    "sind je Ortsteil nicht öffentlich; der Vergleich beschreibt Entwicklungen und erlaubt keine "
                    "Aussage darüber, ob der Plan sie verursacht hat."))

    # key figures, by goal
    out.append(heading("Kennzahlen der Stadt"))
    out.append(para("Je Kennzahl: das Jahr der letzten verfügbaren Daten (Datenstand), der Wert, das "
                    "95-%-Intervall und die Veränderung seit dem Vergleichszyklus. Mit * markierte Werte enthalten "
                    "nicht veröffentlichte Kleinzahlen einzelner Ortsteile. " + ROUNDING_NOTE))
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
    foot = report.suppressed_footnote(kf.rename(columns={}))
    if foot:
        out.append(para(foot))

    # priority areas
    out.append(heading("Bedarfslage und Schwerpunkträume"))
    from evalkit.publish import priority_text

    out.append(para(priority_text.components_sentence(p.priority.weights, ctx.name)
                    + f", je über {p.priority.window} Jahre gepoolt, über die Ortsteile "
                    + ("z-standardisiert" if p.priority.normalise == "z" else "rangnormalisiert")
                    + ", gewichtet und addiert. " + priority_text.weight_rationale(p.priority.weights, ctx.name)
                    + " Die Klassen sind Bänder des standardisierten Index. Es ist eine eigene Berechnung, keine "
                    "amtliche Liste."))
    files["klassen.svg"] = svg.area_map(ctx.geojson, {c: str(n) for c, n in names.items()},
                                        fills=svg.class_fills(idx, labels), label="Bedarfsklassen")
    counts = idx["need_class"].value_counts()
    out.append(figure("klassen.svg", f"Bedarfsklassen der 63 Ortsteile, Zyklus {p.cycle}",
                      "Karte der 63 Leipziger Ortsteile nach Bedarfsklasse: "
                      + "; ".join(f"{c}: {n} Ortsteile" for c, n in counts.items()) + ".", "70%"))
    out.append(legend(labels, "nicht eingestuft (zu kleine Basis)"))
    u = unc.set_index("area_code") if unc is not None else None
    rows = []
    for r in top.itertuples():
        p_top = "–" if u is None or r.area_code not in u.index else f"{de(100 * u.loc[r.area_code, 'p_top'], 0)} %"
        span = "–" if u is None or r.area_code not in u.index else \
            f"{int(u.loc[r.area_code, 'rank_lower'])} bis {int(u.loc[r.area_code, 'rank_upper'])}"
        rows.append([str(int(r.rank)), str(r.area_name), de(r.index, 2), str(r.need_class), p_top, span])
    out.append(table(["Rang", "Ortsteil", "Index", "Klasse", f"in Top {p.priority.top_k} bei Zählungs-Ziehungen",
                      "Rangbereich"], rows,
                     ["right", "left", "right", "left", "right", "right"]))
    out.append(para(f"„in Top {p.priority.top_k} bei Zählungs-Ziehungen“ und „Rangbereich“: Anteil und 95-%-Bereich in "
                    f"{p.priority.count_draws} Ziehungen der "
                    "Zählungen (Poisson) – wie sicher die Zuordnung angesichts kleiner Zahlen ist. "
                    f"Nicht eingestuft: {int((idx['need_class'] == FLAGGED).sum())} Ortsteile mit zu kleiner Basis."))

    # trends
    out.append(heading("Entwicklung seit dem Planstart"))
    out.append(para("Je Kennzahl ein Modell über alle Jahre und Ortsteile: Niveau und jährlicher Trend der "
                    f"Evaluationsgruppe vor und nach {ctx.params.evaluation.plan_start} im Vergleich zum übrigen "
                    f"Stadtgebiet, mit Permutationstest ({ctx.params.evaluation.permutations} zufällige Gruppen) und "
                    f"Placebo (vorgetäuschter Start {ctx.params.evaluation.placebo_start}). Die Hauptschätzung "
                    "(synthetische Differenz-von-Differenzen) und der Vergleich mit gleich ausgewählten Gruppen ohne "
                    "Plan stehen in der Zusammenfassung und auf der Seite „Trends und Abstände“."))
    if not its["indicator"].isin(analyses.TREND_INDICATORS).any():
        out.append(para(f"Im Zyklus {p.cycle} (Bezugsjahr {p.reference_year}) liegt noch kein Jahr nach dem Planstart "
                        f"{ctx.params.evaluation.plan_start} vor; dieser Zyklus beschreibt die Ausgangslage, mit der "
                        "die späteren Zyklen die Entwicklung vergleichen."))
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
        fitted = analyses.its.fitted_series(ctx.indicators, ind, members, ctx.params.evaluation.plan_start,
                                            ctx.params.evaluation.first_year, until)
        series = {lab: fitted[fitted["group"] == g].rename(columns={"observed": "value"})[["year", "value"]]
                  for g, lab in (("evaluationsgruppe", "Evaluationsgruppe"), ("uebrige", "übriges Stadtgebiet"))}
        files[f"trend-{ind}.svg"] = svg.line_chart(series, spec.name, spec.unit, 1)
        out.append(heading(spec.name, 2))
        last = {lab: v.dropna().iloc[-1] for lab, v in series.items() if len(v.dropna())}
        out.append(figure(f"trend-{ind}.svg", f"{spec.name}: Evaluationsgruppe und übriges Stadtgebiet, "
                          f"{ctx.params.evaluation.first_year}–{until}",
                          f"Liniendiagramm {spec.name} ({spec.unit}) von {ctx.params.evaluation.first_year} bis "
                          f"{until}: " + "; ".join(f"{lab} zuletzt {de(r['value'], 1)}" for lab, r in last.items())
                          + ".", "85%"))
        post = list(range(ctx.params.evaluation.plan_start, until + 1))
        g = analyses.evaluation.gap_series(ctx.indicators, ind, members, ctx.params.evaluation.first_year, until)
        g = g.set_index("year")
        y0 = ctx.params.evaluation.plan_start - 1
        above = bool(g.loc[y0, "gap"] > 0) if y0 in g.index else True
        out.append(para(its_reading_aid(spec.name, rows_i, post, ctx.params.evaluation.plan_start, alt_labels,
                                        above=above, pandemic=ind in PANDEMIC, equal_groups=equal)))

    # measures: the same tables and words as the site's measures page
    from evalkit.publish import measures_text

    out.append(heading("Maßnahmen"))
    out.append(para("Kinder- und Familienzentren, Schulsozialarbeit und die Begleitung im Berufsvorbereitungsjahr "
                    "sind in ihrer Zahl öffentlich belegt, ihre Standorte nicht. Die erste Tabelle nennt jede Zahl "
                    "mit ihrer Quelle, die zweite setzt die Zahlen der Schulen mit Maßnahme in Bezug zur Zahl der "
                    "Quelle und zu den kommunalen Schulen der Schulliste 2023."))
    if (tab / "massnahmen_quellen.csv").is_file():
        out.append(measures_text.register_table(read_table(tab / "massnahmen_quellen.csv")))
    if measures is not None and len(measures):
        out.append(measures_text.coverage_table(measures))
    out.append(para("Ein bedarfsorientiertes Verteilungsszenario (kein tatsächlicher Standortplan) steht auf der "
                    "Seite „Maßnahmen“ der Website; es nennt die Schulen ohne bekannte Lage und wie stark sein "
                    "Ergebnis von ihnen abhängt."))

    # data quality
    out.append(heading("Datenqualität"))
    out.append(para("Seit 2018 weist die Statistik kleine Zahlen als 0 aus, ohne es zu kennzeichnen. evalkit erkennt "
                    "solche Jahre an den Daten und verwendet diese Nullen nie als 0. " + ZEICHENERKLAERUNG))
    if len(hidden):
        rows = [[str(r["Reihe"]), str(r["Jahr"]), str(r["Wert"]), str(r["Ortsteile"])] for _, r in hidden.iterrows()]
        out.append(table(["Reihe", "Jahr", "Wert", "Ortsteile"], rows, ["left", "right", "right", "right"]))
    out.append(para("Weitere Prüfungen (Abgleich mit den veröffentlichten Anteilen, Einwohnerdichte, Stadtsummen) "
                    "stehen auf der Seite „Datenqualität“ des Zyklus."))

    # sources and provenance
    out.append(heading("Quellen und Lizenzen"))
    from evalkit.acquire.sources import load_registry

    registry = load_registry(ctx.project.sources_file)
    for src in registry.sources:
        out.append(f"- {md(src.title)}: {md(src.credit)} – {md(src.licence)}.")
    out.append("")
    out.append(para("Namensnennung: " + " ".join(f"{md(a.covers)}: „{md(a.credit)}“, {md(a.licence)} ({a.url})."
                                                 for a in registry.attribution)))
    out.append("")
    out.append(heading("Provenienz"))
    code = (manifest or {}).get("code", {})
    git = code.get("git", {})
    out.append(para(f"Parameter: {md((manifest or {}).get('params_file', '–'))}. Git-Commit: {md(git.get('commit') or 'unbekannt')}"
                    + (" (mit nicht eingecheckten Änderungen)" if git.get("dirty") else "") + ". Prüfsummen (SHA-256, "
                    "gekürzt; vollständig auf der Provenienzseite und in manifest.json):"))
    rows = [[k, v[:16] + "…"] for k, v in sorted((manifest or {}).get("inputs", {}).items())
            if k.startswith("data/raw/") or k == "data/processed/indicators.csv"]
    out.append(table(["Datei", "SHA-256 (Anfang)"], rows, ["left", "left"]))
    out.append(para(f"Nachrechnen: `evalkit verify --cycle {p.cycle}` führt den Zyklus erneut aus, vergleicht jede "
                    "Tabelle Byte für Byte und setzt diesen Bericht aus den neu berechneten Tabellen erneut."))
    return "\n".join(out)


PDF_STANDARD = "ua-1"


@dataclass
class Typeset:
    pdf: bytes
    route: str  # "quarto" or "pandoc+typst": which one ran, recorded in the manifest


def typeset(text: str, files: dict[str, str], when: datetime, file: Path, route: str = "auto") -> Typeset:
    """The Markdown report as PDF. With Quarto on PATH, Quarto's own PDF route (`quarto render --to typst`);
    otherwise Pandoc (PyPI `pypandoc-binary`) writes Typst and the Typst compiler (PyPI `typst`) typesets it.
    Both read the same source; the date is fixed, so the same inputs give the same PDF. `route`: "auto" (Quarto
    when on PATH), "quarto" or "pandoc" (verify typesets again by the route the manifest records)."""
    quarto = shutil.which("quarto") if route in ("auto", "quarto") else None
    if route == "quarto" and not quarto:
        raise SiteError("quarto is not on PATH", file=file, expected="Quarto installed, or the pandoc+typst route")
    with tempfile.TemporaryDirectory(prefix="evalkit-pdf-") as tmp:
        root = Path(tmp)
        for name, content in files.items():
            (root / name).write_text(content, encoding="utf-8")
        (root / "bericht.qmd").write_text(text, encoding="utf-8")
        epoch = {"SOURCE_DATE_EPOCH": str(int(when.timestamp()))}
        if quarto:
            tools.run([quarto, "render", "bericht.qmd", "--to", "typst", "--output", "bericht.pdf"], cwd=root,
                      env=epoch, error=SiteError, file=file, expected="a report Quarto can typeset", name="quarto")
            return Typeset((root / "bericht.pdf").read_bytes(), "quarto")
        import pypandoc
        import typst

        # a bare template: page, type and cover come from the source's own Typst block, as under Quarto
        (root / "bare.typst").write_text("$for(header-includes)$\n$header-includes$\n$endfor$\n$body$\n",
                                         encoding="utf-8")
        tools.run([pypandoc.get_pandoc_path(), "bericht.qmd", "--from", "markdown", "--to", "typst", "--standalone",
                   "--template", "bare.typst", "--output", "bericht.typ"], cwd=root, env=epoch, error=SiteError, file=file,
                  expected="a report Pandoc can convert", name="pandoc")
        # tagged PDF/UA-1: Typst refuses to write it when a figure lacks alt text or the document a title
        try:
            pdf = typst.compile(str(root / "bericht.typ"), root=str(root), timestamp=int(when.timestamp()),
                                pdf_standards=[PDF_STANDARD])
        except typst.TypstError as e:
            raise SiteError(f"typst: {e}", file=file, expected="a report Typst can typeset as tagged PDF/UA-1 "
                                                               "(a document title, alt text on every figure)") from None
        return Typeset(pdf, "pandoc+typst")


def build_pdf(ctx: Context, manifest: dict | None, target: Path, shown: Path | None = None,
              route: str = "auto") -> str:
    """Typeset the report into `target` (written atomically); returns the route that ran. Errors name `shown`
    (the published path) rather than the staged one; `route` as in `typeset`."""
    files: dict[str, str] = {}
    text = source(ctx, files, manifest)
    stamp = (manifest or {}).get("generated_at")
    when = datetime.fromisoformat(stamp) if stamp else datetime(2020, 1, 1, tzinfo=timezone.utc)
    done = typeset(text, files, when, shown or target, route)
    atomic_write_bytes(target, done.pdf)
    return done.route


def write_cycle_pdf(project, p, cdir: Path, manifest: dict | None = None) -> str:
    """reports/<cycle>/bericht-<cycle>.pdf from the staged cycle's tables; returns the route that typeset it."""
    from evalkit.cycles.context import load_context

    ctx = load_context(project.root, p.cycle, cdir / "tabellen")
    name = f"bericht-{p.cycle}.pdf"
    return build_pdf(ctx, manifest, cdir / name, project.reports / str(p.cycle) / name)


def pdf_info(pdf: bytes) -> dict:
    """Page count from the PDF's page tree (for tests and the bench without a PDF library)."""
    import re

    counts = [int(m) for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    return {"pages": max(counts) if counts else 0}


