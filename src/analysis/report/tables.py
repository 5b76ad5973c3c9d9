"""Render one tidy result table in APA or Chinese three-line (三线表) layout.

All number formatting and rounding of the project happens here, at render time; the frames
passed in keep full precision.

Layouts
-------
``"apa"``
    APA 7 (American Psychological Association, 2020, *Publication Manual*, 7th ed., §7.8–7.21):
    the table number in bold on its own line, the title in italics below it, horizontal rules
    only (top, below the header, bottom), a note below starting with italic *Note.*
``"three_line"``
    The Chinese three-line table (三线表, GB/T 7713.2-2022 practice): caption "表1 标题" centred
    above, a thick top rule, a thin rule below the header, a thick bottom rule, no vertical
    lines, notes below starting with "注：".

Number rules (APA 7 §6.36): no leading zero for statistics that cannot exceed 1 in absolute
value (correlations, proportions, p, alpha); p values exact to three decimals and ``< .001``
below that; stars ``*`` p < .05, ``**`` p < .01, ``***`` p < .001.

Formats written: CSV (the rendered cells, UTF-8 with BOM so Excel reads Chinese), Markdown,
LaTeX (booktabs ``\\toprule``/``\\midrule``/``\\bottomrule`` = the three lines) and Word .docx.
"""

from __future__ import annotations

import io
import math
import numbers
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import atomic_write

__all__ = [
    "BOUNDED_COLUMNS",
    "P_COLUMN_PATTERN",
    "add_docx_table",
    "export_table",
    "format_number",
    "format_p",
    "format_table",
    "stars",
]

LAYOUTS = ("apa", "three_line")
TABLE_FORMATS = ("csv", "md", "tex", "docx")
LANGS = ("zh", "en")

#: Column names rendered without a leading zero (statistics bounded by 1), unless overridden.
BOUNDED_COLUMNS = frozenset({
    "r", "rho", "tau", "alpha", "omega", "omega_total", "omega_h", "r2", "r_squared", "adj_r2",
    "icc", "icc1", "icc2", "rwg", "rwg_j", "cfi", "proportion", "prop", "kappa",
})
#: Column names treated as p values, unless overridden.
P_COLUMN_PATTERN = re.compile(r"^(p|pval|p_value|pvalue|p_adj|p_fdr|p_holm)$|^p_|_p$")

ColumnFormat = int | str | Callable[[Any], str]

_TEXT = {
    "zh": {"table": "表", "note": "注：", "sig": "* p < .05，** p < .01，*** p < .001。"},
    "en": {"table": "Table", "note": "Note.", "sig": "*p < .05. **p < .01. ***p < .001."},
}

# docx rule widths in eighths of a point (w:sz): thick 1.5 pt, thin 0.75 pt.
THICK_RULE = 12
THIN_RULE = 6


# --------------------------------------------------------------------------- number formatting
def _is_missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(isinstance(x, float | numbers.Real) and math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def format_number(x: Any, decimals: int = 3, *, leading_zero: bool = True,
                  na_rep: str = "") -> str:
    """Format one number with a fixed number of decimals.

    Parameters
    ----------
    x : number
    decimals : int
        Digits after the decimal point.
    leading_zero : bool
        False for statistics bounded by 1 (APA: ``.52``, ``-.08``); True otherwise (``0.52``).
    na_rep : str
        Text for a missing value.

    Notes
    -----
    A value that rounds to zero is shown unsigned (``0.000``, never ``-0.000``).
    """
    if _is_missing(x):
        return na_rep
    if isinstance(x, bool):
        return str(x)
    value = float(x)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:.{decimals}f}"
    if float(text) == 0.0:
        text = text.lstrip("-")
    if not leading_zero:
        text = re.sub(r"^(-?)0\.", r"\1.", text)
    return text


