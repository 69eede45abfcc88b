"""The messy 2014 CSV: read correctly with the explicit correction table, or rejected naming the line."""

from pathlib import Path

import pytest

from evalkit.acquire.areas import load_areas
from evalkit.acquire.legacy import load_corrections, read_legacy_shares
from evalkit.errors import DataError

REPO = Path(__file__).resolve().parents[2]
AREAS = load_areas(REPO / "data" / "areas.csv")
CORR = load_corrections(REPO / "data" / "name_corrections.csv")
FILE = "messy/anteil_arbeitslose_2000-2013_latin1.csv"


def test_reads_real_latin1_file(mirror):
    df = read_legacy_shares(mirror / FILE, AREAS, CORR)
    assert df.ot_code.nunique() == 63
    val = df.set_index(["ot_code", "year"]).value
    assert val[("21", 2000)] == pytest.approx(18.1)  # Volksmarsdorf → Volkmarsdorf
    assert val[("00", 2009)] == pytest.approx(6.743421053)
    assert ("94", 2000) not in val.index  # "." means missing (Seehausen before 2006)
    assert val[("94", 2006)] == pytest.approx(6.4)
    assert ("43", 2013) in val.index  # Lößnig, whose name lost ö and ß


def test_without_correction_table_the_name_is_rejected(mirror):
    with pytest.raises(DataError) as e:
        read_legacy_shares(mirror / FILE, AREAS, {})
    assert "line 16: unknown Ortsteil 'Volksmarsdorf'" in str(e.value)
    assert "name_corrections.csv" in str(e.value)


def test_wrong_encoding_is_rejected(mirror, tmp_path):
    p = tmp_path / "utf8.csv"
    p.write_bytes((mirror / FILE).read_bytes().rstrip(b"\0").decode("latin-1").encode("utf-8"))
    with pytest.raises(DataError, match="double-encoded"):
        read_legacy_shares(p, AREAS, CORR)


def test_bad_value_names_line(mirror, tmp_path):
    text = (mirror / FILE).read_bytes().rstrip(b"\0").decode("latin-1").replace("14,9;12,1", "14,9;zwölf", 1)
    p = tmp_path / "bad.csv"
    p.write_bytes(text.encode("latin-1"))
    with pytest.raises(DataError, match=r"line 2: value 'zwölf' for 2001 is not a number"):
        read_legacy_shares(p, AREAS, CORR)
