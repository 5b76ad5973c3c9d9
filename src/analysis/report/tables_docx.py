"""Word (.docx) tables and documents that go straight into a manuscript.

- A4 pages (21 × 29.7 cm, 2.5 cm margins); tables at 9 pt (小五), 8 pt when that makes them fit
  the portrait text width, else a landscape section of their own at 9, 8 or 7.5 pt.
- Column widths from content: the longest cell per column in units (CJK = 2, others 1; a long
  header may take two lines), the text width shared out in proportion; fixed table layout.
- Rules: 三线表 (top and bottom 1.5 pt, below the header 0.75 pt); APA (three 0.75 pt rules).
  No vertical lines. The header row repeats on every page; rows do not break across pages.
- Fonts: 宋体 for East Asian text, Times New Roman for Latin text (``w:rFonts``), on every run and
  as the document default.
- Numbers aligned on the decimal point: a decimal tab stop in every numeric cell, placed so the
  column's numbers sit centred in it (Word and LibreOffice align a cell's text on a decimal tab
  without a tab character).
- Title above (三线表: 表1 标题, centred, bold; APA: **Table 1** then the title), notes below (注：…).

python-docx is imported only when a document is built.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .tables_cells import display_units, header_lines, split_number
from .tables_format import ITALIC_HEADERS, TEXT, RenderedTable, caption_lines
from .tables_widths import CELL_MARGIN_PT, MARGIN_CM, PAGE_CM, UNIT_EM, TablePlan, plan_table, text_width_pt

__all__ = ["THICK_RULE", "THIN_RULE", "DocxBuilder", "TablePlan", "add_docx_table", "plan_table", "stable_zip"]

# docx rule widths in eighths of a point (w:sz): thick 1.5 pt, thin 0.75 pt.
THICK_RULE = 12
THIN_RULE = 6
LATIN_FONT = "Times New Roman"
EAST_ASIAN_FONT = "宋体"
TITLE_SIZE = 10.5
_PT_PER_CM = 72 / 2.54


# --------------------------------------------------------------------------- low-level XML
def _border_xml(tag: str, spec: Mapping[str, int | None]) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement(tag)
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        if side not in spec:
            continue
        el = OxmlElement(f"w:{side}")
        size = spec[side]
        if size is None:
            el.set(qn("w:val"), "nil")
        else:
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    return borders


def _set_fonts(rpr: Any) -> None:
    """Times New Roman for Latin, 宋体 for East Asian text, Chinese as the East Asian language."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rfonts = rpr.get_or_add_rFonts()
    for key in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(key), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def _run(paragraph: Any, text: str, size: float, *, bold: bool = False, italic: bool = False) -> Any:
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    _set_fonts(run._element.get_or_add_rPr())
    return run


def _tight(paragraph: Any, *, before: float = 0, after: float = 0, keep: bool = False) -> None:
    from docx.shared import Pt

    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), 1.0
    fmt.keep_with_next = keep


def _decimal_tab(values: Sequence[str], width: float, unit: float) -> float | None:
    """Position (pt from the cell's text edge) of the decimal tab that centres a column's numbers."""
    left = right = 0
    seen = False
    for v in values:
        v = str(v).strip()
        if not v:
            continue
        parts = split_number(v)
        body = v if parts is None else parts[0] + (parts[1] + " " if parts[1] else "") + parts[2] + parts[3]
        dot = body.find(".")
        a, b = (display_units(body[:dot]), display_units(body[dot:])) if dot >= 0 else (display_units(body), 0)
        left, right, seen = max(left, a), max(right, b), True
    if not seen:
        return None
    inner = width - 2 * CELL_MARGIN_PT
    return max(left * unit, (inner - (left + right) * unit) / 2 + left * unit)


def stable_zip(payload: bytes) -> bytes:
    """The same zip (e.g. a .docx) with every member dated 1980-01-01, so equal content gives equal bytes."""
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


