"""Moderation (PROCESS model 1): coefficients, simple slopes and Johnson–Neyman boundaries.

Public functions
----------------
moderation
    ``y = b0 + b1 x + b2 w + b3 x·w (+ covar)``: coefficients, simple slopes of ``x`` at chosen
    values of ``w`` (default mean and ±1 SD) and the Johnson–Neyman region boundaries.
johnson_neyman
    The Johnson–Neyman boundaries alone.

First-stage moderated mediation (PROCESS model 7) is in :mod:`.moderated_mediation`; it shares
the product and moderator-value helpers defined here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import _results as rs
from ._data import as_list, check_ci, numeric_frame, require_columns
from .regression import _fit

__all__ = ["moderation", "johnson_neyman"]


def _check_xwy(x, w, y, cs, ms=()):
    names = [x, w, y, *ms]
    if not all(isinstance(v, str) for v in (x, w, y)):
        raise ValueError(f"x, w and y must be single column names, got x={x!r}, w={w!r}, y={y!r}.")
    allv = names + list(cs)
    dup = sorted({v for v in allv if allv.count(v) > 1})
    if dup:
        raise ValueError(f"x, w, m, y and covar must be distinct columns; repeated: {dup}.")


def _with_product(frame, x, w, center):
    """A copy of ``frame`` with ``x`` and ``w`` shifted by their means (``center``) or not, and the
    product column ``"x:w"``: (copy, shift of x, shift of w, product column name)."""
    shift_x = frame[x].mean() if center else 0.0
    shift_w = frame[w].mean() if center else 0.0
    work = frame.copy()
    work[x] = frame[x] - shift_x
    work[w] = frame[w] - shift_w
    inter = f"{x}:{w}"
    work[inter] = work[x] * work[w]
    return work, shift_x, shift_w, inter


def _fit_model1(data, x, w, y, covar, center, ci, group):
    cs = as_list(covar, "covar")
    _check_xwy(x, w, y, cs)
    require_columns(data, [x, w, y, *cs] + ([group] if group else []))
    frame = numeric_frame(data, [x, w, y, *cs], group)
    work, shift_x, shift_w, inter = _with_product(frame, x, w, center)
    label = "PROCESS model 1 (moderation)"
    table, res = _fit(work, y, [x, w, inter, *cs], group, ci, label)
    if center:
        table["method"] = table["method"] + f"; {x} and {w} mean-centred before the product"
    table["centred"] = f"{x};{w}" if center else ""
    return frame, table, res, shift_x, shift_w, inter


def _slopes(res, w_centred, df, ci):
    b = np.asarray(res.params)
    v = np.asarray(res.cov_params())
    est = b[1] + b[3] * w_centred
    se = np.sqrt(v[1, 1] + 2 * w_centred * v[1, 3] + w_centred**2 * v[3, 3])
    t = est / se
    p = 2 * stats.t.sf(np.abs(t), df)
    crit = stats.t.ppf(0.5 + ci / 2, df)
    return est, se, t, p, est - crit * se, est + crit * se


def _jn_roots(res, df, ci):
    """Values of the (centred) moderator where the slope's t equals the critical t."""
    b = np.asarray(res.params)
    v = np.asarray(res.cov_params())
    crit = stats.t.ppf(0.5 + ci / 2, df)
    qa = b[3] ** 2 - crit**2 * v[3, 3]
    qb = 2 * (b[1] * b[3] - crit**2 * v[1, 3])
    qc = b[1] ** 2 - crit**2 * v[1, 1]
    if abs(qa) < 1e-300:
        roots = np.array([-qc / qb]) if qb != 0 else np.array([])
    else:
        disc = qb**2 - 4 * qa * qc
        if disc < 0:
            roots = np.array([])
        else:
            sq = np.sqrt(disc)
            roots = np.sort(np.array([(-qb - sq) / (2 * qa), (-qb + sq) / (2 * qa)]))
    return roots


def _w_values(frame, w, w_values):
    """Moderator values, their ``term`` texts and their ``w_point`` codes (None for given values)."""
    if w_values is None:
        mu, sd = frame[w].mean(), frame[w].std(ddof=1)
        return np.array([mu - sd, mu, mu + sd]), ["mean - 1 SD", "mean", "mean + 1 SD"], list(rs.W_POINTS)
    vals = np.atleast_1d(np.asarray(w_values, dtype=float))
    return vals, [f"w = {v:g}" for v in vals], [None] * len(vals)


