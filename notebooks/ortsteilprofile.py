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
save_table(ctx, pre.comparison, "ortsteilvergleich.csv")
latest = ctx.latest_cycle
if ctx.params.cycle == latest:  # one page per Ortsteil across all cycles, written with the newest cycle
    cycles = ortsteil.cycle_figures(ctx, sorted(set(history["cycle"])))
    pages = {code: ortsteil.page(ctx, pre, code, facilities, history, group, titles, cycles)
             for code in sorted(names.index)}
    # the pages go beside the tables' folder: reports/<cycle>/ortsteil/<code>.qmd (scratch/ when run by hand)
    written = ortsteil.write_pages(Path(ctx.output_dir).parent, pages)
    _ = ortsteil.write_data(Path(ctx.output_dir).parent, ctx, pre.comparison)
    display(Markdown(
        f"Für jeden der {len(written)} Ortsteile gibt es eine Seite über alle Zyklen: seine Kennzahlen im Vergleich "
        "mit der Stadt (höher, ähnlich oder niedriger, mit Intervall und Trend), neben Stadtbezirk und Stadt, seine "
        "Werte in jedem Zyklus, sein Rang im Bedarfsindex in jedem Zyklus, vergleichbare Ortsteile, die Entwicklung "
        f"der wichtigsten Kennzahlen seit {ctx.params.evaluation.first_year} und die Schulen, Horten und Kitas, die "
        "in ihm liegen. Die Suche oben findet jeden Ortsteil mit seinem Namen."))
else:
    display(Markdown(
        f"Die Ortsteilseiten zeigen alle Zyklen auf einer Seite und stehen beim neuesten Zyklus {latest}; die "
        f"Tabelle unten verweist dorthin. Die Werte dieses Zyklus {ctx.params.cycle} für jeden Ortsteil stehen dort "
        "in der Tabelle „Kennzahlen in allen Zyklen“ und in der Tabelle `ortsteilvergleich.csv` dieses Zyklus."))

# %% [markdown]
# ## Alle Ortsteile

# %%
#| echo: false
display(Markdown(ortsteil.listing(ctx, history, group)))
display(Markdown(f"Evaluationsgruppe: die {len(group)} Ortsteile mit dem höchsten berechneten Bedarf in der "
                 f"Ausgangslage (Zyklus {ctx.params.evaluation.group_from_cycle}). Rang: Bedarfsindex dieses "
                 f"Zyklus ({de(len(history[history.cycle == ctx.params.cycle]), 0)} Ortsteile; ohne Rang: "
                 "nicht eingestuft)."))
