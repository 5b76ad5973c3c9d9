"""KMO, Bartlett, parallel analysis, EFA, CR/AVE, Fornell-Larcker, HTMT and common-method checks.

Reference values: R 4.2.2 with psych 2.2.9, semTools 0.5-6, lavaan 0.6-14 and GPArotation,
computed by tests/reference/psychometrics.R into tests/reference/*.json (read here by
tests/reference/psych_fixtures.py). Data: HS1939 with a deterministic missing pattern (55 of 301
complete) and the bundled sample wave's staff items (120 of 365 complete), so pairwise and
listwise differ. Tolerances: 1e-10 where the computation is closed-form on the same correlation
matrix (KMO, Bartlett, eigenvalues, HTMT); 2e-4 for EFA loadings (both sides stop iterative
rotations at a 1e-5 criterion); 1e-4 for semTools' CR/AVE (lavaan's and our CFA optimisers
agree to ~1e-6 in the estimates).
"""

import numpy as np
import pandas as pd
import pytest
from reference.psych_fixtures import HS_ITEMS, HS_MODEL, hs, hs_mask, load, staff

from analysis.psychometrics import EstimationError
from analysis.psychometrics.cfa import cfa
from analysis.psychometrics.common_method import HARMAN_CAVEAT, common_method_cfa, harman_single_factor
from analysis.psychometrics.discriminant import composite_reliability, fornell_larcker, htmt
from analysis.psychometrics.validity import bartlett_sphericity, efa, kmo, parallel_analysis


@pytest.fixture(scope="module")
def datasets():
    st, model = staff()
    return {"hs_mask": (hs_mask(), HS_ITEMS, HS_MODEL, 3), "staff": (st, list(st.columns), model, 5)}


def _sim(n, loadings, phi, seed):
    rng = np.random.default_rng(seed)
    lam = np.asarray(loadings, dtype=float)
    f = rng.multivariate_normal(np.zeros(lam.shape[1]), phi, n)
    x = f @ lam.T + rng.standard_normal((n, lam.shape[0])) * np.sqrt(1 - (lam**2).sum(axis=1))
    return pd.DataFrame(x, columns=[f"v{i}" for i in range(lam.shape[0])])


@pytest.mark.parametrize("name", ["hs_mask", "staff"])
@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_kmo_bartlett_eigen_match_psych(datasets, name, missing):
    """psych::KMO(cor(x, use = missing)), cortest.bartlett (pairwise: n = nrow(x); listwise:
    n = complete rows) and eigen(R)$values."""
    d, items, _model, _nf = datasets[name]
    ref = load("psych_validity")[name]
    k = kmo(d, items, missing=missing)
    assert k["item"].iloc[0] == "overall"
    assert abs(k["kmo"].iloc[0] - ref[f"kmo_{missing}"]["overall"]) < 1e-10
    np.testing.assert_allclose(k["kmo"].iloc[1:], ref[f"kmo_{missing}"]["items"], rtol=0, atol=1e-10)
    n_ref = ref["n_rows"] if missing == "pairwise" else ref["n_complete"]
    assert (k["n"] == n_ref).all() and (k["missing"] == missing).all()
    b = bartlett_sphericity(d, items, missing=missing).iloc[0]
    assert abs(b["chisq"] - ref[f"bartlett_{missing}"]["chisq"]) < 1e-8
    assert b["df"] == ref[f"bartlett_{missing}"]["df"] and b["n"] == n_ref
    assert b["n_pair_min"] == (ref["n_pair_min"] if missing == "pairwise" else ref["n_complete"])
    pa = parallel_analysis(d, items, missing=missing, n_iter=5)
    np.testing.assert_allclose(pa["eigenvalue"], ref[f"eigen_{missing}"], rtol=0, atol=1e-10)


def test_pairwise_is_the_default_and_differs_from_listwise(datasets):
    d, items, _m, _nf = datasets["staff"]
    pw, lw = kmo(d, items), kmo(d, items, missing="listwise")
    assert pw["missing"].iloc[0] == "pairwise" and pw["n"].iloc[0] == 365 and lw["n"].iloc[0] == 120
    ref = load("psych_validity")["staff"]  # psych: listwise .687 (below .70), pairwise .82
    assert abs(pw["kmo"].iloc[0] - ref["kmo_pairwise"]["overall"]) < 1e-10
    assert ref["kmo_listwise"]["overall"] < 0.70 < ref["kmo_pairwise"]["overall"]


def _match_factors(ours: np.ndarray, ref: np.ndarray) -> float:
    """Largest loading difference after matching each R factor to one of ours (order and sign free)."""
    worst = 0.0
    free = list(range(ours.shape[1]))
    for j in range(ref.shape[1]):
        cand = [(min(np.abs(ours[:, m] - ref[:, j]).max(), np.abs(ours[:, m] + ref[:, j]).max()), m) for m in free]
        diff, m = min(cand)
        free.remove(m)
        worst = max(worst, diff)
    return worst