# --------------------------------------------------------------------------- the table
def add_docx_table(document: Any, cells: pd.DataFrame, header: Sequence[str], numeric: Sequence[bool], *,
                   layout: str = "apa", lang: str = "zh", title: str = "", number: Any = None,
                   note: str | None = None, font_size: float | None = None,
                   widths: Sequence[float] | None = None) -> Any:
    """Append a rendered table (from :func:`~analysis.report.tables.format_table`) to a python-docx ``Document``.

    The title goes above, the note below; widths (pt) default to the plan for the orientation of
    the document's last section (:func:`plan_table`). Returns the python-docx ``Table``.
    """
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    t = RenderedTable("", title, cells.reset_index(drop=True), [str(h) for h in header], list(numeric), note, number)
    if widths is None or font_size is None:
        section = document.sections[-1]
        orient = "landscape" if section.page_width > section.page_height else "portrait"
        plan = plan_table(t, orientation=orient)
        widths, font_size = widths or plan.widths, font_size or plan.font_size
    unit = UNIT_EM * font_size
    caption = caption_lines(layout, lang, title, number)
    if layout == "apa":
        if number is not None:
            para = document.add_paragraph()
            _tight(para, before=12, after=2, keep=True)
            _run(para, caption[0], TITLE_SIZE, bold=True)
        para = document.add_paragraph()
        _tight(para, before=0 if number is not None else 12, after=4, keep=True)
        _run(para, caption[-1], TITLE_SIZE, italic=(lang == "en"))
    else:
        para = document.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _tight(para, before=12, after=4, keep=True)
        _run(para, caption[0], TITLE_SIZE, bold=True)

    table = document.add_table(rows=len(t.cells) + 1, cols=len(t.header))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    outer = THICK_RULE if layout == "three_line" else THIN_RULE
    tbl_pr.append(_border_xml("w:tblBorders", {"top": outer, "left": None, "bottom": outer, "right": None,
                                                 "insideH": None, "insideV": None}))
    layout_el = OxmlElement("w:tblLayout")
    layout_el.set(qn("w:type"), "fixed")
    tbl_pr.append(layout_el)
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(CELL_MARGIN_PT * 20)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.append(margins)
    for j, w in enumerate(widths):
        table.columns[j].width = Pt(w)

    kinds = t.kinds
    tabs = [_decimal_tab(list(t.cells.iloc[:, j]), widths[j], unit) if kinds[j] != "text" else None
            for j in range(len(kinds))]
    keep_together = len(t.cells) <= 25
    for i, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if i == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
        texts = t.header if i == 0 else [str(v) for v in t.cells.iloc[i - 1]]
        for j, text in enumerate(texts):
            cell = row.cells[j]
            cell.width = Pt(widths[j])
            para = cell.paragraphs[0]
            # the header stays with the first row, the last row with the note; a short table stays whole
            _tight(para, before=1, after=1, keep=i == 0 or (keep_together and i < len(t.cells))
                   or (i == len(t.cells) and bool(note)))
            if i == 0:
                para.alignment = WD_ALIGN_PARAGRAPH.LEFT if kinds[j] == "text" else WD_ALIGN_PARAGRAPH.CENTER
                cell._tc.get_or_add_tcPr().append(_border_xml("w:tcBorders", {"bottom": THIN_RULE}))
            elif tabs[j] is not None:
                para.paragraph_format.tab_stops.add_tab_stop(Pt(tabs[j]), WD_TAB_ALIGNMENT.DECIMAL)
            if i == 0:  # a long header on the two lines its width was planned for
                for k, line in enumerate(header_lines(text)):
                    run = _run(para, line, font_size, italic=text in ITALIC_HEADERS)
                    if k == 0 and line != text:
                        run.add_break()
            else:
                _run(para, text, font_size)

    if note:
        para = document.add_paragraph()
        _tight(para, before=3, after=10)
        label = TEXT[lang]["note"]
        _run(para, label + (" " if lang == "en" else ""), font_size, italic=(lang == "en"))
        _run(para, note, font_size)
    return table