def format_p(p: Any, decimals: int = 3, *, na_rep: str = "") -> str:
    """Format a p value the APA way: ``.023``, ``< .001``, ``> .999``.

    Parameters
    ----------
    p : float in [0, 1]
    decimals : int
        Exact digits shown (3 by APA 7 §6.36); the threshold is ``10**-decimals``.

    Raises
    ------
    ValueError
        If p lies outside [0, 1].
    """
    if _is_missing(p):
        return na_rep
    value = float(p)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"p value {value!r} lies outside [0, 1]; pass probabilities, not percents")
    floor = 10.0 ** -decimals
    if value < floor:
        return "< " + format_number(floor, decimals, leading_zero=False)
    text = format_number(value, decimals, leading_zero=False)
    if float(text) >= 1.0:
        return "> ." + "9" * decimals
    return text


def stars(p: Any) -> str:
    """Significance stars: ``***`` p < .001, ``**`` p < .01, ``*`` p < .05, else ``""``."""
    if _is_missing(p):
        return ""
    value = float(p)
    if value < 0.001:
        return "***"
    if value < 0.01:
        return "**"
    if value < 0.05:
        return "*"
    return ""


def _column_kind(name: str, series: pd.Series, spec: ColumnFormat | None,
                 default_decimals: int) -> Callable[[Any], str] | None:
    """A formatter for one column, or None for text columns (left as they are)."""
    if callable(spec):
        return spec
    if isinstance(spec, bool):
        raise ValueError(f"format for column {name!r} must be an int, a kind or a callable, not a bool")
    if isinstance(spec, int):
        return lambda x, d=spec: format_number(x, d)
    if isinstance(spec, str):
        kinds = {
            "p": lambda x: format_p(x, default_decimals),
            "bounded": lambda x: format_number(x, default_decimals, leading_zero=False),
            "int": lambda x: format_number(x, 0),
            "number": lambda x: format_number(x, default_decimals),
            "text": None,
        }
        if spec not in kinds:
            raise ValueError(f"format {spec!r} for column {name!r} is unknown; use an int "
                             f"(decimals), a callable or one of {sorted(kinds)}")
        return kinds[spec]
    if spec is not None:
        raise ValueError(f"format for column {name!r} must be an int, a kind or a callable")
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    if P_COLUMN_PATTERN.search(name):
        return lambda x: format_p(x, default_decimals)
    if name.lower() in BOUNDED_COLUMNS:
        return lambda x: format_number(x, default_decimals, leading_zero=False)
    if pd.api.types.is_integer_dtype(series):
        return lambda x: format_number(x, 0)
    return lambda x: format_number(x, default_decimals)


