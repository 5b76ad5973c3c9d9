"""Two-level linear mixed models (staff within branches) with statsmodels ``MixedLM``.

Public functions
----------------
group_mean_centre
    Within (person - group mean) and between (group mean, level-2 "climate") columns.
null_model
    Null (intercept-only) model: between/within variance, ICC(1), ICC(2) and design effect.
mixed_model
    Random-intercept (optionally random-slope) model: fixed effects, variance components, fit.
pseudo_r2
    Raudenbush & Bryk level-1/level-2 proportional reduction in variance and Nakagawa &
    Schielzeth marginal/conditional R² (Johnson's 2014 extension for random slopes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.psychometrics.aggregation import icc as anova_icc

from . import _results as rs
from ._data import as_list, check_ci, numeric_frame, require_columns
from ._mixedlm import fit_mixed, fixed_rows, mixed_table, mixed_method, variance_rows

__all__ = ["group_mean_centre", "mixed_model", "null_model", "pseudo_r2"]


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

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"g": [1, 1, 2, 2], "x": [1.0, 3, 2, 6]})
    >>> group_mean_centre(d, "x", "g")[["x_within", "x_between"]].values.tolist()
    [[-1.0, 2.0], [1.0, 2.0], [-2.0, 4.0], [2.0, 4.0]]
    """
    cols = as_list(columns, "columns")
    require_columns(data, [*cols, group])
    out = data.copy()
    for c in cols:
        if not pd.api.types.is_numeric_dtype(out[c]):
            raise ValueError(f"column {c!r} must be numeric to be group-mean centred (dtype {out[c].dtype}).")
        gm = out.groupby(group, observed=True)[c].transform("mean")
        out[f"{c}{between_suffix}"] = gm
        out[f"{c}{within_suffix}"] = out[c] - gm
    return out


def _prepare(data, y, x, covar, group, slopes):
    xs, cs, ss = as_list(x, "x"), as_list(covar, "covar"), as_list(slopes, "random_slopes")
    if not isinstance(group, str):
        raise ValueError(f"group must name the cluster column (e.g. group='branch'), got {group!r}.")
    fixed = list(dict.fromkeys([*xs, *cs]))
    missing_slopes = [s for s in ss if s not in fixed]
    if missing_slopes:
        raise ValueError(f"random_slopes {missing_slopes} must also be fixed effects (listed in x or covar).")
    require_columns(data, [y, *fixed, group])
    frame = numeric_frame(data, [y, *fixed], group)
    n_groups = frame[group].nunique()
    if n_groups < 2:
        raise ValueError(f"group {group!r} has {n_groups} cluster(s) after removing missing values; need >= 2.")
    return frame, fixed, ss, n_groups


