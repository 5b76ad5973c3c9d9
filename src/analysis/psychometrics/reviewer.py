"""A reviewer table: each psychometric statistic beside its conventional threshold and a pass flag.

Only data; the report layer renders it (APA / 三线表). Thresholds are conventions, not laws:
alpha/omega/CR >= .70 (Nunnally & Bernstein 1994), AVE >= .50 (Fornell & Larcker 1981),
CFI/TLI >= .90 and RMSEA/SRMR <= .08 (Hu & Bentler 1999; Browne & Cudeck 1993), KMO > .70
(Kaiser 1974 calls .70s "middling"), rwg(j) >= .70 (James et al. 1984; LeBreton & Senter
2008), ICC(1) > .05 (Bliese 2000).

Common-method rows are judged by the outcome a researcher hopes for: the single-factor CFA
*passes* when it fits poorly (CFI/TLI < .90, RMSEA/SRMR > .08) and clearly worse than the
measurement model (delta CFI >= .01), and Harman's first factor passes when it explains at most
half of the variance (Podsakoff et al. 2003). Such rows have ``desired == "poor_fit"``.
"""

from __future__ import annotations

import operator
from typing import Mapping

import numpy as np
import pandas as pd

__all__ = ["THRESHOLDS", "SINGLE_FACTOR_RULES", "reviewer_table"]

# statistic -> (comparison, threshold)
THRESHOLDS: dict[str, tuple[str, float]] = {
    "alpha": (">=", 0.70),
    "omega": (">=", 0.70),
    "cr": (">=", 0.70),
    "ave": (">=", 0.50),
    "cfi": (">=", 0.90),
    "tli": (">=", 0.90),
    "rmsea": ("<=", 0.08),
    "srmr": ("<=", 0.08),
    "kmo": (">", 0.70),
    "rwg_j": (">=", 0.70),
    "icc1": (">", 0.05),
    "harman_share": ("<=", 0.50),
    "delta_cfi_single": (">=", 0.01),
}
# the single-factor (common-method) CFA: poor fit is the desired result
SINGLE_FACTOR_RULES: dict[str, tuple[str, float]] = {
    "cfi": ("<", 0.90),
    "tli": ("<", 0.90),
    "rmsea": (">", 0.08),
    "srmr": (">", 0.08),
}
SINGLE_FACTOR_MODEL = "single_factor"
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
COLUMNS = ["source", "scale", "statistic", "value", "rule", "threshold", "passed", "desired"]


def _row(source: str, scale: str, statistic: str, value, thresholds, desired: str = "meets_threshold") -> dict:
    rule, thr = thresholds[statistic]
    v = float(value) if value is not None and pd.notna(value) else np.nan
    return {"source": source, "scale": scale, "statistic": statistic, "value": v, "rule": rule,
            "threshold": thr, "passed": bool(_OPS[rule](v, thr)) if np.isfinite(v) else pd.NA, "desired": desired}


def reviewer_table(
    results: Mapping[str, pd.DataFrame],
    *,
    thresholds: Mapping[str, tuple[str, float]] | None = None,
) -> pd.DataFrame:
    """Collect the statistics a reviewer checks from the suite's result tables.

    Parameters
    ----------
    results : dict of tables as returned by :func:`analysis.psychometrics.psychometrics_suite`
        (uses ``reliability``, ``cr_ave``, ``cfa_fit``, ``kmo``, ``common_method``, ``icc`` when
        present).
    thresholds : override of :data:`THRESHOLDS` (statistic -> (rule, threshold)).

    Returns
    -------
    DataFrame: source, scale, statistic, value, rule, threshold, passed (``pd.NA`` when the
    value is missing), desired (``"meets_threshold"``, or ``"poor_fit"`` for the single-factor
    model and the other common-method rows, whose rules are :data:`SINGLE_FACTOR_RULES`,
    ``harman_share <= .50`` and ``delta_cfi_single >= .01``). For ``rwg_j`` the value is the
    scale's mean rwg(j) over groups; the per-group gate is ``rwg.aggregation_ok``.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> from analysis.psychometrics import scale_reliability
    >>> rel = scale_reliability(hs, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]})
    >>> table = reviewer_table({"reliability": rel})
    >>> print(table[["scale", "statistic", "value", "rule", "threshold", "passed"]].round(3).to_string(index=False))
      scale statistic  value rule  threshold  passed
     visual     alpha  0.626   >=        0.7   False
     visual     omega  0.633   >=        0.7   False
    textual     alpha  0.883   >=        0.7    True
    textual     omega  0.886   >=        0.7    True
    """
    th = dict(THRESHOLDS)
    if thresholds:
        th.update(thresholds)
    rows: list[dict] = []
    rel = results.get("reliability")
    if rel is not None:
        for r in rel.itertuples():
            rows.append(_row("reliability", r.scale, "alpha", r.alpha, th))
            rows.append(_row("reliability", r.scale, "omega", r.omega, th))
    cr = results.get("cr_ave")
    if cr is not None:
        for r in cr.itertuples():
            rows.append(_row("cr_ave", r.factor, "cr", r.cr, th))
            rows.append(_row("cr_ave", r.factor, "ave", r.ave, th))
    fit = results.get("cfa_fit")
    if fit is not None:
        for r in fit.itertuples():
            single = r.model == SINGLE_FACTOR_MODEL
            for s in ("cfi", "tli", "rmsea", "srmr"):
                rows.append(_row("cfa_fit", r.model, s, getattr(r, s), SINGLE_FACTOR_RULES if single else th,
                                 "poor_fit" if single else "meets_threshold"))
    cm = results.get("common_method")
    if cm is not None and len(cm):
        for r in cm.itertuples():
            if r.test == "harman_single_factor":
                rows.append(_row("common_method", "(all items)", "harman_share", r.estimate, th, "poor_fit"))
            elif r.test == "single_factor_cfa":
                rows.append(_row("common_method", SINGLE_FACTOR_MODEL, "delta_cfi_single", r.delta_cfi, th, "poor_fit"))
    kmo = results.get("kmo")
    if kmo is not None and len(kmo):
        overall = kmo.loc[kmo["item"] == "overall", "kmo"]
        if len(overall):
            rows.append(_row("kmo", "(all items)", "kmo", overall.iloc[0], th))
    icc = results.get("icc")
    if icc is not None:
        for r in icc.itertuples():
            rows.append(_row("icc", r.scale, "icc1", r.icc1, th))
            rows.append(_row("rwg", r.scale, "rwg_j", r.rwg_j_mean, th))
    return pd.DataFrame(rows, columns=COLUMNS)
