"""Narrative of the research report: one Markdown paragraph per section, numbers read from the results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .base import B2, B3, N2, N3, ci_text
from .vocabulary import RULES, SECTION_OF_MODEL, STATS

if TYPE_CHECKING:
    import pandas as pd

    from .report import StudyReport


# ----------------------------------------------------------------------------- narrative
def _fails(report: StudyReport, inst: str) -> list[str]:
    rev = report.result(f"{inst}_reviewer")
    if rev is None:
        return []
    out = []
    for s, st, v, r, t, passed in zip(rev["scale"], rev["statistic"], rev["value"], rev["rule"], rev["threshold"], rev["passed"]):
        if not bool(passed):
            out.append(f"{report.reviewer_scale(s)} {STATS.get(st, st)} = {B3(v)}（{RULES.get(r, r)} {B2(t)}）"
                       if report.lang == "zh" else
                       f"{report.reviewer_scale(s)} {STATS.get(st, st)} = {B3(v)} (threshold {RULES.get(r, r)} {B2(t)})")
    return out


def _refs(numbers: Sequence[int | None], zh: bool) -> str:
    """``表4、表5`` / ``Tables 4 and 5``; a run of three or more becomes ``表4至表23`` / ``Tables 4–23``."""
    nums = [int(n) for n in numbers if n is not None]
    if not nums:
        return ""
    if len(nums) > 2 and nums == list(range(nums[0], nums[-1] + 1)):
        return f"表{nums[0]}至表{nums[-1]}" if zh else f"Tables {nums[0]}–{nums[-1]}"
    if zh:
        return "、".join(f"表{n}" for n in nums)
    return f"Table {nums[0]}" if len(nums) == 1 else "Tables " + ", ".join(str(n) for n in nums)




def narrative(r: StudyReport, section: str) -> str:
    zh = r.lang == "zh"
    lines: list[str] = []
    tables = r.section_tables(section)
    refs = _refs([t.number for t in tables], zh)
    if section == "sample":
        df = r.result("sample")
        if df is not None:
            read, acc, q = (int(df[c].sum()) for c in ("rows_read", "rows_accepted", "rows_quarantined"))
            parts = []
            for row in df.itertuples(index=False):
                parts.append(f"{r.instrument_name(row.instrument)} {int(row.rows_accepted)} 行" if zh else
                             f"{r.instrument_name(row.instrument)}: {int(row.rows_accepted)} rows")
            rates = r.result("response_rates")
            company = rates[rates["level"] == "company"] if rates is not None else None
            if company is not None and not company.empty:
                c = company.iloc[0]
                rate_text = (f"公开结果的营业厅员工问卷回收率为 {c['rate']:.1%}（{int(c['respondents'])}/{int(c['employed'])}）。" if zh else
                             f" The staff survey response rate of the branches with shown results is {c['rate']:.1%} ({int(c['respondents'])} of {int(c['employed'])} staff).")
            else:
                rate_text = ""
            lines.append((f"本期（{r.wave}）共读取 {read} 行数据，接受 {acc} 行，隔离 {q} 行（{refs}）。其中" + "，".join(parts) + "。"
                          + rate_text) if zh else
                         (f"Wave {r.wave}: {read} rows read, {acc} accepted and {q} quarantined ({refs}): " + "; ".join(parts)
                          + "." + rate_text))
    elif section == "screening":
        q = r.result("quarantine_summary")
        nq = int(q["rows"].sum()) if q is not None else 0
        lines.append((f"导入阶段按问卷编码本校验每个单元格，{nq} 行因取值越界、非数值、重复作答等原因被隔离，原始文件未作改动。" if zh else
                      f"Ingest checked every cell against the codebooks; {nq} rows were quarantined (out-of-range, non-numeric, "
                      "duplicate responses, …) and the raw files were left unchanged.") + (f"（{refs}）" if zh and refs else f" ({refs})" if refs else ""))
        careless = [t for t in tables if t.name == "screening_careless"]
        if careless:
            frame = careless[0].frame
            text = ("，".join(f"{g} {c} 人" for g, c in zip(frame["group"], frame["count"])) if zh else
                    ", ".join(f"{g}: {c}" for g, c in zip(frame["group"], frame["count"])))
            lines.append(f"评分阶段识别并剔除的粗心作答者：{text}。" if zh else
                         f"Careless responders flagged at scoring and excluded — {text}.")
    elif section == "psychometrics":
        lines.append(("各问卷的信度（α、ω、CR）、聚合效度（AVE）、探索性与验证性因子分析、区分效度（Fornell–Larcker 准则与 HTMT）"
                      f"见{refs}；审稿人核查表把每个指标与其惯用临界值并列。") if zh else
                     ("Reliability (α, ω, CR), convergent validity (AVE), exploratory and confirmatory factor analysis and "
                      f"discriminant validity (Fornell–Larcker, HTMT) are in {refs}; the reviewer checklist sets each value "
                      "beside its conventional threshold."))
        for inst in r.survey_instruments:
            fails = _fails(r, inst)
            name = r.instrument_name(inst)
            if fails:
                lines.append((f"- {name}：未达临界值的指标有 " + "；".join(fails) + "。") if zh else
                             (f"- {name}: below threshold: " + "; ".join(fails) + "."))
            else:
                lines.append(f"- {name}：所有指标均达到临界值。" if zh else f"- {name}: every statistic meets its threshold.")
    elif section == "common_method":
        lines.append(("共同方法偏差采用 Harman 单因子检验与单因子 CFA 对比检验。需要强调，Harman 检验很弱，只能发现极强的方法变异，"
                      "不能据此断言不存在共同方法偏差（Podsakoff et al., 2003）。" if zh else
                      "Common-method variance was checked with Harman's single-factor test and a single-factor CFA "
                      "comparison. Harman's test is weak: it only detects very strong method variance and cannot show its "
                      "absence (Podsakoff et al., 2003).") + (f"（{refs}）" if zh else f" ({refs})"))
        for inst, cm in r.instrument_results("common_method"):
            h = cm[cm["test"] == "harman_single_factor"]
            if not h.empty:
                lines.append(f"- {r.instrument_name(inst)}：首因子解释方差比例为 {B3(h['estimate'].iloc[0])}。" if zh else
                             f"- {r.instrument_name(inst)}: first factor explains a share of {B3(h['estimate'].iloc[0])}.")
    elif section == "table1":
        lines.append((f"{refs} 报告主要变量的均值、标准差和相关系数，对角线为 Cronbach's α。" if zh else
                      f"{refs} reports means, standard deviations and correlations, with Cronbach's α on the diagonal."))
    elif section == "aggregation":
        lines.append(("营业厅层面的构念需要组内一致性与组间差异支持聚合：ICC(1)、ICC(2) 与 rwg(j)" + f"见{refs}。" if zh else
                      "Branch-level constructs need within-branch agreement and between-branch variance to justify "
                      f"aggregation: ICC(1), ICC(2) and rwg(j) are in {refs}."))
    elif section in ("regression", "multilevel", "mediation", "drivers"):
        hs = [h for h in r.study.hypotheses if SECTION_OF_MODEL.get(h.model) == section]
        for h in hs:
            ref = _refs([t.number for t in tables if t.name.startswith(f"{h.id}_")], zh)
            lines.append(f"- **{h.id}** {h.label.get(r.lang)}（{ref}）" if zh else f"- **{h.id}** {h.label.get(r.lang)} ({ref})")
            lines.append("  " + _hypothesis_sentence(r, h))
    elif section == "targets":
        lines.append((f"指标公平性：先以营业厅客观因素估计每个营业厅的销售预期，再比较下达指标与预期的偏差（{refs}）。" if zh else
                      f"Target fairness: each branch's objective sales expectation is estimated from branch factors, and "
                      f"assigned targets are compared with it ({refs})."))
    elif section == "appraisal":
        if tables:
            lines.append(f"按研究文件中的考核方案（docs/appraisal.md）计算综合分、等级与奖金，并评估方案本身：等级是否稳定、"
                         f"360° 评价是否可信、指标偏差是否影响等级、团队权重与内部竞争（{refs}）。" if zh else
                         "The study's appraisal scheme (docs/appraisal.md) gives composites, grades and bonuses, and is "
                         "itself evaluated: grade stability, 360° reliability, whether target gaps cost grades, team "
                         f"weighting and internal competition ({refs}).")
        else:
            lines.append("研究文件未设考核方案（appraisal:），本节从略。" if zh else
                         "The study file has no appraisal scheme (appraisal:), so this section is empty.")
    elif section == "waves":
        if r.wave_table_names():
            lines.append(f"多期比较结果见{refs}。只有达到标量不变性的量表才检验均值变化。" if zh else
                         f"Comparisons across waves are in {refs}. Mean changes are tested only for scales whose scalar "
                         "invariance holds.")
            customer = [n for n in r.wave_table_names() if n.startswith("waves_customer_")]
            if customer:
                cref = _refs([t.number for t in tables if t.name in customer], zh)
                lines.append(f"客户问卷各量表按同样的规则比较：先检验跨期测量不变性，再比较全公司、区局和营业厅的均值（{cref}）。"
                             "客户每期重新抽样，各期样本相互独立。" if zh else
                             "The customer survey's scales are compared by the same rules: invariance across waves first, "
                             f"then means by company, district and branch ({cref}). Customers are sampled afresh in "
                             "each wave, so the waves' samples are independent.")
            changes = r.result("waves_changes")
            if changes is not None and "left_out_of_trends" in changes and changes["left_out_of_trends"].any():
                items = sorted(set(changes.loc[changes["left_out_of_trends"], "item"].astype(str)))
                lines.append((f"问卷版本间有 {len(items)} 道题目发生变动（{'、'.join(items)}），已从趋势比较中剔除。") if zh else
                             f"{len(items)} items changed between instrument versions ({', '.join(items)}) and are left out of the trends.")
        else:
            lines.append(r.w["one_wave"])
    return "\n\n".join(lines) if lines else ""


def _first_row(r: StudyReport, name: str, where: Callable[[pd.DataFrame], pd.Series]) -> pd.Series | None:
    """The first row of result ``name`` that the mask ``where(frame)`` selects; None without one."""
    df = r.result(name)
    if df is None:
        return None
    rows = df[where(df)]
    return None if rows.empty else rows.iloc[0]


def _hypothesis_sentence(r: StudyReport, h: Any) -> str:
    zh = r.lang == "zh"
    if h.model == "hierarchical_regression":
        steps = r.result(f"{h.id}_steps")
        if steps is None:
            return ""
        last = steps.iloc[-1]
        return (f"加入最后一组变量后 ΔR² = {B3(last['delta_r2'])}，F({int(last['df1'])}, {int(last['df2'])}) = "
                f"{N2(last['f_change'])}，p {r.p_phrase(last['p'])}。" if zh else
                f"The last block adds ΔR² = {B3(last['delta_r2'])}, F({int(last['df1'])}, {int(last['df2'])}) = "
                f"{N2(last['f_change'])}, p {r.p_phrase(last['p'])}.")
    if h.model in ("regression", "multilevel"):
        coef = r.result(f"{h.id}_coefficients")
        if coef is None:
            return ""
        xs = list(h.roles.get("x", []))
        rows = coef[coef["term"].isin(xs)]
        if "effect" in coef:
            rows = rows[rows["effect"] == "fixed"]
        parts = [f"{r.var_label(t)}：b = {N3(b)}，p {r.p_phrase(p)}" if zh else f"{r.var_label(t)}: b = {N3(b)}, p {r.p_phrase(p)}"
                 for t, b, p in zip(rows["term"], rows["estimate"], rows["p"])]
        return ("；".join(parts) + "。") if zh else ("; ".join(parts) + ".")
    if h.model == "mediation":
        df = r.result(f"{h.id}_effects")
        if df is None:
            return ""
        ind = df[df["path"] == "indirect"]
        parts = [f"{t} = {N3(e)}，95% CI {ci_text(lo, hi, N3)}" if zh else
                 f"{t} = {N3(e)}, 95% CI {ci_text(lo, hi, N3)}"
                 for t, e, lo, hi in zip(r.row_labels(ind), ind["estimate"], ind["ci_low"], ind["ci_high"])]
        return ("间接效应：" + "；".join(parts) + "。") if zh else ("Indirect effects: " + "; ".join(parts) + ".")
    if h.model == "moderation":
        row = _first_row(r, f"{h.id}_slopes", lambda df: (df["part"] == "coefficient")
                         & (df["predictor"] == f"{df['x'].iloc[0]}:{df['w'].iloc[0]}"))
        if row is None:
            return ""
        return (f"交互项 b = {N3(row['estimate'])}，p {r.p_phrase(row['p'])}；简单斜率与 J–N 边界见图。" if zh else
                f"Interaction b = {N3(row['estimate'])}, p {r.p_phrase(row['p'])}; simple slopes and J–N boundaries in the figure.")
    if h.model == "moderated_mediation":
        row = _first_row(r, f"{h.id}_effects", lambda df: df["part"] == "index")
        if row is None:
            return ""
        return (f"有调节的中介指数 = {N3(row['estimate'])}，95% CI {ci_text(row['ci_low'], row['ci_high'], N3)}。" if zh else
                f"Index of moderated mediation = {N3(row['estimate'])}, 95% CI {ci_text(row['ci_low'], row['ci_high'], N3)}.")
    if h.model == "relative_weights":
        df = r.result(f"{h.id}_weights")
        if df is None:
            return ""
        top = df.sort_values("rank", kind="mergesort").head(3)
        parts = [f"{t}（{N2(v)}%）" if zh else f"{t} ({N2(v)}%)" for t, v in zip(r.row_labels(top), top["rescaled"])]
        return ("相对权重最高的三项：" + "、".join(parts) + "。") if zh else ("Largest relative weights: " + ", ".join(parts) + ".")
    return ""
