"""Render one tidy result table in APA or Chinese three-line (三线表) layout.

All number formatting and rounding of the project happens at render time (:mod:`.tables_format`);
the frames passed in keep full precision. Writers: CSV and Markdown (here), LaTeX
(:mod:`.tables_tex`) and Word (:mod:`.tables_docx`); every public name is importable from here.

Layouts
-------
``"apa"``
    APA 7 (American Psychological Association, 2020, *Publication Manual*, 7th ed., §7.8–7.21):
    the table number in bold on its own line, the title below it (italic in English), horizontal
    rules only (top, below the header, bottom), a note below starting with italic *Note.*
``"three_line"``
    The Chinese three-line table (三线表, GB/T 7713.2-2022 practice): caption "表1 标题" centred
    above, a thick top rule, a thin rule below the header, a thick bottom rule, no vertical
    lines, notes below starting with "注：".

Number rules (APA 7 §6.36): no leading zero for statistics that cannot exceed 1 in absolute
value (correlations, proportions, p, alpha); p values exact to three decimals and ``< .001``
below that; stars ``*`` p < .05, ``**`` p < .01, ``***`` p < .001.

Formats written: CSV (the rendered cells, UTF-8 with BOM so Excel reads Chinese), Markdown,
LaTeX (a float with caption, label, booktabs rules, threeparttable notes and siunitx columns)
and Word .docx (A4, widths from content, landscape when the table needs it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from analysis.safe_export import write_people_csv

from . import atomic_write
from .tables_docx import THICK_RULE, THIN_RULE, DocxBuilder, add_docx_table, plan_table, stable_zip
from .tables_cells import column_kinds
from .tables_format import (BOUNDED_COLUMNS, LAYOUTS, P_COLUMN_PATTERN, TEXT, ColumnFormat, RenderedTable,
                            caption_lines, format_number, format_p, format_table, note_text, stars)
from .tables_tex import PACKAGES, latex_document, latex_figure, latex_preamble, latex_table, tex_text
from .texts import check_lang

__all__ = [
    "BOUNDED_COLUMNS", "P_COLUMN_PATTERN", "THICK_RULE", "THIN_RULE", "DocxBuilder", "RenderedTable",
    "add_docx_table", "column_kinds", "csv_table", "export_table", "format_number", "format_p", "format_table",
    "latex_document", "latex_figure", "latex_preamble", "latex_table", "markdown_table", "plan_table",
    "stable_zip", "stars", "tex_text",
]

TABLE_FORMATS = ("csv", "md", "tex", "docx")


def _md_escape(text: str) -> str:
    text = re.sub(r"([\\|*_`\[\]])", r"\\\1", text)
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)  # no raw HTML tags from data


def markdown_table(t: RenderedTable, *, layout: str = "apa", lang: str = "zh") -> str:
    """One table as Markdown: the caption, a pipe table (numbers right-aligned), the note."""
    cells, header, number, note = t.cells, t.header, t.number, t.note
    lines: list[str] = []
    caption = caption_lines(layout, lang, t.title, number)
    if layout == "apa":
        if number is not None:
            lines += [f"**{_md_escape(caption[0])}**", ""]
        lines += [f"*{_md_escape(caption[-1])}*", ""]
    else:
        lines += [f"**{_md_escape(caption[0])}**", ""]
    lines.append("| " + " | ".join(_md_escape(h) for h in header) + " |")
    lines.append("|" + "|".join(":---" if k == "text" else "---:" for k in t.kinds) + "|")
    for row in cells.itertuples(index=False):
        lines.append("| " + " | ".join(_md_escape(str(v)) for v in row) + " |")
    if note:
        label = TEXT[lang]["note"]
        lines += ["", (f"*{label}* " if lang == "en" else label) + _md_escape(note)]
    return "\n".join(lines) + "\n"


def csv_table(t: RenderedTable) -> bytes:
    """The rendered cells under their headers as CSV, UTF-8 with BOM (so Excel reads Chinese);
    formula-like cells neutralised (:func:`analysis.safe_export.write_people_csv`)."""
    frame = t.cells.copy()
    frame.columns = t.header
    return write_people_csv(frame).encode("utf-8-sig")


def _to_latex(t: RenderedTable, layout: str, lang: str) -> str:
    body, _ = latex_table(t, lang=lang, layout=layout)
    return f"% Needs XeLaTeX, ctexart and \\usepackage{{{','.join(PACKAGES)}}} (see latex_preamble()).\n" + body


# --------------------------------------------------------------------------- entry point
def export_table(df: pd.DataFrame, path_stem: str | os.PathLike[str], *, title: str,
                 number: int | str | None = None, note: str | None = None,
                 layout: str = "apa", formats: Sequence[str] = TABLE_FORMATS,
                 decimals: int | Mapping[str, ColumnFormat] = 3,
                 labels: Mapping[str, str] | None = None,
                 star_columns: Mapping[str, str] | None = None,
                 drop: Sequence[str] = (), lang: str = "zh",
                 na_rep: str = "", label: str | None = None) -> dict[str, Path]:
    """Export one tidy result table as CSV, Markdown, LaTeX and Word in APA or 三线表 layout.

    Parameters
    ----------
    df : DataFrame
        Tidy result table at full precision (one row per estimate).
    path_stem : path without suffix; ``out/tables/t1`` writes ``t1.csv``, ``t1.md``, ...
    title : str
        Table title (escaped for Markdown and LaTeX).
    number : int or str, optional
        Table number ("Table 1" / "表1") in CSV, Markdown and Word; LaTeX numbers its floats itself.
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
    label : str, optional
        LaTeX label (``tab:<label>``); default the file stem.

    Returns
    -------
    dict of str to Path
        Format → file written, in the order of ``formats``. Files are written atomically.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> table = pd.DataFrame({"term": ["Coaching", "Fairness"], "estimate": [0.312, 0.118], "p": [0.0004, 0.21]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = export_table(table, pathlib.Path(folder, "t1"), title="Coefficients", number=1, lang="en",
    ...                        star_columns={"estimate": "p"}, drop=["p"], formats=("csv", "md"))
    ...     print(out["md"].read_text(encoding="utf-8"))
    **Table 1**
    <BLANKLINE>
    *Coefficients*
    <BLANKLINE>
    | term | estimate |
    |:---|---:|
    | Coaching | 0.312\\*\\*\\* |
    | Fairness | 0.118 |
    <BLANKLINE>
    *Note.* \\*p < .05. \\*\\*p < .01. \\*\\*\\*p < .001.
    <BLANKLINE>
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout={layout!r} is not supported; use one of {LAYOUTS}")
    check_lang(lang)
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
    stem = Path(path_stem)
    table = RenderedTable(label or stem.name, title, cells, header, numeric, note_text(note, star_columns, lang), number)
    written: dict[str, Path] = {}
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        if fmt == "csv":
            payload: bytes | str = csv_table(table)
        elif fmt == "md":
            payload = markdown_table(table, layout=layout, lang=lang)
        elif fmt == "tex":
            payload = _to_latex(table, layout, lang)
        else:
            builder = DocxBuilder(lang=lang, layout=layout, title=None)
            builder.document.core_properties.title = title
            builder.add_table(table)
            payload = builder.to_bytes()
        written[fmt] = atomic_write(target, payload)
    return written
