# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# ---
# title: "Datenqualität {cycle}"
# subtitle: "Abdeckung, Abgleich mit veröffentlichten Anteilen, bekannte Einschränkungen"
# ---

# %% tags=["parameters"]
#| echo: false
project_root = None  # None: $EVALKIT_ROOT, else the nearest folder upwards with data/sources.yaml
output_dir = None  # None: scratch/<cycle>/tabellen (never the published reports/)
cycle = None  # None: $EVALKIT_CYCLE (set by `evalkit lab --cycle`), else the latest cycle

# %%
#| echo: false
import pandas as pd
from IPython.display import Markdown, display

from evalkit.cycles.context import load_context, save_table
from evalkit.fileio import read_table
from evalkit.indicators.checks import match_rates
from evalkit.publish import report
from evalkit.publish.fmt import ZEICHENERKLAERUNG, de, md_table, md, year_ranges

ctx = load_context(project_root, cycle, output_dir)
display(Markdown(report.nav(ctx, "datenqualitaet")))
cov = report.coverage(ctx)
save_table(ctx, cov, "abdeckung.csv")
check = read_table(ctx.project.processed / "share_check.csv")

# %% [markdown]
# ## Abdeckung nach Indikator und Jahr
# Anzahl der Ortsteile mit Daten (von 63). Stadtbezirks-, Planungsraum- und Stadtwerte werden nur für Jahre
# berechnet, in denen alle zugehörigen Ortsteile Daten haben.

# %%
#| echo: false
view = report.coverage_summary(ctx, cov)
display(Markdown(md_table(view, caption=f"Jahre mit Daten je Indikator, {ctx.params.evaluation.first_year}–{ctx.params.reference_year} "
                                      "(vollständig: alle 63 Ortsteile)")))

# %% [markdown]
# ## Abgleich mit den veröffentlichten Anteilen
# Die Stadt veröffentlicht Anteile je Ortsteil, in dieser Quelle auf ganze Zahlen abgeschnitten. evalkit
# berechnet jeden Anteil neu aus Zähler und Nenner; abgeschnitten muss er dem veröffentlichten Wert entsprechen.

# %%
#| echo: false
rates = match_rates(check)
save_table(ctx, rates.rename(columns={"indicator": "indikator", "published_as": "veroeffentlicht_als",
                                      "checked": "geprueft", "matched": "gleich", "rate": "anteil_gleich"}),
           "anteilspruefung.csv")
view = pd.DataFrame({"Indikator": rates["indicator"].map(ctx.name), "geprüft": rates["checked"],
                     "gleich": rates["matched"], "Übereinstimmung (%)": 100 * rates["rate"]})
display(Markdown(md_table(view, formats={"geprüft": lambda v: de(v, 0), "gleich": lambda v: de(v, 0),
                                       "Übereinstimmung (%)": lambda v: de(v, 1)},
                        caption="Neu berechnete gegen veröffentlichte Anteile (Ortsteile, alle Jahre)")))
CLASS_DE = {"truncation edge": "Abschneidekante", "published zero": "veröffentlichte Null", "other": "übrige"}
miss = check[~check["match"]]
cls = miss.groupby("class").size()
display(Markdown(
    f"Von {de(len(check), 0)} geprüften Werten weichen {de(len(miss), 0)} ab: "
    + ", ".join(f"{de(n, 0)} × *{CLASS_DE.get(c, c)}*" for c, n in cls.items())
    + ". *Abschneidekante*: der neu berechnete Wert liegt weniger als 0,1 Punkte unter der veröffentlichten"
      " ganzen Zahl; der Nenner der Altersgruppe wird aus auf eine Nachkommastelle gerundeten Quoten geschätzt."
      " *veröffentlichte Null*: die Stadt veröffentlichte 0 trotz positiver Zählung (Quellfehler). *übrige*:"
      " andere Abweichungen"
    + (f", alle in den Jahren {miss.loc[miss['class'] == 'other', 'year'].min()}–"
       f"{miss.loc[miss['class'] == 'other', 'year'].max()}." if (miss["class"] == "other").any() else ".")))
other = miss[miss["class"] != "truncation edge"]
view = pd.DataFrame({"Indikator": other["indicator"].map(ctx.name), "Ortsteil": other["area_name"],
                     "Jahr": other["year"], "neu berechnet": other["recomputed"], "veröffentlicht": other["published"],
                     "Klasse": other["class"].map(lambda c: CLASS_DE.get(c, c))})
display(Markdown(md_table(view, formats={"neu berechnet": lambda v: de(v, 2), "veröffentlicht": lambda v: de(v, 0)},
                        caption="Abweichungen außerhalb der Abschneidekante")))

