"""Report tables of the appraisal scheme (``appraisal_*`` results, docs/appraisal.md): the scheme,
grades and bonus with their stability, 360° reliability, self–other gaps, fairness against the
target gap, team weighting, internal competition and, with a previous wave, predictive validity
and the effects of last wave's actions.

Labels live here rather than in :mod:`.vocabulary` because no other section uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .base import B2, B3, N0, N2, N3, StudyTable, ci_text, p3

if TYPE_CHECKING:
    from .report import StudyReport

SECTION = "appraisal"

COLS: dict[str, tuple[str, str]] = {
    "indicator": ("考核指标", "Indicator"), "area": ("考核维度", "Area"), "level": ("层面", "Level"),
    "weight": ("权重", "Weight"), "direction": ("方向", "Direction"), "method": ("标准化方法", "Normalisation"),
    "grade": ("等级", "Grade"), "n": ("人数", "n"), "share": ("占比", "Share"),
    "coefficient": ("奖金系数", "Bonus coefficient"), "mean": ("人均奖金", "Mean bonus"),
    "share_of_pool": ("奖金池占比", "Share of pool"), "p_change": ("等级改变概率", "P(grade changes)"),
    "share_stable": ("稳定比例", "Share stable"),
    "role": ("评价者角色", "Rater role"), "n_ratings": ("评分数", "Ratings"), "n_ratees": ("被评人数", "Ratees"),
    "n_raters": ("评价人数", "Raters"), "raters_per_ratee": ("人均评价者", "Raters per ratee"),
    "icc1": ("ICC(1)", "ICC(1)"), "icc1_ci": ("ICC(1) 95% CI", "ICC(1) 95% CI"), "icc2_k": ("ICC(2,k)", "ICC(2,k)"),
    "iccc_k": ("ICC(C,k)", "ICC(C,k)"), "rwg_j_mean": ("rwg(j) 均值", "Mean rwg(j)"),
    "unit": ("比较", "Comparison"), "mean_self": ("自评均值", "Self"), "mean_other": ("他评均值", "Others"),
    "estimate": ("估计值", "Estimate"), "ci": ("95% CI", "95% CI"), "p": ("p", "p"),
    "r_self_other": ("自评–他评相关", "r (self, others)"),
    "analysis": ("分析", "Analysis"), "subset": ("范围", "Subset"),
    "team_share": ("团队指标权重", "Team weight"), "is_scheme": ("现行方案", "Scheme"),
    "rho_composite": ("与现行综合分的相关", "ρ with scheme composite"),
    "share_grade_changed": ("等级改变比例", "Share re-graded"), "icc1_composite": ("综合分 ICC(1)", "Composite ICC(1)"),
    "within_branch_gini": ("厅内 Gini", "Within-branch Gini"),
    "action": ("措施", "Action"), "outcome": ("结果变量", "Outcome"), "estimator": ("估计方法", "Estimator"),
    "n_treated": ("采用厅数", "Adopting branches"), "n_control": ("对照厅数", "Comparison branches"),
    "reason": ("说明", "Note"),
}
TITLES: dict[str, tuple[str, str]] = {
    "appraisal_scheme": ("考核方案：指标、权重与标准化", "Appraisal scheme: indicators, weights and normalisation"),
    "appraisal_grades": ("考核等级分布、奖金与等级稳定性", "Grades, bonus and grade stability"),
    "appraisal_ratings_icc": ("360° 评价的评分者信度（按评价者角色）", "360° ratings: inter-rater reliability by rater role"),
    "appraisal_self_other": ("自评与他评之差", "Self–other gaps"),
    "appraisal_fairness": ("考核公平性：等级、奖金与指标偏差", "Fairness: grades and bonus against the target gap"),
    "appraisal_team_weighting": ("团队指标权重的影响", "Team versus individual weighting"),
    "appraisal_competition": ("奖金差距与内部竞争", "Bonus spread and internal competition"),
    "appraisal_predictive_validity": ("上期考核对本期绩效的预测效度", "Predictive validity of last wave's appraisal"),
    "appraisal_action_effects": ("上期改进措施的效果（双重差分）", "Effects of last wave's actions (difference in differences)"),
}
LEVELS = {"individual": ("个人", "Individual"), "team": ("团队", "Team"), "composite": ("综合", "Composite")}
DIRECTIONS = {"higher": ("越高越好", "Higher is better"), "lower": ("越低越好", "Lower is better")}
METHODS = {"target_ratio": ("完成比率", "Ratio to target"), "percentile": ("百分位", "Percentile"),
           "range": ("量程换算", "Scale range"), "z": ("z 分数", "z score")}
ROLES = {"supervisor": ("上级", "Supervisor"), "peer": ("同事", "Peer"), "subordinate": ("下级", "Subordinate"),
         "customer": ("客户", "Customer"), "self": ("自评", "Self"), "all": ("全部他评", "All others")}
FAIRNESS = {"points_on_gap": ("综合分对指标偏差的回归斜率", "Composite points on the target gap (slope)"),
            "top_on_gap": ("获 A/B 等级对指标偏差的回归斜率", "Top grade (A/B) on the target gap (slope)"),
            "bottom_on_gap": ("获 D/E 等级对指标偏差的回归斜率", "Bottom grade (D/E) on the target gap (slope)"),
            "bonus_on_gap": ("奖金对指标偏差的回归斜率", "Bonus on the target gap (slope)"),
            "lost_grade": ("因下达指标而失去等级的比例", "Share who lost a grade by their target"),
            "gained_grade": ("因下达指标而获得等级的比例", "Share who gained a grade by their target"),
            "grade_change": ("净变化（升级 − 降级）", "Net change (gained − lost)")}
SUBSETS = {"all": ("全体", "All"), "over_set": ("指标偏高者", "Over-set targets"),
           "under_set": ("指标偏低者", "Under-set targets")}
PREDICTIVE = {"spearman": ("Spearman 等级相关", "Spearman's ρ"), "slope": ("回归斜率（聚类稳健）", "Slope (cluster-robust)"),
              "mean_by_grade": ("按上期等级的均值", "Mean by last grade")}
ESTIMATORS = {"did": ("双重差分", "DiD"), "did_adjusted": ("双重差分（控制前测）", "DiD adjusted for the pre level")}
ACTION_REASONS = {"": ("", ""), "not_invariant": ("未达跨期不变性，不估计", "not invariant across waves: not estimated"),
                  "unknown_action": ("措施库中没有此措施", "not in the action library"),
                  "too_few_branches": ("采用厅数不足", "too few adopting branches"),
                  "outcome_missing": ("缺少该结果变量", "outcome missing"),
                  "below_k": ("作答人数不足 k，不公开", "fewer than k respondents: not shown")}


def _t(r: StudyReport, table: dict[str, tuple[str, str]], key: object) -> str:
    pair = table.get(str(key))
    return r.t(pair) if pair else str(key)


def _labels(r: StudyReport, frame: pd.DataFrame) -> dict[str, str]:
    return {c: r.t(COLS[c]) if c in COLS else c for c in frame.columns}


def _table(r: StudyReport, name: str, frame: pd.DataFrame, formats: dict, note: str) -> StudyTable:
    return StudyTable(name, SECTION, r.t(TITLES[name]), frame.reset_index(drop=True), formats, _labels(r, frame), note,
                      source=name)


def appraisal_tables(r: StudyReport) -> list[StudyTable]:
    """The appraisal section's tables, those whose results exist (none without ``appraisal:`` in the study)."""
    out = [build(r) for build in (_scheme, _grades, _ratings, _self_other, _fairness, _team, _competition,
                                  _predictive, _actions)]
    return [t for t in out if t is not None]


