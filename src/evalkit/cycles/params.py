"""Evaluation cycles as parameter files (params/cycle-YYYY.yaml), validated before any notebook runs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from evalkit.errors import ParamsError
from evalkit.indicators.catalogue import Catalogue
from evalkit.validation import validate_model
from evalkit.yamlio import load_yaml

Level = Literal["ortsteil", "stadtbezirk", "planungsraum", "stadt"]


DEFAULT_WEIGHTS = {"kinder_sgb2_quote": 0.35, "alleinerziehende_bg_anteil": 0.2, "arbeitslose_anteil": 0.15,
                   "arbeitslose_u25": 0.15, "migrationsanteil": 0.15}


class PriorityParams(BaseModel):
    """Settings of the priority-area index (spec §4.5)."""

    model_config = ConfigDict(extra="forbid")

    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    window: int = Field(3, ge=1, le=10)
    normalise: Literal["z", "rank"] = "z"
    top_k: int = Field(13, ge=1, le=62)
    min_denominator: float = Field(50, ge=0, le=100_000)
    perturbations: int = Field(500, ge=0, le=100_000)
    count_draws: int = Field(500, ge=50, le=100_000)  # Poisson draws of the counts for the rank uncertainty
    concentration: float = Field(50.0, gt=0, le=1e6)
    seed: int = 20201
    alt_windows: list[Annotated[int, Field(ge=1, le=10)]] = Field(default_factory=lambda: [1, 2, 3, 4, 5])

    @field_validator("weights", mode="before")
    @classmethod
    def _merge_weights(cls, v):
        """A partial override changes the named components and keeps the others (0 switches one off); a weight
        that is not a finite number ≥ 0, or weights that are all 0, are refused. The direction of a component
        comes from the catalogue, never from a negative weight."""
        if not isinstance(v, dict):
            return v
        merged = dict(DEFAULT_WEIGHTS)
        for k, w in v.items():
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w):
                raise ValueError(f"weight of {k!r} is not a finite number ({w!r})")
            if w < 0:
                raise ValueError(f"weight of {k!r} is negative ({w}); directions come from the catalogue "
                                 "(higher_is_worse), weights are ≥ 0")
            merged[k] = float(w)
        merged = {k: w for k, w in merged.items() if w > 0}
        if not merged:
            raise ValueError("every weight is 0: the index would rank nothing")
        return merged
    # empirical-Bayes smoothing of the pooled Ortsteil rates before standardising (Marshall); the priority page
    # shows how far it moves the ranks either way
    smoothing: Literal["none", "empirical_bayes"] = "none"


class EvaluationParams(BaseModel):
    """The evaluation design: a group fixed before the period judged, and how the change at the plan start is
    tested (interrupted time series with permutation inference and a placebo start)."""

    model_config = ConfigDict(extra="forbid")

    group_from_cycle: int = 2018  # the computed top group of this cycle (the data the plan was drawn from)
    plan_start: int = 2020
    first_year: int = 2008
    placebo_start: int = 2016
    permutations: int = Field(999, ge=99, le=100_000)
    seed: int = 20201
    # the regression-to-the-mean benchmark: groups selected the same way in earlier years, fake start this many
    # years after the selection year (the real group: selected on data up to 2018, plan start 2020)
    selection_lag: int = Field(2, ge=1, le=5)
    # comparison groups that resemble the group: the Ortsteile ranked just below the cut-off (this many), and a
    # group selected on the window ending in this year
    near_cutoff: int = Field(13, ge=3, le=40)
    early_window_year: int = 2015
    # SDID placebo replications and the draws of the permutation within need strata (p stable in the 2nd decimal)
    sdid_placebo: int = Field(200, ge=50, le=5000)
    strata_draws: int = Field(1999, ge=199, le=100_000)


class CycleParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cycle: int
    title: str
    description: str = ""
    reference_year: int
    compare_with: int | None = None
    indicators: list[str]
    map_indicators: list[str]
    profile_indicators: list[str]
    levels: list[Level]
    profiles: list[Literal["stadtbezirk", "planungsraum"]] = ["stadtbezirk", "planungsraum"]
    small_denominator: float = 50
    priority: PriorityParams = Field(default_factory=PriorityParams)
    evaluation: EvaluationParams = Field(default_factory=EvaluationParams)


def cycle_files(params_dir: Path) -> dict[int, Path]:
    out = {}
    for p in sorted(params_dir.glob("cycle-*.yaml")):
        try:
            out[int(p.stem.split("-", 1)[1])] = p
        except ValueError as e:
            raise ParamsError("file name is not cycle-<year>.yaml", file=p, expected="e.g. cycle-2022.yaml") from e
    return out


def newest_profiles(params_dir: Path) -> tuple[int | None, list[str]]:
    """The newest cycle and the profile levels its file asks for: the Stadtbezirk and Planungsraum profiles span
    every cycle and stand with the newest (the run has validated the file in full before pages are written).
    No cycle file: no profiles."""
    files = cycle_files(params_dir)
    if not files:
        return None, []
    latest = max(files)
    raw = load_yaml(files[latest].read_text(encoding="utf-8"), files[latest], ParamsError)
    p = validate_model(CycleParams, raw, files[latest], "the keys of evalkit.cycles.params.CycleParams",
                       error=ParamsError)
    return latest, list(p.profiles)


def load_cycle(path: Path, catalogue: Catalogue, data_years: tuple[int, int], known_cycles) -> CycleParams:
    """Read and validate one cycle file; every error names the file and the key."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"), path, ParamsError)
    except OSError as e:
        raise ParamsError(f"cannot read: {e}", file=path) from e
    if not isinstance(raw, dict):
        raise ParamsError("not a mapping of keys", file=path, expected="cycle, title, reference_year, …")
    p = validate_model(CycleParams, raw, path, "the keys of evalkit.cycles.params.CycleParams (see "
                                               "params/cycle-2022.yaml)", error=ParamsError)
    if f"cycle-{p.cycle}.yaml" != path.name:
        raise ParamsError(f"key 'cycle': {p.cycle} does not match the file name", file=path,
                          expected=f"cycle: {path.stem.split('-', 1)[1]}")
    known = set(catalogue.ids())
    shown = {"indicators": p.indicators, "map_indicators": p.map_indicators,
             "profile_indicators": p.profile_indicators}
    for key, ids in {**shown, "priority.weights": list(p.priority.weights)}.items():
        for ind in ids:
            if ind not in known:
                raise ParamsError(f"key {key!r}: unknown indicator id {ind!r}", file=path,
                                  expected="an id from data/indicators.yaml")
    for key, ids in {**shown, "priority.weights": list(p.priority.weights)}.items():
        for ind in ids:
            if catalogue.get(ind).restricted:
                raise ParamsError(f"key {key!r}: {ind!r} is restricted (not public)", file=path,
                                  expected="public indicators only; restricted counts are published only through "
                                           "the disclosure-controlled table of the Maßnahmen page")
    lo, hi = data_years
    if not lo <= p.reference_year <= hi:
        raise ParamsError(f"key 'reference_year': {p.reference_year} is outside the data ({lo}–{hi})", file=path,
                          expected=f"a year between {lo} and {hi}")
    if p.evaluation.group_from_cycle not in known_cycles:
        raise ParamsError(f"key 'evaluation.group_from_cycle': cycle {p.evaluation.group_from_cycle} does not exist",
                          file=path, expected=f"one of {sorted(known_cycles)}")
    if p.evaluation.group_from_cycle >= p.evaluation.plan_start:
        raise ParamsError(f"key 'evaluation.group_from_cycle': cycle {p.evaluation.group_from_cycle} is not before "
                          f"the plan start {p.evaluation.plan_start}: the group would be taken from the period it "
                          "judges", file=path, expected=f"a cycle before {p.evaluation.plan_start}")
    ev = p.evaluation
    if not ev.first_year < ev.placebo_start < ev.plan_start or not ev.first_year < ev.early_window_year < ev.plan_start:
        raise ParamsError(f"keys 'evaluation.*': first_year {ev.first_year}, placebo_start {ev.placebo_start} and "
                          f"early_window_year {ev.early_window_year} must lie before plan_start {ev.plan_start}",
                          file=path, expected="first_year < placebo_start, early_window_year < plan_start")
    if p.compare_with is not None and p.compare_with not in known_cycles:
        raise ParamsError(f"key 'compare_with': cycle {p.compare_with} does not exist", file=path,
                          expected=f"one of {sorted(known_cycles)} or null")
    if p.compare_with is not None and p.compare_with >= p.cycle:
        raise ParamsError(f"key 'compare_with': {p.compare_with} is not an earlier cycle", file=path,
                          expected="an earlier cycle")
    return p


def load_cycles(params_dir: Path, catalogue: Catalogue, indicators: pd.DataFrame | tuple[int, int]
                ) -> dict[int, CycleParams]:
    """Every cycle file, validated against the catalogue and the data's years (the indicator table, or its first
    and last year)."""
    files = cycle_files(params_dir)
    if not files:
        raise ParamsError("no cycle files", file=params_dir, expected="params/cycle-<year>.yaml")
    years = indicators if isinstance(indicators, tuple) else (int(indicators["year"].min()),
                                                              int(indicators["year"].max()))
    return {c: load_cycle(f, catalogue, years, files.keys()) for c, f in files.items()}


def effective_year(indicators: pd.DataFrame, indicator: str, reference_year: int) -> int | None:
    """The latest year up to the reference year with data for the indicator (SGB II ends 2022, migration 2023)."""
    years = indicators.loc[indicators["indicator"] == indicator, "year"]
    years = years[years <= reference_year]
    return int(years.max()) if len(years) else None
