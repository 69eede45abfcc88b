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
# subtitle: "Evaluationsgruppe und übriges Stadtgebiet vor und nach dem Planstart {plan_start}"
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
from evalkit.publish import figures, findings, reading_aids, report
from evalkit.publish.fmt import de, md, md_table

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
years = analyses.outcome_years(ctx)
save_table(ctx, years, "ergebnisjahre.csv")
names = {i: ctx.catalogue.get(i).name for i in analyses.TREND_INDICATORS}

# %%
#| echo: false
result = analyses.evaluation_results(ctx, group)
evaluation = result["evaluation"]
save_table(ctx, evaluation, "evaluation.csv")
save_table(ctx, result["benchmark"], "benchmark.csv")
save_table(ctx, result["zerlegung"], "zerlegung.csv")
goals = {i: ctx.catalogue.get(i).goals[0] for i in analyses.TREND_INDICATORS}
worse = {i: ctx.catalogue.get(i).higher_is_worse is not False for i in analyses.TREND_INDICATORS}
gaps = {i: analyses.evaluation.gap_series(ctx.indicators, i, members, ev.first_year, ctx.year(i))
        for i in analyses.TREND_INDICATORS}
befund = findings.befund(evaluation, result["benchmark"], gaps, names, goals, worse, ev.plan_start)
save_table(ctx, befund, "befund.csv")
if befund.empty:
    display(Markdown(f"In diesem Zyklus liegt noch kein Ergebnisjahr nach dem Planstart {ev.plan_start} vor: er "
                     "beschreibt die Ausgangslage, mit der die späteren Zyklen die Entwicklung vergleichen."))
else:
    display(Markdown(findings.befund_markdown(befund)))

# %% [markdown]
# ## Wie sich der Abstand entwickelte: Ereignisstudie
# Je Kennzahl und Jahr: wie viel größer oder kleiner der Abstand zwischen Evaluationsgruppe und übrigem
# Stadtgebiet war als im Jahr vor dem Planstart (Modell mit festen Effekten je Ortsteil und Jahr, gewichtet mit dem
# Nenner, Intervalle mit nach Ortsteilen geclusterten Standardfehlern). Die Jahre vor dem Start zeigen, ob sich die
# Gruppen schon vorher angenähert haben.

# %%
#| echo: false
for ind in analyses.TREND_INDICATORS:
    es = evaluation[(evaluation.indicator == ind) & (evaluation.design == "hauptgruppe")
                    & (evaluation.estimator == "event_study")]
    if es.empty:
        continue
    spec = ctx.catalogue.get(ind)
    rows = es.assign(year=es.term.astype(int))
    fig = figures.event_study_figure(rows, spec.name, ev.plan_start - 1, ev.plan_start)
    figures.show(fig, caption=f"{spec.name}: Veränderung des Abstands gegenüber {ev.plan_start - 1} je Jahr "
                              "(Punkte) mit 95-%-Intervall.",
                 alt=f"Punkte mit Fehlerbalken je Jahr von {int(rows.year.min())} bis {int(rows.year.max())}.")
    above = gaps[ind].set_index("year").loc[ev.plan_start - 1, "gap"] > 0
    display(Markdown("**Lesehilfe.** " + md(findings.event_study_sentence(es, spec.name, ev.plan_start, above))))

# %% [markdown]
# ## Gruppen, die genauso ausgewählt wurden, ohne Plan
# Eine Gruppe, die wegen hoher Werte ausgewählt wurde, nähert sich oft von selbst der Mitte an (Regression zur
# Mitte). Deshalb wählt evalkit für jedes frühere Jahr, das die Daten erlauben, die 13 Ortsteile mit dem höchsten
# Index nach derselben Regel aus den Daten bis zu diesem Jahr, setzt einen vorgetäuschten Start zwei Jahre später
# und schätzt dieselben Größen mit ebenso vielen Jahren danach – nur mit Daten vor dem Planstart. Die Veränderung
# der Evaluationsgruppe ab dem Planstart wird an dieser Verteilung gemessen.

# %%
#| echo: false
bt = findings.benchmark_table(evaluation, result["benchmark"], names, worse, ev.plan_start)
if bt.empty:
    display(Markdown("Ohne Ergebnisjahr nach dem Planstart gibt es nichts zu vergleichen."))
