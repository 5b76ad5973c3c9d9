"""A district (区局) report: its branches side by side, the district's priorities and actions.

The district notebook (``notebooks/district_report.ipynb``) calls :func:`load_district` and the
section functions. Everything comes from the result tables (:mod:`analysis.improvement`): the
district's profile pools its shown branches only; the heatmap of branches × dimensions shows
each branch's difference from the company and leaves hidden branches' cells blank (no count, no
mean), so nothing below k is shown, also not by difference (benchmarks are over shown branches).
Links point at the branch reports in ``../branches/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.names import file_name
from analysis.privacy import reporting_k

from . import svg
from .branch.context import results_tables
from .fragments import Block, esc, figure, format_kpi, is_missing, num, paragraph, pct, section, table
from .texts import by_language, fill

TEXT = by_language({
    "title": ("区局绩效改进报告", "District performance improvement report"),
    "html_lang": ("zh-CN", "en"),
    "wave": ("调查期次", "Survey wave"),
    "branches": ("营业厅", "Branches"),
    "shown": ("公开员工问卷结果的营业厅", "Branches with shown staff results"),
    "respondents": ("员工答卷（公开结果的营业厅）", "Staff responses (shown branches)"),
    "response_rate": ("回收率", "Response rate"),
    "heatmap_title": ("各营业厅管理实践与公司的差距", "Each branch against the company"),
    "heatmap_intro": (
        "每格为营业厅均值减公司均值（正数高于公司，负数低于公司）；答卷不足 {k} 份的营业厅不显示（空格）。"
        "点击营业厅名称打开其报告。",
        "Each cell is the branch mean minus the company mean (positive: above the company); branches with fewer than "
        "{k} answers are blank. Branch names link to their reports.",
    ),
    "heatmap_fig": ("营业厅 × 维度：与公司均值之差", "Branches × dimensions: difference from the company mean"),
    "profile_title": ("区局管理实践画像", "The district's management-practice profile"),
    "profile_intro": (
        "区局内公开结果的营业厅的员工评价合计：均值及 95% 置信区间、好评率，与全公司对比。",
        "Staff ratings pooled over the district's shown branches: mean with 95% CI and % favourable, against the "
        "company.",
    ),
    "dimension": ("维度", "Dimension"),
    "mean_ci": ("均值 [95% 置信区间]", "Mean [95% CI]"),
    "favourable": ("好评率", "% favourable"),
    "benchmark": ("公司均值", "Company mean"),
    "versus": ("与公司相比", "Against the company"),
    "ahead": ("高于", "above"),
    "behind": ("低于", "below"),
    "level": ("持平于", "level with"),
    "priorities_title": ("区局优先改进事项", "The district's priorities"),
    "priorities_intro": ("按“重要性 × 落后幅度”排序的区局共性短板，以及行动库中的对应措施。",
                         "The district's common gaps, ranked by importance × gap, with actions from the library."),
    "no_priorities": ("区局各维度均不低于公司，本期没有共性短板。",
                      "No dimension of the district is below the company this wave."),
    "track": ("跟踪指标", "KPI to track"),
    "horizon": ("见效周期", "Time to effect"),
    "horizon_weeks": ("数周", "weeks"),
    "horizon_months": ("数月", "months"),
    "horizon_quarters": ("数个季度", "quarters"),
    "basis": ("依据：区局 {label} {value} 分，公司 {benchmark} 分。",
              "Basis: the district's {label} {value}, company {benchmark}."),
    "kpis_title": ("各营业厅业绩与答卷", "Branches: KPIs and responses"),
    "branch": ("营业厅", "Branch"),
    "staff": ("员工答卷", "Staff responses"),
    "report": ("报告", "Report"),
    "open": ("打开", "open"),
    "fewer": ("少于 {k} 份", "fewer than {k}"),
    "comments_title": ("区局员工意见主题", "Themes of the district's staff comments"),
    "theme": ("主题", "Theme"),
    "mentions": ("提及次数", "Mentions"),
    "share": ("占比", "Share"),
    "comments_note": ("仅汇总答卷不少于 {n} 份的营业厅的意见，姓名、电话等个人信息已遮盖。",
                      "Only comments of branches with at least {n} answers are pooled; personal data are masked."),
    "k_rule": (
        "最小报告人数 k = {k}：少于 {k} 人的群体结果一律不显示，也不能由其他数字相减推算。",
        "Minimum reporting size k = {k}: no result of a group smaller than {k} is shown, nor can one be worked out by "
        "subtracting other figures.",
    ),
})


def t(lang: str, key: str, **values: Any) -> str:
    return fill(TEXT, lang, key, **values)


@dataclass(frozen=True)
class DistrictContext:
    wave: str
    district: str
    lang: str
    k: int
    branches: pd.DataFrame   # branch_summary rows of the district
    profiles: pd.DataFrame   # branch_profiles of its shown branches
    district_profile: pd.DataFrame
    actions: pd.DataFrame
    kpis: pd.DataFrame
    labels: pd.DataFrame
    response: dict[str, Any]
    themes: pd.DataFrame
    comment_threshold: int
    link_suffix: str = ""
    provenance: dict[str, Any] = field(repr=False, default_factory=dict)

    def label(self, dimension: str) -> str:
        row = self.labels[self.labels["dimension"] == dimension] if not self.labels.empty else self.labels
        value = row.iloc[0].get(f"label_{self.lang}") if not row.empty else None
        return str(dimension) if is_missing(value) else str(value)

    def branch_href(self, branch_id: str) -> str:
        return f"../branches/{file_name(branch_id, prefix='branch')}{self.link_suffix}.html"


def load_district(results_dir: str | os.PathLike[str], district: str, *, wave: str | None = None, lang: str = "zh",
                  ) -> DistrictContext:
    """One district's context from a results folder; ``KeyError`` for an unknown district."""
    tables = results_tables(results_dir)
    prov = tables["provenance"]
    summary = tables.get("branch_summary")
    if summary is None or "district" not in summary:
        raise FileNotFoundError(f"{results_dir}: no branch_summary with districts; rerun 'hallperf analyze'")
    mine = summary[summary["district"].astype(str) == str(district)].reset_index(drop=True)
    if mine.empty:
        raise KeyError(f"district {district!r} is not in the results ({results_dir}); check the id")
    ids = [str(b) for b in mine["branch_id"]]
    shown = [b for b, s in zip(ids, mine["staff_results_shown"]) if bool(s)]
    gather = lambda name, keep: pd.concat([tables[name][b] for b in keep if b in (tables.get(name) or {})] or [pd.DataFrame()],  # noqa: E731
                                          ignore_index=True)
    dp, da, rates = tables.get("district_profiles"), tables.get("district_actions"), tables.get("response_rates")
    rate = rates[(rates["level"] == "district") & (rates["unit"].astype(str) == str(district))] if rates is not None else None
    themes = tables.get("comment_themes")
    if themes is not None and not themes.empty:
        themes = themes[(themes["level"] == "district") & (themes["group"].astype(str) == str(district))
                        & themes["staff_survey"].astype(bool)]
    return DistrictContext(
        wave=str(prov.get("wave") or wave or ""), district=str(district), lang=lang, k=reporting_k(prov), branches=mine,
        profiles=gather("branch_profiles", shown), kpis=gather("branch_kpis", ids),
        district_profile=dp[dp["district"].astype(str) == str(district)].reset_index(drop=True) if dp is not None else pd.DataFrame(),
        actions=da[da["district"].astype(str) == str(district)].reset_index(drop=True) if da is not None else pd.DataFrame(),
        labels=tables.get("dimension_labels") if tables.get("dimension_labels") is not None else pd.DataFrame(),
        response=rate.iloc[0].to_dict() if rate is not None and not rate.empty else {},
        themes=themes if themes is not None else pd.DataFrame(),
        comment_threshold=int((prov.get("parameters") or {}).get("comment_threshold", 10)),
        link_suffix="" if lang == "zh" else f".{lang}", provenance=prov)


