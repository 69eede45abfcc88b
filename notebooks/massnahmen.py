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
from evalkit.publish import report
from evalkit.publish.fmt import ZEICHENERKLAERUNG, de, md, md_table, month_de, synthetic

ctx = load_context(project_root, cycle, output_dir)
display(Markdown(report.nav(ctx, "massnahmen")))
reg = measures.load_measures(ctx.project.data / "measures" / "measures.csv")
schools = measures.school_counts(analyses.school_file(ctx))
cov = measures.coverage(reg, schools)
_ = save_table(ctx, cov, "massnahmen_abdeckung.csv")

# %% [markdown]
# ## Maßnahmen laut öffentlichen Quellen

# %%
#| echo: false
from urllib.parse import urlparse  # noqa: E402

view = reg.assign(Anzahl=reg["count"].map(lambda v: de(v, 0)), Gesamt=reg["total"].map(lambda v: de(v, 0)),
                  source=reg["source"].map(lambda u: urlparse(u).netloc),
                  school_type=reg["school_type"].map(measures.school_type_label), date=reg["date"].map(month_de))
view = view.rename(columns={"measure": "Maßnahme", "date": "Stand", "school_type": "Schulart", "note": "Angabe",
                            "source": "Quelle"})[["Maßnahme", "Stand", "Schulart", "Anzahl", "Gesamt", "Angabe",
                                                  "Quelle"]]
display(Markdown(md_table(view.fillna("–"), numeric={"Anzahl", "Gesamt"},
                        caption="Zahlen zu den Maßnahmen (data/measures/measures.csv)")))
cv = pd.DataFrame({"Maßnahme": cov["measure"], "Stand": cov["date"].map(month_de),
                   "Schulart": cov["school_type"].map(measures.school_type_label),
                   "Anzahl": cov["count"], "laut Quelle": cov["total"], "kommunale Schulen 2023": cov["municipal"],
                   "Abdeckung laut Quelle (%)": cov["share_source"], "Abdeckung Schulliste (%)": cov["share_list"]})
display(Markdown(md_table(cv, formats={c: (lambda v: de(v, 0)) for c in ("Anzahl", "laut Quelle",
                                                                       "kommunale Schulen 2023")}
                        | {c: (lambda v: de(v, 1)) for c in ("Abdeckung laut Quelle (%)",
                                                            "Abdeckung Schulliste (%)")},
                        caption="Abdeckung nach Schulart: genannte Standorte je Schule (Quelle bzw. Schulliste 2023 "
                                "ohne freie Träger; die Liste mischt Stände und ist unvollständig)")))

# %% [markdown]
# ## Erreichen die Maßnahmen die Ortsteile mit Bedarf?

# %%
#| echo: false
idx = analyses.need_index(ctx, perturbations=0)
sites = measures.load_sites(ctx.project.restricted)
sc = analyses.scenario(ctx, idx)
names = ctx.areas.set_index("ot_code")["ortsteil"]
text = (f"**Szenario, keine tatsächliche Verteilung.** Die Standortliste der Schulsozialarbeit ist "
        f"nicht öffentlich. Angenommen, die {sc['stated_posts']} von {sc['stated_total']} Stellen an Grundschulen "
        f"(Stand {month_de(sc['stated_date'])}) würden der "
        f"Bedarfsrangfolge der Ortsteile folgen: Von {sc['located']} kommunalen Grundschulen mit bekannter Lage "
        f"erhielten die {sc['posts']} ({sc['stated_posts']}/{sc['stated_total']} davon) in den bedürftigsten Ortsteilen eine Stelle. Erreicht würden "
        f"{len(sc['ortsteile'])} Ortsteile: {', '.join(md(names[c]) for c in sc['ortsteile'])}. Dort leben "
        f"{de(sc['poor_children_share'], 1)} % der Kinder unter 15 Jahren im SGB-II-Bezug "
        f"({de(sc['poor_children'], 0)} von {de(sc['poor_children_total'], 0)}).\n\n")
sens, pb = sc["sensitivity"], sc["placed_by"]
text += (f"**Wie sicher ist diese Zahl?** Verortet sind {sc['located']} von "
         f"{sc['located'] + len(sc['unplaced'])} kommunalen Grundschulen: {pb.get('Koordinate', 0)} über die "
         f"Koordinate der Schulliste 2023, {pb.get('gleiche Adresse', 0)} über dieselbe Adresse und "
         f"{pb.get('Nachbaradresse', 0)} über eine benachbarte Hausnummer derselben Straße (Schuldatenbank 2017, "
         f"Schulliste 2023, OpenStreetMap-Kitas). Ohne Lage bleiben {len(sc['unplaced'])}: "
         f"{', '.join(md(n) for n in sc['unplaced']['name'])}. ")
if sens["skipped"]:
    text += (f"Das Szenario übergeht {len(sens['skipped'])} Ortsteile ohne verortete Schule, obwohl sie vor dem zuletzt "
             f"erreichten rangieren: {', '.join(md(names[c]) for c in sens['skipped'])}. Läge in "
             f"{'jedem' if len(sens['assumed']) == len(sens['skipped']) else 'den ersten ' + str(len(sens['assumed']))}"
             f" davon eine der nicht verorteten Schulen, erreichten die Stellen {len(sens['ortsteile'])} Ortsteile mit "
             f"{de(sens['poor_children_share'], 1)} % der Kinder im SGB-II-Bezug statt "
             f"{de(sc['poor_children_share'], 1)} %. Die Zahl hängt also an den fehlenden Schulstandorten.")
else:
    text += "Kein Ortsteil vor dem zuletzt erreichten wird mangels verorteter Schule übergangen."
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
                     "Ende und Stellenumfang; das Eingabeformat beschreibt die Seite *Methoden*) liegt nicht vor; "
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
