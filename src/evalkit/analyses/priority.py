"""The priority-area (Sozialraum) need index per Ortsteil, its classes and its stability.

Each need indicator is pooled over a window of years (numerators and denominators summed: the honest 3-year
mean of a rate), standardised across Ortsteile (z-scores, or normal scores of ranks), weighted and summed.
Ortsteile whose pooled denominator is too small for any indicator are flagged and not ranked. Scoring and
classes run through the general engine (`analyses.index`) with the method file data/index_methods/ikjhp.yaml:
the weighted sum is standardised, and IKJHP's own bands (−0.5, +0.5, +1.5 SD) name the classes — narrower than
Berlin's MSS (−1.0, +1.0, +1.5), whose method file is tested against the official classes. Stability: how often an Ortsteil
stays in the top k when the weights are drawn from a Dirichlet around the defaults (fixed seed) and when the
smoothing window changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.analyses import index as engine
from evalkit.analyses.smoothing import empirical_bayes

# the bands of data/index_methods/ikjhp.yaml (a test checks they agree); callers pass the file's own
BANDS = [engine.Band(label="niedriger Bedarf", **{"from": None, "to": -0.5}),
         engine.Band(label="mittlerer Bedarf", **{"from": -0.5, "to": 0.5}),
         engine.Band(label="hoher Bedarf", **{"from": 0.5, "to": 1.5}),
         engine.Band(label="sehr hoher Bedarf", **{"from": 1.5, "to": None})]
FLAGGED = "nicht eingestuft (zu kleine Basis)"
COLUMNS = ["area_code", "area_name", "index", "rank", "need_class", "top13", "stability"]


def pooled(table: pd.DataFrame, indicator: str, end_year: int, window: int) -> pd.DataFrame:
    """Per Ortsteil: numerator and denominator summed over end_year-window+1 … end_year, and their rate."""
    t = table[(table.indicator == indicator) & (table.level == "ortsteil")
              & table.year.between(end_year - window + 1, end_year)]
    g = t.groupby("area_code").agg(area_name=("area_name", "first"), numerator=("numerator", "sum"),
                                   denominator=("denominator", "sum"), years=("year", "nunique"))
    g = g[g["years"] == window]
    g["value"] = 100 * g["numerator"] / g["denominator"]
    return g


standardise = engine.standardise


def components(table: pd.DataFrame, years: dict[str, int], window: int, min_denominator: float,
               higher_is_worse: dict[str, bool] | None = None, smoothing: str = "none"
               ) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Pooled values per Ortsteil × indicator (empirical-Bayes smoothed if asked), the small-base flag, names."""
    vals, flags, names = {}, [], None
    for ind, end in years.items():
        p = pooled(table, ind, end, window)
        if smoothing == "empirical_bayes":
            p["value"] = 100 * empirical_bayes(p["numerator"], p["denominator"])
        sign = -1 if (higher_is_worse or {}).get(ind) is False else 1
        vals[ind] = sign * p["value"]
        flags.append(p["denominator"] < min_denominator)
        names = p["area_name"] if names is None else names.combine_first(p["area_name"])
    frame = pd.DataFrame(vals).dropna()
    small = pd.concat(flags, axis=1).reindex(frame.index).fillna(True).any(axis=1)
    return frame, small, names


def standardised(frame: pd.DataFrame, small: pd.Series, how: str = "z") -> pd.DataFrame:
    """Each indicator standardised over the ranked (not flagged) Ortsteile only."""
    return frame[~small].apply(lambda col: standardise(col, how))


def composite(frame: pd.DataFrame, small: pd.Series, weights: dict[str, float], how: str = "z") -> pd.Series:
    """The index of the ranked Ortsteile: the engine's standardised weighted sum of standardised indicators."""
    w = pd.Series(weights, dtype=float)
    return engine.score(frame[~small], (w / w.sum()).to_dict(), how, "standardised")


def classify(index: pd.Series, bands=BANDS) -> pd.Series:
    return engine.classify(index, bands, FLAGGED)


def top_k(index: pd.Series, k: int) -> set:
    return set(index.sort_values(ascending=False, kind="mergesort").index[:k])


