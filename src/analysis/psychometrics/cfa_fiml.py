"""Full-information ML (lavaan ``missing = "ml"``/``"fiml"``) for single and multi-group CFA.

The casewise normal likelihood is summed over missing-data patterns. Every pattern-level quantity
comes from the inverse ``P = Sigma^-1`` of the full model covariance matrix, computed once per
evaluation: with ``m`` the r missing items of a pattern and ``o`` the observed ones,

    Sigma_oo^-1 = P_oo - P_om P_mm^-1 P_mo,      log|Sigma_oo| = log|Sigma| + log|P_mm|,

so a pattern costs O(r p^2) (r x r inverses) instead of the O(p_o^3) of inverting Sigma_oo, and
the data part ``sum_k w_k P C_k P`` is one product with the pooled pattern covariances. Survey
data have many patterns with one or two skipped items: on the bundled 49-item staff model
(365 respondents, 146 patterns) one evaluation of F and its gradient went from 36 ms to 2.4 ms
(single-threaded, 2-core machine). The EM algorithm for the saturated (H1) model uses the same
identities (the regression of the missing on the observed items is ``-P_mm^-1 P_mo``, its
residual covariance ``P_mm^-1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from analysis.psychometrics.cfa_ml import (
    Fit,
    expected_information,
    fit_ml_model,
    is_converged,
    lower_bounds,
    minimize_polished,
    moment_jacobian,
    srmr_bentler,
)
from analysis.psychometrics.cfa_model import (
    MeasurementModel,
    inverse_pd,
    build_maps,
    model_matrices,
    parameter_gradient,
    start_values,
)
from analysis.psychometrics.errors import CFAError

__all__ = ["PatternData", "pattern_data", "fiml_moments", "em_saturated", "fit_fiml_model"]


@dataclass
class _Batch:
    """Patterns of one group with the same number r of missing items, stacked."""

    mis: np.ndarray  # (K, r) missing item indices
    obs: np.ndarray  # (K, p) 1.0 where observed
    n: np.ndarray  # (K,) respondents
    w: np.ndarray  # (K,) n_k / N_g
    mean: np.ndarray  # (K, p) pattern means, 0 where missing
    cov: np.ndarray  # (K, p, p) pattern covariances (divisor n_k), 0 in missing rows/columns


@dataclass
class PatternData:
    """One group's raw data summarised by missing-data pattern (the FIML sufficient statistics)."""

    n: int
    p: int
    batches: list[_Batch]
    cw: np.ndarray  # sum_k w_k C_k over all patterns (p x p)
    observed: list[np.ndarray]  # observed item indices per pattern
    counts: np.ndarray  # respondents per pattern
    n_observed_values: int  # sum_k n_k p_k, for the log(2 pi) constant

    @property
    def n_patterns(self) -> int:
        return len(self.observed)


def pattern_data(x: np.ndarray) -> PatternData:
    """Group the rows of ``x`` (NaN = missing; no all-missing rows) by missing-data pattern."""
    N, p = x.shape
    observed = ~np.isnan(x)
    keys, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    per_r: dict[int, list] = {}
    obs_list, counts = [], []
    cw = np.zeros((p, p))
    for k in range(keys.shape[0]):
        o = np.nonzero(keys[k])[0]
        rows = x[inverse == k][:, o]
        n_k = rows.shape[0]
        mean = np.zeros(p)
        mean[o] = rows.mean(axis=0)
        c = rows - rows.mean(axis=0)
        cov = np.zeros((p, p))
        cov[np.ix_(o, o)] = c.T @ c / n_k
        cw += (n_k / N) * cov
        per_r.setdefault(p - o.size, []).append((np.nonzero(~keys[k])[0], keys[k].astype(float), n_k, mean, cov))
        obs_list.append(o)
        counts.append(n_k)
    batches = []
    for r in sorted(per_r):
        grp = per_r[r]
        n = np.array([g[2] for g in grp], dtype=float)
        batches.append(_Batch(
            mis=np.array([g[0] for g in grp], dtype=int).reshape(len(grp), r), obs=np.stack([g[1] for g in grp]),
            n=n, w=n / N, mean=np.stack([g[3] for g in grp]), cov=np.stack([g[4] for g in grp]),
        ))
    counts = np.array(counts)
    return PatternData(n=N, p=p, batches=batches, cw=cw, observed=obs_list, counts=counts,
                       n_observed_values=int(sum(c * o.size for c, o in zip(counts, obs_list))))