else:
    b = result["benchmark"]
    sd = b[b.estimator == "sdid"]
    main_sdid = evaluation[(evaluation.design == "hauptgruppe") & (evaluation.estimator == "sdid")]
    real = {names[i]: v for i, v in zip(main_sdid.indicator, main_sdid.estimate)}
    values = {names[i]: g["estimate"].tolist() for i, g in sd.groupby("indicator", sort=True) if names[i] in real}
    fig = figures.benchmark_figure(values, real, "Veränderung des Abstands: Evaluationsgruppe und Vergleichsgruppen",
                                   ev.plan_start)
    years_b = sorted(b.selection_year.unique())
    figures.show(fig, caption=f"SDID-Veränderung des Abstands je Kennzahl: die Evaluationsgruppe ab {ev.plan_start} "
                              f"und die Gruppen, die in den Jahren {years_b[0]}–{years_b[-1]} genauso ausgewählt "
                              "wurden (vorgetäuschter Start zwei Jahre später, ohne Plan).",
                 alt="Punktdiagramm je Kennzahl: offene Kreise für die Vergleichsgruppen, eine Raute für die "
                     "Evaluationsgruppe.")
    display(Markdown(md_table(bt, numeric={f"Evaluationsgruppe ab {ev.plan_start}"},
                              caption="Schätzungen der Evaluationsgruppe gegen gleich ausgewählte Gruppen ohne Plan")))
    display(Markdown(md(f"Einordnung: „{analyses.evaluation.BENCH_STRONGER}“ heißt, die Veränderung ist günstiger "
                        "als bei jeder gleich ausgewählten Gruppe und ihr Intervall schließt null aus; "
                        f"„{analyses.evaluation.BENCH_WITHIN}“, sie liegt zwischen den Werten dieser Gruppen. "
                        f"Mit {len(years_b)} Vergleichsgruppen ist auch ein Wert jenseits aller nur ein schwacher "
                        "Hinweis.")))

# %% [markdown]
# ## Vergleich mit ähnlichen Gebieten
# Die Hauptschätzung ist die synthetische Differenz-von-Differenzen (SDID): Die übrigen Ortsteile werden so
# gewichtet, dass ihr Verlauf vor dem Start dem der Evaluationsgruppe folgt, und die Jahre vor dem Start so, dass
# sie der Zeit danach am meisten ähneln; Intervalle aus dem Jackknife über die Ortsteile. Zur Kontrolle: die
# Ortsteile knapp unter der Auswahlschwelle als Vergleich, eine früher ausgewählte Gruppe und andere
# Gruppenabgrenzungen. Die unterbrochene Zeitreihe (ITS) steht als zweite Zeile daneben.

# %%
#| echo: false
dt = findings.design_table(evaluation, names, analyses.DESIGN_LABELS)
if not dt.empty:
    display(Markdown(md_table(dt, caption="SDID-Veränderung und ITS-Trendänderung je Vergleich (95-%-Intervall "
                                          "oder Permutations-p)")))
    near_names = ctx.areas.set_index("ot_code").loc[sorted(result["near"]), "ortsteil"]
    display(Markdown(md(f"Knapp unter der Schwelle (Ränge {ctx.params.priority.top_k + 1}–"
                        f"{ctx.params.priority.top_k + ev.near_cutoff} im Ausgangszyklus): " + ", ".join(near_names)
                        + f". Früher ausgewählte Gruppe: Top {ctx.params.priority.top_k} aus den Daten bis "
                          f"{ev.early_window_year}.")))
    same = result["varianten_gleich"]
    if len(same):
        display(Markdown(md("Nicht gesondert gezählt, weil sie dieselben Ortsteile umfassen wie eine andere Gruppe: "
                            + "; ".join(f"{analyses.DESIGN_LABELS.get(v, v.replace('_', ' '))} = "
                                        + ("Evaluationsgruppe" if e == "main" else analyses.DESIGN_LABELS.get(e, e))
                                        for v, e in zip(same["variant"], same["equals"])) + ".")))
    display(Markdown(md("Eine Gruppe aus nur zwei Ortsteilen (Referenzliste) bildet nur zwei Cluster: "
                        "geclusterte Intervalle wären ungültig, daher dort nur der Permutationstest.")))

# %% [markdown]
# ## Mehrere Tests zugleich
# Wer viele Tests rechnet, findet auch zufällig „signifikante“ Ergebnisse. Die Familie der Haupttests wird deshalb
# nach Holm korrigiert.

# %%
#| echo: false
ht = findings.holm_table(evaluation, names)
if not ht.empty:
    display(Markdown(md_table(ht, numeric={"p", "p nach Holm"}, caption="Haupttests: p roh und nach Holm")))
    display(Markdown(md(findings.holm_sentence(evaluation, names))))

