"""Bilingual vocabulary of the research report: section headings, column labels, reason codes, terms.

Every fixed text of the report is looked up here by a stable key; the tables and the narrative
never translate result text.  Model rows are labelled from their structured columns (see
:mod:`analysis.models._results`): :data:`ESTIMANDS` by ``estimand``, :data:`W_POINT_LABELS` by
``w_point``, and the method notes from the provenance codes (:data:`ESTIMATOR_TEXT`,
:data:`SE_TEXT`, :data:`BOOT_TEXT`, :data:`WARNING_TEXT`).  Templates take ``str.format`` fields
filled with labels (``{x}``, ``{m}``, ``{y}``, ``{w}``, ``{point}``, …) or numbers.
"""

from __future__ import annotations

LAYOUTS = ("apa", "three_line")

#: Report sections in order: key → (zh heading, en heading).
SECTIONS: dict[str, tuple[str, str]] = {
    "sample": ("样本与回收情况", "Sample and response"),
    "screening": ("数据筛查与隔离", "Screening and quarantine"),
    "psychometrics": ("信度与效度", "Reliability and validity"),
    "common_method": ("共同方法偏差检验", "Common-method bias"),
    "table1": ("描述统计与相关分析", "Descriptive statistics and correlations"),
    "aggregation": ("聚合指标", "Aggregation indices"),
    "regression": ("回归分析", "Regression analyses"),
    "multilevel": ("多层线性模型", "Multilevel models"),
    "mediation": ("中介与调节效应", "Mediation and moderation"),
    "drivers": ("关键驱动因素", "Key drivers"),
    "targets": ("指标公平性", "Target fairness"),
    "appraisal": ("考核方案评估", "The appraisal scheme evaluated"),
    "waves": ("多期比较", "Waves"),
}

SECTION_OF_MODEL = {
    "hierarchical_regression": "regression", "regression": "regression", "multilevel": "multilevel",
    "mediation": "mediation", "moderation": "mediation", "moderated_mediation": "mediation",
    "relative_weights": "drivers",
}

# ----------------------------------------------------------------------------- vocabulary
W: dict[str, dict[str, str]] = {
    "zh": {
        "table": "表", "note": "注：", "ci": "95% CI", "ci90": "90% CI", "intercept": "截距",
        "total": "合计", "pass": "通过", "fail": "未通过", "overall": "全部题项",
        "measurement": "测量模型", "single_factor": "单因子模型", "within": "（厅内）",
        "between": "（营业厅均值）", "sep": "：", "ln": "ln", "customer": "客户",
        "figure": "图", "one_wave": "本期结果只含一期调查，暂无多期比较。",
        "sig": "* p < .05，** p < .01，*** p < .001。",
    },
    "en": {
        "table": "Table", "note": "Note.", "ci": "95% CI", "ci90": "90% CI", "intercept": "Intercept",
        "total": "Total", "pass": "Pass", "fail": "Fail", "overall": "All items",
        "measurement": "Measurement model", "single_factor": "Single-factor model", "within": " (within branch)",
        "between": " (branch mean)", "sep": ": ", "ln": "ln", "customer": "Customer ",
        "figure": "Figure", "one_wave": "The results hold one survey wave; there is no comparison across waves yet.",
        "sig": "*p < .05. **p < .01. ***p < .001.",
    },
}

