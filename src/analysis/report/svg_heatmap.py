"""Branches × dimensions heatmap of differences against the company, as inline SVG.

Public through :mod:`analysis.report.svg`. For the district and index reports: a cell is a
branch's signed difference from the company on one dimension; cells the caller suppressed
(fewer than k respondents) come as None and are drawn blank with a hatch and no number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from .svg_base import (
    GREY, ID, INK, PAD, SMALL, decimals_for, document, esc, fit, fmt, given, label, line, n,
    nice_extent, num, rect, text_width, words,
)

# Diverging, colour-blind safe: ColorBrewer PuOr's orange arm below zero, RdBu's blue arm above
# (Harrower & Brewer, 2003); both arms keep their lightness order for all common colour-vision
# deficiencies, and every value is printed as well.
STOPS = ((-1.0, (0xB3, 0x58, 0x06)), (-0.5, (0xF1, 0xA3, 0x40)), (-0.2, (0xFE, 0xE0, 0xB6)),
         (0.0, (0xF7, 0xF7, 0xF7)), (0.2, (0xD1, 0xE5, 0xF0)), (0.5, (0x67, 0xA9, 0xCF)),
         (1.0, (0x21, 0x66, 0xAC)))
ANGLE = 40.0  # rotation of column headers that do not fit their cell
_COS, _SIN = math.cos(math.radians(ANGLE)), math.sin(math.radians(ANGLE))
_HREF_SAFE = "/#?=&.-_~"  # as the index page (analysis.report.html): no ':' so no javascript: URL


@lru_cache(maxsize=2048)
def diverging(t: float) -> str:
    """Colour of ``t`` in [-1, 1] (clipped) on the orange–white–blue scale, as ``#rrggbb``."""
    t = min(max(t, -1.0), 1.0)
    for (a, ca), (b, cb) in pairwise(STOPS):
        if t <= b:
            f = (t - a) / (b - a)
            rgb = (round(x + (y - x) * f) for x, y in zip(ca, cb, strict=True))
            return "#" + "".join(f"{c:02x}" for c in rgb)
    return "#2166ac"  # pragma: no cover - t was clipped to 1


def _as_dicts(values: Any, name: str, func: str) -> list[dict[str, Any]]:
    if hasattr(values, "to_dict") and not isinstance(values, Mapping):
        values = values.to_dict("records")
    out = [dict(v) if isinstance(v, Mapping) else {"label": v} for v in (values if values is not None else [])]
    if not out:
        raise ValueError(f"{func}: {name} is empty; nothing to draw")
    for i, v in enumerate(out):
        if "label" not in v:
            raise KeyError(f"{func}: {name}[{i}] has no 'label'; it has {sorted(map(str, v))}")
    return out