def _scheme(r: StudyReport) -> StudyTable | None:
    df = r.result("appraisal_scheme")
    if df is None:
        return None
    zh = r.lang == "zh"
    frame = pd.DataFrame({
        "indicator": df["label_zh" if zh else "label_en"], "area": df["area_zh" if zh else "area_en"],
        "level": [_t(r, LEVELS, v) for v in df["level"]], "weight": df["weight"],
        "direction": [_t(r, DIRECTIONS, v) for v in df["direction"]],
        "method": [_t(r, METHODS, m) + (f"（{r.var_label(w)}内）" if zh else f" (within {r.var_label(w)})")
                   if isinstance(w, str) and w else _t(r, METHODS, m) for m, w in zip(df["method"], df["within"])]})
    version = f"{df['scheme_id'].iloc[0]} {df['scheme_version'].iloc[0]}"
    note = (f"方案 {version}。每个指标先换算为 0–100 分，再按权重合成综合分；团队指标取本厅全员同一分值。" if zh else
            f"Scheme {version}. Each indicator is converted to 0–100 points, then weighted into the composite; a team "
            "indicator gives every member of a branch the same points.")
    return _table(r, "appraisal_scheme", frame, {"weight": B2}, note)


def _grades(r: StudyReport) -> StudyTable | None:
    df = r.result("appraisal_bonus_summary")
    if df is None:
        return None
    zh = r.lang == "zh"
    frame = df[["grade", "n", "coefficient", "mean", "share_of_pool"]].assign(share=df["n"] / df["n"].sum())
    frame = frame[["grade", "n", "share", "coefficient", "mean", "share_of_pool"]]
    stable = r.result("appraisal_grade_stability")
    note = ("奖金系数越高，奖金比例越高（等级越高奖金比例越高）。" if zh else "Higher grades carry higher bonus coefficients. ")
    if stable is not None:
        frame = frame.merge(stable[["grade", "p_change", "share_stable"]], on="grade", how="left")
        n_boot = int(stable["n_boot"].iloc[0])
        overall = stable.loc[stable["grade"] == "all"]
        p_all = float(overall["p_change"].iloc[0]) if len(overall) else float("nan")
        note += (f"等级稳定性：在每位被评者的每类评价者内重抽评价者（{n_boot} 次），重算综合分与等级；等级改变概率为各人改变概率的均值"
                 f"（全体 {B3(p_all)}），稳定比例为改变概率低于 .20 的人数比例。" if zh else
                 f"Grade stability: raters resampled within each ratee and rater role ({n_boot} resamples), composite "
                 f"and grade recomputed; P(grade changes) is the mean of each person's probability (all: {B3(p_all)}), "
                 "share stable the share whose probability is below .20.")
    formats = {"n": "int", "share": B3, "coefficient": N2, "mean": N0, "share_of_pool": B3, "p_change": B3,
               "share_stable": B3}
    return _table(r, "appraisal_grades", frame, formats, note)


