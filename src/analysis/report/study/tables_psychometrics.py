"""Report tables of reliability, validity, the reviewer checklist and common-method checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..tables import format_number
from .base import B2, B3, N2, N3, StudyTable, ci_text, is_missing, p3
from .vocabulary import COLS, ESTIMATOR_OF_MISSING, MISSING, RULES, SOURCES, STATS

if TYPE_CHECKING:
    from .report import StudyReport


def _first(df: pd.DataFrame | None, col: str) -> str | None:
    if df is None or col not in df or not df[col].notna().any():
        return None
    return str(df[col].dropna().iloc[0])


def n_text(df: pd.DataFrame | None) -> str:
    """``N = 365`` when every row has the same n, ``n = 350–365`` otherwise; empty without an n column."""
    if df is None or "n" not in df or not df["n"].notna().any():
        return ""
    lo, hi = int(df["n"].min()), int(df["n"].max())
    return f"N = {lo}" if lo == hi else f"n = {lo}–{hi}"


def sample_note(r: StudyReport, df: pd.DataFrame | None, *, estimator: bool = True) -> str:
    """The estimator, the handling of missing answers and n of a result, from its structured columns
    ``estimator``, ``missing`` and ``n`` (when present), e.g. ``估计：FIML（全信息最大似然，纳入所有作答者），N = 365。``"""
    zh = r.lang == "zh"
    missing = _first(df, "missing")
    est = (_first(df, "estimator") or ESTIMATOR_OF_MISSING.get(missing or "")) if estimator else None
    how = r.t(MISSING[missing]) if missing in MISSING else missing
    n = n_text(df)
    if est:
        text = (f"估计：{est}" if zh else f"Estimator: {est}") + (f"（{how}）" if zh and how else f" ({how})" if how else "")
    else:
        text = (how[0].upper() + how[1:] if how and not zh else how) or ""
    pair = _first(df, "n_pair_min") if missing == "pairwise" else None
    pair = (f"每对题项至少 {int(float(pair))} 人" if zh else f"at least {int(float(pair))} per pair") if pair else ""
    text = ("，" if zh else ", ").join(x for x in (text, n, pair) if x)
    return text + ("。" if zh else ".") if text else ""


#: The note of the HTMT table, by the ratio shown; ``other`` names the result table of the other one.
HTMT_NOTES = {
    "htmt": (("HTMT 为异质-单质相关均值之比（算术平均；Henseler et al., 2015）；semTools 的 htmt() 默认报告几何平均的 HTMT2"
              "（Roemer et al., 2021），见结果表 {other}。"),
             ("HTMT is the heterotrait-monotrait ratio of arithmetic mean correlations (Henseler et al., 2015); semTools' "
              "htmt() reports the geometric-mean HTMT2 by default (Roemer et al., 2021), in result table {other}.")),
    "htmt2": (("HTMT2 为异质-单质相关的几何平均之比（Roemer et al., 2021；semTools 的 htmt() 默认）；算术平均的 HTMT"
               "（Henseler et al., 2015）见结果表 {other}。"),
              ("HTMT2 is the heterotrait-monotrait ratio of geometric mean correlations (Roemer et al., 2021; semTools' "
               "htmt() default); the arithmetic-mean HTMT (Henseler et al., 2015) is in result table {other}.")),
}


def result_file(r: Any, name: str) -> str:
    """The name a reader finds result table ``name`` under (``analyze --instrument`` drops the instrument prefix)."""
    return r.result_file(name) if hasattr(r, "result_file") else name


def cr_ave_source(r: Any, inst: str) -> str:
    """The CR/AVE result table the study file chooses (``cr_ave: standardized`` or ``observed``)."""
    return f"{inst}_cr_ave_observed" if r.study.cr_ave == "observed" else f"{inst}_cr_ave"


def cr_ave_note(r: Any, inst: str, crave: pd.DataFrame | None) -> str:
    """Which CR/AVE the table shows, where the other is, and the CFA's estimator and n."""
    if crave is None:
        return ""
    zh = r.lang == "zh"
    if cr_ave_source(r, inst).endswith("_observed"):
        text = ("CR 与 AVE 按 semTools 的 compRelSEM()/AVE() 计算（以观测方差为分母）；按标准化载荷计算的版本"
                f"（Fornell & Larcker, 1981）见结果表 {result_file(r, f'{inst}_cr_ave')}。" if zh else
                "CR and AVE as semTools' compRelSEM()/AVE() compute them (over the observed variance); the version from the "
                f"standardised loadings (Fornell & Larcker, 1981) is in result table {result_file(r, f'{inst}_cr_ave')}.")
    else:
        text = ("CR 与 AVE 来自验证性因子分析的标准化载荷（Fornell & Larcker, 1981）；semTools 的 compRelSEM()/AVE() "
                f"以观测方差为分母，其值见结果表 {result_file(r, f'{inst}_cr_ave_observed')}。" if zh else
                "CR and AVE from the standardised CFA loadings (Fornell & Larcker, 1981); semTools' compRelSEM()/AVE() "
                f"divide by the observed variance instead (result table {result_file(r, f'{inst}_cr_ave_observed')}).")
    return text + _prefixed(r, "CFA ", sample_note(r, crave))


