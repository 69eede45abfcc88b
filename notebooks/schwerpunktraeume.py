# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# ---
# title: "Schwerpunkträume {cycle}"
# subtitle: "Sozialräumlicher Bedarfsindex der Ortsteile – berechnet, nicht die amtliche Liste"
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

from evalkit.analyses import cycle as analyses
from evalkit.cycles.context import load_context, save_table
from evalkit.publish import figures, maps, priority_text, report, svg
from evalkit.publish.fmt import band_text, de, md_table, md

ctx = load_context(project_root, cycle, output_dir)
display(Markdown(report.nav(ctx, "schwerpunktraeume")))
k = ctx.params.priority.top_k  # the size of the computed priority group (13 in the plan)

pp = ctx.params.priority
idx = analyses.need_index(ctx)
win = analyses.windows(ctx)
ref = analyses.reference(ctx)
overlap = analyses.priority.reference_overlap(idx, ref)
save_table(ctx, idx, "bedarfsindex.csv")
save_table(ctx, win, "bedarfsindex_zeitfenster.csv")
save_table(ctx, overlap, "referenzliste_abgleich.csv")
years = analyses.index_years(ctx)
display(Markdown(
    '::: {.callout-warning title="Hinweis"}\n'
    "Die amtliche Liste der 13 Schwerpunkträume der IKJHP ist nicht öffentlich. Die Rangfolge auf dieser Seite ist "
    "eine **eigene Berechnung** aus öffentlichen Daten (Bedarfsindex) und ersetzt die amtliche Liste nicht.\n:::"))
display(Markdown(
    priority_text.components_sentence(pp.weights, ctx.name) + ". Jeder wird über "
    f"{pp.window} Jahre gepoolt (Zähler und Nenner summiert), über die Ortsteile "
    + ("z-standardisiert" if pp.normalise == "z" else "rangnormalisiert")
    + ", gewichtet und summiert. Ortsteile, deren Nenner für einen Indikator unter "
    f"{de(pp.min_denominator, 0)} liegt, werden **nicht eingestuft** (zu kleine Basis). Die {pp.top_k} Ortsteile mit "
    "dem höchsten Index bilden die berechneten Schwerpunkträume."))
w = pd.DataFrame({"Indikator": [ctx.name(i) for i in pp.weights], "Gewicht": list(pp.weights.values()),
                  "Jahre": [f"{years[i] - pp.window + 1}–{years[i]}" for i in pp.weights]})
display(Markdown(md_table(w, formats={"Gewicht": lambda v: de(v, 2)}, caption="Indikatoren und Gewichte des Index")))

# %% [markdown]
# ## Karte der Bedarfsklassen

# %%
#| echo: false
# one classed map: a continuous colour ramp of the index would suggest a precision its small bases lack
names = ctx.areas.set_index("ot_code")["ortsteil"]
bands = sorted(analyses.ikjhp_method(ctx).classes, key=lambda b: -(b.lower if b.lower is not None else -1e9))
classes = [b.label for b in bands] + [analyses.priority.FLAGGED]
counts = idx["need_class"].value_counts()
hover = {r.area_code: f"{r.area_name}: {r.need_class}" + ("" if pd.isna(r.index) else f" (Index {de(r.index, 2)})")
         for r in idx.itertuples()}
display(HTML(svg.figure(
    svg.area_map(ctx.geojson, hover, fills=svg.class_fills(idx, [b.label for b in bands]),
                 label="Karte der Bedarfsklassen: " + "; ".join(f"{c}: {n} Ortsteile" for c, n in counts.items())),
    svg.class_legend([b.label for b in bands], analyses.priority.FLAGGED),
    f"Bedarfsklassen {ctx.params.cycle} nach dem standardisierten Index (in Standardabweichungen, SD): "
    + "; ".join(f"{b.label} {band_text(b.lower, b.upper, 'SD')}" for b in bands)
    + ". Name, Klasse und Index jedes Ortsteils erscheinen beim Zeigen oder Tippen. " + ctx.credit)))

# %% [markdown]
# ## Die berechneten Schwerpunkträume und ihre Stabilität

