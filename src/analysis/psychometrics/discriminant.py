"""Convergent and discriminant validity: CR/AVE, the Fornell-Larcker criterion and HTMT.

Two literatures compute these differently, and reviewers rerun the R function they know, so
both are offered and every row says which one it is:

* CR/AVE (``method``): ``"standardized"`` is Fornell & Larcker's (1981) formula on standardised
  loadings (what most SEM textbooks and SmartPLS report); ``"observed"`` is semTools'
  ``compRelSEM``/``AVE`` default (``obs.var = TRUE``: model-explained variance over the
  *observed* variance of the sum / the items); ``"implied"`` is ``obs.var = FALSE``.
* HTMT (``method``): ``"htmt"`` is Henseler, Ringle & Sarstedt's (2015) ratio of arithmetic
  means of correlations; ``"htmt2"`` Roemer, Schuberth & Henseler's (2021) ratio of geometric
  means, which ``semTools::htmt`` reports by default since 0.5-6 (``htmt2 = TRUE``).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.psychometrics.cfa import CFAResult
from analysis.psychometrics.correlations import item_correlations
from analysis.psychometrics.errors import EstimationError

__all__ = ["composite_reliability", "fornell_larcker", "htmt", "CR_METHODS", "HTMT_METHODS"]

CR_METHODS = ("standardized", "observed", "implied")
HTMT_METHODS = ("htmt", "htmt2")


def _cfa_columns(result: CFAResult) -> dict:
    f = result.fit.iloc[0]
    return {"estimator": f["estimator"], "missing": f["missing"], "n": int(f["n"])}


def composite_reliability(result: CFAResult, *, method: str = "standardized") -> pd.DataFrame:
    """Composite reliability (CR) and average variance extracted (AVE) per factor of a CFA.

    Parameters
    ----------
    result : a single-group :func:`analysis.psychometrics.cfa` result (factor variances 1).
    method : ``"standardized"`` (default, Fornell & Larcker 1981), ``"observed"``
        (``semTools::compRelSEM``/``AVE`` defaults) or ``"implied"`` (semTools ``obs.var = FALSE``).

    Returns
    -------
    DataFrame: factor, k, cr, ave, sqrt_ave, method, estimator, missing, n.

    Notes
    -----
    ``standardized``, with standardised loadings ``l``: ``CR = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))``,
    ``AVE = mean(l^2)``. ``observed``, with unstandardised loadings ``lambda`` (factor variance 1)
    and ``S`` the observed covariance matrix of the factor's items (lavaan's ``sampstat``: divisor
    N; under FIML the EM-estimated H1 matrix): ``CR = (sum lambda)^2 / 1'S1``,
    ``AVE = sum lambda^2 / tr(S)``. ``implied``: the same with the model-implied ``Sigma``, so
    ``CR = (sum lambda)^2 / ((sum lambda)^2 + sum theta)`` (omega of the unit-weighted sum).

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Journal of Marketing Research, 18, 39-50.
    doi:10.1177/002224378101800104
    Jorgensen, T. D., et al. (2022). semTools 0.5-6, ``compRelSEM`` and ``AVE``.
    ``observed``/``implied`` checked against semTools 0.5-6 (tests/reference/psychometrics.R).

    Examples
    --------
    >>> from analysis.psychometrics import cfa
    >>> from analysis.psychometrics.examples import example_holzinger
    >>> hs, model = example_holzinger()
    >>> cr = composite_reliability(cfa(hs, model), method="observed")  # semTools::compRelSEM: .612 .885 .686
    >>> print(cr[["factor", "cr", "ave"]].round(3).to_string(index=False))
     factor    cr   ave
     visual 0.612 0.371
    textual 0.885 0.721
      speed 0.686 0.424
    """
    if method not in CR_METHODS:
        raise ValueError(f"composite_reliability: method={method!r}; use one of {CR_METHODS}")
    meta = {"method": method, **_cfa_columns(result)}
    resid = result.residual_variances.set_index("item")["estimate"]
    rows = []
    for f, g in result.loadings.groupby("factor", sort=False):
        if method == "standardized":
            lam = g["std_all"].to_numpy()
            s = lam.sum() ** 2
            cr, ave = s / (s + (1 - lam**2).sum()), float((lam**2).mean())
        else:
            lam = g["estimate"].to_numpy()
            its = list(g["item"])
            if method == "observed":
                if result.observed_cov is None:
                    raise ValueError("composite_reliability: method='observed' needs a cfa() result with observed_cov")
                cov = result.observed_cov.loc[its, its].to_numpy()
            else:
                cov = np.outer(lam, lam) + np.diag(resid[its].to_numpy())
            cr, ave = lam.sum() ** 2 / cov.sum(), float((lam**2).sum() / np.trace(cov))
        rows.append({"factor": f, "k": lam.size, "cr": cr, "ave": ave, "sqrt_ave": np.sqrt(ave), **meta})
    return pd.DataFrame(rows, columns=["factor", "k", "cr", "ave", "sqrt_ave", *meta])


def fornell_larcker(result: CFAResult, *, method: str = "standardized") -> pd.DataFrame:
    """Fornell-Larcker criterion: sqrt(AVE) of each factor vs. its correlations with the others.

    Parameters
    ----------
    result : a single-group :func:`analysis.psychometrics.cfa` result.
    method : how AVE is computed, as in :func:`composite_reliability`.

    Returns
    -------
    DataFrame, one row per ordered factor pair: factor, other, sqrt_ave, correlation,
    discriminant_ok (``sqrt_ave > |correlation|``), plus one row per factor with
    ``other == factor`` and ``correlation = sqrt_ave`` (the matrix diagonal) so the usual
    matrix can be pivoted from it; and the :func:`composite_reliability` method columns (AVE by
    ``method``, Fornell & Larcker's standardised version by default).

    Examples
    --------
    >>> from analysis.psychometrics import cfa
    >>> from analysis.psychometrics.examples import example_holzinger
    >>> hs, model = example_holzinger()
    >>> fl = fornell_larcker(cfa(hs, model))
    >>> print(fl[fl["factor"] == "visual"][["other", "sqrt_ave", "correlation", "discriminant_ok"]].round(3).to_string(index=False))
      other  sqrt_ave  correlation discriminant_ok
     visual     0.609        0.609             NaN
    textual     0.609        0.459            True
      speed     0.609        0.471            True
    """
    cr = composite_reliability(result, method=method).set_index("factor")
    meta = {"method": method, **_cfa_columns(result)}
    corr = {}
    for r in result.factor_correlations.itertuples():
        corr[(r.factor, r.other)] = corr[(r.other, r.factor)] = r.estimate
    rows = []
    for f in cr.index:
        sa = cr.loc[f, "sqrt_ave"]
        for o in cr.index:
            if f == o:
                rows.append({"factor": f, "other": o, "sqrt_ave": sa, "correlation": sa, "discriminant_ok": np.nan, **meta})
            else:
                r = corr.get((f, o), np.nan)
                rows.append({"factor": f, "other": o, "sqrt_ave": sa, "correlation": r,
                             "discriminant_ok": bool(sa > abs(r)), **meta})
    return pd.DataFrame(rows)


def htmt(
    data: pd.DataFrame,
    model: Mapping[str, Sequence[str]],
    *,
    method: str = "htmt",
    missing: str = "pairwise",
    absolute: bool = True,
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations for each pair of factors.

    Parameters
    ----------
    data : respondents x items.
    model : factor -> items.
    method : ``"htmt"`` (default; Henseler et al. 2015, arithmetic means) or ``"htmt2"``
        (Roemer et al. 2021, geometric means; ``semTools::htmt`` default).
    missing : ``"pairwise"`` (default) or ``"listwise"`` correlations.
    absolute : average |r| (as ``semTools::htmt(absolute = TRUE)``, the default); ``htmt2``
        needs positive correlations, so it requires ``absolute=True`` or all r > 0.

    Returns
    -------
    DataFrame: factor, other, htmt, method, estimator (``"pearson"``), missing, n, n_pair_min.

    Notes
    -----
    ``HTMT_ij = mean(r between items of i and j) / sqrt(mean(r within i) * mean(r within j))``,
    within-factor means over distinct item pairs; HTMT2 replaces every mean by the geometric
    mean, so a heterotrait correlation of exactly 0 gives HTMT2 = 0 (semTools then reports
    rounding noise: log of a ~1e-17 correlation). Factors with one item have no monotrait
    correlations (NaN).

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). Journal of the Academy of Marketing
    Science, 43, 115-135. doi:10.1007/s11747-014-0403-8
    Roemer, E., Schuberth, F., & Henseler, J. (2021). Industrial Management & Data Systems, 121,
    2637-2650. doi:10.1108/IMDS-02-2021-0082
    Checked against ``semTools::htmt`` 0.5-6, listwise and on pairwise correlations
    (tests/reference/psychometrics.R).

    Examples
    --------
    >>> from analysis.psychometrics.examples import example_holzinger
    >>> hs, model = example_holzinger()
    >>> out = htmt(hs, model, method="htmt2")  # semTools::htmt(model, data): .384 .387 .280
    >>> print(out[["factor", "other", "htmt"]].round(3).to_string(index=False))
     factor   other  htmt
     visual textual 0.384
     visual   speed 0.387
    textual   speed 0.280
    """
    if method not in HTMT_METHODS:
        raise ValueError(f"htmt: method={method!r}; use one of {HTMT_METHODS}")
    items = [it for its in model.values() for it in its]
    c = item_correlations(data, items, missing=missing, where="htmt")
    r = np.abs(c.r) if absolute else c.r
    if method == "htmt2" and (r[~np.eye(len(items), dtype=bool)] <= 0).any():
        raise EstimationError("htmt: HTMT2 (geometric means) needs positive correlations; use absolute=True or method='htmt'")
    if method == "htmt2":
        # A correlation that is 0 up to rounding (integer responses give exact zeros) makes the
        # geometric mean 0; left as ~1e-17 its logarithm would make HTMT2 rounding noise.
        r = np.where(r < 1e-12, 0.0, r)

        def mean(v):
            with np.errstate(divide="ignore"):
                return float(np.exp(np.log(v).mean()))
    else:
        def mean(v):
            return float(np.mean(v))
    pos = {it: i for i, it in enumerate(c.items)}
    idx = {f: [pos[i] for i in its] for f, its in model.items()}

    def mono(ix):
        if len(ix) < 2:
            return np.nan
        return mean(r[np.ix_(ix, ix)][np.triu_indices(len(ix), 1)])

    names = list(model)
    rows = []
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            hetero = mean(r[np.ix_(idx[names[a]], idx[names[b]])].ravel())
            rows.append({"factor": names[a], "other": names[b],
                         "htmt": hetero / np.sqrt(mono(idx[names[a]]) * mono(idx[names[b]])),
                         "method": method, **c.columns()})
    return pd.DataFrame(rows, columns=["factor", "other", "htmt", "method", "estimator", "missing", "n", "n_pair_min"])
