"""First-stage moderated mediation (PROCESS model 7): ``w`` moderates the ``x -> m`` path.

Public function
---------------
moderated_mediation
    ``m = a0 + a1 x + a2 w + a3 x·w``, ``y = c' x + b m``: index of moderated mediation
    ``a3·b`` and conditional indirect effects ``(a1 + a3 w)·b`` with bootstrap intervals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _bootstrap as bs
from . import _results as rs
from ._data import numeric_frame, require_columns
from .mediation import (STD_COMPLETE, STD_PARTIAL, _batched_solve, _boot_summary, _check_mediation_args, _is_binary,
                        _resampled, _standardise, _std_interval, _sub)
from .moderation import _check_xwy, _ols_meta, _w_values, _with_product
from .regression import _fit

__all__ = ["moderated_mediation"]


def moderated_mediation(data: pd.DataFrame, x: str, m: str | Sequence[str], y: str, w: str,
                        covar: str | Sequence[str] | None = None, w_values: Sequence[float] | None = None,
                        center: bool = False, ci: float = 0.95, n_boot: int = 5000, seed: int | None = None,
                        ci_method: str = "percentile", group: str | None = None,
                        resample: str = "cases") -> pd.DataFrame:
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

        Structured columns: ``estimand`` (``coefficient`` on ``a_model``/``b_model`` rows,
        ``index``, ``conditional_indirect``), ``x``, ``m`` (the row's mediator; NA on
        ``b_model`` rows), ``w``, ``y``, ``w_point`` (``"mean-1sd"``, ``"mean"``,
        ``"mean+1sd"`` on default conditional effects, else NA), ``predictor`` and ``outcome``
        (the term and dependent variable of a regression row: ``a_model`` rows are
        ``m ~ predictor``, ``b_model`` rows ``y ~ predictor``; NA on bootstrap rows), ``centred``
        (``"x;w"`` when ``center``, else ``""``) and the
        provenance columns of :mod:`analysis.models._results` as in
        :func:`analysis.models.mediation.mediation` (``n_boot``/``n_boot_valid``/``resample``
        on bootstrap rows only).

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

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> x, w = rng.normal(size=300), rng.normal(size=300)
    >>> _ = rng.normal(size=300)  # (the draws of the moderation example)
    >>> m = 0.3 * x + 0.4 * x * w + rng.normal(size=300)
    >>> d = pd.DataFrame({"x": x, "w": w, "m": m, "y": 0.5 * m + rng.normal(size=300)})
    >>> t = moderated_mediation(d, x="x", m="m", y="y", w="w", n_boot=1000, seed=1)
    >>> idx = t[t["estimand"] == "index"].iloc[0]
    >>> print(round(idx["estimate"], 3), round(idx["ci_low"], 3), round(idx["ci_high"], 3))
    0.191 0.123 0.264
    >>> t.loc[t["estimand"] == "conditional_indirect", "w_point"].tolist()
    ['mean-1sd', 'mean', 'mean+1sd']
    """
    ci, ms, cs = _check_mediation_args(ci, ci_method, m, covar, resample, group)
    _check_xwy(x, w, y, cs, ms)
    require_columns(data, [x, w, *ms, y, *cs] + ([group] if group else []))
    frame = numeric_frame(data, [x, w, *ms, y, *cs], group)
    k = len(ms)
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
                             method=r["method"], estimand="coefficient", m=mj, predictor=r["predictor"],
                             outcome=mj, **_ols_meta(r)))
    tb, _ = _fit(work, y, [x, *ms, *cs], group, ci, label)
    b = tb["estimate"].to_numpy()[2 : 2 + k]
    for _, r in tb.iterrows():
        rows.append(dict(part="b_model", mediator="", term=f"{y} ~ {r['term']}", w_value=np.nan,
                         **{c: r[c] for c in ("estimate", "se", "t", "df", "p", "ci_low", "ci_high")},
                         method=r["method"], estimand="coefficient", predictor=r["predictor"], outcome=y,
                         **_ols_meta(r)))
    # bootstrap on standardised variables (x, w, product standardised separately is fine: OLS is
    # equivariant to affine rescaling of columns, coefficients are rescaled back below)
    cols = [x, w, inter, *ms, *cs, y]
    z, sd = _standardise(work, cols)
    s = _resampled(z, work, n_boot, seed, group, resample)
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
    wv, labels, points = _w_values(frame, w, w_values)
    wc = wv - sw
    est_list, boot_list, meta = [], [], []
    for j, mj in enumerate(ms):
        est_list.append(a3[j] * b[j])
        boot_list.append(a3_b[:, j] * b_b[:, j])
        meta.append(("index", mj, f"index of moderated mediation ({x} -> {mj} -> {y}, by {w})", np.nan, None))
        for i, wi in enumerate(wc):
            est_list.append((a1[j] + a3[j] * wi) * b[j])
            boot_list.append((a1_b[:, j] + a3_b[:, j] * wi) * b_b[:, j])
            meta.append(("conditional_indirect", mj, f"indirect {x} -> {mj} -> {y} at {w} {labels[i]}", wv[i],
                         points[i]))
    boot = np.column_stack(boot_list)
    est = np.array(est_list)
    lo, hi, bse, bmethod, bmeta = _boot_summary(boot, est, ci, ci_method, n_boot, work, group, resample)
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
    for i, (part, mj, term, wval, point) in enumerate(meta):
        rows.append(dict(part=part, mediator=mj, term=term, w_value=wval, estimate=est[i], se=bse[i], t=np.nan,
                         df=np.nan, p=np.nan, ci_low=lo[i], ci_high=hi[i], method=bmethod,
                         std_estimate=std_est[i], std_ci_low=std_lo[i], std_ci_high=std_hi[i],
                         std_kind=kind if cond[i] else "", estimand=part, m=mj, w_point=point, **bmeta))
    out = pd.DataFrame(rows)
    out.insert(0, "model", label)
    out["x"], out["w"], out["y"] = x, w, y
    if center:
        out["method"] = out["method"] + f"; {x} and {w} mean-centred before the product"
    out["centred"] = f"{x};{w}" if center else ""
    for c in ("std_estimate", "std_ci_low", "std_ci_high"):
        out[c] = out[c].astype(float)  # NaN on the regression rows
    out["std_kind"] = out["std_kind"].fillna("")
    cols_out = ["model", "part", "mediator", "term", "w_value", "estimate", "se", "t", "df", "p", "ci_low",
                "ci_high", "n", "ci_level", "n_boot", "method", "std_estimate", "std_ci_low", "std_ci_high",
                "std_kind", "estimand", "x", "m", "w", "y", "w_point", "predictor", "outcome", "centred"]
    cols_out += [c for c in rs.PROVENANCE_COLUMNS if c not in cols_out]
    return rs.finish(out.reindex(columns=cols_out))
