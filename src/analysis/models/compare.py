"""Comparing two independent samples, and adjusting a family of p-values.

Public functions
----------------
welch_t
    Welch's unequal-variance t test of a difference of two means, with its CI
    (``scipy.stats.ttest_ind(equal_var=False)``).
holm
    Holm's step-down adjusted p-values (``statsmodels.stats.multitest.multipletests``), with
    missing p-values left out of the family.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from . import _results as rs
from ._data import check_ci

__all__ = ["welch_t", "holm"]


def welch_t(a, b, ci: float = 0.95) -> pd.DataFrame:
    """Welch's t test of ``mean(b) - mean(a)`` for two independent samples.

    Parameters
    ----------
    a, b : array-like of float
        The two samples (e.g. a scale's scores in the previous and the current wave); missing
        values are dropped.
    ci : float
        Confidence level of the interval of the difference.

    Returns
    -------
    DataFrame
        One row: ``estimand`` (``"mean_difference"``), ``estimate`` (``mean(b) - mean(a)``),
        ``se`` (``sqrt(s_a²/n_a + s_b²/n_b)``), ``t``, ``df`` (Welch–Satterthwaite), ``p``
        (two-sided, raw), ``ci_low``, ``ci_high``, ``n_a``, ``n_b``, ``method``, and the
        provenance columns of :mod:`analysis.models._results` (``estimator``
        ``"mean_difference"``, ``se_type`` ``"welch"``, ``ci_method`` ``"t"``; ``warnings``
        ``undefined`` when a sample has fewer than 2 values or both have no variance, and then
        ``t``, ``df``, ``p`` and the interval are NaN).

    Notes
    -----
    ``t = (mean_b - mean_a) / sqrt(s_a²/n_a + s_b²/n_b)`` with
    ``df = (v_a + v_b)² / (v_a²/(n_a - 1) + v_b²/(n_b - 1))``, ``v = s²/n`` (Welch, 1947);
    computed by ``scipy.stats.ttest_ind(b, a, equal_var=False)`` and its
    ``confidence_interval``.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika, 34*(1-2), 28-35.
    https://doi.org/10.1093/biomet/34.1-2.28

    Checked against R ``t.test(b, a)`` (Welch is R's default; tests/test_compare.py).

    Examples
    --------
    >>> t = welch_t([1, 2, 3, 4], [2, 3, 5, 7, 8]).iloc[0]
    >>> print(round(t["estimate"], 2), round(t["t"], 4), round(t["df"], 3), round(t["p"], 4))
    2.5 1.9081 6.135 0.1039
    """
    ci = check_ci(ci)
    xa = pd.to_numeric(pd.Series(np.asarray(a, dtype=float).ravel())).dropna().to_numpy()
    xb = pd.to_numeric(pd.Series(np.asarray(b, dtype=float).ravel())).dropna().to_numpy()
    diff = float(xb.mean() - xa.mean()) if xa.size and xb.size else np.nan
    se = float(np.sqrt(xa.var(ddof=1) / xa.size + xb.var(ddof=1) / xb.size)) if min(xa.size, xb.size) > 1 else np.nan
    row = dict(estimand="mean_difference", estimate=diff, se=se, t=np.nan, df=np.nan, p=np.nan, ci_low=np.nan,
               ci_high=np.nan, n_a=int(xa.size), n_b=int(xb.size), method="Welch's t test (unequal variances)")
    defined = np.isfinite(se) and se > 0
    if defined:
        res = stats.ttest_ind(xb, xa, equal_var=False)
        interval = res.confidence_interval(ci)
        row.update(t=float(res.statistic), df=float(res.df), p=float(res.pvalue), ci_low=float(interval.low),
                   ci_high=float(interval.high))
    meta = rs.provenance(estimator="mean_difference", n=xa.size + xb.size, se_type="welch", ci_method="t",
                         ci_level=ci, warnings=() if defined else ["undefined"])
    return rs.stamp(pd.DataFrame([row]), meta)


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values; missing p-values stay missing and are not counted.

    Parameters
    ----------
    p : sequence of float
        Raw p-values of one family of tests (NaN for a test that was not run).

    Returns
    -------
    ndarray
        Adjusted p-values in the input order: ``p_(i)`` sorted ascending among the ``m``
        present, ``p_holm(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``.  Report them in a
        ``p_holm`` column next to the raw ``p``, never in place of it.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
    Journal of Statistics, 6*(2), 65-70.

    Computed by ``statsmodels.stats.multitest.multipletests(method="holm")``; checked against R
    ``p.adjust(p, "holm")`` (tests/test_compare.py).

    Examples
    --------
    >>> holm([0.01, 0.04, float("nan"), 0.03]).round(2).tolist()
    [0.03, 0.06, nan, 0.06]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    if present.any():
        out[present] = multipletests(p[present], method="holm")[1]
    return out
