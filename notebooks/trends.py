# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# ---
# title: "Trends und Abstände {cycle}"
# subtitle: "Schwerpunkträume und übriges Stadtgebiet vor und nach dem Planstart 2020"
# ---

# %% tags=["parameters"]
#| echo: false
project_root = None  # None: $EVALKIT_ROOT, else the nearest folder upwards with data/sources.yaml
output_dir = None  # None: scratch/<cycle>/tabellen (never the published reports/)
cycle = None  # None: $EVALKIT_CYCLE (set by `evalkit lab --cycle`), else the latest cycle

# %%
#| echo: false
from IPython.display import Markdown, display

from evalkit.analyses import cycle as analyses
from evalkit.analyses import trends
from evalkit.cycles.context import load_context, save_table
from evalkit.publish import figures, reading_aids
from evalkit.publish.fmt import de, md

ctx = load_context(project_root, cycle, output_dir)
members = analyses.priority_members(ctx)
tt, glm = analyses.trend_tables(ctx, members)
save_table(ctx, tt, "trends.csv")
save_table(ctx, glm, "trends_logit.csv")
names = ctx.areas.set_index("ot_code")["ortsteil"]
display(Markdown(
    f"Als *Schwerpunkträume* gelten hier die {ctx.params.priority.top_k} Ortsteile mit dem höchsten berechneten "
    "Bedarfsindex dieses Zyklus ("
    + ", ".join(map(md, sorted(names[list(members)]))) + "); die amtliche Liste ist nicht öffentlich. Beide Gruppen "
    "werden aus Zählungen gebildet (Zähler und Nenner summiert). Trends: Gerade je Zeitraum, in Prozentpunkten pro "
    "Jahr, Standardfehler nach Ortsteilen geclustert; 95-%-Intervalle. Der Abstand ist die Differenz der Anteile "
    "(Schwerpunkträume minus übriges Stadtgebiet); seine Veränderung ist die Wechselwirkung Jahr × Gruppe."))

# %%
#| echo: false
for ind in analyses.TREND_INDICATORS:
    spec = ctx.catalogue.get(ind)
    s = trends.group_series(ctx.indicators, ind, members, ctx.year(ind))
    s = s[s.year >= 2008]
    display(Markdown(f"## {spec.name}"))
    series = {}
    for grp, label in (("schwerpunkt", "Schwerpunkträume"), ("uebrige", "übriges Stadtgebiet")):
        series[label] = s[s.group == grp]
    fig = figures.trend_lines(series, spec.name, spec.unit)
    figures.show(fig, caption=f"{spec.name}: Schwerpunkträume und übriges Stadtgebiet (Band: 95-%-Intervall; "
                              "gestrichelt: Planstart 2020).",
                 alt=f"Liniendiagramm {spec.name} für zwei Gruppen von {int(s.year.min())} bis {int(s.year.max())}.")
    gap = trends.gap_by_year(s)
    fig = figures.trend_lines({"Abstand": gap.rename(columns={"gap": "value"})}, f"Abstand: {spec.name}",
                              "Prozentpunkte")
    last = gap.iloc[-1]
    figures.show(fig, caption=f"Abstand zwischen Schwerpunkträumen und übrigem Stadtgebiet: {spec.name} "
                              "(Band: 95-%-Intervall).",
                 alt=f"Liniendiagramm des Abstands; zuletzt ({int(last.year)}) {de(last.gap)} Prozentpunkte.")
    rows = tt[tt.indicator == ind]
    display(Markdown("**Lesehilfe.** " + reading_aids.reading_aid(f"der Wert „{spec.name}“", rows)))

# %% [markdown]
# ## Grenzen dieser Auswertung
# - Die Gebiete sind klein; Intervalle sind breit, und einzelne Jahre schwanken.
# - Die Daten enden 2022 (SGB II, Arbeitslose) bzw. 2023 (Migrationshintergrund); nach dem Planstart 2020 liegen
#   nur wenige Jahre vor.
# - Die Schwerpunkträume sind hier *berechnet*; sie wurden nach Bedarf ausgewählt. Eine Annäherung an das übrige
#   Stadtgebiet kann daher auch Regression zur Mitte sein.
# - Ohne ein Untersuchungsdesign, das Ursachen trennt (etwa Vergleichsgebiete ohne Maßnahmen), sind die Trends
#   **keine Wirkungsaussage** über den Plan oder einzelne Maßnahmen.
# - Zur Kontrolle der Richtung schätzt evalkit dieselben Zellen mit einem Binomial-GLM auf den Zählungen
#   (`tabellen/trends_logit.csv`, Log-Odds pro Jahr).