def format_table(df: pd.DataFrame, decimals: int | Mapping[str, ColumnFormat] = 3, *,
                 star_columns: Mapping[str, str] | None = None,
                 na_rep: str = "") -> tuple[pd.DataFrame, list[bool]]:
    """Render every cell of ``df`` as text, by the number rules of this module.

    Parameters
    ----------
    df : DataFrame
        Tidy table at full precision.
    decimals : int or mapping
        An int applies to every numeric column. A mapping gives per-column formats: an int
        (decimals), ``"p"``, ``"bounded"`` (no leading zero), ``"int"``, ``"number"``,
        ``"text"`` or a callable; unnamed columns use 3 decimals and the automatic kind
        (p-value columns by name, bounded statistics by :data:`BOUNDED_COLUMNS`, integers).
    star_columns : mapping, optional
        ``{"estimate": "p"}`` appends the stars of column ``p`` to the rendered ``estimate``.
    na_rep : str
        Text for missing values.

    Returns
    -------
    (DataFrame of str, list of bool)
        The rendered cells (same columns) and, per column, whether it is numeric (for alignment).
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    per_column: Mapping[str, ColumnFormat] = decimals if isinstance(decimals, Mapping) else {}
    default = decimals if isinstance(decimals, int) and not isinstance(decimals, bool) else 3
    unknown = [c for c in per_column if c not in df.columns]
    if unknown:
        raise KeyError(f"decimals names columns {unknown} that are not in the table; "
                       f"columns are {list(df.columns)}")
    star_columns = dict(star_columns or {})
    for target, pcol in star_columns.items():
        if target not in df.columns or pcol not in df.columns:
            raise KeyError(f"star_columns {{{target!r}: {pcol!r}}} names a column not in the table; "
                           f"columns are {list(df.columns)}")
    out = {}
    numeric = []
    for col in df.columns:
        fmt = _column_kind(str(col), df[col], per_column.get(col), default)
        if fmt is None:
            out[col] = [na_rep if _is_missing(v) else str(v) for v in df[col]]
            numeric.append(False)
        else:
            out[col] = [na_rep if _is_missing(v) else fmt(v) for v in df[col]]
            numeric.append(True)
    for target, pcol in star_columns.items():
        out[target] = [cell + stars(p) if cell != na_rep else cell
                       for cell, p in zip(out[target], df[pcol], strict=True)]
    return pd.DataFrame(out, index=range(len(df)), dtype=object), numeric


# --------------------------------------------------------------------------- writers
def _caption_lines(layout: str, lang: str, title: str, number: int | str | None) -> list[str]:
    word = _TEXT[lang]["table"]
    if layout == "apa":
        return ([f"{word} {number}"] if number is not None else []) + [title]
    sep = "" if lang == "zh" else " "
    return [f"{word}{sep}{number} {title}" if number is not None else title]


def _note_text(note: str | None, star_columns: Mapping[str, str] | None, lang: str) -> str | None:
    parts = [note] if note else []
    if star_columns:
        parts.append(_TEXT[lang]["sig"])
    return " ".join(parts) if parts else None


def _md_escape(text: str) -> str:
    text = re.sub(r"([\\|*_`\[\]])", r"\\\1", text)
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)  # no raw HTML tags from data


def _to_markdown(cells: pd.DataFrame, header: list[str], numeric: list[bool], layout: str,
                 lang: str, title: str, number: Any, note: str | None) -> str:
    lines: list[str] = []
    caption = _caption_lines(layout, lang, title, number)
    if layout == "apa":
        if number is not None:
            lines += [f"**{_md_escape(caption[0])}**", ""]
        lines += [f"*{_md_escape(caption[-1])}*", ""]
    else:
        lines += [f"**{_md_escape(caption[0])}**", ""]
    lines.append("| " + " | ".join(_md_escape(h) for h in header) + " |")
    lines.append("|" + "|".join("---:" if n else ":---" for n in numeric) + "|")
    for row in cells.itertuples(index=False):
        lines.append("| " + " | ".join(_md_escape(str(v)) for v in row) + " |")
    if note:
        label = _TEXT[lang]["note"]
        lines += ["", (f"*{label}* " if lang == "en" else label) + _md_escape(note)]
    return "\n".join(lines) + "\n"


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}", "<": r"$<$", ">": r"$>$"}


def _tex_escape(text: str) -> str:
    escaped = "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)
    return re.sub(r"^-(?=[\d.])", "$-$", escaped)


def _to_latex(cells: pd.DataFrame, header: list[str], numeric: list[bool], layout: str,
              lang: str, title: str, number: Any, note: str | None) -> str:
    align = "".join(("r" if n else "l") if layout == "apa" else ("c" if n else "l")
                    for n in numeric)
    caption = _caption_lines(layout, lang, title, number)
    out = ["% Requires \\usepackage{booktabs}; Chinese text needs ctex (compile with XeLaTeX).",
           "\\begin{table}[htbp]"]
    if layout == "apa":
        out.append("\\raggedright")
        if number is not None:
            out.append(f"\\textbf{{{_tex_escape(caption[0])}}}\\par")
        out.append(f"\\textit{{{_tex_escape(caption[-1])}}}\\par\\smallskip")
    else:
        out.append("\\centering")
        out.append(f"\\textbf{{{_tex_escape(caption[0])}}}\\par\\smallskip")
    out.append(f"\\begin{{tabular}}{{{align}}}")
    out.append("\\toprule")
    out.append(" & ".join(_tex_escape(h) for h in header) + " \\\\")
    out.append("\\midrule")
    for row in cells.itertuples(index=False):
        out.append(" & ".join(_tex_escape(str(v)) for v in row) + " \\\\")
    out.append("\\bottomrule")
    out.append("\\end{tabular}")
    if note:
        label = _TEXT[lang]["note"]
        label_tex = f"\\textit{{{label}}}" if lang == "en" else _tex_escape(label)
        gap = " " if lang == "en" else ""
        out.append(f"\\par\\smallskip{{\\footnotesize {label_tex}{gap}{_tex_escape(note)}}}")
    out.append("\\end{table}")
    return "\n".join(out) + "\n"


def _to_csv(cells: pd.DataFrame, header: list[str]) -> bytes:
    frame = cells.copy()
    frame.columns = header
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8-sig")


# --------------------------------------------------------------------------- Word
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


def _set_run_font(run: Any, lang: str, size_pt: float, *, bold: bool = False,
                  italic: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size_pt)
    run.font.bold = bold
    run.font.italic = italic
    run.font.name = "Times New Roman"
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), "SimSun" if lang == "zh" else "Times New Roman")


def add_docx_table(document: Any, cells: pd.DataFrame, header: Sequence[str],
                   numeric: Sequence[bool], *, layout: str = "apa", lang: str = "zh",
                   title: str = "", number: Any = None, note: str | None = None,
                   font_size: float = 10.5) -> Any:
    """Append a rendered table (from :func:`format_table`) to a python-docx ``Document``.

    Borders: the table has a top and a bottom rule (1.5 pt) and no other lines; the header
    cells have a bottom rule (0.75 pt). No vertical lines. The header row repeats on each page.
    Returns the python-docx ``Table``.
    """
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    caption = _caption_lines(layout, lang, title, number)
    if layout == "apa":
        if number is not None:
            _set_run_font(document.add_paragraph().add_run(caption[0]), lang, font_size, bold=True)
        _set_run_font(document.add_paragraph().add_run(caption[-1]), lang, font_size, italic=True)
    else:
        para = document.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_run_font(para.add_run(caption[0]), lang, font_size, bold=True)

    table = document.add_table(rows=len(cells) + 1, cols=len(header))
    if layout == "three_line":
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    tbl_pr.append(_border_xml("w:tblBorders", {
        "top": THICK_RULE, "left": None, "bottom": THICK_RULE, "right": None,
        "insideH": None, "insideV": None}))

    def fill(cell: Any, text: str, is_numeric: bool) -> None:
        para = cell.paragraphs[0]
        if layout == "three_line":
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER if is_numeric else WD_ALIGN_PARAGRAPH.LEFT
        else:
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT if is_numeric else WD_ALIGN_PARAGRAPH.LEFT
        _set_run_font(para.add_run(text), lang, font_size)

    header_row = table.rows[0]
    tr_pr = header_row._tr.get_or_add_trPr()
    tbl_header = OxmlElement("w:tblHeader")
    tr_pr.append(tbl_header)
    for j, text in enumerate(header):
        cell = header_row.cells[j]
        fill(cell, str(text), numeric[j])
        cell._tc.get_or_add_tcPr().append(_border_xml("w:tcBorders", {"bottom": THIN_RULE}))
    for i, row in enumerate(cells.itertuples(index=False), start=1):
        for j, text in enumerate(row):
            fill(table.rows[i].cells[j], str(text), numeric[j])

    if note:
        para = document.add_paragraph()
        label = _TEXT[lang]["note"]
        _set_run_font(para.add_run(label + (" " if lang == "en" else "")), lang, font_size - 1,
                      italic=(lang == "en"))
        _set_run_font(para.add_run(note), lang, font_size - 1)
    return table


def _to_docx(cells: pd.DataFrame, header: list[str], numeric: list[bool], layout: str,
             lang: str, title: str, number: Any, note: str | None) -> bytes:
    import docx

    document = docx.Document()
    core = document.core_properties
    core.author = "hallperf"
    core.title = title
    add_docx_table(document, cells, header, numeric, layout=layout, lang=lang, title=title,
                   number=number, note=note)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- entry point
def export_table(df: pd.DataFrame, path_stem: str | os.PathLike[str], *, title: str,
                 number: int | str | None = None, note: str | None = None,
                 layout: str = "apa", formats: Sequence[str] = TABLE_FORMATS,
                 decimals: int | Mapping[str, ColumnFormat] = 3,
                 labels: Mapping[str, str] | None = None,
                 star_columns: Mapping[str, str] | None = None,
                 drop: Sequence[str] = (), lang: str = "zh",
                 na_rep: str = "") -> dict[str, Path]:
    """Export one tidy result table as CSV, Markdown, LaTeX and Word in APA or 三线表 layout.

    Parameters
    ----------
    df : DataFrame
        Tidy result table at full precision (one row per estimate).
    path_stem : path without suffix; ``out/tables/t1`` writes ``t1.csv``, ``t1.md``, ...
    title : str
        Table title (escaped for Markdown and LaTeX).
    number : int or str, optional
        Table number ("Table 1" / "表1").
    note : str, optional
        General note printed below the table; the star legend is appended when stars are used.
    layout : {"apa", "three_line"}
    formats : subset of ("csv", "md", "tex", "docx")
    decimals : int or mapping
        See :func:`format_table`.
    labels : mapping, optional
        Display names for columns (``{"estimate": "估计值"}``); columns keep their names otherwise.
    star_columns : mapping, optional
        ``{"estimate": "p"}`` appends significance stars from column ``p`` to ``estimate``.
    drop : sequence of str
        Columns used for formatting (e.g. the p column behind stars) but not shown.
    lang : {"zh", "en"}
        Language of "Table"/"表" and "Note."/"注：".
    na_rep : str
        Text for missing values.

    Returns
    -------
    dict of str to Path
        Format → file written, in the order of ``formats``. Files are written atomically.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout={layout!r} is not supported; use one of {LAYOUTS}")
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} is not supported; use one of {LANGS}")
    bad = [f for f in formats if f not in TABLE_FORMATS]
    if bad:
        raise ValueError(f"formats {bad} are not supported; use any of {TABLE_FORMATS}")
    if not title:
        raise ValueError("title is empty; every exported table needs a title")
    missing = [c for c in drop if c not in df.columns]
    if missing:
        raise KeyError(f"drop names columns {missing} that are not in the table")
    labels = dict(labels or {})
    unknown = [c for c in labels if c not in df.columns]
    if unknown:
        raise KeyError(f"labels name columns {unknown} that are not in the table; "
                       f"columns are {list(df.columns)}")

    cells, numeric = format_table(df, decimals, star_columns=star_columns, na_rep=na_rep)
    keep = [j for j, c in enumerate(df.columns) if c not in set(drop)]
    cells = cells.iloc[:, keep]
    numeric = [numeric[j] for j in keep]
    header = [labels.get(c, str(c)) for c in cells.columns]
    full_note = _note_text(note, star_columns, lang)

    stem = Path(path_stem)
    written: dict[str, Path] = {}
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        if fmt == "csv":
            payload: bytes | str = _to_csv(cells, header)
        elif fmt == "md":
            payload = _to_markdown(cells, header, numeric, layout, lang, title, number, full_note)
        elif fmt == "tex":
            payload = _to_latex(cells, header, numeric, layout, lang, title, number, full_note)
        else:
            payload = _to_docx(cells, header, numeric, layout, lang, title, number, full_note)
        written[fmt] = atomic_write(target, payload)
    return written
