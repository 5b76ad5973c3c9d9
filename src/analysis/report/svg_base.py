"""Building blocks of the inline SVG charts (:mod:`analysis.report.svg`): text, scales, legends.

Everything here returns strings; nothing imports matplotlib or numpy, so a chart costs
milliseconds. Text from data is escaped by :func:`esc` (and stripped of characters XML 1.0
forbids), widths of labels are estimated with :func:`text_width` (≈1 em per CJK character,
≈0.55 em per Latin one) so labels can be truncated before they overflow, with the full text kept
in a ``<title>`` tooltip. Colours and strokes are presentation attributes rather than a
``<style>`` element, because CSS inside inline SVG applies to the whole HTML page.
"""

from __future__ import annotations

import hashlib
import html as _html
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from .texts import check_lang

FONT_STACK = ('"Noto Sans SC","Noto Sans CJK SC","Source Han Sans SC","PingFang SC",'
              '"Microsoft YaHei",sans-serif')
# Okabe–Ito colour-blind safe palette (Okabe & Ito, 2008), the one of analysis.report.figures.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")
INK = "#1a1a1a"
GREY = "#6b6b6b"
GRID = "#e3e3e3"
TRACK = "#eeeeee"
PAD = 8.0  # margin around every chart, in viewBox px
FONT_SIZE = 12.0
SMALL = 11.0

WORDS: dict[str, dict[str, Any]] = {
    "zh": {"value": "本厅", "benchmark": "公司基准", "district": "区局基准", "ci": "95% 置信区间",
           "clipped": "超出量表（已截断）", "district_mean": "区局均值", "company_mean": "公司均值",
           "guide": "指引标准", "lower_better": "越低越好", "withheld": "不显示",
           "importance": "重要性", "gap": "差距", "highlight": "重点",
           "quadrants": ("优先改进", "继续保持", "次要改进", "暂缓关注"),
           "below": "低于公司", "above": "高于公司", "same": "持平",
           "suppressed": "人数不足，不显示", "suppressed_k": "不足 {k} 人，不显示",
           "favourable": "正面", "neutral": "中立", "unfavourable": "负面",
           "sep": "：", "list": "；", "comma": "，", "bm_short": "基准", "titles": {
               "profile": "各维度得分", "kpi": "关键绩效指标", "priority": "改进优先级矩阵",
               "trend": "各期变化趋势", "heatmap": "各厅与公司的差异",
               "favourable": "正面、中立与负面回答占比"}},
    "en": {"value": "This branch", "benchmark": "Company benchmark", "district": "District benchmark",
           "ci": "95% CI", "clipped": "Beyond the scale (clipped)", "district_mean": "District mean",
           "company_mean": "Company mean", "guide": "Guide norm", "lower_better": "lower is better",
           "withheld": "withheld", "importance": "Importance", "gap": "Gap",
           "highlight": "Highlighted",
           "quadrants": ("Improve first", "Keep up", "Improve later", "Low priority"),
           "below": "Below company", "above": "Above company", "same": "Same",
           "suppressed": "Too few respondents: not shown",
           "suppressed_k": "Fewer than {k}: not shown",
           "favourable": "Favourable", "neutral": "Neutral", "unfavourable": "Unfavourable",
           "sep": ": ", "list": "; ", "comma": ", ", "bm_short": "bench.", "titles": {
               "profile": "Scores by dimension", "kpi": "Key performance indicators",
               "priority": "Improvement priority matrix", "trend": "Trends across waves",
               "heatmap": "Branches against the company", "favourable":
               "Favourable, neutral and unfavourable answers"}},
}

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_NARROW = frozenset(" .,:;!|'`ijlIft()[]")
_WIDE = frozenset("MWmw@%")
NS = 'xmlns="http://www.w3.org/2000/svg"'
NSS = ' vector-effect="non-scaling-stroke"'  # hairlines stay hairlines on a 390 px phone
# Placeholder for the chart's id prefix in bodies; escaped text can never contain NUL.
ID = "\x00id\x00"


def words(lang: str) -> dict[str, Any]:
    """The fixed texts of ``lang``; ValueError names the supported languages."""
    return WORDS[check_lang(lang)]


