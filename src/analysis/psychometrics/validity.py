"""Construct validity: sampling adequacy (KMO, Bartlett), EFA with parallel analysis, CR/AVE,
Fornell-Larcker, HTMT and common-method checks (Harman; single-factor CFA vs. the model).

Inputs are respondents x items DataFrames (items already reverse-keyed); matrix statistics use
respondents complete on all items passed (listwise), recorded in an ``n`` column.
"""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.psychometrics.cfa import CFAResult, cfa

__all__ = [
    "kmo",
    "bartlett_sphericity",
    "parallel_analysis",
    "efa",
    "composite_reliability",
    "fornell_larcker",
    "htmt",
    "harman_single_factor",
    "common_method_cfa",
]

HARMAN_CAVEAT = (
    "Harman's single-factor test is weak: it can only reveal method variance so strong that one "
    "factor dominates, and it does not control for it (Podsakoff et al. 2003, doi:10.1037/0021-9010.88.5.879)"
)


def _complete(data: pd.DataFrame, items: Sequence[str] | None, where: str, min_items: int = 2) -> tuple[np.ndarray, list[str]]:
    items = list(data.columns) if items is None else list(items)
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise KeyError(f"{where}: item column(s) {missing} not in data")
    if len(items) < min_items:
        raise ValueError(f"{where}: needs at least {min_items} items, got {len(items)}")
    # pandas 3: .values may be a read-only view; factor_analyzer writes into its input
    x = data[items].to_numpy(dtype=float, copy=True)
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] <= len(items):
        raise ValueError(f"{where}: {x.shape[0]} complete respondents for {len(items)} items; need more respondents than items")
    const = [it for it, sd in zip(items, x.std(axis=0)) if sd == 0]
    if const:
        raise ValueError(f"{where}: constant item(s) {const} (zero variance); drop them first")
    if np.linalg.eigvalsh(np.corrcoef(x, rowvar=False)).min() < 1e-10:
        raise ValueError(
            f"{where}: the item correlation matrix is not positive definite (perfectly collinear or "
            "duplicated items); drop one of the redundant items"
        )
    return x, items


