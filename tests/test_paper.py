"""The paper export (``hallperf paper``) on the results of the bundled sample wave.

Word: A4 in every section, landscape only where a table needs it, column widths from content and
within the text width, 宋体 + Times New Roman on every run, decimal tabs in numeric cells, and —
rendered by LibreOffice — every cell of every table in the PDF text, on pages of A4 size, nothing
outside a page. LaTeX: one document that compiles with XeLaTeX, no overfull box above 1 pt, every
table with ``\\caption`` and ``\\label``, every symbol (α, ω, χ², Δ, ≥, ′) and every number in the
PDF text. Tables are numbered in the study file's ``paper:`` order; an unknown name is a one-line
error. The renderer tests skip with the reason where soffice, xelatex or pdftotext are missing.
"""

from __future__ import annotations

import collections
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from conftest import SURVEYS

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
XELATEX = shutil.which("xelatex")
PDFTOTEXT = shutil.which("pdftotext") if shutil.which("pdfinfo") else None  # both from poppler-utils
A4_PT = (595.3, 841.9)


def hallperf(*args, cwd):
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)


@pytest.fixture(scope="module")
def paper_dir(sample_results, tmp_path_factory):
    """``hallperf paper --wave sample`` run as a user runs it, on a copy of the sample results."""
    base = tmp_path_factory.mktemp("paper")
    shutil.copytree(sample_results, base / "output" / "sample" / "results")
    result = hallperf("paper", "--wave", "sample", "--out", str(base / "output"), cwd=base)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("paper: "), result.stderr
    return base / "output" / "sample" / "paper"


@pytest.fixture(scope="module")
def paper(paper_dir, sample_results):
    """The Paper object behind the files (the same results and study file)."""
    from analysis.report.paper import Paper
    from analysis.report.study import StudyReport

    return Paper(StudyReport(paper_dir.parent / "results", study_path=SURVEYS / "study.yml"))


def _norm(text: str) -> str:
    """Text as compared with a PDF's: compatibility forms (χ² → χ2), one minus, one delta, no white space."""
    text = unicodedata.normalize("NFKC", text).replace("−", "-").replace("∆", "Δ")
    return re.sub(r"\s+", "", text)


def _pdftext(pdf: Path) -> str:
    out = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out


def _check_pdf_holds_tables(pdf: Path, tables, where: str) -> None:
    """Every number of every table verbatim, and every character of every cell, header and title."""
    from analysis.report.tables_cells import cell_kind

    raw = _pdftext(pdf)
    text = _norm(raw)
    missing = []
    wanted: collections.Counter[str] = collections.Counter()
    for t in tables:
        for j, col in enumerate(t.cells.columns):
            for v in t.cells[col]:
                v = str(v)
                if cell_kind(v) in ("number", "interval") and _norm(v) not in text:
                    missing.append(f"{t.name}[{t.header[j]}]: {v!r}")
                wanted.update(_norm(v))
        wanted.update(_norm("".join(t.header) + t.title))
    assert not missing, f"{where}: numbers not in the PDF: {missing[:10]}"
    have = collections.Counter(text)
    short = {ch: n - have[ch] for ch, n in wanted.items() if have[ch] < n}
    assert not short, f"{where}: characters missing from the PDF text: {dict(list(short.items())[:20])}"


