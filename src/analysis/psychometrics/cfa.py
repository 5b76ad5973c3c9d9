"""Confirmatory factor analysis (maximum likelihood) for measurement models, single and multi-group.

Why an own ML engine instead of semopy: semopy 2.3.11 reproduces lavaan's chi-square on the
Holzinger & Swineford (1939) model, but (a) its default SLSQP optimiser stops early (loadings off
in the third decimal unless tolerances are tightened), (b) ``calc_stats`` computes RMSEA with
N - 1 where lavaan uses N, (c) it has no SRMR, (d) its standardised residual covariances differ
from lavaan's ``std.all`` and (e) multi-group models with cross-group equality constraints and
mean structures are awkward to express. A CFA is only ``Sigma = Lambda Phi Lambda' + Theta``
(plus ``mu = nu + Lambda alpha``), so the ML discrepancy, its analytic gradient, the expected
information and lavaan's fit indices are written here directly (numpy/scipy) and checked against
lavaan's published output (tests/test_cfa.py) and against semopy's chi-square.

Conventions follow lavaan's defaults for continuous data (``estimator = "ML"``,
``likelihood = "normal"``): the sample covariance matrix uses divisor N, the test statistic is
``sum_g N_g F_g``, standard errors come from the expected information with a structured h1, and
RMSEA uses N. The latent scale is set by fixing factor variances to 1 (``std.lv = TRUE``); the
standardised solution (``std.all``) does not depend on that choice.

``cfa(..., missing="fiml")`` fits the single-group model by full-information ML (lavaan
``missing = "ml"``): casewise normal likelihood over missing-data patterns with free intercepts,
EM-estimated saturated (H1) model, observed-information SEs by default (`fit_fiml_model`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["CFAResult", "cfa", "fit_ml_model", "fit_fiml_model", "MeasurementModel"]


class CFAError(ValueError):
    """A CFA cannot be estimated (singular covariance matrix, too few respondents, ...)."""


# --------------------------------------------------------------------------------------------
# Model specification and parameter bookkeeping
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasurementModel:
    """Factors -> indicators, e.g. ``{"visual": ("x1", "x2", "x3"), ...}``."""

    factors: tuple[str, ...]
    items: tuple[str, ...]
    pattern: np.ndarray = field(repr=False)  # (p, k) bool: item i loads on factor j

    @classmethod
    def from_mapping(cls, model: Mapping[str, Sequence[str]]) -> "MeasurementModel":
        if not model:
            raise ValueError("model: needs at least one factor, e.g. {'F1': ['i1', 'i2', 'i3']}")
        factors = tuple(str(f) for f in model)
        items: list[str] = []
        for f, its in model.items():
            its = list(its)
            if len(its) < 1:
                raise ValueError(f"model: factor '{f}' has no items; give it at least 2")
            for it in its:
                if it not in items:
                    items.append(str(it))
        pattern = np.zeros((len(items), len(factors)), dtype=bool)
        for j, (f, its) in enumerate(model.items()):
            for it in its:
                pattern[items.index(str(it)), j] = True
        return cls(factors=factors, items=tuple(items), pattern=pattern)


@dataclass
class _Maps:
    """Per-group index maps from matrix entries to the free-parameter vector (-1 = fixed)."""

    lam: np.ndarray  # (p, k) int
    lam_fix: np.ndarray  # (p, k) float
    phi: np.ndarray  # (k, k) int, symmetric
    phi_fix: np.ndarray  # (k, k)
    theta: np.ndarray  # (p,) int
    nu: np.ndarray | None  # (p,) int
    alpha: np.ndarray | None  # (k,) int
    alpha_fix: np.ndarray | None


class _Parameters:
    def __init__(self) -> None:
        self.kind: list[str] = []
        self.label: list[tuple] = []

    def new(self, kind: str, label: tuple) -> int:
        self.kind.append(kind)
        self.label.append(label)
        return len(self.kind) - 1


def _build_maps(
    mm: MeasurementModel,
    n_groups: int,
    *,
    meanstructure: bool,
    equal_loadings: bool,
    equal_intercepts: bool,
    orthogonal: bool = False,
) -> tuple[list[_Maps], _Parameters]:
    p, k = mm.pattern.shape
    pars = _Parameters()
    shared_lam: dict[tuple[int, int], int] = {}
    shared_nu: dict[int, int] = {}
    maps: list[_Maps] = []
    for g in range(n_groups):
        lam = -np.ones((p, k), dtype=int)
        for i, j in zip(*np.nonzero(mm.pattern)):
            if equal_loadings and (i, j) in shared_lam:
                lam[i, j] = shared_lam[(i, j)]
            else:
                lam[i, j] = pars.new("loading", (g, mm.factors[j], mm.items[i]))
                if equal_loadings:
                    shared_lam[(i, j)] = lam[i, j]
        phi = -np.ones((k, k), dtype=int)
        phi_fix = np.eye(k)
        for a in range(k):
            # Latent scale: variance 1 in the reference group (and in every group when loadings
            # are free per group); with equal loadings the other groups' variances are free.
            if g > 0 and equal_loadings:
                phi[a, a] = pars.new("factor_var", (g, mm.factors[a], mm.factors[a]))
            for b in range(a):
                if not orthogonal:
                    phi[a, b] = phi[b, a] = pars.new("factor_cov", (g, mm.factors[a], mm.factors[b]))
        theta = np.array([pars.new("residual", (g, it, it)) for it in mm.items], dtype=int)
        nu = alpha = alpha_fix = None
        if meanstructure:
            nu = np.empty(p, dtype=int)
            for i in range(p):
                if equal_intercepts and i in shared_nu:
                    nu[i] = shared_nu[i]
                else:
                    nu[i] = pars.new("intercept", (g, mm.items[i], ""))
                    if equal_intercepts:
                        shared_nu[i] = nu[i]
            alpha = -np.ones(k, dtype=int)
            alpha_fix = np.zeros(k)
            if g > 0 and equal_intercepts:
                for a in range(k):
                    alpha[a] = pars.new("factor_mean", (g, mm.factors[a], ""))
        maps.append(_Maps(lam, np.zeros((p, k)), phi, phi_fix, theta, nu, alpha, alpha_fix))
    return maps, pars


def _take(x: np.ndarray, idx: np.ndarray, fixed: np.ndarray | float) -> np.ndarray:
    return np.where(idx >= 0, x[np.maximum(idx, 0)], fixed)


def _matrices(x: np.ndarray, m: _Maps):
    lam = _take(x, m.lam, m.lam_fix)
    phi = _take(x, m.phi, m.phi_fix)
    theta = x[m.theta]
    sigma = lam @ phi @ lam.T + np.diag(theta)
    mu = None
    alpha = None
    if m.nu is not None:
        alpha = _take(x, m.alpha, m.alpha_fix)
        mu = x[m.nu] + lam @ alpha
    return lam, phi, theta, alpha, sigma, mu


# --------------------------------------------------------------------------------------------
# ML discrepancy, gradient, information
# --------------------------------------------------------------------------------------------


def _objective(x, maps, S, M, w, logdetS, meanstructure):
    """F = sum_g w_g [log|Sigma| + tr(S Sigma^-1) + (m - mu)' Sigma^-1 (m - mu) - log|S| - p]."""
    f = 0.0
    grad = np.zeros_like(x)
    for m, S_g, M_g, w_g, ld in zip(maps, S, M, w, logdetS):
        lam, phi, theta, alpha, sigma, mu = _matrices(x, m)
        try:
            c = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(x)  # outside the admissible region; the line search backs off
        p = sigma.shape[0]
        sinv = np.linalg.inv(sigma)
        logdet = 2.0 * np.log(np.diag(c)).sum()
        fg = logdet + np.trace(S_g @ sinv) - ld - p
        resid = S_g.copy()
        if meanstructure:
            d = M_g - mu
            fg += d @ sinv @ d
            resid = resid + np.outer(d, d)
        f += w_g * fg
        omega = sinv @ (sigma - resid) @ sinv  # dF/dSigma (elementwise, symmetric)
        g_lam = 2.0 * omega @ lam @ phi
        g_phi = lam.T @ omega @ lam
        g_theta = np.diag(omega)
        if meanstructure:
            gm = -2.0 * sinv @ d  # dF/dmu
            g_lam = g_lam + np.outer(gm, alpha)
            np.add.at(grad, m.nu, w_g * gm)
            sel = m.alpha >= 0
            np.add.at(grad, m.alpha[sel], w_g * (lam.T @ gm)[sel])
        sel = m.lam >= 0
        np.add.at(grad, m.lam[sel], w_g * g_lam[sel])
        sel = m.phi >= 0
        np.add.at(grad, m.phi[sel], w_g * g_phi[sel])
        np.add.at(grad, m.theta, w_g * g_theta)
    return f, grad


def _moment_jacobian(x, maps, meanstructure):
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
            *_, sp, mp = _matrices(xp, m)
            *_, sm, mm_ = _matrices(xm, m)
            dS[j] = (sp - sm) / (2 * h)
            if meanstructure:
                dM[j] = (mp - mm_) / (2 * h)
        out.append((dS, dM))
    return out


def _expected_information(x, maps, w, meanstructure):
    """Unit expected information: sum_g w_g [1/2 tr(Si dS_j Si dS_k) + dmu_j' Si dmu_k]."""
    q = x.size
    info = np.zeros((q, q))
    for m, w_g, (dS, dM) in zip(maps, w, _moment_jacobian(x, maps, meanstructure)):
        *_, sigma, _mu = _matrices(x, m)
        sinv = np.linalg.inv(sigma)
        a = np.einsum("ab,jbc,cd->jad", sinv, dS, sinv, optimize=True)
        info += w_g * 0.5 * a.reshape(q, -1) @ dS.reshape(q, -1).T
        if meanstructure:
            info += w_g * dM @ sinv @ dM.T
    return info


# --------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------


@dataclass
class _Fit:
    x: np.ndarray
    vcov: np.ndarray
    maps: list[_Maps]
    pars: _Parameters
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
    # FIML only: log-likelihoods of H0 and the saturated H1, EM-estimated H1 moments, patterns
    logl: float = np.nan
    logl_h1: float = np.nan
    h1_mean: np.ndarray | None = None
    h1_cov: np.ndarray | None = None
    n_patterns: int = 1


def _start_values(mm, maps, pars, S, M, meanstructure):
    x = np.zeros(len(pars.kind))
    s_pool = sum(S) / len(S)
    sd = np.sqrt(np.diag(s_pool))
    lam0 = np.zeros(mm.pattern.shape)
    for j in range(mm.pattern.shape[1]):
        idx = np.nonzero(mm.pattern[:, j])[0]
        block = s_pool[np.ix_(idx, idx)]
        if idx.size == 1:
            lam0[idx, j] = np.sqrt(0.5 * block[0, 0])
            continue
        r = block / np.outer(sd[idx], sd[idx])
        vals, vecs = np.linalg.eigh(r)
        v = vecs[:, -1] * np.sign(vecs[:, -1].sum() or 1.0)
        lam0[idx, j] = np.clip(v * np.sqrt(max(vals[-1], 1e-3)), 0.1, 0.95) * sd[idx]
    for g, m in enumerate(maps):
        sel = m.lam >= 0
        x[m.lam[sel]] = lam0[sel]
        comm = (lam0**2).sum(axis=1)
        x[m.theta] = np.maximum(np.diag(S[g]) - comm, 0.1 * np.diag(S[g]))
        for a in range(m.phi.shape[0]):
            if m.phi[a, a] >= 0:
                x[m.phi[a, a]] = 1.0
        if meanstructure:
            x[m.nu] = M[g]
    return x


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
) -> _Fit:
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
    maps, pars = _build_maps(
        model, G, meanstructure=meanstructure, equal_loadings=equal_loadings,
        equal_intercepts=equal_intercepts, orthogonal=orthogonal,
    )
    q = len(pars.kind)
    moments = G * (p * (p + 1) // 2 + (p if meanstructure else 0))
    df = moments - q
    try:
        return _fit_ml(S, M, n, N, model, maps, pars, logdetS, df, meanstructure, max_iter)
    except np.linalg.LinAlgError as exc:  # numerically singular along the way
        raise CFAError(f"the model-implied or sample covariance matrix is not positive definite ({exc})") from None


def _fit_ml(S, M, n, N, model, maps, pars, logdetS, df, meanstructure, max_iter) -> _Fit:
    G = len(S)
    p = len(model.items)
    q = len(pars.kind)
    w = np.array(n, dtype=float) / N
    x0 = _start_values(model, maps, pars, S, M, meanstructure)
    # Residual and factor variances are bounded at 0 (lavaan leaves them free and reports a
    # Heywood case; a value at the bound is reported by `cfa` as a problem instead).
    bounds = [(0.0, None) if k in ("residual", "factor_var") else (None, None) for k in pars.kind]
    res = optimize.minimize(
        _objective, x0, args=(maps, S, M, w, logdetS, meanstructure), jac=True, method="L-BFGS-B",
        bounds=bounds, options={"maxiter": max_iter, "maxfun": 4 * max_iter, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 30},
    )
    x = res.x
    # Polish with Fisher scoring (Newton with the expected information): two steps take the
    # gradient from ~1e-8 to rounding level, so estimates match lavaan to all printed digits.
    for _ in range(3):
        f, g = _objective(x, maps, S, M, w, logdetS, meanstructure)
        info = _expected_information(x, maps, w, meanstructure)
        try:
            step = np.linalg.solve(info, g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-4:
            x_new = x - t * step
            lo = np.array([b[0] if b[0] is not None else -np.inf for b in bounds])
            x_new = np.maximum(x_new, lo)
            f_new, _ = _objective(x_new, maps, S, M, w, logdetS, meanstructure)
            if f_new <= f + 1e-14:
                x = x_new
                break
            t /= 2
    fmin, grad = _objective(x, maps, S, M, w, logdetS, meanstructure)
    info = _expected_information(x, maps, w, meanstructure)
    try:
        vcov = np.linalg.inv(info) / N
    except np.linalg.LinAlgError:
        vcov = np.full((q, q), np.nan)
    converged = bool(np.max(np.abs(grad)) < 1e-6) and fmin < 1e9
    # Baseline (independence) model: diagonal Sigma = diag(S), saturated means; closed form.
    base = sum(
        n_g * (np.log(np.diag(S_g)).sum() - ld) for n_g, S_g, ld in zip(n, S, logdetS)
    )
    base_df = G * (p * (p + 1) // 2 - p)
    srmr = _srmr_bentler(x, maps, S, M, w, meanstructure)
    return _Fit(
        x=x, vcov=vcov, maps=maps, pars=pars, fmin=fmin, converged=converged,
        message=str(res.message), n_iter=int(res.nit), chisq=float(N * fmin), df=int(df),
        baseline_chisq=float(base), baseline_df=int(base_df), srmr=srmr, n=N, n_groups=G,
    )


def _srmr_bentler(x, maps, S, M, w, meanstructure) -> float:
    """lavaan's default ``srmr`` (= ``srmr_bentler``), weighted over groups by N_g / N.

    Residuals ``s_ij - sigma_ij`` are divided by ``sqrt(s_ii s_jj)`` of the *observed* variances
    (lavResiduals type "cor.bentler"), averaged over the p(p+1)/2 non-duplicated elements
    (diagonal included) and, with a mean structure, the p mean residuals divided by sqrt(s_ii).
    """
    out = 0.0
    for m, S_g, M_g, w_g in zip(maps, S, M, w):
        *_, sigma, mu = _matrices(x, m)
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


# --------------------------------------------------------------------------------------------
# Full-information ML (missing = "fiml"): casewise likelihood over missing-data patterns
# --------------------------------------------------------------------------------------------


@dataclass
class _Pattern:
    obs: np.ndarray  # indices of the observed items
    rows: np.ndarray  # (n_k, p_k) observed values
    n: int
    mean: np.ndarray  # (p_k,)
    cov: np.ndarray  # (p_k, p_k), divisor n_k


def _missing_patterns(x: np.ndarray) -> list[_Pattern]:
    """Group the rows of ``x`` (NaN = missing; no all-missing rows) by missing-data pattern."""
    observed = ~np.isnan(x)
    keys, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    out = []
    for k in range(keys.shape[0]):
        o = np.nonzero(keys[k])[0]
        rows = x[inverse == k][:, o]
        mean = rows.mean(axis=0)
        c = rows - mean
        out.append(_Pattern(o, rows, rows.shape[0], mean, c.T @ c / rows.shape[0]))
    return out


@dataclass
class _PatternBlock:
    """Patterns with the same number of observed items, stacked for batched linear algebra."""

    obs: np.ndarray  # (K, p_o) observed item indices
    w: np.ndarray  # (K,) n_k / N
    mean: np.ndarray  # (K, p_o)
    cov: np.ndarray  # (K, p_o, p_o)
    flat: np.ndarray  # (K, p_o, p_o) index of (obs_a, obs_b) in the flattened p x p matrix


def _pattern_blocks(pats: list[_Pattern], p: int, N: int) -> list[_PatternBlock]:
    out = []
    for size in sorted({pat.obs.size for pat in pats}):
        grp = [pat for pat in pats if pat.obs.size == size]
        obs = np.stack([pat.obs for pat in grp])
        out.append(_PatternBlock(
            obs=obs, w=np.array([pat.n for pat in grp], dtype=float) / N,
            mean=np.stack([pat.mean for pat in grp]), cov=np.stack([pat.cov for pat in grp]),
            flat=obs[:, :, None] * p + obs[:, None, :],
        ))
    return out


def _fiml_moments(sigma, mu, blocks):
    """F = sum_k (n_k/N) [log|S_oo| + tr(S_oo^-1 (C_k + d_k d_k'))], d_k = m_k - mu_o.

    ``-2 logL = N F + log(2 pi) sum_k n_k p_k``. Returns F, dF/dSigma (p x p, entries treated as
    independent, as in `_objective`) and dF/dmu; F = inf outside the positive-definite region.
    Patterns with the same number of observed items are processed as one batch.
    """
    p = sigma.shape[0]
    f = 0.0
    g_sigma = np.zeros(p * p)
    g_mu = np.zeros(p)
    for b in blocks:
        s_oo = sigma[b.obs[:, :, None], b.obs[:, None, :]]
        try:
            c = np.linalg.cholesky(s_oo)
            sinv = np.linalg.inv(s_oo)
        except np.linalg.LinAlgError:  # (numerically) singular: outside the admissible region
            return np.inf, g_sigma.reshape(p, p), g_mu
        d = b.mean - mu[b.obs]
        a = b.cov + d[:, :, None] * d[:, None, :]
        logdet = 2.0 * np.log(np.diagonal(c, axis1=1, axis2=2)).sum(axis=1)
        f += float(b.w @ (logdet + np.einsum("kab,kab->k", sinv, a)))
        g = sinv - sinv @ a @ sinv
        g_sigma += np.bincount(b.flat.ravel(), weights=(b.w[:, None, None] * g).ravel(), minlength=p * p)
        gm = -2.0 * np.einsum("kab,kb->ka", sinv, d) * b.w[:, None]
        g_mu += np.bincount(b.obs.ravel(), weights=gm.ravel(), minlength=p)
    return f, g_sigma.reshape(p, p), g_mu


def _fiml_objective(x, m, blocks):
    lam, phi, _theta, alpha, sigma, mu = _matrices(x, m)
    f, omega, gm = _fiml_moments(sigma, mu, blocks)
    if not np.isfinite(f):
        return 1e10, np.zeros_like(x)
    grad = np.zeros_like(x)
    g_lam = 2.0 * omega @ lam @ phi + np.outer(gm, alpha)
    sel = m.lam >= 0
    np.add.at(grad, m.lam[sel], g_lam[sel])
    sel = m.phi >= 0
    np.add.at(grad, m.phi[sel], (lam.T @ omega @ lam)[sel])
    np.add.at(grad, m.theta, np.diag(omega))
    np.add.at(grad, m.nu, gm)
    sel = m.alpha >= 0
    np.add.at(grad, m.alpha[sel], (lam.T @ gm)[sel])
    return f, grad


def _fiml_expected_information(x, m, pats, N):
    """Unit expected information: sum_k (n_k/N) [1/2 tr(Si dS_j Si dS_l) + dmu_j' Si dmu_l] over patterns."""
    q = x.size
    (dS, dM), = _moment_jacobian(x, [m], True)
    *_, sigma, _mu = _matrices(x, m)
    info = np.zeros((q, q))
    for pat in pats:
        o = pat.obs
        sinv = np.linalg.inv(sigma[np.ix_(o, o)])
        ds = dS[:, o][:, :, o]
        dm = dM[:, o]
        a = np.einsum("ab,jbc,cd->jad", sinv, ds, sinv, optimize=True)
        info += (pat.n / N) * (0.5 * a.reshape(q, -1) @ ds.reshape(q, -1).T + dm @ sinv @ dm.T)
    return info


def _fiml_observed_information(x, m, blocks, lower=None):
    """Unit observed information = Hessian of -logL / N = 1/2 d2F/dx2 (central differences of the
    analytic gradient, one-sided for a parameter at its lower bound; symmetrised; lavaan
    ``observed.information = "hessian"``)."""
    q = x.size
    lower = np.full(q, -np.inf) if lower is None else lower
    h_mat = np.empty((q, q))
    for j in range(q):
        h = 1e-5 * max(1.0, abs(x[j]))
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        if x[j] - h >= lower[j]:
            xm[j] -= h
        h_mat[:, j] = (_fiml_objective(xp, m, blocks)[1] - _fiml_objective(xm, m, blocks)[1]) / (xp[j] - xm[j])
    return 0.25 * (h_mat + h_mat.T)


def _em_saturated(x: np.ndarray, pats: list[_Pattern], *, tol: float = 1e-10, max_iter: int = 10_000):
    """Saturated (H1) means and covariances by EM (Dempster, Laird & Rubin 1977; Enders 2010 ch. 4).

    Starts from the available-case means and variances; stops when no mean or covariance moves by
    more than ``tol`` (relative to the variances). Returns (mu, sigma, n_iter).
    """
    N, p = x.shape
    mu = np.nanmean(x, axis=0)
    sigma = np.diag(np.nanvar(x, axis=0))
    for it in range(1, max_iter + 1):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for pat in pats:
            o = pat.obs
            mis = np.setdiff1d(np.arange(p), o)
            y = np.empty((pat.n, p))
            y[:, o] = pat.rows
            if mis.size:
                b = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, mis)]).T  # (m, o)
                y[:, mis] = mu[mis] + (pat.rows - mu[o]) @ b.T
                t2[np.ix_(mis, mis)] += pat.n * (sigma[np.ix_(mis, mis)] - b @ sigma[np.ix_(o, mis)])
            t1 += y.sum(axis=0)
            t2 += y.T @ y
        mu_new = t1 / N
        sigma_new = t2 / N - np.outer(mu_new, mu_new)
        sigma_new = (sigma_new + sigma_new.T) / 2
        scale = np.sqrt(np.diag(sigma_new))
        change = max(np.max(np.abs(mu_new - mu) / scale), np.max(np.abs(sigma_new - sigma) / np.outer(scale, scale)))
        mu, sigma = mu_new, sigma_new
        if change < tol:
            return mu, sigma, it
    raise CFAError(f"EM for the saturated (H1) model did not converge in {max_iter} iterations")


