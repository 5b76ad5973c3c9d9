"""The sections of a branch report: each takes a :class:`BranchContext` and returns an HTML Block.

Nothing is estimated here: numbers come from the result tables; the sections select, order,
format and draw (inline SVG from :mod:`analysis.report.svg`). A section with nothing to show
returns an empty Block, so a small branch's report carries one privacy notice, not one per
section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .. import svg
from ..fragments import Block, esc, figure, format_kpi, is_missing, notice, num, paragraph, pct, section, signed, table
from .context import BranchContext
from .text import TEXT, t

TOP = 3
TARGET_BAND = 0.05  # an assigned target within ±5 % of the expectation reads as "in line"
EMPTY = Block("")


def _kpi(x: Any, fmt: str) -> str:
    text = format_kpi(x, fmt)
    return "—" if text is None else text


def _response(ctx: BranchContext) -> str:
    lang, info = ctx.lang, ctx.info
    n, total, rate = info.get("n_respondents"), info.get("staff_on_record"), info.get("response_rate")
    if is_missing(n):
        return t(lang, "fewer_than_k", k=ctx.k)
    if is_missing(total) or is_missing(rate):
        return t(lang, "response_count", n=int(n))
    return t(lang, "response_value", n=int(n), total=int(total), rate=pct(100 * float(rate)))


def header(ctx: BranchContext) -> Block:
    """Title, the branch's facts (with response rates) and, once, the privacy notices."""
    lang = ctx.lang
    facts = [(t(lang, "branch_id"), ctx.branch_id), (t(lang, "wave"), ctx.wave)]
    for key in ("district", "branch_type"):
        labelled = ctx.info.get(f"{key}_{lang}")
        value = labelled if not is_missing(labelled) else ctx.info.get(key)
        if not is_missing(value):
            facts.append((t(lang, key), value))
    facts.append((t(lang, "staff_response"), _response(ctx)))
    if ctx.customer_shown is not None:
        n = ctx.info.get("n_customers")
        facts.append((t(lang, "customer_response"),
                      t(lang, "response_count", n=int(n)) if not is_missing(n) else t(lang, "fewer_than_k", k=ctx.k)))
    items = "".join(f"<dt>{esc(a)}</dt><dd>{esc(b)}</dd>" for a, b in facts)
    parts = [f'<header class="hp-header"><h1>{esc(ctx.name)}<span class="hp-subtitle">{esc(t(lang, "title"))}</span>'
             f'</h1><dl class="hp-facts">{items}</dl></header>']
    if not ctx.staff_shown:
        parts.append(notice(t(lang, "privacy_notice", k=ctx.k)))
    if ctx.customer_shown is False:
        parts.append(notice(t(lang, "customer_notice", k=ctx.k)))
    return Block("".join(parts))


def _versus(lang: str, mean: Any, benchmark: Any) -> str:
    """``低于公司 0.39 分`` / ``0.39 below the company``: the sign stated in words."""
    if is_missing(mean) or is_missing(benchmark):
        return "—"
    diff = float(mean) - float(benchmark)
    word = "ahead" if diff > 0.005 else "behind" if diff < -0.005 else "level"
    return f"{t(lang, word)} {abs(diff):.2f}" if lang == "zh" else f"{abs(diff):.2f} {t(lang, word)}"


def at_a_glance(ctx: BranchContext) -> Block:
    """Top strengths and opportunities (the branch's, or its district's), and the number of actions."""
    lang = ctx.lang
    prof = ctx.profiles if ctx.staff_shown else ctx.district
    lines = []
    if not prof.empty and {"mean", "benchmark", "dimension"} <= set(prof.columns):
        # the difference is a column before filtering: assigning a Series to an empty frame would add its rows
        prof = prof.assign(_d=prof["mean"] - prof["benchmark"])
        up = prof[prof["_d"] > 0].sort_values("_d", ascending=False).head(2)
        down = prof[prof["_d"] < 0].sort_values("_d").head(2)
        for key, rows in (("glance_strengths", up), ("glance_opportunities", down)):
            texts = [t(lang, "dim_vs", label=ctx.label(r["dimension"]), mean=num(r["mean"]),
                       direction=t(lang, "ahead" if r["_d"] > 0 else "behind"), diff=num(abs(r["_d"])))
                     for r in rows.to_dict("records")]
            head = t(lang, key) + (f"（{t(lang, 'this_district')}）" if not ctx.staff_shown and lang == "zh"
                                   else f" ({t(lang, 'this_district')})" if not ctx.staff_shown else "")
            lines.append(f"<dt>{esc(head)}</dt><dd>{esc('；'.join(texts) if lang == 'zh' else '; '.join(texts)) or '—'}</dd>")
    n_actions = int(ctx.actions["action_id"].nunique()) if not ctx.actions.empty else 0
    body = (f'<dl class="hp-glance">{"".join(lines)}</dl>' if lines else "") + paragraph(t(lang, "glance_actions", n=n_actions))
    return section(t(lang, "glance_title"), body, cls="hp-glance-section")


