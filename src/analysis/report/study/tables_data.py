"""Report tables of the sample, screening, Table 1, aggregation, target fairness and waves."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..tables import stars
from .base import B2, B3, N0, N2, N3, StudyTable, is_missing, p3
from .tables_hypotheses import COEF_FMT, coef_frame
from .vocabulary import COLS, REASONS, W, WAVE_TITLES

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
    note = ("对角线括号内为 Cronbach's α；相关为 Pearson 相关（成对删除）。已剔除粗心作答者。" if zh else
            "Cronbach's α on the diagonal in parentheses; Pearson correlations with pairwise deletion. "
            "Careless responders excluded.") + " " + W[r.lang]["sig"]
    title = "变量的均值、标准差与相关系数" if zh else "Means, standard deviations and correlations"
    return [StudyTable("table1", "table1", title, frame, {"mean": N2, "sd": N2, "n": "int"}, labels, note,
                       source="table1,correlations")]

def aggregation_tables(r: StudyReport) -> list[StudyTable]:
    out = []
    zh = r.lang == "zh"
    for inst in r.survey_instruments:
        icc = r.result(f"{inst}_icc")
        if icc is None:
            continue
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
        method = str(gaps["method"].iloc[0]) if "method" in gaps else ""
        note = ("对数偏差 = ln(下达指标 / 客观预期)：0 表示指标与客观预期一致，0.10 约高出 10%。" if zh else
                "Log gap = ln(assigned target / objective expectation): 0 is a target at the objective level, "
                "0.10 about 10% above it.") + (" " + r.translate_method(method) if method else "")
        out.append(StudyTable("target_gaps", "targets",
                              "指标公平性：各营业厅下达指标与客观预期" if zh else "Target fairness: assigned targets against the objective expectation",
                              frame, {"target": N0, "actual": N0, "expected": N0, "gap_ratio": N3, "log_gap": N3},
                              r.col(*frame.columns), note, source="target_gaps"))
    return out

def wave_table_names(r) -> list[str]:
    """Result tables comparing waves (``waves_*`` / ``trend_*``), if the results hold any."""
    return [n for n in r.table_names if n.startswith(("waves_", "trend_"))]

def wave_tables(r: StudyReport) -> list[StudyTable]:
    out = []
    for name in r.wave_table_names():
        df = r.result(name)
        if df is None:
            continue
        zh_en = WAVE_TITLES.get(name, (f"多期比较：{name}", f"Waves: {name}"))
        title = r.t(zh_en)
        labels = {c: r.t(COLS[c]) if c in COLS else c for c in df.columns}
        out.append(StudyTable(name, "waves", title, df, {}, labels, None, source=name))
    return out