def _ols_meta(r: pd.Series) -> dict:
    """Provenance columns of a row of a :func:`analysis.models.regression._fit` table."""
    return {c: r[c] for c in rs.PROVENANCE_COLUMNS}


def moderation(
    data: pd.DataFrame,
    x: str,
    w: str,
    y: str,
    covar: str | Sequence[str] | None = None,
    center: bool = False,
    w_values: Sequence[float] | None = None,
    ci: float = 0.95,
    group: str | None = None,
) -> pd.DataFrame:
    """Simple moderation of the effect of ``x`` on ``y`` by ``w`` (PROCESS model 1).

    Parameters
    ----------
    data : DataFrame
        Observations (listwise deletion).
    x, w, y : str
        Focal predictor, moderator and outcome columns.
    covar : str or list of str, optional
        Covariates.
    center : bool
        Mean-centre ``x`` and ``w`` before forming the product (PROCESS ``center=1``).  Simple
        slopes and Johnson–Neyman points are always reported on the original ``w`` scale.
    w_values : sequence of float, optional
        Moderator values (original scale) for simple slopes; default mean and mean ± 1 SD
        (Aiken & West, 1991).
    ci : float
        Confidence level.
    group : str, optional
        Cluster column for cluster-robust (CR1) SEs (slopes and J–N then use them too).

    Returns
    -------
    DataFrame
        Columns ``model, part, term, w_value, estimate, se, t, df, p, ci_low, ci_high, n,
        ci_level, method``.  ``part`` is ``coefficient`` (the regression table, product term
        ``"x:w"``), ``simple_slope`` (conditional effect of ``x`` at ``w_value``) or
        ``johnson_neyman`` (boundary ``w_value`` at which the slope's two-sided p equals
        ``1 - ci``; ``term`` says whether it lies inside the observed range of ``w``).

        Structured columns: ``estimand`` (``coefficient``, ``slope``, ``jn_boundary``),
        ``predictor`` (the coefficient's term -- ``"Intercept"``, ``x``, ``w``, ``"x:w"``, a
        covariate -- or ``x`` for slopes and boundaries), ``w_point`` (``"mean-1sd"``,
        ``"mean"``, ``"mean+1sd"`` for the default slopes; NA for given ``w_values`` and other
        rows; the value itself is ``w_value``), ``jn_within_range`` (boolean on boundary rows,
        NA elsewhere), ``x``, ``w``, ``y``, ``outcome`` (``y``) and the provenance columns of
        :func:`analysis.models.regression.ols` (``se_type``, ``ci_method = "t"``, ``cluster``,
        ``n_clusters``, ``warnings``; no bootstrap); ``centred`` is ``"x;w"`` when ``center``
        else ``""``.

    Notes
    -----
    Conditional effect ``theta(w) = b1 + b3 w``, ``se² = V11 + 2 w V13 + w² V33``.
    Johnson–Neyman boundaries solve ``theta(w)² = t²_crit se(w)²``, i.e.
    ``(b3² - t² V33) w² + 2 (b1 b3 - t² V13) w + (b1² - t² V11) = 0`` (Bauer & Curran, 2005;
    Hayes, 2022, sec. 7.4).

    References
    ----------
    Aiken, L. S., & West, S. G. (1991). *Multiple regression: Testing and interpreting
    interactions*. Sage.
    Bauer, D. J., & Curran, P. J. (2005). Probing interactions in fixed and multilevel
    regression: Inferential and graphical techniques. *Multivariate Behavioral Research,
    40*(3), 373-400. https://doi.org/10.1207/s15327906mbr4003_5
    Hayes, A. F. (2022). *Introduction to mediation, moderation, and conditional process
    analysis* (3rd ed.). Guilford Press.

    Checked against Hayes' (2013, p. 226) protest/sexism example as reproduced in R psych's
    ``mediate`` tests (``liking ~ sexism * prot2``, uncentred: 7.7062, -.4725, -3.7727, .8336).

    Examples
    --------
    >>> from analysis.models.examples import example_moderation_data
    >>> d = example_moderation_data()
    >>> s = moderation(d, x="x", w="w", y="y").query("estimand == 'slope'")
    >>> s["w_point"].tolist(), s["estimate"].round(3).tolist()
    (['mean-1sd', 'mean', 'mean+1sd'], [-0.241, 0.219, 0.68])
    """
    ci = check_ci(ci)
    frame, table, res, sx, sw, inter = _fit_model1(data, x, w, y, covar, center, ci, group)
    df = float(table["df"].iloc[0])
    n = len(frame)
    method = table["method"].iloc[0]
    meta = _ols_meta(table.iloc[0])
    rows = []
    for _, r in table.iterrows():
        rows.append(dict(part="coefficient", term=r["term"], w_value=np.nan, estimate=r["estimate"], se=r["se"],
                         t=r["t"], df=r["df"], p=r["p"], ci_low=r["ci_low"], ci_high=r["ci_high"],
                         estimand="coefficient", predictor=r["predictor"]))
    wv, labels, points = _w_values(frame, w, w_values)
    est, se, t, p, lo, hi = _slopes(res, wv - sw, df, ci)
    for i in range(len(wv)):
        rows.append(dict(part="simple_slope", term=f"slope of {x} at {w} {labels[i]}", w_value=wv[i],
                         estimate=est[i], se=se[i], t=t[i], df=df, p=p[i], ci_low=lo[i], ci_high=hi[i],
                         estimand="slope", predictor=x, w_point=points[i]))
    roots = _jn_roots(res, df, ci) + sw
    wmin, wmax = frame[w].min(), frame[w].max()
    if len(roots):
        est, se, t, p, lo, hi = _slopes(res, roots - sw, df, ci)
        for i, rt in enumerate(roots):
            inside = bool(wmin <= rt <= wmax)
            where = "within" if inside else "outside"
            rows.append(dict(part="johnson_neyman", term=f"J-N boundary ({where} observed range of {w})",
                             w_value=rt, estimate=est[i], se=se[i], t=t[i], df=df, p=p[i], ci_low=lo[i],
                             ci_high=hi[i], estimand="jn_boundary", predictor=x, jn_within_range=inside))
    full = pd.DataFrame(rows).reindex(columns=[*_MODEL1_BASE, *_MODEL1_STRUCT])
    out = full[_MODEL1_BASE].copy()
    out.insert(0, "model", "PROCESS model 1 (moderation)")
    out["n"], out["ci_level"], out["method"] = n, ci, method
    out[_MODEL1_STRUCT] = full[_MODEL1_STRUCT]
    out["x"], out["w"], out["y"], out["outcome"] = x, w, y, y
    out["centred"] = table["centred"].iloc[0]
    return rs.stamp(out, meta)


