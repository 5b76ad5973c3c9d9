"""Factorability and exploratory structure: KMO, Bartlett's test, parallel analysis and EFA.

All four start from :func:`analysis.psychometrics.correlations.item_correlations`: pairwise
correlations by default (psych's default for raw data), ``missing="listwise"`` on request; every
table carries ``missing``, ``n`` and ``n_pair_min``. Discriminant validity (CR/AVE,
Fornell-Larcker, HTMT) is in :mod:`~analysis.psychometrics.discriminant`, common-method checks in
:mod:`~analysis.psychometrics.common_method`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.psychometrics.correlations import item_correlations
from analysis.psychometrics.errors import EstimationError
from analysis.psychometrics.factoring import extract, orient, rotate

__all__ = ["kmo", "bartlett_sphericity", "parallel_analysis", "efa"]


def kmo(data: pd.DataFrame, items: Sequence[str] | None = None, *, missing: str = "pairwise") -> pd.DataFrame:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item.

    Parameters
    ----------
    data : respondents x items (reverse-keyed).
    items : item columns (default: all columns).
    missing : ``"pairwise"`` (default, ``psych::KMO(cor(x, use = "pairwise"))``) or ``"listwise"``.

    Returns
    -------
    DataFrame: item (``"overall"`` first), kmo, estimator (``"pearson"``), missing, n, n_pair_min.

    Notes
    -----
    ``KMO_j = sum_i r_ij^2 / (sum_i r_ij^2 + sum_i q_ij^2)`` over i != j, with q the partial
    (anti-image) correlations ``-R^-1_ij / sqrt(R^-1_ii R^-1_jj)``; the overall value sums over
    all pairs.

    References
    ----------
    Kaiser, H. F. (1974). Psychometrika, 39, 31-36. doi:10.1007/BF02291575
    Checked against ``psych::KMO`` 2.2.9 (tests/reference/psychometrics.R).

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()  # psych::KMO(HolzingerSwineford1939[7:15]): Overall MSA = 0.75
    >>> round(float(kmo(hs, [f"x{i}" for i in range(1, 10)])["kmo"].iloc[0]), 2)
    0.75
    """
    c = item_correlations(data, items, missing=missing, where="kmo")
    inv = np.linalg.inv(c.r)
    q = -inv / np.sqrt(np.outer(np.diag(inv), np.diag(inv)))
    off = ~np.eye(len(c.items), dtype=bool)
    r2 = np.where(off, c.r**2, 0.0)
    q2 = np.where(off, q**2, 0.0)
    per = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    overall = r2.sum() / (r2.sum() + q2.sum())
    return pd.DataFrame({"item": ["overall", *c.items], "kmo": [overall, *per], **c.columns()})


def bartlett_sphericity(data: pd.DataFrame, items: Sequence[str] | None = None, *,
                        missing: str = "pairwise") -> pd.DataFrame:
    """Bartlett's test that the item correlation matrix is an identity matrix.

    Parameters
    ----------
    data : respondents x items.
    items : item columns (default: all columns).
    missing : ``"pairwise"`` (default) or ``"listwise"`` correlations.

    Returns
    -------
    DataFrame with one row: chisq, df, p, k, estimator (``"pearson"``), missing, n, n_pair_min.

    Notes
    -----
    ``chisq = -(n - 1 - (2k + 5)/6) ln|R|``, ``df = k(k-1)/2``. With pairwise correlations n is
    the number of respondents with at least one answer, as ``psych::cortest.bartlett(x)`` uses
    ``nrow(x)`` for raw data; listwise, n is the complete respondents.

    References
    ----------
    Bartlett, M. S. (1951). Biometrika, 38, 337-344. doi:10.1093/biomet/38.3-4.337
    Checked against ``psych::cortest.bartlett`` 2.2.9 (tests/reference/psychometrics.R).

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> row = bartlett_sphericity(hs, [f"x{i}" for i in range(1, 10)]).iloc[0]
    >>> round(float(row["chisq"]), 1), int(row["df"])  # k(k - 1)/2 = 36 df
    (904.1, 36)
    """
    c = item_correlations(data, items, missing=missing, where="bartlett_sphericity")
    k = len(c.items)
    chisq = -(c.n - 1 - (2 * k + 5) / 6) * np.linalg.slogdet(c.r)[1]
    df = k * (k - 1) // 2
    return pd.DataFrame([{"chisq": chisq, "df": df, "p": float(stats.chi2.sf(chisq, df)), "k": k, **c.columns()}])


