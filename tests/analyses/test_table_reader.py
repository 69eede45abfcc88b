"""The one reader behind `evalkit index` and `evalkit evaluate`: decimal marks and missing markers."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.analyses.table_reader import numeric, read_table
from evalkit.errors import DataError


@pytest.mark.parametrize("text, decimal, values", [
    ("id;v\na;0.125\nb;2\n", ".", [0.125, 2.0]),  # a leading 0 is never a thousands group
    ("id;v\na;45.125\nb;89.8\n", ".", [45.125, 89.8]),  # 89.8 says the point is decimal
    ("id;v\na;1.234,5\nb;2\n", ",", [1234.5, 2.0]),
    ("id,v\na,1.234\nb,2\n", ".", [1.234, 2.0]),  # with `,` between cells a point is always decimal
    ("id\tv\na\t−1.5\nb\tNA\n", ".", [-1.5, None]),  # tab, U+2212 minus, NA
    ("id;v\na;.\nb;NULL\n", ".", [None, None]),
])
def test_decimal_marks_and_missing_markers(tmp_path, text, decimal, values):
    p = tmp_path / "t.csv"
    p.write_text(text, encoding="utf-8")
    table, mark = read_table(p)
    assert mark == decimal
    got = numeric(table["v"], mark)
    assert [None if pd.isna(v) else v for v in got] == values


@pytest.mark.parametrize("text, message", [
    ("id;v\na;1.234\nb;2\n", "looks like a German thousands separator"),  # 1234 or 1.234? refused, not guessed
    ("id;v;w\na;1,5;2.25\n", "mixed decimal marks"),
])
def test_ambiguous_numbers_are_refused(tmp_path, text, message):
    p = tmp_path / "t.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_table(p)

