"""`evalkit evaluate`: published Prop 99 results, hand-computed estimates on a tiny panel, exact permutation p,
the input contract and every refusal it promises."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evalkit.analyses import regression
from evalkit.analyses.evaluate import evaluate, run_evaluate
from evalkit.analyses.panel import Design, from_table
from evalkit.cli import main

PANELS = Path(__file__).resolve().parents[3] / "shared" / "data" / "panels"
PROP99 = PANELS / "california_prop99.csv"
PROP99_DESIGN = """unit: State
time: Year
outcome: PacksPerCapita
treated: treated
start: 1989
estimators: [did, sc, sdid]
inference: [placebo]
draws: 50
seed: 7
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def prop99(tmp_path_factory):
    if not PROP99.is_file():
        pytest.fail(f"the reference panel is not at {PROP99} (../shared/data/panels)")
    d = tmp_path_factory.mktemp("prop99")
    design = write(d / "design.yaml", PROP99_DESIGN)
    result, weights = run_evaluate(PROP99, design, d / "result.csv", d / "weights.csv")
    return d, result, weights


def test_prop99_reproduces_the_published_estimates(prop99):
    """Arkhangelsky et al. (2021), Table 1 and the synthdid reference output: SDID −15.604, SC −19.620,
    DID −27.349."""
    _, result, weights = prop99
    att = result[result["term"] == "att"].set_index("estimator")["estimate"]
    assert att["sdid"] == pytest.approx(-15.604, abs=0.01)
    assert att["sc"] == pytest.approx(-19.620, abs=0.01)
    assert att["did"] == pytest.approx(-27.349, abs=0.01)
    unit = weights[(weights["estimator"] == "sdid") & (weights["kind"] == "unit")].set_index("id")["weight"]
    assert unit.idxmax() == "Nevada" and unit["Nevada"] == pytest.approx(0.124, abs=0.001)
    assert unit["New Hampshire"] == pytest.approx(0.105, abs=0.001)
    assert unit.sum() == pytest.approx(1.0, abs=1e-5) and (unit >= 0).all()
    time = weights[(weights["estimator"] == "sdid") & (weights["kind"] == "time")]
    assert time["weight"].sum() == pytest.approx(1.0, abs=1e-5) and set(time["id"].astype(int)) <= set(range(1970, 1989))
    row = result[result["estimator"] == "sdid"].iloc[0]
    assert (row["n_treated"], row["n_control"], row["periods_pre"], row["periods_post"]) == (1, 38, 19, 12)
    assert row["se"] > 0 and row["lower"] < row["estimate"] < row["upper"]


def test_prop99_result_files_are_byte_identical_on_a_rerun(prop99, tmp_path):
    d, _, _ = prop99
    run_evaluate(PROP99, d / "design.yaml", tmp_path / "r.csv", tmp_path / "w.csv")
    for name, again in (("result.csv", "r.csv"), ("weights.csv", "w.csv")):
        assert hashlib.sha256((d / name).read_bytes()).hexdigest() == \
            hashlib.sha256((tmp_path / again).read_bytes()).hexdigest()
    head = (d / "result.csv").read_text(encoding="utf-8").splitlines()[0]
    assert head == "estimator,term,estimate,se,lower,upper,p,inference,n_treated,n_control,periods_pre,periods_post"


def test_other_formats_of_the_same_panel_give_the_same_result(tmp_path):
    """`,` and BOM, decimal comma with `;`, spaces in header cells, a list of treated ids instead of a flag."""
    src = pd.read_csv(PROP99, sep=";")
    design = write(tmp_path / "d.yaml", PROP99_DESIGN.replace("inference: [placebo]", "inference: [jackknife]"))
    base, _ = run_evaluate(PROP99, design, tmp_path / "base.csv")
    comma = tmp_path / "comma.csv"
    comma.write_bytes(b"\xef\xbb\xbf" + src.to_csv(index=False).encode())
    german = tmp_path / "german.csv"
    g = src.copy()
    g["PacksPerCapita"] = g["PacksPerCapita"].map(lambda v: f"{v:.8f}".replace(".", ","))
    german.write_text(g.rename(columns={"State": " State ", "Year": "Year "}).to_csv(index=False, sep=";"),
                      encoding="utf-8")
    ids = write(tmp_path / "ids.yaml", PROP99_DESIGN.replace("treated: treated", "treated: [California]")
                .replace("inference: [placebo]", "inference: [jackknife]"))
    for panel, d in ((comma, design), (german, design), (PROP99, ids)):
        out, _ = run_evaluate(panel, d, tmp_path / "out.csv")
        pd.testing.assert_frame_equal(out, base)