# Column labels: column → (zh, en).
COLS: dict[str, tuple[str, str]] = {
    "instrument": ("问卷/数据", "Instrument"), "file": ("文件", "File"),
    "rows_read": ("读取行数", "Rows read"), "rows_accepted": ("接受行数", "Rows accepted"),
    "rows_quarantined": ("隔离行数", "Rows quarantined"), "reason": ("隔离原因", "Reason"),
    "rows": ("行数", "Rows"), "group": ("类别", "Group"), "count": ("人数", "Respondents"),
    "scale": ("维度", "Scale"), "item": ("题项", "Item"), "n": ("样本量", "n"), "k": ("题项数", "Items"),
    "alpha": ("α 系数", "α"), "alpha_ci": ("α 的 95% CI", "α 95% CI"), "omega": ("ω 系数", "ω"),
    "cr": ("组合信度 CR", "CR"), "ave": ("平均方差抽取量 AVE", "AVE"),
    "mean": ("均值", "M"), "sd": ("标准差", "SD"), "skew": ("偏度", "Skewness"),
    "r_drop": ("校正项总相关", "Corrected item–total r"), "alpha_if_deleted": ("删除后 α", "α if deleted"),
    "kmo": ("KMO", "KMO"), "chisq": ("χ²", "χ²"), "chisq_df": ("χ²/df", "χ²/df"), "df": ("自由度", "df"), "p": ("p", "p"),
    "factor": ("因子", "Factor"), "communality": ("共同度", "h²"),
    "ss_loadings": ("特征根（旋转后）", "SS loadings"), "proportion": ("方差解释率", "Proportion of variance"),
    "cumulative": ("累计解释率", "Cumulative"), "component": ("成分", "Component"),
    "eigenvalue": ("实际特征根", "Eigenvalue"), "random_quantile": ("随机特征根（95% 分位）", "Random eigenvalue (95th pct.)"),
    "retain": ("保留", "Retain"),
    "model": ("模型", "Model"), "cfi": ("CFI", "CFI"), "tli": ("TLI", "TLI"), "rmsea": ("RMSEA", "RMSEA"),
    "rmsea_ci": ("RMSEA 90% CI", "RMSEA 90% CI"), "srmr": ("SRMR", "SRMR"),
    "std_all": ("标准化载荷", "Standardised loading"), "std_all_se": ("标准误", "SE"), "z": ("z", "z"),
    "test": ("检验", "Test"), "statistic": ("指标", "Statistic"), "value": ("数值", "Value"),
    "criterion": ("临界值", "Threshold"), "result": ("结论", "Result"), "source": ("类别", "Check"),
    "n_groups": ("营业厅数", "Groups"), "mean_group_size": ("平均组规模", "Mean group size"),
    "f": ("F", "F"), "icc1": ("ICC(1)", "ICC(1)"), "icc2": ("ICC(2)", "ICC(2)"),
    "rwg_j_mean": ("rwg(j) 均值", "Mean rwg(j)"), "rwg_j_median": ("rwg(j) 中位数", "Median rwg(j)"),
    "share_rwg_ok": ("rwg(j) ≥ .70 比例", "Share rwg(j) ≥ .70"),
    "problem": ("问题", "Problem"), "message": ("说明", "Message"),
    "variable": ("变量", "Variable"),
    "step": ("步骤", "Step"), "terms_added": ("新增变量", "Variables added"), "r2": ("R²", "R²"),
    "adj_r2": ("调整 R²", "Adjusted R²"), "delta_r2": ("ΔR²", "ΔR²"), "f_change": ("ΔF", "F change"),
    "df1": ("df1", "df1"), "df2": ("df2", "df2"),
    "term": ("变量", "Predictor"), "estimate": ("b", "b"), "se": ("SE", "SE"), "beta": ("β", "β"),
    "t": ("t", "t"), "ci": ("95% CI", "95% CI"), "vif": ("VIF", "VIF"),
    "path": ("路径", "Path"), "effect": ("效应", "Effect"), "part": ("部分", "Part"),
    "w_value": ("调节变量取值", "Moderator value"), "weight": ("原始相对权重", "Raw weight"),
    "rescaled": ("相对权重（%）", "Rescaled weight (%)"), "rescaled_ci": ("相对权重 95% CI", "Rescaled 95% CI"),
    "rank": ("排序", "Rank"), "branch_id": ("营业厅", "Branch"), "target": ("下达指标", "Assigned target"),
    "actual": ("实际销售", "Actual sales"), "expected": ("客观预期", "Objective expectation"),
    "gap_ratio": ("指标/预期", "Target / expectation"), "log_gap": ("对数偏差", "Log gap"),
}

