"""Table exports (APA and 三线表) and the HTML index page of analysis.report."""

from __future__ import annotations

import math

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn

from analysis.report.html import write_index
from analysis.report.tables import (THICK_RULE, THIN_RULE, export_table, format_number, format_p,
                                    format_table, stars)

RESULT = pd.DataFrame({
    "term": ["服务氛围", "主管支持", "x_1 & y"],
    "estimate": [0.523456, -0.081234, 12.5],
    "se": [0.1, 0.2049, 0.3],
    "r": [0.4567, -0.0804, float("nan")],
    "p": [0.0004, 0.0234, 0.5],
    "n": [120, 98, 77],
})


# --------------------------------------------------------------------------- number rules
@pytest.mark.parametrize(("p", "text"), [
    (0.0004, "< .001"), (0.000999, "< .001"), (0.001, ".001"), (0.0234, ".023"),
    (0.05, ".050"), (0.5, ".500"), (0.99949, ".999"), (0.9996, "> .999"), (1.0, "> .999"),
    (float("nan"), ""),
])
def test_format_p_follows_apa(p, text):
    # APA 7 §6.36: exact p to three decimals, no leading zero, "< .001" below .001
    assert format_p(p) == text


def test_format_p_rejects_out_of_range():
    with pytest.raises(ValueError, match="outside"):
        format_p(5.0)


@pytest.mark.parametrize(("x", "kwargs", "text"), [
    (0.523456, {}, "0.523"), (0.523456, {"leading_zero": False}, ".523"),
    (-0.0804, {"leading_zero": False}, "-.080"), (-0.0004, {}, "0.000"),
    (12.5, {"decimals": 2}, "12.50"), (1.0, {"leading_zero": False}, "1.000"),
    (None, {}, ""),
])
def test_format_number(x, kwargs, text):
    assert format_number(x, **kwargs) == text


def test_stars_thresholds():
    assert [stars(p) for p in (0.0009, 0.001, 0.0099, 0.01, 0.049, 0.05, float("nan"))] == \
        ["***", "**", "**", "*", "*", "", ""]


def test_format_table_rounds_only_the_rendering():
    before = RESULT.copy(deep=True)
    cells, numeric = format_table(RESULT, {"se": 2}, star_columns={"estimate": "p"})
    assert RESULT.equals(before)  # inputs keep full precision
    assert cells.loc[0].tolist() == ["服务氛围", "0.523***", "0.10", ".457", "< .001", "120"]
    assert cells.loc[1, "estimate"] == "-0.081*" and cells.loc[1, "r"] == "-.080"
    assert cells.loc[2, "r"] == ""
    assert numeric == [False, True, True, True, True, True]
    with pytest.raises(KeyError, match="missing_col"):
        format_table(RESULT, {"missing_col": 2})


# --------------------------------------------------------------------------- files
def _borders(el, tag):
    node = el.find(qn(tag))
    return {child.tag.split("}")[1]: (child.get(qn("w:val")), child.get(qn("w:sz")))
            for child in node} if node is not None else {}


@pytest.mark.parametrize("layout", ["apa", "three_line"])
def test_docx_has_three_rules_and_no_vertical_lines(tmp_path, layout):
    paths = export_table(RESULT, tmp_path / "t1", title="回归结果", number=1, note="样本：营业厅员工。",
                         layout=layout, star_columns={"estimate": "p"}, labels={"term": "变量"})
    assert set(paths) == {"csv", "md", "tex", "docx"} and all(p.exists() for p in paths.values())
    document = docx.Document(str(paths["docx"]))
    (table,) = document.tables
    tbl = _borders(table._tbl.tblPr, "w:tblBorders")
    assert tbl["top"] == ("single", str(THICK_RULE))
    assert tbl["bottom"] == ("single", str(THICK_RULE))
    for side in ("left", "right", "insideH", "insideV"):
        assert tbl[side][0] == "nil", side
    for cell in table.rows[0].cells:
        assert _borders(cell._tc.tcPr, "w:tcBorders") == {"bottom": ("single", str(THIN_RULE))}
    for row in table.rows[1:]:
        for cell in row.cells:
            assert cell._tc.tcPr is None or cell._tc.tcPr.find(qn("w:tcBorders")) is None
    assert [c.text for c in table.rows[0].cells] == ["变量", "estimate", "se", "r", "p", "n"]
    assert [c.text for c in table.rows[1].cells] == ["服务氛围", "0.523***", "0.100", ".457",
                                                      "< .001", "120"]
    texts = [p.text for p in document.paragraphs]
    if layout == "apa":
        number, title = document.paragraphs[0].runs[0], document.paragraphs[1].runs[0]
        assert number.text == "表 1" and number.bold
        assert title.text == "回归结果" and title.italic
    else:
        assert texts[0] == "表1 回归结果" and document.paragraphs[0].runs[0].bold
    assert texts[-1].startswith("注：样本：营业厅员工。") and "*** p < .001" in texts[-1]


