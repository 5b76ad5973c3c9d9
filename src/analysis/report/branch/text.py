"""Fixed texts of the branch report, Chinese (default) and English. Placeholders are filled by :func:`t`."""

from __future__ import annotations

from typing import Any

from ..texts import by_language, fill

__all__ = ["STAGES", "TEXT", "t"]

TEXT: dict[str, dict[str, str]] = by_language({
    "html_lang": ("zh-CN", "en"),
    "title": ("营业厅绩效改进报告", "Branch performance improvement report"),
    "wave": ("调查期次", "Survey wave"),
    "district": ("所属区局", "District"),
    "branch_type": ("营业厅类型", "Branch type"),
    "branch_id": ("营业厅编号", "Branch id"),
    "staff_response": ("员工答卷", "Staff responses"),
    "customer_response": ("客户答卷", "Customer responses"),
    "response_value": ("{n} / {total} 人（回收率 {rate}）", "{n} of {total} staff (response rate {rate})"),
    "response_count": ("{n} 份", "{n}"),
    "fewer_than_k": ("少于 {k} 份", "fewer than {k}"),
    "privacy_notice": (
        "本厅员工问卷的有效答卷少于 {k} 份。为保护答卷人的匿名性，本报告不显示本厅的员工问卷结果；"
        "管理实践部分改为显示所在区局的员工问卷结果（已明确标注，不含答卷不足的营业厅）。业务指标照常显示，"
        "客户问卷指标在客户答卷不少于 {k} 份时显示。",
        "Fewer than {k} staff of this branch answered the staff survey. To protect their anonymity this report shows "
        "none of the branch's staff-survey results; the management-practice part shows the district's staff-survey "
        "results instead (clearly labelled; branches with too few answers are left out). KPIs are shown as usual, "
        "customer-survey results where at least {k} customers answered.",
    ),
    "customer_notice": (
        "本厅客户问卷的有效答卷少于 {k} 份，客户满意度等客户问卷指标不予显示。",
        "Fewer than {k} customers of this branch answered the customer survey; customer-survey results such as "
        "satisfaction are not shown.",
    ),
    "glance_title": ("本期要点", "At a glance"),
    "glance_strengths": ("相对优势", "Strengths"),
    "glance_opportunities": ("优先改进", "Improve first"),
    "glance_none": ("—", "—"),
    "glance_actions": ("本报告列出 {n} 项具体措施（见“改进措施”）。",
                       "This report lists {n} concrete actions (see Actions)."),
    "dim_vs": ("{label}：{mean} 分，{direction}公司 {diff} 分", "{label}: {mean}, {diff} {direction} the company"),
    "ahead": ("高于", "above"),
    "behind": ("低于", "below"),
    "level": ("持平于", "level with"),
    "kpi_title": ("关键业绩指标", "KPIs"),
    "kpi_intro": (
        "本厅本期业绩与所在区局、全公司对比；日均外呼量同时对照《营业厅营销效能提升指引》每日 20 次以上的要求。"
        "“公司内排名”为好于全公司多少比例的营业厅。",
        "This branch's KPIs against its district and the company; outbound calls per day are also compared with the "
        "guide's norm of more than 20 a day. 'Rank' is the share of branches this branch does better than.",
    ),
    "kpi": ("指标", "KPI"),
    "value": ("本厅", "This branch"),
    "district_mean": ("区局均值", "District mean"),
    "company_mean": ("公司均值", "Company mean"),
    "guide": ("指引标准", "Guide norm"),
    "percentile": ("公司内排名", "Rank in company"),
    "better_than": ("好于 {p}", "better than {p}"),
    "withheld": ("不显示（样本不足）", "not shown (too few respondents)"),
    "kpi_fig": ("关键业绩指标：本厅与区局、公司均值及指引标准",
                "KPIs: this branch against the district and company means and the guide's norm"),
    "profile_title": ("管理实践画像", "Management-practice profile"),
    "profile_intro": (
        "员工对本厅绩效管理各环节的评价（1–5 分）：均值及 95% 置信区间、好评率（选“同意”或“非常同意”的比例），"
        "与全公司对比。置信区间覆盖公司基准时，差异可能只是抽样波动。",
        "Staff ratings of each part of performance management (1–5): mean with its 95% confidence interval and % "
        "favourable (agree or strongly agree), against the company. Where the interval covers the company mean, the "
        "difference may be chance.",
    ),
    "district_intro": (
        "本厅答卷不足，以下是所在区局 {district} 的员工问卷结果（{n_branches} 个营业厅、{n} 份答卷，"
        "不含本厅等答卷不足的营业厅），供参考，不代表本厅。",
        "This branch has too few answers; these are the staff-survey results of its district {district} ({n_branches} "
        "branches, {n} answers, without branches with too few answers), for reference: they do not describe this "
        "branch.",
    ),
    "district_title": ("管理实践画像（所在区局，非本厅）",
                       "Management-practice profile (the district, not this branch)"),
    "dimension": ("维度", "Dimension"),
    "stage": ("PDCA 环节", "PDCA stage"),
    "mean_ci": ("均值 [95% 置信区间]", "Mean [95% CI]"),
    "favourable": ("好评率", "% favourable"),
    "benchmark": ("公司均值", "Company mean"),
    "versus": ("与公司相比", "Against the company"),
    "note": ("说明", "Note"),
    "covers": ("差异可能为抽样波动", "difference may be chance"),
    "agreement_low": ("† 员工看法分歧较大", "† staff disagree"),
    "agreement_note": (
        "标 † 的维度员工看法分歧较大（组内一致性 rwg(j) 低于 .70），均值不宜解读为全厅一致的氛围。",
        "Dimensions marked † show much disagreement among staff (rwg(j) below .70): their mean is not a shared branch "
        "climate.",
    ),
    "profile_fig": ("管理实践得分与公司均值（线段为 95% 置信区间）",
                    "Management-practice scores against the company mean (lines: 95% CI)"),
    "district_fig": ("所在区局的管理实践得分与公司均值",
                     "The district's management-practice scores against the company mean"),
    "score_axis": ("得分（1–5）", "Score (1–5)"),
    "this_branch": ("本厅", "This branch"),
    "this_district": ("所在区局", "District"),
    "benchmark_ref": ("公司均值", "Company mean"),
    "items_title": ("题目层面的优势与短板", "Item strengths and opportunities"),
    "items_intro": ("与全公司好评率相比，本厅差距最大的题目（员工对每道题的原话评价）。",
                    "The items where this branch differs most from the company's % favourable, in the survey's words."),
    "items_strengths": ("优势题目", "Strengths"),
    "items_opportunities": ("短板题目", "Opportunities"),
    "item": ("题目", "Item"),
    "company_fav": ("公司好评率", "Company % favourable"),
    "difference": ("差距（百分点）", "Difference (points)"),
    "items_fig": ("优先改进维度的各题：好评 / 中立 / 差评比例",
                  "Items of the first priority: favourable / neutral / unfavourable"),
    "no_items": ("没有与公司明显不同的题目。", "No item differs clearly from the company."),
    "actions_title": ("改进措施", "Actions"),
    "actions_intro": (
        "措施来自依据研究资料编写的行动库；每项注明依据、跟踪指标与见效周期。",
        "Actions come from the action library written from the research material; each names its basis, a KPI to "
        "track and the time it takes to show.",
    ),
    "source_staff_survey": ("员工问卷反映的优先改进事项", "Priorities from the staff survey"),
    "source_kpi": ("业务指标反映的改进事项", "Priorities from the KPIs"),
    "source_customer_survey": ("客户评价反映的改进事项", "Priorities from customer ratings"),
    "source_keep": ("继续保持的优势", "Strengths to keep"),
    "source_district": ("所在区局的共性改进方向（供参考）", "The district's common priority (for reference)"),
    "basis_dimension": ("依据：{label} {value} 分，公司 {benchmark} 分，{direction} {diff} 分。",
                        "Basis: {label} {value}, company {benchmark}, {diff} {direction}."),
    "basis_covers": ("置信区间覆盖公司均值，差距可能只是抽样波动，建议结合日常观察确认。",
                     "The interval covers the company mean: the gap may be chance; check it against what you see."),
    "basis_kpi_guide": ("依据：{label} {value}，未达指引标准 {benchmark}。",
                        "Basis: {label} {value}, short of the guide's {benchmark}."),
    "basis_kpi_company": ("依据：{label} {value}，公司平均 {benchmark}。",
                          "Basis: {label} {value}, company average {benchmark}."),
    "basis_keep": ("依据：{label} {value} 分，高于公司 {diff} 分，是本厅的相对优势。",
                   "Basis: {label} {value}, {diff} above the company: a strength of this branch."),
    "basis_importance": ("依据：本厅各方面均未明显落后，这是对业绩影响最大的方面，建议保持。",
                         "Basis: nothing falls clearly behind; this matters most for performance, so keep it up."),
    "basis_district": ("依据：所在区局 {label} {value} 分，公司 {benchmark} 分。",
                       "Basis: the district's {label} {value}, company {benchmark}."),
    "priority_fig": ("重要性 × 差距：右上方的维度既重要又落后，应优先改进",
                     "Importance × gap: dimensions in the upper right are important and behind"),
    "importance_axis": ("重要性（对目标完成率的相对权重，%）", "Importance (relative weight for target completion, %)"),
    "gap_axis": ("落后公司的幅度（分）", "Behind the company (points)"),
    "track": ("跟踪指标", "KPI to track"),
    "horizon": ("见效周期", "Time to effect"),
    "horizon_weeks": ("数周", "weeks"),
    "horizon_months": ("数月", "months"),
    "horizon_quarters": ("数个季度", "quarters"),
    "comments_title": ("员工与客户意见", "Staff and customer comments"),
    "comments_intro": (
        "开放式意见的主题（按提及次数），以及部分原话；姓名、电话等个人信息已遮盖。",
        "Themes of the open comments (by mentions) and some comments; names, phone numbers and other personal data "
        "are masked.",
    ),
    "comments_staff": ("员工建议", "Staff suggestions"),
    "comments_customer": ("客户意见", "Customer comments"),
    "theme": ("主题", "Theme"),
    "mentions": ("提及次数", "Mentions"),
    "share": ("占比", "Share"),
    "example": ("示例", "Example"),
    "comments_note": ("为保护匿名，答卷不足 {n} 份的群体不显示开放式意见。",
                      "To protect anonymity, comments are shown only for groups with at least {n} answers."),
    "target_title": ("指标分配的公平性", "Target fairness"),
    "target_intro": (
        "本厅下达的销售指标与依据客流量、人员规模、营业厅类型和历史业绩得出的客观预期对比。"
        "指标明显高于客观预期会挫伤员工积极性。",
        "The sales target assigned to this branch against an objective expectation from foot traffic, staff size, "
        "branch type and past sales. Targets clearly above it lower staff engagement.",
    ),
    "assigned": ("下达指标", "Assigned target"),
    "expected": ("客观预期", "Objective expectation"),
    "actual": ("实际销售收入", "Actual sales"),
    "ratio": ("指标 / 客观预期", "Target / expectation"),
    "target_above": ("下达的指标比客观预期高 {pct}，分配偏紧，建议复核指标分解依据。",
                     "The assigned target is {pct} above the objective expectation: tight; review its basis."),
    "target_below": ("下达的指标比客观预期低 {pct}，仍有提升空间。",
                     "The assigned target is {pct} below the objective expectation: there is room to grow."),
    "target_inline": ("下达的指标与客观预期基本相当（相差 {pct} 以内）。",
                      "The assigned target is in line with the objective expectation (within {pct})."),
    "no_target": ("没有本厅的指标测算数据。", "No target expectation for this branch."),
    "trend_title": ("与上期对比", "Change since the previous wave"),
    "trend_intro": (
        "本期与上期的均值及变化。变化后的区间为 95% 置信区间；"
        "“有无明显变化”依据同一营业厅各维度一起作多重比较校正（Holm 法）后的检验，因此个别区间不含 0 "
        "的维度也可能判为无明显变化。",
        "Means of this wave and the last, and the change with its 95% confidence interval. 'Clear change' uses the "
        "test adjusted for testing all dimensions of the branch together (Holm), so a dimension whose interval "
        "excludes 0 may still show no clear change.",
    ),
    "no_previous": ("没有上期数据，本期为首次调查。", "No previous wave: this is the first survey."),
    "previous_wave": ("上期", "Previous wave"),
    "previous": ("上期", "Previous"),
    "current": ("本期", "Current"),
    "change_ci": ("变化 [95% 置信区间]", "Change [95% CI]"),
    "significant": ("有无明显变化", "Clear change"),
    "yes": ("有", "yes"),
    "no": ("无", "no"),
    "trend_fig": ("各维度两期均值", "Dimension means in the two waves"),
    "trend_staff": ("员工问卷：绩效管理实践", "Staff survey: management practices"),
    "trend_customer": ("客户问卷：服务评价", "Customer survey: service ratings"),
    "trend_kpi": ("业务指标", "KPIs"),
    "trend_note": ("说明", "Note"),
    "trend_kpi_intro": (
        "业务指标来自全部业务记录而非抽样，两期之差就是实际变化，不做显著性检验。",
        "KPIs come from complete records, not a sample: the difference is the actual change, untested.",
    ),
    "previous_value": ("上期", "Previous"),
    "current_value": ("本期", "Current"),
    "change": ("变化", "Change"),
    "pp": ("个百分点", "pp"),
    "reason_no_variance": ("两期得分无差异", "no difference"),
    "reason_not_comparable": ("两期问卷不可直接比较", "surveys not comparable"),
    "reason_configural_invariance_fails": ("两期问卷不可直接比较", "surveys not comparable"),
    "reason_metric_invariance_fails": ("两期问卷不可直接比较", "surveys not comparable"),
    "reason_scalar_invariance_fails": ("两期问卷不可直接比较", "surveys not comparable"),
    "reason_not_converged": ("两期问卷不可直接比较", "surveys not comparable"),
    "reason_fewer_than_3_items": ("两期问卷不可直接比较", "surveys not comparable"),
    "reason_invariance_not_tested": ("两期问卷不可直接比较", "surveys not comparable"),
    "reason_model_failed": ("两期问卷不可直接比较", "surveys not comparable"),
    "reason_records_not_a_sample": ("全量记录", "complete records"),
    "reason_value_missing": ("有一期数据缺失或不显示", "missing or withheld in one wave"),
    "reason_period_length_differs": ("两期统计月数不同", "periods differ in length"),
    "effects_title": ("上期措施的效果", "Effect of last wave's actions"),
    "effects_intro": ("本厅上期登记的改进措施，及其针对维度在两期间的变化。",
                      "The actions this branch registered last wave and the change of the dimension they target."),
    "effect_action": ("措施", "Action"),
    "effect_start": ("开始月份", "Start month"),
    "effect_hidden": ("答卷不足，不显示", "too few answers: not shown"),
    "team_title": ("团队考核得分", "Team appraisal scores"),
    "team_composite": ("综合得分", "Composite"),
    "team_intro": ("按考核方案计算的本厅员工平均得分（每项满分 100），即考核的团队视角。",
                   "The branch's mean points per appraisal indicator (out of 100) under the scheme: the team view."),
    "indicator": ("考核项", "Indicator"),
    "points": ("本厅平均", "This branch"),
    "company_points": ("公司平均", "Company"),
    "appendix_title": ("附录：数据与方法", "Appendix: data and method"),
    "k_rule": (
        "最小报告人数 k = {k}：少于 {k} 人的群体结果一律不显示，也不能由其他数字相减推算。",
        "Minimum reporting size k = {k}: no result of a group smaller than {k} is shown, nor can one be worked out by "
        "subtracting other figures.",
    ),
    "method_importance": (
        "“重要性”为各维度对目标完成率的相对权重（Johnson 相对权重法，基于全公司员工数据）。",
        "'Importance' is each dimension's relative weight for target completion (Johnson's relative weights on all "
        "staff of the company).",
    ),
    "method_ci": ("置信区间基于 t 分布并限定在 1–5 分之内；组内一致性用 rwg(j) 衡量。",
                  "Intervals use the t distribution, limited to the 1–5 scale; within-branch agreement is rwg(j)."),
    "method_favourable": (
        "好评率为选择量表上半部分（同意、非常同意）的比例，反向题已换算。",
        "% favourable is the share of answers in the upper half of the scale (agree, strongly agree), reverse-worded "
        "items turned round.",
    ),
    "careless": ("全公司因作答不认真被剔除的员工问卷：{n} 份。",
                 "Staff responses excluded company-wide as careless: {n}."),
    "provenance": ("来源与可复现信息", "Provenance"),
    "inputs": ("输入文件（SHA-256 前 16 位）", "Input files (first 16 hex digits of SHA-256)"),
    "instruments": ("问卷版本", "Instrument versions"),
    "seed": ("随机种子", "Seed"),
    "packages": ("软件版本", "Package versions"),
})

STAGES = by_language({
    "plan": ("计划（P）", "Plan"),
    "do": ("实施与辅导（D）", "Do"),
    "check": ("评估（C）", "Check"),
    "act": ("反馈与运用（A）", "Act"),
    "all": ("贯穿全程", "All stages"),
})


def t(lang: str, key: str, **values: Any) -> str:
    """Fixed text ``key`` in ``lang`` with ``values`` filled in (values are NOT escaped here).

    Parameters
    ----------
    lang : ``"zh"`` or ``"en"``.
    key : a key of :data:`TEXT`.
    **values : the placeholders' values.

    Examples
    --------
    >>> t("en", "fewer_than_k", k=5)
    'fewer than 5'
    """
    return fill(TEXT, lang, key, **values)
