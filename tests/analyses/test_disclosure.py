"""Disclosure control: primary and secondary suppression that a differencing attack cannot break."""

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.acquire.areas import load_areas
from evalkit.acquire.restricted import synthetic_hze
from evalkit.analyses.disclosure import (
    MARK,
    audit,
    cells_and_equations,
    protected_table,
    suppress,
    underprotected,
)

REPO = Path(__file__).resolve().parents[2]
SMALL = pd.DataFrame({  # 6 Ortsteile; Stadtbezirke and Planungsräume cut across each other
    "ot_code": ["00", "01", "02", "10", "11", "12"], "ortsteil": list("ABCDEF"),
    "sbz_code": ["0", "0", "0", "1", "1", "1"], "stadtbezirk": ["S0"] * 3 + ["S1"] * 3,
    "pr_code": ["P", "P", "Q", "P", "Q", "Q"], "planungsraum": ["P", "P", "Q", "P", "Q", "Q"]})


def determined_by_linear_algebra(cells, eqs, hidden):
    """Independent of the LP: a hidden cell is exposed when its unit vector lies in the row space of the
    equations restricted to the hidden cells (differencing of published totals)."""
    hidden = sorted(hidden)
    pos = {c: i for i, c in enumerate(hidden)}
    rows = []
    for total, members in eqs:
        r = np.zeros(len(hidden))
        for c, s in [(total, -1)] + [(m, 1) for m in members]:
            if c in pos:
                r[pos[c]] += s
        if r.any():
            rows.append(r)
    A = np.array(rows) if rows else np.zeros((0, len(hidden)))
    rank = np.linalg.matrix_rank(A) if len(A) else 0
    out = set()
    for c, i in pos.items():
        e = np.zeros(len(hidden))
        e[i] = 1
        if len(A) and np.linalg.matrix_rank(np.vstack([A, e])) == rank:
            out.add(c)
    return out


def brute_force_values(cells, areas, hidden, top=10):
    """Every integer completion (0 … top) of the hidden Ortsteil cells that reproduces all published totals."""
    ots = [f"ortsteil:{c}" for c in areas["ot_code"]]
    hid = [c for c in ots if c in hidden]
    totals = [c for c in cells.index if not c.startswith("ortsteil:") and c not in hidden]

    def members(total):
        level, code = total.split(":")
        col = {"stadtbezirk": "sbz_code", "planungsraum": "pr_code"}.get(level)
        return [f"ortsteil:{o}" for o in (areas["ot_code"] if col is None else areas.loc[areas[col] == code, "ot_code"])]

    M = np.array([[1.0 if o in members(t) else 0.0 for o in hid] for t in totals])
    known = np.array([sum(cells.loc[o, "value"] for o in members(t) if o not in hidden) for t in totals])
    target = cells.loc[totals, "value"].to_numpy()
    grid = np.array(list(itertools.product(range(top + 1), repeat=len(hid))), dtype=float)
    ok = np.all(np.abs(known + grid @ M.T - target) < 1e-9, axis=1)
    return [dict(zip(hid, row)) for row in grid[ok]]


def test_primary_suppression_alone_is_broken_by_differencing():
    counts = pd.Series({"00": 1, "01": 7, "02": 9, "10": 5, "11": 8, "12": 6})
    cells, eqs = cells_and_equations(counts, SMALL)
    naive = {"ortsteil:00"}
    assert "ortsteil:00" in determined_by_linear_algebra(cells, eqs, naive)  # S0 total − B − C = A


def test_secondary_suppression_resists_differencing_small_case():
    counts = pd.Series({"00": 1, "01": 7, "02": 9, "10": 2, "11": 8, "12": 6})
    cells, eqs = cells_and_equations(counts, SMALL)
    hidden = suppress(cells["value"], eqs, threshold=3)
    assert {"ortsteil:00", "ortsteil:10"} <= hidden
    assert not determined_by_linear_algebra(cells, eqs, hidden) & {"ortsteil:00", "ortsteil:10"}
    sols = brute_force_values(cells, SMALL, hidden)
    for c in ("ortsteil:00", "ortsteil:10"):
        assert len({s[c] for s in sols}) >= 2, c  # an attacker is left with several possible values
    table = protected_table(counts, SMALL, max_hidden_share=1.0)  # six Ortsteile: most cells must hide
    assert (table.loc[table.hidden, "published"] == MARK).all()
    assert not table.loc[~table.hidden, "published"].eq(MARK).any()


def test_real_geography_synthetic_counts_cannot_be_recovered():
    """63 Ortsteile, 10 Stadtbezirke, 7 Planungsräume and the city, synthetic counts made by the test itself."""
    areas = load_areas(REPO / "data" / "areas.csv")
    for seed in (1, 7, 12):
        counts = synthetic_hze(areas, [2022], seed=seed).set_index("ot_code")["hze_faelle"]
        cells, eqs = cells_and_equations(counts, areas)
        table = protected_table(counts, areas, threshold=3)
        hidden = set(table.loc[table.hidden, "cell"])
        primary = {c for c, v in cells["value"].items() if 0 < v < 3}
        assert primary <= hidden
        assert not determined_by_linear_algebra(cells, eqs, hidden) & primary
        bounds = audit(cells["value"], hidden, eqs)
        assert all(bounds[c][1] - bounds[c][0] >= 3 for c in primary)  # a protection interval of width 3
        assert len(hidden) < 0.5 * len(cells)  # protection without hiding most of the table


