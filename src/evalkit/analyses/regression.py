"""The regression estimators of the evaluation engine, as (weighted) least squares on a panel:

- `did`: y = a + b·D + c·post + τ·D·post, τ the 2×2 difference of (weighted) means;
- `twfe`: unit and period effects and τ·D·post;
- `event_study`: unit and period effects and one τ_k·D·[t = k] per period k other than the reference;
- `its`: the comparative interrupted time series (separate intercept, trend, jump and trend change for the
  treated group, t = period − start): terms `pre_slope_diff`, `level_change`, `slope_change`.

Each model splits into the columns that do not depend on who is treated (X0) and those that do (X1). By
Frisch–Waugh–Lovell, τ and its cluster-robust variance follow from X1 with X0 partialled out once, so that
re-labelling the treated (permutation) or redrawing the outcome (wild bootstrap) costs a few matrix products.

Inference:
- `cluster`: CR1 sandwich (G/(G−1)·(n−1)/(n−k), as Stata and statsmodels) and t with G−1 degrees of freedom;
- `wild`: restricted wild cluster bootstrap-t (WCR, Cameron, Gelbach & Miller 2008), Webb's six-point weights
  with fewer than 12 clusters, Rademacher otherwise; p only;
- `permutation`: the treated label re-assigned to as many units (within strata), the studentised statistic
  (|t|) or the estimate compared; exact enumeration when there are no more label sets than draws.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.analyses.panel import Panel

ITS_TERMS = {"pre_slope_diff": "g_t", "level_change": "g_post", "slope_change": "g_t_post"}


class Model:
    """X0, a builder of X1 for a treated flag per row, and the names of the X1 columns that are reported."""

    def __init__(self, panel: Panel, estimator: str, reference: int | None = None):
        d = panel.data
        self.panel, self.estimator = panel, estimator
        self.y, self.w = d["y"].to_numpy(float), d["w"].to_numpy(float)
        self.unit_codes = pd.factorize(d["unit"], sort=True)[0]
        self.clusters = pd.factorize(d["cluster"], sort=True)[0]
        post = d["post"].to_numpy(float)
        t = (d["time"] - panel.start).to_numpy(float)
        n = len(d)
        if estimator in ("twfe", "event_study"):
            units = pd.get_dummies(d["unit"], dtype=float).to_numpy()
            times = pd.get_dummies(d["time"], dtype=float).to_numpy()[:, 1:]
            self.X0 = np.column_stack([units, times])
        elif estimator == "did":
            self.X0 = np.column_stack([np.ones(n), post])
        elif estimator == "its":
            self.X0 = np.column_stack([np.ones(n), t, post, t * post])
        else:
            raise ValueError(estimator)
        if estimator == "event_study":
            periods = sorted(d["time"].unique())
            # the last period before the start (start − 1 for yearly data; 2018 for a biennial 2020 start)
            ref = max(p for p in periods if p < panel.start) if reference is None else reference
            self.reference = ref
            self.event_periods = [p for p in periods if p != ref]
            self._dummies = np.column_stack([(d["time"] == p).to_numpy(float) for p in self.event_periods])
            self.terms = [str(p) for p in self.event_periods]
        elif estimator == "its":
            self._parts = np.column_stack([np.ones(n), t, post, t * post])
            self.terms = list(ITS_TERMS)
        else:
            self._post = post
            self.terms = ["att"]
        self._index = {"its": [1, 2, 3]}.get(estimator, None)  # the reported X1 columns (its: not g itself)
        sw = np.sqrt(self.w)
        self._sw = sw
        self._pinv0 = np.linalg.pinv(self.X0 * sw[:, None])
        self.rank0 = int(np.linalg.matrix_rank(self.X0 * sw[:, None]))

    def X1(self, g: np.ndarray) -> np.ndarray:
        if self.estimator == "event_study":
            return g[:, None] * self._dummies
        if self.estimator == "its":
            return g[:, None] * self._parts
        if self.estimator == "did":
            return np.column_stack([g, g * self._post])
        return (g * self._post)[:, None]

    def reported(self, k1: int) -> list[int]:
        return self._index if self._index is not None else ([k1 - 1] if self.estimator in ("did", "twfe")
                                                            else list(range(k1)))

    def partial(self, Z: np.ndarray) -> np.ndarray:
        """Z with X0 partialled out (weighted): M0·Z."""
        sw = self._sw[:, None] if Z.ndim == 2 else self._sw
        return Z - self.X0 @ (self._pinv0 @ (Z * sw))

    def treated_flag(self, treated: set) -> np.ndarray:
        return self.panel.data["unit"].isin(treated).to_numpy(float)


def _cluster_fit(Xt: np.ndarray, yt: np.ndarray, w: np.ndarray, clusters: np.ndarray, k_full: int):
    """β and CR1 standard errors of the partialled regression; yt may hold several outcomes as columns."""
    XtW = Xt * w[:, None]
    bread = np.linalg.pinv(XtW.T @ Xt)
    Y = yt if yt.ndim == 2 else yt[:, None]
    beta = bread @ (XtW.T @ Y)  # k1 × B
    e = Y - Xt @ beta  # n × B
    G = clusters.max() + 1
    n = len(w)
    c = G / (G - 1) * (n - 1) / (n - k_full)
    se = np.empty_like(beta)
    # scores per cluster: for each outcome column, S_g = Σ_i w_i x_i e_i
    onehot = np.zeros((G, n))
    onehot[clusters, np.arange(n)] = 1.0
    for b in range(Y.shape[1]):
        S = onehot @ (XtW * e[:, [b]])  # G × k1
        V = c * bread @ (S.T @ S) @ bread
        se[:, b] = np.sqrt(np.clip(np.diag(V), 0, None))
    return (beta[:, 0], se[:, 0]) if yt.ndim == 1 else (beta, se)


def fit(model: Model, g: np.ndarray | None = None):
    """(terms, β, se, df) for the treated flag g (default: the panel's)."""
    g = model.panel.data["treated_unit"].to_numpy(float) if g is None else g
    X1 = model.X1(g)
    Xt = model.partial(X1)
    keep = np.flatnonzero(np.abs(Xt).sum(axis=0) > 1e-10)  # a column X0 already spans (no post period) goes
    Xt = Xt[:, keep]
    yt = model.partial(model.y)
    k_full = model.rank0 + len(keep)
    beta, se = _cluster_fit(Xt, yt, model.w, model.clusters, k_full)
    full_b, full_se = np.full(X1.shape[1], np.nan), np.full(X1.shape[1], np.nan)
    full_b[keep], full_se[keep] = beta, se
    idx = model.reported(X1.shape[1])
    G = model.clusters.max() + 1
    return model.terms, full_b[idx], full_se[idx], G - 1


def cluster_rows(model: Model, alpha: float) -> list[dict]:
    terms, b, se, df = fit(model)
    q = stats.t.ppf(1 - alpha / 2, df)
    rows = []
    for term, est, s in zip(terms, b, se):
        tstat = est / s if s > 0 else np.nan
        rows.append(dict(term=term, estimate=est, se=s, lower=est - q * s, upper=est + q * s,
                         p=2 * stats.t.sf(abs(tstat), df) if np.isfinite(tstat) else np.nan, inference="cluster"))
    return rows


# -- permutation ------------------------------------------------------------------------------------------------

def label_sets(units: list[str], treated: list[str], strata: dict[str, str], draws: int, seed: int,
               exact: bool = True, need: dict[str, int] | None = None) -> tuple[list[set], bool]:
    """Sets of units to label treated: as many per stratum as the observed set has there. Every set when there
    are no more than `draws` (the observed among them), else `draws` random ones. Returns (sets, enumerated)."""
    by_stratum: dict[str, list[str]] = {}
    for u in sorted(units):
        by_stratum.setdefault(strata.get(u, ""), []).append(u)
    need = {s: sum(1 for u in treated if strata.get(u, "") == s) for s in by_stratum} | (need or {})
    live = [s for s in sorted(by_stratum) if need[s] > 0]
    n_sets = math.prod(math.comb(len(by_stratum[s]), need[s]) for s in live)
    if exact and n_sets <= draws:
        per = [[set(c) for c in itertools.combinations(by_stratum[s], need[s])] for s in live]
        return [set().union(*combo) for combo in itertools.product(*per)], True
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(draws):
        chosen = set()
        for s in live:
            pool = by_stratum[s]
            chosen |= {pool[i] for i in rng.choice(len(pool), size=need[s], replace=False)}
        sets.append(chosen)
    return sets, False


def permutation_p(model: Model, sets: list[set], enumerated: bool, statistic: str = "t") -> np.ndarray:
    """Two-sided p per reported term: the share of label sets (the observed one counted once) whose statistic
    is at least as far from zero as the observed."""
    _, b, se, _ = fit(model)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero SE (an exact fit) makes |t| infinite
        obs = np.abs(b / se) if statistic == "t" else np.abs(b)
        hits = np.zeros(len(obs)) if enumerated else np.ones(len(obs))
        for s in sets:
            _, bb, ss, _ = fit(model, model.treated_flag(s))
            stat = np.abs(bb / ss) if statistic == "t" else np.abs(bb)
            hits += np.nan_to_num(stat, nan=-np.inf) >= obs - 1e-12
    return hits / (len(sets) + (0 if enumerated else 1))


# -- wild cluster bootstrap -------------------------------------------------------------------------------------

WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


def wild_p(model: Model, draws: int, seed: int) -> np.ndarray:
    """Restricted wild cluster bootstrap-t p per reported term: the null τ_j = 0 imposed, cluster residuals
    flipped by random weights, |t*| against the observed |t|."""
    g = model.panel.data["treated_unit"].to_numpy(float)
    X1 = model.X1(g)
    Xt = model.partial(X1)
    keep = np.flatnonzero(np.abs(Xt).sum(axis=0) > 1e-10)
    Xt = Xt[:, keep]
    yt = model.partial(model.y)
    k_full = model.rank0 + len(keep)
    beta, se = _cluster_fit(Xt, yt, model.w, model.clusters, k_full)
    G = model.clusters.max() + 1
    rng = np.random.default_rng(seed)
    weights = rng.choice(WEBB, size=(G, draws)) if G < 12 else rng.choice([-1.0, 1.0], size=(G, draws))
    reported = model.reported(X1.shape[1])
    pos = {k: i for i, k in enumerate(keep)}
    out = []
    for j in reported:
        if j not in pos:
            out.append(np.nan)
            continue
        jj = pos[j]
        rest = np.delete(Xt, jj, axis=1)
        if rest.shape[1]:
            br, *_ = np.linalg.lstsq(rest * model._sw[:, None], yt * model._sw, rcond=None)
            fitted = rest @ br
        else:
            fitted = np.zeros_like(yt)
        resid = yt - fitted  # the restricted model's residuals (the same with X0 partialled out or not)
        ystar = model.partial((model.y - resid)[:, None] + resid[:, None] * weights[model.clusters])
        bs, ss = _cluster_fit(Xt, ystar, model.w, model.clusters, k_full)
        with np.errstate(divide="ignore", invalid="ignore"):  # a zero SE (an exact fit): |t| infinite
            tstar = np.abs(bs[jj] / ss[jj])
            t_obs = np.abs(beta[jj] / se[jj])
        out.append(float(np.mean(tstar >= t_obs - 1e-12)))
    return np.array(out)