def test_panels_as_r_stata_and_spreadsheets_write_them_give_the_same_result(tmp_path):
    """R's write.csv (quoted cells, a row-name column, NA in another column), TRUE/FALSE flags, a tab-separated
    file, numeric unit ids with a list of treated ids, a flag that marks the group in every period, and a `;`
    file with shortest-form decimals where some cells happen to have three decimals (45.125 is no thousands)."""
    src = pd.read_csv(PROP99, sep=";")
    design = write(tmp_path / "d.yaml", PROP99_DESIGN.replace("inference: [placebo]", "inference: [jackknife]"))
    base, _ = run_evaluate(PROP99, design, tmp_path / "base.csv")
    r = src.assign(income=np.where(src["Year"] < 1980, "NA", "1.5"))
    variants = {"r.csv": (r.to_csv(index=True, quoting=1), design),
                "bool.csv": (src.assign(treated=src["treated"].map({1: "TRUE", 0: "FALSE"})).to_csv(index=False),
                             design),
                "tab.tsv": (src.to_csv(index=False, sep="\t"), design),
                "group.csv": (src.assign(treated=(src["State"] == "California").astype(int))
                              .to_csv(index=False, sep=";"), design)}
    codes = {s: i + 1 for i, s in enumerate(sorted(src["State"].unique()))}
    variants["numeric.csv"] = (src.assign(State=src["State"].map(codes)).drop(columns="treated").to_csv(index=False),
                               write(tmp_path / "n.yaml", PROP99_DESIGN.replace("treated: treated",
                                     f"treated: [{codes['California']}]").replace("[placebo]", "[jackknife]")))
    for name, (text, d) in variants.items():
        out, _ = run_evaluate(write(tmp_path / name, text), d, tmp_path / "out.csv")
        pd.testing.assert_frame_equal(out, base, obj=name)
    # shortest-form decimals, some with exactly three (45.125): the same numbers read from a `,` file
    short = src.assign(PacksPerCapita=(src["PacksPerCapita"] + np.where(src.index % 3 == 0, 0.125, 0.0))
                       .round(3).map(repr))
    assert short["PacksPerCapita"].str.fullmatch(r"[1-9]\d{0,2}\.\d{3}").any()  # the trap is in the file
    semicolon, _ = run_evaluate(write(tmp_path / "short.csv", short.to_csv(index=False, sep=";")), design,
                                tmp_path / "a.csv")
    comma, _ = run_evaluate(write(tmp_path / "short-comma.csv", short.to_csv(index=False)), design, tmp_path / "b.csv")
    pd.testing.assert_frame_equal(semicolon, comma)
    notes: list[str] = []
    run_evaluate(tmp_path / "group.csv", design, tmp_path / "out.csv", notes=notes)
    assert notes[0] == ("column 'treated' is 1 in every period of the treated units: read as group membership, "
                        "treated from 1989 on (the design's start)")
    notes.clear()
    run_evaluate(PROP99, design, tmp_path / "out.csv", notes=notes)
    assert not any("group membership" in n for n in notes)


@pytest.mark.parametrize("marker", ["NA", "NaN", "NULL", ".", ""])
def test_a_missing_outcome_is_left_out_by_did_and_named_for_sdid(tmp_path, marker):
    """Georgia 1970 without a value: the 2×2 DiD uses Georgia's other 30 years (computed here from the means);
    SDID, which needs every unit in every period, names the gap."""
    src = pd.read_csv(PROP99, sep=";").astype({"PacksPerCapita": object})
    gap = (src["State"] == "Georgia") & (src["Year"] == 1970)
    src.loc[gap, "PacksPerCapita"] = marker
    p = write(tmp_path / "p.csv", src.to_csv(index=False))
    d = write(tmp_path / "d.yaml", PROP99_DESIGN.replace("[did, sc, sdid]", "[did]").replace("[placebo]", "[cluster]"))
    out, _ = run_evaluate(p, d, tmp_path / "r.csv")
    kept = src[~gap].astype({"PacksPerCapita": float}).assign(post=lambda t: t["Year"] >= 1989,
                                                              ca=lambda t: t["State"] == "California")
    m = kept.groupby(["ca", "post"])["PacksPerCapita"].mean()
    assert out.loc[0, "estimate"] == pytest.approx((m[True, True] - m[True, False]) - (m[False, True] - m[False, False]),
                                                   abs=1e-6)
    sd = write(tmp_path / "s.yaml", PROP99_DESIGN.replace("[did, sc, sdid]", "[sdid]"))
    with pytest.raises(Exception, match=r"unbalanced: 1 unit–period\(s\) missing or empty \(Georgia 1970\)"):
        run_evaluate(p, sd, tmp_path / "r2.csv")


