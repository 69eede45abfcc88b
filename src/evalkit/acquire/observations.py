"""Leipzig's statistics API records → one tidy, validated table of observations.

The API sends names with stray spaces, values as strings with decimal commas, and rows for the city (both
`stadtbezirk` and `ortsteil` null), a Stadtbezirk or an Ortsteil. Statistics carry Ortsteil *names*; the area
lookup turns them into codes. Contract: source, indicator_raw, level, area_code, year, value (+ record, the
position of the record in its file, so that every number can be traced back).
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from evalkit.acquire.areas import CITY_CODE
from evalkit.acquire.suppression import SuppressionRule, detect, mark_suppressed
from evalkit.errors import DataError

COLUMNS = ["source", "indicator_raw", "level", "area_code", "year", "value", "record"]
FIRST_YEAR = 1990
REQUIRED_KEYS = ("name", "wert", "jahr", "stadtbezirk", "ortsteil")


def read_records(path: Path) -> list[dict]:
    """The records of one API response file: `{"daten": [...]}` as the API sends it, or `{"data": [...]}`."""
    try:
        doc = json.loads(Path(path).read_bytes())
    except FileNotFoundError as e:
        raise DataError("file not found", file=path, expected="run `evalkit fetch` first") from e
    except UnicodeDecodeError as e:
        raise DataError(f"not UTF-8 at byte {e.start}", file=path, expected="a UTF-8 JSON document") from e
    except json.JSONDecodeError as e:
        raise DataError(f"invalid JSON at line {e.lineno}, column {e.colno} ({e.msg}); the file may be truncated",
                        file=path, expected="a complete JSON document as the statistics API sends it") from e
    records = doc.get("daten", doc.get("data")) if isinstance(doc, dict) else None
    if not isinstance(records, list):
        raise DataError("no list of records", file=path, expected='an object with a "daten" (or "data") list')
    if not records:
        raise DataError("no records (an empty list)", file=path, expected="the series' records, one per area and year")
    return records


def _parse_value(raw, path, i, rec) -> float:
    if raw is None or (isinstance(raw, str) and raw.strip() in ("", ".", "-")):
        return float("nan")
    try:
        value = float(str(raw).strip().replace(".", "").replace(",", ".") if "," in str(raw) else str(raw).strip())
    except ValueError as e:
        raise DataError(f"value {raw!r} of {rec.get('name')!r} is not a number", file=path, record=i,
                        expected="a number, with a decimal comma or point") from e
    if not math.isfinite(value):  # float() accepts "Infinity" and "NaN"; the source never means them
        raise DataError(f"value {raw!r} of {rec.get('name')!r} is not a finite number", file=path, record=i,
                        expected="a number, with a decimal comma or point")
    return value


def _parse_year(raw, path, i, rec) -> int:
    try:
        year = int(str(raw).strip())
    except (TypeError, ValueError) as e:
        raise DataError(f"year {raw!r} of {str(rec.get('name')).strip()!r} "
                        f"({rec.get('ortsteil') or rec.get('stadtbezirk') or 'Stadt'}) is missing or not a year",
                        file=path, record=i, expected="jahr as a four-digit year") from e
    return year


def _code(codes: dict, raw, kind: str, count: int, path, i: int, context: str = "") -> str:
    """The code of an area the API names (stray spaces stripped); an unknown name is an error at its record."""
    key = str(raw).strip()
    if key not in codes:
        raise DataError(f"unknown {kind} {key!r}{context}", file=path, record=i,
                        expected=f"one of the {count} {kind} names in data/areas.csv")
    return codes[key]


def tidy_records(records: list[dict], source: str, path: Path, areas: pd.DataFrame) -> pd.DataFrame:
    """Turn API records into observations, resolving Ortsteil and Stadtbezirk names to codes."""
    ot_code = dict(zip(areas["ortsteil"], areas["ot_code"]))
    sbz_code = dict(zip(areas["stadtbezirk"], areas["sbz_code"]))
    rows = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict) or any(k not in rec for k in REQUIRED_KEYS):
            raise DataError("record lacks API fields", file=path, record=i, expected=", ".join(REQUIRED_KEYS))
        name = str(rec["name"]).strip()
        ot, sbz = rec["ortsteil"], rec["stadtbezirk"]
        if ot is not None:
            level, code = "ortsteil", _code(ot_code, ot, "Ortsteil", 63, path, i, f" ({name}, {rec.get('jahr')})")
        elif sbz is not None:
            level, code = "stadtbezirk", _code(sbz_code, sbz, "Stadtbezirk", 10, path, i)
        else:
            level, code = "stadt", CITY_CODE
        rows.append((source, name, level, code, _parse_year(rec["jahr"], path, i, rec),
                     _parse_value(rec["wert"], path, i, rec), i))
    df = pd.DataFrame(rows, columns=COLUMNS)
    return validate(df, path, areas)


def schema(areas: pd.DataFrame) -> pa.DataFrameSchema:
    """The declared shape of observations: known areas, plausible years, no negative numbers, no duplicates."""
    known = set(areas["ot_code"]) | set(areas["sbz_code"]) | {CITY_CODE}
    return pa.DataFrameSchema(
        {
            "source": pa.Column(str),
            "indicator_raw": pa.Column(str, pa.Check.str_length(min_value=1)),
            "level": pa.Column(str, pa.Check.isin(["ortsteil", "stadtbezirk", "stadt"])),
            "area_code": pa.Column(str, pa.Check.isin(sorted(known))),
            "year": pa.Column(int, pa.Check.in_range(FIRST_YEAR, date.today().year)),
            "value": pa.Column(float, pa.Check.ge(0), nullable=True),
            "record": pa.Column(int),
        },
        unique=["source", "indicator_raw", "level", "area_code", "year"],
        report_duplicates="all",
        strict=True,
        ordered=True,
    )


EXPECTED = {
    "year": f"a year between {FIRST_YEAR} and this year",
    "value": "a count or share ≥ 0",
    "area_code": "an Ortsteil, Stadtbezirk or the city from data/areas.csv",
}


def validate(df: pd.DataFrame, path: Path, areas: pd.DataFrame) -> pd.DataFrame:
    """Validate against the schema; report the first failing record with its position in the file."""
    try:
        return schema(areas).validate(df, lazy=True)
    except SchemaErrors as err:
        cases = err.failure_cases
        first = cases.iloc[0]
        column = first.get("column")
        idx = first.get("index")
        if idx is not None and pd.notna(idx):
            row = df.loc[int(idx)]
            rec = f"{int(row['record'])} ({row['indicator_raw']}, {row['level']} {row['area_code']}, {row['year']})"
        else:
            rec = None
        check = str(first.get("check"))
        if "unique" in check or "duplicate" in check.lower():
            key = ["source", "indicator_raw", "level", "area_code", "year"]
            dup = df[df.duplicated(key, keep=False)].iloc[:2]
            recs = ", ".join(str(r) for r in dup["record"])
            r0 = dup.iloc[0]
            raise DataError(f"duplicate record for {r0['indicator_raw']!r}, {r0['level']} {r0['area_code']}, "
                            f"{r0['year']} (records {recs})", file=path, record=int(dup.iloc[-1]["record"]),
                            expected="one value per indicator, area and year") from err
        n = len(cases)
        raise DataError(f"column {column!r} fails {check} with {str(first.get('failure_case'))!r}"
                        + (f" ({n} failures in all)" if n > 1 else ""), file=path, record=rec,
                        expected=EXPECTED.get(str(column), "values that pass the observation schema")) from err


def unpublished_years(obs: pd.DataFrame) -> pd.DataFrame:
    """Series-years that are 0 in every Ortsteil: the source's way of saying "not published" (e.g.
    Langzeitarbeitslose from 2018), not a real zero."""
    ot = obs[obs["level"] == "ortsteil"]
    g = ot.groupby(["source", "indicator_raw", "year"])["value"].agg(["count", lambda v: (v == 0).all()])
    g.columns = ["n", "all_zero"]
    return g[(g["all_zero"]) & (g["n"] > 1)].reset_index()[["source", "indicator_raw", "year"]]


def load_observations(raw_dir: Path, sources, areas: pd.DataFrame, counts: list[str] = (),
                      rule: SuppressionRule = SuppressionRule()) -> pd.DataFrame:
    """Every API source of the registry as one sorted observation table. Unpublished series-years become NaN, and
    so do the zeros of `counts` series in years that suppress small values (column `suppressed_below`)."""
    frames = [tidy_records(read_records(raw_dir / s.path), s.id, raw_dir / s.path, areas) for s in sources]
    obs = pd.concat(frames, ignore_index=True)
    obs = mark_suppressed(obs, detect(obs, list(counts), rule))
    gone = unpublished_years(obs)
    if len(gone):
        key = ["source", "indicator_raw", "year"]
        hit = obs[key].merge(gone.assign(_gone=True), on=key, how="left")["_gone"].fillna(False).to_numpy(bool)
        obs.loc[hit, "value"] = float("nan")
    return obs.sort_values(["source", "indicator_raw", "level", "area_code", "year"]).reset_index(drop=True)


def not_published(obs: pd.DataFrame) -> pd.DataFrame:
    """Series-years with Ortsteil records but no value in any of them (loaded observations: all-zero years are
    NaN by now): what the data-quality page lists as not published."""
    ot = obs[obs["level"] == "ortsteil"]
    g = ot.groupby(["source", "indicator_raw", "year"])["value"].agg(["size", "count"])
    return g[(g["size"] > 0) & (g["count"] == 0)].reset_index()[["source", "indicator_raw", "year"]]
