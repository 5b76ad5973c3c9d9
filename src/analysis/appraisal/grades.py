"""Grades from the composite (forced distribution or thresholds) and the bonus pool split.

The seed's 客户服务绩效及奖金管理制度: rank staff by their score, set their grade, and pay a
bonus whose share rises with the grade (绩效等级越高，奖金比例越高) and, optionally, with the
contribution (业绩贡献越大，奖金金额越高).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.appraisal.scheme import Bonus, Grades

__all__ = ["largest_remainder", "assign_grades", "split_bonus"]


def largest_remainder(shares: list[float], n: int) -> np.ndarray:
    """Whole counts for ``shares`` of ``n`` that sum to ``n`` (Hamilton's largest-remainder method).

    Each count is ``floor(share * n)``, and the units left over go to the largest fractional
    parts (the better grade first on ties).

    Parameters
    ----------
    shares : the shares, best grade first (summing to 1).
    n : the number of people.

    Examples
    --------
    >>> largest_remainder([0.10, 0.20, 0.50, 0.15, 0.05], 37).tolist()
    [4, 7, 18, 6, 2]
    """
    quota = np.asarray(shares, dtype=float) * n
    counts = np.floor(quota + 1e-9).astype(int)
    rest = n - int(counts.sum())
    if rest > 0:
        order = np.argsort(-(quota - counts), kind="stable")
        counts[order[:rest]] += 1
    return counts


def _forced(scores: np.ndarray, ties: np.ndarray, shares: list[float], labels: list[str]) -> np.ndarray:
    ok = ~np.isnan(scores)
    out = np.full(scores.size, None, dtype=object)
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((ties[idx], -scores[idx]))]  # best first; ties by the tie key
    counts = largest_remainder(shares, idx.size)
    out[order] = np.repeat(labels, counts)
    return out


def assign_grades(data: pd.DataFrame, spec: Grades, *, score: str = "composite", tie: str | None = None) -> pd.Series:
    """The grade of every row from its ``score`` (NaN scores get no grade).

    Parameters
    ----------
    data : one row per person.
    spec : the scheme's ``grades``: a forced distribution (exact counts per grade by
        :func:`largest_remainder`, within ``spec.within`` groups if given) or thresholds
        (minimum points of each grade, best first; below every threshold: the last grade).
    tie : column that orders equal scores (e.g. the pseudonymous id), so grades are reproducible.

    Returns
    -------
    Series of grade labels aligned with ``data``.

    Examples
    --------
    >>> from analysis.appraisal.scheme import load_scheme
    >>> scheme = load_scheme("surveys/appraisal.yml")
    >>> import numpy as np, pandas as pd
    >>> people = pd.DataFrame({"staff_id": [f"s{i}" for i in range(10)],
    ...                        "composite": [91, 85, 78, 77, 70, 66, 64, 60, 52, np.nan]})
    >>> # forced distribution A/B/C/D/E = 10/20/50/15/5% of the 9 with a composite
    >>> assign_grades(people, scheme.grades, tie="staff_id").fillna("-").tolist()
    ['A', 'B', 'B', 'C', 'C', 'C', 'C', 'C', 'D', '-']
    """
    labels = spec.order
    scores = data[score].to_numpy(dtype=float)
    if spec.rule == "thresholds":
        cuts = np.array(list(spec.thresholds.values()), dtype=float)
        pos = (scores[:, None] < cuts[None, :]).sum(axis=1)  # how many thresholds a score falls below
        grade = np.array(labels, dtype=object)[np.minimum(pos, len(labels) - 1)]
        grade[np.isnan(scores)] = None
        return pd.Series(grade, index=data.index, name="grade")
    ties = data[tie].astype(str).to_numpy() if tie else np.arange(len(data)).astype(str)
    shares = list(spec.shares.values())
    if spec.within is None:
        return pd.Series(_forced(scores, ties, shares, labels), index=data.index, name="grade")
    out = pd.Series(None, index=data.index, dtype=object, name="grade")
    for _, rows in data.groupby(spec.within, observed=True).indices.items():
        out.iloc[rows] = _forced(scores[rows], ties[rows], shares, labels)
    return out


def split_bonus(data: pd.DataFrame, spec: Bonus, *, grade: str = "grade", tie: str | None = None) -> pd.DataFrame:
    """Each person's bonus: the pool split by grade coefficient (times contribution, if set).

    Parameters
    ----------
    data : one row per person with ``grade`` (and the contribution column, if the scheme names one).
    spec : the scheme's ``bonus`` (pool, coefficients per grade, unit).
    grade : the grade column.
    tie : column that orders equal remainders, so amounts are reproducible.

    Returns
    -------
    DataFrame aligned with ``data``: coefficient, contribution, share (of the pool), bonus_units
    (whole units of ``spec.unit``, e.g. fen), bonus (= bonus_units * unit), pool.

    Notes
    -----
    ``share_i = c_i x_i / sum_j c_j x_j`` (``x`` = 1 without a contribution column). The pool, in
    units, is split by the largest-remainder method, so the amounts are whole units and sum to
    the pool exactly (people without a grade get nothing and do not count for ``per_staff``).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.appraisal.scheme import load_scheme
    >>> scheme = load_scheme("surveys/appraisal.yml")
    >>> people = pd.DataFrame({"staff_id": [f"s{i}" for i in range(10)], "grade": [*"ABBCCCCCD", None]})
    >>> bonus = split_bonus(people, scheme.bonus, tie="staff_id")  # 1,500 per graded person, A x1.5 ... E x0.5
    >>> bonus["bonus"].head(3).round(2).tolist(), round(float(bonus["bonus"].sum()), 2)
    ([2087.63, 1670.11, 1670.11], 13500.0)
    """
    graded = data[grade].notna().to_numpy()
    coef = data[grade].map(spec.coefficients).astype(float).fillna(0.0).to_numpy()
    contrib = (pd.to_numeric(data[spec.contribution], errors="coerce").fillna(0).clip(lower=0).to_numpy(dtype=float)
               if spec.contribution else np.ones(len(data)))
    pool = spec.pool.amount if spec.pool.amount is not None else spec.pool.per_staff * int(graded.sum())
    total_units = int(round(pool / spec.unit))
    weight = np.where(graded, coef * contrib, 0.0)
    share = weight / weight.sum() if weight.sum() > 0 else np.zeros(len(data))
    quota = share * total_units
    units = np.floor(quota + 1e-9).astype(np.int64)
    rest = total_units - int(units.sum())
    if rest > 0:
        ties = data[tie].astype(str).to_numpy() if tie else np.arange(len(data)).astype(str)
        order = np.lexsort((ties, -(quota - units)))
        units[order[:rest]] += 1
    return pd.DataFrame({"coefficient": np.where(graded, coef, np.nan), "contribution": contrib, "share": share,
                         "bonus_units": units, "bonus": units * spec.unit, "pool": pool}, index=data.index)
