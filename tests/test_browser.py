"""Every sample report in a real browser: headless Chromium through playwright (system Chromium).

Skipped with a reason where Chromium (``make browser``) or playwright is missing. One module run
renders every branch and district report of the sample wave, the overview and their PDFs, with
one branch named ``<script>document.title='owned'</script>`` and its district an ``<img onerror>``
tag; the tests open each page at phone width (390 px) and at A4 width, and read the PDFs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis.pipeline.pdf import CHROMIUM_ARGS, render_pdfs
from analysis.pipeline.report import run_report

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = [ROOT / "notebooks" / "branch_report.ipynb", ROOT / "notebooks" / "district_report.ipynb"]
EVIL = "<script>document.title='owned'</script>"
EVIL_DISTRICT = '<img src=x onerror="alert(1)">'
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)
A4_WIDTH = 794  # CSS pixels of an A4 page (210 mm at 96 dpi)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (run 'make browser' as root)")]
playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def rendered(sample_results, tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    results = base / "output" / "sample" / "results"
    shutil.copytree(sample_results, results)
    summary = pd.read_parquet(results / "branch_summary.parquet")
    shown = str(summary.loc[summary["staff_results_shown"], "branch_id"].iloc[0])
    summary["branch_name"] = summary["branch_name"].astype(object)
    summary.loc[summary["branch_id"] == shown, "branch_name"] = EVIL
    summary.to_parquet(results / "branch_summary.parquet", index=False)
    notebooks = base / "notebooks"
    notebooks.mkdir()
    for template in TEMPLATES:
        shutil.copy(template, notebooks / template.name)
    s = run_report("sample", output_root=base / "output", workers=2, notebooks_dir=notebooks, progress=False, pdf=True)
    assert s.exit_code == 0, s.failed
    out = base / "output" / "sample"
    return {"branches": sorted((out / "branches").glob("B*.html")), "districts": sorted((out / "districts").glob("*.html")),
            "index": out / "branches" / "index.html", "shown": out / "branches" / f"{shown}.html", "summary": s}


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, path: Path, width: int, *, media: str = "screen"):
    """Open a file at a width; return (page, console errors, dialogs)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.emulate_media(media=media)
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, errors, dialogs


def test_every_report_fits_a_phone_and_an_a4_page(rendered, browser):
    pages = [*rendered["branches"], *rendered["districts"], rendered["index"]]
    assert len(rendered["branches"]) == 60 and len(rendered["districts"]) == 8
    for path in pages:
        for width, media in ((390, "screen"), (A4_WIDTH, "print")):
            page, errors, dialogs = _open(browser, path, width, media=media)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            # no table cell squeezed to about one character per line (its text's line boxes, counted)
            narrow = page.evaluate("""Array.from(document.querySelectorAll('table.hp-table th, table.hp-table td'))
                .filter(c => { const n = c.textContent.trim().length; if (n < 4) return false;
                    const r = document.createRange(); r.selectNodeContents(c);
                    return r.getClientRects().length >= Math.ceil(n * 0.6); }).length""")
            assert overflow <= 0 and narrow == 0 and errors == [] and dialogs == [], (path.name, width, overflow, narrow, errors)
            page.close()


def test_every_branch_report_has_an_action_section(rendered, browser):
    for path in rendered["branches"]:
        page, _, _ = _open(browser, path, 1000)
        actions = page.eval_on_selector_all("#actions .hp-action li", "els => els.length")
        charts = page.eval_on_selector_all("svg[role=img]", "els => els.length")
        assert actions >= 1 and charts >= 1, path.name
        page.close()


def test_pdfs_are_a4_with_page_numbers_and_at_most_three_pages(rendered):
    pdfs = [p.with_suffix(".pdf") for p in (*rendered["branches"], *rendered["districts"])]
    assert all(p.is_file() for p in pdfs)
    for pdf in pdfs:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert pages <= 3 and re.search(r"Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)", info), (pdf.name, info)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert re.search(rf"\b1\s*/\s*{pages}\b", text), pdf.name
    first = subprocess.run(["pdftotext", str(pdfs[0]), "-"], capture_output=True, text=True, check=True).stdout
    assert "营业厅绩效改进报告" in first  # Chinese text, not boxes, in the PDF


