"""Small HTML helpers: the index page that links the per-branch reports.

Every text that comes from data (branch names, column values, titles) is escaped with
``html.escape`` (quotes included), links are percent-encoded, and the page carries its own
minimal CSS with a CJK font stack, so it needs no network access and renders Chinese wherever
one of the listed fonts exists.
"""

from __future__ import annotations

import html as _html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import atomic_write

__all__ = ["CJK_FONT_STACK", "write_index", "render_index"]

CJK_FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif'

_CSS = """
body { font-family: %s; margin: 2rem auto; max-width: 60rem; color: #1a1a1a;
       line-height: 1.5; padding: 0 1rem; }
h1 { font-size: 1.5rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%%; font-variant-numeric: tabular-nums; }
thead th { border-top: 2px solid #000; border-bottom: 1px solid #000; text-align: left;
           padding: .4rem .6rem; }
tbody td { padding: .35rem .6rem; }
tbody tr:last-child td { border-bottom: 2px solid #000; }
tbody tr:nth-child(even) { background: #f6f6f6; }
td.num { text-align: right; }
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
    if lang not in _TEXT:
        raise ValueError(f"lang={lang!r} is not supported; use one of {sorted(_TEXT)}")
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
    """
    page = render_index(rows, columns, lang=lang, title=title, link_column=link_column,
                        href_key=href_key, footer=footer)
    return atomic_write(path, page)
