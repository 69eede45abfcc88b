"""Statistical disclosure control for restricted counts (e.g. Hilfen zur Erziehung per Ortsteil).

A published table has Ortsteil cells and the totals of Stadtbezirke, Planungsräume and the city; the two
hierarchies (Ortsteil → Stadtbezirk → city and Ortsteil → Planungsraum → city) cut across each other. Primary
suppression hides counts from 1 to threshold−1. Secondary suppression hides further cells until every primary cell
has a *protection interval* as statistical offices require it (τ-ARGUS): the attacker's feasible interval —
the tightest bounds a linear programme derives from every published cell of both hierarchies — must be at least
`width` wide (default: the threshold). The attacker knows what the table says about itself: zeros are published,
so a hidden cell is at least 1. Exact recovery alone is not the test: two small cells that only hide each other
(1 and 2 under a total of 3) leave the interval [1, 2] and fail.

Only one year is published per table, and the pattern depends on that year's counts alone, so two cycles that
show the same year show the same cells: nothing can be differenced across cycles. Years are not summed anywhere.
Cells are never silently dropped; hidden cells are shown as "·" with a Zeichenerklärung.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from evalkit.acquire.areas import CITY_CODE
from evalkit.errors import DisclosureError

MARK = "·"  # as in German official tables; the same sign as evalkit.publish.fmt.ZEICHEN (tested)
MAX_HIDDEN_SHARE = 0.5  # a table that must hide more than half of its non-zero cells says too little to publish


def cells_and_equations(counts: pd.Series, areas: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, list[str]]]]:
    """counts: Ortsteil code → count. Returns the cells (id, level, area_code, value) and the total equations."""
    ot = counts.reindex(areas["ot_code"]).fillna(0)
    cells = [("ortsteil:" + c, "ortsteil", c, float(v)) for c, v in ot.items()]
    eqs = []
    for level, col in (("stadtbezirk", "sbz_code"), ("planungsraum", "pr_code")):
        for code, members in areas.groupby(col)["ot_code"]:
            cells.append((f"{level}:{code}", level, code, float(ot[list(members)].sum())))
            eqs.append((f"{level}:{code}", ["ortsteil:" + m for m in members]))
    cells.append((f"stadt:{CITY_CODE}", "stadt", CITY_CODE, float(ot.sum())))
    eqs.append((f"stadt:{CITY_CODE}", ["ortsteil:" + m for m in areas["ot_code"]]))
    for level, col in (("stadtbezirk", "sbz_code"), ("planungsraum", "pr_code")):
        eqs.append((f"stadt:{CITY_CODE}", [f"{level}:{c}" for c in sorted(areas[col].unique())]))
    df = pd.DataFrame(cells, columns=["cell", "level", "area_code", "value"]).set_index("cell")
    return df, eqs


def audit(values: pd.Series, hidden: set, eqs) -> dict[str, tuple[float, float]]:
    """The tightest bounds an attacker can derive for each hidden cell (LP over all published equations; every
    hidden cell ≥ 1 because zeros are published)."""
    hidden = sorted(hidden)
    if not hidden:
        return {}
    pos = {c: i for i, c in enumerate(hidden)}
    A, b = [], []
    for total, members in eqs:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for c, sign in [(total, -1.0)] + [(m, 1.0) for m in members]:
            if c in pos:
                row[pos[c]] += sign
            else:
                rhs -= sign * values[c]
        if row.any():
            A.append(row)
            b.append(rhs)
    bounds = [(1, None)] * len(hidden)
    out = {}
    for c, i in pos.items():
        obj = np.zeros(len(hidden))
        obj[i] = 1
        lo = linprog(obj, A_eq=np.array(A) if A else None, b_eq=np.array(b) if b else None, bounds=bounds,
                     method="highs")
        hi = linprog(-obj, A_eq=np.array(A) if A else None, b_eq=np.array(b) if b else None, bounds=bounds,
                     method="highs")
        out[c] = (lo.fun, np.inf if hi.status == 3 else -hi.fun)
    return out


def underprotected(values: pd.Series, hidden: set, eqs, threshold: int, width: float) -> list[str]:
    """Primary cells whose feasible interval is narrower than `width`, smallest interval first."""
    bounds = audit(values, hidden, eqs)
    short = [(hi - lo, c) for c, (lo, hi) in bounds.items() if 0 < values[c] < threshold and hi - lo < width - 1e-9]
    return [c for _, c in sorted(short)]


def suppress(values: pd.Series, eqs, threshold: int = 3, width: float | None = None) -> set:
    """The set of hidden cells: primary (1 … threshold−1), then secondary until every primary cell's protection
    interval is at least `width` (default: threshold) wide."""
    width = threshold if width is None else width
    hidden = {c for c, v in values.items() if 0 < v < threshold}

    membership: dict[str, list[list[str]]] = {}
    for t, m in eqs:
        for c in (t, *m):
            membership.setdefault(c, []).append([t, *m])

    def closes(c):  # how many of c's equations already hide a cell: hiding c there closes a cycle
        return sum(any(x in hidden for x in g if x != c) for g in membership.get(c, []))

    def candidates(cells):
        # the city total is the table's headline: never a complement (a table that needs it is not published)
        free = [c for c in cells if c not in hidden and values[c] > 0 and not c.startswith("stadt:")]
        # prefer cells that close cycles, then Ortsteil cells, then cells large enough to give the width, then
        # the smallest of those (least information lost)
        return sorted(free, key=lambda c: (-closes(c), not c.startswith("ortsteil:"), values[c] < width, values[c], c))

    for _ in range(10 * len(values)):
        changed = False
        for total, members in eqs:
            group = [total, *members]
            if sum(c in hidden for c in group) == 1:
                pick = candidates(group)
                if pick:
                    hidden.add(pick[0])
                    changed = True
        if changed:
            continue
        # only sensitive (primary) cells need protection: a complementary cell whose value follows from the
        # totals (e.g. Planungsraum Grünau equals Stadtbezirk West) gives nothing small away
        exposed = underprotected(values, hidden, eqs, threshold, width)
        if not exposed:
            return hidden
        c = exposed[0]
        # widen the equations through c that hide the fewest cells (two primaries summing to their minimum pin
        # each other); one new cell per equation that has a candidate at all
        groups = sorted(membership.get(c, []), key=lambda g: sum(x in hidden for x in g))
        added = False
        for g in groups:
            pick = candidates(g)
            if pick:
                hidden.add(pick[0])
                added = True
                if sum(x in hidden for x in g) > 2:
                    break
        if not added:
            raise RuntimeError(f"cannot protect cell {c}")
    raise RuntimeError("secondary suppression did not converge")


def protected_table(counts: pd.Series, areas: pd.DataFrame, threshold: int = 3, width: float | None = None,
                    max_hidden_share: float = MAX_HIDDEN_SHARE) -> pd.DataFrame:
    """The publishable table: every cell with its count as text, "·" where hidden."""
    cells, eqs = cells_and_equations(counts, areas)
    try:
        hidden = suppress(cells["value"], eqs, threshold, width)
    except RuntimeError as e:  # too sparse to protect: not published at all
        raise DisclosureError(f"the table cannot be protected ({e})", file="data/restricted/hze.csv",
                              expected="enough cells above the threshold to hide every small count") from None
    nonzero = cells.index[cells["value"] > 0]
    if len(nonzero) and len(hidden) > max_hidden_share * len(nonzero):
        raise DisclosureError(f"the table cannot be protected usefully: {len(hidden)} of its {len(nonzero)} non-zero "
                              "cells would be hidden", file="data/restricted/hze.csv",
                              expected="enough cells above the threshold to hide every small count")

    out = cells.reset_index()
    out["hidden"] = out["cell"].isin(hidden)
    out["published"] = np.where(out["hidden"], MARK, out["value"].map(lambda v: f"{int(v)}"))
    # only what may be published leaves this function: the raw counts stay here, so that no merge or concat
    # downstream (which drop DataFrame.attrs) can carry them past the gate
    return out.drop(columns=["value"])
