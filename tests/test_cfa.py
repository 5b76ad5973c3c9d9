"""CFA engine against lavaan's published Holzinger & Swineford (1939) output.

Reference: lavaan tutorial, "A CFA example" (https://lavaan.ugent.be/tutorial/cfa.html),
R: ``fit <- cfa(HS.model, data = HolzingerSwineford1939); summary(fit, fit.measures = TRUE,
standardized = TRUE)`` with HS.model ``visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6;
speed =~ x7 + x8 + x9``. Data: ``semopy.examples.holzinger39`` (the same 301 rows).
Tolerances: chi-square +-0.01 (published to 3 decimals); every other value must equal the
published 3-decimal value after rounding (+-0.001 to allow a last-digit tie).
"""

import numpy as np
import pandas as pd
import pytest
from semopy.examples import holzinger39

from analysis.psychometrics.cfa import CFAError, cfa

HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


@pytest.fixture(scope="module")
def hs():
    return holzinger39.get_data()


@pytest.fixture(scope="module")
def hs_fit(hs):
    return cfa(hs, HS_MODEL)


def test_hs_fit_indices_match_lavaan(hs_fit):
    f = hs_fit.fit.iloc[0]
    assert f["n"] == 301
    assert f["df"] == 24
    assert abs(f["chisq"] - 85.306) <= 0.01  # lavaan: Test statistic 85.306
    published = {"cfi": 0.931, "tli": 0.896, "rmsea": 0.092, "rmsea_ci_low": 0.071,
                 "rmsea_ci_high": 0.114, "srmr": 0.065}  # lavaan tutorial, fit.measures = TRUE
    for key, ref in published.items():
        assert abs(round(f[key], 3) - ref) <= 0.001, (key, f[key], ref)
    assert f["converged"]


def test_hs_standardised_loadings_match_lavaan(hs_fit):
    # lavaan tutorial summary(fit, standardized = TRUE), column Std.all
    std_all = {"x1": 0.772, "x2": 0.424, "x3": 0.581, "x4": 0.852, "x5": 0.855, "x6": 0.838,
               "x7": 0.570, "x8": 0.723, "x9": 0.665}
    got = hs_fit.loadings.set_index("item")["std_all"]
    for item, ref in std_all.items():
        assert abs(round(got[item], 3) - ref) <= 0.001, (item, got[item], ref)
    assert (hs_fit.loadings["std_all_se"] > 0).all()


def test_hs_std_lv_estimates_and_se_match_lavaan(hs_fit):
    # cfa(HS.model, HolzingerSwineford1939, std.lv = TRUE), Estimate and Std.Err columns as
    # printed by lavaan 0.5-23 (unchanged since): x1 0.900 (0.081) ... x9 0.670 (0.065)
    est = {"x1": 0.900, "x2": 0.498, "x3": 0.656, "x4": 0.990, "x5": 1.102, "x6": 0.917,
           "x7": 0.619, "x8": 0.731, "x9": 0.670}
    se = {"x1": 0.081, "x2": 0.077, "x3": 0.074, "x4": 0.057, "x5": 0.063, "x6": 0.054,
          "x7": 0.070, "x8": 0.066, "x9": 0.065}
    got = hs_fit.loadings.set_index("item")
    for item in est:
        assert abs(round(got.loc[item, "estimate"], 3) - est[item]) <= 0.001, item
        assert abs(round(got.loc[item, "se"], 3) - se[item]) <= 0.001, item


def test_hs_factor_correlations_match_lavaan(hs_fit):
    # lavaan Std.all of the latent covariances: visual~~textual .459, visual~~speed .471,
    # textual~~speed .283 (lavaan tutorial, Covariances block)
    fc = {(r.factor, r.other): r.estimate for r in hs_fit.factor_correlations.itertuples()}
    assert abs(round(fc[("visual", "textual")], 3) - 0.459) <= 0.001
    assert abs(round(fc[("visual", "speed")], 3) - 0.471) <= 0.001
    assert abs(round(fc[("textual", "speed")], 3) - 0.283) <= 0.001


def test_chisq_agrees_with_semopy(hs):
    """semopy 2.3.11 reproduces lavaan's ML chi-square; its optimiser stops a little early, so
    its minimum can only be equal or higher than ours."""
    import semopy

    desc = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    m = semopy.Model(desc)
    m.fit(hs[[f"x{i}" for i in range(1, 10)]])
    sem_chi = float(semopy.calc_stats(m)["chi2"].iloc[0])
    ours = cfa(hs, HS_MODEL).fit["chisq"].iloc[0]
    assert ours <= sem_chi + 1e-6
    assert abs(sem_chi - ours) < 0.01


def test_singular_matrix_raises_cfa_error(hs):
    d = hs.copy()
    d["x10"] = d["x1"] + d["x2"]  # perfectly collinear item
    with pytest.raises(CFAError, match="not positive definite"):
        cfa(d, {"f": ["x1", "x2", "x10"], "g": ["x4", "x5", "x6"]})


def test_missing_item_column_names_it(hs):
    with pytest.raises(KeyError, match="x99"):
        cfa(hs, {"f": ["x1", "x2", "x99"]})


def test_too_few_respondents(hs):
    with pytest.raises(CFAError, match="more respondents than items"):
        cfa(hs.head(5), HS_MODEL)