def _ratings(r: StudyReport) -> StudyTable | None:
    df = r.result("appraisal_ratings_icc")
    if df is None:
        return None
    zh = r.lang == "zh"
    frame = pd.DataFrame({
        "role": [_t(r, ROLES, v) for v in df["role"]], "n_ratings": df["n"], "n_ratees": df["n_ratees"],
        "n_raters": df["n_raters"], "raters_per_ratee": df["raters_per_ratee"], "icc1": df["icc1"],
        "icc1_ci": [ci_text(lo, hi, B3) for lo, hi in zip(df["icc1_ci_low"], df["icc1_ci_high"])],
        "icc2_k": df["icc2_k"], "iccc_k": df["iccc_k"], "rwg_j_mean": df["rwg_j_mean"]})
    single = [_t(r, ROLES, v) for v, d in zip(df["role"], df["design"]) if d == "one_rater_per_ratee"]
    k_min = int(df["min_raters"].iloc[0])
    note = (f"ICC(1) 为单方差分析估计（Bliese, 2000）；ICC(2,k) 与 ICC(C,k) 为双因素（评价者 × 被评者，Henderson III）"
            f"k 位评价者均值的信度（Shrout & Fleiss, 1979; McGraw & Wong, 1996）；rwg(j) 以均匀分布为零分布。"
            f"只计至少 {k_min} 位同类评价者的被评者。" if zh else
            "ICC(1): one-way ANOVA (Bliese, 2000); ICC(2,k) and ICC(C,k): two-way (rater × ratee, Henderson III) "
            "reliability of the mean of k raters (Shrout & Fleiss, 1979; McGraw & Wong, 1996); rwg(j) with a uniform "
            f"null. Only ratees with at least {k_min} raters of the role are counted.")
    one_way = [_t(r, ROLES, v) for v, a, b in zip(df["role"], df["icc1"], df["icc2_k"]) if pd.notna(a) and pd.isna(b)]
    if one_way:
        note += (f"{'、'.join(one_way)}每位评价者只评一人，只能做单因素估计。" if zh else
                 f" {', '.join(one_way)}: each rater rates one person, so only the one-way estimate exists.")
    if single:
        note += (f"{'、'.join(single)}每人只有一位评价者，无法估计评分者信度。" if zh else
                                          f" {', '.join(single)}: one rater per ratee, so no inter-rater reliability.")
    formats = {"n_ratings": "int", "n_ratees": "int", "n_raters": "int", "raters_per_ratee": N2, "icc1": B3,
               "icc2_k": B3, "iccc_k": B3, "rwg_j_mean": B3}
    return _table(r, "appraisal_ratings_icc", frame, formats, note)


