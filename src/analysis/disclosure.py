"""Which groups may be shown: the minimum reporting size k with complementary suppression.

A group (a branch) is *shown* when at least ``k`` of its members answered. That alone does not
stop disclosure by difference: a total that includes hidden groups, shown beside the groups that
are shown, gives away the hidden remainder by subtraction (company respondents − the shown
branches' respondents = the hidden branches' respondents; with the means, their mean too).
Two rules close that door, and every output follows both:

1. every group-level total (company or district benchmark, district row, response rate) is
   computed over shown groups only, so ``total − Σ shown groups`` is 0;
2. where a figure over *all* respondents must be shown (the research tables: sample sizes,
   descriptives, reliabilities), the hidden remainder must be 0 or at least ``k``: when it is
   between 1 and k − 1, the smallest shown groups are hidden too until it reaches ``k``
   (complementary suppression, as Glint and statistical offices do: Hundepool et al. 2012, §4.2).

Then every difference of two shown figures covers either nothing or at least ``k`` people.

References
----------
Hundepool, A., et al. (2012). *Statistical Disclosure Control*. Wiley. doi:10.1002/9781118348239
"""

from __future__ import annotations

import pandas as pd


def shown_groups(sizes: pd.Series, k: int) -> pd.Series:
    """Boolean Series (same index as ``sizes``): which groups may be shown.

    Parameters
    ----------
    sizes : respondents per group (missing counts as 0).
    k : minimum reporting size.

    Returns
    -------
    Series of bool. ``sizes >= k``, then complementary suppression: while the respondents of the
    hidden groups number between 1 and ``k - 1``, the smallest shown group (ties: first in index
    order) is hidden as well.

    Examples
    --------
    >>> import pandas as pd
    >>> shown_groups(pd.Series({"a": 12, "b": 6, "c": 2}), 5).to_dict()   # 2 hidden < 5: hide b too
    {'a': True, 'b': False, 'c': False}
    >>> shown_groups(pd.Series({"a": 12, "b": 6, "c": 2, "d": 3}), 5).to_dict()   # 5 hidden: enough
    {'a': True, 'b': True, 'c': False, 'd': False}
    """
    counts = pd.to_numeric(sizes, errors="coerce").fillna(0).astype(int)
    shown = counts >= k
    hidden = int(counts[~shown].sum())
    for group in counts[shown].sort_values(kind="mergesort").index:
        if hidden == 0 or hidden >= k:
            break
        shown[group] = False
        hidden += int(counts[group])
    return shown


def shown_members(data: pd.DataFrame, group: str, k: int, *, value: str | None = None) -> pd.Series:
    """Boolean mask over the rows of ``data``: members of shown groups.

    ``value`` names the column whose answered rows count towards a group's size (e.g. one scale);
    by default every row counts. Rows without a group are not shown members.

    Parameters
    ----------
    data : one row per respondent.
    group : the group column.
    k : minimum reporting size.
    value : column whose answered rows count towards a group's size (default: every row).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"branch": ["a"] * 6 + ["b"] * 5 + ["c"] * 2, "TS": [4.0] * 12 + [None]})
    >>> shown_members(data, "branch", 5).groupby(data["branch"]).all().to_dict()  # c (2) hidden, b hides too
    {'a': True, 'b': False, 'c': False}
    """
    counted = data[value].notna() if value is not None else pd.Series(True, index=data.index)
    sizes = counted.groupby(data[group], observed=True).sum()
    shown = shown_groups(sizes, k)
    return data[group].map(shown).fillna(False).astype(bool)
