"""The tables and figures a researcher chooses for a paper, numbered in the paper's order.

The study file's ``paper:`` key names them by their stable names (``StudyTable.name``,
``StudyFigure.name``)::

    paper:
      layout: three_line                      # or apa [default: three_line for zh, apa for en]
      tables: [correlations, staff_reliability_validity, staff_cfa_fit, staff_htmt, H1_steps, H2_effects]
      figures: [H2_indirect, H4_simple_slopes]

A plain list is short for ``{tables: [...]}``; a key left out takes its default
(:func:`default_tables`, :func:`default_figures`). An unknown name fails with one line that lists
the names the results offer and suggests the closest.

:class:`Paper` renders the selection as Word (one A4 document), LaTeX (one document that compiles
with XeLaTeX), Markdown and CSV; the pipeline (:func:`analysis.pipeline.paper.run_paper`) writes
the files and the figures.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.errors import StudyError

from .tables import DocxBuilder, RenderedTable, csv_table, latex_document, latex_figure, latex_table, markdown_table
from .tables_format import LAYOUTS, TEXT, caption_lines

if TYPE_CHECKING:
    from .study import StudyFigure, StudyReport

__all__ = ["MAIN_TABLE", "Paper", "PaperSpec", "default_figures", "default_tables", "paper_spec"]

#: The table of each model kind that a paper shows by default.
MAIN_TABLE = {"hierarchical_regression": "steps", "regression": "coefficients", "multilevel": "coefficients",
              "mediation": "effects", "moderation": "slopes", "moderated_mediation": "effects",
              "relative_weights": "weights"}
#: The figure of each model kind that a paper shows by default.
MAIN_FIGURE = {"mediation": "indirect", "moderation": "simple_slopes", "moderated_mediation": "conditional_indirect"}
_KEYS = ("tables", "figures", "layout")


@dataclass(frozen=True)
class PaperSpec:
    """Which tables and figures go into the paper, in order, and the table layout."""

    tables: tuple[str, ...]
    figures: tuple[str, ...]
    layout: str


def default_tables(report: StudyReport) -> list[str]:
    """Table 1 (correlations); the respondents' survey: reliability and validity, CFA fit, HTMT (or
    Fornell–Larcker), common-method checks; a rated survey used by a hypothesis: reliability and
    CFA fit; then each hypothesis' main table (:data:`MAIN_TABLE`). Only tables the results hold."""
    names = {t.name for t in report.tables()}
    study = report.study
    out = ["correlations"]
    respondents = study.datasets.respondents
    out += [f"{respondents}_{s}" for s in ("reliability_validity", "cfa_fit")]
    out.append(f"{respondents}_htmt" if f"{respondents}_htmt" in names else f"{respondents}_fornell_larcker")
    out.append(f"{respondents}_common_method")
    ratings = study.datasets.ratings.instrument if study.datasets.ratings else None
    used = {v for h in study.hypotheses for _, v in h.variables()}
    if ratings and any(str(v).startswith(f"{ratings}_") for v in used):
        out += [f"{ratings}_reliability_validity", f"{ratings}_cfa_fit"]
    out += [f"{h.id}_{MAIN_TABLE[h.model]}" for h in study.hypotheses if h.model in MAIN_TABLE]
    return [n for n in dict.fromkeys(out) if n in names]


def default_figures(report: StudyReport) -> list[str]:
    """The figure of each mediation, moderation and moderated-mediation hypothesis (:data:`MAIN_FIGURE`)."""
    names = {f.name for f in report.figures()}
    out = [f"{h.id}_{MAIN_FIGURE[h.model]}" for h in report.study.hypotheses if h.model in MAIN_FIGURE]
    return [n for n in out if n in names]


