"""Generated pages and files of the site: per cycle its start page, provenance page, downloads and manifest;
for the whole site the indicator catalogue. All generated files live under reports/ (never committed)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from evalkit.acquire import sources
from evalkit.cycles.params import CycleParams
from evalkit.cycles.provenance import environment
from evalkit.fileio import atomic_write_text, sha256_file, write_table
from evalkit.indicators.catalogue import GOALS, Catalogue
from evalkit.publish.findings import cycle_summary
from evalkit.publish.fmt import day_de, md, url_in_link, yaml_str
from evalkit.publish.report import LEVEL_DE, PAGE_TITLES
from evalkit.paths import Project

XLSX_CREATED = datetime(2020, 1, 1)  # fixed: the workbook's bytes depend only on its content


def cycle_table(table: pd.DataFrame, p: CycleParams, restricted: set) -> pd.DataFrame:
    """The cycle's downloadable indicator table: its public indicators, all levels, up to its reference year. An
    Ortsteil's suppressed count is blank, never its midpoint (that only keeps sums over Ortsteile right)."""
    sub = table[table.indicator.isin(p.indicators) & (table.year <= p.reference_year) & table.level.isin(p.levels)
                & ~table.indicator.isin(restricted)].reset_index(drop=True)
    own = (sub["level"] == "ortsteil") & (sub["suppressed"] > 0)
    sub.loc[own, "numerator"] = float("nan")
    return sub


GERMAN_COLUMNS = ["Indikator", "Einheit", "Ebene", "Gebietscode", "Gebiet", "Jahr", "Zähler", "Nenner", "Wert",
                  "Untergrenze 95 %", "Obergrenze 95 %", "Ortsteile mit nicht veröffentlichter Kleinzahl", "Kennung"]