# %%
#| echo: false
unc = analyses.rank_uncertainty(ctx)
save_table(ctx, unc, "rangunsicherheit.csv")
# the borderline: the top k and the three Ortsteile just below, with both uncertainties side by side and named
# apart (count draws vs weight draws are two different figures)
top = idx[idx["rank"].notna() & (idx["rank"] <= k + 3)].sort_values("rank")
p_top = unc.set_index("area_code")["p_top"]
view = pd.DataFrame({"Rang": top["rank"], "Ortsteil": top["area_name"], "Index": top["index"],
                     "Klasse": top["need_class"],
                     "Auswahl": [f"Top {k}" if t else "knapp darunter" for t in top["top13"]],
                     f"in Top {k} bei Zählungs-Ziehungen (%)": 100 * top["area_code"].map(p_top).fillna(0),
                     f"in Top {k} bei anderen Gewichten (%)": 100 * top["stability"]})
display(Markdown(md_table(view, formats={"Index": lambda v: de(v, 2),
                                         f"in Top {k} bei Zählungs-Ziehungen (%)": lambda v: de(v, 0),
                                         f"in Top {k} bei anderen Gewichten (%)": lambda v: de(v, 0)},
                        numeric={"Rang", "Index", f"in Top {k} bei Zählungs-Ziehungen (%)",
                                 f"in Top {k} bei anderen Gewichten (%)"},
                        caption=f"Berechnete Schwerpunkträume (Top {k}) und die drei Ortsteile "
                                                  "knapp darunter")))
st = idx[idx.stability > 0].sort_values("stability", ascending=True)
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(7, 0.28 * len(st) + 1))
ax.barh(st["area_name"], 100 * st["stability"], color=figures.PALETTE[0])
ax.set_xlabel(f"Anteil der Gewichtsvarianten mit Platz in den Top {k} (%)")
ax.set_xlim(0, 100)
figures.german_axis(ax, "x", 0)
figures.show(fig, caption=f"Stabilität: Anteil von {pp.perturbations} Dirichlet-Ziehungen der Gewichte "
                          f"(Konzentration {de(pp.concentration, 0)}, Startwert {pp.seed}), in denen der Ortsteil "
                          f"zu den {k} höchsten gehört.",
             alt="Balkendiagramm der Stabilität: " + ", ".join(
                 f"{md(n)} {de(100 * s, 0)} %" for n, s in zip(st["area_name"][::-1], st["stability"][::-1])) + ".")
near = unc[unc["p_top"] > 0]
display(Markdown(md_table(pd.DataFrame({
    "Rang": near["rank"], "Ortsteil": near["area_name"], f"in den Top {k} (%)": 100 * near["p_top"],
    "Rangbereich (95 %)": [f"{a} bis {b}" if a != b else f"{a}" for a, b in zip(near["rank_lower"], near["rank_upper"])]}),
    formats={f"in den Top {k} (%)": lambda v: de(v, 0)}, numeric={"Rang", "Rangbereich (95 %)"},
    caption=f"Unsicherheit aus den Daten: {pp.count_draws} Ziehungen der Zählungen (Poisson), Gewichte fest")))
display(Markdown(
    "Kleine Zählungen schwanken auch ohne echte Veränderung. Jede Ziehung ersetzt jede gepoolte Zählung durch eine "
    "zufällige Zahl mit demselben Erwartungswert (Poisson-Verteilung), berechnet Anteile, Standardisierung und "
    f"Index neu und ordnet die Ortsteile erneut. Angegeben ist, wie oft ein Ortsteil in den Top {k} landet, und der "
    "Bereich, in dem sein Rang in 95 % der Ziehungen liegt. Wo dieser Bereich die Grenze zwischen Rang "
    f"{k} und {k + 1} überschreitet, trägt die Zuordnung zu den Schwerpunkträumen nicht weit."))
wide = win.pivot(index="area_code", columns="window", values="top13")
wide = wide[wide.any(axis=1)]
wv = pd.DataFrame({"Ortsteil": wide.index.map(names)})
for c in wide.columns:
    wv[f"{c} J."] = ["●" if v else "–" for v in wide[c]]
display(Markdown(md_table(wv, caption=f"Platz in den Top {k} bei anderer Glättung (Fenster in Jahren)")))

