"""Screenshots of the sample wave's reports for the README: ``make screenshots`` → docs/img/.

Takes a strong branch (highest mean score over the dimensions), a weak one (lowest), a small one
(staff results withheld: fewer respondents than the minimum reporting size), a district report
and the overview index from ``output/<wave>/`` (run ``make run`` first), in headless Chromium at
a laptop width and at phone width (390 px). Needs the ``pdf`` extra (playwright) and Chromium
(``make browser``).

    .venv/bin/python docs/screenshots.py [--wave sample] [--output output]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analysis.pipeline.pdf import CHROMIUM_ARGS, chromium

IMG = Path(__file__).resolve().parent / "img"
DESKTOP, PHONE = {"width": 900, "height": 1200}, {"width": 390, "height": 844}


def pick_pages(wave_dir: Path) -> dict[str, Path]:
    """{screenshot name: report page} for the strong, weak and small branch, a district, the overview."""
    results = wave_dir / "results"
    summary = pd.read_parquet(results / "branch_summary.parquet")
    profiles = pd.read_parquet(results / "branch_profiles.parquet")
    score = profiles.groupby("branch_id")["mean"].mean().sort_values()
    small = summary.loc[~summary["staff_results_shown"].astype(bool), "branch_id"]
    districts = sorted((wave_dir / "districts").glob("*.html"))
    pages = {"branch_strong": wave_dir / "branches" / f"{score.index[-1]}.html",
             "branch_weak": wave_dir / "branches" / f"{score.index[0]}.html",
             "overview": wave_dir / "branches" / "index.html"}
    if len(small):
        pages["branch_small"] = wave_dir / "branches" / f"{small.iloc[0]}.html"
    if districts:
        pages["district"] = districts[0]
    missing = [str(p) for p in pages.values() if not p.is_file()]
    if missing:
        raise SystemExit(f"screenshots: no report at {', '.join(missing)}; run 'make run' first")
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="sample")
    parser.add_argument("--output", type=Path, default=Path("output"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = pick_pages(args.output / args.wave)
    IMG.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        for name, page_path in pages.items():
            for suffix, viewport in (("", DESKTOP), ("_phone", PHONE)):
                page = browser.new_page(viewport=viewport, device_scale_factor=1)
                page.goto(page_path.resolve().as_uri())
                target = IMG / f"{name}{suffix}.png"
                page.screenshot(path=str(target), full_page=False)
                page.close()
                print(f"{target.relative_to(IMG.parent.parent)}  ←  {page_path}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
