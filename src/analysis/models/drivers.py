"""Key-driver analysis: Johnson's (2000) relative weights with bootstrap intervals.

Public function
---------------
relative_weights
    Raw relative weights (sum to the model R²), rescaled weights (% of R²), and case- or
    cluster-resampling bootstrap intervals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _bootstrap as bs
from .regression import _as_list, _check_ci, _numeric_frame, _require_columns

__all__ = ["relative_weights"]


def _rw_from_corr(r: np.ndarray) -> np.ndarray:
    """Relative weights from stacked correlation matrices ``(..., p+1, p+1)`` with y last.

    Returns ``(..., p)`` raw weights.
    """
    rxx = r[..., :-1, :-1]
    rxy = r[..., :-1, -1]
    evals, evecs = np.linalg.eigh(rxx)
    evals = np.clip(evals, 0.0, None)
    # Lambda = Rxx^{1/2} = Q diag(sqrt(l)) Q'  (correlations of X with its orthogonal counterparts Z)
    lam = np.einsum("...ik,...k,...jk->...ij", evecs, np.sqrt(evals), evecs)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_sqrt = np.where(evals > 1e-12, 1.0 / np.sqrt(evals), 0.0)
    rxx_inv_half = np.einsum("...ik,...k,...jk->...ij", evecs, inv_sqrt, evecs)
    beta = np.einsum("...ij,...j->...i", rxx_inv_half, rxy)  # regression of y on Z
    return np.einsum("...jk,...k->...j", lam**2, beta**2)


def _corr_from_crossproducts(s: np.ndarray) -> np.ndarray:
    """Correlation matrices from cross-products of ``[1, v_1..v_q]`` (shape (B, q+1, q+1))."""
    n = s[:, 0, 0]
    mean = s[:, 0, 1:] / n[:, None]
    cov = s[:, 1:, 1:] / n[:, None, None] - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        return cov / (sd[:, :, None] * sd[:, None, :])


def relative_weights(
    data: pd.DataFrame,
    y: str,
    x: Sequence[str],
    ci: float = 0.95,
    n_boot: int = 5000,
    seed: int | None = None,
    ci_method: str = "percentile",
    group: str | None = None,
    resample: str = "cases",
) -> pd.DataFrame:
    """Johnson's relative weights of the predictors ``x`` of ``y`` (key-driver analysis).

    Parameters
    ----------
    data : DataFrame
        Observations (listwise deletion over ``y`` and ``x``).
    y : str
        Outcome (e.g. sales performance).
    x : list of str
        Predictors (e.g. management practices); at least two.
    ci : float
        Confidence level of the bootstrap intervals.
    n_boot : int
        Bootstrap resamples (0 skips the bootstrap; intervals are then NaN).
    seed : int, optional
        Seed for reproducible intervals.
    ci_method : {"percentile", "bc"}
        Bootstrap interval type.
    group : str, optional
        Cluster column; used by ``resample="clusters"`` (the weights themselves ignore it).
    resample : {"cases", "clusters"}
        Resample rows (default) or whole clusters of ``group`` (cluster bootstrap; see
        :func:`analysis.models.mediation.mediation`).

    Returns
    -------
    DataFrame
        One row per predictor: ``model, term, estimate`` (raw weight, share of variance in
        ``y``), ``rescaled`` (percent of R²), ``se`` (bootstrap SD), ``ci_low, ci_high`` (raw
        weight), ``rescaled_ci_low, rescaled_ci_high``, ``rank``, ``r2`` (model R², the sum of
        the raw weights), ``n``, ``ci_level``, ``n_boot``, ``method``.

    Notes
    -----
    With ``R_xx = Q diag(l) Q'``, ``Lambda = R_xx^{1/2} = Q diag(sqrt l) Q'`` and
    ``beta = R_xx^{-1/2} r_xy`` (regression of standardised ``y`` on the orthogonal
    counterparts ``Z = X R_xx^{-1/2}``), the raw weight of ``x_j`` is
    ``eps_j = sum_k Lambda_jk² beta_k²`` (Johnson, 2000, eqs. 4-9).  ``sum_j eps_j = R²``
    exactly; with uncorrelated predictors ``eps_j = r²_{y x_j}``.

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
    variables in multiple regression. *Multivariate Behavioral Research, 35*(1), 1-19.
    https://doi.org/10.1207/S15327906MBR3501_1
    Tonidandel, S., & LeBreton, J. M. (2011). Relative importance analysis: A useful supplement
    to regression analysis. *Journal of Business and Psychology, 26*(1), 1-9.
    https://doi.org/10.1007/s10869-010-9204-3

    Checked against R package rwa's README example (``rwa(mtcars, "mpg", c("cyl", "disp",
    "hp", "gear"))``) and the orthogonal-predictor identity (tests/test_drivers.py).
    """
    ci = _check_ci(ci)
    bs.check_ci_method(ci_method)
    bs.check_resample(resample, group)
    xs = _as_list(x, "x")
    if len(xs) < 2:
        raise ValueError(f"relative_weights needs at least two predictors in x, got {xs}.")
    if y in xs or len(set(xs)) != len(xs):
        raise ValueError(f"x must be distinct columns that do not include y={y!r}; got {xs}.")
    _require_columns(data, [y, *xs] + ([group] if group else []))
    frame = _numeric_frame(data, [*xs, y], group)
    v = frame[[*xs, y]].to_numpy()
    if np.any(v.std(axis=0) == 0):
        bad = [c for c, s in zip([*xs, y], v.std(axis=0)) if s == 0]
        raise ValueError(f"column(s) {bad} are constant; relative weights need variance.")
    r = np.corrcoef(v, rowvar=False)
    eps = _rw_from_corr(r)
    r2 = float(eps.sum())
    p = len(xs)
    if n_boot:
        mu, sd = v.mean(axis=0), v.std(axis=0)
        z = np.column_stack([np.ones(len(v)), (v - mu) / sd])
        if resample == "clusters":
            labels = frame[group].to_numpy()
            _, n_clusters = bs.cluster_codes(labels)
            s = bs.resampled_crossproducts(z, n_boot, seed, clusters=labels)
            label = bs.method_label(ci_method, n_boot, cluster=group, n_clusters=n_clusters)
        else:
            s = bs.resampled_crossproducts(z, n_boot, seed)
            label = bs.method_label(ci_method, n_boot)
            if group:
                label += f"; cases resampled ignoring clusters in {group}"
        rb = _corr_from_crossproducts(s)
        ok = np.all(np.isfinite(rb.reshape(len(rb), -1)), axis=1)
        eb = _rw_from_corr(rb[ok])
        resc_b = 100 * eb / eb.sum(axis=1, keepdims=True)
        lo, hi = bs.interval(eb, eps, ci, ci_method)
        rlo, rhi = bs.interval(resc_b, 100 * eps / r2, ci, ci_method)
        se = eb.std(axis=0, ddof=1)
        method = "Johnson (2000) relative weights; " + label
        if not ok.all():
            method += f" ({int((~ok).sum())} degenerate resamples dropped)"
    else:
        lo = hi = rlo = rhi = se = np.full(p, np.nan)
        method = "Johnson (2000) relative weights; no bootstrap"
    out = pd.DataFrame(
        {
            "model": f"relative weights: {y} ~ {' + '.join(xs)}",
            "term": xs,
            "estimate": eps,
            "rescaled": 100 * eps / r2,
            "se": se,
            "ci_low": lo,
            "ci_high": hi,
            "rescaled_ci_low": rlo,
            "rescaled_ci_high": rhi,
            "rank": pd.Series(eps).rank(ascending=False, method="min").astype(int).to_numpy(),
            "r2": r2,
            "n": len(frame),
            "ci_level": ci,
            "n_boot": n_boot,
            "method": method,
        }
    )
    return out