# %% [markdown]
# ## Abgleich mit der Referenzliste

# %%
#| echo: false
ov = overlap.assign(Liste=overlap["list"], Ortsteil=overlap["area_name"],
                    Zuordnung=overlap["area_mapping"],
                    **{"Rang (berechnet)": overlap["rank"]},
                    **{f"in Top {k}": overlap["top13"].map({True: "ja", False: "nein"})})
display(Markdown(md_table(ov[["Liste", "Ortsteil", "Zuordnung", "Rang (berechnet)", f"in Top {k}"]],
                        caption="Referenzliste (Quellen in data/reference/schwerpunktraeume.csv)")))
conf = overlap[overlap["list"] == "IKJHP-Schwerpunktraum"]
insek = overlap[overlap["list"] == "INSEK-Schwerpunktgebiet"]
display(Markdown(
    f"Von den {len(conf)} öffentlich bestätigten IKJHP-Schwerpunkträumen liegen {int(conf.top13.sum())} in den "
    f"berechneten Top {k}; von den {len(insek)} Ortsteilen der INSEK-Schwerpunktgebiete {int(insek.top13.sum())}. "
    "Die Referenzliste enthält nur Gebiete, die eine Quelle nennt; sie ist keine vollständige amtliche Liste."))

# %% [markdown]
# ## Bestandteile des Index und Empfindlichkeit

# %%
#| echo: false
display(Markdown(priority_text.weight_rationale(pp.weights, ctx.name) + "\n\n"
                 + priority_text.component_caveats(pp.weights, ctx.name)))

# %%
#| echo: false
corr = analyses.component_correlations(ctx)
cv = corr.copy()  # numbered columns: five long names side by side do not fit a page
cv.columns = [f"({n})" for n in range(1, len(cv.columns) + 1)]
cv.insert(0, "Bestandteil", [f"({n}) {ctx.name(i)}" for n, i in enumerate(corr.index, start=1)])
display(Markdown(md_table(cv, formats={c: (lambda v: de(v, 2)) for c in cv.columns[1:]},
                        caption="Korrelation der Bestandteile über die eingestuften Ortsteile (Pearson)")))
sens = analyses.index_sensitivity(ctx)
save_table(ctx, sens, "bedarfsindex_varianten.csv")
labels = {"smoothing": "mit Empirical-Bayes-Glättung" if pp.smoothing == "none" else "ohne Glättung",
          "equal": "gleiche Gewichte", "prevalence": "nur Prävalenzen (Kinderarmut, SGB-II-Quote, Arbeitslose)"}
rows = []
for key, label in labels.items():
    moved = (sens["rank"] - sens[f"rank_{key}"]).abs()
    out = sens[sens["top13"] & ~sens[f"top13_{key}"].astype(bool)]["area_name"]
    new = sens[~sens["top13"] & sens[f"top13_{key}"].astype(bool)]["area_name"]
    rows.append({"Variante": label, f"gleiche Top {k}": int((sens["top13"] & sens[f"top13_{key}"].astype(bool)).sum()),
                 "fallen heraus": ", ".join(out) or "–", "kommen hinzu": ", ".join(new) or "–",
                 "größte Rangänderung": int(moved.max()), "mittlere Rangänderung": float(moved.mean())})
display(Markdown(md_table(pd.DataFrame(rows), formats={"mittlere Rangänderung": lambda v: de(v, 1)},
                        numeric={f"gleiche Top {k}", "größte Rangänderung"},
                        caption=f"Wie die berechneten Top {k} von den Festlegungen abhängen")))
display(Markdown(
    "Empirical-Bayes-Glättung (Marshall) zieht die Anteile kleiner Ortsteile zum Stadtwert, umso stärker, je kleiner "
    "ihr Nenner ist, bevor standardisiert wird. Sie ist in den Parametern schaltbar (`priority.smoothing`); "
    f"in diesem Zyklus ist sie {'eingeschaltet' if pp.smoothing == 'empirical_bayes' else 'ausgeschaltet'}. "
    "Die Evaluationsgruppe bleibt in jedem Fall die des Basiszyklus: Sie ist vor dem bewerteten Zeitraum festgelegt."))
