"""Figures of a comparison of waves: scale means of two waves from the ``waves_*`` result tables.

``hallperf compare`` writes one row per unit (company, district, branch) and scale with both
waves' means and intervals (``previous_mean``, ``mean``, ``previous_ci_low``, ...). Here they are
put in long form (one row per wave) and drawn with :func:`analysis.report.figures.trend`.
Presentation only: every number comes from the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["wave_means", "wave_trend_figure"]

_NEEDED = ("unit", "scale", "previous_wave", "wave", "previous_mean", "mean")


def wave_means(table: pd.DataFrame, *, unit: str | None = None, scales: Sequence[str] | None = None) -> pd.DataFrame:
    """The two waves' means of a ``waves_company`` / ``waves_district`` / ``waves_branch`` table, one row per wave.

    Parameters
    ----------
    table : a ``waves_*`` result table of ``hallperf compare``.
    unit : keep one unit (``"all"`` for the company, a district or branch id); default every unit.
    scales : keep these scales, in this order; default every scale.

    Returns
    -------
    DataFrame with unit, scale, wave, mean, ci_low, ci_high, n, comparable (the scale's
    invariance allows a comparison of means), previous wave first.

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["all"], "scale": ["TS"], "previous_wave": ["w1"], "wave": ["w2"],
    ...                   "previous_mean": [3.4], "mean": [3.6], "comparable": [True]})
    >>> wave_means(t)[["wave", "mean"]].to_dict("list")
    {'wave': ['w1', 'w2'], 'mean': [3.4, 3.6]}
    """
    missing = [c for c in _NEEDED if c not in table]
    if missing:
        raise KeyError(f"wave_means: columns {missing} are not in the table; give a waves_* table of 'hallperf compare'")
    rows = table
    if unit is not None:
        rows = rows[rows["unit"].astype(str) == str(unit)]
    if scales is not None:
        position = {s: i for i, s in enumerate(scales)}
        rows = rows[rows["scale"].isin(position)]
        rows = rows.iloc[rows["scale"].map(position).argsort(kind="stable")]

    def column(name: str) -> pd.Series:
        return rows[name] if name in rows else pd.Series(np.nan, index=rows.index)

    # (wave, mean, its interval, n) of each side; ci_low/ci_high of the table are the change's
    sides = (("previous_wave", "previous_mean", "previous_ci_low", "previous_ci_high", "previous_n"),
             ("wave", "mean", "mean_ci_low", "mean_ci_high", "n"))
    parts = [pd.DataFrame({"unit": rows["unit"], "scale": rows["scale"], "wave": rows[wave].astype(str),
                           "mean": column(mean).astype(float), "ci_low": column(low).astype(float),
                           "ci_high": column(high).astype(float), "n": column(n),
                           "comparable": rows["comparable"] if "comparable" in rows else True})
             for wave, mean, low, high, n in sides]
    return pd.concat(parts, ignore_index=True)


def wave_trend_figure(table: pd.DataFrame, *, unit: str = "all", scales: Sequence[str] | None = None,
                      instrument: Any = None, lang: str = "zh", title: str | None = None,
                      ylabel: str | None = None) -> Any:
    """Scale means of two waves for one unit, one line per scale with its 95% band (a matplotlib Figure).

    Scales whose invariance does not allow comparing means are left out (their means are not
    on one scale). ``instrument`` gives the scales' labels in ``lang``; the figure is returned
    for the caller to restyle (``fig.axes[0].set_title(...)``) and close.
    """
    from analysis.report.figures import trend

    long = wave_means(table, unit=unit, scales=scales)
    long = long[long["comparable"].fillna(False).astype(bool)]
    if instrument is not None:
        names = {code: s.label.get(lang) or code for code, s in instrument.scales.items()}
        long = long.assign(scale=long["scale"].map(lambda c: names.get(c, c)))
    order = list(dict.fromkeys(long["wave"]))
    return trend(long, "wave", "mean", "scale", ci_low="ci_low", ci_high="ci_high", order=order, lang=lang,
                 title=title, ylabel=ylabel or ("均值" if lang == "zh" else "Mean"))
