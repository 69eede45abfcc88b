"""The evaluation analyses for one cycle (need index, trends and gaps, measures, restricted data), wired to the
cycle's parameters. Thin: the methods live in priority, trends, measures, disclosure and restricted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit.acquire import restricted
from evalkit.analyses import compare, evaluation, its, measures, priority, trends
from evalkit.analyses.disclosure import protected_table
from evalkit.cycles.context import Context
from evalkit.errors import DisclosureError

TREND_INDICATORS = ["kinder_sgb2_quote", "sgb2_quote", "alleinerziehende_bg_anteil", "arbeitslose_anteil",
                    "arbeitslose_u25"]


def _index(ctx: Context, pp, years: dict[str, int], weights: dict[str, float] | None = None,
           window: int | None = None, perturbations: int = 0, smoothing: str | None = None) -> pd.DataFrame:
    """The need index with a cycle's settings `pp` (PriorityParams) for `years`; a keyword overrides one setting
    for a sensitivity run. Directions come from the catalogue, class bands from the IKJHP method."""
    weights = weights or pp.weights
    return priority.need_index(
        ctx.indicators, years, weights, window=window or pp.window, how=pp.normalise, top=pp.top_k,
        min_denominator=pp.min_denominator, perturbations=perturbations, concentration=pp.concentration,
        seed=pp.seed, higher_is_worse={i: ctx.catalogue.get(i).higher_is_worse for i in weights},
        bands=ikjhp_method(ctx).classes, smoothing=smoothing or pp.smoothing)


def _variant(ctx: Context, weights: dict[str, float]) -> pd.DataFrame:
    """The need index with other components (their latest years), the rest from the cycle's params."""
    return _index(ctx, ctx.params.priority, {i: ctx.year(i) for i in weights}, weights)


def component_correlations(ctx: Context) -> pd.DataFrame:
    """Pearson correlations of the index components across the ranked Ortsteile (pooled values as scored)."""
    pp = ctx.params.priority
    frame, small, _ = priority.components(ctx.indicators, index_years(ctx), pp.window, pp.min_denominator,
                                          _directions(ctx), pp.smoothing)
    return frame[~small].corr().round(2)


def index_years(ctx: Context) -> dict[str, int]:
    return {ind: ctx.year(ind) for ind in ctx.params.priority.weights}


def _directions(ctx: Context) -> dict[str, bool | None]:
    return {i: ctx.catalogue.get(i).higher_is_worse for i in ctx.params.priority.weights}


def ikjhp_method(ctx: Context):
    """The IKJHP index method (data/index_methods/ikjhp.yaml): its classes and standardisation."""
    from evalkit.analyses.index import load_method

    return load_method(ctx.project.data / "index_methods" / "ikjhp.yaml")


def need_index(ctx: Context, perturbations: int | None = None, smoothing: str | None = None,
               weights: dict[str, float] | None = None) -> pd.DataFrame:
    """The cycle's need index; `smoothing` and `weights` override the params for a sensitivity run."""
    pp = ctx.params.priority
    return _index(ctx, pp, index_years(ctx), weights,
                  perturbations=pp.perturbations if perturbations is None else perturbations, smoothing=smoothing)


def rank_uncertainty(ctx: Context) -> pd.DataFrame:
    """How often each Ortsteil lands in the top k when the counts are drawn again (`priority.count_draws`)."""
    pp = ctx.params.priority
    return priority.count_uncertainty(ctx.indicators, index_years(ctx), pp.weights, pp.window, pp.normalise,
                                      pp.top_k, pp.min_denominator, pp.count_draws, pp.seed, _directions(ctx), pp.smoothing)


def windows(ctx: Context) -> pd.DataFrame:
    pp = ctx.params.priority
    return priority.window_stability(ctx.indicators, index_years(ctx), pp.weights, pp.alt_windows, pp.normalise,
                                     pp.top_k, pp.min_denominator, _directions(ctx), pp.smoothing)


def reference(ctx: Context) -> pd.DataFrame:
    return pd.read_csv(ctx.project.data / "reference" / "schwerpunktraeume.csv", dtype={"area_code": str})


