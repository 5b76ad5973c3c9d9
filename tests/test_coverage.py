"""Ground truth by simulation: 95% intervals cover known parameters about 95% of the time.

Acceptance rule: with R replications the empirical coverage of a correct 95% interval has SD
sqrt(.95 * .05 / R); we accept |coverage - .95| <= 3 SD (R = 200: +-0.046, i.e. [.904, .996]).
A seeded run is deterministic, so these tests cannot flake; a broken SE or bootstrap (e.g.
ignoring clustering, wrong rescaling) lands far outside the band.
"""

import numpy as np
import pandas as pd
import pytest

from analysis.models import mediation, ols

R = 200
TOL = 3 * np.sqrt(0.95 * 0.05 / R)


def _covered(lo, hi, truth):
    return float(lo) < truth < float(hi)


@pytest.mark.slow
def test_ols_classical_coverage():
    rng = np.random.default_rng(101)
    hits = 0
    for _ in range(R):
        x = rng.normal(size=60)
        c = rng.normal(size=60)
        y = 1 + 0.5 * x + 0.3 * c + rng.standard_t(10, size=60)
        t = ols(pd.DataFrame({"x": x, "c": c, "y": y}), y="y", x="x", covar="c").set_index("term")
        hits += _covered(t.loc["x", "ci_low"], t.loc["x", "ci_high"], 0.5)
    assert abs(hits / R - 0.95) <= TOL, hits / R


def _branch_data(rng, n_branches=40, size=8):
    """Staff within branches: a branch-level component in x and a branch random intercept in y."""
    g = np.repeat(np.arange(n_branches), size)
    x = np.repeat(rng.normal(size=n_branches), size) + rng.normal(size=g.size)
    u = np.repeat(rng.normal(scale=0.8, size=n_branches), size)
    y = 0.5 * x + u + rng.normal(size=g.size)
    return pd.DataFrame({"g": g, "x": x, "y": y})


@pytest.mark.slow
def test_cluster_robust_coverage_and_naive_undercoverage():
    rng = np.random.default_rng(202)
    hits_cr = hits_naive = 0
    for _ in range(R):
        d = _branch_data(rng)
        cr = ols(d, y="y", x="x", group="g").set_index("term")
        nv = ols(d, y="y", x="x").set_index("term")
        hits_cr += _covered(cr.loc["x", "ci_low"], cr.loc["x", "ci_high"], 0.5)
        hits_naive += _covered(nv.loc["x", "ci_low"], nv.loc["x", "ci_high"], 0.5)
    assert abs(hits_cr / R - 0.95) <= TOL, hits_cr / R
    # sanity: the classical interval ignores the branch effect and under-covers here
    assert hits_naive / R < 0.95 - TOL, hits_naive / R


@pytest.mark.slow
def test_bootstrap_indirect_effect_coverage():
    # Known linear mediation: m = 0.4 x + e_m, y = 0.4 m + 0.2 x + u_branch + e_y, x at the
    # person level, so case resampling is valid (the branch intercept only enters y's error
    # and m has no branch component).  True indirect effect a*b = 0.16.  n = 200, 1000
    # percentile-bootstrap resamples per replication.
    rng = np.random.default_rng(303)
    hits = 0
    for r in range(R):
        g = np.repeat(np.arange(25), 8)
        x = rng.normal(size=200)
        m = 0.4 * x + rng.normal(size=200)
        y = 0.4 * m + 0.2 * x + np.repeat(rng.normal(scale=0.5, size=25), 8) + rng.normal(size=200)
        d = pd.DataFrame({"g": g, "x": x, "m": m, "y": y})
        t = mediation(d, x="x", m="m", y="y", n_boot=1000, seed=r)
        ind = t[t["path"] == "indirect"].iloc[0]
        hits += _covered(ind["ci_low"], ind["ci_high"], 0.16)
    assert abs(hits / R - 0.95) <= TOL, hits / R


def _clustered_mediation_data(rng, n_branches=60, size=6, icc=0.3):
    """Staff within branches with a strong branch random effect on m and y (residual ICC .3 each)
    and a branch component in x (ICC .5): m = .4 x + u_m + e_m, y = .4 m + .2 x + u_y + e_y."""
    g = np.repeat(np.arange(n_branches), size)
    n = g.size
    x = np.sqrt(0.5) * (np.repeat(rng.normal(size=n_branches), size) + rng.normal(size=n))
    m = 0.4 * x + np.sqrt(icc) * np.repeat(rng.normal(size=n_branches), size) + np.sqrt(1 - icc) * rng.normal(size=n)
    y = (0.4 * m + 0.2 * x + np.sqrt(icc) * np.repeat(rng.normal(size=n_branches), size)
         + np.sqrt(1 - icc) * rng.normal(size=n))
    return pd.DataFrame({"g": g, "x": x, "m": m, "y": y})


@pytest.mark.slow
def test_cluster_bootstrap_indirect_effect_coverage():
    # Known truth a*b = .16 with outcomes clustered in 60 branches x 6 staff (branch random
    # intercepts on m and y, ICC .3, and a branch component in x), so rows are not independent.
    # The cluster bootstrap (whole branches resampled; 500 percentile resamples per replication)
    # must cover at the nominal rate (band above).  The case bootstrap on the same data and seeds
    # ignores the clustering; it is recorded and must cover less often.
    # Observed: this seeded run gives cluster .930, case .865 (the numbers are also in the failure
    # message).  Pilot runs with R = 1000: cluster .944, case .866 at 60 x 6; with 40 branches x 8
    # the cluster bootstrap gives .917-.919 (case .833-.838): with few clusters any cluster
    # bootstrap is somewhat liberal (its variance has a (G - 1)/G factor and the percentile
    # interval of a product is skewed), which is why 60 branches are simulated here.
    rng = np.random.default_rng(404)
    hits_cluster = hits_case = 0
    for r in range(R):
        d = _clustered_mediation_data(rng)
        tc = mediation(d, x="x", m="m", y="y", group="g", resample="clusters", n_boot=500, seed=r)
        tk = mediation(d, x="x", m="m", y="y", n_boot=500, seed=r)
        ic = tc[tc["path"] == "indirect"].iloc[0]
        ik = tk[tk["path"] == "indirect"].iloc[0]
        assert ic["method"] == "cluster bootstrap over g (60 clusters), 500 resamples, percentile"
        hits_cluster += _covered(ic["ci_low"], ic["ci_high"], 0.16)
        hits_case += _covered(ik["ci_low"], ik["ci_high"], 0.16)
    cov_cluster, cov_case = hits_cluster / R, hits_case / R
    assert abs(cov_cluster - 0.95) <= TOL, (cov_cluster, cov_case)
    assert cov_case < cov_cluster, (cov_cluster, cov_case)
