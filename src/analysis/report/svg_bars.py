"""Horizontal bar charts as inline SVG: dimension profile, KPI bullets, favourable stacks.

Public through :mod:`analysis.report.svg`. Each function takes plain rows (a list of dicts or
a DataFrame), computes nothing a result table should hold, and returns an ``<svg>`` string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .fragments import format_kpi
from .svg_base import (
    GREY, GRID, INK, PAD, PALETTE, SMALL, TRACK, decimals_for, document, fit, fmt, given, label,
    legend, line, linear, marker_path, n, nice_extent, nice_ticks, num, paren, records, rect,
    swatch_rect, swatch_tick, swatch_whisker, text_width, words,
)

VALUE_W = 44.0  # right column for the printed value


def _clip_arrow(x: float, y: float, direction: int, cls: str = ' class="hp-clip"') -> str:
    """A filled arrowhead whose tip is at ``x``: the interval goes on beyond the scale end."""
    b = x - 6 * direction
    return (f'<polygon{cls} points="{n(b)},{n(y - 4)} {n(x)},{n(y)} {n(b)},{n(y + 4)}" '
            f'fill="{INK}"/>')


def _label_column(texts: Sequence[str], width: float, share: float = 0.36) -> float:
    return min(max(text_width(t) for t in texts), width * share) + 8


def _axis(xs: Any, ticks: Sequence[float], x0: float, x1: float, top: float, bottom: float,
          decimals: int, suffix: str = "") -> list[str]:
    """Grid lines behind the data and an axis line with tick labels below ``bottom``."""
    out = [line(x0, bottom, x1, bottom, stroke=GREY, cls="hp-axis")]
    for t in ticks:
        x = xs(t)
        out.insert(0, line(x, top, x, bottom, stroke=GRID, cls="hp-grid"))
        out.append(line(x, bottom, x, bottom + 4, stroke=GREY))
        out.append(label(x, bottom + 16, fmt(t, decimals) + suffix, size=SMALL, anchor="middle",
                         fill=GREY))
    return out


def profile_bars(rows: Any, *, lo: float, hi: float, lang: str = "zh", title: str | None = None,
                 desc: str | None = None, id_prefix: str | None = None, width: float = 600,
                 axis_label: str | None = None, value_name: str | None = None,
                 benchmark_name: str | None = None, district_name: str | None = None,
                 decimals: int = 2) -> str:
    """A branch's profile over dimensions: horizontal bars with intervals and benchmark ticks.

    Parameters
    ----------
    rows : list of dict or DataFrame
        One row per dimension, drawn top to bottom in the order given, with keys ``label`` and
        ``value``; optional ``ci_low``, ``ci_high`` (the interval, drawn as a whisker),
        ``benchmark`` (a black tick) and ``district`` (a district benchmark, an orange diamond).
    lo, hi : float
        The response scale (e.g. 1 and 5). Bars start at ``lo``; values and interval ends
        outside [lo, hi] are clipped to it and marked with an arrowhead at the axis end.
    lang : {"zh", "en"}
        Language of the fixed texts (legend words, default title).
    title, desc : str, optional
        The chart's accessible name (``<title>``) and description (``<desc>``); default a
        fixed title and a description listing every value.
    id_prefix : str, optional
        Prefix of the element ids; default derived from a hash of the chart (deterministic).
    width : float
        Width of the viewBox in px (the chart scales down to its container).
    axis_label, value_name, benchmark_name, district_name : str, optional
        Axis title and legend texts (defaults "本厅", "公司基准", "区局基准").
    decimals : int
        Decimals of the printed values.

    Returns
    -------
    str
        An ``<svg>`` element (no XML declaration) for inline HTML.

    Examples
    --------
    >>> svg = profile_bars([{"label": "服务", "value": 3.8, "ci_low": 3.5, "ci_high": 4.1,
    ...                      "benchmark": 3.9}], lo=1, hi=5, id_prefix="p1")
    >>> svg.startswith("<svg") and svg.endswith("</svg>")
    True
    """
    func = "profile_bars"
    w = words(lang)
    data = records(rows, "rows", ("label", "value"), func)
    lo_, hi_ = num(lo, "lo", func), num(hi, "hi", func)
    if lo_ >= hi_:
        raise ValueError(f"{func}: lo={lo!r} must be below hi={hi!r} (the response scale)")
    labels = [str(r["label"]) for r in data]
    lw = _label_column(labels, width)
    x0, x1 = PAD + lw, width - PAD - VALUE_W
    xs = linear(lo_, hi_, x0, x1)
    rh, bh, top = 28.0, 12.0, PAD
    bottom = top + rh * len(data)
    ticks = nice_ticks(lo_, hi_, 5)
    body = _axis(xs, ticks, x0, x1, top, bottom, decimals_for(ticks))
    clip = lambda v: min(max(v, lo_), hi_)
    seen = {"ci": False, "benchmark": False, "district": False, "clip": False}
    notes = []
    for i, r in enumerate(data):
        y = top + rh * (i + 0.5)
        v = num(r["value"], f"rows[{i}]['value']", func)
        cl = num(r.get("ci_low"), f"rows[{i}]['ci_low']", func, optional=True)
        ch = num(r.get("ci_high"), f"rows[{i}]['ci_high']", func, optional=True)
        bm = num(r.get("benchmark"), f"rows[{i}]['benchmark']", func, optional=True)
        di = num(r.get("district"), f"rows[{i}]['district']", func, optional=True)
        if (cl is None) != (ch is None):
            raise ValueError(f"{func}: rows[{i}] has only one of ci_low and ci_high; give both or neither")
        if cl is not None and not cl <= ch:
            raise ValueError(f"{func}: rows[{i}] has ci_low={cl} above ci_high={ch}")
        body.append(label(PAD, y + 4, labels[i], max_width=lw - 8, cls="hp-label"))
        body.append(rect(x0, y - bh / 2, xs(clip(v)) - x0, bh, PALETTE[0], cls="hp-bar"))
        if v != clip(v):
            seen["clip"] = True
            body.append(_clip_arrow(xs(clip(v)), y, 1 if v > hi_ else -1))
        note = f"{labels[i]}{w['sep']}{fmt(v, decimals)}"
        if cl is not None:
            seen["ci"] = True
            a, b = xs(clip(cl)), xs(clip(ch))
            body.append(line(a, y, b, y, width=1.5, cls="hp-ci"))
            for end, raw, direction in ((a, cl, -1), (b, ch, 1)):
                if raw != clip(raw):
                    seen["clip"] = True
                    body.append(_clip_arrow(end, y, direction))
                else:
                    body.append(line(end, y - 5, end, y + 5, width=1.5, cls="hp-cap"))
            note += f"{w['comma']}{w['ci']} {fmt(cl, decimals)}–{fmt(ch, decimals)}"
        if bm is not None:
            seen["benchmark"] = True
            body.append(line(xs(clip(bm)), y - 10, xs(clip(bm)), y + 10, width=3, cls="hp-benchmark"))
            note += f"{w['comma']}{benchmark_name or w['benchmark']} {fmt(bm, decimals)}"
        if di is not None:
            seen["district"] = True
            body.append(marker_path("diamond", xs(clip(di)), y, PALETTE[1], 4.5,
                                    extra=f' stroke="{INK}" stroke-width="0.8" class="hp-district"'))
            note += f"{w['comma']}{district_name or w['district']} {fmt(di, decimals)}"
        body.append(label(width - PAD, y + 4, fmt(v, decimals), anchor="end", weight="600",
                          cls="hp-value"))
        notes.append(note)
    y = bottom + 22
    if axis_label:
        body.append(label((x0 + x1) / 2, bottom + 34, axis_label, size=SMALL, anchor="middle",
                          fill=GREY, max_width=x1 - x0))
        y = bottom + 40
    items = [(swatch_rect(PALETTE[0]), value_name or w["value"])]
    if seen["ci"]:
        items.append((swatch_whisker(), w["ci"]))
    if seen["benchmark"]:
        items.append((swatch_tick(INK, width=3), benchmark_name or w["benchmark"]))
    if seen["district"]:
        items.append((lambda x, yy: marker_path("diamond", x + 7, yy, PALETTE[1], 4.5,
                                               extra=f' stroke="{INK}" stroke-width="0.8"'),
                      district_name or w["district"]))
    if seen["clip"]:
        items.append((lambda x, yy: line(x, yy, x + 10, yy, width=1.5) + _clip_arrow(x + 16, yy, 1, ""),
                      w["clipped"]))
    box, lh, _ = legend(items, PAD, y, width - 2 * PAD)
    body.append(box)
    text = desc if desc is not None else (
        (title or w["titles"]["profile"]) + paren(f"{fmt(lo_, decimals_for([lo_]))}–"
                                                  f"{fmt(hi_, decimals_for([hi_]))}", lang)
        + w["sep"] + w["list"].join(notes))
    return document(body, width=width, height=y + lh + PAD, kind="profile",
                    title=title or w["titles"]["profile"], desc=text, id_prefix=id_prefix)


def _format_kpi(x: float | None, style: str) -> str:
    """The reports' one KPI format (the table beside the chart prints the same text)."""
    text = format_kpi(x, style)
    return "—" if text is None else text