def _missing_blocks(P: np.ndarray, b: _Batch):
    """P_m. (K, r, p), P_mm^-1 (K, r, r) and log|P_mm| (K,) of a batch."""
    Pr = P[b.mis]
    Pmm = np.take_along_axis(Pr, b.mis[:, None, :], axis=2)
    c = np.linalg.cholesky(Pmm)
    R = np.linalg.inv(Pmm)
    return Pr, (R + np.swapaxes(R, 1, 2)) / 2, 2.0 * np.log(np.diagonal(c, axis1=1, axis2=2)).sum(axis=1)


def fiml_moments(sigma: np.ndarray, mu: np.ndarray, data: PatternData):
    """F = sum_k w_k [log|S_oo| + tr(S_oo^-1 (C_k + d_k d_k'))], d_k = m_k - mu_o, w_k = n_k / N.

    ``-2 logL = N F + log(2 pi) sum_k n_k p_k``. Returns F, dF/dSigma (p x p, entries treated as
    independent) and dF/dmu; F = inf outside the positive-definite region.
    """
    inv = inverse_pd(sigma)
    if inv is None:
        return np.inf, None, None
    P, logdet = inv
    f = logdet + float((P * data.cw).sum())
    G = P - P @ data.cw @ P
    g_mu = np.zeros(data.p)
    for b in data.batches:
        d = (b.mean - mu) * b.obs
        if b.mis.shape[1] == 0:
            Y = d @ P  # Sigma^-1 d for complete patterns
        else:
            Pr, R, logdet_mm = _missing_blocks(P, b)
            RP = R @ Pr  # P_mm^-1 P_m.
            Z = Pr @ b.cov  # P_m. C_k
            ZPm = Z @ np.swapaxes(Pr, 1, 2)  # P_m. C_k P_.m
            f += float(b.w @ logdet_mm) - float(b.w @ (R * ZPm).sum(axis=(1, 2)))  # R, ZPm symmetric
            # sum_k w_k S_oo^-1 = P - sum w U_k with U_k = P_.m R P_m.; and the three U terms of
            # -(P - U) C (P - U)
            G -= _wsum(b.w, Pr, RP)
            T = _wsum(b.w, RP, Z) @ P
            G += T + T.T
            G -= _wsum(b.w, RP, ZPm @ RP)
            Y = d @ P - (np.swapaxes(RP, 1, 2) @ (Pr @ d[:, :, None]))[:, :, 0]
        f += float(b.w @ (d * Y).sum(axis=1))
        G -= (Y.T * b.w) @ Y
        g_mu -= 2.0 * (b.w @ Y)
    return f, G, g_mu


