"""Small HTML helpers: the index page that links the per-branch reports, and the offline
notebook-to-HTML page the batch runner writes for every executed report.

Every text that comes from data (branch names, column values, titles) is escaped with
``html.escape`` (quotes included), links are percent-encoded, and the page carries its own
minimal CSS with a CJK font stack, so it needs no network access and renders Chinese wherever
one of the listed fonts exists.

:func:`notebook_html` turns an executed notebook into a page of its outputs (no input code, no
network scripts) styled by :data:`REPORT_CSS`.
"""

from __future__ import annotations

import html as _html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import atomic_write
from .texts import check_lang

__all__ = ["CJK_FONT_STACK", "REPORT_CSS", "notebook_html", "render_index", "write_index"]

CJK_FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif'

#: Styles of the report pages: manager reports (branch, district, overview) and the research report.
#: Phones: tables scroll inside their own box (``.hp-scroll``), never the page; charts shrink to the
#: width. Print (A4): smaller type, no page break inside a figure, a table row or a heading's section.
REPORT_CSS = """
body, .hp-report { font-family: %(font)s; }
body { color: #1a1a1a; line-height: 1.55; margin: 0; padding: 0 .8rem; overflow-wrap: anywhere; }
main { max-width: 60rem; margin: 0 auto; }
h1 { font-size: 1.5rem; font-weight: 600; margin: 1rem 0 .4rem; line-height: 1.3; }
.hp-subtitle { display: block; font-size: .95rem; font-weight: 400; color: #555; }
.hp-facts, .hp-glance, .hp-provenance, .hp-meta { display: grid; grid-template-columns: max-content minmax(0, 1fr);
                                                   gap: .1rem .9rem; margin: 0 0 .6rem; }
.hp-facts dt, .hp-glance dt, .hp-provenance dt, .hp-meta dt { color: #555; white-space: nowrap; }
.hp-facts dd, .hp-glance dd, .hp-provenance dd, .hp-meta dd { margin: 0; min-width: 0; }
.hp-provenance dd { word-break: break-all; }
.hp-section { margin: 1.3rem 0; }
.hp-section h2 { font-size: 1.2rem; font-weight: 600; border-bottom: 1px solid #ccc; padding-bottom: .15rem;
                 margin: 0 0 .5rem; }
.hp-section h3 { font-size: 1rem; font-weight: 600; margin: .9rem 0 .3rem; }
.hp-notice { border-left: 4px solid #D55E00; background: #fdf1e8; padding: .5rem .8rem; margin: .6rem 0; }
.hp-note { color: #555; font-size: .88rem; }
.hp-callout { font-weight: 600; }
.hp-basis { color: #333; margin: .2rem 0; }
.hp-scroll { overflow-x: auto; max-width: 100%%; -webkit-overflow-scrolling: touch; }
table.hp-table { border-collapse: collapse; margin: .5rem 0; font-variant-numeric: tabular-nums; width: 100%%;
                 font-size: .92rem; }
table.hp-table thead th { border-top: 2px solid #000; border-bottom: 1px solid #000; text-align: left;
                          padding: .25rem .45rem; vertical-align: bottom; word-break: keep-all; }
table.hp-table td { padding: .22rem .45rem; vertical-align: top; text-align: left; }
/* Chinese breaks only at punctuation and spaces inside a table, so a narrow screen scrolls the
   table (in its .hp-scroll box) instead of stacking one character per line */
table.hp-table th, table.hp-table td { word-break: keep-all; overflow-wrap: break-word; max-width: 24em; }
table.hp-table td:first-child { min-width: 6.5em; }
table.hp-table tbody tr:last-child td { border-bottom: 2px solid #000; }
table.hp-table .num, table.hp-table td.num { text-align: right; white-space: nowrap; }
table.hp-table small { color: #666; }
table.hp-items td:first-child { min-width: 12em; }
.hp-figure { margin: .6rem 0; break-inside: avoid; }
.hp-figure svg { display: block; height: auto; }
.hp-figure img, .hp-output-image { max-width: 100%%; height: auto; display: block; }
.hp-figure figcaption { color: #555; font-size: .85rem; }
.hp-action h4 { font-size: .95rem; margin: .6rem 0 .1rem; }
.hp-action ol { padding-left: 1.3rem; margin: .2rem 0 .6rem; }
.hp-action li p { margin: .1rem 0; }
.hp-pairs { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr) 3.5rem); gap: .1rem .6rem; }
.hp-pairs dt { color: #555; }
.hp-pairs dd { margin: 0 .8rem 0 0; text-align: right; font-variant-numeric: tabular-nums; }
.hp-quotes { color: #333; padding-left: 1.2rem; }
.hp-quotes li { margin: .15rem 0; }
.hp-appendix { font-size: .82rem; color: #444; }
.hp-appendix h2 { font-size: 1rem; }
.hp-error, .hp-stream, .hp-plain { white-space: pre-wrap; font-size: .85rem; }
@page { size: A4; margin: 12mm 11mm 14mm 11mm; }
@media print {
  body { font-size: 9pt; line-height: 1.35; padding: 0; }
  main { max-width: none; }
  h1 { font-size: 15pt; margin-top: 0; }
  .hp-section { margin: .55rem 0; }
  p { margin: .25rem 0; }
  .hp-section h2 { font-size: 11pt; break-after: avoid; margin-bottom: .3rem; }
  .hp-section h3 { break-after: avoid; }
  table.hp-table { font-size: 8pt; margin: .3rem 0; }
  table.hp-table td, table.hp-table th { padding: .12rem .35rem; }
  table.hp-table tr { break-inside: avoid; }
  .hp-scroll { overflow: visible; }
  .hp-figure svg { max-height: 5.5cm; width: auto; max-width: 100%%; margin: 0 auto; }
  .hp-action li p { margin: 0; }
  .hp-appendix { font-size: 7pt; line-height: 1.25; }
  .hp-quotes { columns: 2; column-gap: 1.2rem; margin: .2rem 0; }
  .hp-quotes li { break-inside: avoid; }
  .hp-quotes li:nth-child(n+5) { display: none; }  /* four quotes per survey on paper: the page shows all */
  .hp-screen-only, table.hp-table small { display: none; }
}
""".strip() % {"font": CJK_FONT_STACK}

