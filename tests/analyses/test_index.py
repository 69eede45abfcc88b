"""One need-index engine for any area table: Berlin's official MSS classes reproduced, a hand-made table, the
CSV contract, method-file errors, and the IKJHP method file that the cycles use."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.analyses import priority
from evalkit.analyses.index import apply_method, load_method, run_index
from evalkit.analyses.table_reader import read_table
from evalkit.errors import DataError

REPO = Path(__file__).resolve().parents[2]
METHODS = REPO / "data" / "index_methods"


@pytest.fixture(scope="module")
def mss() -> Path:
    path = REPO.parent / "shared" / "data" / "berlin-mss"
    if not (path / "README.md").is_file():
        pytest.fail(f"Berlin's MSS tables are not at {path} (tests need the official data)")
    return path


@pytest.mark.parametrize("year, method", [(2013, "berlin-mss-status-2013.yaml"), (2019, "berlin-mss-status.yaml")])
def test_mss_method_reproduces_every_official_status_class_from_raw_shares(mss, tmp_path, year, method):
    table = mss / "olw" / f"berlin-lor-monitoring-social-urban-development-{year}-00-planning-areas.csv"
    result, messages = run_index(table, METHODS / method, tmp_path / "out.csv")
    official = pd.read_csv(table, dtype={"id": str})
    assert len(result) == len(official) and list(result["id"]) == list(official["id"])  # input order, ids as text
    assert (result["class"] == official["status_index_class"]).all()
    assert result["class"].value_counts()["sehr niedrig"] == official["status_index_class"].value_counts()["sehr niedrig"]


def test_mss_method_reproduces_the_2021_classes_from_official_z_values(mss, tmp_path):
    table = mss / "mss_2021_index-indikatoren_z-werte_plr.csv"  # ; BOM, trailing header spaces, 6 unscored
    result, messages = run_index(table, METHODS / "berlin-mss-status-2021-z.yaml", tmp_path / "out.csv")
    df, _ = read_table(table)
    official = df["Zuordnung Klasse Status-Index"].replace("", np.nan)
    scored = official.notna()
    assert scored.sum() == 536 and len(messages) == 6 and (~scored).sum() == 6
    assert (result.loc[scored.to_numpy(), "class"].to_numpy() == official[scored].to_numpy()).all()
    assert (result.loc[~scored.to_numpy(), "class"] == "nicht eingestuft").all()
    assert result.loc[~scored.to_numpy(), "index"].isna().all()
    # the standardised sum matches the official Status-Index within the rounding of the z-values to two decimals
    off = pd.to_numeric(df.loc[scored, "Status-Index (standardisierte Statussumme)"])
    assert np.abs(result.loc[scored.to_numpy(), "index"].to_numpy() - off.to_numpy()).max() < 0.01


def test_hand_made_table_with_decimal_commas_and_a_bad_row(tmp_path):
    # x = 1, 2, 3, 4; y = 4, 3, 2, 1 with weight −1 (higher is better) → both push the same way
    t = tmp_path / "t.csv"
    t.write_text("\ufeffGebiet ; Name;x;y\n01;A;1,0;4\n02;B;2,0;3\n03;C;3,0;2\n04;D;4,0;1\n05;E;n.v.;1\n",
                 encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text("id: Gebiet\nname: Name\nindicators: {x: 1, y: -1}\nstandardise: z\nindex: standardised\n"
                 "classes:\n  - {label: tief, from: null, to: 0}\n  - {label: hoch, from: 0, to: null}\n",
                 encoding="utf-8")
    result, messages = run_index(t, m, tmp_path / "r.csv")
    # z(x) = (x − 2.5)/sqrt(1.25); −z(y) = z(x); sum = 2 z(x); standardised again: z(x) = ±1.341641, ±0.447214
    assert result["index"].tolist()[:4] == pytest.approx([-1.341641, -0.447214, 0.447214, 1.341641])
    assert result["rank"].tolist()[:4] == [4, 3, 2, 1] and pd.isna(result["rank"].iloc[4])
    assert result["class"].tolist() == ["tief", "tief", "hoch", "hoch", "nicht eingestuft"]
    assert result["id"].tolist() == ["01", "02", "03", "04", "05"] and result["name"].iloc[0] == "A"
    assert messages == ["row 6 (05): x missing or not a number ('n.v.') – nicht eingestuft"]
    assert (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()[0] == "id,name,index,rank,class"


def test_comma_separated_with_decimal_points_and_raw_index(tmp_path):
    t = tmp_path / "t.csv"
    t.write_text("id,a\nx,1.5\ny,2.5\nz,5.0\n", encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text("id: id\nindicators: {a: 2}\nstandardise: none\nindex: raw\n"
                 "classes: [{label: alle, from: null, to: null}]\n", encoding="utf-8")
    result, _ = run_index(t, m, tmp_path / "r.csv")
    assert result["index"].tolist() == [3.0, 5.0, 10.0] and result["class"].eq("alle").all()


@pytest.mark.parametrize("body, needle", [
    ("id: id\nindicators: {a: 1}\nfarbe: rot\nclasses: [{label: x, from: null, to: null}]\n", "'farbe': unknown key"),
    ("id: id\nindicators: {a: 1}\nclasses: [{label: x, from: null, to: 1}, {label: y, from: 0.5, to: null}]\n",
     "bands 'x' and 'y' overlap"),
    ("id: id\nindicators: {a: 1}\nclasses: [{label: x, from: null, to: 0}, {label: y, from: 1, to: null}]\n",
     "bands 'x' and 'y' leave a gap"),
    ("id: id\nindicators: {a: 1}\nclasses: [{label: x, from: 0, to: null}]\n", "must cover every value"),
    ("id: id\nindicators: {a: 1}\nstandardise: log\nclasses: [{label: x, from: null, to: null}]\n", "standardise"),
])
def test_bad_method_files_are_named(tmp_path, body, needle):
    m = tmp_path / "m.yaml"
    m.write_text(body, encoding="utf-8")
    with pytest.raises(DataError, match=needle) as e:
        load_method(m)
    assert "m.yaml" in str(e.value)


def test_unknown_column_is_named(tmp_path):
    t = tmp_path / "t.csv"
    t.write_text("id;a\n1;2\n", encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text("id: id\nindicators: {b: 1}\nclasses: [{label: x, from: null, to: null}]\n", encoding="utf-8")
    with pytest.raises(DataError, match="column 'b' is not in the table"):
        run_index(t, m, tmp_path / "r.csv")


def test_cli_index(mss, tmp_path):
    out = tmp_path / "r.csv"
    r = subprocess.run([sys.executable, "-m", "evalkit", "index",
                        str(mss / "mss_2021_index-indikatoren_z-werte_plr.csv"),
                        "--method", str(METHODS / "berlin-mss-status-2021-z.yaml"), "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "542 areas, 536 scored, 6 not scored" in r.stdout and "nicht eingestuft" in r.stderr
    assert len(pd.read_csv(out)) == 542


def test_the_cycles_use_the_ikjhp_method_file():
    m = load_method(METHODS / "ikjhp.yaml")
    assert [(b.label, b.lower, b.upper) for b in m.classes] == [(b.label, b.lower, b.upper) for b in priority.BANDS]
    from evalkit.cycles.params import PriorityParams

    assert PriorityParams().weights == m.indicators  # the cycles' default weights are the method file's
    assert m.standardise == "z" and m.index == "standardised"
    # the engine scores a pooled-table-shaped frame as the cycles do
    frame = pd.DataFrame({"area_code": ["01", "02", "03"], "area_name": ["A", "B", "C"],
                          **{k: [1.0, 2.0, 4.0] for k in m.indicators}})
    result, _ = apply_method(frame.astype(str), m)
    # every column 1, 2, 4 → z = (x − 7/3)/1.2472 = −1.069, −0.267, 1.336 (and the weighted sum standardised alike)
    assert result["index"].tolist() == pytest.approx([-1.069045, -0.267261, 1.336306], abs=1e-6)
    assert result["class"].tolist() == ["niedriger Bedarf", "mittlerer Bedarf", "hoher Bedarf"]
    assert result["rank"].tolist() == [3, 2, 1]


METHOD = "id: id\nname: name\nindicators: {a: 1, b: 1}\nclasses:\n  - {label: tief, from: null, to: 0}\n  - {label: hoch, from: 0, to: null}\n"


@pytest.mark.parametrize("table, message", [
    ("id;name;a;b\nx;X;1.234;2\ny;Y;3;1\nz;Z;2;2\n", "looks like a German thousands separator"),
    ("id;name;a;b\nx;X;1,5;2\ny;Y;3.25;1\nz;Z;2;2\n", "mixed decimal marks"),
    ("id;name;a;b\nx;X;1;2\nx;Y;3;1\nz;Z;2;2\n", "id 'x' appears twice"),
    ("id;name;a;b\nx;X;inf;2\ny;Y;3;1\nz;Z;2;2\n", "is not a finite number"),
    ("id;name;a;b\nx;X;1;2\n", "only 1 area can be scored"),
])
def test_index_tables_that_cannot_be_true_are_refused(tmp_path, capsys, table, message):
    from evalkit.cli import main

    t, m = tmp_path / "t.csv", tmp_path / "m.yaml"
    t.write_text(table, encoding="utf-8")
    m.write_text(METHOD, encoding="utf-8")
    rc = main(["index", str(t), "--method", str(m), "--out", str(tmp_path / "r.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and "expected" in err and not (tmp_path / "r.csv").exists()


def test_index_out_may_not_overwrite_its_inputs_and_bands_need_their_own_labels(tmp_path, capsys):
    from evalkit.cli import main

    t, m = tmp_path / "t.csv", tmp_path / "m.yaml"
    t.write_text("id;name;a;b\nx;X;1;2\ny;Y;3;1\n", encoding="utf-8")
    m.write_text(METHOD, encoding="utf-8")
    for out in (t, m, tmp_path):
        before = t.read_bytes(), m.read_bytes()
        assert main(["index", str(t), "--method", str(m), "--out", str(out)]) == 2
        assert (t.read_bytes(), m.read_bytes()) == before
    m.write_text(METHOD.replace("label: hoch", "label: tief"), encoding="utf-8")
    assert main(["index", str(t), "--method", str(m), "--out", str(tmp_path / "r.csv")]) == 2
    assert "names two bands" in capsys.readouterr().err
