"""Moderation (PROCESS model 1) and first-stage moderated mediation (PROCESS model 7).

Public functions
----------------
moderation
    ``y = b0 + b1 x + b2 w + b3 x·w (+ covar)``: coefficients, simple slopes of ``x`` at chosen
    values of ``w`` (default mean and ±1 SD) and the Johnson–Neyman region boundaries.
johnson_neyman
    The Johnson–Neyman boundaries alone.
moderated_mediation
    ``m = a0 + a1 x + a2 w + a3 x·w``, ``y = c' x + b m``: index of moderated mediation
    ``a3·b`` and conditional indirect effects ``(a1 + a3 w)·b`` with bootstrap intervals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import _bootstrap as bs
from .mediation import (STD_COMPLETE, STD_PARTIAL, _batched_solve, _boot_summary, _check_mediation_args, _is_binary,
                        _resampled, _standardise, _std_interval, _sub)
from .regression import _as_list, _check_ci, _fit, _numeric_frame, _require_columns

__all__ = ["moderation", "johnson_neyman", "moderated_mediation"]


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
    cs = _as_list(covar, "covar")
    _check_xwy(x, w, y, cs)
    _require_columns(data, [x, w, y, *cs] + ([group] if group else []))
    frame = _numeric_frame(data, [x, w, y, *cs], group)
    work, shift_x, shift_w, inter = _with_product(frame, x, w, center)
    label = "PROCESS model 1 (moderation)"
    table, res = _fit(work, y, [x, w, inter, *cs], group, ci, label)
    if center:
        table["method"] = table["method"] + f"; {x} and {w} mean-centred before the product"
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
    if w_values is None:
        mu, sd = frame[w].mean(), frame[w].std(ddof=1)
        return np.array([mu - sd, mu, mu + sd]), ["mean - 1 SD", "mean", "mean + 1 SD"]
    vals = np.atleast_1d(np.asarray(w_values, dtype=float))
    return vals, [f"w = {v:g}" for v in vals]


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
    """
    ci = _check_ci(ci)
    frame, table, res, sx, sw, inter = _fit_model1(data, x, w, y, covar, center, ci, group)
    df = float(table["df"].iloc[0])
    n = len(frame)
    method = table["method"].iloc[0]
    rows = []
    for _, r in table.iterrows():
        rows.append(dict(part="coefficient", term=r["term"], w_value=np.nan, estimate=r["estimate"], se=r["se"],
                         t=r["t"], df=r["df"], p=r["p"], ci_low=r["ci_low"], ci_high=r["ci_high"]))
    wv, labels = _w_values(frame, w, w_values)
    est, se, t, p, lo, hi = _slopes(res, wv - sw, df, ci)
    for i in range(len(wv)):
        rows.append(dict(part="simple_slope", term=f"slope of {x} at {w} {labels[i]}", w_value=wv[i],
                         estimate=est[i], se=se[i], t=t[i], df=df, p=p[i], ci_low=lo[i], ci_high=hi[i]))
    roots = _jn_roots(res, df, ci) + sw
    wmin, wmax = frame[w].min(), frame[w].max()
    if len(roots):
        est, se, t, p, lo, hi = _slopes(res, roots - sw, df, ci)
        for i, rt in enumerate(roots):
            where = "within" if wmin <= rt <= wmax else "outside"
            rows.append(dict(part="johnson_neyman", term=f"J-N boundary ({where} observed range of {w})",
                             w_value=rt, estimate=est[i], se=se[i], t=t[i], df=df, p=p[i], ci_low=lo[i],
                             ci_high=hi[i]))
    out = pd.DataFrame(rows)
    out.insert(0, "model", "PROCESS model 1 (moderation)")
    out["n"] = n
    out["ci_level"] = ci
    out["method"] = method
    return out


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

    See :func:`moderation` for parameters, formula and references (Bauer & Curran, 2005).
    Centring does not change the boundaries on the original ``w`` scale.
    """
    out = moderation(data, x, w, y, covar=covar, center=False, ci=ci, group=group)
    return out[out["part"] == "johnson_neyman"].reset_index(drop=True)


def moderated_mediation(
    data: pd.DataFrame,
    x: str,
    m: str | Sequence[str],
    y: str,
    w: str,
    covar: str | Sequence[str] | None = None,
    w_values: Sequence[float] | None = None,
    center: bool = False,
    ci: float = 0.95,
    n_boot: int = 5000,
    seed: int | None = None,
    ci_method: str = "percentile",
    group: str | None = None,
    resample: str = "cases",
) -> pd.DataFrame:
    """First-stage moderated mediation (PROCESS model 7): ``w`` moderates the ``x -> m`` path.

    Parameters
    ----------
    data : DataFrame
        Observations (listwise deletion).
    x, y, w : str
        Antecedent, outcome and moderator columns.
    m : str or list of str
        Mediator(s) (parallel).
    covar : str or list of str, optional
        Covariates in every equation.
    w_values : sequence of float, optional
        Moderator values (original scale) for conditional indirect effects; default mean ± 1 SD.
    center : bool
        Mean-centre ``x`` and ``w`` before forming the product.
    ci, n_boot, seed, ci_method, group, resample
        As in :func:`analysis.models.mediation.mediation` (``group``: cluster-robust SEs for the
        regression rows; ``resample="clusters"`` with ``group``: the bootstrap resamples whole
        clusters, otherwise cases).

    Returns
    -------
    DataFrame
        Columns ``model, part, mediator, term, w_value, estimate, se, t, df, p, ci_low, ci_high,
        n, ci_level, n_boot, method, std_estimate, std_ci_low, std_ci_high, std_kind``.  ``part``: ``a_model`` (coefficients of each mediator's
        equation: ``x``, ``w``, ``x:w``), ``b_model`` (``c'`` and ``b``), ``index`` (index of
        moderated mediation ``a3·b``), ``conditional_indirect`` (``(a1 + a3 w)·b`` at
        ``w_value``).  Bootstrap rows carry bootstrap SE and interval.

        ``std_*`` (``conditional_indirect`` rows only): the standardised conditional indirect
        effect ``(a1 + a3 w)·b·SD(x)/SD(y)`` at the same raw ``w_value`` (partially
        standardised, ``/SD(y)`` only, when ``x`` has exactly two values; ``std_kind`` says
        which), with a bootstrap interval from the same resamples, each rescaled by its own
        resample's SDs as in :func:`analysis.models.mediation.mediation`.  Other rows carry NaN
        and ``std_kind = ""``: the index ``a3·b`` is not standardised (its scale also involves
        ``w``; report it unstandardised).

    Notes
    -----
    ``M = a0 + a1 X + a2 W + a3 XW + covar``; ``Y = c0 + c' X + b M + covar``.  The
    conditional indirect effect is ``(a1 + a3 W) b`` and the index of moderated mediation,
    its slope in ``W``, is ``a3 b`` (Hayes, 2015).

    References
    ----------
    Hayes, A. F. (2015). An index and test of linear moderated mediation. *Multivariate
    Behavioral Research, 50*(1), 1-22. https://doi.org/10.1080/00273171.2014.962683
    Hayes, A. F. (2022). *Introduction to mediation, moderation, and conditional process
    analysis* (3rd ed.). Guilford Press. (PROCESS model 7.)

    Checked by simulation against known a1, a3, b (tests/test_moderation.py); the standardised
    conditional indirect effects and their intervals against the same statistic recomputed on
    explicitly resampled rows.
    """
    ci, ms, cs = _check_mediation_args(ci, ci_method, m, covar, resample, group)
    _check_xwy(x, w, y, cs, ms)
    _require_columns(data, [x, w, *ms, y, *cs] + ([group] if group else []))
    frame = _numeric_frame(data, [x, w, *ms, y, *cs], group)
    n, k = len(frame), len(ms)
    work, _, sw, inter = _with_product(frame, x, w, center)
    label = "PROCESS model 7 (first-stage moderated mediation)"
    rows = []
    a1, a3 = np.empty(k), np.empty(k)
    for j, mj in enumerate(ms):
        ta, _ = _fit(work, mj, [x, w, inter, *cs], group, ci, label)
        a1[j], a3[j] = ta["estimate"].iloc[1], ta["estimate"].iloc[3]
        for _, r in ta.iterrows():
            rows.append(dict(part="a_model", mediator=mj, term=f"{mj} ~ {r['term']}", w_value=np.nan,
                             **{c: r[c] for c in ("estimate", "se", "t", "df", "p", "ci_low", "ci_high")},
                             method=r["method"]))
    tb, _ = _fit(work, y, [x, *ms, *cs], group, ci, label)
    b = tb["estimate"].to_numpy()[2 : 2 + k]
    for _, r in tb.iterrows():
        rows.append(dict(part="b_model", mediator="", term=f"{y} ~ {r['term']}", w_value=np.nan,
                         **{c: r[c] for c in ("estimate", "se", "t", "df", "p", "ci_low", "ci_high")},
                         method=r["method"]))
    # bootstrap on standardised variables (x, w, product standardised separately is fine: OLS is
    # equivariant to affine rescaling of columns, coefficients are rescaled back below)
    cols = [x, w, inter, *ms, *cs, y]
    z, sd = _standardise(work, cols)
    s, n_clusters = _resampled(z, work, n_boot, seed, group, resample)
    ix, iw, ixw = 1, 2, 3
    im = list(range(4, 4 + k))
    ic = list(range(4 + k, 4 + k + len(cs)))
    iy = 4 + k + len(cs)
    ia = [0, ix, iw, ixw, *ic]
    coef_a = _batched_solve(_sub(s, ia, ia), _sub(s, ia, im))  # (B, 4+c, k)
    ib = [0, ix, *im, *ic]
    coef_b = _batched_solve(_sub(s, ib, ib), _sub(s, ib, [iy]))[:, :, 0]
    sd_x, sd_xw, sd_m, sd_y = sd[0], sd[2], sd[3 : 3 + k], sd[-1]
    # Standardised product column z_xw = (xw - mean)/sd_xw is an affine function of xw, but the
    # model also contains x and w, so the slopes on x, w, xw transform independently: raw slope =
    # standardised slope * sd(outcome) / sd(predictor).
    a1_b = coef_a[:, 1, :] * sd_m / sd_x
    a3_b = coef_a[:, 3, :] * sd_m / sd_xw
    b_b = coef_b[:, 2 : 2 + k] * sd_y / sd_m
    wv, labels = _w_values(frame, w, w_values)
    wc = wv - sw
    est_list, boot_list, meta = [], [], []
    for j, mj in enumerate(ms):
        est_list.append(a3[j] * b[j])
        boot_list.append(a3_b[:, j] * b_b[:, j])
        meta.append(("index", mj, f"index of moderated mediation ({x} -> {mj} -> {y}, by {w})", np.nan))
        for i, wi in enumerate(wc):
            est_list.append((a1[j] + a3[j] * wi) * b[j])
            boot_list.append((a1_b[:, j] + a3_b[:, j] * wi) * b_b[:, j])
            meta.append(("conditional_indirect", mj, f"indirect {x} -> {mj} -> {y} at {w} {labels[i]}", wv[i]))
    boot = np.column_stack(boot_list)
    est = np.array(est_list)
    lo, hi, bse, bmethod = _boot_summary(boot, est, ci, ci_method, n_boot, group, n_clusters)
    # standardised conditional indirect effects (x, y SDs of each resample from its cross products)
    partial = _is_binary(frame[x])
    kind = STD_PARTIAL if partial else STD_COMPLETE
    sx = 1.0 if partial else float(frame[x].std(ddof=1))
    sy = float(frame[y].std(ddof=1))
    sd_b = bs.crossproduct_sd(s, [ix, iy], scale=[sd_x, sd_y])
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant y in a resample: NaN, dropped
        ratio_b = (1.0 if partial else sd_b[:, 0]) / sd_b[:, 1]
    cond = np.array([row[0] == "conditional_indirect" for row in meta])
    std_est = np.full(len(est), np.nan)
    std_lo, std_hi = std_est.copy(), std_est.copy()
    if cond.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            std_boot = boot[:, cond] * np.asarray(ratio_b)[:, None]
        std_est[cond] = est[cond] * sx / sy
        std_lo[cond], std_hi[cond] = _std_interval(std_boot, std_est[cond], ci, ci_method)
    for i, (part, mj, term, wval) in enumerate(meta):
        rows.append(dict(part=part, mediator=mj, term=term, w_value=wval, estimate=est[i], se=bse[i], t=np.nan,
                         df=np.nan, p=np.nan, ci_low=lo[i], ci_high=hi[i], method=bmethod,
                         std_estimate=std_est[i], std_ci_low=std_lo[i], std_ci_high=std_hi[i],
                         std_kind=kind if cond[i] else ""))
    out = pd.DataFrame(rows)
    out.insert(0, "model", label)
    out["n"] = n
    out["ci_level"] = ci
    out["n_boot"] = n_boot
    if center:
        out["method"] = out["method"] + f"; {x} and {w} mean-centred before the product"
    for c in ("std_estimate", "std_ci_low", "std_ci_high"):
        out[c] = out[c].astype(float)  # NaN on the regression rows
    out["std_kind"] = out["std_kind"].fillna("")
    cols_out = ["model", "part", "mediator", "term", "w_value", "estimate", "se", "t", "df", "p", "ci_low",
                "ci_high", "n", "ci_level", "n_boot", "method", "std_estimate", "std_ci_low", "std_ci_high",
                "std_kind"]
    return out[cols_out]
