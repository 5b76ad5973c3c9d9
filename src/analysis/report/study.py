"""The research report of a study: every manuscript table and figure, read from the results.

:func:`export_study` turns the result tables of ``hallperf analyze`` (``output/<wave>/results``)
into what an academic paper needs, in APA 7 and Chinese three-line (三线表) layout, as CSV,
Markdown, LaTeX and Word, plus one combined Word document and the figures (PNG 300 dpi, SVG,
PDF). :class:`StudyReport` is the same content for the papermill notebook
``notebooks/study.ipynb``: section headings, narrative, styled HTML tables and inline figures.

Presentation only. Nothing here estimates anything: tables are selected, relabelled, pivoted
(e.g. Table 1, the Fornell–Larcker matrix) and formatted; intervals, thresholds, pass flags and
significance marks all come from the result tables. Numbers a manuscript usually shows but the
results do not hold are listed by :meth:`StudyReport.missing` rather than computed here.

Table conventions follow the APA *Publication Manual* (7th ed., 2020, §7.8–7.21; numbers
§6.36: no leading zero for statistics bounded by 1, exact p to three decimals, ``< .001``) and
GB/T 7713.2-2022 practice for 三线表; both are rendered by :mod:`analysis.report.tables`.
"""

from __future__ import annotations

import html as _html
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import atomic_write
from .tables import add_docx_table, export_table, format_number, format_p, format_table, stars

__all__ = [
    "SECTIONS",
    "StudyFigure",
    "StudyReport",
    "StudyTable",
    "export_study",
]

LANGS = ("zh", "en")
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
    "waves": ("多期比较", "Waves"),
}

_SECTION_OF_MODEL = {
    "hierarchical_regression": "regression", "regression": "regression", "multilevel": "multilevel",
    "mediation": "mediation", "moderation": "mediation", "moderated_mediation": "mediation",
    "relative_weights": "drivers",
}