def _names(value: Any, where: str, known: Sequence[str], what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StudyError(f"{where}: expected a list of {what} names, e.g. [{', '.join(known[:3])}]")
    seen: set[str] = set()
    for i, name in enumerate(value):
        if name in seen:
            raise StudyError(f"{where}[{i}]: {what} '{name}' is listed twice")
        seen.add(name)
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise StudyError(f"{where}[{i}]: unknown {what} '{name}'{hint}; the results hold: {', '.join(known)}")
    return tuple(value)


def paper_spec(report: StudyReport, *, layout: str | None = None) -> PaperSpec:
    """The paper's tables, figures and layout: the study file's ``paper:`` key, checked, or the defaults.

    Raises
    ------
    StudyError
        One line naming the study file, the entry and the bad name, with the known names.
    """
    raw = (report.study.raw or {}).get("paper")
    where = f"{report.study.path}: paper"
    if raw is None:
        raw = {}
    elif isinstance(raw, list):
        raw = {"tables": raw}
    elif not isinstance(raw, Mapping):
        raise StudyError(f"{where}: expected a mapping with {', '.join(_KEYS)} (or a list of table names)")
    unknown = [k for k in raw if k not in _KEYS]
    if unknown:
        raise StudyError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(_KEYS)})")
    tables = [t.name for t in report.tables()]
    figures = [f.name for f in report.figures()]
    chosen_layout = layout or raw.get("layout") or ("three_line" if report.lang == "zh" else "apa")
    if chosen_layout not in LAYOUTS:
        raise StudyError(f"{where}.layout: unknown layout '{chosen_layout}' (known: {', '.join(LAYOUTS)})")
    return PaperSpec(
        tables=_names(raw["tables"], f"{where}.tables", tables, "table") if "tables" in raw
        else tuple(default_tables(report)),
        figures=_names(raw["figures"], f"{where}.figures", figures, "figure") if "figures" in raw
        else tuple(default_figures(report)),
        layout=chosen_layout)


class Paper:
    """The chosen tables and figures of a study report, numbered 1, 2, … in the paper's order.

    Parameters
    ----------
    report : the :class:`~analysis.report.study.StudyReport` of a wave's results.
    layout : ``"three_line"`` or ``"apa"``; overrides the study file's ``paper.layout``.
    """

    def __init__(self, report: StudyReport, *, layout: str | None = None) -> None:
        self.report = report
        self.lang = report.lang
        self.spec = paper_spec(report, layout=layout)
        self.layout = self.spec.layout
        by_name = {t.name: t for t in report.tables()}
        self.tables: list[RenderedTable] = []
        self.sources: dict[str, str | None] = {}
        for i, name in enumerate(self.spec.tables, 1):
            table = by_name[name]
            cells, header, numeric, note = table.render(self.lang)
            self.tables.append(RenderedTable(name, table.title, cells, header, numeric, note, i))
            self.sources[name] = table.source
        figures = {f.name: f for f in report.figures()}
        self.figures: list[StudyFigure] = [replace(figures[n], number=i) for i, n in enumerate(self.spec.figures, 1)]

    @property
    def title(self) -> str:
        return self.report.study.title.get(self.lang)

    def figure_caption(self, figure: StudyFigure) -> str:
        return " ".join(caption_lines(self.layout, self.lang, figure.title, figure.number, kind="figure"))

    def docx(self, png: Mapping[str, str | Path]) -> bytes:
        """One A4 Word document: the title, every table, then every figure (``png``: name → file)."""
        builder = DocxBuilder(lang=self.lang, layout=self.layout, title=self.title)
        for table in self.tables:
            builder.add_table(table)
        for figure in self.figures:
            builder.add_figure(png[figure.name], figure.title, figure.number)
        return builder.to_bytes()

    def tex(self, figure_dir: str = "figures") -> str:
        """One LaTeX document (XeLaTeX, ctexart): every table, then every figure as its vector PDF."""
        blocks = [latex_table(t, lang=self.lang, layout=self.layout)[0] for t in self.tables]
        if self.figures:
            blocks.append(r"\clearpage")
        blocks += [latex_figure(f"{figure_dir}/{f.name}.pdf", f.title, f.name, lang=self.lang, layout=self.layout)
                   for f in self.figures]
        return latex_document(blocks, lang=self.lang, layout=self.layout, title=self.title)

    def markdown(self, figure_dir: str = "figures") -> str:
        """Every table (Markdown pipe tables) and figure (PNG links), in order."""
        parts = [f"# {self.title}"]
        parts += [markdown_table(t, layout=self.layout, lang=self.lang).rstrip("\n") for t in self.tables]
        for f in self.figures:
            parts.append(f"**{self.figure_caption(f)}**\n\n![{f.title}]({figure_dir}/{f.name}.png)")
        return "\n\n".join(parts) + "\n"

    def csv(self, name: str) -> bytes:
        """The rendered cells of one chosen table as CSV (UTF-8 with BOM)."""
        return csv_table(next(t for t in self.tables if t.name == name))

    def manifest(self) -> dict[str, Any]:
        """What the paper holds: number, name, title and source result table of each table and figure."""
        word = TEXT[self.lang]
        return {"wave": self.report.wave, "lang": self.lang, "layout": self.layout,
                "results": str(self.report.results_dir),
                "tables": [{"number": t.number, "label": f"{word['table']}{t.number}", "name": t.name, "title": t.title,
                            "source": self.sources.get(t.name)} for t in self.tables],
                "figures": [{"number": f.number, "label": f"{word['figure']}{f.number}", "name": f.name,
                             "title": f.title} for f in self.figures]}
