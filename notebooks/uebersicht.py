# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# ---
# title: "Überblick {cycle}"
# subtitle: "{description}"
# ---

# %% tags=["parameters"]
#| echo: false
project_root = None  # None: $EVALKIT_ROOT, else the nearest folder upwards with data/sources.yaml
output_dir = None  # None: scratch/<cycle>/tabellen (never the published reports/)
cycle = None  # None: $EVALKIT_CYCLE (set by `evalkit lab --cycle`), else the latest cycle

# %%
#| echo: false
from IPython.display import Markdown, display

from evalkit.acquire.areas import CITY_CODE
from evalkit.cycles.context import load_context, save_table
from evalkit.publish import figures, report
from evalkit.publish.fmt import ROUNDING_NOTE, de, de_by_unit, md, md_table, year_label

ctx = load_context(project_root, cycle, output_dir)
display(Markdown(report.nav(ctx, "uebersicht")))
kf = report.key_figures(ctx)
save_table(ctx, kf, "kennzahlen.csv")
cmp = ctx.compare
display(Markdown(
    f"Dieser Bericht beschreibt die Lage in Leipzig zum Bezugsjahr **{ctx.params.reference_year}** "
    + (f"und vergleicht sie mit dem Evaluationszyklus **{cmp.cycle}** (Bezugsjahr {cmp.reference_year})."
       if cmp else f"als Ausgangslage vor dem Start der IKJHP {ctx.params.evaluation.plan_start}.")
    + " Alle Werte sind aus Zählungen neu berechnet (Zähler und Nenner je Ortsteil, summiert für Stadtbezirke,"
      " Planungsräume und die Stadt); Anteile tragen ein 95-%-Konfidenzintervall (Wilson)."))

# %% [markdown]
# ## Kennzahlen für Leipzig

# %%
#| echo: false
view = kf.assign(
    Kennzahl=[f"{n} ({u})" for n, u in zip(kf["name"], kf["unit"])], Datenstand=kf["year"].map(year_label),
    Wert=report.shown_values(kf),
    Intervall=[("–" if lo != lo or lo is None else f"{de(lo)}–{de(hi)}") for lo, hi in zip(kf["lower"], kf["upper"])],
    Vergleich=de_by_unit(kf["compare_value"], kf["unit"]),
    Änderung=de_by_unit(kf["change"], kf["unit"], signed=True),
    Rolle=[ctx.catalogue.get(i).role for i in kf["indicator"]],
)
for section, members in report.by_goal(ctx, kf["indicator"]):
    part = view[kf["indicator"].isin(members)]
    display(Markdown(f"### {md(section)}"))
    display(Markdown(md_table(part[["Kennzahl", "Rolle", "Datenstand", "Wert", "Intervall", "Vergleich", "Änderung"]],
                            numeric={"Wert", "Intervall", "Vergleich", "Änderung"},
                            caption=f"{section}: Kennzahlen der Stadt Leipzig, Zyklus {ctx.params.cycle}"
                                    + (f", Vergleich mit Zyklus {cmp.cycle}" if cmp else ""))))
display(Markdown(
    f"*Datenstand*: das letzte Jahr mit Daten bis zum Bezugsjahr {ctx.params.reference_year}. Hat eine Kennzahl "
    "keine neueren Daten als im Vergleichszyklus, ist keine Veränderung messbar (–). " + ROUNDING_NOTE))
if report.suppressed_footnote(kf):
    display(Markdown(report.suppressed_footnote(kf)))

# %%
#| echo: false
ev = ctx.params.evaluation
display(Markdown(f"## Entwicklung seit {ev.first_year}"))
for ind in ctx.params.profile_indicators:
    s = report.series(ctx, ind, "stadt", CITY_CODE)
    s = s[s.year >= ev.first_year]
    fig = figures.trend_lines({"Leipzig": s}, ctx.name(ind), ctx.unit(ind), years_marked=(ev.plan_start,))
    last = s.iloc[-1]
    figures.show(fig, caption=f"{ctx.name(ind)} in Leipzig, {int(s.year.min())}–{int(last.year)} "
                              f"(Band: 95-%-Konfidenzintervall; gestrichelt: Planstart {ev.plan_start}).",
                 alt=f"Liniendiagramm {ctx.name(ind)} in Leipzig von {int(s.year.min())} bis {int(last.year)}; "
                     f"zuletzt {de(last.value)} {ctx.unit(ind)}.")