def _eigen_parallel(r: np.ndarray, n: int, n_iter: int, quantile: float, seed: int) -> pd.DataFrame:
    k = r.shape[0]
    obs = np.linalg.eigvalsh(r)[::-1]
    rng = np.random.default_rng(seed)
    rand = np.empty((n_iter, k))
    for i in range(n_iter):
        z = rng.standard_normal((n, k))
        rand[i] = np.linalg.eigvalsh(np.corrcoef(z, rowvar=False))[::-1]
    q = np.quantile(rand, quantile, axis=0)
    above = obs > q
    n_factors = int(np.argmin(above)) if not above.all() else k
    return pd.DataFrame({
        "component": np.arange(1, k + 1), "eigenvalue": obs, "random_mean": rand.mean(axis=0),
        "random_quantile": q, "retain": np.arange(k) < n_factors, "n_factors": n_factors,
        "n_iter": n_iter, "quantile": quantile,
    })


def parallel_analysis(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    n_iter: int = 100,
    quantile: float = 0.95,
    seed: int = 0,
    missing: str = "pairwise",
) -> pd.DataFrame:
    """Horn's parallel analysis on principal-component eigenvalues of the correlation matrix.

    Parameters
    ----------
    data : respondents x items.
    items : item columns (default: all columns).
    n_iter : number of random data sets.
    quantile : quantile of the random eigenvalues to exceed (default .95).
    seed : seed of ``numpy.random.default_rng``.
    missing : ``"pairwise"`` (default) or ``"listwise"`` correlations.

    Returns
    -------
    DataFrame, one row per component: component (1-based), eigenvalue, random_mean,
    random_quantile, retain, n_factors (same value in every row), n_iter, quantile, estimator
    (``"pearson"``), missing, n, n_pair_min.

    Notes
    -----
    Eigenvalues of the observed (pairwise or listwise) correlation matrix are compared with the
    ``quantile`` of the eigenvalues of correlation matrices of ``n_iter`` complete normal random
    data sets of n respondents and k items (Glorfeld's 95th percentile variant; psych's
    ``fa.parallel`` also simulates ``nrow(x)`` complete rows). Components are retained while the
    observed eigenvalue exceeds the random one (the first failure stops the count).

    References
    ----------
    Horn, J. L. (1965). Psychometrika, 30, 179-185. doi:10.1007/BF02289447
    Glorfeld, L. W. (1995). Educational and Psychological Measurement, 55, 377-393.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> pa = parallel_analysis(hs, [f"x{i}" for i in range(1, 10)], n_iter=20, seed=0)
    >>> int(pa["n_factors"].iloc[0])  # the three factors of Holzinger & Swineford's tests
    3
    """
    if n_iter < 1:
        raise ValueError(f"parallel_analysis: n_iter must be >= 1, got {n_iter}")
    if not 0 < quantile < 1:
        raise ValueError(f"parallel_analysis: quantile must be in (0, 1), got {quantile}")
    c = item_correlations(data, items, missing=missing, where="parallel_analysis")
    out = _eigen_parallel(c.r, c.n, n_iter, quantile, seed)
    return out.assign(**c.columns())


