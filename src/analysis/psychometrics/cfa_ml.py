"""Maximum-likelihood CFA from sample moments (single and multi-group), lavaan's fit indices.

Why an own ML engine instead of semopy: semopy 2.3.11 reproduces lavaan's chi-square on the
Holzinger & Swineford (1939) model, but (a) its default SLSQP optimiser stops early (loadings off
in the third decimal unless tolerances are tightened), (b) ``calc_stats`` computes RMSEA with
N - 1 where lavaan uses N, (c) it has no SRMR, (d) its standardised residual covariances differ
from lavaan's ``std.all`` and (e) multi-group models with cross-group equality constraints and
mean structures are awkward to express. So the ML discrepancy, its analytic gradient, the
expected information and lavaan's fit indices are written here directly (numpy/scipy).

Conventions follow lavaan's defaults for continuous data (``estimator = "ML"``,
``likelihood = "normal"``): the sample covariance matrix uses divisor N, the test statistic is
``sum_g N_g F_g``, standard errors come from the expected information with a structured h1, and
RMSEA uses N (times sqrt(G)). The latent scale is set by fixing factor variances to 1
(``std.lv = TRUE``); the standardised solution does not depend on that choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from analysis.psychometrics.cfa_model import (
    Maps,
    MeasurementModel,
    Parameters,
    build_maps,
    inverse_pd,
    model_matrices,
    parameter_gradient,
    start_values,
)
from analysis.psychometrics.errors import CFAError

__all__ = [
    "Fit", "fit_ml_model", "fit_indices", "expected_information", "is_converged", "lower_bounds", "minimize_polished",
    "moment_jacobian", "srmr_bentler",
]


def _objective(x, maps, S, M, w, logdetS, meanstructure):
    """F = sum_g w_g [log|Sigma| + tr(S Sigma^-1) + (m - mu)' Sigma^-1 (m - mu) - log|S| - p]."""
    f = 0.0
    grad = np.zeros_like(x)
    for m, S_g, M_g, w_g, ld in zip(maps, S, M, w, logdetS):
        lam, phi, theta, alpha, sigma, mu = model_matrices(x, m)
        inv = inverse_pd(sigma)
        if inv is None:
            return 1e10, np.zeros_like(x)  # outside the admissible region; the line search backs off
        p = sigma.shape[0]
        sinv, logdet = inv
        fg = logdet + np.trace(S_g @ sinv) - ld - p
        resid = S_g.copy()
        gm = None
        if meanstructure:
            d = M_g - mu
            fg += d @ sinv @ d
            resid = resid + np.outer(d, d)
            gm = -2.0 * sinv @ d  # dF/dmu
        f += w_g * fg
        omega = sinv @ (sigma - resid) @ sinv  # dF/dSigma (elementwise, symmetric)
        parameter_gradient(grad, m, w_g, omega, gm, lam, phi, alpha)
    return f, grad


def moment_jacobian(x, maps, meanstructure):
    """d Sigma_g / d x and d mu_g / d x by central differences.

    Every entry of Sigma and mu is at most quadratic in any single parameter, so a central
    difference is exact up to rounding error.
    """
    q = x.size
    out = []
    for m in maps:
        p = m.lam.shape[0]
        dS = np.zeros((q, p, p))
        dM = np.zeros((q, p))
        for j in range(q):
            h = 1e-5 * max(1.0, abs(x[j]))
            xp, xm = x.copy(), x.copy()
            xp[j] += h
            xm[j] -= h
            *_, sp, mp = model_matrices(xp, m)
            *_, sm, mm_ = model_matrices(xm, m)
            dS[j] = (sp - sm) / (2 * h)
            if meanstructure:
                dM[j] = (mp - mm_) / (2 * h)
        out.append((dS, dM))
    return out


def expected_information(x, maps, w, meanstructure):
    """Unit expected information: sum_g w_g [1/2 tr(Si dS_j Si dS_k) + dmu_j' Si dmu_k]."""
    q = x.size
    info = np.zeros((q, q))
    for m, w_g, (dS, dM) in zip(maps, w, moment_jacobian(x, maps, meanstructure)):
        *_, sigma, _mu = model_matrices(x, m)
        sinv = np.linalg.inv(sigma)
        a = np.einsum("ab,jbc,cd->jad", sinv, dS, sinv, optimize=True)
        info += w_g * 0.5 * a.reshape(q, -1) @ dS.reshape(q, -1).T
        if meanstructure:
            info += w_g * dM @ sinv @ dM.T
    return info


@dataclass
class Fit:
    """A fitted (multi-group) CFA: estimates, covariance matrix, test statistics, SRMR."""

    x: np.ndarray
    vcov: np.ndarray
    maps: list[Maps]
    pars: Parameters
    fmin: float
    converged: bool
    message: str
    n_iter: int
    chisq: float
    df: int
    baseline_chisq: float
    baseline_df: int
    srmr: float
    n: int
    n_groups: int
    # FIML only: log-likelihoods of H0 and the saturated H1, EM-estimated H1 moments per group,
    # missing-data patterns (summed over groups)
    logl: float = np.nan
    logl_h1: float = np.nan
    h1_mean: list[np.ndarray] | None = None
    h1_cov: list[np.ndarray] | None = None
    n_patterns: int = 1


def lower_bounds(kinds) -> np.ndarray:
    """0 for residual and factor variances, -inf for every other parameter."""
    return np.array([0.0 if k in ("residual", "factor_var") else -np.inf for k in kinds])


def is_converged(x, grad, kinds, fmin) -> bool:
    """Projected gradient below 1e-6: a variance held at its bound of 0 may have a positive
    gradient (the unbounded optimum is negative, a Heywood case reported separately)."""
    g = np.where((x <= lower_bounds(kinds)) & (grad > 0), 0.0, grad)
    return bool(np.max(np.abs(g)) < 1e-6) and fmin < 1e9


def minimize_polished(fun, x0, kinds, information, *, max_iter: int, polish_steps: int):
    """Minimise ``fun`` (returns F, dF/dx) by L-BFGS-B, then polish by Fisher scoring.

    Residual and factor variances are bounded at 0 (lavaan leaves them free and reports a Heywood
    case; `cfa` reports a value at the bound as a problem instead). The scoring steps use
    ``2 * information(x)`` (unit information, computed once at the L-BFGS-B solution) as the
    curvature of F = -2 logL / N + const; they take the gradient from ~1e-8 to rounding level,
    so estimates match lavaan to all printed digits. Returns (x, scipy result).
    """
    lo = lower_bounds(kinds)
    bounds = [(0.0, None) if np.isfinite(b) else (None, None) for b in lo]
    res = optimize.minimize(
        fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": max_iter, "maxfun": 4 * max_iter, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 30},
    )
    x = res.x
    curvature = None
    for _ in range(polish_steps):
        f, g = fun(x)
        if np.max(np.abs(g)) < 1e-12:
            break
        try:
            if curvature is None:
                curvature = 2.0 * information(x)
            step = np.linalg.solve(curvature, g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        moved = False
        while t > 1e-4:
            x_new = np.maximum(x - t * step, lo)
            if fun(x_new)[0] <= f + 1e-14:
                x, moved = x_new, True
                break
            t /= 2
        if not moved:
            break
    return x, res


def fit_ml_model(
    S: Sequence[np.ndarray],
    M: Sequence[np.ndarray] | None,
    n: Sequence[int],
    model: MeasurementModel,
    *,
    meanstructure: bool = False,
    equal_loadings: bool = False,
    equal_intercepts: bool = False,
    orthogonal: bool = False,
    max_iter: int = 10_000,
) -> Fit:
    """Fit one (multi-group) CFA by ML from sample moments (covariances with divisor N)."""
    G = len(S)
    p = len(model.items)
    n = [int(v) for v in n]
    N = sum(n)
    if meanstructure and M is None:
        raise ValueError("fit_ml_model: meanstructure=True needs the group means M")
    M = list(M) if M is not None else [np.zeros(p)] * G
    logdetS = []
    for g, S_g in enumerate(S):
        sign, ld = np.linalg.slogdet(S_g)
        d = np.sqrt(np.clip(np.diag(S_g), 0, None))
        with np.errstate(invalid="ignore", divide="ignore"):
            min_eig = np.linalg.eigvalsh(S_g / np.outer(d, d)).min() if (d > 0).all() else 0.0
        if sign <= 0 or not np.isfinite(ld) or not min_eig > 1e-10:
            raise CFAError(
                f"group {g}: the item covariance matrix is not positive definite "
                "(a constant item, perfectly collinear items or fewer respondents than items)"
            )
        logdetS.append(ld)
    maps, pars = build_maps(
        model, G, meanstructure=meanstructure, equal_loadings=equal_loadings,
        equal_intercepts=equal_intercepts, orthogonal=orthogonal,
    )
    q = len(pars.kind)
    moments = G * (p * (p + 1) // 2 + (p if meanstructure else 0))
    df = moments - q
    try:
        with threadpool_limits(limits=1, user_api="blas"):  # small matrices: threads only add contention
            return _fit_ml(S, M, n, N, model, maps, pars, logdetS, df, meanstructure, max_iter)
    except np.linalg.LinAlgError as exc:  # numerically singular along the way
        raise CFAError(f"the model-implied or sample covariance matrix is not positive definite ({exc})") from None


def _fit_ml(S, M, n, N, model, maps, pars, logdetS, df, meanstructure, max_iter) -> Fit:
    G = len(S)
    p = len(model.items)
    q = len(pars.kind)
    w = np.array(n, dtype=float) / N
    x0 = start_values(model, maps, pars, S, M, meanstructure)
    x, res = minimize_polished(
        lambda v: _objective(v, maps, S, M, w, logdetS, meanstructure), x0, pars.kind,
        lambda v: expected_information(v, maps, w, meanstructure), max_iter=max_iter, polish_steps=3,
    )
    fmin, grad = _objective(x, maps, S, M, w, logdetS, meanstructure)
    info = expected_information(x, maps, w, meanstructure)
    try:
        vcov = np.linalg.inv(info) / N
    except np.linalg.LinAlgError:
        vcov = np.full((q, q), np.nan)
    converged = is_converged(x, grad, pars.kind, fmin)
    # Baseline (independence) model: diagonal Sigma = diag(S), saturated means; closed form.
    base = sum(
        n_g * (np.log(np.diag(S_g)).sum() - ld) for n_g, S_g, ld in zip(n, S, logdetS)
    )
    base_df = G * (p * (p + 1) // 2 - p)
    srmr = srmr_bentler(x, maps, S, M, w, meanstructure)
    return Fit(
        x=x, vcov=vcov, maps=maps, pars=pars, fmin=fmin, converged=converged,
        message=str(res.message), n_iter=int(res.nit), chisq=float(N * fmin), df=int(df),
        baseline_chisq=float(base), baseline_df=int(base_df), srmr=srmr, n=N, n_groups=G,
    )


def srmr_bentler(x, maps, S, M, w, meanstructure) -> float:
    """lavaan's default ``srmr`` (= ``srmr_bentler``), weighted over groups by N_g / N.

    Residuals ``s_ij - sigma_ij`` are divided by ``sqrt(s_ii s_jj)`` of the *observed* variances
    (lavResiduals type "cor.bentler"), averaged over the p(p+1)/2 non-duplicated elements
    (diagonal included) and, with a mean structure, the p mean residuals divided by sqrt(s_ii).
    """
    out = 0.0
    for m, S_g, M_g, w_g in zip(maps, S, M, w):
        *_, sigma, mu = model_matrices(x, m)
        sd = np.sqrt(np.diag(S_g))
        r = (S_g - sigma) / np.outer(sd, sd)
        iu = np.triu_indices_from(r)
        sq = (r[iu] ** 2).sum()
        cnt = iu[0].size
        if meanstructure:
            sq += (((M_g - mu) / sd) ** 2).sum()
            cnt += sd.size
        out += w_g * np.sqrt(sq / cnt)
    return float(out)


def _rmsea_ci(chisq: float, df: int, n: int, n_groups: int, level: float = 0.90) -> tuple[float, float]:
    """Steiger's noncentral-chi-square interval, lavaan style (N, times sqrt(G))."""
    if df <= 0:
        return (np.nan, np.nan)
    lo_p, hi_p = (1 + level) / 2, (1 - level) / 2

    def ncp_for(prob: float) -> float:
        f = lambda lam: stats.ncx2.cdf(chisq, df, lam) - prob if lam > 0 else stats.chi2.cdf(chisq, df) - prob
        if f(0.0) < 0:  # even lambda = 0 gives a cdf below prob
            return 0.0
        hi = max(chisq, 1.0)
        while f(hi) > 0:
            hi *= 2
        return optimize.brentq(f, 0.0, hi, xtol=1e-12)

    lam_l, lam_u = ncp_for(lo_p), ncp_for(hi_p)
    scale = np.sqrt(n_groups)
    return (np.sqrt(lam_l / (n * df)) * scale, np.sqrt(lam_u / (n * df)) * scale)


def fit_indices(fit: Fit) -> dict[str, float]:
    chisq, df, b, bdf, N, G = fit.chisq, fit.df, fit.baseline_chisq, fit.baseline_df, fit.n, fit.n_groups
    p = float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan
    num = max(chisq - df, 0.0)
    den = max(chisq - df, b - bdf, 0.0)
    cfi = 1.0 - num / den if den > 0 else 1.0
    tli = ((b / bdf) - (chisq / df)) / ((b / bdf) - 1.0) if df > 0 and bdf > 0 else np.nan
    rmsea = np.sqrt(max(chisq / N / df - 1.0 / N, 0.0)) * np.sqrt(G) if df > 0 else 0.0
    lo, hi = _rmsea_ci(chisq, df, N, G)
    return {
        "chisq": chisq, "df": df, "p": p, "chisq_df": chisq / df if df > 0 else np.nan,
        "cfi": cfi, "tli": tli, "rmsea": rmsea,
        "rmsea_ci_low": lo, "rmsea_ci_high": hi, "srmr": fit.srmr,
        "baseline_chisq": b, "baseline_df": bdf,
    }