def kmo(data: pd.DataFrame, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item.

    Returns
    -------
    DataFrame: item (``"overall"`` first), kmo, n.

    Notes
    -----
    ``KMO_j = sum_i r_ij^2 / (sum_i r_ij^2 + sum_i q_ij^2)`` over i != j, with q the partial
    (anti-image) correlations; computed by ``factor_analyzer.calculate_kmo``.

    References
    ----------
    Kaiser, H. F. (1974). Psychometrika, 39, 31-36. doi:10.1007/BF02291575
    """
    from factor_analyzer.factor_analyzer import calculate_kmo

    x, items = _complete(data, items, "kmo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_item, overall = calculate_kmo(pd.DataFrame(x, columns=items))
    return pd.DataFrame({"item": ["overall", *items], "kmo": [float(overall), *map(float, per_item)], "n": x.shape[0]})


def bartlett_sphericity(data: pd.DataFrame, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Bartlett's test that the item correlation matrix is an identity matrix.

    Returns
    -------
    DataFrame with one row: chisq, df, p, n, k.

    Notes
    -----
    ``chisq = -(n - 1 - (2k + 5)/6) ln|R|``, ``df = k(k-1)/2`` (factor_analyzer).

    References
    ----------
    Bartlett, M. S. (1951). Biometrika, 38, 337-344. doi:10.1093/biomet/38.3-4.337
    """
    from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity

    x, items = _complete(data, items, "bartlett_sphericity")
    chisq, p = calculate_bartlett_sphericity(pd.DataFrame(x, columns=items))
    k = len(items)
    return pd.DataFrame([{"chisq": float(chisq), "df": k * (k - 1) // 2, "p": float(p), "n": x.shape[0], "k": k}])


def parallel_analysis(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    n_iter: int = 100,
    quantile: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Horn's parallel analysis on principal-component eigenvalues of the correlation matrix.

    Returns
    -------
    DataFrame, one row per component: component (1-based), eigenvalue, random_mean,
    random_quantile, retain, n_factors (same value in every row), n, n_iter, quantile.

    Notes
    -----
    Eigenvalues of the observed correlation matrix are compared with the ``quantile`` of the
    eigenvalues of correlation matrices of ``n_iter`` normal random data sets of the same n and
    k (Glorfeld's 95th percentile variant). Components are retained while the observed
    eigenvalue exceeds the random one (the first failure stops the count).

    References
    ----------
    Horn, J. L. (1965). Psychometrika, 30, 179-185. doi:10.1007/BF02289447
    Glorfeld, L. W. (1995). Educational and Psychological Measurement, 55, 377-393.
    """
    if n_iter < 1:
        raise ValueError(f"parallel_analysis: n_iter must be >= 1, got {n_iter}")
    if not 0 < quantile < 1:
        raise ValueError(f"parallel_analysis: quantile must be in (0, 1), got {quantile}")
    x, items = _complete(data, items, "parallel_analysis")
    n, k = x.shape
    obs = np.linalg.eigvalsh(np.corrcoef(x, rowvar=False))[::-1]
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
        "n": n, "n_iter": n_iter, "quantile": quantile,
    })


def efa(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    n_factors: int | None = None,
    *,
    rotation: str | None = "oblimin",
    method: str = "minres",
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Exploratory factor analysis (factor_analyzer), factors from parallel analysis by default.

    Returns
    -------
    dict with ``loadings`` (item, factor, loading, communality, uniqueness, primary: True for
    the factor with the largest |loading| of the item), ``variance`` (factor, ss_loadings,
    proportion, cumulative), ``factor_correlations`` (factor, other, estimate; oblique
    rotations only) and ``parallel_analysis`` (when ``n_factors`` was None).

    Notes
    -----
    One-factor solutions are not rotated. Oblimin with gamma = 0 (direct quartimin), as
    ``psych::fa(rotate = "oblimin")``.
    """
    from factor_analyzer import FactorAnalyzer

    x, items = _complete(data, items, "efa", min_items=3)
    out: dict[str, pd.DataFrame] = {}
    if n_factors is None:
        pa = parallel_analysis(pd.DataFrame(x, columns=items), items, seed=seed)
        n_factors = max(1, int(pa["n_factors"].iloc[0]))
        out["parallel_analysis"] = pa
    if not 1 <= n_factors < len(items):
        raise ValueError(f"efa: n_factors must be between 1 and {len(items) - 1}, got {n_factors}")
    rot = rotation if n_factors > 1 else None
    fa = FactorAnalyzer(n_factors=n_factors, rotation=rot, method=method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fa.fit(x)
    L = np.asarray(fa.loadings_)
    # orient each factor so that its loadings sum to a positive number
    sign = np.where(L.sum(axis=0) < 0, -1.0, 1.0)
    L = L * sign
    names = [f"F{j + 1}" for j in range(n_factors)]
    comm = np.asarray(fa.get_communalities())
    prim = np.abs(L).argmax(axis=1)
    rows = []
    for i, it in enumerate(items):
        for j, f in enumerate(names):
            rows.append({"item": it, "factor": f, "loading": L[i, j], "communality": comm[i],
                         "uniqueness": 1 - comm[i], "primary": bool(prim[i] == j)})
    out["loadings"] = pd.DataFrame(rows)
    ss = (L**2).sum(axis=0)
    out["variance"] = pd.DataFrame({"factor": names, "ss_loadings": ss, "proportion": ss / len(items),
                                    "cumulative": np.cumsum(ss) / len(items)})
    phi = getattr(fa, "phi_", None)
    crow = []
    if phi is not None and n_factors > 1:
        phi = np.asarray(phi) * np.outer(sign, sign)
        for a in range(n_factors):
            for b in range(a):
                crow.append({"factor": names[b], "other": names[a], "estimate": phi[a, b]})
    out["factor_correlations"] = pd.DataFrame(crow, columns=["factor", "other", "estimate"])
    out["loadings"].attrs["n"] = x.shape[0]
    return out


def composite_reliability(result: CFAResult) -> pd.DataFrame:
    """Composite reliability (CR) and average variance extracted (AVE) per factor.

    Returns
    -------
    DataFrame: factor, k, cr, ave, sqrt_ave.

    Notes
    -----
    From standardised loadings ``l``: ``CR = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))``,
    ``AVE = mean(l^2)``.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Journal of Marketing Research, 18, 39-50.
    doi:10.1177/002224378101800104
    """
    rows = []
    for f, g in result.loadings.groupby("factor", sort=False):
        lam = g["std_all"].to_numpy()
        s = lam.sum() ** 2
        ave = float((lam**2).mean())
        rows.append({"factor": f, "k": lam.size, "cr": s / (s + (1 - lam**2).sum()), "ave": ave, "sqrt_ave": np.sqrt(ave)})
    return pd.DataFrame(rows)


def fornell_larcker(result: CFAResult) -> pd.DataFrame:
    """Fornell-Larcker criterion: sqrt(AVE) of each factor vs. its correlations with the others.

    Returns
    -------
    DataFrame, one row per ordered factor pair: factor, other, sqrt_ave, correlation,
    discriminant_ok (``sqrt_ave > |correlation|``), plus one row per factor with
    ``other == factor`` and ``correlation = sqrt_ave`` (the matrix diagonal) so the usual
    matrix can be pivoted from it.
    """
    cr = composite_reliability(result).set_index("factor")
    corr = {}
    for r in result.factor_correlations.itertuples():
        corr[(r.factor, r.other)] = corr[(r.other, r.factor)] = r.estimate
    rows = []
    for f in cr.index:
        for o in cr.index:
            sa = cr.loc[f, "sqrt_ave"]
            if f == o:
                rows.append({"factor": f, "other": o, "sqrt_ave": sa, "correlation": sa, "discriminant_ok": np.nan})
            else:
                r = corr.get((f, o), np.nan)
                rows.append({"factor": f, "other": o, "sqrt_ave": sa, "correlation": r, "discriminant_ok": bool(sa > abs(r))})
    return pd.DataFrame(rows)


def htmt(
    data: pd.DataFrame,
    model: Mapping[str, Sequence[str]],
    *,
    absolute: bool = True,
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations for each pair of factors.

    Returns
    -------
    DataFrame: factor, other, htmt, n.

    Notes
    -----
    ``HTMT_ij = mean(r between items of i and j) / sqrt(mean(r within i) * mean(r within j))``,
    within-factor means over distinct item pairs. ``absolute=True`` averages |r| (as
    ``semTools::htmt`` does by default). Factors with one item have no monotrait correlations
    (NaN). Listwise complete respondents on all model items.

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). Journal of the Academy of Marketing
    Science, 43, 115-135. doi:10.1007/s11747-014-0403-8
    """
    items = [it for its in model.values() for it in its]
    x, items = _complete(data, items, "htmt")
    r = np.corrcoef(x, rowvar=False)
    if absolute:
        r = np.abs(r)
    pos = {it: i for i, it in enumerate(items)}
    idx = {f: [pos[i] for i in its] for f, its in model.items()}

    def mono(ix):
        if len(ix) < 2:
            return np.nan
        block = r[np.ix_(ix, ix)]
        return block[np.triu_indices(len(ix), 1)].mean()

    names = list(model)
    rows = []
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            hetero = r[np.ix_(idx[names[a]], idx[names[b]])].mean()
            rows.append({"factor": names[a], "other": names[b],
                         "htmt": hetero / np.sqrt(mono(idx[names[a]]) * mono(idx[names[b]])), "n": x.shape[0]})
    return pd.DataFrame(rows, columns=["factor", "other", "htmt", "n"])


def harman_single_factor(data: pd.DataFrame, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Harman's single-factor test: share of total variance of the first unrotated component.

    Returns
    -------
    DataFrame with one row: test, estimate (share of variance, 0-1), threshold (0.50),
    flag (share > .50: one factor dominates), n, k, caveat.

    Notes
    -----
    First eigenvalue of the item correlation matrix divided by the number of items (unrotated
    principal component, the usual SPSS implementation).
    """
    x, items = _complete(data, items, "harman_single_factor")
    ev = np.linalg.eigvalsh(np.corrcoef(x, rowvar=False))[-1]
    share = ev / len(items)
    return pd.DataFrame([{"test": "harman_single_factor", "estimate": share, "threshold": 0.5,
                          "flag": bool(share > 0.5), "n": x.shape[0], "k": len(items), "caveat": HARMAN_CAVEAT}])


def common_method_cfa(
    data: pd.DataFrame,
    model: Mapping[str, Sequence[str]],
    *,
    measurement: CFAResult | None = None,
    missing: str = "listwise",
) -> pd.DataFrame:
    """Single-factor CFA (all items on one factor) vs. the measurement model.

    Both models are fitted with the same ``missing`` handling (``"listwise"`` or ``"fiml"``), so
    they use the same respondents and likelihood. See :func:`common_method_comparison` for the row.
    """
    if measurement is None:
        measurement = cfa(data, model, missing=missing)
    items = [it for its in model.values() for it in its]
    single = cfa(data, {"common": items}, name="single_factor", missing=missing)
    return common_method_comparison(measurement.fit, single.fit)


def common_method_comparison(measurement_fit: pd.DataFrame, single_fit: pd.DataFrame) -> pd.DataFrame:
    """The common-method row from two fitted CFAs (measurement model, single factor).

    Returns
    -------
    DataFrame with one row: test, estimate (= delta_chisq), chisq_single, df_single, cfi_single, chisq_model, df_model,
    cfi_model, delta_chisq, delta_df, p, delta_cfi (model - single), flag (True when the single
    factor is *not* significantly worse, i.e. p >= .05, or delta CFI < .01), caveat.
    """
    fm, fs = measurement_fit.iloc[0], single_fit.iloc[0]
    d_chi = fs["chisq"] - fm["chisq"]
    d_df = int(fs["df"] - fm["df"])
    p = float(stats.chi2.sf(d_chi, d_df)) if d_df > 0 else np.nan
    d_cfi = fm["cfi"] - fs["cfi"]
    return pd.DataFrame([{
        "test": "single_factor_cfa", "estimate": d_chi, "chisq_single": fs["chisq"], "df_single": int(fs["df"]), "cfi_single": fs["cfi"],
        "chisq_model": fm["chisq"], "df_model": int(fm["df"]), "cfi_model": fm["cfi"],
        "delta_chisq": d_chi, "delta_df": d_df, "p": p, "delta_cfi": d_cfi,
        "flag": bool((np.isfinite(p) and p >= 0.05) or d_cfi < 0.01),
        "caveat": "a better-fitting multi-factor model does not rule out common-method variance "
                  "(Podsakoff et al. 2003, doi:10.1037/0021-9010.88.5.879)",
    }])
