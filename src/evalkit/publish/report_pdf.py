"""The cycle's report for the Jugendhilfeausschuss as PDF, typeset with Typst (the engine Quarto itself uses for
`format: typst`; PyPI `typst` ships the compiler, no TeX needed).

Assembled after a cycle's notebooks have run, from the tables they saved (reports/<cycle>/tabellen/, which passed
disclosure control) and the indicator table: cover, contents, summary, key figures, priority areas with a map,
trends with their reading aids, measures, data quality, sources and licences, provenance. Text goes into the
Typst source only as string literals, so that no data-derived string can become markup.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from evalkit.cycles.context import Context
from evalkit.fileio import atomic_write_bytes, read_table
from evalkit.publish import report, svg
from evalkit.publish.fmt import ZEICHENERKLAERUNG, de, decimals_for, year_label



def s(text) -> str:
    """A Typst string literal: data-derived text can never turn into markup."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def para(text) -> str:
    return f"#par({s(text)})\n"


def heading(text, level: int = 1) -> str:
    return f"#heading(level: {level}, {s(text)})\n"


def table(head: list[str], rows: list[list[str]], align: list[str], widths: list[str] | None = None,
          size: str = "8.5pt") -> str:
    cols = widths or ["auto"] * len(head)
    cells = ", ".join(f"[#strong({s(h)})]" for h in head)
    body = ", ".join(s(c) for r in rows for c in r)
    return (f"#text(size: {size})[#table(columns: ({', '.join(cols)},), align: ({', '.join(align)},), "
            f"stroke: (x, y) => if y == 0 {{ (bottom: 0.7pt) }} else {{ (bottom: 0.2pt + luma(200)) }}, "
            f"table.header({cells}), {body})]\n")