def header(ctx: DistrictContext) -> Block:
    lang, r = ctx.lang, ctx.response
    facts = [(t(lang, "wave"), ctx.wave), (t(lang, "branches"), len(ctx.branches)),
             (t(lang, "shown"), int(ctx.branches["staff_results_shown"].sum()))]
    if r:
        facts += [(t(lang, "respondents"), int(r["respondents"])), (t(lang, "response_rate"), pct(100 * float(r["rate"])))]
    items = "".join(f"<dt>{esc(a)}</dt><dd>{esc(b)}</dd>" for a, b in facts)
    return Block(f'<header class="hp-header"><h1>{esc(ctx.district)}<span class="hp-subtitle">{esc(t(lang, "title"))}'
                 f'</span></h1><dl class="hp-facts">{items}</dl></header>')


def heatmap_section(ctx: DistrictContext) -> Block:
    lang = ctx.lang
    dims = list(ctx.labels["dimension"]) if not ctx.labels.empty else sorted(set(ctx.profiles.get("dimension", [])))
    if not dims:
        return Block("")
    diffs = {(str(r["branch_id"]), r["dimension"]): float(r["mean"]) - float(r["benchmark"])
             for r in ctx.profiles.to_dict("records")} if not ctx.profiles.empty else {}
    rows, cells = [], []
    for rec in ctx.branches.to_dict("records"):
        bid = str(rec["branch_id"])
        name = rec.get("branch_name") if not is_missing(rec.get("branch_name")) else bid
        rows.append({"label": str(name), "href": ctx.branch_href(bid)})
        cells.append([diffs.get((bid, d)) for d in dims])
    chart = svg.heatmap(rows, [ctx.label(d) for d in dims], cells, lang=lang, k=ctx.k, title=t(lang, "heatmap_fig"),
                        id_prefix="dh")
    return section(t(lang, "heatmap_title"), paragraph(t(lang, "heatmap_intro", k=ctx.k)), figure(chart, t(lang, "heatmap_fig")),
                   anchor="heatmap")