def null_model(data: pd.DataFrame, y: str, group: str, reml: bool = True) -> pd.DataFrame:
    """Null (intercept-only) model: variance components, ICC(1), ICC(2) and the design effect.

    Parameters
    ----------
    data, y, group
        As in :func:`mixed_model`.
    reml : bool
        REML (default, as ``lme4::lmer``) or ML for the variance components.

    Returns
    -------
    DataFrame
        Rows (``term`` / ``estimand``): ``Intercept`` / ``coefficient`` (fixed, Wald z),
        ``tau00`` / ``variance`` (between-group variance) and ``sigma2`` /
        ``residual_variance`` (within-group variance) of the mixed null model; ``icc`` /
        ``icc1`` and ``icc2`` / ``icc2`` (Bliese's ICC(1) and ICC(2), ``estimator = "anova"``)
        and ``design_effect`` / ``design_effect``.  Columns ``model, effect, term, estimate, se,
        z, p, ci_low, ci_high, n, n_groups, method`` and the structured columns of
        :func:`mixed_model` (here ``estimator`` is ``"anova"`` on the ICC and design-effect rows).

    Notes
    -----
    ``y_ij = g00 + u_0j + e_ij`` with ``tau00 = Var(u)``, ``sigma2 = Var(e)`` (REML).
    ICC(1) and ICC(2) are those of :func:`analysis.psychometrics.aggregation.icc` (one-way ANOVA,
    ``multilevel::ICC1``/``ICC2``): ``ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW)``,
    ``ICC(2) = (MSB - MSW) / MSB`` with ``k`` the mean group size.  With equal group sizes and
    ``tau00 > 0`` the REML components give the same ICC(1), ``tau00 / (tau00 + sigma2)``;
    with unequal sizes the two estimators differ slightly.  Design effect
    ``1 + (k - 1) ICC(1)`` (Snijders & Bosker, 2012, sec. 3.3).

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability. In K. J.
    Klein & S. W. J. Kozlowski (Eds.), *Multilevel theory, research, and methods in
    organizations* (pp. 349-381). Jossey-Bass.
    Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical linear models* (2nd ed.). Sage.
    Snijders, T. A. B., & Bosker, R. J. (2012). *Multilevel analysis* (2nd ed.). Sage.

    Checked against R (tests/reference/models.R): ``lme4::lmer(Yield ~ 1 + (1 | Batch),
    Dyestuff)`` and ``multilevel::ICC1``/``ICC2`` (ICC(1) = .41849, ICC(2) = .78253).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"g": [1, 1, 1, 2, 2, 2, 3, 3, 3], "y": [1.0, 2, 3, 3, 4, 5, 2, 4, 3]})
    >>> t = null_model(d, y="y", group="g").set_index("term")
    >>> t.loc[["tau00", "sigma2", "icc", "icc2"], "estimate"].round(4).tolist()
    [0.6667, 1.0, 0.4, 0.6667]
    >>> t.loc["icc", "estimator"], bool(t["converged"].all())
    ('anova', True)
    """
    frame, _, _, n_groups = _prepare(data, y, None, None, group, None)
    fit = fit_mixed(frame, y, [], group, [], reml)
    res = fit.result
    anova = anova_icc(frame, y, group, method="anova").iloc[0]
    icc1, icc2 = float(anova["icc1"]), float(anova["icc2"])
    nbar = len(frame) / n_groups
    ci = 0.95
    rows = fixed_rows(["Intercept"], [float(res.fe_params[0])], [float(res.bse_fe[0])], ci) + [
        dict(effect="random", term="tau00", estimate=float(np.asarray(res.cov_re)[0, 0]), estimand="variance",
             predictor="Intercept"),
        dict(effect="random", term="sigma2", estimate=float(res.scale), estimand="residual_variance"),
        dict(effect="derived", term="icc", estimate=icc1, estimand="icc1", estimator="anova"),
        dict(effect="derived", term="icc2", estimate=icc2, estimand="icc2", estimator="anova"),
        dict(effect="derived", term="design_effect", estimate=1 + (nbar - 1) * icc1, estimand="design_effect",
             estimator="anova"),
    ]
    return mixed_table(rows, model=f"null model: {y} ~ 1 + (1 | {group})", y=y, group=group, n=len(frame),
                       n_groups=n_groups, method=mixed_method(reml, n_groups, fit.notes), fits=[fit], reml=reml)