_LANG_CODES = {"zh": "zh-CN", "en": "en"}
# Preferred representation of an output, richest first (what JupyterLab would show).
_MIME_ORDER = ("text/html", "image/svg+xml", "image/png", "image/jpeg", "text/markdown", "text/plain")
_markdown: Any = None


def _md(text: str) -> str:
    """CommonMark with tables; raw HTML in the text is escaped, not passed through."""
    global _markdown
    if _markdown is None:
        from markdown_it import MarkdownIt

        _markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    return _markdown.render(text)


def _source(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _output_html(output: Mapping[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":  # stdout as text; stderr (warnings, logs) is not for the reader
        return "" if output.get("name") == "stderr" else f'<pre class="hp-stream">{_html.escape(_source(output.get("text", "")))}</pre>'
    if kind == "error":
        return f'<pre class="hp-error">{_html.escape(str(output.get("ename")))}: {_html.escape(str(output.get("evalue")))}</pre>'
    data = output.get("data") or {}
    for mime in _MIME_ORDER:
        if mime not in data:
            continue
        value = _source(data[mime])
        if mime in ("text/html", "image/svg+xml"):
            return value
        if mime in ("image/png", "image/jpeg"):
            return f'<img class="hp-output-image" alt="" src="data:{mime};base64,{value.strip()}">'
        if mime == "text/markdown":
            return _md(value)
        return f'<pre class="hp-plain">{_html.escape(value)}</pre>'
    return ""


def notebook_html(nb: Any, *, title: str | None = None, lang: str | None = "zh") -> str:
    """An executed notebook as a self-contained HTML page without input code.

    Parameters
    ----------
    nb : nbformat NotebookNode (or the same structure as dicts).
    title : the page ``<title>`` (escaped); default: the notebook's ``metadata.title``.
    lang : page language ({"zh", "en"}; None: "en").

    Notes
    -----
    Assembled here rather than by nbconvert's HTMLExporter, which costs about 0.15 s and
    300 kB of JupyterLab CSS per page, for a page that only needs the outputs: rich outputs
    (HTML, SVG, images, Markdown) as JupyterLab shows them, stdout as text; stderr and input
    code are left out, and so are cells tagged ``remove_cell`` (notes for the template's
    maintainer). Markdown is rendered with raw HTML escaped. Nothing is loaded from the network.
    """
    parts: list[str] = []
    for cell in nb.get("cells", []) if isinstance(nb, Mapping) else nb.cells:
        tags = (cell.get("metadata") or {}).get("tags") or ()
        if "remove_cell" in tags:
            continue
        if cell.get("cell_type") == "markdown":
            parts.append(_md(_source(cell.get("source", ""))))
        elif cell.get("cell_type") == "code":
            parts.extend(html for html in (_output_html(o) for o in cell.get("outputs", [])) if html)
    meta_title = ((nb.get("metadata") or {}).get("title") if isinstance(nb, Mapping) else None)
    page_title = title or meta_title or ""
    code = _LANG_CODES.get(lang or "en", lang or "en")
    body = "\n".join(parts)
    return ("<!DOCTYPE html>\n"
            f'<html lang="{_html.escape(code, quote=True)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_html.escape(page_title)}</title>\n<style>\n{REPORT_CSS}\n</style>\n</head>\n"
            f'<body>\n<main class="hp-report">\n{body}\n</main>\n</body>\n</html>\n')


_CSS = """
body { font-family: %s; margin: 2rem auto; max-width: 80rem; color: #1a1a1a;
       line-height: 1.5; padding: 0 1rem; }
h1 { font-size: 1.5rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%%; font-variant-numeric: tabular-nums; }
thead th { border-top: 2px solid #000; border-bottom: 1px solid #000; text-align: left;
           padding: .4rem .6rem; }
tbody td { padding: .35rem .6rem; }
tbody tr:last-child td { border-bottom: 2px solid #000; }
tbody tr:nth-child(even) { background: #f6f6f6; }
td.num { text-align: right; white-space: nowrap; }
tbody td:first-child { white-space: nowrap; }
thead th { font-size: .9rem; vertical-align: bottom; }
a { color: #0b5cad; }
footer { margin-top: 1.5rem; color: #666; font-size: .85rem; }
""".strip() % CJK_FONT_STACK

_TEXT = {
    "zh": {"title": "营业厅报告索引", "lang": "zh-CN", "count": "共 {n} 份报告"},
    "en": {"title": "Branch reports", "lang": "en", "count": "{n} reports"},
}


def _cell(value: Any, numeric: bool) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "<td></td>"
    cls = ' class="num"' if numeric else ""
    return f"<td{cls}>{_html.escape(str(value), quote=True)}</td>"


def render_index(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | Mapping[str, str],
                 *, lang: str = "zh", title: str | None = None, link_column: str | None = None,
                 href_key: str = "href", footer: str | None = None) -> str:
    """Render the index page as a string (see :func:`write_index`)."""
    check_lang(lang)
    labels = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    if not labels:
        raise ValueError("columns is empty; name at least one column to show")
    keys = list(labels)
    link_column = link_column if link_column is not None else keys[0]
    if link_column not in labels:
        raise KeyError(f"link_column {link_column!r} is not among the columns {keys}")
    words = _TEXT[lang]
    page_title = title or words["title"]
    numeric = {k: all(isinstance(r.get(k), int | float) and not isinstance(r.get(k), bool)
                      for r in rows if r.get(k) is not None) and any(r.get(k) is not None
                                                                    for r in rows)
               for k in keys}
    esc = _html.escape
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{words["lang"]}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(page_title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(page_title)}</h1>",
        "<table>",
        "<thead><tr>" + "".join(f"<th>{esc(str(labels[k]))}</th>" for k in keys) + "</tr></thead>",
        "<tbody>",
    ]
    for row in rows:
        cells = []
        for k in keys:
            href = row.get(href_key)
            if k == link_column and href:
                url = quote(str(href), safe="/#?=&.-_~")
                cells.append(f'<td><a href="{esc(url, quote=True)}">'
                             f'{esc(str(row.get(k, "")), quote=True)}</a></td>')
            else:
                cells.append(_cell(row.get(k), numeric[k]))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>",
            f"<footer>{esc(footer) if footer else esc(words['count'].format(n=len(rows)))}</footer>",
            "</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_index(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str],
                columns: Sequence[str] | Mapping[str, str], lang: str = "zh", *,
                title: str | None = None, link_column: str | None = None,
                href_key: str = "href", footer: str | None = None) -> Path:
    """Write an HTML index page with one table row per report, atomically.

    Parameters
    ----------
    rows : sequence of mappings, one per report (e.g. ``{"branch": "...", "href": "a.html"}``).
    path : the ``index.html`` to write.
    columns : keys to show, in order; a mapping gives display labels (``{"branch": "营业厅"}``).
    lang : {"zh", "en"} for the page language and default texts.
    title : page title (default "营业厅报告索引" / "Branch reports").
    link_column : column whose text links to ``row[href_key]`` (default: the first column).
    footer : footer text (default: the number of reports).

    Returns
    -------
    Path
        The file written. All data texts are HTML-escaped; link targets are percent-encoded.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     rows = [{"branch": "东门厅", "href": "b1.html"}, {"branch": "西门厅", "href": "b2.html"}]
    ...     html = write_index(rows, pathlib.Path(folder, "index.html"), {"branch": "营业厅"}).read_text(encoding="utf-8")
    >>> html.count("<a href"), "东门厅" in html
    (2, True)
    """
    page = render_index(rows, columns, lang=lang, title=title, link_column=link_column,
                        href_key=href_key, footer=footer)
    return atomic_write(path, page)