def priority_members(ctx: Context) -> set:
    idx = need_index(ctx, perturbations=0)
    return set(idx.loc[idx["top13"], "area_code"])


def group_cycle(ctx: Context):
    """The parameters of the cycle whose computed top group is the evaluation group (default: the 2018 baseline)."""
    from evalkit.cycles.params import cycle_files, load_cycle

    files = cycle_files(ctx.project.params)
    years = (int(ctx.indicators["year"].min()), int(ctx.indicators["year"].max()))
    return load_cycle(files[ctx.params.evaluation.group_from_cycle], ctx.catalogue, years, files.keys())


def evaluation_group(ctx: Context) -> tuple[pd.DataFrame, list[str]]:
    """The group compared with the rest of the city, fixed before the period judged: the computed top group of
    the baseline cycle, the same in every later cycle. Also the Ortsteile a permutation may draw (not flagged for
    a small base in that cycle)."""
    from evalkit.cycles.params import effective_year

    base = group_cycle(ctx)
    pp = base.priority
    years = {i: effective_year(ctx.indicators, i, base.reference_year) for i in pp.weights}
    idx = _index(ctx, pp, years)
    group = idx[idx["top13"]].sort_values("area_code")
    basis = (f"Top {pp.top_k} des berechneten Bedarfsindex im Zyklus {base.cycle} (Bezugsjahr "
             f"{base.reference_year}, {pp.window}-Jahres-Fenster)")
    out = pd.DataFrame({"area_code": group["area_code"], "area_name": group["area_name"], "basis": basis})
    eligible = sorted(idx.loc[idx["need_class"] != priority.FLAGGED, "area_code"])
    return out.reset_index(drop=True), eligible


def sensitivity_groups(ctx: Context) -> dict[str, tuple[set, str]]:
    """Other ways to pick the comparison group, for sensitivity rows: the IKJHP Schwerpunkträume the reference
    list confirms, the INSEK focus areas, and the top group of a 2017–2019 window (the three years before the
    plan start, instead of the baseline cycle's window)."""
    from evalkit.cycles.params import effective_year

    ref = reference(ctx)
    pp = ctx.params.priority
    years = {i: effective_year(ctx.indicators, i, ctx.params.evaluation.plan_start - 1) for i in pp.weights}
    idx = _index(ctx, pp, years, window=3)
    groups = {
        "referenzliste": (set(ref.loc[ref["list"] == "IKJHP-Schwerpunktraum", "area_code"]),
                          "öffentlich bestätigte IKJHP-Schwerpunkträume der Referenzliste"),
        "insek": (set(ref.loc[ref["list"] == "INSEK-Schwerpunktgebiet", "area_code"]),
                  "Ortsteile der INSEK-Schwerpunktgebiete"),
        "fenster_2017_2019": (set(idx.loc[idx["top13"], "area_code"]),
                              f"Top {pp.top_k} des Bedarfsindex aus {min(years.values()) - 2}–{max(years.values())}"),
    }
    return {k: v for k, v in groups.items() if v[0]}


def its_results(ctx: Context, group: pd.DataFrame, eligible: list[str]) -> pd.DataFrame:
    """The interrupted time series of every trend indicator for the evaluation group (its.csv), with sensitivity
    rows for the other ways to pick the group."""
    ev = ctx.params.evaluation
    alt = {k: members for k, (members, _) in sensitivity_groups(ctx).items()}
    return its.its_table(ctx.indicators, {i: ctx.year(i) for i in TREND_INDICATORS}, set(group["area_code"]),
                         eligible, ev.plan_start, ev.first_year, ev.placebo_start, ev.permutations, ev.seed, alt)


def baseline_index(ctx: Context, year: int | None = None) -> pd.DataFrame:
    """The need index with the group cycle's rule, on the data up to `year` (default: that cycle's reference
    year): the selection the evaluation group came from, or a benchmark group selected the same way earlier."""
    from evalkit.cycles.params import effective_year

    base = group_cycle(ctx)
    pp = base.priority
    y = base.reference_year if year is None else year
    return _index(ctx, pp, {i: effective_year(ctx.indicators, i, y) for i in pp.weights})