def _wsum(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum_k w_k a_k' b_k for stacks a, b of shape (K, r, p): one matrix product."""
    K, r, p = a.shape
    return (a * w[:, None, None]).reshape(K * r, p).T @ b.reshape(K * r, p)


def _scatter(p: int, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
    flat = (rows * p + cols).ravel()
    return np.bincount(flat, weights=vals.ravel(), minlength=p * p).reshape(p, p)


def em_saturated(data: PatternData, mu: np.ndarray, sigma: np.ndarray, *, tol: float = 1e-10,
                 max_iter: int = 10_000) -> tuple[np.ndarray, np.ndarray, int]:
    """Saturated (H1) means and covariances by EM (Dempster, Laird & Rubin 1977; Enders 2010 ch. 4).

    Starts from ``mu``, ``sigma`` (e.g. the available-case means and variances); stops when no
    mean or covariance moves by more than ``tol`` (relative to the variances).
    Returns (mu, sigma, n_iter).
    """
    N, p = data.n, data.p
    ar = np.arange(p)
    for it in range(1, max_iter + 1):
        inv = inverse_pd(sigma)
        if inv is None:
            raise CFAError("the EM-estimated item covariance matrix is not positive definite")
        P = inv[0]
        t1 = np.zeros(p)
        t2 = N * data.cw
        for b in data.batches:
            yhat = b.mean + (1.0 - b.obs) * mu  # observed: pattern means; missing: mu_m + B d_o
            if b.mis.shape[1]:
                d = (b.mean - mu) * b.obs
                Pr, R, _ = _missing_blocks(P, b)
                RP = R @ Pr
                np.put_along_axis(yhat, b.mis, np.take_along_axis(yhat, b.mis, axis=1)
                                  - (RP @ d[:, :, None])[:, :, 0], axis=1)
                # E[C] = H C H' + E_m R E_m', H = I - E_m P_mm^-1 P_m.
                Z = RP @ b.cov
                nz = b.n[:, None, None] * Z
                zc = _scatter(p, b.mis[:, :, None], ar[None, None, :], nz)
                t2 = t2 - zc - zc.T + _scatter(p, b.mis[:, :, None], b.mis[:, None, :],
                                               b.n[:, None, None] * (Z @ np.swapaxes(RP, 1, 2) + R))
            t1 += b.n @ yhat
            t2 = t2 + (yhat.T * b.n) @ yhat
        mu_new = t1 / N
        sigma_new = t2 / N - np.outer(mu_new, mu_new)
        sigma_new = (sigma_new + sigma_new.T) / 2
        scale = np.sqrt(np.diag(sigma_new))
        change = max(np.max(np.abs(mu_new - mu) / scale), np.max(np.abs(sigma_new - sigma) / np.outer(scale, scale)))
        mu, sigma = mu_new, sigma_new
        if change < tol:
            return mu, sigma, it
    raise CFAError(f"EM for the saturated (H1) model did not converge in {max_iter} iterations")


def _objective(x, maps, datas, wg):
    f = 0.0
    grad = np.zeros_like(x)
    for m, data, w in zip(maps, datas, wg):
        lam, phi, _theta, alpha, sigma, mu = model_matrices(x, m)
        fg, G, gm = fiml_moments(sigma, mu, data)
        if not np.isfinite(fg):
            return 1e10, np.zeros_like(x)  # outside the admissible region; the line search backs off
        f += w * fg
        parameter_gradient(grad, m, w, G, gm, lam, phi, alpha)
    return f, grad


def _observed_information(x, fun, lower):
    """Unit observed information = Hessian of -logL / N = 1/2 d2F/dx2 (central differences of the
    analytic gradient, one-sided for a parameter at its lower bound; symmetrised; lavaan
    ``observed.information = "hessian"``)."""
    q = x.size
    h_mat = np.empty((q, q))
    for j in range(q):
        h = 1e-5 * max(1.0, abs(x[j]))
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        if x[j] - h >= lower[j]:
            xm[j] -= h
        h_mat[:, j] = (fun(xp)[1] - fun(xm)[1]) / (xp[j] - xm[j])
    return 0.25 * (h_mat + h_mat.T)


def _expected_information_fiml(x, maps, datas, N):
    """Unit expected information over patterns: sum_k (n_k/N) [1/2 tr(Si dS_j Si dS_l) + dmu_j' Si dmu_l]."""
    q = x.size
    info = np.zeros((q, q))
    for m, data, (dS, dM) in zip(maps, datas, moment_jacobian(x, maps, True)):
        *_, sigma, _mu = model_matrices(x, m)
        for o, n_k in zip(data.observed, data.counts):
            sinv = np.linalg.inv(sigma[np.ix_(o, o)])
            ds = dS[:, o][:, :, o]
            dm = dM[:, o]
            a = np.einsum("ab,jbc,cd->jad", sinv, ds, sinv, optimize=True)
            info += (n_k / N) * (0.5 * a.reshape(q, -1) @ ds.reshape(q, -1).T + dm @ sinv @ dm.T)
    return info


def fit_fiml_model(
    x: np.ndarray | Sequence[np.ndarray],
    model: MeasurementModel,
    *,
    equal_loadings: bool = False,
    equal_intercepts: bool = False,
    orthogonal: bool = False,
    information: str = "observed",
    max_iter: int = 10_000,
) -> Fit:
    """Fit a (multi-group) CFA by full-information ML on raw data with NaN for missing values.

    ``x`` is one (n, p) array or one per group, columns in the order of ``model.items``; rows
    without any observed value must already be removed. Intercepts are free per group unless
    ``equal_intercepts`` (then factor means are free in groups 2..G), as lavaan's
    ``missing = "ml"`` with ``group.equal``. Start values come from the EM (H1) moments.
    """
    # Small (p <= ~100) matrices: BLAS threads only add synchronisation cost, and on a busy 2-core
    # machine they made the same fit 5-10 times slower.
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_fiml(x, model, equal_loadings, equal_intercepts, orthogonal, information, max_iter)


def _fit_fiml(x, model, equal_loadings, equal_intercepts, orthogonal, information, max_iter) -> Fit:
    xs = [x] if isinstance(x, np.ndarray) else list(x)
    p = len(model.items)
    datas, h1 = [], []
    for g, xg in enumerate(xs):
        few = [model.items[j] for j in range(p) if (~np.isnan(xg[:, j])).sum() < 2]
        if few:
            raise CFAError(f"item(s) {few} have fewer than 2 observed values{f' in group {g}' if len(xs) > 1 else ''}; "
                           "FIML cannot estimate their variance")
        data = pattern_data(xg)
        mu1, sigma1, _ = em_saturated(data, np.nanmean(xg, axis=0), np.diag(np.nanvar(xg, axis=0)))
        d = np.sqrt(np.diag(sigma1))
        if not (d > 0).all() or np.linalg.eigvalsh(sigma1 / np.outer(d, d)).min() <= 1e-10:
            raise CFAError("the EM-estimated item covariance matrix is not positive definite "
                           "(a constant item, perfectly collinear items or fewer respondents than items)")
        datas.append(data)
        h1.append((mu1, sigma1))
    G = len(xs)
    n = np.array([dt.n for dt in datas], dtype=float)
    N = int(n.sum())
    wg = n / N
    maps, pars = build_maps(model, G, meanstructure=True, equal_loadings=equal_loadings,
                            equal_intercepts=equal_intercepts, orthogonal=orthogonal)
    q = len(pars.kind)
    S1, M1 = [s for _, s in h1], [mu for mu, _ in h1]

    def fun(v):
        return _objective(v, maps, datas, wg)

    # Start from the ML solution for the EM moments (cheap: one p x p inverse per evaluation; it is
    # the FIML solution when nothing is missing and close to it otherwise).
    try:
        x0 = fit_ml_model(S1, M1, n, model, meanstructure=True, equal_loadings=equal_loadings,
                          equal_intercepts=equal_intercepts, orthogonal=orthogonal).x
    except CFAError:
        x0 = start_values(model, maps, pars, S1, M1, True)
    # Scoring steps with the complete-data expected information as curvature: exact Fisher
    # scoring without missing values; with missing values linear convergence at the rate of the
    # fraction of missing information, at the cost of one pattern instead of all of them.
    xh, res = minimize_polished(fun, x0, pars.kind, lambda v: expected_information(v, maps, wg, True),
                                max_iter=max_iter, polish_steps=30)
    fmin, grad = fun(xh)
    lo = lower_bounds(pars.kind)
    vcov = np.full((q, q), np.nan)
    if information != "none":  # "none": a fit only compared by its indices needs no 2q gradient evaluations
        info = _observed_information(xh, fun, lo) if information == "observed" else _expected_information_fiml(xh, maps, datas, N)
        try:
            vcov = np.linalg.inv(info) / N
        except np.linalg.LinAlgError:
            pass
    f_h1 = sum(w * fiml_moments(s, mu, dt)[0] for w, (mu, s), dt in zip(wg, h1, datas))
    # Baseline: independent items with free means and variances per group; under FIML its ML
    # estimates are the available-case means and variances (divisor n_j): the likelihood factorises.
    f_base = sum(w * fiml_moments(np.diag(np.nanvar(xg, axis=0)), np.nanmean(xg, axis=0), dt)[0]
                 for w, xg, dt in zip(wg, xs, datas))
    srmr = srmr_bentler(xh, maps, S1, M1, wg, True)
    const = np.log(2 * np.pi) * sum(dt.n_observed_values for dt in datas)
    return Fit(
        x=xh, vcov=vcov, maps=maps, pars=pars, fmin=fmin, converged=is_converged(xh, grad, pars.kind, fmin),
        message=str(res.message), n_iter=int(res.nit), chisq=float(N * (fmin - f_h1)),
        df=int(G * (p * (p + 1) // 2 + p) - q), baseline_chisq=float(N * (f_base - f_h1)),
        baseline_df=int(G * (p * (p - 1) // 2)), srmr=srmr, n=N, n_groups=G,
        logl=-0.5 * (N * fmin + const), logl_h1=-0.5 * (N * f_h1 + const), h1_mean=M1, h1_cov=S1,
        n_patterns=sum(dt.n_patterns for dt in datas),
    )