def _self_other(r: StudyReport) -> StudyTable | None:
    df = r.result("appraisal_self_other")
    if df is None:
        return None
    df = df[df["level"].isin(["company", "role"])]
    if df.empty:
        return None
    zh = r.lang == "zh"
    frame = pd.DataFrame({
        "unit": [_t(r, ROLES, u) for u in df["unit"]], "n": df["n"], "mean_self": df["mean_self"],
        "mean_other": df["mean_other"], "estimate": df["estimate"],
        "ci": [ci_text(lo, hi, N3) for lo, hi in zip(df["ci_low"], df["ci_high"])], "p": df["p"],
        "r_self_other": df["r_self_other"]})
    note = ("估计值 = 自评 − 他评（配对 t 检验）；“全部他评”按方案的角色权重合成，其余各行为与该类评价者之差。正值表示自评偏高。" if zh else
            "Estimate = self − others (paired t test); All others: role-weighted as in the scheme, other rows against "
            "that role. Positive: self-ratings are higher.")
    formats = {"n": "int", "mean_self": N2, "mean_other": N2, "estimate": N3, "p": p3, "r_self_other": B2}
    return _table(r, "appraisal_self_other", frame, formats, note)


def _fairness(r: StudyReport) -> StudyTable | None:
    df = r.result("appraisal_fairness")
    if df is None:
        return None
    zh = r.lang == "zh"
    frame = pd.DataFrame({
        "analysis": [_t(r, FAIRNESS, a) for a in df["analysis"]], "subset": [_t(r, SUBSETS, s) for s in df["subset"]],
        "n": df["n"], "estimate": df["estimate"],
        "ci": [ci_text(lo, hi, N3) for lo, hi in zip(df["ci_low"], df["ci_high"])], "p": df["p"]})
    clusters = df["n_groups"].dropna()
    k = f"{int(clusters.iloc[0])} " if len(clusters) else ""
    note = (f"指标偏差 = ln(下达指标 / 客观预期)。回归为 OLS，按营业厅聚类稳健标准误（CR1，{k}个营业厅）；"
            "比例为反事实：以客观预期代替下达指标重算综合分与等级后，等级改变者的比例。斜率显著为负说明指标定得越高，考核越吃亏。" if zh else
            f"Target gap = ln(assigned target / objective expectation). Regressions: OLS with cluster-robust SE by "
            f"branch (CR1, {k}branches). Shares are counterfactual: the composite and grades recomputed with the "
            "objective expectation as the target. A negative slope means an over-set target costs points.")
    return _table(r, "appraisal_fairness", frame, {"n": "int", "estimate": N3, "p": p3}, note)


def _team(r: StudyReport) -> StudyTable | None:
    df = r.result("appraisal_team_weighting")
    if df is None:
        return None
    zh = r.lang == "zh"
    mark = ("✓", "")
    frame = df[["team_share", "is_scheme", "rho_composite", "share_grade_changed", "icc1_composite",
                "within_branch_gini"]].assign(is_scheme=[mark[0] if v else mark[1] for v in df["is_scheme"]])
    note = ("将团队指标的合计权重设为不同数值（其余按比例调整）后重算：与现行综合分的相关、等级改变比例、综合分的厅间差异（ICC(1)）"
            "和厅内奖金差距（Gini）。团队权重越大，同厅员工得分越接近。" if zh else
            "The team indicators' total weight set to each value (the others rescaled): correlation with the scheme's "
            "composite, share re-graded, between-branch share of the composite (ICC(1)) and within-branch bonus "
            "spread (Gini). More team weight makes colleagues' scores closer.")
    formats = {"team_share": B2, "rho_composite": B3, "share_grade_changed": B3, "icc1_composite": B3,
               "within_branch_gini": B3}
    return _table(r, "appraisal_team_weighting", frame, formats, note)


