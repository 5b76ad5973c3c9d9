"""The research report object: reads the results, numbers tables and figures, shows sections."""

from __future__ import annotations

import html as _html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.result_files import result_index, table_path

from ..texts import check_lang
from . import export as _export
from . import figures as _figures
from .base import Labels, StudyFigure, StudyTable
from .narrative import narrative
from .tables_data import (aggregation_tables, sample_tables, screening_tables, table1, target_tables,
                          wave_table_names, wave_tables)
from .tables_appraisal import appraisal_tables
from .tables_hypotheses import hypothesis_tables
from .tables_psychometrics import common_method_tables, psychometric_tables
from .vocabulary import LAYOUTS, SECTIONS, W

_BUILDERS = (sample_tables, screening_tables, psychometric_tables, common_method_tables, table1,
             aggregation_tables, hypothesis_tables, target_tables, appraisal_tables, wave_tables)


class StudyReport(Labels):
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
        check_lang(lang)
        self.results_dir = Path(results_dir)
        index = self.results_dir / "results.json"
        if not index.exists():
            raise FileNotFoundError(f"{self.results_dir}: no results.json; run 'hallperf analyze' first")
        self.info, self._folders = result_index(self.results_dir)  # with the compare stage's tables
        from analysis.instrument import load_instruments
        from analysis.study import load_study

        self.study = load_study(study_path)
        try:
            self.instruments = load_instruments(self.study.path.parent)
        except Exception:  # noqa: BLE001 - labels are a nicety; codes are shown instead
            self.instruments = {}
        self.lang = lang
        self.wave = wave or str(self.info.get("wave", ""))
        self.w = W[lang]
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
            path = table_path(self._folders, self.results_dir, name) if name in self.info.get("tables", {}) else None
            if path is not None:
                frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
            self._cache[name] = frame if frame is not None and not frame.empty else None
        return self._cache[name]

    @property
    def survey_instruments(self) -> list[str]:
        """Instruments with a psychometrics suite in the results (``<id>_reliability``)."""
        return [n[: -len("_reliability")] for n in self.table_names if n.endswith("_reliability")]

    # ------------------------------------------------------------------ tables
    def tables(self) -> list[StudyTable]:
        """Every manuscript table in report order, numbered from 1."""
        if self._tables is None:
            built: list[StudyTable] = []
            for builder in _BUILDERS:
                built.extend(t for t in builder(self) if t is not None and not t.frame.empty)
            order = list(SECTIONS)
            built.sort(key=lambda t: order.index(t.section))  # stable: builder order within a section
            self._tables = [StudyTable(**{**t.__dict__, "number": i}) for i, t in enumerate(built, 1)]
        return self._tables

    def figures(self) -> list[StudyFigure]:
        """Every figure in report order, numbered from 1."""
        if self._figures is None:
            self._figures = _figures.study_figures(self)
        return self._figures

    def wave_table_names(self) -> list[str]:
        """Result tables comparing waves (``waves_*`` / ``trend_*``), if the results hold any."""
        return wave_table_names(self)

    def export(self, out_dir: str | os.PathLike[str], *, layouts: Sequence[str] = LAYOUTS,
               formats: Sequence[str] = ("csv", "md", "tex", "docx"),
               figure_formats: Sequence[str] = ("png", "svg", "pdf")) -> list[Path]:
        """Write every table (per layout), ``tables.docx``, every figure and ``manifest.json``."""
        return _export.export_report(self, out_dir, layouts=layouts, formats=formats, figure_formats=figure_formats)

    def write_combined_docx(self, path: str | os.PathLike[str], *, layout: str = "apa") -> Path:
        """Every table in order in one Word document (for a manuscript's table section)."""
        return _export.write_combined_docx(self, path, layout=layout)

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
        return f"{keys.index(section) + 1} {self.t(SECTIONS[section])}"

    def styled(self, table: StudyTable) -> Any:
        """A pandas Styler of the rendered table (fixed uuid, so the HTML is deterministic).

        The table scrolls sideways inside its own box when it is wider than the page (a phone),
        never the page; the first column and the numeric columns never wrap (no variable name
        one character per line); numbers are right-aligned with their stars in a fixed-width box,
        so the decimal points line up.
        """
        from ..tables_cells import column_kinds, split_number

        cells, header, numeric, _ = table.render(self.lang)
        shown = cells.copy()
        shown.columns = pd.Index(_export.dedupe(header))
        caption = (f"{self.w['table']}{table.number} {table.title}" if self.lang == "zh"
                   else f"{self.w['table']} {table.number}. {table.title}")
        kinds = column_kinds(cells, numeric)
        styles = [
            {"selector": "", "props": "display: block; width: max-content; max-width: 100%; overflow-x: auto; "
                                      "border-collapse: collapse; border-spacing: 0; border-top: 2px solid #000; "
                                      "border-bottom: 2px solid #000; font-variant-numeric: tabular-nums; "
                                      "margin-bottom: .3em;"},
            {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: 600; padding: .3em 0;"},
            {"selector": "thead th", "props": "border-bottom: 1px solid #000; padding: .25em .6em; text-align: center;"},
            {"selector": "td", "props": "padding: .2em .6em;"},
            {"selector": "span.hp-post", "props": "display: inline-block; text-align: left;"},
        ]
        for j, kind in enumerate(kinds):
            if j == 0 or kind != "text":
                styles.append({"selector": f"th.col{j}", "props": "white-space: nowrap;"})
                styles.append({"selector": f"td.col{j}", "props": "white-space: nowrap;"})
            else:
                styles.append({"selector": f"td.col{j}", "props": "min-width: 7em;"})
        styler = (shown.style.set_uuid(f"hallperf_{table.name}").hide(axis="index").format(escape="html")
                  .set_caption(_html.escape(caption)).set_table_styles(styles))
        for j, (col, kind) in enumerate(zip(shown.columns, kinds)):
            styler = styler.set_properties(subset=[col], **{"text-align": "left" if kind == "text" else "right"})
            parts = [split_number(str(v)) for v in cells.iloc[:, j]] if kind == "number" else []
            width = max((len(x[3]) for x in parts if x), default=0)
            if width:  # stars (and a diagonal's ")") in a box of the same width in every row
                def post(v: str, w: float = 0.5 * width) -> str:
                    x = split_number(v)
                    if x is None:
                        return _html.escape(v)
                    body = v[: len(v) - len(x[3])]
                    return f'{_html.escape(body)}<span class="hp-post" style="width: {w}em">{_html.escape(x[3])}</span>'

                styler = styler.format(post, subset=[col])  # escapes the cell text itself
        return styler

    def narrative(self, section: str) -> str:
        """Markdown narrative of a section, with numbers read from the results."""
        return narrative(self, section)

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

        from ..style import use_style

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
