"""The report of ``hallperf analyze --instrument``: one HTML page and a console summary.

The page holds the same tables as the psychometrics, common-method and aggregation sections of
the research report: the section builders of :mod:`analysis.report.study` run on the tables of
one instrument through :class:`InstrumentTables`, a stand-in for the
:class:`~analysis.report.study.StudyReport` they are written for (the results of ``analyze
--instrument`` are named ``reliability``, ``cfa_fit``, ... where a study's are
``<instrument>_reliability``, and there is no study file). Presentation only: every number is
read from the result tables.
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .html import REPORT_CSS
from .study.base import B2, B3, N2, Labels, StudyTable
from .study.tables_data import aggregation_tables
from .study.tables_psychometrics import common_method_tables, psychometric_tables
from .study.vocabulary import W
from .tables import format_p
from .texts import check_lang

__all__ = ["InstrumentTables", "instrument_report_html", "summary_rows"]

_BUILDERS = (psychometric_tables, common_method_tables, aggregation_tables)

_TEXT = {
    "zh": {"title": "{name}：信度、效度与聚合分析", "instrument": "问卷", "data": "数据文件",
           "rows": "读取 {read} 行：接受 {accepted} 行，隔离 {quarantined} 行", "reasons": "隔离原因",
           "group": "分组变量", "none": "无", "cfa": "CFA 缺失值处理", "cor": "相关矩阵缺失值处理", "k": "最小报告组规模",
           "empty": "没有可计算的表格（见下方的问题表或 quarantine.csv）。"},
    "en": {"title": "{name}: reliability, validity and aggregation", "instrument": "Instrument", "data": "Data file",
           "rows": "{read} rows read: {accepted} accepted, {quarantined} quarantined", "reasons": "Quarantined by reason",
           "group": "Group column", "none": "none", "cfa": "CFA missing data", "cor": "Correlations' missing data", "k": "Minimum reporting size",
           "empty": "No table could be computed (see the problems table or quarantine.csv)."},
}


@dataclass(frozen=True)
class _NoStudy:
    """What the label helpers ask of a study file, for results that have none."""

    kpis: tuple = ()
    hypotheses: tuple = ()
    htmt: str = "htmt"
    cr_ave: str = "standardized"


class InstrumentTables(Labels):
    """The tables of one ``analyze --instrument`` run, as the research report's builders read them.

    Parameters
    ----------
    tables : result tables by their name in ``OUT/`` (``reliability``, ``cfa_fit``, ...);
        any mapping, e.g. :class:`analysis.project.Results`.
    instrument : the :class:`~analysis.instrument.Instrument` (labels of scales and items).
    lang : {"zh", "en"}
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame], instrument: Any, *, lang: str = "zh") -> None:
        check_lang(lang)
        self._tables = tables
        self.instrument = instrument
        self.instruments = {instrument.id: instrument}
        self.survey_instruments = [instrument.id]
        self.study = _NoStudy()
        self.lang = lang
        self.w = W[lang]

    def result(self, name: str) -> pd.DataFrame | None:
        """``<instrument>_<table>`` as the builders name it: the run's ``<table>``, None when absent or empty."""
        prefix = f"{self.instrument.id}_"
        key = name[len(prefix):] if name.startswith(prefix) else name
        frame = self._tables.get(key)
        if key == "reviewer" and frame is not None and "passed" in frame:
            # a statistic not computed (e.g. rwg of a continuous scale) has nothing to check; the
            # research report's builder reads ``passed`` as a bool
            frame = frame[frame["passed"].notna()]
        return frame if frame is not None and not frame.empty else None

    def result_file(self, name: str) -> str:
        """The file name (without suffix) of result table ``<instrument>_<table>`` in ``OUT/``."""
        return name.removeprefix(f"{self.instrument.id}_")

    def tables(self) -> list[StudyTable]:
        """The report's tables in order, numbered from 1."""
        built = [t for builder in _BUILDERS for t in builder(self) if t is not None and not t.frame.empty]
        return [StudyTable(**{**t.__dict__, "number": i}) for i, t in enumerate(built, 1)]


def _table_html(table: StudyTable, lang: str) -> str:
    esc = _html.escape
    cells, header, numeric, note = table.render(lang)
    w = W[lang]
    caption = (f"{w['table']}{table.number} {table.title}" if lang == "zh" else f"{w['table']} {table.number}. {table.title}")
    head = "".join(f"<th>{esc(str(h))}</th>" for h in header)
    body = []
    for row in cells.itertuples(index=False):
        body.append("<tr>" + "".join(f'<td class="num">{esc(str(v))}</td>' if is_num else f"<td>{esc(str(v))}</td>"
                                     for v, is_num in zip(row, numeric)) + "</tr>")
    out = [f'<table class="hp-table"><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>',
           "<tbody>" + "".join(body) + "</tbody></table>"]
    if note:
        out.append(f'<p class="hp-note">{esc(w["note"])}{"" if lang == "zh" else " "}{esc(note)}</p>')
    return "\n".join(out)


