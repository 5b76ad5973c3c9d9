"""HTML fragments of the manager reports (branch, district, overview): escaping, tables, numbers.

Every text that comes from data is escaped here (:func:`esc`, quotes included); table headers
are escaped by :func:`table`, cells are passed in already escaped. Tables sit in a scrolling
box (``hp-scroll``) so a phone never wraps a table one character per line and the page itself
never scrolls sideways.
"""

from __future__ import annotations

import html as _html
from collections.abc import Iterable
from typing import Any


from .tables_format import is_missing

__all__ = ["Block", "esc", "figure", "format_kpi", "is_missing", "notice", "num", "pct", "paragraph",
           "section", "signed", "table"]


class Block(str):
    """An HTML fragment; Jupyter displays it as HTML (``_repr_html_``)."""

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:  # the text/plain fallback stays short
        return f"<hallperf report block, {len(self)} characters>"


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included); missing values become an empty string."""
    return "" if is_missing(value) else _html.escape(str(value), quote=True)


def num(x: Any, digits: int = 2) -> str:
    """A number with thousands separators, or "—"."""
    return "—" if is_missing(x) else f"{float(x):,.{digits}f}"


def signed(x: Any, digits: int = 2) -> str:
    return "—" if is_missing(x) else f"{float(x):+,.{digits}f}"


def pct(x: Any, digits: int = 0) -> str:
    """A share already in percent (0–100) as ``57%``, or "—"."""
    return "—" if is_missing(x) else f"{float(x):.{digits}f}%"


def format_kpi(x: Any, fmt: str) -> str | None:
    """A KPI value as reports show it (``fmt``: ``percent`` for a proportion, ``score``, else a number)."""
    if is_missing(x):
        return None
    x = float(x)
    if fmt == "percent":
        return f"{x * 100:.1f}%"
    if fmt == "score":
        return f"{x:.2f}"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.1f}"


def table(columns: Iterable[str], rows: Iterable[Iterable[str]], *, numeric: Iterable[int] = (),
          cls: str = "", caption: str | None = None) -> str:
    """A table in a horizontal-scroll box; rows are already-escaped cell HTML, headers are escaped here."""
    wanted = set(numeric)
    extra = f" {cls}" if cls else ""
    out = [f'<div class="hp-scroll"><table class="hp-table{extra}">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f'<th class="num">{esc(c)}</th>' if i in wanted else f"<th>{esc(c)}</th>"
                                       for i, c in enumerate(columns)) + "</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="num">{c}</td>' if i in wanted else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def section(title: str, *parts: str, cls: str = "", anchor: str | None = None) -> Block:
    extra = f" {cls}" if cls else ""
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return Block(f'<section class="hp-section{extra}"{ident}><h2>{esc(title)}</h2>' + "".join(parts) + "</section>")


def paragraph(text: str, cls: str = "") -> str:
    return f'<p class="{cls}">{esc(text)}</p>' if cls else f"<p>{esc(text)}</p>"


def notice(text: str) -> str:
    return f'<div class="hp-notice" role="note">{esc(text)}</div>'


def figure(svg: str, caption: str, *, print_it: bool = True) -> str:
    """An inline SVG chart (already escaped by :mod:`analysis.report.svg`) with its caption.

    ``print_it=False`` leaves the chart out of the printed page (the PDF), where the table beside
    it carries the same numbers and the page count matters (a branch report prints on 2–3 pages).
    """
    cls = "hp-figure" if print_it else "hp-figure hp-screen-only"
    return f'<figure class="{cls}">{svg}<figcaption>{esc(caption)}</figcaption></figure>'
