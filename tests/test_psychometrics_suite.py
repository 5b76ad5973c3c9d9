"""The suite on a small made-up instrument: all tables present, data problems become rows."""

import textwrap

import numpy as np
import pandas as pd
import pytest

from analysis.instrument import load_instrument
from analysis.psychometrics import psychometrics_suite

YAML = textwrap.dedent("""
    id: mini
    version: "1"
    kind: survey
    respondent: rid
    group: {column: branch}
    response_scales:
      likert5: {min: 1, max: 5}
    default_response: likert5
    items:
      a1: {text: a1}
      a2: {text: a2}
      a3: {text: a3}
      b1: {text: b1}
      b2: {text: b2}
      b3: {text: b3}
      b4: {text: b4}
      c1: {text: c1}
      d1: {text: d1}
      d2: {text: d2}
      d3: {text: d3}
      e1: {text: e1}
      e2: {text: e2}
    scales:
      A: {items: [a1, a2, a3]}
      B: {items: [b1, b2, b3, b4], level: branch}
      C: {items: [c1]}
      D: {items: [d1, d2, d3]}
      E: {items: [e1, e2]}
""")

KEYS = {"reliability", "item_stats", "kmo", "kmo_scales", "bartlett", "efa_loadings", "parallel_analysis", "omega_hierarchical",
        "cfa_fit", "cfa_loadings", "cr_ave", "cr_ave_observed", "fornell_larcker", "htmt", "htmt2", "common_method",
        "icc", "rwg", "reviewer", "problems"}


@pytest.fixture(scope="module")
def instrument(tmp_path_factory):
    p = tmp_path_factory.mktemp("inst") / "mini.yml"
    p.write_text(YAML, encoding="utf-8")
    return load_instrument(p)


def _data(n=500, seed=1):
    rng = np.random.default_rng(seed)
    br = rng.integers(0, 30, n)
    u = rng.normal(0, 0.5, 30)[br]
    fa = rng.normal(size=n) + u
    fb = 0.5 * fa + 0.8 * rng.normal(size=n) + u

    def lik(f, lam):
        return np.clip(np.round(3 + lam * f + 0.7 * rng.normal(size=n)), 1, 5)

    d = pd.DataFrame({"rid": range(n), "branch": [f"B{b:02d}" for b in br],
                      "a1": lik(fa, .8), "a2": lik(fa, .7), "a3": lik(fa, .9),
                      "b1": lik(fb, .8), "b2": lik(fb, .6), "b3": lik(fb, .7), "b4": lik(fb, .9),
                      "c1": lik(fa, .5), "d1": 3.0, "d2": lik(fb, .5), "d3": lik(fb, .6),
                      "e1": np.nan, "e2": np.nan})
    d.loc[:1, ["e1", "e2"]] = 3.0  # only two respondents answered scale E
    d.loc[:9, "a1"] = np.nan
    return d


def test_suite_tables_and_problems(instrument):
    out = psychometrics_suite(_data(), instrument, n_boot=100, seed=3)
    assert KEYS <= set(out)
    for name, t in out.items():
        assert isinstance(t, pd.DataFrame), name
        assert not any(" " in str(c) for c in t.columns), name
    probs = out["problems"]
    kinds = set(zip(probs["scale"], probs["problem"]))
    assert ("C", "single_item") in kinds
    assert ("D", "constant_item") in kinds
    assert ("E", "too_few_respondents") in kinds
    rel = out["reliability"].set_index("scale")
    assert list(rel.index) == ["A", "B", "D"]
    assert rel.loc["A", "n"] == 490 and rel.loc["A", "missing"] == "listwise"
    assert rel["boot_ci_low"].notna().all()
    # the constant item d1 is left out of the CFA; the other scales are still there
    assert set(out["cfa_loadings"]["scale"]) == {"A", "B", "D"}
    assert "d1" not in set(out["cfa_loadings"]["item"])
    assert set(out["cfa_fit"]["model"]) == {"measurement", "single_factor"}
    # no group given: only the branch-level scale B gets aggregation indices (instrument group column)
    assert list(out["icc"]["scale"]) == ["B"]
    assert out["rwg"]["aggregation_ok"].dtype == bool
    rv = out["reviewer"]
    assert {"alpha", "omega", "cr", "ave", "cfi", "tli", "rmsea", "srmr", "kmo", "icc1", "rwg_j"} <= set(rv["statistic"])