# -- a tiny panel, computed by hand -----------------------------------------------------------------------------
# A, B treated from period 3; C, D controls.  Means: treated 1.75 → 7 (+5.25), controls 2.5 → 4.5 (+2): DiD 3.25.
TINY = {"A": [0, 2, 6, 7], "B": [2, 3, 7, 8], "C": [1, 2, 3, 4], "D": [3, 4, 5, 6]}


def tiny(design: dict | None = None) -> tuple[pd.DataFrame, Design]:
    rows = [(u, str(t), str(v), "1" if u in "AB" and t >= 3 else "0")
            for u, vs in TINY.items() for t, v in zip(range(1, 5), vs)]
    table = pd.DataFrame(rows, columns=["unit", "period", "y", "d"])
    return table, Design(**{"unit": "unit", "time": "period", "outcome": "y", "treated": "d", "start": 3,
                            **(design or {})})


def run_tiny(**design) -> pd.DataFrame:
    table, d = tiny(design)
    return evaluate(from_table(table, d), d)[0]


def test_did_and_twfe_equal_the_hand_computed_difference_of_means():
    out = run_tiny(estimators=["did", "twfe"], inference=["cluster"]).set_index("estimator")
    assert out.loc["did", "estimate"] == pytest.approx(3.25, abs=1e-9)
    assert out.loc["twfe", "estimate"] == pytest.approx(3.25, abs=1e-9)  # balanced, common start: the same


def test_event_study_is_the_gap_against_the_reference_period():
    # gaps treated − control per period: −1, −0.5, 2.5, 2.5; reference period 2 (start − 1)
    out = run_tiny(estimators=["event_study"], inference=["cluster"]).set_index("term")
    assert out.loc["1", "estimate"] == pytest.approx(-0.5, abs=1e-9)
    assert out.loc["3", "estimate"] == pytest.approx(3.0, abs=1e-9)
    assert out.loc["4", "estimate"] == pytest.approx(3.0, abs=1e-9)
    assert out.loc["2", "estimate"] == 0 and out.loc["2", "inference"] == "reference"
    other = run_tiny(estimators=["event_study"], inference=["cluster"], reference=1).set_index("term")
    assert other.loc["2", "estimate"] == pytest.approx(0.5, abs=1e-9)



def test_event_study_on_biennial_periods_reads_against_the_last_period_before_start():
    """Periods 2, 4, 6, 8 (a biennial cycle), start 6: the reference is 4, not the absent 5; same gaps."""
    table, d = tiny({"estimators": ["event_study"], "inference": ["cluster"], "start": 6})
    table["period"] = (table["period"].astype(int) * 2).astype(str)
    table["d"] = np.where(table["unit"].isin(["A", "B"]) & (table["period"].astype(int) >= 6), "1", "0")
    out = evaluate(from_table(table, d), d)[0].set_index("term")
    assert out.loc["4", "inference"] == "reference"
    assert out.loc[["2", "6", "8"], "estimate"].tolist() == pytest.approx([-0.5, 3.0, 3.0], abs=1e-9)

def test_permutation_p_by_exact_enumeration():
    # C(4, 2) = 6 label sets; DiDs 3.25, −3.25, ±0.25 (twice each): |DiD| ≥ 3.25 in 2 of 6 → p = 1/3
    out = run_tiny(estimators=["did"], inference=["permutation"], permutation_statistic="estimate")
    assert out["p"].iloc[0] == pytest.approx(1 / 3, abs=1e-6)
    # within strata {A, C} and {B, D}: 2 × 2 = 4 sets; only {A, B} and {C, D} reach |3.25| → p = 1/2
    table, d = tiny({"estimators": ["did"], "inference": ["permutation"], "strata": "s",
                     "permutation_statistic": "estimate"})
    table["s"] = table["unit"].map({"A": "x", "C": "x", "B": "y", "D": "y"})
    assert evaluate(from_table(table, d), d)[0]["p"].iloc[0] == pytest.approx(0.5, abs=1e-6)


def test_label_sets_stay_within_strata_and_random_draws_are_seeded():
    strata = {f"u{i:02d}": "hi" if i < 10 else "lo" for i in range(30)}
    sets, enumerated = regression.label_sets(sorted(strata), ["u00", "u01", "u10"], strata, 99, seed=3)
    assert not enumerated and len(sets) == 99
    assert all(sum(strata[u] == "hi" for u in s) == 2 and sum(strata[u] == "lo" for u in s) == 1 for s in sets)
    again, _ = regression.label_sets(sorted(strata), ["u00", "u01", "u10"], strata, 99, seed=3)
    assert sets == again


