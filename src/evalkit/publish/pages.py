"""Generated pages and files of the site: per cycle its start page, provenance page, downloads and manifest;
for the whole site the indicator catalogue. All generated files live under reports/ (never committed)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from evalkit.cycles.params import CycleParams
from evalkit.cycles.provenance import environment
from evalkit.fileio import atomic_write_text, sha256_file, write_table
from evalkit.indicators.catalogue import GOALS, Catalogue
from evalkit.paths import Project

PAGE_TITLES = {"uebersicht": "Überblick", "ortsteile": "Ortsteile und Karten", "datenqualitaet": "Datenqualität",
               "schwerpunktraeume": "Schwerpunkträume (Bedarfsindex)", "trends": "Trends und Abstände",
               "massnahmen": "Maßnahmen", "ortsteilprofile": "Ortsteile im Profil (alle 63)"}
XLSX_CREATED = datetime(2020, 1, 1)  # fixed: the workbook's bytes depend only on its content
CREDITS = ("Daten: Stadt Leipzig, Amt für Statistik und Wahlen, Datenlizenz Deutschland – Namensnennung 2.0 "
           "(dl-de/by-2-0); Kitas: © OpenStreetMap-Mitwirkende (ODbL); eigene Berechnungen.")


def cycle_table(table: pd.DataFrame, p: CycleParams, restricted: set) -> pd.DataFrame:
    """The cycle's downloadable indicator table: its public indicators, all levels, up to its reference year."""
    sub = table[table.indicator.isin(p.indicators) & (table.year <= p.reference_year) & table.level.isin(p.levels)
                & ~table.indicator.isin(restricted)]
    return sub.reset_index(drop=True)


def write_downloads(cdir: Path, p: CycleParams, table: pd.DataFrame, restricted: set) -> list[Path]:
    """The cycle's indicator table as CSV and XLSX, both byte-identical for identical inputs."""
    sub = cycle_table(table, p, restricted)
    csv = cdir / "downloads" / f"indikatoren-{p.cycle}.csv"
    write_table(csv, sub)
    xlsx = csv.with_suffix(".xlsx")
    tmp = xlsx.with_name("." + xlsx.name + ".tmp")
    write_xlsx(tmp, sub, {"Quelle": [CREDITS, f"Evaluationszyklus {p.cycle}, Bezugsjahr {p.reference_year}"]})
    tmp.replace(xlsx)
    return [csv, xlsx]


