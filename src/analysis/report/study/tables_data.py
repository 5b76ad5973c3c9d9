"""Report tables of the sample, screening, Table 1, aggregation, target fairness and waves."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..tables import stars
from .base import B2, B3, N0, N2, N3, StudyTable, ci_text, is_missing, num, p3
from .tables_hypotheses import COEF_FMT, coef_frame
from .tables_psychometrics import sample_note
from .vocabulary import (
    COLS,
    INVARIANCE_STEPS,
    ITEM_CHANGES,
    REASONS,
    WAVE_COLS,
    WAVE_REASONS,
    WAVE_TITLES,
    YES_NO,
    W,
)

if TYPE_CHECKING:
    from .report import StudyReport


def sample_tables(r: StudyReport) -> list[StudyTable]:
    df = r.result("sample")
    if df is None:
        return []
    counts = ["rows_read", "rows_accepted", "rows_quarantined"]
    frame = df.assign(instrument=df["instrument"].map(r.instrument_name))[["instrument", "file", *counts]]
    total = {"instrument": r.w["total"], "file": "", **{c: int(df[c].sum()) for c in counts}}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    note = ("读取行数 = 接受行数 + 隔离行数；被隔离的行及原因见下表。" if r.lang == "zh" else
            "Rows read = rows accepted + rows quarantined; quarantine reasons follow.")
    title = "样本与数据接收情况" if r.lang == "zh" else "Sample and data received"
    out = [StudyTable("sample", "sample", title, frame, {c: "int" for c in counts},
                      r.col("instrument", "file", *counts), note, source="sample")]
    rates = r.result("response_rates")
    if rates is not None and not rates.empty:
        zh = r.lang == "zh"
        frame = pd.DataFrame({
            "level": ["全公司" if zh and lv == "company" else "区局" if zh else lv for lv in rates["level"]],
            "unit": ["—" if u == "all" else u for u in rates["unit"]], "branches": rates["branches"].astype(int),
            "employed": rates["employed"].astype(int), "respondents": rates["respondents"].astype(int),
            "rate": rates["rate"]})
        labels = {"level": "层级" if zh else "Level", "unit": "单位" if zh else "Unit",
                  "branches": "营业厅数" if zh else "Branches", "employed": "在岗人数" if zh else "Staff employed",
                  "respondents": "有效答卷" if zh else "Respondents analysed", "rate": "回收率" if zh else "Response rate"}
        rnote = ("回收率 = 纳入分析的员工答卷数 / 在岗人数。全公司与各区局均只计公开结果的营业厅（答卷不少于 k 份），"
                 "“营业厅数”为所计营业厅，以免相减推算出小营业厅。" if zh else
                 "Response rate = staff respondents analysed / staff employed. The company and district rows count only "
                 "branches whose results are shown (at least k respondents; Branches: how many are counted), so no "
                 "subtraction reveals a small branch.")
        out.append(StudyTable("response_rates", "sample", "员工问卷回收率" if zh else "Staff survey response rates", frame,
                              {"branches": "int", "employed": "int", "respondents": "int", "rate": B3}, labels, rnote,
                              source="response_rates"))
    return out

def screening_tables(r: StudyReport) -> list[StudyTable]:
    out = []
    q = r.result("quarantine_summary")
    if q is not None:
        frame = pd.DataFrame({
            "instrument": q["instrument"].map(r.instrument_name), "file": q["file"],
            "reason": [r.t(REASONS.get(code, (code, code))) for code in q["reason"]], "rows": q["rows"].astype(int),
        })
        title = "隔离记录的原因" if r.lang == "zh" else "Quarantined rows by reason"
        note = ("每个隔离行只记一个首要原因；原始文件未作修改。" if r.lang == "zh" else
                "Each quarantined row is counted once, under its first reason; raw files are unchanged.")
        out.append(StudyTable("screening_quarantine", "screening", title, frame, {"rows": "int"},
                              r.col("instrument", "file", "reason", "rows"), note, source="quarantine_summary"))
    excluded = r.info.get("excluded") or {}
    if excluded:
        ds = r.study.datasets
        who = {"careless": ds.respondents, "careless_ratings": ds.ratings.instrument if ds.ratings else None}
        rows = []
        for key, value in excluded.items():
            inst = who.get(key)
            rows.append({"group": r.instrument_name(inst) if inst else key, "count": int(value)})
        frame = pd.DataFrame(rows)
        title = "粗心作答者的剔除" if r.lang == "zh" else "Careless responders excluded"
        note = ("粗心作答依据作答时长过短、长串相同作答与个体内变异过低识别（Curran, 2016），在评分阶段标记，不进入模型。"
                if r.lang == "zh" else
                "Careless responding was flagged at scoring (too fast, long strings, low intra-individual "
                "variability; Curran, 2016) and these respondents were left out of the models.")
        out.append(StudyTable("screening_careless", "screening", title, frame, {"count": "int"},
                              r.col("group", "count"), note, source="results.json:excluded"))
    return out


def table1(r: StudyReport) -> list[StudyTable]:
    t1 = r.result("table1")
    if t1 is None:
        return []
    corr = r.result("correlations")
    marks: dict[frozenset, str] = {}
    if corr is not None:
        for row in corr.itertuples(index=False):
            mark = row.marks if "marks" in corr.columns and isinstance(row.marks, str) else stars(row.p)
            marks[frozenset((row.var1, row.var2))] = mark
    names = list(t1["variable"])
    frame = pd.DataFrame({"variable": [f"{i + 1}. {r.var_label(v)}" for i, v in enumerate(names)],
                          "n": t1["n"].astype(int), "mean": t1["mean"], "sd": t1["sd"]})
    for j, b in enumerate(names):
        cells = []
        for i, a in enumerate(names):
            v = t1.loc[i, b] if b in t1.columns else np.nan
            if j < i:
                cells.append(B2(v) + marks.get(frozenset((a, b)), "") if not is_missing(v) else "")
            elif j == i:
                cells.append(f"({B2(v)})" if not is_missing(v) else "—")
            else:
                cells.append("")
        frame[str(j + 1)] = cells
    labels = {**r.col("variable", "n", "mean", "sd"), **{str(j + 1): str(j + 1) for j in range(len(names))}}
    zh = r.lang == "zh"
    missing = corr is not None and "missing" in corr and corr["missing"].notna().any()
    note = ("对角线括号内为 Cronbach's α；相关为 Pearson 相关" + ("" if missing else "（成对删除）") + "。"
            if zh else "Cronbach's α on the diagonal in parentheses; Pearson correlations"
            + ("" if missing else " with pairwise deletion") + ". ")
    note += sample_note(r, corr, estimator=False) + ("已剔除粗心作答者。" if zh else " Careless responders excluded.")
    note += " " + W[r.lang]["sig"]
    title = "变量的均值、标准差与相关系数" if zh else "Means, standard deviations and correlations"
    return [StudyTable("correlations", "table1", title, frame, {"mean": N2, "sd": N2, "n": "int"}, labels, note,
                       source="table1,correlations")]

def aggregation_tables(r: StudyReport) -> list[StudyTable]:
    out = []
    zh = r.lang == "zh"
    for inst, icc in r.instrument_results("icc"):
        cols = ["scale", "n_groups", "mean_group_size", "f", "p", "icc1", "icc2", "rwg_j_mean", "rwg_j_median",
                "share_rwg_ok"]
        frame = icc[[c for c in cols if c in icc]].copy()
        frame["scale"] = frame["scale"].map(r.scale_label)
        frame["n_groups"] = frame["n_groups"].astype(int)
        note = ("ICC(1)、ICC(2) 来自单因素方差分析（Bliese, 2000）；rwg(j) 以均匀分布为虚无分布（James et al., 1984），"
                "“rwg(j) ≥ .70 比例”为达到 .70 的营业厅所占比例。" if zh else
                "ICC(1) and ICC(2) from one-way ANOVA (Bliese, 2000); rwg(j) against a uniform null (James et al., "
                "1984); the share is the proportion of branches with rwg(j) ≥ .70.")
        sep = "：" if zh else ": "
        out.append(StudyTable(f"{inst}_aggregation", "aggregation",
                              f"{r.instrument_name(inst)}{sep}" + ("聚合指标" if zh else "Aggregation indices"),
                              frame, {"mean_group_size": N2, "f": N2, "p": p3, "icc1": B3, "icc2": B3,
                                      "rwg_j_mean": B3, "rwg_j_median": B3, "share_rwg_ok": B2, "n_groups": "int"},
                              r.col(*frame.columns), note, source=f"{inst}_icc"))
    return out

# -- hypotheses


def target_tables(r: StudyReport) -> list[StudyTable]:
    out = []
    zh = r.lang == "zh"
    exp = r.result("target_expectation")
    if exp is not None:
        frame = coef_frame(r, exp)
        note = ("以营业厅客观因素预测对数销售额（跨营业厅 OLS），得到每个营业厅的客观销售预期。" if zh else
                "Log sales regressed on objective branch factors across branches, giving each branch's objective "
                "sales expectation.") + " " + r.method_note(exp)
        out.append(StudyTable("target_expectation", "targets",
                              "指标公平性：销售客观预期模型" if zh else "Target fairness: objective sales expectation",
                              frame, COEF_FMT, r.col(*frame.columns), note, source="target_expectation"))
    gaps = r.result("target_gaps")
    if gaps is not None:
        frame = gaps[[c for c in ("branch_id", "target", "actual", "expected", "gap_ratio", "log_gap") if c in gaps]]
        note = ("对数偏差 = ln(下达指标 / 客观预期)：0 表示指标与客观预期一致，0.10 约高出 10%。" if zh else
                "Log gap = ln(assigned target / objective expectation): 0 is a target at the objective level, "
                "0.10 about 10% above it.") + " " + r.method_note(gaps.drop(columns="n", errors="ignore"))
        out.append(StudyTable("target_gaps", "targets",
                              "指标公平性：各营业厅下达指标与客观预期" if zh else "Target fairness: assigned targets against the objective expectation",
                              frame, {"target": N0, "actual": N0, "expected": N0, "gap_ratio": N3, "log_gap": N3},
                              r.col(*frame.columns), note, source="target_gaps"))
    return out

def wave_table_names(r) -> list[str]:
    """Result tables comparing waves (``waves_*`` / ``trend_*``), if the results hold any."""
    return [n for n in r.table_names if n.startswith(("waves_", "trend_"))]

def _blank_repeats(values: list[str]) -> list[str]:
    """A grouping column shows its value on the first row of each run only."""
    return [v if i == 0 or v != values[i - 1] else "" for i, v in enumerate(values)]


def _wave_reason(r: StudyReport, code: object) -> str:
    if is_missing(code) or not str(code):
        return ""
    key, _, detail = str(code).partition(": ")
    text = r.t(WAVE_REASONS[key]) if key in WAVE_REASONS else key
    return f"{text}（{detail}）" if detail and r.lang == "zh" else f"{text} ({detail})" if detail else text


def _invariance_frame(r: StudyReport, df: pd.DataFrame) -> tuple[pd.DataFrame, dict, str]:
    from analysis.psychometrics.invariance import DELTA_CFI, DELTA_RMSEA

    zh = r.lang == "zh"
    scale = _blank_repeats([r.scale_label(s) for s in df["scale"]])
    frame = pd.DataFrame({"scale": scale,
                          "n_items": [pd.NA if not s else n for s, n in zip(scale, df["n_items"])],
                          "step": [r.t(INVARIANCE_STEPS.get(str(s), (str(s), str(s)))) if not is_missing(s) else ""
                                   for s in df["step"]]})
    for c in ("n", "chisq", "df", "cfi", "rmsea", "srmr", "delta_chisq", "delta_df", "delta_p", "delta_cfi",
              "delta_rmsea"):
        if c in df:
            frame[c] = df[c].to_numpy()
    frame["invariant"] = ["" if is_missing(s) else r.t(YES_NO[bool(v)]) for s, v in zip(df["step"], df["invariant"])]
    if "reason" in df and df["reason"].notna().any():
        frame["reason"] = [_wave_reason(r, c) for c in df["reason"]]
    formats = {"n_items": N0, "n": "int", "chisq": N2, "df": "int", "cfi": B3, "rmsea": B3, "srmr": B3,
               "delta_chisq": N2, "delta_df": N0, "delta_p": p3, "delta_cfi": B3, "delta_rmsea": B3}
    note = (f"每个维度分别做两期多组验证性因子分析：形态等值（结构相同）、度量等值（因子载荷相等）、标量等值（截距亦相等）。"
            f"按 Chen（2007）：ΔCFI 下降超过 {B3(DELTA_CFI)} 且 ΔRMSEA 上升超过 {B3(DELTA_RMSEA)}（或 ΔSRMR 上升超过 .030/.010）"
            "视为不等值；只有标量等值成立的维度才比较两期均值。" if zh else
            "Multi-group CFA of each scale across the two waves: configural (same structure), metric (equal loadings), "
            f"scalar (equal intercepts too). By Chen (2007), a drop of CFI beyond {B3(DELTA_CFI)} together with a rise of "
            f"RMSEA beyond {B3(DELTA_RMSEA)} (or of SRMR beyond .030/.010) marks non-invariance; only scales whose scalar "
            "invariance holds have their means compared. ")
    return frame, formats, note + sample_note(r, df)


def _change_frame(r: StudyReport, df: pd.DataFrame, level: str) -> tuple[pd.DataFrame, dict, str]:
    zh = r.lang == "zh"
    frame = pd.DataFrame()
    if level != "company":
        frame["unit"] = _blank_repeats([str(u) for u in df["unit"]])
    frame["scale"] = [r.scale_label(s) for s in df["scale"]]
    for src, dst in (("previous_n", "previous_n"), ("previous_mean", "previous_mean"), ("previous_sd", "previous_sd"),
                     ("n", "current_n"), ("mean", "mean"), ("sd", "sd"), ("change", "change")):
        frame[dst] = df[src].to_numpy()
    frame["ci"] = [ci_text(a, b, N2) for a, b in zip(df["ci_low"], df["ci_high"])]
    frame["t"], frame["welch_df"], frame["p"], frame["p_holm"] = (df[c].to_numpy() for c in ("t", "df", "p", "p_holm"))
    if "n_both" in df and (df["n_both"] > 0).any():  # customers are not followed across waves
        frame["n_both"] = df["n_both"].to_numpy()
    if "comparable" in df and not df["comparable"].astype(bool).all():
        frame["reason"] = [_wave_reason(r, c) for c in df["reason"]]
    formats = {"previous_n": "int", "current_n": "int", "previous_mean": N2, "previous_sd": N2, "mean": N2, "sd": N2,
               "change": N2, "t": N2, "welch_df": num(1), "p": p3, "p_holm": p3, "n_both": "int"}
    note = ("变化 = 本期均值 − 上期均值；Welch t 检验，95% CI 基于 t 分布；同一单位内各维度的 p 值经 Holm 法校正。"
            "两期样本部分重叠，Welch 检验未计入两期得分的正相关，结论偏保守。" if zh else
            "Change = current mean − previous mean; Welch's t test with t-based 95% CIs; p values Holm-adjusted over "
            "the scales of a unit. The two samples overlap; Welch's test ignores the positive correlation of the "
            "two waves' scores, so it is conservative.")
    k = r.study.min_group_size
    if level != "company":
        note += (f"答卷少于 {k} 份的单位不显示。" if zh else f" Units with fewer than {k} respondents are not shown.")
    return frame, formats, note


def _changes_frame(r: StudyReport, df: pd.DataFrame) -> tuple[pd.DataFrame, dict, str]:
    frame = pd.DataFrame({
        "instrument": [r.instrument_name(i) for i in df["instrument"]], "old_version": df["old_version"],
        "new_version": df["new_version"], "item": df["item"], "scale": [r.scale_label(s) for s in df["scale"]],
        "kind": [r.t(ITEM_CHANGES.get(str(c), (str(c), str(c)))) for c in df["change"]],
        "old_value": ["" if is_missing(v) else str(v) for v in df["old_value"]],
        "new_value": ["" if is_missing(v) else str(v) for v in df["new_value"]]})
    note = ("有任何变动的题目不纳入跨期趋势与测量不变性检验。" if r.lang == "zh" else
            "Items with any change are left out of the trends and the invariance tests.")
    return frame, {}, note


def wave_tables(r: StudyReport) -> list[StudyTable]:
    """The comparison of waves: invariance, instrument changes and changes of means, with bilingual
    labels and only the columns a reader needs (internal flags and the full item lists dropped)."""
    out = []
    for name in r.wave_table_names():
        df = r.result(name)
        if df is None:
            continue
        if name.endswith("invariance"):
            frame, formats, note = _invariance_frame(r, df)
        elif name == "waves_changes":
            frame, formats, note = _changes_frame(r, df)
        elif name.rsplit("_", 1)[-1] in ("company", "district", "branch") and {"change", "p_holm"} <= set(df.columns):
            frame, formats, note = _change_frame(r, df, name.rsplit("_", 1)[-1])
        else:  # a comparison table this report does not know: shown as it is, labelled where possible
            frame, formats, note = df, {}, None
        title = r.t(WAVE_TITLES.get(name, (f"多期比较：{name}", f"Waves: {name}")))
        if "wave" in df and "previous_wave" in df and df["wave"].notna().any():
            title += f"（{df['previous_wave'].iloc[0]} → {df['wave'].iloc[0]}）" if r.lang == "zh" else \
                f" ({df['previous_wave'].iloc[0]} → {df['wave'].iloc[0]})"
        labels = {c: r.t(WAVE_COLS[c]) if c in WAVE_COLS else r.t(COLS[c]) if c in COLS else c for c in frame.columns}
        if "unit" in frame:
            labels["unit"] = r.t(WAVE_COLS["unit_district" if name.endswith("district") else "unit_branch"])
        out.append(StudyTable(name, "waves", title, frame, formats, labels, note, source=name))
    return out