def _competition(r: StudyReport) -> StudyTable | None:
    df = r.result("appraisal_competition")
    if df is None:
        return None
    zh = r.lang == "zh"
    frame = pd.DataFrame({
        "outcome": [_item_label(r, o) for o in df["outcome"]], "n": df["n"], "estimate": df["estimate"],
        "ci": [ci_text(lo, hi, N3) for lo, hi in zip(df["ci_low"], df["ci_high"])], "p": df["p"]})
    n = int(df["n_clusters"].iloc[0]) if "n_clusters" in df else len(df)
    note = (f"营业厅层面 OLS（{n} 个营业厅，聚类稳健标准误 CR1）：内部竞争题目的厅均值对厅内奖金 Gini 系数的回归。" if zh else
            f"Branch-level OLS ({n} branches, cluster-robust SE CR1): the branch mean of the internal-competition item "
            "on the within-branch Gini coefficient of bonuses.")
    return _table(r, "appraisal_competition", frame, {"n": "int", "estimate": N3, "p": p3}, note)


def _item_label(r: StudyReport, code: str) -> str:
    """An item's code with its wording (the competition item is an item, not a scale)."""
    for inst in r.instruments.values():
        if code in inst.items:
            return f"{code} {inst.items[code].text.get(r.lang)}"
    return r.var_label(code)


def _predictive(r: StudyReport) -> StudyTable | None:
    df = r.result("appraisal_predictive_validity")
    if df is None:
        return None
    zh = r.lang == "zh"
    frame = pd.DataFrame({
        "analysis": [_t(r, PREDICTIVE, a) + (f"：{t}" if zh else f": {t}") if a == "mean_by_grade" else _t(r, PREDICTIVE, a)
                     for a, t in zip(df["analysis"], df["term"])],
        "n": df["n"], "estimate": df["estimate"],
        "ci": [ci_text(lo, hi, N3) for lo, hi in zip(df["ci_low"], df["ci_high"])], "p": df["p"]})
    outcome = r.var_label(df["outcome"].iloc[0]) if "outcome" in df else ""
    previous = df["previous_wave"].iloc[0] if "previous_wave" in df else ""
    note = (f"上期（{previous}）综合分与等级对本期{outcome}的预测，只计两期都在的员工；Spearman 区间为 Fisher z 变换"
            "（se = 1.06/√(n − 3)）；人数不足 k 的等级不列出。" if zh else
            f"Last wave's ({previous}) composite and grade predicting this wave's {outcome}, for staff present in both "
            "waves; Spearman interval by Fisher z (se = 1.06/√(n − 3)); grades with fewer than k people are left out.")
    return _table(r, "appraisal_predictive_validity", frame, {"n": "int", "estimate": N3, "p": p3}, note)


def _actions(r: StudyReport) -> StudyTable | None:
    df = r.result("appraisal_action_effects")
    if df is None:
        return None
    zh = r.lang == "zh"
    reasons = df["reason"].fillna("").astype(str)
    frame = pd.DataFrame({
        "action": df["action_id"], "outcome": [r.var_label(o) if isinstance(o, str) else "" for o in df["outcome"]],
        "estimator": [_t(r, ESTIMATORS, e) if isinstance(e, str) else "" for e in df["estimator"]],
        "estimate": df["estimate"], "ci": [ci_text(lo, hi, N3) for lo, hi in zip(df["ci_low"], df["ci_high"])],
        "p": df["p"], "n_treated": df["n_treated"], "n_control": df["n_control"],
        "reason": [_t(r, ACTION_REASONS, c) for c in reasons]})
    note = ("双重差分：采用措施的营业厅两期变化减去未采用任何措施的可比营业厅（同一分层）的变化；异方差稳健标准误。"
            "“控制前测”另控制上期水平（上期偏低而被建议采用时，未控制前测的估计会受均值回归影响）。未达跨期标量不变性的维度不估计。" if zh else
            "Difference in differences: the change in branches that adopted the action minus the change in comparable "
            "branches (same stratum) that adopted none; heteroskedasticity-robust SE. Adjusted: also controls for the "
            "previous level (regression to the mean when low scorers were advised to adopt). Dimensions without scalar "
            "invariance across the waves are not estimated.")
    formats = {"estimate": N3, "p": p3, "n_treated": "int", "n_control": "int"}
    return _table(r, "appraisal_action_effects", frame, formats, note)
