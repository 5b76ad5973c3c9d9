"""Inline SVG charts (analysis.report.svg): valid XML, escaping, determinism, geometry, browser.

Geometry is read back from the SVG (elements carry ``hp-*`` classes) and compared with what
the input implies (a bar's width from its value and the axis, a clipped interval ending at the
axis end, blank heatmap cells without text, ...). The browser test renders every chart in
headless Chromium at 390 px and 1000 px and measures the real text boxes, which checks the
width estimate of CJK and Latin labels against real fonts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from analysis.report import svg, svg_base, svg_heatmap
from analysis.report.svg import (
    favourable_bars,
    heatmap,
    kpi_bullets,
    priority_matrix,
    profile_bars,
    trend_lines,
)

NS = {"s": "http://www.w3.org/2000/svg"}
Q = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(1)</script>"
QUOTES = "\"&'<>"
DIMS = ["服务规范", "业务熟练度", "团队协作与沟通氛围", "顾客导向", "主管支持", "工作负荷（反向）",
        "培训与发展机会", "Recognition & rewards"]


# --- sample inputs (typical sizes: 8 dimensions, 5 KPIs, 60 × 8 heatmap) -----------------

def profile_rows(label_extra: str | None = None):
    values = [3.8, 4.2, 3.1, 4.85, 2.4, 1.1, 3.5, 4.0]
    rows = [{"label": d, "value": v, "ci_low": v - 0.3, "ci_high": v + 0.35, "benchmark": 3.5,
             "district": 3.4} for d, v in zip(DIMS, values, strict=True)]
    if label_extra is not None:
        rows.append({"label": label_extra, "value": 3.0, "benchmark": 3.2})
    return rows


def kpi_rows():
    return [
        {"label": "业务办理量", "value": 1520, "district_mean": 1410, "company_mean": 1388, "format": "number"},
        {"label": "外呼量（每日）", "value": 18.0, "district_mean": 16.2, "company_mean": 17.5,
         "benchmark": 20, "format": "number"},
        {"label": "客户满意度", "value": 0.912, "district_mean": 0.88, "company_mean": 0.9,
         "benchmark": 0.95, "format": "percent"},
        {"label": "投诉率", "value": 0.021, "district_mean": 0.018, "company_mean": 0.02,
         "format": "percent", "lower_is_better": True},
        {"label": "神秘顾客得分", "value": None, "district_mean": 4.1, "company_mean": 4.0, "format": "score"},
    ]


def priority_points():
    pts = [{"label": d, "importance": i, "gap": g} for d, i, g in
           zip(DIMS, [22, 18, 15, 14, 9, 8, 7.5, 6.5], [0.4, -0.2, 0.32, -0.65, 0.6, 0.35, 0.1, -0.3],
               strict=True)]
    # three points almost on top of each other: their labels must not collide
    return pts + [{"label": "近邻维度A", "importance": 21.6, "gap": 0.41},
                  {"label": "近邻维度B", "importance": 22.2, "gap": 0.39}]


def trend_series():
    return [{"label": d, "values": [v - 0.2, v, v + 0.1], "ci_low": [v - 0.4, v - 0.2, v - 0.1],
             "ci_high": [v, v + 0.2, v + 0.3]} for d, v in zip(DIMS[:5], [3.8, 4.0, 3.9, 3.3, 3.85],
                                                               strict=True)]


WAVES = ["2025H1", "2025H2", "2026H1"]


def heatmap_input(n_per_group: int = 20):
    rows, cells = [], []
    for g in ("东城区局", "西城区局", "海淀区局"):
        for b in range(n_per_group):
            i = len(rows)
            rows.append({"label": f"{g[:2]}第{b + 1}营业厅" + ("（旗舰店）" if b % 7 == 0 else ""),
                         "href": f"B{i:04d}.html", "group": g})
            cells.append([None if (i * 7 + j * 3) % 13 == 0 else round(((i * 5 + j * 11) % 25 - 12) / 20, 2)
                          for j in range(len(DIMS))])
    return rows, DIMS, cells


def favourable_items():
    return [{"label": f"题目 {i + 1}：{t}", "favourable": f, "neutral": n, "unfavourable": u, "benchmark": b}
            for i, (t, f, n, u, b) in enumerate([
                ("我清楚自己的工作目标", 72, 18, 10, 68), ("主管经常给我反馈", 55, 25, 20, 60),
                ("我有完成工作所需的工具", 90, 7, 2, 80),  # sums to 99 (rounded shares)
                ("团队之间合作顺畅", 40, 35, 25, 52), ("我愿意推荐本厅为工作场所", 3, 5, 92, 30)])]


def all_charts(lang: str = "zh", evil: str | None = None):
    hm_rows, hm_cols, hm_cells = heatmap_input()
    if evil is not None:
        hm_rows[0] = {"label": evil, "href": "javascript:alert(1)", "group": evil}
    return {
        "profile": profile_bars(profile_rows(evil), lo=1, hi=5, lang=lang, axis_label="得分", id_prefix="p"),
        "kpi": kpi_bullets(kpi_rows() + ([{"label": evil, "value": 1.0}] if evil else []), lang=lang,
                           id_prefix="k"),
        "priority": priority_matrix(priority_points() + ([{"label": evil, "importance": 5, "gap": 0}]
                                                         if evil else []),
                                    lang=lang, x_label="重要性（相对权重，%）", y_label="差距", id_prefix="m"),
        "trend": trend_lines(trend_series() + ([{"label": evil, "values": [3, 3, 3]}] if evil else []),
                             waves=WAVES, lang=lang, lo=1, hi=5, y_label="得分", id_prefix="t"),
        "trend_right": trend_lines(trend_series() + ([{"label": evil, "values": [3, 3, 3]}] if evil else []),
                                   waves=WAVES, lang=lang, legend_position="right", ci="band",
                                   id_prefix="tr"),
        "heatmap": heatmap(hm_rows, [evil or hm_cols[0], *hm_cols[1:]], hm_cells, lang=lang, k=5,
                           id_prefix="h"),
        "favourable": favourable_bars(favourable_items() + ([{"label": evil, "favourable": 50, "neutral": 25,
                                                              "unfavourable": 25}] if evil else []),
                                      lang=lang, id_prefix="f"),
    }


def parse(text: str) -> ET.Element:
    assert text.startswith("<svg ") and text.endswith("</svg>") and not text.startswith("<?xml")
    return ET.fromstring(text)


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def f(e: ET.Element, key: str) -> float:
    return float(e.get(key))


# --- structure, accessibility, escaping, determinism -----------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_is_valid_accessible_responsive_svg(lang):
    for name, text in all_charts(lang).items():
        root = parse(text)
        assert root.tag == f"{Q}svg" and root.get("role") == "img", name
        title_id, desc_id = root.get("aria-labelledby").split()
        assert root.find(f"s:title[@id='{title_id}']", NS).text
        assert root.find(f"s:desc[@id='{desc_id}']", NS).text
        assert root.get("width") == "100%" and re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
        style = root.get("style")
        assert 'font-family:"Noto Sans SC","Noto Sans CJK SC","Source Han Sans SC","PingFang SC",' \
               '"Microsoft YaHei",sans-serif' in style and "max-width:" in style
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert len(ids) == len(set(ids)), name
        assert any(e.get("vector-effect") == "non-scaling-stroke" for e in root.iter()), name
        for e in root.iter():  # every url(#...) reference resolves inside the chart
            for ref in re.findall(r"url\(#([^)]+)\)", e.get("fill") or ""):
                assert ref in ids, (name, ref)


def test_fixed_texts_follow_lang():
    zh, en = all_charts("zh"), all_charts("en")
    assert all(q in zh["priority"] for q in ("优先改进", "继续保持", "次要改进", "暂缓关注"))
    assert all(q in en["priority"] for q in ("Improve first", "Keep up", "Improve later", "Low priority"))
    assert "公司基准" in zh["profile"] and "Company benchmark" in en["profile"]
    with pytest.raises(ValueError, match="lang='fr' is not supported"):
        profile_bars(profile_rows(), lo=1, hi=5, lang="fr")


@pytest.mark.parametrize("hostile", [EVIL, QUOTES])
def test_hostile_labels_render_as_text(hostile):
    for name, text in all_charts("zh", evil=hostile).items():
        root = parse(text)  # parses: nothing broke out of its element or attribute
        assert not any(e.tag.endswith("script") for e in root.iter()), name
        assert "<script" not in text, name
        texts = ["".join(e.itertext()) for e in root.iter() if e.tag in (f"{Q}text", f"{Q}title")]
        assert any(hostile in t for t in texts), name
        for a in root.iter(f"{Q}a"):
            assert not a.get("href").lower().startswith("javascript:")


def test_control_characters_are_dropped_not_fatal():
    root = parse(profile_bars([{"label": "a\x00b\x07c", "value": 3}], lo=1, hi=5))
    assert any("".join(e.itertext()) == "abc" for e in by_class(root, "hp-label"))


def test_same_input_gives_the_same_bytes_and_ids_follow_the_prefix():
    assert all_charts() == all_charts()
    a = heatmap(*heatmap_input(2))
    assert a == heatmap(*heatmap_input(2))  # default ids come from the content: stable
    rows, cols, cells = heatmap_input(2)
    cells[0][0] = 0.33
    b = heatmap(rows, cols, cells)
    ids = lambda s: {e.get("id") for e in parse(s).iter() if e.get("id")}
    assert ids(a).isdisjoint(ids(b))  # two different charts on one page do not share ids
    assert 'id="dist-7-hatch"' in heatmap(rows, cols, cells, id_prefix="dist-7")
    with pytest.raises(ValueError, match="id_prefix"):
        heatmap(rows, cols, cells, id_prefix='x" onload="alert(1)')


def test_long_labels_are_cut_with_the_full_text_in_a_title():
    long = "这是一个非常非常长的营业厅名称用来测试截断功能是否正常工作" * 2
    root = parse(profile_bars([{"label": long, "value": 3}], lo=1, hi=5))
    (text,) = by_class(root, "hp-label")
    assert text.find("s:title", NS).text == long
    shown = "".join(text.itertext())[len(long):]
    assert shown.endswith("…") and len(shown) < len(long)
    axis = by_class(root, "hp-axis")[0]
    assert svg_base.text_width(shown) <= f(axis, "x1") - f(text, "x")


def test_text_width_estimate():
    assert svg.text_width("营业厅", 10) == pytest.approx(30.0)  # 1 em per CJK character
    assert svg.text_width("score", 10) == pytest.approx(5 * 5.6)  # ≈0.55 em per Latin letter
    assert svg.text_width("（）", 10) == pytest.approx(20.0)  # fullwidth punctuation


def test_empty_and_bad_input_raise_clear_errors():
    for call in (lambda: profile_bars([], lo=1, hi=5), lambda: kpi_bullets([]),
                 lambda: priority_matrix([]), lambda: trend_lines([], waves=WAVES),
                 lambda: heatmap([], DIMS, []), lambda: favourable_bars([])):
        with pytest.raises(ValueError, match="is empty; nothing to draw"):
            call()
    with pytest.raises(ValueError, match="waves is empty"):
        trend_lines(trend_series(), waves=[])
    with pytest.raises(KeyError, match=r"rows\[0\] misses \['value'\]"):
        profile_bars([{"label": "a"}], lo=1, hi=5)
    with pytest.raises(ValueError, match="lo=5 must be below hi=1"):
        profile_bars(profile_rows(), lo=5, hi=1)
    with pytest.raises(ValueError, match=r"rows\[0\]\['value'\] = 'x' is not a number"):
        profile_bars([{"label": "a", "value": "x"}], lo=1, hi=5)
    with pytest.raises(ValueError, match="only one of ci_low and ci_high"):
        profile_bars([{"label": "a", "value": 3, "ci_low": 2}], lo=1, hi=5)
    with pytest.raises(ValueError, match=r"cells must be 1 rows × 2 columns"):
        heatmap(["a"], ["x", "y"], [[0.1]])
    with pytest.raises(ValueError, match="has 2 values for 3 waves"):
        trend_lines([{"label": "a", "values": [1, 2]}], waves=WAVES)
    with pytest.raises(ValueError, match="sum to 80, not 100"):
        favourable_bars([{"label": "a", "favourable": 50, "neutral": 20, "unfavourable": 10}])


def test_dataframes_with_empty_cells_draw_as_the_lists():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(profile_rows())
    assert profile_bars(frame, lo=1, hi=5, id_prefix="p") == profile_bars(profile_rows(), lo=1, hi=5,
                                                                           id_prefix="p")
    # missing optional fields come as NaN / pandas NA from a frame: same chart as None or absent
    kpis = pd.DataFrame(kpi_rows())
    assert kpis["lower_is_better"].isna().sum() == 4 and kpis["benchmark"].isna().any()
    assert kpi_bullets(kpis, id_prefix="k") == kpi_bullets(kpi_rows(), id_prefix="k")
    rows = pd.DataFrame({"label": ["a", "b"], "href": ["a.html", None], "group": pd.array(["x", pd.NA])})
    root = parse(heatmap(rows, ["d"], [[0.1], [pd.NA]]))
    assert len(list(root.iter(f"{Q}a"))) == 1 and len(by_class(root, "hp-group")) == 1
    assert len(by_class(root, "hp-blank")) == 1


def test_importing_and_drawing_needs_no_matplotlib():
    code = ("import sys; from analysis.report import svg; "
            "svg.kpi_bullets([{'label': 'a', 'value': 1, 'format': 'number'}]); "
            "svg.profile_bars([{'label': 'a', 'value': 3}], lo=1, hi=5); "
            "print(sorted(m for m in ('matplotlib', 'seaborn', 'numpy') if m in sys.modules))")
    src = str(Path(svg.__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})
    assert "matplotlib" not in out.stdout and "seaborn" not in out.stdout


# --- geometry --------------------------------------------------------------------------------

def test_profile_bar_width_is_proportional_to_the_value_and_clipped_intervals_end_at_the_axis():
    rows = profile_rows()
    root = parse(profile_bars(rows, lo=1, hi=5))
    axis = by_class(root, "hp-axis")[0]
    x0, x1 = f(axis, "x1"), f(axis, "x2")
    bars, cis = by_class(root, "hp-bar"), by_class(root, "hp-ci")
    assert len(bars) == len(cis) == len(rows)
    for r, bar, ci in zip(rows, bars, cis, strict=True):
        assert f(bar, "x") == pytest.approx(x0, abs=0.06)
        assert f(bar, "width") == pytest.approx((r["value"] - 1) / 4 * (x1 - x0), abs=0.11)
        lo, hi = max(r["ci_low"], 1), min(r["ci_high"], 5)
        assert f(ci, "x1") == pytest.approx(x0 + (lo - 1) / 4 * (x1 - x0), abs=0.11)
        assert f(ci, "x2") == pytest.approx(x0 + (hi - 1) / 4 * (x1 - x0), abs=0.11)
    # 顾客导向 4.85 + 0.35 > 5 ends exactly at the axis end; 工作负荷 1.1 − 0.3 < 1 at its start
    assert f(cis[3], "x2") == pytest.approx(x1, abs=0.06)
    assert f(cis[5], "x1") == pytest.approx(x0, abs=0.06)
    clips = by_class(root, "hp-clip")
    assert len(clips) == 2  # one arrowhead per clipped end, none elsewhere
    tips = sorted(float(c.get("points").split()[1].split(",")[0]) for c in clips)
    assert tips == pytest.approx([x0, x1], abs=0.06)
    values = ["".join(e.itertext()) for e in by_class(root, "hp-value")]
    assert values == [f"{r['value']:.2f}" for r in rows]  # printed, not colour alone
    # a value beyond the scale: the bar stops at the axis end and is marked
    root = parse(profile_bars([{"label": "a", "value": 5.6}], lo=1, hi=5))
    axis = by_class(root, "hp-axis")[0]
    assert f(by_class(root, "hp-bar")[0], "width") == pytest.approx(f(axis, "x2") - f(axis, "x1"), abs=0.11)
    assert len(by_class(root, "hp-clip")) == 1


def test_kpi_bar_is_proportional_on_its_own_scale():
    rows = kpi_rows()
    root = parse(kpi_bullets(rows))
    tracks, bars = by_class(root, "hp-track"), by_class(root, "hp-bar")
    assert len(tracks) == 5 and len(bars) == 4  # the withheld KPI has no bar
    ends = [e for e in root.iter(f"{Q}text") if e.get("text-anchor") == "end" and e.get("font-size") == "11"]
    for r, track, bar, end in zip(rows[:4], tracks, bars, ends, strict=False):
        top = "".join(end.itertext()).replace(",", "")
        scale = float(top[:-1]) / 100 if top.endswith("%") else float(top)
        assert scale >= max(v for k, v in r.items() if k.endswith(("value", "mean")) and v is not None)
        assert f(bar, "width") / f(track, "width") == pytest.approx(r["value"] / scale, abs=0.002)
    text = "".join(root.itertext())
    assert "1,520" in text and "91.2%" in text and "指引标准 95.0%" in text and "越低越好" in text


def test_priority_labels_do_not_overlap_and_hot_points_are_the_upper_right_quadrant():
    pts = priority_points()
    root = parse(priority_matrix(pts))
    boxes = [tuple(map(float, e.get("data-box").split())) for e in by_class(root, "hp-point-label")]
    assert len(boxes) == len(pts)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not svg_base.overlaps(a, b), (a, b)
    xc = sorted(p["importance"] for p in pts)[len(pts) // 2 - 1: len(pts) // 2 + 1]
    xc = sum(xc) / 2  # the median, the default split
    expected = sum(p["importance"] >= xc and p["gap"] >= 0 for p in pts)
    assert len(by_class(root, "hp-hot")) == expected + 1  # + the tinted quadrant
    # an explicit highlight overrides the quadrant rule
    root = parse(priority_matrix([{**p, "highlight": i == 0} for i, p in enumerate(pts)]))
    assert len([e for e in by_class(root, "hp-point") if "hp-hot" in e.get("class")]) == 1


def _legend_extent(root: ET.Element) -> tuple[float, float, float, float]:
    """Bounding box (x0, y0, x1, y1) of the legend's drawn elements (texts by estimated width)."""
    (group,) = by_class(root, "hp-legend")
    xs, ys = [], []
    for e in group.iter():
        if e.tag == f"{Q}line":
            xs += [f(e, "x1"), f(e, "x2")]
            ys += [f(e, "y1"), f(e, "y2")]
        elif e.tag == f"{Q}text":
            x, y, size = f(e, "x"), f(e, "y"), float(e.get("font-size") or 12)
            xs += [x, x + svg_base.text_width("".join(e.itertext()), size)]
            ys += [y - size, y]
        elif e.tag in (f"{Q}polygon", f"{Q}circle", f"{Q}rect"):
            if e.tag == f"{Q}circle":
                xs.append(f(e, "cx"))
                ys.append(f(e, "cy"))
            elif e.tag == f"{Q}rect":
                xs.append(f(e, "x"))
                ys.append(f(e, "y"))
            else:
                for p in e.get("points").split():
                    x, y = map(float, p.split(","))
                    xs.append(x)
                    ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize("position", ["below", "right"])
