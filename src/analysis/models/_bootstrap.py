"""Nonparametric case- and cluster-resampling bootstrap through resampled cross-product sums.

Every model in this package that is bootstrapped (mediation, moderated mediation, relative
weights) is a smooth function of ordinary least-squares fits, and an OLS fit depends on the data
only through the cross-product matrix ``Z'Z`` of the variables involved (with a constant column).
A case-resampling bootstrap replicate ``b`` draws ``n`` rows with replacement; if ``c_bi`` is the
number of times row ``i`` is drawn, the replicate's cross-product matrix is
``sum_i c_bi z_i z_i'``.  So instead of gathering resampled rows we

1. draw the ``n`` row indices of each replicate (exactly uniform, Lemire's multiply-shift
   method on raw PCG64 output) and turn them into multinomial counts (``bincount``), ``B x n``;
2. multiply the count matrix by the ``n x q(q+1)/2`` matrix of per-row cross products
   (one BLAS product per chunk of replicates);
3. solve the small normal-equation systems of all replicates at once (``numpy.linalg.solve``
   on a ``B x k x k`` stack).

This is exactly the ordinary nonparametric bootstrap (Efron & Tibshirani, 1993): the counts of
``n`` uniform draws with replacement are Multinomial(n; 1/n, ..., 1/n), which is the distribution
of row multiplicities of a resample, so replicate statistics have the same distribution as with
the gather-and-refit implementation.

Cluster bootstrap (``clusters=`` labels): each replicate draws ``G`` cluster indices with
replacement (the same exact-uniform sampler, on ``[0, G)``) and turns them into cluster counts
``C_bg``; every row of cluster ``g`` then has count ``C_bg``, i.e. the replicate holds ``C_bg``
copies of the whole cluster -- the usual nonparametric cluster ("case resampling at the highest
level") bootstrap (Davison & Hinkley, 1997, sec. 3.8; Field & Welsh, 2007; Ren et al., 2010).
The resample size ``sum_g C_bg n_g`` varies between replicates; every model here takes ``n``
from the intercept cell of the cross-product matrix, so that is handled.  Because counts are
constant within a cluster, ``sum_i C_b,g(i) z_i z_i' = sum_g C_bg S_g`` with ``S_g`` the
cluster's summed per-row cross products, so the product is taken with the ``G x q(q+1)/2``
cluster sums (the same result as the ``B x n`` row-count product, up to rounding, and cheaper).
Clusters are numbered in the sorted order of their labels (``numpy.unique``).

References: Davison, A. C., & Hinkley, D. V. (1997). *Bootstrap methods and their application*,
sec. 3.8. Cambridge University Press.  Field, C. A., & Welsh, A. H. (2007). Bootstrapping
clustered data. *JRSS B, 69*(3), 369-390. https://doi.org/10.1111/j.1467-9868.2007.00593.x
Ren, S., et al. (2010). Nonparametric bootstrapping for hierarchical data. *Journal of Applied
Statistics, 37*(9) (resampling whole units at the highest level).

One engine, one stream: every resampling in the package goes through :func:`resampled_sums`
(sums of per-row quantities over each resample; :func:`resampled_crossproducts` is its
cross-product form), so a given ``seed`` (and ``clusters``) means the same resamples in every
model of a study.

Randomness: the ``seed`` feeds a :class:`numpy.random.SeedSequence`; replicate chunk ``k`` uses
the ``k``-th spawned child stream, so results depend only on ``seed`` and ``n_boot`` (not on the
number of worker threads).  Chunks are processed by a small thread pool; NumPy's random
bit generators and ufuncs release the GIL, so two threads overlap drawing and counting.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import stats

from threadpoolctl import threadpool_limits

from ._data import check_ci

__all__ = [
    "CHUNK",
    "RESAMPLE",
    "bootstrap_counts",
    "cluster_bootstrap_counts",
    "cluster_codes",
    "check_resample",
    "resampled_crossproducts",
    "resampled_sums",
    "crossproduct_sd",
    "interval",
    "method_label",
]

#: Replicates per chunk (and per spawned random stream).  Fixed so that results for a given
#: ``seed`` never depend on the machine or the number of threads.
CHUNK = 64


def _chunk_sizes(n_boot: int) -> list[int]:
    full, rest = divmod(n_boot, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


#: Resampling units of the bootstrapped models: individual rows or whole clusters.
RESAMPLE = ("cases", "clusters")


def check_resample(resample: str, group: str | None) -> str:
    """Validate ``resample`` of a bootstrapped model against its ``group`` argument."""
    if resample not in RESAMPLE:
        raise ValueError(
            f"resample must be 'cases' (resample individual rows) or 'clusters' (resample whole "
            f"clusters of the group column), got {resample!r}."
        )
    if resample == "clusters" and not group:
        raise ValueError(
            "resample='clusters' resamples whole clusters and needs the cluster column: pass "
            "group=<column> (e.g. group='branch_id'), or use resample='cases'."
        )
    return resample


def cluster_codes(clusters) -> tuple[np.ndarray, int]:
    """Cluster labels (length n) -> integer codes in ``[0, G)`` (sorted label order) and ``G``."""
    labels = np.asarray(clusters)
    if labels.ndim != 1:
        raise ValueError(f"clusters must be a 1-d array of cluster labels, got shape {labels.shape}.")
    try:
        _, codes = np.unique(labels, return_inverse=True)
    except TypeError:
        raise ValueError(
            "cluster labels must be mutually comparable (all numbers or all strings); recode the group column."
        ) from None
    codes = codes.reshape(-1).astype(np.intp)
    g = int(codes.max()) + 1 if codes.size else 0
    if g < 2:
        raise ValueError(
            f"a cluster bootstrap needs at least 2 clusters, got {g}; use resample='cases' or check the group column."
        )
    return codes, g


def _check_n_boot(n_boot: int) -> int:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ValueError(
            f"n_boot must be an integer >= 2 (number of bootstrap resamples), got {n_boot!r}; "
            "use e.g. n_boot=5000."
        )
    return int(n_boot)


class _RowSampler:
    """Exact uniform row indices in ``[0, n)`` -> multinomial counts, one resample at a time.

    Indices use Lemire's (2019) multiply-shift method on raw 32-bit outputs of PCG64:
    ``idx = (u * n) >> 32``, rejecting (and redrawing) the rare ``u`` whose low product word is
    below ``2**32 mod n`` (probability < n / 2**32), which makes every index exactly uniform.
    Working one resample (``n`` values) at a time keeps the buffers in cache.
    """

    def __init__(self, n: int) -> None:
        if n >= 2**31:
            raise ValueError(f"bootstrap supports fewer than 2**31 rows, got n={n}.")
        self.n = n
        self.n64 = np.uint64(n)
        self.thr = np.uint64((1 << 32) % n)
        self.thr32 = np.uint32((1 << 32) % n)
        self.prod = np.empty(n, dtype=np.uint64)
        self.low = np.empty(n, dtype=np.uint64)

    def counts(self, bg: np.random.BitGenerator, out: np.ndarray) -> None:
        n, prod = self.n, self.prod
        u = bg.random_raw((n + 1) // 2).view(np.uint32)[:n]
        np.multiply(u, self.n64, out=prod, dtype=np.uint64)
        if self.thr:
            if _LITTLE:  # low 32-bit word of each product, read in place
                low = prod.view(np.uint32)[0::2]
            else:  # pragma: no cover
                low = np.bitwise_and(prod, _LOW32, out=self.low)
            bad = np.flatnonzero(low < self.thr32)
            for pos in bad:  # expected n * 2**32 mod n / 2**32 < 1e-5 * n redraws
                while True:
                    v = (int(bg.random_raw()) & 0xFFFFFFFF) * n
                    if (v & 0xFFFFFFFF) >= int(self.thr):
                        prod[pos] = v
                        break
        np.right_shift(prod, _SHIFT32, out=prod)
        out[:] = np.bincount(prod.view(np.int64), minlength=n)


_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_LITTLE = sys.byteorder == "little"


def bootstrap_counts(n: int, n_boot: int, seed: int | None) -> np.ndarray:
    """Row multiplicities of ``n_boot`` case resamples of ``n`` rows (``n_boot x n``, float).

    Mainly for tests and small problems; :func:`resampled_crossproducts` never holds the whole
    matrix.  The same ``seed`` gives the same counts as used inside
    :func:`resampled_crossproducts`.
    """
    n_boot = _check_n_boot(n_boot)
    sizes = _chunk_sizes(n_boot)
    children = np.random.SeedSequence(seed).spawn(len(sizes))
    sampler = _RowSampler(n)
    out = np.empty((n_boot, n))
    row = 0
    for child, size in zip(children, sizes):
        bg = np.random.PCG64(child)
        for _ in range(size):
            sampler.counts(bg, out[row])
            row += 1
    return out


def cluster_bootstrap_counts(clusters, n_boot: int, seed: int | None) -> np.ndarray:
    """Cluster multiplicities of ``n_boot`` cluster resamples (``n_boot x G``, float).

    Column ``g`` belongs to the ``g``-th label in sorted order (see :func:`cluster_codes`); the
    count of a row is its cluster's column.  The same ``seed`` gives the same counts as used
    inside ``resampled_crossproducts(z, n_boot, seed, clusters=clusters)``.
    """
    _, g = cluster_codes(clusters)
    return bootstrap_counts(g, n_boot, seed)


def resampled_sums(values: np.ndarray, n_boot: int, seed: int | None, n_jobs: int | None = None,
                   clusters=None) -> np.ndarray:
    """Column sums of ``values`` over each of ``n_boot`` case or cluster resamples.

    The one resampling stream of the package: replicate ``b`` is ``c_b' values`` with ``c_b``
    the row multiplicities of the ``b``-th resample (:func:`bootstrap_counts`, or the
    cluster counts of :func:`cluster_bootstrap_counts` spread over each cluster's rows), so
    any statistic that is a function of sums over rows (means, variances, cross products,
    Cronbach's alpha) is bootstrapped from these without materialising the resamples.

    Parameters
    ----------
    values : ndarray, shape (n, q)
        Per-row quantities to sum (e.g. ``x``, ``x**2``, products of columns, 1 for the count).
    n_boot : int
        Number of bootstrap resamples.
    seed : int or None
        Seed of the :class:`numpy.random.SeedSequence`.
    n_jobs : int, optional
        Worker threads (default ``min(2, os.cpu_count())``); does not change the result.
    clusters : array-like, shape (n,), optional
        Cluster label of each row.  If given, whole clusters are resampled (``G`` draws with
        replacement from the ``G`` clusters per replicate) instead of rows.

    Returns
    -------
    ndarray, shape (n_boot, q)

    Examples
    --------
    >>> import numpy as np
    >>> v = np.column_stack([np.ones(4), [1.0, 2.0, 3.0, 4.0]])
    >>> s = resampled_sums(v, 3, seed=1)
    >>> s[:, 0].tolist()  # each resample has n = 4 rows
    [4.0, 4.0, 4.0]
    >>> np.allclose(s, bootstrap_counts(4, 3, seed=1) @ v)
    True
    """
    per_row = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    if per_row.ndim != 2:
        raise ValueError(f"values must be a 2-d array (rows x quantities), got shape {per_row.shape}.")
    n, q = per_row.shape
    n_boot = _check_n_boot(n_boot)
    if clusters is None:
        units, per_unit = n, per_row
    else:
        codes, units = cluster_codes(clusters)
        if codes.size != n:
            raise ValueError(f"clusters must hold one label per row ({n}), got {codes.size}.")
        # counts are constant within a cluster: sum the per-row values per cluster once
        per_unit = np.empty((units, q), dtype=np.float64)
        for j in range(q):
            per_unit[:, j] = np.bincount(codes, weights=per_row[:, j], minlength=units)
    sizes = _chunk_sizes(n_boot)
    children = np.random.SeedSequence(seed).spawn(len(sizes))
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    sums = np.empty((n_boot, q), dtype=np.float64)
    if n_jobs is None:
        n_jobs = min(2, os.cpu_count() or 1)
    n_jobs = max(1, min(int(n_jobs), len(sizes)))

    def worker(w: int) -> None:
        sampler = _RowSampler(units)
        counts = np.empty((CHUNK, units), dtype=np.float64)
        for k in range(w, len(sizes), n_jobs):
            bg = np.random.PCG64(children[k])
            for b in range(sizes[k]):
                sampler.counts(bg, counts[b])
            np.matmul(counts[: sizes[k]], per_unit, out=sums[starts[k] : starts[k + 1]])

    with threadpool_limits(limits=1):  # the per-chunk products are small; avoid oversubscription
        if n_jobs == 1:
            worker(0)
        else:
            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                list(pool.map(worker, range(n_jobs)))
    return sums


def resampled_crossproducts(
    z: np.ndarray, n_boot: int, seed: int | None, n_jobs: int | None = None, clusters=None
) -> np.ndarray:
    """Cross-product matrices ``Z' diag(c_b) Z`` of ``n_boot`` case or cluster resamples.

    :func:`resampled_sums` of the per-row products ``z_ij z_ik`` (``j <= k``), unpacked into
    symmetric matrices; same draws for the same ``seed`` and ``clusters``.

    Parameters
    ----------
    z : ndarray, shape (n, q)
        Data matrix (include a column of ones for an intercept).
    n_boot, seed, n_jobs, clusters
        As in :func:`resampled_sums`.

    Returns
    -------
    ndarray, shape (n_boot, q, q)
        Symmetric cross-product matrix of each resample.
    """
    z = np.asarray(z, dtype=np.float64)
    q = z.shape[1]
    iu, ju = np.triu_indices(q)
    sums = resampled_sums(z[:, iu] * z[:, ju], n_boot, seed, n_jobs=n_jobs, clusters=clusters)
    out = np.empty((sums.shape[0], q, q), dtype=np.float64)
    out[:, iu, ju] = sums
    out[:, ju, iu] = sums
    return out


def crossproduct_sd(s: np.ndarray, cols, scale=None, ddof: int = 1) -> np.ndarray:
    """Standard deviations of columns of every resample, read off its cross-product matrix.

    A resample's cross-product matrix ``S_b = Z' diag(c_b) Z`` (constant column first) holds its
    size ``n_b = S_b[0, 0]``, the column sums ``S_b[0, j]`` and sums of squares ``S_b[j, j]``, so
    ``var_b(z_j) = (S_b[j, j] - S_b[0, j]**2 / n_b) / (n_b - ddof)`` -- the SD of the resampled
    rows (or gathered clusters) without touching them.  ``n_b`` varies with a cluster bootstrap,
    which this handles.

    Parameters
    ----------
    s : ndarray, shape (B, q, q)
        Output of :func:`resampled_crossproducts` (column 0 must be the constant 1).
    cols : sequence of int
        Columns of ``z`` whose SDs are wanted.
    scale : array-like, shape (len(cols),), optional
        Multiplier per column, e.g. the full-sample SDs used to standardise ``z`` (the SD of
        ``(v - mean) / sd`` times ``sd`` is the SD of ``v``).
    ddof : int
        Delta degrees of freedom (1: sample SD, as PROCESS and ``numpy.std(ddof=1)``).

    Returns
    -------
    ndarray, shape (B, len(cols))
    """
    c = np.asarray(cols, dtype=np.intp)
    n = s[:, 0, 0][:, None]
    sums = s[:, 0, c]
    ssq = s[:, c, c]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (ssq - sums * sums / n) / (n - ddof)
    sd = np.sqrt(np.maximum(var, 0.0))
    if scale is not None:
        sd = sd * np.asarray(scale, dtype=np.float64)
    return sd


def check_ci_method(ci_method: str) -> str:
    if ci_method not in ("percentile", "bc"):
        raise ValueError(f"ci_method must be 'percentile' or 'bc' (bias-corrected), got {ci_method!r}.")
    return ci_method


def interval(
    boot: np.ndarray, estimate: np.ndarray, ci: float = 0.95, ci_method: str = "percentile"
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile or bias-corrected (BC) bootstrap interval, column-wise.

    Parameters
    ----------
    boot : ndarray, shape (B,) or (B, k)
        Bootstrap replicates.
    estimate : ndarray, shape () or (k,)
        Full-sample estimates (used by the bias correction).
    ci : float
        Confidence level.
    ci_method : {"percentile", "bc"}
        ``"bc"`` is Efron's bias-corrected percentile interval: with
        ``z0 = Phi^-1(#{theta*_b < theta_hat} / B)`` the limits are the ``Phi(2 z0 +- z_(1-alpha/2))``
        quantiles of the replicates (Efron & Tibshirani, 1993, sec. 14.3; the interval PROCESS
        offers as ``boot`` with bias correction and pingouin uses).

    Returns
    -------
    (low, high) : tuple of ndarray
    """
    ci = check_ci(ci)
    boot = np.asarray(boot, dtype=float)
    squeeze = boot.ndim == 1
    if squeeze:
        boot = boot[:, None]
    est = np.atleast_1d(np.asarray(estimate, dtype=float))
    alpha = 1.0 - ci
    if ci_method == "percentile":
        lo = np.full(boot.shape[1], alpha / 2)
        hi = np.full(boot.shape[1], 1 - alpha / 2)
    elif ci_method == "bc":
        prop = np.mean(boot < est[None, :], axis=0)
        prop = np.clip(prop, 1.0 / (boot.shape[0] + 1), 1 - 1.0 / (boot.shape[0] + 1))
        z0 = stats.norm.ppf(prop)
        zc = stats.norm.ppf(1 - alpha / 2)
        lo = stats.norm.cdf(2 * z0 - zc)
        hi = stats.norm.cdf(2 * z0 + zc)
    else:
        raise ValueError(f"ci_method must be 'percentile' or 'bc' (bias-corrected), got {ci_method!r}.")
    low = np.array([np.quantile(boot[:, j], lo[j]) for j in range(boot.shape[1])])
    high = np.array([np.quantile(boot[:, j], hi[j]) for j in range(boot.shape[1])])
    if squeeze:
        return low[0], high[0]
    return low, high


def method_label(ci_method: str, n_boot: int, cluster: str | None = None, n_clusters: int | None = None) -> str:
    """Human-readable method string recorded in result tables (the structured columns
    ``ci_method``, ``n_boot``, ``resample``, ``cluster``, ``n_clusters`` hold the same facts).

    Case bootstrap: ``"percentile bootstrap, 5000 resamples"``; cluster bootstrap (``cluster``
    given): ``"cluster bootstrap over branch_id (40 clusters), 5000 resamples, percentile"``.
    """
    name = {"percentile": "percentile", "bc": "bias-corrected"}[ci_method]
    if cluster:
        return f"cluster bootstrap over {cluster} ({n_clusters} clusters), {n_boot} resamples, {name}"
    return f"{name} bootstrap, {n_boot} resamples"
