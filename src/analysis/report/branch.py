"""One branch's improvement report: load its context from a results folder and build the sections.

The branch notebook (``notebooks/branch_report.ipynb``) calls :func:`load_branch` once and then
one function per section; each returns a :class:`Block` (an HTML fragment that Jupyter displays
as HTML). Nothing is estimated here: every number comes from a result table written by
``hallperf analyze`` (``branch_summary``, ``branch_kpis``, ``branch_profiles``,
``branch_actions``, ``dimension_labels``, ``dimension_importance``, ``target_gaps`` and, when
another wave exists, ``branch_trends``) and from ``results.json``. The report only selects the
branch's rows, formats numbers and draws.

Privacy (minimum reporting size k = ``results.json`` ``parameters.min_group_size``, default 5,
never below 3): when ``branch_summary.staff_results_shown`` is False, or the branch has fewer
than k staff respondents, the context holds no staff-survey table at all (profile, priorities,
actions, staff trends are dropped when the context is loaded, not only hidden), and every
section that would show them prints a notice instead. Customer-based KPIs are withheld by the
analysis stage (value missing) and shown as withheld. Respondent counts appear only when ≥ k.
Every text that comes from data is HTML-escaped (:func:`esc`).

Fixed text comes from :data:`TEXT` (Chinese by default, English with ``lang="en"``).
"""

from __future__ import annotations

import base64
import html as _html
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.privacy import reporting_k

__all__ = [
    "TEXT",
    "Block",
    "BranchContext",
    "actions_section",
    "esc",
    "format_kpi",
    "header",
    "kpi_section",
    "load_branch",
    "method_section",
    "page",
    "priority_section",
    "profile_section",
    "render_sections",
    "t",
    "target_section",
    "trend_section",
]

LANGS = ("zh", "en")
FIGURE_DPI = 150  # screen and A4 print; 300 dpi would triple the HTML size for no visible gain
TOP = 3
TARGET_BAND = 0.05  # display band: an assigned target within ±5 % of the expectation is "in line"