def _versus(lang: str, mean: Any, benchmark: Any) -> str:
    diff = float(mean) - float(benchmark)
    word = "ahead" if diff > 0.005 else "behind" if diff < -0.005 else "level"
    return f"{t(lang, word)} {abs(diff):.2f}" if lang == "zh" else f"{abs(diff):.2f} {t(lang, word)}"


def profile_section(ctx: DistrictContext) -> Block:
    lang, prof = ctx.lang, ctx.district_profile
    if prof.empty:
        return Block("")
    order = {d: i for i, d in enumerate(ctx.labels["dimension"])} if not ctx.labels.empty else {}
    prof = prof.assign(_o=prof["dimension"].map(lambda d: order.get(d, 99))).sort_values("_o")
    rows = [[esc(ctx.label(r["dimension"])), esc(f"{num(r['mean'])} [{num(r['ci_low'])}, {num(r['ci_high'])}]"),
             esc(pct(r["pct_favourable"])), esc(num(r["benchmark"])), esc(_versus(lang, r["mean"], r["benchmark"]))]
            for r in prof.to_dict("records")]
    cols = [t(lang, c) for c in ("dimension", "mean_ci", "favourable", "benchmark", "versus")]
    return section(t(lang, "profile_title"), paragraph(t(lang, "profile_intro")), table(cols, rows, numeric=(1, 2, 3)),
                   anchor="profile")