REASONS: dict[str, tuple[str, str]] = {
    "out_of_range": ("超出取值范围", "Out of range"), "not_a_number": ("非数值", "Not a number"),
    "missing_required": ("必填项缺失", "Required value missing"), "not_allowed": ("非允许取值", "Value not allowed"),
    "unknown_group": ("未知营业厅", "Unknown branch"), "duplicate_respondent": ("重复作答", "Duplicate respondent"),
    "duplicate_record": ("重复记录", "Duplicate record"), "negative_value": ("负值", "Negative value"),
    "not_positive": ("非正值", "Not positive"), "bad_month": ("月份格式错误", "Malformed month"),
    "month_outside_wave": ("月份不在本期", "Month outside the wave"),
}

STATS: dict[str, str] = {
    "alpha": "α", "omega": "ω", "cr": "CR", "ave": "AVE", "icc1": "ICC(1)", "rwg_j": "rwg(j)",
    "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR", "kmo": "KMO",
}
SOURCES: dict[str, tuple[str, str]] = {
    "reliability": ("信度", "Reliability"), "cr_ave": ("聚合效度", "Convergent validity"),
    "cfa_fit": ("CFA 拟合", "CFA fit"), "kmo": ("抽样适切性", "Sampling adequacy"),
    "icc": ("组内相关", "Intraclass correlation"), "rwg": ("组内一致性", "Within-group agreement"),
}
RULES = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
PARTS: dict[str, tuple[str, str]] = {
    "coefficient": ("回归系数", "Coefficient"), "simple_slope": ("简单斜率", "Simple slope"),
    "johnson_neyman": ("J–N 边界", "J–N boundary"), "a_model": ("中介变量模型", "Mediator model"),
    "b_model": ("结果变量模型", "Outcome model"), "index": ("有调节的中介指数", "Index of moderated mediation"),
    "conditional_indirect": ("条件间接效应", "Conditional indirect effect"),
    "fixed": ("固定效应", "Fixed"), "random": ("随机效应", "Random"), "fit": ("模型拟合", "Fit"),
    "derived": ("派生指标", "Derived"),
}
PATHS: dict[str, tuple[str, str]] = {
    "a": ("a", "a"), "b": ("b", "b"), "c": ("c（总效应）", "c (total)"), "c'": ("c′（直接效应）", "c′ (direct)"),
    "indirect": ("间接效应 a×b", "Indirect a×b"),
}
#: Variables the analysis derives (not in any codebook) → (zh, en).
SPECIAL_TERMS: dict[str, tuple[str, str]] = {
    "target_gap": ("指标偏差", "Target gap"),
    "target_completion": ("目标完成率", "Target completion"),
    "branch_id": ("营业厅", "branch"),
}