def test_group_argument_aggregates_every_scale(instrument):
    out = psychometrics_suite(_data(), instrument, group="branch")
    # the single-item scale C too: ICC and rwg of one item, but no reliability or CFA factor
    assert set(out["icc"]["scale"]) == {"A", "B", "C", "D"} and "C" in set(out["rwg"]["scale"])
    assert "C" not in set(out["reliability"]["scale"]) and "C" not in set(out["cfa_loadings"]["scale"])
    assert out["icc"]["n_groups"].eq(30).all()


def test_non_positive_definite_matrix_becomes_a_problem(instrument):
    d = _data()
    d["b2"] = d["b1"]  # perfectly collinear items: the item covariance matrix is singular
    out = psychometrics_suite(d, instrument)
    probs = out["problems"]
    assert (probs["problem"] == "cfa_failed").any()
    assert probs.loc[probs["problem"] == "cfa_failed", "message"].str.contains("positive definite").any()
    assert len(out["reliability"]) == 3 and out["cfa_fit"].empty


def test_missing_item_column_is_a_problem_and_bad_group_raises(instrument):
    d = _data().drop(columns=["a3"])
    out = psychometrics_suite(d, instrument)
    assert (out["problems"]["problem"] == "missing_columns").any()
    assert "A" not in set(out["reliability"]["scale"])
    with pytest.raises(KeyError, match="nope"):
        psychometrics_suite(d, instrument, group="nope")


def test_tiny_sample_does_not_raise(instrument):
    out = psychometrics_suite(_data().head(6), instrument)
    assert isinstance(out["problems"], pd.DataFrame) and len(out["problems"])


def test_fiml_and_pairwise_are_the_defaults_listwise_on_request(instrument):
    d = _data()
    fi = psychometrics_suite(d, instrument)
    lw = psychometrics_suite(d, instrument, cfa_missing="listwise", cor_missing="listwise")
    assert set(lw["cfa_fit"]["missing"]) == {"listwise"} and set(lw["cfa_fit"]["estimator"]) == {"ML"}
    fit = fi["cfa_fit"].set_index("model")
    assert set(fit["missing"]) == {"fiml"} and set(fit["estimator"]) == {"FIML"}
    # a1 is missing for 10 respondents: listwise drops them, FIML keeps all 500
    assert lw["cfa_fit"]["n"].eq(490).all() and fit["n"].eq(500).all()
    cm = fi["common_method"].set_index("test").loc["single_factor_cfa"]
    assert cm["chisq_single"] == fit.loc["single_factor", "chisq"] and cm["chisq_model"] == fit.loc["measurement", "chisq"]
    assert cm["delta_df"] == fit.loc["single_factor", "df"] - fit.loc["measurement", "df"] and cm["missing"] == "fiml"
    assert set(fi["cr_ave"]["factor"]) == {"A", "B", "D"}
    # CR/AVE come from the FIML loadings, so they differ (slightly) from the listwise ones
    assert not np.allclose(fi["cr_ave"]["cr"], lw["cr_ave"]["cr"], rtol=0, atol=1e-8)
    # the correlation-based tables: pairwise by default (every respondent with an answer)
    for key in ("kmo", "bartlett", "parallel_analysis", "efa_loadings", "htmt", "htmt2", "omega_hierarchical"):
        assert set(fi[key]["missing"]) == {"pairwise"} and set(fi[key]["n"]) == {500}, key
        assert set(lw[key]["missing"]) == {"listwise"} and set(lw[key]["n"]) == {490}, key
    assert set(fi["htmt"]["method"]) == {"htmt"} and set(fi["htmt2"]["method"]) == {"htmt2"}
    assert set(fi["cr_ave"]["method"]) == {"standardized"} and set(fi["cr_ave_observed"]["method"]) == {"observed"}
    harman = fi["common_method"].set_index("test").loc["harman_single_factor"]
    assert harman["missing"] == "pairwise" and harman["n"] == 500
    with pytest.raises(ValueError, match="cfa_missing"):
        psychometrics_suite(d, instrument, cfa_missing="pairwise")
    with pytest.raises(ValueError, match="cor_missing"):
        psychometrics_suite(d, instrument, cor_missing="fiml")


