"""Table 1: descriptive statistics and the correlation matrix (long and wide forms).

Public functions
----------------
describe
    n, mean, SD, min, max per variable.
correlations
    Pairwise Pearson (or Spearman) correlations in long form: ``var1, var2, r, p, n, ci_low,
    ci_high``.
correlation_matrix
    Wide Table-1 helper: mean, SD and the lower-triangle correlations, with reliabilities
    (e.g. Cronbach's alpha) on the diagonal when given.

Significance stars are presentation and live in the report layer
(:func:`analysis.report.tables.stars`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import _results as rs
from ._data import as_list, check_ci, require_columns

__all__ = ["describe", "correlations", "correlation_matrix"]


def _columns(data: pd.DataFrame, columns) -> list[str]:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    cols = as_list(columns, "columns") if columns is not None else [
        c for c in data.columns if pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])
    ]
    require_columns(data, cols)
    bad = [c for c in cols if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise ValueError(f"column(s) {bad} are not numeric; pass numeric columns (recode categories first).")
    if not cols:
        raise ValueError("no numeric columns to describe; pass columns=[...].")
    return cols


def describe(data: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-variable ``n, mean, sd`` (n - 1 denominator), ``min, max`` over non-missing values.

    Parameters
    ----------
    data : DataFrame
    columns : list of str, optional
        Default: all numeric columns.

    Returns
    -------
    DataFrame
        Columns ``variable, n, mean, sd, min, max``.

    Examples
    --------
    >>> import pandas as pd
    >>> describe(pd.DataFrame({"x": [1.0, 2, 3, None], "y": [2.0, 4, 6, 8]})).round(3).values.tolist()
    [['x', 3, 2.0, 1.0, 1.0, 3.0], ['y', 4, 5.0, 2.582, 2.0, 8.0]]
    """
    cols = _columns(data, columns)
    rows = []
    for c in cols:
        v = data[c].dropna().astype(float)
        rows.append(dict(variable=c, n=int(v.size), mean=v.mean(), sd=v.std(ddof=1), min=v.min(), max=v.max()))
    return pd.DataFrame(rows)