# --------------------------------------------------------------------------- the files
def test_the_verb_writes_every_file(paper_dir, paper):
    from PIL import Image

    manifest = json.loads((paper_dir / "manifest.json").read_text(encoding="utf-8"))
    study = yaml.safe_load((SURVEYS / "study.yml").read_text(encoding="utf-8"))
    assert [t["name"] for t in manifest["tables"]] == study["paper"]["tables"]
    assert [t["number"] for t in manifest["tables"]] == list(range(1, len(study["paper"]["tables"]) + 1))
    assert [f["name"] for f in manifest["figures"]] == study["paper"]["figures"]
    assert manifest["layout"] == "three_line"
    for name in study["paper"]["tables"]:
        csv = (paper_dir / "tables" / f"{name}.csv").read_bytes()
        assert csv.startswith(b"\xef\xbb\xbf")
    for name in study["paper"]["figures"]:
        with Image.open(paper_dir / "figures" / f"{name}.png") as image:
            assert round(image.info["dpi"][0]) == 300
        pdf = (paper_dir / "figures" / f"{name}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and b"/Subtype /Image" not in pdf  # vector, no raster inside
    md = (paper_dir / "paper.md").read_text(encoding="utf-8")
    captions = re.findall(r"^\*\*表(\d+) ", md, re.MULTILINE)
    assert captions == [str(i) for i in range(1, len(study["paper"]["tables"]) + 1)]
    assert "![" in md and "figures/H2_indirect.png" in md


def test_default_selection_when_the_study_file_has_no_paper_key(paper):
    from analysis.report.paper import default_figures, default_tables

    tables = default_tables(paper.report)
    assert tables[:5] == ["correlations", "staff_reliability_validity", "staff_cfa_fit", "staff_htmt",
                          "staff_common_method"]
    hypotheses = [h.id for h in paper.report.study.hypotheses]
    assert [n.split("_")[0] for n in tables if n[0] == "H"] == hypotheses  # one main table each
    assert "H1_steps" in tables and "H2_effects" in tables
    assert default_figures(paper.report) == ["H2_indirect", "H4_simple_slopes", "H5_conditional_indirect"]


# --------------------------------------------------------------------------- Word
def _sections_of_tables(document):
    """The section (python-docx Section) each table of the document body lies in."""
    from docx.oxml.ns import qn

    sections = list(document.sections)
    out, k = [], 0
    for el in document.element.body.iterchildren():
        if el.tag == qn("w:tbl"):
            out.append(sections[k])
        elif el.tag == qn("w:p") and el.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            k += 1
    return out


def test_docx_is_a4_with_widths_from_content_and_fonts(paper_dir, paper):
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Length

    document = docx.Document(paper_dir / "paper.docx")
    assert len(document.tables) == len(paper.tables)
    for section in document.sections:
        dims = sorted((round(section.page_width.cm, 2), round(section.page_height.cm, 2)))
        assert dims == [21.0, 29.7], "every section A4"
        landscape = section.page_width > section.page_height
        assert (section.orientation == WD_ORIENT.LANDSCAPE) == landscape
    placed = _sections_of_tables(document)
    orientation = {t.name: "landscape" if s.page_width > s.page_height else "portrait"
                   for t, s in zip(paper.tables, placed)}
    assert orientation["correlations"] == "landscape"  # 15 numbered columns do not fit portrait
    assert orientation["staff_reliability_validity"] == "portrait"
    assert list(orientation.values()).count("portrait") > len(orientation) / 2
    for t, table, section in zip(paper.tables, document.tables, placed):
        text_width = Length(section.page_width - section.left_margin - section.right_margin)
        widths = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(widths) <= text_width.twips + 20, t.name  # within the text width (1 pt)
        assert sum(widths) >= text_width.twips - 40, t.name  # and spanning it
        if len(widths) > 2:
            assert len(set(widths)) > 1, f"{t.name}: equal column widths"
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        for row in table.rows:
            for cell in row.cells:
                for run in cell.paragraphs[0].runs:
                    fonts = run._element.rPr.rFonts
                    assert fonts.get(qn("w:eastAsia")) == "宋体", t.name
                    assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:hAnsi")) == "Times New Roman", t.name
    # numbers sit on a decimal tab; the first column of Table 1 is text
    corr = document.tables[0]
    cell = corr.rows[2].cells[4]
    assert cell.text.startswith(".") and cell.text.rstrip("*")[1:].isdigit()
    tabs = cell.paragraphs[0].paragraph_format.tab_stops
    assert len(tabs) == 1 and tabs[0].alignment == WD_TAB_ALIGNMENT.DECIMAL
    assert len(corr.rows[2].cells[0].paragraphs[0].paragraph_format.tab_stops) == 0
    assert document.tables[0].rows[0].cells[0].text == "变量"
    assert round(document.sections[0].page_width.cm, 1) == 29.7  # the title page turned with Table 1


def test_docx_caption_above_and_note_below_in_paper_order(paper_dir, paper):
    import docx

    document = docx.Document(paper_dir / "paper.docx")
    captions = [p.text for p in document.paragraphs if re.match(r"^表\d+ ", p.text)]
    assert captions == [f"表{t.number} {t.title}" for t in paper.tables]
    notes = [p.text for p in document.paragraphs if p.text.startswith("注：")]
    assert len(notes) == sum(1 for t in paper.tables if t.note)
    figures = [p.text for p in document.paragraphs if re.match(r"^图\d+ ", p.text)]
    assert figures == [f"图{f.number} {f.title}" for f in paper.figures]


@pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None,
                    reason="LibreOffice (soffice) or pdftotext is not installed; the DOCX is not rendered")
