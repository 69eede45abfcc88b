# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# ---
# title: "{area_label} {area_name}"
# subtitle: "Profil über die Evaluationszyklen {cycles}"
# ---

# %% tags=["parameters"]
#| echo: false
project_root = None  # None: $EVALKIT_ROOT, else the nearest folder upwards with data/sources.yaml
output_dir = None  # None: scratch/<cycle>/tabellen (never the published reports/)
cycle = None  # None: $EVALKIT_CYCLE (set by `evalkit lab --cycle`), else the latest cycle
level = "stadtbezirk"
area_code = "2"

# %%
#| echo: false
import pandas as pd
from IPython.display import Markdown, display

from evalkit.acquire.areas import CITY_CODE
from evalkit.cycles.context import load_context, save_table
from evalkit.publish import figures, report
from evalkit.publish.fmt import de, de_by_unit, md_table, md, year_label

ctx = load_context(project_root, cycle, output_dir)
display(Markdown(report.nav(ctx, "profil")))
name = report.area_name(ctx, level, area_code)
prof = report.profile_table(ctx, level, area_code)
save_table(ctx, prof, f"profil-{level}-{area_code}.csv")
m = report.members(ctx, level, area_code)
display(Markdown(f"{report.LEVEL_DE[level]} **{md(name)}** umfasst {len(m)} Ortsteile: "
                 + ", ".join(report.ortsteil_links(ctx, m, "..")) + ". Diese Seite zeigt alle Zyklen bis "
                 f"{ctx.params.cycle}: zuerst den neuesten im Vergleich mit Leipzig, dann die Werte jedes Zyklus."))

# %% [markdown]
# ## Im Vergleich mit Leipzig

# %%
#| echo: false
view = pd.DataFrame({
    "Kennzahl": prof["name"], "Jahr": prof["year"].map(year_label),
    name: report.shown_values(prof),
    "Leipzig": report.shown_values(prof.assign(value=prof["city_value"], suppressed=prof["city_suppressed"])),
    "Veränderung": de_by_unit(prof["change"], prof["unit"], signed=True),
    "Einheit": prof["unit"],
})
display(Markdown(md_table(view, numeric={name, "Leipzig", "Veränderung"},
                        caption=f"{name} im Vergleich mit Leipzig"
                                + (f"; Veränderung seit Zyklus {ctx.compare.cycle}" if ctx.compare else ""))))
if report.suppressed_footnote(prof) or prof["city_suppressed"].any():
    display(Markdown((report.suppressed_footnote(prof) + " Mit * markierte Werte für Leipzig enthalten ebenso "
                      "nicht veröffentlichte Kleinzahlen; ihre Spanne nennt die Übersichtsseite.").strip()))

# %% [markdown]
# ## Kennzahlen in allen Zyklen

# %%
#| echo: false
cycles = report.cycles_so_far(ctx)
display(Markdown(report.cycles_table(ctx, report.cycle_figures(ctx, cycles, level, [area_code]), area_code, level,
                                     f"für {name}")))
display(Markdown("Jeder Zyklus verwendet die Daten bis zu seinem Bezugsjahr; mit * markierte Werte enthalten "
                 "nicht veröffentlichte Kleinzahlen."))

# %% [markdown]
# ## Entwicklung

# %%
#| echo: false
ind = ctx.params.profile_indicators[0]
s_area = report.series(ctx, ind, level, area_code)
s_city = report.series(ctx, ind, "stadt", CITY_CODE)
fig = figures.trend_lines({name: s_area, "Leipzig": s_city}, ctx.name(ind), ctx.unit(ind))
last = s_area.iloc[-1]
figures.show(fig, caption=f"{ctx.name(ind)}: {name} und Leipzig (Band: 95-%-Konfidenzintervall).",
             alt=f"Liniendiagramm {ctx.name(ind)} für {name} und Leipzig bis {int(last.year)}; {name} zuletzt "
                 f"{de(last.value)} {ctx.unit(ind)}, Leipzig {de(s_city.iloc[-1].value)}.")

# %%
#| echo: false
ots = report.profile_ortsteile(ctx, level, area_code)
ots["ortsteil"] = report.ortsteil_links(ctx, ots.rename(columns={"area_code": "ot_code"}), "..")
view = ots.rename(columns={"ortsteil": "Ortsteil", **{i: ctx.name(i) for i in ctx.params.profile_indicators}})
view = view.drop(columns="area_code")
display(Markdown(md_table(view, formats={ctx.name(i): de for i in ctx.params.profile_indicators},
                        caption=f"Ortsteile in {name} im Zyklus {ctx.params.cycle}", markdown={"Ortsteil"})))
