"""Figures of the research report: forest plots, simple slopes, relative weights, reviewer heatmap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .base import B2, N2, StudyFigure
from .vocabulary import PARTS, SECTION_OF_MODEL, SECTIONS, STATS, W_POINT_LABELS

if TYPE_CHECKING:
    from .report import StudyReport


def study_figures(r: StudyReport) -> list[StudyFigure]:
    """Every figure of the report in report order, numbered from 1."""
    figs: list[StudyFigure] = []
    zh = r.lang == "zh"
    for inst, _ in r.instrument_results("reviewer"):
        figs.append(StudyFigure(f"{inst}_reviewer", "psychometrics",
                                f"{r.instrument_name(inst)}" + ("：审稿人核查汇总" if zh else ": reviewer checklist"),
                                lambda inst=inst: draw_reviewer(r, inst)))
    for h in r.study.hypotheses:
        if h.model not in HYPOTHESIS_FIGURES:
            continue
        result, name, title, draw = HYPOTHESIS_FIGURES[h.model]
        df = r.result(f"{h.id}_{result}")
        if df is None or (result == "coefficients" and not _has_terms(df)):
            continue
        figs.append(StudyFigure(f"{h.id}_{name}", SECTION_OF_MODEL.get(h.model, "regression"),
                                r.hypothesis_title(h, title), lambda h=h, draw=draw: draw(r, h)))
    order = list(SECTIONS)
    figs.sort(key=lambda f: order.index(f.section))
    return [StudyFigure(f.name, f.section, f.title, f.draw, i) for i, f in enumerate(figs, 1)]


def _has_terms(coefficients: pd.DataFrame) -> bool:
    """Has the model a fixed term besides the intercept? A null model (multilevel with y and group
    only) has none to draw."""
    fixed = coefficients[coefficients["effect"] == "fixed"] if "effect" in coefficients else coefficients
    return bool((fixed["term"] != "Intercept").any())


def forest_frame(df: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({"term": labels, "estimate": df["estimate"].to_numpy(float),
                          "ci_low": df["ci_low"].to_numpy(float), "ci_high": df["ci_high"].to_numpy(float)})
    # a percentile interval may, rarely, not contain its point estimate; the figure shows the interval
    frame["ci_low"] = np.minimum(frame["ci_low"], frame["estimate"])
    frame["ci_high"] = np.maximum(frame["ci_high"], frame["estimate"])
    return frame

def draw_coef_forest(r: StudyReport, h: Any) -> Any:
    from ..figures import forest

    df = r.result(f"{h.id}_coefficients")
    if "effect" in df:
        df = df[df["effect"] == "fixed"]
    if "step" in df:
        df = df[df["step"] == df["step"].max()]
    df = df[(df["term"] != "Intercept") & df["ci_low"].notna()]
    frame = forest_frame(df, r.row_labels(df))
    xlabel = ("b（95% CI）" if r.lang == "zh" else "b (95% CI)")
    return forest(frame, "term", "estimate", "ci_low", "ci_high", xlabel=xlabel, lang=r.lang,
                  title=f"{h.id}：{r.var_label(h.roles['y'])}" if r.lang == "zh"
                  else f"{h.id}: {r.var_label(h.roles['y'])}")

def draw_indirect(r: StudyReport, h: Any) -> Any:
    from ..figures import forest

    df = r.result(f"{h.id}_effects")
    df = df[df["path"] == "indirect"]
    frame = forest_frame(df, r.row_labels(df))
    xlabel = "间接效应 a×b（Bootstrap 95% CI）" if r.lang == "zh" else "Indirect effect a×b (bootstrap 95% CI)"
    return forest(frame, "term", "estimate", "ci_low", "ci_high", xlabel=xlabel, lang=r.lang,
                  title=f"{h.id}")

def draw_conditional_indirect(r: StudyReport, h: Any) -> Any:
    from ..figures import forest

    df = r.result(f"{h.id}_effects")
    df = df[df["part"].isin(["conditional_indirect", "index"])]
    zh = r.lang == "zh"
    w = r.var_label(h.roles["w"])
    labels = [f"{w} = " + (r.t(W_POINT_LABELS[p]) if isinstance(p, str) else N2(v)) if e == "conditional_indirect"
              else r.t(PARTS["index"]) for e, p, v in zip(df["estimand"], df["w_point"], df["w_value"])]
    frame = forest_frame(df, labels)
    xlabel = "效应值（Bootstrap 95% CI）" if zh else "Effect (bootstrap 95% CI)"
    return forest(frame, "term", "estimate", "ci_low", "ci_high", xlabel=xlabel, lang=r.lang, title=h.id)

def draw_moderation(r: StudyReport, h: Any) -> Any:
    import matplotlib.pyplot as plt

    from ..figures import PALETTE

    zh = r.lang == "zh"
    df = r.result(f"{h.id}_slopes")
    slopes = df[df["part"] == "simple_slope"]
    jn = r.result(f"{h.id}_johnson_neyman")
    if jn is None:
        jn = df[df["part"] == "johnson_neyman"]
    x, w = r.var_label(h.roles["x"]), r.var_label(h.roles["w"])
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    wv = slopes["w_value"].to_numpy(float)
    est = slopes["estimate"].to_numpy(float)
    lo = np.clip(est - slopes["ci_low"].to_numpy(float), 0, None)
    hi = np.clip(slopes["ci_high"].to_numpy(float) - est, 0, None)
    ax.plot(wv, est, color=PALETTE[0], linewidth=1, zorder=2)
    ax.errorbar(wv, est, yerr=np.vstack([lo, hi]), fmt="o", color=PALETTE[0], capsize=4, zorder=3,
                label="简单斜率（95% CI）" if zh else "Simple slope (95% CI)")
    ax.axhline(0, color="#7f7f7f", linestyle="--", linewidth=1, zorder=1)
    if jn is not None and not jn.empty:
        inside = jn[jn["jn_within_range"].fillna(False).astype(bool)]
        for value in inside["w_value"].to_numpy(float):
            ax.axvline(value, color=PALETTE[3], linestyle=":", linewidth=1.5, zorder=1)
            ax.annotate(f"J–N：{w} = {value:.2f}" if zh else f"J–N: {w} = {value:.2f}", (value, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(4, -12), textcoords="offset points",
                        fontsize=8, color=PALETTE[3])
    ax.set_xlabel(w)
    ax.set_ylabel(f"{x}的条件效应" if zh else f"Conditional effect of {x}")
    ax.set_title(h.id)
    ax.legend(loc="lower right")
    return fig

def draw_weights(r: StudyReport, h: Any) -> Any:
    import matplotlib.pyplot as plt

    from ..figures import PALETTE

    df = r.result(f"{h.id}_weights")
    frame = forest_frame(df.rename(columns={"estimate": "_raw", "rescaled": "estimate",
                                                  "ci_low": "_lo", "ci_high": "_hi",
                                                  "rescaled_ci_low": "ci_low", "rescaled_ci_high": "ci_high"}),
                               r.row_labels(df))
    frame = frame.sort_values("estimate", ascending=False, kind="mergesort").reset_index(drop=True)
    n = len(frame)
    fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.42 * n + 1.2)))
    y = np.arange(n)[::-1]
    ax.barh(y, frame["estimate"], height=0.6, color=PALETTE[0], zorder=2)
    err = np.vstack([frame["estimate"] - frame["ci_low"], frame["ci_high"] - frame["estimate"]])
    ax.errorbar(frame["estimate"], y, xerr=err, fmt="none", ecolor="#333333", capsize=3, elinewidth=1, zorder=3)
    ax.set_yticks(y, list(frame["term"]))
    ax.set_xlabel("相对权重（% R²，95% CI）" if r.lang == "zh" else "Rescaled weight (% of R², 95% CI)")
    ax.set_xlim(left=0)
    ax.set_title(f"{h.id}：{r.var_label(h.roles['y'])}" if r.lang == "zh" else f"{h.id}: {r.var_label(h.roles['y'])}")
    ax.grid(axis="x", color="#eeeeee", zorder=0)
    return fig

def draw_reviewer(r: StudyReport, inst: str) -> Any:
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    rev = r.result(f"{inst}_reviewer")
    rows = list(dict.fromkeys(r.reviewer_scale(s) for s in rev["scale"]))
    cols = list(dict.fromkeys(STATS.get(s, s) for s in rev["statistic"]))
    status = np.full((len(rows), len(cols)), np.nan)
    text = [["" for _ in cols] for _ in rows]
    for s, st, v, passed in zip(rev["scale"], rev["statistic"], rev["value"], rev["passed"]):
        i, j = rows.index(r.reviewer_scale(s)), cols.index(STATS.get(st, st))
        status[i, j] = 1.0 if bool(passed) else 0.0
        text[i][j] = B2(v)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.75 * len(cols) + 2.2), max(2.4, 0.34 * len(rows) + 1.3)))
    cmap = ListedColormap(["#F4B6A6", "#A8D5BA"]).with_extremes(bad="#f2f2f2")
    ax.imshow(np.ma.masked_invalid(status), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            if text[i][j]:
                ax.text(j, i, text[i][j], ha="center", va="center", fontsize=7.5)
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    ax.tick_params(axis="both", length=0, labelsize=8)
    ax.xaxis.tick_top()
    for side in ax.spines.values():
        side.set_visible(False)
    handles = [Patch(color="#A8D5BA", label=r.w["pass"]), Patch(color="#F4B6A6", label=r.w["fail"])]
    fig.legend(handles=handles, loc="outside lower center", ncol=2)
    ax.set_title(r.instrument_name(inst), pad=18)
    return fig


# model -> (result table the figure draws, figure name after the hypothesis id, title, draw function)
_FOREST = ("coefficients", "forest", ("回归系数与 95% CI", "coefficients with 95% CIs"), draw_coef_forest)
HYPOTHESIS_FIGURES: dict[str, tuple[str, str, tuple[str, str], Any]] = {
    "regression": _FOREST, "hierarchical_regression": _FOREST, "multilevel": _FOREST,
    "mediation": ("effects", "indirect", ("间接效应与 Bootstrap 95% CI", "indirect effects with bootstrap 95% CIs"),
                  draw_indirect),
    "moderated_mediation": ("effects", "conditional_indirect", ("条件间接效应", "conditional indirect effects"),
                            draw_conditional_indirect),
    "moderation": ("slopes", "simple_slopes", ("简单斜率与 J–N 边界", "simple slopes and J–N boundaries"),
                   draw_moderation),
    "relative_weights": ("weights", "weights", ("相对权重与 95% CI", "relative weights with 95% CIs"), draw_weights),
}