def _prefixed(r: Any, what: str, note: str) -> str:
    """``note`` said of ``what`` (``α 与 ω：列表删除…``, ``CFA estimator: FIML…``)."""
    if not note:
        return ""
    return f"{what}{note}" if r.lang == "zh" else f" {what}{note[0].lower()}{note[1:]}"


def omega_h_note(r: Any, om: pd.DataFrame | None) -> str:
    """ω hierarchical and ω total of all items (Schmid-Leiman, as psych's omega), with its sample."""
    if om is None or om.empty:
        return ""
    row = om.iloc[0]
    nf = int(row["n_factors"])
    text = (f"全部题项的 ω_h = {B2(row['omega_h'])}，ω_t = {B2(row['omega_total'])}（Schmid–Leiman 双因子分解，{nf} 个群因子，"
            f"同 psych 的 omega()；McDonald, 1999）。" if r.lang == "zh" else
            f"All items: ω_h = {B2(row['omega_h'])}, ω_t = {B2(row['omega_total'])} (Schmid–Leiman, {nf} group factors, as "
            "psych's omega(); McDonald, 1999). ")
    return text + _prefixed(r, "ω_h：" if r.lang == "zh" else "ω_h: ", sample_note(r, om, estimator=False)).lstrip()


def psychometric_tables(r: StudyReport) -> list[StudyTable]:
    out: list[StudyTable] = []
    zh = r.lang == "zh"
    for inst in r.survey_instruments:
        iname = r.instrument_name(inst)
        sep = "：" if zh else ": "

        def title(zh_text: str, en_text: str) -> str:
            return f"{iname}{sep}{zh_text if zh else en_text}"

        rel = r.result(f"{inst}_reliability")
        if rel is not None:
            frame = pd.DataFrame({"scale": rel["scale"].map(r.scale_label), "k": rel["k"].astype(int),
                                  "n": rel["n"].astype(int), "alpha": rel["alpha"],
                                  "alpha_ci": [ci_text(a, b, B3) for a, b in zip(rel["ci_low"], rel["ci_high"])],
                                  "omega": rel["omega"]})
            crave = r.result(cr_ave_source(r, inst))
            if crave is not None:
                m = crave.set_index("factor")
                frame["cr"] = rel["scale"].map(m["cr"]).to_numpy()
                frame["ave"] = rel["scale"].map(m["ave"]).to_numpy()
            method = str(rel["ci_method"].iloc[0]) if "ci_method" in rel else ""
            note = (f"α 的 95% CI 采用 {method.capitalize()} 法；ω 为单因子模型的 McDonald's ω。临界值：α、ω、CR ≥ .70，AVE ≥ .50。"
                    if zh else f"95% CI of α by the {method.capitalize()} method; ω is McDonald's omega from a one-factor "
                    "model. Thresholds: α, ω, CR ≥ .70; AVE ≥ .50.")
            alpha_n = _prefixed(r, "α 与 ω：" if zh else "α and ω: ", sample_note(r, rel, estimator=False)).strip()
            note = " ".join(x for x in (alpha_n, note, cr_ave_note(r, inst, crave),
                                        omega_h_note(r, r.result(f"{inst}_omega_hierarchical"))) if x)
            note = note.replace("。 ", "。") if zh else note
            out.append(StudyTable(f"{inst}_reliability_validity", "psychometrics", title("信度与聚合效度", "Reliability and convergent validity"),
                                  frame, {"alpha": B3, "omega": B3, "cr": B3, "ave": B3, "k": "int", "n": "int"},
                                  r.col(*frame.columns), note, source=f"{inst}_reliability"))
        items = r.result(f"{inst}_item_stats")
        if items is not None:
            cols = [c for c in ("scale", "item", "n", "mean", "sd", "skew", "r_drop", "alpha_if_deleted") if c in items]
            frame = items[cols].copy()
            frame["scale"] = frame["scale"].map(r.scale_label)
            note = ("校正项总相关为题项与同维度其余题项之和的相关。" if zh else
                    "Corrected item–total r correlates each item with the sum of the other items of its scale. ") + \
                sample_note(r, items, estimator=False)
            out.append(StudyTable(f"{inst}_item_stats", "psychometrics", title("题项描述统计", "Item statistics"),
                                  frame, {"n": "int", "mean": N2, "sd": N2, "skew": N2, "r_drop": B2,
                                          "alpha_if_deleted": B3},
                                  r.col(*cols), note, source=f"{inst}_item_stats"))
        kmo, bart = r.result(f"{inst}_kmo"), r.result(f"{inst}_bartlett")
        if kmo is not None or bart is not None:
            row: dict[str, Any] = {}
            if kmo is not None:
                overall = kmo[kmo["item"] == "overall"]
                row["kmo"] = float(overall["kmo"].iloc[0]) if not overall.empty else np.nan
            if bart is not None:
                row.update({"chisq": float(bart["chisq"].iloc[0]), "df": int(bart["df"].iloc[0]),
                            "p": float(bart["p"].iloc[0]), "n": int(bart["n"].iloc[0])})
            frame = pd.DataFrame([row])
            per_scale = r.result(f"{inst}_kmo_scales")
            if per_scale is not None:  # all items first, then each scale's items alone
                frame.insert(0, "scale", r.w["overall"])
                frame.insert(1, "k", len(kmo) - 1 if kmo is not None else int(bart["k"].iloc[0]))
                scales = per_scale.assign(scale=per_scale["scale"].map(r.scale_label))
                frame = pd.concat([frame, scales[[c for c in frame.columns if c in scales]]], ignore_index=True)
            labels = r.col(*frame.columns)
            if "chisq" in labels:
                labels["chisq"] = "Bartlett χ²"
            note = ("KMO > .70 视为适合因子分析（Kaiser, 1974）。" if zh else "KMO > .70 is adequate (Kaiser, 1974). ") + \
                sample_note(r, kmo if kmo is not None else bart, estimator=False)
            out.append(StudyTable(f"{inst}_kmo_bartlett", "psychometrics", title("KMO 与 Bartlett 球形检验", "KMO and Bartlett's test"),
                                  frame, {"kmo": B3, "chisq": N2, "df": "int", "p": p3, "n": "int", "k": "int"},
                                  labels, note, source=f"{inst}_kmo,{inst}_bartlett" + (f",{inst}_kmo_scales" if per_scale is not None else "")))
        efa = r.result(f"{inst}_efa_loadings")
        if efa is not None:
            wide = efa.pivot(index="item", columns="factor", values="loading")
            items_order = list(dict.fromkeys(efa["item"]))
            factors = list(dict.fromkeys(efa["factor"]))
            wide = wide.loc[items_order, factors]
            frame = pd.DataFrame({"item": items_order})
            for f in factors:
                frame[f] = [v if abs(v) >= 0.30 else np.nan for v in wide[f].to_numpy(float)]
            frame["communality"] = efa.drop_duplicates("item").set_index("item").loc[items_order, "communality"].to_numpy()
            note = ("探索性因子分析的旋转后载荷；绝对值小于 .30 的载荷未显示。因子数由平行分析确定。" if zh else
                    "Rotated EFA loadings; loadings below .30 in absolute value are not shown. "
                    "The number of factors follows parallel analysis. ") + sample_note(r, efa)
            out.append(StudyTable(f"{inst}_efa_loadings", "psychometrics", title("探索性因子分析载荷", "Exploratory factor loadings"),
                                  frame, {**{f: B2 for f in factors}, "communality": B2},
                                  {**r.col("item", "communality"), **{f: f for f in factors}}, note,
                                  source=f"{inst}_efa_loadings"))
        var = r.result(f"{inst}_efa_variance")
        if var is not None:
            frame = var[["factor", "ss_loadings", "proportion", "cumulative"]]
            out.append(StudyTable(f"{inst}_efa_variance", "psychometrics", title("因子解释方差", "Variance explained by the factors"),
                                  frame, {"ss_loadings": N2, "proportion": B3, "cumulative": B3},
                                  r.col(*frame.columns), None, source=f"{inst}_efa_variance"))
        fit = r.result(f"{inst}_cfa_fit")
        if fit is not None:
            frame = pd.DataFrame({
                "model": [r.w.get(str(m), str(m)) for m in fit["model"]], "n": fit["n"].astype(int),
                "chisq": fit["chisq"], "df": fit["df"].astype(int), "chisq_df": fit["chisq_df"], "p": fit["p"], "cfi": fit["cfi"],
                "tli": fit["tli"], "rmsea": fit["rmsea"],
                "rmsea_ci": [ci_text(a, b, B3) for a, b in zip(fit["rmsea_ci_low"], fit["rmsea_ci_high"])],
                "srmr": fit["srmr"]})
            note = sample_note(r, fit) + ("" if zh else " ") + ("拟合标准：CFI、TLI ≥ .90，RMSEA、SRMR ≤ .08（Hu & Bentler, 1999）；RMSEA 的置信区间为 90%。"
                                if zh else "Criteria: CFI, TLI ≥ .90; RMSEA, SRMR ≤ .08 (Hu & Bentler, 1999); "
                                "the RMSEA interval is 90%.")
            out.append(StudyTable(f"{inst}_cfa_fit", "psychometrics", title("验证性因子分析拟合指标", "Confirmatory factor analysis fit"),
                                  frame, {"chisq": N2, "df": "int", "chisq_df": N2, "p": p3, "cfi": B3, "tli": B3, "rmsea": B3,
                                          "srmr": B3, "n": "int"},
                                  r.col(*frame.columns), note, source=f"{inst}_cfa_fit"))
        load = r.result(f"{inst}_cfa_loadings")
        if load is not None:
            frame = pd.DataFrame({"scale": load["scale"].map(r.scale_label), "item": load["item"],
                                  "std_all": load["std_all"], "std_all_se": load["std_all_se"],
                                  "z": load["z"], "p": load["p"]})
            note = ("标准化载荷（潜变量方差固定为 1）；z 与 p 来自未标准化估计。" if zh else
                    "Standardised loadings; z and p refer to the unstandardised estimates. ") + sample_note(r, fit)
            out.append(StudyTable(f"{inst}_cfa_loadings", "psychometrics", title("验证性因子分析标准化载荷", "Standardised CFA loadings"),
                                  frame, {"std_all": B3, "std_all_se": N3, "z": N2, "p": p3},
                                  r.col(*frame.columns), note, source=f"{inst}_cfa_loadings"))
        fl = r.result(f"{inst}_fornell_larcker")
        if fl is not None:
            factors = list(dict.fromkeys(fl["factor"]))
            corr = {frozenset((a, b)): v for a, b, v in zip(fl["factor"], fl["other"], fl["correlation"]) if a != b}
            diag = dict(zip(fl["factor"], fl["sqrt_ave"]))
            frame = r.lower_matrix(factors, corr, lambda a: B2(diag.get(a, np.nan)))
            note = ("对角线为 AVE 的平方根，其下为潜变量间相关；对角线值大于同行同列的相关即具有区分效度（Fornell & Larcker, 1981）。"
                    if zh else "Diagonal: square root of AVE; below it, latent correlations. Discriminant validity holds "
                    "where the diagonal exceeds the correlations in its row and column (Fornell & Larcker, 1981). ") + \
                sample_note(r, fit)
            out.append(StudyTable(f"{inst}_fornell_larcker", "psychometrics", title("区分效度：Fornell–Larcker 准则", "Discriminant validity: Fornell–Larcker criterion"),
                                  frame, {}, {"variable": r.t(COLS["variable"])}, note,
                                  source=f"{inst}_fornell_larcker"))
        variant = r.study.htmt
        source = f"{inst}_htmt2" if variant == "htmt2" else f"{inst}_htmt"
        ht = r.result(source)
        if ht is not None:
            factors = list(dict.fromkeys(list(ht["factor"]) + list(ht["other"])))
            vals = {frozenset((a, b)): v for a, b, v in zip(ht["factor"], ht["other"], ht["htmt"])}
            frame = r.lower_matrix(factors, vals, lambda a: "—")
            other = f"{inst}_htmt" if variant == "htmt2" else f"{inst}_htmt2"
            note = (HTMT_NOTES[variant][0 if zh else 1].format(other=result_file(r, other))
                    + ("HTMT < .85 支持区分效度。" if zh else " HTMT < .85 supports discriminant validity. ")
                    + sample_note(r, ht, estimator=False))
            name = "HTMT2" if variant == "htmt2" else "HTMT"
            out.append(StudyTable(f"{inst}_htmt", "psychometrics", title(f"区分效度：{name} 比率", f"Discriminant validity: {name} ratios"),
                                  frame, {}, {"variable": r.t(COLS["variable"])}, note, source=source))
        rev = r.result(f"{inst}_reviewer")
        if rev is not None:
            frame = pd.DataFrame({
                "source": [r.t(SOURCES.get(s, (s, s))) for s in rev["source"]],
                "scale": [r.reviewer_scale(s) for s in rev["scale"]],
                "statistic": [STATS.get(s, s) for s in rev["statistic"]],
                "value": rev["value"],
                "criterion": [f"{RULES.get(rule, rule)} {B2(t)}" for rule, t in zip(rev["rule"], rev["threshold"])],
                "result": [r.w["pass"] if bool(p) else r.w["fail"] for p in rev["passed"]],
            })
            note = ("临界值为惯例而非定律：α、ω、CR ≥ .70（Nunnally & Bernstein, 1994），AVE ≥ .50（Fornell & Larcker, 1981），"
                    "CFI、TLI ≥ .90，RMSEA、SRMR ≤ .08（Hu & Bentler, 1999），KMO > .70（Kaiser, 1974），"
                    "rwg(j) ≥ .70（LeBreton & Senter, 2008），ICC(1) > .05（Bliese, 2000）。" if zh else
                    "Thresholds are conventions: α, ω, CR ≥ .70 (Nunnally & Bernstein, 1994); AVE ≥ .50 (Fornell & "
                    "Larcker, 1981); CFI, TLI ≥ .90 and RMSEA, SRMR ≤ .08 (Hu & Bentler, 1999); KMO > .70 (Kaiser, "
                    "1974); rwg(j) ≥ .70 (LeBreton & Senter, 2008); ICC(1) > .05 (Bliese, 2000).")
            out.append(StudyTable(f"{inst}_reviewer", "psychometrics", title("审稿人核查表", "Reviewer checklist"),
                                  frame, {"value": B3}, r.col(*frame.columns), note, source=f"{inst}_reviewer"))
        probs = r.result(f"{inst}_problems")
        if probs is not None:
            frame = probs.copy()
            if "scale" in frame:
                frame["scale"] = frame["scale"].map(r.scale_label)
            out.append(StudyTable(f"{inst}_problems", "psychometrics", title("分析中发现的问题", "Problems found"),
                                  frame, {}, r.col(*frame.columns), None, source=f"{inst}_problems"))
    return out


