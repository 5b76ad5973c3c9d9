"""Simple and parallel multiple mediation (the regression model of Hayes' PROCESS model 4).

Public function
---------------
mediation
    Paths a, b, c, c' by OLS and the indirect effect(s) a·b with a case- or cluster-resampling
    bootstrap interval (percentile by default, bias-corrected on request); several parallel mediators give
    specific indirect effects and the total indirect effect; covariates enter every equation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _bootstrap as bs
from . import _results as rs
from ._data import as_list, check_ci, numeric_frame, require_columns
from .regression import _fit

__all__ = ["mediation"]


def _batched_solve(a: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Solve the stack ``a[b] @ x[b] = r[b]``; singular systems (degenerate resamples) give NaN."""
    try:
        return np.linalg.solve(a, r)
    except np.linalg.LinAlgError:
        out = np.full(r.shape, np.nan)
        for i in range(a.shape[0]):
            try:
                out[i] = np.linalg.solve(a[i], r[i])
            except np.linalg.LinAlgError:
                pass
        return out


def _sub(s: np.ndarray, rows: Sequence[int], cols: Sequence[int]) -> np.ndarray:
    return s[:, np.asarray(rows)[:, None], np.asarray(cols)[None, :]]


def _standardise(frame: pd.DataFrame, cols: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``[1, (v - mean)/sd ...]`` and the SDs (constant column first) — keeps normal equations well conditioned."""
    v = frame[list(cols)].to_numpy(dtype=float)
    mu = v.mean(axis=0)
    sd = v.std(axis=0, ddof=0)
    if np.any(sd == 0):
        bad = [c for c, s in zip(cols, sd) if s == 0]
        raise ValueError(f"column(s) {bad} are constant in the analysis sample; a constant cannot be a predictor.")
    z = np.column_stack([np.ones(len(v)), (v - mu) / sd])
    return z, sd


#: ``std_kind`` values: completely standardised (``x`` and ``y`` in SD units) or partially
#: standardised (``y`` only; Hayes' recommendation for a dichotomous ``x``).
STD_COMPLETE = "complete"
STD_PARTIAL = "partial (x binary)"


def _is_binary(values: pd.Series) -> bool:
    """``x`` with exactly two distinct values in the analysis sample gets the partially standardised effect."""
    return int(values.nunique(dropna=True)) == 2


def _std_interval(std_boot: np.ndarray, std_hat: np.ndarray, ci: float, ci_method: str) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap interval of standardised effects over the finite replicates (same resamples)."""
    ok = np.all(np.isfinite(std_boot), axis=1)
    if ok.sum() < 2:
        nan = np.full(std_boot.shape[1], np.nan)
        return nan, nan.copy()
    return bs.interval(std_boot[ok], std_hat, ci, ci_method)


def _check_mediation_args(
    ci: float, ci_method: str, m, covar, resample: str = "cases", group: str | None = None
) -> tuple[float, list[str], list[str]]:
    """Checks shared by the bootstrapped mediation models: (ci, mediators, covariates)."""
    ci = check_ci(ci)
    bs.check_ci_method(ci_method)
    bs.check_resample(resample, group)
    ms = as_list(m, "m")
    cs = as_list(covar, "covar")
    if not ms:
        raise ValueError("m must name at least one mediator column.")
    return ci, ms, cs


def _resampled(z: np.ndarray, frame: pd.DataFrame, n_boot: int, seed: int | None, group: str | None,
               resample: str) -> np.ndarray:
    """Bootstrap cross-product matrices of ``z`` (rows of ``frame``), resampling rows or clusters."""
    clusters = frame[group].to_numpy() if resample == "clusters" else None
    return bs.resampled_crossproducts(z, n_boot, seed, clusters=clusters)


def _boot_summary(boot: np.ndarray, est: np.ndarray, ci: float, ci_method: str, n_boot: int, frame: pd.DataFrame,
                  group: str | None, resample: str):
    """Interval over the finite replicates, bootstrap SE, the ``method`` text and the provenance
    columns of bootstrap rows: (low, high, boot_se, method, meta).  ``resample="clusters"``: the
    replicates come from a cluster bootstrap over ``group``."""
    ok = np.all(np.isfinite(boot), axis=1)
    lo, hi = bs.interval(boot[ok], est, ci, ci_method)
    n_ok = int(ok.sum())
    boot_se = np.nanstd(boot, axis=0, ddof=1)
    n_clusters = int(frame[group].nunique()) if group else None
    warn = []
    if resample == "clusters":
        method = bs.method_label(ci_method, n_boot, cluster=group, n_clusters=n_clusters)
        warn += ["few_clusters"] if n_clusters < rs.MIN_CLUSTERS else []
    else:
        method = bs.method_label(ci_method, n_boot)
    if n_ok < n_boot:
        method += f" ({n_boot - n_ok} degenerate resamples dropped)"
        warn.append("degenerate_resamples")
    if group and resample == "cases":
        method += f"; cases resampled ignoring clusters in {group}"
        warn.append("clusters_ignored")
    meta = rs.provenance(estimator="ols", n=len(frame), se_type="bootstrap", ci_method=rs.ci_method_code(ci_method),
                         ci_level=ci, cluster=group, n_clusters=n_clusters, n_boot=n_boot, n_boot_valid=n_ok,
                         resample=resample, warnings=warn)
    return lo, hi, boot_se, method, meta


def mediation(data: pd.DataFrame, x: str, m: str | Sequence[str], y: str, covar: str | Sequence[str] | None = None,
              ci: float = 0.95, n_boot: int = 5000, seed: int | None = None, ci_method: str = "percentile",
              group: str | None = None, resample: str = "cases") -> pd.DataFrame:
    """Mediation of the effect of ``x`` on ``y`` through one or more parallel mediators ``m``.

    Parameters
    ----------
    data : DataFrame
        Observations; rows with a missing value in any used column are dropped.
    x : str
        Antecedent (e.g. a management practice).
    m : str or list of str
        Mediator(s); several are treated as parallel mediators (PROCESS model 4).
    y : str
        Outcome.
    covar : str or list of str, optional
        Covariates, entered in the equations of every mediator and of ``y``.
    ci : float
        Confidence level.
    n_boot : int
        Bootstrap resamples (default 5000, as PROCESS).
    seed : int, optional
        Seed; the same seed reproduces the intervals exactly.
    ci_method : {"percentile", "bc"}
        Percentile (default, PROCESS 4.x default) or bias-corrected bootstrap interval.
    group : str, optional
        Cluster column (e.g. ``branch_id``).  If given, the OLS paths get cluster-robust (CR1)
        SEs; the bootstrap resamples according to ``resample``.
    resample : {"cases", "clusters"}
        Bootstrap resampling unit.  ``"cases"`` (default) resamples rows; with ``group`` given
        ``method`` then says that clusters were ignored.  ``"clusters"`` (needs ``group``)
        resamples whole clusters -- G draws with replacement from the G clusters, every row of a
        drawn cluster enters -- which keeps the within-cluster dependence (Field & Welsh, 2007;
        Ren et al., 2010); ``method`` reads e.g. "cluster bootstrap over branch_id (40 clusters),
        5000 resamples, percentile".  With few clusters (say fewer than 30) any cluster
        bootstrap is itself approximate.

    Returns
    -------
    DataFrame
        One row per estimate with columns ``model, path, mediator, term, estimate, se, t, df, p,
        ci_low, ci_high, boot_se, n, ci_level, n_boot, method, std_estimate, std_ci_low,
        std_ci_high, std_kind``.  ``path`` is one of ``a``, ``b``,
        ``c`` (total effect), ``c'`` (direct effect), ``indirect`` (a_j·b_j, one per mediator)
        and ``total_indirect`` (sum, when there are several mediators).  Regression paths carry
        OLS SEs and t intervals; indirect effects carry bootstrap SEs (``se`` = ``boot_se``) and
        bootstrap intervals, ``t``/``p`` are NaN.

        Standardised effects (``std_*``): for ``indirect``/``total_indirect`` the completely
        standardised indirect effect ``ab·SD(x)/SD(y)`` with a bootstrap interval from the same
        resamples (and the same ``ci_method``); for ``a``, ``b``, ``c``, ``c'`` the standardised
        coefficient (``a·SD(x)/SD(m)``, ``b·SD(m)/SD(y)``, ``c·SD(x)/SD(y)``, ``c'·SD(x)/SD(y)``;
        ``std_ci_*`` NaN -- their inference is the OLS row).  If ``x`` takes exactly two values
        in the analysis sample, ``x`` is not rescaled (partially standardised: ``ab/SD(y)``,
        ``a/SD(m)``, ``c/SD(y)``, ``c'/SD(y)``) and ``std_kind`` reads ``"partial (x binary)"``;
        otherwise (and always for ``b``) ``"complete"``.  SDs are sample SDs (``n - 1``) of the
        analysis sample; covariates are not partialled out of them.

        Structured columns (for labels without parsing ``term``/``method``): ``estimand``
        (``a``, ``b``, ``total`` = c, ``direct`` = c', ``indirect``, ``total_indirect``),
        ``x``, ``m`` (the row's mediator; NA for ``total``, ``direct`` and ``total_indirect``),
        ``y``, ``predictor`` and ``outcome`` (the regression row's predictor and dependent
        variable: ``a`` is ``m ~ x``, ``b`` is ``y ~ m``; NA on bootstrap rows), and the
        provenance columns of :mod:`analysis.models._results`: ``estimator`` (``"ols"``),
        ``se_type`` (``"classical"``/``"cluster_cr1"`` on regression rows, ``"bootstrap"`` on
        indirect effects), ``ci_method`` (``"t"``; ``"percentile"``/``"bias_corrected"``),
        ``cluster``, ``n_clusters``, ``n_boot`` and ``n_boot_valid`` (bootstrap rows only; NA on
        regression rows), ``resample`` (``"cases"``/``"clusters"``) and ``warnings``
        (``few_clusters``, ``clusters_ignored``, ``degenerate_resamples``, ``rank_deficient``).

    Notes
    -----
    Equations (Hayes, 2022, ch. 3 and 5)::

        M_j = i_j + a_j X + covar + e_j
        Y   = i_Y + c' X + sum_j b_j M_j + covar + e_Y
        Y   = i   + c X + covar + e          (total effect; c = c' + sum_j a_j b_j)

    The bootstrap resamples cases (or whole clusters); each replicate's OLS coefficients are
    computed from resampled cross-product sums (see :mod:`analysis.models._bootstrap`), which is
    the ordinary nonparametric (cluster) bootstrap computed without materialising the resamples.

    Standardised indirect effect (Preacher & Kelley, 2011; Hayes, 2022, sec. 3.5 and PROCESS's
    "completely standardized indirect effect")::

        ab_cs = ab · SD(X) / SD(Y)        ab_ps = ab / SD(Y)   (partially standardised, X binary)

    Each bootstrap replicate uses its own resample's SDs, read off the replicate's
    cross-product matrix (``n_b``, column sums and sums of squares;
    :func:`analysis.models._bootstrap.crossproduct_sd`), so the interval is that of the
    standardised effect recomputed on each resample, at no extra pass over the rows.

    References
    ----------
    Hayes, A. F. (2022). *Introduction to mediation, moderation, and conditional process
    analysis: A regression-based approach* (3rd ed.). Guilford Press. (PROCESS model 4.)
    Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and resampling strategies for assessing
    and comparing indirect effects in multiple mediator models. *Behavior Research Methods,
    40*(3), 879-891. https://doi.org/10.3758/BRM.40.3.879
    Field, C. A., & Welsh, A. H. (2007). Bootstrapping clustered data. *Journal of the Royal
    Statistical Society B, 69*(3), 369-390. https://doi.org/10.1111/j.1467-9868.2007.00593.x
    Ren, S., et al. (2010). Nonparametric bootstrapping for hierarchical data. *Journal of
    Applied Statistics, 37*(9).
    Preacher, K. J., & Kelley, K. (2011). Effect size measures for mediation models: Quantitative
    strategies for communicating indirect effects. *Psychological Methods, 16*(2), 93-115.
    https://doi.org/10.1037/a0022658

    Checked against Hayes' (2013, ch. 3) presumed-media-influence example as reproduced in the
    tests of R psych's ``mediate`` (data ``Tal_Or``; a = .4765, b = .5064, c = .4957,
    c' = .2544, ab = .2413) and against pingouin's bootstrap (benchmarks/bench_mediation.py);
    the cluster bootstrap against gather-and-refit of explicitly resampled clusters and by
    simulated coverage with a branch random effect (tests/test_mediation.py, test_coverage.py);
    the standardised effects by hand (Tal_Or: ab/SD(reaction)) and their case and cluster
    bootstrap intervals against the same statistic computed on explicitly resampled rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=300)
    >>> m = 0.5 * x + rng.normal(size=300)
    >>> d = pd.DataFrame({"x": x, "m": m, "y": 0.4 * m + 0.2 * x + rng.normal(size=300)})
    >>> t = mediation(d, x="x", m="m", y="y", n_boot=1000, seed=1)
    >>> t[["estimand", "estimate"]].round(3).values.tolist()
    [['a', 0.602], ['b', 0.367], ['total', 0.291], ['direct', 0.07], ['indirect', 0.221]]
    >>> ind = t[t["estimand"] == "indirect"].iloc[0]
    >>> print(round(ind["ci_low"], 3), round(ind["ci_high"], 3), ind["ci_method"], ind["n_boot"], ind["resample"])
    0.149 0.294 percentile 1000 cases
    """
    ci, ms, cs = _check_mediation_args(ci, ci_method, m, covar, resample, group)
    if not isinstance(x, str) or not isinstance(y, str):
        raise ValueError(f"x and y must be single column names, got x={x!r}, y={y!r}.")
    clash = {x, y} & set(ms) or ({x, y} | set(ms)) & set(cs)
    if clash or x == y:
        raise ValueError(f"x, m, y and covar must be distinct columns; overlap: {sorted(clash) or [x]}.")
    require_columns(data, [x, *ms, y, *cs] + ([group] if group else []))
    frame = numeric_frame(data, [x, *ms, y, *cs], group)
    k = len(ms)

    # --- point estimates and OLS inference -------------------------------------------------
    rows: list[dict] = []
    a_hat = np.empty(k)
    partial = _is_binary(frame[x])
    kind = STD_PARTIAL if partial else STD_COMPLETE
    sdv = frame[[x, *ms, y]].std(ddof=1)
    sx = 1.0 if partial else float(sdv[x])  # partial: x stays in its own (0/1) units
    sy = float(sdv[y])
    label = "PROCESS model 4 (parallel mediation)" if k > 1 else "PROCESS model 4 (simple mediation)"
    for j, mj in enumerate(ms):
        t_a, _ = _fit(frame, mj, [x, *cs], group, ci, label)
        r = t_a.iloc[1]
        a_hat[j] = r["estimate"]
        rows.append(dict(path="a", mediator=mj, term=f"{x} -> {mj}", **_ols_part(r),
                         **_std_part(r["estimate"] * sx / float(sdv[mj]), kind), estimand="a", m=mj, outcome=mj))
    t_b, _ = _fit(frame, y, [x, *ms, *cs], group, ci, label)
    b_hat = t_b["estimate"].to_numpy()[2 : 2 + k]
    for j, mj in enumerate(ms):
        rows.append(dict(path="b", mediator=mj, term=f"{mj} -> {y}", **_ols_part(t_b.iloc[2 + j]),
                         **_std_part(b_hat[j] * float(sdv[mj]) / sy, STD_COMPLETE), estimand="b", m=mj, outcome=y))
    t_c, _ = _fit(frame, y, [x, *cs], group, ci, label)
    rows.append(dict(path="c", mediator="", term=f"{x} -> {y} (total)", **_ols_part(t_c.iloc[1]),
                     **_std_part(t_c["estimate"].iloc[1] * sx / sy, kind), estimand="total", outcome=y))
    rows.append(dict(path="c'", mediator="", term=f"{x} -> {y} (direct)", **_ols_part(t_b.iloc[1]),
                     **_std_part(t_b["estimate"].iloc[1] * sx / sy, kind), estimand="direct", outcome=y))

    # --- bootstrap ---------------------------------------------------------------------------
    cols = [x, *ms, *cs, y]
    z, sd = _standardise(frame, cols)
    s = _resampled(z, frame, n_boot, seed, group, resample)
    ix = 1
    im = list(range(2, 2 + k))
    ic = list(range(2 + k, 2 + k + len(cs)))
    iy = 2 + k + len(cs)
    ia = [0, ix, *ic]
    coef_a = _batched_solve(_sub(s, ia, ia), _sub(s, ia, im))  # (B, ka, k)
    ib = [0, ix, *im, *ic]
    coef_b = _batched_solve(_sub(s, ib, ib), _sub(s, ib, [iy]))[:, :, 0]
    sd_x, sd_m, sd_y = sd[0], sd[1 : 1 + k], sd[-1]
    a_boot = coef_a[:, 1, :] * sd_m / sd_x
    b_boot = coef_b[:, 2 : 2 + k] * sd_y / sd_m
    ind_boot = a_boot * b_boot
    ind_hat = a_hat * b_hat
    if k > 1:
        ind_boot = np.column_stack([ind_boot, ind_boot.sum(axis=1)])
        ind_hat = np.append(ind_hat, ind_hat.sum())
    lo, hi, boot_se, bmethod, bmeta = _boot_summary(ind_boot, ind_hat, ci, ci_method, n_boot, frame, group, resample)
    # standardised indirect effects: each replicate rescaled by its own resample's SDs
    sd_b = bs.crossproduct_sd(s, [ix, iy], scale=[sd_x, sd_y])  # (B, 2) raw-unit SDs of x, y
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant y in a resample: NaN, dropped
        ratio_b = (1.0 if partial else sd_b[:, 0]) / sd_b[:, 1]
        std_boot = ind_boot * np.asarray(ratio_b)[:, None]
    std_hat = ind_hat * sx / sy
    std_lo, std_hi = _std_interval(std_boot, std_hat, ci, ci_method)
    for j in range(len(ind_hat)):
        is_total = j == k
        rows.append(
            dict(
                path="total_indirect" if is_total else "indirect",
                mediator="" if is_total else ms[j],
                term=f"{x} -> ({', '.join(ms)}) -> {y}" if is_total else f"{x} -> {ms[j]} -> {y}",
                estimate=ind_hat[j],
                se=boot_se[j],
                t=np.nan,
                df=np.nan,
                p=np.nan,
                ci_low=lo[j],
                ci_high=hi[j],
                boot_se=boot_se[j],
                method=bmethod,
                std_estimate=std_hat[j],
                std_ci_low=std_lo[j],
                std_ci_high=std_hi[j],
                std_kind=kind,
                estimand="total_indirect" if is_total else "indirect",
                m=None if is_total else ms[j],
                **bmeta,
            )
        )
    out = pd.DataFrame(rows)
    out.insert(0, "model", label)
    out["x"], out["y"] = x, y
    cols_out = ["model", "path", "mediator", "term", "estimate", "se", "t", "df", "p", "ci_low", "ci_high",
                "boot_se", "n", "ci_level", "n_boot", "method", "std_estimate", "std_ci_low", "std_ci_high",
                "std_kind", "estimand", "x", "m", "y", "predictor", "outcome"]
    cols_out += [c for c in rs.PROVENANCE_COLUMNS if c not in cols_out]
    return rs.finish(out.reindex(columns=cols_out))


def _std_part(value: float, kind: str) -> dict:
    """Standardised coefficient of a regression path (no bootstrap interval: its inference is OLS)."""
    return dict(std_estimate=float(value), std_ci_low=np.nan, std_ci_high=np.nan, std_kind=kind)


def _ols_part(r: pd.Series) -> dict:
    """The OLS columns of a regression path: estimate, inference, ``predictor`` and provenance."""
    return dict(
        estimate=r["estimate"], se=r["se"], t=r["t"], df=r["df"], p=r["p"], ci_low=r["ci_low"],
        ci_high=r["ci_high"], boot_se=np.nan, method=r["method"], predictor=r["predictor"],
        **{c: r[c] for c in rs.PROVENANCE_COLUMNS},
    )
