"""Two classic data sets for the docstring examples of :mod:`analysis.psychometrics` (one definition, not one per
example)."""

from __future__ import annotations

import pandas as pd
from semopy.examples import holzinger39

__all__ = ["example_holzinger", "example_judges"]


def example_judges(long: bool = False) -> pd.DataFrame:
    """Shrout & Fleiss's (1979, Table 2) ratings of 6 targets by 4 judges.

    Parameters
    ----------
    long : one row per target and judge (columns ``target`` 0-5, ``judge``, ``rating``) instead of
        one row per target with a column per judge.

    Returns
    -------
    DataFrame: targets x judges ``j1``-``j4`` (ratings 1-10), or its long form.

    Examples
    --------
    >>> example_judges().shape, example_judges(long=True).columns.tolist()
    ((6, 4), ['target', 'judge', 'rating'])
    """
    wide = pd.DataFrame([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
                        columns=["j1", "j2", "j3", "j4"])
    return wide.stack().rename("rating").rename_axis(["target", "judge"]).reset_index() if long else wide


def example_holzinger() -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Holzinger & Swineford's (1939) nine ability tests of 301 pupils in two schools (semopy's copy) and
    their classic three-factor model.

    Returns
    -------
    (data, model): ``data`` has ``school`` and the tests ``x1``-``x9``; ``model`` maps ``visual``,
    ``textual`` and ``speed`` to x1-x3, x4-x6 and x7-x9.

    Examples
    --------
    >>> hs, model = example_holzinger()
    >>> len(hs), model["speed"]
    (301, ['x7', 'x8', 'x9'])
    """
    model = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    return holzinger39.get_data(), model
