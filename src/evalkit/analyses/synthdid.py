"""Synthetic difference-in-differences, synthetic control and difference-in-differences as defined by
Arkhangelsky, Athey, Hirshberg, Imbens & Wager (2021, AER 111(12)) and their reference implementation (R package
synthdid): unit weights ω and time weights λ found by Frank–Wolfe on the simplex, sparsified once, and the
estimate τ = (−ω, 1/N1)ᵀ · Y · (−λ, 1/T1).

Why by hand: no well-kept Python package implements the published estimator (pysyncon does Abadie's covariate SC,
scpi-pkg the prediction-interval SC; the Python ports of synthdid are unmaintained). The module follows the
reference code line by line and is proven against its published Prop 99 results (tests/analyses/test_evaluate.py).

`Y` is a units × periods matrix with the N0 control rows first and the T0 pre-periods first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fit:
    estimate: float
    omega: np.ndarray  # unit weights of the N0 controls
    lam: np.ndarray  # time weights of the T0 pre-periods
    opts: dict


def _sum_normalize(x: np.ndarray) -> np.ndarray:
    s = x.sum()
    return x / s if s != 0 else np.full(len(x), 1 / len(x))


def _sparsify(v: np.ndarray) -> np.ndarray:
    """Rows of weights: entries at most a quarter of the row's largest set to zero, the rest renormalised."""
    v = np.where(v <= v.max(axis=-1, keepdims=True) / 4, 0.0, v)
    return v / v.sum(axis=-1, keepdims=True)


def _sc_weight_fw(Y: np.ndarray, zeta: float, intercept: bool, lam: np.ndarray | None, min_decrease: float,
                  max_iter: int) -> np.ndarray:
    """sc.weight.fw(): weights on the first T0 columns of Y that best reproduce its last column, ridge-penalised
    by ζ, by Frank–Wolfe steps with exact line search for ‖Ax − b‖² + η‖x‖² on the simplex.

    Batched: Y is R × n × (T0 + 1) and lam R × T0, so that the R replications of a variance estimator run as
    one array program; each row stops by the reference rule on its own and is then left unchanged."""
    R, n, t0 = Y.shape[0], Y.shape[1], Y.shape[2] - 1
    lam = np.full((R, t0), 1 / t0) if lam is None else np.array(lam, dtype=float, copy=True)
    if intercept:
        Y = Y - Y.mean(axis=1, keepdims=True)
    A, b = Y[:, :, :t0], Y[:, :, t0]
    if R == 1:
        return _fw_single(A[0], b[0], float(np.asarray(zeta).ravel()[0]),
                          float(np.asarray(min_decrease).ravel()[0]), lam[0], max_iter)[None]
    zeta2 = np.broadcast_to(np.asarray(zeta, float) ** 2, (R,))
    min_dec2 = np.broadcast_to(np.asarray(min_decrease, float) ** 2, (R,))
    r = np.arange(R)  # the rows still iterating; their arrays are re-sliced only when one stops
    Ar, br, x, z2, md2 = A, b, lam.copy(), zeta2, min_dec2
    prev = np.full(R, np.nan)
    for t in range(max_iter):
        eta = n * z2
        Ax = (Ar @ x[:, :, None])[:, :, 0]
        half_grad = ((Ax - br)[:, None, :] @ Ar)[:, 0, :] + eta[:, None] * x
        i = np.argmin(half_grad, axis=1)
        k = np.arange(len(r))
        d_x = -x
        d_x[k, i] += 1
        d_err = Ar[k, :, i] - Ax
        denom = (d_err * d_err).sum(axis=1) + eta * (d_x * d_x).sum(axis=1)
        num = -(half_grad * d_x).sum(axis=1)
        step = np.clip(np.divide(num, denom, out=np.zeros_like(num), where=denom > 0), 0.0, 1.0)
        x = x + step[:, None] * d_x
        err = Ax + step[:, None] * d_err - br  # A·x_new − b, as A·(x + s·d_x) = Ax + s·(A_i − Ax)
        val = z2 * (x * x).sum(axis=1) + (err * err).sum(axis=1) / n
        if t >= 1:
            go = prev - val > md2
            if not go.all():
                lam[r] = x
                r, Ar, br, x, z2, md2, val = r[go], Ar[go], br[go], x[go], z2[go], md2[go], val[go]
                if not len(r):
                    return lam
        prev = val
    lam[r] = x
    return lam


