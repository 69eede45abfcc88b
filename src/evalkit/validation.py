"""One way to turn a pandera or pydantic failure into the error users see: file, record, what was expected."""

from __future__ import annotations

import pandas as pd

from evalkit.errors import DataError, EvalkitError


def validate_frame(schema, df: pd.DataFrame, file, expected: str, first_line: int = 2,
                   error: type[EvalkitError] = DataError) -> pd.DataFrame:
    """Validate a table read from a CSV file; the first failure names its line (header = line 1)."""
    from pandera.errors import SchemaErrors

    try:
        return schema.validate(df, lazy=True)
    except SchemaErrors as e:
        cases = e.failure_cases
        f = cases.iloc[0]
        idx = f.get("index")
        more = f" ({len(cases)} failures in all)" if len(cases) > 1 else ""
        raise error(f"column {f['column']!r} fails {f['check']} with {str(f['failure_case'])!r}{more}", file=file,
                    record=None if idx is None or pd.isna(idx) else f"line {int(idx) + first_line}",
                    expected=expected) from e


def validate_model(model, raw, file, expected: str, record_of=None, error: type[EvalkitError] = DataError):
    """Validate a YAML document against a pydantic model; the first failure names its key (or the record
    `record_of(loc)` returns, e.g. the id of the catalogue entry)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        loc = list(err["loc"])
        key = ".".join(map(str, loc))
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        record = record_of(loc) if record_of else None
        raise error(f"key {key!r}: {msg}" if record is None else f"{'.'.join(map(str, loc[2:] or loc))}: {msg}",
                    file=file, record=record, expected=expected) from e
