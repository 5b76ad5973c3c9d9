"""Charts on two numeric axes as inline SVG: the priority matrix and trends across waves.

Public through :mod:`analysis.report.svg`.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median
from typing import Any

from .svg_base import (
    FONT_SIZE, GREY, GRID, MARKERS, PAD, PALETTE, SMALL, decimals_for, document, esc, fit, fmt,
    given, label, legend, line, linear, marker_path, n, nice_extent, nice_ticks, num, overlaps,
    records, rect, spread, swatch_line, text_width, words,
)

# Series colours: the palette without yellow, which is too light for a line on white.
LINE_COLORS = tuple(c for c in PALETTE if c != "#F0E442")
Box = tuple[float, float, float, float]
# Line box of Noto Sans CJK in em (hhea ascent 1.16, descent 0.288): what a browser's text box
# spans, so label boxes that do not meet here do not meet on screen either.
ASCENT, LINE_BOX = 1.16, 1.45


def _y_axis(ys: Any, ticks: Sequence[float], x0: float, x1: float, decimals: int) -> list[str]:
    out = []
    for t in ticks:
        y = ys(t)
        out.append(line(x0, y, x1, y, stroke=GRID, cls="hp-grid"))
        out.append(label(x0 - 6, y + 4, fmt(t, decimals), size=SMALL, anchor="end", fill=GREY))
    return out


def _place(text_w: float, h: float, px: float, py: float, r: float, taken: list[Box],
           area: Box, splits: tuple[float, float]) -> tuple[Box, bool]:
    """The first free box for a point's label: beside, above, below, then further out.

    Deterministic nudging: candidate offsets are tried in a fixed order; a box is free when it
    lies inside ``area`` and meets no box in ``taken`` (labels, markers, captions). Boxes that
    stay in the point's quadrant (cross neither split line) are preferred, so a label never
    seems to belong to the neighbouring quadrant. Returns the box and whether it sits away from
    the point (then a leader line is drawn).
    """
    gap = r + 3
    sx, sy = splits
    for same_quadrant in (True, False):
        for step in range(6):
            far = step * (h + 2)
            for bx, by in ((px + gap, py - h / 2 - far), (px + gap, py - h / 2 + far),
                           (px - gap - text_w, py - h / 2 - far), (px - gap - text_w, py - h / 2 + far),
                           (px - text_w / 2, py - gap - h - far), (px - text_w / 2, py + gap + far)):
                box = (bx, by, text_w, h)
                inside = (bx >= area[0] and by >= area[1] and bx + text_w <= area[0] + area[2]
                          and by + h <= area[1] + area[3])
                crosses = bx < sx < bx + text_w or by < sy < by + h
                if inside and not (same_quadrant and crosses) and not any(overlaps(box, t) for t in taken):
                    return box, step > 0
    return (px + gap, py - h / 2, text_w, h), False  # crowded beyond help: beside the point


def priority_matrix(points: Any, *, lang: str = "zh", x_split: float | None = None,
                    y_split: float | None = 0.0, title: str | None = None, desc: str | None = None,
                    id_prefix: str | None = None, width: float = 600, height: float = 420,
                    x_label: str | None = None, y_label: str | None = None,
                    decimals: int = 2) -> str:
    """Importance (x) × gap (y) scatter with quadrants: which dimensions to improve first.

    Parameters
    ----------
    points : list of dict or DataFrame
        One row per dimension with keys ``label``, ``importance``, ``gap`` (positive where the
        branch falls short) and optional ``highlight`` (bool; default: the points in the
        upper-right quadrant, the ones to improve first).
    lang : {"zh", "en"}
        Language of the quadrant captions (优先改进 / 继续保持 / 次要改进 / 暂缓关注).
    x_split, y_split : float, optional
        Where the quadrant lines cross the axes; ``x_split`` defaults to the median importance
        of the points (a display reference), ``y_split`` to 0 (no gap). None: the median.
    title, desc, id_prefix, width
        As in :func:`analysis.report.svg.profile_bars`; ``height`` is the viewBox height.
    x_label, y_label : str, optional
        Axis titles (default "重要性", "差距").
    decimals : int
        Decimals of the values in the tooltips and the description.

    Returns
    -------
    str
        An ``<svg>`` element: one marker per dimension over the four quadrants.

    Notes
    -----
    Labels are placed one after the other (highlighted points first, then by importance) at
    the first candidate position that meets no other label, marker or caption; a label moved
    away from its point gets a thin leader line.

    Examples
    --------
    >>> svg = priority_matrix([{"label": "服务", "importance": 30, "gap": 0.4},
    ...                        {"label": "环境", "importance": 10, "gap": -0.2}], id_prefix="m1")
    >>> "优先改进" in svg
    True
    """
    func = "priority_matrix"
    w = words(lang)
    data = records(points, "points", ("label", "importance", "gap"), func)
    xs_ = [num(p["importance"], f"points[{i}]['importance']", func) for i, p in enumerate(data)]
    ys_ = [num(p["gap"], f"points[{i}]['gap']", func) for i, p in enumerate(data)]
    xc = median(xs_) if x_split is None else num(x_split, "x_split", func)
    yc = median(ys_) if y_split is None else num(y_split, "y_split", func)
    if any("highlight" in p for p in data):
        hot = [given(p.get("highlight")) and bool(p["highlight"]) for p in data]
    else:
        hot = [x >= xc and y >= yc for x, y in zip(xs_, ys_, strict=True)]
    left, right, top, bottom = 56.0, width - PAD - 4, PAD + 4, height - 44.0
    xd = nice_extent(min(*xs_, xc), max(*xs_, xc), 5)
    yd = nice_extent(min(*ys_, yc), max(*ys_, yc), 5)
    # room for labels beside the outermost points
    sx = (xd[1] - xd[0]) * 0.06
    sy = (yd[1] - yd[0]) * 0.08
    X = linear(xd[0] - sx, xd[1] + sx, left, right)
    Y = linear(yd[0] - sy, yd[1] + sy, bottom, top)
    xt = nice_ticks(xd[0], xd[1], 5)
    yt = nice_ticks(yd[0], yd[1], 5)
    body = [rect(X(xc), top, right - X(xc), Y(yc) - top, PALETTE[3], cls="hp-hot",
                 extra=' fill-opacity="0.07"')]
    body += _y_axis(Y, yt, left, right, decimals_for(yt))
    for t in xt:
        body.append(line(X(t), top, X(t), bottom, stroke=GRID, cls="hp-grid"))
        body.append(label(X(t), bottom + 16, fmt(t, decimals_for(xt)), size=SMALL, anchor="middle",
                          fill=GREY))
    body.append(line(left, bottom, right, bottom, stroke=GREY, cls="hp-axis"))
    body.append(line(left, top, left, bottom, stroke=GREY, cls="hp-axis"))
    body.append(line(X(xc), top, X(xc), bottom, stroke=GREY, dash="5 4", cls="hp-split"))
    body.append(line(left, Y(yc), right, Y(yc), stroke=GREY, dash="5 4", cls="hp-split"))
    body.append(label((left + right) / 2, height - 8, x_label or w["importance"], size=SMALL,
                      anchor="middle", fill=GREY, max_width=right - left))
    yl = fit(y_label or w["gap"], bottom - top, SMALL)[0]
    body.append(f'<text transform="translate({n(PAD + 8)} {n((top + bottom) / 2)}) rotate(-90)" '
                f'text-anchor="middle" font-size="{SMALL:g}" fill="{GREY}">{esc(yl)}</text>')
    taken: list[Box] = []
    q = w["quadrants"]
    ch = LINE_BOX * FONT_SIZE
    for text, ax, ay in ((q[0], right - 4, top + 4), (q[1], right - 4, bottom - 4 - ch),
                         (q[2], left + 4, top + 4), (q[3], left + 4, bottom - 4 - ch)):
        tw = text_width(text)
        bx = ax - tw if ax > left + 4 else ax
        taken.append((bx, ay, tw, ch))
        body.append(label(bx, ay + ASCENT * FONT_SIZE, text, fill=GREY, weight="600", cls="hp-quadrant"))
    radius = [5.5 if h else 4.5 for h in hot]
    for px, py, r in zip(map(X, xs_), map(Y, ys_), radius, strict=True):
        taken.append((px - r, py - r, 2 * r, 2 * r))
    order = sorted(range(len(data)), key=lambda i: (not hot[i], -xs_[i], i))
    area = (left + 2, top + 2, right - left - 4, bottom - top - 4)
    marks, texts, notes = [], [], []
    for i in range(len(data)):
        color = PALETTE[3] if hot[i] else PALETTE[0]
        tip = (f"{data[i]['label']}{w['sep']}{w['importance']} {fmt(xs_[i], decimals)}{w['comma']}"
               f"{w['gap']} {fmt(ys_[i], decimals, signed=True)}")
        notes.append(tip)
        cls = ' class="hp-point hp-hot"' if hot[i] else ' class="hp-point"'
        marks.append(marker_path("diamond" if hot[i] else "circle", X(xs_[i]), Y(ys_[i]), color,
                                 radius[i], extra=f'{cls} stroke="#ffffff" stroke-width="1"', tip=tip))
    for i in order:
        shown = fit(str(data[i]["label"]), 150)[0]
        tw = text_width(shown) + 2
        box, moved = _place(tw, LINE_BOX * FONT_SIZE, X(xs_[i]), Y(ys_[i]), radius[i], taken, area,
                            (X(xc), Y(yc)))
        taken.append(box)
        if moved:
            cx = min(max(X(xs_[i]), box[0]), box[0] + box[2])
            cy = min(max(Y(ys_[i]), box[1]), box[1] + box[3])
            texts.append(line(X(xs_[i]), Y(ys_[i]), cx, cy, stroke=GREY, width=0.8))
        texts.append(label(box[0] + 1, box[1] + ASCENT * FONT_SIZE, data[i]["label"], max_width=150,
                           weight="600" if hot[i] else None,
                           cls="hp-point-label", extra=f' data-box="{" ".join(n(v) for v in box)}"'))
    body += texts + marks
    text = desc if desc is not None else w["list"].join(notes)
    return document(body, width=width, height=height, kind="priority",
                    title=title or w["titles"]["priority"], desc=text, id_prefix=id_prefix)


def trend_lines(series: Any, *, waves: Sequence[Any], lang: str = "zh", lo: float | None = None,
                hi: float | None = None, ci: str = "whisker", legend_position: str = "below",
                title: str | None = None, desc: str | None = None, id_prefix: str | None = None,
                width: float = 600, plot_height: float = 240, y_label: str | None = None,
                decimals: int = 2) -> str:
    """Lines across survey waves, one per series, with the legend outside the plot area.

    Parameters
    ----------
    series : list of dict or DataFrame
        One row per line with keys ``label`` and ``values`` (one number or None per wave) and
        optional ``ci_low``, ``ci_high`` (lists like ``values``).
    waves : sequence
        The wave labels in drawing order (not sorted).
    lang : {"zh", "en"}
    lo, hi : float, optional
        The y range (e.g. the response scale); default the data, rounded to ticks.
    ci : {"whisker", "band"}
        Intervals as whiskers (dodged a little per series so they do not hide each other) or as
        translucent bands.
    legend_position : {"below", "right"}
        Where the legend goes; never inside the plot area.
    title, desc, id_prefix, width
        As in :func:`analysis.report.svg.profile_bars`; ``plot_height`` is the plot area's height.
    y_label : str, optional
        Title of the y axis.
    decimals : int
        Decimals of the printed last values.

    Returns
    -------
    str
        An ``<svg>`` element: one line per series across the waves, broken where a value is missing.

    Notes
    -----
    The last value of every line is printed right of the plot with its marker shape (shapes
    differ per series, so lines are told apart without colour); the labels are spread apart
    vertically when values are close.

    Examples
    --------
    >>> svg = trend_lines([{"label": "服务", "values": [3.6, 3.9]}], waves=["2025H1", "2025H2"],
    ...                   id_prefix="t1")
    >>> svg.count('class="hp-line"')
    1
    """
    func = "trend_lines"
    w = words(lang)
    data = records(series, "series", ("label", "values"), func)
    waves = [str(v) for v in (waves or [])]
    if not waves:
        raise ValueError(f"{func}: waves is empty; give the wave labels in drawing order")
    if ci not in ("whisker", "band"):
        raise ValueError(f"{func}: ci={ci!r}; use 'whisker' or 'band'")
    if legend_position not in ("below", "right"):
        raise ValueError(f"{func}: legend_position={legend_position!r}; use 'below' or 'right'")
    m = len(waves)

    def column(r: dict[str, Any], key: str, i: int) -> list[float | None]:
        raw = r.get(key)
        vals = list(raw) if raw is not None and not isinstance(raw, float) else [None] * m
        if len(vals) != m:
            raise ValueError(f"{func}: series[{i}]['{key}'] has {len(vals)} values for {m} waves")
        return [num(v, f"series[{i}]['{key}'][{j}]", func, optional=True) for j, v in enumerate(vals)]

    vals = [column(r, "values", i) for i, r in enumerate(data)]
    lows = [column(r, "ci_low", i) for i, r in enumerate(data)]
    highs = [column(r, "ci_high", i) for i, r in enumerate(data)]
    every = [v for rows in (vals, lows, highs) for vs in rows for v in vs if v is not None]
    if not any(v is not None for vs in vals for v in vs):
        raise ValueError(f"{func}: every value is missing; nothing to draw")
    y0 = num(lo, "lo", func) if lo is not None else None
    y1 = num(hi, "hi", func) if hi is not None else None
    d0, d1 = nice_extent(min(every), max(every), 5)
    d0, d1 = (y0 if y0 is not None else d0), (y1 if y1 is not None else d1)
    if d0 >= d1:
        raise ValueError(f"{func}: lo={d0} must be below hi={d1}")
    labels = [str(r["label"]) for r in data]
    value_w = text_width(fmt(max(abs(d0), abs(d1)), decimals)) + 22
    legend_w = min(max(text_width(t, SMALL) for t in labels) + 30, width * 0.32)
    left = 44.0 + (14 if y_label else 0)
    right = width - PAD - value_w - (legend_w + 8 if legend_position == "right" else 0)
    top, bottom = PAD + 4, PAD + 4 + plot_height
    X = (lambda j: (left + right) / 2) if m == 1 else linear(-0.5, m - 0.5, left, right)
    Y = linear(d0, d1, bottom, top)
    clip = lambda v: min(max(v, d0), d1)
    ticks = nice_ticks(d0, d1, 5)
    body = _y_axis(Y, ticks, left, right, decimals_for(ticks))
    body.append(f'<rect x="{n(left)}" y="{n(top)}" width="{n(right - left)}" '
                f'height="{n(bottom - top)}" fill="none" class="hp-plot"/>')
    body.append(line(left, bottom, right, bottom, stroke=GREY, cls="hp-axis"))
    step = (right - left) / m
    for j, wave in enumerate(waves):
        body.append(label(X(j), bottom + 16, wave, size=SMALL, anchor="middle", fill=GREY,
                          max_width=step - 4))
    if y_label:
        yl = fit(y_label, plot_height, SMALL)[0]
        body.append(f'<text transform="translate({n(PAD + 6)} {n((top + bottom) / 2)}) rotate(-90)" '
                    f'text-anchor="middle" font-size="{SMALL:g}" fill="{GREY}">{esc(yl)}</text>')
    k_all = len(data)
    whiskers = ci == "whisker" and any(v is not None for vs in lows for v in vs)
    ends, notes, items = [], [], []
    for k, vs in enumerate(vals):
        color, shape = LINE_COLORS[k % len(LINE_COLORS)], MARKERS[k % len(MARKERS)]
        dash = None if k < len(LINE_COLORS) else "6 3"
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        dodge = (k - (k_all - 1) / 2) * min(5.0, step / (3 * k_all)) if whiskers else 0.0
        pts = [(X(j) + dodge, Y(clip(v)), j) for j, v in enumerate(vs) if v is not None]
        g = [f'<g class="hp-series" data-series="{k}">']
        band = [(j, lows[k][j], highs[k][j]) for j in range(m)
                if lows[k][j] is not None and highs[k][j] is not None]
        if ci == "band" and len(band) > 1:
            upper = " ".join(f"{n(X(j))},{n(Y(clip(h)))}" for j, _, h in band)
            lower = " ".join(f"{n(X(j))},{n(Y(clip(lw)))}" for j, lw, _ in reversed(band))
            g.append(f'<polygon points="{upper} {lower}" fill="{color}" fill-opacity="0.13" '
                     f'class="hp-band"/>')
        elif ci == "whisker":
            for j, lw, h in band:
                x = X(j) + dodge
                g.append(line(x, Y(clip(lw)), x, Y(clip(h)), stroke=color, width=1.2, cls="hp-ci"))
                g += [line(x - 3, Y(clip(v)), x + 3, Y(clip(v)), stroke=color, width=1.2)
                      for v in (lw, h)]
        # a missing wave breaks the line rather than bridging it
        runs, run = [], []
        for j, v in enumerate(vs):
            if v is None:
                runs, run = runs + ([run] if run else []), []
            else:
                run.append(f"{n(X(j) + dodge)},{n(Y(clip(v)))}")
        runs += [run] if run else []
        for r in runs:
            if len(r) > 1:
                g.append(f'<polyline points="{" ".join(r)}" fill="none" stroke="{color}" '
                         f'stroke-width="2.2"{dashes} '
                         f'stroke-linejoin="round" vector-effect="non-scaling-stroke" class="hp-line"/>')
        for x, y, j in pts:
            g.append(marker_path(shape, x, y, color, 4.0, extra=' stroke="#ffffff" stroke-width="1"'))
        g.append("</g>")
        body += g
        last = pts[-1] if pts else None
        if last is not None:
            ends.append((k, last[1], vs[last[2]]))
        shown = [f"{waves[j]} {fmt(v, decimals)}" for j, v in enumerate(vs) if v is not None]
        notes.append(f"{labels[k]}{w['sep']}" + w["comma"].join(shown))
        items.append((swatch_line(color, dash=dash, marker=shape), labels[k]))
    placed = spread([y for _, y, _ in ends], FONT_SIZE + 2, top + 6, bottom)
    for (k, _, v), y in zip(ends, placed, strict=True):
        color, shape = LINE_COLORS[k % len(LINE_COLORS)], MARKERS[k % len(MARKERS)]
        body.append(marker_path(shape, right + 10, y, color, 3.5))
        body.append(label(right + 18, y + 4, fmt(v, decimals), size=SMALL, cls="hp-end"))
    if legend_position == "right":
        box, lh, _ = legend(items, width - PAD - legend_w, top, legend_w, stack=True)
        total = max(bottom + 28, top + lh) + PAD
    else:
        box, lh, _ = legend(items, left, bottom + 26, width - PAD - left)
        total = bottom + 26 + lh + PAD
    body.append(box)
    text = desc if desc is not None else w["list"].join(notes)
    return document(body, width=width, height=total, kind="trend",
                    title=title or w["titles"]["trend"], desc=text, id_prefix=id_prefix)
