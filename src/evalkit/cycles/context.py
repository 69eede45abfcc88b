"""What a cycle notebook loads: the project, the cycle's (and the compared cycle's) validated parameters, the
indicator table, the catalogue and the areas; and where its result tables go."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from evalkit import reads
from evalkit.settings import settings
from evalkit.acquire import sources
from evalkit.acquire.areas import load_areas
from evalkit.cycles.params import CycleParams, cycle_files, effective_year, load_cycle
from evalkit.errors import DisclosureError, ParamsError
from evalkit.fileio import write_table
from evalkit.indicators.catalogue import Catalogue, load_catalogue
from evalkit.indicators.engine import read_indicator_table
from evalkit.paths import Project, find_root


@dataclass
class Context:
    project: Project
    params: CycleParams
    compare: CycleParams | None
    indicators: pd.DataFrame
    catalogue: Catalogue
    areas: pd.DataFrame
    output_dir: Path

    @property
    def geojson(self) -> Path:
        return self.project.raw / "geo" / "ortsteile.geojson"

    @property
    def latest_cycle(self) -> int:
        """The newest cycle of params/ (the Ortsteil pages, one per Ortsteil across cycles, stand with it)."""
        return max(cycle_files(self.project.params))

    @property
    def credit(self) -> str:
        """The credit line of data/sources.yaml (attribution)."""
        return sources.credit_line(self.project.sources_file)

    def name(self, indicator: str) -> str:
        return self.catalogue.get(indicator).name

    def unit(self, indicator: str) -> str:
        return self.catalogue.get(indicator).unit

    def year(self, indicator: str, compare: bool = False) -> int | None:
        """The latest year up to the (compared) cycle's reference year with data for the indicator."""
        key = (indicator, compare)
        if key not in self._years:  # pages ask for the same indicator's year thousands of times
            p = self.compare if compare else self.params
            rows = None if p is None else self._by_indicator.get(indicator)
            self._years[key] = None if rows is None else effective_year(rows, indicator, p.reference_year)
        return self._years[key]

    @cached_property
    def _years(self) -> dict:
        return {}

    @cached_property
    def _by_indicator(self) -> dict[str, pd.DataFrame]:
        """The table split once by indicator: pages ask for each indicator's latest year many times."""
        return {str(k): v for k, v in self.indicators.groupby("indicator")}

    @cached_property
    def _positions(self) -> dict[tuple, int]:
        """Row position per (indicator, level, area_code, year): pages look up hundreds of single values."""
        t = self.indicators
        return {(i, lv, c, int(y)): n for n, (i, lv, c, y) in
                enumerate(zip(t["indicator"], t["level"], t["area_code"], t["year"]))}


@lru_cache(maxsize=2)
def _table(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    """The indicator table, read once per kernel for as long as the file is unchanged (warm kernels reuse it)."""
    return read_indicator_table(Path(path))


CYCLE_ENV = "EVALKIT_CYCLE"


def load_context(project_root: str | Path | None, cycle: int | None, output_dir: str | Path | None) -> Context:
    """The context of one cycle. papermill passes all three; a researcher who opens a template in JupyterLab
    passes none: the project is found from the working folder (or EVALKIT_ROOT), the cycle comes from
    EVALKIT_CYCLE (set by `evalkit lab --cycle`) or is the latest, and tables go to scratch/<cycle>/tabellen/,
    never into the published reports/."""
    project = Project(Path(project_root).resolve()) if project_root else Project(find_root())
    reads.record(project.root)  # under `evalkit run`: list the inputs this notebook reads
    sources.use(project.sources_file)  # figures and maps credit this project's sources
    catalogue = load_catalogue(project.catalogue_file)
    reads.note(project.indicators_csv)  # read once per kernel (cached): the audit hook may not see it again
    st = project.indicators_csv.stat()
    table = _table(str(project.indicators_csv), st.st_mtime_ns, st.st_size)
    files = cycle_files(project.params)
    if cycle is None:
        cycle = settings().cycle or max(files)
    if cycle not in files:
        raise ParamsError(f"no parameter file for cycle {cycle}", file=project.params,
                          expected=f"one of {sorted(files)}")
    years = (int(table.year.min()), int(table.year.max()))
    params = load_cycle(files[cycle], catalogue, years, files.keys())
    compare = load_cycle(files[params.compare_with], catalogue, years, files.keys()) if params.compare_with else None
    out = Path(output_dir) if output_dir else project.scratch / str(cycle) / "tabellen"
    out.mkdir(parents=True, exist_ok=True)
    # notebooks see public indicators only: restricted counts reach a page only through disclosure control
    # (analyses.cycle.hze_table), never through the indicator table, the need index or a map
    restricted = [i.id for i in catalogue.indicators if i.restricted]
    public = table[~table["indicator"].isin(restricted)].reset_index(drop=True) if restricted else table
    return Context(project, params, compare, public, catalogue, load_areas(project.areas_file), out)


def save_table(ctx: Context, df: pd.DataFrame, name: str) -> None:
    """A result table of the cycle: sorted by the caller, no timestamps, fixed CSV dialect. Returns nothing, so
    that a notebook cell ending in it shows no output. Every published table passes the disclosure gate."""
    check_publishable(df, ctx.catalogue, name)
    write_table(ctx.output_dir / name, df)


RESTRICTED_COLUMNS = {"hze_faelle", "einwohner_unter21"}


def check_publishable(df: pd.DataFrame, catalogue: Catalogue, name: str) -> None:
    """The gate where data leave the package: no restricted indicator, no restricted raw count (by column and
    indicator name, which survive merge and concat, unlike DataFrame.attrs). Derived restricted data reach a
    notebook only as `protected_table`, which holds no raw count at all."""
    restricted = {i.id for i in catalogue.indicators if i.restricted}
    cols = {str(c) for c in df.columns}
    found = sorted(cols & (restricted | RESTRICTED_COLUMNS) | {c for c in cols if c.startswith("restricted:")})
    if "indicator" in cols:
        found += sorted(set(df["indicator"].astype(str)) & restricted)
    if found:
        raise DisclosureError(f"table {name} would publish restricted data: {', '.join(map(str, found))}",
                              file=name, expected="public indicators, or the `published` column of "
                                                  "evalkit.analyses.disclosure.protected_table")
