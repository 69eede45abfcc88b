# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# ---
# title: "Ortsteile im Profil {cycle}"
# subtitle: "Alle 63 Leipziger Ortsteile: Kennzahlen, Bedarfsindex, Entwicklung und Einrichtungen je Ortsteil"
# ---

# %% tags=["parameters"]
#| echo: false
project_root = None  # None: $EVALKIT_ROOT, else the nearest folder upwards with data/sources.yaml
output_dir = None  # None: scratch/<cycle>/tabellen (never the published reports/)
cycle = None  # None: $EVALKIT_CYCLE (set by `evalkit lab --cycle`), else the latest cycle

# %%
#| echo: false
from pathlib import Path

from IPython.display import Markdown, display

from evalkit.analyses import cycle as analyses
from evalkit.cycles.context import load_context, save_table
from evalkit.publish import ortsteil, report
from evalkit.publish.fmt import de

ctx = load_context(project_root, cycle, output_dir)
display(Markdown(report.nav(ctx, "ortsteilprofile")))
group = set(analyses.evaluation_group(ctx)[0]["area_code"])
history = analyses.index_history(ctx)
schools, horte, kitas = analyses.facilities(ctx)
facilities = ortsteil.Facilities(schools, horte, kitas)
save_table(ctx, history, "bedarfsindex_verlauf.csv")
names = ctx.areas.set_index("ot_code")["ortsteil"]
titles = {c: n for c, n in names.items()}  # the locator map names every Ortsteil on hover or tap
pre = ortsteil.Prepared.of(ctx)
pages = {code: ortsteil.page(ctx, pre, code, facilities, history, group, titles) for code in sorted(names.index)}
# the pages go beside the tables' folder: reports/<cycle>/ortsteil/<code>.qmd (scratch/ when run by hand)
written = ortsteil.write_pages(Path(ctx.output_dir).parent, pages)
_ = ortsteil.write_data(Path(ctx.output_dir).parent, ctx, pre.comparison)
save_table(ctx, pre.comparison, "ortsteilvergleich.csv")
display(Markdown(
    f"Für jeden der {len(written)} Ortsteile gibt es in diesem Zyklus eine Seite mit seinen Kennzahlen neben "
    "Stadtbezirk und Stadt (mit dem Datenstand je Zeile), seiner Lage, seinem Rang im Bedarfsindex in jedem "
    f"Zyklus, der Entwicklung der wichtigsten Kennzahlen seit {ctx.params.evaluation.first_year} und den Schulen, Horten und Kitas, die in ihm "
    "liegen. Die Suche oben findet jeden Ortsteil mit seinem Namen."))

# %% [markdown]
# ## Alle Ortsteile

# %%
#| echo: false
display(Markdown(ortsteil.listing(ctx, history, group)))
display(Markdown(f"Evaluationsgruppe: die {len(group)} Ortsteile mit dem höchsten berechneten Bedarf in der "
                 f"Ausgangslage (Zyklus {ctx.params.evaluation.group_from_cycle}). Rang: Bedarfsindex dieses "
                 f"Zyklus ({de(len(history[history.cycle == ctx.params.cycle]), 0)} Ortsteile; ohne Rang: "
                 "nicht eingestuft)."))