def legend(labels: list[str], extra: str) -> str:
    items = [f"box(rect(width: 8pt, height: 8pt, fill: rgb({s(c)}))) + h(3pt) + {s(label)}"
             for label, c in zip(labels, svg.CLASS_COLOURS)]
    items.append(f"box(rect(width: 8pt, height: 8pt, fill: rgb({s(svg.FLAGGED_COLOUR)}))) + h(3pt) + {s(extra)}")
    return "#text(size: 8pt)[" + " #h(8pt) ".join(f"#({i})" for i in items) + "]\n"


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
    stand = (manifest or {}).get("generated_at", datetime.now(timezone.utc).isoformat())[:10]
    stand_de = f"{stand[8:10]}.{stand[5:7]}.{stand[0:4]}"
    bands = sorted(analyses.ikjhp_method(ctx).classes, key=lambda b: -(b.lower if b.lower is not None else -1e9))
    labels = [b.label for b in bands]
    names = ctx.areas.set_index("ot_code")["ortsteil"]

    out = ['#set document(title: ' + s(f"Evaluation der IKJHP Leipzig – Zyklus {p.cycle}") + ', author: "evalkit")',
           '#set text(lang: "de", region: "de", hyphenate: true, size: 10pt)',
           '#set page(paper: "a4", margin: (x: 2.2cm, y: 2.4cm), numbering: "1", number-align: center)',
           '#set par(justify: true)', '#set heading(numbering: "1.1")',
           '#show heading.where(level: 1): it => { pagebreak(weak: true); it }', ""]
    # cover
    out += ['#page(numbering: none)[', '#v(3cm)',
            f'#text(size: 24pt, weight: "bold", {s("Evaluation der Integrierten Kinder- und Jugendhilfeplanung Leipzig")})',
            '#v(0.6cm)', f'#text(size: 16pt, {s(f"Evaluationszyklus {p.cycle} · Bezugsjahr {p.reference_year}")})',
            '#v(0.3cm)', f'#text(size: 12pt, {s(p.description)})', '#v(1.5cm)',
            f'#text(size: 11pt, {s(f"Stand: {stand_de}")})', '#v(0.3cm)',
            f'#text(size: 11pt, {s("Erstellt vom Evaluationsteam der HTWK Leipzig mit evalkit für den Jugendhilfeausschuss")})',
            '#v(1fr)',
            '#rect(width: 100%, inset: 10pt, stroke: 0.8pt)[' + para(
                "Eigene Berechnungen aus öffentlichen Daten der Stadt Leipzig, Amt für Statistik und Wahlen "
                "(Datenlizenz Deutschland – Namensnennung 2.0), und von OpenStreetMap (© OpenStreetMap-Mitwirkende, "
                "ODbL). Dieser Bericht ist keine Veröffentlichung der Stadt Leipzig und gibt nicht deren Auffassung "
                "wieder. Die amtliche Liste der Schwerpunkträume ist nicht öffentlich; berechnete Schwerpunkträume "
                "ersetzen sie nicht.").strip() + ']', ']', ""]
    out += ['#outline(title: "Inhalt", depth: 2)', ""]

    # summary
    top = idx[idx["top13"]].sort_values("rank")
    out.append(heading("Zusammenfassung"))
    out.append(para(f"Dieser Bericht beschreibt die Lage in Leipzig zum Bezugsjahr {p.reference_year}"
                    + (f" und vergleicht sie mit dem Evaluationszyklus {p.compare_with}." if p.compare_with else ".")
                    + " Alle Werte sind aus Zählungen je Ortsteil neu berechnet; größere Gebiete entstehen durch "
                    "Summieren von Zählern und Nennern. Die Daten der Stadt reichen je nach Thema bis 2022, 2023 "
                    "oder 2024; jede Tabelle nennt das Jahr."))
    out.append(para(f"Den höchsten berechneten Bedarf haben in diesem Zyklus: "
                    + ", ".join(top["area_name"].head(5)) + f" (die {len(top)} Ortsteile mit dem höchsten Index "
                    "stehen in Abschnitt 3). Verglichen wird die Entwicklung aber mit einer vor dem Plan "
                    f"festgelegten Evaluationsgruppe aus {len(group)} Ortsteilen: " + ", ".join(group["area_name"])
                    + "."))
    main = its[(its["indicator"] == "kinder_sgb2_quote")]
    if len(main):
        post = list(range(ctx.params.evaluation.plan_start, (ctx.year("kinder_sgb2_quote") or p.reference_year) + 1))
        out.append(para("Kinderarmut (Kinder im SGB-II-Bezug): "
                        + its_reading_aid("Kinder im SGB-II-Bezug", main, post, ctx.params.evaluation.plan_start)))
    out.append(para("Was die Daten nicht zeigen: Bildungserfolge, Hilfen zur Erziehung und Angebote der Jugendarbeit "
                    "sind je Ortsteil nicht öffentlich; der Vergleich beschreibt Entwicklungen und erlaubt keine "
                    "Aussage darüber, ob der Plan sie verursacht hat."))

    # key figures, by goal
    out.append(heading("Kennzahlen der Stadt"))
    out.append(para("Je Kennzahl: das Jahr der letzten verfügbaren Daten (Datenstand), der Wert, das "
                    "95-%-Intervall und die Veränderung seit dem Vergleichszyklus. Mit * markierte Werte enthalten "
                    "nicht veröffentlichte Kleinzahlen einzelner Ortsteile."))
    for section, members in report.by_goal(ctx, kf["indicator"]):
        part = kf[kf["indicator"].isin(members)]
        rows = [[f"{r['name']} ({r['unit']})", str(year_label(r["year"])),
                 de(r["value"], decimals_for(r["unit"])) + (" *" if r["suppressed"] else ""),
                 "–" if pd.isna(r["lower"]) else f"{de(r['lower'])} bis {de(r['upper'])}",
                 de(r["change"], decimals_for(r["unit"]), True)] for _, r in part.iterrows()]
        out.append(heading(section, 2))
        out.append(table(["Kennzahl (Einheit)", "Datenstand", "Wert", "95-%-Intervall",
                          f"Veränderung seit {p.compare_with}" if p.compare_with else "Veränderung"], rows,
                         ["left", "right", "right", "right", "right"], ["1fr", "auto", "auto", "auto", "auto"]))
    foot = report.suppressed_footnote(kf.rename(columns={}))
    if foot:
        out.append(para(foot.replace("\\*", "*")))

    # priority areas
    out.append(heading("Bedarfslage und Schwerpunkträume"))
    out.append(para("Der Bedarfsindex fasst fünf Anteile je Ortsteil zusammen (Kinderarmut, Alleinerziehende in "
                    "Bedarfsgemeinschaften, Arbeitslose, Arbeitslose unter 25 Jahren, Migrationshintergrund), je über "
                    "drei Jahre gepoolt, über die Ortsteile standardisiert, gewichtet und addiert. Die Klassen sind "
                    "Bänder des standardisierten Index. Es ist eine eigene Berechnung, keine amtliche Liste."))
    files["klassen.svg"] = svg.area_map(ctx.geojson, {c: str(n) for c, n in names.items()},
                                        fills=svg.class_fills(idx, labels), label="Bedarfsklassen")
    out.append('#figure(image("klassen.svg", width: 70%), caption: '
               + s(f"Bedarfsklassen der 63 Ortsteile, Zyklus {p.cycle}") + ")\n")
    out.append(legend(labels, "nicht eingestuft (zu kleine Basis)"))
    u = unc.set_index("area_code") if unc is not None else None
    rows = []
    for r in top.itertuples():
        p_top = "–" if u is None or r.area_code not in u.index else f"{de(100 * u.loc[r.area_code, 'p_top'], 0)} %"
        span = "–" if u is None or r.area_code not in u.index else \
            f"{int(u.loc[r.area_code, 'rank_lower'])} bis {int(u.loc[r.area_code, 'rank_upper'])}"
        rows.append([str(int(r.rank)), str(r.area_name), de(r.index, 2), str(r.need_class), p_top, span])
    out.append(table(["Rang", "Ortsteil", "Index", "Klasse", f"in Top {p.priority.top_k}", "Rangbereich"], rows,
                     ["right", "left", "right", "left", "right", "right"], ["auto", "1fr", "auto", "auto", "auto", "auto"]))
    out.append(para(f"„in Top {p.priority.top_k}“ und „Rangbereich“: Anteil und 95-%-Bereich in 500 Ziehungen der "
                    "Zählungen (Poisson) – wie sicher die Zuordnung angesichts kleiner Zahlen ist. "
                    f"Nicht eingestuft: {int((idx['need_class'] == FLAGGED).sum())} Ortsteile mit zu kleiner Basis."))

    # trends
    out.append(heading("Entwicklung seit dem Planstart"))
    out.append(para("Je Kennzahl ein Modell über alle Jahre und Ortsteile: Niveau und jährlicher Trend der "
                    "Evaluationsgruppe vor und nach 2020 im Vergleich zum übrigen Stadtgebiet, mit "
                    "Permutationstest (999 zufällige Gruppen) und Placebo (vorgetäuschter Start 2016)."))
    alt_labels = {k: f"{b} ({len(m)} Ortsteile)" for k, (m, b) in analyses.sensitivity_groups(ctx).items()}
    members = set(group["area_code"].astype(str))
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
        out.append(f'#figure(image("trend-{ind}.svg", width: 85%), caption: '
                   + s(f"{spec.name}: Evaluationsgruppe und übriges Stadtgebiet, {ctx.params.evaluation.first_year}"
                       f"–{until}") + ")\n")
        post = list(range(ctx.params.evaluation.plan_start, until + 1))
        out.append(para(its_reading_aid(spec.name, rows_i, post, ctx.params.evaluation.plan_start, alt_labels)))

    # measures
    out.append(heading("Maßnahmen"))
    out.append(para("Kinder- und Familienzentren, Schulsozialarbeit und die Begleitung im Berufsvorbereitungsjahr "
                    "sind in ihrer Zahl öffentlich belegt, ihre Standorte nicht. Die Tabelle stellt die genannten "
                    "Zahlen den Schulen der städtischen Schulliste gegenüber."))
    if measures is not None and len(measures):
        rows = [[str(r["measure"]), str(r["date"]), str(r["school_type"]), de(r["count"], 0),
                 de(r["total"], 0), de(r["share_source"], 1)] for _, r in measures.iterrows()]
        out.append(table(["Maßnahme", "Stand", "Schulart", "Anzahl", "von", "Anteil (%)"], rows,
                         ["left", "left", "left", "right", "right", "right"]))
    out.append(para("Ein bedarfsorientiertes Verteilungsszenario (kein tatsächlicher Standortplan) steht auf der "
                    "Seite „Maßnahmen“ der Website; es nennt die Schulen ohne bekannte Lage und wie stark sein "
                    "Ergebnis von ihnen abhängt."))

    # data quality
    out.append(heading("Datenqualität"))
    out.append(para("Seit 2018 weist die Statistik kleine Zahlen als 0 aus, ohne es zu kennzeichnen. evalkit erkennt "
                    "solche Jahre an den Daten und verwendet diese Nullen nie als 0. " + ZEICHENERKLAERUNG))
    if len(hidden):
        rows = [[str(r["Reihe"]), str(r["Jahr"]), str(r["Wert"]), str(r["Ortsteile"])] for _, r in hidden.iterrows()]
        out.append(table(["Reihe", "Jahr", "Wert", "Ortsteile"], rows, ["left", "right", "right", "right"],
                         ["1fr", "auto", "auto", "auto"]))
    out.append(para("Weitere Prüfungen (Abgleich mit den veröffentlichten Anteilen, Einwohnerdichte, Stadtsummen) "
                    "stehen auf der Seite „Datenqualität“ des Zyklus."))

    # sources and provenance
    out.append(heading("Quellen und Lizenzen"))
    for line in ("Stadt Leipzig, Amt für Statistik und Wahlen: Statistik-Portal (Einwohner, Altersquoten, SGB II, "
                 "Arbeitslose, Migrationshintergrund, Einkommen, Flächennutzung) und Ortsteilgeometrie – Datenlizenz "
                 "Deutschland – Namensnennung 2.0 (dl-de/by-2-0).",
                 "LeipzigData: Planungsräume 2012, Schulliste 2023, Horte 2018 – CC0.",
                 "Sächsische Schuldatenbank 2017 (aufbereitet von jedeschule.de) – MIT.",
                 "Kindertagesstätten: © OpenStreetMap-Mitwirkende – Open Database License (ODbL) 1.0."):
        out.append(f"- #{s(line)}\n")
    out.append(heading("Provenienz"))
    code = (manifest or {}).get("code", {})
    git = code.get("git", {})
    out.append(para(f"Parameter: {(manifest or {}).get('params_file', '–')}. Git-Commit: {git.get('commit') or 'unbekannt'}"
                    + (" (mit nicht eingecheckten Änderungen)" if git.get("dirty") else "") + ". Prüfsummen (SHA-256, "
                    "gekürzt; vollständig auf der Provenienzseite und in manifest.json):"))
    rows = [[k, v[:16] + "…"] for k, v in sorted((manifest or {}).get("inputs", {}).items())
            if k.startswith("data/raw/") or k == "data/processed/indicators.csv"]
    out.append(table(["Datei", "SHA-256"], rows, ["left", "left"], ["1fr", "auto"], size="7.5pt"))
    out.append(para(f"Nachrechnen: evalkit verify --cycle {p.cycle} führt den Zyklus erneut aus und vergleicht jede "
                    "Tabelle Byte für Byte."))
    return "\n".join(out)