def mixed_model(data: pd.DataFrame, y: str, x: str | Sequence[str] | None = None,
                covar: str | Sequence[str] | None = None, group: str | None = None,
                random_slopes: str | Sequence[str] | None = None, reml: bool = True, ci: float = 0.95) -> pd.DataFrame:
    """Two-level linear mixed model with random intercepts and optional random slopes.

    Parameters
    ----------
    data : DataFrame
        One row per person.
    y : str
        Outcome.
    x, covar : str or list of str, optional
        Fixed-effect predictors (level-1 and/or level-2 columns, e.g. from
        :func:`group_mean_centre`).  Neither given: the null model ``y ~ 1 + (1 | group)``.
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

        Structured columns: ``estimand`` (``coefficient``, ``variance``, ``covariance``,
        ``residual_variance``, ``reml_criterion``, ``deviance``, ``aic``, ``bic``),
        ``predictor`` (the fixed effect's column or ``"Intercept"``; the random term of a
        variance; the first of a covariance), ``predictor2`` (the second term of a covariance),
        ``outcome`` (``y``), ``converged`` (``MixedLMResults.converged``), and the provenance
        columns of :mod:`analysis.models._results`: ``estimator`` (``"mixedlm_reml"`` or
        ``"mixedlm_ml"``), ``se_type`` (``"model_based"``) and ``ci_method`` (``"wald_z"``) on
        fixed effects (NA on other rows), ``ci_level``, ``cluster`` (= ``group``),
        ``n_clusters``, ``n_boot``/``n_boot_valid``/``resample`` (NA) and ``warnings``
        (``not_converged``, ``optimization_failed``, ``optimizer_retry``, ``hessian_not_pd``,
        ``singular_cov``, ``boundary``, ``nonfinite_likelihood``, ``other_warning``; see
        :mod:`analysis.models._mixedlm`).  Check ``converged`` and ``warnings`` before reading
        the estimates: statsmodels returns estimates from a failed fit too.

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

    Checked against lme4 (tests/reference/models.R, tests/test_multilevel.py):
    ``lmer(Reaction ~ Days + (Days | Subject), sleepstudy)`` (REML and ML), the random-intercept
    model, and a model of the bundled sample wave with group-mean-centred climate.

    Examples
    --------
    >>> from analysis.models.examples import example_multilevel_data
    >>> d = example_multilevel_data()
    >>> t = mixed_model(d, y="y", x="x", group="g").set_index("term")
    >>> print(round(float(t.loc["x", "estimate"]), 3), t.loc["x", "estimand"], t.loc["x", "ci_method"])
    0.442 coefficient wald_z
    >>> bool(t["converged"].all()), t["warnings"].iloc[0]
    (True, '')
    """
    ci = check_ci(ci)
    if group is None:
        raise ValueError("mixed_model needs group=<cluster column> (e.g. group='branch').")
    frame, fixed, slopes, n_groups = _prepare(data, y, x, covar, group, random_slopes)
    fit = fit_mixed(frame, y, fixed, group, slopes, reml)
    res = fit.result
    fe = np.asarray(res.fe_params)
    re_names = ["Intercept", *slopes]
    rows = fixed_rows(["Intercept", *fixed], fe, np.asarray(res.bse_fe), ci)
    rows += variance_rows(np.asarray(res.cov_re), re_names, res.scale)
    dev = -2 * float(res.llf)
    rows.append(dict(effect="fit", term="REML criterion" if reml else "deviance", estimate=dev,
                     estimand="reml_criterion" if reml else "deviance"))
    if not reml:
        k = len(fe) + len(re_names) * (len(re_names) + 1) // 2 + 1
        rows.append(dict(effect="fit", term="AIC", estimate=dev + 2 * k, estimand="aic"))
        rows.append(dict(effect="fit", term="BIC", estimate=dev + np.log(len(frame)) * k, estimand="bic"))
    rand = " + ".join(["1", *slopes])
    model = f"{y} ~ {' + '.join(fixed) if fixed else '1'} + ({rand} | {group})"
    # total-SD standardised fixed effects (analysis sample, n - 1)
    sd = frame[[y, *fixed]].std(ddof=1)
    ratio = {c: float(sd[c]) / float(sd[y]) for c in fixed}
    beta = [r["estimate"] * ratio[r["term"]] if r["effect"] == "fixed" and r["term"] in ratio else np.nan
            for r in rows]
    return mixed_table(rows, model=model, y=y, group=group, n=len(frame), n_groups=n_groups,
                       method=mixed_method(reml, n_groups, fit.notes), fits=[fit], reml=reml, extra={"beta": beta})


_R2_COLUMNS = ["model", "term", "estimate", "var_fixed", "var_random", "var_residual", "n", "n_groups", "method",
               "estimand", "outcome", "converged"]