def kpi_section(ctx: BranchContext) -> Block:
    """The KPI snapshot: the branch against the district, the company and the guide's norms."""
    lang = ctx.lang
    if ctx.kpis.empty:
        return EMPTY
    rows, chart = [], []
    for rec in ctx.kpis.to_dict("records"):
        fmt = str(rec.get("format") or "number")
        label = rec.get(f"label_{lang}") if not is_missing(rec.get(f"label_{lang}")) else rec.get("kpi")
        value, rank = rec.get("value"), rec.get("percentile")
        rows.append([esc(label), esc(t(lang, "withheld") if is_missing(value) else _kpi(value, fmt)),
                     esc(_kpi(rec.get("district_mean"), fmt)), esc(_kpi(rec.get("company_mean"), fmt)),
                     esc(_kpi(rec.get("benchmark"), fmt)),
                     esc("—" if is_missing(value) or is_missing(rank) else t(lang, "better_than", p=pct(100 * float(rank))))])
        chart.append({"label": str(label), "value": None if is_missing(value) else float(value),
                      "district_mean": rec.get("district_mean"), "company_mean": rec.get("company_mean"),
                      "benchmark": rec.get("benchmark"), "format": fmt,
                      "lower_is_better": bool(rec.get("lower_is_better", False))})
    cols = [t(lang, c) for c in ("kpi", "value", "district_mean", "company_mean", "guide", "percentile")]
    chart_svg = svg.kpi_bullets(chart, lang=lang, title=t(lang, "kpi_fig"), id_prefix=f"k{_ident(ctx)}")
    return section(t(lang, "kpi_title"), paragraph(t(lang, "kpi_intro")), figure(chart_svg, t(lang, "kpi_fig"), print_it=False),
                   table(cols, rows, numeric=(1, 2, 3, 4, 5)), anchor="kpi")


def _ident(ctx: BranchContext) -> str:
    """A short, file- and id-safe token of the branch for the charts' element ids."""
    import hashlib

    return hashlib.sha256(ctx.branch_id.encode("utf-8")).hexdigest()[:8]


def _ordered(ctx: BranchContext, frame: pd.DataFrame) -> pd.DataFrame:
    order = ctx.dimension_order()
    return frame.assign(_o=frame["dimension"].astype(str).map(lambda d: order.get(d, len(order)))) \
        .sort_values("_o", kind="mergesort").drop(columns="_o").reset_index(drop=True)


def profile_section(ctx: BranchContext) -> Block:
    """Dimension profile: mean [CI], % favourable, against the company; the district's for a small branch."""
    lang = ctx.lang
    own = ctx.staff_shown
    prof = ctx.profiles if own else ctx.district
    if prof.empty:
        return EMPTY
    prof = _ordered(ctx, prof)
    rows, bars, flagged = [], [], False
    lo, hi = float(prof["ci_low"].min()), float(prof["ci_high"].max())
    scale_lo = float(prof["scale_min"].min()) if "scale_min" in prof else min(1.0, lo)
    scale_hi = float(prof["scale_max"].max()) if "scale_max" in prof else max(5.0, hi)
    for rec in prof.to_dict("records"):
        low_agreement = own and rec.get("aggregation_ok") is False
        flagged |= bool(low_agreement)
        notes = [t(lang, "covers")] if bool(rec.get("covers_benchmark")) else []
        if low_agreement:
            notes.append(t(lang, "agreement_low"))
        label = ctx.label(rec["dimension"])
        stage = ctx.stage(rec["dimension"])
        rows.append([f"{esc(label)}{' †' if low_agreement else ''}" + (f'<br><small>{esc(stage)}</small>' if stage else ""),
                     esc(f"{num(rec['mean'])} [{num(rec['ci_low'])}, {num(rec['ci_high'])}]"),
                     esc(pct(rec.get("pct_favourable"))), esc(num(rec.get("benchmark"))),
                     esc(_versus(lang, rec["mean"], rec.get("benchmark"))), esc("；".join(notes) if lang == "zh" else "; ".join(notes))])
        bars.append({"label": label + (" †" if low_agreement else ""), "value": rec["mean"], "ci_low": rec["ci_low"],
                     "ci_high": rec["ci_high"], "benchmark": rec.get("benchmark")})
    cols = [t(lang, c) for c in ("dimension", "mean_ci", "favourable", "benchmark", "versus", "note")]
    caption = t(lang, "profile_fig" if own else "district_fig")
    chart = svg.profile_bars(bars, lo=scale_lo, hi=scale_hi, lang=lang, title=caption, id_prefix=f"p{_ident(ctx)}",
                             axis_label=t(lang, "score_axis"), value_name=t(lang, "this_branch" if own else "this_district"),
                             benchmark_name=t(lang, "benchmark_ref"))
    parts = [paragraph(t(lang, "profile_intro"))]
    if not own:
        first = prof.iloc[0]
        parts.append(notice(t(lang, "district_intro", district=ctx.info.get("district_" + lang) or ctx.info.get("district"),
                              n_branches=int(first["n_branches"]), n=int(first["n"]))))
    parts += [figure(chart, caption), table(cols, rows, numeric=(1, 2, 3))]
    if flagged:
        parts.append(paragraph(t(lang, "agreement_note"), "hp-note"))
    return section(t(lang, "profile_title" if own else "district_title"), *parts, anchor="profile")


