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

Modules: ``vocabulary`` (bilingual fixed texts), ``base`` (formatters, containers, labels),
``tables_data`` / ``tables_psychometrics`` / ``tables_hypotheses`` (one builder per section),
``figures``, ``narrative``, ``export`` (files) and ``report`` (:class:`StudyReport`).
"""

from .base import StudyFigure, StudyTable
from .export import export_study
from .report import StudyReport
from .vocabulary import SECTIONS

__all__ = ["SECTIONS", "StudyFigure", "StudyReport", "StudyTable", "export_study"]
