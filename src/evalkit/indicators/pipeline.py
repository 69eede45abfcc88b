"""The data path as functions: raw files → observations → indicators → data/processed/.

Everything is computed in memory first; files are written only when all of it succeeded, each atomically, so a
failed run leaves the last good outputs untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalkit.acquire.areas import load_areas
from evalkit.acquire.fetch import load_manifest
from evalkit.acquire.legacy import load_corrections, read_legacy_shares
from evalkit.acquire.observations import load_observations, not_published
from evalkit.acquire.sources import Registry, load_registry
from evalkit.acquire.suppression import SuppressionRule, suppressed_cells
from evalkit.fileio import write_table
from evalkit.indicators.catalogue import Catalogue, load_catalogue
from evalkit.indicators.checks import (
    city_totals_check,
    classify_mismatch,
    published_density_check,
    published_share_check,
)
from evalkit.indicators.engine import compute_indicators
from evalkit.indicators.plausibility import (
    check_counts,
    check_geometry,
    check_ranges,
    incomplete_years,
)
from evalkit.paths import Project


@dataclass
class Inputs:
    registry: Registry
    areas: pd.DataFrame
    catalogue: Catalogue
    observations: pd.DataFrame


def load_inputs(project: Project) -> Inputs:
    registry = load_registry(project.sources_file)
    load_manifest(project.raw)  # fails with a clear message when nothing was fetched yet
    areas = load_areas(project.areas_file)
    catalogue = load_catalogue(project.catalogue_file)
    obs = load_observations(project.raw, registry.of_kind("api"), areas, catalogue.whole_counts,
                            SuppressionRule(catalogue.suppression.min_expected))
    return Inputs(registry, areas, catalogue, obs)


def restricted_quantities(project: Project, areas: pd.DataFrame) -> pd.DataFrame | None:
    """Quantities from data/restricted/ (not public, never committed); None when no file is there."""
    from evalkit.acquire.restricted import load_restricted_dir  # local: optional input

    return load_restricted_dir(project.restricted, areas)


def facility_quantities(project: Project, inputs: Inputs) -> pd.DataFrame:
    """Counts of facilities per Ortsteil from the fetched lists (Kitas from OpenStreetMap)."""
    from evalkit.acquire.facilities import kita_counts

    kitas, geo = inputs.registry.get("kitas_osm"), inputs.registry.get("ortsteile_geo")
    return kita_counts(project.raw / kitas.path, project.raw / geo.path, inputs.areas["ot_code"])


@dataclass
class Results:
    indicators: pd.DataFrame
    share_check: pd.DataFrame
    legacy_check: pd.DataFrame
    density_check: pd.DataFrame
    city_check: pd.DataFrame
    unpublished: pd.DataFrame
    incomplete: pd.DataFrame
    suppressed: pd.DataFrame


def compute(project: Project, inputs: Inputs | None = None) -> Results:
    inputs = inputs or load_inputs(project)
    files = {s.id: str(project.raw / s.path) for s in inputs.registry.sources}
    check_counts(inputs.observations, inputs.catalogue, files)
    geo = inputs.registry.get("ortsteile_geo")
    check_geometry(project.raw / geo.path, inputs.areas)
    extra = facility_quantities(project, inputs)
    restricted = restricted_quantities(project, inputs.areas)
    if restricted is not None:
        extra = extra.join(restricted, how="outer")
    table = compute_indicators(inputs.observations, inputs.areas, inputs.catalogue, files, extra)
    check_ranges(table, inputs.catalogue)
    check = published_share_check(table, inputs.observations, inputs.catalogue)
    check["class"] = classify_mismatch(check)
    legacy = legacy_comparison(project, inputs, table)
    density = published_density_check(table, inputs.observations)
    city = city_totals_check(table, inputs.observations)
    gaps = not_published(inputs.observations).sort_values(["source", "indicator_raw", "year"])
    incomplete = incomplete_years(table, len(inputs.areas))
    return Results(table, check, legacy, density, city, gaps.reset_index(drop=True), incomplete,
                   suppressed_cells(inputs.observations, inputs.areas))


def legacy_comparison(project: Project, inputs: Inputs, table: pd.DataFrame) -> pd.DataFrame:
    """The 2014 project's shares beside the recomputed arbeitslose_anteil (2000–2013)."""
    src = inputs.registry.get("legacy_arbeitslose")
    legacy = read_legacy_shares(project.raw / src.path, inputs.areas,
                                load_corrections(project.data / "name_corrections.csv"), src.encoding)
    mine = table[(table["indicator"] == "arbeitslose_anteil") & (table["level"] == "ortsteil")]
    m = legacy.rename(columns={"ot_code": "area_code", "value": "legacy"}).merge(
        mine[["area_code", "area_name", "year", "value"]], on=["area_code", "year"], how="left")
    m["difference"] = (m["value"] - m["legacy"]).round(6)
    return m.rename(columns={"value": "recomputed"})[["area_code", "area_name", "year", "legacy", "recomputed",
                                                      "difference"]]


def write_results(project: Project, results: Results) -> list[Path]:
    out = {
        project.indicators_csv: results.indicators,
        project.processed / "share_check.csv": results.share_check,
        project.processed / "legacy_check.csv": results.legacy_check,
        project.processed / "density_check.csv": results.density_check,
        project.processed / "city_check.csv": results.city_check,
        project.processed / "unpublished.csv": results.unpublished,
        project.processed / "incomplete.csv": results.incomplete,
        project.processed / "suppressed.csv": results.suppressed,
    }
    for path, df in out.items():
        write_table(path, df)
    return list(out)


def build_indicators(project: Project) -> Results:
    results = compute(project)
    write_results(project, results)
    return results


def validate_raw(project: Project, staged: Path) -> None:
    """A staged raw set passes exactly what `evalkit indicators` checks (observations, areas, geometry, counts,
    plausibility) and the facility lists carry the columns the notebooks read; nothing is written."""
    from evalkit.acquire.facilities import check_lists

    class Staged(Project):
        @property
        def raw(self) -> Path:
            return staged

    view = Staged(project.root)
    compute(view)
    check_lists(staged, {s.id: s.path for s in load_inputs(view).registry.sources})