def items_section(ctx: BranchContext) -> Block:
    """The items most above and below the company in % favourable, with their wording."""
    lang = ctx.lang
    items = ctx.items
    if items.empty:
        return EMPTY
    parts = [paragraph(t(lang, "items_intro"))]
    cols = [t(lang, c) for c in ("item", "favourable", "company_fav", "difference")]
    for key, column in (("items_strengths", "strength_rank"), ("items_opportunities", "opportunity_rank")):
        chosen = items[items[column].notna()].sort_values(column)
        if chosen.empty:
            continue
        rows = [[esc(ctx.item_text(r["item"])), esc(pct(r["pct_favourable"])), esc(pct(r["benchmark_favourable"])),
                 esc(signed(r["difference_favourable"], 0))] for r in chosen.to_dict("records")]
        parts += [f"<h3>{esc(t(lang, key))}</h3>", table(cols, rows, numeric=(1, 2, 3), cls="hp-items")]
    first = ctx.profiles[ctx.profiles["rank"] == 1] if "rank" in ctx.profiles else pd.DataFrame()
    if not first.empty and first["priority"].iloc[0] > 0:
        dim = first["dimension"].iloc[0]
        mine = items[items["dimension"] == dim]
        bars = [{"label": ctx.item_text(r["item"]), "favourable": r["pct_favourable"], "neutral": r["pct_neutral"],
                 "unfavourable": r["pct_unfavourable"], "benchmark": r["benchmark_favourable"]}
                for r in mine.to_dict("records")]
        if bars:
            caption = f"{t(lang, 'items_fig')}：{ctx.label(dim)}" if lang == "zh" else f"{t(lang, 'items_fig')}: {ctx.label(dim)}"
            parts.append(figure(svg.favourable_bars(bars, lang=lang, title=caption, id_prefix=f"f{_ident(ctx)}",
                                                    benchmark_name=t(lang, "company_fav")), caption, print_it=False))
    if len(parts) == 1:
        parts.append(paragraph(t(lang, "no_items")))
    return section(t(lang, "items_title"), *parts, anchor="items")


def _basis(ctx: BranchContext, rec: Mapping[str, Any]) -> str:
    lang, source = ctx.lang, rec.get("source")
    if source in ("kpi", "customer_survey"):
        code, fmt = str(rec.get("basis")), str(rec.get("basis_format") or "number")
        label = _kpi_label(ctx, code)
        key = "basis_kpi_guide" if rec.get("basis_kind") == "guide" else "basis_kpi_company"
        return t(lang, key, label=label, value=_kpi(rec.get("basis_value"), fmt), benchmark=_kpi(rec.get("basis_benchmark"), fmt))
    if rec.get("basis_kind") == "importance":
        return t(lang, "basis_importance")
    label, value, bench = ctx.label(str(rec.get("dimension"))), rec.get("basis_value"), rec.get("basis_benchmark")
    if source == "keep":
        return t(lang, "basis_keep", label=label, value=num(value), diff=num(float(value) - float(bench)))
    if source == "district":
        text = t(lang, "basis_district", label=label, value=num(value), benchmark=num(bench))
    else:
        diff = float(value) - float(bench)
        text = t(lang, "basis_dimension", label=label, value=num(value), benchmark=num(bench), diff=num(abs(diff)),
                 direction=t(lang, "behind" if diff < 0 else "ahead"))
    if bool(rec.get("covers_benchmark")) is True:
        text += t(lang, "basis_covers") if lang == "zh" else " " + t(lang, "basis_covers")
    return text


