"""Ordinary least squares and hierarchical (blockwise) regression.

Public functions
----------------
ols
    One OLS model: unstandardised b, SE, standardised beta, t, p, CI and VIF per term,
    optionally with cluster-robust (CR1) standard errors by a group column.
hierarchical_regression
    Blocks entered in steps (controls -> management practices -> interactions): per step
    R², adjusted R², ΔR², F change (df1, df2, p); per step and term the :func:`ols` columns.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import SingularMatrixWarning

from . import _results as rs
from ._data import as_list, check_ci, numeric_frame, require_columns

__all__ = ["ols", "hierarchical_regression", "HierarchicalResult"]


def _t_ci(est: np.ndarray, se: np.ndarray, df: float, ci: float) -> tuple[np.ndarray, np.ndarray]:
    crit = stats.t.ppf(0.5 + ci / 2, df)
    return est - crit * se, est + crit * se


def _parse_interactions(interactions) -> list[tuple[str, ...]]:
    out = []
    for item in interactions or []:
        if isinstance(item, str):
            parts = tuple(p.strip() for p in item.split(":"))
        else:
            parts = tuple(item)
        if len(parts) < 2 or not all(isinstance(p, str) and p for p in parts):
            raise ValueError(
                f"interaction {item!r} must name two or more columns, as 'a:b' or ('a', 'b')."
            )
        out.append(parts)
    return out


# --------------------------------------------------------------------------- core OLS
def _vif(x: np.ndarray) -> np.ndarray:
    """VIF of each column of a design without intercept: diag of the inverse correlation matrix."""
    if x.shape[1] == 0:
        return np.array([])
    if x.shape[1] == 1:
        return np.array([1.0])
    sd = x.std(axis=0, ddof=1)
    if np.any(sd == 0):
        out = np.full(x.shape[1], np.nan)
        return out
    r = np.corrcoef(x, rowvar=False)
    try:
        return np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        return np.full(x.shape[1], np.inf)


def _fit(frame: pd.DataFrame, y: str, terms: Sequence[str], group: str | None, ci: float, model: str):
    """Fit one OLS model on ``frame``; return (coefficient table, statsmodels results)."""
    yv = frame[y].to_numpy()
    xm = frame[list(terms)].to_numpy()
    design = np.column_stack([np.ones(len(frame)), xm])
    names = ["Intercept", *terms]
    mod = sm.OLS(yv, design)
    warn = ["rank_deficient"] if np.linalg.matrix_rank(design) < design.shape[1] else []
    if group is not None:
        codes = pd.factorize(frame[group])[0]
        n_groups = int(codes.max()) + 1
        if n_groups < 2:
            raise ValueError(f"group column {group!r} has a single cluster; cluster-robust SEs need >= 2 clusters.")
        with warnings.catch_warnings():  # a rank-deficient design is reported as a code instead
            warnings.simplefilter("ignore", SingularMatrixWarning)
            res = mod.fit(cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True,
                                                        "df_correction": True}, use_t=True)
        df_inf = n_groups - 1
        method = f"OLS, cluster-robust SE (CR1) by {group}, {n_groups} clusters, t(df={df_inf})"
        warn += ["few_clusters"] if n_groups < rs.MIN_CLUSTERS else []
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SingularMatrixWarning)
            res = mod.fit()
        df_inf = res.df_resid
        n_groups = np.nan
        method = "OLS, classical SE"
    est = np.asarray(res.params)
    se = np.asarray(res.bse)
    tval = est / se
    p = 2 * stats.t.sf(np.abs(tval), df_inf)
    lo, hi = _t_ci(est, se, df_inf, ci)
    sdy = yv.std(ddof=1)
    sdx = xm.std(axis=0, ddof=1) if xm.shape[1] else np.array([])
    beta = np.concatenate([[np.nan], est[1:] * sdx / sdy]) if sdy > 0 else np.full(len(est), np.nan)
    vif = np.concatenate([[np.nan], _vif(xm)])
    table = pd.DataFrame(
        {
            "model": model,
            "term": names,
            "estimate": est,
            "se": se,
            "beta": beta,
            "t": tval,
            "df": float(df_inf),
            "p": p,
            "ci_low": lo,
            "ci_high": hi,
            "vif": vif,
            "n": int(len(frame)),
            "n_groups": n_groups,
            "ci_level": ci,
            "method": method,
            "estimand": "coefficient",
            "predictor": names,
            "level": None,
            "outcome": y,
        }
    )
    meta = rs.provenance(estimator="ols", n=len(frame), se_type="cluster_cr1" if group else "classical",
                         ci_method="t", ci_level=ci, cluster=group, n_clusters=None if group is None else n_groups,
                         warnings=warn)
    return rs.stamp(table, meta), res


def ols(
    data: pd.DataFrame,
    y: str,
    x: str | Sequence[str],
    covar: str | Sequence[str] | None = None,
    group: str | None = None,
    ci: float = 0.95,
    model: str = "OLS",
) -> pd.DataFrame:
    """Ordinary least-squares regression of ``y`` on ``x`` and ``covar``.

    Parameters
    ----------
    data : DataFrame
        One row per observation; rows with a missing value in any used column are dropped.
    y : str
        Outcome column.
    x : str or list of str
        Focal predictor column(s).
    covar : str or list of str, optional
        Control variables (entered after ``x`` in the table).
    group : str, optional
        Cluster column; if given, standard errors are cluster-robust (CR1, statsmodels
        ``cov_type="cluster"``) and t tests use ``G - 1`` degrees of freedom.
    ci : float
        Confidence level of the t-based intervals.
    model : str
        Label written in the ``model`` column.

    Returns
    -------
    DataFrame
        One row per term (``Intercept`` first) with columns ``model, term, estimate, se, beta,
        t, df, p, ci_low, ci_high, vif, n, n_groups, ci_level, method``, then the structured
        columns ``estimand`` (``"coefficient"``), ``predictor`` (the term's column, ``"Intercept"``,
        or ``"a:b"`` for a product), ``level`` (NA here; the level of a dummy-coded category in
        :func:`analysis.models.targets.sales_expectation`), ``outcome`` (``y``) and the
        provenance columns of :mod:`analysis.models._results`: ``estimator`` (``"ols"``),
        ``se_type`` (``"classical"`` or ``"cluster_cr1"``), ``ci_method`` (``"t"``), ``cluster``,
        ``n_clusters``, ``n_boot``, ``n_boot_valid``, ``resample`` (NA: no bootstrap) and
        ``warnings`` (``rank_deficient``, ``few_clusters``).  ``beta`` is the standardised
        coefficient ``b * sd(x) / sd(y)`` on the estimation sample; ``vif`` is ``1 / (1 - R²_j)``
        from the inverse predictor correlation matrix.  ``n_groups`` equals ``n_clusters`` (kept
        for existing readers).

    Notes
    -----
    ``b = (X'X)^-1 X'y``; classical ``Var(b) = s² (X'X)^-1``.  Cluster-robust:
    ``Var(b) = c (X'X)^-1 (sum_g X_g' e_g e_g' X_g) (X'X)^-1`` with
    ``c = G/(G-1) * (n-1)/(n-k)`` (CR1; Cameron & Miller, 2015).

    References
    ----------
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. *Journal of Human Resources, 50*(2), 317-372. https://doi.org/10.3368/jhr.50.2.317

    Checked against the NIST StRD certified values for the Longley data (tests/test_regression.py)
    and by simulation coverage (tests/test_coverage.py).

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.models.examples import example_regression_data
    >>> d = example_regression_data().assign(g=np.repeat(np.arange(20), 5))  # 20 clusters of 5
    >>> t = ols(d, y="y", x="x", covar="c", group="g")
    >>> t[["term", "estimate", "se"]].round(3).values.tolist()
    [['Intercept', 0.865, 0.115], ['x', 0.482, 0.097], ['c', 0.337, 0.124]]
    >>> print(*t[["se_type", "ci_method", "n_clusters", "warnings"]].iloc[0])  # 20 branches: few_clusters
    cluster_cr1 t 20 few_clusters
    """
    ci = check_ci(ci)
    xs = as_list(x, "x")
    cs = as_list(covar, "covar")
    if not xs:
        raise ValueError("x must name at least one predictor column.")
    require_columns(data, [y, *xs, *cs] + ([group] if group else []))
    frame = numeric_frame(data, [y, *xs, *cs], group)
    table, _ = _fit(frame, y, [*xs, *cs], group, ci, model)
    return table


# --------------------------------------------------------------------------- hierarchical
@dataclass(frozen=True)
class HierarchicalResult:
    """Result of :func:`hierarchical_regression`.

    Attributes
    ----------
    steps : DataFrame
        One row per step: ``model, step, block, terms_added, r2, adj_r2, delta_r2, f_change,
        df1, df2, p, wald_f, wald_df1, wald_df2, wald_p, n, method`` and the provenance columns
        of :func:`ols` (``estimator``, ``se_type`` of the Wald test, ``cluster``,
        ``n_clusters``, ``warnings`` of the step's fit; ``ci_method``/``ci_level`` NA: a step
        has no interval).  ``p`` is the p-value of the F change (raw, not adjusted).
    coefficients : DataFrame
        One row per step and term, columns as :func:`ols` plus ``step``.

    Examples
    --------
    >>> from analysis.models.examples import example_regression_data
    >>> d = example_regression_data()
    >>> result = hierarchical_regression(d, y="y", covar="c", x="x")
    >>> result.coefficients.groupby("step")["term"].apply(list).to_dict()
    {1: ['Intercept', 'c'], 2: ['Intercept', 'c', 'x']}
    """

    steps: pd.DataFrame
    coefficients: pd.DataFrame


def hierarchical_regression(
    data: pd.DataFrame,
    y: str,
    x: str | Sequence[str] | None = None,
    covar: str | Sequence[str] | None = None,
    interactions: Sequence[str | Sequence[str]] | None = None,
    blocks: Mapping[str, Sequence[str]] | None = None,
    group: str | None = None,
    center_interactions: bool = True,
    ci: float = 0.95,
) -> HierarchicalResult:
    """Hierarchical OLS regression with blocks entered in steps.

    Parameters
    ----------
    data : DataFrame
        Observations; all steps use the same listwise-complete sample (required for ΔR²).
    y : str
        Outcome column.
    x : str or list of str, optional
        Focal block (e.g. management practices), entered after ``covar``.
    covar : str or list of str, optional
        Control block, entered first.
    interactions : list, optional
        Product terms entered last, each ``"a:b"`` or ``("a", "b")``; named ``"a:b"``.
    blocks : mapping of str to list of str, optional
        Explicit ordered blocks ``{"controls": [...], "practices": [...], ...}``; overrides
        ``covar``/``x``.  Interaction terms ``"a:b"`` may appear inside blocks.
    group : str, optional
        Cluster column for cluster-robust (CR1) SEs of the coefficients and a cluster-robust
        Wald F test of each block.
    center_interactions : bool
        Mean-centre (on the analysis sample) every variable that appears in an interaction,
        in all steps (Aiken & West, 1991).  Recorded in ``method`` and, as codes, in ``centred``
        (the centred variables joined by ``";"``) of both tables.
    ci : float
        Confidence level.

    Returns
    -------
    HierarchicalResult
        ``steps`` and ``coefficients`` tables (see :class:`HierarchicalResult`).

    Notes
    -----
    ``ΔR²_s = R²_s - R²_(s-1)``;
    ``F_change = (ΔR²_s / df1) / ((1 - R²_s) / df2)`` with ``df1`` = terms added and
    ``df2 = n - k_s - 1`` (Cohen, Cohen, West & Aiken, 2003, eq. 5.5.1).  The first step is
    compared with the intercept-only model.  With ``group`` the F change is still the classical
    one (R² does not depend on the covariance estimator); ``wald_*`` is the cluster-robust
    Wald test that the added coefficients are zero, F with ``(df1, G - 1)``.

    References
    ----------
    Aiken, L. S., & West, S. G. (1991). *Multiple regression: Testing and interpreting
    interactions*. Sage.
    Cohen, J., Cohen, P., West, S. G., & Aiken, L. S. (2003). *Applied multiple
    regression/correlation analysis for the behavioral sciences* (3rd ed.). Erlbaum.

    Examples
    --------
    >>> from analysis.models.examples import example_regression_data
    >>> d = example_regression_data()
    >>> h = hierarchical_regression(d, y="y", covar="c", x="x")
    >>> h.steps[["step", "r2", "delta_r2"]].round(3).values.tolist()
    [[1.0, 0.077, 0.077], [2.0, 0.212, 0.136]]
    >>> round(float(h.steps["f_change"].iloc[1]), 2)
    16.75
    """
    ci = check_ci(ci)
    if blocks is not None:
        if not isinstance(blocks, Mapping) or not blocks:
            raise ValueError("blocks must be a non-empty mapping {block name: [columns]}.")
        block_list = [(str(k), as_list(v, f"blocks[{k!r}]")) for k, v in blocks.items()]
    else:
        block_list = []
        if covar:
            block_list.append(("controls", as_list(covar, "covar")))
        if x:
            block_list.append(("predictors", as_list(x, "x")))
        inter = _parse_interactions(interactions)
        if inter:
            block_list.append(("interactions", [":".join(p) for p in inter]))
    if not block_list or not any(b for _, b in block_list):
        raise ValueError("hierarchical_regression needs at least one block: pass covar, x, interactions or blocks.")
    all_terms = [t for _, b in block_list for t in b]
    dup = sorted({t for t in all_terms if all_terms.count(t) > 1})
    if dup:
        raise ValueError(f"term(s) {dup} appear in more than one block; each term enters once.")
    products = {t: tuple(t.split(":")) for t in all_terms if ":" in t}
    base_vars = list(dict.fromkeys([t for t in all_terms if ":" not in t] + [v for p in products.values() for v in p]))
    require_columns(data, [y, *base_vars] + ([group] if group else []))
    frame = numeric_frame(data, [y, *base_vars], group)
    centred = sorted({v for p in products.values() for v in p}) if center_interactions else []
    for v in centred:
        frame[v] = frame[v] - frame[v].mean()
    for name, parts in products.items():
        frame[name] = np.prod([frame[p].to_numpy() for p in parts], axis=0)

    n = len(frame)
    tss = float(((frame[y] - frame[y].mean()) ** 2).sum())
    steps, coefs = [], []
    prev_r2, prev_terms = 0.0, []
    for s, (bname, bterms) in enumerate(block_list, start=1):
        terms = prev_terms + bterms
        label = f"step {s}"
        table, res = _fit(frame, y, terms, group, ci, label)
        table.insert(1, "step", s)
        if centred:
            table["method"] = table["method"] + f"; mean-centred before products: {', '.join(centred)}"
        table["centred"] = ";".join(centred)
        coefs.append(table)
        r2 = 1.0 - float(np.sum(res.resid**2)) / tss
        k = len(terms)
        df1, df2 = len(bterms), n - k - 1
        adj = 1.0 - (1.0 - r2) * (n - 1) / df2 if df2 > 0 else np.nan
        d_r2 = r2 - prev_r2
        if df1 > 0 and df2 > 0 and r2 < 1:
            f_ch = (d_r2 / df1) / ((1.0 - r2) / df2)
            p_ch = float(stats.f.sf(f_ch, df1, df2))
        else:
            f_ch, p_ch = np.nan, np.nan
        wald = (np.nan, np.nan, np.nan, np.nan)
        if group is not None and df1 > 0:
            rmat = np.zeros((df1, k + 1))
            for i in range(df1):
                rmat[i, 1 + len(prev_terms) + i] = 1.0
            b = np.asarray(res.params)
            v = np.asarray(res.cov_params())
            rb = rmat @ b
            w = float(rb @ np.linalg.solve(rmat @ v @ rmat.T, rb)) / df1
            g = int(table["n_groups"].iloc[0])
            wald = (w, float(df1), float(g - 1), float(stats.f.sf(w, df1, g - 1)))
        steps.append(
            {
                "model": label,
                "step": s,
                "block": bname,
                "terms_added": ", ".join(bterms),
                "r2": r2,
                "adj_r2": adj,
                "delta_r2": d_r2,
                "f_change": f_ch,
                "df1": float(df1),
                "df2": float(df2),
                "p": p_ch,
                "wald_f": wald[0],
                "wald_df1": wald[1],
                "wald_df2": wald[2],
                "wald_p": wald[3],
                "n": n,
                "method": table["method"].iloc[0] + "; F change classical",
                "centred": table["centred"].iloc[0],
                **{c: table[c].iloc[0] for c in rs.PROVENANCE_COLUMNS if c not in ("n", "ci_method", "ci_level")},
                "ci_method": None,
                "ci_level": np.nan,
            }
        )
        prev_r2, prev_terms = r2, terms
    return HierarchicalResult(steps=rs.finish(pd.DataFrame(steps)),
                              coefficients=rs.finish(pd.concat(coefs, ignore_index=True)))
