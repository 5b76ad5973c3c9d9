"""Publication figures for the study and branch reports.

Every function takes a tidy frame (one row per bar, point or estimate) and returns a matplotlib
``Figure``; nothing is estimated here: intervals, benchmarks and gaps come from result tables.
Apply :func:`analysis.report.style.use_style` first so Chinese labels use the bundled Noto fonts.
Output is deterministic: rows are drawn in the order given (or sorted by a stable sort), colours
come from a fixed palette in order of first appearance, and no random jitter is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .texts import check_lang

__all__ = ["bar_profile", "forest", "kpi_bullets", "priority_matrix", "trend"]

_WORDS = {
    "zh": {"value": "本厅", "benchmark": "基准", "ci": "95% 置信区间", "target": "目标",
           "importance": "重要性", "gap": "差距", "estimate": "估计值",
           "quadrants": ("优先改进", "继续保持", "次要改进", "暂缓关注")},
    "en": {"value": "This branch", "benchmark": "Benchmark", "ci": "95% CI", "target": "Target",
           "importance": "Importance", "gap": "Gap", "estimate": "Estimate",
           "quadrants": ("Improve first", "Keep up", "Improve later", "Low priority")},
}
# Okabe–Ito colour-blind safe palette (Okabe & Ito, 2008).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")
_GREY = "#7f7f7f"


def _check(df: pd.DataFrame, *columns: str | None) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in the frame; columns are {list(df.columns)}")
    if df.empty:
        raise ValueError("the frame is empty; nothing to draw")


def _words(lang: str) -> dict[str, Any]:
    check_lang(lang)
    return _WORDS[lang]


def _new_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Figure, Any]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def _errors(df: pd.DataFrame, value: str, low: str | None, high: str | None) -> np.ndarray | None:
    if low is None and high is None:
        return None
    if low is None or high is None:
        raise ValueError("give both ci_low and ci_high, or neither")
    v = df[value].to_numpy(float)
    lo = v - df[low].to_numpy(float)
    hi = df[high].to_numpy(float) - v
    if np.any(lo < -1e-12) or np.any(hi < -1e-12):
        raise ValueError(f"interval [{low}, {high}] does not contain {value} in every row")
    return np.vstack([np.clip(lo, 0, None), np.clip(hi, 0, None)])


def bar_profile(df: pd.DataFrame, value: str, label: str, benchmark: str | None = None,
                ci_low: str | None = None, ci_high: str | None = None, *,
                title: str | None = None, xlabel: str | None = None,
                xlim: tuple[float, float] | None = None, sort: bool = False,
                value_name: str | None = None, benchmark_name: str | None = None,
                lang: str = "zh", ax: Any = None) -> Figure:
    """A branch's profile over dimensions (horizontal bars) against a benchmark, with intervals.

    Parameters
    ----------
    df : DataFrame, one row per dimension.
    value, label : columns with the branch's score and the dimension name.
    benchmark : column with the benchmark (e.g. district mean), drawn as a black tick per row.
    ci_low, ci_high : columns with the interval of ``value`` (drawn as error bars).
    title, xlabel : texts; ``xlim`` fixes the axis (e.g. the scale range 1–5).
    sort : draw the dimensions by ``value`` descending (stable) instead of the given order.
    value_name, benchmark_name : legend texts (default "本厅"/"基准").

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> profile = pd.DataFrame({"dimension": ["Targets", "Coaching"], "mean": [3.4, 3.9], "benchmark": [3.6, 3.7],
    ...                         "ci_low": [3.1, 3.6], "ci_high": [3.7, 4.2]})
    >>> fig = bar_profile(profile, "mean", "dimension", "benchmark", "ci_low", "ci_high", xlim=(1, 5), lang="en")
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()], [round(float(p.get_width()), 2) for p in ax.patches]
    (['Targets', 'Coaching'], [2.4, 2.9])
    >>> plt.close(fig)
    """
    _check(df, value, label, benchmark, ci_low, ci_high)
    words = _words(lang)
    data = df.sort_values(value, ascending=False, kind="mergesort") if sort else df
    data = data.reset_index(drop=True)
    n = len(data)
    fig, ax = _new_axes(ax, (6.4, max(2.4, 0.45 * n + 1.2)))
    y = np.arange(n)[::-1]
    left = float(xlim[0]) if xlim is not None else 0.0  # bars start at the scale minimum
    ax.barh(y, data[value].to_numpy(float) - left, left=left, height=0.6, color=PALETTE[0],
            label=value_name or words["value"], zorder=2)
    err = _errors(data, value, ci_low, ci_high)
    if err is not None:
        ax.errorbar(data[value].to_numpy(float), y, xerr=err, fmt="none", ecolor="#333333",
                    elinewidth=1, capsize=3, label=words["ci"], zorder=3)
    if benchmark is not None:
        ax.scatter(data[benchmark].to_numpy(float), y, marker="|", s=400, linewidths=2.5,
                   color="black", label=benchmark_name or words["benchmark"], zorder=4)
    ax.set_yticks(y, [str(v) for v in data[label]])
    if xlim is not None:
        ax.set_xlim(*xlim)
    if xlabel:
        ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    ax.grid(axis="x", color="#dddddd", zorder=0)
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=len(handles))
    return fig


def priority_matrix(df: pd.DataFrame, importance: str, gap: str, label: str, *,
                    importance_cut: float | None = None, gap_cut: float | None = None,
                    title: str | None = None, xlabel: str | None = None,
                    ylabel: str | None = None, lang: str = "zh", ax: Any = None) -> Figure:
    """Importance × gap matrix: which dimensions to improve first.

    ``gap`` is positive where the branch falls short of its target or benchmark. Quadrant lines
    are drawn at ``importance_cut`` and ``gap_cut`` (taken from the results, e.g. the company
    median importance and gap 0); when omitted, the median of the plotted points is used as a
    display reference. Upper right = improve first, lower right = keep up, upper left = improve
    later, lower left = low priority.

    Parameters
    ----------
    df : DataFrame, one row per dimension.
    importance, gap, label : columns with the importance, the gap (positive: behind) and the name.
    importance_cut, gap_cut : where the quadrant lines are drawn (default: the medians).
    title, xlabel, ylabel : texts (default axis labels in ``lang``).
    lang, ax : ``"zh"`` or ``"en"`` for the default axis labels and the quadrant names; an existing
        matplotlib Axes to draw in.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> dims = pd.DataFrame({"dimension": ["Targets", "Coaching", "Fairness"], "importance": [0.4, 0.35, 0.25],
    ...                      "gap": [0.2, -0.1, 0.3]})
    >>> fig = priority_matrix(dims, "importance", "gap", "dimension", gap_cut=0, lang="en")
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['Targets', 'Coaching', 'Fairness', 'Improve first', 'Keep up', 'Improve later', 'Low priority']
    >>> plt.close(fig)
    """
    _check(df, importance, gap, label)
    words = _words(lang)
    x = df[importance].to_numpy(float)
    y = df[gap].to_numpy(float)
    xc = float(np.median(x)) if importance_cut is None else float(importance_cut)
    yc = float(np.median(y)) if gap_cut is None else float(gap_cut)
    fig, ax = _new_axes(ax, (6.4, 5.2))
    hot = (x >= xc) & (y >= yc)
    ax.scatter(x[~hot], y[~hot], s=45, color=PALETTE[0], zorder=3)
    ax.scatter(x[hot], y[hot], s=60, color=PALETTE[3], zorder=3)
    ax.axvline(xc, color=_GREY, linestyle="--", linewidth=1, zorder=1)
    ax.axhline(yc, color=_GREY, linestyle="--", linewidth=1, zorder=1)
    for xi, yi, text in zip(x, y, df[label], strict=True):
        ax.annotate(str(text), (xi, yi), xytext=(5, 4), textcoords="offset points", fontsize=9)
    # pad the limits so labels and quadrant names fit, then name the quadrants in the corners
    xs = np.append(x, xc)
    ys = np.append(y, yc)
    xpad = 0.12 * (np.ptp(xs) or 1.0)
    ypad = 0.15 * (np.ptp(ys) or 1.0)
    ax.set_xlim(xs.min() - xpad, xs.max() + 2 * xpad)
    ax.set_ylim(ys.min() - ypad, ys.max() + ypad)
    q = words["quadrants"]
    style = {"fontsize": 10, "color": _GREY, "transform": ax.transAxes}
    ax.text(0.98, 0.98, q[0], ha="right", va="top", **style)
    ax.text(0.98, 0.02, q[1], ha="right", va="bottom", **style)
    ax.text(0.02, 0.98, q[2], ha="left", va="top", **style)
    ax.text(0.02, 0.02, q[3], ha="left", va="bottom", **style)
    ax.set_xlabel(xlabel or words["importance"])
    ax.set_ylabel(ylabel or words["gap"])
    if title:
        ax.set_title(title)
    return fig


def kpi_bullets(df: pd.DataFrame, kpi: str, value: str, *,
                references: Mapping[str, str] | None = None, target: str | None = None,
                unit: str | None = None, title: str | None = None,
                value_name: str | None = None, target_name: str | None = None,
                lang: str = "zh") -> Figure:
    """KPI bullet chart: one row per KPI on its own scale, with reference lines.

    Parameters
    ----------
    df : DataFrame, one row per KPI.
    kpi, value : columns with the KPI name and the branch's value.
    references : mapping column → legend text, e.g. ``{"district": "区县均值",
        "company": "公司均值"}``; each is drawn as a coloured vertical line in its row.
    target : column with a norm (e.g. the guide's 20 outbound calls per day), drawn as a thick
        black line; rows with a missing target have none.
    unit : column with each KPI's unit, appended to its name.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> kpis = pd.DataFrame({"kpi": ["Calls a day", "Completion"], "value": [15.0, 0.92], "district": [18.0, 0.95],
    ...                      "target": [20.0, None]})
    >>> fig = kpi_bullets(kpis, "kpi", "value", references={"district": "District mean"}, target="target", lang="en")
    >>> len(fig.axes), sorted(t.get_text() for t in fig.legends[0].get_texts())
    (2, ['District mean', 'Target', 'This branch'])
    >>> plt.close(fig)
    """
    references = dict(references or {})
    _check(df, kpi, value, target, unit, *references)
    words = _words(lang)
    data = df.reset_index(drop=True)
    n = len(data)
    fig, axes = plt.subplots(n, 1, figsize=(6.4, 0.8 * n + 1.1), squeeze=False)
    handles: dict[str, Any] = {}
    for i, row in data.iterrows():
        ax = axes[i, 0]
        marks = [float(row[value])] + [float(row[c]) for c in references if pd.notna(row[c])]
        if target is not None and pd.notna(row[target]):
            marks.append(float(row[target]))
        top = max(max(marks), 0.0) * 1.15 or 1.0
        ax.barh([0], [top], height=0.9, color="#eeeeee", zorder=0)
        h = ax.barh([0], [float(row[value])], height=0.4, color=PALETTE[0], zorder=2)
        handles.setdefault(value_name or words["value"], h)
        for k, (col, name) in enumerate(references.items()):
            if pd.notna(row[col]):
                line = ax.axvline(float(row[col]), ymin=0.15, ymax=0.85, linewidth=2,
                                  color=PALETTE[1 + k % (len(PALETTE) - 1)], zorder=3)
                handles.setdefault(name, line)
        if target is not None and pd.notna(row[target]):
            line = ax.axvline(float(row[target]), ymin=0.05, ymax=0.95, linewidth=3.5,
                              color="black", zorder=4)
            handles.setdefault(target_name or words["target"], line)
        name = str(row[kpi]) + (f"（{row[unit]}）" if unit is not None and pd.notna(row[unit])
                                and lang == "zh" else
                                f" ({row[unit]})" if unit is not None and pd.notna(row[unit])
                                else "")
        ax.set_yticks([0], [name])
        ax.set_xlim(0, top)
        ax.set_ylim(-0.5, 0.5)
        ax.tick_params(axis="x", labelsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    if title:
        fig.suptitle(title, x=0.02, ha="left")
    fig.legend(list(handles.values()), list(handles.keys()), loc="outside lower center",
               ncol=min(4, len(handles)))
    return fig


def forest(df: pd.DataFrame, term: str, estimate: str, ci_low: str, ci_high: str, *,
           null: float | None = 0.0, title: str | None = None, xlabel: str | None = None,
           lang: str = "zh", ax: Any = None) -> Figure:
    """Forest plot of coefficients with their intervals, first row on top.

    ``null`` draws the no-effect reference line (0 for differences and coefficients, 1 for
    ratios; None for none).

    Parameters
    ----------
    df : DataFrame, one row per coefficient.
    term, estimate, ci_low, ci_high : columns with the name, the estimate and its interval.
    null : no-effect reference line.
    title, xlabel : texts (default x label "Estimate (95% CI)", in ``lang``).
    lang, ax : ``"zh"`` or ``"en"``; an existing matplotlib Axes to draw in.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> coefficients = pd.DataFrame({"term": ["Coaching", "Fairness"], "estimate": [0.31, 0.12],
    ...                              "ci_low": [0.18, -0.02], "ci_high": [0.44, 0.26]})
    >>> fig = forest(coefficients, "term", "estimate", "ci_low", "ci_high", lang="en")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()], fig.axes[0].get_xlabel()
    (['Coaching', 'Fairness'], 'Estimate (95% CI)')
    >>> plt.close(fig)
    """
    _check(df, term, estimate, ci_low, ci_high)
    words = _words(lang)
    data = df.reset_index(drop=True)
    n = len(data)
    fig, ax = _new_axes(ax, (6.4, max(2.2, 0.4 * n + 1.0)))
    y = np.arange(n)[::-1]
    err = _errors(data, estimate, ci_low, ci_high)
    ax.errorbar(data[estimate].to_numpy(float), y, xerr=err, fmt="o", color=PALETTE[0],
                ecolor=PALETTE[0], elinewidth=1.5, capsize=3, markersize=5, zorder=3)
    if null is not None:
        ax.axvline(null, color=_GREY, linestyle="--", linewidth=1, zorder=1)
    ax.set_yticks(y, [str(v) for v in data[term]])
    ax.set_xlabel(xlabel or f"{words['estimate']}（{words['ci']}）" if lang == "zh"
                  else xlabel or f"{words['estimate']} ({words['ci']})")
    if title:
        ax.set_title(title)
    ax.grid(axis="x", color="#eeeeee", zorder=0)
    return fig


def trend(df: pd.DataFrame, wave: str, value: str, group: str | None = None, *,
          ci_low: str | None = None, ci_high: str | None = None,
          order: Sequence[Any] | None = None, title: str | None = None,
          ylabel: str | None = None, xlabel: str | None = None, ax: Any = None,
          lang: str = "zh") -> Figure:
    """Values across survey waves, one line per group, with optional interval bands.

    Waves are drawn in ``order`` if given, else in order of first appearance (not sorted, so
    labels like "2025H2" keep the order of the results). Groups get colours in order of first
    appearance.

    Parameters
    ----------
    df : DataFrame, one row per wave (and group).
    wave, value : columns with the wave label and the value.
    group : column with the group (one line each), or None for one line.
    ci_low, ci_high : columns with the interval (both or neither).
    order : the waves in drawing order.
    title, ylabel, xlabel : texts.
    ax : an existing matplotlib Axes to draw in.
    lang : ``"zh"`` or ``"en"``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> means = pd.DataFrame({"wave": ["2025H1", "2025H2"] * 2, "mean": [3.5, 3.7, 3.4, 3.3],
    ...                       "branch": ["b1", "b1", "b2", "b2"]})
    >>> fig = trend(means, "wave", "mean", "branch", lang="en")
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.get_xticklabels()], [line.get_label() for line in ax.get_lines()]
    (['2025H1', '2025H2'], ['b1', 'b2'])
    >>> plt.close(fig)
    """
    _check(df, wave, value, group, ci_low, ci_high)
    _words(lang)
    if (ci_low is None) != (ci_high is None):
        raise ValueError("give both ci_low and ci_high, or neither")
    waves = list(order) if order is not None else list(dict.fromkeys(df[wave]))
    unknown = set(df[wave]) - set(waves)
    if unknown:
        raise ValueError(f"order misses waves {sorted(map(str, unknown))}; list every wave")
    position = {w: i for i, w in enumerate(waves)}
    fig, ax = _new_axes(ax, (6.4, 4.0))
    groups = list(dict.fromkeys(df[group])) if group is not None else [None]
    for k, g in enumerate(groups):
        part = df if g is None else df[df[group] == g]
        part = part.assign(_pos=part[wave].map(position)).sort_values("_pos", kind="mergesort")
        color = PALETTE[k % len(PALETTE)]
        ax.plot(part["_pos"], part[value], marker="o", color=color,
                label=None if g is None else str(g), zorder=3)
        if ci_low is not None:
            ax.fill_between(part["_pos"].to_numpy(float), part[ci_low].to_numpy(float),
                            part[ci_high].to_numpy(float), color=color, alpha=0.15,
                            linewidth=0, zorder=2)
    ax.set_xticks(range(len(waves)), [str(w) for w in waves])
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if group is not None:
        ax.legend(title=None, loc="best")
    ax.grid(axis="y", color="#eeeeee", zorder=0)
    return fig
