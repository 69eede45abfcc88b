"""The evaluation engine's input contract: a long panel (one row per unit and period) and a design file that says
which columns are unit, period, outcome and weight, who is treated from when, and which estimators and inference
to run. Everything that cannot be evaluated is refused here, naming the file, the row and what was expected,
before any estimator runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from evalkit.analyses.table_reader import is_missing, numeric
from evalkit.errors import DataError
from evalkit.validation import validate_model
from evalkit.yamlio import load_yaml_file

Estimator = Literal["did", "twfe", "event_study", "its", "sc", "sdid"]
Inference = Literal["cluster", "wild", "permutation", "placebo", "jackknife"]
REGRESSION = ("did", "twfe", "event_study", "its")
SYNTHETIC = ("sc", "sdid")
# which inference applies to which estimator; the first is the default when none of the asked ones applies
APPLIES = {"did": ("cluster", "wild", "permutation"), "twfe": ("cluster", "wild", "permutation"),
           "event_study": ("cluster", "wild", "permutation"), "its": ("cluster", "wild", "permutation"),
           "sc": ("placebo", "jackknife", "permutation"), "sdid": ("placebo", "jackknife", "permutation")}
EXPECTED = ("keys unit, time, outcome (column names), weight (optional column), treated (a 0/1 column or a list "
            "of unit ids), start (first treated period), estimators [did, twfe, event_study, its, sc, sdid], "
            "reference, inference [cluster, wild, permutation, placebo, jackknife], cluster, strata, "
            "permutation_statistic (t|estimate), draws, seed, alpha, placebo_start")


class Design(BaseModel):
    """DESIGN.yaml. Strict types: a period given as text or a count given as a fraction is refused."""

    model_config = ConfigDict(extra="forbid")

    unit: StrictStr
    time: StrictStr
    outcome: StrictStr
    weight: StrictStr | None = None
    treated: StrictStr | list[StrictStr | StrictInt]
    start: StrictInt
    estimators: list[Estimator] = Field(default_factory=lambda: ["did"], min_length=1)
    reference: StrictInt | None = None  # event study: the period all others are read against (default: the last before start)
    inference: list[Inference] = Field(default_factory=lambda: ["cluster", "placebo"], min_length=1)
    cluster: StrictStr | None = None  # the column whose values are the clusters (default: unit)
    strata: StrictStr | None = None  # permutation draws stay within these (a column constant within a unit)
    permutation_statistic: Literal["t", "estimate"] = "t"
    draws: StrictInt = Field(999, ge=19, le=100_000)
    seed: StrictInt = 20201
    alpha: StrictFloat = Field(0.05, gt=0, lt=0.5)
    placebo_start: StrictInt | None = None
    exact: StrictBool = True  # enumerate every label set when there are no more than `draws`

    @model_validator(mode="after")
    def _distinct(self):
        for name in ("estimators", "inference"):
            v = getattr(self, name)
            if len(set(v)) != len(v):
                raise ValueError(f"{name}: each entry once")
        if self.placebo_start is not None and self.placebo_start >= self.start:
            raise ValueError("placebo_start: must lie before start (it is fitted on pre-period data only)")
        return self


def load_design(path: Path) -> Design:
    raw = load_yaml_file(path, "design file")
    if not isinstance(raw, dict):
        raise DataError("the design file is not a mapping of keys", file=path, expected=EXPECTED)
    return validate_model(Design, raw, path, EXPECTED)


@dataclass(frozen=True)
class Panel:
    """A validated long panel: unit and period as text and integer, outcome and weight as floats, the treated
    flag per row, cluster and stratum labels per row; rows sorted by unit and period."""

    data: pd.DataFrame  # columns unit, time, y, w, treated_unit, post, cluster, stratum
    start: int
    file: object = None

    @property
    def units(self) -> list[str]:
        return sorted(self.data["unit"].unique())

    @property
    def treated_units(self) -> list[str]:
        return sorted(self.data.loc[self.data["treated_unit"], "unit"].unique())

    @property
    def periods(self) -> list[int]:
        return sorted(self.data["time"].unique())

    def subset(self, rows) -> "Panel":
        return Panel(self.data[rows].reset_index(drop=True), self.start, self.file)

    def with_start(self, start: int) -> "Panel":
        d = self.data.assign(post=self.data["time"] >= start)
        return Panel(d, start, self.file)


def _row(i: int) -> str:
    return f"line {i + 2}"  # the header is line 1


FLAGS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}


def _flags(raw: pd.Series) -> pd.Series:
    """0/1 as written by spreadsheets, R (TRUE/FALSE) or pandas (1.0); anything else is NaN."""
    return raw.str.lower().map(FLAGS)


def from_table(table: pd.DataFrame, design: Design, decimal: str = ".", file=None,
               balanced: bool = False, notes: list[str] | None = None) -> Panel:
    """Check the table against the design and build the panel (every cell of `table` as text, as read).
    How the data were read where they allowed two readings is appended to `notes`."""
    notes = [] if notes is None else notes
    cols = [design.unit, design.time, design.outcome, design.weight, design.cluster, design.strata,
            design.treated if isinstance(design.treated, str) else None]
    for c in cols:
        if c is not None and c not in table.columns:
            raise DataError(f"column {c!r} is not in the panel", file=file,
                            expected=f"one of {', '.join(map(repr, table.columns))}")
    if table.empty:
        raise DataError("the panel has no rows", file=file, expected="one row per unit and period")
    unit = table[design.unit].astype(str).str.strip()
    for i in np.flatnonzero((unit == "").to_numpy()):
        raise DataError(f"the unit {design.unit!r} is empty", file=file, record=_row(i), expected="a unit id")
    time_raw = table[design.time].astype(str).str.strip()
    time = pd.to_numeric(time_raw, errors="coerce")
    for i in np.flatnonzero((time.isna() | (time != time.round())).to_numpy()):
        raise DataError(f"period {time_raw.iloc[i]!r} is not a whole number", file=file, record=_row(i),
                        expected=f"column {design.time!r}: an integer period such as a year")
    time = time.astype(int)
    dup = pd.DataFrame({"u": unit, "t": time}).duplicated(keep=False).to_numpy()
    if dup.any():
        i, j = np.flatnonzero(dup)[:2]
        raise DataError(f"unit {unit.iloc[i]!r} has period {time.iloc[i]} twice (also {_row(j)})", file=file,
                        record=_row(i), expected="one row per unit and period")
    y_raw = table[design.outcome].astype(str).str.strip()
    y = numeric(table[design.outcome], decimal)
    for i in np.flatnonzero((~is_missing(y_raw) & (y.isna() | ~np.isfinite(y.fillna(0)))).to_numpy()):
        raise DataError(f"outcome {y_raw.iloc[i]!r} is not a number", file=file, record=_row(i),
                        expected=f"column {design.outcome!r}: a finite number (decimal {decimal!r}) or empty "
                                 "(also NA, NaN, NULL or . for a missing value)")
    if design.weight:
        w_raw = table[design.weight].astype(str).str.strip()
        w = numeric(table[design.weight], decimal)
        for i in np.flatnonzero((~(w > 0) | ~np.isfinite(w.fillna(0))).to_numpy()):
            raise DataError(f"weight {w_raw.iloc[i]!r} is not a positive number", file=file, record=_row(i),
                            expected=f"column {design.weight!r}: a finite number > 0")
    else:
        w = pd.Series(1.0, index=table.index)

    periods = sorted(time.unique())
    if design.start not in periods or design.start == periods[0]:
        raise DataError(f"start {design.start} is not a period of the panel after its first", file=file,
                        expected=f"a period between {periods[1] if len(periods) > 1 else periods[0]} and "
                                 f"{periods[-1]}")
    pre = [p for p in periods if p < design.start]
    if len(pre) < 2:
        raise DataError(f"only {len(pre)} period before start {design.start}", file=file,
                        expected="at least two pre-periods")
    if design.reference is not None and design.reference not in periods:
        raise DataError(f"reference {design.reference} is not a period of the panel", file=file,
                        expected=f"one of the periods {periods[0]}–{periods[-1]} (default: the last before start, "
                                 f"{pre[-1]})")
    if design.placebo_start is not None:
        before = [p for p in periods if p < design.placebo_start]
        if design.placebo_start not in periods or len(before) < 2:
            raise DataError(f"placebo_start {design.placebo_start} leaves {len(before)} period(s) before it"
                            if design.placebo_start in periods else
                            f"placebo_start {design.placebo_start} is not a period of the panel", file=file,
                            expected=f"a period before start with at least two periods before it "
                                     f"({', '.join(map(str, pre[2:])) or 'none in this panel'})")

    if isinstance(design.treated, str):
        flag_raw = table[design.treated].astype(str).str.strip()
        flag = _flags(flag_raw)
        for i in np.flatnonzero(flag.isna().to_numpy()):
            raise DataError(f"treated flag {flag_raw.iloc[i]!r} is not 0 or 1", file=file, record=_row(i),
                            expected=f"column {design.treated!r}: 0 or 1 (or FALSE/TRUE)")
        treated = set(unit[flag == 1])
        # Two readings, both with a common start: the flag is the treatment status (1 exactly from `start` on,
        # as in the Prop 99 panel) or the group (1 in every period of a treated unit, `start` from the design).
        status = unit.isin(treated) & (time >= design.start)
        group = unit.isin(treated)
        if (group == (flag == 1)).all() and not (status == (flag == 1)).all():
            notes.append(f"column {design.treated!r} is 1 in every period of the treated units: read as group "
                         f"membership, treated from {design.start} on (the design's start)")
        else:
            for i in np.flatnonzero((status != (flag == 1)).to_numpy()):
                raise DataError(f"unit {unit.iloc[i]!r} is flagged {int(flag.iloc[i])} in period {time.iloc[i]}, "
                                f"which contradicts a common start in {design.start}", file=file,
                                record=_row(i),
                                expected=f"{design.treated!r} = 1 for the treated units from {design.start} on, "
                                         "0 otherwise (all treated units start together), or 1 in every period "
                                         "of a treated unit")
    else:
        treated = {str(u).strip() for u in design.treated}
        missing = sorted(treated - set(unit))
        if missing:
            raise DataError(f"treated unit {missing[0]!r} is not in the panel", file=file,
                            expected=f"ids of column {design.unit!r}")
    if not treated:
        raise DataError("no unit is treated", file=file, expected="at least one treated unit")
    if set(unit) <= treated:
        raise DataError("every unit is treated", file=file, expected="at least one untreated unit as control")

    def per_unit(column: str, label: str) -> pd.Series:
        v = table[column].astype(str).str.strip()
        n = pd.DataFrame({"u": unit, "v": v}).groupby("u")["v"].nunique()
        if (n > 1).any():
            u = n[n > 1].index[0]
            raise DataError(f"{label} {column!r} changes within unit {u!r}", file=file,
                            record=_row(int(np.flatnonzero((unit == u).to_numpy())[0])),
                            expected=f"one {label} per unit")
        return v

    data = pd.DataFrame({"unit": unit, "time": time, "y": y.astype(float), "w": w.astype(float),
                         "treated_unit": unit.isin(treated), "post": time >= design.start,
                         "cluster": table[design.cluster].astype(str).str.strip() if design.cluster else unit,
                         "stratum": per_unit(design.strata, "stratum") if design.strata else ""})
    data = data[data["y"].notna()].sort_values(["unit", "time"]).reset_index(drop=True)
    if balanced:
        full = pd.MultiIndex.from_product([sorted(set(unit)), periods])
        have = pd.MultiIndex.from_frame(data[["unit", "time"]])
        gaps = full.difference(have)
        if len(gaps):
            shown = ", ".join(f"{u} {t}" for u, t in list(gaps)[:5])
            raise DataError(f"the panel is unbalanced: {len(gaps)} unit–period(s) missing or empty ({shown}"
                            f"{' …' if len(gaps) > 5 else ''})", file=file,
                            expected="every unit in every period for sc and sdid")
    if not data.loc[data["treated_unit"] & data["post"]].shape[0]:
        raise DataError("no treated unit has an outcome from start on", file=file,
                        expected="outcomes of the treated units in the post periods")
    return Panel(data, design.start, file)


def matrix(panel: Panel) -> tuple[np.ndarray, list[str], list[int], int, int]:
    """Units × periods outcome matrix with controls first (sorted), the treated after; N0 and T0."""
    wide = panel.data.pivot(index="unit", columns="time", values="y")
    controls = [u for u in wide.index if u not in set(panel.treated_units)]
    order = controls + panel.treated_units
    wide = wide.loc[order]
    t0 = sum(1 for p in wide.columns if p < panel.start)
    return wide.to_numpy(float), order, [int(c) for c in wide.columns], len(controls), t0