# %% [markdown]
# ## Einwohnerdichte: neu berechnet und veröffentlicht
# evalkit berechnet die Dichte als Einwohner je km² Gesamtfläche der Flächennutzungsstatistik (nächstgelegenes
# Erhebungsjahr, ganze Hektar). Diese Zahl zeigt die Website: Sie passt zu den übrigen Indikatoren und lässt sich
# für Stadtbezirke und Planungsräume aus Summen bilden. Die Stadt veröffentlicht eine eigene Dichte je Ortsteil;
# der Abgleich zeigt, wie weit beide auseinanderliegen und warum.

# %%
#| echo: false
dens = read_table(ctx.project.processed / "density_check.csv")
dens = dens[dens["year"] <= ctx.params.reference_year]
DENSITY_CLASS_DE = {"match": "gleich (±0,5 %)", "population base": "andere Einwohnerbasis",
                    "area base": "Fläche eines anderen Erhebungsjahres", "boundary change": "andere Gebietsfläche",
                    "base unknown": "Basis nicht erkennbar"}
by_year = dens.assign(Klasse=dens["class"].map(DENSITY_CLASS_DE)).pivot_table(
    index="year", columns="Klasse", values="area_code", aggfunc="count", fill_value=0)
by_year["mittlere Abweichung (%)"] = dens.groupby("year")["difference_pct"].apply(lambda v: v.abs().median())
save_table(ctx, by_year.reset_index(), "dichtepruefung.csv")
view = by_year.reset_index().rename(columns={"year": "Jahr"})
view.columns = [str(c) for c in view.columns]
display(Markdown(md_table(view, formats={**{c: (lambda v: de(v, 0)) for c in view.columns[1:-1]},
                                       "mittlere Abweichung (%)": lambda v: de(v, 1)},
                        caption="Ortsteile je Jahr nach Erklärung der Abweichung; Median der absoluten "
                                "Abweichung in Prozent")))
z = dens[(dens["area_code"] == "00") & (dens["year"] == dens["year"].min())]
if len(z):
    r = z.iloc[0]
    display(Markdown(
        f"Beispiel Zentrum {r['year']}: veröffentlicht {de(r['published'], 0)} je km², neu berechnet "
        f"{de(r['recomputed'], 0)} ({de(r['difference_pct'], 1)} %). *Andere Einwohnerbasis*: die "
        "veröffentlichte Dichte mal eine erhobene Fläche ergibt eine ganze Personenzahl, die nicht der "
        "Einwohnerzahl entspricht. *Andere Gebietsfläche*: die aus der veröffentlichten Dichte folgende Fläche "
        "weicht um mehr als 5 % von jeder erhobenen Fläche des Ortsteils ab (Gebietsstand vor der ersten "
        "Flächenerhebung 2006). *Basis nicht erkennbar*: unter 5 %, aber weder Fläche noch Einwohnerbasis "
        "erklären die Abweichung; die Quelle nennt ihre Basis nicht."))

# %% [markdown]
# ## Nicht veröffentlichte Kleinzahlen
#
# Seit 2018 weist die Statistik kleine Zahlen (etwa Arbeitslose unter 25 Jahren unter 10 in einem Ortsteil) als 0
# aus, ohne es zu kennzeichnen. evalkit erkennt solche Jahre an den Daten selbst: Nullen, aber kein Wert zwischen
# 1 und dem kleinsten veröffentlichten Wert, obwohl die Jahre davor solche Werte erwarten ließen (mindestens drei;
# die Regel steht im Indikatorkatalog). Eine solche 0 heißt „0 bis unter dem kleinsten veröffentlichten Wert“: Sie
# wird nie als 0 verwendet. Der Ortsteil erhält keinen Wert (·), Summen für Stadtbezirke, Planungsräume und die
# Stadt zählen sie mit der Mitte ihres Bereichs, tragen ihre Spanne im Intervall und sind mit * markiert; Modelle
# auf Ortsteilebene lassen sie aus.

# %%
#| echo: false
hidden = report.suppressed_summary(ctx)
save_table(ctx, hidden, "kleinzahlen.csv")
if len(hidden):
    display(Markdown(md_table(hidden, numeric={"Jahr", "Ortsteile"},
                            caption=f"Nicht veröffentlichte Kleinzahlen bis {ctx.params.reference_year}: "
                                    f"{int(hidden['Ortsteile'].sum())} Ortsteilwerte")))
    display(Markdown(ZEICHENERKLAERUNG))
else:
    display(Markdown(f"Bis {ctx.params.reference_year} erkennt die Regel keine als 0 ausgewiesenen Kleinzahlen."))

# %% [markdown]
# ## Bekannte Einschränkungen

