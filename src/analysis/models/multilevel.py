"""Two-level linear mixed models (staff within branches) with statsmodels ``MixedLM``.

Public functions
----------------
group_mean_centre
    Within (person - group mean) and between (group mean, level-2 "climate") columns.
icc
    Null (intercept-only) model: between/within variance, ICC(1) and design effect.
mixed_model
    Random-intercept (optionally random-slope) model: fixed effects, variance components, fit.
pseudo_r2
    Raudenbush & Bryk level-1/level-2 proportional reduction in variance and Nakagawa &
    Schielzeth marginal/conditional R² (Johnson's 2014 extension for random slopes).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from .regression import _as_list, _check_ci, _numeric_frame, _require_columns

__all__ = ["group_mean_centre", "icc", "mixed_model", "pseudo_r2"]


def group_mean_centre(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    group: str,
    within_suffix: str = "_within",
    between_suffix: str = "_between",
) -> pd.DataFrame:
    """Split level-1 predictors into within-group and between-group (group-mean) parts.

    Parameters
    ----------
    data : DataFrame
        One row per person.
    columns : str or list of str
        Level-1 predictors to decompose.
    group : str
        Cluster (branch) column.
    within_suffix, between_suffix : str
        Suffixes of the new columns.

    Returns
    -------
    DataFrame
        A copy of ``data`` with ``<col>_within = col - mean_g(col)`` and
        ``<col>_between = mean_g(col)`` (group mean over non-missing values; the level-2
        aggregate or "climate" score).

    Notes
    -----
    Centring within cluster (CWC) separates the within-branch effect from the between-branch
    (contextual) effect (Enders & Tofighi, 2007; Snijders & Bosker, 2012, sec. 4.6).

    References
    ----------
    Enders, C. K., & Tofighi, D. (2007). Centering predictor variables in cross-sectional
    multilevel models: A new look at an old issue. *Psychological Methods, 12*(2), 121-138.
    https://doi.org/10.1037/1082-989X.12.2.121
    """
    cols = _as_list(columns, "columns")
    _require_columns(data, [*cols, group])
    out = data.copy()
    for c in cols:
        if not pd.api.types.is_numeric_dtype(out[c]):
            raise ValueError(f"column {c!r} must be numeric to be group-mean centred (dtype {out[c].dtype}).")
        gm = out.groupby(group, observed=True)[c].transform("mean")
        out[f"{c}{between_suffix}"] = gm
        out[f"{c}{within_suffix}"] = out[c] - gm
    return out


def _fit_mixed(frame, y, fixed, group, slopes, reml):
    yv = frame[y].to_numpy()
    exog = np.column_stack([np.ones(len(frame)), frame[list(fixed)].to_numpy()]) if fixed else np.ones((len(frame), 1))
    exog_re = np.column_stack([np.ones(len(frame)), frame[list(slopes)].to_numpy()]) if slopes else None
    model = sm.MixedLM(yv, exog, groups=frame[group].to_numpy(), exog_re=exog_re)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(reml=reml)
    notes = sorted({str(w.message).split("\n")[0] for w in caught if "converge" in str(w.message).lower()
                    or "boundary" in str(w.message).lower() or "singular" in str(w.message).lower()})
    return res, exog, exog_re, notes


def _prepare(data, y, x, covar, group, slopes):
    xs, cs, ss = _as_list(x, "x"), _as_list(covar, "covar"), _as_list(slopes, "random_slopes")
    if not isinstance(group, str):
        raise ValueError(f"group must name the cluster column (e.g. group='branch'), got {group!r}.")
    fixed = list(dict.fromkeys([*xs, *cs]))
    missing_slopes = [s for s in ss if s not in fixed]
    if missing_slopes:
        raise ValueError(f"random_slopes {missing_slopes} must also be fixed effects (listed in x or covar).")
    _require_columns(data, [y, *fixed, group])
    frame = _numeric_frame(data, [y, *fixed], group)
    n_groups = frame[group].nunique()
    if n_groups < 2:
        raise ValueError(f"group {group!r} has {n_groups} cluster(s) after removing missing values; need >= 2.")
    return frame, fixed, ss, n_groups


def _wald_rows(terms, estimates, ses, crit):
    """Fixed-effect rows with Wald z tests and ``estimate ± crit·se`` intervals."""
    rows = []
    for term, b, se in zip(terms, estimates, ses):
        z = b / se
        rows.append(dict(effect="fixed", term=term, estimate=b, se=se, z=z, p=2 * stats.norm.sf(abs(z)),
                         ci_low=b - crit * se, ci_high=b + crit * se))
    return rows


def _table(rows, model, n, n_groups, method):
    """The tidy result of :func:`icc` and :func:`mixed_model`."""
    out = pd.DataFrame(rows, columns=["effect", "term", "estimate", "se", "z", "p", "ci_low", "ci_high"])
    out.insert(0, "model", model)
    out["n"] = n
    out["n_groups"] = n_groups
    out["method"] = method
    return out


def _method(reml, n_groups, notes, extra=""):
    m = f"linear mixed model (statsmodels MixedLM, {'REML' if reml else 'ML'}), {n_groups} groups; Wald z tests"
    if extra:
        m += "; " + extra
    if notes:
        m += "; warnings: " + " | ".join(notes)
    return m


def icc(data: pd.DataFrame, y: str, group: str, reml: bool = True) -> pd.DataFrame:
    """Null-model variance decomposition and intraclass correlation ICC(1).

    Parameters
    ----------
    data : DataFrame
        One row per person.
    y : str
        Outcome.
    group : str
        Cluster column.
    reml : bool
        REML (default, as ``lme4::lmer``) or ML.

    Returns
    -------
    DataFrame
        Rows ``term`` = ``Intercept`` (fixed, with SE), ``tau00`` (between-group variance),
        ``sigma2`` (within-group variance), ``icc`` and ``design_effect``; columns ``model,
        effect, term, estimate, se, z, p, ci_low, ci_high, n, n_groups, method``.

    Notes
    -----
    ``y_ij = g00 + u_0j + e_ij``; ``ICC = tau00 / (tau00 + sigma2)``;
    design effect ``1 + (n_bar - 1) ICC`` with ``n_bar`` the mean cluster size
    (Snijders & Bosker, 2012, sec. 3.3).

    References
    ----------
    Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical linear models* (2nd ed.). Sage.
    Snijders, T. A. B., & Bosker, R. J. (2012). *Multilevel analysis* (2nd ed.). Sage.
    """
    frame, _, _, n_groups = _prepare(data, y, None, None, group, None)
    res, _, _, notes = _fit_mixed(frame, y, [], group, [], reml)
    tau = float(np.asarray(res.cov_re)[0, 0])
    sig = float(res.scale)
    icc_v = tau / (tau + sig)
    nbar = len(frame) / n_groups
    b0, se0 = float(res.fe_params[0]), float(res.bse_fe[0])
    rows = _wald_rows(["Intercept"], [b0], [se0], stats.norm.ppf(0.975)) + [
        dict(effect="random", term="tau00", estimate=tau),
        dict(effect="random", term="sigma2", estimate=sig),
        dict(effect="derived", term="icc", estimate=icc_v),
        dict(effect="derived", term="design_effect", estimate=1 + (nbar - 1) * icc_v),
    ]
    return _table(rows, f"null model: {y} ~ 1 + (1 | {group})", len(frame), n_groups, _method(reml, n_groups, notes))


def mixed_model(
    data: pd.DataFrame,
    y: str,
    x: str | Sequence[str] | None = None,
    covar: str | Sequence[str] | None = None,
    group: str | None = None,
    random_slopes: str | Sequence[str] | None = None,
    reml: bool = True,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Two-level linear mixed model with random intercepts and optional random slopes.

    Parameters
    ----------
    data : DataFrame
        One row per person.
    y : str
        Outcome.
    x, covar : str or list of str, optional
        Fixed-effect predictors (level-1 and/or level-2 columns, e.g. from
        :func:`group_mean_centre`).
    group : str
        Cluster column (required).
    random_slopes : str or list of str, optional
        Predictors (also in ``x``/``covar``) whose slopes vary across groups (unstructured
        covariance with the random intercept, as ``(1 + x | group)`` in lme4).
    reml : bool
        REML (default) or ML (use ML to compare fixed-effect specifications by deviance).
    ci : float
        Confidence level of the Wald intervals of fixed effects.

    Returns
    -------
    DataFrame
        Columns ``model, effect, term, estimate, se, z, p, ci_low, ci_high, n, n_groups,
        method, beta``.  ``effect`` is ``fixed`` (coefficients), ``random`` (``var(Intercept)``,
        ``var(<slope>)``, ``cov(Intercept,<slope>)``, ``var(Residual)``) or ``fit``
        (``REML criterion``/``deviance`` = -2 log-likelihood, ``AIC``, ``BIC`` for ML).
        ``beta`` is the standardised fixed effect ``b·SD(x)/SD(y)`` (NaN for the intercept and
        for non-fixed rows); see Notes.

    Notes
    -----
    ``y_ij = X_ij b + Z_ij u_j + e_ij``, ``u_j ~ N(0, Sigma)``, ``e_ij ~ N(0, sigma²)``.
    Fixed-effect tests are Wald z tests (statsmodels); lme4 prints the same estimates and SEs.

    ``beta = b · SD(x) / SD(y)`` with the total (overall) sample SDs of ``x`` and ``y`` over the
    analysis sample (rows used by the model, ``n - 1`` denominators): the common "total-SD"
    standardisation of fixed effects, i.e. the coefficient obtained when ``x`` and ``y`` are
    z-scored over the whole sample (e.g. Snijders & Bosker, 2012; standardising by within- or
    between-level SDs instead gives other betas, also in use).  For a
    group-mean-centred (within) or group-mean (between) predictor, ``SD(x)`` is the SD of that
    column over all rows.

    References
    ----------
    Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical linear models* (2nd ed.). Sage.
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. *Journal of Statistical Software, 67*(1), 1-48.
    https://doi.org/10.18637/jss.v067.i01
    Snijders, T. A. B., & Bosker, R. J. (2012). *Multilevel analysis* (2nd ed.). Sage.

    Checked against lme4's ``lmer(Reaction ~ Days + (Days | Subject), sleepstudy)``
    (tests/test_multilevel.py); ``beta`` by hand (Days: 10.467·SD(Days)/SD(Reaction)).
    """
    ci = _check_ci(ci)
    if group is None:
        raise ValueError("mixed_model needs group=<cluster column> (e.g. group='branch').")
    frame, fixed, slopes, n_groups = _prepare(data, y, x, covar, group, random_slopes)
    res, _, _, notes = _fit_mixed(frame, y, fixed, group, slopes, reml)
    fe = np.asarray(res.fe_params)
    rows = _wald_rows(["Intercept", *fixed], fe, np.asarray(res.bse_fe), stats.norm.ppf(0.5 + ci / 2))
    re_names = ["Intercept", *slopes]
    cov = np.asarray(res.cov_re)
    for i, a in enumerate(re_names):
        rows.append(dict(effect="random", term=f"var({a})", estimate=cov[i, i]))
    for i in range(len(re_names)):
        for j in range(i + 1, len(re_names)):
            rows.append(dict(effect="random", term=f"cov({re_names[i]},{re_names[j]})", estimate=cov[i, j]))
    rows.append(dict(effect="random", term="var(Residual)", estimate=float(res.scale)))
    rows.append(dict(effect="fit", term="REML criterion" if reml else "deviance", estimate=-2 * float(res.llf)))
    if not reml:
        k = len(fe) + len(re_names) * (len(re_names) + 1) // 2 + 1
        rows.append(dict(effect="fit", term="AIC", estimate=-2 * float(res.llf) + 2 * k))
        rows.append(dict(effect="fit", term="BIC", estimate=-2 * float(res.llf) + np.log(len(frame)) * k))
    rand = " + ".join(["1", *slopes])
    model = f"{y} ~ {' + '.join(fixed) if fixed else '1'} + ({rand} | {group})"
    out = _table(rows, model, len(frame), n_groups, _method(reml, n_groups, notes))
    # total-SD standardised fixed effects (analysis sample, n - 1)
    sd = frame[[y, *fixed]].std(ddof=1)
    ratio = {c: float(sd[c]) / float(sd[y]) for c in fixed}
    out["beta"] = [est * ratio[term] if eff == "fixed" and term in ratio else np.nan
                   for eff, term, est in zip(out["effect"], out["term"], out["estimate"])]
    return out


