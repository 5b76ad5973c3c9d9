"""Tests for analysis.models.targets (objective expectation and target gap)."""

import numpy as np
import pandas as pd
import pytest

from analysis.models import gap_outcome, sales_expectation, target_gap


def _branches(seed=0, n=600):
    rng = np.random.default_rng(seed)
    traffic = rng.uniform(100, 1000, n)
    staff = rng.integers(3, 15, n).astype(float)
    btype = rng.choice(["flagship", "standard", "community"], n)
    past = rng.uniform(50, 500, n)
    type_eff = pd.Series(btype).map({"community": 0.0, "flagship": 40.0, "standard": 15.0}).to_numpy()
    sales = 20 + 0.10 * traffic + 5.0 * staff + type_eff + 0.5 * past + rng.normal(0, 10, n)
    expected_true = sales - (sales - (20 + 0.10 * traffic + 5.0 * staff + type_eff + 0.5 * past))
    target = expected_true * np.exp(rng.normal(0, 0.1, n))  # fair on average, noisy
    return pd.DataFrame({"branch": [f"B{i:03d}" for i in range(n)], "traffic": traffic, "staff": staff,
                         "type": btype, "past_sales": past, "sales": sales, "target": target})


def test_expectation_recovers_known_coefficients():
    # Truth: intercept 20, traffic .10, staff 5, flagship +40 and standard +15 vs community,
    # past sales .5; residual SD 10, n = 600.  Every 95% CI must contain its true value
    # (seeded) and estimates lie within 4 SE.
    d = _branches()
    t = sales_expectation(d, y="sales", x=["traffic", "staff", "type", "past_sales"]).set_index("term")
    truth = {"Intercept": 20, "traffic": 0.10, "staff": 5.0, "type[flagship]": 40.0, "type[standard]": 15.0,
             "past_sales": 0.5}
    for term, v in truth.items():
        assert t.loc[term, "ci_low"] < v < t.loc[term, "ci_high"], term
        assert abs(t.loc[term, "estimate"] - v) < 4 * t.loc[term, "se"]
    # dummy terms "col[level]" carry their column and level as structured columns
    assert t.loc["type[flagship]", ["predictor", "level"]].tolist() == ["type", "flagship"]
    assert t.loc["traffic", "predictor"] == "traffic" and t.loc["traffic", "level"] is None
    assert (t["estimand"] == "coefficient").all() and (t["outcome"] == "sales").all()


def test_gap_columns_and_identities():
    d = _branches(1)
    g = target_gap(d, target="target", y="sales", x=["traffic", "staff", "type", "past_sales"], id="branch")
    assert list(g.columns[:7]) == ["branch", "target", "actual", "expected", "gap_ratio", "log_gap", "gap_diff"]
    np.testing.assert_allclose(g["gap_ratio"], g["target"] / g["expected"], rtol=1e-12)
    np.testing.assert_allclose(g["log_gap"], np.log(g["gap_ratio"]), rtol=1e-12)
    # OLS residuals sum to zero: mean expectation equals mean actual sales
    assert g["expected"].mean() == pytest.approx(g["actual"].mean(), rel=1e-10)
    # targets were drawn fair: median log gap close to 0 (SD .1 / sqrt(600) ~ .004; tol .02)
    assert abs(g["log_gap"].median()) < 0.02


def test_log_scale_smearing():
    d = _branches(2)
    d["sales"] = np.exp(1 + 0.002 * d["traffic"] + np.random.default_rng(3).normal(0, 0.3, len(d)))
    g = target_gap(d, target="target", y="sales", x=["traffic"], scale="log")
    # Duan smearing makes the mean expectation track the mean of sales (within 2%)
    assert g["expected"].mean() == pytest.approx(d["sales"].mean(), rel=0.02)
    assert "smearing" in g["method"].iloc[0]
    assert (g["estimator"] == "ols_log_smearing").all() and (g["warnings"] == "").all()


def test_nonpositive_expectation_is_coded_per_branch():
    # a linear expectation below 0 for a branch: its ratio is NaN and the row says why
    # sales fall with x; the least-squares line is 2.62 - 0.74 x, below 0 at x = 4
    d = pd.DataFrame({"x": [0.0, 1, 2, 3, 4], "sales": [3.0, 2, 1, 0.5, 0.2], "target": [3.0, 2, 1, 1, 1]})
    g = target_gap(d, target="target", y="sales", x=["x"])
    bad = g["expected"] <= 0
    assert bad.tolist() == [False, False, False, False, True] and g.loc[bad, "gap_ratio"].isna().all()
    assert (g.loc[bad, "warnings"] == "nonpositive_expectation").all() and (g.loc[~bad, "warnings"] == "").all()


def test_gap_outcome_recovers_slope():
    rng = np.random.default_rng(4)
    d = _branches(4)
    g = target_gap(d, target="target", y="sales", x=["traffic", "staff", "type", "past_sales"])
    g["strain"] = 2.0 * g["log_gap"] + rng.normal(0, 0.2, len(g))
    t = gap_outcome(g, y="strain").set_index("term")
    assert t.loc["log_gap", "ci_low"] < 2.0 < t.loc["log_gap", "ci_high"]


def test_errors():
    d = _branches()
    with pytest.raises(KeyError, match="trafic"):
        target_gap(d, target="target", y="sales", x=["trafic"])
    with pytest.raises(ValueError, match="scale"):
        sales_expectation(d, y="sales", x="traffic", scale="sqrt")