# Tables a branch report reads (the report stage hashes exactly these to decide on reruns).
TABLES = ("branch_summary", "branch_kpis", "branch_profiles", "branch_actions", "dimension_labels",
          "dimension_importance", "target_gaps", "branch_trends")

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "html_lang": "zh-CN",
        "title": "营业厅绩效改进报告",
        "wave": "调查期次",
        "district": "所属区局",
        "branch_type": "营业厅类型",
        "branch_id": "营业厅编号",
        "privacy_notice": "本厅员工问卷的有效答卷少于 {k} 份。为保护答卷人的匿名性，本报告不显示任何员工问卷结果"
                          "（管理实践画像、改进优先级、改进措施与员工问卷趋势）；以下仅显示业务记录指标"
                          "以及样本量不少于 {k} 人的客户问卷指标。",
        "customer_notice": "本厅客户问卷的有效答卷少于 {k} 份，客户满意度等客户问卷指标不予显示。",
        "kpi_title": "一、关键业绩指标概览",
        "kpi_intro": "本厅本期业绩指标与所在区局均值、全公司均值对比；日均外呼量同时对照《营业厅营销效能提升指引》"
                     "要求的每日 20 次以上。百分位越高表示在全公司营业厅中表现越好。",
        "kpi": "指标", "value": "本厅", "district_mean": "区局均值", "company_mean": "公司均值",
        "guide": "指引标准", "percentile": "公司内百分位", "withheld": "不显示（样本不足）",
        "kpi_fig": "关键业绩指标：本厅与区局、公司均值及指引标准",
        "district_ref": "区局均值", "company_ref": "公司均值", "guide_ref": "指引标准",
        "profile_title": "二、PDCA 绩效管理实践画像",
        "profile_intro": "员工对本厅绩效管理各环节的评价（1–5 分）及其 95% 置信区间，与全公司基准对比。"
                         "置信区间越宽，估计越不确定；区间覆盖基准时差异可能只是抽样波动。",
        "dimension": "维度", "stage": "PDCA 环节", "mean_ci": "本厅均值 [95% 置信区间]",
        "benchmark": "公司基准", "gap": "差距（基准−本厅）", "agreement": "组内一致性",
        "agreement_low": "一致性过低，不宜视为营业厅整体氛围",
        "agreement_ok": "可视为营业厅整体氛围", "agreement_na": "—",
        "agreement_note": "标 † 的维度员工评价分歧较大（rwg(j) 低于阈值），其均值不宜解读为全厅一致的管理氛围。",
        "profile_fig": "管理实践得分与公司基准（误差线为 95% 置信区间）",
        "score_axis": "得分", "this_branch": "本厅", "benchmark_ref": "公司基准",
        "priority_title": "三、改进优先级：重要性 × 差距",
        "priority_intro": "重要性为各维度对目标完成率的相对权重（全公司员工数据估计）；差距为本厅低于公司基准的幅度。"
                          "右上象限的维度既重要又落后，应优先改进。",
        "priority_fig": "重要性 × 差距优先级矩阵",
        "importance_axis": "重要性（相对权重，%）", "gap_axis": "差距（公司基准 − 本厅均值）",
        "rank": "优先序", "importance": "重要性（%）", "priority": "优先指数",
        "no_priorities": "本厅各维度均不低于公司基准，本期没有需要优先改进的维度。",
        "actions_title": "四、前三项优先改进措施",
        "actions_intro": "按优先序从行动库中选取的具体措施，每项附跟踪指标与预计见效周期。",
        "action_head": "第 {rank} 优先：{label}（差距 {gap}，重要性 {importance}%）",
        "track": "跟踪指标", "horizon": "见效周期",
        "horizon_weeks": "数周", "horizon_months": "数月", "horizon_quarters": "数个季度",
        "no_actions": "本期没有需要优先改进的维度，因此不列出措施。",
        "target_title": "五、指标分配的公平性",
        "target_intro": "把本厅下达的销售指标与依据客流量、人员规模、营业厅类型和历史业绩得出的客观预期对比。"
                        "指标明显高于客观预期，会挫伤员工积极性（见研究假设 H3）。",
        "assigned": "下达指标", "expected": "客观预期", "actual": "实际销售收入",
        "ratio": "指标 / 客观预期", "difference": "指标 − 客观预期",
        "target_above": "本厅下达的指标比客观预期高 {pct}，分配偏紧，建议复核指标分解依据。",
        "target_below": "本厅下达的指标比客观预期低 {pct}，仍有提升空间。",
        "target_inline": "本厅下达的指标与客观预期基本相当（相差 {pct} 以内）。",
        "no_target": "结果中没有本厅的指标测算数据。",
        "trend_title": "六、与上期对比",
        "trend_intro": "各维度本期与上期的均值及变化（变化的 95% 置信区间）；“可比”为否时，两期问卷或样本不可直接比较。",
        "no_previous": "没有上期数据（no previous wave），本期为首次调查。",
        "previous_wave": "上期期次", "previous": "上期均值", "current": "本期均值", "change_ci": "变化 [95% 置信区间]",
        "significant": "显著", "comparable": "可比", "yes": "是", "no": "否",
        "trend_fig": "各维度两期均值",
        "trend_staff": "员工问卷：绩效管理实践", "trend_customer": "客户问卷：服务评价",
        "trend_kpi": "业务指标", "trend_note": "说明",
        "trend_kpi_intro": "业务指标来自全部业务记录而非抽样，两期数值之差就是实际变化，因此不做显著性检验、不给置信区间；"
                           "任一期数值缺失或因样本不足不显示时，不计算变化。",
        "trend_staff_withheld": "本厅员工问卷的有效答卷少于 {k} 份，不显示员工问卷的趋势。",
        "previous_value": "上期数值", "current_value": "本期数值", "change": "变化",
        "pp": "个百分点",
        "reason_no_variance": "两期得分无变异，无法检验",
        "reason_configural_invariance_fails": "两期测量结构不同（形态不变性不成立），不比较均值",
        "reason_metric_invariance_fails": "两期题目载荷不等（度量不变性不成立），不比较均值",
        "reason_scalar_invariance_fails": "两期题目截距不等（标量不变性不成立），不比较均值",
        "reason_not_converged": "测量不变性模型未收敛，不比较均值",
        "reason_fewer_than_3_items": "两期相同的题目少于 3 道，无法检验测量不变性，不比较均值",
        "reason_invariance_not_tested": "未检验测量不变性，不比较均值",
        "reason_model_failed": "测量不变性模型无法拟合，不比较均值",
        "reason_not_comparable": "两期不可直接比较",
        "reason_records_not_a_sample": "全量业务记录，不做显著性检验",
        "reason_value_missing": "有一期数值缺失或不显示，不计算变化",
        "reason_period_length_differs": "两期统计月数不同，期间累计值不可直接比较",
        "method_title": "七、数据质量与方法说明",
        "k_rule": "最小报告规模 k = {k}：任何少于 {k} 人的群体结果都不显示。",
        "n_staff": "本厅员工问卷有效答卷：{n} 份。",
        "n_staff_hidden": "本厅员工问卷有效答卷少于 {k} 份（具体人数不显示）。",
        "n_customers": "本厅客户问卷有效答卷：{n} 份。",
        "n_customers_hidden": "本厅客户问卷有效答卷少于 {k} 份（具体人数不显示）。",
        "careless": "全公司因作答不认真被剔除的员工问卷：{n} 份。",
        "method_importance": "重要性估计方法：{method}。",
        "method_ci": "均值的 95% 置信区间基于 t 分布；组内一致性用 rwg(j) 检验（Bliese 2000）。",
        "method_target": "客观预期测算方法：{method}。",
        "provenance": "来源与可复现信息", "inputs": "输入文件（SHA-256 前 16 位）",
        "instruments": "问卷版本", "seed": "随机种子", "packages": "软件版本",
        "results_stage": "结果由 hallperf {stage} 阶段生成，期次 {wave}。",
        "figure": "图", "table": "表",
    },
    "en": {
        "html_lang": "en",
        "title": "Branch performance improvement report",
        "wave": "Survey wave",
        "district": "District",
        "branch_type": "Branch type",
        "branch_id": "Branch id",
        "privacy_notice": "Fewer than {k} staff of this branch answered the staff survey. To protect the "
                          "respondents' anonymity this report shows no staff-survey results at all "
                          "(management-practice profile, priorities, actions and staff-survey trends); "
                          "it shows the KPI records and customer-survey results with at least {k} customers only.",
        "customer_notice": "Fewer than {k} customers of this branch answered the customer survey; "
                           "customer-survey KPIs such as satisfaction are not shown.",
        "kpi_title": "1. KPI snapshot",
        "kpi_intro": "This branch's KPIs for the wave against the district and company means; outbound calls "
                     "per day are also compared with the guide's norm of more than 20 a day. A higher "
                     "percentile means a better position among all branches of the company.",
        "kpi": "KPI", "value": "This branch", "district_mean": "District mean",
        "company_mean": "Company mean", "guide": "Guide norm", "percentile": "Percentile in company",
        "withheld": "withheld (too few respondents)",
        "kpi_fig": "KPIs: this branch against district and company means and the guide's norm",
        "district_ref": "District mean", "company_ref": "Company mean", "guide_ref": "Guide norm",
        "profile_title": "2. PDCA management-practice profile",
        "profile_intro": "Staff ratings of each stage of performance management in this branch (1–5) with "
                         "95% confidence intervals, against the company benchmark. A wide interval means an "
                         "uncertain estimate; where it covers the benchmark the difference may be sampling noise.",
        "dimension": "Dimension", "stage": "PDCA stage", "mean_ci": "Branch mean [95% CI]",
        "benchmark": "Company benchmark", "gap": "Gap (benchmark − branch)", "agreement": "Within-branch agreement",
        "agreement_low": "agreement too low to treat as a branch climate",
        "agreement_ok": "can be treated as a branch climate", "agreement_na": "—",
        "agreement_note": "Dimensions marked † show too much disagreement among staff (rwg(j) below the "
                          "threshold): their mean should not be read as a shared branch climate.",
        "profile_fig": "Management-practice scores against the company benchmark (error bars: 95% CI)",
        "score_axis": "Score", "this_branch": "This branch", "benchmark_ref": "Company benchmark",
        "priority_title": "3. Priorities: importance × gap",
        "priority_intro": "Importance is each dimension's relative weight for target completion (estimated on "
                          "all staff of the company); the gap is how far this branch falls below the company "
                          "benchmark. Dimensions in the upper right are important and behind: improve them first.",
        "priority_fig": "Importance × gap priority matrix",
        "importance_axis": "Importance (relative weight, %)", "gap_axis": "Gap (benchmark − branch mean)",
        "rank": "Rank", "importance": "Importance (%)", "priority": "Priority index",
        "no_priorities": "No dimension of this branch is below the company benchmark; nothing needs "
                         "priority improvement this wave.",
        "actions_title": "4. Actions for the top three priorities",
        "actions_intro": "Concrete actions from the action library, in order of priority, each with a KPI to "
                         "track and the time it takes to show.",
        "action_head": "Priority {rank}: {label} (gap {gap}, importance {importance}%)",
        "track": "KPI to track", "horizon": "Time to effect",
        "horizon_weeks": "weeks", "horizon_months": "months", "horizon_quarters": "quarters",
        "no_actions": "No dimension needs priority improvement this wave, so no actions are listed.",
        "target_title": "5. Target fairness",
        "target_intro": "The sales target assigned to this branch against an objective expectation from foot "
                        "traffic, staff size, branch type and past sales. Targets clearly above the expectation "
                        "lower staff engagement (hypothesis H3).",
        "assigned": "Assigned target", "expected": "Objective expectation", "actual": "Actual sales",
        "ratio": "Target / expectation", "difference": "Target − expectation",
        "target_above": "The assigned target is {pct} above the objective expectation: it is tight; review the "
                        "basis of the target breakdown.",
        "target_below": "The assigned target is {pct} below the objective expectation: there is room to grow.",
        "target_inline": "The assigned target is in line with the objective expectation (within {pct}).",
        "no_target": "The results hold no target expectation for this branch.",
        "trend_title": "6. Change since the previous wave",
        "trend_intro": "Each dimension's mean this wave and last wave with the change and its 95% CI; where "
                       "'comparable' is no, the two waves cannot be compared directly.",
        "no_previous": "No previous wave: this is the first survey of the branch.",
        "previous_wave": "Previous wave", "previous": "Previous mean", "current": "Current mean", "change_ci": "Change [95% CI]",
        "significant": "Significant", "comparable": "Comparable", "yes": "yes", "no": "no",
        "trend_fig": "Dimension means in the two waves",
        "trend_staff": "Staff survey: management practices", "trend_customer": "Customer survey: service ratings",
        "trend_kpi": "KPIs", "trend_note": "Note",
        "trend_kpi_intro": "KPIs come from the complete business records, not from a sample: the difference of the "
                           "two waves is the actual change, so there is no significance test or confidence "
                           "interval. Where either wave's value is missing or withheld, no change is given.",
        "trend_staff_withheld": "Fewer than {k} staff of this branch answered the staff survey; staff-survey trends "
                                "are not shown.",
        "previous_value": "Previous value", "current_value": "Current value", "change": "Change",
        "pp": "pp",
        "reason_no_variance": "no variation in either wave: not tested",
        "reason_configural_invariance_fails": "the factor structure differs between waves (configural invariance "
                                              "fails): means not compared",
        "reason_metric_invariance_fails": "item loadings differ between waves (metric invariance fails): means not compared",
        "reason_scalar_invariance_fails": "item intercepts differ between waves (scalar invariance fails): means not compared",
        "reason_not_converged": "the invariance model did not converge: means not compared",
        "reason_fewer_than_3_items": "fewer than 3 unchanged items, invariance cannot be tested: means not compared",
        "reason_invariance_not_tested": "invariance not tested: means not compared",
        "reason_model_failed": "the invariance model could not be fitted: means not compared",
        "reason_not_comparable": "the two waves cannot be compared directly",
        "reason_records_not_a_sample": "complete records: no significance test",
        "reason_value_missing": "a value is missing or withheld in one wave: no change given",
        "reason_period_length_differs": "the waves cover different numbers of months: wave totals are not comparable",
        "method_title": "7. Data quality and method",
        "k_rule": "Minimum reporting size k = {k}: no result of a group smaller than {k} is shown.",
        "n_staff": "Staff-survey responses of this branch: {n}.",
        "n_staff_hidden": "Fewer than {k} staff-survey responses in this branch (the count is not shown).",
        "n_customers": "Customer-survey responses of this branch: {n}.",
        "n_customers_hidden": "Fewer than {k} customer-survey responses in this branch (the count is not shown).",
        "careless": "Staff responses excluded company-wide as careless: {n}.",
        "method_importance": "Importance: {method}.",
        "method_ci": "95% confidence intervals of means use the t distribution; within-branch agreement is "
                     "checked with rwg(j) (Bliese 2000).",
        "method_target": "Objective expectation: {method}.",
        "provenance": "Provenance", "inputs": "Input files (first 16 hex digits of SHA-256)",
        "instruments": "Instrument versions", "seed": "Seed", "packages": "Package versions",
        "results_stage": "Results written by the hallperf {stage} stage, wave {wave}.",
        "figure": "Figure", "table": "Table",
    },
}

