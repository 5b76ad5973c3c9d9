"""Small HTML helpers: the index page that links the per-branch reports, and the offline
notebook-to-HTML export used by the batch runner.

Every text that comes from data (branch names, column values, titles) is escaped with
``html.escape`` (quotes included), links are percent-encoded, and the page carries its own
minimal CSS with a CJK font stack, so it needs no network access and renders Chinese wherever
one of the listed fonts exists.

:func:`notebook_html` exports an executed notebook without input code through nbconvert's
``lab`` template minus its network scripts (require.js, MathJax and Mermaid from a CDN, which
a closed network cannot load and which the reports do not need), plus :data:`REPORT_CSS`.
Cells tagged ``remove_cell`` (template notes for the notebook's maintainer) are left out.
"""

from __future__ import annotations

import html as _html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import atomic_write

__all__ = ["CJK_FONT_STACK", "REPORT_CSS", "notebook_html", "render_index", "write_index"]

CJK_FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif'

#: Styles of the report pages (the classes written by :mod:`analysis.report.branch`).
REPORT_CSS = """
body, .jp-RenderedHTMLCommon, .hp-report, .hp-section { font-family: %(font)s; }
body { color: #1a1a1a; line-height: 1.6; }
main, body > section { max-width: 60rem; margin: 0 auto; }
.hp-header h1 { font-size: 1.6rem; font-weight: 600; margin: 1rem 0 .5rem; }
.hp-facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0 0 1rem; }
.hp-facts dt, .hp-provenance dt, .hp-meta dt { color: #555; }
.hp-facts dd, .hp-provenance dd, .hp-meta dd { margin: 0; }
.hp-provenance, .hp-meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; }
.hp-provenance dd { word-break: break-all; font-size: .85rem; }
.hp-section { margin: 1.6rem 0; page-break-inside: auto; }
.hp-section h2 { font-size: 1.25rem; font-weight: 600; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
.hp-section h3 { font-size: 1.05rem; font-weight: 600; margin: 1rem 0 .3rem; }
.hp-notice { border-left: 4px solid #D55E00; background: #fdf1e8; padding: .6rem .9rem; margin: .8rem 0; }
.hp-note { color: #555; font-size: .9rem; }
.hp-callout { font-weight: 600; }
.hp-flag { color: #D55E00; }
.hp-section table.hp-table { border-collapse: collapse; margin: .6rem 0; font-variant-numeric: tabular-nums;
                             width: 100%%; table-layout: auto; font-size: .95rem; }
.hp-section table.hp-table caption { text-align: left; font-weight: 600; }
.hp-section table.hp-table thead th { border: none; border-top: 2px solid #000; border-bottom: 1px solid #000;
                                      text-align: left; padding: .3rem .5rem; vertical-align: bottom; }
.hp-section table.hp-table td { padding: .25rem .5rem; vertical-align: top; text-align: left; border: none; }
.hp-section table.hp-table tbody tr:last-child td { border-bottom: 2px solid #000; }
.hp-section table.hp-table tbody tr:nth-child(odd) { background: transparent; }
.hp-section table.hp-table td.num { text-align: right; white-space: nowrap; }
.hp-provenance-table td:first-child { white-space: nowrap; color: #555; }
.hp-provenance-table td { word-break: break-all; font-size: .85rem; }
.hp-figure { margin: .8rem 0; page-break-inside: avoid; }
.hp-figure img { max-width: 100%%; height: auto; display: block; }
.hp-figure figcaption { color: #555; font-size: .9rem; }
.hp-action ol { padding-left: 1.4rem; }
@media print { .hp-section h2 { page-break-after: avoid; } }
""".strip() % {"font": CJK_FONT_STACK}

# nbconvert's lab template without the blocks that load scripts from a CDN.
_NB_TEMPLATE_NAME = "hallperf_report.html.j2"
_NB_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{% block extra_css %}<style type="text/css">
{{ resources.hallperf_css }}
</style>{% endblock extra_css %}
"""
_LANG_CODES = {"zh": "zh", "en": "en"}  # nbconvert accepts ISO 639-1 codes only
_exporters: dict[str, Any] = {}


def notebook_html(nb: Any, *, title: str | None = None, lang: str | None = "zh") -> str:
    """Export an executed notebook to a self-contained HTML page without input code.

    Parameters
    ----------
    nb : nbformat NotebookNode.
    title : the page ``<title>`` (escaped by the template); default: the notebook's title.
    lang : page language ({"zh", "en"}, anything else is used as given; None: "en").

    Cells tagged ``remove_cell`` are dropped; input prompts and code are hidden; no script
    or stylesheet is loaded from the network.
    """
    code = _LANG_CODES.get(lang or "en", lang or "en")
    exporter = _exporters.get(code)
    if exporter is None:
        import jinja2
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        config = Config()
        config.TagRemovePreprocessor.enabled = True
        config.TagRemovePreprocessor.remove_cell_tags = {"remove_cell"}
        exporter = HTMLExporter(config=config, template_name="lab", exclude_input=True,
                                exclude_input_prompt=True, exclude_output_prompt=True,
                                language_code=code,
                                extra_loaders=[jinja2.DictLoader({_NB_TEMPLATE_NAME: _NB_TEMPLATE})],
                                template_file=_NB_TEMPLATE_NAME)
        _exporters[code] = exporter
    resources: dict[str, Any] = {"hallperf_css": REPORT_CSS}
    if title:
        resources["metadata"] = {"name": title}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body

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