def pseudo_r2(
    data: pd.DataFrame,
    y: str,
    x: str | Sequence[str] | None = None,
    covar: str | Sequence[str] | None = None,
    group: str | None = None,
    random_slopes: str | Sequence[str] | None = None,
    reml: bool = True,
) -> pd.DataFrame:
    """Explained variance of a two-level model.

    Parameters
    ----------
    data, y, x, covar, group, random_slopes, reml
        As in :func:`mixed_model`.

    Returns
    -------
    DataFrame
        Rows ``term`` = ``R2_level1`` and ``R2_level2`` (Raudenbush & Bryk proportional
        reduction of sigma² and tau00 relative to the null model; computed with random
        intercepts only), ``R2_marginal`` and ``R2_conditional`` (Nakagawa & Schielzeth, 2013;
        Johnson, 2014, for random slopes); columns ``model, term, estimate, n, n_groups,
        method`` plus the variance components used (``var_fixed, var_random, var_residual``).

    Notes
    -----
    Raudenbush & Bryk (2002, eqs. 4.13 and 4.24): ``R²_1 = (sigma²_0 - sigma²_1) / sigma²_0``,
    ``R²_2 = (tau00_0 - tau00_1) / tau00_0``; they can be negative (Snijders & Bosker, 2012,
    sec. 7.1).  Nakagawa: ``R²_m = v_f / (v_f + v_r + sigma²)``,
    ``R²_c = (v_f + v_r) / (v_f + v_r + sigma²)`` with ``v_f`` the variance of the fixed-part
    predictions and ``v_r`` the mean of ``z_ij' Sigma z_ij`` (Johnson, 2014).

    References
    ----------
    Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical linear models* (2nd ed.). Sage.
    Snijders, T. A. B., & Bosker, R. J. (2012). *Multilevel analysis* (2nd ed.). Sage.
    Nakagawa, S., & Schielzeth, H. (2013). A general and simple method for obtaining R² from
    generalized linear mixed-effects models. *Methods in Ecology and Evolution, 4*(2), 133-142.
    https://doi.org/10.1111/j.2041-210x.2012.00261.x
    Johnson, P. C. D. (2014). Extension of Nakagawa & Schielzeth's R²_GLMM to random slopes
    models. *Methods in Ecology and Evolution, 5*(9), 944-946. https://doi.org/10.1111/2041-210X.12225

    Checked by simulation with known variance components (tests/test_multilevel.py).
    """
    if group is None:
        raise ValueError("pseudo_r2 needs group=<cluster column> (e.g. group='branch').")
    frame, fixed, slopes, n_groups = _prepare(data, y, x, covar, group, random_slopes)
    if not fixed:
        raise ValueError("pseudo_r2 needs at least one predictor in x or covar.")
    r0, _, _, n0 = _fit_mixed(frame, y, [], group, [], reml)
    r1, _, _, n1 = _fit_mixed(frame, y, fixed, group, [], reml)
    s0, s1 = float(r0.scale), float(r1.scale)
    t0, t1 = float(np.asarray(r0.cov_re)[0, 0]), float(np.asarray(r1.cov_re)[0, 0])
    rf, exog, exog_re, nf = _fit_mixed(frame, y, fixed, group, slopes, reml) if slopes else (r1, None, None, n1)
    if exog is None:
        exog = np.column_stack([np.ones(len(frame)), frame[fixed].to_numpy()])
        exog_re = np.ones((len(frame), 1))
    v_f = float(np.var(exog @ np.asarray(rf.fe_params), ddof=1))
    sig = np.asarray(rf.cov_re)
    v_r = float(np.mean(np.einsum("ij,jk,ik->i", exog_re, sig, exog_re)))
    v_e = float(rf.scale)
    tot = v_f + v_r + v_e
    rows = [
        dict(term="R2_level1", estimate=(s0 - s1) / s0),
        dict(term="R2_level2", estimate=(t0 - t1) / t0 if t0 > 0 else np.nan),
        dict(term="R2_marginal", estimate=v_f / tot),
        dict(term="R2_conditional", estimate=(v_f + v_r) / tot),
    ]
    out = pd.DataFrame(rows)
    rand = " + ".join(["1", *slopes])
    out.insert(0, "model", f"{y} ~ {' + '.join(fixed)} + ({rand} | {group})")
    out["var_fixed"] = v_f
    out["var_random"] = v_r
    out["var_residual"] = v_e
    out["n"] = len(frame)
    out["n_groups"] = n_groups
    notes = sorted(set(n0) | set(n1) | set(nf))
    out["method"] = [
        _method(reml, n_groups, notes, "Raudenbush & Bryk PRV vs null model, random intercepts"),
        _method(reml, n_groups, notes, "Raudenbush & Bryk PRV vs null model, random intercepts"),
        _method(reml, n_groups, notes, "Nakagawa & Schielzeth (Johnson 2014) marginal R2"),
        _method(reml, n_groups, notes, "Nakagawa & Schielzeth (Johnson 2014) conditional R2"),
    ]
    return out
