"""Report tables of the study's hypotheses (one or more tables per model kind)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from .base import B3, N2, N3, StudyTable, ci_text, p3
from .vocabulary import PARTS, PATHS, SECTION_OF_MODEL

if TYPE_CHECKING:
    from .report import StudyReport


def coef_frame(r: StudyReport, df: pd.DataFrame, *, keep_step: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame()
    if keep_step and "step" in df:
        frame["step"] = df["step"].astype(int)
    frame["term"] = r.row_labels(df)
    for c in ("estimate", "se", "beta", "t", "z", "p"):
        if c in df:
            frame[c] = df[c]
    frame["ci"] = [ci_text(a, b, N3) for a, b in zip(df["ci_low"], df["ci_high"])]
    if "vif" in df:
        frame["vif"] = df["vif"]
    return frame

def estimates_frame(r: StudyReport, df: pd.DataFrame, kind: tuple[str, Mapping[str, tuple[str, str]]],
                    label: str, stat: str) -> pd.DataFrame:
    """A model's rows: their ``kind`` column in the report language (codes looked up in ``kind[1]``), the
    row label as column ``label``, then estimate, se, the test statistic ``stat``, p and the 95% CI."""
    column, names = kind
    return pd.DataFrame({column: [r.t(names.get(v, (v, v))) for v in df[column]], label: r.row_labels(df),
                         "estimate": df["estimate"], "se": df["se"], stat: df[stat], "p": df["p"],
                         "ci": [ci_text(a, b, N3) for a, b in zip(df["ci_low"], df["ci_high"])]})


COEF_FMT = {"estimate": N3, "se": N3, "beta": N3, "t": N2, "z": N2, "p": p3, "vif": N2,
             "w_value": N2, "step": "int"}


def hypothesis_tables(r: StudyReport) -> list[StudyTable]:
    out: list[StudyTable] = []
    zh = r.lang == "zh"
    for h in r.study.hypotheses:
        section = SECTION_OF_MODEL.get(h.model, "regression")
        if h.model == "hierarchical_regression":
            steps = r.result(f"{h.id}_steps")
            if steps is not None:
                frame = pd.DataFrame({
                    "step": steps["step"].astype(int),
                    "terms_added": [", ".join(r.var_label(t.strip()) for t in str(s).split(","))
                                    for s in steps["terms_added"]],  # the model's comma-joined term codes
                    "r2": steps["r2"], "adj_r2": steps["adj_r2"], "delta_r2": steps["delta_r2"],
                    "f_change": steps["f_change"], "df1": steps["df1"].astype(int), "df2": steps["df2"].astype(int),
                    "p": steps["p"]})
                out.append(StudyTable(f"{h.id}_steps", section, r.hypothesis_title(h, ("分层回归各步", "hierarchical steps")),
                                      frame, {"step": "int", "r2": B3, "adj_r2": B3, "delta_r2": B3, "f_change": N2,
                                              "df1": "int", "df2": "int", "p": p3},
                                      {**r.col(*frame.columns), "p": "ΔF 的 p" if zh else "p of F change"},
                                      r.method_note(steps, ("f_change_classical",)), source=f"{h.id}_steps"))
            coef = r.result(f"{h.id}_coefficients")
            if coef is not None:
                frame = coef_frame(r, coef, keep_step=True)
                out.append(StudyTable(f"{h.id}_coefficients", section,
                                      r.hypothesis_title(h, ("各步回归系数", "coefficients by step")),
                                      frame, COEF_FMT, r.col(*frame.columns),
                                      r.method_note(coef) + ("β 为标准化系数。" if zh else " β: standardised coefficient."),
                                      source=f"{h.id}_coefficients"))
        elif h.model == "regression":
            coef = r.result(f"{h.id}_coefficients")
            if coef is not None:
                frame = coef_frame(r, coef)
                out.append(StudyTable(f"{h.id}_coefficients", section, r.hypothesis_title(h, ("回归系数", "coefficients")),
                                      frame, COEF_FMT, r.col(*frame.columns),
                                      r.method_note(coef) + ("β 为标准化系数。" if zh else " β: standardised coefficient."),
                                      source=f"{h.id}_coefficients"))
        elif h.model == "multilevel":
            explained = r.result(f"{h.id}_pseudo_r2")
            if explained is not None and not explained.empty:
                frame = pd.DataFrame({"term": r.row_labels(explained), "estimate": explained["estimate"]})
                out.append(StudyTable(f"{h.id}_pseudo_r2", section, r.hypothesis_title(h, ("伪 R²", "pseudo-R²")), frame,
                                      {"estimate": B3}, {"term": "指标" if zh else "Statistic", "estimate": "估计值" if zh else "Estimate"},
                                      ("第一层、第二层 R²：相对零模型的方差减少比例（Raudenbush & Bryk, 2002）；边际、条件 R²：固定效应、"
                                       "固定与随机效应合计解释的方差比例（Nakagawa & Schielzeth, 2013）。" if zh else
                                       "Level-1 and level-2 R²: proportional reduction of variance against the null model "
                                       "(Raudenbush & Bryk, 2002); marginal and conditional R²: share of variance explained by the "
                                       "fixed effects, and by the fixed and random effects together (Nakagawa & Schielzeth, 2013)."),
                                      source=f"{h.id}_pseudo_r2"))
            for suffix, what in (("null", ("零模型", "null model")), ("coefficients", ("固定效应与随机效应", "fixed and random effects"))):
                df = r.result(f"{h.id}_{suffix}")
                if df is None:
                    continue
                frame = estimates_frame(r, df, ("effect", PARTS), "term", "z")
                has_beta = "beta" in df and df["beta"].notna().any()
                if has_beta:
                    frame["beta"] = df["beta"].to_numpy()
                labels = {**r.col(*frame.columns), "estimate": "估计值" if zh else "Estimate",
                          "beta": "标准化效应" if zh else "Standardised effect"}
                note = r.method_note(df)
                if "n_groups" in df and df["n_groups"].notna().any():
                    note += (f"营业厅数 = {int(df['n_groups'].dropna().iloc[0])}。" if zh else
                             f" Branches = {int(df['n_groups'].dropna().iloc[0])}.")
                if suffix == "coefficients":
                    note += ("后缀“（厅内）”为组均值中心化后的个人偏差，“（营业厅均值）”为营业厅均值。" if zh else
                             " Within: group-mean-centred deviation; branch mean: the branch's mean.")
                if has_beta:
                    note += ("标准化效应 = b × SD(x) / SD(y)，SD 为分析样本的总体（全样本）标准差。" if zh else
                             " Standardised effect: b × SD(x) / SD(y), total-sample SDs of the analysis sample.")
                out.append(StudyTable(f"{h.id}_{suffix}", section, r.hypothesis_title(h, what), frame,
                                      {"estimate": N3, "se": N3, "z": N2, "p": p3, "beta": N3}, labels, note,
                                      source=f"{h.id}_{suffix}"))
        elif h.model == "mediation":
            df = r.result(f"{h.id}_effects")
            if df is not None:
                frame = estimates_frame(r, df, ("path", PATHS), "effect", "t")
                has_std = "std_estimate" in df and df["std_estimate"].notna().any()
                if has_std:
                    frame["std_estimate"] = df["std_estimate"].to_numpy()
                    frame["std_ci"] = [ci_text(a, b, N3) for a, b in zip(df["std_ci_low"], df["std_ci_high"])]
                covar = ", ".join(r.var_label(v) for v in h.roles.get("covar", []))
                boot = boot_of(r, df)
                note = (f"PROCESS 模型 4（Hayes, 2022）；每个自变量单独建模，其余自变量{('及' + covar) if covar else ''}作为控制变量。"
                        f"a、b、c、c′ 为 OLS 估计与 t 检验；间接效应的 SE 为 Bootstrap 标准误，95% CI 来自{boot}，"
                        "区间不含 0 即间接效应显著。" if zh else
                        f"PROCESS model 4 (Hayes, 2022), one model per predictor with the other predictors"
                        f"{(' and ' + covar) if covar else ''} as covariates. a, b, c, c′: OLS with t tests; indirect "
                        f"effect: bootstrap SE and 95% CI ({boot}; significant when it excludes 0).")
                if has_std:
                    kinds = set(df["std_kind"].dropna()) if "std_kind" in df else set()
                    partial = any(str(k).startswith("partial") for k in kinds)
                    note += ("标准化效应：间接效应为完全标准化间接效应 ab × SD(x) / SD(y)（Preacher & Kelley, 2011），"
                             "其 95% CI 来自同一组 Bootstrap 重抽样；a、b、c、c′ 为标准化系数"
                             + ("；自变量为二分变量时为部分标准化效应（除以 SD(y)，不乘 SD(x)；Hayes, 2022）" if partial else "")
                             + "。" if zh else
                             " Standardised effect: completely standardised indirect effect ab × SD(x) / SD(y) "
                             "(Preacher & Kelley, 2011) with a 95% CI from the same bootstrap resamples; a, b, c, c′: "
                             "standardised coefficients"
                             + ("; for a dichotomous predictor, partially standardised (divided by SD(y) only; Hayes, 2022)"
                                if partial else "") + ".")
                out.append(StudyTable(f"{h.id}_effects", section, r.hypothesis_title(h, ("中介效应", "mediation effects")),
                                      frame, {"estimate": N3, "se": N3, "t": N2, "p": p3, "std_estimate": N3},
                                      {**r.col(*frame.columns), "estimate": "效应值" if zh else "Effect",
                                       "std_estimate": "标准化效应" if zh else "Standardised effect",
                                       "std_ci": "标准化效应 95% CI" if zh else "Standardised effect 95% CI"}, note,
                                      source=f"{h.id}_effects"))
        elif h.model == "moderation":
            df = r.result(f"{h.id}_slopes")
            if df is not None:
                part = df[df["part"] != "johnson_neyman"] if "part" in df else df
                frame = moderation_frame(r, part)
                out.append(StudyTable(f"{h.id}_slopes", section, r.hypothesis_title(h, ("调节效应与简单斜率", "moderation and simple slopes")),
                                      frame, COEF_FMT, {**r.col(*frame.columns), "estimate": "b"},
                                      r.method_note(part) + (
                                          f"简单斜率取调节变量（{r.var_label(h.roles['w'])}）的均值及 ±1 SD。" if zh else
                                          f" Simple slopes at the mean of the moderator ({r.var_label(h.roles['w'])}) and ±1 SD."),
                                      source=f"{h.id}_slopes"))
            jn = r.result(f"{h.id}_johnson_neyman")
            if jn is not None:
                frame = moderation_frame(r, jn)
                out.append(StudyTable(f"{h.id}_johnson_neyman", section,
                                      r.hypothesis_title(h, ("Johnson–Neyman 显著性区域边界", "Johnson–Neyman boundaries")),
                                      frame, COEF_FMT, {**r.col(*frame.columns), "estimate": "b"},
                                      ("在边界处条件效应的 p = .05（Johnson & Neyman, 1936; Hayes, 2022）。" if zh else
                                       "At a boundary the conditional effect has p = .05 (Johnson & Neyman, 1936; Hayes, 2022)."),
                                      source=f"{h.id}_johnson_neyman"))
        elif h.model == "moderated_mediation":
            df = r.result(f"{h.id}_effects")
            if df is not None:
                frame = moderation_frame(r, df)
                boot = boot_of(r, df)
                note = (f"PROCESS 模型 7（Hayes, 2022）：第一阶段受调节的中介。有调节的中介指数与条件间接效应的 95% CI 来自{boot}；"
                        "指数的区间不含 0 即存在有调节的中介（Hayes, 2015）。" if zh else
                        f"PROCESS model 7 (Hayes, 2022), first-stage moderated mediation. Index of moderated mediation "
                        f"and conditional indirect effects with 95% CIs ({boot}); an index "
                        "interval excluding 0 indicates moderated mediation (Hayes, 2015).")
                out.append(StudyTable(f"{h.id}_effects", section, r.hypothesis_title(h, ("有调节的中介", "moderated mediation")),
                                      frame, COEF_FMT, {**r.col(*frame.columns), "estimate": "效应值" if zh else "Effect"},
                                      note, source=f"{h.id}_effects"))
        elif h.model == "relative_weights":
            df = r.result(f"{h.id}_weights")
            if df is not None:
                frame = pd.DataFrame({"term": r.row_labels(df), "weight": df["estimate"],
                                      "ci": [ci_text(a, b, B3) for a, b in zip(df["ci_low"], df["ci_high"])],
                                      "rescaled": df["rescaled"],
                                      "rescaled_ci": [ci_text(a, b, N2) for a, b in zip(df["rescaled_ci_low"], df["rescaled_ci_high"])],
                                      "rank": df["rank"].astype(int)})
                r2 = B3(df["r2"].iloc[0]) if "r2" in df else ""
                boot = boot_of(r, df)
                note = (f"Johnson（2000）相对权重法；原始权重之和等于 R² = {r2}，相对权重为其占 R² 的百分比；"
                        f"95% CI（Tonidandel & LeBreton, 2011）来自{boot}。n = {int(df['n'].iloc[0])}。" if zh else
                        f"Johnson (2000) relative weights; raw weights sum to R² = {r2}, rescaled weights are percentages "
                        f"of R²; 95% CIs: {boot} (Tonidandel & LeBreton, 2011). "
                        f"n = {int(df['n'].iloc[0])}.")
                out.append(StudyTable(f"{h.id}_weights", section, r.hypothesis_title(h, ("相对权重", "relative weights")),
                                      frame, {"weight": B3, "rescaled": N2, "rank": "int"},
                                      {**r.col(*frame.columns), "ci": "原始权重 95% CI" if zh else "Raw weight 95% CI"},
                                      note, source=f"{h.id}_weights"))
    return out

def boot_of(r: StudyReport, df: pd.DataFrame) -> str:
    """How the bootstrapped rows of ``df`` were resampled (the first row with ``n_boot``), in words."""
    rows = df[df["n_boot"].notna()] if "n_boot" in df else df.iloc[:0]
    return r.boot_text(rows.iloc[0].to_dict() if len(rows) else {})


def moderation_frame(r: StudyReport, df: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({"part": [r.t(PARTS.get(p, (p, p))) for p in df["part"]],
                          "term": r.row_labels(df)})
    if "w_value" in df:
        frame["w_value"] = df["w_value"].to_numpy()
    for c in ("estimate", "se", "t", "p"):
        if c in df:
            frame[c] = df[c].to_numpy()
    frame["ci"] = [ci_text(a, b, N3) for a, b in zip(df["ci_low"], df["ci_high"])]
    return frame