def _kpi_tick(x: float, style: str, ticks: Sequence[float]) -> str:
    if style == "percent":
        return fmt(x * 100, decimals_for([t * 100 for t in ticks])) + "%"
    d = decimals_for(ticks)
    return f"{x:,.{d}f}".replace("-", "\u2212") if abs(x) >= 1000 else fmt(x, d)


def kpi_bullets(rows: Any, *, lang: str = "zh", title: str | None = None, desc: str | None = None,
                id_prefix: str | None = None, width: float = 600,
                names: Mapping[str, str] | None = None) -> str:
    """KPI bullet chart: one KPI per row, each on its own scale, with reference marks.

    Parameters
    ----------
    rows : list of dict or DataFrame
        One row per KPI with keys ``label`` and ``value`` (None: withheld, drawn without a bar);
        optional ``district_mean`` (orange mark), ``company_mean`` (green dashed mark),
        ``benchmark`` (the guide's norm, a thick black mark), ``format`` (``"percent"``
        for a proportion in [0, 1], ``"score"`` or ``"number"``, the report's KPI formats) and
        ``lower_is_better`` (marked "越低越好" beside the label).
    lang : {"zh", "en"}
    title, desc, id_prefix, width
        As in :func:`profile_bars`.
    names : mapping, optional
        Legend texts for the keys ``value``, ``district_mean``, ``company_mean``, ``benchmark``
        (defaults "本厅", "区局均值", "公司均值", "指引标准").

    Returns
    -------
    str
        An ``<svg>`` element: one track per KPI, each on its own scale, under its label.

    Notes
    -----
    Each scale runs from min(0, marks) to the largest mark plus 10 %, rounded to a tick; the
    value and every reference are printed as text under the track, so nothing is told by
    colour alone.

    Examples
    --------
    >>> svg = kpi_bullets([{"label": "外呼量", "value": 18.0, "district_mean": 16.2,
    ...                     "company_mean": 17.5, "benchmark": 20, "format": "number"}],
    ...                   id_prefix="k1")
    >>> svg.startswith("<svg") and 'class="hp-bar"' in svg
    True
    """
    func = "kpi_bullets"
    w = words(lang)
    data = records(rows, "rows", ("label", "value"), func)
    name = {"value": w["value"], "district_mean": w["district_mean"],
            "company_mean": w["company_mean"], "benchmark": w["guide"], **dict(names or {})}
    styles = {"district_mean": (PALETTE[1], None, 2.5), "company_mean": (PALETTE[2], "3 2", 2.5),
              "benchmark": (INK, None, 3.5)}
    x0, x1 = PAD, width - PAD
    rh, top = 62.0, PAD
    body, notes, seen = [], [], set()
    for i, r in enumerate(data):
        y = top + rh * i
        style = str(r["format"]) if given(r.get("format")) else "number"
        v = num(r.get("value"), f"rows[{i}]['value']", func, optional=True)
        refs = {k: num(r.get(k), f"rows[{i}][{k!r}]", func, optional=True) for k in styles}
        marks = [m for m in (v, *refs.values()) if m is not None]
        if not marks:
            raise ValueError(f"{func}: rows[{i}] has no value and no reference; leave the KPI out")
        d0, d1 = nice_extent(min(0.0, *marks), max(marks) * 1.1 if max(marks) > 0 else 0.0, 6)
        if style == "percent" and max(marks) <= 1 and d1 > 1:
            d1 = 1.0
        xs = linear(d0, d1, x0, x1)
        value_text = _format_kpi(v, style) if v is not None else w["withheld"]
        vw = text_width(value_text, 13) + 8
        lower = given(r.get("lower_is_better")) and bool(r["lower_is_better"])
        flag = paren(w["lower_better"], lang)
        room = x1 - x0 - vw - (text_width(flag, SMALL) if lower else 0)
        shown, _ = fit(str(r["label"]), room)
        body.append(label(x0, y + 13, r["label"], max_width=room, weight="600", cls="hp-label"))
        if lower:
            body.append(label(x0 + text_width(shown) + 2, y + 13, flag, size=SMALL, fill=GREY))
        body.append(label(x1, y + 13, value_text, size=13, anchor="end", weight="700",
                          fill=PALETTE[0] if v is not None else GREY, cls="hp-value"))
        body.append(rect(x0, y + 20, x1 - x0, 16, TRACK, cls="hp-track"))
        if v is not None:
            seen.add("value")
            body.append(rect(xs(0.0) if d0 < 0 else x0, y + 25, xs(v) - (xs(0.0) if d0 < 0 else x0),
                             6, PALETTE[0], cls="hp-bar"))
        parts = [f"{name['value']} {value_text}"]
        for k, (color, dash, sw) in styles.items():
            if refs[k] is None:
                continue
            seen.add(k)
            grow = 3 if k == "benchmark" else 0
            body.append(line(xs(refs[k]), y + 18 - grow, xs(refs[k]), y + 38 + grow, stroke=color,
                             width=sw, dash=dash, cls=f"hp-ref hp-{k.replace('_', '-')}"))
            parts.append(f"{name[k]} {_format_kpi(refs[k], style)}")
        ticks = [d0, d1]
        left = _kpi_tick(d0, style, ticks)
        right = _kpi_tick(d1, style, ticks)
        body.append(label(x0, y + 50, left, size=SMALL, fill=GREY))
        body.append(label(x1, y + 50, right, size=SMALL, fill=GREY, anchor="end"))
        room = x1 - x0 - 2 * max(text_width(left, SMALL), text_width(right, SMALL)) - 24
        body.append(label((x0 + x1) / 2, y + 50, " · ".join(parts[1:]), size=SMALL, fill=INK,
                          anchor="middle", max_width=room, cls="hp-refs"))
        notes.append(f"{r['label']}{w['sep']}" + w["comma"].join(parts))
    legend_y = top + rh * len(data) + 4
    items = [(swatch_rect(PALETTE[0]), name["value"])] if "value" in seen else []
    items += [(swatch_tick(c, width=sw, dash=dash), name[k]) for k, (c, dash, sw) in styles.items()
              if k in seen]
    box, lh, _ = legend(items, PAD, legend_y, width - 2 * PAD)
    body.append(box)
    text = desc if desc is not None else w["list"].join(notes)
    return document(body, width=width, height=legend_y + lh + PAD, kind="kpi",
                    title=title or w["titles"]["kpi"], desc=text, id_prefix=id_prefix)