def efa(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    n_factors: int | None = None,
    *,
    rotation: str | None = "oblimin",
    method: str = "minres",
    seed: int = 0,
    missing: str = "pairwise",
) -> dict[str, pd.DataFrame]:
    """Exploratory factor analysis, factors from parallel analysis by default.

    Parameters
    ----------
    data : respondents x items.
    items : item columns (default: all columns; at least 3).
    n_factors : number of factors (default: from :func:`parallel_analysis` with ``seed``).
    rotation : ``"oblimin"`` (default; gamma = 0, direct quartimin, as
        ``psych::fa(rotate = "oblimin")``), ``"varimax"`` or None.
    method : extraction, ``"minres"`` (default, psych's) or ``"ml"``.
    seed : seed of the parallel analysis.
    missing : ``"pairwise"`` (default) or ``"listwise"`` correlations.

    Returns
    -------
    dict with ``loadings`` (item, factor, loading, communality, uniqueness, primary: True for
    the factor with the largest |loading| of the item), ``variance`` (factor, ss_loadings,
    proportion, cumulative), ``factor_correlations`` (factor, other, estimate; oblique
    rotations only) and ``parallel_analysis`` (when ``n_factors`` was None). Every table has
    ``estimator`` (the extraction method), ``rotation``, ``missing``, ``n`` and ``n_pair_min``.

    Notes
    -----
    One-factor solutions are not rotated. Factors are oriented and ordered as psych does
    (:func:`analysis.psychometrics.factoring.orient`); communalities are the row sums of squared
    rotated loadings plus cross-products through the factor correlations (``diag(L Phi L')``).

    References
    ----------
    Jennrich, R. I. (2002). A simple general method for oblique rotation. Psychometrika, 67, 7-19.
    Checked against ``psych::fa`` 2.2.9 with GPArotation (tests/reference/psychometrics.R).

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> out = efa(hs, [f"x{i}" for i in range(1, 10)], 3)
    >>> print(out["variance"][["factor", "ss_loadings", "cumulative"]].round(3).to_string(index=False))
    factor  ss_loadings  cumulative
        F1        2.197       0.244
        F2        1.275       0.386
        F3        1.239       0.523
    """
    c = item_correlations(data, items, missing=missing, where="efa", min_items=3)
    out: dict[str, pd.DataFrame] = {}
    if n_factors is None:
        pa = _eigen_parallel(c.r, c.n, 100, 0.95, seed).assign(**c.columns())
        n_factors = max(1, int(pa["n_factors"].iloc[0]))
        out["parallel_analysis"] = pa
    if not 1 <= n_factors < len(c.items):
        raise EstimationError(f"efa: n_factors must be between 1 and {len(c.items) - 1}, got {n_factors}")
    rot = rotation if n_factors > 1 else None
    L, phi = orient(*rotate(extract(c.r, n_factors, method), rot))
    comm = np.diag(L @ (phi if phi is not None else np.eye(n_factors)) @ L.T)
    names = [f"F{j + 1}" for j in range(n_factors)]
    meta = {**c.columns(), "estimator": method, "rotation": rot or "none"}
    prim = np.abs(L).argmax(axis=1)
    rows = [{"item": it, "factor": f, "loading": L[i, j], "communality": comm[i], "uniqueness": 1 - comm[i],
             "primary": bool(prim[i] == j), **meta}
            for i, it in enumerate(c.items) for j, f in enumerate(names)]
    out["loadings"] = pd.DataFrame(rows)
    ss = (L**2).sum(axis=0)
    k = len(c.items)
    out["variance"] = pd.DataFrame({"factor": names, "ss_loadings": ss, "proportion": ss / k,
                                    "cumulative": np.cumsum(ss) / k, **meta})
    crow = [{"factor": names[b], "other": names[a], "estimate": phi[a, b], **meta}
            for a in range(n_factors) for b in range(a)] if phi is not None else []
    out["factor_correlations"] = pd.DataFrame(crow, columns=["factor", "other", "estimate", *meta])
    return out