def instrument_report_html(tables: Mapping[str, pd.DataFrame], instrument: Any, provenance: Mapping[str, Any],
                           *, lang: str = "zh") -> str:
    """The HTML page of an ``analyze --instrument`` run: what was read, then every table.

    Parameters
    ----------
    tables : the run's result tables by name (``reliability``, ``cfa_fit``, ...).
    instrument : the run's :class:`~analysis.instrument.Instrument`.
    provenance : the run's ``results.json`` content (inputs, parameters).
    lang : {"zh", "en"}

    Returns
    -------
    str
        A self-contained page (no scripts, no network), every text from data escaped.
    """
    r = InstrumentTables(tables, instrument, lang=lang)
    text = _TEXT[lang]
    esc = _html.escape
    name = r.instrument_name(instrument.id)
    title = text["title"].format(name=name)
    params = provenance.get("parameters") or {}
    facts = [(text["instrument"], f"{instrument.id} {instrument.version}")]
    for entry in provenance.get("inputs") or []:
        facts.append((text["data"], f"{entry['file']} — " + text["rows"].format(
            read=entry["rows_read"], accepted=entry["rows_accepted"], quarantined=entry["rows_quarantined"])))
        if entry.get("quarantined_by_reason"):
            facts.append((text["reasons"], ", ".join(f"{k} {v}" for k, v in entry["quarantined_by_reason"].items())))
    facts += [(text["group"], str(params.get("group") or text["none"])), (text["cfa"], str(params.get("cfa_missing", ""))),
              (text["cor"], str(params.get("cor_missing", ""))),
              (text["k"], str(params.get("min_group_size", "")))]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    built = r.tables()
    body = "\n".join(_table_html(t, lang) for t in built) or f'<p class="hp-note">{esc(text["empty"])}</p>'
    code = "zh-CN" if lang == "zh" else "en"
    return ("<!DOCTYPE html>\n"
            f'<html lang="{code}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>\n{REPORT_CSS}\n</style>\n</head>\n"
            f'<body>\n<main class="hp-report">\n<header class="hp-header"><h1>{esc(title)}</h1>'
            f'<dl class="hp-facts">{dl}</dl></header>\n<section class="hp-section">\n{body}\n</section>\n'
            "</main>\n</body>\n</html>\n")


def _get(frame: pd.DataFrame | None, key: str, column: str, by: str = "scale") -> Any:
    if frame is None or frame.empty or by not in frame or column not in frame:
        return None
    hit = frame.loc[frame[by] == key, column]
    return hit.iloc[0] if len(hit) else None


def summary_rows(tables: Mapping[str, pd.DataFrame]) -> tuple[list[str], list[list[str]], list[str]]:
    """The console summary of an ``analyze --instrument`` run: (header, one row per scale, model lines).

    A row per scale holds k, n, α, ω, CR, AVE, the KMO of its items and, with a group column,
    ICC(1) and ICC(2); the
    lines give the measurement model's CFA fit and the overall KMO, which belong to all items
    together rather than to one scale.
    """
    def table(name: str) -> pd.DataFrame | None:
        frame = tables.get(name)
        return frame if frame is not None and not frame.empty else None

    rel, crave, icc, kmos = table("reliability"), table("cr_ave"), table("icc"), table("kmo_scales")
    scales: list[str] = list(dict.fromkeys([*(rel["scale"] if rel is not None else []),
                                            *(icc["scale"] if icc is not None else [])]))
    head = ["scale", "k", "n", "alpha", "omega", "CR", "AVE", "KMO"] + (["ICC1", "ICC2"] if icc is not None else [])
    rows: list[list[str]] = []
    for s in scales:
        k, n = _get(rel, s, "k"), _get(rel, s, "n")
        if k is None and icc is not None:  # a single-item scale: aggregation only
            k, n = 1, _get(icc, s, "n")
        row = [str(s), "" if k is None else str(int(k)), "" if n is None else str(int(n)),
               B3(_get(rel, s, "alpha")), B3(_get(rel, s, "omega")),
               B3(_get(crave, s, "cr", by="factor")), B3(_get(crave, s, "ave", by="factor")), B3(_get(kmos, s, "kmo"))]
        if icc is not None:
            row += [B3(_get(icc, s, "icc1")), B3(_get(icc, s, "icc2"))]
        rows.append(row)
    lines = []
    fit = table("cfa_fit")
    if fit is not None:
        m = fit[fit["model"] == "measurement"]
        if len(m):
            f = m.iloc[0]
            ci = f"[{B3(f['rmsea_ci_low'])}, {B3(f['rmsea_ci_high'])}]" if "rmsea_ci_low" in f else ""
            lines.append(f"CFA measurement model ({f.get('estimator', 'ML')}, n = {int(f['n'])}): "
                         f"chi2({int(f['df'])}) = {N2(f['chisq'])}, p {format_p(f['p'], 3)}, CFI {B3(f['cfi'])}, "
                         f"TLI {B3(f['tli'])}, RMSEA {B3(f['rmsea'])} {ci}, SRMR {B3(f['srmr'])}")
    kmo = table("kmo")
    if kmo is not None and "item" in kmo:
        overall = kmo.loc[kmo["item"] == "overall", "kmo"]
        if len(overall):
            lines.append(f"KMO overall {B2(overall.iloc[0])}")
    return head, rows, lines

