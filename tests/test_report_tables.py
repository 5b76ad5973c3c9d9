"""Table exports (APA and 三线表) and the HTML index page of analysis.report."""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn

from analysis.report.html import write_index
from analysis.report.tables import (THICK_RULE, THIN_RULE, DocxBuilder, RenderedTable, export_table, format_number,
                                    format_p, format_table, latex_document, latex_table, plan_table, stars, tex_text)
from analysis.report.tables_cells import cell_kind, column_kinds, header_lines, split_number, text_units

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
    outer = THICK_RULE if layout == "three_line" else THIN_RULE  # 三线表: 1.5 pt; APA: three 0.75 pt rules
    assert tbl["top"] == ("single", str(outer))
    assert tbl["bottom"] == ("single", str(outer))
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
        assert title.text == "回归结果" and not title.italic  # no italic Chinese
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
    begin = next(line for line in tex.splitlines() if line.startswith("\\begin{tabular"))
    assert "|" not in begin and begin.count("S[") == 5  # estimate, se, r, p, n: numbers in siunitx columns
    order = [tex.index(k) for k in ("\\toprule", "\\midrule", "\\bottomrule")]
    assert order == sorted(order)
    assert "x\\_1 \\& y" in tex and "\\caption{结果\\_1 \\& 2}\\label{tab:t}" in tex and "50\\%" in tex
    assert "& -0.081 &" in tex  # the number as it is, parsed and aligned by siunitx
    assert "\\begin{threeparttable}" in tex and "\\begin{tablenotes}" in tex


def test_latex_number_columns_keep_the_rendered_leading_zeros():
    t = RenderedTable("x", "t", pd.DataFrame({"r": ["(.74)", ".25***", "-.08*", ""], "p": ["< .001", ".023", "> .999", "—"],
                                              "m": ["0.98", "12.50", "3.47", "1.00"]}), ["r", "p", "M"], [True] * 3)
    tex, orientation = latex_table(t)
    assert orientation == "portrait"
    assert "S[table-format=-0.2{***},print-zero-integer=false]" in tex  # .25 stays .25
    assert "S[table-format={$<$ }0.3,print-zero-integer=false]" in tex and "{$<$ }.001" in tex
    assert "S[table-format=2.2]" in tex  # 0.98 keeps its zero
    assert "{(.74)}" in tex and "{—}" in tex  # a diagonal value and a dash are text in the column
    assert "{$p$}" in tex and "{$M$}" in tex  # statistics' symbols in italics


@pytest.mark.parametrize(("text", "tex"), [
    ("α 系数", "$\\alpha$ 系数"), ("ω", "$\\omega$"), ("χ²/df", "$\\chi ^{2}$/df"), ("ΔCFI", "$\\Delta$CFI"),
    ("≥ .70", "$\\geq$ .70"), ("≤ .08", "$\\leq$ .08"), ("c′", "c$'$"), ("a−b", "a$-$b"), ("a×b", "a$\\times$b"),
    ("β τ σ η ρ", "$\\beta$ $\\tau$ $\\sigma$ $\\eta$ $\\rho$"), ("-0.5", "$-$0.5"), ("p < .05", "p $<$ .05"),
    ("R² 50% #1 a_b {x} ~", "R$^{2}$ 50\\% \\#1 a\\_b \\{x\\} \\textasciitilde{}"),
])
def test_tex_text_sets_symbols_in_math_mode(text, tex):
    assert tex_text(text) == tex


def test_cells_kinds_widths_and_header_lines():
    assert [cell_kind(x) for x in ("", "—", ".25***", "(.74)", "< .001", "[0.01, 0.20]", "通过")] == \
        ["empty", "dash", "number", "number", "number", "interval", "text"]
    assert split_number("-0.081*") == ("", "", "-0.081", "*")
    cells = pd.DataFrame({"a": ["x", "y"], "b": [".25***", ""], "c": ["[.1, .2]", "—"], "d": ["1", "[.1, .2]"]})
    assert column_kinds(cells) == ["text", "number", "interval", "mixed"]
    assert text_units("营业厅 A1") == 9
    assert header_lines("RMSEA 90% CI") == ["RMSEA", "90% CI"] and header_lines("SRMR") == ["SRMR"]


def _wide(columns: int) -> RenderedTable:
    frame = pd.DataFrame({"variable": ["1. 绩效反馈与结果运用", "2. 目标设定"],
                          **{str(j): [".25***", "-.08*"] for j in range(1, columns + 1)}})
    return RenderedTable("wide", "宽表", frame, ["变量", *map(str, range(1, columns + 1))], [False] + [True] * columns)


def test_wide_tables_go_landscape_narrow_ones_stay_portrait():
    narrow, wide = _wide(3), _wide(18)
    assert plan_table(narrow).orientation == "portrait" and plan_table(wide).orientation == "landscape"
    for t in (narrow, wide):
        plan = plan_table(t)
        limit = {"portrait": 453.5, "landscape": 700.2}[plan.orientation]
        assert sum(plan.widths) == pytest.approx(limit, abs=0.5)  # spans the text width ...
        assert plan.widths[0] > plan.widths[1]  # ... in proportion to the content
    tex, orientation = latex_table(wide)
    assert orientation == "landscape" and tex.startswith("\\begin{landscape}")
    assert "\\begin{adjustbox}{max width=\\linewidth}" in tex
    tex, orientation = latex_table(narrow)
    assert orientation == "portrait" and "\\begin{tabular*}{\\linewidth}" in tex


def test_docx_document_is_a4_with_a_landscape_section_fonts_and_decimal_tabs():
    from docx.enum.text import WD_TAB_ALIGNMENT

    builder = DocxBuilder(lang="zh", layout="three_line", title="表格")
    builder.add_table(_wide(3))
    builder.add_table(_wide(18))
    import io

    document = docx.Document(io.BytesIO(builder.to_bytes()))
    sizes = [(round(s.page_width.cm, 1), round(s.page_height.cm, 1)) for s in document.sections]
    assert sizes == [(21.0, 29.7), (29.7, 21.0)]
    for table in document.tables:
        first, number = table.rows[1].cells[0], table.rows[1].cells[1]
        assert not first.paragraphs[0].paragraph_format.tab_stops
        (tab,) = number.paragraphs[0].paragraph_format.tab_stops
        assert tab.alignment == WD_TAB_ALIGNMENT.DECIMAL
        fonts = number.paragraphs[0].runs[0]._element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == "宋体" and fonts.get(qn("w:ascii")) == "Times New Roman"
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "宋体"


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex (texlive-xetex, texlive-lang-chinese) is not installed")
def test_a_table_fragment_compiles_inside_the_preamble(tmp_path):
    tex = export_table(RESULT, tmp_path / "t", title="回归结果 α ≥ .70", number=1, note="χ² 与 ΔCFI，c′。",
                       formats=("tex",), star_columns={"estimate": "p"})["tex"].read_text("utf-8")
    (tmp_path / "doc.tex").write_text(latex_document([tex]), encoding="utf-8")
    run = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-2000:]
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert all(float(x) <= 1.0 for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt", log))


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
