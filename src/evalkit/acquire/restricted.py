"""Restricted inputs: data that is not public (Hilfen zur Erziehung per Ortsteil and the population under 21 it
is measured against). The files live in data/restricted/ (git-ignored, never committed); when one is present the
pipeline uses it, and every published table of its counts goes through evalkit.analyses.disclosure first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from evalkit.validation import validate_frame

HZE_FILE = "hze.csv"
SOURCE = "restricted"


def hze_schema(areas: pd.DataFrame) -> pa.DataFrameSchema:
    return pa.DataFrameSchema({
        "ot_code": pa.Column(str, pa.Check.isin(sorted(areas["ot_code"]))),
        "year": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "hze_faelle": pa.Column(int, pa.Check.ge(0)),
        "einwohner_unter21": pa.Column(int, pa.Check.gt(0)),
    }, unique=["ot_code", "year"], strict=True, coerce=True,
        checks=pa.Check(lambda d: d["hze_faelle"] <= d["einwohner_unter21"], name="cases ≤ population under 21"))


def load_hze(path: Path, areas: pd.DataFrame) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"ot_code": str})
    return validate_frame(hze_schema(areas), df, path, "ot_code, year, hze_faelle (≥ 0), einwohner_unter21 (> 0), "
                                                       "one row per Ortsteil and year")


def load_restricted_dir(folder: Path, areas: pd.DataFrame) -> pd.DataFrame | None:
    """Quantities for the engine, indexed (ot_code, year); None when no restricted file is present. The frame
    is marked restricted: the publication gate refuses anything derived from it without disclosure control."""
    path = folder / HZE_FILE
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
