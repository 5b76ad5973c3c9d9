"""The report layer labels results by looking up their structured columns, never by parsing text.

Issue 13: statistics once returned free-text ``term``/``method`` strings that the report parsed back
with regular expressions, so English leaked into Chinese reports and both layers had to change
together.  These tests keep it that way: an AST scan of ``src/analysis/report`` for regular
expressions outside a short allow-list, labels built from structured columns whatever ``term``
says, and no English model or method fragment in the Chinese study report of the sample wave.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "src" / "analysis" / "report"
SURVEYS = ROOT / "surveys"

#: Modules that may use regular expressions, and why: each escapes or formats output the report
#: itself produces; none reads a result's text.
ALLOWED = {
    "svg_base.py": "strips characters XML forbids and validates SVG element ids",
    "tables.py": "escapes Markdown metacharacters and raw HTML in cell text",
    "tables_format.py": "recognises p-value column names and drops the leading zero of formatted numbers",
    "tables_cells.py": "reads back the numbers and intervals the formatter wrote, to align them",
}
#: pandas string methods that take a regular expression by default.
PANDAS_REGEX = {"contains", "extract", "extractall", "match", "fullmatch", "findall", "count"}


def _regex_uses(tree: ast.AST) -> list[str]:
    """Each regular expression in ``tree``: ``re`` imports and calls, regex pandas string methods (by line)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "re" for a in node.names):
            found.append((node.lineno, "import re"))
        elif isinstance(node, ast.ImportFrom) and node.module == "re":
            found.append((node.lineno, "from re import ..."))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "re":
            found.append((node.lineno, f"re.{node.attr}"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "str"):
            regex_kw = any(k.arg == "regex" and isinstance(k.value, ast.Constant) and k.value.value is True
                           for k in node.keywords)
            if node.func.attr in PANDAS_REGEX or (node.func.attr in ("replace", "split") and regex_kw):
                found.append((node.lineno, f".str.{node.func.attr}(...)"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_scan_finds_regular_expressions():
    code = "import re\nx = re.sub('a', 'b', s)\ny = df['term'].str.contains('within')\nz = s.str.replace('a', 'b')\n"
    assert _regex_uses(ast.parse(code)) == ["line 1: import re", "line 2: re.sub", "line 3: .str.contains(...)"]


def test_no_regex_over_result_text_in_report_layer():
    files = sorted(REPORT.rglob("*.py"))
    assert len(files) > 20
    offenders = {}
    for path in files:
        rel = path.relative_to(REPORT).as_posix()
        uses = _regex_uses(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if uses and rel not in ALLOWED:
            offenders[rel] = uses
    assert not offenders, f"regular expressions in the report layer outside the allow-list: {offenders}"
    assert all((REPORT / name).is_file() for name in ALLOWED)  # the allow-list names real modules


# --------------------------------------------------------------------------- labels from codes
def _labels(lang: str):
    """A :class:`Labels` on the bundled study file and codebooks (no results needed)."""
    from analysis.instrument import load_instruments
    from analysis.report.study.base import Labels
    from analysis.report.study.vocabulary import W
    from analysis.study import load_study

    labels = Labels()
    labels.lang, labels.w = lang, W[lang]
    labels.study = load_study(SURVEYS / "study.yml")
    labels.instruments = load_instruments(SURVEYS)
    return labels


@pytest.fixture(scope="module")
def zh():
    return _labels("zh")


@pytest.fixture(scope="module")
def en():
    return _labels("en")


# ``term`` is deliberately wrong on every row: the label must come from the structured columns.
ROWS = pd.DataFrame([
    dict(term="?", estimand="slope", x="target_gap", w="TS", w_point="mean-1sd", w_value=2.5),
    dict(term="?", estimand="slope", x="target_gap", w="TS", w_point=None, w_value=3.25),
    dict(term="?", estimand="conditional_indirect", x="TS", m="EN", y="target_completion", w="CO", w_point="mean+1sd"),
    dict(term="?", estimand="index", x="TS", m="EN", y="target_completion", w="CO"),
    dict(term="?", estimand="jn_boundary", x="target_gap", w="TS", jn_within_range=True),
    dict(term="?", estimand="jn_boundary", x="target_gap", w="TS", jn_within_range=False),
    dict(term="?", estimand="total", x="TS", y="target_completion"),
    dict(term="?", estimand="indirect", x="TS", m="EN", y="target_completion"),
    dict(term="?", estimand="coefficient", predictor="branch_type", level="rural"),
    dict(term="?", estimand="coefficient", predictor="CO:FB"),
    dict(term="?", estimand="coefficient", predictor="CO_within"),
    dict(term="?", estimand="coefficient", predictor="EN", outcome="target_completion", part="b_model"),
    dict(term="?", estimand="variance", predictor="Intercept"),
    dict(term="?", estimand="icc2"),
    dict(term="?", estimand="relative_weight", predictor="log_foot_traffic"),
])


def test_row_labels_come_from_structured_columns(zh, en):
    assert zh.row_labels(ROWS) == [
        "指标偏差 的斜率（目标设定 = 均值 - 1 SD）",
        "指标偏差 的斜率（目标设定 = 3.25）",
        "目标设定 → 工作热情 → 目标完成率（绩效辅导与监控 = 均值 + 1 SD）",
        "有调节的中介指数（目标设定 → 工作热情 → 目标完成率，调节变量：绩效辅导与监控）",
        "J–N 边界（在 目标设定 观测范围内）",
        "J–N 边界（超出 目标设定 观测范围）",
        "目标设定 → 目标完成率（总效应）",
        "目标设定 → 工作热情 → 目标完成率",
        "营业厅类型：乡镇厅",
        "绩效辅导与监控 × 绩效反馈与结果运用",
        "绩效辅导与监控（厅内）",
        "目标完成率 ~ 工作热情",
        "τ00（组间方差）",
        "ICC(2)",
        "ln(月均客流量)",
    ]
    assert en.row_labels(ROWS.iloc[[0, 4, 8]]) == [
        "slope of Target gap (Target setting at mean - 1 SD)",
        "J–N boundary (within the observed range of Target setting)",
        "Branch type: Rural",
    ]


def test_rows_without_estimand_fall_back_to_exact_code_lookup(zh):
    frame = pd.DataFrame({"term": ["Intercept", "gender_2", "education[T.3]", "customer_SAT", "not_a_code"]})
    assert zh.row_labels(frame) == ["截距", "性别：女", "学历：本科", "客户满意度", "not_a_code"]


def test_method_notes_come_from_provenance_codes(zh, en):
    boot = {"estimator": "ols", "se_type": "bootstrap", "ci_method": "percentile", "cluster": "branch_id",
            "n_clusters": 60, "n_boot": 5000, "resample": "clusters"}
    assert zh.method_text(boot) == "OLS 估计；按营业厅整群重抽样的 Bootstrap（60 个群，5000 次重抽样，百分位区间）"
    ols = pd.DataFrame({"estimator": ["ols"] * 2, "se_type": ["cluster_cr1"] * 2, "ci_method": ["t"] * 2,
                        "cluster": ["branch_id"] * 2, "n_clusters": [12] * 2, "df": [11.0] * 2, "n": [90] * 2,
                        "method": ["free text that must not matter"] * 2, "centred": ["CO;FB", "CO;FB"],
                        "warnings": ["few_clusters", "rank_deficient;few_clusters"]})
    assert zh.method_note(ols) == (
        "n = 90。OLS 估计，按营业厅聚类稳健标准误（CR1，12 个聚类，t 检验 df = 11）；构造交互项前均值中心化："
        "绩效辅导与监控、绩效反馈与结果运用；估计提示：设计矩阵不满秩，系数不可识别、聚类数少于 30，聚类稳健标准误与整群 Bootstrap 为近似结果。")
    mixed = pd.DataFrame({"estimator": ["mixedlm_reml", "anova"], "se_type": ["model_based", None],
                          "ci_method": ["wald_z", None], "cluster": ["branch_id"] * 2, "n_clusters": [60] * 2,
                          "warnings": ["boundary;hessian_not_pd"] * 2})
    assert en.method_note(mixed) == ("Linear mixed model (statsmodels MixedLM, REML), 60 groups, Wald z tests; "
                                     "warnings: the Hessian is not positive definite: SEs are unreliable, "
                                     "a random-effects variance is at zero (boundary fit).")  # vocabulary order
    weights = pd.DataFrame({"estimator": ["relative_weights"], "se_type": [None], "n_boot": [0]})
    assert zh.method_note(weights) == "Johnson（2000）相对权重法；未做 Bootstrap。"
    assert en.boot_text({"n_boot": 999, "ci_method": "bias_corrected", "resample": "cases"}) == \
        "bias-corrected bootstrap, 999 resamples"


def test_every_model_code_has_a_label_in_both_languages():
    from analysis.models import _results as rs
    from analysis.report.study.vocabulary import CI_TEXT, ESTIMATOR_TEXT, SE_TEXT, WARNING_TEXT

    assert set(rs.ESTIMATORS) <= set(ESTIMATOR_TEXT)
    assert set(rs.WARNINGS) <= set(WARNING_TEXT)
    assert set(rs.SE_TYPES) - {"bootstrap", "model_based"} <= set(SE_TEXT)  # those two are said by the CI
    assert {"percentile", "bias_corrected"} <= set(CI_TEXT)


# --------------------------------------------------------------------------- the sample wave
ENGLISH = ("slope of", "indirect", "bootstrap,", "resamples", "mean-centred", "cluster-robust", "classical SE",
           "J-N", "->", "warnings:", "at mean", " SD)", "branch_id", "index of", "(total)", "(direct)",
           "F change", "mixed model", "Duan smearing", "relative weights", "no bootstrap")
MODEL_TABLES = ("H1_steps", "H1_coefficients", "H2_effects", "H3_coefficients", "H4_slopes", "H4_johnson_neyman",
                "H5_effects", "H6_null", "H6_coefficients", "H7_weights", "H8_coefficients", "H9_weights",
                "target_expectation", "target_gaps")


def test_chinese_model_tables_hold_no_english_term_or_method_text(sample_results):
    from analysis.report.study import StudyReport

    report = StudyReport(sample_results, study_path=SURVEYS / "study.yml", lang="zh")
    tables = {t.name: t for t in report.tables()}
    assert set(MODEL_TABLES) <= set(tables)
    leaks = {}
    for name in MODEL_TABLES:
        cells, header, _, note = tables[name].render("zh")
        text = "\n".join([note or "", *header, *cells.astype(str).to_numpy().ravel()])
        found = [f for f in ENGLISH if f in text]
        if found:
            leaks[name] = found
    assert not leaks, leaks
    slopes = tables["H4_slopes"].frame["term"].tolist()
    assert "指标偏差 的斜率（目标设定 = 均值 + 1 SD）" in slopes
    jn = tables["H4_johnson_neyman"].frame["term"].tolist()
    assert any(t.startswith("J–N 边界（在 目标设定") for t in jn)
    assert "ΔF 为经典 F 检验" in tables["H1_steps"].note
    assert "构造交互项前均值中心化" in tables["H1_coefficients"].note
    # the interval's bootstrap is the one the results record (a cluster bootstrap over branches here)
    effects = pd.read_parquet(sample_results / "H2_effects.parquet")
    assert set(effects.loc[effects["estimand"] == "indirect", "resample"]) == {"clusters"}
    assert "按营业厅整群重抽样的 Bootstrap（60 个群，5000 次重抽样，百分位区间）" in tables["H2_effects"].note
    assert "百分位 Bootstrap（5000 次重抽样）" in tables["H7_weights"].note
