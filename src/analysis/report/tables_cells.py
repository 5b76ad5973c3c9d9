"""What a rendered cell is and how wide: the facts the Word and LaTeX writers lay tables out by.

:func:`cell_kind` says whether a cell is a number that can be aligned on its decimal point
(``.25***``, ``(.74)``, ``< .001``), an interval, a dash or text; :func:`text_units` and
:func:`display_units` measure text (a CJK character counts two units, a Latin one about one);
:func:`header_lines` breaks a long column header onto two lines.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import pandas as pd

__all__ = ["cell_kind", "column_kinds", "display_units", "header_lines", "split_number", "text_units"]


# A number as rendered above, with what may surround it: "(.74)" (a diagonal), ".25***",
# "< .001", "-0.081", "12" — the parts a decimal-aligned column lines up.
_NUMBER = re.compile(r"^(?P<pre>[(\[]?)(?P<cmp>[<>]\s?)?(?P<num>[-−]?(?:\d+(?:\.\d*)?|\.\d+))"
                     r"(?P<post>[)\]]?\**)$")
_INTERVAL = re.compile(r"^\[\s*[-−]?[\d.]+,\s*[-−]?[\d.]+\s*\]$")
_DASHES = frozenset({"—", "–", "-", "−"})


def split_number(text: str) -> tuple[str, str, str, str] | None:
    """``(prefix, comparator, number, suffix)`` of a rendered number, or None for other text.

    Examples
    --------
    >>> split_number("(.74)"), split_number(".25***"), split_number("< .001")
    (('(', '', '.74', ')'), ('', '', '.25', '***'), ('', '<', '.001', ''))
    >>> split_number("通过") is None
    True
    """
    m = _NUMBER.match(text.strip())
    if not m:
        return None
    return m["pre"], (m["cmp"] or "").strip(), m["num"], m["post"]


def cell_kind(text: str) -> str:
    """``"empty"``, ``"dash"`` (— for a value not shown), ``"number"``, ``"interval"`` or ``"text"``."""
    text = text.strip()
    if not text:
        return "empty"
    if text in _DASHES:
        return "dash"
    if split_number(text) is not None:
        return "number"
    if _INTERVAL.match(text):
        return "interval"
    return "text"


def column_kinds(cells: pd.DataFrame, numeric: Sequence[bool] | None = None) -> list[str]:
    """Per column: ``"number"`` (every shown cell a number), ``"interval"``, ``"mixed"`` (numbers
    and intervals) or ``"text"``. A column of pre-formatted strings (e.g. a correlation matrix)
    is numeric when its cells are; a column flagged numeric by :func:`format_table` is at least
    ``"mixed"`` unless it holds text."""
    out = []
    for j, col in enumerate(cells.columns):
        kinds = {cell_kind(str(v)) for v in cells[col]} - {"empty", "dash"}
        if not kinds:
            out.append("number" if numeric is not None and numeric[j] else "text")
        elif kinds == {"number"}:
            out.append("number")
        elif kinds == {"interval"}:
            out.append("interval")
        elif kinds <= {"number", "interval"}:
            out.append("mixed")
        else:
            out.append("text")
    return out


def text_units(text: str) -> int:
    """Width of a text in units: East Asian wide and full-width characters count 2, others 1.

    Examples
    --------
    >>> text_units("1. 目标设定"), text_units(".25***")
    (11, 6)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


_HALF = frozenset(" .,:;'!|()[]ijlrtf-")  # about a quarter em in Times New Roman / Latin Modern
_WIDE = frozenset("mwMW—%@")


def display_units(text: str) -> float:
    """Like :func:`text_units`, weighted by how wide Latin glyphs are: capitals 1.4, narrow glyphs
    (space, stops, brackets, i, l, t) 0.6, m and w 1.6; what column widths are estimated from.

    Examples
    --------
    >>> display_units("RMSEA"), display_units("0.25"), display_units("目标")
    (7.2, 3.6, 4.0)
    """
    total = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            total += 2
        elif ch in _WIDE:
            total += 1.6
        elif ch in _HALF:
            total += 0.6
        elif ch.isupper():
            total += 1.4
        else:
            total += 1
    return round(total, 6)


_NO_LINE_START = frozenset("，。、；：）》」』】％%)]}.,;:")


def header_lines(text: str, max_units: int = 8) -> list[str]:
    """A column header on one line, or on two when it is longer than ``max_units``.

    The break goes where it best balances the two lines: at a space, or next to a CJK character
    (never inside a Latin word, never before closing punctuation).

    Examples
    --------
    >>> header_lines("平均方差抽取量 AVE")
    ['平均方差', '抽取量 AVE']
    >>> header_lines("校正项总相关")
    ['校正项', '总相关']
    """
    units = text_units(text)
    if units <= max_units:
        return [text]
    best, where = units, None
    for i in range(1, len(text)):
        a, b = text[i - 1], text[i]
        wide = text_units(a) == 2 or text_units(b) == 2
        if not (a == " " or b == " " or wide) or b in _NO_LINE_START:
            continue
        left, right = text[:i].strip(), text[i:].strip()
        if left and right and max(text_units(left), text_units(right)) < best:
            best, where = max(text_units(left), text_units(right)), (left, right)
    return list(where) if where else [text]
