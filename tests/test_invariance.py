"""Measurement invariance: lavaan's published multi-group example and simulations with known truth."""

import numpy as np
import pandas as pd
import pytest
from semopy.examples import holzinger39

from analysis.psychometrics.invariance import measurement_invariance

HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


def test_hs_by_school_matches_lavaan():
    # lavaan tutorial "Multiple groups" (https://lavaan.ugent.be/tutorial/groups.html):
    # cfa(HS.model, HolzingerSwineford1939, group = "school") -> 115.851, df 48; with
    # group.equal = "loadings" 124.04 (df 54) and c("intercepts", "loadings") 164.10 (df 60),
    # lavTestLRT chi-square differences 8.192 (df 6, p = .2244) and 40.059 (df 6).
    r = measurement_invariance(holzinger39.get_data(), HS_MODEL, "school", missing="listwise").set_index("step")
    assert abs(r.loc["configural", "chisq"] - 115.851) <= 0.01 and r.loc["configural", "df"] == 48
    assert abs(r.loc["metric", "chisq"] - 124.044) <= 0.01 and r.loc["metric", "df"] == 54
    assert abs(r.loc["scalar", "chisq"] - 164.103) <= 0.01 and r.loc["scalar", "df"] == 60
    assert abs(r.loc["metric", "delta_chisq"] - 8.192) <= 0.001
    assert abs(r.loc["metric", "delta_p"] - 0.2244) <= 0.0001
    assert abs(r.loc["scalar", "delta_chisq"] - 40.059) <= 0.001
    assert list(r["invariant"]) == [True, True, False]


def _two_groups(n, shift, seed):
    """Two-factor, 6-item model; group 2 gets a factor-mean difference and, optionally,
    intercept shifts of `shift` on items y1 and y4 (non-invariant intercepts)."""
    rng = np.random.default_rng(seed)
    lam = np.array([[0.8, 0], [0.7, 0], [0.6, 0], [0, 0.8], [0, 0.7], [0, 0.6]])
    phi = np.array([[1, 0.4], [0.4, 1]])
    out = []
    for g in (0, 1):
        f = rng.multivariate_normal([0.0, 0.0] if g == 0 else [0.3, -0.2], phi, n)
        x = f @ lam.T + rng.standard_normal((n, 6)) * np.sqrt(1 - (lam**2).sum(axis=1))
        x += 3.0
        if g == 1:
            x[:, [0, 3]] += shift
        d = pd.DataFrame(x, columns=[f"y{i + 1}" for i in range(6)])
        d["wave"] = f"w{g + 1}"
        out.append(d)
    return pd.concat(out, ignore_index=True)


MODEL = {"F1": ["y1", "y2", "y3"], "F2": ["y4", "y5", "y6"]}


def test_invariant_population_passes_metric_and_scalar():
    # equal loadings and intercepts: delta CFI and RMSEA stay near 0 (n = 500 per group keeps
    # the sampling noise of delta CFI well below .01)
    r = measurement_invariance(_two_groups(500, 0.0, seed=1), MODEL, "wave").set_index("step")
    assert r["converged"].all()
    assert r.loc["metric", "invariant"] and r.loc["scalar", "invariant"]
    assert r.loc["metric", "df"] - r.loc["configural", "df"] == 4  # 6 loadings - 2 freed variances
    assert r.loc["scalar", "df"] - r.loc["metric", "df"] == 4  # 6 intercepts - 2 freed means


def test_shifted_intercepts_fail_scalar():
    # intercepts of y1 and y4 shifted by 0.6 SD in group 2: metric holds, scalar fails
    r = measurement_invariance(_two_groups(500, 0.6, seed=2), MODEL, "wave").set_index("step")
    assert r.loc["metric", "invariant"]
    assert not r.loc["scalar", "invariant"]
    assert r.loc["scalar", "delta_cfi"] > 0.01


def test_needs_two_groups():
    d = _two_groups(50, 0.0, seed=3)
    d["wave"] = "w1"
    with pytest.raises(ValueError, match="at least 2"):
        measurement_invariance(d, MODEL, "wave")


def test_multigroup_fiml_matches_lavaan_with_missing_values():
    """cfa(HS.model, hs_mask, std.lv = TRUE, missing = "fiml", group = "school", group.equal =
    none / "loadings" / c("loadings", "intercepts")) with lavaan 0.6-14
    (tests/reference/psychometrics.R); tolerance 1e-5 for chi-square, 1e-6 for the indices
    (observed agreement ~1e-7)."""
    from reference.psych_fixtures import hs_mask, load

    fx = load("lavaan_cfa")
    r = measurement_invariance(hs_mask(), HS_MODEL, "school").set_index("step")
    assert (r["missing"] == "fiml").all() and (r["n"] == 301).all()
    for step in ("configural", "metric", "scalar"):
        ref = fx[f"hs_mask_school_fiml_{step}"]
        assert r.loc[step, "df"] == ref["df"]
        assert abs(r.loc[step, "chisq"] - ref["chisq"]) < 1e-5, step
        for key in ("cfi", "tli", "rmsea", "srmr"):
            assert abs(r.loc[step, key] - ref[key]) < 1e-6, (step, key)


def test_both_readings_of_invariant_are_returned():
    """Chen's rule as stated (CFI primary, RMSEA/SRMR confirm) vs. the strict reading (CFI or
    RMSEA alone). A 3-item scale with identical item parameters in both groups (150 each, seed 6):
    at the metric step RMSEA rises by .05 (few df) while CFI barely moves (.004), so the strict
    reading rejects and Chen's does not, the small-df artefact Kenny et al. (2015) describe."""
    d = _two_groups(150, 0.0, seed=6)
    one = {"F1": ["y1", "y2", "y3"]}
    strict = measurement_invariance(d, one, "wave", missing="listwise").set_index("step")
    chen = measurement_invariance(d, one, "wave", missing="listwise", rule="chen").set_index("step")
    m = strict.loc["metric"]
    assert m["delta_cfi"] <= 0.01 and m["delta_rmsea"] > 0.015
    assert m["invariant_chen"] and not m["invariant_strict"]
    assert list(strict["invariant"]) == list(strict["invariant_strict"]) and (strict["rule"] == "strict").all()
    assert list(chen["invariant"]) == list(chen["invariant_chen"]) and (chen["rule"] == "chen").all()
    with pytest.raises(ValueError, match="rule"):
        measurement_invariance(d, MODEL, "wave", rule="lenient")
