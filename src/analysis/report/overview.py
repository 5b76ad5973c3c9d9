"""The company overview (the reports' index page): every branch against the company, grouped by district.

A heatmap of branches × dimensions (cells of hidden branches blank) and a table that sorts by any
column (a few lines of inline script, no network), with links to each branch's and district's
report, the PDFs and the research report. All texts from data are escaped; links are
percent-encoded and can never be ``javascript:`` URLs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import pandas as pd

from . import svg
from .fragments import esc, figure, is_missing
from .html import REPORT_CSS

TEXT = {
    "zh": {"title": "{wave} 期营业厅绩效报告总览", "html_lang": "zh-CN", "heatmap": "各营业厅管理实践与公司均值之差（按区局分组）",
           "heatmap_intro": "每格为营业厅均值减公司均值；答卷不足 {k} 份的营业厅为空格。点击名称打开营业厅报告。",
           "table": "全部报告（点击表头排序）", "branch": "营业厅", "branch_id": "编号", "district": "区局",
           "staff": "员工答卷", "status": "状态", "ok": "已生成", "kept": "本次失败，保留上一版：{reason}",
           "failed": "失败：{reason}", "missing": "未生成", "fewer": "少于 {k} 份", "pdf": "PDF",
           "links": "相关报告", "study": "研究报告", "districts": "区局报告",
           "footer": "共 {n} 个营业厅；{failed} 份报告失败。答卷少于 {k} 份的营业厅不显示人数和员工问卷结果。"},
    "en": {"title": "Branch performance reports, wave {wave}", "html_lang": "en",
           "heatmap": "Each branch against the company mean (grouped by district)",
           "heatmap_intro": "Each cell is the branch mean minus the company mean; branches with fewer than {k} answers "
                            "are blank. Branch names link to their reports.",
           "table": "All reports (click a header to sort)", "branch": "Branch", "branch_id": "Id",
           "district": "District", "staff": "Staff responses", "status": "Status", "ok": "ready",
           "kept": "failed this run, previous report kept: {reason}", "failed": "failed: {reason}",
           "missing": "not generated", "fewer": "fewer than {k}", "pdf": "PDF", "links": "Other reports",
           "study": "Research report", "districts": "District reports",
           "footer": "{n} branches; {failed} reports failed. Branches with fewer than {k} answers show no count and no "
                     "staff-survey results."},
}
_SAFE_URL = "/#?=&.-_~"  # no ':' so a link can never become a javascript: URL

_SORT_SCRIPT = """<script>
document.querySelectorAll('table.hp-sortable th').forEach(function (th, col) {
  th.style.cursor = 'pointer';
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0], asc = th.dataset.asc !== '1';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.sort || a.cells[col].textContent, y = b.cells[col].dataset.sort || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, 'zh');
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    th.dataset.asc = asc ? '1' : '0';
  });
});
</script>"""


def _url(href: str) -> str:
    return esc(quote(str(href), safe=_SAFE_URL))


def overview_page(*, wave: str, lang: str, k: int, rows: Sequence[Mapping[str, Any]], kpi_columns: Mapping[str, str],
                  dimensions: Sequence[tuple[str, str]], differences: Mapping[tuple[str, str], float],
                  links: Sequence[tuple[str, str]] = (), failed: int = 0) -> str:
    """The overview page as HTML.

    Parameters
    ----------
    rows : one per branch, in district order: ``branch_id``, ``branch``, ``district``, ``n`` (None
        below k), ``kpi_<code>`` (formatted text), ``status`` (text), ``href`` (its report, None if
        absent), ``pdf`` (its PDF, or None), ``district_href``.
    kpi_columns : ``kpi_<code>`` → column label.
    dimensions : (code, label) of the heatmap's columns.
    differences : (branch_id, dimension) → branch mean − company mean (shown branches only).
    links : (label, href) of the research report and the district reports.
    """
    w = TEXT[lang]
    parts = [f'<header class="hp-header"><h1>{esc(w["title"].format(wave=wave))}</h1></header>']
    if links:
        parts.append('<section class="hp-section"><h2>' + esc(w["links"]) + "</h2><p>"
                     + " · ".join(f'<a href="{_url(h)}">{esc(label)}</a>' for label, h in links) + "</p></section>")
    if dimensions and any(differences.values()):
        heat_rows = [{"label": str(r["branch"]), "href": r.get("href") or None, "group": str(r.get("district") or "")}
                     for r in rows]
        cells = [[differences.get((str(r["branch_id"]), d)) for d, _ in dimensions] for r in rows]
        chart = svg.heatmap(heat_rows, [label for _, label in dimensions], cells, lang=lang, k=k, title=w["heatmap"],
                            id_prefix="ov", width=760)
        parts.append('<section class="hp-section"><h2>' + esc(w["heatmap"]) + "</h2>"
                     f'<p>{esc(w["heatmap_intro"].format(k=k))}</p>' + figure(chart, w["heatmap"]) + "</section>")
    head = [w["branch"], w["branch_id"], w["district"], w["staff"], *kpi_columns.values(), w["pdf"], w["status"]]
    body = []
    for r in rows:
        name = esc(r["branch"])
        cell = f'<a href="{_url(r["href"])}">{name}</a>' if r.get("href") else name
        district = esc(r.get("district"))
        if r.get("district_href"):
            district = f'<a href="{_url(r["district_href"])}">{district}</a>'
        n = r.get("n")
        staff = (f'<td class="num" data-sort="{int(n)}">{int(n)}</td>' if not is_missing(n)
                 else f'<td class="num" data-sort="-1">{esc(w["fewer"].format(k=k))}</td>')
        kpis = "".join(f'<td class="num">{esc(r.get(c) or "—")}</td>' for c in kpi_columns)
        pdf = f'<a href="{_url(r["pdf"])}">{esc(w["pdf"])}</a>' if r.get("pdf") else ""
        body.append(f"<tr><td>{cell}</td><td>{esc(r['branch_id'])}</td><td>{district}</td>{staff}{kpis}"
                    f"<td>{pdf}</td><td>{esc(r.get('status'))}</td></tr>")
    parts.append('<section class="hp-section"><h2>' + esc(w["table"]) + '</h2><div class="hp-scroll">'
                 '<table class="hp-table hp-sortable"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head)
                 + "</tr></thead><tbody>" + "".join(body) + "</tbody></table></div></section>")
    parts.append(f'<footer class="hp-note">{esc(w["footer"].format(n=len(rows), failed=failed, k=k))}</footer>')
    return (f'<!DOCTYPE html>\n<html lang="{w["html_lang"]}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{esc(w["title"].format(wave=wave))}</title>\n<style>\n{REPORT_CSS}\n</style>\n</head>\n<body>\n'
            f'<main class="hp-report">\n{"".join(parts)}\n</main>\n{_SORT_SCRIPT}\n</body>\n</html>\n')


def differences_of(profiles: pd.DataFrame | None) -> dict[tuple[str, str], float]:
    """(branch_id, dimension) → mean − benchmark, from ``branch_profiles`` (shown branches only)."""
    if profiles is None or profiles.empty:
        return {}
    return {(str(b), d): float(m) - float(bm) for b, d, m, bm in
            zip(profiles["branch_id"], profiles["dimension"], profiles["mean"], profiles["benchmark"])}
