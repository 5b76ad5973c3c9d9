"""Target fairness: objective sales expectation per branch and the gap to the assigned target.

Public functions
----------------
sales_expectation
    Regression of sales on branch factors (user-named columns; categorical columns are
    dummy-coded) — the coefficient table of the "objective expectation" model.
target_gap
    Per branch: expected sales, assigned target, ratio target/expected, log ratio and
    difference.
gap_outcome
    Regression of an outcome (e.g. staff performance or turnover intention) on the gap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _results as rs
from ._data import as_list, check_ci, require_columns
from .regression import _fit, ols

__all__ = ["sales_expectation", "target_gap", "gap_outcome"]


def _design(data: pd.DataFrame, y: str, x: Sequence[str], extra: Sequence[str] = ()):
    """Complete-case frame with numeric predictors and treatment-coded categorical ones:
    (frame, term names, {term: (source column, category level or None)})."""
    require_columns(data, [y, *x, *extra])
    frame = data[[y, *x, *extra]].dropna().copy()
    if frame.empty:
        raise ValueError(f"no complete rows for columns {[y, *x, *extra]}; check missing values.")
    terms: list[str] = []
    sources: dict[str, tuple[str, str | None]] = {}  # term -> (column, category level)
    for c in x:
        col = frame[c]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            levels = sorted(col.astype(str).unique())
            if len(levels) < 2:
                raise ValueError(f"categorical predictor {c!r} has a single level {levels}; drop it.")
            for lev in levels[1:]:  # first (sorted) level is the reference category
                name = f"{c}[{lev}]"
                frame[name] = (col.astype(str) == lev).astype(float)
                terms.append(name)
                sources[name] = (c, lev)
        else:
            frame[c] = col.astype(float)
            terms.append(c)
            sources[c] = (c, None)
    if not pd.api.types.is_numeric_dtype(frame[y]):
        raise ValueError(f"sales column {y!r} must be numeric (dtype {data[y].dtype}).")
    frame[y] = frame[y].astype(float)
    return frame, terms, sources


def _check_scale(scale: str) -> None:
    if scale not in ("linear", "log"):
        raise ValueError(f"scale must be 'linear' or 'log', got {scale!r}.")


def _fit_expectation(data, y, x, scale, ci, extra=()):
    xs = as_list(x, "x")
    if not xs:
        raise ValueError("x must name at least one branch-factor column (e.g. foot traffic, staff count).")
    frame, terms, sources = _design(data, y, xs, extra)
    work = frame.copy()
    if scale == "log":
        if (work[y] <= 0).any():
            raise ValueError(f"scale='log' needs positive {y!r}; found {int((work[y] <= 0).sum())} values <= 0.")
        work[y] = np.log(work[y])
    table, res = _fit(work, y, terms, None, ci, f"sales expectation ({scale} scale)")
    table["predictor"] = [sources.get(t, (t, None))[0] for t in table["term"]]
    table["level"] = [sources.get(t, (t, None))[1] for t in table["term"]]
    return frame, terms, rs.finish(table), res


def sales_expectation(
    data: pd.DataFrame,
    y: str,
    x: str | Sequence[str],
    scale: str = "linear",
    ci: float = 0.95,
) -> pd.DataFrame:
    """Coefficient table of the objective-expectation model ``y ~ x`` over branches.

    Parameters
    ----------
    data : DataFrame
        One row per branch.
    y : str
        Actual sales (the quantity targets are about).
    x : str or list of str
        Branch factors, e.g. foot traffic, staff count, branch type (categorical columns are
        treatment-coded against their first sorted level, named ``col[level]``), past sales.
    scale : {"linear", "log"}
        Model ``y`` or ``log(y)``.
    ci : float
        Confidence level.

    Returns
    -------
    DataFrame
        As :func:`analysis.models.regression.ols`; for a dummy-coded category the term is
        ``col[level]``, with ``predictor = col`` and ``level = level`` in the structured columns.

    References
    ----------
    Duan, N. (1983). Smearing estimate: A nonparametric retransformation method. *Journal of
    the American Statistical Association, 78*(383), 605-610. https://doi.org/10.2307/2288126

    Examples
    --------
    >>> from analysis.models.examples import example_branch_targets
    >>> br = example_branch_targets()
    >>> t = sales_expectation(br, y="sales", x=["traffic", "type"])
    >>> t[["term", "predictor", "level"]].values.tolist()
    [['Intercept', 'Intercept', None], ['traffic', 'traffic', None], ['type[b]', 'type', 'b']]
    >>> t["estimate"].round(2).tolist()
    [20.83, 0.1, 9.2]
    """
    ci = check_ci(ci)
    _check_scale(scale)
    _, _, table, _ = _fit_expectation(data, y, x, scale, ci)
    return table


def target_gap(
    data: pd.DataFrame,
    target: str,
    y: str,
    x: str | Sequence[str],
    id: str | None = None,
    scale: str = "linear",
) -> pd.DataFrame:
    """Per-branch objective expectation and the gap between assigned target and expectation.

    Parameters
    ----------
    data : DataFrame
        One row per branch.
    target : str
        Assigned sales target column.
    y : str
        Actual sales used to fit the expectation model.
    x : str or list of str
        Branch factors (see :func:`sales_expectation`).
    id : str, optional
        Branch identifier column copied to the output (otherwise the index is kept).
    scale : {"linear", "log"}
        ``"log"`` fits ``log(y)`` and retransforms with Duan's (1983) smearing factor
        ``mean(exp(residual))``.

    Returns
    -------
    DataFrame
        One row per complete branch: ``[id], target, actual, expected, gap_ratio`` (target /
        expected), ``log_gap`` (log of the ratio; > 0 means a target above expectation),
        ``gap_diff`` (target - expected), ``n``, ``method``, then the provenance columns of
        :mod:`analysis.models._results` (``estimator`` ``"ols"`` or ``"ols_log_smearing"``; no SE,
        interval or bootstrap: those columns are NA) with ``warnings`` per branch
        (``nonpositive_expectation``).

    Notes
    -----
    The expectation is the fitted value of the regression of actual sales on the branch
    factors: what a branch with these characteristics sells on average.  A fair target tracks
    it; ``log_gap`` is symmetric for over- and under-assignment.

    Examples
    --------
    >>> from analysis.models.examples import example_branch_targets
    >>> br = example_branch_targets()
    >>> g = target_gap(br, target="target", y="sales", x=["traffic", "type"], id="branch")
    >>> list(g.columns[:7])
    ['branch', 'target', 'actual', 'expected', 'gap_ratio', 'log_gap', 'gap_diff']
    >>> round(float(g["log_gap"].median()), 3), bool((g["warnings"] == "").all())
    (0.059, True)
    """
    _check_scale(scale)
    extra = [target] + ([id] if id else [])
    frame, terms, _, res = _fit_expectation(data, y, x, scale, 0.95, extra)
    fitted = np.asarray(res.fittedvalues)
    if scale == "log":
        smear = float(np.mean(np.exp(np.asarray(res.resid))))
        expected = np.exp(fitted) * smear
        method = "OLS of log sales on branch factors, Duan smearing retransformation"
    else:
        expected = fitted
        method = "OLS of sales on branch factors"
    tgt = pd.to_numeric(frame[target], errors="raise").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, tgt / expected, np.nan)
        log_gap = np.where((expected > 0) & (tgt > 0), np.log(tgt / expected), np.nan)
    nonpositive = expected <= 0
    if np.any(nonpositive):
        method += f"; {int(np.sum(nonpositive))} non-positive expectations give NaN ratios"
    out = pd.DataFrame(
        {"target": tgt, "actual": frame[y].to_numpy(), "expected": expected, "gap_ratio": ratio,
         "log_gap": log_gap, "gap_diff": tgt - expected},
        index=frame.index,
    )
    if id:
        out.insert(0, id, frame[id].to_numpy())
    out["n"] = len(frame)
    out["method"] = method
    meta = rs.provenance(estimator="ols_log_smearing" if scale == "log" else "ols", n=len(frame))
    out = rs.stamp(out, meta)
    out["warnings"] = np.where(nonpositive, rs.warning_codes(["nonpositive_expectation"]), "")
    return out


def gap_outcome(
    data: pd.DataFrame,
    y: str,
    gap: str = "log_gap",
    covar: str | Sequence[str] | None = None,
    group: str | None = None,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Regression table relating the target gap to an outcome.

    Parameters
    ----------
    data : DataFrame
        Rows carrying the gap (e.g. :func:`target_gap` output merged onto staff or branch data).
    y : str
        Outcome (e.g. performance, strain, turnover intention).
    gap : str
        Gap column (default ``log_gap``).
    covar : str or list of str, optional
        Controls.
    group : str, optional
        Cluster column (cluster-robust SEs, e.g. branch when rows are staff).
    ci : float
        Confidence level.

    Returns
    -------
    DataFrame
        As :func:`analysis.models.regression.ols` (model label ``"gap -> outcome"``).

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.models.examples import example_branch_targets
    >>> g = target_gap(example_branch_targets(), target="target", y="sales", x=["traffic", "type"], id="branch")
    >>> g["strain"] = 2 * g["log_gap"] + np.random.default_rng(5).normal(0, 0.1, 50)
    >>> gap_outcome(g, y="strain")[["term", "estimate"]].round(2).values.tolist()
    [['Intercept', -0.03], ['log_gap', 1.98]]
    """
    return ols(data, y=y, x=gap, covar=covar, group=group, ci=ci, model="gap -> outcome")