FAVOURABLE = ("favourable", "neutral", "unfavourable")
_SEGMENT = {"favourable": (PALETTE[0], "#ffffff"), "neutral": ("#d4d4d4", INK),
            "unfavourable": (PALETTE[1], INK)}


def favourable_bars(items: Any, *, lang: str = "zh", title: str | None = None,
                    desc: str | None = None, id_prefix: str | None = None, width: float = 600,
                    benchmark_name: str | None = None) -> str:
    """Stacked 100 % bars per item: % favourable, % neutral, % unfavourable (Culture Amp style).

    Parameters
    ----------
    items : list of dict or DataFrame
        One row per item with keys ``label``, ``favourable``, ``neutral``, ``unfavourable``
        (percentages 0–100 summing to 100 ± 2) and optional ``benchmark`` (the benchmark
        % favourable, a black tick on the bar).
    lang : {"zh", "en"}
    title, desc, id_prefix, width
        As in :func:`profile_bars`.
    benchmark_name : str, optional
        Legend text of the benchmark (default "公司基准").

    Returns
    -------
    str
        An ``<svg>`` element: one bar per item, split into three shares that fill its width.

    Notes
    -----
    Segments are scaled by their sum, so a bar always fills the full width even when rounded
    shares add to 99 or 101. Percentages are printed inside segments wide enough for them;
    % favourable and the benchmark are always printed to the right of the bar.

    Examples
    --------
    >>> svg = favourable_bars([{"label": "我清楚工作目标", "favourable": 72, "neutral": 18,
    ...                         "unfavourable": 10, "benchmark": 68}], id_prefix="f1")
    >>> svg.count('class="hp-seg')
    3
    """
    func = "favourable_bars"
    w = words(lang)
    data = records(items, "items", ("label", *FAVOURABLE), func)
    labels = [str(r["label"]) for r in data]
    lw = _label_column(labels, width)
    right = 66.0
    x0, x1 = PAD + lw, width - PAD - right
    rh, bh, top = 32.0, 18.0, PAD
    bottom = top + rh * len(data)
    xs = linear(0.0, 100.0, x0, x1)
    body = _axis(xs, [0, 25, 50, 75, 100], x0, x1, top, bottom, 0, "%")
    notes, any_bm = [], False
    bm_name = benchmark_name or w["benchmark"]
    for i, r in enumerate(data):
        y = top + rh * (i + 0.5)
        shares = {k: num(r[k], f"items[{i}][{k!r}]", func) for k in FAVOURABLE}
        if any(s < 0 or s > 100 for s in shares.values()):
            raise ValueError(f"{func}: items[{i}] has a share outside 0–100: {shares}")
        total = sum(shares.values())
        if abs(total - 100) > 2:
            raise ValueError(f"{func}: items[{i}] shares sum to {total:g}, not 100; give percentages")
        body.append(label(PAD, y + 4, labels[i], max_width=lw - 8, cls="hp-label"))
        cx = x0
        for k in FAVOURABLE:
            seg = (x1 - x0) * shares[k] / total
            fill, ink = _SEGMENT[k]
            body.append(rect(cx, y - bh / 2, seg, bh, fill, cls=f"hp-seg hp-{k}",
                             tip=f"{w[k]} {shares[k]:.0f}%"))
            text = f"{shares[k]:.0f}%"
            if seg >= text_width(text, SMALL) + 6:
                body.append(label(cx + seg / 2, y + 4, text, size=SMALL, anchor="middle", fill=ink))
            cx += seg
        bm = num(r.get("benchmark"), f"items[{i}]['benchmark']", func, optional=True)
        note = (f"{labels[i]}{w['sep']}{w['favourable']} {shares['favourable']:.0f}%{w['comma']}"
                f"{w['neutral']} {shares['neutral']:.0f}%{w['comma']}{w['unfavourable']} {shares['unfavourable']:.0f}%")
        body.append(label(width - PAD, y + (0 if bm is not None else 4), f"{shares['favourable']:.0f}%",
                          anchor="end", weight="700", fill=PALETTE[0], cls="hp-value"))
        if bm is not None:
            any_bm = True
            bx = xs(min(max(bm, 0.0), 100.0))
            body.append(line(bx, y - bh / 2 - 4, bx, y + bh / 2 + 4, width=2.5, cls="hp-benchmark"))
            body.append(label(width - PAD, y + 12, f"{w['bm_short']} {bm:.0f}%", size=SMALL - 1, anchor="end", fill=GREY))
            note += f"{w['comma']}{bm_name} {bm:.0f}%"
        notes.append(note)
    entries = [(swatch_rect(_SEGMENT[k][0]), w[k]) for k in FAVOURABLE]
    if any_bm:
        entries.append((swatch_tick(INK, width=2.5), bm_name))
    box, lh, _ = legend(entries, PAD, bottom + 24, width - 2 * PAD)
    body.append(box)
    text = desc if desc is not None else w["list"].join(notes)
    return document(body, width=width, height=bottom + 24 + lh + PAD, kind="favourable",
                    title=title or w["titles"]["favourable"], desc=text, id_prefix=id_prefix)
