"""Common-method checks: Harman's single-factor test and the single-factor CFA comparison.

Both are weak evidence (Podsakoff et al. 2003): a single factor that does *not* dominate, and a
single-factor model that fits clearly *worse* than the measurement model, are the desired
results; neither rules out common-method variance. The flags here are True when the check finds
a problem (one factor dominates / fits about as well as the measurement model).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.psychometrics.cfa import CFAResult, cfa
from analysis.psychometrics.correlations import item_correlations

__all__ = ["HARMAN_CAVEAT", "harman_single_factor", "common_method_cfa", "common_method_comparison"]

HARMAN_CAVEAT = (
    "Harman's single-factor test is weak: it can only reveal method variance so strong that one "
    "factor dominates, and it does not control for it (Podsakoff et al. 2003, doi:10.1037/0021-9010.88.5.879)"
)
CFA_CAVEAT = ("a better-fitting multi-factor model does not rule out common-method variance "
              "(Podsakoff et al. 2003, doi:10.1037/0021-9010.88.5.879)")


def harman_single_factor(data: pd.DataFrame, items: Sequence[str] | None = None, *,
                         missing: str = "pairwise") -> pd.DataFrame:
    """Harman's single-factor test: share of total variance of the first unrotated component.

    Parameters
    ----------
    data, items, missing : as in :func:`~analysis.psychometrics.validity.bartlett_sphericity` (pairwise
        correlations by default).

    Returns
    -------
    DataFrame with one row: test, estimate (share of variance, 0-1), threshold (0.50),
    flag (share > .50: one factor dominates), k, caveat, estimator (``"pca"``), missing, n,
    n_pair_min.

    Notes
    -----
    First eigenvalue of the (pairwise by default, or listwise) item correlation matrix divided by
    the number of items (unrotated principal component, the usual SPSS implementation).

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> row = harman_single_factor(hs, [f"x{i}" for i in range(1, 10)]).iloc[0]
    >>> round(float(row["estimate"]), 3), bool(row["flag"])
    (0.357, False)
    """
    c = item_correlations(data, items, missing=missing, where="harman_single_factor")
    share = np.linalg.eigvalsh(c.r)[-1] / len(c.items)
    return pd.DataFrame([{"test": "harman_single_factor", "estimate": share, "threshold": 0.5,
                          "flag": bool(share > 0.5), "k": len(c.items), "caveat": HARMAN_CAVEAT,
                          **c.columns(), "estimator": "pca"}])


def common_method_cfa(
    data: pd.DataFrame,
    model: Mapping[str, Sequence[str]],
    *,
    measurement: CFAResult | None = None,
    missing: str = "fiml",
) -> pd.DataFrame:
    """Single-factor CFA (all items on one factor) vs. the measurement model.

    Both models are fitted with the same ``missing`` handling (``"fiml"``, the default, or
    ``"listwise"``), so they use the same respondents and likelihood. See
    :func:`common_method_comparison` for the row.

    Parameters
    ----------
    data : respondents x items.
    model : factor -> items of the measurement model.
    measurement : the measurement model's :func:`cfa` result, when already fitted.
    missing : ``"fiml"`` (default) or ``"listwise"``, for both models.

    Examples
    --------
    >>> from analysis.psychometrics.examples import example_holzinger
    >>> hs, model = example_holzinger()
    >>> row = common_method_cfa(hs, model).iloc[0]
    >>> round(float(row["delta_chisq"]), 2), int(row["delta_df"]), bool(row["flag"])
    (226.96, 3, False)
    """
    if measurement is None:
        measurement = cfa(data, model, missing=missing)
    items = [it for its in model.values() for it in its]
    single = cfa(data, {"common": items}, name="single_factor", missing=missing)
    return common_method_comparison(measurement.fit, single.fit)


def common_method_comparison(measurement_fit: pd.DataFrame, single_fit: pd.DataFrame) -> pd.DataFrame:
    """The common-method row from two fitted CFAs (measurement model, single factor).

    Parameters
    ----------
    measurement_fit : the ``fit`` table of the measurement model's :func:`cfa`.
    single_fit : the ``fit`` table of the single-factor model, on the same respondents.

    Returns
    -------
    DataFrame with one row: test, estimate (= delta_chisq), chisq_single, df_single, cfi_single,
    chisq_model, df_model, cfi_model, delta_chisq, delta_df, p, delta_cfi (model - single), flag
    (True when the single factor is *not* significantly worse, i.e. p >= .05, or delta CFI < .01),
    caveat, estimator, missing, n.

    Examples
    --------
    >>> from analysis.psychometrics.examples import example_holzinger
    >>> hs, model = example_holzinger()
    >>> items = [it for its in model.values() for it in its]
    >>> row = common_method_comparison(cfa(hs, model).fit, cfa(hs, {"common": items}).fit).iloc[0]
    >>> round(float(row["chisq_single"]), 2), int(row["df_single"])
    (312.26, 27)
    """
    fm, fs = measurement_fit.iloc[0], single_fit.iloc[0]
    if (fm["missing"], int(fm["n"])) != (fs["missing"], int(fs["n"])):
        raise ValueError("common_method_comparison: the two CFAs must use the same respondents and missing-data "
                         f"handling, got {fm['missing']}/n={fm['n']} and {fs['missing']}/n={fs['n']}")
    d_chi = fs["chisq"] - fm["chisq"]
    d_df = int(fs["df"] - fm["df"])
    p = float(stats.chi2.sf(d_chi, d_df)) if d_df > 0 else np.nan
    d_cfi = fm["cfi"] - fs["cfi"]
    return pd.DataFrame([{
        "test": "single_factor_cfa", "estimate": d_chi, "chisq_single": fs["chisq"], "df_single": int(fs["df"]),
        "cfi_single": fs["cfi"], "chisq_model": fm["chisq"], "df_model": int(fm["df"]), "cfi_model": fm["cfi"],
        "delta_chisq": d_chi, "delta_df": d_df, "p": p, "delta_cfi": d_cfi,
        "flag": bool((np.isfinite(p) and p >= 0.05) or d_cfi < 0.01), "caveat": CFA_CAVEAT,
        "estimator": fm["estimator"], "missing": fm["missing"], "n": int(fm["n"]),
    }])