def test_script_in_branch_name_does_not_run(rendered, browser):
    for path in (rendered["shown"], rendered["index"]):
        page, errors, dialogs = _open(browser, path, 1000)
        assert page.evaluate("document.title") != "owned" and errors == [] and dialogs == []  # the tag is text
        assert EVIL in page.inner_text("body")  # shown literally
        page.close()


def test_chinese_text_renders_with_a_cjk_font(rendered, browser, tmp_path):
    page, errors, _ = _open(browser, rendered["shown"], 1000)
    assert errors == [] and page.evaluate("""document.fonts.check('16px "Noto Sans CJK SC"', '营业厅')""")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "section.hp-section h2"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert any("CJK" in f["familyName"] or f["familyName"].endswith(" SC") for f in fonts), fonts
    # tofu boxes look alike, real glyphs do not: two Chinese strings must give different images
    page.evaluate("""() => { for (const [id, text] of [['a', '营业厅绩效'], ['b', '报告与措施']]) {
        const s = document.createElement('span'); s.id = 'probe-' + id; s.textContent = text;
        s.style.fontSize = '40px'; s.style.display = 'inline-block';
        document.querySelector('section.hp-section').appendChild(s); } }""")
    from PIL import Image, ImageChops

    images = {}
    for key in "ab":
        shot = tmp_path / f"probe-{key}.png"
        page.locator(f"#probe-{key}").screenshot(path=str(shot))
        images[key] = Image.open(shot).convert("L")
    assert sum(1 for v in images["a"].getdata() if v < 128) > 200
    assert ImageChops.difference(images["a"], images["b"]).getbbox() is not None
    page.close()


def test_a_pdf_is_kept_when_it_is_newer_than_its_page(rendered, tmp_path):
    target = tmp_path / "report.html"
    shutil.copy(rendered["shown"], target)
    written, failures = render_pdfs([target])
    assert failures == [] and written == [tmp_path / "report.pdf"]
    stamp = written[0].stat().st_mtime_ns
    again, _ = render_pdfs([target])
    assert again == written and written[0].stat().st_mtime_ns == stamp


def _wide_table(columns: int) -> str:
    head = "".join(f"<th>变量{j:02d}</th>" for j in range(1, columns + 1))
    row = "".join(f"<td>.{j:02d}***</td>" for j in range(1, columns + 1))
    return f"<table style=\"white-space: nowrap\"><tr>{head}</tr><tr>{row}</tr></table>"


def _page_sizes(pdf) -> list[str]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True, text=True, check=True).stdout
    return ["landscape" if float(w) > float(h) else "portrait"
            for w, h in re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+)", info)]


@pytest.mark.parametrize("columns", [20, 40])
def test_a_table_wider_than_the_page_turns_to_landscape_not_cut(tmp_path, columns):
    # the research report's correlation table (15 variables) lost its last columns on paper, then was scaled
    # to 60% on a portrait page. At 9 pt, 20 columns (845 px) fit the landscape page (1,039 px) as they are;
    # 40 (1,689 px) are scaled down on it too
    from analysis.report.html import notebook_html
    import nbformat

    readme = re.sub(r"\s+", " ", (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8"))
    assert "a table too wide for a portrait page is printed on a landscape page with its note" in readme
    narrow = "<table><tr><th>甲</th><th>乙</th></tr><tr><td>1</td><td>2</td></tr></table>"
    outputs = [nbformat.v4.new_output("display_data", data={"text/html": html}) for html in
               ("<p>前言</p>", _wide_table(columns), "<p>注：相关系数。</p>", narrow)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    page = tmp_path / "wide.html"
    page.write_text(notebook_html(nb, title="wide", lang="zh"), encoding="utf-8")
    written, failed = render_pdfs([page], force=True)
    assert written and not failed
    pages = []
    for number, size in enumerate(_page_sizes(written[0]), 1):
        text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(written[0]), "-"],
                              capture_output=True, text=True, check=True).stdout
        pages.append((size, text))
    assert [size for size, _ in pages] == ["portrait", "landscape", "portrait"], pages
    assert "前言" in pages[0][1] and "甲" in pages[2][1]
    turned = pages[1][1]
    assert all(f"变量{j:02d}" in turned for j in range(1, columns + 1)) and f".{columns}***" in turned, turned[:500]
    assert "注：相关系数。" in turned  # the table's note stays with it