@pytest.mark.parametrize("name,key,method,missing", [
    (name, key, method, missing) for name in ("hs_mask", "staff")
    for key, method, missing in (("fa_minres_oblimin_pairwise", "minres", "pairwise"),
                                 ("fa_ml_oblimin_pairwise", "ml", "pairwise"),
                                 ("fa_minres_oblimin_listwise", "minres", "listwise"))
    if not (name == "staff" and method == "ml")  # factor_analyzer's ML on 49 items takes ~40 s
])
def test_efa_matches_psych_fa(datasets, name, key, method, missing):
    """psych::fa(x, nfactors, fm, rotate = "oblimin"): loadings, communalities, factor correlations."""
    d, items, _m, nf = datasets[name]
    ref = load("psych_validity")[name][key]
    out = efa(d, items, nf, method=method, missing=missing)
    L = out["loadings"].pivot(index="item", columns="factor", values="loading").loc[items].to_numpy()
    assert _match_factors(L, np.array(ref["loadings"]).T) < 2e-4
    comm = out["loadings"].drop_duplicates("item").set_index("item").loc[items, "communality"]
    np.testing.assert_allclose(comm, ref["communality"], rtol=0, atol=2e-4)
    # factor correlations: the same set of |phi| values (order follows the factors)
    ours = np.sort(np.abs(out["factor_correlations"]["estimate"].to_numpy()))
    phi = np.array(ref["Phi"])
    np.testing.assert_allclose(ours, np.sort(np.abs(phi[np.tril_indices(nf, -1)])), rtol=0, atol=2e-4)
    assert (out["loadings"]["n"] == ref["n_obs"]).all() and (out["loadings"]["estimator"] == method).all()


def test_parallel_analysis_recovers_three_factors():
    lam = np.zeros((9, 3))
    for j in range(3):
        lam[3 * j:3 * j + 3, j] = [0.75, 0.7, 0.65]
    d = _sim(600, lam, np.eye(3) * 0.7 + 0.3, seed=3)
    pa = parallel_analysis(d, seed=1)
    assert pa["n_factors"].iloc[0] == 3 and pa["retain"].sum() == 3
    pd.testing.assert_frame_equal(pa, parallel_analysis(d, seed=1))  # seeded: same call, same numbers


def test_random_eigenvalues_from_wishart_draws_match_simulated_data():
    # parallel analysis draws the random correlation matrices from Wishart(n - 1, I) instead of simulating
    # n x k normal data: the eigenvalues must have the same distribution (mean and 95th percentile here,
    # within 4 Monte Carlo standard errors of 2,000 data sets simulated the old way)
    from analysis.psychometrics.validity import _eigen_parallel

    n, k, reps = 40, 6, 2000
    rng = np.random.default_rng(8)
    direct = np.array([np.linalg.eigvalsh(np.corrcoef(rng.standard_normal((n, k)), rowvar=False))[::-1]
                       for _ in range(reps)])
    drawn = _eigen_parallel(np.eye(k), n, reps, 0.95, seed=9)
    se = direct.std(axis=0, ddof=1) * np.sqrt(2 / reps)  # of a difference of two means
    assert np.all(np.abs(drawn["random_mean"].to_numpy() - direct.mean(axis=0)) < 4 * se)
    q = np.quantile(direct, 0.95, axis=0)
    assert np.all(np.abs(drawn["random_quantile"].to_numpy() - q) < 0.05 * q)
    assert drawn["random_mean"].sum() == pytest.approx(k, rel=1e-9)  # a correlation matrix's trace
    few = _eigen_parallel(np.eye(k), 4, 20, 0.95, seed=9)  # n - 1 < k: singular matrices, simulated data
    assert np.isfinite(few["random_mean"]).all() and few["random_mean"].iloc[-1] == pytest.approx(0, abs=1e-9)


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
    assert (out["loadings"].query("primary")["loading"] > 0.6).all()
    assert abs(out["factor_correlations"]["estimate"].iloc[0] - 0.3) < 0.1  # truth .3


@pytest.mark.parametrize("method", ["htmt", "htmt2"])
@pytest.mark.parametrize("name", ["hs_mask", "staff"])
@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_htmt_matches_semtools(datasets, name, method, missing):
    """semTools::htmt(model, data, missing = "listwise", htmt2 = FALSE/TRUE) and, pairwise,
    htmt(model, sample.cov = cor(x, use = "pairwise"))."""
    d, _items, model, _nf = datasets[name]
    ref = load("semtools_htmt_cr_ave")[name][method]
    mat = np.array(ref[missing])
    pos = {f: i for i, f in enumerate(ref["factors"])}
    got = htmt(d, model, method=method, missing=missing)
    assert (got["method"] == method).all() and (got["missing"] == missing).all()
    compared = 0
    for r in got.itertuples():
        if method == "htmt2" and r.htmt == 0.0:
            # an exactly-zero heterotrait correlation (integer items): HTMT2 is 0, while R's
            # log(|r|) of a ~1e-17 rounding residue gives noise (staff listwise IN-EN only)
            continue
        assert abs(r.htmt - mat[pos[r.other], pos[r.factor]]) < 1e-10, (r.factor, r.other)
        compared += 1
    assert compared >= len(got) - 1