def test_apa_english_docx_note_label(tmp_path):
    paths = export_table(RESULT, tmp_path / "t", title="Regression of sales", number=2,
                         note="Standard errors are robust.", lang="en", formats=("docx",))
    document = docx.Document(str(paths["docx"]))
    assert document.paragraphs[0].text == "Table 2" and document.paragraphs[0].runs[0].bold
    assert document.paragraphs[1].runs[0].italic
    note = document.paragraphs[-1]
    assert note.runs[0].text.strip() == "Note." and note.runs[0].italic


@pytest.mark.parametrize("layout", ["apa", "three_line"])
def test_latex_has_exactly_three_rules(tmp_path, layout):
    tex = export_table(RESULT, tmp_path / "t", title="结果_1 & 2", number=3, note="注意 50%",
                       layout=layout, formats=("tex",))["tex"].read_text("utf-8")
    assert tex.count("\\toprule") == 1 and tex.count("\\midrule") == 1
    assert tex.count("\\bottomrule") == 1
    assert "\\hline" not in tex and "\\cline" not in tex
    spec = tex.split("\\begin{tabular}{")[1].split("}")[0]
    assert "|" not in spec and len(spec) == RESULT.shape[1]
    order = [tex.index(k) for k in ("\\toprule", "\\midrule", "\\bottomrule")]
    assert order == sorted(order)
    assert "x\\_1 \\& y" in tex and "结果\\_1 \\& 2" in tex and "50\\%" in tex
    assert "$-$0.081" in tex


def test_csv_and_markdown_content(tmp_path):
    paths = export_table(RESULT, tmp_path / "t", title="结果", number=1, formats=("csv", "md"),
                         drop=("se",), decimals={"estimate": 2})
    csv = paths["csv"].read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Chinese CSV correctly
    back = pd.read_csv(paths["csv"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back.columns.tolist() == ["term", "estimate", "r", "p", "n"]
    assert back["estimate"].tolist() == ["0.52", "-0.08", "12.50"]
    md = paths["md"].read_text("utf-8")
    assert "| x\\_1 & y |" in md and "**表 1**" in md and "*结果*" in md
    assert md.count("\n|") == 1 + 1 + len(RESULT)


def test_export_table_names_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="layout"):
        export_table(RESULT, tmp_path / "t", title="x", layout="booktabs")
    with pytest.raises(ValueError, match="formats"):
        export_table(RESULT, tmp_path / "t", title="x", formats=("xlsx",))
    with pytest.raises(KeyError, match="nope"):
        export_table(RESULT, tmp_path / "t", title="x", labels={"nope": "y"})
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- HTML index
def test_index_escapes_every_data_text(tmp_path):
    evil = "<script>document.title='owned'</script>"
    rows = [{"branch": evil, "href": "reports/<x>.html", "n": 12, "score": 3.5},
            {"branch": "解放路营业厅", "href": "reports/解放路营业厅.html", "n": 8, "score": math.nan}]
    path = write_index(rows, tmp_path / "index.html", {"branch": "营业厅", "n": "人数", "score": evil})
    page = path.read_text("utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;document.title=&#x27;owned&#x27;&lt;/script&gt;" in page
    assert '<meta charset="utf-8">' in page
    assert '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif' in page
    assert "解放路营业厅" in page and 'href="reports/%3Cx%3E.html"' in page