def build_pdf(ctx: Context, manifest: dict | None, target: Path) -> Path:
    """Typeset the report into `target` (written atomically); the same inputs give the same PDF (fixed date)."""
    import typst

    files: dict[str, str] = {}
    text = source(ctx, files, manifest)
    stamp = (manifest or {}).get("generated_at")
    when = datetime.fromisoformat(stamp) if stamp else datetime(2020, 1, 1, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory(prefix="evalkit-pdf-") as tmp:
        root = Path(tmp)
        for name, content in files.items():
            (root / name).write_text(content, encoding="utf-8")
        (root / "bericht.typ").write_text(text, encoding="utf-8")
        pdf = typst.compile(str(root / "bericht.typ"), root=str(root), timestamp=int(when.timestamp()))
    atomic_write_bytes(target, pdf)
    return target


def write_cycle_pdf(project, p, cdir: Path, manifest: dict | None = None) -> Path:
    """reports/<cycle>/bericht-<cycle>.pdf from the staged cycle's tables."""
    from evalkit.cycles.context import load_context

    ctx = load_context(project.root, p.cycle, cdir / "tabellen")
    return build_pdf(ctx, manifest, cdir / f"bericht-{p.cycle}.pdf")


def pdf_info(pdf: bytes) -> dict:
    """Page count from the PDF's page tree (for tests and the bench without a PDF library)."""
    import re

    counts = [int(m) for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    return {"pages": max(counts) if counts else 0}


