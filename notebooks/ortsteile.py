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
from evalkit.publish import maps, report, svg
from evalkit.publish.fmt import de, decimals_for, md_table, md

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
    display(Markdown(f"## {md(spec.name)} ({year})\n\n{md(spec.definition)}"
                     + ("" if year == ctx.params.reference_year else
                        f"\n\n*Letzte verfügbare Daten: {year}; Bezugsjahr des Zyklus ist {ctx.params.reference_year}.*")))
    title = f"{spec.name}, {year}"
    # a tiny base must not top a ranking unmarked: tables and alt texts rank only Ortsteile with a solid base
    solid = tab[~tab["uncertain"]]
    small = tab[tab["uncertain"] & tab["value"].notna()]
    dec = decimals_for(spec.unit)
    values = tab.set_index("area_code")["value"]
    bins, cls = svg.classed(values)
    offset = len(svg.VALUE_COLOURS) - len(bins)
    fills = {c: svg.VALUE_COLOURS[offset + int(k)] for c, k in cls.items()}
    hidden = set(tab.loc[tab["suppressed"] > 0, "area_code"])
    hover = {r.area_code: f"{r.area_name}: " + (
        "nicht veröffentlicht (kleine Zahl)" if r.area_code in hidden else
        "keine Daten" if pd.isna(r.value) else f"{de(r.value, dec)} {spec.unit}"
        + (" – kleiner Nenner, unsicher" if r.uncertain else "")) for r in tab.itertuples()}
    display(HTML(svg.figure(
        svg.area_map(ctx.geojson, hover, fills=fills, hatched=set(small["area_code"]),
                     label=maps.alt_text(solid, names, title, spec.unit, dec)
                     + (f" Ohne {len(small)} Ortsteile mit kleinem Nenner." if len(small) else "")),
        svg.value_legend(bins, spec.unit, dec, [("schraffiert: kleiner Nenner", "repeating-linear-gradient(45deg,"
                                                 "#fff,#fff 2px,#333 2px,#333 3px)"),
                                                ("keine Daten oder nicht veröffentlicht", svg.GREY)]),
        f"{title} je Ortsteil in fünf gleich großen Klassen (Quantile); Name und Wert jedes Ortsteils erscheinen "
        f"beim Zeigen oder Tippen. {ctx.credit}")))
    top = solid.sort_values("value", ascending=spec.higher_is_worse is False).head(10)
    unit_den = "Haushalte" if "mit Kindern" in str(spec.denominator) else "Personen"
    view = pd.DataFrame({
        "Ortsteil": top["area_name"], "Stadtbezirk": top["stadtbezirk"], "Wert": top["value"].map(de),
        "95-%-Intervall": [("–" if pd.isna(lo) else f"{de(lo)} bis {de(hi)}") for lo, hi in zip(top.lower, top.upper)],
        f"Nenner ({unit_den})": top["denominator"].map(lambda v: de(v, 0)),
    })
    display(Markdown(md_table(view, numeric={"Wert", "95-%-Intervall", f"Nenner ({unit_den})"},
                            caption=f"Die zehn Ortsteile mit den {'höchsten' if spec.higher_is_worse is not False else 'niedrigsten'} Werten: {title}")))
    if len(small):
        display(Markdown(f"Nicht in der Rangliste, weil ihr Nenner unter {de(ctx.params.small_denominator, 0)} "
                         f"{unit_den} liegt (Wert unsicher): " + ", ".join(
                             f"{md(n)} ({de(v)})" for n, v in zip(small["area_name"], small["value"])) + "."))