def priorities_section(ctx: DistrictContext) -> Block:
    lang, acts = ctx.lang, ctx.actions
    if acts.empty:
        return section(t(lang, "priorities_title"), paragraph(t(lang, "no_priorities")), anchor="priorities")
    parts = [paragraph(t(lang, "priorities_intro"))]
    for rec in acts.sort_values(["rank", "order"]).to_dict("records"):
        horizon = TEXT[lang].get(f"horizon_{rec.get('horizon')}", "")
        meta = f"{t(lang, 'track')}：{rec.get(f'kpi_{lang}')}；{t(lang, 'horizon')}：{horizon}" if lang == "zh" else \
            f"{t(lang, 'track')}: {rec.get(f'kpi_{lang}')}; {t(lang, 'horizon')}: {horizon}"
        parts.append(f'<div class="hp-action"><h4>{esc(int(rec["rank"]))}. {esc(ctx.label(rec["dimension"]))}</h4>'
                     f'<p class="hp-basis">{esc(t(lang, "basis", label=ctx.label(rec["dimension"]), value=num(rec["basis_value"]), benchmark=num(rec["basis_benchmark"])))}</p>'
                     f'<ol><li><strong>{esc(rec.get(f"title_{lang}"))}</strong><p>{esc(rec.get(f"detail_{lang}"))}</p>'
                     f'<p class="hp-note">{esc(meta)}</p></li></ol></div>')
    return section(t(lang, "priorities_title"), *parts, anchor="priorities")


def branches_section(ctx: DistrictContext) -> Block:
    """One row per branch: staff responses (or "fewer than k"), its KPIs and a link to its report."""
    lang = ctx.lang
    kpis = ctx.kpis
    names = list(dict.fromkeys(kpis["kpi"])) if not kpis.empty else []
    label_of = {r["kpi"]: r.get(f"label_{lang}") or r["kpi"] for r in kpis.drop_duplicates("kpi").to_dict("records")} if names else {}
    value = {(str(r["branch_id"]), r["kpi"]): format_kpi(r["value"], str(r.get("format") or "number"))
             for r in kpis.to_dict("records")} if names else {}
    rows = []
    for rec in ctx.branches.to_dict("records"):
        bid = str(rec["branch_id"])
        n = rec.get("n_respondents")
        staff = str(int(n)) if not is_missing(n) else t(lang, "fewer", k=ctx.k)
        link = f'<a href="{esc(ctx.branch_href(bid))}">{esc(t(lang, "open"))}</a>'
        name = rec.get("branch_name") if not is_missing(rec.get("branch_name")) else bid
        rows.append([esc(name), esc(staff), *[esc(value.get((bid, k)) or "—") for k in names], link])
    cols = [t(lang, "branch"), t(lang, "staff"), *[str(label_of[k]) for k in names], t(lang, "report")]
    return section(t(lang, "kpis_title"), table(cols, rows, numeric=tuple(range(1, 2 + len(names)))), anchor="branches")


def comments_section(ctx: DistrictContext) -> Block:
    lang, themes = ctx.lang, ctx.themes
    if themes.empty:
        return Block("")
    top = themes[(themes["theme"] != "keyword") & (themes["n_comments"] > 0)].sort_values("n_comments", ascending=False).head(6)
    if top.empty:
        return Block("")
    rows = [[esc(r.get(f"label_{lang}") or r["theme"]), esc(int(r["n_comments"])), esc(pct(100 * float(r["share"])))]
            for r in top.to_dict("records")]
    return section(t(lang, "comments_title"), table([t(lang, c) for c in ("theme", "mentions", "share")], rows, numeric=(1, 2)),
                   paragraph(t(lang, "comments_note", n=ctx.comment_threshold), "hp-note"), anchor="comments")


def footer(ctx: DistrictContext) -> Block:
    return section("", paragraph(t(ctx.lang, "k_rule", k=ctx.k), "hp-note"), cls="hp-appendix")


def render_sections(ctx: DistrictContext) -> list[Block]:
    parts = [header(ctx), heatmap_section(ctx), profile_section(ctx), priorities_section(ctx), branches_section(ctx),
             comments_section(ctx), footer(ctx)]
    return [p for p in parts if p]


__all__ = ["DistrictContext", "branches_section", "comments_section", "footer", "header", "heatmap_section",
           "load_district", "priorities_section", "profile_section", "render_sections"]