#: Labels of model rows by ``estimand`` → (zh, en) templates; fields are variable labels.
ESTIMANDS: dict[str, tuple[str, str]] = {
    "a": ("{x} → {m}", "{x} → {m}"),
    "b": ("{m} → {y}", "{m} → {y}"),
    "total": ("{x} → {y}（总效应）", "{x} → {y} (total)"),
    "direct": ("{x} → {y}（直接效应）", "{x} → {y} (direct)"),
    "indirect": ("{x} → {m} → {y}", "{x} → {m} → {y}"),
    "total_indirect": ("{x} → 全部中介变量 → {y}（总间接效应）", "{x} → all mediators → {y} (total indirect)"),
    "r2_level1": ("第一层（个人）R²", "Level-1 (individual) R²"),
    "r2_level2": ("第二层（组）R²", "Level-2 (group) R²"),
    "r2_marginal": ("边际 R²", "Marginal R²"),
    "r2_conditional": ("条件 R²", "Conditional R²"),
    "index": ("有调节的中介指数（{x} → {m} → {y}，调节变量：{w}）",
              "index of moderated mediation ({x} → {m} → {y}, moderator {w})"),
    "conditional_indirect": ("{x} → {m} → {y}（{w} = {point}）", "{x} → {m} → {y} ({w} at {point})"),
    "slope": ("{x} 的斜率（{w} = {point}）", "slope of {x} ({w} at {point})"),
    "jn_inside": ("J–N 边界（在 {w} 观测范围内）", "J–N boundary (within the observed range of {w})"),
    "jn_outside": ("J–N 边界（超出 {w} 观测范围）", "J–N boundary (outside the observed range of {w})"),
    "path_coefficient": ("{outcome} ~ {predictor}", "{outcome} ~ {predictor}"),
    "variance": ("{predictor} 的随机斜率方差", "Random-slope variance of {predictor}"),
    "intercept_variance": ("τ00（组间方差）", "τ00 (between-branch variance)"),
    "covariance": ("{predictor} 与 {predictor2} 的随机效应协方差", "Random-effect covariance of {predictor} and {predictor2}"),
    "residual_variance": ("σ²（组内方差）", "σ² (within-branch variance)"),
    "icc1": ("ICC(1)", "ICC(1)"), "icc2": ("ICC(2)", "ICC(2)"), "design_effect": ("设计效应", "Design effect"),
    "reml_criterion": ("REML 准则", "REML criterion"), "deviance": ("离差（−2LL）", "Deviance (−2LL)"),
    "aic": ("AIC", "AIC"), "bic": ("BIC", "BIC"),
}
#: ``w_point`` codes → (zh, en); a given moderator value is shown as a number instead.
W_POINT_LABELS: dict[str, tuple[str, str]] = {
    "mean-1sd": ("均值 - 1 SD", "mean - 1 SD"), "mean": ("均值", "mean"), "mean+1sd": ("均值 + 1 SD", "mean + 1 SD"),
}
#: Method notes from the provenance codes.  ``estimator`` → (zh, en) template.
ESTIMATOR_TEXT: dict[str, tuple[str, str]] = {
    "ols": ("OLS 估计", "OLS"),
    "mixedlm_reml": ("线性混合模型（statsmodels MixedLM，REML 估计，{n_clusters} 个营业厅）",
                     "linear mixed model (statsmodels MixedLM, REML), {n_clusters} groups"),
    "mixedlm_ml": ("线性混合模型（statsmodels MixedLM，ML 估计，{n_clusters} 个营业厅）",
                   "linear mixed model (statsmodels MixedLM, ML), {n_clusters} groups"),
    "relative_weights": ("Johnson（2000）相对权重法", "Johnson (2000) relative weights"),
    "ols_log_smearing": ("对数销售额对营业厅因素做 OLS 回归，以 Duan 涂抹估计（smearing）还原到原始尺度",
                         "OLS of log sales on branch factors, Duan smearing retransformation"),
    "anova": ("单因素随机效应方差分析", "one-way random-effects ANOVA"),
    "pearson": ("Pearson 相关", "Pearson correlation"), "spearman": ("Spearman 等级相关", "Spearman rank correlation"),
    "mean_difference": ("两组均值之差", "difference of two means"),
}
#: ``se_type`` (with its ``ci_method``) → (zh, en) template; ``{df}`` only where the table has t tests.
SE_TEXT: dict[str, tuple[str, str]] = {
    "classical": ("经典标准误", "classical SE"),
    "cluster_cr1": ("按{cluster}聚类稳健标准误（CR1，{n_clusters} 个聚类）", "cluster-robust SE (CR1) by {cluster}, {n_clusters} clusters"),
    "cluster_cr1_t": ("按{cluster}聚类稳健标准误（CR1，{n_clusters} 个聚类，t 检验 df = {df}）",
                      "cluster-robust SE (CR1) by {cluster}, {n_clusters} clusters, t(df={df})"),
    "wald_z": ("Wald z 检验", "Wald z tests"),
    "welch": ("Welch 标准误", "Welch SE"),
}
#: Bootstrap by ``resample`` → (zh, en) template; ``{interval}`` from :data:`CI_TEXT`.
BOOT_TEXT: dict[str, tuple[str, str]] = {
    "cases": ("{interval} Bootstrap（{n_boot} 次重抽样）", "{interval} bootstrap, {n_boot} resamples"),
    "clusters": ("按{cluster}整群重抽样的 Bootstrap（{n_clusters} 个群，{n_boot} 次重抽样，{interval}区间）",
                 "cluster bootstrap over {cluster} ({n_clusters} clusters), {n_boot} resamples, {interval}"),
    "none": ("未做 Bootstrap", "no bootstrap"),
}
CI_TEXT: dict[str, tuple[str, str]] = {"percentile": ("百分位", "percentile"), "bias_corrected": ("偏差校正", "bias-corrected")}
#: ``warnings`` codes → (zh, en).
WARNING_TEXT: dict[str, tuple[str, str]] = {
    "not_converged": ("优化未报告收敛", "the optimiser did not report convergence"),
    "optimization_failed": ("所有优化算法均失败", "every optimiser failed"),
    "optimizer_retry": ("首选优化算法失败，已换用其他算法", "the first optimiser failed and another was used"),
    "hessian_not_pd": ("Hessian 矩阵非正定，标准误不可靠", "the Hessian is not positive definite: SEs are unreliable"),
    "singular_cov": ("随机效应协方差矩阵奇异", "the random-effects covariance matrix is singular"),
    "boundary": ("某个随机效应方差为 0（边界解）", "a random-effects variance is at zero (boundary fit)"),
    "nonfinite_likelihood": ("对数似然非有限值", "the log-likelihood is not finite"),
    "other_warning": ("估计时出现其他警告", "another warning was raised while fitting"),
    "rank_deficient": ("设计矩阵不满秩，系数不可识别", "the design matrix is rank deficient: coefficients are not identified"),
    "few_clusters": ("聚类数少于 30，聚类稳健标准误与整群 Bootstrap 为近似结果",
                     "fewer than 30 clusters: cluster-robust SEs and the cluster bootstrap are approximate"),
    "clusters_ignored": ("给定了聚类变量，但按独立个案重抽样", "clusters were given but rows were resampled as independent"),
    "degenerate_resamples": ("部分 Bootstrap 重抽样无有限估计值，已剔除", "some bootstrap resamples gave no finite estimate and were dropped"),
    "undefined": ("该统计量对这些数据无定义", "the statistic is undefined for these data"),
    "nonpositive_expectation": ("存在非正的拟合预期值，其比值与对数偏差缺失", "a non-positive fitted expectation: its ratio and log gap are missing"),
}
#: Other pieces of method notes → (zh, en).
METHOD_PARTS: dict[str, tuple[str, str]] = {
    "warnings": ("估计提示：{text}", "warnings: {text}"),
    "centred": ("构造交互项前均值中心化：{names}", "mean-centred before products: {names}"),
    "f_change_classical": ("ΔF 为经典 F 检验", "F change classical"),
    "list_sep": ("、", ", "), "comma": ("，", ", "), "join": ("；", "; "), "end": ("。", "."),
}