def common_method_tables(r: StudyReport) -> list[StudyTable]:
    out = []
    zh = r.lang == "zh"
    for inst, cm in r.instrument_results("common_method"):
        rows = []
        for row in cm.itertuples(index=False):
            rd = row._asdict()
            flag = bool(rd.get("flag")) if not is_missing(rd.get("flag")) else False
            if rd["test"] == "harman_single_factor":
                rows.append({
                    "test": "Harman 单因子检验" if zh else "Harman's single-factor test",
                    "statistic": "首个未旋转因子解释的方差比例" if zh else "Variance share of the first unrotated factor",
                    "value": B3(rd["estimate"]),
                    "criterion": f"< {B2(rd['threshold'])}",
                    "result": ("超过临界值" if flag else "未超过临界值") if zh else ("above threshold" if flag else "below threshold"),
                })
            elif rd["test"] == "single_factor_cfa":
                rows.append({
                    "test": "单因子 CFA 对比" if zh else "Single-factor CFA comparison",
                    "statistic": f"Δχ²({format_number(rd.get('delta_df'), 0)})，ΔCFI" if zh
                    else f"Δχ²({format_number(rd.get('delta_df'), 0)}), ΔCFI",
                    "value": f"{N2(rd['delta_chisq'])}（p {r.p_phrase(rd['p'])}），{B3(rd['delta_cfi'])}" if zh
                    else f"{N2(rd['delta_chisq'])} (p {r.p_phrase(rd['p'])}), {B3(rd['delta_cfi'])}",
                    "criterion": (f"单因子 CFI = {B3(rd['cfi_single'])}，测量模型 CFI = {B3(rd['cfi_model'])}" if zh else
                                  f"single-factor CFI = {B3(rd['cfi_single'])}, measurement CFI = {B3(rd['cfi_model'])}"),
                    "result": ("单因子模型拟合显著更差" if not flag else "单因子模型拟合不差") if zh
                    else ("single factor fits worse" if not flag else "single factor fits as well"),
                })
            else:
                rows.append({"test": str(rd["test"]), "statistic": "", "value": N3(rd.get("estimate")),
                             "criterion": N2(rd.get("threshold")), "result": str(flag)})
        frame = pd.DataFrame(rows)
        caveats = [str(c) for c in cm.get("caveat", pd.Series(dtype=str)).dropna().unique()]
        note = ("Harman 单因子检验很弱：只能发现强到使单一因子占主导的方法变异，且不能控制它；单因子模型拟合更差也不能排除共同方法变异"
                "（Podsakoff et al., 2003, doi:10.1037/0021-9010.88.5.879）。结论应结合程序控制（匿名作答、题项顺序）一并报告。"
                if zh else " ".join(c[0].upper() + c[1:] + ("" if c.endswith(".") else ".") for c in caveats))
        note = note + ("" if zh else " ") + sample_note(r, cm)
        sep = "：" if zh else ": "
        out.append(StudyTable(f"{inst}_common_method", "common_method",
                              f"{r.instrument_name(inst)}{sep}" + ("共同方法偏差检验" if zh else "Common-method checks"),
                              frame, {}, r.col(*frame.columns), note, source=f"{inst}_common_method"))
    return out
