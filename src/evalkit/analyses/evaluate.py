"""One panel-evaluation engine: a long table of units and periods and a design in, one row per estimate out.

    evalkit evaluate PANEL --design DESIGN.yaml --out RESULT.csv [--weights WEIGHTS.csv]

Estimators: `did`, `twfe`, `event_study`, `its` (regression, `evalkit.analyses.regression`) and `sc`, `sdid`
(Arkhangelsky et al. 2021, `evalkit.analyses.synthdid`). The cycles' comparative interrupted time series runs
through the same functions (`evalkit.analyses.its`). Same inputs and seed give byte-identical outputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.analyses import regression, synthdid
from evalkit.analyses.panel import APPLIES, REGRESSION, SYNTHETIC, Design, Panel, from_table, load_design, matrix
from evalkit.errors import DataError

RESULT_COLUMNS = ["estimator", "term", "estimate", "se", "lower", "upper", "p", "inference", "n_treated",
                  "n_control", "periods_pre", "periods_post"]
WEIGHT_COLUMNS = ["estimator", "kind", "id", "weight"]
DIGITS = 6


def _inference_for(estimator: str, design: Design) -> list[str]:
    asked = [i for i in design.inference if i in APPLIES[estimator]]
    return asked or [APPLIES[estimator][0]]


def _strata(panel: Panel) -> dict[str, str]:
    return dict(zip(panel.data["unit"], panel.data["stratum"]))


def _regression_rows(panel: Panel, estimator: str, design: Design, notes: list[str],
                     reference: int | None) -> list[dict]:
    model = regression.Model(panel, estimator, reference)
    base = regression.cluster_rows(model, design.alpha)
    d = panel.data
    treated_clusters = d.loc[d["treated_unit"], "cluster"].nunique()
    rows = []
    for how in _inference_for(estimator, design):
        if how in ("cluster", "wild") and treated_clusters < 2:
            # one treated cluster: the sandwich and the wild bootstrap have no variation to learn from
            notes.append(f"{estimator}: {how} inference left out: the treated units form {treated_clusters} "
                         "cluster (at least 2 needed; use permutation)")
            rows += [dict(r, se=np.nan, lower=np.nan, upper=np.nan, p=np.nan, inference=how) for r in base]
            continue
        if how == "cluster":
            rows += base
            continue
        if how == "permutation":
            sets, enumerated = regression.label_sets(panel.units, panel.treated_units, _strata(panel),
                                                     design.draws, design.seed, design.exact)
            p = regression.permutation_p(model, sets, enumerated, design.permutation_statistic)
        else:  # wild
            p = regression.wild_p(model, design.draws, design.seed)
        rows += [dict(term=r["term"], estimate=r["estimate"], se=np.nan, lower=np.nan, upper=np.nan, p=pv,
                      inference=how) for r, pv in zip(base, p)]
    if estimator == "event_study":
        ref = dict(term=str(model.reference), estimate=0.0, se=np.nan, lower=np.nan, upper=np.nan, p=np.nan,
                   inference="reference")
        rows.append(ref)
    return rows


def _synthetic_rows(panel: Panel, estimator: str, design: Design, notes: list[str]
                    ) -> tuple[list[dict], list[dict]]:
    Y, order, periods, n0, t0 = matrix(panel)
    n1 = Y.shape[0] - n0
    fit = synthdid.ESTIMATORS[estimator](Y, n0, t0)
    rows = []
    z = stats.norm.ppf(1 - design.alpha / 2)
    for how in _inference_for(estimator, design):
        if how in ("placebo", "jackknife"):
            se = synthdid.placebo_se(Y, n0, t0, fit, design.draws, design.seed) if how == "placebo" \
                else synthdid.jackknife_se(Y, n0, t0, fit)
            ok = np.isfinite(se) and se > 0
            if how == "placebo" and n0 <= n1:
                notes.append(f"{estimator}: placebo variance left out: it needs more control units than treated "
                             f"({n0} control, {n1} treated; use jackknife or permutation)")
            elif how == "jackknife" and not np.isfinite(se):
                notes.append(f"{estimator}: jackknife variance left out: it needs at least two treated and two "
                             f"control units ({n1} treated, {n0} control; use placebo or permutation)")
            rows.append(dict(term="att", estimate=fit.estimate, se=se if ok else np.nan,
                             lower=fit.estimate - z * se if ok else np.nan,
                             upper=fit.estimate + z * se if ok else np.nan,
                             p=2 * stats.norm.sf(abs(fit.estimate / se)) if ok else np.nan, inference=how))
        else:  # permutation of the treated label, the estimate as statistic
            sets, enumerated = regression.label_sets(panel.units, panel.treated_units, _strata(panel),
                                                     design.draws, design.seed, design.exact)
            wide = panel.data.pivot(index="unit", columns="time", values="y")
            stack = []
            for s in sets:
                rows_order = [u for u in wide.index if u not in s] + sorted(s)
                stack.append(wide.loc[rows_order].to_numpy(float))
            est = synthdid.estimates_batch(np.array(stack), n0, t0, estimator)
            hits = (np.abs(est) >= abs(fit.estimate) - 1e-12).sum() + (0 if enumerated else 1)
            rows.append(dict(term="att", estimate=fit.estimate, se=np.nan, lower=np.nan, upper=np.nan,
                             p=hits / (len(sets) + (0 if enumerated else 1)), inference="permutation"))
    weights = [dict(estimator=estimator, kind="unit", id=u, weight=w) for u, w in zip(order[:n0], fit.omega)]
    if estimator == "sdid":
        weights += [dict(estimator=estimator, kind="time", id=str(p), weight=w)
                    for p, w in zip(periods[:t0], fit.lam)]
    return rows, weights


def evaluate(panel: Panel, design: Design, notes: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """RESULT and WEIGHTS for a validated panel, rounded and sorted so that they are byte-stable. What could
    not be estimated is appended to `notes`."""
    notes = [] if notes is None else notes
    rows, weights = [], []
    runs = [(panel, "")]
    if design.placebo_start is not None:
        pre = panel.subset(panel.data["time"] < panel.start).with_start(design.placebo_start)
        runs.append((pre, "placebo_"))
    for p, prefix in runs:
        d = p.data
        common = dict(n_treated=len(p.treated_units), n_control=len(p.units) - len(p.treated_units),
                      periods_pre=int(d.loc[~d["post"], "time"].nunique()),
                      periods_post=int(d.loc[d["post"], "time"].nunique()))
        for estimator in design.estimators:
            if estimator in REGRESSION:
                # the placebo's event study is read against the last period before the placebo start
                new = _regression_rows(p, estimator, design, notes, None if prefix else design.reference)
            else:
                new, w = _synthetic_rows(p, estimator, design, notes)
                if not prefix:
                    weights += w
            rows += [dict(estimator=estimator, **{**r, "term": prefix + r["term"]}, **common) for r in new]
    result = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    for c in ("estimate", "se", "lower", "upper", "p"):
        result[c] = result[c].astype(float).round(DIGITS) + 0.0  # + 0.0: no "-0.0" in the file
    w = pd.DataFrame(weights, columns=WEIGHT_COLUMNS)
    w["weight"] = w["weight"].astype(float).round(DIGITS) + 0.0
    w = w.sort_values(["estimator", "kind", "id"], kind="stable").reset_index(drop=True)
    return result, w


def load_panel(path: Path, design: Design, notes: list[str] | None = None) -> Panel:
    from evalkit.analyses.table_reader import read_table

    table, decimal = read_table(path)
    return from_table(table, design, decimal, path, balanced=any(e in SYNTHETIC for e in design.estimators),
                      notes=notes)


def _check_out(out: Path, inputs: dict[str, Path], flag: str) -> None:
    if out.is_dir():
        raise DataError("is a folder", file=out, expected=f"{flag}: a file path for the result")
    for what, p in inputs.items():
        if p is not None and out.exists() and p.exists() and out.resolve() == p.resolve():
            raise DataError(f"{flag} would overwrite the {what}", file=out, expected=f"{flag}: a new file")


def run_evaluate(panel_path: Path, design_path: Path, out_path: Path, weights_path: Path | None = None,
                 notes: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`evalkit evaluate`: every check before anything is written; both files written only when all ran."""
    from evalkit.fileio import spreadsheet_safe, write_table

    inputs = {"panel": Path(panel_path), "design file": Path(design_path)}
    _check_out(Path(out_path), inputs, "--out")
    if weights_path is not None:
        _check_out(Path(weights_path), {**inputs, "result": Path(out_path)}, "--weights")
        if Path(weights_path).resolve() == Path(out_path).resolve():
            raise DataError("--weights and --out are the same file", file=weights_path,
                            expected="two different files")
    notes = [] if notes is None else notes
    design = load_design(Path(design_path))
    panel = load_panel(Path(panel_path), design, notes)
    result, weights = evaluate(panel, design, notes)
    write_table(Path(out_path), spreadsheet_safe(result))
    if weights_path is not None:
        write_table(Path(weights_path), spreadsheet_safe(weights))
    return result, weights