# %% [markdown]
# ## Zähler und Nenner
# Ein Anteil sinkt, wenn weniger Menschen betroffen sind – oder wenn mehr Menschen im Nenner stehen. Die Tabelle
# teilt die Veränderung seit dem Jahr vor dem Planstart in beide Teile (symmetrische Zerlegung, aus den
# summierten Zählungen).

# %%
#| echo: false
dec = result["zerlegung"]
if len(dec):
    span = f"{int(dec['year_from'].iloc[0])}–{int(dec['year_to'].max())}"
    display(Markdown(md_table(findings.decomposition_table(dec, names),
                              numeric={"Anteil", "Veränderung (Pp.)", "davon Zähler", "davon Nenner"},
                              caption=f"Veränderung der Anteile {span} (Prozentpunkte), zerlegt in Zähler- und "
                                      "Nennerteil")))
    for sentence in findings.decomposition_sentences(dec, names):
        display(Markdown("- " + md(sentence)))

# %% [markdown]
# ## Ergänzend: unterbrochene Zeitreihe
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
    display(Markdown(f"### {md(spec.name)}"))
    fig = figures.its_figure(fitted, spec.name, spec.unit, ev.plan_start)
    figures.show(fig, caption=f"{spec.name}: beobachtete Anteile (Punkte) und die angepassten Geraden vor und nach "
                              f"{ev.plan_start}, Evaluationsgruppe und übriges Stadtgebiet.",
                 alt=f"Punkte und Geradenstücke {spec.name} von {ev.first_year} bis {until} für zwei Gruppen.")
    post = list(range(ev.plan_start, until + 1))
    distinct_labels = {k: v for k, v in alt_labels.items() if k in result["distinct"]}
    equal = [alt_labels[k] for k in result["varianten_gleich"]["variant"] if k in alt_labels]
    above = bool(gaps[ind].set_index("year").loc[ev.plan_start - 1, "gap"] > 0)
    display(Markdown("**Lesehilfe.** " + md(reading_aids.its_reading_aid(
        spec.name, rows, post, ev.plan_start, distinct_labels, above=above,
        pandemic=ind in findings.PANDEMIC, equal_groups=equal))))

# %% [markdown]
# ## Trends je Zeitraum
# Ergänzend: Gerade je Zeitraum, in Prozentpunkten pro Jahr, Standardfehler nach Ortsteilen geclustert;
# 95-%-Intervalle. Der Abstand ist die Differenz der Anteile (Evaluationsgruppe minus übriges Stadtgebiet).

# %%
#| echo: false
for ind in analyses.TREND_INDICATORS:
    spec = ctx.catalogue.get(ind)
    s = trends.group_series(ctx.indicators, ind, members, ctx.year(ind))
    s = s[s.year >= ev.first_year]
    display(Markdown(f"### {md(spec.name)}"))
    series = {}
    for grp, label in (("schwerpunkt", "Evaluationsgruppe"), ("uebrige", "übriges Stadtgebiet")):
        series[label] = s[s.group == grp]
    fig = figures.trend_lines(series, spec.name, spec.unit, years_marked=(ev.plan_start,))
    figures.show(fig, caption=f"{spec.name}: Evaluationsgruppe und übriges Stadtgebiet (Band: 95-%-Intervall "
                              f"aus der Streuung zwischen den Ortsteilen; gestrichelt: Planstart {ev.plan_start}).",
                 alt=f"Liniendiagramm {spec.name} für zwei Gruppen von {int(s.year.min())} bis {int(s.year.max())}.")
    gap = trends.gap_by_year(s)
    fig = figures.trend_lines({"Abstand": gap.rename(columns={"gap": "value"})}, f"Abstand: {spec.name}",
                              "Prozentpunkte", years_marked=(ev.plan_start,))
    last = gap.iloc[-1]
    figures.show(fig, caption=f"Abstand zwischen Evaluationsgruppe und übrigem Stadtgebiet: {spec.name} "
                              "(Band: 95-%-Intervall).",
                 alt=f"Liniendiagramm des Abstands; zuletzt ({int(last.year)}) {de(last.gap)} Prozentpunkte.")
    rows = tt[tt.indicator == ind]
    display(Markdown("**Lesehilfe.** " + md(reading_aids.reading_aid(f"der Wert „{spec.name}“", rows, s))))

# %%
#| echo: false
display(Markdown(findings.limits_markdown({names[i]: ctx.year(i) for i in analyses.TREND_INDICATORS if i in names},
                                          ev.plan_start, analyses.group_cycle(ctx).reference_year)))

# %%
#| echo: false
display(Markdown(md(reading_aids.logit_check(tt, glm, names))))