# ----------------------------------------------------------------------------- vocabulary
_W: dict[str, dict[str, str]] = {
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
_COLS: dict[str, tuple[str, str]] = {
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

_REASONS: dict[str, tuple[str, str]] = {
    "out_of_range": ("超出取值范围", "Out of range"), "not_a_number": ("非数值", "Not a number"),
    "missing_required": ("必填项缺失", "Required value missing"), "not_allowed": ("非允许取值", "Value not allowed"),
    "unknown_group": ("未知营业厅", "Unknown branch"), "duplicate_respondent": ("重复作答", "Duplicate respondent"),
    "duplicate_record": ("重复记录", "Duplicate record"), "negative_value": ("负值", "Negative value"),
    "not_positive": ("非正值", "Not positive"), "bad_month": ("月份格式错误", "Malformed month"),
    "month_outside_wave": ("月份不在本期", "Month outside the wave"),
}

_STATS: dict[str, str] = {
    "alpha": "α", "omega": "ω", "cr": "CR", "ave": "AVE", "icc1": "ICC(1)", "rwg_j": "rwg(j)",
    "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR", "kmo": "KMO",
}
_SOURCES: dict[str, tuple[str, str]] = {
    "reliability": ("信度", "Reliability"), "cr_ave": ("聚合效度", "Convergent validity"),
    "cfa_fit": ("CFA 拟合", "CFA fit"), "kmo": ("抽样适切性", "Sampling adequacy"),
    "icc": ("组内相关", "Intraclass correlation"), "rwg": ("组内一致性", "Within-group agreement"),
}
_RULES = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
_PARTS: dict[str, tuple[str, str]] = {
    "coefficient": ("回归系数", "Coefficient"), "simple_slope": ("简单斜率", "Simple slope"),
    "johnson_neyman": ("J–N 边界", "J–N boundary"), "a_model": ("中介变量模型", "Mediator model"),
    "b_model": ("结果变量模型", "Outcome model"), "index": ("有调节的中介指数", "Index of moderated mediation"),
    "conditional_indirect": ("条件间接效应", "Conditional indirect effect"),
    "fixed": ("固定效应", "Fixed"), "random": ("随机效应", "Random"), "fit": ("模型拟合", "Fit"),
    "derived": ("派生指标", "Derived"),
}
_PATHS: dict[str, tuple[str, str]] = {
    "a": ("a", "a"), "b": ("b", "b"), "c": ("c（总效应）", "c (total)"), "c'": ("c′（直接效应）", "c′ (direct)"),
    "indirect": ("间接效应 a×b", "Indirect a×b"),
}
_SPECIAL_TERMS: dict[str, tuple[str, str]] = {
    "tau00": ("τ00（组间方差）", "τ00 (between-branch variance)"),
    "sigma2": ("σ²（组内方差）", "σ² (within-branch variance)"),
    "icc": ("ICC(1)", "ICC(1)"), "design_effect": ("设计效应", "Design effect"),
    "var(Intercept)": ("截距方差 τ00", "Intercept variance τ00"),
    "var(Residual)": ("残差方差 σ²", "Residual variance σ²"),
    "REML criterion": ("REML 准则", "REML criterion"),
    "target_gap": ("指标偏差", "Target gap"),
    "target_completion": ("目标完成率", "Target completion"),
    "branch_id": ("营业厅", "branch"),
}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# ----------------------------------------------------------------------------- formatters
def _p3(x: Any) -> str:
    return format_p(x, 3)


def _num(decimals: int, *, lead: bool = True) -> Callable[[Any], str]:
    return lambda x: format_number(x, decimals, leading_zero=lead)


_N0, _N2, _N3 = _num(0), _num(2), _num(3)
_B2, _B3 = _num(2, lead=False), _num(3, lead=False)


def _ci_text(lo: Any, hi: Any, fmt: Callable[[Any], str]) -> str:
    a, b = fmt(lo), fmt(hi)
    return f"[{a}, {b}]" if a and b else ""


def _missing(x: Any) -> bool:
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


# ----------------------------------------------------------------------------- containers
@dataclass(frozen=True)
class StudyTable:
    """One manuscript table: a display frame at full precision plus how to render it.

    ``frame`` holds the selected (and where needed pivoted or pre-formatted) columns of a result
    table; ``formats`` maps columns to formatters (see :func:`analysis.report.tables.format_table`);
    ``labels`` gives the column headers in the report language.
    """

    name: str
    section: str
    title: str
    frame: pd.DataFrame
    formats: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    note: str | None = None
    star_columns: Mapping[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    number: int | None = None
    source: str | None = None

    def render(self, lang: str = "zh") -> tuple[pd.DataFrame, list[str], list[bool], str | None]:
        """The rendered cells, the header, per-column numeric flags and the full note."""
        formats = {k: v for k, v in self.formats.items() if k in self.frame.columns}
        cells, numeric = format_table(self.frame, formats, star_columns=self.star_columns or None)
        keep = [j for j, c in enumerate(self.frame.columns) if c not in set(self.drop)]
        cells = cells.iloc[:, keep]
        numeric = [numeric[j] for j in keep]
        header = [self.labels.get(c, str(c)) for c in cells.columns]
        note = self.note
        if self.star_columns:
            note = " ".join(x for x in (note, _W[lang]["sig"]) if x)
        return cells, header, numeric, note


@dataclass(frozen=True)
class StudyFigure:
    """One figure: ``draw()`` returns a new matplotlib Figure (the caller closes it)."""

    name: str
    section: str
    title: str
    draw: Callable[[], Any]
    number: int | None = None


# ----------------------------------------------------------------------------- the report
class StudyReport:
    """Tables, figures and narrative of one study's results.

    Parameters
    ----------
    results_dir : folder written by the analyze stage (``results.json`` plus one Parquet/CSV per
        table).
    study_path : the study file (``surveys/study.yml``); its folder holds the instrument codebooks
        that give the variables' labels.
    lang : {"zh", "en"}
        Language of titles, column labels, variable labels and narrative.
    wave : name of the wave, for the narrative (default: from ``results.json``).
    """

    def __init__(self, results_dir: str | os.PathLike[str], *, study_path: str | os.PathLike[str],
                 lang: str = "zh", wave: str | None = None) -> None:
        if lang not in LANGS:
            raise ValueError(f"lang={lang!r} is not supported; use one of {LANGS}")
        self.results_dir = Path(results_dir)
        index = self.results_dir / "results.json"
        if not index.exists():
            raise FileNotFoundError(f"{self.results_dir}: no results.json; run 'hallperf analyze' first")
        self.info: dict[str, Any] = json.loads(index.read_text(encoding="utf-8"))
        from analysis.instrument import load_instruments
        from analysis.study import load_study

        self.study = load_study(study_path)
        try:
            self.instruments = load_instruments(self.study.path.parent)
        except Exception:  # noqa: BLE001 - labels are a nicety; codes are shown instead
            self.instruments = {}
        self.lang = lang
        self.wave = wave or str(self.info.get("wave", ""))
        self.w = _W[lang]
        self._cache: dict[str, pd.DataFrame | None] = {}
        self._tables: list[StudyTable] | None = None
        self._figures: list[StudyFigure] | None = None

    # ------------------------------------------------------------------ reading
    @property
    def table_names(self) -> list[str]:
        return list(self.info.get("tables", {}))

    def result(self, name: str) -> pd.DataFrame | None:
        """A result table as written by the analyze stage, or None when it is absent or empty."""
        if name not in self._cache:
            frame = None
            if name in self.info.get("tables", {}):
                for ext in ("parquet", "csv"):
                    path = self.results_dir / f"{name}.{ext}"
                    if path.exists():
                        frame = pd.read_parquet(path) if ext == "parquet" else pd.read_csv(path)
                        break
            self._cache[name] = frame if frame is not None and not frame.empty else None
        return self._cache[name]

    @property
    def survey_instruments(self) -> list[str]:
        """Instruments with a psychometrics suite in the results (``<id>_reliability``)."""
        return [n[: -len("_reliability")] for n in self.table_names if n.endswith("_reliability")]

    # ------------------------------------------------------------------ labels
    def _t(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.lang == "zh" else pair[1]

    def col(self, *names: str) -> dict[str, str]:
        """Column labels in the report language."""
        return {n: self._t(_COLS[n]) if n in _COLS else n for n in names}

    def instrument_name(self, inst_id: str) -> str:
        short = {"staff": ("员工问卷", "Staff survey"), "customer": ("客户问卷", "Customer survey"),
                 "branches": ("营业厅信息", "Branch register"), "kpi": ("KPI 记录", "KPI records")}
        if inst_id in short:
            return self._t(short[inst_id])
        inst = self.instruments.get(inst_id)
        return inst.title.get(self.lang) if inst is not None and inst.title.get(self.lang) else inst_id

    def var_label(self, name: Any) -> str:
        """Display label of a variable: scales, fields, KPIs, dummy codes, centred parts."""
        name = str(name)
        w = self.w
        if name == "Intercept":
            return w["intercept"]
        if name in _SPECIAL_TERMS:
            return self._t(_SPECIAL_TERMS[name])
        for kpi in self.study.kpis:
            if kpi.column == name:
                return kpi.label.get(self.lang)
        for inst in self.instruments.values():
            if name in inst.scales:
                return inst.scales[name].label.get(self.lang)
        for inst in self.instruments.values():
            if name in inst.fields:
                return inst.fields[name].label.get(self.lang)
        for suffix, key in (("_within", "within"), ("_between", "between")):
            if name.endswith(suffix):
                return self.var_label(name[: -len(suffix)]) + w[key]
        if name.startswith("log_"):
            return f"{w['ln']}({self.var_label(name[4:])})"
        m = re.fullmatch(r"(\w+)\[(?:T\.)?([^\]]+)\]", name)
        if m:
            return self._level_label(m.group(1), m.group(2)) or name
        if "_" in name:
            base, level = name.rsplit("_", 1)
            text = self._level_label(base, level)
            if text:
                return text
        for inst_id, inst in self.instruments.items():
            prefix = f"{inst_id}_"
            rest = name[len(prefix):]
            if name.startswith(prefix) and rest in inst.scales:
                scale = inst.scales[rest].label.get(self.lang)
                if inst_id == "customer":
                    return w["customer"] + (scale if self.lang == "zh" else scale.lower())
                return f"{self.instrument_name(inst_id)}{w['sep']}{scale}"
        return name

    def _level_label(self, var: str, level: str) -> str | None:
        for inst in self.instruments.values():
            spec = inst.fields.get(var)
            if spec is not None and spec.values and level in spec.values:
                return f"{spec.label.get(self.lang)}{self.w['sep']}{spec.values[level].get(self.lang)}"
        return None

    def term_label(self, text: Any) -> str:
        """Translate a model term such as ``TS -> EN`` or ``slope of X at W mean - 1 SD``."""
        if _missing(text):
            return ""
        text = str(text)
        if text in _SPECIAL_TERMS or re.fullmatch(r"\w+(\[[^\]]+\])?", text):
            return self.var_label(text)
        zh = self.lang == "zh"
        rules: list[tuple[str, str]] = [
            (r"^index of moderated mediation \((.+), by (\w+)\)$",
             r"有调节的中介指数（\1，调节变量：\2）" if zh else r"index of moderated mediation (\1, moderator \2)"),
            (r"^indirect (.+) at (\w+) (mean.*)$",
             r"\1（\2 = \3）" if zh else r"\1 (\2 at \3)"),
            (r"^slope of (\w+) at (\w+) (mean.*)$",
             r"\1 的斜率（\2 = \3）" if zh else r"slope of \1 (\2 at \3)"),
            (r"^J-N boundary \(outside observed range of (\w+)\)$",
             r"J–N 边界（超出 \1 观测范围）" if zh else r"J–N boundary (outside the observed range of \1)"),
            (r"^J-N boundary \(within observed range of (\w+)\)$",
             r"J–N 边界（在 \1 观测范围内）" if zh else r"J–N boundary (within the observed range of \1)"),
            (r" \(total\)$", "（总效应）" if zh else " (total)"),
            (r" \(direct\)$", "（直接效应）" if zh else " (direct)"),
        ]
        for pattern, repl in rules:
            text = re.sub(pattern, repl, text)
        if zh:
            text = text.replace("mean - 1 SD", "均值 - 1 SD").replace("mean + 1 SD", "均值 + 1 SD")
            text = re.sub(r"\bmean\b", "均值", text)
        text = text.replace(" -> ", " → ").replace("->", "→")
        keep = {"mean", "SD", "at", "of", "by", "index", "moderated", "mediation", "slope", "indirect",
                "moderator", "the", "observed", "range", "within", "outside", "boundary", "J", "N"}

        def swap(m: re.Match[str]) -> str:
            word = m.group(0)
            if word in keep:
                return word
            label = self.var_label(word)
            return label

        text = _IDENT.sub(swap, text)
        return text.replace(":", " × ")

    def hypothesis_title(self, h: Any, what: tuple[str, str]) -> str:
        sep = "：" if self.lang == "zh" else ": "
        dash = "——" if self.lang == "zh" else " — "
        return f"{h.id}{sep}{h.label.get(self.lang)}{dash}{self._t(what)}"

    # ------------------------------------------------------------------ tables
    def tables(self) -> list[StudyTable]:
        """Every manuscript table in report order, numbered from 1."""
        if self._tables is None:
            built: list[StudyTable] = []
            for builder in (self._sample_tables, self._screening_tables, self._psychometric_tables,
                            self._common_method_tables, self._table1, self._aggregation_tables,
                            self._hypothesis_tables, self._target_tables, self._wave_tables):
                built.extend(t for t in builder() if t is not None and not t.frame.empty)
            order = list(SECTIONS)
            built.sort(key=lambda t: order.index(t.section))  # stable: builder order within a section
            self._tables = [StudyTable(**{**t.__dict__, "number": i}) for i, t in enumerate(built, 1)]
        return self._tables

    def _sample_tables(self) -> list[StudyTable]:
        df = self.result("sample")
        if df is None:
            return []
        counts = ["rows_read", "rows_accepted", "rows_quarantined"]
        frame = df.assign(instrument=df["instrument"].map(self.instrument_name))[["instrument", "file", *counts]]
        total = {"instrument": self.w["total"], "file": "", **{c: int(df[c].sum()) for c in counts}}
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
        note = ("读取行数 = 接受行数 + 隔离行数；被隔离的行及原因见下表。" if self.lang == "zh" else
                "Rows read = rows accepted + rows quarantined; quarantine reasons follow.")
        title = "样本与数据接收情况" if self.lang == "zh" else "Sample and data received"
        out = [StudyTable("sample", "sample", title, frame, {c: "int" for c in counts},
                          self.col("instrument", "file", *counts), note, source="sample")]
        rates = self.result("response_rates")
        if rates is not None and not rates.empty:
            zh = self.lang == "zh"
            frame = pd.DataFrame({
                "level": ["全公司" if zh and lv == "company" else "区局" if zh else lv for lv in rates["level"]],
                "unit": ["—" if u == "all" else u for u in rates["unit"]], "branches": rates["branches"].astype(int),
                "employed": rates["employed"].astype(int), "respondents": rates["respondents"].astype(int),
                "rate": rates["rate"]})
            labels = {"level": "层级" if zh else "Level", "unit": "单位" if zh else "Unit",
                      "branches": "营业厅数" if zh else "Branches", "employed": "在岗人数" if zh else "Staff employed",
                      "respondents": "有效答卷" if zh else "Respondents analysed", "rate": "回收率" if zh else "Response rate"}
            rnote = ("回收率 = 纳入分析的员工答卷数 / 在岗人数。区局一行只计答卷不少于 k 份的营业厅，以免推算出小营业厅。" if zh else
                     "Response rate = staff respondents analysed / staff employed. District rows count only branches with at "
                     "least k respondents, so no small branch can be derived from them.")
            out.append(StudyTable("response_rates", "sample", "员工问卷回收率" if zh else "Staff survey response rates", frame,
                                  {"branches": "int", "employed": "int", "respondents": "int", "rate": _B3}, labels, rnote,
                                  source="response_rates"))
        return out

    def _screening_tables(self) -> list[StudyTable]:
        out = []
        q = self.result("quarantine_summary")
        if q is not None:
            frame = pd.DataFrame({
                "instrument": q["instrument"].map(self.instrument_name), "file": q["file"],
                "reason": [self._t(_REASONS.get(r, (r, r))) for r in q["reason"]], "rows": q["rows"].astype(int),
            })
            title = "隔离记录的原因" if self.lang == "zh" else "Quarantined rows by reason"
            note = ("每个隔离行只记一个首要原因；原始文件未作修改。" if self.lang == "zh" else
                    "Each quarantined row is counted once, under its first reason; raw files are unchanged.")
            out.append(StudyTable("screening_quarantine", "screening", title, frame, {"rows": "int"},
                                  self.col("instrument", "file", "reason", "rows"), note, source="quarantine_summary"))
        excluded = self.info.get("excluded") or {}
        if excluded:
            ds = self.study.datasets
            who = {"careless": ds.respondents, "careless_ratings": ds.ratings.instrument if ds.ratings else None}
            rows = []
            for key, value in excluded.items():
                inst = who.get(key)
                rows.append({"group": self.instrument_name(inst) if inst else key, "count": int(value)})
            frame = pd.DataFrame(rows)
            title = "粗心作答者的剔除" if self.lang == "zh" else "Careless responders excluded"
            note = ("粗心作答依据作答时长过短、长串相同作答与个体内变异过低识别（Curran, 2016），在评分阶段标记，不进入模型。"
                    if self.lang == "zh" else
                    "Careless responding was flagged at scoring (too fast, long strings, low intra-individual "
                    "variability; Curran, 2016) and these respondents were left out of the models.")
            out.append(StudyTable("screening_careless", "screening", title, frame, {"count": "int"},
                                  self.col("group", "count"), note, source="results.json:excluded"))
        return out

    def _scale_label(self, code: Any) -> str:
        return self.var_label(code) if not _missing(code) else ""

    def _psychometric_tables(self) -> list[StudyTable]:
        out: list[StudyTable] = []
        zh = self.lang == "zh"
        for inst in self.survey_instruments:
            iname = self.instrument_name(inst)
            sep = "：" if zh else ": "

            def title(zh_text: str, en_text: str) -> str:
                return f"{iname}{sep}{zh_text if zh else en_text}"

            rel = self.result(f"{inst}_reliability")
            if rel is not None:
                frame = pd.DataFrame({"scale": rel["scale"].map(self._scale_label), "k": rel["k"].astype(int),
                                      "n": rel["n"].astype(int), "alpha": rel["alpha"],
                                      "alpha_ci": [_ci_text(a, b, _B3) for a, b in zip(rel["ci_low"], rel["ci_high"])],
                                      "omega": rel["omega"]})
                crave = self.result(f"{inst}_cr_ave")
                if crave is not None:
                    m = crave.set_index("factor")
                    frame["cr"] = rel["scale"].map(m["cr"]).to_numpy()
                    frame["ave"] = rel["scale"].map(m["ave"]).to_numpy()
                method = str(rel["ci_method"].iloc[0]) if "ci_method" in rel else ""
                note = (f"α 的 95% CI 采用 {method.capitalize()} 法；ω 为单因子模型的 McDonald's ω；CR 与 AVE 来自验证性因子分析的标准化载荷"
                        f"（Fornell & Larcker, 1981）。临界值：α、ω、CR ≥ .70，AVE ≥ .50。" if zh else
                        f"95% CI of α by the {method.capitalize()} method; ω is McDonald's omega from a one-factor model; "
                        "CR and AVE from the standardised CFA loadings (Fornell & Larcker, 1981). "
                        "Thresholds: α, ω, CR ≥ .70; AVE ≥ .50.")
                out.append(StudyTable(f"{inst}_reliability", "psychometrics", title("信度与聚合效度", "Reliability and convergent validity"),
                                      frame, {"alpha": _B3, "omega": _B3, "cr": _B3, "ave": _B3, "k": "int", "n": "int"},
                                      self.col(*frame.columns), note, source=f"{inst}_reliability"))
            items = self.result(f"{inst}_item_stats")
            if items is not None:
                cols = [c for c in ("scale", "item", "n", "mean", "sd", "skew", "r_drop", "alpha_if_deleted") if c in items]
                frame = items[cols].copy()
                frame["scale"] = frame["scale"].map(self._scale_label)
                note = "校正项总相关为题项与同维度其余题项之和的相关。" if zh else \
                    "Corrected item–total r correlates each item with the sum of the other items of its scale."
                out.append(StudyTable(f"{inst}_item_stats", "psychometrics", title("题项描述统计", "Item statistics"),
                                      frame, {"n": "int", "mean": _N2, "sd": _N2, "skew": _N2, "r_drop": _B2,
                                              "alpha_if_deleted": _B3},
                                      self.col(*cols), note, source=f"{inst}_item_stats"))
            kmo, bart = self.result(f"{inst}_kmo"), self.result(f"{inst}_bartlett")
            if kmo is not None or bart is not None:
                row: dict[str, Any] = {}
                if kmo is not None:
                    overall = kmo[kmo["item"] == "overall"]
                    row["kmo"] = float(overall["kmo"].iloc[0]) if not overall.empty else np.nan
                if bart is not None:
                    row.update({"chisq": float(bart["chisq"].iloc[0]), "df": int(bart["df"].iloc[0]),
                                "p": float(bart["p"].iloc[0]), "n": int(bart["n"].iloc[0])})
                frame = pd.DataFrame([row])
                labels = self.col(*frame.columns)
                if "chisq" in labels:
                    labels["chisq"] = "Bartlett χ²"
                note = ("KMO 与 Bartlett 球形检验基于完整作答的样本；KMO > .70 视为适合因子分析（Kaiser, 1974）。"
                        if zh else "KMO and Bartlett's test of sphericity on complete cases; KMO > .70 is adequate (Kaiser, 1974).")
                out.append(StudyTable(f"{inst}_kmo_bartlett", "psychometrics", title("KMO 与 Bartlett 球形检验", "KMO and Bartlett's test"),
                                      frame, {"kmo": _B3, "chisq": _N2, "df": "int", "p": _p3, "n": "int"},
                                      labels, note, source=f"{inst}_kmo,{inst}_bartlett"))
            efa = self.result(f"{inst}_efa_loadings")
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
                        "The number of factors follows parallel analysis.")
                out.append(StudyTable(f"{inst}_efa_loadings", "psychometrics", title("探索性因子分析载荷", "Exploratory factor loadings"),
                                      frame, {**{f: _B2 for f in factors}, "communality": _B2},
                                      {**self.col("item", "communality"), **{f: f for f in factors}}, note,
                                      source=f"{inst}_efa_loadings"))
            var = self.result(f"{inst}_efa_variance")
            if var is not None:
                frame = var[["factor", "ss_loadings", "proportion", "cumulative"]]
                out.append(StudyTable(f"{inst}_efa_variance", "psychometrics", title("因子解释方差", "Variance explained by the factors"),
                                      frame, {"ss_loadings": _N2, "proportion": _B3, "cumulative": _B3},
                                      self.col(*frame.columns), None, source=f"{inst}_efa_variance"))
            fit = self.result(f"{inst}_cfa_fit")
            if fit is not None:
                frame = pd.DataFrame({
                    "model": [self.w.get(str(m), str(m)) for m in fit["model"]], "n": fit["n"].astype(int),
                    "chisq": fit["chisq"], "df": fit["df"].astype(int), "chisq_df": fit["chisq_df"], "p": fit["p"], "cfi": fit["cfi"],
                    "tli": fit["tli"], "rmsea": fit["rmsea"],
                    "rmsea_ci": [_ci_text(a, b, _B3) for a, b in zip(fit["rmsea_ci_low"], fit["rmsea_ci_high"])],
                    "srmr": fit["srmr"]})
                fiml = "missing" in fit and (fit["missing"] == "fiml").any()
                estimator = (("全信息最大似然估计（FIML），纳入所有作答者。" if fiml else "最大似然估计（仅完整作答者）。") if zh else
                             ("Full-information maximum likelihood (FIML), all respondents. " if fiml else
                              "Maximum likelihood, complete cases. "))
                note = estimator + ("拟合标准：CFI、TLI ≥ .90，RMSEA、SRMR ≤ .08（Hu & Bentler, 1999）；RMSEA 的置信区间为 90%。"
                                    if zh else "Criteria: CFI, TLI ≥ .90; RMSEA, SRMR ≤ .08 (Hu & Bentler, 1999); "
                                    "the RMSEA interval is 90%.")
                out.append(StudyTable(f"{inst}_cfa_fit", "psychometrics", title("验证性因子分析拟合指标", "Confirmatory factor analysis fit"),
                                      frame, {"chisq": _N2, "df": "int", "chisq_df": _N2, "p": _p3, "cfi": _B3, "tli": _B3, "rmsea": _B3,
                                              "srmr": _B3, "n": "int"},
                                      self.col(*frame.columns), note, source=f"{inst}_cfa_fit"))
            load = self.result(f"{inst}_cfa_loadings")
            if load is not None:
                frame = pd.DataFrame({"scale": load["scale"].map(self._scale_label), "item": load["item"],
                                      "std_all": load["std_all"], "std_all_se": load["std_all_se"],
                                      "z": load["z"], "p": load["p"]})
                note = "标准化载荷（潜变量方差固定为 1）；z 与 p 来自未标准化估计。" if zh else \
                    "Standardised loadings; z and p refer to the unstandardised estimates."
                out.append(StudyTable(f"{inst}_cfa_loadings", "psychometrics", title("验证性因子分析标准化载荷", "Standardised CFA loadings"),
                                      frame, {"std_all": _B3, "std_all_se": _N3, "z": _N2, "p": _p3},
                                      self.col(*frame.columns), note, source=f"{inst}_cfa_loadings"))
            fl = self.result(f"{inst}_fornell_larcker")
            if fl is not None:
                factors = list(dict.fromkeys(fl["factor"]))
                corr = {frozenset((a, b)): v for a, b, v in zip(fl["factor"], fl["other"], fl["correlation"]) if a != b}
                diag = dict(zip(fl["factor"], fl["sqrt_ave"]))
                frame = self._lower_matrix(factors, corr, lambda a: _B2(diag.get(a, np.nan)))
                note = ("对角线为 AVE 的平方根，其下为潜变量间相关；对角线值大于同行同列的相关即具有区分效度（Fornell & Larcker, 1981）。"
                        if zh else "Diagonal: square root of AVE; below it, latent correlations. Discriminant validity holds "
                        "where the diagonal exceeds the correlations in its row and column (Fornell & Larcker, 1981).")
                out.append(StudyTable(f"{inst}_fornell_larcker", "psychometrics", title("区分效度：Fornell–Larcker 准则", "Discriminant validity: Fornell–Larcker criterion"),
                                      frame, {}, {"variable": self._t(_COLS["variable"])}, note,
                                      source=f"{inst}_fornell_larcker"))
            ht = self.result(f"{inst}_htmt")
            if ht is not None:
                factors = list(dict.fromkeys(list(ht["factor"]) + list(ht["other"])))
                vals = {frozenset((a, b)): v for a, b, v in zip(ht["factor"], ht["other"], ht["htmt"])}
                frame = self._lower_matrix(factors, vals, lambda a: "—")
                note = "HTMT < .85 支持区分效度（Henseler et al., 2015）。" if zh else \
                    "HTMT < .85 supports discriminant validity (Henseler et al., 2015)."
                out.append(StudyTable(f"{inst}_htmt", "psychometrics", title("区分效度：HTMT 比率", "Discriminant validity: HTMT ratios"),
                                      frame, {}, {"variable": self._t(_COLS["variable"])}, note, source=f"{inst}_htmt"))
            rev = self.result(f"{inst}_reviewer")
            if rev is not None:
                frame = pd.DataFrame({
                    "source": [self._t(_SOURCES.get(s, (s, s))) for s in rev["source"]],
                    "scale": [self._reviewer_scale(s) for s in rev["scale"]],
                    "statistic": [_STATS.get(s, s) for s in rev["statistic"]],
                    "value": rev["value"],
                    "criterion": [f"{_RULES.get(r, r)} {_B2(t)}" for r, t in zip(rev["rule"], rev["threshold"])],
                    "result": [self.w["pass"] if bool(p) else self.w["fail"] for p in rev["passed"]],
                })
                note = ("临界值为惯例而非定律：α、ω、CR ≥ .70（Nunnally & Bernstein, 1994），AVE ≥ .50（Fornell & Larcker, 1981），"
                        "CFI、TLI ≥ .90，RMSEA、SRMR ≤ .08（Hu & Bentler, 1999），KMO > .70（Kaiser, 1974），"
                        "rwg(j) ≥ .70（LeBreton & Senter, 2008），ICC(1) > .05（Bliese, 2000）。" if zh else
                        "Thresholds are conventions: α, ω, CR ≥ .70 (Nunnally & Bernstein, 1994); AVE ≥ .50 (Fornell & "
                        "Larcker, 1981); CFI, TLI ≥ .90 and RMSEA, SRMR ≤ .08 (Hu & Bentler, 1999); KMO > .70 (Kaiser, "
                        "1974); rwg(j) ≥ .70 (LeBreton & Senter, 2008); ICC(1) > .05 (Bliese, 2000).")
                out.append(StudyTable(f"{inst}_reviewer", "psychometrics", title("审稿人核查表", "Reviewer checklist"),
                                      frame, {"value": _B3}, self.col(*frame.columns), note, source=f"{inst}_reviewer"))
            probs = self.result(f"{inst}_problems")
            if probs is not None:
                frame = probs.copy()
                if "scale" in frame:
                    frame["scale"] = frame["scale"].map(self._scale_label)
                out.append(StudyTable(f"{inst}_problems", "psychometrics", title("分析中发现的问题", "Problems found"),
                                      frame, {}, self.col(*frame.columns), None, source=f"{inst}_problems"))
        return out

    def _reviewer_scale(self, s: Any) -> str:
        if _missing(s):
            return ""
        s = str(s)
        if s in ("measurement", "single_factor"):
            return self.w[s]
        if s == "(all items)":
            return self.w["overall"]
        return self.var_label(s)

    def _lower_matrix(self, names: list[str], values: Mapping[frozenset, float],
                      diag: Callable[[str], str]) -> pd.DataFrame:
        """A lower-triangular matrix of pair values, numbered columns, ``diag(name)`` on the diagonal."""
        rows = []
        for i, a in enumerate(names):
            row: dict[str, str] = {"variable": f"{i + 1}. {self.var_label(a)}"}
            for j, b in enumerate(names):
                if j < i:
                    row[str(j + 1)] = _B2(values.get(frozenset((a, b)), np.nan))
                elif j == i:
                    row[str(j + 1)] = diag(a)
                else:
                    row[str(j + 1)] = ""
            rows.append(row)
        return pd.DataFrame(rows)

    def _common_method_tables(self) -> list[StudyTable]:
        out = []
        zh = self.lang == "zh"
        for inst in self.survey_instruments:
            cm = self.result(f"{inst}_common_method")
            if cm is None:
                continue
            rows = []
            for r in cm.itertuples(index=False):
                rd = r._asdict()
                flag = bool(rd.get("flag")) if not _missing(rd.get("flag")) else False
                if rd["test"] == "harman_single_factor":
                    rows.append({
                        "test": "Harman 单因子检验" if zh else "Harman's single-factor test",
                        "statistic": "首个未旋转因子解释的方差比例" if zh else "Variance share of the first unrotated factor",
                        "value": _B3(rd["estimate"]),
                        "criterion": f"< {_B2(rd['threshold'])}",
                        "result": ("超过临界值" if flag else "未超过临界值") if zh else ("above threshold" if flag else "below threshold"),
                    })
                elif rd["test"] == "single_factor_cfa":
                    rows.append({
                        "test": "单因子 CFA 对比" if zh else "Single-factor CFA comparison",
                        "statistic": f"Δχ²({format_number(rd.get('delta_df'), 0)})，ΔCFI" if zh
                        else f"Δχ²({format_number(rd.get('delta_df'), 0)}), ΔCFI",
                        "value": f"{_N2(rd['delta_chisq'])}（p {self._p_phrase(rd['p'])}），{_B3(rd['delta_cfi'])}" if zh
                        else f"{_N2(rd['delta_chisq'])} (p {self._p_phrase(rd['p'])}), {_B3(rd['delta_cfi'])}",
                        "criterion": (f"单因子 CFI = {_B3(rd['cfi_single'])}，测量模型 CFI = {_B3(rd['cfi_model'])}" if zh else
                                      f"single-factor CFI = {_B3(rd['cfi_single'])}, measurement CFI = {_B3(rd['cfi_model'])}"),
                        "result": ("单因子模型拟合显著更差" if not flag else "单因子模型拟合不差") if zh
                        else ("single factor fits worse" if not flag else "single factor fits as well"),
                    })
                else:
                    rows.append({"test": str(rd["test"]), "statistic": "", "value": _N3(rd.get("estimate")),
                                 "criterion": _N2(rd.get("threshold")), "result": str(flag)})
            frame = pd.DataFrame(rows)
            caveats = [str(c) for c in cm.get("caveat", pd.Series(dtype=str)).dropna().unique()]
            note = ("Harman 单因子检验很弱：只能发现强到使单一因子占主导的方法变异，且不能控制它；单因子模型拟合更差也不能排除共同方法变异"
                    "（Podsakoff et al., 2003, doi:10.1037/0021-9010.88.5.879）。结论应结合程序控制（匿名作答、题项顺序）一并报告。"
                    if zh else " ".join(c[0].upper() + c[1:] + ("" if c.endswith(".") else ".") for c in caveats))
            sep = "：" if zh else ": "
            out.append(StudyTable(f"{inst}_common_method", "common_method",
                                  f"{self.instrument_name(inst)}{sep}" + ("共同方法偏差检验" if zh else "Common-method checks"),
                                  frame, {}, self.col(*frame.columns), note, source=f"{inst}_common_method"))
        return out

    def _p_phrase(self, p: Any) -> str:
        text = _p3(p)
        return text if text.startswith(("<", ">")) else f"= {text}"

    def _table1(self) -> list[StudyTable]:
        t1 = self.result("table1")
        if t1 is None:
            return []
        corr = self.result("correlations")
        marks: dict[frozenset, str] = {}
        if corr is not None:
            for r in corr.itertuples(index=False):
                mark = r.marks if "marks" in corr.columns and isinstance(r.marks, str) else stars(r.p)
                marks[frozenset((r.var1, r.var2))] = mark
        names = list(t1["variable"])
        frame = pd.DataFrame({"variable": [f"{i + 1}. {self.var_label(v)}" for i, v in enumerate(names)],
                              "n": t1["n"].astype(int), "mean": t1["mean"], "sd": t1["sd"]})
        for j, b in enumerate(names):
            cells = []
            for i, a in enumerate(names):
                v = t1.loc[i, b] if b in t1.columns else np.nan
                if j < i:
                    cells.append(_B2(v) + marks.get(frozenset((a, b)), "") if not _missing(v) else "")
                elif j == i:
                    cells.append(f"({_B2(v)})" if not _missing(v) else "—")
                else:
                    cells.append("")
            frame[str(j + 1)] = cells
        labels = {**self.col("variable", "n", "mean", "sd"), **{str(j + 1): str(j + 1) for j in range(len(names))}}
        zh = self.lang == "zh"
        note = ("对角线括号内为 Cronbach's α；相关为 Pearson 相关（成对删除）。已剔除粗心作答者。" if zh else
                "Cronbach's α on the diagonal in parentheses; Pearson correlations with pairwise deletion. "
                "Careless responders excluded.") + " " + _W[self.lang]["sig"]
        title = "变量的均值、标准差与相关系数" if zh else "Means, standard deviations and correlations"
        return [StudyTable("table1", "table1", title, frame, {"mean": _N2, "sd": _N2, "n": "int"}, labels, note,
                           source="table1,correlations")]

    def _aggregation_tables(self) -> list[StudyTable]:
        out = []
        zh = self.lang == "zh"
        for inst in self.survey_instruments:
            icc = self.result(f"{inst}_icc")
            if icc is None:
                continue
            cols = ["scale", "n_groups", "mean_group_size", "f", "p", "icc1", "icc2", "rwg_j_mean", "rwg_j_median",
                    "share_rwg_ok"]
            frame = icc[[c for c in cols if c in icc]].copy()
            frame["scale"] = frame["scale"].map(self._scale_label)
            frame["n_groups"] = frame["n_groups"].astype(int)
            note = ("ICC(1)、ICC(2) 来自单因素方差分析（Bliese, 2000）；rwg(j) 以均匀分布为虚无分布（James et al., 1984），"
                    "“rwg(j) ≥ .70 比例”为达到 .70 的营业厅所占比例。" if zh else
                    "ICC(1) and ICC(2) from one-way ANOVA (Bliese, 2000); rwg(j) against a uniform null (James et al., "
                    "1984); the share is the proportion of branches with rwg(j) ≥ .70.")
            sep = "：" if zh else ": "
            out.append(StudyTable(f"{inst}_aggregation", "aggregation",
                                  f"{self.instrument_name(inst)}{sep}" + ("聚合指标" if zh else "Aggregation indices"),
                                  frame, {"mean_group_size": _N2, "f": _N2, "p": _p3, "icc1": _B3, "icc2": _B3,
                                          "rwg_j_mean": _B3, "rwg_j_median": _B3, "share_rwg_ok": _B2, "n_groups": "int"},
                                  self.col(*frame.columns), note, source=f"{inst}_icc"))
        return out

    # -- hypotheses
    def _coef_frame(self, df: pd.DataFrame, *, keep_step: bool = False) -> pd.DataFrame:
        frame = pd.DataFrame()
        if keep_step and "step" in df:
            frame["step"] = df["step"].astype(int)
        frame["term"] = df["term"].map(self.term_label)
        for c in ("estimate", "se", "beta", "t", "z", "p"):
            if c in df:
                frame[c] = df[c]
        frame["ci"] = [_ci_text(a, b, _N3) for a, b in zip(df["ci_low"], df["ci_high"])]
        if "vif" in df:
            frame["vif"] = df["vif"]
        return frame

    _COEF_FMT = {"estimate": _N3, "se": _N3, "beta": _N3, "t": _N2, "z": _N2, "p": _p3, "vif": _N2,
                 "w_value": _N2, "step": "int"}

    def _method_note(self, df: pd.DataFrame) -> str:
        methods = [str(m) for m in df.get("method", pd.Series(dtype=str)).dropna().unique()]
        n = int(df["n"].dropna().iloc[0]) if "n" in df and df["n"].notna().any() else None
        zh = self.lang == "zh"
        parts = []
        if n is not None:
            parts.append(f"n = {n}。" if zh else f"n = {n}.")
        for m in methods:
            parts.append(self._translate_method(m))
        return ("" if zh else " ").join(parts)

    def _translate_method(self, m: str) -> str:
        if self.lang == "en":
            return m[0].upper() + m[1:] + ("" if m.endswith(".") else ".")
        out = m
        subs = [
            (r"OLS, cluster-robust SE \(CR1\) by (\w+), (\d+) clusters, t\(df=(\d+)\)(; F change classical)?",
             lambda g: f"OLS 估计，按{self.var_label(g.group(1))}聚类稳健标准误（CR1，{g.group(2)} 个聚类，t 检验 df = {g.group(3)}）"
                       + ("；F 变化量为经典检验" if g.group(4) else "")),
            (r"OLS, classical SE", lambda g: "OLS 估计，经典标准误"),
            (r"cluster bootstrap over (\w+) \((\d+) clusters\), (\d+) resamples, (percentile|bias-corrected)",
             lambda g: f"按{self.var_label(g.group(1))}整群重抽样的 Bootstrap（{g.group(2)} 个群，{g.group(3)} 次重抽样，"
                       + ("百分位区间" if g.group(4) == "percentile" else "偏差校正区间") + "）"),
            (r"percentile bootstrap, (\d+) resamples", lambda g: f"百分位 Bootstrap（{g.group(1)} 次重抽样）"),
            (r"linear mixed model \(statsmodels MixedLM, REML\), (\d+) groups; Wald z tests",
             lambda g: f"线性混合模型（statsmodels MixedLM，REML 估计，{g.group(1)} 个营业厅），Wald z 检验"),
            (r"The MLE may be on the boundary of the parameter space\.?",
             lambda g: "极大似然估计可能位于参数空间边界（某个方差分量接近 0）"),
            (r"; warnings: (.*)$", lambda g: f"；估计提示：{g.group(1)}"),
            (r"OLS of log sales on branch factors, Duan smearing retransformation",
             lambda g: "对数销售额对营业厅因素做 OLS 回归，以 Duan 涂抹估计（smearing）还原到原始尺度"),
            (r"Johnson \(2000\) relative weights", lambda g: "Johnson（2000）相对权重法"),
            (r"no bootstrap", lambda g: "未做 Bootstrap"),
        ]
        for pattern, repl in subs:
            out = re.sub(pattern, repl, out)
        return out + ("" if out.endswith(("。", ".")) else "。")

    def _hypothesis_tables(self) -> list[StudyTable]:
        out: list[StudyTable] = []
        zh = self.lang == "zh"
        for h in self.study.hypotheses:
            section = _SECTION_OF_MODEL.get(h.model, "regression")
            if h.model == "hierarchical_regression":
                steps = self.result(f"{h.id}_steps")
                if steps is not None:
                    frame = pd.DataFrame({
                        "step": steps["step"].astype(int),
                        "terms_added": [", ".join(self.var_label(t.strip()) for t in str(s).split(","))
                                        for s in steps["terms_added"]],
                        "r2": steps["r2"], "adj_r2": steps["adj_r2"], "delta_r2": steps["delta_r2"],
                        "f_change": steps["f_change"], "df1": steps["df1"].astype(int), "df2": steps["df2"].astype(int),
                        "p": steps["p"]})
                    out.append(StudyTable(f"{h.id}_steps", section, self.hypothesis_title(h, ("分层回归各步", "hierarchical steps")),
                                          frame, {"step": "int", "r2": _B3, "adj_r2": _B3, "delta_r2": _B3, "f_change": _N2,
                                                  "df1": "int", "df2": "int", "p": _p3},
                                          {**self.col(*frame.columns), "p": "ΔF 的 p" if zh else "p of F change"},
                                          self._method_note(steps), source=f"{h.id}_steps"))
                coef = self.result(f"{h.id}_coefficients")
                if coef is not None:
                    frame = self._coef_frame(coef, keep_step=True)
                    out.append(StudyTable(f"{h.id}_coefficients", section,
                                          self.hypothesis_title(h, ("各步回归系数", "coefficients by step")),
                                          frame, self._COEF_FMT, self.col(*frame.columns),
                                          self._method_note(coef) + ("β 为标准化系数。" if zh else " β: standardised coefficient."),
                                          source=f"{h.id}_coefficients"))
            elif h.model == "regression":
                coef = self.result(f"{h.id}_coefficients")
                if coef is not None:
                    frame = self._coef_frame(coef)
                    out.append(StudyTable(f"{h.id}_coefficients", section, self.hypothesis_title(h, ("回归系数", "coefficients")),
                                          frame, self._COEF_FMT, self.col(*frame.columns),
                                          self._method_note(coef) + ("β 为标准化系数。" if zh else " β: standardised coefficient."),
                                          source=f"{h.id}_coefficients"))
            elif h.model == "multilevel":
                explained = self.result(f"{h.id}_pseudo_r2")
                if explained is not None and not explained.empty:
                    frame = pd.DataFrame({"term": explained["term"], "estimate": explained["estimate"]})
                    out.append(StudyTable(f"{h.id}_pseudo_r2", section, self.hypothesis_title(h, ("伪 R²", "pseudo-R²")), frame,
                                          {"estimate": _B3}, {"term": "指标" if zh else "Statistic", "estimate": "估计值" if zh else "Estimate"},
                                          ("R2_level1/R2_level2：Raudenbush & Bryk（2002）相对零模型的方差减少比例；R2_marginal/R2_conditional：Nakagawa & Schielzeth（2013）。"
                                           if zh else "R2_level1/R2_level2: proportional reduction of variance against the null model (Raudenbush & Bryk, 2002); "
                                           "R2_marginal/R2_conditional: Nakagawa & Schielzeth (2013)."), source=f"{h.id}_pseudo_r2"))
                for suffix, what in (("null", ("零模型", "null model")), ("coefficients", ("固定效应与随机效应", "fixed and random effects"))):
                    df = self.result(f"{h.id}_{suffix}")
                    if df is None:
                        continue
                    frame = pd.DataFrame({"effect": [self._t(_PARTS.get(e, (e, e))) for e in df["effect"]],
                                          "term": df["term"].map(self.term_label), "estimate": df["estimate"],
                                          "se": df["se"], "z": df["z"], "p": df["p"],
                                          "ci": [_ci_text(a, b, _N3) for a, b in zip(df["ci_low"], df["ci_high"])]})
                    has_beta = "beta" in df and df["beta"].notna().any()
                    if has_beta:
                        frame["beta"] = df["beta"].to_numpy()
                    labels = {**self.col(*frame.columns), "estimate": "估计值" if zh else "Estimate",
                              "beta": "标准化效应" if zh else "Standardised effect"}
                    note = self._method_note(df)
                    if "n_groups" in df and df["n_groups"].notna().any():
                        note += (f"营业厅数 = {int(df['n_groups'].dropna().iloc[0])}。" if zh else
                                 f" Branches = {int(df['n_groups'].dropna().iloc[0])}.")
                    if suffix == "coefficients":
                        note += ("后缀“（厅内）”为组均值中心化后的个人偏差，“（营业厅均值）”为营业厅均值。" if zh else
                                 " Within: group-mean-centred deviation; branch mean: the branch's mean.")
                    if has_beta:
                        note += ("标准化效应 = b × SD(x) / SD(y)，SD 为分析样本的总体（全样本）标准差。" if zh else
                                 " Standardised effect: b × SD(x) / SD(y), total-sample SDs of the analysis sample.")
                    out.append(StudyTable(f"{h.id}_{suffix}", section, self.hypothesis_title(h, what), frame,
                                          {"estimate": _N3, "se": _N3, "z": _N2, "p": _p3, "beta": _N3}, labels, note,
                                          source=f"{h.id}_{suffix}"))
            elif h.model == "mediation":
                df = self.result(f"{h.id}_effects")
                if df is not None:
                    frame = pd.DataFrame({"path": [self._t(_PATHS.get(p, (p, p))) for p in df["path"]],
                                          "effect": df["term"].map(self.term_label), "estimate": df["estimate"],
                                          "se": df["se"], "t": df["t"], "p": df["p"],
                                          "ci": [_ci_text(a, b, _N3) for a, b in zip(df["ci_low"], df["ci_high"])]})
                    has_std = "std_estimate" in df and df["std_estimate"].notna().any()
                    if has_std:
                        frame["std_estimate"] = df["std_estimate"].to_numpy()
                        frame["std_ci"] = [_ci_text(a, b, _N3) for a, b in zip(df["std_ci_low"], df["std_ci_high"])]
                    covar = ", ".join(self.var_label(v) for v in h.roles.get("covar", []))
                    n_boot = int(df["n_boot"].dropna().iloc[0]) if "n_boot" in df and df["n_boot"].notna().any() else None
                    note = (f"PROCESS 模型 4（Hayes, 2022）；每个自变量单独建模，其余自变量{('及' + covar) if covar else ''}作为控制变量。"
                            f"a、b、c、c′ 为 OLS 估计与 t 检验；间接效应的 SE 为 Bootstrap 标准误，95% CI 为 "
                            f"{n_boot} 次百分位 Bootstrap 区间，区间不含 0 即间接效应显著。" if zh else
                            f"PROCESS model 4 (Hayes, 2022), one model per predictor with the other predictors"
                            f"{(' and ' + covar) if covar else ''} as covariates. a, b, c, c′: OLS with t tests; indirect "
                            f"effect: bootstrap SE and {n_boot}-resample percentile 95% CI (significant when it excludes 0).")
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
                    out.append(StudyTable(f"{h.id}_effects", section, self.hypothesis_title(h, ("中介效应", "mediation effects")),
                                          frame, {"estimate": _N3, "se": _N3, "t": _N2, "p": _p3, "std_estimate": _N3},
                                          {**self.col(*frame.columns), "estimate": "效应值" if zh else "Effect",
                                           "std_estimate": "标准化效应" if zh else "Standardised effect",
                                           "std_ci": "标准化效应 95% CI" if zh else "Standardised effect 95% CI"}, note,
                                          source=f"{h.id}_effects"))
            elif h.model == "moderation":
                df = self.result(f"{h.id}_slopes")
                if df is not None:
                    part = df[df["part"] != "johnson_neyman"] if "part" in df else df
                    frame = self._moderation_frame(part)
                    out.append(StudyTable(f"{h.id}_slopes", section, self.hypothesis_title(h, ("调节效应与简单斜率", "moderation and simple slopes")),
                                          frame, self._COEF_FMT, {**self.col(*frame.columns), "estimate": "b"},
                                          self._method_note(part) + (
                                              f"简单斜率取调节变量（{self.var_label(h.roles['w'])}）的均值及 ±1 SD。" if zh else
                                              f" Simple slopes at the mean of the moderator ({self.var_label(h.roles['w'])}) and ±1 SD."),
                                          source=f"{h.id}_slopes"))
                jn = self.result(f"{h.id}_johnson_neyman")
                if jn is not None:
                    frame = self._moderation_frame(jn)
                    out.append(StudyTable(f"{h.id}_johnson_neyman", section,
                                          self.hypothesis_title(h, ("Johnson–Neyman 显著性区域边界", "Johnson–Neyman boundaries")),
                                          frame, self._COEF_FMT, {**self.col(*frame.columns), "estimate": "b"},
                                          ("在边界处条件效应的 p = .05（Johnson & Neyman, 1936; Hayes, 2022）。" if zh else
                                           "At a boundary the conditional effect has p = .05 (Johnson & Neyman, 1936; Hayes, 2022)."),
                                          source=f"{h.id}_johnson_neyman"))
            elif h.model == "moderated_mediation":
                df = self.result(f"{h.id}_effects")
                if df is not None:
                    frame = self._moderation_frame(df)
                    n_boot = int(df["n_boot"].dropna().iloc[0]) if "n_boot" in df and df["n_boot"].notna().any() else None
                    note = (f"PROCESS 模型 7（Hayes, 2022）：第一阶段受调节的中介。有调节的中介指数与条件间接效应的 95% CI 为 {n_boot} 次百分位 Bootstrap；"
                            "指数的区间不含 0 即存在有调节的中介（Hayes, 2015）。" if zh else
                            f"PROCESS model 7 (Hayes, 2022), first-stage moderated mediation. Index of moderated mediation "
                            f"and conditional indirect effects with {n_boot}-resample percentile bootstrap 95% CIs; an index "
                            "interval excluding 0 indicates moderated mediation (Hayes, 2015).")
                    out.append(StudyTable(f"{h.id}_effects", section, self.hypothesis_title(h, ("有调节的中介", "moderated mediation")),
                                          frame, self._COEF_FMT, {**self.col(*frame.columns), "estimate": "效应值" if zh else "Effect"},
                                          note, source=f"{h.id}_effects"))
            elif h.model == "relative_weights":
                df = self.result(f"{h.id}_weights")
                if df is not None:
                    frame = pd.DataFrame({"term": df["term"].map(self.var_label), "weight": df["estimate"],
                                          "ci": [_ci_text(a, b, _B3) for a, b in zip(df["ci_low"], df["ci_high"])],
                                          "rescaled": df["rescaled"],
                                          "rescaled_ci": [_ci_text(a, b, _N2) for a, b in zip(df["rescaled_ci_low"], df["rescaled_ci_high"])],
                                          "rank": df["rank"].astype(int)})
                    r2 = _B3(df["r2"].iloc[0]) if "r2" in df else ""
                    n_boot = int(df["n_boot"].iloc[0]) if "n_boot" in df else 0
                    note = (f"Johnson（2000）相对权重法；原始权重之和等于 R² = {r2}，相对权重为其占 R² 的百分比；"
                            f"95% CI 为 {n_boot} 次百分位 Bootstrap（Tonidandel & LeBreton, 2011）。n = {int(df['n'].iloc[0])}。" if zh else
                            f"Johnson (2000) relative weights; raw weights sum to R² = {r2}, rescaled weights are percentages "
                            f"of R²; {n_boot}-resample percentile bootstrap 95% CIs (Tonidandel & LeBreton, 2011). "
                            f"n = {int(df['n'].iloc[0])}.")
                    out.append(StudyTable(f"{h.id}_weights", section, self.hypothesis_title(h, ("相对权重", "relative weights")),
                                          frame, {"weight": _B3, "rescaled": _N2, "rank": "int"},
                                          {**self.col(*frame.columns), "ci": "原始权重 95% CI" if zh else "Raw weight 95% CI"},
                                          note, source=f"{h.id}_weights"))
        return out

    def _moderation_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        frame = pd.DataFrame({"part": [self._t(_PARTS.get(p, (p, p))) for p in df["part"]],
                              "term": df["term"].map(self.term_label)})
        if "w_value" in df:
            frame["w_value"] = df["w_value"].to_numpy()
        for c in ("estimate", "se", "t", "p"):
            if c in df:
                frame[c] = df[c].to_numpy()
        frame["ci"] = [_ci_text(a, b, _N3) for a, b in zip(df["ci_low"], df["ci_high"])]
        return frame

    def _target_tables(self) -> list[StudyTable]:
        out = []
        zh = self.lang == "zh"
        exp = self.result("target_expectation")
        if exp is not None:
            frame = self._coef_frame(exp)
            note = ("以营业厅客观因素预测对数销售额（跨营业厅 OLS），得到每个营业厅的客观销售预期。" if zh else
                    "Log sales regressed on objective branch factors across branches, giving each branch's objective "
                    "sales expectation.") + " " + self._method_note(exp)
            out.append(StudyTable("target_expectation", "targets",
                                  "指标公平性：销售客观预期模型" if zh else "Target fairness: objective sales expectation",
                                  frame, self._COEF_FMT, self.col(*frame.columns), note, source="target_expectation"))
        gaps = self.result("target_gaps")
        if gaps is not None:
            frame = gaps[[c for c in ("branch_id", "target", "actual", "expected", "gap_ratio", "log_gap") if c in gaps]]
            method = str(gaps["method"].iloc[0]) if "method" in gaps else ""
            note = ("对数偏差 = ln(下达指标 / 客观预期)：0 表示指标与客观预期一致，0.10 约高出 10%。" if zh else
                    "Log gap = ln(assigned target / objective expectation): 0 is a target at the objective level, "
                    "0.10 about 10% above it.") + (" " + self._translate_method(method) if method else "")
            out.append(StudyTable("target_gaps", "targets",
                                  "指标公平性：各营业厅下达指标与客观预期" if zh else "Target fairness: assigned targets against the objective expectation",
                                  frame, {"target": _N0, "actual": _N0, "expected": _N0, "gap_ratio": _N3, "log_gap": _N3},
                                  self.col(*frame.columns), note, source="target_gaps"))
        return out

    def wave_table_names(self) -> list[str]:
        """Result tables comparing waves (``waves_*`` / ``trend_*``), if the results hold any."""
        return [n for n in self.table_names if n.startswith(("waves_", "trend_"))]

    def _wave_tables(self) -> list[StudyTable]:
        out = []
        for name in self.wave_table_names():
            df = self.result(name)
            if df is None:
                continue
            zh_en = _WAVE_TITLES.get(name, (f"多期比较：{name}", f"Waves: {name}"))
            title = self._t(zh_en)
            labels = {c: self._t(_COLS[c]) if c in _COLS else c for c in df.columns}
            out.append(StudyTable(name, "waves", title, df, {}, labels, None, source=name))
        return out

    # ------------------------------------------------------------------ figures
    def figures(self) -> list[StudyFigure]:
        """Every figure in report order, numbered from 1."""
        if self._figures is None:
            figs: list[StudyFigure] = []
            zh = self.lang == "zh"
            for inst in self.survey_instruments:
                if self.result(f"{inst}_reviewer") is not None:
                    figs.append(StudyFigure(f"{inst}_reviewer", "psychometrics",
                                            f"{self.instrument_name(inst)}" + ("：审稿人核查汇总" if zh else ": reviewer checklist"),
                                            lambda inst=inst: self._draw_reviewer(inst)))
            for h in self.study.hypotheses:
                section = _SECTION_OF_MODEL.get(h.model, "regression")
                if h.model in ("regression", "hierarchical_regression", "multilevel"):
                    if self.result(f"{h.id}_coefficients") is not None:
                        figs.append(StudyFigure(f"{h.id}_forest", section,
                                                self.hypothesis_title(h, ("回归系数与 95% CI", "coefficients with 95% CIs")),
                                                lambda h=h: self._draw_coef_forest(h)))
                elif h.model == "mediation" and self.result(f"{h.id}_effects") is not None:
                    figs.append(StudyFigure(f"{h.id}_indirect", section,
                                            self.hypothesis_title(h, ("间接效应与 Bootstrap 95% CI", "indirect effects with bootstrap 95% CIs")),
                                            lambda h=h: self._draw_indirect(h)))
                elif h.model == "moderated_mediation" and self.result(f"{h.id}_effects") is not None:
                    figs.append(StudyFigure(f"{h.id}_conditional_indirect", section,
                                            self.hypothesis_title(h, ("条件间接效应", "conditional indirect effects")),
                                            lambda h=h: self._draw_conditional_indirect(h)))
                elif h.model == "moderation" and self.result(f"{h.id}_slopes") is not None:
                    figs.append(StudyFigure(f"{h.id}_simple_slopes", section,
                                            self.hypothesis_title(h, ("简单斜率与 J–N 边界", "simple slopes and J–N boundaries")),
                                            lambda h=h: self._draw_moderation(h)))
                elif h.model == "relative_weights" and self.result(f"{h.id}_weights") is not None:
                    figs.append(StudyFigure(f"{h.id}_weights", section,
                                            self.hypothesis_title(h, ("相对权重与 95% CI", "relative weights with 95% CIs")),
                                            lambda h=h: self._draw_weights(h)))
            order = list(SECTIONS)
            figs.sort(key=lambda f: order.index(f.section))
            self._figures = [StudyFigure(f.name, f.section, f.title, f.draw, i) for i, f in enumerate(figs, 1)]
        return self._figures

    def _forest_frame(self, df: pd.DataFrame, label: Callable[[Any], str]) -> pd.DataFrame:
        frame = pd.DataFrame({"term": [label(t) for t in df["term"]], "estimate": df["estimate"].to_numpy(float),
                              "ci_low": df["ci_low"].to_numpy(float), "ci_high": df["ci_high"].to_numpy(float)})
        # a percentile interval may, rarely, not contain its point estimate; the figure shows the interval
        frame["ci_low"] = np.minimum(frame["ci_low"], frame["estimate"])
        frame["ci_high"] = np.maximum(frame["ci_high"], frame["estimate"])
        return frame

    def _draw_coef_forest(self, h: Any) -> Any:
        from .figures import forest

        df = self.result(f"{h.id}_coefficients")
        if "effect" in df:
            df = df[df["effect"] == "fixed"]
        if "step" in df:
            df = df[df["step"] == df["step"].max()]
        df = df[(df["term"] != "Intercept") & df["ci_low"].notna()]
        frame = self._forest_frame(df, self.term_label)
        xlabel = ("b（95% CI）" if self.lang == "zh" else "b (95% CI)")
        return forest(frame, "term", "estimate", "ci_low", "ci_high", xlabel=xlabel, lang=self.lang,
                      title=f"{h.id}：{self.var_label(h.roles['y'])}" if self.lang == "zh"
                      else f"{h.id}: {self.var_label(h.roles['y'])}")

    def _draw_indirect(self, h: Any) -> Any:
        from .figures import forest

        df = self.result(f"{h.id}_effects")
        df = df[df["path"] == "indirect"]
        frame = self._forest_frame(df, self.term_label)
        xlabel = "间接效应 a×b（Bootstrap 95% CI）" if self.lang == "zh" else "Indirect effect a×b (bootstrap 95% CI)"
        return forest(frame, "term", "estimate", "ci_low", "ci_high", xlabel=xlabel, lang=self.lang,
                      title=f"{h.id}")

    def _draw_conditional_indirect(self, h: Any) -> Any:
        from .figures import forest

        df = self.result(f"{h.id}_effects")
        df = df[df["part"].isin(["conditional_indirect", "index"])]
        zh = self.lang == "zh"
        w = self.var_label(h.roles["w"])

        def label(term: str) -> str:
            m = re.search(r" at \w+ (mean.*)$", str(term))
            if m:
                level = m.group(1)
                return f"{w} = " + (level.replace("mean", "均值") if zh else level)
            return "有调节的中介指数" if zh else "Index of moderated mediation"

        frame = self._forest_frame(df, label)
        xlabel = "效应值（Bootstrap 95% CI）" if zh else "Effect (bootstrap 95% CI)"
        return forest(frame, "term", "estimate", "ci_low", "ci_high", xlabel=xlabel, lang=self.lang, title=h.id)

    def _draw_moderation(self, h: Any) -> Any:
        import matplotlib.pyplot as plt

        from .figures import PALETTE

        zh = self.lang == "zh"
        df = self.result(f"{h.id}_slopes")
        slopes = df[df["part"] == "simple_slope"]
        jn = self.result(f"{h.id}_johnson_neyman")
        if jn is None:
            jn = df[df["part"] == "johnson_neyman"]
        x, w = self.var_label(h.roles["x"]), self.var_label(h.roles["w"])
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        wv = slopes["w_value"].to_numpy(float)
        est = slopes["estimate"].to_numpy(float)
        lo = np.clip(est - slopes["ci_low"].to_numpy(float), 0, None)
        hi = np.clip(slopes["ci_high"].to_numpy(float) - est, 0, None)
        ax.plot(wv, est, color=PALETTE[0], linewidth=1, zorder=2)
        ax.errorbar(wv, est, yerr=np.vstack([lo, hi]), fmt="o", color=PALETTE[0], capsize=4, zorder=3,
                    label="简单斜率（95% CI）" if zh else "Simple slope (95% CI)")
        ax.axhline(0, color="#7f7f7f", linestyle="--", linewidth=1, zorder=1)
        if jn is not None and not jn.empty:
            inside = jn[jn["term"].astype(str).str.contains("within")]
            for value in inside["w_value"].to_numpy(float):
                ax.axvline(value, color=PALETTE[3], linestyle=":", linewidth=1.5, zorder=1)
                ax.annotate(f"J–N：{w} = {value:.2f}" if zh else f"J–N: {w} = {value:.2f}", (value, 1.0),
                            xycoords=("data", "axes fraction"), xytext=(4, -12), textcoords="offset points",
                            fontsize=8, color=PALETTE[3])
        ax.set_xlabel(w)
        ax.set_ylabel(f"{x}的条件效应" if zh else f"Conditional effect of {x}")
        ax.set_title(h.id)
        ax.legend(loc="lower right")
        return fig

    def _draw_weights(self, h: Any) -> Any:
        import matplotlib.pyplot as plt

        from .figures import PALETTE

        df = self.result(f"{h.id}_weights")
        frame = self._forest_frame(df.rename(columns={"estimate": "_raw", "rescaled": "estimate",
                                                      "ci_low": "_lo", "ci_high": "_hi",
                                                      "rescaled_ci_low": "ci_low", "rescaled_ci_high": "ci_high"}),
                                   self.var_label)
        frame = frame.sort_values("estimate", ascending=False, kind="mergesort").reset_index(drop=True)
        n = len(frame)
        fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.42 * n + 1.2)))
        y = np.arange(n)[::-1]
        ax.barh(y, frame["estimate"], height=0.6, color=PALETTE[0], zorder=2)
        err = np.vstack([frame["estimate"] - frame["ci_low"], frame["ci_high"] - frame["estimate"]])
        ax.errorbar(frame["estimate"], y, xerr=err, fmt="none", ecolor="#333333", capsize=3, elinewidth=1, zorder=3)
        ax.set_yticks(y, list(frame["term"]))
        ax.set_xlabel("相对权重（% R²，95% CI）" if self.lang == "zh" else "Rescaled weight (% of R², 95% CI)")
        ax.set_xlim(left=0)
        ax.set_title(f"{h.id}：{self.var_label(h.roles['y'])}" if self.lang == "zh" else f"{h.id}: {self.var_label(h.roles['y'])}")
        ax.grid(axis="x", color="#eeeeee", zorder=0)
        return fig

    def _draw_reviewer(self, inst: str) -> Any:
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap
        from matplotlib.patches import Patch

        rev = self.result(f"{inst}_reviewer")
        rows = list(dict.fromkeys(self._reviewer_scale(s) for s in rev["scale"]))
        cols = list(dict.fromkeys(_STATS.get(s, s) for s in rev["statistic"]))
        status = np.full((len(rows), len(cols)), np.nan)
        text = [["" for _ in cols] for _ in rows]
        for s, st, v, passed in zip(rev["scale"], rev["statistic"], rev["value"], rev["passed"]):
            i, j = rows.index(self._reviewer_scale(s)), cols.index(_STATS.get(st, st))
            status[i, j] = 1.0 if bool(passed) else 0.0
            text[i][j] = _B2(v)
        fig, ax = plt.subplots(figsize=(max(5.0, 0.75 * len(cols) + 2.2), max(2.4, 0.34 * len(rows) + 1.3)))
        cmap = ListedColormap(["#F4B6A6", "#A8D5BA"]).with_extremes(bad="#f2f2f2")
        ax.imshow(np.ma.masked_invalid(status), cmap=cmap, vmin=0, vmax=1, aspect="auto")
        for i in range(len(rows)):
            for j in range(len(cols)):
                if text[i][j]:
                    ax.text(j, i, text[i][j], ha="center", va="center", fontsize=7.5)
        ax.set_xticks(range(len(cols)), cols)
        ax.set_yticks(range(len(rows)), rows)
        ax.tick_params(axis="both", length=0, labelsize=8)
        ax.xaxis.tick_top()
        for side in ax.spines.values():
            side.set_visible(False)
        handles = [Patch(color="#A8D5BA", label=self.w["pass"]), Patch(color="#F4B6A6", label=self.w["fail"])]
        fig.legend(handles=handles, loc="outside lower center", ncol=2)
        ax.set_title(self.instrument_name(inst), pad=18)
        return fig

    # ------------------------------------------------------------------ export
    def export(self, out_dir: str | os.PathLike[str], *, layouts: Sequence[str] = LAYOUTS,
               formats: Sequence[str] = ("csv", "md", "tex", "docx"),
               figure_formats: Sequence[str] = ("png", "svg", "pdf")) -> list[Path]:
        """Write every table (per layout), ``tables.docx``, every figure and ``manifest.json``."""
        import matplotlib.pyplot as plt

        from .style import save_figure, use_style

        bad = [x for x in layouts if x not in LAYOUTS]
        if bad:
            raise ValueError(f"layouts {bad} are not supported; use any of {LAYOUTS}")
        out = Path(out_dir)
        written: list[Path] = []
        manifest: dict[str, Any] = {"wave": self.wave, "lang": self.lang, "results": str(self.results_dir),
                                    "tables": [], "figures": [], "missing": self.missing()}
        for table in self.tables():
            entry = {"number": table.number, "name": table.name, "section": table.section, "title": table.title,
                     "source": table.source, "files": []}
            for layout in layouts:
                files = export_table(table.frame, out / "tables" / f"{table.name}_{layout}", title=table.title,
                                     number=table.number, note=table.note, layout=layout, formats=formats,
                                     decimals={k: v for k, v in table.formats.items() if k in table.frame.columns},
                                     labels={k: v for k, v in table.labels.items() if k in table.frame.columns},
                                     star_columns=table.star_columns or None, drop=table.drop, lang=self.lang)
                if "docx" in files:  # python-docx stamps zip members with the time of writing
                    atomic_write(files["docx"], _stable_zip(files["docx"].read_bytes()))
                written.extend(files.values())
                entry["files"] += [str(p.relative_to(out)) for p in files.values()]
            manifest["tables"].append(entry)
        if "docx" in formats:
            written.append(self.write_combined_docx(out / "tables.docx"))
        if figure_formats:
            use_style(self.lang)
            for fig_spec in self.figures():
                fig = fig_spec.draw()
                try:
                    files = save_figure(fig, out / "figures" / fig_spec.name, figure_formats)
                finally:
                    plt.close(fig)
                written.extend(files)
                manifest["figures"].append({"number": fig_spec.number, "name": fig_spec.name, "title": fig_spec.title,
                                            "files": [str(p.relative_to(out)) for p in files]})
        text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        written.append(atomic_write(out / "manifest.json", text))
        return written

    def write_combined_docx(self, path: str | os.PathLike[str], *, layout: str = "apa") -> Path:
        """Every table in order in one Word document (for a manuscript's table section)."""
        import io

        import docx
        from docx.enum.section import WD_ORIENT
        from docx.shared import Cm

        document = docx.Document()
        core = document.core_properties
        core.author = "hallperf"
        core.title = self.study.title.get(self.lang)
        section = document.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE  # Table 1 and the matrices are wide
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
        for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, margin, Cm(2.0))
        document.add_heading(self.study.title.get(self.lang), level=1)
        for i, table in enumerate(self.tables()):
            cells, header, numeric, note = table.render(self.lang)
            add_docx_table(document, cells, header, numeric, layout=layout, lang=self.lang, title=table.title,
                           number=table.number, note=note, font_size=9 if len(header) > 10 else 10.5)
            if i < len(self.tables()) - 1:
                document.add_paragraph()
        buf = io.BytesIO()
        document.save(buf)
        return atomic_write(path, _stable_zip(buf.getvalue()))

    # ------------------------------------------------------------------ what the results lack
    def missing(self) -> list[str]:
        """Numbers a manuscript usually reports that the result tables do not hold."""
        zh = self.lang == "zh"
        out: list[str] = []
        if self.result("response_rates") is None:
            out.insert(0, "回收率（在岗人数未知）" if zh else "response rate (staff employed unknown)")
        for h in self.study.hypotheses:
            if h.model == "moderation":
                out.append(f"{h.id}：条件效应在调节变量全范围上的曲线（只有 ±1 SD 的简单斜率与 J–N 边界）" if zh else
                           f"{h.id}: conditional effect across the whole moderator range (only ±1 SD slopes and J–N boundaries)")
        if not (self.info.get("excluded") or {}):
            out.append("粗心作答剔除人数" if zh else "careless responders excluded")
        return out

    # ------------------------------------------------------------------ notebook display
    def section_tables(self, section: str) -> list[StudyTable]:
        return [t for t in self.tables() if t.section == section]

    def section_figures(self, section: str) -> list[StudyFigure]:
        return [f for f in self.figures() if f.section == section]

    def heading(self, section: str) -> str:
        keys = list(SECTIONS)
        return f"{keys.index(section) + 1} {self._t(SECTIONS[section])}"

    def styled(self, table: StudyTable) -> Any:
        """A pandas Styler of the rendered table (fixed uuid, so the HTML is deterministic)."""
        cells, header, numeric, _ = table.render(self.lang)
        shown = cells.copy()
        shown.columns = pd.Index(_dedupe(header))
        caption = (f"{self.w['table']}{table.number} {table.title}" if self.lang == "zh"
                   else f"{self.w['table']} {table.number}. {table.title}")
        styles = [
            {"selector": "", "props": "border-collapse: collapse; border-top: 2px solid #000; "
                                      "border-bottom: 2px solid #000; font-variant-numeric: tabular-nums; margin-bottom: .3em;"},
            {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: 600; padding: .3em 0;"},
            {"selector": "thead th", "props": "border-bottom: 1px solid #000; padding: .25em .6em; text-align: center;"},
            {"selector": "td", "props": "padding: .2em .6em;"},
        ]
        styler = (shown.style.set_uuid(f"hallperf_{table.name}").hide(axis="index").format(escape="html")
                  .set_caption(_html.escape(caption)).set_table_styles(styles))
        for col, is_num in zip(shown.columns, numeric):
            styler = styler.set_properties(subset=[col], **{"text-align": "right" if is_num else "left"})
        return styler

    def narrative(self, section: str) -> str:
        """Markdown narrative of a section, with numbers read from the results."""
        return _narrative(self, section)

    def intro(self, written: Sequence[os.PathLike[str] | str] = ()) -> str:
        """Markdown title and overview of the report (wave, tables, figures, where files went)."""
        zh = self.lang == "zh"
        n_t, n_f = len(self.tables()), len(self.figures())
        lines = [f"# {self.study.title.get(self.lang)}",
                 (f"调查期次：{self.wave}。本报告共含 {n_t} 张表、{n_f} 幅图；表格按 APA 与三线表两种版式导出为 CSV、Markdown、"
                  "LaTeX 与 Word，另有合并的 `tables.docx`；图为 PNG（300 dpi）、SVG 与 PDF。" if zh else
                  f"Wave: {self.wave}. The report holds {n_t} tables and {n_f} figures; tables are exported in APA and "
                  "three-line layout as CSV, Markdown, LaTeX and Word, plus a combined `tables.docx`; figures as PNG "
                  "(300 dpi), SVG and PDF.")]
        if written:
            lines.append(f"已写出 {len(written)} 个文件。" if zh else f"{len(written)} files written.")
        return "\n\n".join(lines)

    def appendix(self) -> str:
        """Markdown list of the numbers a manuscript may need that the results do not hold."""
        head = "## 附注：结果中没有的数字" if self.lang == "zh" else "## Note: numbers the results do not hold"
        return head + "\n\n" + "\n".join(f"- {m}" for m in self.missing())

    def show_intro(self, written: Sequence[os.PathLike[str] | str] = ()) -> None:
        from IPython.display import Markdown, display

        display(Markdown(self.intro(written)))

    def show_appendix(self) -> None:
        from IPython.display import Markdown, display

        display(Markdown(self.appendix()))

    def show(self, section: str) -> None:
        """Display a section in a notebook: heading, narrative, tables (HTML) and figures."""
        import matplotlib.pyplot as plt
        from IPython.display import HTML, Markdown, display

        from .style import use_style

        display(Markdown(f"## {self.heading(section)}"))
        display(Markdown(self.narrative(section)))
        for table in self.section_tables(section):
            display(HTML(self.styled(table).to_html()))
            _, _, _, note = table.render(self.lang)
            if note:
                display(Markdown(f"*{self.w['note']}* {note}" if self.lang == "en" else f"{self.w['note']}{note}"))
        figs = self.section_figures(section)
        if figs:
            use_style(self.lang)
        for spec in figs:
            fig = spec.draw()
            display(Markdown(f"**{self.w['figure']}{spec.number} {spec.title}**" if self.lang == "zh"
                             else f"**{self.w['figure']} {spec.number}. {spec.title}**"))
            display(fig)
            plt.close(fig)


def _stable_zip(payload: bytes) -> bytes:
    """The same zip (e.g. a .docx) with every member dated 1980-01-01, so equal content gives equal bytes."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(payload))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, src.read(info.filename))
    return buf.getvalue()


def _dedupe(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}\u200b" * seen[n])
        else:
            seen[n] = 0
            out.append(n)
    return out


# ----------------------------------------------------------------------------- narrative
def _fails(report: StudyReport, inst: str) -> list[str]:
    rev = report.result(f"{inst}_reviewer")
    if rev is None:
        return []
    out = []
    for s, st, v, r, t, passed in zip(rev["scale"], rev["statistic"], rev["value"], rev["rule"], rev["threshold"], rev["passed"]):
        if not bool(passed):
            out.append(f"{report._reviewer_scale(s)} {_STATS.get(st, st)} = {_B3(v)}（{_RULES.get(r, r)} {_B2(t)}）"
                       if report.lang == "zh" else
                       f"{report._reviewer_scale(s)} {_STATS.get(st, st)} = {_B3(v)} (threshold {_RULES.get(r, r)} {_B2(t)})")
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


_WAVE_TITLES = {
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


def _narrative(r: StudyReport, section: str) -> str:
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
                rate_text = (f"员工问卷回收率为 {c['rate']:.1%}（{int(c['respondents'])}/{int(c['employed'])}）。" if zh else
                             f" The staff survey response rate is {c['rate']:.1%} ({int(c['respondents'])} of {int(c['employed'])} staff).")
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
        for inst in r.survey_instruments:
            cm = r.result(f"{inst}_common_method")
            if cm is None:
                continue
            h = cm[cm["test"] == "harman_single_factor"]
            if not h.empty:
                lines.append(f"- {r.instrument_name(inst)}：首因子解释方差比例为 {_B3(h['estimate'].iloc[0])}。" if zh else
                             f"- {r.instrument_name(inst)}: first factor explains a share of {_B3(h['estimate'].iloc[0])}.")
    elif section == "table1":
        lines.append((f"{refs} 报告主要变量的均值、标准差和相关系数，对角线为 Cronbach's α。" if zh else
                      f"{refs} reports means, standard deviations and correlations, with Cronbach's α on the diagonal."))
    elif section == "aggregation":
        lines.append(("营业厅层面的构念需要组内一致性与组间差异支持聚合：ICC(1)、ICC(2) 与 rwg(j)" + f"见{refs}。" if zh else
                      "Branch-level constructs need within-branch agreement and between-branch variance to justify "
                      f"aggregation: ICC(1), ICC(2) and rwg(j) are in {refs}."))
    elif section in ("regression", "multilevel", "mediation", "drivers"):
        hs = [h for h in r.study.hypotheses if _SECTION_OF_MODEL.get(h.model) == section]
        for h in hs:
            ref = _refs([t.number for t in tables if t.name.startswith(f"{h.id}_")], zh)
            lines.append(f"- **{h.id}** {h.label.get(r.lang)}（{ref}）" if zh else f"- **{h.id}** {h.label.get(r.lang)} ({ref})")
            lines.append("  " + _hypothesis_sentence(r, h))
    elif section == "targets":
        lines.append((f"指标公平性：先以营业厅客观因素估计每个营业厅的销售预期，再比较下达指标与预期的偏差（{refs}）。" if zh else
                      f"Target fairness: each branch's objective sales expectation is estimated from branch factors, and "
                      f"assigned targets are compared with it ({refs})."))
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


def _hypothesis_sentence(r: StudyReport, h: Any) -> str:
    zh = r.lang == "zh"
    if h.model == "hierarchical_regression":
        steps = r.result(f"{h.id}_steps")
        if steps is None:
            return ""
        last = steps.iloc[-1]
        return (f"加入最后一组变量后 ΔR² = {_B3(last['delta_r2'])}，F({int(last['df1'])}, {int(last['df2'])}) = "
                f"{_N2(last['f_change'])}，p {r._p_phrase(last['p'])}。" if zh else
                f"The last block adds ΔR² = {_B3(last['delta_r2'])}, F({int(last['df1'])}, {int(last['df2'])}) = "
                f"{_N2(last['f_change'])}, p {r._p_phrase(last['p'])}.")
    if h.model in ("regression", "multilevel"):
        coef = r.result(f"{h.id}_coefficients")
        if coef is None:
            return ""
        xs = list(h.roles.get("x", []))
        rows = coef[coef["term"].isin(xs)]
        if "effect" in coef:
            rows = rows[rows["effect"] == "fixed"]
        parts = [f"{r.var_label(t)}：b = {_N3(b)}，p {r._p_phrase(p)}" if zh else f"{r.var_label(t)}: b = {_N3(b)}, p {r._p_phrase(p)}"
                 for t, b, p in zip(rows["term"], rows["estimate"], rows["p"])]
        return ("；".join(parts) + "。") if zh else ("; ".join(parts) + ".")
    if h.model == "mediation":
        df = r.result(f"{h.id}_effects")
        if df is None:
            return ""
        ind = df[df["path"] == "indirect"]
        parts = [f"{r.term_label(t)} = {_N3(e)}，95% CI {_ci_text(lo, hi, _N3)}" if zh else
                 f"{r.term_label(t)} = {_N3(e)}, 95% CI {_ci_text(lo, hi, _N3)}"
                 for t, e, lo, hi in zip(ind["term"], ind["estimate"], ind["ci_low"], ind["ci_high"])]
        return ("间接效应：" + "；".join(parts) + "。") if zh else ("Indirect effects: " + "; ".join(parts) + ".")
    if h.model == "moderation":
        df = r.result(f"{h.id}_slopes")
        if df is None:
            return ""
        inter = df[(df["part"] == "coefficient") & df["term"].astype(str).str.contains(":")]
        if inter.empty:
            return ""
        row = inter.iloc[0]
        return (f"交互项 b = {_N3(row['estimate'])}，p {r._p_phrase(row['p'])}；简单斜率与 J–N 边界见图。" if zh else
                f"Interaction b = {_N3(row['estimate'])}, p {r._p_phrase(row['p'])}; simple slopes and J–N boundaries in the figure.")
    if h.model == "moderated_mediation":
        df = r.result(f"{h.id}_effects")
        if df is None:
            return ""
        idx = df[df["part"] == "index"]
        if idx.empty:
            return ""
        row = idx.iloc[0]
        return (f"有调节的中介指数 = {_N3(row['estimate'])}，95% CI {_ci_text(row['ci_low'], row['ci_high'], _N3)}。" if zh else
                f"Index of moderated mediation = {_N3(row['estimate'])}, 95% CI {_ci_text(row['ci_low'], row['ci_high'], _N3)}.")
    if h.model == "relative_weights":
        df = r.result(f"{h.id}_weights")
        if df is None:
            return ""
        top = df.sort_values("rank", kind="mergesort").head(3)
        parts = [f"{r.var_label(t)}（{_N2(v)}%）" if zh else f"{r.var_label(t)} ({_N2(v)}%)" for t, v in zip(top["term"], top["rescaled"])]
        return (f"相对权重最高的三项：" + "、".join(parts) + "。") if zh else ("Largest relative weights: " + ", ".join(parts) + ".")
    return ""


# ----------------------------------------------------------------------------- entry point
def export_study(results_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                 study_path: str | os.PathLike[str], lang: str = "zh",
                 layouts: Sequence[str] = LAYOUTS, formats: Sequence[str] = ("csv", "md", "tex", "docx"),
                 figure_formats: Sequence[str] = ("png", "svg", "pdf")) -> list[Path]:
    """Write every manuscript table and figure of a study's results.

    Parameters
    ----------
    results_dir : the analyze stage's folder (``output/<wave>/results``).
    out_dir : target folder (``output/<wave>/study``).
    study_path : the study file (``surveys/study.yml``) that names hypotheses and labels.
    lang : {"zh", "en"}
        Language of titles, column and variable labels and notes.
    layouts : subset of ("apa", "three_line")
    formats : subset of ("csv", "md", "tex", "docx")
    figure_formats : subset of ("png", "svg", "pdf"); empty for no figures.

    Returns
    -------
    list of Path
        Files written: ``tables/<name>_<layout>.<ext>`` for every table and layout,
        ``tables.docx`` (every table in APA layout, in order), ``figures/<name>.<ext>`` and
        ``manifest.json`` (tables, figures, their sources and the numbers the results lack).
    """
    report = StudyReport(results_dir, study_path=study_path, lang=lang)
    return report.export(out_dir, layouts=layouts, formats=formats, figure_formats=figure_formats)