_MODEL1_BASE = ["part", "term", "w_value", "estimate", "se", "t", "df", "p", "ci_low", "ci_high"]
_MODEL1_STRUCT = ["estimand", "predictor", "w_point", "jn_within_range"]


def johnson_neyman(
    data: pd.DataFrame,
    x: str,
    w: str,
    y: str,
    covar: str | Sequence[str] | None = None,
    ci: float = 0.95,
    group: str | None = None,
) -> pd.DataFrame:
    """Johnson–Neyman boundaries of the moderator (rows ``part == "johnson_neyman"`` of :func:`moderation`).

    See :func:`moderation` for the formula and references (Bauer & Curran, 2005).
    Centring does not change the boundaries on the original ``w`` scale.

    Parameters
    ----------
    data : one row per respondent.
    x, w, y : predictor, moderator and outcome columns.
    covar : control column(s).
    ci : confidence level; a boundary is where the slope's two-sided p equals ``1 - ci``.
    group : cluster column for cluster-robust standard errors, as in :func:`moderation`.

    Examples
    --------
    >>> from analysis.models.examples import example_moderation_data
    >>> d = example_moderation_data()
    >>> jn = johnson_neyman(d, x="x", w="w", y="y")
    >>> jn["w_value"].round(3).tolist(), jn["jn_within_range"].tolist(), jn["p"].round(3).tolist()
    ([-0.853, -0.281], [True, True], [0.05, 0.05])
    """
    out = moderation(data, x, w, y, covar=covar, center=False, ci=ci, group=group)
    return out[out["part"] == "johnson_neyman"].reset_index(drop=True)
