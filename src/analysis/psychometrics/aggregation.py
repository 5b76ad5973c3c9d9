"""Justifying branch-level aggregation: ICC(1), ICC(2) (Bliese 2000) and rwg(j) (James,
Demaree & Wolf 1984), vectorised over groups with ``numpy.bincount``.

Both follow the R package ``multilevel``: ``ICC1``/``ICC2`` from a one-way ANOVA of the scale
score on group (unequal group sizes: the "group size" in ICC(1) is the mean group size, as in
``multilevel::ICC1``), ``rwg.j`` with the rectangular (uniform) null ``(A^2 - 1)/12`` and the
mean item variance truncated at the null variance (rwg(j) = 0).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["icc", "rwg_j", "aggregation_indices", "uniform_null_variance", "RWG_CUTOFF"]

RWG_CUTOFF = 0.70


def uniform_null_variance(n_options: int) -> float:
    """Variance of the rectangular null distribution for A response options: (A^2 - 1) / 12.

    Parameters
    ----------
    n_options : number of response options A (at least 2).

    Examples
    --------
    >>> uniform_null_variance(5)  # James et al. (1984): 2.0 for a 5-point scale
    2.0
    """
    if n_options < 2:
        raise ValueError(f"uniform_null_variance: need at least 2 response options, got {n_options}")
    return (n_options**2 - 1) / 12.0


def _codes(group) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(pd.Series(group), sort=True)
    return codes, pd.Index(uniques)


ICC_METHODS = ("anova", "reml", "ml")


def _variance_components_mixed(x: np.ndarray, codes: np.ndarray, reml: bool) -> tuple[float, float, bool]:
    """(tau00, sigma2, converged) of the null model ``y ~ 1 + (1 | group)`` (statsmodels MixedLM)."""
    import warnings

    import statsmodels.api as sm

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sm.MixedLM(x, np.ones((x.size, 1)), groups=codes).fit(reml=reml)
    trouble = any("converge" in str(w.message).lower() for w in caught)
    return float(np.asarray(res.cov_re)[0, 0]), float(res.scale), bool(res.converged and not trouble)


def icc(data: pd.DataFrame, y: str, group: str, *, method: str = "anova") -> pd.DataFrame:
    """ICC(1), ICC(2) and the variance components of ``y`` within and between ``group``.

    The one ICC of the package: :func:`aggregation_indices` uses it for branch-level scales, and
    ``analysis.models.multilevel`` should take its null-model variance decomposition from it
    (``method="reml"``/``"ml"``).

    Parameters
    ----------
    data : one row per respondent; rows with a missing ``y`` or ``group`` are dropped.
    y : the score column.
    group : the cluster column.
    method : ``"anova"`` (default; one-way random-effects ANOVA, Bliese 2000,
        ``multilevel::ICC1``/``ICC2``), ``"reml"`` (``lme4::lmer(y ~ 1 + (1 | group))``) or
        ``"ml"`` (the same with ``REML = FALSE``).

    Returns
    -------
    DataFrame with one row: n, n_groups, mean_group_size, icc1, icc2, tau00 (between-group
    variance), sigma2 (within-group variance), design_effect, ms_between, ms_within, f, df1,
    df2, p (the ANOVA table; NaN for reml/ml), method, estimator (``"ANOVA"``, ``"REML"``,
    ``"ML"``), converged.

    Notes
    -----
    ANOVA: ``ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW)`` with k the mean group size N/G,
    ``ICC(2) = (MSB - MSW) / MSB``, ``tau00 = (MSB - MSW) / k``, ``sigma2 = MSW``; groups of
    size 1 contribute to MSB only (as in ``aov``). REML/ML: ``ICC(1) = tau00 / (tau00 + sigma2)``
    and ``ICC(2) = k ICC(1) / (1 + (k - 1) ICC(1))`` (Spearman-Brown at the mean group size);
    in balanced data with a positive between variance REML equals ANOVA. Design effect
    ``1 + (k - 1) ICC(1)`` (Snijders & Bosker 2012, sec. 3.3).

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability. In Klein &
    Kozlowski (Eds.), Multilevel theory, research, and methods in organizations (pp. 349-381).
    Shrout, P. E., & Fleiss, J. L. (1979). Psychological Bulletin, 86, 420-428.
    doi:10.1037/0033-2909.86.2.420
    Checked against Shrout & Fleiss's (1979) ICC(1,1)/ICC(1,k) example, lme4's Dyestuff
    variance components and a simulation.

    Examples
    --------
    >>> from analysis.psychometrics.examples import example_judges
    >>> long = example_judges(long=True)  # Shrout & Fleiss (1979, Table 2): 6 targets rated by 4 judges
    >>> row = icc(long, "rating", "target").iloc[0]  # Shrout & Fleiss: ICC(1,1) = .17, ICC(1,k) = .44
    >>> round(float(row["icc1"]), 2), round(float(row["icc2"]), 2)
    (0.17, 0.44)
    """
    if method not in ICC_METHODS:
        raise ValueError(f"icc: method={method!r}; use one of {ICC_METHODS}")
    absent = [c for c in (y, group) if c not in data.columns]
    if absent:
        raise KeyError(f"icc: column(s) {absent} not in data")
    x = pd.to_numeric(data[y], errors="coerce").to_numpy(dtype=float, copy=True)
    codes, _uniq = _codes(data[group])
    ok = ~np.isnan(x) & (codes >= 0)
    x, codes = x[ok], codes[ok]
    n_g = np.bincount(codes, minlength=int(codes.max()) + 1 if codes.size else 0)
    keep = n_g > 0
    N, G = x.size, int(keep.sum())
    k = N / G if G else np.nan
    row = {"n": N, "n_groups": G, "mean_group_size": k, "icc1": np.nan, "icc2": np.nan, "tau00": np.nan,
           "sigma2": np.nan, "design_effect": np.nan, "ms_between": np.nan, "ms_within": np.nan, "f": np.nan,
           "df1": G - 1, "df2": N - G, "p": np.nan, "method": method, "estimator": method.upper(), "converged": False}
    if G < 2 or N - G < 1:
        return pd.DataFrame([row])
    if method == "anova":
        xc = x - x.mean()  # centring keeps the sums of squares accurate for non-integer scores
        s = np.bincount(codes, weights=xc, minlength=n_g.size)[keep]
        ss = np.bincount(codes, weights=xc**2, minlength=n_g.size)[keep]
        n_k = n_g[keep]
        msb = (s**2 / n_k).sum() / (G - 1)  # grand mean is 0 after centring
        msw = (ss - s**2 / n_k).sum() / (N - G)
        f = msb / msw if msw > 0 else np.inf
        icc1 = (msb - msw) / (msb + (k - 1) * msw)
        row.update(ms_between=msb, ms_within=msw, f=f, p=float(stats.f.sf(f, G - 1, N - G)), icc1=icc1,
                   icc2=(msb - msw) / msb if msb > 0 else np.nan, tau00=(msb - msw) / k, sigma2=msw, converged=True)
    else:
        tau, sig, conv = _variance_components_mixed(x, codes, reml=method == "reml")
        icc1 = tau / (tau + sig)
        row.update(icc1=icc1, icc2=k * icc1 / (1 + (k - 1) * icc1), tau00=tau, sigma2=sig, converged=conv)
    row["design_effect"] = 1 + (k - 1) * row["icc1"]
    return pd.DataFrame([row])


def rwg_j(
    data: pd.DataFrame,
    items: Sequence[str],
    group: str,
    *,
    n_options: int | None = None,
    null_variance: float | None = None,
    cutoff: float = RWG_CUTOFF,
) -> pd.DataFrame:
    """Within-group agreement rwg(j) per group against the uniform null.

    Parameters
    ----------
    data : respondents x (items + group column).
    items : the J items of the scale.
    group : name of the group column.
    n_options : number of response options A; null variance ``(A^2 - 1)/12``.
    null_variance : give the null variance directly instead (``multilevel``'s ``ranvar``).
    cutoff : agreement threshold for ``aggregation_ok`` (default .70).

    Returns
    -------
    DataFrame, one row per group: group, n, mean_item_variance, rwg_j, aggregation_ok,
    null_variance, missing (``"listwise"``).
    ``rwg_j`` is NaN (and ``aggregation_ok`` False) for groups with fewer than 2 complete
    respondents.

    Notes
    -----
    With s2 the mean of the J within-group item variances (ddof 1) and sigma2_EU the null
    variance, ``rwg(j) = J (1 - s2/sigma2_EU) / (J (1 - s2/sigma2_EU) + s2/sigma2_EU)``;
    s2 > sigma2_EU is truncated to sigma2_EU (rwg(j) = 0). Respondents with a missing item are
    dropped (``na.exclude`` in ``multilevel::rwg.j``). Vectorised: per-group sums and sums of
    squares via ``numpy.bincount``.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). Journal of Applied Psychology, 69, 85-98.
    doi:10.1037/0021-9010.69.1.85

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"a": [4, 4, 5, 1, 3, 5], "b": [4, 5, 5, 2, 4, 1], "branch": list("xxxyyy")})
    >>> out = rwg_j(data, ["a", "b"], "branch", n_options=5)
    >>> print(out[["group", "n", "mean_item_variance", "rwg_j", "aggregation_ok"]].round(3).to_string(index=False))
    group  n  mean_item_variance  rwg_j  aggregation_ok
        x  3               0.333  0.909            True
        y  3               2.000  0.000           False
    """
    if (n_options is None) == (null_variance is None):
        raise ValueError("rwg_j: give exactly one of n_options (A response options) or null_variance")
    ranvar = uniform_null_variance(n_options) if n_options is not None else float(null_variance)
    if ranvar <= 0:
        raise ValueError(f"rwg_j: null_variance must be > 0, got {ranvar}")
    items = list(items)
    missing = [c for c in [*items, group] if c not in data.columns]
    if missing:
        raise KeyError(f"rwg_j: column(s) {missing} not in data")
    x = data[items].to_numpy(dtype=float, copy=True)
    codes, uniq = _codes(data[group])
    ok = ~np.isnan(x).any(axis=1) & (codes >= 0)
    G = uniq.size
    x, c = x[ok], codes[ok]
    n_g = np.bincount(c, minlength=G).astype(float)
    J = len(items)
    xc = x - x.mean(axis=0) if x.size else x
    # (G, J) sums and sums of squares in one bincount each over a flattened (group, item) index
    flat = (c[:, None] * J + np.arange(J)[None, :]).ravel()
    s1 = np.bincount(flat, weights=xc.ravel(), minlength=G * J).reshape(G, J)
    s2 = np.bincount(flat, weights=(xc**2).ravel(), minlength=G * J).reshape(G, J)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (s2 - s1**2 / n_g[:, None]) / (n_g[:, None] - 1)
        mvar = np.clip(var, 0, None).mean(axis=1)
        mvar = np.minimum(mvar, ranvar)
        ratio = mvar / ranvar
        rwg = J * (1 - ratio) / (J * (1 - ratio) + ratio)
    rwg[n_g < 2] = np.nan
    mvar[n_g < 2] = np.nan
    return pd.DataFrame({
        "group": uniq, "n": n_g.astype(int), "mean_item_variance": mvar, "rwg_j": rwg,
        "aggregation_ok": np.nan_to_num(rwg, nan=-np.inf) >= cutoff, "null_variance": ranvar, "missing": "listwise",
    })


def aggregation_indices(
    data: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    group: str,
    *,
    n_options: Mapping[str, int] | int,
    cutoff: float = RWG_CUTOFF,
) -> dict[str, pd.DataFrame]:
    """ICC(1), ICC(2) and rwg(j) for several scales.

    The scale score for ICC is the mean of the scale's items over respondents complete on the
    scale (the same respondents rwg(j) uses).

    Parameters
    ----------
    data : respondents x (items + group column).
    scales : scale -> its item columns.
    group : name of the group column.
    n_options : response options per scale (a mapping) or one number for all.
    cutoff : rwg(j) threshold (default .70).

    Returns
    -------
    dict with ``icc`` (one row per scale: scale, the :func:`icc` columns (ANOVA), rwg_j_mean,
    rwg_j_median, share_rwg_ok = share of groups with rwg(j) >= cutoff among groups with an
    rwg(j), null_variance, missing) and ``rwg`` (one row per scale and group: the
    :func:`rwg_j` columns).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"a": [4, 4, 5, 1, 3, 5], "b": [4, 5, 5, 2, 4, 1], "branch": list("xxxyyy")})
    >>> out = aggregation_indices(data, {"climate": ["a", "b"]}, "branch", n_options=5)
    >>> print(out["icc"][["scale", "n_groups", "icc1", "rwg_j_mean", "share_rwg_ok"]].round(3).to_string(index=False))
      scale  n_groups  icc1  rwg_j_mean  share_rwg_ok
    climate         2 0.686       0.455           0.5
    """
    if group not in data.columns:
        raise KeyError(f"aggregation_indices: group column '{group}' not in data")
    icc_rows, rwg_tables = [], []
    for name, items in scales.items():
        items = list(items)
        a = n_options[name] if isinstance(n_options, Mapping) else n_options
        score = data[items].to_numpy(dtype=float, copy=True).mean(axis=1)  # NaN if any item missing
        row = icc(pd.DataFrame({"score": score, "group": data[group].to_numpy()}), "score", "group").iloc[0].to_dict()
        rw = rwg_j(data, items, group, n_options=a, cutoff=cutoff)
        valid = rw["rwg_j"].notna()
        row.update(
            rwg_j_mean=rw.loc[valid, "rwg_j"].mean(), rwg_j_median=rw.loc[valid, "rwg_j"].median(),
            share_rwg_ok=rw.loc[valid, "aggregation_ok"].mean() if valid.any() else np.nan,
            null_variance=uniform_null_variance(a), missing="listwise",
        )
        icc_rows.append({"scale": name, **row})
        rw.insert(0, "scale", name)
        rwg_tables.append(rw)
    icc_cols = ["scale", "n", "n_groups", "mean_group_size", "ms_between", "ms_within", "f", "df1", "df2", "p",
                "icc1", "icc2", "tau00", "sigma2", "design_effect", "method", "estimator", "rwg_j_mean",
                "rwg_j_median", "share_rwg_ok", "null_variance", "missing"]
    rwg_cols = ["scale", "group", "n", "mean_item_variance", "rwg_j", "aggregation_ok", "null_variance", "missing"]
    return {
        "icc": pd.DataFrame(icc_rows, columns=icc_cols),
        "rwg": pd.concat(rwg_tables, ignore_index=True) if rwg_tables else pd.DataFrame(columns=rwg_cols),
    }
