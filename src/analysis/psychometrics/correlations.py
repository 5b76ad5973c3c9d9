"""Item correlation matrices with pairwise (default) or listwise handling of missing answers.

Every correlation-based statistic (KMO, Bartlett, parallel analysis, EFA, omega hierarchical,
HTMT, Harman's test) starts from :func:`item_correlations`, so they all use the same respondents
and report the same ``missing``, ``n`` and ``n_pair_min`` columns.

``missing="pairwise"`` is each correlation from the respondents who answered both items, as
``cor(x, use = "pairwise")`` and psych's functions on raw data; ``n`` is then the number of
respondents with at least one answered item, the n psych uses for raw data
(``cortest.bartlett``: ``n <- dim(R)[1]``; ``fa``: ``n.obs``), and ``n_pair_min`` the smallest
pairwise count. ``missing="listwise"`` uses the respondents who answered every item
(``n = n_pair_min``). ``estimator`` is ``"pearson"`` (product-moment correlations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from analysis.psychometrics.errors import EstimationError

__all__ = ["ItemCorrelations", "item_correlations", "COR_MISSING"]

COR_MISSING = ("pairwise", "listwise")


@dataclass(frozen=True)
class ItemCorrelations:
    """A correlation matrix with the respondents behind it."""

    r: np.ndarray
    items: list[str]
    missing: str
    n: int  # respondents used (pairwise: with at least one answered item)
    n_pair_min: int  # smallest number of respondents behind one correlation

    def columns(self) -> dict:
        """The structured method columns every table built from this matrix carries (a model
        fitted to it replaces ``estimator``, e.g. by ``"minres"``)."""
        return {"estimator": "pearson", "missing": self.missing, "n": self.n, "n_pair_min": self.n_pair_min}


def item_correlations(
    data: pd.DataFrame,
    items: Sequence[str] | None,
    *,
    missing: str = "pairwise",
    where: str,
    min_items: int = 2,
) -> ItemCorrelations:
    """Pearson correlations of ``items`` (all columns when None), checked for estimation.

    Raises
    ------
    KeyError
        An item column is not in ``data``.
    ValueError
        ``missing`` is not ``"pairwise"`` or ``"listwise"``.
    EstimationError
        Fewer items than ``min_items``, no more respondents than items, a constant item, a pair
        of items nobody answered together, or a matrix that is not positive definite.
    """
    items = list(data.columns) if items is None else list(items)
    absent = [c for c in items if c not in data.columns]
    if absent:
        raise KeyError(f"{where}: item column(s) {absent} not in data")
    if missing not in COR_MISSING:
        raise ValueError(f"{where}: missing={missing!r}; use 'pairwise' (default) or 'listwise'")
    if len(items) < min_items:
        raise EstimationError(f"{where}: needs at least {min_items} items, got {len(items)}")
    # pandas 3: .values may be a read-only view; take a private copy
    x = data[items].to_numpy(dtype=float, copy=True)
    ok = ~np.isnan(x)
    if missing == "listwise":
        x = x[ok.all(axis=1)]
    else:
        x = x[ok.any(axis=1)]
    ok = ~np.isnan(x)
    n = x.shape[0]
    if n <= len(items):
        what = "complete respondents" if missing == "listwise" else "respondents with an answer"
        raise EstimationError(f"{where}: {n} {what} for {len(items)} items; need more respondents than items")
    frame = pd.DataFrame(x, columns=items)
    const = [it for it in items if frame[it].nunique() <= 1]
    if const:
        raise EstimationError(f"{where}: constant item(s) {const} (zero variance); drop them first")
    pair_n = ok.T.astype(float) @ ok.astype(float)
    n_pair_min = int(pair_n.min())
    if n_pair_min < 3:
        i, j = np.unravel_index(np.argmin(pair_n), pair_n.shape)
        raise EstimationError(f"{where}: items {items[i]} and {items[j]} were answered together by {n_pair_min} "
                              "respondent(s); a correlation needs at least 3 (use missing='listwise' or drop one)")
    r = frame.corr().to_numpy(copy=True) if missing == "pairwise" else np.corrcoef(x, rowvar=False)
    if not np.isfinite(r).all() or np.linalg.eigvalsh(r).min() < 1e-10:
        hint = "; pairwise correlations can be inconsistent, try missing='listwise'" if missing == "pairwise" else ""
        raise EstimationError(
            f"{where}: the item correlation matrix is not positive definite (perfectly collinear or duplicated "
            f"items){hint}; drop one of the redundant items"
        )
    return ItemCorrelations(r=r, items=items, missing=missing, n=n, n_pair_min=n_pair_min)
