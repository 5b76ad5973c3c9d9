"""HTML reports printed to A4 PDF with the system's headless Chromium (through playwright).

playwright drives ``/usr/bin/chromium`` (``executable_path``) and never downloads a browser of
its own. Pages use the reports' print style (A4 margins from the CSS ``@page`` rule) and get a
footer with the page number and the page count. A PDF newer than its HTML is kept unless forced.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from analysis.atomic import atomic_write
from analysis.errors import HallperfError

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
_FOOTER = ('<div style="width:100%;font-size:7pt;color:#777;text-align:center;font-family:sans-serif">'
           '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


class BrowserNotFoundError(HallperfError, RuntimeError):
    """PDF output needs a Chromium on this machine; none was found."""


_PRINT_WIDTH_PX = 710
# A table wider than the page (the research report's correlation table: 15 variables) goes on a landscape
# page of its own, with the note that follows it, and is scaled down only if it is wider than that too:
# a scroll box on screen keeps every column, paper would cut them at the right margin.
_LANDSCAPE_RATIO = (297 - 22) / (210 - 22)  # A4 printable width, landscape over portrait (11 mm margins)
_TURN_WIDE_TABLES = """(ratio) => {
  let turned = false;
  for (const table of document.querySelectorAll("table")) {
    const room = table.parentElement.clientWidth, need = table.scrollWidth;
    if (need <= room + 1) { continue; }
    const block = table.parentElement.matches(".hp-scroll") ? table.parentElement : table;
    const note = block.nextElementSibling;
    block.style.page = "hp-landscape";
    if (note && /^(注|Note)/.test(note.textContent.trim())) { note.style.page = "hp-landscape"; }
    if (need > room * ratio + 1) { table.style.zoom = (room * ratio / need).toFixed(4); }
    turned = true;
  }
  if (turned) {
    document.head.insertAdjacentHTML("beforeend", "<style>@page hp-landscape { size: A4 landscape; }</style>");
  }
}"""


def chromium() -> str:
    """The system Chromium, or :class:`BrowserNotFoundError` with how to install it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if SYSTEM_CHROMIUM.is_file():
        return str(SYSTEM_CHROMIUM)
    raise BrowserNotFoundError("PDF reports need Chromium, and none was found on PATH or at /usr/bin/chromium; "
                               "install it with 'make browser' (apt-get install chromium fonts-noto-cjk) or run without --pdf")


def render_pdfs(html_files: Sequence[Path], *, force: bool = False) -> tuple[list[Path], list[tuple[str, str]]]:
    """Print each HTML file to an A4 PDF beside it; return the PDFs written or kept, and the failures."""
    todo = [Path(p) for p in html_files]
    if not todo:
        return [], []
    executable = chromium()
    try:
        import playwright.sync_api  # noqa: F401  (an optional extra: hallperf[pdf])
    except ImportError:
        raise BrowserNotFoundError("PDF reports need the playwright package: pip install 'hallperf[pdf]'") from None
    # playwright's sync API refuses to run in a thread with a running asyncio loop (Jupyter, or
    # another playwright session), so the browser is driven from a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print, todo, executable, force).result()


def _print(todo: list[Path], executable: str, force: bool) -> tuple[list[Path], list[tuple[str, str]]]:
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    failures: list[tuple[str, str]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            # laid out at the printable width of A4 (210 mm - 2 x 11 mm at 96 px/in), in print media, so that
            # what is measured before printing is what will be printed
            page = browser.new_page(viewport={"width": _PRINT_WIDTH_PX, "height": 1100})
            page.emulate_media(media="print")
            for html in todo:
                pdf = html.with_suffix(".pdf")
                if not force and pdf.is_file() and html.is_file() and pdf.stat().st_mtime_ns >= html.stat().st_mtime_ns:
                    written.append(pdf)
                    continue
                try:
                    page.goto(html.resolve().as_uri(), wait_until="load")
                    page.evaluate(_TURN_WIDE_TABLES, _LANDSCAPE_RATIO)
                    data = page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                                    display_header_footer=True, header_template="<div></div>", footer_template=_FOOTER,
                                    margin={"top": "12mm", "bottom": "14mm", "left": "11mm", "right": "11mm"})
                    atomic_write(pdf, data)
                    written.append(pdf)
                except Exception as err:  # one bad page does not stop the others
                    failures.append((f"{html.stem} (pdf)", f"{type(err).__name__}: {err}".splitlines()[0]))
        finally:
            browser.close()
    return written, failures