def correlations(
    data: pd.DataFrame,
    columns: Sequence[str] | None = None,
    method: str = "pearson",
    ci: float = 0.95,
) -> pd.DataFrame:
    """Pairwise correlations in long (tidy) form, pairwise deletion.

    Parameters
    ----------
    data : DataFrame
    columns : list of str, optional
        Variables in table order (default all numeric columns).
    method : {"pearson", "spearman"}
    ci : float
        Confidence level of the Fisher-z interval.

    Returns
    -------
    DataFrame
        One row per unordered pair (``var1`` before ``var2`` in ``columns`` order): ``var1, var2,
        r, p, n, ci_low, ci_high, ci_level, method``, then ``estimand`` (``"correlation"``),
        ``df`` (``n - 2``, of the t test), and the provenance columns of
        :mod:`analysis.models._results`: ``estimator`` (``"pearson"``/``"spearman"``), ``se_type``
        (NA), ``ci_method`` (``"fisher_z"``; NA when there is no interval), ``cluster``,
        ``n_clusters``, ``n_boot``, ``n_boot_valid``, ``resample`` (NA) and ``warnings``
        (``undefined`` when ``r`` is NaN: fewer than 3 pairs or a constant variable).  ``p`` is
        the raw two-sided p-value (no multiplicity adjustment).  Significance stars are added by
        the report layer (:func:`analysis.report.tables.stars`).

    Notes
    -----
    ``t = r sqrt((n - 2) / (1 - r²))`` on ``n - 2`` df (two-sided p, as R's ``cor.test``);
    interval ``tanh(atanh(r) ± z_(1-alpha/2) / sqrt(n - 3))`` (Fisher, 1921).  For Spearman the
    same formulas are applied to the rank correlation (approximate).

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced from a
    small sample. *Metron, 1*, 3-32.

    Examples
    --------
    >>> from analysis.models.examples import example_regression_data
    >>> d = example_regression_data()
    >>> r = correlations(d, ["x", "c", "y"])
    >>> r[["var1", "var2"]].values.tolist(), r["r"].round(3).tolist()
    ([['x', 'c'], ['x', 'y'], ['c', 'y']], [0.055, 0.384, 0.277])
    >>> print(*r[["estimator", "ci_method", "df"]].iloc[0])
    pearson fisher_z 98.0
    """
    ci = check_ci(ci)
    if method not in ("pearson", "spearman"):
        raise ValueError(f"method must be 'pearson' or 'spearman', got {method!r}.")
    cols = _columns(data, columns)
    crit = stats.norm.ppf(0.5 + ci / 2)
    rows = []
    for i, a in enumerate(cols):
        for b in cols[i + 1 :]:
            pair = data[[a, b]].dropna().astype(float)
            n = len(pair)
            if n < 3 or pair[a].std() == 0 or pair[b].std() == 0:
                r = p = lo = hi = np.nan
            else:
                if method == "pearson":
                    r = float(np.corrcoef(pair[a], pair[b])[0, 1])
                else:
                    r = float(stats.spearmanr(pair[a], pair[b]).statistic)
                r = min(max(r, -1.0), 1.0)
                if abs(r) < 1:
                    t = r * np.sqrt((n - 2) / (1 - r * r))
                    p = float(2 * stats.t.sf(abs(t), n - 2))
                else:
                    p = 0.0
                if n > 3 and abs(r) < 1:
                    zr = np.arctanh(r)
                    lo, hi = float(np.tanh(zr - crit / np.sqrt(n - 3))), float(np.tanh(zr + crit / np.sqrt(n - 3)))
                else:
                    lo = hi = np.nan
            rows.append(dict(var1=a, var2=b, r=r, p=p, n=n, ci_low=lo, ci_high=hi))
    out = pd.DataFrame(rows, columns=["var1", "var2", "r", "p", "n", "ci_low", "ci_high"])
    out["ci_level"] = ci
    out["method"] = f"{method} correlation, pairwise deletion, Fisher-z CI"
    out["estimand"] = "correlation"
    out["df"] = (out["n"] - 2).clip(lower=0).astype(float)
    out["estimator"] = method
    out["se_type"] = None
    out["ci_method"] = np.where(out["ci_low"].notna(), "fisher_z", None)
    for c in ("cluster", "n_clusters", "n_boot", "n_boot_valid", "resample"):
        out[c] = None
    out["warnings"] = np.where(out["r"].isna(), rs.warning_codes(["undefined"]), "")
    return rs.finish(out)


def correlation_matrix(
    data: pd.DataFrame,
    columns: Sequence[str] | None = None,
    reliability: Mapping[str, float] | pd.Series | None = None,
    method: str = "pearson",
    value: str = "r",
) -> pd.DataFrame:
    """Wide Table 1: ``n, mean, sd`` and the lower-triangle correlation matrix.

    Parameters
    ----------
    data : DataFrame
    columns : list of str, optional
        Variables in table order.
    reliability : mapping or Series, optional
        Reliabilities (e.g. Cronbach's alpha) keyed by variable; placed on the diagonal
        (missing keys leave the diagonal NaN).
    method : {"pearson", "spearman"}
    value : {"r", "p"}
        What fills the correlation cells.

    Returns
    -------
    DataFrame
        Index = variables; columns ``n, mean, sd`` followed by one column per variable
        (named by the variable).  Upper triangle is empty (NaN / ``""``).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [2.0, 1, 4, 3]})
    >>> correlation_matrix(d, reliability={"x": 0.8}).round(2).values.tolist()
    [[4.0, 2.5, 1.29, 0.8, nan], [4.0, 2.5, 1.29, 0.6, nan]]
    """
    if value not in ("r", "p"):
        raise ValueError(f"value must be 'r' or 'p', got {value!r}.")
    cols = _columns(data, columns)
    desc = describe(data, cols).set_index("variable")[["n", "mean", "sd"]]
    long = correlations(data, cols, method=method)
    mat = pd.DataFrame(np.nan, index=cols, columns=cols, dtype=float)
    for _, row in long.iterrows():
        mat.loc[row["var2"], row["var1"]] = row[value]
    if reliability is not None:
        rel = pd.Series(reliability, dtype=float)
        unknown = [k for k in rel.index if k not in cols]
        if unknown:
            raise KeyError(f"reliability given for {unknown}, which are not among the table columns {cols}.")
        if value == "r":
            for k, a in rel.items():
                mat.loc[k, k] = a
    out = pd.concat([desc, mat], axis=1)
    out.index.name = "variable"
    return out
