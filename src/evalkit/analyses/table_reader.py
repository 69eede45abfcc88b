"""One reader for the tables the engines take from users (`evalkit index`, `evalkit evaluate`): whatever a
spreadsheet, R, Stata or a German statistics office writes, read as text cell by cell, its decimal mark detected
and ambiguous numbers refused rather than guessed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import DataError

# cells that mean "no value": empty, R and pandas (NA, NaN), SQL (NULL), Excel (#N/A) and Stata or German
# official statistics ("." = unknown or withheld). "-" is not among them: there it means exactly zero.
MISSING = frozenset({"", "NA", "N/A", "NaN", "nan", "NULL", "null", "#N/A", "."})
SEPARATORS = ";,\t"
_COMMA = r"\s*[-−]?(\d+|[1-9]\d{0,2}(\.\d{3})+),\d+\s*"
_POINT = r"\s*[-−]?\d+\.\d+\s*"
# a German thousands separator: 1.234 or 12.345.678 (a leading 0 as in 0.125 is never one)
_THOUSANDS = r"\s*[-−]?[1-9]\d{0,2}(\.\d{3})+\s*"


def _separator(first: str) -> str:
    try:
        return csv.Sniffer().sniff(first, delimiters=SEPARATORS).delimiter
    except csv.Error:
        return max(SEPARATORS, key=first.count)


def read_table(path: Path) -> tuple[pd.DataFrame, str]:
    """A CSV table: `;`, `,` or tab (detected), UTF-8 with or without BOM, header cells stripped; every cell
    kept as text (ids stay ids). Returns the table and its decimal mark.

    With `;` the mark is a comma as soon as one cell has a decimal comma. A table with `;` and only cells like
    1.234 (a German thousands separator or three decimals?) is refused; one cell like 89.8 or 0.125 elsewhere
    says the point is a decimal point."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read the table: {e}", file=path, expected="a UTF-8 CSV file") from e
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise DataError("the table is empty", file=path, expected="a header and one row per area")
    sep = _separator(first)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as e:
        raise DataError(f"cannot split the table into columns: {e}", file=path,
                        expected=f"the same number of {sep!r}-separated cells in every line") from e
    df.columns = [str(c).strip() for c in df.columns]
    comma = df.apply(lambda c: c.str.fullmatch(_COMMA)).to_numpy(bool)
    point = df.apply(lambda c: c.str.fullmatch(_POINT)).to_numpy(bool)
    thousands = df.apply(lambda c: c.str.fullmatch(_THOUSANDS)).to_numpy(bool)
    decimal = "," if sep == ";" and comma.any() else "."
    if comma.any() and (point & ~thousands).any():
        i, j = np.argwhere(point & ~thousands)[0]
        k, m = np.argwhere(comma)[0]
        raise DataError(f"mixed decimal marks: {df.iat[i, j]!r} (column {df.columns[j]!r}) beside {df.iat[k, m]!r} "
                        f"(line {k + 2})", file=path, record=f"line {i + 2}",
                        expected="one decimal mark in the whole table")
    if sep == ";" and decimal == "." and thousands.any() and not (point & ~thousands).any():
        i, j = np.argwhere(thousands)[0]
        raise DataError(f"{df.iat[i, j]!r} in column {df.columns[j]!r} looks like a German thousands separator, "
                        "which would be read as a decimal point", file=path, record=f"line {i + 2}",
                        expected="whole numbers without separators (1234), a decimal comma (1.234,5), or, for a "
                                 "decimal point, cells separated by ','")
    return df, decimal


def is_missing(col: pd.Series) -> pd.Series:
    return col.astype(str).str.strip().isin(MISSING)


def numeric(col: pd.Series, decimal: str) -> pd.Series:
    """Numbers from text cells; a missing marker and anything that is not a number become NaN (callers name
    the latter)."""
    s = col.astype(str).str.strip()
    s = s.where(~s.isin(MISSING)).str.replace("−", "-", regex=False)
    if decimal == ",":
        s = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(s, errors="coerce")
