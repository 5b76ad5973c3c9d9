"""Measurement invariance across groups (or waves): configural, metric and scalar multi-group
CFA, each step judged by the change in CFI and RMSEA (Chen 2007).

Uses the ML engine in :mod:`analysis.psychometrics.cfa` (semopy 2.3.11 has no convenient
cross-group equality constraints with a mean structure). Identification follows lavaan's
``group.equal`` conventions with ``std.lv = TRUE``: configural - factor variances 1 and means 0
in every group, loadings and intercepts free; metric - loadings equal, factor variances free in
groups 2..G; scalar - loadings and intercepts equal, factor means free in groups 2..G.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.psychometrics.cfa import CFAError, MeasurementModel, fit_indices, fit_ml_model

__all__ = ["measurement_invariance", "DELTA_CFI", "DELTA_RMSEA"]

DELTA_CFI = 0.01
DELTA_RMSEA = 0.015
STEPS = ("configural", "metric", "scalar")


def measurement_invariance(
    data: pd.DataFrame,
    model: Mapping[str, Sequence[str]],
    group: str,
    *,
    delta_cfi: float = DELTA_CFI,
    delta_rmsea: float = DELTA_RMSEA,
) -> pd.DataFrame:
    """Configural, metric and scalar invariance of a measurement model across ``group``.

    Parameters
    ----------
    data : respondents x (items + group column); listwise complete respondents per item set.
    model : factor -> items mapping.
    group : column with the group (or wave) label; at least 2 groups with more respondents
        than items each.
    delta_cfi, delta_rmsea : Chen's (2007) cut-offs for a non-ignorable loss of fit.

    Returns
    -------
    DataFrame, one row per step: step, n, n_groups, chisq, df, p, cfi, tli, rmsea,
    rmsea_ci_low, rmsea_ci_high, srmr, delta_chisq, delta_df, delta_p, delta_cfi,
    delta_rmsea, invariant, converged. ``invariant`` is True for the configural row when it
    converged (it is the baseline), and for later steps when ``CFI_prev - CFI <= delta_cfi``
    and ``RMSEA - RMSEA_prev <= delta_rmsea`` compared with the previous step.

    Notes
    -----
    Multi-group ML with a mean structure: ``chisq = sum_g N_g F_g``; RMSEA multiplied by
    sqrt(G) and SRMR weighted by N_g/N, as lavaan does.

    References
    ----------
    Chen, F. F. (2007). Structural Equation Modeling, 14, 464-504. doi:10.1080/10705510701301834
    Vandenberg, R. J., & Lance, C. E. (2000). Organizational Research Methods, 3, 4-70.
    doi:10.1177/109442810031002
    Checked by simulation with known (non-)invariance (tests/test_invariance.py).
    """
    mm = MeasurementModel.from_mapping(model)
    cols = [*mm.items, group]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"measurement_invariance: column(s) {missing} not in data")
    d = data[cols].dropna()
    S, M, n, labels = [], [], [], []
    for label, g in d.groupby(group, sort=True):
        x = g[list(mm.items)].to_numpy(dtype=float, copy=True)
        if x.shape[0] <= len(mm.items):
            raise CFAError(
                f"measurement_invariance: group {label!r} has {x.shape[0]} complete respondents for "
                f"{len(mm.items)} items; each group needs more respondents than items"
            )
        mean = x.mean(axis=0)
        xc = x - mean
        S.append(xc.T @ xc / x.shape[0])
        M.append(mean)
        n.append(x.shape[0])
        labels.append(label)
    if len(S) < 2:
        raise ValueError(f"measurement_invariance: column '{group}' has {len(S)} group(s); need at least 2")
    specs = {
        "configural": dict(equal_loadings=False, equal_intercepts=False),
        "metric": dict(equal_loadings=True, equal_intercepts=False),
        "scalar": dict(equal_loadings=True, equal_intercepts=True),
    }
    rows = []
    prev = None
    for step in STEPS:
        fit = fit_ml_model(S, M, n, mm, meanstructure=True, **specs[step])
        fi = fit_indices(fit)
        row = {"step": step, "n": fit.n, "n_groups": fit.n_groups, **{k: fi[k] for k in (
            "chisq", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr")}}
        if prev is None:
            row.update(delta_chisq=np.nan, delta_df=np.nan, delta_p=np.nan, delta_cfi=np.nan,
                       delta_rmsea=np.nan, invariant=bool(fit.converged))
        else:
            dchi = fi["chisq"] - prev["chisq"]
            ddf = fi["df"] - prev["df"]
            dcfi = prev["cfi"] - fi["cfi"]
            drm = fi["rmsea"] - prev["rmsea"]
            row.update(
                delta_chisq=dchi, delta_df=ddf, delta_p=float(stats.chi2.sf(dchi, ddf)) if ddf > 0 else np.nan,
                delta_cfi=dcfi, delta_rmsea=drm,
                invariant=bool(fit.converged and prev["invariant"] and dcfi <= delta_cfi and drm <= delta_rmsea),
            )
        row["converged"] = fit.converged
        rows.append(row)
        prev = row
    return pd.DataFrame(rows)
