"""Sections about the period: target fairness, change since the last wave, last wave's actions,
the team's appraisal scores, and the appendix with method and provenance."""

from __future__ import annotations

from typing import Any

from .. import svg
from ..fragments import Block, esc, figure, is_missing, num, paragraph, section, signed, table
from .context import BranchContext
from .sections import EMPTY, TARGET_BAND, _ident, _kpi
from .text import TEXT, t


def target_section(ctx: BranchContext) -> Block:
    """The assigned target against the objective expectation (``target_gaps``)."""
    lang, tg = ctx.lang, ctx.target
    if not tg or is_missing(tg.get("expected")):
        return EMPTY
    ratio = tg.get("gap_ratio")
    cols = [t(lang, c) for c in ("assigned", "expected", "actual", "ratio")]
    row = [esc(_kpi(tg.get("target"), "number")), esc(_kpi(tg.get("expected"), "number")),
           esc(_kpi(tg.get("actual"), "number")), esc(_kpi(ratio, "percent"))]
    parts = [paragraph(t(lang, "target_intro")), table(cols, [row], numeric=(0, 1, 2, 3))]
    if not is_missing(ratio):
        r = float(ratio)
        key = "target_above" if r > 1 + TARGET_BAND else "target_below" if r < 1 - TARGET_BAND else "target_inline"
        share = abs(r - 1) if key != "target_inline" else TARGET_BAND
        parts.append(paragraph(t(lang, key, pct=f"{share * 100:.1f}%" if key != "target_inline" else f"{share * 100:.0f}%"),
                               "hp-callout"))
    return section(t(lang, "target_title"), *parts, anchor="target")


def _reason(lang: str, reason: Any) -> str:
    if is_missing(reason) or reason == "":
        return ""
    code = str(reason)
    key = "reason_model_failed" if code.startswith("model_failed") else f"reason_{code}"
    return TEXT[lang].get(key, TEXT[lang]["reason_not_comparable"])


def _signed_kpi(x: Any, fmt: str, lang: str) -> str:
    if is_missing(x):
        return "—"
    if fmt == "percent":
        return f"{float(x) * 100:+.1f} {t(lang, 'pp')}"
    return signed(x, 2) if fmt == "score" else f"{float(x):+,.1f}"


def _label(ctx: BranchContext, rec: dict) -> str:
    label = rec.get(f"label_{ctx.lang}")
    if not is_missing(label) and str(label):
        return str(label)
    return ctx.label(str(rec.get("dimension")))


def trend_section(ctx: BranchContext) -> Block:
    """Change since the previous wave: staff, customer and KPI rows in their own small tables."""
    lang, tr = ctx.lang, ctx.trends
    if tr.empty:
        return section(t(lang, "trend_title"), paragraph(t(lang, "no_previous")), anchor="trend")
    parts = [paragraph(t(lang, "trend_intro"))]
    for source, key in (("staff", "trend_staff"), ("customer", "trend_customer")):
        rows_of = tr[tr["source"] == source]
        if rows_of.empty:
            continue
        rows = [[esc(_label(ctx, r)), esc(num(r.get("previous_mean"))), esc(num(r.get("mean"))),
                 esc(f"{signed(r.get('change'))} [{num(r.get('ci_low'))}, {num(r.get('ci_high'))}]"
                     if not is_missing(r.get("change")) else "—"),
                 esc("—" if is_missing(r.get("significant")) or is_missing(r.get("change"))
                     else t(lang, "yes" if bool(r.get("significant")) else "no")),
                 esc(_reason(lang, r.get("reason")))] for r in rows_of.to_dict("records")]
        cols = [t(lang, c) for c in ("dimension", "previous", "current", "change_ci", "significant", "trend_note")]
        parts += [f"<h3>{esc(t(lang, key))}</h3>", table(cols, rows, numeric=(1, 2, 3))]
        if source == "staff":
            plot = rows_of.dropna(subset=["previous_mean", "mean"])
            if not plot.empty:
                waves = [str(plot["previous_wave"].iloc[0]), str(plot["wave"].iloc[0])]
                series = [{"label": _label(ctx, r), "values": [r["previous_mean"], r["mean"]]} for r in plot.to_dict("records")]
                chart = svg.trend_lines(series, waves=waves, lang=lang, legend_position="right", title=t(lang, "trend_fig"),
                                        id_prefix=f"t{_ident(ctx)}", y_label=t(lang, "score_axis"))
                parts.append(figure(chart, t(lang, "trend_fig"), print_it=False))
    kpis = tr[tr["source"] == "kpi"]
    if not kpis.empty:
        rows = []
        for r in kpis.to_dict("records"):
            fmt = str(r.get("format")) if not is_missing(r.get("format")) else "number"
            rows.append([esc(_label(ctx, r)), esc(_kpi(r.get("previous_value"), fmt)), esc(_kpi(r.get("value"), fmt)),
                         esc(_signed_kpi(r.get("change"), fmt, lang)), esc(_reason(lang, r.get("reason")) if is_missing(r.get("change")) else "")])
        cols = [t(lang, c) for c in ("kpi", "previous_value", "current_value", "change", "trend_note")]
        parts += [f"<h3>{esc(t(lang, 'trend_kpi'))}</h3>", paragraph(t(lang, "trend_kpi_intro"), "hp-note"),
                  table(cols, rows, numeric=(1, 2, 3))]
    return section(t(lang, "trend_title"), *parts, anchor="trend")