def _fw_single(A: np.ndarray, b: np.ndarray, zeta: float, min_decrease: float, x: np.ndarray,
               max_iter: int) -> np.ndarray:
    """The same Frank–Wolfe iteration for one problem, on the Gram matrix AᵀA with A·x kept implicitly (few
    small-vector operations per step: a single estimate is dominated by call overhead, not arithmetic)."""
    n = A.shape[0]
    G, Ab, bb = A.T @ A, A.T @ b, float(b @ b)
    z2, md2 = zeta * zeta, min_decrease * min_decrease
    eta = n * z2
    x = x.astype(float).copy()
    Gx = G @ x
    prev = None
    for t in range(max_iter):
        hg = Gx - Ab + eta * x
        i = int(hg.argmin())
        dx = -x
        dx[i] += 1.0
        Gd = G[i] - Gx  # G·(e_i − x); G is symmetric
        denom = float(dx @ Gd) + eta * float(dx @ dx)
        if denom > 0:
            step = min(1.0, max(0.0, -float(hg @ dx) / denom))
            x += step * dx
            Gx += step * Gd
        val = z2 * float(x @ x) + (float(x @ Gx) - 2 * float(x @ Ab) + bb) / n
        if t >= 1 and not prev - val > md2:
            break
        prev = val
    return x


def _weights(Yc: np.ndarray, n0: int, t0: int, lam, omega, o: dict) -> tuple[np.ndarray, np.ndarray]:
    """Time and unit weights for a batch of collapsed matrices (R × (N0 + 1) × (T0 + 1)), as
    synthdid_estimate() finds them: a first solve of 100 steps, sparsify, a second solve."""
    if o["update_lambda"]:
        A = Yc[:, :n0, :]
        lam = _sc_weight_fw(A, o["zeta_lambda"], o["lambda_intercept"], lam, o["min_decrease"], 100)
        if o["sparsify"]:
            lam = _sc_weight_fw(A, o["zeta_lambda"], o["lambda_intercept"], _sparsify(lam), o["min_decrease"],
                                o["max_iter"])
    if o["update_omega"]:
        A = np.swapaxes(Yc[:, :, :t0], 1, 2)
        omega = _sc_weight_fw(A, o["zeta_omega"], o["omega_intercept"], omega, o["min_decrease"], 100)
        if o["sparsify"]:
            omega = _sc_weight_fw(A, o["zeta_omega"], o["omega_intercept"], _sparsify(omega), o["min_decrease"],
                                  o["max_iter"])
    return lam, omega


def _collapsed(Y: np.ndarray, n0: int, t0: int) -> np.ndarray:
    """(N0 + 1) × (T0 + 1): control rows and the treated mean; pre-periods and the post mean (batched over a
    leading axis)."""
    top = np.concatenate([Y[..., :n0, :t0], Y[..., :n0, t0:].mean(axis=-1, keepdims=True)], axis=-1)
    bottom = np.concatenate([Y[..., n0:, :t0].mean(axis=-2), Y[..., n0:, t0:].mean(axis=(-2, -1))[..., None]],
                            axis=-1)
    return np.concatenate([top, bottom[..., None, :]], axis=-2)


def _tau(Y: np.ndarray, n0: int, t0: int, omega: np.ndarray, lam: np.ndarray) -> np.ndarray:
    n1, t1 = Y.shape[-2] - n0, Y.shape[-1] - t0
    w_units = np.concatenate([-omega, np.full(omega.shape[:-1] + (n1,), 1 / n1)], axis=-1)
    w_times = np.concatenate([-lam, np.full(lam.shape[:-1] + (t1,), 1 / t1)], axis=-1)
    return np.einsum("...i,...ij,...j->...", w_units, Y, w_times)


def noise_level(Y: np.ndarray, n0: int, t0: int) -> float:
    """The controls' first-difference spread before the start, which scales the penalties."""
    d = np.diff(Y[:n0, :t0], axis=1)
    return float(np.std(d, ddof=1)) if d.size > 1 else 0.0


def estimate(Y: np.ndarray, n0: int, t0: int, *, omega: np.ndarray | None = None, lam: np.ndarray | None = None,
             update_omega: bool | None = None, update_lambda: bool | None = None, zeta_omega: float | None = None,
             zeta_lambda: float | None = None, omega_intercept: bool = True, lambda_intercept: bool = True,
             min_decrease: float | None = None, max_iter: int = 10_000, sparsify: bool = True) -> Fit:
    """synthdid_estimate(): weights that are given and not updated stay as they are (DID, SC's λ = 0)."""
    n, t = Y.shape
    n1, t1 = n - n0, t - t0
    noise = noise_level(Y, n0, t0)
    o = dict(update_omega=omega is None if update_omega is None else update_omega,
             update_lambda=lam is None if update_lambda is None else update_lambda,
             zeta_omega=(n1 * t1) ** 0.25 * noise if zeta_omega is None else zeta_omega,
             zeta_lambda=1e-6 * noise if zeta_lambda is None else zeta_lambda,
             omega_intercept=omega_intercept, lambda_intercept=lambda_intercept,
             min_decrease=1e-5 * noise if min_decrease is None else min_decrease, max_iter=max_iter,
             sparsify=sparsify)
    lam_b, omega_b = _weights(_collapsed(Y, n0, t0)[None], n0, t0, None if lam is None else lam[None],
                              None if omega is None else omega[None], o)
    tau = _tau(Y, n0, t0, omega_b[0], lam_b[0])
    return Fit(float(tau), np.asarray(omega_b[0], float), np.asarray(lam_b[0], float), o)