WAVE_TITLES = {
    "waves_invariance": ("各量表跨期测量不变性（形态、度量、标量）", "Measurement invariance of each scale across waves (configural, metric, scalar)"),
    "waves_changes": ("问卷版本间变动的题目（不纳入趋势）", "Items changed between instrument versions (left out of trends)"),
    "waves_company": ("全公司各维度的跨期变化", "Change of each scale across waves: company"),
    "waves_district": ("各区局各维度的跨期变化", "Change of each scale across waves: districts"),
    "waves_branch": ("各营业厅各维度的跨期变化", "Change of each scale across waves: branches"),
    "waves_customer_invariance": ("客户问卷各量表跨期测量不变性（形态、度量、标量）",
                                  "Customer survey: measurement invariance of each scale across waves (configural, metric, scalar)"),
    "waves_customer_company": ("全公司客户评价各量表的跨期变化", "Customer survey: change of each scale across waves: company"),
    "waves_customer_district": ("各区局客户评价各量表的跨期变化", "Customer survey: change of each scale across waves: districts"),
    "waves_customer_branch": ("各营业厅客户评价各量表的跨期变化", "Customer survey: change of each scale across waves: branches"),
}

#: How missing answers were handled (results' ``missing`` column) → (zh, en) text of a table note.
MISSING: dict[str, tuple[str, str]] = {
    "fiml": ("全信息最大似然，纳入所有作答者", "full-information maximum likelihood, all respondents"),
    "listwise": ("列表删除，仅完整作答者", "listwise deletion, complete cases"),
    "pairwise": ("成对删除", "pairwise deletion"),
}
#: Estimator implied by the ``missing`` column when a result has no ``estimator`` column.
ESTIMATOR_OF_MISSING = {"fiml": "FIML", "listwise": "ML"}