def german_table(sub: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """The download for people: German headers, indicator names and units, levels in words; the machine-readable
    id stays in the last column (`Kennung`)."""
    spec = {i.id: i for i in catalogue.indicators}
    return pd.DataFrame({
        "Indikator": sub["indicator"].map(lambda i: spec[i].name), "Einheit": sub["indicator"].map(lambda i: spec[i].unit),
        "Ebene": sub["level"].map(LEVEL_DE), "Gebietscode": sub["area_code"], "Gebiet": sub["area_name"],
        "Jahr": sub["year"], "Zähler": sub["numerator"], "Nenner": sub["denominator"], "Wert": sub["value"],
        "Untergrenze 95 %": sub["lower"], "Obergrenze 95 %": sub["upper"],
        "Ortsteile mit nicht veröffentlichter Kleinzahl": sub["suppressed"], "Kennung": sub["indicator"]},
        columns=GERMAN_COLUMNS)


def write_excel_csv(path: Path, df: pd.DataFrame) -> None:
    """CSV as German Excel opens it with a double click: UTF-8 with BOM (else "SÃ¼d"), `;` between fields,
    decimal comma; numbers rounded to 4 decimals. Same table, same bytes."""
    from evalkit.fileio import atomic_write_bytes, spreadsheet_safe

    text = spreadsheet_safe(df).to_csv(sep=";", decimal=",", index=False, float_format="%.4f",
                                       lineterminator="\r\n")
    atomic_write_bytes(path, "\ufeff".encode("utf-8") + text.encode("utf-8"))


def download_names(cycle: int) -> dict[str, str]:
    """The downloads of a cycle: file name → what it is (for the pages that link them)."""
    return {f"indikatoren-{cycle}-excel.csv": "Tabelle für Excel (CSV: Semikolon, Dezimalkomma, deutsche Spalten)",
            f"indikatoren-{cycle}.xlsx": "Excel-Arbeitsmappe (deutsche Spalten)",
            f"indikatoren-{cycle}.csv": "maschinenlesbar (CSV: Komma, Dezimalpunkt, Kennungen wie im Code)"}


def write_downloads(cdir: Path, p: CycleParams, table: pd.DataFrame, restricted: set,
                    catalogue: Catalogue | None = None, credit: str | None = None) -> list[Path]:
    """The cycle's indicator table as machine-readable CSV, as CSV for German Excel and as XLSX (German
    headers), all byte-identical for identical inputs."""
    sub = cycle_table(table, p, restricted)
    csv = cdir / "downloads" / f"indikatoren-{p.cycle}.csv"
    write_table(csv, sub)
    german = german_table(sub, catalogue) if catalogue is not None else sub
    write_excel_csv(cdir / "downloads" / f"indikatoren-{p.cycle}-excel.csv", german)
    xlsx = csv.with_suffix(".xlsx")
    tmp = xlsx.with_name("." + xlsx.name + ".tmp")
    write_xlsx(tmp, german, {"Quelle": [credit or sources.credit_line(), f"Evaluationszyklus {p.cycle}, Bezugsjahr {p.reference_year}",
                                        "Leere Zelle: kein Wert (nicht veröffentlicht oder keine Daten)."]})
    tmp.replace(xlsx)
    return [csv, cdir / "downloads" / f"indikatoren-{p.cycle}-excel.csv", xlsx]


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


def output_files(cdir: Path) -> list[Path]:
    """The files of a cycle that are its outputs (notebooks, tables, downloads, figure files, the Ortsteil pages
    and their data), sorted by path; hidden working files are not."""
    return [f for f in sorted(cdir.rglob("*")) if f.is_file()
            and (f.suffix in (".ipynb", ".csv", ".xlsx", ".pdf", ".svg", ".zip")
                 or (f.suffix == ".qmd" and f.parent.name == "ortsteil")
                 or (f.suffix == ".json" and f.parent.name == "daten"))
            and not any(part.startswith(".") for part in f.relative_to(cdir).parts)]


def outputs(cdir: Path) -> list[dict]:
    """Every output of a cycle with its hash, sorted by path (the manifest's list)."""
    return [{"path": f.relative_to(cdir).as_posix(), "sha256": sha256_file(f), "size": f.stat().st_size}
            for f in output_files(cdir)]


def write_cycle_outputs(project: Project, p: CycleParams, inputs: dict, params_file: Path,
                        cdir: Path | None = None, runs: dict | None = None) -> None:
    """The cycle's report PDF, manifest and generated pages, into `cdir` (the runner's staged copy of the cycle,
    swapped into reports/ as a whole); the downloads are written beforehand by the runner. The PDF is typeset
    first, so that the manifest lists it with its hash."""
    from evalkit.publish.report_pdf import write_cycle_pdf

    from evalkit.acquire.fetch import read_manifest  # requests, which fetch needs, only when pages are written

    cdir = cdir or project.reports / str(p.cycle)
    old_path = cdir / "manifest.json"
    old = json.loads(old_path.read_text(encoding="utf-8")) if old_path.is_file() else {}
    manifest = {
        "cycle": p.cycle, "params_file": params_file.relative_to(project.root).as_posix(),
        "params": p.model_dump(), "compare_with": p.compare_with, "inputs": inputs,
        "code": environment(project.root), "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        # where the bytes came from and when: the provenance page is generated from the manifest alone
        "fetched": read_manifest(project.raw),
        # when each notebook ran (timestamps live here, never in the notebooks)
        "notebooks": dict(sorted((k, v) for k, v in {**old.get("notebooks", {}), **(runs or {})}.items()
                                 if (cdir / k).is_file())),
    }
    write_notebook_archive(cdir, p.cycle)
    pdf_name = f"bericht-{p.cycle}.pdf"
    before_pdf = [o for o in outputs(cdir) if o["path"] != pdf_name]
    same = (old and [o for o in old.get("outputs", []) if o["path"] != pdf_name] == before_pdf
            and all(old.get(k) == manifest[k] for k in ("params", "inputs", "code", "fetched")))
    if same:  # a rerun with identical results is the same publication: same date, same bytes, nothing to render
        manifest["generated_at"], manifest["notebooks"] = old["generated_at"], old.get("notebooks", {})
    manifest["report_pdf"] = {"file": pdf_name, "typeset_by": write_cycle_pdf(project, p, cdir, manifest)}
    manifest["outputs"] = outputs(cdir)
    atomic_write_text(cdir / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    for name, text in generated_pages(project, p, cdir, manifest).items():
        atomic_write_text(cdir / name, text)


def generated_pages(project: Project, p: CycleParams, cdir: Path, manifest: dict) -> dict[str, str]:
    """The pages evalkit writes for a cycle, from its tables and its manifest only (so that `verify` can write
    them again and compare)."""
    return {"index.qmd": cycle_index(project, p, cdir),
            "provenienz.qmd": provenance_page(p, manifest, cdir, manifest.get("fetched"),
                                              sources.credit_line(project.sources_file))}


def profile_links(project: Project, p: CycleParams) -> list[str]:
    """The Stadtbezirk and Planungsraum profiles: one page per area across all cycles, standing with the newest
    cycle (an older cycle links there). Listed from the areas and the newest cycle's parameters, not from files,
    so that every cycle's index names the same pages whichever cycle was staged first."""
    from evalkit.acquire.areas import profile_areas
    from evalkit.cycles.params import newest_profiles
    from evalkit.fileio import read_table

    latest, levels = newest_profiles(project.params)
    if not levels:
        return []
    where = "profile" if p.cycle == latest else f"../{latest}/profile"
    areas = read_table(project.areas_file)
    lines = []
    for level in levels:
        label = LEVEL_DE[level]
        lines += ["", f"## {label}sprofile", ""]
        lines += [f"- [{label} {md(name)}]({where}/{level}-{url_in_link(str(code))}.ipynb)"
                  for code, name in profile_areas(areas, level)]
    if p.cycle != latest and lines:
        lines[2:2] = [f"Die Profile zeigen alle Zyklen auf einer Seite und stehen beim neuesten Zyklus {latest}.", ""]
    return lines


def cycle_index(project: Project, p: CycleParams, cdir: Path) -> str:
    lines = ["---", f"title: {yaml_str(p.title)}",
             f"description: {yaml_str(f'{p.description} (Bezugsjahr {p.reference_year})')}",
             "---", "", f"{md(p.description)}. Bezugsjahr **{p.reference_year}**"
             + (f", verglichen mit dem Zyklus [{p.compare_with}](../{p.compare_with}/index.qmd)." if p.compare_with
                else "; dies ist die Ausgangslage vor dem Plan."), "",
             "Eigene Berechnungen der Evaluation aus öffentlichen Daten, keine Veröffentlichung der Stadt Leipzig "
             "([Impressum](../../impressum.qmd)).", "",
             cycle_summary(cdir / "tabellen", p.cycle, p.compare_with, p.reference_year), "",
             "## Berichtsseiten", ""]
    for name, title in PAGE_TITLES.items():
        if (cdir / f"{name}.ipynb").is_file():
            lines.append(f"- [{title}]({name}.ipynb)")
    lines += profile_links(project, p)
    lines += ["", "## Bericht für den Jugendhilfeausschuss", "",
              f"- [Bericht {p.cycle} als PDF](bericht-{p.cycle}.pdf) (Zusammenfassung, Kennzahlen, Schwerpunkträume, "
              "Entwicklung, Maßnahmen, Datenqualität, Quellen, Provenienz)",
              "", "## Downloads und Herkunft", "",
              *[f"- [Indikatortabelle {p.cycle}: {what}](downloads/{name})"
                for name, what in download_names(p.cycle).items()],
              "- [Provenienz: Daten, Parameter, Code und Paketversionen](provenienz.qmd)", "",
              f"*{md(sources.credit_line(project.sources_file))}*", ""]
    return "\n".join(lines)


def notebook_archive_name(cycle: int) -> str:
    return f"downloads/notebooks-{cycle}.zip"


def write_notebook_archive(cdir: Path, cycle: int) -> None:
    """Every executed notebook of the cycle in one ZIP (sorted, fixed file times: same notebooks, same bytes). A
    link to an .ipynb is a link to its page under either renderer (Quarto and smalldocs rewrite it to the .html),
    so the provenance page links the notebooks here, where the files its checksums describe can be downloaded."""
    import io
    import zipfile

    from evalkit.fileio import atomic_write_bytes

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in (f for f in output_files(cdir) if f.suffix == ".ipynb"):  # the manifest's notebooks
            info = zipfile.ZipInfo(f.relative_to(cdir).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            z.writestr(info, f.read_bytes(), compresslevel=9)
    (cdir / "downloads").mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(cdir / notebook_archive_name(cycle), buf.getvalue())


def review_link(path: str, cycle: int) -> str:
    """Where a reviewer downloads an output: an executed notebook from the cycle's notebook archive (a link to
    the .ipynb itself would reach its page), everything else where it is."""
    return notebook_archive_name(cycle) if path.endswith(".ipynb") else path


def provenance_page(p: CycleParams, manifest: dict, cdir: Path, raw_manifest: dict | None = None,
                    credit: str | None = None) -> str:
    """What a reviewer checks: code version (and whether the working tree had changes), full SHA-256 of every
    input and output, where each source came from and when, the parameters, the packages, how to verify."""
    code = manifest["code"]
    git = code["git"]
    rows = ["| Datei | SHA-256 |", "|---|---|"] + [f"| `{k}` | `{v}` |" for k, v in manifest["inputs"].items()]
    outs = ["| Ergebnis | SHA-256 | Bytes |", "|---|---|--:|"] + [
        f"| [`{o['path']}`]({review_link(o['path'], p.cycle)}) | `{o['sha256']}` | {o['size']:,} |".replace(",", ".")
        if o["path"].endswith((".ipynb", ".csv", ".xlsx", ".zip")) else
        f"| `{o['path']}` | `{o['sha256']}` | {o['size']:,} |".replace(",", ".") for o in manifest["outputs"]]
    mirror = (raw_manifest or {}).get("mirror")
    # where the bytes came from: the live source, or a copy from a data mirror (then the copy's time, not a
    # retrieval from the web; the mirror records no date of its own)
    sources = ["| Datei | Quelle (Original) | bezogen von | Zeitpunkt (UTC) |", "|---|---|---|---|"] + [
        f"| `data/raw/{f['path']}` | `{f['source_url']}` | "
        + ("Datenspiegel (Kopie)" if mirror else "Originalquelle")
        + f" | {'kopiert' if mirror else 'abgerufen'} {f.get('retrieved_at', '–')} |"
        for f in (raw_manifest or {}).get("files", [])]
    if mirror:
        sources += ["", "Die Dateien wurden nicht aus dem Netz abgerufen, sondern aus einem lokalen Datenspiegel "
                        "kopiert (`EVALKIT_DATA_MIRROR`); wann der Spiegel erstellt wurde, ist in ihm nicht "
                        "vermerkt. Die Prüfsummen belegen, welche Bytes verwendet wurden."]
    pk = ["| Paket | Version |", "|---|---|"] + [f"| {k} | {v} |" for k, v in code["packages"].items()]
    runs = manifest.get("notebooks", {})
    times = [f"| `{rel}` | {runs.get(rel, {}).get('started', '–')} | {runs.get(rel, {}).get('finished', '–')} |"
             for rel in sorted(nb.relative_to(cdir).as_posix() for nb in cdir.rglob("*.ipynb"))]
    params = json.dumps(manifest["params"], indent=2, ensure_ascii=False)
    return "\n".join([
        "---", f'title: "Provenienz {p.cycle}"', "---", "",
        f"Diese Seite belegt, woraus die Zahlen des Zyklus {p.cycle} entstanden sind. Die maschinenlesbare Fassung "
        "ist [`manifest.json`](manifest.json); die ausgeführten Notebooks und alle Ergebnistabellen sind unten "
        "verlinkt, jeweils mit ihrer SHA-256-Prüfsumme. Die Notebooks liegen zusammen in "
        f"[`{notebook_archive_name(p.cycle)}`]({notebook_archive_name(p.cycle)}) (ein Link auf eine "
        "`.ipynb`-Datei führt auf der Website zu ihrer Seite).", "",
        "## Selbst nachprüfen", "",
        "Mit einer Kopie des Projekts (Git-Commit unten) und den Daten:", "",
        "```", "./tasks build            # Daten abrufen, alle Zyklen und die Website erzeugen",
        f"evalkit verify --cycle {p.cycle}   # Zyklus neu ausführen und vergleichen", "```", "",
        "`evalkit verify` prüft, dass jede Ergebnisdatei noch ihre Prüfsumme hat, dass die Eingaben unverändert "
        "sind, und führt den Zyklus in einem leeren Ordner erneut aus: Tabellen, Downloads und Ortsteilseiten "
        "müssen Byte für Byte, die Ausgaben jedes Notebooks inhaltlich gleich sein; der Bericht (PDF) wird aus "
        "dem neu ausgeführten Berichtsnotebook erneut gesetzt und muss Byte für Byte gleich sein.", "",
        "## Code", "",
        f"- Git-Commit: `{git.get('commit') or 'unbekannt'}`"
        + (" – das Arbeitsverzeichnis hatte nicht eingecheckte Änderungen (dirty): der Commit allein "
           "reproduziert diese Ergebnisse nicht" if git.get("dirty") else " – ohne nicht eingecheckte Änderungen"),
        f"- SHA-256 des evalkit-Quellcodes: `{code['evalkit_code_sha256']}`",
        f"- Python {code['python']} auf {code['platform']}", "",
        "## Parameter", "", f"Datei `{manifest['params_file']}`:", "", "```json", params, "```", "",
        "## Quellen und Abruf", "", *sources, "",
        "## Eingabedateien", "", *rows, "",
        "## Ergebnisse", "", *outs, "",
        "## Ausführung der Notebooks", "", "| Notebook | Start (UTC) | Ende (UTC) |", "|---|---|---|", *times, "",
        "## Paketversionen", "", *pk, "", f"*{md(credit or sources.credit_line())}*", ""])


def write_site_pages(project: Project, catalogue: Catalogue) -> None:
    """The pages that span cycles: the catalogue, the list of every cycle's downloads (included by "Daten &
    Lizenzen") and the Stand of the site (included by the start page and the Impressum)."""
    from evalkit.cycles.params import cycle_files

    atomic_write_text(project.reports / "indikatoren.qmd", catalogue_page(catalogue))
    lines, stands = [], []
    for c in sorted(cycle_files(project.params), reverse=True):
        cdir = project.reports / str(c)
        present = [(n, w) for n, w in download_names(c).items() if (cdir / "downloads" / n).is_file()]
        if present:
            lines.append(f"- **Zyklus {c}:** " + " · ".join(f"[{w.split(' (')[0]}](reports/{c}/downloads/{n})"
                                                          for n, w in present))
        if (cdir / "manifest.json").is_file():
            stands.append(json.loads((cdir / "manifest.json").read_text(encoding="utf-8"))["generated_at"])
    atomic_write_text(project.reports / "_downloads.md", "\n".join(lines or ["Noch keine Downloads."]) + "\n")
    from evalkit.acquire.fetch import read_manifest

    raw = read_manifest(project.raw)
    fetched = max((f.get("retrieved_at", "") for f in raw["files"]), default="") if raw else ""
    atomic_write_text(project.reports / "_stand.md", stand_text(max(stands, default=""), fetched) + "\n")
    registry = sources.load_registry(project.sources_file)
    atomic_write_text(project.reports / "_credit.md", f"*{md(registry.credit_line())}*\n")
    atomic_write_text(project.reports / "_quellen.md", sources_page_text(registry))


def sources_page_text(registry) -> str:
    """"Daten und Lizenzen": every fetched source with its credit and licence, then the attribution to cite."""
    rows = ["| Daten | Herkunft | Lizenz |", "|---|---|---|"]
    for s in registry.sources:
        rows.append(f"| {md(s.title)} | {md(s.credit)} | [{md(s.licence)}](<{url_in_link(s.licence_url)}>) |")
    cite = " ".join(f"{md(a.covers)}: „{md(a.credit)}“, {md(a.licence)} (<{url_in_link(a.url)}>)." for a in registry.attribution)
    return "\n".join([*rows, "", f"**Namensnennung:** {cite}", ""])


def stand_text(computed: str, fetched: str) -> str:
    """"Stand: 27.11.2026 …" from ISO timestamps (UTC): when the cycles were computed and the data fetched."""
    return (f"**Stand:** berechnet am {day_de(computed)} aus Daten, die am {day_de(fetched)} abgerufen wurden. Die "
            "Daten der Stadt reichen je nach Thema bis 2022, 2023 oder 2024.")


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
                out += [f"**{ROLE_DE[role]}:** " + ", ".join(f"[{md(i.name)}](#{i.id})" for i in inds) + ".", ""]
        out += [f"**Nicht messbar mit öffentlichen Daten:** {NOT_MEASURABLE[goal]}", ""]
    direction = {True: "höher = mehr Bedarf", False: "niedriger = mehr Bedarf", None: "beschreibend"}
    out += ["## Die Indikatoren im Einzelnen", ""]
    for ind in catalogue.indicators:
        out += [f"### {md(ind.name)} {{#{ind.id}}}", "", md(ind.definition.strip()), "",
                "| | |", "|---|---|", f"| Einheit | {md(ind.unit)} |",
                f"| Zähler | {md(quantity_text(ind.numerator))} |",
                f"| Nenner | {md(quantity_text(ind.denominator))} |",
                f"| Richtung | {direction[ind.higher_is_worse]} |", f"| IKJHP-Ziele | {md(', '.join(ind.goals))} |",
                f"| Rolle | {md(ind.role)} |", f"| Handlungsfeld | {md(ind.focus)} |",
                f"| Quellen | {md(', '.join(ind.sources))} |",
                f"| Lizenz | {md(ind.source_credit)}, {md(ind.licence)} |",
                f"| Kennung (Downloads) | {md(ind.id)} |"]
        if ind.restricted:
            out.append("| Zugang | nicht öffentlich, veröffentlicht nur mit Geheimhaltung |")
        if ind.check:
            out.append(f"| Abgleich | veröffentlichter Anteil „{md(ind.check.split(':', 1)[1])}“ |")
        out.append("")
    return "\n".join(out)