def heatmap(rows: Any, columns: Any, cells: Sequence[Sequence[Any]], *, lang: str = "zh",
            limit: float | None = None, k: int | None = None, decimals: int = 2,
            title: str | None = None, desc: str | None = None, id_prefix: str | None = None,
            width: float = 600, row_height: float = 22) -> str:
    """Heatmap of branches (rows) × dimensions (columns): differences against the company.

    Parameters
    ----------
    rows : list of str or dict
        The branches, top to bottom; a dict has ``label`` and optional ``href`` (the row label
        becomes a link; percent-encoded) and ``group`` (e.g. the district: a header row and a
        separator are drawn where the group changes, so give rows sorted by group).
    columns : list of str or dict
        The dimensions, left to right (a dict has ``label``).
    cells : list of lists
        ``cells[i][j]``: branch i's signed difference from the company on dimension j
        (positive: above the company), or None where the cell is suppressed (fewer than k
        respondents): drawn blank with a hatch and no value.
    lang : {"zh", "en"}
    limit : float, optional
        The difference drawn in the darkest colour (symmetric); default the largest absolute
        difference rounded up to a tick.
    k : int, optional
        The minimum reporting size, named in the legend of blank cells.
    decimals : int
        Decimals of the printed differences (fewer when a cell is too narrow).
    title, desc, id_prefix, width
        As in :func:`analysis.report.svg.profile_bars`; ``row_height`` is the height of a row.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> svg = heatmap(["东城营业厅", "西城营业厅"], ["服务", "环境"], [[0.2, None], [-0.1, 0.0]],
    ...               k=5, id_prefix="h1")
    >>> svg.count('class="hp-cell hp-blank"')
    1
    """
    func = "heatmap"
    w = words(lang)
    rws = _as_dicts(rows, "rows", func)
    cols = _as_dicts(columns, "columns", func)
    grid = [list(r) for r in (cells or [])]
    if len(grid) != len(rws) or any(len(r) != len(cols) for r in grid):
        raise ValueError(f"{func}: cells must be {len(rws)} rows × {len(cols)} columns "
                         f"(one per branch and dimension); got {len(grid)} rows of "
                         f"{sorted({len(r) for r in grid})} values")
    vals = [[num(v, f"cells[{i}][{j}]", func, optional=True) for j, v in enumerate(r)]
            for i, r in enumerate(grid)]
    shown = [abs(v) for r in vals for v in r if v is not None]
    lim = num(limit, "limit", func) if limit is not None else (
        nice_extent(0.0, max(shown), 4)[1] if shown and max(shown) > 0 else 1.0)
    if lim <= 0:
        raise ValueError(f"{func}: limit={limit!r} must be positive")
    row_labels = [str(r["label"]) for r in rws]
    lw = min(max(text_width(t) for t in row_labels), width * 0.34) + 10
    x0 = PAD + lw
    avail = width - PAD - x0
    nc = len(cols)
    heads = [str(c["label"]) for c in cols]
    hw = [min(text_width(t, SMALL), 130.0) for t in heads]
    cw = min(88.0, avail / nc)
    rotate = any(tw > cw - 4 for tw in hw)
    if rotate:  # keep the slanted headers of the last columns inside the right edge
        fits = [(avail - _COS * tw) / (j + 0.5) for j, tw in enumerate(hw)]
        cw = max(min(cw, *fits), 0.75 * avail / nc)
    head_h = (max(min(tw, (width - PAD - x0 - (j + 0.5) * cw) / _COS) for j, tw in enumerate(hw))
              * _SIN + 14) if rotate else 22.0
    top = PAD + head_h
    body = [f'<defs><pattern id="{ID}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f0f0f0"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="#c4c4c4" stroke-width="2"/></pattern>'
            f'<linearGradient id="{ID}-grad">'
            + "".join(f'<stop offset="{(t + 1) / 2:g}" stop-color="{diverging(t)}"/>' for t, _ in STOPS)
            + "</linearGradient></defs>"]
    for j, text in enumerate(heads):
        cx = x0 + (j + 0.5) * cw
        if rotate:
            room = min(130.0, (width - PAD - cx) / _COS)
            shown_text, cut = fit(text, room, SMALL)
            tip = f"<title>{esc(text)}</title>" if cut else ""
            body.append(f'<text transform="translate({n(cx - 3)} {n(top - 6)}) rotate(-{ANGLE:g})" '
                        f'font-size="{SMALL:g}" class="hp-col">{tip}{esc(shown_text)}</text>')
        else:
            body.append(label(cx, top - 7, text, size=SMALL, anchor="middle", cls="hp-col"))
    y, group, blanks = top, object(), 0
    cell_x = [n(x0 + j * cw + 0.5) for j in range(nc)]
    cell_cx = [n(x0 + (j + 0.5) * cw) for j in range(nc)]
    cell_w, cell_h = n(cw - 1), n(row_height - 1)
    heads_esc, sep, suppressed = [esc(h) for h in heads], esc(w["sep"]), esc(w["suppressed"])
    # one number of decimals for every cell: the most that fit the widest value
    widest = -max(shown) if shown else 0.0
    shown_d = next((d for d in range(decimals, -1, -1)
                    if text_width(fmt(widest, d, signed=True), SMALL) <= cw - 4), None)
    for i, r in enumerate(rws):
        if given(r.get("group")) and r["group"] != group:
            group = r["group"]
            if i > 0:
                y += 4
            body.append(line(PAD, y, x0 + nc * cw, y, stroke=INK, width=1, cls="hp-group"))
            body.append(label(PAD, y + row_height * 0.68, group, weight="700", cls="hp-group-label",
                              max_width=x0 + nc * cw - PAD))
            y += row_height
        link = given(r.get("href"))
        text = label(PAD, y + row_height * 0.68, row_labels[i], max_width=lw - 10,
                     fill="#005a8c" if link else INK, cls="hp-row",
                     extra=' text-decoration="underline"' if link else "")
        if link:
            url = esc(quote(str(r["href"]), safe=_HREF_SAFE))
            text = f'<a href="{url}" class="hp-row-link">{text}</a>'
        body.append(text)
        # cells as direct templates with per-column strings: a 60 × 8 map stays a few ms
        ys, ty, where = n(y + 0.5), n(y + row_height * 0.68), f"{esc(row_labels[i])} · "
        for j, v in enumerate(vals[i]):
            tip = f"<title>{where}{heads_esc[j]}{sep}"
            if v is None:
                blanks += 1
                body.append(f'<rect x="{cell_x[j]}" y="{ys}" width="{cell_w}" height="{cell_h}" '
                            f'fill="url(#{ID}-hatch)" class="hp-cell hp-blank">{tip}{suppressed}</title></rect>')
                continue
            t = v / lim
            full = fmt(v, decimals, signed=True)
            body.append(f'<rect x="{cell_x[j]}" y="{ys}" width="{cell_w}" height="{cell_h}" '
                        f'fill="{diverging(t)}" class="hp-cell">{tip}{full}</title></rect>')
            if shown_d is not None:  # digits and signs only: nothing to escape
                ink = ' fill="#ffffff"' if abs(t) > 0.6 else ""
                body.append(f'<text x="{cell_cx[j]}" y="{ty}" text-anchor="middle" font-size="{SMALL:g}"'
                            f'{ink} class="hp-cell-value">'
                            f"{full if shown_d == decimals else fmt(v, shown_d, signed=True)}</text>")
        y += row_height
    key, key_h = _key(lim, decimals_for([lim / 2, lim]), blanks, k, w, y + 14, width)
    body.append(key)
    text = desc if desc is not None else (
        f"{len(rws)} × {len(cols)}{w['sep']}{w['below']} / {w['above']}"
        + (f"{w['list']}{blanks} × " + (w["suppressed_k"].format(k=k) if k else w["suppressed"])
           if blanks else ""))
    return document(body, width=width, height=y + 14 + key_h + PAD, kind="heatmap",
                    title=title or w["titles"]["heatmap"], desc=text, id_prefix=id_prefix)