def test_trend_legend_is_outside_the_plot_area(position):
    series = trend_series()
    root = parse(trend_lines(series, waves=WAVES, legend_position=position, lo=1, hi=5))
    (plot,) = by_class(root, "hp-plot")
    px0, py0 = f(plot, "x"), f(plot, "y")
    px1, py1 = px0 + f(plot, "width"), py0 + f(plot, "height")
    lx0, ly0, lx1, ly1 = _legend_extent(root)
    assert lx1 < px0 or lx0 > px1 or ly1 < py0 or ly0 > py1  # the boxes do not intersect
    if position == "below":
        assert ly0 > py1
    else:
        assert lx0 > px1
    assert len(by_class(root, "hp-line")) == len(series)
    assert len(by_class(root, "hp-ci")) == len(series) * len(WAVES)
    for line in by_class(root, "hp-line"):  # the lines stay inside the plot area
        for p in line.get("points").split():
            x, y = map(float, p.split(","))
            assert px0 <= x <= px1 and py0 <= y <= py1


def test_trend_missing_wave_breaks_the_line():
    root = parse(trend_lines([{"label": "a", "values": [3.0, None, 3.5, 3.6]}], waves=["1", "2", "3", "4"]))
    assert [len(e.get("points").split()) for e in by_class(root, "hp-line")] == [2]