def sdid(Y: np.ndarray, n0: int, t0: int) -> Fit:
    return estimate(Y, n0, t0)


def sc(Y: np.ndarray, n0: int, t0: int) -> Fit:
    """sc_estimate(): no time weights, no intercept, a vanishing ridge (η = 1e-6)."""
    return estimate(Y, n0, t0, lam=np.zeros(t0), omega_intercept=False,
                    zeta_omega=1e-6 * noise_level(Y, n0, t0))


def did(Y: np.ndarray, n0: int, t0: int) -> Fit:
    """did_estimate(): uniform weights, the 2×2 difference of means."""
    return estimate(Y, n0, t0, omega=np.full(n0, 1 / n0), lam=np.full(t0, 1 / t0))


ESTIMATORS = {"sdid": sdid, "sc": sc, "did": did}


def placebo_se(Y: np.ndarray, n0: int, t0: int, fit: Fit, replications: int, seed: int) -> float:
    """placebo_se(): controls only, N1 of them relabelled treated at random, the estimator refitted from the
    fitted weights (all replications at once). Undefined unless there are more controls than treated units."""
    n1 = Y.shape[0] - n0
    if n0 <= n1 or replications < 2:
        return float("nan")
    rng = np.random.default_rng(seed)
    ind = np.array([rng.permutation(n0) for _ in range(replications)])
    m0 = n0 - n1
    Yb = Y[:n0][ind]  # R × N0 × T
    omega0 = fit.omega[ind[:, :m0]]
    s = omega0.sum(axis=1, keepdims=True)
    omega0 = np.where(s != 0, omega0 / np.where(s != 0, s, 1), 1 / m0)
    lam0 = np.repeat(fit.lam[None], replications, axis=0)
    lam, omega = _weights(_collapsed(Yb, m0, t0), m0, t0, lam0, omega0, fit.opts)
    est = _tau(Yb, m0, t0, omega, lam)
    return float(np.sqrt((replications - 1) / replications) * np.std(est, ddof=1))


def jackknife_se(Y: np.ndarray, n0: int, t0: int, fit: Fit) -> float:
    """jackknife_se() with the weights held fixed: leave one unit out at a time. Undefined with one treated
    unit or one control."""
    n = Y.shape[0]
    if n - n0 < 2 or n0 < 2:
        return float("nan")
    u = []
    for i in range(n):
        keep = np.delete(np.arange(n), i)
        m0 = int((keep < n0).sum())
        omega = _sum_normalize(fit.omega[keep[keep < n0]])
        u.append(float(_tau(Y[keep], m0, t0, omega, fit.lam)))
    return float(np.sqrt((n - 1) / n * (n - 1) * np.var(u, ddof=1)))


def estimates_batch(Yb: np.ndarray, n0: int, t0: int, kind: str) -> np.ndarray:
    """The estimator on R matrices at once (R × N × T, controls first), each with its own penalties: the
    permutation test's re-labelled panels."""
    R, n, t = Yb.shape
    n1, t1 = n - n0, t - t0
    d = np.diff(Yb[:, :n0, :t0], axis=2).reshape(R, -1)
    noise = np.std(d, axis=1, ddof=1) if d.shape[1] > 1 else np.zeros(R)
    if kind == "did":
        return _tau(Yb, n0, t0, np.full((R, n0), 1 / n0), np.full((R, t0), 1 / t0))
    o = dict(update_omega=True, update_lambda=kind == "sdid", omega_intercept=kind == "sdid",
             lambda_intercept=True, zeta_lambda=1e-6 * noise, min_decrease=1e-5 * noise, max_iter=10_000,
             sparsify=True, zeta_omega=((n1 * t1) ** 0.25 if kind == "sdid" else 1e-6) * noise)
    lam0 = None if kind == "sdid" else np.zeros((R, t0))
    lam, omega = _weights(_collapsed(Yb, n0, t0), n0, t0, lam0, None, o)
    return _tau(Yb, n0, t0, omega, lam)
