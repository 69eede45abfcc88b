"""One need-index engine for any table of areas: a method file says which columns, how they are standardised,
how they are weighted, whether the sum is standardised again, and which bands name the classes.

The cycles' IKJHP index (data/index_methods/ikjhp.yaml, applied by `priority` to the pooled Ortsteil table) and
Berlin's Monitoring Soziale Stadtentwicklung (data/index_methods/berlin-mss-status.yaml, tested against every
official class of 2013, 2019 and 2021) run through the same functions. `evalkit index TABLE --method M --out R`
applies a method file to a CSV table of another place or year.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.stats import norm

from evalkit.analyses.table_reader import numeric, read_table
from evalkit.errors import DataError
from evalkit.validation import validate_model
from evalkit.yamlio import load_yaml_file

UNSCORED = "nicht eingestuft"
RESULT_COLUMNS = ["id", "name", "index", "rank", "class"]


class Band(BaseModel):
    """A class: `from` inclusive, `to` exclusive, null for an open end."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    label: str
    lower: float | None = Field(alias="from")
    upper: float | None = Field(alias="to")


class IndexMethod(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str  # the column of the area id (kept as text)
    name: str | None = None  # the column of the area name
    indicators: dict[str, float]  # column → weight
    standardise: Literal["z", "rank", "none"] = "z"
    index: Literal["standardised", "raw"] = "standardised"
    classes: list[Band]

    @model_validator(mode="after")
    def _bands_tile_the_line(self):
        if not self.indicators:
            raise ValueError("indicators: at least one column with a weight")
        if any(w == 0 or not math.isfinite(w) for w in self.indicators.values()):
            raise ValueError("indicators: every weight is a finite number other than 0")
        bands = sorted(self.classes, key=lambda b: -math.inf if b.lower is None else b.lower)
        if not bands:
            raise ValueError("classes: at least one band")
        if bands[0].lower is not None or bands[-1].upper is not None:
            raise ValueError("classes: the bands must cover every value (first from: null, last to: null)")
        for a, b in zip(bands, bands[1:]):
            if a.upper is None or b.lower is None or a.upper != b.lower:
                kind = "overlap" if a.upper is None or (b.lower is not None and a.upper > b.lower) else "leave a gap"
                raise ValueError(f"classes: bands {a.label!r} and {b.label!r} {kind}")
        for b in bands:
            if b.lower is not None and b.upper is not None and b.lower >= b.upper:
                raise ValueError(f"classes: band {b.label!r} is empty (from ≥ to)")
        labels = [b.label for b in bands]
        if len(set(labels)) != len(labels):
            raise ValueError(f"classes: label {next(x for x in labels if labels.count(x) > 1)!r} names two bands")
        return self


def load_method(path: Path) -> IndexMethod:
    raw = load_yaml_file(path, "method file")
    return validate_model(IndexMethod, raw, path, "keys id, name, indicators, standardise (z|rank|none), "
                                                  "index (standardised|raw), classes [{label, from, to}]")


def standardise(values: pd.Series, how: str = "z") -> pd.Series:
    """z-scores across the areas (population SD), van der Waerden normal scores of the ranks, or as they are."""
    if how == "rank":
        r = values.rank(method="average")
        return pd.Series(norm.ppf(r / (len(values) + 1)), index=values.index)
    if how == "none":
        return values.astype(float)
    sd = values.std(ddof=0)
    if not sd > 0:  # no spread (all areas alike): every area sits at the mean
        return pd.Series(0.0, index=values.index)
    return (values - values.mean()) / sd


def score(frame: pd.DataFrame, weights: dict[str, float], how: str = "z", index: str = "standardised") -> pd.Series:
    """The weighted sum of the standardised columns (a negative weight: higher is better), itself standardised
    when the method says so. `frame` holds only the scored areas, no missing values."""
    w = pd.Series(weights, dtype=float)
    total = (frame[w.index].apply(lambda col: standardise(col, how)) * w).sum(axis=1)
    return standardise(total, "z") if index == "standardised" else total


def classify(values: pd.Series, bands: list[Band], unscored: str = UNSCORED) -> pd.Series:
    def label(v):
        if pd.isna(v):
            return unscored
        return next(b.label for b in bands if (b.lower is None or v >= b.lower) and (b.upper is None or v < b.upper))

    return values.map(label)


# -- any table of areas -----------------------------------------------------------------------------------------

def apply_method(table: pd.DataFrame, method: IndexMethod, decimal: str = ".", file=None
                 ) -> tuple[pd.DataFrame, list[str]]:
    """RESULT (id, name, index, rank, class), one row per input row in input order; rows with a missing or
    non-numeric input are not scored and named in the messages."""
    id_column, name_column = method.id, method.name
    missing = [c for c in [id_column, *([name_column] if name_column else []), *method.indicators]
               if c not in table.columns]
    if missing:
        raise DataError(f"column {missing[0]!r} is not in the table", file=file,
                        expected=f"one of {', '.join(map(repr, table.columns))}")
    ids = table[id_column].astype(str).str.strip()
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        i, j = np.flatnonzero(dup)[:2]
        raise DataError(f"id {ids.iloc[i]!r} appears twice (also line {j + 2})", file=file, record=f"line {i + 2}",
                        expected=f"one row per area in column {id_column!r}")
    values = pd.DataFrame({c: numeric(table[c], decimal) for c in method.indicators}, index=table.index)
    inf = ~np.isfinite(values.fillna(0).to_numpy())
    if inf.any():
        i, j = np.argwhere(inf)[0]
        c = list(method.indicators)[j]
        raise DataError(f"{table.iloc[i][c]!r} in column {c!r} is not a finite number", file=file,
                        record=f"line {i + 2}", expected="finite numbers (or an empty cell for a missing value)")
    ok = values.notna().all(axis=1)
    if ok.sum() < 2:
        raise DataError(f"only {int(ok.sum())} area can be scored", file=file,
                        expected="at least two areas with every input: a standardised index compares areas")
    messages = []
    for i in np.flatnonzero(~ok.to_numpy()):
        bad = [c for c in method.indicators if pd.isna(values.iloc[i][c])]
        messages.append(f"row {i + 2} ({table.iloc[i][id_column]}): {', '.join(bad)} missing or not a number "
                        f"({', '.join(repr(table.iloc[i][c]) for c in bad)}) – {UNSCORED}")
    idx = score(values[ok], method.indicators, method.standardise, method.index) if ok.sum() > 1 else \
        pd.Series(np.nan, index=values.index[ok])
    idx = idx.reindex(table.index)
    rank = idx.rank(ascending=False, method="min")
    out = pd.DataFrame({"id": table[id_column].astype(str),
                        "name": table[name_column] if name_column else "",
                        "index": idx.round(6), "rank": rank.astype("Int64"),
                        "class": classify(idx, method.classes)})
    return out[RESULT_COLUMNS].reset_index(drop=True), messages


def run_index(table_path: Path, method_path: Path, out_path: Path) -> tuple[pd.DataFrame, list[str]]:
    """`evalkit index`: read, apply, write the result table."""
    from evalkit.fileio import write_table

    out = Path(out_path)
    if out.is_dir():
        raise DataError("is a folder", file=out, expected="--out: a file path for the result")
    for what, p in (("table", Path(table_path)), ("method file", Path(method_path))):
        if out.exists() and p.exists() and out.resolve() == p.resolve():
            raise DataError(f"--out would overwrite the {what}", file=out, expected="--out: a new file")
    method = load_method(method_path)
    table, decimal = read_table(table_path)
    result, messages = apply_method(table, method, decimal, table_path)
    write_table(Path(out_path), result)
    return result, messages