def test_heatmap_blank_cells_have_no_text_and_values_are_printed():
    rows, cols, cells = heatmap_input()
    root = parse(heatmap(rows, cols, cells, k=5))
    blank, filled = by_class(root, "hp-blank"), [e for e in by_class(root, "hp-cell")
                                                 if "hp-blank" not in e.get("class")]
    n_none = sum(v is None for r in cells for v in r)
    assert n_none > 0 and len(blank) == n_none and len(filled) == 60 * 8 - n_none
    values = by_class(root, "hp-cell-value")
    assert len(values) == len(filled)
    for b in blank:
        x, y, w, h = (f(b, k) for k in ("x", "y", "width", "height"))
        assert b.get("fill").startswith("url(#")
        assert not any(x <= f(t, "x") <= x + w and y <= f(t, "y") <= y + h for t in values)
        assert "".join(b.itertext()) and not re.search(r"\d\.\d", "".join(b.itertext()))
    printed = sorted("".join(t.itertext()) for t in values)
    expected = sorted(svg_base.fmt(v, 2, signed=True) for r in cells for v in r if v is not None)
    assert printed == expected
    assert len(by_class(root, "hp-group")) == 3 and len(list(root.iter(f"{Q}a"))) == 60
    assert "不足 5 人，不显示" in "".join(root.itertext())
    # diverging: sign decides the hue, zero is near white, the limit is the darkest
    assert svg_heatmap.diverging(0.0) == "#f7f7f7"
    assert svg_heatmap.diverging(1.0) == "#2166ac" and svg_heatmap.diverging(-1.0) == "#b35806"
    assert svg_heatmap.diverging(5.0) == svg_heatmap.diverging(1.0)