# %%
#| echo: false
last = ctx.indicators.groupby("indicator")["year"].max()
ends = {i: int(y) for i, y in last.items() if y < ctx.params.reference_year}
gaps = read_table(ctx.project.processed / "unpublished.csv")
gap_text = "; ".join(f"{md(n)} {year_ranges(g.year)}" for n, g in gaps.groupby("indicator_raw"))
city = read_table(ctx.project.processed / "city_check.csv")
incomplete = read_table(ctx.project.processed / "incomplete.csv")
incomplete = incomplete[incomplete["year"] <= ctx.params.reference_year]
partial, gaps_years = incomplete[incomplete["ortsteile"] > 0], incomplete[incomplete["ortsteile"] == 0]
worst = city.loc[city["difference"].idxmin()] if len(city) else None
suppressed_cells = read_table(ctx.project.processed / "suppressed.csv")
suppressed_cells = suppressed_cells[suppressed_cells["year"] <= ctx.params.reference_year]
suppressed_cells = suppressed_cells.assign(series=[f"Arbeitslose {n}" if src == "arbeitslose" else f"{src}: {n}"
                                                   for src, n in zip(suppressed_cells["source"],
                                                                     suppressed_cells["indicator_raw"])])
small_counts = (suppressed_cells.groupby(["series", "year"]).size().rename("n").reset_index()
                if len(suppressed_cells) else suppressed_cells)
since = city[city["year"] >= 2011]
display(Markdown("\n".join([
    "- **Altersgruppen** werden nicht als Zahlen veröffentlicht: Kinder unter 15 Jahren und Einwohner von 15 bis "
    "unter 65 Jahren werden aus Jugend- und Altenquote berechnet (E·J/(100+J+A)).",
    ("- **Daten enden früher** als das Bezugsjahr " + str(ctx.params.reference_year) + ": "
     + ", ".join(f"{md(ctx.name(i))} {y}" for i, y in sorted(ends.items(), key=lambda kv: kv[1]))
     + "; die Seiten verwenden das letzte verfügbare Jahr und sagen es.") if ends else
    "- Alle Indikatoren haben Daten bis zum Bezugsjahr.",
    ("- **Nicht veröffentlicht** (in jedem Ortsteil 0 oder leer, von evalkit als fehlend geführt): " + gap_text + ".")
    if gap_text else "",
    (f"- **Stadtsummen**: Die Summe der Ortsteile liegt bis zu {de(-worst['difference'], 0)} Einwohner "
     f"({int(worst['year'])}) unter der veröffentlichten Stadtzahl, seit 2011 höchstens "
     f"{de(max(-since['difference'].min(), 0), 0)}: Einwohner ohne Ortsteilzuordnung. evalkit rechnet alle "
     "Ebenen aus Ortsteilsummen.") if worst is not None else "",
    ("- **Unvollständige Jahre** (nicht jeder Ortsteil hat Daten, daher keine Werte für Stadtbezirke, Planungsräume "
     "und die Stadt): " + "; ".join(f"{md(ctx.name(i))} {year_ranges(g.year)}" for i, g in partial.groupby("indicator"))
     + ".") if len(partial) else (
        "- Jedes Indikatorjahr mit Daten hat einen Eintrag für jeden Ortsteil."
        + ("" if small_counts.empty else " Nicht jeder Eintrag ist ein Wert: "
           + "; ".join(f"{md(n)}: {g['n'].min()}–{g['n'].max()} Ortsteile je Jahr ({year_ranges(g['year'])})"
                       if g['n'].min() != g['n'].max() else
                       f"{md(n)}: {g['n'].min()} Ortsteil{'e' if g['n'].min() != 1 else ''} je Jahr "
                       f"({year_ranges(g['year'])})" for n, g in small_counts.groupby("series"))
           + " mit einer nicht veröffentlichten Kleinzahl (·; Tabelle unten).")),
    ("- **Lücken in Zeitreihen** (Jahr ohne Daten): " + "; ".join(
        f"{md(ctx.name(i))} {year_ranges(g.year)}" for i, g in gaps_years.groupby("indicator")) + ".")
    if len(gaps_years) else "",
    "- **Haushaltseinkommen** stammt aus der Bürgerumfrage (Stichprobe) und ist nur je Ortsteil verfügbar.",
    "- **Kleine Ortsteile**: Anteile mit kleinem Nenner schwanken stark; Karten schraffieren sie, Tabellen zeigen "
    "das 95-%-Intervall.",
])))

# %% [markdown]
# ## Altdaten 2000–2013 (Hochschulprojekt 2014)

# %%
#| echo: false
legacy = read_table(ctx.project.processed / "legacy_check.csv")
d = legacy["difference"].abs()
display(Markdown(
    f"Die Tabelle eines Hochschulprojekts von 2014 (ISO-8859-1, Semikolon, Dezimalkomma, zwei falsch geschriebene"
    f" Ortsteile, die über eine ausdrückliche Korrekturtabelle zugeordnet werden) enthält {de(len(legacy), 0)}"
    f" Werte. Mittlere absolute Differenz zur Neuberechnung: {de(d.mean(), 2)} Punkte; bei"
    f" {de((d <= 0.5).mean() * 100, 1)} % der Werte höchstens 0,5 Punkte."))