_STAGES = {
    "zh": {"plan": "计划（P）", "do": "实施与辅导（D）", "check": "评估（C）", "act": "反馈与运用（A）",
           "all": "贯穿全程"},
    "en": {"plan": "Plan", "do": "Do", "check": "Check", "act": "Act", "all": "All stages"},
}


def t(lang: str, key: str, **values: Any) -> str:
    """Fixed text ``key`` in ``lang`` with ``values`` filled in (values are NOT escaped here)."""
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} is not supported; use one of {LANGS}")
    text = TEXT[lang][key]
    return text.format(**values) if values else text


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included); missing values become an empty string."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _html.escape(str(value), quote=True)


class Block(str):
    """An HTML fragment; Jupyter displays it as HTML (``_repr_html_``)."""

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:  # the text/plain fallback stays short
        return f"<hallperf report block, {len(self)} characters>"


# --------------------------------------------------------------------------- context
@dataclass(frozen=True)
class BranchContext:
    """Everything one branch report shows, already reduced to the branch's own rows.

    Staff-survey frames (``profiles``, ``actions``, and staff rows of ``trends``) are empty when
    ``staff_shown`` is False, so no section can show them by mistake; customer rows of
    ``trends`` likewise when ``customer_shown`` is False. ``trends`` has a ``source`` column
    (``staff``, ``customer``, ``kpi``; inferred for tables written without one).
    """

    wave: str
    branch_id: str
    lang: str
    k: int
    info: Mapping[str, Any]
    staff_shown: bool
    customer_shown: bool | None
    kpis: pd.DataFrame
    profiles: pd.DataFrame
    actions: pd.DataFrame
    labels: pd.DataFrame
    importance: pd.DataFrame
    target: Mapping[str, Any] | None
    trends: pd.DataFrame | None
    provenance: Mapping[str, Any]
    figure_dir: Path | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        value = self.info.get("branch_name")
        return self.branch_id if value is None or pd.isna(value) else str(value)

    def label(self, dimension: str) -> str:
        row = self.labels[self.labels["dimension"] == dimension] if not self.labels.empty else self.labels
        if row.empty:
            return str(dimension)
        value = row.iloc[0].get(f"label_{self.lang}")
        return str(dimension) if value is None or pd.isna(value) else str(value)

    def stage(self, dimension: str) -> str:
        row = self.labels[self.labels["dimension"] == dimension] if not self.labels.empty else self.labels
        if row.empty or "stage" not in row:
            return ""
        value = row.iloc[0]["stage"]
        return "" if value is None or pd.isna(value) else _STAGES[self.lang].get(str(value), str(value))


