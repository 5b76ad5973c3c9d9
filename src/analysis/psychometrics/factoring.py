"""Factor extraction and rotation on a correlation matrix, with psych's conventions.

Extraction (minres or ml) is ``factor_analyzer``'s on the correlation matrix
(``is_corr_matrix=True``, bounds on the uniquenesses .005-1 and SMC starts, as ``psych::fa``);
rotations are ``factor_analyzer.Rotator``'s gradient-projection ports of GPArotation (oblimin with
gamma = 0 = direct quartimin, ``normalize = FALSE``) and Kaiser-normalised varimax
(``stats::varimax``). :func:`orient` applies psych's presentation: each factor's loadings sum to
a positive number and factors are ordered by the variance they account for.
"""

from __future__ import annotations

import warnings

import numpy as np

from analysis.psychometrics.errors import EstimationError

__all__ = ["FA_METHODS", "ROTATIONS", "extract", "rotate", "orient"]

FA_METHODS = ("minres", "ml")
ROTATIONS = ("oblimin", "varimax", None)


def extract(r: np.ndarray, n_factors: int, method: str = "minres") -> np.ndarray:
    """Unrotated loadings (p x n_factors) of ``n_factors`` common factors of correlation matrix ``r``."""
    from factor_analyzer import FactorAnalyzer

    if method not in FA_METHODS:
        raise ValueError(f"factor extraction: method={method!r}; use one of {FA_METHODS}")
    p = r.shape[0]
    if not 1 <= n_factors < p:
        raise EstimationError(f"factor extraction: n_factors must be between 1 and {p - 1}, got {n_factors}")
    fa = FactorAnalyzer(n_factors=n_factors, rotation=None, method=method, is_corr_matrix=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # factor_analyzer warns about its own defaults
        fa.fit(np.array(r, dtype=float, copy=True))
    L = np.asarray(fa.loadings_, dtype=float)
    return L * np.where(L.sum(axis=0) < 0, -1.0, 1.0)  # psych: positive loading sums (factor_analyzer skips 1 factor)


def rotate(loadings: np.ndarray, rotation: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotated loadings and, for oblique rotations, the factor correlation matrix (else None)."""
    from factor_analyzer import Rotator

    if rotation not in ROTATIONS:
        raise ValueError(f"rotation={rotation!r}; use one of {ROTATIONS}")
    if rotation is None or loadings.shape[1] < 2:
        return loadings, None
    rot = Rotator(method=rotation, max_iter=1000)  # GPArotation: maxit = 1000, eps = 1e-5
    out = np.asarray(rot.fit_transform(np.array(loadings, copy=True)), dtype=float)
    phi = getattr(rot, "phi_", None)
    return out, (None if phi is None else np.asarray(phi, dtype=float))


def orient(loadings: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Flip factors to positive loading sums and order them by variance accounted for (psych::fa).

    The variance of factor j is ``sum_i L_ij^2`` (orthogonal) or the j-th diagonal element of
    ``Phi L' L`` (oblique), as psych orders them.
    """
    sign = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    L = loadings * sign
    if phi is not None:
        phi = phi * np.outer(sign, sign)
        ev = np.diag(phi @ L.T @ L)
    else:
        ev = (L**2).sum(axis=0)
    order = np.argsort(-ev, kind="stable")
    L = L[:, order]
    if phi is not None:
        phi = phi[np.ix_(order, order)]
    return L, phi
