"""Style, fonts, reproducible figure files and the generic figure helpers (analysis.report)."""

from __future__ import annotations

import logging
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.report import figures  # noqa: E402
from analysis.report.style import (SANS_FAMILY, SERIF_FAMILY, register_fonts,  # noqa: E402
                                   save_figure, use_style)

CHINESE = "营业厅外呼量（每日）与转化率：服务态度、产品知识"


@pytest.fixture(autouse=True)
def _style():
    use_style("zh")
    yield
    plt.close("all")
    matplotlib.rcdefaults()


def _chinese_figure():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["营业厅甲", "营业厅乙"], [3.2, -1.5])
    ax.set_title(CHINESE)
    ax.set_ylabel("均值（−1 到 5）")
    return fig


def _missing_glyph_messages(draw, caplog) -> list[str]:
    """Render a figure to PNG and return every 'missing glyph' warning or log record."""
    caplog.clear()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        fig = draw()
        fig.canvas.draw()
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    return [m for m in messages if "missing from" in m or "Glyph" in m]


def test_bundled_fonts_are_registered():
    assert register_fonts() == (SANS_FAMILY, SERIF_FAMILY)
    names = {f.name for f in matplotlib.font_manager.fontManager.ttflist}
    assert {SANS_FAMILY, SERIF_FAMILY} <= names
    assert matplotlib.rcParams["font.sans-serif"][0] == SANS_FAMILY
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    assert matplotlib.rcParams["svg.fonttype"] == "path"
    assert matplotlib.rcParams["pdf.fonttype"] == 42
    assert matplotlib.rcParams["savefig.dpi"] == 300


def test_chinese_text_has_no_missing_glyphs(caplog):
    assert _missing_glyph_messages(_chinese_figure, caplog) == []


def test_missing_glyph_check_detects_fallback(caplog):
    # Control: the check above must be able to fail. With a Latin-only font the same figure
    # triggers matplotlib's "Glyph ... missing from font(s)" warning.
    matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]
    assert _missing_glyph_messages(_chinese_figure, caplog)


def test_use_style_is_independent_of_previous_state():
    use_style("zh")
    clean = dict(matplotlib.rcParams)
    matplotlib.rcParams["lines.linewidth"] = 9
    matplotlib.rcParams["font.size"] = 3
    use_style("zh")
    assert dict(matplotlib.rcParams) == clean
    with pytest.raises(ValueError, match="lang"):
        use_style("fr")


def test_save_figure_is_byte_reproducible_and_atomic(tmp_path):
    first = save_figure(_chinese_figure(), tmp_path / "a" / "fig")
    second = save_figure(_chinese_figure(), tmp_path / "b" / "fig")
    assert [p.suffix for p in first] == [".png", ".svg", ".pdf"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix
    png = first[0].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"Software" not in png
    # 300 dpi is recorded in the pHYs chunk as pixels per metre (300 / 0.0254 = 11811)
    assert (11811).to_bytes(4, "big") * 2 in png
    svg = first[1].read_text("utf-8")
    assert "<dc:date>" not in svg and "<text" not in svg  # text stored as paths
    assert b"CreationDate" not in first[2].read_bytes()
    leftovers = [p.name for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]
    assert leftovers == []
    with pytest.raises(ValueError, match="jpg"):
        save_figure(_chinese_figure(), tmp_path / "x", ("jpg",))


# --------------------------------------------------------------------------- figure helpers
PROFILE = pd.DataFrame({
    "dimension": ["服务态度", "产品知识", "营销技巧", "团队协作"],
    "score": [3.8, 3.2, 2.9, 4.1], "ci_low": [3.6, 3.0, 2.6, 3.9], "ci_high": [4.0, 3.4, 3.2, 4.3],
    "benchmark": [3.9, 3.5, 3.3, 3.8], "importance": [0.41, 0.33, 0.52, 0.18],
    "gap": [0.1, 0.3, 0.4, -0.3],
})
KPI = pd.DataFrame({"kpi": ["外呼量", "转化率"], "unit": ["次/日", "%"], "value": [14.0, 8.5],
                    "district": [17.0, 9.0], "company": [18.5, 10.2], "guide": [20.0, None]})
TREND = pd.DataFrame({"wave": ["2025H1", "2025H2", "2026H1"] * 2, "group": ["本厅"] * 3 + ["区县"] * 3,
                      "value": [3.1, 3.3, 3.5, 3.4, 3.4, 3.5]})

DRAWINGS = {
    "bar_profile": lambda: figures.bar_profile(PROFILE, "score", "dimension", "benchmark",
                                               "ci_low", "ci_high", title="各维度得分与基准",
                                               xlim=(1, 5)),
    "priority_matrix": lambda: figures.priority_matrix(PROFILE, "importance", "gap", "dimension",
                                                       gap_cut=0, title="改进优先级"),
    "kpi_bullets": lambda: figures.kpi_bullets(KPI, "kpi", "value", target="guide", unit="unit",
                                               references={"district": "区县均值",
                                                           "company": "公司均值"},
                                               title="关键指标"),
    "forest": lambda: figures.forest(PROFILE, "dimension", "score", "ci_low", "ci_high", null=3.5,
                                     title="系数与置信区间"),
    "trend": lambda: figures.trend(TREND, "wave", "value", "group", title="三期趋势",
                                   ylabel="满意度"),
}


@pytest.mark.parametrize("name", sorted(DRAWINGS))
def test_figure_helpers_render_chinese_deterministically(name, tmp_path, caplog):
    assert _missing_glyph_messages(DRAWINGS[name], caplog) == []
    fig = DRAWINGS[name]()
    assert isinstance(fig, matplotlib.figure.Figure)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts)
    a = save_figure(fig, tmp_path / "a", ("png",))[0].read_bytes()
    b = save_figure(DRAWINGS[name](), tmp_path / "b", ("png",))[0].read_bytes()
    assert a == b


def test_figure_helpers_name_bad_input():
    with pytest.raises(KeyError, match="nope"):
        figures.bar_profile(PROFILE, "nope", "dimension")
    with pytest.raises(ValueError, match="does not contain"):
        figures.forest(PROFILE, "dimension", "gap", "ci_low", "ci_high")
    with pytest.raises(ValueError, match="both"):
        figures.bar_profile(PROFILE, "score", "dimension", ci_low="ci_low")