def test_heatmap_headers_stay_inside_the_chart():
    rows, _, cells = heatmap_input(1)
    text = heatmap(rows, ["一个相当长的维度名称用于测试"] * 8, cells)
    root = parse(text)
    width = float(root.get("viewBox").split()[2])
    cos = svg_heatmap._COS
    for e in by_class(root, "hp-col"):
        x = float(re.search(r"translate\(([\d.]+)", e.get("transform")).group(1))
        shown = "".join(t for t in e.itertext())
        title = e.find("s:title", NS)
        shown = shown[len(title.text):] if title is not None else shown
        assert x + cos * svg_base.text_width(shown, 11) <= width


def test_favourable_segments_fill_the_bar():
    items = favourable_items()
    root = parse(favourable_bars(items))
    axis = by_class(root, "hp-axis")[0]
    full = f(axis, "x2") - f(axis, "x1")
    segs = by_class(root, "hp-seg")
    assert len(segs) == 3 * len(items)
    for i, item in enumerate(items):
        row = segs[3 * i: 3 * i + 3]
        assert sum(f(s, "width") for s in row) == pytest.approx(full, abs=0.2)
        total = item["favourable"] + item["neutral"] + item["unfavourable"]
        assert f(row[0], "width") == pytest.approx(full * item["favourable"] / total, abs=0.06)
        assert f(row[0], "x") == pytest.approx(f(axis, "x1"), abs=0.06)
    benches = by_class(root, "hp-benchmark")
    for item, b in zip(items, benches, strict=True):
        assert f(b, "x1") == pytest.approx(f(axis, "x1") + full * item["benchmark"] / 100, abs=0.06)
    text = "".join(root.itertext())
    assert "72%" in text and "基准 68%" in text
    # a 3 % segment is too narrow for its number: none is printed over it
    assert "".join(by_class(root, "hp-value")[4].itertext()) == "3%"


