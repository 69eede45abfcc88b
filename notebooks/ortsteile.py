# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# ---
# title: "Ortsteile {cycle}"
# subtitle: "Kennzahlen und Karten der 63 Ortsteile"
# ---

# %% tags=["parameters"]
#| echo: false
project_root = None  # None: $EVALKIT_ROOT, else the nearest folder upwards with data/sources.yaml
output_dir = None  # None: scratch/<cycle>/tabellen (never the published reports/)
cycle = None  # None: $EVALKIT_CYCLE (set by `evalkit lab --cycle`), else the latest cycle

# %%
#| echo: false
import pandas as pd
from IPython.display import HTML, Markdown, display

from evalkit.cycles.context import load_context, save_table
from evalkit.publish import figures, maps, report
from evalkit.publish.fmt import de, html_table, md

ctx = load_context(project_root, cycle, output_dir)
display(Markdown(report.nav(ctx, "ortsteile")))
tables = [report.ortsteil_values(ctx, ind) for ind in ctx.params.map_indicators]
save_table(ctx, pd.concat(tables, ignore_index=True), "ortsteile.csv")
names = ctx.areas.set_index("ot_code")["ortsteil"]
display(Markdown(
    "Die Karten zeigen je Ortsteil den Wert im Bezugsjahr des Zyklus. Schraffierte Ortsteile haben einen"
    f" Nenner unter {de(ctx.params.small_denominator, 0)} Personen bzw. Haushalten: ihre Werte schwanken stark und sind nur mit"
    " dem Konfidenzintervall zu lesen. Graue Flächen: keine Daten."))

# %%
#| echo: false
for ind, tab in zip(ctx.params.map_indicators, tables):
    spec = ctx.catalogue.get(ind)
    year = ctx.year(ind)
    display(Markdown(f"## {spec.name} ({year})\n\n{spec.definition}"
                     + ("" if year == ctx.params.reference_year else
                        f"\n\n*Letzte verfügbare Daten: {year}; Bezugsjahr des Zyklus ist {ctx.params.reference_year}.*")))
    title = f"{spec.name}, {year}"
    fig = maps.choropleth(ctx.geojson, tab, title, spec.unit, tab.set_index("area_code")["uncertain"])
    # a tiny base must not top a ranking unmarked: tables and alt texts rank only Ortsteile with a solid base
    solid = tab[~tab["uncertain"]]
    small = tab[tab["uncertain"] & tab["value"].notna()]
    figures.show(fig, caption=f"{title} je Ortsteil ({spec.unit}).",
                 alt=maps.alt_text(solid, names, title, spec.unit)
                 + (f" Ohne {len(small)} Ortsteile mit kleinem Nenner." if len(small) else ""), credit=maps.CREDIT)
    top = solid.sort_values("value", ascending=spec.higher_is_worse is False).head(10)
    unit_den = "Haushalte" if "mit Kindern" in str(spec.denominator) else "Personen"
    view = pd.DataFrame({
        "Ortsteil": top["area_name"], "Stadtbezirk": top["stadtbezirk"], "Wert": top["value"].map(de),
        "95-%-Intervall": [("–" if pd.isna(lo) else f"{de(lo)} bis {de(hi)}") for lo, hi in zip(top.lower, top.upper)],
        f"Nenner ({unit_den})": top["denominator"].map(lambda v: de(v, 0)),
    })
    display(HTML(html_table(view, numeric={"Wert", "95-%-Intervall", f"Nenner ({unit_den})"},
                            caption=f"Die zehn Ortsteile mit den {'höchsten' if spec.higher_is_worse is not False else 'niedrigsten'} Werten: {title}")))
    if len(small):
        display(Markdown(f"Nicht in der Rangliste, weil ihr Nenner unter {de(ctx.params.small_denominator, 0)} "
                         f"{unit_den} liegt (Wert unsicher): " + ", ".join(
                             f"{md(n)} ({de(v)})" for n, v in zip(small["area_name"], small["value"])) + "."))
