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
# subtitle: "Evaluationsgruppe und übriges Stadtgebiet vor und nach dem Planstart 2020"
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
from evalkit.publish import figures, reading_aids, report
from evalkit.publish.fmt import de, md

ctx = load_context(project_root, cycle, output_dir)
display(Markdown(report.nav(ctx, "trends")))
ev = ctx.params.evaluation
group, eligible = analyses.evaluation_group(ctx)
members = set(group["area_code"])
save_table(ctx, group, "evaluationsgruppe.csv")
its = analyses.its_results(ctx, group, eligible)
save_table(ctx, its, "its.csv")
alt_groups = analyses.sensitivity_groups(ctx)
alt_labels = {k: f"{b} ({len(m)} Ortsteile)" for k, (m, b) in alt_groups.items()}
tt, glm = analyses.trend_tables(ctx, members)
save_table(ctx, tt, "trends.csv")
save_table(ctx, glm, "trends_logit.csv")
display(Markdown(
    f"**Evaluationsgruppe** sind die {len(group)} Ortsteile, die vor dem betrachteten Zeitraum feststanden: "
    f"{md(group['basis'].iloc[0])}: " + ", ".join(map(md, group["area_name"])) + ". Sie ist in jedem Zyklus "
    "dieselbe; die Bedarfslage dieses Zyklus steht auf der Seite *Schwerpunkträume*. Die amtliche Liste der "
    "Schwerpunkträume ist nicht öffentlich."))

# %% [markdown]
# ## Veränderung zum Planstart: unterbrochene Zeitreihe
# Je Kennzahl ein Modell über alle Jahre und Ortsteile (Anteile in Prozentpunkten, gewichtet mit dem Nenner):
# Niveau und Trend der Evaluationsgruppe vor und nach dem Planstart, jeweils im Vergleich zum übrigen
# Stadtgebiet. Intervalle mit nach Ortsteilen geclusterten Standardfehlern (t-Verteilung, Korrektur für wenige
# Gruppen). Der *Permutations-p*-Wert sagt, wie oft zufällig gewählte Gruppen gleicher Größe einen mindestens so
# großen Wert zeigen; der *Placebo* setzt einen vorgetäuschten Start in die Jahre davor.

# %%
#| echo: false
for ind in analyses.TREND_INDICATORS:
    rows = its[its.indicator == ind]
    if rows.empty:
        continue
    spec = ctx.catalogue.get(ind)
    until = ctx.year(ind)
    fitted = analyses.its.fitted_series(ctx.indicators, ind, members, ev.plan_start, ev.first_year, until)
    display(Markdown(f"### {spec.name}"))
    fig = figures.its_figure(fitted, spec.name, spec.unit, ev.plan_start)
    figures.show(fig, caption=f"{spec.name}: beobachtete Anteile (Punkte) und die angepassten Geraden vor und nach "
                              f"{ev.plan_start}, Evaluationsgruppe und übriges Stadtgebiet.",
                 alt=f"Punkte und Geradenstücke {spec.name} von {ev.first_year} bis {until} für zwei Gruppen.")
    post = list(range(ev.plan_start, until + 1))
    display(Markdown("**Lesehilfe.** " + reading_aids.its_reading_aid(spec.name, rows, post, ev.plan_start,
                                                                      alt_labels)))

# %% [markdown]
# ## Trends je Zeitraum
# Ergänzend: Gerade je Zeitraum, in Prozentpunkten pro Jahr, Standardfehler nach Ortsteilen geclustert;
# 95-%-Intervalle. Der Abstand ist die Differenz der Anteile (Evaluationsgruppe minus übriges Stadtgebiet).

# %%
#| echo: false
for ind in analyses.TREND_INDICATORS:
    spec = ctx.catalogue.get(ind)
    s = trends.group_series(ctx.indicators, ind, members, ctx.year(ind))
    s = s[s.year >= 2008]
    display(Markdown(f"### {spec.name}"))
    series = {}
    for grp, label in (("schwerpunkt", "Evaluationsgruppe"), ("uebrige", "übriges Stadtgebiet")):
        series[label] = s[s.group == grp]
    fig = figures.trend_lines(series, spec.name, spec.unit)
    figures.show(fig, caption=f"{spec.name}: Evaluationsgruppe und übriges Stadtgebiet (Band: 95-%-Intervall "
                              "aus der Streuung zwischen den Ortsteilen; gestrichelt: Planstart 2020).",
                 alt=f"Liniendiagramm {spec.name} für zwei Gruppen von {int(s.year.min())} bis {int(s.year.max())}.")
    gap = trends.gap_by_year(s)
    fig = figures.trend_lines({"Abstand": gap.rename(columns={"gap": "value"})}, f"Abstand: {spec.name}",
                              "Prozentpunkte")
    last = gap.iloc[-1]
    figures.show(fig, caption=f"Abstand zwischen Evaluationsgruppe und übrigem Stadtgebiet: {spec.name} "
                              "(Band: 95-%-Intervall).",
                 alt=f"Liniendiagramm des Abstands; zuletzt ({int(last.year)}) {de(last.gap)} Prozentpunkte.")
    rows = tt[tt.indicator == ind]
    display(Markdown("**Lesehilfe.** " + reading_aids.reading_aid(f"der Wert „{spec.name}“", rows, s)))

# %% [markdown]
# ## Grenzen dieser Auswertung
# - Die Gebiete sind klein; Intervalle sind breit, und einzelne Jahre schwanken.
# - Die Daten enden 2022 (SGB II, Arbeitslose) bzw. 2023 (Migrationshintergrund); nach dem Planstart 2020 liegen
#   nur wenige Jahre vor.
# - Die Evaluationsgruppe ist *berechnet* und nach Bedarf ausgewählt (aus den Daten bis 2018). Gebiete, die wegen
#   hoher Werte gewählt wurden, nähern sich oft von selbst der Mitte an (Regression zur Mitte); der Vergleich der
#   Trends vor 2020 und der Placebo-Start zeigen, wie stark solche Drift ist.
# - Ohne ein Untersuchungsdesign, das Ursachen trennt (etwa Vergleichsgebiete ohne Maßnahmen), sind die Trends
#   **keine Wirkungsaussage** über den Plan oder einzelne Maßnahmen.
# - Zur Kontrolle der Richtung rechnet evalkit dieselben Trends ein zweites Mal mit einem Modell direkt auf den
#   Zählungen (logistisch; die Seite *Methoden* erklärt es). Es bestätigt die Richtung; seine Werte stehen in der
#   Tabelle „trends_logit“ der Provenienzseite.
