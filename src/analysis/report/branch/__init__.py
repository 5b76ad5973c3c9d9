"""One branch's improvement report: its context from a results folder, and the report's sections.

The branch notebook (``notebooks/branch_report.ipynb``) calls :func:`load_branch` once and then
the section functions; each returns a :class:`~analysis.report.fragments.Block` (an HTML
fragment that Jupyter shows as HTML). Nothing is estimated here: every number comes from a
result table written by ``hallperf analyze``; the report selects the branch's rows, formats them
and draws inline SVG charts (:mod:`analysis.report.svg`). :func:`page` is the whole report as
one HTML page without a notebook.

Modules: ``text`` (fixed texts, zh/en), ``context`` (the branch's rows, privacy rules, the
per-process table cache), ``sections`` (header, at a glance, KPIs, profile, items, actions,
comments), ``period`` (target fairness, trends, last wave's actions, team scores, appendix).
"""

from __future__ import annotations

from ..fragments import Block, esc
from .context import TABLES, BranchContext, load_branch
from .period import appendix, effects_section, target_section, team_section, trend_section
from .sections import (actions_section, at_a_glance, comments_section, header, items_section, kpi_section,
                       profile_section)
from .text import TEXT, t

__all__ = ["TABLES", "TEXT", "Block", "BranchContext", "actions_section", "appendix", "at_a_glance",
           "comments_section", "effects_section", "esc", "header", "items_section", "kpi_section", "load_branch",
           "page", "profile_section", "render_sections", "t", "target_section", "team_section", "trend_section"]


def render_sections(ctx: BranchContext) -> list[Block]:
    """All sections in report order (what the notebook shows)."""
    parts = [header(ctx), at_a_glance(ctx), kpi_section(ctx), profile_section(ctx), items_section(ctx),
             actions_section(ctx), comments_section(ctx), target_section(ctx), team_section(ctx),
             trend_section(ctx), effects_section(ctx), appendix(ctx)]
    return [p for p in parts if p]


def page(ctx: BranchContext) -> str:
    """The whole report as a standalone HTML page (the same sections the notebook shows)."""
    from analysis.report.html import REPORT_CSS

    title = f"{ctx.name} · {t(ctx.lang, 'title')}"
    body = "\n".join(render_sections(ctx))
    return (f'<!DOCTYPE html>\n<html lang="{esc(t(ctx.lang, "html_lang"))}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>\n{REPORT_CSS}\n</style>\n</head>\n<body>\n<main class=\"hp-report\">\n"
            f"{body}\n</main>\n</body>\n</html>\n")
