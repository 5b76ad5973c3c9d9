"""Layout of a Word table on an A4 page: orientation, font size and column widths from the content.

Column widths come from the longest cell per column, measured in units (a CJK character counts 2,
a Latin character about 1: :func:`~analysis.report.tables_format.display_units`), a long header
allowed two lines. A table takes the first of portrait 9 pt, portrait 8 pt, landscape 9, 8 and
7.5 pt in which it fits, with its text columns narrowed (wrapping onto at most five lines) where
that makes it fit; the spare width is shared out in proportion, so every table spans the text width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .tables_cells import display_units, header_lines, text_units
from .tables_format import RenderedTable

__all__ = ["CELL_MARGIN_PT", "MARGIN_CM", "PAGE_CM", "UNIT_EM", "TablePlan", "natural_widths", "plan_table",
           "text_width_pt"]

PAGE_CM = {"portrait": (21.0, 29.7), "landscape": (29.7, 21.0)}
MARGIN_CM = 2.5
TABLE_SIZES = (("portrait", 9.0), ("portrait", 8.0), ("landscape", 9.0), ("landscape", 8.0), ("landscape", 7.5))
CELL_MARGIN_PT = 2.85   # left and right cell margin (0.1 cm)
UNIT_EM = 0.55          # one unit (half a CJK character, 0.5 em) in em, with 10% room for wide Latin capitals
_PT_PER_CM = 72 / 2.54


def text_width_pt(orientation: str) -> float:
    """Text width of an A4 page in points (page width less both margins)."""
    return (PAGE_CM[orientation][0] - 2 * MARGIN_CM) * _PT_PER_CM


def _header_units(text: str) -> int:
    """Units a header needs when it may take two lines (:func:`header_lines`), with one unit to spare."""
    lines = header_lines(text)
    return max(display_units(line) for line in lines) + (1 if len(lines) > 1 else 0)


def _floor_units(values: Sequence[str], natural: float) -> float:
    """The narrowest a text column may get: at most five lines per cell, never below its longest
    unbreakable Latin word or 16 units (8 CJK characters)."""
    word = max((display_units(w) for v in values for w in str(v).split() if text_units(w) == len(w)), default=0)
    return min(natural, max(word, 16, natural / 5))


@dataclass(frozen=True)
class TablePlan:
    """Where and how a table goes: page orientation, font size and column widths (pt)."""

    orientation: str
    font_size: float
    widths: tuple[float, ...]
    natural: float  # the natural width at this font size (pt)


def natural_widths(t: RenderedTable, font_size: float) -> list[float]:
    """Width each column needs at ``font_size`` (pt): longest cell or header, plus cell margins."""
    unit = UNIT_EM * font_size
    out = []
    for j, col in enumerate(t.cells.columns):
        longest = max([display_units(str(v)) for v in t.cells[col]] + [_header_units(str(t.header[j])), 1])
        out.append(longest * unit + 2 * CELL_MARGIN_PT + 1.0)
    return out


def _squeeze(t: RenderedTable, nat: list[float], avail: float, unit: float) -> list[float]:
    """Narrow the text columns (widest first, down to :func:`_floor_units`) until the table fits."""
    widths = list(nat)
    excess = sum(nat) - avail
    text_cols = [j for j, k in enumerate(t.kinds) if k == "text"]
    for j in sorted(text_cols, key=lambda j: -nat[j]):
        if excess <= 0:
            break
        values = [str(v) for v in t.cells.iloc[:, j]]
        natural = max([display_units(v) for v in values] + [1])
        floor = _floor_units(values, natural) * unit + 2 * CELL_MARGIN_PT + 1.0
        cut = min(excess, max(0.0, widths[j] - floor))
        widths[j] -= cut
        excess -= cut
    return widths


def plan_table(t: RenderedTable, *, orientation: str | None = None) -> TablePlan:
    """Choose orientation, font size and column widths for a table (see the module notes).

    In order: portrait at 9 and 8 pt, landscape at 9, 8 and 7.5 pt; at each, the natural widths, else
    the text columns narrowed so their cells wrap onto at most three lines. The first that fits
    wins; the spare width is shared out in proportion, so the table spans the text width. A table
    too wide for all of them is scaled down to the text width at 7.5 pt in landscape. With
    ``orientation`` given (a document that cannot change it), only the font size is chosen.
    """
    options = [o for o in TABLE_SIZES if orientation is None or o[0] == orientation] or [(orientation, 7.5)]
    for orient, size in options:
        nat = natural_widths(t, size)
        avail = text_width_pt(orient)
        widths = nat if sum(nat) <= avail else _squeeze(t, nat, avail, UNIT_EM * size)
        if sum(widths) <= avail:
            spare = avail - sum(widths)
            return TablePlan(orient, size, tuple(w + spare * w / sum(widths) for w in widths), sum(nat))
    orient, size = options[-1]
    nat = natural_widths(t, size)
    avail = text_width_pt(orient)
    widths = _squeeze(t, nat, avail, UNIT_EM * size)
    return TablePlan(orient, size, tuple(w * avail / sum(widths) for w in widths), sum(nat))
