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
from . import _results as rs
from ._data import as_list, check_ci, numeric_frame, require_columns

__all__ = ["relative_weights"]


def _rw_from_corr(r: np.ndarray) -> np.ndarray:
    """Relative weights from stacked correlation matrices ``(..., p+1, p+1)`` with y last.

    Returns ``(..., p)`` raw weights.  Vectorised over the leading axes: one batched ``eigh`` of
    the predictor blocks and batched matrix products (no Python loop over resamples).
    """
    rxx = r[..., :-1, :-1]
    rxy = r[..., :-1, -1]
    evals, q = np.linalg.eigh(rxx)
    evals = np.clip(evals, 0.0, None)
    qt = np.swapaxes(q, -1, -2)
    # Lambda = Rxx^{1/2} = Q diag(sqrt(l)) Q'  (correlations of X with its orthogonal counterparts Z)
    lam = (q * np.sqrt(evals)[..., None, :]) @ qt
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_sqrt = np.where(evals > 1e-12, 1.0 / np.sqrt(evals), 0.0)
    beta = q @ (inv_sqrt[..., :, None] * (qt @ rxy[..., :, None]))  # Rxx^{-1/2} rxy: regression of y on Z
    return (lam**2 @ beta**2)[..., 0]


def _corr_from_crossproducts(s: np.ndarray) -> np.ndarray:
    """Correlation matrices from cross-products of ``[1, v_1..v_q]`` (shape (B, q+1, q+1))."""
    n = s[:, 0, 0]
    mean = s[:, 0, 1:] / n[:, None]
    cov = s[:, 1:, 1:] / n[:, None, None] - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        return cov / (sd[:, :, None] * sd[:, None, :])


def relative_weights(data: pd.DataFrame, y: str, x: Sequence[str], ci: float = 0.95, n_boot: int = 5000,
                     seed: int | None = None, ci_method: str = "percentile", group: str | None = None,
                     resample: str = "cases") -> pd.DataFrame:
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
        the raw weights), ``n``, ``ci_level``, ``n_boot`` (resamples drawn: the ``n_boot``
        argument, 0 without a bootstrap), ``method``; then ``estimand``
        (``"relative_weight"``), ``predictor`` (= ``term``), ``outcome`` (``y``) and the
        provenance columns of :mod:`analysis.models._results`: ``estimator``
        (``"relative_weights"``), ``se_type`` (``"bootstrap"``), ``ci_method``
        (``"percentile"``/``"bias_corrected"``), ``cluster`` (``group``), ``n_clusters``,
        ``n_boot_valid`` (finite resamples behind the intervals), ``resample``, ``warnings``
        (``few_clusters``, ``clusters_ignored``, ``degenerate_resamples``); the bootstrap
        columns are NA when ``n_boot = 0``.

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

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> X = rng.normal(size=(200, 3))
    >>> d = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=X @ [0.5, 0.3, 0.0] + rng.normal(size=200))
    >>> t = relative_weights(d, y="y", x=["a", "b", "c"], n_boot=1000, seed=1)
    >>> t[["term", "estimate", "rescaled", "rank"]].round(3).values.tolist()
    [['a', 0.204, 75.895, 1], ['b', 0.064, 23.868, 2], ['c', 0.001, 0.237, 3]]
    >>> print(round(t["r2"].iloc[0], 3), t["n_boot"].iloc[0], t["n_boot_valid"].iloc[0])
    0.269 1000 1000
    """
    ci = check_ci(ci)
    bs.check_ci_method(ci_method)
    bs.check_resample(resample, group)
    xs = as_list(x, "x")
    if len(xs) < 2:
        raise ValueError(f"relative_weights needs at least two predictors in x, got {xs}.")
    if y in xs or len(set(xs)) != len(xs):
        raise ValueError(f"x must be distinct columns that do not include y={y!r}; got {xs}.")
    require_columns(data, [y, *xs] + ([group] if group else []))
    frame = numeric_frame(data, [*xs, y], group)
    v = frame[[*xs, y]].to_numpy()
    if np.any(v.std(axis=0) == 0):
        bad = [c for c, s in zip([*xs, y], v.std(axis=0)) if s == 0]
        raise ValueError(f"column(s) {bad} are constant; relative weights need variance.")
    r = np.corrcoef(v, rowvar=False)
    eps = _rw_from_corr(r)
    r2 = float(eps.sum())
    p = len(xs)
    warn: list[str] = []
    n_clusters = int(frame[group].nunique()) if group else None
    n_ok = None
    if n_boot:
        mu, sd = v.mean(axis=0), v.std(axis=0)
        z = np.column_stack([np.ones(len(v)), (v - mu) / sd])
        if resample == "clusters":
            s = bs.resampled_crossproducts(z, n_boot, seed, clusters=frame[group].to_numpy())
            label = bs.method_label(ci_method, n_boot, cluster=group, n_clusters=n_clusters)
            warn += ["few_clusters"] if n_clusters < rs.MIN_CLUSTERS else []
        else:
            s = bs.resampled_crossproducts(z, n_boot, seed)
            label = bs.method_label(ci_method, n_boot)
            if group:
                label += f"; cases resampled ignoring clusters in {group}"
                warn.append("clusters_ignored")
        rb = _corr_from_crossproducts(s)
        ok = np.all(np.isfinite(rb.reshape(len(rb), -1)), axis=1)
        n_ok = int(ok.sum())
        eb = _rw_from_corr(rb[ok])
        resc_b = 100 * eb / eb.sum(axis=1, keepdims=True)
        lo, hi = bs.interval(eb, eps, ci, ci_method)
        rlo, rhi = bs.interval(resc_b, 100 * eps / r2, ci, ci_method)
        se = eb.std(axis=0, ddof=1)
        method = "Johnson (2000) relative weights; " + label
        if not ok.all():
            method += f" ({int((~ok).sum())} degenerate resamples dropped)"
            warn.append("degenerate_resamples")
    else:
        lo = hi = rlo = rhi = se = np.full(p, np.nan)
        method = "Johnson (2000) relative weights; no bootstrap"
    meta = rs.provenance(estimator="relative_weights", n=len(frame), se_type="bootstrap" if n_boot else None,
                         ci_method=rs.ci_method_code(ci_method) if n_boot else None, ci_level=ci, cluster=group,
                         n_clusters=n_clusters, n_boot=n_boot, n_boot_valid=n_ok,
                         resample=resample if n_boot else None, warnings=warn)
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
            "estimand": "relative_weight",
            "predictor": xs,
            "outcome": y,
        }
    )
    return rs.stamp(out, meta)
