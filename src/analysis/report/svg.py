"""Light, fast charts for the branch, district and index reports, as inline SVG strings.

Plain Python string templates (no matplotlib, no numpy): each chart takes rows of plain data
(a list of dicts or a DataFrame) and returns an ``<svg>`` element, without an XML declaration,
to be embedded in HTML. A chart takes about a millisecond, against about 0.1 s for the
matplotlib PNG of :mod:`analysis.report.figures` (``benchmarks/bench_svg.py``).

What every chart guarantees:

- text from data is escaped (``<script>`` in a branch name is text); long labels are cut with
  ``…`` from an estimate of their width (≈1 em per CJK character, ≈0.55 em per Latin one), the
  full text kept in a ``<title>`` tooltip;
- Okabe–Ito colours and an orange–white–blue diverging scale, and every value is also printed
  or shaped, so nothing is told by colour alone;
- ``role="img"`` with ``aria-labelledby`` naming its ``<title>`` and ``<desc>`` (a default
  description lists the values);
- ids come from ``id_prefix`` or, without one, from a hash of the chart, so the same input
  gives byte-identical output;
- a ``viewBox`` with ``width="100%"`` and a ``max-width``, so the chart shrinks to a 390 px
  phone and prints on A4; hairlines keep their width (``vector-effect: non-scaling-stroke``);
- the legend sits outside the plot area, never over the data.

Fixed texts (legend words, quadrant captions) are Chinese by default, English with
``lang="en"``; all other texts come from the caller.
"""

from __future__ import annotations

from .svg_bars import favourable_bars, kpi_bullets, profile_bars
from .svg_base import FONT_STACK, PALETTE, text_width
from .svg_heatmap import diverging, heatmap
from .svg_xy import priority_matrix, trend_lines

__all__ = [
    "FONT_STACK",
    "PALETTE",
    "diverging",
    "favourable_bars",
    "heatmap",
    "kpi_bullets",
    "priority_matrix",
    "profile_bars",
    "text_width",
    "trend_lines",
]