# --------------------------------------------------------------------------- documents
class DocxBuilder:
    """An A4 Word document of tables and figures in order, with orientation changes as tables need.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.report.tables_format import RenderedTable
    >>> b = DocxBuilder(lang="zh", layout="three_line", title="表格")
    >>> t = RenderedTable("t", "标题", pd.DataFrame({"a": ["x"], "b": [".25"]}), ["变量", "r"], [False, True])
    >>> b.add_table(t).orientation
    'portrait'
    >>> b.to_bytes()[:2]
    b'PK'
    """

    def __init__(self, *, lang: str = "zh", layout: str = "three_line", title: str | None = None) -> None:
        import docx
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        self.lang, self.layout = lang, layout
        self.document = docx.Document()
        core = self.document.core_properties
        core.author = "hallperf"
        core.title = title or ""
        normal = self.document.styles["Normal"]
        normal.font.name = LATIN_FONT
        normal.font.size = Pt(TITLE_SIZE)
        _set_fonts(normal.element.get_or_add_rPr())
        normal.paragraph_format.space_after = Pt(0)
        self._format(self.document.sections[0], "portrait")
        self.orientation = "portrait"
        self._empty = True
        if title:
            para = self.document.add_paragraph()
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _tight(para, after=12)
            _run(para, title, 15, bold=True)

    @staticmethod
    def _format(section: Any, orientation: str) -> None:
        from docx.enum.section import WD_ORIENT
        from docx.shared import Cm

        section.orientation = WD_ORIENT.LANDSCAPE if orientation == "landscape" else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = (Cm(x) for x in PAGE_CM[orientation])
        for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, margin, Cm(MARGIN_CM))

    def _orient(self, orientation: str) -> None:
        """Continue in ``orientation``: a new section from a new page, or (nothing but the document
        title so far) the first section turned."""
        from docx.enum.section import WD_SECTION

        if orientation == self.orientation:
            return
        section = self.document.sections[-1] if self._empty else self.document.add_section(WD_SECTION.NEW_PAGE)
        self._format(section, orientation)
        self.orientation = orientation

    def add_table(self, t: RenderedTable) -> TablePlan:
        """Add a table (title, table, note) in the orientation its width needs; returns the plan."""
        plan = plan_table(t)
        self._orient(plan.orientation)
        add_docx_table(self.document, t.cells, t.header, t.numeric, layout=self.layout, lang=self.lang,
                       title=t.title, number=t.number, note=t.note, font_size=plan.font_size, widths=plan.widths)
        self._empty = False
        return plan

    def add_figure(self, png: str | Path, title: str, number: int | None = None) -> None:
        """Add a figure on a portrait page: APA puts number and title above, 三线表 style below."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt
        from PIL import Image

        self._orient("portrait")
        with Image.open(png) as image:
            w_px, h_px = image.size
        width = min(text_width_pt("portrait"), 14 / 2.54 * 72)
        height_cap = (PAGE_CM["portrait"][1] - 2 * MARGIN_CM) * _PT_PER_CM * 0.75
        width = min(width, height_cap * w_px / h_px)
        caption = caption_lines(self.layout, self.lang, title, number, kind="figure")

        def caption_paragraphs(before: float, keep: bool) -> None:
            for k, line in enumerate(caption):
                para = self.document.add_paragraph()
                para.alignment = WD_ALIGN_PARAGRAPH.LEFT if self.layout == "apa" else WD_ALIGN_PARAGRAPH.CENTER
                _tight(para, before=before if k == 0 else 0, after=4, keep=keep)
                apa_number = self.layout == "apa" and k == 0 and len(caption) > 1
                _run(para, line, TITLE_SIZE, bold=apa_number or self.layout != "apa",
                     italic=self.layout == "apa" and not apa_number and self.lang == "en")

        if self.layout == "apa":
            caption_paragraphs(12, True)
        para = self.document.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _tight(para, before=6 if self.layout != "apa" else 0, after=2, keep=self.layout != "apa")
        para.add_run().add_picture(str(png), width=Pt(width))
        if self.layout != "apa":
            caption_paragraphs(0, False)
        self._empty = False

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.document.save(buf)
        return stable_zip(buf.getvalue())