def _read(results: Path, name: str) -> pd.DataFrame | None:
    parquet, csv = results / f"{name}.parquet", results / f"{name}.csv"
    if parquet.is_file():
        return pd.read_parquet(parquet)
    if csv.is_file():
        return pd.read_csv(csv)
    return None


def _need(results: Path, name: str) -> pd.DataFrame:
    frame = _read(results, name)
    if frame is None:
        raise FileNotFoundError(f"{results}: result table {name!r} is missing (neither {name}.parquet nor "
                                f"{name}.csv); rerun 'hallperf analyze' for this wave")
    return frame


def _mine(frame: pd.DataFrame | None, branch_id: str) -> pd.DataFrame:
    if frame is None or frame.empty or "branch_id" not in frame:
        return pd.DataFrame(columns=list(frame.columns) if frame is not None else [])
    return frame[frame["branch_id"].astype(str) == branch_id].reset_index(drop=True)


def _count(value: Any) -> int | None:
    if value is None or value is pd.NA:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return int(value)


def load_branch(results_dir: str | os.PathLike[str], branch_id: str, *, wave: str | None = None,
                lang: str = "zh", previous_results_dir: str | os.PathLike[str] | None = None,
                figure_dir: str | os.PathLike[str] | None = None) -> BranchContext:
    """Read one branch's rows from a results folder (``output/<wave>/results``).

    Parameters
    ----------
    results_dir : folder with the result tables and ``results.json``.
    branch_id : the branch (``branch_summary.branch_id``).
    wave : expected wave; a mismatch with ``results.json`` is an error.
    lang : {"zh", "en"}.
    previous_results_dir : results of the previous wave; its ``branch_trends`` table is used when
        the current results have none.
    figure_dir : where PNG figures are written (default ``figures/<branch_id>`` under the working
        directory); None-like values use the default.

    Raises
    ------
    FileNotFoundError
        The folder, ``results.json`` or a required table is missing.
    KeyError
        ``branch_id`` is not in ``branch_summary``.
    ValueError
        ``wave`` differs from the results' wave, or ``lang`` is not supported.
    """
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} is not supported; use one of {LANGS}")
    results = Path(results_dir)
    meta_path = results / "results.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{results}: results.json is missing; run 'hallperf analyze' first")
    provenance = json.loads(meta_path.read_text(encoding="utf-8"))
    if wave is not None and provenance.get("wave") not in (None, wave):
        raise ValueError(f"{results}: results are of wave {provenance.get('wave')!r}, not {wave!r}")
    branch_id = str(branch_id)
    k = reporting_k(provenance)

    summary = _need(results, "branch_summary")
    row = summary[summary["branch_id"].astype(str) == branch_id]
    if row.empty:
        raise KeyError(f"branch {branch_id!r} is not in {results / 'branch_summary'}; "
                       "check the id or rerun 'hallperf analyze'")
    info = row.iloc[0].to_dict()
    n_staff = _count(info.get("n_respondents"))
    staff_shown = bool(info.get("staff_results_shown", False)) and n_staff is not None and n_staff >= k
    if "customer_results_shown" in info:
        n_cust = _count(info.get("n_customers"))
        customer_shown: bool | None = bool(info["customer_results_shown"]) and n_cust is not None and n_cust >= k
    else:
        customer_shown = None
    # counts below k never travel further than this function
    info["n_respondents"] = n_staff if staff_shown else None
    if "n_customers" in info:
        info["n_customers"] = _count(info.get("n_customers")) if customer_shown else None

    kpis = _mine(_need(results, "branch_kpis"), branch_id)
    profiles = _mine(_read(results, "branch_profiles"), branch_id)
    actions = _mine(_read(results, "branch_actions"), branch_id)
    if staff_shown and "n" in profiles:
        profiles = profiles[profiles["n"] >= k].reset_index(drop=True)
    if not staff_shown:
        profiles = profiles.iloc[0:0]
        actions = actions.iloc[0:0]
    labels = _read(results, "dimension_labels")
    labels = labels if labels is not None else pd.DataFrame(columns=["dimension", "label_zh", "label_en", "stage"])
    importance = _read(results, "dimension_importance")
    importance = importance if importance is not None else pd.DataFrame()
    gaps = _mine(_read(results, "target_gaps"), branch_id)
    target = gaps.iloc[0].to_dict() if not gaps.empty else None

    trends = _read(results, "branch_trends")
    if trends is None and previous_results_dir not in (None, "", "None"):
        trends = _read(Path(previous_results_dir), "branch_trends")
    if trends is not None:
        trends = _mine(trends, branch_id)
        kpi_names = set(kpis["kpi"].astype(str)) if "kpi" in kpis else set()
        if "source" in trends:
            source = trends["source"].astype("string").fillna("staff")
        else:  # a table written before customer and KPI trends: rows named after a KPI are KPI rows
            dims = trends["dimension"].astype(str) if "dimension" in trends else pd.Series("", index=trends.index)
            source = dims.isin(kpi_names).map({True: "kpi", False: "staff"}).astype("string")
        trends = trends.assign(source=source)
        if not staff_shown:  # staff-survey trends go with the staff results
            trends = trends[trends["source"] != "staff"]
        if customer_shown is False:  # and customer-survey trends with the customer results
            trends = trends[trends["source"] != "customer"]
        for col in ("n", "previous_n"):
            if col in trends:
                trends = trends[trends[col].isna() | (trends[col] >= k)]
        trends = trends.reset_index(drop=True)

    fig_dir = None if figure_dir in (None, "", "None") else Path(figure_dir)
    return BranchContext(wave=str(provenance.get("wave") or wave or ""), branch_id=branch_id, lang=lang, k=k,
                         info=info, staff_shown=staff_shown, customer_shown=customer_shown, kpis=kpis,
                         profiles=profiles, actions=actions, labels=labels, importance=importance,
                         target=target, trends=trends, provenance=provenance, figure_dir=fig_dir)


