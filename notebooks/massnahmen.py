# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# ---
# title: "Maßnahmen {cycle}"
# subtitle: "Kinder- und Familienzentren, Schulsozialarbeit, BVJ-Begleitung – und nicht öffentliche Daten"
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

from evalkit.acquire import restricted
from evalkit.analyses import cycle as analyses
from evalkit.analyses import measures
from evalkit.cycles.context import load_context, save_table
from evalkit.errors import DisclosureError
from evalkit.publish import measures_text, report
from evalkit.publish.fmt import ZEICHENERKLAERUNG, de, md, md_table, synthetic

ctx = load_context(project_root, cycle, output_dir)
display(Markdown(report.nav(ctx, "massnahmen")))
reg = measures.load_measures(ctx.project.data / "measures" / "measures.csv")
schools = measures.school_counts(analyses.school_file(ctx))
cov = measures.coverage(reg, schools)
_ = save_table(ctx, cov, "massnahmen_abdeckung.csv")
_ = save_table(ctx, reg, "massnahmen_quellen.csv")

# %% [markdown]
# ## Maßnahmen laut öffentlichen Quellen

# %%
#| echo: false
display(Markdown(measures_text.register_table(reg, caption="Zahlen zu den Maßnahmen laut Quelle "
                                                            "(data/measures/measures.csv)")))
display(Markdown(measures_text.coverage_table(cov)))

# %% [markdown]
# ## Erreichen die Maßnahmen die Ortsteile mit Bedarf?

# %%
#| echo: false
idx = analyses.need_index(ctx, perturbations=0)
sites = measures.load_sites(ctx.project.restricted)
sc = analyses.scenario(ctx, idx)
names = ctx.areas.set_index("ot_code")["ortsteil"]
text = measures_text.scenario_text(sc, names)
save_table(ctx, sc["schools"], "szenario_grundschulen.csv")
display(Markdown(synthetic(text)))
if sites is not None:
    act = measures.actual_allocation(sites, analyses.children_in_poverty(ctx))
    display(Markdown(
        f"**Tatsächliche Standorte** (nicht öffentliches Standortregister): {len(act['ortsteile'])} Ortsteile mit "
        f"Schulsozialarbeit; dort leben {de(act['poor_children_share'], 1)} % der Kinder im SGB-II-Bezug "
        f"(Szenario: {de(sc['poor_children_share'], 1)} %)."))
else:
    display(Markdown("Ein Standortregister der Maßnahmen (je Standort: Maßnahme, Schule oder Kita, Ortsteil, Beginn, "
                     "Ende und Stellenumfang; das Eingabeformat beschreibt die Seite [Methoden](../../methoden.qmd#eingaben)) liegt nicht vor; "
                     "sobald es vorliegt, "
                     "vergleicht diese Seite die tatsächliche mit der bedarfsorientierten Verteilung."))

# %% [markdown]
# ## Hilfen zur Erziehung (nicht öffentliche Daten)

# %%
#| echo: false
try:
    hze, withheld = analyses.hze_table(ctx), None
except DisclosureError as e:  # too sparse to protect, or no year for this cycle: not published, and said why
    hze, withheld = None, e.message
if withheld:
    display(Markdown(f"**Die Tabelle der Hilfen zur Erziehung wird für diesen Zyklus nicht veröffentlicht:** "
                     f"{md(withheld)}. Geheimhaltung geht vor Vollständigkeit."))
elif hze is not None:
    save_table(ctx, hze[["cell", "level", "area_code", "published", "year"]], "hze_geschuetzt.csv")
    show = hze[hze.level != "ortsteil"].assign(Ebene=lambda d: d["level"].map(report.LEVEL_DE))
    display(Markdown(md_table(show[["Ebene", "area_code", "published"]].rename(
        columns={"area_code": "Gebiet", "published": "Fälle"}), numeric={"Fälle"},
        caption=f"Laufende Hilfen zur Erziehung {int(hze.year.iloc[0])} (· = gesperrt)")))
    display(Markdown(f"Zellen mit 1 bis 2 Fällen sind gesperrt (·), dazu weitere Zellen, bis sich für jede gesperrte "
                     "kleine Zahl aus allen Summen (Ortsteil, Stadtbezirk, Planungsraum, Stadt) nur ein Bereich von "
                     "mindestens drei Fällen eingrenzen lässt – auch für jemanden, der weiß, dass Nullen "
                     f"veröffentlicht werden; gesperrt: {int(hze.hidden.sum())} von {len(hze)} Zellen. "
                     + ZEICHENERKLAERUNG))
else:
    display(Markdown(
        "Hilfen zur Erziehung je Ortsteil sind nicht öffentlich. Liegen sie als nicht öffentliche Datei vor (je "
        "Ortsteil und Jahr: Fälle und Einwohner unter 21 Jahren), berechnet evalkit den Indikator *HzE je 1.000 unter "
        "21-Jährige* und veröffentlicht Zählungen nur mit primärer und sekundärer Sperrung. Zur Veranschaulichung "
        "des Verfahrens folgt ein **synthetisches** Beispiel."))
    demo = restricted.synthetic_hze(ctx.areas, [ctx.params.reference_year])
    from evalkit.analyses.disclosure import protected_table  # noqa: E402

    t = protected_table(demo.set_index("ot_code")["hze_faelle"], ctx.areas)
    sbz = t[t.level == "stadtbezirk"].assign(Stadtbezirk=lambda d: d["area_code"].map(
        ctx.areas.drop_duplicates("sbz_code").set_index("sbz_code")["stadtbezirk"]))
    display(Markdown(synthetic(md_table(
        sbz[["Stadtbezirk", "published"]].rename(columns={"published": "Fälle (synthetisch)"}),
        numeric={"Fälle (synthetisch)"}, caption="SYNTHETISCHE Zahlen – Beispiel der Sperrung, keine echten Daten")
        + f"\nGesperrt im synthetischen Beispiel: {int(t.hidden.sum())} von {len(t)} Zellen "
          f"({int(demo['hze_faelle'].between(1, 2).sum())} Ortsteile mit 1 oder 2 Fällen): für jede kleine Zahl bleibt aus allen Summen nur ein "
          f"Bereich von mindestens drei Fällen. {ZEICHENERKLAERUNG}")))