def test_cluster_standard_errors_equal_statsmodels_cr1():
    rng = np.random.default_rng(5)
    rows = [(f"u{i}", t, 10 + 0.3 * t + (1.5 if i < 3 and t >= 5 else 0) + rng.normal(), rng.uniform(50, 500),
             int(i < 3 and t >= 5)) for i in range(8) for t in range(1, 9)]
    df = pd.DataFrame(rows, columns=["unit", "t", "y", "w", "d"])
    table = df.astype(str)
    d = Design(unit="unit", time="t", outcome="y", weight="w", treated="d", start=5, estimators=["twfe"],
               inference=["cluster"])
    ours = evaluate(from_table(table, d), d)[0].iloc[0]
    df["y"], df["w"] = table["y"].astype(float), table["w"].astype(float)
    ref = smf.wls("y ~ d + C(unit) + C(t)", df, weights=df["w"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df["unit"])[0]}, use_t=True)
    assert ours["estimate"] == pytest.approx(ref.params["d"], abs=1e-6)
    assert ours["se"] == pytest.approx(ref.bse["d"], abs=1e-6)
    assert ours["lower"] == pytest.approx(ref.conf_int().loc["d", 0], abs=1e-6)


def test_wild_bootstrap_p_is_seeded_and_finds_a_large_effect():
    rng = np.random.default_rng(2)
    rows = [(f"u{i}", str(t), str(5 + (4 if i < 4 and t >= 4 else 0) + rng.normal(scale=0.5)),
             str(int(i < 4 and t >= 4))) for i in range(10) for t in range(1, 7)]
    table = pd.DataFrame(rows, columns=["unit", "t", "y", "d"])
    d = Design(unit="unit", time="t", outcome="y", treated="d", start=4, estimators=["did"], inference=["wild"],
               draws=199, seed=11)
    a = evaluate(from_table(table, d), d)[0]
    b = evaluate(from_table(table, d), d)[0]
    assert a.equals(b) and a["p"].iloc[0] < 0.05
    flat = table.assign(y=[str(5 + rng.normal(scale=0.5)) for _ in range(len(table))])
    assert evaluate(from_table(flat, d), d)[0]["p"].iloc[0] > 0.05


def test_placebo_start_is_fitted_on_pre_period_data_only():
    out = run_tiny(estimators=["did"], inference=["cluster"], treated=["A", "B"], start=4, placebo_start=3)
    placebo = out[out["term"] == "placebo_att"].iloc[0]
    # periods 1–3 only, fake start 3: treated 1.75 → 6.5 (+4.75), controls 2.5 → 4 (+1.5): 3.25
    assert placebo["estimate"] == pytest.approx(3.25, abs=1e-9)
    assert (placebo["periods_pre"], placebo["periods_post"]) == (2, 1)


# -- the contract's refusals ------------------------------------------------------------------------------------

GOOD = "unit,period,y,d\n" + "".join(f"{u},{t},{v},{1 if u in 'AB' and t >= 3 else 0}\n"
                                     for u, vs in TINY.items() for t, v in zip(range(1, 5), vs))
DESIGN = "unit: unit\ntime: period\noutcome: y\ntreated: d\nstart: 3\nestimators: [did]\n"


