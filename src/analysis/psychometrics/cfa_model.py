"""CFA model specification: factors -> items, the free-parameter table and the model matrices.

A measurement model is ``Sigma = Lambda Phi Lambda' + Theta`` and, with a mean structure,
``mu = nu + Lambda alpha``. `build_maps` numbers the free parameters of one or more groups
(with lavaan's ``group.equal`` constraints for loadings and intercepts) and `model_matrices`
turns a parameter vector back into the matrices of one group. `parameter_gradient` is the chain
rule from dF/dSigma and dF/dmu to dF/dx shared by the ML and FIML discrepancies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
from scipy import linalg

__all__ = [
    "MeasurementModel", "Maps", "Parameters", "build_maps", "inverse_pd", "model_matrices", "parameter_gradient",
    "start_values",
]


@dataclass(frozen=True)
class MeasurementModel:
    """Factors -> indicators, e.g. ``{"visual": ("x1", "x2", "x3"), ...}``."""

    factors: tuple[str, ...]
    items: tuple[str, ...]
    pattern: np.ndarray = field(repr=False)  # (p, k) bool: item i loads on factor j

    @classmethod
    def from_mapping(cls, model: Mapping[str, Sequence[str]]) -> "MeasurementModel":
        if not model:
            raise ValueError("model: needs at least one factor, e.g. {'F1': ['i1', 'i2', 'i3']}")
        factors = tuple(str(f) for f in model)
        items: list[str] = []
        for f, its in model.items():
            its = list(its)
            if len(its) < 1:
                raise ValueError(f"model: factor '{f}' has no items; give it at least 2")
            for it in its:
                if it not in items:
                    items.append(str(it))
        pattern = np.zeros((len(items), len(factors)), dtype=bool)
        for j, (f, its) in enumerate(model.items()):
            for it in its:
                pattern[items.index(str(it)), j] = True
        return cls(factors=factors, items=tuple(items), pattern=pattern)


@dataclass
class Maps:
    """Per-group index maps from matrix entries to the free-parameter vector (-1 = fixed)."""

    lam: np.ndarray  # (p, k) int
    lam_fix: np.ndarray  # (p, k) float
    phi: np.ndarray  # (k, k) int, symmetric
    phi_fix: np.ndarray  # (k, k)
    theta: np.ndarray  # (p,) int
    nu: np.ndarray | None  # (p,) int
    alpha: np.ndarray | None  # (k,) int
    alpha_fix: np.ndarray | None


class Parameters:
    def __init__(self) -> None:
        self.kind: list[str] = []
        self.label: list[tuple] = []

    def new(self, kind: str, label: tuple) -> int:
        self.kind.append(kind)
        self.label.append(label)
        return len(self.kind) - 1


def build_maps(
    mm: MeasurementModel,
    n_groups: int,
    *,
    meanstructure: bool,
    equal_loadings: bool,
    equal_intercepts: bool,
    orthogonal: bool = False,
) -> tuple[list[Maps], Parameters]:
    p, k = mm.pattern.shape
    pars = Parameters()
    shared_lam: dict[tuple[int, int], int] = {}
    shared_nu: dict[int, int] = {}
    maps: list[Maps] = []
    for g in range(n_groups):
        lam = -np.ones((p, k), dtype=int)
        for i, j in zip(*np.nonzero(mm.pattern)):
            if equal_loadings and (i, j) in shared_lam:
                lam[i, j] = shared_lam[(i, j)]
            else:
                lam[i, j] = pars.new("loading", (g, mm.factors[j], mm.items[i]))
                if equal_loadings:
                    shared_lam[(i, j)] = lam[i, j]
        phi = -np.ones((k, k), dtype=int)
        phi_fix = np.eye(k)
        for a in range(k):
            # Latent scale: variance 1 in the reference group (and in every group when loadings
            # are free per group); with equal loadings the other groups' variances are free.
            if g > 0 and equal_loadings:
                phi[a, a] = pars.new("factor_var", (g, mm.factors[a], mm.factors[a]))
            for b in range(a):
                if not orthogonal:
                    phi[a, b] = phi[b, a] = pars.new("factor_cov", (g, mm.factors[a], mm.factors[b]))
        theta = np.array([pars.new("residual", (g, it, it)) for it in mm.items], dtype=int)
        nu = alpha = alpha_fix = None
        if meanstructure:
            nu = np.empty(p, dtype=int)
            for i in range(p):
                if equal_intercepts and i in shared_nu:
                    nu[i] = shared_nu[i]
                else:
                    nu[i] = pars.new("intercept", (g, mm.items[i], ""))
                    if equal_intercepts:
                        shared_nu[i] = nu[i]
            alpha = -np.ones(k, dtype=int)
            alpha_fix = np.zeros(k)
            if g > 0 and equal_intercepts:
                for a in range(k):
                    alpha[a] = pars.new("factor_mean", (g, mm.factors[a], ""))
        maps.append(Maps(lam, np.zeros((p, k)), phi, phi_fix, theta, nu, alpha, alpha_fix))
    return maps, pars


def take(x: np.ndarray, idx: np.ndarray, fixed: np.ndarray | float) -> np.ndarray:
    return np.where(idx >= 0, x[np.maximum(idx, 0)], fixed)


def model_matrices(x: np.ndarray, m: Maps):
    lam = take(x, m.lam, m.lam_fix)
    phi = take(x, m.phi, m.phi_fix)
    theta = x[m.theta]
    sigma = lam @ phi @ lam.T + np.diag(theta)
    mu = None
    alpha = None
    if m.nu is not None:
        alpha = take(x, m.alpha, m.alpha_fix)
        mu = x[m.nu] + lam @ alpha
    return lam, phi, theta, alpha, sigma, mu


def inverse_pd(sigma: np.ndarray) -> tuple[np.ndarray, float] | None:
    """(Sigma^-1, log|Sigma|) by Cholesky, or None when Sigma is not (numerically) positive definite.

    A pivot below 1e-7 of the largest standard deviation counts as singular: near that boundary
    the likelihood is rounding noise, and an optimiser step that lands there must be rejected.
    """
    try:
        c = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return None
    piv = np.diag(c)
    if piv.min() <= 1e-7 * np.sqrt(np.diag(sigma).max()):
        return None
    # callers run under threadpool_limits(1): single-threaded, the triangular solve is the fastest
    c_inv = linalg.solve_triangular(c, np.eye(sigma.shape[0]), lower=True, check_finite=False)
    return c_inv.T @ c_inv, 2.0 * np.log(piv).sum()


def parameter_gradient(grad, m: Maps, w: float, omega, gm, lam, phi, alpha) -> None:
    """Add ``w`` x dF/dx of one group to ``grad`` from ``omega`` = dF/dSigma and ``gm`` = dF/dmu.

    ``omega`` treats the entries of Sigma as independent (a symmetric p x p matrix);
    ``gm`` is None without a mean structure. Shared (equality-constrained) parameters collect
    the gradient of every group they appear in.
    """
    g_lam = 2.0 * omega @ lam @ phi
    if gm is not None:
        g_lam = g_lam + np.outer(gm, alpha)
        np.add.at(grad, m.nu, w * gm)
        sel = m.alpha >= 0
        np.add.at(grad, m.alpha[sel], w * (lam.T @ gm)[sel])
    sel = m.lam >= 0
    np.add.at(grad, m.lam[sel], w * g_lam[sel])
    sel = m.phi >= 0
    np.add.at(grad, m.phi[sel], w * (lam.T @ omega @ lam)[sel])
    np.add.at(grad, m.theta, w * np.diag(omega))


def start_values(mm, maps, pars, S, M, meanstructure):
    """Loadings from the first eigenvector of each factor's item correlations, residual variances
    from the communalities, free factor variances 1, intercepts = means (of the moments S, M)."""
    x = np.zeros(len(pars.kind))
    s_pool = sum(S) / len(S)
    sd = np.sqrt(np.diag(s_pool))
    lam0 = np.zeros(mm.pattern.shape)
    for j in range(mm.pattern.shape[1]):
        idx = np.nonzero(mm.pattern[:, j])[0]
        block = s_pool[np.ix_(idx, idx)]
        if idx.size == 1:
            lam0[idx, j] = np.sqrt(0.5 * block[0, 0])
            continue
        r = block / np.outer(sd[idx], sd[idx])
        vals, vecs = np.linalg.eigh(r)
        v = vecs[:, -1] * np.sign(vecs[:, -1].sum() or 1.0)
        lam0[idx, j] = np.clip(v * np.sqrt(max(vals[-1], 1e-3)), 0.1, 0.95) * sd[idx]
    for g, m in enumerate(maps):
        sel = m.lam >= 0
        x[m.lam[sel]] = lam0[sel]
        comm = (lam0**2).sum(axis=1)
        x[m.theta] = np.maximum(np.diag(S[g]) - comm, 0.1 * np.diag(S[g]))
        for a in range(m.phi.shape[0]):
            if m.phi[a, a] >= 0:
                x[m.phi[a, a]] = 1.0
        if meanstructure:
            x[m.nu] = M[g]
    return x
