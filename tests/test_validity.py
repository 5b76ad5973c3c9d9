"""KMO, Bartlett, parallel analysis, EFA, CR/AVE, Fornell-Larcker, HTMT, common-method checks."""

import numpy as np
import pandas as pd
import pytest
from semopy.examples import holzinger39

from analysis.psychometrics.cfa import cfa
from analysis.psychometrics.validity import (
    HARMAN_CAVEAT,
    bartlett_sphericity,
    common_method_cfa,
    composite_reliability,
    efa,
    fornell_larcker,
    harman_single_factor,
    htmt,
    kmo,
    parallel_analysis,
)

HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
ITEMS = [f"x{i}" for i in range(1, 10)]


@pytest.fixture(scope="module")
def hs():
    return holzinger39.get_data()


def _sim(n, loadings, phi, seed):
    rng = np.random.default_rng(seed)
    lam = np.asarray(loadings, dtype=float)
    f = rng.multivariate_normal(np.zeros(lam.shape[1]), phi, n)
    x = f @ lam.T + rng.standard_normal((n, lam.shape[0])) * np.sqrt(1 - (lam**2).sum(axis=1))
    return pd.DataFrame(x, columns=[f"v{i}" for i in range(lam.shape[0])])


def test_kmo_matches_its_definition(hs):
    # KMO_j = sum r^2 / (sum r^2 + sum q^2), q = anti-image (partial) correlations (Kaiser 1974)
    r = np.corrcoef(hs[ITEMS].to_numpy(dtype=float), rowvar=False)
    inv = np.linalg.inv(r)
    q = -inv / np.sqrt(np.outer(np.diag(inv), np.diag(inv)))
    off = ~np.eye(9, dtype=bool)
    r2, q2 = np.where(off, r**2, 0), np.where(off, q**2, 0)
    per = r2.sum(0) / (r2.sum(0) + q2.sum(0))
    overall = r2.sum() / (r2.sum() + q2.sum())
    got = kmo(hs, ITEMS)
    assert got["item"].iloc[0] == "overall"
    assert abs(got["kmo"].iloc[0] - overall) < 1e-10
    np.testing.assert_allclose(got["kmo"].iloc[1:], per, atol=1e-10)


def test_bartlett_matches_its_definition(hs):
    x = hs[ITEMS].to_numpy(dtype=float)
    n, k = x.shape
    chisq = -(n - 1 - (2 * k + 5) / 6) * np.log(np.linalg.det(np.corrcoef(x, rowvar=False)))
    got = bartlett_sphericity(hs, ITEMS).iloc[0]
    assert abs(got["chisq"] - chisq) < 1e-8 and got["df"] == 36 and got["p"] < 1e-100


def test_parallel_analysis_recovers_three_factors():
    lam = np.zeros((9, 3))
    for j in range(3):
        lam[3 * j:3 * j + 3, j] = [0.75, 0.7, 0.65]
    d = _sim(600, lam, np.eye(3) * 0.7 + 0.3, seed=3)
    pa = parallel_analysis(d, seed=1)
    assert pa["n_factors"].iloc[0] == 3
    assert pa["retain"].sum() == 3
    # seeded: same call, same numbers
    pd.testing.assert_frame_equal(pa, parallel_analysis(d, seed=1))


def test_parallel_analysis_hs_three_factors(hs):
    assert parallel_analysis(hs, ITEMS, seed=0)["n_factors"].iloc[0] == 3


def test_efa_recovers_simple_structure():
    lam = np.zeros((6, 2))
    lam[:3, 0] = 0.8
    lam[3:, 1] = 0.7
    d = _sim(1000, lam, np.array([[1, 0.3], [0.3, 1]]), seed=4)
    out = efa(d, seed=0)
    assert out["parallel_analysis"]["n_factors"].iloc[0] == 2
    prim = out["loadings"].query("primary").set_index("item")["factor"]
    assert prim[["v0", "v1", "v2"]].nunique() == 1 and prim[["v3", "v4", "v5"]].nunique() == 1
    assert prim["v0"] != prim["v3"]
    big = out["loadings"].query("primary")["loading"]
    assert (big > 0.6).all()
    # oblique: factor correlation recovered roughly (truth .3)
    assert abs(out["factor_correlations"]["estimate"].iloc[0] - 0.3) < 0.1


def test_cr_ave_from_published_std_loadings(hs):
    # with lavaan's published std.all loadings (visual .772 .424 .581):
    # CR = 1.777^2 / (1.777^2 + 1.886) = 0.626, AVE = mean(l^2) = 0.371; tolerance 0.002
    # covers the 3-decimal rounding of the published loadings.
    res = cfa(hs, HS_MODEL)
    cr = composite_reliability(res).set_index("factor")
    lam = np.array([0.772, 0.424, 0.581])
    ref_cr = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert abs(cr.loc["visual", "cr"] - ref_cr) < 0.002
    assert abs(cr.loc["visual", "ave"] - (lam**2).mean()) < 0.002
    fl = fornell_larcker(res)
    row = fl.query("factor == 'visual' and other == 'textual'").iloc[0]
    assert abs(row["correlation"] - 0.459) < 0.001 and row["discriminant_ok"]
    assert len(fl) == 9


def test_htmt_recovers_factor_correlation():
    # tau-equivalent indicators: HTMT is a consistent estimator of the factor correlation
    # (Henseler et al. 2015). Truth .5; n = 20000 -> SE ~0.007, tolerance 0.03.
    lam = np.zeros((6, 2))
    lam[:3, 0] = 0.7
    lam[3:, 1] = 0.7
    d = _sim(20000, lam, np.array([[1, 0.5], [0.5, 1]]), seed=5)
    h = htmt(d, {"A": ["v0", "v1", "v2"], "B": ["v3", "v4", "v5"]})
    assert abs(h["htmt"].iloc[0] - 0.5) < 0.03


def test_htmt_hs_by_definition(hs):
    r = np.abs(np.corrcoef(hs[ITEMS].to_numpy(dtype=float), rowvar=False))
    het = r[0:3, 3:6].mean()
    mono_v = r[[0, 0, 1], [1, 2, 2]].mean()
    mono_t = r[[3, 3, 4], [4, 5, 5]].mean()
    got = htmt(hs, HS_MODEL).set_index(["factor", "other"])["htmt"]
    assert abs(got[("visual", "textual")] - het / np.sqrt(mono_v * mono_t)) < 1e-12


def test_harman_flags_single_factor_data():
    one = _sim(500, np.full((6, 1), 0.85), np.eye(1), seed=6)
    h = harman_single_factor(one).iloc[0]
    assert h["flag"] and h["estimate"] > 0.5 and h["caveat"] == HARMAN_CAVEAT
    assert "Podsakoff" in h["caveat"]


def test_common_method_cfa_hs(hs):
    cm = common_method_cfa(hs, HS_MODEL).iloc[0]
    single = cfa(hs, {"g": ITEMS}).fit.iloc[0]
    assert single["df"] == 27
    assert abs(cm["delta_chisq"] - (single["chisq"] - 85.306)) < 0.01
    assert cm["delta_df"] == 3 and cm["p"] < 1e-40 and cm["delta_cfi"] > 0.2
    assert not cm["flag"]


def test_constant_item_rejected(hs):
    d = hs.copy()
    d["x1"] = 1.0
    with pytest.raises(ValueError, match="constant item"):
        kmo(d, ITEMS)