def attacker_interval(cells, eqs, hidden, cell):
    """Independent of the module: the attacker's LP, with every hidden cell ≥ 1 because zeros are published."""
    from scipy.optimize import linprog

    hid = sorted(hidden)
    pos = {c: i for i, c in enumerate(hid)}
    A, b = [], []
    for total, members in eqs:
        row, rhs = np.zeros(len(hid)), 0.0
        for c, sign in [(total, -1.0)] + [(m, 1.0) for m in members]:
            if c in pos:
                row[pos[c]] += sign
            else:
                rhs -= sign * cells.loc[c, "value"]
        if row.any():
            A.append(row)
            b.append(rhs)
    obj = np.zeros(len(hid))
    obj[pos[cell]] = 1
    lo = linprog(obj, A_eq=np.array(A), b_eq=np.array(b), bounds=[(1, None)] * len(hid), method="highs")
    hi = linprog(-obj, A_eq=np.array(A), b_eq=np.array(b), bounds=[(1, None)] * len(hid), method="highs")
    return lo.fun, (np.inf if hi.status == 3 else -hi.fun)


def test_two_small_cells_do_not_protect_each_other():
    """A = 1 and B = 2 hidden under S0 (and P): with zeros published the attacker knows A, B ≥ 1, so A + B = 3
    leaves A in [1, 2]. The old audit (a priori [1, 2] for small cells) called that safe."""
    counts = pd.Series({"00": 1, "01": 2, "02": 9, "10": 5, "11": 8, "12": 6})
    cells, eqs = cells_and_equations(counts, SMALL)
    weak = {"ortsteil:00", "ortsteil:01"}
    assert not determined_by_linear_algebra(cells, eqs, weak)  # no cell follows exactly …
    assert attacker_interval(cells, eqs, weak, "ortsteil:00") == (1.0, 2.0)  # … but the interval is [1, 2]
    assert underprotected(cells["value"], weak, eqs, threshold=3, width=3) == ["ortsteil:00", "ortsteil:01"]
    hidden = suppress(cells["value"], eqs, threshold=3)
    for c in weak:
        lo, hi = attacker_interval(cells, eqs, hidden, c)
        assert hi - lo >= 3, (c, lo, hi)


def test_seed_1_attack_on_stadtbezirk_mitte_fails():
    """The reviewer's case: synthetic_hze(seed=1), 2022: Zentrum (1) and Zentrum-Südost (2) in Mitte."""
    areas = load_areas(REPO / "data" / "areas.csv")
    counts = synthetic_hze(areas, [2022], seed=1).set_index("ot_code")["hze_faelle"]
    cells, eqs = cells_and_equations(counts, areas)
    assert cells.loc["ortsteil:00", "value"] == 1 and cells.loc["ortsteil:02", "value"] == 2
    table = protected_table(counts, areas, threshold=3).set_index("cell")
    hidden = set(table.index[table["hidden"]])
    mitte = {f"ortsteil:{o}" for o in areas.loc[areas["sbz_code"] == "0", "ot_code"]}
    assert hidden & mitte != {"ortsteil:00", "ortsteil:02"}  # more than the two small cells hide each other
    primary = [c for c, v in cells["value"].items() if 0 < v < 3]
    for c in primary:
        lo, hi = attacker_interval(cells, eqs, hidden, c)
        assert hi - lo >= 3, (c, lo, hi)


def test_a_year_shows_the_same_cells_in_every_cycle():
    """Differencing across cycles needs two patterns for the same counts: the pattern depends on the counts only."""
    areas = load_areas(REPO / "data" / "areas.csv")
    counts = synthetic_hze(areas, [2021, 2022], seed=11)
    c22 = counts[counts["year"] == 2022].set_index("ot_code")["hze_faelle"]
    first = protected_table(c22, areas)
    again = protected_table(c22.sample(frac=1, random_state=3), areas)  # another order, as another run reads it
    assert first["published"].tolist() == again["published"].tolist()


def test_a_table_that_must_hide_most_of_itself_is_refused():
    import pytest

    from evalkit.errors import DisclosureError

    counts = pd.Series({"00": 1, "01": 7, "02": 9, "10": 2, "11": 8, "12": 6})
    with pytest.raises(DisclosureError, match="7 of its 11 non-zero cells would be hidden"):
        protected_table(counts, SMALL)


def test_hidden_cells_use_the_sign_the_zeichenerklaerung_explains():
    from evalkit.publish.fmt import ZEICHEN, ZEICHENERKLAERUNG

    assert MARK == ZEICHEN and f"{ZEICHEN} = Zahlenwert unbekannt oder geheim zu halten" in ZEICHENERKLAERUNG