def effects_section(ctx: BranchContext) -> Block:
    """Last wave's registered actions and the change of their target dimension (上期措施效果)."""
    lang, eff = ctx.lang, ctx.effects
    if eff.empty:
        return EMPTY
    rows = []
    for r in eff.to_dict("records"):
        shown = bool(r.get("shown")) and ctx.staff_shown
        change = (f"{num(r.get('previous'))} → {num(r.get('current'))}（{signed(r.get('change'))}）" if lang == "zh"
                  else f"{num(r.get('previous'))} → {num(r.get('current'))} ({signed(r.get('change'))})") if shown \
            else t(lang, "effect_hidden")
        rows.append([esc(r.get("action_id")), esc(ctx.label(str(r.get("dimension")))), esc(r.get("start_month")), esc(change)])
    cols = [t(lang, c) for c in ("effect_action", "dimension", "effect_start", "change")]
    return section(t(lang, "effects_title"), paragraph(t(lang, "effects_intro")), table(cols, rows), anchor="effects")


def team_section(ctx: BranchContext) -> Block:
    """The branch's mean appraisal points per indicator (the team view of the appraisal scheme)."""
    lang, sc = ctx.lang, ctx.scorecard
    if sc.empty or "mean_points" not in sc:
        return EMPTY
    sc = sc.assign(_last=sc["indicator"] == "composite").sort_values("_last", kind="stable")  # the composite last
    pairs = "".join(f"<dt>{esc(r['label'] if not is_missing(r.get('label')) else r['indicator'])}</dt>"
                    f"<dd>{esc(num(r['mean_points'], 1))}</dd>" for r in sc.to_dict("records"))
    return section(t(lang, "team_title"), paragraph(t(lang, "team_intro")), f'<dl class="hp-pairs">{pairs}</dl>',
                   anchor="team")


def appendix(ctx: BranchContext) -> Block:
    """Method notes and provenance, in small print at the end."""
    lang, prov = ctx.lang, ctx.provenance
    lines = [t(lang, "k_rule", k=ctx.k), t(lang, "method_favourable"), t(lang, "method_importance"), t(lang, "method_ci")]
    careless = (prov.get("excluded") or {}).get("careless")
    if careless is not None:
        lines.append(t(lang, "careless", n=careless))
    parts = ["<ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>"]
    facts = []
    inputs = prov.get("inputs") or []
    if inputs:
        facts.append((t(lang, "inputs"), "; ".join(f"{i.get('file')}: {str(i.get('sha256', ''))[:16]}" for i in inputs)))
    instruments = prov.get("instruments") or {}
    if instruments:
        facts.append((t(lang, "instruments"), "; ".join(f"{n} {v.get('version', '')}" for n, v in sorted(instruments.items()))))
    seed = (prov.get("parameters") or {}).get("seed")
    if seed is not None:
        facts.append((t(lang, "seed"), seed))
    packages = prov.get("packages") or {}
    if packages:
        facts.append((t(lang, "packages"), "; ".join(f"{n} {v}" for n, v in packages.items())))
    if facts:
        parts.append(f"<h3>{esc(t(lang, 'provenance'))}</h3>" + '<dl class="hp-provenance">'
                     + "".join(f"<dt>{esc(a)}</dt><dd>{esc(b)}</dd>" for a, b in facts) + "</dl>")
    return section(t(lang, "appendix_title"), *parts, cls="hp-appendix", anchor="appendix")