def test_docx_rendered_by_libreoffice_cuts_no_table(paper_dir, paper, tmp_path):
    subprocess.run([SOFFICE, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(paper_dir / "paper.docx")], capture_output=True, timeout=300, check=True)
    pdf = tmp_path / "paper.pdf"
    _check_pdf_holds_tables(pdf, paper.tables, "paper.docx")
    _check_pages(pdf)


def _check_pages(pdf: Path) -> None:
    """Every page A4 (either way round) and every word inside its page (as shown, i.e. after /Rotate)."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    rotated = {int(k) for k, r in re.findall(r"^Page\s+(\d+) rot:\s+(\d+)", info, re.MULTILINE) if int(r) % 180}
    html = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.DOTALL)
    assert pages
    for k, (w, h, body) in enumerate(pages, 1):
        assert sorted((float(w), float(h))) == pytest.approx(sorted(A4_PT), abs=1.0), f"page {k} is not A4"
        width = float(h) if k in rotated else float(w)
        for x0, x1 in re.findall(r'<word xMin="([-\d.]+)" yMin="[-\d.]+" xMax="([-\d.]+)"', body):
            assert float(x0) >= 0 and float(x1) <= width + 0.5, f"page {k}: a word off the page"


@pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None,
                    reason="LibreOffice (soffice) or pdftotext is not installed; the DOCX is not rendered")
def test_long_report_tables_docx_is_a4_and_cuts_no_table(paper, tmp_path):
    import docx

    from analysis.report.tables import RenderedTable

    report = paper.report
    path = report.write_combined_docx(tmp_path / "tables.docx", layout="three_line")
    document = docx.Document(path)
    assert {tuple(sorted((round(s.page_width.cm, 1), round(s.page_height.cm, 1)))) for s in document.sections} == \
        {(21.0, 29.7)}
    subprocess.run([SOFFICE, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   capture_output=True, timeout=300, check=True)
    tables = [RenderedTable(t.name, t.title, *t.render(report.lang)[:3], None, t.number) for t in report.tables()]
    _check_pdf_holds_tables(tmp_path / "tables.pdf", tables, "tables.docx")
    _check_pages(tmp_path / "tables.pdf")


# --------------------------------------------------------------------------- LaTeX
def test_tex_has_a_caption_and_label_per_table_in_paper_order(paper_dir, paper):
    tex = (paper_dir / "paper.tex").read_text(encoding="utf-8")
    assert tex.count("\\caption{") == len(paper.tables) + len(paper.figures)
    assert re.findall(r"\\label\{tab:([^}]+)\}", tex) == [t.name for t in paper.tables]
    assert re.findall(r"\\label\{fig:([^}]+)\}", tex) == [f.name for f in paper.figures]
    for pkg in ("booktabs", "threeparttable", "siunitx", "pdflscape", "graphicx"):
        assert pkg in tex.split("\\begin{document}")[0]
    assert "\\documentclass[UTF8,a4paper,zihao=5]{ctexart}" in tex
    assert tex.count("\\begin{tablenotes}") + tex.count("\\begin{TableNotes}") == sum(1 for t in paper.tables if t.note)
    assert "S[table-format=" in tex and "$\\alpha$" in tex and "$\\chi ^{2}$" in tex and "\\geq" in tex
    assert "\\begin{landscape}" in tex  # Table 1
    assert "\\includegraphics[width=\\linewidth,height=0.7\\textheight,keepaspectratio]{figures/H2_indirect.pdf}" in tex


@pytest.mark.skipif(XELATEX is None or PDFTOTEXT is None, reason="xelatex (texlive-xetex, texlive-lang-chinese) "
                    "or pdftotext is not installed; the TeX is not compiled")
def test_tex_compiles_without_overfull_boxes_and_keeps_every_symbol(paper_dir, paper, tmp_path):
    work = tmp_path / "paper"
    shutil.copytree(paper_dir, work)
    for _ in range(2):  # the second run settles the cross-references
        run = subprocess.run([XELATEX, "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=work,
                             capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stdout[-3000:]
    log = (work / "paper.log").read_text(encoding="utf-8", errors="replace")
    overfull = [float(x) for x in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too", log)]
    assert all(x <= 1.0 for x in overfull), f"overfull boxes: {overfull}"
    assert "Float too large" not in log and "Missing character" not in log
    text = _pdftext(work / "paper.pdf")
    norm = _norm(text)
    for symbol in ("α", "ω", "χ2", "Δ", "≥", "′", "→", "×"):
        assert _norm(symbol) in norm, symbol
    _check_pdf_holds_tables(work / "paper.pdf", paper.tables, "paper.tex")
    numbers = sorted({int(n) for n in re.findall(r"^\f?表\s?(\d+)(?!\d)", text, re.MULTILINE)})
    assert numbers == list(range(1, len(paper.tables) + 1))  # floats may move; numbers follow the source
    _check_pages(work / "paper.pdf")


# --------------------------------------------------------------------------- the study file's paper key
def _surveys_with(tmp_path: Path, paper_key) -> Path:
    surveys = tmp_path / "surveys"
    shutil.copytree(SURVEYS, surveys)
    study = yaml.safe_load((surveys / "study.yml").read_text(encoding="utf-8"))
    study["paper"] = paper_key
    (surveys / "study.yml").write_text(yaml.safe_dump(study, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return surveys / "study.yml"


def test_tables_are_numbered_in_the_order_the_study_file_gives(paper_dir, tmp_path):
    import docx

    from analysis.pipeline.paper import run_paper

    study = _surveys_with(tmp_path, {"tables": ["H2_effects", "correlations", "staff_htmt"], "figures": ["H4_simple_slopes"],
                                     "layout": "apa"})
    out = tmp_path / "output"
    shutil.copytree(paper_dir.parent / "results", out / "sample" / "results")
    result = run_paper("sample", output_root=out, study_path=study)
    assert result.tables == ("H2_effects", "correlations", "staff_htmt") and result.figures == ("H4_simple_slopes",)
    manifest = json.loads((out / "sample" / "paper" / "manifest.json").read_text(encoding="utf-8"))
    assert [(t["number"], t["name"]) for t in manifest["tables"]] == [(1, "H2_effects"), (2, "correlations"),
                                                                        (3, "staff_htmt")]
    document = docx.Document(out / "sample" / "paper" / "paper.docx")
    numbers = [p.text for p in document.paragraphs if re.fullmatch(r"表 \d+", p.text)]  # APA: number on its own line
    assert numbers == ["表 1", "表 2", "表 3"]
    assert document.tables[1].rows[0].cells[0].text == "变量" and "H2" in document.paragraphs[2].text
    tex = (out / "sample" / "paper" / "paper.tex").read_text(encoding="utf-8")
    assert re.findall(r"\\label\{tab:([^}]+)\}", tex) == ["H2_effects", "correlations", "staff_htmt"]
    assert "labelsep=newline" in tex  # the APA caption: number above the title
    assert sorted(p.name for p in (out / "sample" / "paper" / "tables").iterdir()) == \
        ["H2_effects.csv", "correlations.csv", "staff_htmt.csv"]


@pytest.mark.parametrize(("key", "message"), [
    ({"tables": ["correlations", "staf_htmt"]},
     (r"study\.yml: paper\.tables\[1\]: unknown table 'staf_htmt' \(did you mean 'staff_htmt'\?\); the results hold: "
      r"sample, .*correlations")),
    ({"figures": ["H2_indirekt"]}, r"paper\.figures\[0\]: unknown figure 'H2_indirekt' \(did you mean 'H2_indirect'\?\)"),
    (["correlations", "correlations"], r"paper\.tables\[1\]: table 'correlations' is listed twice"),
    ({"tabels": ["correlations"]}, r"paper: unknown key 'tabels' \(known: tables, figures, layout\)"),
    ({"layout": "booktabs"}, r"paper\.layout: unknown layout 'booktabs'"),
    ("correlations", r"paper: expected a mapping"),
])
def test_a_bad_paper_key_is_a_one_line_study_error(paper, tmp_path, key, message):
    from analysis.errors import StudyError
    from analysis.report.paper import Paper
    from analysis.report.study import StudyReport

    study = _surveys_with(tmp_path, key)
    report = StudyReport(paper.report.results_dir, study_path=study)
    with pytest.raises(StudyError, match=message) as err:
        Paper(report)
    assert "\n" not in str(err.value)


def test_the_cli_reports_an_unknown_name_in_one_line_with_exit_code_2(paper_dir, tmp_path):
    study = _surveys_with(tmp_path, {"tables": ["corelations"]})
    out = tmp_path / "output"
    shutil.copytree(paper_dir.parent / "results", out / "sample" / "results")
    result = hallperf("paper", "--wave", "sample", "--out", str(out), "--study", str(study), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
    assert "unknown table 'corelations' (did you mean 'correlations'?)" in result.stderr
    assert not (out / "sample" / "paper").exists()  # nothing half-written

    help_text = hallperf("paper", "--help", cwd=tmp_path).stdout
    assert "Examples:\n    hallperf paper --wave sample\n" in help_text
