"""Reader for the 2014 university project's table of unemployed shares 2000–2013 (real-world messy input).

ISO-8859-1, semicolons, decimal commas, CRLF, "." for missing, misspelled Ortsteile, footer lines and NUL
padding. The reader decodes with the encoding the registry declares, corrects names only through the explicit
table data/name_corrections.csv, and rejects anything it cannot place, naming the line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from evalkit.errors import DataError

MISSING = {".", "", "-"}


def load_corrections(path: Path) -> dict[str, str]:
    df = pd.read_csv(path, dtype=str)
    return dict(zip(df["wrong"], df["right"]))


def read_legacy_shares(path: Path, areas: pd.DataFrame, corrections: dict[str, str],
                       encoding: str = "iso-8859-1") -> pd.DataFrame:
    """Long table ot_code, year, value (unemployed per 100 aged 15–<65, with decimals) from the legacy CSV."""
    raw = Path(path).read_bytes().rstrip(b"\0")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise DataError(f"cannot decode byte {e.start} as {encoding}", file=path,
                        expected=f"a {encoding} text file") from e
    if "\ufffd" in text or "Ã" in text:
        raise DataError("the text looks double-encoded (Ã or replacement characters)", file=path,
                        expected=f"plain {encoding}")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    if not rows or rows[0][0].strip() != "Gebiet":
        raise DataError("no header line starting with 'Gebiet'", file=path, record="line 1",
                        expected="Gebiet;2000;2001;…")
    try:
        years = [int(y) for y in rows[0][1:]]
    except ValueError as e:
        raise DataError(f"header has a non-year column: {e}", file=path, record="line 1",
                        expected="years as column names") from e
    by_name = dict(zip(areas["ortsteil"], areas["ot_code"]))
    out, seen = [], set()
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip():
            continue
        if len(row) == 1:  # footer: notes on units and source
            continue
        if len(row) != len(years) + 1:
            raise DataError(f"{len(row)} fields", file=path, record=f"line {lineno}",
                            expected=f"{len(years) + 1} fields (Gebiet and {len(years)} years)")
        name = corrections.get(row[0].strip(), row[0].strip())
        if name not in by_name:
            raise DataError(f"unknown Ortsteil {row[0].strip()!r}", file=path, record=f"line {lineno}",
                            expected="an Ortsteil of data/areas.csv, or an entry in data/name_corrections.csv")
        code = by_name[name]
        if code in seen:
            raise DataError(f"Ortsteil {name!r} appears twice", file=path, record=f"line {lineno}",
                            expected="one line per Ortsteil")
        seen.add(code)
        for year, cell in zip(years, row[1:]):
            cell = cell.strip()
            if cell in MISSING:
                continue
            try:
                value = float(cell.replace(",", "."))
            except ValueError as e:
                raise DataError(f"value {cell!r} for {year} is not a number", file=path, record=f"line {lineno}",
                                expected="a decimal number with a decimal comma, or '.' for missing") from e
            if not 0 <= value <= 100:
                raise DataError(f"share {value} for {year} outside 0–100", file=path, record=f"line {lineno}",
                                expected="a share per 100")
            out.append((code, year, value))
    missing = sorted(set(areas["ot_code"]) - seen)
    if missing:
        raise DataError(f"Ortsteile missing: {', '.join(missing)}", file=path,
                        expected="one line for each of the 63 Ortsteile")
    return pd.DataFrame(out, columns=["ot_code", "year", "value"]).sort_values(["ot_code", "year"],
                                                                                ignore_index=True)
