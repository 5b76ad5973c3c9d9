"""Table 1: descriptive statistics and the correlation matrix (long and wide forms).

Public functions
----------------
describe
    n, mean, SD, min, max per variable.
correlations
    Pairwise Pearson (or Spearman) correlations in long form: ``var1, var2, r, p, n, ci_low,
    ci_high, marks``.
correlation_matrix
    Wide Table-1 helper: mean, SD and the lower-triangle correlations, with reliabilities
    (e.g. Cronbach's alpha) on the diagonal when given.
significance_marks
    ``*`` p < .05, ``**`` p < .01, ``***`` p < .001.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .regression import _as_list, _check_ci, _require_columns

__all__ = ["describe", "correlations", "correlation_matrix", "significance_marks"]


def _columns(data: pd.DataFrame, columns) -> list[str]:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    cols = _as_list(columns, "columns") if columns is not None else [
        c for c in data.columns if pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])
    ]
    _require_columns(data, cols)
    bad = [c for c in cols if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise ValueError(f"column(s) {bad} are not numeric; pass numeric columns (recode categories first).")
    if not cols:
        raise ValueError("no numeric columns to describe; pass columns=[...].")
    return cols


def significance_marks(p) -> np.ndarray:
    """Conventional marks: ``***`` p < .001, ``**`` p < .01, ``*`` p < .05, else ``""``."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, "", dtype=object)
    out[p < 0.05] = "*"
    out[p < 0.01] = "**"
    out[p < 0.001] = "***"
    return out


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
        r, p, n, ci_low, ci_high, marks, method``.

    Notes
    -----
    ``t = r sqrt((n - 2) / (1 - r²))`` on ``n - 2`` df (two-sided p, as R's ``cor.test``);
    interval ``tanh(atanh(r) ± z_(1-alpha/2) / sqrt(n - 3))`` (Fisher, 1921).  For Spearman the
    same formulas are applied to the rank correlation (approximate).

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced from a
    small sample. *Metron, 1*, 3-32.
    """
    ci = _check_ci(ci)
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
    out["marks"] = significance_marks(out["p"].to_numpy()) if len(out) else []
    out["ci_level"] = ci
    out["method"] = f"{method} correlation, pairwise deletion, Fisher-z CI"
    return out


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
    value : {"r", "p", "marks"}
        What fills the correlation cells: numbers (``r``, ``p``) or significance marks.

    Returns
    -------
    DataFrame
        Index = variables; columns ``n, mean, sd`` followed by one column per variable
        (named by the variable).  Upper triangle is empty (NaN / ``""``).
    """
    if value not in ("r", "p", "marks"):
        raise ValueError(f"value must be 'r', 'p' or 'marks', got {value!r}.")
    cols = _columns(data, columns)
    desc = describe(data, cols).set_index("variable")[["n", "mean", "sd"]]
    long = correlations(data, cols, method=method)
    fill = "" if value == "marks" else np.nan
    mat = pd.DataFrame(fill, index=cols, columns=cols, dtype=object if value == "marks" else float)
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