def _key(lim: float, decimals: int, blanks: int, k: int | None, w: dict[str, Any], y: float,
         width: float) -> tuple[str, float]:
    """Colour key under the grid: the gradient with −limit, 0, +limit, then the blank swatch.

    Returns the group and its height.
    """
    y_top = y
    bar_w, x = 180.0, PAD + text_width(w["below"], SMALL) + 8
    out = [label(PAD, y + 10, w["below"], size=SMALL, fill=GREY),
           rect(x, y + 1, bar_w, 12, f"url(#{ID}-grad)", cls="hp-key"),
           label(x + bar_w + 6, y + 10, w["above"], size=SMALL, fill=GREY)]
    for t in (-1.0, 0.0, 1.0):
        tx = x + (t + 1) / 2 * bar_w
        out.append(line(tx, y + 13, tx, y + 17, stroke=GREY))
        out.append(label(tx, y + 28, fmt(t * lim, decimals, signed=True), size=SMALL,
                         anchor="middle", fill=GREY))
    if blanks:
        bx = x + bar_w + 14 + text_width(w["above"], SMALL)
        text = w["suppressed_k"].format(k=k) if k else w["suppressed"]
        if bx + 20 + text_width(text, SMALL) > width - PAD:  # no room beside the key: next line
            bx, y = PAD, y + 32
        out.append(rect(bx, y + 1, 14, 12, f"url(#{ID}-hatch)", extra=f' stroke="{GREY}" stroke-width="0.5"'))
        out.append(label(bx + 20, y + 11, text, size=SMALL, fill=GREY, max_width=width - PAD - bx - 20))
    height = y + 32 - y_top
    return (f'<g class="hp-legend" data-box="{n(PAD)} {n(y_top)} {n(width - 2 * PAD)} {n(height)}">'
            + "".join(out) + "</g>"), height