def need_index(table: pd.DataFrame, years: dict[str, int], weights: dict[str, float], window: int = 3,
               how: str = "z", top: int = 13, min_denominator: float = 50, perturbations: int = 500,
               concentration: float = 50.0, seed: int = 20201, higher_is_worse: dict | None = None,
               bands=BANDS, smoothing: str = "none") -> pd.DataFrame:
    """The priority index table (COLUMNS), one row per Ortsteil, sorted by area_code."""
    frame, small, names = components(table, years, window, min_denominator, higher_is_worse, smoothing)
    idx = composite(frame, small, weights, how)
    chosen = top_k(idx, top)
    rank = idx.rank(ascending=False, method="min").astype(int)
    rng = np.random.default_rng(seed)
    w0 = pd.Series(weights, dtype=float)
    w0 = w0 / w0.sum()
    # the standardised values do not depend on the weights: one matrix product scores every perturbed draw
    z = standardised(frame, small, how)[w0.index]
    draws = rng.dirichlet(concentration * w0.to_numpy(), size=perturbations)
    scores = z.to_numpy() @ draws.T  # Ortsteile × draws
    order = np.argsort(-scores, axis=0, kind="stable")[:top]
    hits = pd.Series(np.bincount(order.ravel(), minlength=len(z)), index=z.index)
    out = pd.DataFrame({"area_code": frame.index, "area_name": names.reindex(frame.index).to_numpy()})
    out = out.set_index("area_code", drop=False)
    out["index"] = idx.reindex(out.index).round(6)
    out["rank"] = rank.reindex(out.index).astype("Int64")
    out["need_class"] = classify(idx, bands).reindex(out.index).fillna(FLAGGED)
    out["top13"] = out.index.isin(chosen)
    # share of weight draws that keep the Ortsteil in the top group; undefined (NaN) without draws
    stability = hits / perturbations if perturbations > 0 else pd.Series(np.nan, index=hits.index)
    out["stability"] = stability.reindex(out.index).fillna(0.0 if perturbations > 0 else np.nan).round(4)
    return out.reset_index(drop=True).sort_values("area_code").reset_index(drop=True)[COLUMNS]


UNCERTAINTY_COLUMNS = ["area_code", "area_name", "rank", "p_top", "rank_lower", "rank_upper"]


def count_uncertainty(table: pd.DataFrame, years: dict[str, int], weights: dict[str, float], window: int = 3,
                      how: str = "z", top: int = 13, min_denominator: float = 50, draws: int = 500,
                      seed: int = 20201, higher_is_worse: dict | None = None, smoothing: str = "none"
                      ) -> pd.DataFrame:
    """Rank uncertainty from the data themselves: each draw replaces every pooled numerator by a Poisson count
    with that mean (the chance variation of a register count in a small area), recomputes the rates, the
    standardisation and the index, and ranks again. Per ranked Ortsteil: the share of draws in the top `top`
    (`p_top`) and the 2.5–97.5 % interval of its rank. Weights stay fixed here; `stability` varies them."""
    frame, small, names = components(table, years, window, min_denominator, higher_is_worse, smoothing)
    ranked = frame.index[~small]
    idx = composite(frame, small, weights, how)
    rng = np.random.default_rng(seed)
    w = pd.Series(weights, dtype=float)
    w = (w / w.sum()).to_dict()
    parts = {ind: pooled(table, ind, end, window).reindex(ranked) for ind, end in years.items()}
    ranks = np.empty((draws, len(ranked)))
    for d in range(draws):
        cols = {}
        for ind, p in parts.items():
            sign = -1 if (higher_is_worse or {}).get(ind) is False else 1
            num, den = rng.poisson(p["numerator"].to_numpy(float)), p["denominator"].to_numpy(float)
            cols[ind] = sign * 100 * (empirical_bayes(num, den) if smoothing == "empirical_bayes" else num / den)
        drawn = engine.score(pd.DataFrame(cols, index=ranked), w, how, "raw")
        ranks[d] = drawn.rank(ascending=False, method="min").to_numpy()
    out = pd.DataFrame({"area_code": ranked, "area_name": names.reindex(ranked).to_numpy(),
                        "rank": idx.reindex(ranked).rank(ascending=False, method="min").astype(int).to_numpy(),
                        "p_top": (ranks <= top).mean(axis=0).round(4),
                        "rank_lower": np.percentile(ranks, 2.5, axis=0, method="lower").astype(int),
                        "rank_upper": np.percentile(ranks, 97.5, axis=0, method="higher").astype(int)})
    return out.sort_values(["rank", "area_code"]).reset_index(drop=True)[UNCERTAINTY_COLUMNS]


def window_stability(table: pd.DataFrame, years: dict[str, int], weights: dict[str, float], windows: list[int],
                     how: str = "z", top: int = 13, min_denominator: float = 50,
                     higher_is_worse: dict | None = None, smoothing: str = "none") -> pd.DataFrame:
    """Top-k membership of each Ortsteil for each smoothing window (1 = no smoothing)."""
    rows = []
    for w in windows:
        frame, small, _ = components(table, years, w, min_denominator, higher_is_worse, smoothing)
        chosen = top_k(composite(frame, small, weights, how), top)
        rows += [{"area_code": a, "window": w, "top13": a in chosen} for a in frame.index]
    df = pd.DataFrame(rows)
    return df.sort_values(["area_code", "window"]).reset_index(drop=True)


def reference_overlap(index: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Each reference entry (Ortsteil) beside the computed index: in the computed top 13 or not."""
    ref = reference.merge(index[["area_code", "rank", "need_class", "top13"]], on="area_code", how="left")
    return ref.sort_values(["list", "area_code"]).reset_index(drop=True)