# Wave comparison tables (``waves_*``): column labels, invariance steps, change kinds, reasons.
WAVE_COLS: dict[str, tuple[str, str]] = {
    "scale": ("维度", "Scale"), "n_items": ("题项数", "Items"), "step": ("等值模型", "Model"), "n": ("样本量", "n"),
    "chisq": ("χ²", "χ²"), "df": ("df", "df"), "cfi": ("CFI", "CFI"), "rmsea": ("RMSEA", "RMSEA"),
    "srmr": ("SRMR", "SRMR"), "delta_chisq": ("Δχ²", "Δχ²"), "delta_df": ("Δdf", "Δdf"),
    "delta_p": ("Δχ² 的 p", "p of Δχ²"), "delta_cfi": ("ΔCFI", "ΔCFI"), "delta_rmsea": ("ΔRMSEA", "ΔRMSEA"),
    "delta_srmr": ("ΔSRMR", "ΔSRMR"), "invariant": ("等值成立", "Invariant"), "reason": ("说明", "Note"),
    "unit_district": ("区局", "District"), "unit_branch": ("营业厅", "Branch"),
    "previous_n": ("上期 n", "Previous n"), "previous_mean": ("上期均值", "Previous M"),
    "previous_sd": ("上期标准差", "Previous SD"), "current_n": ("本期 n", "Current n"),
    "mean": ("本期均值", "Current M"), "sd": ("本期标准差", "Current SD"), "change": ("变化", "Change"),
    "ci": ("变化的 95% CI", "95% CI of change"), "t": ("t", "t"), "welch_df": ("df", "df"), "p": ("p", "p"),
    "p_holm": ("Holm 校正 p", "Holm-adjusted p"), "n_both": ("两期均作答人数", "In both waves"),
    "instrument": ("问卷", "Instrument"), "old_version": ("原版本", "Old version"),
    "new_version": ("新版本", "New version"), "item": ("题项", "Item"), "kind": ("变动", "Change"),
    "old_value": ("原内容", "Before"), "new_value": ("新内容", "After"),
}
INVARIANCE_STEPS: dict[str, tuple[str, str]] = {
    "configural": ("形态等值", "Configural"), "metric": ("度量等值", "Metric"), "scalar": ("标量等值", "Scalar"),
}
ITEM_CHANGES: dict[str, tuple[str, str]] = {
    "added": ("新增", "Added"), "removed": ("删除", "Removed"), "reworded_zh": ("中文表述修改", "Chinese wording"),
    "reworded_en": ("英文表述修改", "English wording"), "response_scale": ("选项量表变更", "Response scale"),
    "reverse": ("反向计分变更", "Reverse keying"), "moved": ("所属维度变更", "Moved to another scale"),
}
WAVE_REASONS: dict[str, tuple[str, str]] = {
    "fewer_than_3_items": ("题项少于 3 个，无法检验", "fewer than 3 items, not tested"),
    "not_converged": ("模型未收敛", "model did not converge"),
    "configural_invariance_fails": ("形态等值不成立", "configural invariance fails"),
    "metric_invariance_fails": ("度量等值不成立", "metric invariance fails"),
    "scalar_invariance_fails": ("标量等值不成立", "scalar invariance fails"),
    "not_invariant": ("测量不等值", "not invariant"), "invariance_not_tested": ("未检验测量不变性", "invariance not tested"),
    "not_comparable": ("两期不可比", "not comparable"), "no_variance": ("无变异，无法检验", "no variance, not tested"),
    "model_failed": ("模型无法估计", "model failed"),
}
YES_NO = {True: ("是", "Yes"), False: ("否", "No")}
