"""Restricted inputs: data that is not public (Hilfen zur Erziehung per Ortsteil and the population under 21 it
is measured against). The files live in data/restricted/ (git-ignored, never committed); when one is present the
pipeline uses it, and every published table of its counts goes through evalkit.analyses.disclosure first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from evalkit import reads
from evalkit.errors import DataError
from evalkit.validation import validate_frame

HZE_FILE = "hze.csv"
SOURCE = "restricted"


WHOLE = pa.Check(lambda s: (s - s.round()).abs() < 1e-9, element_wise=False, name="whole number")


def hze_schema(areas: pd.DataFrame) -> pa.DataFrameSchema:
    """Counts as whole numbers (18.5 cases is refused, not truncated), read as floats so that a fraction shows."""
    return pa.DataFrameSchema({
        "ot_code": pa.Column(str, pa.Check.isin(sorted(areas["ot_code"]))),
        "year": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "hze_faelle": pa.Column(float, [pa.Check.ge(0), WHOLE]),
        "einwohner_unter21": pa.Column(float, [pa.Check.gt(0), WHOLE]),
    }, unique=["ot_code", "year"], strict=True, coerce=True,
        checks=pa.Check(lambda d: d["hze_faelle"] <= d["einwohner_unter21"], name="cases ≤ population under 21"))


def load_hze(path: Path, areas: pd.DataFrame) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype={"ot_code": str})
    except pd.errors.EmptyDataError as e:
        raise DataError("the file is empty", file=path,
                        expected="a header ot_code, year, hze_faelle, einwohner_unter21 and one row per Ortsteil "
                                 "and year") from e
    except (OSError, ValueError) as e:
        raise DataError(f"cannot read: {e}", file=path, expected="a CSV file") from e
    if df.empty:
        raise DataError("no rows", file=path, expected="one row per Ortsteil and year")
    df = validate_frame(hze_schema(areas), df, path, "ot_code, year, hze_faelle (≥ 0), einwohner_unter21 (> 0), "
                                                       "one row per Ortsteil and year")
    for year, g in df.groupby("year"):  # an absent Ortsteil is not 0 cases: the year is incomplete
        missing = sorted(set(areas["ot_code"]) - set(g["ot_code"]))
        if missing:
            raise DataError(f"year {year} has no row for Ortsteil {', '.join(missing[:5])}"
                            + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""), file=path,
                            expected="every Ortsteil in every year of the file (0 cases written as 0)")
    return df.astype({"hze_faelle": int, "einwohner_unter21": int})


def load_restricted_dir(folder: Path, areas: pd.DataFrame) -> pd.DataFrame | None:
    """Quantities for the engine, indexed (ot_code, year); None when no restricted file is present. The frame
    is marked restricted: the publication gate refuses anything derived from it without disclosure control."""
    path = folder / HZE_FILE
    reads.note(path)  # looked for: its appearance must re-execute the notebook, as its change does
    if not path.is_file():
        return None
    df = load_hze(path, areas).set_index(["ot_code", "year"]).sort_index()
    out = df.rename(columns={c: f"{SOURCE}:{c}" for c in df.columns}).astype(float)
    out.attrs["restricted"] = True
    return out


def synthetic_hze(areas: pd.DataFrame, years, seed: int = 7) -> pd.DataFrame:
    """SYNTHETIC Hilfen-zur-Erziehung counts for tests and the labelled demonstration only: random, not real."""
    rng = np.random.default_rng(seed)
    rows = []
    for code in areas["ot_code"]:
        pop = int(rng.integers(150, 6000))
        for y in years:
            lam = pop * rng.uniform(0.002, 0.03)
            rows.append((code, int(y), int(rng.poisson(lam) if rng.random() > 0.15 else rng.integers(0, 3)), pop))
    return pd.DataFrame(rows, columns=["ot_code", "year", "hze_faelle", "einwohner_unter21"])