@pytest.mark.parametrize("panel, design, message", [
    (GOOD + "A,2,5,0\n", DESIGN, "unit 'A' has period 2 twice"),
    (GOOD, DESIGN.replace("treated: d", "treated: [A, Z]"), "treated unit 'Z' is not in the panel"),
    (GOOD, DESIGN.replace("treated: d", "treated: flag"), "column 'flag' is not in the panel"),
    (GOOD, DESIGN.replace("start: 3", "start: 9"), "start 9 is not a period of the panel"),
    (GOOD, DESIGN.replace("start: 3", "start: 2"), "only 1 period before start 2"),
    (GOOD, DESIGN.replace("treated: d", "treated: [A, B, C, D]"), "every unit is treated"),
    (GOOD.replace(",1\n", ",0\n"), DESIGN, "no unit is treated"),
    (GOOD.replace("C,2,2,0", "C,2,,0"), DESIGN.replace("[did]", "[sdid]"), "unbalanced: 1 unit–period(s) missing or empty (C 2)"),
    ("\n".join(line for line in GOOD.splitlines() if not line.startswith("D,4")) + "\n",
     DESIGN.replace("[did]", "[sc]"), "(D 4)"),
    (GOOD.replace("C,2,2,0", "C,2,zwei,0"), DESIGN, "record line 11: outcome 'zwei' is not a number"),
    (GOOD.replace("C,2,2,0", "C,2,-,0"), DESIGN, "outcome '-' is not a number"),  # "-" is zero in German tables
    (GOOD, DESIGN.replace("start: 3", "start: '3'"), "key 'start': Input should be a valid integer"),
    (GOOD, DESIGN + "draws: 99.5\n", "key 'draws'"),
    (GOOD, DESIGN + "estimator: [did]\n", "key 'estimator': unknown key"),
    (GOOD, DESIGN.replace("[did]", "[magic]"), "key 'estimators.0'"),
    (GOOD.replace("A,4,7,1", "A,4,7,0"), DESIGN, "contradicts a common start in 3"),
    (GOOD.replace("A,3,6,1", "A,3,6,2"), DESIGN, "treated flag '2' is not 0 or 1"),
    (GOOD.replace("A,3,", "A,drei,"), DESIGN, "period 'drei' is not a whole number"),
    (GOOD, DESIGN + "reference: 9\n", "reference 9 is not a period of the panel"),
    (GOOD, DESIGN + "placebo_start: 2\n", "placebo_start 2 leaves 1 period(s) before it"),
])
def test_bad_input_is_refused_naming_file_row_and_expectation(tmp_path, capsys, panel, design, message):
    p, d, out = write(tmp_path / "panel.csv", panel), write(tmp_path / "design.yaml", design), tmp_path / "r.csv"
    rc = main(["evaluate", str(p), "--design", str(d), "--out", str(out), "--weights", str(tmp_path / "w.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("evalkit evaluate: error: ") and message in err
    assert "expected" in err
    assert not out.exists() and not (tmp_path / "w.csv").exists()


@pytest.mark.parametrize("target", ["panel", "design", "folder", "same"])
def test_out_may_not_overwrite_an_input_or_be_a_folder(tmp_path, capsys, target):
    p, d = write(tmp_path / "panel.csv", GOOD), write(tmp_path / "design.yaml", DESIGN)
    before = p.read_bytes(), d.read_bytes()
    out = {"panel": p, "design": d, "folder": tmp_path, "same": tmp_path / "x.csv"}[target]
    weights = ["--weights", str(out)] if target == "same" else []
    rc = main(["evaluate", str(p), "--design", str(d), "--out", str(out), *weights])
    assert rc == 2 and "error" in capsys.readouterr().err
    assert (p.read_bytes(), d.read_bytes()) == before and not (tmp_path / "x.csv").exists()


def test_ids_that_look_like_formulas_are_quoted_in_the_weights_file(tmp_path):
    src = pd.read_csv(PROP99, sep=";")
    src["State"] = src["State"].replace({"Nevada": "=HYPERLINK(\"http://x\")"})
    p = tmp_path / "p.csv"
    src.to_csv(p, index=False, sep=";")
    d = write(tmp_path / "d.yaml", PROP99_DESIGN.replace("[did, sc, sdid]", "[sdid]")
              .replace("inference: [placebo]", "inference: [jackknife]"))
    run_evaluate(p, d, tmp_path / "r.csv", tmp_path / "w.csv")
    text = (tmp_path / "w.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_one_treated_cluster_gets_no_clustered_interval(tmp_path, capsys):
    p = tmp_path / "d.yaml"
    write(p, PROP99_DESIGN.replace("[did, sc, sdid]", "[did]").replace("[placebo]", "[cluster, permutation]")
          + "permutation_statistic: estimate\n")
    rc = main(["evaluate", str(PROP99), "--design", str(p), "--out", str(tmp_path / "r.csv")])
    assert rc == 0 and "cluster inference left out" in capsys.readouterr().err
    out = pd.read_csv(tmp_path / "r.csv").set_index("inference")
    assert np.isnan(out.loc["cluster", "se"]) and np.isnan(out.loc["cluster", "p"])
    # 39 states, one treated: all 39 labellings enumerated; each state's DiD computed here from the means
    src = pd.read_csv(PROP99, sep=";")
    change = src.assign(post=src["Year"] >= 1989).groupby(["State", "post"])["PacksPerCapita"].mean().unstack()
    change = change[True] - change[False]
    did = {s: change[s] - change.drop(s).mean() for s in change.index}
    assert did["California"] == pytest.approx(out.loc["cluster", "estimate"], abs=1e-5)
    rank = sum(abs(v) >= abs(did["California"]) - 1e-9 for v in did.values())
    assert out.loc["permutation", "p"] == pytest.approx(round(rank / 39, 6))