def _kpi_label(ctx: BranchContext, code: str) -> str:
    if not ctx.kpis.empty and code in set(ctx.kpis["kpi"].astype(str)):
        value = ctx.kpis.loc[ctx.kpis["kpi"].astype(str) == code, f"label_{ctx.lang}"].iloc[0]
        if not is_missing(value):
            return str(value)
    scale = code.split("_", 1)[-1]
    return ctx.label(scale) if scale != code else code


SOURCES = ("staff_survey", "kpi", "customer_survey", "district", "keep")


def actions_section(ctx: BranchContext) -> Block:
    """Concrete actions, grouped by what they rest on, each with its basis, a KPI to track and a horizon."""
    lang = ctx.lang
    parts = [paragraph(t(lang, "actions_intro"))]
    prof = ctx.profiles
    if ctx.staff_shown and not prof.empty and {"importance", "gap"} <= set(prof.columns):
        points = [{"label": ctx.label(r["dimension"]), "importance": r["importance"], "gap": r["gap"],
                   "highlight": bool(r["rank"] <= TOP and r["priority"] > 0)} for r in prof.to_dict("records")]
        chart = svg.priority_matrix(points, lang=lang, y_split=0.0, title=t(lang, "priority_fig"),
                                    id_prefix=f"m{_ident(ctx)}", x_label=t(lang, "importance_axis"),
                                    y_label=t(lang, "gap_axis"))
        parts.append(figure(chart, t(lang, "priority_fig"), print_it=False))
    records = ctx.actions.to_dict("records") if not ctx.actions.empty else []
    for source in SOURCES:
        mine = sorted((r for r in records if r.get("source") == source), key=lambda r: (r["rank"], r["order"]))
        if not mine:
            continue
        blocks = []
        for rank in dict.fromkeys(r["rank"] for r in mine):
            group = [r for r in mine if r["rank"] == rank]
            first = group[0]
            items = []
            for rec in group:
                horizon = TEXT[lang].get(f"horizon_{rec.get('horizon')}", "")
                sep = "：" if lang == "zh" else ": "
                meta = [f"{t(lang, 'track')}{sep}{rec.get(f'kpi_{lang}')}"] if rec.get(f"kpi_{lang}") else []
                if horizon:
                    meta.append(f"{t(lang, 'horizon')}{sep}{horizon}")
                items.append(f'<li><strong>{esc(rec.get(f"title_{lang}"))}</strong><p>{esc(rec.get(f"detail_{lang}"))}</p>'
                             f'<p class="hp-note">{esc(("；" if lang == "zh" else "; ").join(meta))}</p></li>')
            head = _kpi_label(ctx, str(first["basis"])) if source in ("kpi", "customer_survey") else ctx.label(str(first["dimension"]))
            blocks.append(f'<div class="hp-action"><h4>{esc(int(first["rank"]))}. {esc(head)}</h4>'
                          f'<p class="hp-basis">{esc(_basis(ctx, first))}</p><ol>{"".join(items)}</ol></div>')
        parts.append(f"<h3>{esc(t(lang, 'source_' + source))}</h3>" + "".join(blocks))
    return section(t(lang, "actions_title"), *parts, anchor="actions")


def comments_section(ctx: BranchContext, *, shown: int = 6) -> Block:
    """Comment themes and a few masked comments (only where the analysis let the branch's comments through)."""
    lang = ctx.lang
    themes, comments = ctx.comments.get("comment_themes"), ctx.comments.get("comments")
    if themes is None or themes.empty:
        return EMPTY
    parts = [paragraph(t(lang, "comments_intro"))]
    for staff, key in ((True, "comments_staff"), (False, "comments_customer")):
        mine = themes[(themes["staff_survey"].astype(bool) == staff) & (themes["theme"] != "keyword")
                      & (themes["n_comments"] > 0)].sort_values("n_comments", ascending=False, kind="mergesort").head(5)
        if mine.empty:
            continue
        label = mine[f"label_{lang}"] if f"label_{lang}" in mine else mine["theme"]
        rows = [[esc(lb), esc(int(r["n_comments"])), esc(pct(100 * float(r["share"]))), esc(r.get("example"))]
                for lb, r in zip(label, mine.to_dict("records"))]
        parts += [f"<h3>{esc(t(lang, key))}</h3>",
                  table([t(lang, c) for c in ("theme", "mentions", "share", "example")], rows, numeric=(1, 2))]
        if comments is not None and not comments.empty:
            quotes = comments[comments["staff_survey"].astype(bool) == staff]["comment"].head(shown)
            parts.append('<ul class="hp-quotes">' + "".join(f"<li>{esc(q)}</li>" for q in quotes) + "</ul>")
    parts.append(paragraph(t(lang, "comments_note", n=ctx.comment_threshold), "hp-note"))
    return section(t(lang, "comments_title"), *parts, anchor="comments")