def test_programming_errors_propagate_estimation_errors_become_problems(instrument, monkeypatch):
    """Only expected statistical failures become problem rows; a TypeError is a bug and surfaces."""
    import analysis.psychometrics.suite as suite
    from analysis.psychometrics.errors import EstimationError

    def broken(*args, **kwargs):
        raise TypeError("kmo() got an unexpected keyword argument")

    monkeypatch.setattr(suite, "kmo", broken)
    with pytest.raises(TypeError, match="unexpected keyword"):
        psychometrics_suite(_data(), instrument)

    def fails(*args, **kwargs):
        raise EstimationError("kmo: too few respondents")

    monkeypatch.setattr(suite, "kmo", fails)
    out = psychometrics_suite(_data(), instrument)
    row = out["problems"].set_index("problem").loc["kmo_failed"]
    assert "too few respondents" in row["message"] and out["kmo"].empty


def test_reviewer_single_factor_poor_fit_passes():
    """Harman's logic: the single-factor CFA fitting poorly (and clearly worse than the model) is
    the desired result, so its rows pass; a single factor that fits well fails."""
    from analysis.psychometrics import reviewer_table

    def fit(model, cfi, tli, rmsea, srmr):
        return {"model": model, "cfi": cfi, "tli": tli, "rmsea": rmsea, "srmr": srmr}

    cm = pd.DataFrame([{"test": "harman_single_factor", "estimate": 0.31, "delta_cfi": np.nan},
                       {"test": "single_factor_cfa", "estimate": 900.0, "delta_cfi": 0.35}])
    poor = reviewer_table({"cfa_fit": pd.DataFrame([fit("measurement", 0.97, 0.96, 0.04, 0.04),
                                                    fit("single_factor", 0.62, 0.58, 0.15, 0.12)]),
                           "common_method": cm})
    single = poor[poor["scale"] == "single_factor"]
    assert len(single) == 5 and single["passed"].all() and (single["desired"] == "poor_fit").all()
    assert set(single.loc[single["statistic"] == "cfi", "rule"]) == {"<"}
    meas = poor[poor["scale"] == "measurement"]
    assert meas["passed"].all() and (meas["desired"] == "meets_threshold").all()
    harman = poor.set_index("statistic").loc["harman_share"]
    assert harman["passed"] and harman["rule"] == "<=" and harman["threshold"] == 0.5
    good = reviewer_table({"cfa_fit": pd.DataFrame([fit("single_factor", 0.95, 0.94, 0.05, 0.04)]),
                           "common_method": cm.assign(estimate=[0.62, 5.0], delta_cfi=[np.nan, 0.004])})
    assert not good["passed"].astype(bool).any()


def test_reviewer_rows_of_the_suite(instrument):
    rv = psychometrics_suite(_data(), instrument)["reviewer"]
    single = rv[rv["scale"] == "single_factor"]
    assert set(single["statistic"]) == {"cfi", "tli", "rmsea", "srmr", "delta_cfi_single"}
    assert (single["desired"] == "poor_fit").all()
