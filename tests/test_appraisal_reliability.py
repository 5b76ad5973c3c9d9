"""Inter-rater reliability: the six Shrout–Fleiss ICCs (published values and psych::ICC) and the
Method III variance components of unbalanced, crossed ratings (simulated truth)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.appraisal.icc import additive_fit, icc_forms, rater_variance_components

REFERENCE = Path(__file__).parent / "reference" / "appraisal_icc.csv"
# Shrout & Fleiss (1979), Table 2: 6 targets x 4 judges (also psych's tests/testthat/test_ICC.R).
SF = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])


@pytest.fixture(scope="module")
def sf_long():
    return pd.DataFrame({"target": np.repeat(np.arange(6), 4), "judge": np.tile(np.arange(4), 6), "y": SF.ravel()})


def test_published_shrout_fleiss_values(sf_long):
    # Shrout & Fleiss (1979), p. 425, Table 4: ICC(1,1)=.17, ICC(2,1)=.29, ICC(3,1)=.71, ICC(1,4)=.44,
    # ICC(2,4)=.62, ICC(3,4)=.91 -- printed to 2 decimals, so tolerance half a unit of the 2nd decimal.
    table = icc_forms(sf_long, "target", "judge", "y").set_index("type")["icc"]
    published = {"ICC1": 0.17, "ICC2": 0.29, "ICC3": 0.71, "ICC1k": 0.44, "ICC2k": 0.62, "ICC3k": 0.91}
    for form, value in published.items():
        assert abs(table[form] - value) <= 0.005, form


def test_matches_psych_icc_with_intervals(sf_long):
    # psych::ICC(sf) (tests/reference/appraisal.R -> appraisal_icc.csv): same formulas, so to rounding error.
    ours = icc_forms(sf_long, "target", "judge", "y").set_index("type")
    ref = pd.read_csv(REFERENCE).set_index("type")
    for column in ("icc", "f", "df1", "df2", "p", "ci_low", "ci_high"):
        np.testing.assert_allclose(ours.loc[ref.index, column], ref[column], rtol=1e-9, atol=1e-12, err_msg=column)


def test_method_iii_reduces_to_shrout_fleiss_on_complete_data(sf_long):
    forms = icc_forms(sf_long, "target", "judge", "y").set_index("type")["icc"]
    vc = rater_variance_components(sf_long, "y", "target", "judge").iloc[0]
    assert vc["design"] == "crossed" and vc["components"] == 1
    for ours, theirs in (("icc2_1", "ICC2"), ("icc2_k", "ICC2k"), ("iccc_1", "ICC3"), ("iccc_k", "ICC3k")):
        assert vc[ours] == pytest.approx(forms[theirs], abs=1e-12), ours


def test_method_iii_recovers_components_of_unbalanced_crossed_ratings():
    # 100 groups of 6 ratees and 8 raters; each ratee rated by 4 of its group's raters (incomplete,
    # crossed within groups). Truth: var_ratee .5, var_rater .2, var_error .3, so ICC(2,1) = .5 and
    # ICC(C,1) = .625. Over 100 seeds the estimates' SDs were .037, .018, .013, .021, .022 (means .503,
    # .197, .303, .501, .623: unbiased); tolerance 3 SD.
    rng = np.random.default_rng(2026)
    rows = [(g * 6 + j, g * 8 + r) for g in range(100) for j in range(6) for r in rng.choice(8, 4, replace=False)]
    d = pd.DataFrame(rows, columns=["ratee", "rater"])
    d["y"] = rng.normal(0, np.sqrt(0.5), 600)[d["ratee"]] + rng.normal(0, np.sqrt(0.2), 800)[d["rater"]] \
        + rng.normal(0, np.sqrt(0.3), len(d))
    vc = rater_variance_components(d, "y", "ratee", "rater").iloc[0]
    assert vc["components"] == 100 and vc["df_error"] == len(d) - 600 - d["rater"].nunique() + 100
    for column, truth, tol in (("var_ratee", 0.5, 0.11), ("var_rater", 0.2, 0.055), ("var_error", 0.3, 0.04),
                               ("icc2_1", 0.5, 0.065), ("iccc_1", 0.625, 0.066)):
        assert abs(vc[column] - truth) < tol, column


def test_nested_raters_get_no_two_way_indices():
    # every rater rates one ratee (customers): rater and residual variance cannot be told apart
    d = pd.DataFrame({"ratee": np.repeat(np.arange(20), 3), "rater": np.arange(60), "y": np.random.default_rng(1).normal(size=60)})
    vc = rater_variance_components(d, "y", "ratee", "rater").iloc[0]
    assert vc["design"] == "nested" and np.isnan(vc["icc2_1"]) and vc["df_error"] == 0


def test_additive_fit_is_least_squares():
    # equivalence with a dense least-squares fit on dummy columns (unbalanced, two factors, one with fixed-zero levels)
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 15, 200), rng.integers(0, 25, 200)
    free = np.arange(25) % 4 != 0
    y = rng.normal(size=15)[a] + np.where(free, rng.normal(size=25), 0)[b] + rng.normal(0, 0.3, 200)
    _, resid, converged = additive_fit(y, [(a, None), (b, free)])
    design = np.column_stack([np.eye(15)[a], np.eye(25)[b][:, free]])
    ls = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    assert converged
    np.testing.assert_allclose(resid, ls, atol=1e-8)


def test_incomplete_matrix_is_refused(sf_long):
    with pytest.raises(ValueError, match="every target must be rated exactly once by every rater"):
        icc_forms(sf_long.iloc[1:], "target", "judge", "y")