def pseudo_r2(data: pd.DataFrame, y: str, x: str | Sequence[str] | None = None,
              covar: str | Sequence[str] | None = None, group: str | None = None,
              random_slopes: str | Sequence[str] | None = None, reml: bool = True) -> pd.DataFrame:
    """Explained variance of a two-level model.

    Parameters
    ----------
    data, y, x, covar, group, random_slopes, reml
        As in :func:`mixed_model`.

    Returns
    -------
    DataFrame
        Rows ``term`` (= ``estimand`` in lower case) ``R2_level1`` and ``R2_level2``
        (Raudenbush & Bryk proportional reduction of sigma² and tau00 relative to the null
        model; computed with random intercepts only), ``R2_marginal`` and ``R2_conditional``
        (Nakagawa & Schielzeth, 2013; Johnson, 2014, for random slopes); columns ``model,
        term, estimate, var_fixed, var_random, var_residual`` (the variance components used),
        ``n, n_groups, method``, then ``estimand``, ``outcome``, ``converged`` (all fits behind
        the table) and the provenance columns of :func:`mixed_model` (``warnings``: the union
        over those fits; no SE or interval).

        Without predictors (``x`` and ``covar`` empty: the null model) there is nothing to
        explain -- every proportional reduction is 0 and the marginal R² is 0 by construction --
        so the table has the columns and no rows; the null model itself is :func:`null_model`.

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

    Checked by simulation with known variance components (tests/test_multilevel.py) and against
    the same formulas evaluated on lme4's fit of sleepstudy (tests/reference/models.R).

    Examples
    --------
    >>> from analysis.models.examples import example_multilevel_data
    >>> d = example_multilevel_data()
    >>> pseudo_r2(d, y="y", x="x", group="g")[["term", "estimate"]].round(3).to_numpy().tolist()
    [['R2_level1', 0.157], ['R2_level2', -0.039], ['R2_marginal', 0.098], ['R2_conditional', 0.456]]
    >>> len(pseudo_r2(d, y="y", group="g"))  # null model: nothing to explain
    0
    """
    if group is None:
        raise ValueError("pseudo_r2 needs group=<cluster column> (e.g. group='branch').")
    frame, fixed, slopes, n_groups = _prepare(data, y, x, covar, group, random_slopes)
    if not fixed:
        empty = pd.DataFrame(columns=_R2_COLUMNS + [c for c in rs.PROVENANCE_COLUMNS if c not in _R2_COLUMNS])
        return rs.finish(empty.astype({c: float for c in ("estimate", "var_fixed", "var_random", "var_residual")}))
    f0 = fit_mixed(frame, y, [], group, [], reml)
    f1 = fit_mixed(frame, y, fixed, group, [], reml)
    fits = [f0, f1]
    s0, s1 = float(f0.result.scale), float(f1.result.scale)
    t0, t1 = float(np.asarray(f0.result.cov_re)[0, 0]), float(np.asarray(f1.result.cov_re)[0, 0])
    full = f1
    if slopes:
        full = fit_mixed(frame, y, fixed, group, slopes, reml)
        fits.append(full)
    rf = full.result
    v_f = float(np.var(full.exog @ np.asarray(rf.fe_params), ddof=1))
    v_r = float(np.mean(np.einsum("ij,jk,ik->i", full.exog_re, np.asarray(rf.cov_re), full.exog_re)))
    v_e = float(rf.scale)
    tot = v_f + v_r + v_e
    prv = "Raudenbush & Bryk PRV vs null model, random intercepts"
    notes = sorted({m for f in fits for m in f.notes})
    out = pd.DataFrame({"term": ["R2_level1", "R2_level2", "R2_marginal", "R2_conditional"],
                        "estimate": [(s0 - s1) / s0, (t0 - t1) / t0 if t0 > 0 else np.nan, v_f / tot,
                                     (v_f + v_r) / tot]})
    methods = [prv, prv, "Nakagawa & Schielzeth (Johnson 2014) marginal R2",
               "Nakagawa & Schielzeth (Johnson 2014) conditional R2"]
    rand = " + ".join(["1", *slopes])
    out.insert(0, "model", f"{y} ~ {' + '.join(fixed)} + ({rand} | {group})")
    out["var_fixed"] = v_f
    out["var_random"] = v_r
    out["var_residual"] = v_e
    out["n"] = len(frame)
    out["n_groups"] = n_groups
    out["method"] = [mixed_method(reml, n_groups, notes, m) for m in methods]
    out["estimand"] = out["term"].str.lower()
    out["outcome"] = y
    out["converged"] = all(f.converged for f in fits)
    meta = rs.provenance(estimator="mixedlm_reml" if reml else "mixedlm_ml", n=len(frame), cluster=group,
                         n_clusters=n_groups, warnings={c for f in fits for c in f.codes})
    return rs.stamp(out, meta)