def write_xlsx(path: Path, df: pd.DataFrame, notes: dict[str, list[str]]) -> None:
    """One sheet with the table, one per note list. XlsxWriter streams rows (pandas' to_excel takes twice as
    long on 25,000 rows) and, with a fixed creation date, writes the same bytes for the same table."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": XLSX_CREATED, "author": "evalkit"})
    bold = wb.add_format({"bold": True})
    ws = wb.add_worksheet("Indikatoren")
    ws.write_row(0, 0, list(df.columns), bold)
    ws.freeze_panes(1, 0)
    kinds = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    for r, row in enumerate(df.itertuples(index=False, name=None), start=1):
        for c, (v, numeric) in enumerate(zip(row, kinds)):
            if pd.isna(v):
                continue
            if numeric:
                ws.write_number(r, c, float(v))
            else:
                ws.write_string(r, c, str(v))
    for sheet, lines in notes.items():
        ns = wb.add_worksheet(sheet)
        ns.write(0, 0, "Hinweis", bold)
        for r, line in enumerate(lines, start=1):
            ns.write_string(r, 0, line)
    wb.close()


def outputs(cdir: Path) -> list[dict]:
    """Every output of a cycle with its hash (notebooks, tables, downloads), sorted by path."""
    files = [f for f in sorted(cdir.rglob("*")) if f.is_file()
             and (f.suffix in (".ipynb", ".csv", ".xlsx") or (f.suffix == ".qmd" and f.parent.name == "ortsteil"))
             and not any(part.startswith(".") for part in f.relative_to(cdir).parts)]
    return [{"path": f.relative_to(cdir).as_posix(), "sha256": sha256_file(f), "size": f.stat().st_size}
            for f in files]


def write_cycle_outputs(project: Project, p: CycleParams, inputs: dict, params_file: Path,
                        cdir: Path | None = None) -> None:
    """The cycle's manifest and its generated pages, into `cdir` (the runner's staged copy of the cycle, swapped
    into reports/ as a whole); the downloads are written beforehand by the runner."""
    cdir = cdir or project.reports / str(p.cycle)
    manifest = {
        "cycle": p.cycle, "params_file": params_file.relative_to(project.root).as_posix(),
        "params": p.model_dump(), "compare_with": p.compare_with, "inputs": inputs,
        "code": environment(project.root), "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "outputs": outputs(cdir),
    }
    atomic_write_text(cdir / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(cdir / "index.qmd", cycle_index(project, p, cdir))
    atomic_write_text(cdir / "provenienz.qmd", provenance_page(p, manifest, cdir))


def _title(nb_path: Path) -> str:
    import nbformat  # 1 s to import (jsonschema's format checkers): only when a page is written

    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "raw":
            for line in cell.source.splitlines():
                if line.startswith("title:"):
                    return line.split(":", 1)[1].strip().strip('"')
    return nb_path.stem


def cycle_index(project: Project, p: CycleParams, cdir: Path) -> str:
    lines = ["---", f'title: "{p.title}"', f'description: "{p.description} (Bezugsjahr {p.reference_year})"',
             "---", "", f"{p.description}. Bezugsjahr **{p.reference_year}**"
             + (f", verglichen mit dem Zyklus [{p.compare_with}](../{p.compare_with}/index.qmd)." if p.compare_with
                else "; dies ist die Ausgangslage vor dem Plan."), "", "## Berichtsseiten", ""]
    for name, title in PAGE_TITLES.items():
        if (cdir / f"{name}.ipynb").is_file():
            lines.append(f"- [{title}]({name}.ipynb)")
    for level, label in (("stadtbezirk", "Stadtbezirksprofile"), ("planungsraum", "Planungsraumprofile")):
        nbs = sorted((cdir / "profile").glob(f"{level}-*.ipynb"))
        if nbs:
            lines += ["", f"## {label}", ""]
            lines += [f"- [{_title(nb).rsplit(' – ', 1)[0]}](profile/{nb.name})" for nb in nbs]
    lines += ["", "## Downloads und Herkunft", "",
              f"- [Indikatortabelle {p.cycle} (CSV)](downloads/indikatoren-{p.cycle}.csv)",
              f"- [Indikatortabelle {p.cycle} (Excel)](downloads/indikatoren-{p.cycle}.xlsx)",
              "- [Provenienz: Daten, Parameter, Code und Paketversionen](provenienz.qmd)", "",
              f"*{CREDITS}*", ""]
    return "\n".join(lines)


def provenance_page(p: CycleParams, manifest: dict, cdir: Path) -> str:
    import nbformat

    code = manifest["code"]
    git = code["git"]
    rows = ["| Datei | SHA-256 |", "|---|---|"] + [f"| `{k}` | `{v[:16]}…` |" for k, v in manifest["inputs"].items()]
    outs = ["| Ergebnis | SHA-256 | Bytes |", "|---|---|--:|"] + [
        f"| `{o['path']}` | `{o['sha256'][:16]}…` | {o['size']:,} |".replace(",", ".") for o in manifest["outputs"]]
    pk = ["| Paket | Version |", "|---|---|"] + [f"| {k} | {v} |" for k, v in code["packages"].items()]
    times = []
    for nb_path in sorted(cdir.rglob("*.ipynb")):
        meta = nbformat.read(nb_path, as_version=4).metadata.get("evalkit", {})
        times.append(f"| `{nb_path.relative_to(cdir).as_posix()}` | {meta.get('started', '–')} | "
                     f"{meta.get('finished', '–')} |")
    params = json.dumps(manifest["params"], indent=2, ensure_ascii=False)
    return "\n".join([
        "---", f'title: "Provenienz {p.cycle}"', "---", "",
        f"Diese Seite belegt, woraus die Zahlen des Zyklus {p.cycle} entstanden sind. Die maschinenlesbare Fassung "
        "ist `manifest.json` im Berichtsordner; `evalkit verify --cycle "
        f"{p.cycle}` führt den Zyklus erneut aus und vergleicht jede Ergebnistabelle.", "",
        "## Code", "",
        f"- Git-Commit: `{git.get('commit') or 'unbekannt'}`"
        + (" (Arbeitsverzeichnis mit Änderungen)" if git.get("dirty") else ""),
        f"- Hash des evalkit-Quellcodes: `{code['evalkit_code_sha256'][:16]}…`",
        f"- Python {code['python']} auf {code['platform']}", "",
        "## Parameter", "", f"Datei `{manifest['params_file']}`:", "", "```json", params, "```", "",
        "## Eingabedateien", "", *rows, "",
        "## Ergebnisse", "", *outs, "",
        "## Ausführung der Notebooks", "", "| Notebook | Start (UTC) | Ende (UTC) |", "|---|---|---|", *times, "",
        "## Paketversionen", "", *pk, "", f"*{CREDITS}*", ""])


def write_site_pages(project: Project, catalogue: Catalogue) -> None:
    atomic_write_text(project.reports / "indikatoren.qmd", catalogue_page(catalogue))


# what each goal cannot show from public data, and how restricted data would slot in (spec §2.2, open questions)
NOT_MEASURABLE = {
    "Chancengerechtigkeit": (
        "Bildungserfolge nach Wohnort (Schulabschlüsse, Bildungsempfehlungen, Übergänge Schule–Beruf) "
        "veröffentlicht die Statistik nicht je Ortsteil; die Schulstatistik zählt nach Schulstandort. Läge eine "
        "Auswertung nach Wohn-Ortsteil vor, käme sie wie die Hilfen zur Erziehung als Zählung je Ortsteil und Jahr "
        "in `data/restricted/` und durch dieselbe Geheimhaltung."),
    "Starke Familien": (
        "Hilfen zur Erziehung je Ortsteil sind nicht öffentlich. evalkit hat dafür ein Eingabeschema "
        "(`data/restricted/hze.csv`: Ortsteil, Jahr, Fälle, Einwohner unter 21) und veröffentlicht daraus nur "
        "geschützte Tabellen; ohne die Datei zeigt die Maßnahmenseite ein gekennzeichnetes synthetisches Beispiel. "
        "Plätze und Auslastung der Kitas, Familienbildung und Beratung fehlen ebenso."),
    "Sinnvolle Freizeit": (
        "Angebote und Nutzung der offenen Kinder- und Jugendarbeit, Vereine und Freizeitorte sind in den "
        "öffentlichen Daten nicht je Ortsteil erfasst. Die Erholungsfläche je Kind beschreibt nur den Raum, nicht "
        "die Angebote; ein Register der Einrichtungen mit Standort ließe sich wie die Kitas je Ortsteil zählen."),
}
ROLE_DE = {"Ergebnis": "Ergebnis (was der Plan verändern will)", "Kontext": "Kontext (Bedingungen, in denen er wirkt)"}


def quantity_text(name: str | None) -> str:
    """A numerator or denominator in words: a published series by its name and source, a derived one described."""
    derived = {"einwohner_unter15": "Einwohner unter 15 Jahren (aus Jugend- und Altenquote)",
               "einwohner_15_65": "Einwohner von 15 bis unter 65 Jahren (aus Jugend- und Altenquote)",
               "einwohner_ab65": "Einwohner ab 65 Jahren (aus Alten- und Jugendquote)",
               "einwohner_unter65": "Einwohner unter 65 Jahren (aus Jugend- und Altenquote)",
               "alterssumme": "Summe der Lebensalter (Durchschnittsalter · Einwohner)",
               "flaeche_km2": "Fläche in km² (Flächennutzung, nächstes Jahr mit Daten)",
               "kitas_osm": "Kitas mit Standort im Ortsteil (OpenStreetMap, Juli 2024)"}
    if name is None:
        return "–"
    if ":" in name:
        source, series = name.split(":", 1)
        return f"„{series}“ (Reihe der Quelle {source})"
    return derived.get(name, name)


def catalogue_page(catalogue: Catalogue) -> str:
    """The catalogue by the plan's three goals: per goal its outcome and context indicators, what cannot be
    measured from public data; then each indicator's definition."""
    out = ["---", 'title: "Indikatorenkatalog"', "---", "",
           "Alle Indikatoren werden aus Zählungen je Ortsteil berechnet und für Stadtbezirke, Planungsräume und die "
           "Stadt durch Summieren von Zählern und Nennern zusammengefasst (nie durch Mitteln von Quoten). Sie sind "
           "den drei Zielen der IKJHP zugeordnet und als *Ergebnis* oder *Kontext* gekennzeichnet; die Zuordnung ist "
           "eine eigene, der Plan selbst ordnet keine Indikatoren zu.", ""]
    for goal in GOALS:
        out += [f"## {goal}", ""]
        for role in ("Ergebnis", "Kontext"):
            inds = [i for i in catalogue.indicators if goal in i.goals and i.role == role]
            if inds:
                out += [f"**{ROLE_DE[role]}:** " + ", ".join(f"[{i.name}](#{i.id})" for i in inds) + ".", ""]
        out += [f"**Nicht messbar mit öffentlichen Daten:** {NOT_MEASURABLE[goal]}", ""]
    direction = {True: "höher = mehr Bedarf", False: "niedriger = mehr Bedarf", None: "beschreibend"}
    out += ["## Die Indikatoren im Einzelnen", ""]
    for ind in catalogue.indicators:
        out += [f"### {ind.name} {{#{ind.id}}}", "", ind.definition.strip(), "",
                "| | |", "|---|---|", f"| Einheit | {ind.unit} |",
                f"| Zähler | {quantity_text(ind.numerator)} |", f"| Nenner | {quantity_text(ind.denominator)} |",
                f"| Richtung | {direction[ind.higher_is_worse]} |", f"| IKJHP-Ziele | {', '.join(ind.goals)} |",
                f"| Rolle | {ind.role} |", f"| Handlungsfeld | {ind.focus} |",
                f"| Quellen | {', '.join(ind.sources)} |", f"| Lizenz | {ind.source_credit}, {ind.licence} |",
                f"| Kennung (Downloads) | {ind.id} |"]
        if ind.restricted:
            out.append("| Zugang | nicht öffentlich, veröffentlicht nur mit Geheimhaltung |")
        if ind.check:
            out.append(f"| Abgleich | veröffentlichter Anteil „{ind.check.split(':', 1)[1]}“ |")
        out.append("")
    return "\n".join(out)
