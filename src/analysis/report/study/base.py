"""Building blocks of the research report: number formatters, table/figure containers, labels.

:class:`Labels` turns variable codes, model terms and method descriptions into the report
language from the study file and the codebooks; :class:`StudyReport` inherits it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..tables import format_number, format_p, format_table
from .vocabulary import COLS, IDENT, SPECIAL_TERMS, W

def p3(x: Any) -> str:
    return format_p(x, 3)


def num(decimals: int, *, lead: bool = True) -> Callable[[Any], str]:
    return lambda x: format_number(x, decimals, leading_zero=lead)


N0, N2, N3 = num(0), num(2), num(3)
B2, B3 = num(2, lead=False), num(3, lead=False)


def ci_text(lo: Any, hi: Any, fmt: Callable[[Any], str]) -> str:
    a, b = fmt(lo), fmt(hi)
    return f"[{a}, {b}]" if a and b else ""


def is_missing(x: Any) -> bool:
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


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
            note = " ".join(x for x in (note, W[lang]["sig"]) if x)
        return cells, header, numeric, note


@dataclass(frozen=True)
class StudyFigure:
    """One figure: ``draw()`` returns a new matplotlib Figure (the caller closes it)."""

    name: str
    section: str
    title: str
    draw: Callable[[], Any]
    number: int | None = None


class Labels:
    """Labels in the report language; needs ``lang``, ``w``, ``study`` and ``instruments``."""

    lang: str
    w: dict[str, str]
    study: Any
    instruments: dict[str, Any]

    def t(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.lang == "zh" else pair[1]

    def col(self, *names: str) -> dict[str, str]:
        """Column labels in the report language."""
        return {n: self.t(COLS[n]) if n in COLS else n for n in names}

    def instrument_name(self, inst_id: str) -> str:
        short = {"staff": ("员工问卷", "Staff survey"), "customer": ("客户问卷", "Customer survey"),
                 "branches": ("营业厅信息", "Branch register"), "kpi": ("KPI 记录", "KPI records")}
        if inst_id in short:
            return self.t(short[inst_id])
        inst = self.instruments.get(inst_id)
        return inst.title.get(self.lang) if inst is not None and inst.title.get(self.lang) else inst_id

    def var_label(self, name: Any) -> str:
        """Display label of a variable: scales, fields, KPIs, dummy codes, centred parts."""
        name = str(name)
        w = self.w
        if name == "Intercept":
            return w["intercept"]
        if name in SPECIAL_TERMS:
            return self.t(SPECIAL_TERMS[name])
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
        if is_missing(text):
            return ""
        text = str(text)
        if text in SPECIAL_TERMS or re.fullmatch(r"\w+(\[[^\]]+\])?", text):
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

        text = IDENT.sub(swap, text)
        return text.replace(":", " × ")

    def hypothesis_title(self, h: Any, what: tuple[str, str]) -> str:
        sep = "：" if self.lang == "zh" else ": "
        dash = "——" if self.lang == "zh" else " — "
        return f"{h.id}{sep}{h.label.get(self.lang)}{dash}{self.t(what)}"

    def scale_label(self, code: Any) -> str:
        return self.var_label(code) if not is_missing(code) else ""

    def reviewer_scale(self, s: Any) -> str:
        if is_missing(s):
            return ""
        s = str(s)
        if s in ("measurement", "single_factor"):
            return self.w[s]
        if s == "(all items)":
            return self.w["overall"]
        return self.var_label(s)

    def lower_matrix(self, names: list[str], values: Mapping[frozenset, float],
                      diag: Callable[[str], str]) -> pd.DataFrame:
        """A lower-triangular matrix of pair values, numbered columns, ``diag(name)`` on the diagonal."""
        rows = []
        for i, a in enumerate(names):
            row: dict[str, str] = {"variable": f"{i + 1}. {self.var_label(a)}"}
            for j, b in enumerate(names):
                if j < i:
                    row[str(j + 1)] = B2(values.get(frozenset((a, b)), np.nan))
                elif j == i:
                    row[str(j + 1)] = diag(a)
                else:
                    row[str(j + 1)] = ""
            rows.append(row)
        return pd.DataFrame(rows)

    def p_phrase(self, p: Any) -> str:
        text = p3(p)
        return text if text.startswith(("<", ">")) else f"= {text}"

    def method_note(self, df: pd.DataFrame) -> str:
        methods = [str(m) for m in df.get("method", pd.Series(dtype=str)).dropna().unique()]
        n = int(df["n"].dropna().iloc[0]) if "n" in df and df["n"].notna().any() else None
        zh = self.lang == "zh"
        parts = []
        if n is not None:
            parts.append(f"n = {n}。" if zh else f"n = {n}.")
        for m in methods:
            parts.append(self.translate_method(m))
        return ("" if zh else " ").join(parts)

    def translate_method(self, m: str) -> str:
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