# --------------------------------------------------------------------------- formatting helpers
def _missing(x: Any) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def _num(x: Any, digits: int = 2) -> str:
    if _missing(x):
        return "—"
    return f"{float(x):,.{digits}f}"


def format_kpi(x: Any, fmt: str) -> str | None:
    """A KPI value as shown in reports (``fmt``: ``percent``, ``score`` or else a number); None if missing."""
    if _missing(x):
        return None
    x = float(x)
    if fmt == "percent":
        return f"{x * 100:.1f}%"
    if fmt == "score":
        return f"{x:.2f}"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.1f}"


def _fmt_kpi(x: Any, fmt: str) -> str:
    text = format_kpi(x, fmt)
    return "—" if text is None else text


def _table(columns: Iterable[str], rows: Iterable[Iterable[str]], *, numeric: Iterable[int] = (),
           caption: str | None = None) -> str:
    """Rows are already-escaped cell HTML; headers are escaped here."""
    num = set(numeric)
    out = ['<table class="hp-table">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in columns) + "</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="num">{c}</td>' if i in num else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _section(title: str, *parts: str, cls: str = "") -> Block:
    extra = f" {cls}" if cls else ""
    return Block(f'<section class="hp-section{extra}"><h2>{esc(title)}</h2>' + "".join(parts) + "</section>")


def _p(text: str, cls: str = "") -> str:
    return f'<p class="{cls}">{esc(text)}</p>' if cls else f"<p>{esc(text)}</p>"


def _notice(text: str) -> str:
    return f'<div class="hp-notice" role="note">{esc(text)}</div>'


def _figure(ctx: BranchContext, fig: Any, stem: str, caption: str) -> str:
    """Save ``fig`` as a reproducible PNG (``save_figure``) and embed those exact bytes."""
    import matplotlib.pyplot as plt

    from analysis.report.style import save_figure

    folder = ctx.figure_dir if ctx.figure_dir is not None else Path("figures") / _safe(ctx.branch_id)
    try:
        (path,) = save_figure(fig, folder / stem, formats=("png",), dpi=FIGURE_DPI)
    finally:
        plt.close(fig)
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure class="hp-figure"><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def _safe(name: str) -> str:
    import hashlib
    import re

    if re.fullmatch(r"[\w][\w.\-]*", name) and name not in (".", ".."):
        return name
    return "branch_" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------- sections
def header(ctx: BranchContext) -> Block:
    """Title, branch facts and the privacy notices."""
    lang = ctx.lang
    facts = [(t(lang, "branch_id"), ctx.branch_id), (t(lang, "wave"), ctx.wave)]
    for key in ("district", "branch_type"):
        # Prefer the codebook label the results carry (e.g. branch_type_zh = 标准厅) over the code.
        labelled = ctx.info.get(f"{key}_{lang}")
        value = labelled if not _missing(labelled) else ctx.info.get(key)
        if not _missing(value):
            facts.append((t(lang, key), value))
    items = "".join(f"<dt>{esc(a)}</dt><dd>{esc(b)}</dd>" for a, b in facts)
    parts = [f'<header class="hp-header"><h1>{esc(ctx.name)} · {esc(t(lang, "title"))}</h1>'
             f'<dl class="hp-facts">{items}</dl></header>']
    if not ctx.staff_shown:
        parts.append(_notice(t(lang, "privacy_notice", k=ctx.k)))
    if ctx.customer_shown is False:
        parts.append(_notice(t(lang, "customer_notice", k=ctx.k)))
    return Block(f'<div class="hp-report" lang="{esc(t(lang, "html_lang"))}">' + "".join(parts) + "</div>")


def kpi_section(ctx: BranchContext, *, figure: bool = True) -> Block:
    """KPI snapshot: the branch against district and company means and the guide's norms."""
    lang = ctx.lang
    k = ctx.kpis
    if k.empty:
        return _section(t(lang, "kpi_title"), _p(t(lang, "withheld")))
    label_col = f"label_{lang}"
    rows, shown = [], []
    for rec in k.to_dict("records"):
        fmt = str(rec.get("format") or "number")
        label = rec.get(label_col) if not _missing(rec.get(label_col)) else rec.get("kpi")
        value = rec.get("value")
        if _missing(value):
            cells = [esc(label), esc(t(lang, "withheld")), esc(_fmt_kpi(rec.get("district_mean"), fmt)),
                     esc(_fmt_kpi(rec.get("company_mean"), fmt)), esc(_fmt_kpi(rec.get("benchmark"), fmt)), "—"]
        else:
            pct = rec.get("percentile")
            cells = [esc(label), esc(_fmt_kpi(value, fmt)), esc(_fmt_kpi(rec.get("district_mean"), fmt)),
                     esc(_fmt_kpi(rec.get("company_mean"), fmt)), esc(_fmt_kpi(rec.get("benchmark"), fmt)),
                     esc("—" if _missing(pct) else f"{float(pct) * 100:.0f}")]
            shown.append({"label": str(label), "value": float(value),
                          "district": rec.get("district_mean"), "company": rec.get("company_mean"),
                          "guide": rec.get("benchmark"), "scale": 100.0 if fmt == "percent" else 1.0})
        rows.append(cells)
    cols = [t(lang, c) for c in ("kpi", "value", "district_mean", "company_mean", "guide", "percentile")]
    parts = [_p(t(lang, "kpi_intro")), _table(cols, rows, numeric=(1, 2, 3, 4, 5))]
    if figure and shown:
        from analysis.report.figures import kpi_bullets

        frame = pd.DataFrame(shown)
        for col in ("value", "district", "company", "guide"):  # percents drawn in percent points
            frame[col] = pd.to_numeric(frame[col], errors="coerce") * frame["scale"]
        fig = kpi_bullets(frame, "label", "value",
                          references={"district": t(lang, "district_ref"), "company": t(lang, "company_ref")},
                          target="guide", target_name=t(lang, "guide_ref"), value_name=t(lang, "this_branch"),
                          lang=lang)
        parts.append(_figure(ctx, fig, "kpis", t(lang, "kpi_fig")))
    return _section(t(lang, "kpi_title"), *parts)


def _staff_withheld(ctx: BranchContext, title_key: str) -> Block:
    return _section(t(ctx.lang, title_key), _notice(t(ctx.lang, "privacy_notice", k=ctx.k)), cls="hp-withheld")


def _ordered_profiles(ctx: BranchContext) -> pd.DataFrame:
    prof = ctx.profiles.copy()
    order = {d: i for i, d in enumerate(ctx.labels["dimension"].astype(str))} if not ctx.labels.empty else {}
    prof["_order"] = prof["dimension"].astype(str).map(lambda d: order.get(d, len(order)))
    return prof.sort_values("_order", kind="mergesort").drop(columns="_order").reset_index(drop=True)


def _flag(value: Any) -> bool | None:
    if _missing(value):
        return None
    return bool(value)


def profile_section(ctx: BranchContext, *, figure: bool = True) -> Block:
    """PDCA profile: branch mean with its CI against the company benchmark; low agreement flagged."""
    lang = ctx.lang
    if not ctx.staff_shown:
        return _staff_withheld(ctx, "profile_title")
    if ctx.profiles.empty:
        return _section(t(lang, "profile_title"), _p(t(lang, "agreement_na")))
    prof = _ordered_profiles(ctx)
    rows, any_low = [], False
    for rec in prof.to_dict("records"):
        ok = _flag(rec.get("aggregation_ok"))
        label = ctx.label(rec["dimension"])
        if ok is False:
            any_low = True
            agreement = f'<span class="hp-flag">† {esc(t(lang, "agreement_low"))}</span>'
            label_html = esc(label) + " †"
        else:
            agreement = esc(t(lang, "agreement_ok" if ok else "agreement_na"))
            label_html = esc(label)
        rows.append([label_html, esc(ctx.stage(rec["dimension"]) or "—"),
                     esc(f"{_num(rec.get('mean'))} [{_num(rec.get('ci_low'))}, {_num(rec.get('ci_high'))}]"),
                     esc(_num(rec.get("benchmark"))), esc(_num(rec.get("gap"))), agreement])
    cols = [t(lang, c) for c in ("dimension", "stage", "mean_ci", "benchmark", "gap", "agreement")]
    parts = [_p(t(lang, "profile_intro")), _table(cols, rows, numeric=(2, 3, 4))]
    if any_low:
        parts.append(_p(t(lang, "agreement_note"), "hp-note"))
    if figure:
        from analysis.report.figures import bar_profile

        frame = pd.DataFrame({
            "label": [ctx.label(d) + (" †" if _flag(f) is False else "")
                      for d, f in zip(prof["dimension"], prof["aggregation_ok"] if "aggregation_ok" in prof
                                      else [None] * len(prof), strict=True)],
            "mean": prof["mean"].astype(float), "benchmark": prof["benchmark"].astype(float),
            "ci_low": prof["ci_low"].astype(float), "ci_high": prof["ci_high"].astype(float)})
        lo = float(min(frame["ci_low"].min(), frame["benchmark"].min()))
        hi = float(max(frame["ci_high"].max(), frame["benchmark"].max()))
        # the 1–5 frame of the bundled agreement scale, widened if scores fall outside it
        xlim = (min(1.0, math.floor(lo)), max(5.0, math.ceil(hi)))
        fig = bar_profile(frame, "mean", "label", "benchmark", "ci_low", "ci_high", xlim=xlim,
                          xlabel=t(lang, "score_axis"), value_name=t(lang, "this_branch"),
                          benchmark_name=t(lang, "benchmark_ref"), lang=lang)
        parts.append(_figure(ctx, fig, "profile", t(lang, "profile_fig")))
    return _section(t(lang, "profile_title"), *parts)


def priority_section(ctx: BranchContext, *, figure: bool = True) -> Block:
    """Importance × gap matrix and the ranked table (from ``branch_profiles``)."""
    lang = ctx.lang
    if not ctx.staff_shown:
        return _staff_withheld(ctx, "priority_title")
    prof = ctx.profiles
    needed = {"importance", "gap", "priority", "rank"}
    if prof.empty or not needed <= set(prof.columns):
        return _section(t(lang, "priority_title"), _p(t(lang, "no_priorities")))
    prof = prof.sort_values("rank", kind="mergesort").reset_index(drop=True)
    parts = [_p(t(lang, "priority_intro"))]
    if figure:
        from analysis.report.figures import priority_matrix

        frame = pd.DataFrame({"label": [ctx.label(d) for d in prof["dimension"]],
                              "importance": prof["importance"].astype(float), "gap": prof["gap"].astype(float)})
        fig = priority_matrix(frame, "importance", "gap", "label", gap_cut=0.0,
                              xlabel=t(lang, "importance_axis"), ylabel=t(lang, "gap_axis"), lang=lang)
        parts.append(_figure(ctx, fig, "priority", t(lang, "priority_fig")))
    top = prof[(prof["rank"] <= TOP) & (prof["priority"] > 0)]
    if top.empty:
        parts.append(_p(t(lang, "no_priorities")))
    else:
        rows = [[esc(int(r["rank"])), esc(ctx.label(r["dimension"])), esc(_num(r["importance"], 1)),
                 esc(_num(r["gap"])), esc(_num(r["priority"]))] for r in top.to_dict("records")]
        cols = [t(lang, c) for c in ("rank", "dimension", "importance", "gap", "priority")]
        parts.append(_table(cols, rows, numeric=(0, 2, 3, 4)))
    return _section(t(lang, "priority_title"), *parts)


def actions_section(ctx: BranchContext) -> Block:
    """The top priorities turned into concrete actions (``branch_actions``)."""
    lang = ctx.lang
    if not ctx.staff_shown:
        return _staff_withheld(ctx, "actions_title")
    acts = ctx.actions
    if acts.empty:
        return _section(t(lang, "actions_title"), _p(t(lang, "no_actions")))
    acts = acts[acts["rank"] <= TOP].sort_values(["rank", "order"], kind="mergesort")
    prof = ctx.profiles.set_index("dimension") if not ctx.profiles.empty else pd.DataFrame()
    parts = [_p(t(lang, "actions_intro"))]
    for rank, group in acts.groupby("rank", sort=True):
        dim = str(group["dimension"].iloc[0])
        gap = prof["gap"].get(dim) if "gap" in prof else None
        imp = prof["importance"].get(dim) if "importance" in prof else None
        head = t(lang, "action_head", rank=int(rank), label=ctx.label(dim), gap=_num(gap), importance=_num(imp, 1))
        items = []
        for rec in group.to_dict("records"):
            horizon = str(rec.get("horizon") or "")
            horizon_text = TEXT[lang].get(f"horizon_{horizon}", horizon)
            meta = []
            if not _missing(rec.get(f"kpi_{lang}")) and rec.get(f"kpi_{lang}"):
                meta.append(f"<dt>{esc(t(lang, 'track'))}</dt><dd>{esc(rec[f'kpi_{lang}'])}</dd>")
            if horizon_text:
                meta.append(f"<dt>{esc(t(lang, 'horizon'))}</dt><dd>{esc(horizon_text)}</dd>")
            items.append(f'<li><strong>{esc(rec.get(f"title_{lang}"))}</strong>'
                         f'<p>{esc(rec.get(f"detail_{lang}"))}</p><dl class="hp-meta">{"".join(meta)}</dl></li>')
        parts.append(f'<div class="hp-action"><h3>{esc(head)}</h3><ol>{"".join(items)}</ol></div>')
    return _section(t(lang, "actions_title"), *parts)


def target_section(ctx: BranchContext) -> Block:
    """Assigned target against the objective expectation (``target_gaps``)."""
    lang = ctx.lang
    tg = ctx.target
    if not tg or _missing(tg.get("expected")):
        return _section(t(lang, "target_title"), _p(t(lang, "no_target")))
    ratio = tg.get("gap_ratio")
    cols = [t(lang, c) for c in ("assigned", "expected", "actual", "ratio", "difference")]
    row = [esc(_fmt_kpi(tg.get("target"), "number")), esc(_fmt_kpi(tg.get("expected"), "number")),
           esc(_fmt_kpi(tg.get("actual"), "number")), esc(_fmt_kpi(ratio, "percent")),
           esc(_fmt_kpi(tg.get("gap_diff"), "number"))]
    parts = [_p(t(lang, "target_intro")), _table(cols, [row], numeric=(0, 1, 2, 3, 4))]
    if not _missing(ratio):
        r = float(ratio)
        if r > 1 + TARGET_BAND:
            parts.append(_p(t(lang, "target_above", pct=f"{(r - 1) * 100:.1f}%"), "hp-callout"))
        elif r < 1 - TARGET_BAND:
            parts.append(_p(t(lang, "target_below", pct=f"{(1 - r) * 100:.1f}%"), "hp-callout"))
        else:
            parts.append(_p(t(lang, "target_inline", pct=f"{TARGET_BAND * 100:.0f}%"), "hp-callout"))
    return _section(t(lang, "target_title"), *parts)


def _yes_no(lang: str, value: Any) -> str:
    if _missing(value):
        return "—"
    return t(lang, "yes" if bool(value) else "no")


def _reason(lang: str, reason: Any) -> str:
    """A trend row's reason code as text (unknown codes shown as they are)."""
    if _missing(reason) or reason == "":
        return ""
    code = str(reason)
    key = "reason_model_failed" if code.startswith("model_failed") else f"reason_{code}"
    return TEXT[lang].get(key, code)


def _signed_kpi(x: Any, fmt: str, lang: str) -> str:
    """A KPI change with its sign; a change of a percentage in percentage points."""
    if _missing(x):
        return "—"
    x = float(x)
    if fmt == "percent":
        return f"{x * 100:+.1f} {t(lang, 'pp')}"
    if fmt == "score":
        return f"{x:+.2f}"
    return f"{x:+,.0f}" if abs(x) >= 1000 else f"{x:+,.1f}"


def _trend_label(ctx: BranchContext, rec: Mapping[str, Any]) -> str:
    """The row's own label (``label_zh``/``label_en``), else the study's dimension or KPI label, else the code."""
    label = rec.get(f"label_{ctx.lang}")
    if not _missing(label) and str(label):
        return str(label)
    code = str(rec.get("dimension"))
    if rec.get("source") == "kpi" and not ctx.kpis.empty and f"label_{ctx.lang}" in ctx.kpis:
        hit = ctx.kpis.loc[ctx.kpis["kpi"].astype(str) == code, f"label_{ctx.lang}"]
        if len(hit) and not _missing(hit.iloc[0]):
            return str(hit.iloc[0])
    return ctx.label(code)


def _survey_trend_table(ctx: BranchContext, rows_of: pd.DataFrame) -> str:
    lang = ctx.lang
    rows = []
    for rec in rows_of.to_dict("records"):
        rows.append([esc(_trend_label(ctx, rec)), esc(rec.get("previous_wave")),
                     esc(_num(rec.get("previous_mean"))), esc(_num(rec.get("mean"))),
                     esc(f"{_num(rec.get('change'))} [{_num(rec.get('ci_low'))}, {_num(rec.get('ci_high'))}]"),
                     esc(_yes_no(lang, rec.get("significant"))), esc(_yes_no(lang, rec.get("comparable"))),
                     esc(_reason(lang, rec.get("reason")))])
    cols = [t(lang, c) for c in ("dimension", "previous_wave", "previous", "current", "change_ci",
                                 "significant", "comparable", "trend_note")]
    return _table(cols, rows, numeric=(2, 3, 4))


def _kpi_trend_table(ctx: BranchContext, rows_of: pd.DataFrame) -> str:
    lang = ctx.lang
    formats = {}
    if not ctx.kpis.empty and {"kpi", "format"} <= set(ctx.kpis.columns):
        formats = dict(zip(ctx.kpis["kpi"].astype(str), ctx.kpis["format"].astype(str), strict=True))
    rows = []
    for rec in rows_of.to_dict("records"):
        kpi = str(rec.get("dimension"))
        fmt = rec.get("format")
        fmt = formats.get(kpi, "number") if _missing(fmt) else str(fmt)
        rows.append([esc(_trend_label(ctx, rec)),
                     esc(rec.get("previous_wave")), esc(_fmt_kpi(rec.get("previous_value"), fmt)),
                     esc(_fmt_kpi(rec.get("value"), fmt)), esc(_signed_kpi(rec.get("change"), fmt, lang)),
                     esc(_yes_no(lang, rec.get("comparable"))), esc(_reason(lang, rec.get("reason")))])
    cols = [t(lang, c) for c in ("kpi", "previous_wave", "previous_value", "current_value", "change",
                                 "comparable", "trend_note")]
    return _table(cols, rows, numeric=(2, 3, 4))


def trend_section(ctx: BranchContext, *, figure: bool = True) -> Block:
    """Change against the previous wave (``branch_trends``), or "no previous wave".

    Staff-survey, customer-survey and KPI trends (``branch_trends.source``) in separate small
    tables, each row with its "comparable" flag and the reason a change is not given or not
    tested. Staff rows are absent (a notice says why) when the branch's staff results are
    withheld; KPI changes are records, shown without a test.
    """
    lang = ctx.lang
    tr = ctx.trends
    if tr is None or tr.empty:
        return _section(t(lang, "trend_title"), _p(t(lang, "no_previous")))
    source = tr["source"].astype(str) if "source" in tr else pd.Series("staff", index=tr.index)
    staff, customer, kpi = (tr[source == s].reset_index(drop=True) for s in ("staff", "customer", "kpi"))
    parts = [_p(t(lang, "trend_intro"))]
    if not ctx.staff_shown:
        parts += [f"<h3>{esc(t(lang, 'trend_staff'))}</h3>", _notice(t(lang, "trend_staff_withheld", k=ctx.k))]
    elif not staff.empty:
        parts += [f"<h3>{esc(t(lang, 'trend_staff'))}</h3>", _survey_trend_table(ctx, staff)]
    if not customer.empty:
        parts += [f"<h3>{esc(t(lang, 'trend_customer'))}</h3>", _survey_trend_table(ctx, customer)]
    if not kpi.empty:
        parts += [f"<h3>{esc(t(lang, 'trend_kpi'))}</h3>", _p(t(lang, "trend_kpi_intro"), "hp-note"),
                  _kpi_trend_table(ctx, kpi)]
    needed = {"previous_wave", "wave", "previous_mean", "mean", "dimension"}
    if figure and not staff.empty and needed <= set(staff.columns):
        from analysis.report.figures import trend

        plot = staff.dropna(subset=["previous_mean", "mean"])
        if not plot.empty:
            labels = [_trend_label(ctx, rec) for rec in plot.to_dict("records")]
            long = pd.concat([
                pd.DataFrame({"wave": plot["previous_wave"].astype(str), "value": plot["previous_mean"].astype(float),
                              "group": labels}),
                pd.DataFrame({"wave": plot["wave"].astype(str), "value": plot["mean"].astype(float),
                              "group": labels}),
            ], ignore_index=True)
            order = list(dict.fromkeys(list(plot["previous_wave"].astype(str)) + list(plot["wave"].astype(str))))
            fig = trend(long, "wave", "value", "group", order=order, ylabel=t(lang, "score_axis"), lang=lang)
            parts.append(_figure(ctx, fig, "trend", t(lang, "trend_fig")))
    return _section(t(lang, "trend_title"), *parts)


def method_section(ctx: BranchContext) -> Block:
    """Data quality and method note with provenance from ``results.json``."""
    lang = ctx.lang
    prov = ctx.provenance
    lines = [t(lang, "k_rule", k=ctx.k)]
    n_staff = ctx.info.get("n_respondents")
    lines.append(t(lang, "n_staff", n=n_staff) if ctx.staff_shown and n_staff is not None and n_staff >= ctx.k
                 else t(lang, "n_staff_hidden", k=ctx.k))
    if ctx.customer_shown is not None:
        n_c = ctx.info.get("n_customers")
        lines.append(t(lang, "n_customers", n=n_c) if ctx.customer_shown and n_c is not None and n_c >= ctx.k
                     else t(lang, "n_customers_hidden", k=ctx.k))
    careless = (prov.get("excluded") or {}).get("careless")
    if careless is not None:
        lines.append(t(lang, "careless", n=careless))
    if not ctx.importance.empty and "method" in ctx.importance:
        lines.append(t(lang, "method_importance", method=str(ctx.importance["method"].iloc[0])))
    lines.append(t(lang, "method_ci"))
    if ctx.target and not _missing(ctx.target.get("method")):
        lines.append(t(lang, "method_target", method=str(ctx.target["method"])))
    lines.append(t(lang, "results_stage", stage=prov.get("stage", "analyze"), wave=prov.get("wave", ctx.wave)))
    parts = ["<ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>"]

    prov_rows = []
    inputs = prov.get("inputs") or []
    if inputs:
        files = "; ".join(f"{i.get('file')}: {str(i.get('sha256', ''))[:16]}" for i in inputs)
        prov_rows.append((t(lang, "inputs"), files))
    instruments = prov.get("instruments") or {}
    if instruments:
        prov_rows.append((t(lang, "instruments"),
                          "; ".join(f"{name} {v.get('version', '')}" for name, v in sorted(instruments.items()))))
    seed = (prov.get("parameters") or {}).get("seed")
    if seed is not None:
        prov_rows.append((t(lang, "seed"), seed))
    packages = prov.get("packages") or {}
    if packages:
        prov_rows.append((t(lang, "packages"), "; ".join(f"{n} {v}" for n, v in packages.items())))
    if prov_rows:
        parts.append(f"<h3>{esc(t(lang, 'provenance'))}</h3>"
                     + '<table class="hp-table hp-provenance-table"><tbody>'
                     + "".join(f"<tr><td>{esc(a)}</td><td>{esc(b)}</td></tr>" for a, b in prov_rows)
                     + "</tbody></table>")
    return _section(t(lang, "method_title"), *parts, cls="hp-method")


def render_sections(ctx: BranchContext, *, figures: bool = True) -> list[Block]:
    """All sections in report order (what the notebook shows, for use outside a kernel)."""
    return [header(ctx), kpi_section(ctx, figure=figures), profile_section(ctx, figure=figures),
            priority_section(ctx, figure=figures), actions_section(ctx), target_section(ctx),
            trend_section(ctx, figure=figures), method_section(ctx)]


def page(ctx: BranchContext, *, figures: bool = True) -> str:
    """A standalone HTML page of the whole report (without a kernel or nbconvert).

    Applies the house style (:func:`analysis.report.style.use_style`) before drawing, as the
    notebook does, so figures are the same bytes as in the notebook's report.
    """
    from analysis.report.html import REPORT_CSS

    if figures:  # the house style, as the notebook applies it (resets rcParams first)
        from analysis.report.style import use_style

        use_style(ctx.lang)
    title = f"{ctx.name} · {t(ctx.lang, 'title')}"
    body = "\n".join(render_sections(ctx, figures=figures))
    return (f'<!DOCTYPE html>\n<html lang="{esc(t(ctx.lang, "html_lang"))}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{esc(title)}</title>\n<style>\n{REPORT_CSS}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")