def selected_top(ctx: Context, year: int) -> set:
    idx = baseline_index(ctx, year)
    return set(idx.loc[idx["top13"], "area_code"])


DESIGN_LABELS = {
    "hauptgruppe": "Evaluationsgruppe gegen alle übrigen Ortsteile",
    "nahe_schwelle": "Evaluationsgruppe gegen die Ortsteile knapp unter der Schwelle",
    "fruehes_fenster": "früher ausgewählte Gruppe gegen die übrigen Ortsteile",
    "referenzliste": "bestätigte IKJHP-Schwerpunkträume (Referenzliste) gegen die übrigen",
    "insek": "INSEK-Schwerpunktgebiete gegen die übrigen",
}


def evaluation_results(ctx: Context, group: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The evaluation on the engine for every trend indicator: evaluation.csv (event study, SDID, ITS and the
    comparison designs, with Holm-adjusted p for the headline family), benchmark.csv (groups selected the same
    way without a plan), zerlegung.csv (numerator and denominator parts of each group's change) and the notes on
    variants that equal another group."""
    ev = ctx.params.evaluation
    base = group_cycle(ctx)
    pp = base.priority
    members = set(group["area_code"])
    idx = baseline_index(ctx)
    strata = evaluation.strata_of(idx)
    near = evaluation.near_cutoff(idx, pp.top_k, ev.near_cutoff)
    early = selected_top(ctx, ev.early_window_year)
    variants = {"fruehes_fenster": early, **{k: m for k, (m, _) in sensitivity_groups(ctx).items()}}
    distinct, same = evaluation.distinct_groups(members, variants)
    until = {i: ctx.year(i) for i in TREND_INDICATORS}
    rows = []
    for ind, last in sorted(until.items()):
        if last < ev.plan_start:
            continue  # no outcome year after the plan start
        first, start, draws, seed = ev.first_year, ev.plan_start, ev.sdid_placebo, ev.seed
        main = evaluation.estimate(ctx.indicators, ind, members, first, last, start,
                                   ["event_study", "sdid", "its"], ["cluster"], draws, seed)
        perm = evaluation.permutation_rows(ctx.indicators, ind, members, first, last, start, strata,
                                           ev.strata_draws, seed).assign(indicator=ind)
        rows += [main.assign(design="hauptgruppe"), perm.assign(design="hauptgruppe")]
        near_rows = evaluation.estimate(ctx.indicators, ind, members, first, last, start, ["sdid", "its"],
                                        ["cluster"], draws, seed, units=near)
        rows.append(near_rows.assign(design="nahe_schwelle"))
        for name, g in sorted(distinct.items()):
            # two Ortsteile are two clusters: clustered intervals are invalid, so the ITS with permutation
            # inference only (and no SDID, whose variance estimators need more treated units)
            few = len(g) < 3
            r = evaluation.estimate(ctx.indicators, ind, g, first, last, start, ["its"] if few else ["sdid", "its"],
                                    ["permutation"] if few else ["cluster"], ev.permutations, seed)
            rows.append(r.assign(design=name))
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=evaluation.COLUMNS)
    table = table[evaluation.COLUMNS]
    headline = (table["design"] == "hauptgruppe") & (
        ((table["estimator"] == "sdid") & table["inference"].isin(["placebo", "jackknife"])) |
        ((table["estimator"] == "its") & table["term"].isin(["level_change", "slope_change"]) &
         (table["inference"] == "permutation_strata")))
    table["p_holm"] = evaluation.holm(table["p"].where(headline))
    for c in ("estimate", "se", "lower", "upper", "p", "p_holm"):
        table[c] = table[c].astype(float).round(6)
    table = table.sort_values(["indicator", "design", "estimator", "inference", "term"],
                              key=lambda c: c.map(_term_key) if c.name == "term" else c,
                              kind="stable").reset_index(drop=True)
    bench = evaluation.benchmark(ctx.indicators, until, lambda y: selected_top(ctx, y), ev.first_year, pp.window,
                                 ev.plan_start, ev.selection_lag)
    bench["estimate"] = bench["estimate"].astype(float).round(6)
    y0 = ev.plan_start - 1
    parts = [evaluation.decomposition(ctx.indicators, ind, {"evaluationsgruppe": members, "uebrige":
                                                            set(idx["area_code"]) - members}, y0, last)
             for ind, last in sorted(until.items()) if last > y0]
    decomposition = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    for c in decomposition.columns:
        if decomposition[c].dtype == float:
            decomposition[c] = decomposition[c].round(6)
    notes = pd.DataFrame([{"variant": k, "equals": v} for k, v in sorted(same.items())],
                         columns=["variant", "equals"])
    return {"evaluation": table, "benchmark": bench, "zerlegung": decomposition, "varianten_gleich": notes,
            "near": near, "early": early, "distinct": distinct}


def outcome_years(ctx: Context) -> pd.DataFrame:
    """Per trend indicator: the last year this cycle has and the last year its compared cycle had (a cycle
    without newer outcome years must say so)."""
    from evalkit.cycles.params import cycle_files, effective_year, load_cycle

    c = ctx.params.compare_with
    ref = None
    if c is not None:
        files = cycle_files(ctx.project.params)
        years = (int(ctx.indicators["year"].min()), int(ctx.indicators["year"].max()))
        ref = load_cycle(files[c], ctx.catalogue, years, files.keys()).reference_year
    return pd.DataFrame([{"indicator": i, "name": ctx.catalogue.get(i).name, "last": ctx.year(i),
                          "compared_last": effective_year(ctx.indicators, i, ref) if ref is not None else None}
                         for i in TREND_INDICATORS])


def _term_key(term):
    return f"{int(term):06d}" if str(term).isdigit() else str(term)


def trend_tables(ctx: Context, members: set) -> tuple[pd.DataFrame, pd.DataFrame]:
    until = {i: ctx.year(i) for i in TREND_INDICATORS}
    ev = ctx.params.evaluation
    return trends.trends_table(ctx.indicators, TREND_INDICATORS, members, until, ev.first_year, ev.plan_start)


def children_in_poverty(ctx: Context) -> pd.DataFrame:
    y = ctx.year("kinder_sgb2_quote")
    t = ctx.indicators
    return t[(t.indicator == "kinder_sgb2_quote") & (t.level == "ortsteil") & (t.year == y)][["area_code",
                                                                                             "numerator"]]


def school_file(ctx: Context) -> Path:
    return ctx.project.raw / "facilities" / "schulen_2023.csv"


def school_db_file(ctx: Context) -> Path:
    return ctx.project.raw / "facilities" / "schulen_schuldatenbank_2017.csv"


def kita_file(ctx: Context) -> Path:
    return ctx.project.raw / "facilities" / "kitas_osm_2024-07.json"


def stated_school_posts(ctx: Context, school_type: str = "Grundschule") -> pd.Series:
    """The latest stated count of Schulsozialarbeit at a school type, with its total and date (measures.csv)."""
    reg = measures.load_measures(ctx.project.data / "measures" / "measures.csv")
    rows = reg[(reg["measure"] == "Schulsozialarbeit") & (reg["school_type"] == school_type) & reg["total"].notna()]
    return rows.sort_values("date").iloc[-1]


def scenario(ctx: Context, index: pd.DataFrame) -> dict:
    """The stated Grundschul posts (43 of 67 in January 2021), scaled to the located municipal Grundschulen,
    given down the need ranking."""
    stated = stated_school_posts(ctx)
    stated_posts, stated_total = int(stated["count"]), int(stated["total"])
    kitas = measures.kita_addresses(kita_file(ctx), ctx.geojson)
    placed = measures.place_schools(school_file(ctx), school_db_file(ctx), kitas=kitas)
    schools = placed[placed["ot_code"].notna()].reset_index(drop=True)
    unplaced = placed[placed["ot_code"].isna()].reset_index(drop=True)
    posts = round(stated_posts / stated_total * len(schools))
    children = children_in_poverty(ctx)
    res = measures.allocation_scenario(schools, index, posts, children)
    res.update(posts=posts, located=len(schools), stated_posts=stated_posts, stated_total=stated_total,
               stated_date=str(stated["date"]), unplaced=unplaced, placed_by=placed["placed_by"].value_counts(),
               sensitivity=measures.scenario_sensitivity(schools, index, posts, children, len(unplaced)))
    return res


def hze_table(ctx: Context, threshold: int = 3) -> pd.DataFrame | None:
    """The disclosure-controlled HzE count table for the cycle's latest restricted year; None without data."""
    data = restricted.load_restricted_dir(ctx.project.restricted, ctx.areas)
    if data is None:
        return None
    counts = data.reset_index()
    years = counts.loc[counts["year"] <= ctx.params.reference_year, "year"]
    if years.empty:
        raise DisclosureError(f"no year up to the reference year {ctx.params.reference_year} "
                              f"(the file starts in {int(counts['year'].min())})", file="data/restricted/hze.csv",
                              expected="counts for a year up to the cycle's reference year")
    year = int(years.max())
    c = counts[counts["year"] == year].set_index("ot_code")[f"{restricted.SOURCE}:hze_faelle"]
    out = protected_table(c, ctx.areas, threshold)
    out["year"] = year
    return out


# components whose denominator is a population (not SGB-II households) and that describe need, not context
PREVALENCE = ("kinder_sgb2_quote", "sgb2_quote", "arbeitslose_anteil")
VARIANTS = ("smoothing", "equal", "prevalence")


def index_sensitivity(ctx: Context) -> pd.DataFrame:
    """The cycle's ranks beside three variants: empirical-Bayes smoothing switched the other way, equal weights,
    and prevalence components only (population denominators; no single-parent share among SGB-II households, no
    migration, which Berlin's MSS keeps as context). One row per ranked Ortsteil: rank and top group in each."""
    pp = ctx.params.priority
    other = "none" if pp.smoothing == "empirical_bayes" else "empirical_bayes"
    prevalence = {i: 1.0 for i in PREVALENCE if i in ctx.catalogue.ids()}
    runs = {"main": need_index(ctx, 0), "smoothing": need_index(ctx, 0, smoothing=other),
            "equal": need_index(ctx, 0, weights={i: 1.0 for i in pp.weights}),
            "prevalence": _variant(ctx, prevalence)}
    out = runs["main"][["area_code", "area_name", "rank", "top13"]]
    for key in VARIANTS:
        r = runs[key].set_index("area_code")
        out = out.assign(**{f"rank_{key}": out["area_code"].map(r["rank"]), f"top13_{key}": out["area_code"].map(r["top13"])})
    return out.dropna(subset=["rank"]).sort_values(["rank", "area_code"]).reset_index(drop=True)


def index_history(ctx: Context) -> pd.DataFrame:
    """The need index of every cycle up to this one, each with its own parameters (the Ortsteil pages show an
    Ortsteil's rank and class in every cycle so far): cycle, area_code, rank, need_class, top13."""
    from evalkit.cycles.params import cycle_files, effective_year, load_cycle

    files = cycle_files(ctx.project.params)
    years = (int(ctx.indicators["year"].min()), int(ctx.indicators["year"].max()))
    frames = []
    for c in sorted(x for x in files if x <= ctx.params.cycle):
        p = load_cycle(files[c], ctx.catalogue, years, files.keys())
        pp = p.priority
        ys = {i: effective_year(ctx.indicators, i, p.reference_year) for i in pp.weights}
        idx = _index(ctx, pp, ys)
        frames.append(idx[["area_code", "rank", "need_class", "top13"]].assign(cycle=c))
    return pd.concat(frames, ignore_index=True)


def facilities(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Schools (all types and operators), Horte and Kitas with their Ortsteil, for the Ortsteil pages: schools
    and Horte placed by their point or address (measures.place), Kitas by their point."""
    from evalkit.acquire.facilities import in_ortsteile, kita_points, read_list

    located = in_ortsteile(kita_points(kita_file(ctx)), ctx.geojson)  # once: Kita list and address points
    points = measures.address_points(school_db_file(ctx), school_file(ctx), measures.addresses(located))
    school_cols, hort_cols = ["name", "types", "street_slug", "hausnr", "ot_nr_point_in_polygon"], \
        ["name", "street_slug", "hausnr"]
    schools = measures.place(read_list(school_file(ctx), school_cols, "school list")[school_cols], points)
    horte = measures.place(read_list(ctx.project.raw / "facilities" / "horte_2018.csv", hort_cols, "Hort list")
                           [hort_cols], points)
    kitas = located[["ot_code", "name"]]
    return schools, horte, kitas.sort_values(["ot_code", "name"], na_position="last").reset_index(drop=True)


def component_profile(ctx: Context) -> pd.DataFrame:
    """The standardised need components of the ranked Ortsteile (rows: area_code): what 'comparable Ortsteile'
    are measured on."""
    pp = ctx.params.priority
    frame, small, _ = priority.components(ctx.indicators, index_years(ctx), pp.window, pp.min_denominator,
                                          _directions(ctx), pp.smoothing)
    return priority.standardised(frame, small, pp.normalise)


COMPARISON_COLUMNS = ["indicator", "area_code", "year", "value", "lower", "upper", "interval", "city", "verdict",
                      "small_base", "trend", "trend_p", "trend_from", "trend_to"]


def ortsteil_comparison(ctx: Context) -> pd.DataFrame:
    """Per indicator and Ortsteil in the cycle's year: the value with its interval (Wilson for shares; exact
    Poisson/Byar for ratios of whole counts; none for sums and survey means), the city's value, higher/similar/
    lower than the city, a small base, and the recent trend (Cochran–Armitage, last five years, shares only)."""
    t = ctx.indicators
    rows = []
    for ind in ctx.params.indicators:
        spec = ctx.catalogue.get(ind)
        year = ctx.year(ind)
        if year is None or spec.comparison_interval == "none" or "ortsteil" not in spec.levels:
            continue
        part = t[(t["indicator"] == ind) & (t["year"] <= year)]
        now = part[(part["level"] == "ortsteil") & (part["year"] == year)].set_index("area_code")
        city_row = part[(part["level"] == "stadt") & (part["year"] == year)]
        city = float(city_row["value"].iloc[0]) if len(city_row) else float("nan")
        series = part[part["level"] == "ortsteil"].groupby("area_code")
        for code, r in now.iterrows():
            if spec.comparison_interval == "wilson":
                lo, hi, how = r["lower"], r["upper"], "Wilson"
            elif r["denominator"] > 0 and not pd.isna(r["value"]):
                a, b = compare.byar_interval(r["numerator"])
                lo, hi = spec.scale * a / r["denominator"], spec.scale * b / r["denominator"]
                how = "Poisson"
            else:
                lo = hi = float("nan")
                how = ""
            verdict = None if pd.isna(r["value"]) else compare.versus(lo, hi, city)
            trend = (None, None, [])
            if spec.kind == "rate" and code in series.groups:
                s = series.get_group(code)
                s = s[s["suppressed"] == 0] if "suppressed" in s.columns else s
                trend = compare.recent_trend(s["year"], s["numerator"], s["denominator"])
            rows.append({"indicator": ind, "area_code": code, "year": int(year), "value": r["value"], "lower": lo,
                         "upper": hi, "interval": how if verdict else "", "city": city, "verdict": verdict or "",
                         "small_base": bool(spec.kind == "rate" and r["denominator"] < ctx.params.small_denominator),
                         "trend": trend[0] or "", "trend_p": trend[1],
                         "trend_from": trend[2][0] if trend[2] else None, "trend_to": trend[2][-1] if trend[2] else None})
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    return out.sort_values(["indicator", "area_code"], kind="mergesort").reset_index(drop=True)