def fit_fiml_model(
    x: np.ndarray,
    model: MeasurementModel,
    *,
    orthogonal: bool = False,
    information: str = "observed",
    max_iter: int = 10_000,
) -> _Fit:
    """Fit a single-group CFA by full-information ML on raw data with NaN for missing values.

    ``x`` is (n, p) in the column order of ``model.items``; rows without any observed value must
    already be removed. Intercepts are free (saturated mean structure), as lavaan's
    ``missing = "ml"``.
    """
    N, p = x.shape
    pats = _missing_patterns(x)
    few = [model.items[j] for j in range(p) if (~np.isnan(x[:, j])).sum() < 2]
    if few:
        raise CFAError(f"item(s) {few} have fewer than 2 observed values; FIML cannot estimate their variance")
    mu1, sigma1, _ = _em_saturated(x, pats)
    d = np.sqrt(np.diag(sigma1))
    if not (d > 0).all() or np.linalg.eigvalsh(sigma1 / np.outer(d, d)).min() <= 1e-10:
        raise CFAError("the EM-estimated item covariance matrix is not positive definite "
                       "(a constant item, perfectly collinear items or fewer respondents than items)")
    blocks = _pattern_blocks(pats, p, N)
    f_h1 = _fiml_moments(sigma1, mu1, blocks)[0]
    maps, pars = _build_maps(model, 1, meanstructure=True, equal_loadings=False, equal_intercepts=False,
                             orthogonal=orthogonal)
    m = maps[0]
    q = len(pars.kind)
    x0 = _start_values(model, maps, pars, [sigma1], [mu1], True)
    bounds = [(0.0, None) if k in ("residual", "factor_var") else (None, None) for k in pars.kind]
    lo = np.array([b[0] if b[0] is not None else -np.inf for b in bounds])
    res = optimize.minimize(
        _fiml_objective, x0, args=(m, blocks), jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": max_iter, "maxfun": 4 * max_iter, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 30},
    )
    xh = res.x
    # Polish with scoring steps using the complete-data expected information as curvature (exact
    # Fisher scoring without missing values; with missing values it converges linearly at the rate
    # of the fraction of missing information, and costs one pattern instead of all of them).
    for _ in range(30):
        f, g = _fiml_objective(xh, m, blocks)
        if np.max(np.abs(g)) < 1e-12:
            break
        info = _expected_information(xh, maps, [1.0], True)
        try:
            step = np.linalg.solve(2.0 * info, g)  # E[d2F/dx2] = 2 * unit information
        except np.linalg.LinAlgError:
            break
        t = 1.0
        moved = False
        while t > 1e-4:
            x_new = np.maximum(xh - t * step, lo)
            if _fiml_objective(x_new, m, blocks)[0] <= f + 1e-14:
                xh, moved = x_new, True
                break
            t /= 2
        if not moved:
            break
    fmin, grad = _fiml_objective(xh, m, blocks)
    if information == "observed":
        info = _fiml_observed_information(xh, m, blocks, lo)
    else:
        info = _fiml_expected_information(xh, m, pats, N)
    try:
        vcov = np.linalg.inv(info) / N
    except np.linalg.LinAlgError:
        vcov = np.full((q, q), np.nan)
    # Baseline: independent items with free means and variances; under FIML its ML estimates are
    # the available-case means and variances (divisor n_j), since the likelihood factorises.
    base_sigma = np.diag(np.nanvar(x, axis=0))
    f_base = _fiml_moments(base_sigma, np.nanmean(x, axis=0), blocks)[0]
    srmr = _srmr_bentler(xh, maps, [sigma1], [mu1], [1.0], True)
    const = np.log(2 * np.pi) * sum(pat.n * pat.obs.size for pat in pats)
    return _Fit(
        x=xh, vcov=vcov, maps=maps, pars=pars, fmin=fmin, converged=bool(np.max(np.abs(grad)) < 1e-6) and fmin < 1e9,
        message=str(res.message), n_iter=int(res.nit), chisq=float(N * (fmin - f_h1)), df=int(p * (p + 1) // 2 + p - q),
        baseline_chisq=float(N * (f_base - f_h1)), baseline_df=int(p * (p - 1) // 2), srmr=srmr, n=N, n_groups=1,
        logl=-0.5 * (N * fmin + const), logl_h1=-0.5 * (N * f_h1 + const), h1_mean=mu1, h1_cov=sigma1,
        n_patterns=len(pats),
    )


# --------------------------------------------------------------------------------------------
# Fit indices (lavaan formulas)
# --------------------------------------------------------------------------------------------


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


def fit_indices(fit: _Fit) -> dict[str, float]:
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


# --------------------------------------------------------------------------------------------
# Public single-group CFA
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CFAResult:
    """Tidy CFA output; ``fit`` has one row, the other tables one row per estimate."""

    fit: pd.DataFrame
    loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    residual_variances: pd.DataFrame
    model: MeasurementModel = field(repr=False)
    problems: pd.DataFrame = field(repr=False, default_factory=lambda: _problems_frame([]))


def _problems_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["scale", "problem", "message"])


def sample_moments(data: pd.DataFrame, items: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
    x = data[list(items)].to_numpy(dtype=float, copy=True)
    x = x[~np.isnan(x).any(axis=1)]
    n = x.shape[0]
    if n < 2:
        raise CFAError(f"only {n} complete respondents for {len(items)} items")
    mean = x.mean(axis=0)
    xc = x - mean
    return xc.T @ xc / n, mean, n  # divisor N, as lavaan's ML


def _standardised(fit: _Fit, model: MeasurementModel):
    """std.all loadings and factor correlations with delta-method SEs (group 0)."""
    m = fit.maps[0]
    p, k = model.pattern.shape
    li, lj = np.nonzero(model.pattern)
    iu = np.tril_indices(k, -1)

    def fun(x):
        lam, phi, _theta, _a, sigma, _mu = _matrices(x, m)
        std_l = lam[li, lj] * np.sqrt(phi[lj, lj]) / np.sqrt(np.diag(sigma)[li])
        d = np.sqrt(np.diag(phi))
        corr = (phi / np.outer(d, d))[iu]
        std_t = _theta / np.diag(sigma)
        return np.concatenate([std_l, corr, std_t])

    est = fun(fit.x)
    jac = np.empty((est.size, fit.x.size))
    for j in range(fit.x.size):
        h = 1e-6 * max(1.0, abs(fit.x[j]))
        xp, xm = fit.x.copy(), fit.x.copy()
        xp[j] += h
        xm[j] -= h
        jac[:, j] = (fun(xp) - fun(xm)) / (2 * h)
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", jac, fit.vcov, jac), 0, None))
    nl, nc = li.size, iu[0].size
    return (est[:nl], se[:nl]), (est[nl:nl + nc], se[nl:nl + nc]), (est[nl + nc:], se[nl + nc:]), (li, lj, iu)


def cfa(
    data: pd.DataFrame,
    model: Mapping[str, Sequence[str]] | MeasurementModel,
    *,
    name: str = "measurement",
    orthogonal: bool = False,
    missing: str = "listwise",
    information: str | None = None,
) -> CFAResult:
    """Confirmatory factor analysis by maximum likelihood (listwise complete respondents or FIML).

    Parameters
    ----------
    data : DataFrame with one column per item.
    model : mapping factor -> items (``{"visual": ["x1", "x2", "x3"], ...}``).
    name : label written into the ``model`` column of the fit table.
    orthogonal : fix factor covariances to 0.
    missing : ``"listwise"`` (default; complete respondents, lavaan ``missing = "listwise"``) or
        ``"fiml"`` (full-information ML over all respondents with at least one observed item,
        lavaan ``missing = "ml"``/``"fiml"``; intercepts free).
    information : information matrix for the standard errors. ``None`` = lavaan's default:
        ``"expected"`` for listwise, ``"observed"`` (Hessian) for FIML. ``"expected"`` is also
        available for FIML (per-pattern expected information; slow with many patterns).

    Returns
    -------
    CFAResult
        ``fit``: model, n, chisq, df, p, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, srmr,
        baseline_chisq, baseline_df, converged, n_free, missing, information, n_patterns,
        logl, logl_h1 (log-likelihoods; FIML only, NaN for listwise). ``loadings``: factor, item, estimate, se,
        z, p, std_all, std_all_se (estimate/se in the ``std.lv`` metric). ``factor_correlations``:
        factor, other, estimate, se, z, p. ``residual_variances``: item, estimate, se, std_all.

    Notes
    -----
    ML discrepancy ``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p`` with ``S`` the covariance
    matrix with divisor N; ``chisq = N F_min``; CFI, TLI, RMSEA (N, 90% CI by Steiger's
    noncentral chi-square inversion) and SRMR (Bentler, lavaan's default "srmr") as lavaan
    computes them. SEs from the expected information (lavaan ``information = "expected"``);
    standardised SEs by the delta method.

    FIML (Arbuckle 1996): with ``o_k`` the items observed in missing-data pattern ``k`` (``n_k``
    respondents, pattern mean ``m_k``, covariance ``C_k`` with divisor ``n_k``),
    ``-2 logL = sum_k n_k [p_k log(2 pi) + log|Sigma_oo| + tr(Sigma_oo^-1 (C_k + d_k d_k'))]``,
    ``d_k = m_k - mu_o``, ``mu = nu`` (free intercepts). The saturated H1 means and covariances are
    estimated by EM; ``chisq = 2 (logL_H1 - logL_H0)``; the baseline model (independent items,
    free means and variances) has the available-case means and variances (divisor n_j) as its ML
    estimates; CFI/TLI from these two statistics, RMSEA with N = respondents used. SRMR (Bentler,
    means included because the model has a mean structure) uses the EM-estimated H1 moments in
    place of the sample moments, as lavaan does for ``missing = "ml"``. Without missing values
    the FIML chi-square, estimates and expected-information SEs equal the listwise ML ones.

    References
    ----------
    Joreskog, K. G. (1969). Psychometrika, 34, 183-202. doi:10.1007/BF02289343
    Rosseel, Y. (2012). lavaan. Journal of Statistical Software, 48(2). doi:10.18637/jss.v048.i02
    Arbuckle, J. L. (1996). Full information estimation in the presence of incomplete data. In
    Marcoulides & Schumacker (Eds.), Advanced structural equation modeling (pp. 243-277). Erlbaum.
    Enders, C. K. (2010). Applied missing data analysis, ch. 4. Guilford.
    Checked against lavaan's published output for Holzinger & Swineford (1939) (tests/test_cfa.py),
    listwise and ``missing = "fiml"`` (log-likelihoods and observed-information SEs); FIML on
    incomplete data against a direct casewise multivariate-normal log-likelihood and by simulation.
    """
    mm = model if isinstance(model, MeasurementModel) else MeasurementModel.from_mapping(model)
    missing_cols = [c for c in mm.items if c not in data.columns]
    if missing_cols:
        raise KeyError(f"cfa: item column(s) {missing_cols} not in data; pass reverse-keyed item columns")
    if missing not in ("listwise", "fiml"):
        raise ValueError(f"cfa: missing={missing!r} is not supported; use 'listwise' (complete cases) or 'fiml'")
    if information is None:
        information = "observed" if missing == "fiml" else "expected"
    if information not in ("expected", "observed"):
        raise ValueError(f"cfa: information={information!r} is not supported; use 'expected' or 'observed'")
    if missing == "listwise":
        if information != "expected":
            raise ValueError("cfa: information='observed' is only implemented for missing='fiml'; "
                             "use information='expected' (or None) with missing='listwise'")
        S, mean, n = sample_moments(data, mm.items)
        if n <= len(mm.items):
            raise CFAError(f"{n} complete respondents for {len(mm.items)} items; need more respondents than items")
        fit = fit_ml_model([S], None, [n], mm, orthogonal=orthogonal)
    else:
        x = data[list(mm.items)].to_numpy(dtype=float, copy=True)
        x = x[~np.isnan(x).all(axis=1)]  # respondents without any observed item carry no information
        n = x.shape[0]
        if n <= len(mm.items):
            raise CFAError(f"{n} respondents with at least one observed item for {len(mm.items)} items; "
                           "need more respondents than items")
        try:
            fit = fit_fiml_model(x, mm, orthogonal=orthogonal, information=information)
        except np.linalg.LinAlgError as exc:
            raise CFAError(f"the model-implied or EM covariance matrix is not positive definite ({exc})") from None
    idx = fit_indices(fit)
    fit_row = {"model": name, "n": n, **idx, "converged": fit.converged, "n_free": len(fit.pars.kind),
               "missing": missing, "information": information, "n_patterns": fit.n_patterns,
               "logl": fit.logl, "logl_h1": fit.logl_h1}
    (sl, sl_se), (sc, sc_se), (st, _st_se), (li, lj, iu) = _standardised(fit, mm)
    m = fit.maps[0]
    se_all = np.sqrt(np.clip(np.diag(fit.vcov), 0, None))
    rows = []
    for t, (i, j) in enumerate(zip(li, lj)):
        pi = m.lam[i, j]
        est, se = fit.x[pi], se_all[pi]
        z = est / se if se > 0 else np.nan
        rows.append({
            "factor": mm.factors[j], "item": mm.items[i], "estimate": est, "se": se, "z": z,
            "p": 2 * stats.norm.sf(abs(z)), "std_all": sl[t], "std_all_se": sl_se[t],
        })
    loadings = pd.DataFrame(rows)
    crow = []
    for t, (a, b) in enumerate(zip(*iu)):
        z = sc[t] / sc_se[t] if sc_se[t] > 0 else np.nan
        crow.append({"factor": mm.factors[b], "other": mm.factors[a], "estimate": sc[t], "se": sc_se[t],
                     "z": z, "p": 2 * stats.norm.sf(abs(z)) if np.isfinite(z) else np.nan})
    fcorr = pd.DataFrame(crow, columns=["factor", "other", "estimate", "se", "z", "p"])
    resid = pd.DataFrame({
        "item": list(mm.items), "estimate": fit.x[m.theta], "se": se_all[m.theta], "std_all": st,
    })
    problems = []
    if not fit.converged:
        problems.append({"scale": name, "problem": "not_converged", "message": f"CFA did not converge ({fit.message})"})
    at_bound = resid.loc[resid["estimate"] <= 1e-8, "item"].tolist()
    if at_bound:
        problems.append({"scale": name, "problem": "heywood_case",
                         "message": f"residual variance at 0 for {at_bound}; standardised loadings near 1 are not trustworthy"})
    improper = fcorr.loc[fcorr["estimate"].abs() >= 1.0]
    if len(improper):
        pairs = [f"{a}-{b}" for a, b in zip(improper["factor"], improper["other"])]
        problems.append({"scale": name, "problem": "improper_solution",
                         "message": f"factor correlation(s) >= 1 for {pairs}: the factors are not distinguishable"})
    return CFAResult(
        fit=pd.DataFrame([fit_row]), loadings=loadings, factor_correlations=fcorr,
        residual_variances=resid, model=mm, problems=_problems_frame(problems),
    )