# --- browser: real fonts, real layout ------------------------------------------------------

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)


def _page_html(charts: dict[str, str]) -> str:
    figures = "".join(f'<figure id="{k}">{v}</figure>' for k, v in charts.items())
    return ('<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<style>body{margin:0;padding:16px} figure{margin:0 0 24px}</style></head>"
            f"<body>{figures}</body></html>")


_MEASURE = """() => {
  const out = {};
  for (const fig of document.querySelectorAll('figure')) {
    const svg = fig.querySelector('svg'); const box = svg.getBoundingClientRect();
    const outside = [];
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.left < box.left - 1 || r.right > box.right + 1) outside.push(t.textContent);
    }
    const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    out[fig.id] = {outside,
      labels: [...svg.querySelectorAll('.hp-point-label')].map(rect),
      legend: [...svg.querySelectorAll('.hp-legend')].map(rect),
      plot: [...svg.querySelectorAll('.hp-plot')].map(rect),
      rowLabels: [...svg.querySelectorAll('.hp-label')].map(rect),
      axis: [...svg.querySelectorAll('.hp-axis')].map(rect)};
  }
  return out;
}"""


def _meets(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (run 'make browser' as root)")
def test_charts_in_chromium_at_phone_and_desktop_width(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from analysis.pipeline.pdf import CHROMIUM_ARGS

    charts = all_charts("zh", evil=EVIL)
    charts.update({f"{k}_en": v for k, v in all_charts("en").items() if k in ("priority", "kpi", "favourable")})
    charts["long_latin"] = profile_bars([{"label": "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", "value": 3},
                                         {"label": "服务" * 30, "value": 4}], lo=1, hi=5, id_prefix="ll")
    page_file = tmp_path / "charts.html"
    page_file.write_text(_page_html(charts), encoding="utf-8")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in (390, 1000):
                page = browser.new_page(viewport={"width": width, "height": 900})
                errors: list[str] = []
                dialogs: list[str] = []
                page.on("console", lambda m, out=errors: out.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e, out=errors: out.append(str(e)))
                page.on("dialog", lambda d, out=dialogs: (out.append(d.message), d.dismiss()))
                page.goto(page_file.as_uri(), wait_until="load")
                page.evaluate("document.fonts.ready")
                assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), width
                for name in charts:
                    shot = tmp_path / f"svg_{name}_{width}.png"
                    page.locator(f"#{name}").screenshot(path=str(shot))
                    assert shot.stat().st_size > 2_000
                measured = page.evaluate(_MEASURE)
                for name, m in measured.items():
                    assert m["outside"] == [], (name, width, m["outside"])  # text fits the chart
                    for i, a in enumerate(m["labels"]):  # real label boxes do not collide
                        for b in m["labels"][i + 1:]:
                            assert not _meets(a, b), (name, width, a, b)
                    for legend in m["legend"]:
                        for plot in m["plot"]:
                            assert not _meets(legend, plot), (name, width)
                    if name in ("profile", "long_latin", "favourable"):  # labels end before the bars
                        left = min(a[0] for a in m["axis"])
                        assert all(r[2] <= left + 0.5 for r in m["rowLabels"]), (name, width)
                assert errors == [] and dialogs == []
                assert page.evaluate("document.querySelectorAll('script').length") == 0
                page.close()
        finally:
            browser.close()
