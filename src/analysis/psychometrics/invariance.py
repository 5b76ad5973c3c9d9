"""Measurement invariance across groups (or waves): configural, metric and scalar multi-group
CFA, each step judged by the change in CFI, RMSEA and SRMR (Chen 2007).

Uses the ML and FIML engines of :mod:`analysis.psychometrics.cfa_ml` / ``cfa_fiml`` (semopy
2.3.11 has no convenient cross-group equality constraints with a mean structure). Identification
follows lavaan's ``group.equal`` conventions with ``std.lv = TRUE``: configural - factor
variances 1 and means 0 in every group, loadings and intercepts free; metric - loadings equal,
factor variances free in groups 2..G; scalar - loadings and intercepts equal, factor means free
in groups 2..G.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.psychometrics.cfa import CFA_MISSING, ESTIMATOR
from analysis.psychometrics.cfa_fiml import fit_fiml_model
from analysis.psychometrics.cfa_ml import fit_indices, fit_ml_model
from analysis.psychometrics.cfa_model import MeasurementModel
from analysis.psychometrics.errors import CFAError

__all__ = ["measurement_invariance", "DELTA_CFI", "DELTA_RMSEA", "DELTA_SRMR", "RULES"]

DELTA_CFI = 0.01
DELTA_RMSEA = 0.015
DELTA_SRMR = {"metric": 0.030, "scalar": 0.010}  # Chen (2007): loadings / intercepts
STEPS = ("configural", "metric", "scalar")
RULES = ("chen", "strict")
SPECS = {
    "configural": dict(equal_loadings=False, equal_intercepts=False),
    "metric": dict(equal_loadings=True, equal_intercepts=False),
    "scalar": dict(equal_loadings=True, equal_intercepts=True),
}


def _group_data(data: pd.DataFrame, mm: MeasurementModel, group: str, missing: str) -> tuple[list, list]:
    d = data[[*mm.items, group]]
    d = d.dropna() if missing == "listwise" else d[d[group].notna() & d[list(mm.items)].notna().any(axis=1)]
    xs, labels = [], []
    for label, g in d.groupby(group, sort=True):
        x = g[list(mm.items)].to_numpy(dtype=float, copy=True)
        if x.shape[0] <= len(mm.items):
            what = "complete respondents" if missing == "listwise" else "respondents with an answer"
            raise CFAError(f"measurement_invariance: group {label!r} has {x.shape[0]} {what} for "
                           f"{len(mm.items)} items; each group needs more respondents than items")
        xs.append(x)
        labels.append(label)
    if len(xs) < 2:
        raise ValueError(f"measurement_invariance: column '{group}' has {len(xs)} group(s); need at least 2")
    return xs, labels


def _fit_step(xs, mm, missing, spec):
    if missing == "fiml":
        return fit_fiml_model(xs, mm, **spec)
    S, M, n = [], [], []
    for x in xs:
        mean = x.mean(axis=0)
        xc = x - mean
        S.append(xc.T @ xc / x.shape[0])
        M.append(mean)
        n.append(x.shape[0])
    return fit_ml_model(S, M, n, mm, meanstructure=True, **spec)


def measurement_invariance(
    data: pd.DataFrame,
    model: Mapping[str, Sequence[str]],
    group: str,
    *,
    missing: str = "fiml",
    rule: str = "strict",
    delta_cfi: float = DELTA_CFI,
    delta_rmsea: float = DELTA_RMSEA,
) -> pd.DataFrame:
    """Configural, metric and scalar invariance of a measurement model across ``group``.

    Parameters
    ----------
    data : respondents x (items + group column).
    model : factor -> items mapping.
    group : column with the group (or wave) label; at least 2 groups with more respondents
        than items each.
    missing : ``"fiml"`` (default; multi-group full-information ML, lavaan ``missing = "ml"``)
        or ``"listwise"`` (complete respondents).
    rule : which reading fills ``invariant``: ``"strict"`` (default, this function's reading
        before both were offered) or ``"chen"`` (Chen's rule as stated, what
        :func:`analysis.waves.wave_invariance` uses). Both are always returned as
        ``invariant_chen`` and ``invariant_strict``.
    delta_cfi, delta_rmsea : Chen's (2007) cut-offs (SRMR: .030 metric, .010 scalar).

    Returns
    -------
    DataFrame, one row per step: step, n, n_groups, chisq, df, p, cfi, tli, rmsea,
    rmsea_ci_low, rmsea_ci_high, srmr, delta_chisq, delta_df, delta_p, delta_cfi (previous -
    current), delta_rmsea, delta_srmr (current - previous), invariant, invariant_chen,
    invariant_strict, rule, converged, estimator, missing.

    Notes
    -----
    Both readings need the step before to hold and the model to converge; the configural row
    holds when it converged (it is the baseline). ``invariant_chen``: Chen (2007) as stated, a
    loss of fit is ``delta_cfi > .01`` *supplemented by* ``delta_rmsea > .015`` or
    ``delta_srmr > .030`` (metric) / ``.010`` (scalar): CFI is primary, RMSEA and SRMR confirm.
    ``invariant_strict``: ``delta_cfi <= .01`` and ``delta_rmsea <= .015`` (either index alone
    rejects); with the few degrees of freedom of 3-5 item scales RMSEA alone moves by about .02
    by chance (Kenny, Kaniskan & McCoach 2015), so the strict reading rejects invariant scales.
    Multi-group ML/FIML with a mean structure: ``chisq = sum_g N_g F_g``; RMSEA multiplied by
    sqrt(G) and SRMR weighted by N_g/N, as lavaan does.

    References
    ----------
    Chen, F. F. (2007). Structural Equation Modeling, 14, 464-504. doi:10.1080/10705510701301834
    Vandenberg, R. J., & Lance, C. E. (2000). Organizational Research Methods, 3, 4-70.
    doi:10.1177/109442810031002
    Kenny, D. A., Kaniskan, B., & McCoach, D. B. (2015). Sociological Methods & Research, 44,
    486-507. doi:10.1177/0049124114543236
    Checked against lavaan's published multi-group example (listwise), lavaan 0.6-14 with
    ``missing = "fiml"`` (tests/reference/psychometrics.R) and by simulation.

    Examples
    --------
    >>> from analysis.psychometrics.examples import example_holzinger
    >>> hs, model = example_holzinger()
    >>> steps = measurement_invariance(hs, model, "school", missing="listwise")
    >>> # lavaan's invariance tutorial: chi-square 115.851 (48), 124.044 (54), 164.103 (60)
    >>> print(steps[["step", "chisq", "df", "cfi", "delta_cfi", "invariant"]].round(3).to_string(index=False))
          step   chisq  df   cfi  delta_cfi  invariant
    configural 115.851  48 0.923        NaN       True
        metric 124.044  54 0.921      0.002       True
        scalar 164.103  60 0.882      0.038      False
    """
    if missing not in CFA_MISSING:
        raise ValueError(f"measurement_invariance: missing={missing!r}; use 'fiml' or 'listwise'")
    if rule not in RULES:
        raise ValueError(f"measurement_invariance: rule={rule!r}; use 'chen' or 'strict'")
    mm = MeasurementModel.from_mapping(model)
    absent = [c for c in [*mm.items, group] if c not in data.columns]
    if absent:
        raise KeyError(f"measurement_invariance: column(s) {absent} not in data")
    xs, _labels = _group_data(data, mm, group, missing)
    rows = []
    prev = None
    for step in STEPS:
        fit = _fit_step(xs, mm, missing, SPECS[step])
        fi = fit_indices(fit)
        row = {"step": step, "n": fit.n, "n_groups": fit.n_groups, **{k: fi[k] for k in (
            "chisq", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr")}}
        if prev is None:
            row.update(delta_chisq=np.nan, delta_df=np.nan, delta_p=np.nan, delta_cfi=np.nan, delta_rmsea=np.nan,
                       delta_srmr=np.nan, invariant_chen=bool(fit.converged), invariant_strict=bool(fit.converged))
        else:
            dchi, ddf = fi["chisq"] - prev["chisq"], fi["df"] - prev["df"]
            dcfi, drm, dsr = prev["cfi"] - fi["cfi"], fi["rmsea"] - prev["rmsea"], fi["srmr"] - prev["srmr"]
            worse_chen = dcfi > delta_cfi and (drm > delta_rmsea or dsr > DELTA_SRMR[step])
            worse_strict = dcfi > delta_cfi or drm > delta_rmsea
            row.update(
                delta_chisq=dchi, delta_df=ddf, delta_p=float(stats.chi2.sf(dchi, ddf)) if ddf > 0 else np.nan,
                delta_cfi=dcfi, delta_rmsea=drm, delta_srmr=dsr,
                invariant_chen=bool(fit.converged and prev["invariant_chen"] and not worse_chen),
                invariant_strict=bool(fit.converged and prev["invariant_strict"] and not worse_strict),
            )
        row.update(invariant=row[f"invariant_{rule}"], rule=rule, converged=fit.converged,
                   estimator=ESTIMATOR[missing], missing=missing)
        rows.append(row)
        prev = row
    cols = ["step", "n", "n_groups", "chisq", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr",
            "delta_chisq", "delta_df", "delta_p", "delta_cfi", "delta_rmsea", "delta_srmr", "invariant",
            "invariant_chen", "invariant_strict", "rule", "converged", "estimator", "missing"]
    return pd.DataFrame(rows, columns=cols)
