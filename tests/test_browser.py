"""Reports in a real browser: headless Chromium through the playwright package (system Chromium).

Skipped with a reason where Chromium (``make browser``) or playwright is missing. One module run
renders the real branch notebook for a branch whose name is ``<script>document.title='owned'</script>``
and whose district is an ``<img onerror=alert(1)>`` tag, plus the index; the tests open them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.pipeline.report import CHROMIUM_ARGS, render_pdfs, run_report

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "notebooks" / "branch_report.ipynb"
EVIL = "<script>document.title='owned'</script>"
EVIL_DISTRICT = '<img src=x onerror="alert(1)">'
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (run 'make browser' as root)"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def rendered(sample_results, tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    results = base / "output" / "sample" / "results"
    shutil.copytree(sample_results, results)
    summary = pd.read_parquet(results / "branch_summary.parquet")
    shown = str(summary.loc[summary["staff_results_shown"], "branch_id"].iloc[0])
    summary["branch_name"] = summary["branch_name"].astype(object)
    summary["district"] = summary["district"].astype(object)
    summary.loc[summary["branch_id"] == shown, ["branch_name", "district"]] = [EVIL, EVIL_DISTRICT]
    summary.to_parquet(results / "branch_summary.parquet", index=False)
    notebooks = base / "notebooks"
    notebooks.mkdir()
    shutil.copy(TEMPLATE, notebooks / TEMPLATE.name)
    s = run_report("sample", output_root=base / "output", branches=[shown], workers=1,
                   notebooks_dir=notebooks, progress=False)
    assert s.exit_code == 0, s.failed
    out = base / "output" / "sample" / "branches"
    return {"report": out / f"{shown}.html", "index": out / "index.html", "shown": shown}


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, path: Path):
    """Open a file; return (page, console errors, dialogs)."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))

    def on_dialog(d):
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(200)
    return page, errors, dialogs


def test_report_and_index_open_without_errors_and_screenshot(rendered, browser, tmp_path):
    for key in ("report", "index"):
        page, errors, dialogs = _open(browser, rendered[key])
        shot = tmp_path / f"{key}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert errors == [] and dialogs == []
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
        if key == "report":  # the figures decoded and laid out
            widths = page.eval_on_selector_all("figure.hp-figure img", "els => els.map(e => e.naturalWidth)")
            assert len(widths) == 3 and min(widths) > 300
        page.close()


def test_script_in_branch_name_does_not_run(rendered, browser):
    for key, title in (("report", f"{EVIL} · 营业厅绩效改进报告"), ("index", "sample 期营业厅绩效改进报告索引")):
        page, errors, dialogs = _open(browser, rendered[key])
        assert page.evaluate("document.title") == title  # the tag is text, not a script
        assert errors == [] and dialogs == []
        assert EVIL in page.inner_text("body")  # shown literally
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        page.close()


def test_chinese_text_renders_with_a_cjk_font(rendered, browser, tmp_path):
    page, errors, _ = _open(browser, rendered["report"])
    assert errors == []
    assert page.evaluate("""document.fonts.check('16px "Noto Sans CJK SC"', '营业厅')""")
    # the font Chromium actually used for the section heading (DevTools protocol)
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "section.hp-section h2"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert any("CJK" in f["familyName"] or f["familyName"].endswith(" SC") for f in fonts), fonts
    # pixel check: tofu boxes look alike, real glyphs do not. Two different Chinese strings of
    # the same length must give different images (the notdef glyph of Noto Sans CJK has the
    # same advance as a CJK glyph, so comparing widths alone cannot tell them apart).
    page.evaluate("""() => { for (const [id, text] of [['a', '营业厅绩效'], ['b', '报告与措施'], ['c', '\u0378\u0378\u0378\u0378\u0378']]) {
        const s = document.createElement('span'); s.id = 'probe-' + id; s.textContent = text;
        s.style.fontSize = '40px'; s.style.display = 'inline-block'; s.style.whiteSpace = 'nowrap';
        document.querySelector('section.hp-section').appendChild(s); } }""")
    from PIL import Image, ImageChops

    images = {}
    for key in "abc":
        shot = tmp_path / f"probe-{key}.png"
        page.locator(f"#probe-{key}").screenshot(path=str(shot))
        images[key] = Image.open(shot).convert("L")
    ink = sum(1 for v in images["a"].getdata() if v < 128)
    assert ink > 200  # the glyphs have ink
    assert ImageChops.difference(images["a"], images["b"]).getbbox() is not None  # distinct glyphs
    if images["a"].size == images["c"].size:  # and they are not the notdef boxes
        assert ImageChops.difference(images["a"], images["c"]).getbbox() is not None
    page.close()


def test_pdf_is_a4_via_system_chromium(rendered, tmp_path):
    target = tmp_path / "report.html"
    shutil.copy(rendered["report"], target)
    written, failures = render_pdfs([target])
    assert failures == [] and written == [tmp_path / "report.pdf"]
    data = written[0].read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert b"/MediaBox [0 0 594.96 841.92]" in data or b"/MediaBox [0 0 595" in data  # A4 in points
    again, _ = render_pdfs([target])  # up to date: kept, not rewritten
    assert again == written and written[0].read_bytes() == data