def test_htmt_recovers_factor_correlation():
    # tau-equivalent indicators: HTMT is a consistent estimator of the factor correlation
    # (Henseler et al. 2015). Truth .5; n = 20000 -> SE ~0.007, tolerance 0.03.
    lam = np.zeros((6, 2))
    lam[:3, 0] = 0.7
    lam[3:, 1] = 0.7
    d = _sim(20000, lam, np.array([[1, 0.5], [0.5, 1]]), seed=5)
    for method in ("htmt", "htmt2"):
        h = htmt(d, {"A": ["v0", "v1", "v2"], "B": ["v3", "v4", "v5"]}, method=method)
        assert abs(h["htmt"].iloc[0] - 0.5) < 0.03


@pytest.mark.parametrize("case,missing", [("hs", "listwise"), ("hs_mask", "fiml"), ("staff", "fiml")])
def test_cr_ave_observed_and_implied_match_semtools(datasets, case, missing):
    """semTools::compRelSEM / AVE(cfa(model, data, std.lv = TRUE, missing), obs.var = TRUE | FALSE)."""
    if case == "hs":
        d, model, ref = hs(), HS_MODEL, load("semtools_htmt_cr_ave")["hs"]
    else:
        d, _i, model, _nf = datasets[case]
        ref = load("semtools_htmt_cr_ave")[case]["fiml"]
    res = cfa(d, model, missing=missing)
    for method, cr_key, ave_key in (("observed", "cr_obs", "ave_obs"), ("implied", "cr_implied", "ave_implied")):
        got = composite_reliability(res, method=method).set_index("factor")
        assert (got["method"] == method).all() and (got["missing"] == missing).all()
        for f in model:
            assert abs(got.loc[f, "cr"] - ref[cr_key][f]) < 1e-4, (method, f)
            assert abs(got.loc[f, "ave"] - ref[ave_key][f]) < 1e-4, (method, f)


def test_cr_ave_standardized_from_published_std_loadings():
    # Fornell & Larcker's formula with lavaan's published std.all loadings (visual .772 .424
    # .581; lavaan tutorial): CR = 1.777^2 / (1.777^2 + 1.886) = 0.626, AVE = mean(l^2) = 0.371;
    # tolerance 0.002 covers the 3-decimal rounding of the published loadings.
    res = cfa(hs(), HS_MODEL, missing="listwise")
    cr = composite_reliability(res).set_index("factor")
    lam = np.array([0.772, 0.424, 0.581])
    assert abs(cr.loc["visual", "cr"] - lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())) < 0.002
    assert abs(cr.loc["visual", "ave"] - (lam**2).mean()) < 0.002
    assert cr["method"].eq("standardized").all() and cr["estimator"].eq("ML").all() and cr["n"].eq(301).all()
    fl = fornell_larcker(res)
    row = fl.query("factor == 'visual' and other == 'textual'").iloc[0]
    assert abs(row["correlation"] - 0.459) < 0.001 and row["discriminant_ok"]
    assert len(fl) == 9


def test_harman_flags_single_factor_data():
    one = _sim(500, np.full((6, 1), 0.85), np.eye(1), seed=6)
    h = harman_single_factor(one).iloc[0]
    # one factor with loadings .85: first eigenvalue 1 + 5 * .7225 = 4.6125 of 6 -> share .769
    assert h["flag"] and abs(h["estimate"] - 0.769) < 0.02 and h["caveat"] == HARMAN_CAVEAT
    assert h["missing"] == "pairwise" and h["n"] == 500


def test_common_method_cfa_hs():
    d = hs()
    cm = common_method_cfa(d, HS_MODEL, missing="listwise").iloc[0]
    single = cfa(d, {"g": HS_ITEMS}, missing="listwise").fit.iloc[0]
    assert single["df"] == 27
    assert abs(cm["delta_chisq"] - (single["chisq"] - 85.306)) < 0.01  # lavaan tutorial: 85.306
    assert cm["delta_df"] == 3 and cm["p"] < 1e-40 and cm["delta_cfi"] > 0.2
    assert not cm["flag"] and cm["missing"] == "listwise"


def test_estimation_problems_raise_estimation_error():
    d = hs()
    d["x1"] = 1.0
    with pytest.raises(EstimationError, match="constant item"):
        kmo(d, HS_ITEMS)
    d = hs()
    d["x10"] = d["x1"] + d["x2"]
    with pytest.raises(EstimationError, match="not positive definite"):
        bartlett_sphericity(d, [*HS_ITEMS, "x10"])
    with pytest.raises(ValueError, match="missing='both'"):
        kmo(hs(), HS_ITEMS, missing="both")
    with pytest.raises(ValueError, match="htmt3"):
        htmt(hs(), HS_MODEL, method="htmt3")
