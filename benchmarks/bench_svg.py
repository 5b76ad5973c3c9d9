"""Benchmark: the inline SVG charts (``analysis.report.svg``) against the matplotlib PNG figures.

Baseline ("png"): what a branch report draws today, per chart: the function of
``analysis.report.figures`` (``bar_profile``, ``kpi_bullets``, ``priority_matrix``, ``trend``)
after ``use_style("zh")``, written with ``save_figure(..., formats=("png",), dpi=150)`` (the
report's FIGURE_DPI), read back and base64-encoded for the HTML, then closed — as
``analysis.report.branch._figure`` does.

Candidate ("svg"): the matching function of ``analysis.report.svg`` on the same data, returning
the string that is embedded as is.

Typical sizes: 8 dimensions, 5 KPIs, 10 priority points, 5 trend lines over 3 waves; the heatmap
(60 branches × 8 dimensions) and the favourable bars (10 items) have no matplotlib
counterpart and are timed alone. Prints the median time per chart of each, the ratio, the
machine and load, and checks that both drew the same number of bars / points / lines.

Usage::

    python benchmarks/bench_svg.py [--png-repeats 5] [--svg-repeats 200]
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import statistics
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from analysis.report import figures, svg
from analysis.report.style import save_figure, use_style

DPI = 150  # analysis.report.branch.FIGURE_DPI
DIMS = ["服务规范", "业务熟练度", "团队协作与沟通氛围", "顾客导向", "主管支持", "工作负荷（反向）",
        "培训与发展机会", "员工认可与激励"]
VALUES = [3.8, 4.2, 3.1, 4.6, 2.4, 1.3, 3.5, 4.0]


def inputs() -> dict[str, list[dict]]:
    profile = [{"label": d, "value": v, "ci_low": v - 0.3, "ci_high": v + 0.3, "benchmark": 3.6}
               for d, v in zip(DIMS, VALUES, strict=True)]
    kpis = [{"label": f"指标{i + 1}", "value": 10.0 + 3 * i, "district_mean": 11.0 + 2 * i,
             "company_mean": 12.0 + 2.5 * i, "benchmark": 20.0 if i % 2 else None, "format": "number"}
            for i in range(5)]
    points = [{"label": d, "importance": 5 + 2.5 * i, "gap": round(0.5 - 0.13 * i, 2)} for i, d in enumerate(DIMS)]
    points += [{"label": "维度甲", "importance": 20.5, "gap": 0.31}, {"label": "维度乙", "importance": 21, "gap": 0.3}]
    waves = ["2025H1", "2025H2", "2026H1"]
    series = [{"label": d, "values": [v - 0.2, v, v + 0.1]} for d, v in zip(DIMS[:5], VALUES, strict=False)]
    rows = [{"label": f"第{i + 1}营业厅", "href": f"B{i:04d}.html", "group": f"区局{i // 20 + 1}"}
            for i in range(60)]
    cells = [[None if (i + j) % 11 == 0 else ((i * 7 + j * 5) % 21 - 10) / 20 for j in range(8)] for i in range(60)]
    fav = [{"label": f"题目{i + 1}：我清楚自己的工作目标", "favourable": 50 + 3 * i, "neutral": 30 - 2 * i,
            "unfavourable": 20 - i, "benchmark": 60} for i in range(10)]
    return {"profile": profile, "kpis": kpis, "points": points, "waves": waves, "series": series,
            "rows": rows, "cells": cells, "fav": fav}


def svg_charts(d: dict) -> dict[str, Callable[[], str]]:
    return {
        "profile": lambda: svg.profile_bars(d["profile"], lo=1, hi=5, axis_label="得分"),
        "kpi": lambda: svg.kpi_bullets(d["kpis"]),
        "priority": lambda: svg.priority_matrix(d["points"]),
        "trend": lambda: svg.trend_lines(d["series"], waves=d["waves"]),
        "heatmap 60×8": lambda: svg.heatmap(d["rows"], DIMS, d["cells"], k=5),
        "favourable": lambda: svg.favourable_bars(d["fav"]),
    }


def png_charts(d: dict) -> dict[str, Callable[[], object]]:
    profile = pd.DataFrame(d["profile"])
    kpis = pd.DataFrame(d["kpis"])
    points = pd.DataFrame(d["points"])
    long = pd.DataFrame([{"wave": w, "value": v, "group": s["label"]}
                         for s in d["series"] for w, v in zip(d["waves"], s["values"], strict=True)])
    refs = {"district_mean": "区局均值", "company_mean": "公司均值"}
    return {
        "profile": lambda: figures.bar_profile(profile, "value", "label", "benchmark", "ci_low", "ci_high",
                                               xlim=(1, 5), xlabel="得分"),
        "kpi": lambda: figures.kpi_bullets(kpis, "label", "value", references=refs, target="benchmark"),
        "priority": lambda: figures.priority_matrix(points, "importance", "gap", "label", gap_cut=0.0),
        "trend": lambda: figures.trend(long, "wave", "value", "group", order=d["waves"]),
    }


def embed_png(fig, folder: Path, stem: str) -> str:
    """As the branch report: reproducible PNG at 150 dpi, read back, base64 for a data URI."""
    try:
        (path,) = save_figure(fig, folder / stem, formats=("png",), dpi=DPI)
    finally:
        plt.close(fig)
    return base64.b64encode(path.read_bytes()).decode("ascii")


def png_count(name: str, fig) -> int:
    """Bars, KPI rows, points or lines in a matplotlib figure, to compare with the SVG."""
    ax = fig.axes[0]
    if name == "profile":
        return len(ax.containers[0])
    if name == "kpi":
        return len(fig.axes)
    if name == "priority":
        return sum(len(c.get_offsets()) for c in ax.collections)
    return len(ax.lines)


def median_time(call: Callable[[], object], repeats: int) -> float:
    call()  # warm-up: imports, font caches
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def drawn(svg_text: str, cls: str) -> int:
    root = ET.fromstring(svg_text)
    return sum(cls in (e.get("class") or "").split() for e in root.iter())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--png-repeats", type=int, default=5)
    parser.add_argument("--svg-repeats", type=int, default=200)
    args = parser.parse_args()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"cpus={os.cpu_count()} | python {platform.python_version()} | "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"baseline: analysis.report.figures + save_figure PNG at {DPI} dpi + base64 "
          f"(median of {args.png_repeats}); candidate: analysis.report.svg "
          f"(median of {args.svg_repeats})")
    use_style("zh")
    data = inputs()
    svgs, pngs = svg_charts(data), png_charts(data)
    # same content both ways: bars, KPI rows, points and lines drawn
    checks = {"profile": ("hp-bar", len(data["profile"])), "kpi": ("hp-track", len(data["kpis"])),
              "priority": ("hp-point", len(data["points"])), "trend": ("hp-line", len(data["series"]))}
    print(f"{'chart':<14}{'png ms':>10}{'svg ms':>10}{'ratio':>9}  {'svg KiB':>8}  check")
    total_png = total_svg = 0.0
    with tempfile.TemporaryDirectory(prefix="bench_svg_") as tmp:
        folder = Path(tmp)
        for name, make_svg in svgs.items():
            t_svg = median_time(make_svg, args.svg_repeats)
            text = make_svg()
            size = len(text.encode()) / 1024
            if name in pngs:
                make_png = pngs[name]
                t_png = median_time(lambda m=make_png, s=name: embed_png(m(), folder, s), args.png_repeats)
                cls, expected = checks[name]
                fig = make_png()
                in_png = png_count(name, fig)
                plt.close(fig)
                ok = drawn(text, cls) == expected == in_png
                total_png += t_png
                total_svg += t_svg
                print(f"{name:<14}{t_png * 1e3:>10.1f}{t_svg * 1e3:>10.2f}{t_png / t_svg:>8.0f}×  {size:>8.1f}  "
                      f"{cls} svg {drawn(text, cls)}, png {in_png}, rows {expected} {'ok' if ok else 'MISMATCH'}")
            else:
                print(f"{name:<14}{'—':>10}{t_svg * 1e3:>10.2f}{'—':>9}  {size:>8.1f}  no matplotlib counterpart")
    print(f"{'4 report charts':<14}{total_png * 1e3:>10.1f}{total_svg * 1e3:>10.2f}{total_png / total_svg:>8.0f}×"
          f"   per report: {total_png - total_svg:.3f} s saved")


if __name__ == "__main__":
    main()