def esc(text: Any) -> str:
    """Text for XML content or a quoted attribute: control characters dropped, ``<>&"'`` escaped."""
    return _html.escape(_XML_INVALID.sub("", str(text)), quote=True)


def paren(text: str, lang: str) -> str:
    """``text`` in brackets: fullwidth in Chinese, ASCII after a space in English."""
    return f"（{text}）" if lang == "zh" else f" ({text})"


def n(x: float) -> str:
    """A coordinate with one decimal, without a trailing ``.0`` (short, deterministic output)."""
    text = f"{x:.1f}"
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text


def fmt(x: float, decimals: int = 2, *, signed: bool = False) -> str:
    """A number as printed in charts; ``signed`` adds ``+`` and uses the minus sign U+2212."""
    text = f"{x:.{decimals}f}"
    if float(text) == 0.0:
        return text.lstrip("-")
    if text.startswith("-"):
        return "\u2212" + text[1:]
    return "+" + text if signed else text


@lru_cache(maxsize=4096)
def _char_em(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in "WFA":  # CJK, fullwidth forms, ambiguous (…, —)
        return 1.0
    if ch in _NARROW:
        return 0.32
    if ch in _WIDE:
        return 0.86
    if ch.isupper():
        return 0.68
    return 0.56


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Estimated advance width of ``text`` at font ``size`` (≈1 em per CJK character, ≈0.55 em else)."""
    return sum(_char_em(ch) for ch in text) * size


def fit(text: str, max_width: float, size: float = FONT_SIZE) -> tuple[str, bool]:
    """``text`` cut to ``max_width`` with a trailing ``…``; returns (shown text, was it cut)."""
    if text_width(text, size) <= max_width:
        return text, False
    room = max_width - text_width("…", size)
    used, cut = 0.0, 0
    for ch in text:
        used += _char_em(ch) * size
        if used > room:
            break
        cut += 1
    return text[:cut].rstrip() + "…", True


def label(x: float, y: float, text: Any, *, size: float = FONT_SIZE, anchor: str = "start",
          fill: str = INK, max_width: float | None = None, weight: str | None = None,
          cls: str | None = None, extra: str = "") -> str:
    """One ``<text>``; cut to ``max_width`` with the full text in a ``<title>`` child."""
    full = str(text)
    shown, cut = fit(full, max_width, size) if max_width is not None else (full, False)
    attrs = f'x="{n(x)}" y="{n(y)}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if size != FONT_SIZE:
        attrs += f' font-size="{size:g}"'
    if fill != INK:
        attrs += f' fill="{fill}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    if cls:
        attrs += f' class="{cls}"'
    tip = f"<title>{esc(full)}</title>" if cut else ""
    return f"<text {attrs}{extra}>{tip}{esc(shown)}</text>"


def line(x1: float, y1: float, x2: float, y2: float, *, stroke: str = INK, width: float = 1,
         cls: str | None = None, dash: str | None = None) -> str:
    c = f' class="{cls}"' if cls else ""
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{n(x1)}" y1="{n(y1)}" x2="{n(x2)}" y2="{n(y2)}" stroke="{stroke}" '
            f'stroke-width="{width:g}"{d}{c}{NSS}/>')


def rect(x: float, y: float, w: float, h: float, fill: str, *, cls: str | None = None,
         extra: str = "", tip: str | None = None) -> str:
    """A ``<rect>``; ``tip`` is a tooltip (``<title>`` child, escaped here)."""
    c = f' class="{cls}"' if cls else ""
    head = f'<rect x="{n(x)}" y="{n(y)}" width="{n(max(w, 0.0))}" height="{n(h)}" fill="{fill}"{c}{extra}'
    return f"{head}><title>{esc(tip)}</title></rect>" if tip is not None else head + "/>"


def linear(d0: float, d1: float, r0: float, r1: float) -> Callable[[float], float]:
    """The linear map of the domain [d0, d1] onto the range [r0, r1]."""
    k = (r1 - r0) / (d1 - d0) if d1 != d0 else 0.0
    return lambda v: r0 + (v - d0) * k


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (steps 1, 2, 2.5 or 5 × 10^k) inside [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * 0.999)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, t = [], first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10) + 0.0)
        t += step
    return ticks


def nice_extent(lo: float, hi: float, count: int = 5) -> tuple[float, float]:
    """[lo, hi] widened to the neighbouring round tick values."""
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_ticks(lo, hi, count)
    s = step[1] - step[0] if len(step) > 1 else (hi - lo)
    return math.floor(lo / s + 1e-9) * s + 0.0, math.ceil(hi / s - 1e-9) * s + 0.0


def decimals_for(ticks: Sequence[float]) -> int:
    """Decimals that print every tick distinctly (0 for 1, 2, 3; 1 for 2.5; 2 for 0.25)."""
    for d in range(4):
        if all(abs(t - round(t, d)) < 1e-9 for t in ticks):
            return d
    return 4


def records(rows: Any, name: str, required: Iterable[str], func: str) -> list[dict[str, Any]]:
    """Rows as a list of dicts (a DataFrame is accepted); ValueError if empty, KeyError if a key misses."""
    if rows is None:
        raise ValueError(f"{func}: {name} is None; give a list of dicts (one per row)")
    if hasattr(rows, "to_dict") and not isinstance(rows, Mapping):
        rows = rows.to_dict("records")
    if isinstance(rows, Mapping | str | bytes):
        raise TypeError(f"{func}: {name} must be a list of dicts (one per row), "
                        f"got {type(rows).__name__}")
    out = [dict(r) for r in rows]
    if not out:
        raise ValueError(f"{func}: {name} is empty; nothing to draw")
    need = list(required)
    for i, r in enumerate(out):
        missing = [k for k in need if k not in r]
        if missing:
            raise KeyError(f"{func}: {name}[{i}] misses {missing}; it has {sorted(map(str, r))}")
    return out


def given(value: Any) -> bool:
    """Is an optional field given? None, NaN, pandas NA and "" (an empty cell) are not."""
    if value is None or (isinstance(value, str) and not value):
        return False
    try:
        return bool(value == value)  # noqa: PLR0124 - NaN and NaT are unequal to themselves
    except TypeError:  # pandas.NA has no truth value
        return False


def num(value: Any, what: str, func: str, *, optional: bool = False) -> float | None:
    """A finite float; a missing value is allowed only when ``optional``; ValueError names ``what``."""
    if not given(value):
        if optional:
            return None
        raise ValueError(f"{func}: {what} is missing; every row needs a number there")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{func}: {what} = {value!r} is not a number") from None
    if math.isinf(x) or math.isnan(x):
        raise ValueError(f"{func}: {what} = {value!r} is not finite")
    return x


def document(body: Sequence[str], *, width: float, height: float, kind: str, title: str,
             desc: str, id_prefix: str | None) -> str:
    """The ``<svg>`` root: viewBox, 100 % width up to ``width`` px, CJK fonts, title and desc.

    Ids are ``<id_prefix>-title`` and ``<id_prefix>-desc`` (plus whatever the body uses with
    the placeholder :data:`ID`); without ``id_prefix`` they derive from a hash of the chart, so the
    same input always gives the same bytes and different charts on a page get different ids.
    """
    inner = "\n".join(body)
    if id_prefix is None:
        digest = hashlib.sha1(f"{title}\n{desc}\n{inner}".encode()).hexdigest()[:10]
        id_prefix = f"hp-{kind}-{digest}"
    elif not isinstance(id_prefix, str) or not _ID.match(id_prefix):
        raise ValueError(f"id_prefix={id_prefix!r} is not a valid id; use a letter then letters, "
                         "digits, '-' or '_'")
    inner = inner.replace(ID, id_prefix)
    w, h = n(width), n(math.ceil(height))
    return (f'<svg {NS} viewBox="0 0 {w} {h}" width="100%" role="img" '
            f'aria-labelledby="{id_prefix}-title {id_prefix}-desc" class="hp-svg hp-svg-{kind}" '
            f'font-size="{FONT_SIZE:g}" fill="{INK}" '
            f"style='font-family:{FONT_STACK};max-width:{w}px;height:auto;display:block'>\n"
            f'<title id="{id_prefix}-title">{esc(title)}</title>\n'
            f'<desc id="{id_prefix}-desc">{esc(desc)}</desc>\n{inner}\n</svg>')


Swatch = Callable[[float, float], str]


def swatch_rect(color: str, *, extra: str = "") -> Swatch:
    return lambda x, y: rect(x, y - 5, 14, 10, color, extra=extra)


def swatch_line(color: str, *, width: float = 2, dash: str | None = None,
                marker: str | None = None) -> Swatch:
    def draw(x: float, y: float) -> str:
        mark = marker_path(marker, x + 9, y, color) if marker else ""
        return line(x, y, x + 18, y, stroke=color, width=width, dash=dash) + mark
    return draw


def swatch_tick(color: str, *, width: float = 2.5, height: float = 14,
                dash: str | None = None) -> Swatch:
    return lambda x, y: line(x + 7, y - height / 2, x + 7, y + height / 2, stroke=color, width=width,
                             dash=dash)


def swatch_whisker(color: str = INK) -> Swatch:
    return lambda x, y: (line(x, y, x + 16, y, stroke=color) + line(x, y - 4, x, y + 4, stroke=color)
                         + line(x + 16, y - 4, x + 16, y + 4, stroke=color))


def legend(items: Sequence[tuple[Swatch, str]], x: float, y: float, max_width: float, *,
           size: float = SMALL, row_height: float = 18, stack: bool = False) -> tuple[str, float, float]:
    """Legend entries laid out left to right, wrapping at ``max_width`` (``stack``: one per row).

    Returns the SVG group, its height and its width; ``y`` is the top of the legend box.
    """
    parts, cx, cy, widest = [], x, y + row_height / 2, 0.0
    swatch_w, gap = 22.0, 14.0
    for draw, text in items:
        shown = fit(text, max_width - swatch_w, size)[0]
        w = swatch_w + text_width(shown, size)
        if cx > x and (stack or cx + w > x + max_width):
            cx, cy = x, cy + row_height
        parts.append(draw(cx, cy))
        parts.append(label(cx + swatch_w, cy + size * 0.36, text, size=size,
                           max_width=max_width - swatch_w))
        widest = max(widest, cx + w - x)
        cx += w + gap
    height = cy + row_height / 2 - y
    return (f'<g class="hp-legend" data-box="{n(x)} {n(y)} {n(widest)} {n(height)}">'
            + "".join(parts) + "</g>"), height, widest


MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down")


def marker_path(kind: str | None, x: float, y: float, color: str, r: float = 4.0,
                extra: str = "", tip: str | None = None) -> str:
    """A point marker; shapes differ per series so lines are told apart without colour.

    ``tip`` is a tooltip (a ``<title>`` child, escaped here).
    """
    if kind == "square":
        s = r * 0.9
        tag, geo = "rect", f'x="{n(x - s)}" y="{n(y - s)}" width="{n(2 * s)}" height="{n(2 * s)}"'
    elif kind in ("triangle", "triangle-down"):
        k = 1 if kind == "triangle" else -1
        tag, geo = "polygon", (f'points="{n(x)},{n(y - k * r * 1.2)} {n(x + r * 1.1)},'
                               f'{n(y + k * r * 0.8)} {n(x - r * 1.1)},{n(y + k * r * 0.8)}"')
    elif kind == "diamond":
        d = r * 1.25
        tag, geo = "polygon", f'points="{n(x)},{n(y - d)} {n(x + d)},{n(y)} {n(x)},{n(y + d)} {n(x - d)},{n(y)}"'
    else:
        tag, geo = "circle", f'cx="{n(x)}" cy="{n(y)}" r="{r:g}"'
    head = f'<{tag} {geo} fill="{color}"{extra}'
    return f"{head}><title>{esc(tip)}</title></{tag}>" if tip is not None else head + "/>"


def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Do two boxes (x, y, w, h) intersect?"""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def spread(positions: Sequence[float], gap: float, lo: float, hi: float) -> list[float]:
    """Move 1-D label positions apart to at least ``gap`` inside [lo, hi], keeping their order.

    Deterministic: sweep down then up (the classic two-pass de-overlap of direct labels).
    """
    order = sorted(range(len(positions)), key=lambda i: (positions[i], i))
    ys = [min(max(positions[i], lo), hi) for i in order]
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1] + gap)
    if ys and ys[-1] > hi:
        ys[-1] = hi
        for i in range(len(ys) - 2, -1, -1):
            ys[i] = min(ys[i], ys[i + 1] - gap)
    out = [0.0] * len(positions)
    for rank, i in enumerate(order):
        out[i] = ys[rank]
    return out
