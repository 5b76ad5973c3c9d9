"""Confirmatory factor analysis for measurement models: the public :func:`cfa` and its result.

Estimation lives in :mod:`~analysis.psychometrics.cfa_model` (model specification, parameter
table), :mod:`~analysis.psychometrics.cfa_ml` (ML from sample moments, fit indices) and
:mod:`~analysis.psychometrics.cfa_fiml` (full-information ML over missing-data patterns). This
module turns a fit into tidy tables: fit indices, loadings with lavaan's ``std.all``, factor
correlations and residual variances, each carrying ``estimator``, ``missing`` and ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.psychometrics.cfa_fiml import fit_fiml_model
from analysis.psychometrics.cfa_ml import Fit, fit_indices, fit_ml_model
from analysis.psychometrics.cfa_model import MeasurementModel, model_matrices
from analysis.psychometrics.errors import CFAError

__all__ = ["CFAResult", "CFAError", "MeasurementModel", "cfa", "fit_fiml_model", "fit_indices", "fit_ml_model",
           "sample_moments", "CFA_MISSING", "ESTIMATOR"]

CFA_MISSING = ("fiml", "listwise")
ESTIMATOR = {"fiml": "FIML", "listwise": "ML"}  # what a table note names: lavaan estimator "ML" + missing


@dataclass(frozen=True)
class CFAResult:
    """Tidy CFA output; ``fit`` has one row, the other tables one row per estimate.

    Attributes
    ----------
    fit : one row of fit indices (see :func:`cfa`).
    loadings, factor_correlations, residual_variances : one row per estimate.
    model : the fitted :class:`MeasurementModel`.
    problems : scale, problem, message of what went wrong (empty when nothing did).
    observed_cov : the item covariance matrix the model was compared with.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> result = cfa(hs, {"textual": ["x4", "x5", "x6"]})
    >>> print(result.loadings[["factor", "item", "std_all"]].round(3).to_string(index=False))
     factor item  std_all
    textual   x4    0.847
    textual   x5    0.866
    textual   x6    0.832
    """

    fit: pd.DataFrame
    loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    residual_variances: pd.DataFrame
    model: MeasurementModel = field(repr=False)
    problems: pd.DataFrame = field(repr=False, default_factory=lambda: _problems_frame([]))
    observed_cov: pd.DataFrame | None = field(repr=False, default=None)


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


def _standardised(fit: Fit, model: MeasurementModel):
    """std.all loadings and factor correlations with delta-method SEs (group 0).

    Parameters
    ----------
    data : respondents x items.
    items : the item columns; respondents missing any of them are dropped.

    Returns
    -------
    (covariance matrix with divisor N, means, N), as lavaan's ML uses them.

    Examples
    --------
    >>> import pandas as pd
    >>> cov, mean, n = sample_moments(pd.DataFrame({"a": [1.0, 2, 3, None], "b": [2.0, 2, 5, 1]}), ["a", "b"])
    >>> cov.round(3).tolist(), mean.tolist(), n
    ([[0.667, 1.0], [1.0, 2.0]], [2.0, 3.0], 3)
    """
    m = fit.maps[0]
    p, k = model.pattern.shape
    li, lj = np.nonzero(model.pattern)
    iu = np.tril_indices(k, -1)

    def fun(x):
        lam, phi, _theta, _a, sigma, _mu = model_matrices(x, m)
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
    missing: str = "fiml",
    information: str | None = None,
) -> CFAResult:
    """Confirmatory factor analysis by maximum likelihood (FIML or listwise complete respondents).

    Parameters
    ----------
    data : DataFrame with one column per item.
    model : mapping factor -> items (``{"visual": ["x1", "x2", "x3"], ...}``).
    name : label written into the ``model`` column of the fit table.
    orthogonal : fix factor covariances to 0.
    missing : ``"fiml"`` (default; full-information ML over all respondents with at least one
        observed item, lavaan ``missing = "ml"``/``"fiml"``; intercepts free) or ``"listwise"``
        (complete respondents, lavaan's default ``missing = "listwise"``).
    information : information matrix for the standard errors. ``None`` = lavaan's default:
        ``"expected"`` for listwise, ``"observed"`` (Hessian) for FIML. ``"expected"`` is also
        available for FIML (per-pattern expected information; slower with many patterns);
        ``"none"``: no standard errors (NaN), for a model compared by its fit only (the FIML
        Hessian costs two gradient evaluations per free parameter).

    Returns
    -------
    CFAResult
        ``fit``: model, n, chisq, df, p, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, srmr,
        baseline_chisq, baseline_df, converged, n_free, estimator (``"FIML"`` or ``"ML"``),
        missing (``"fiml"``/``"listwise"``), information, n_patterns, logl, logl_h1
        (log-likelihoods; FIML only, NaN for listwise). ``loadings``: factor, item, estimate, se,
        z, p, std_all, std_all_se (estimate/se in the ``std.lv`` metric). ``factor_correlations``:
        factor, other, estimate, se, z, p. ``residual_variances``: item, estimate, se, std_all.
        Every table also has ``estimator``, ``missing`` and ``n`` (respondents used: complete
        cases for listwise, respondents with at least one observed item for FIML).
        ``observed_cov``: the item covariance matrix the model is compared with (divisor N;
        the EM-estimated saturated H1 matrix under FIML, lavaan's ``sampstat``).

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

    Examples
    --------
    >>> from analysis.psychometrics.examples import example_holzinger
    >>> hs, model = example_holzinger()
    >>> fit = cfa(hs, model, missing="listwise").fit  # lavaan tutorial: 85.306, 24, .931, .092, .065
    >>> print(fit[["n", "chisq", "df", "cfi", "rmsea", "srmr"]].round(3).to_string(index=False))
      n  chisq  df   cfi  rmsea  srmr
    301 85.306  24 0.931  0.092 0.065
    """
    mm = model if isinstance(model, MeasurementModel) else MeasurementModel.from_mapping(model)
    missing_cols = [c for c in mm.items if c not in data.columns]
    if missing_cols:
        raise KeyError(f"cfa: item column(s) {missing_cols} not in data; pass reverse-keyed item columns")
    if missing not in CFA_MISSING:
        raise ValueError(f"cfa: missing={missing!r} is not supported; use 'fiml' or 'listwise' (complete cases)")
    if information is None:
        information = "observed" if missing == "fiml" else "expected"
    if information not in ("expected", "observed", "none"):
        raise ValueError(f"cfa: information={information!r} is not supported; use 'expected', 'observed' or 'none'")
    if missing == "listwise":
        if information == "observed":
            raise ValueError("cfa: information='observed' is only implemented for missing='fiml'; "
                             "use information='expected' (or None) with missing='listwise'")
        S, mean, n = sample_moments(data, mm.items)
        if n <= len(mm.items):
            raise CFAError(f"{n} complete respondents for {len(mm.items)} items; need more respondents than items")
        fit = fit_ml_model([S], None, [n], mm, orthogonal=orthogonal)
        if information == "none":
            fit.vcov = np.full_like(fit.vcov, np.nan)
        observed = S
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
        observed = fit.h1_cov[0]
    idx = fit_indices(fit)
    method_cols = {"estimator": ESTIMATOR[missing], "missing": missing, "n": n}
    fit_row = {"model": name, "n": n, **idx, "converged": fit.converged, "n_free": len(fit.pars.kind),
               "estimator": ESTIMATOR[missing], "missing": missing, "information": information,
               "n_patterns": fit.n_patterns, "logl": fit.logl, "logl_h1": fit.logl_h1}
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
            "p": 2 * stats.norm.sf(abs(z)), "std_all": sl[t], "std_all_se": sl_se[t], **method_cols,
        })
    loadings = pd.DataFrame(rows)
    crow = []
    for t, (a, b) in enumerate(zip(*iu)):
        z = sc[t] / sc_se[t] if sc_se[t] > 0 else np.nan
        crow.append({"factor": mm.factors[b], "other": mm.factors[a], "estimate": sc[t], "se": sc_se[t],
                     "z": z, "p": 2 * stats.norm.sf(abs(z)) if np.isfinite(z) else np.nan, **method_cols})
    fcorr = pd.DataFrame(crow, columns=["factor", "other", "estimate", "se", "z", "p", *method_cols])
    resid = pd.DataFrame({
        "item": list(mm.items), "estimate": fit.x[m.theta], "se": se_all[m.theta], "std_all": st, **method_cols,
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
        observed_cov=pd.DataFrame(observed, index=list(mm.items), columns=list(mm.items)),
    )
