"""Branch improvement reports (analysis.report.branch) on the real results of the sample wave.

Sections are rendered in this process (``page``), so these tests are fast; the notebook runs
end to end in tests/test_report_stage.py and in Chromium in tests/test_browser.py. The results
are the session fixture ``sample_results`` of tests/conftest.py (tests that change them copy).
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis.report.branch import TEXT, actions_section, load_branch, page
from analysis.report.branch.context import results_tables

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "notebooks" / "branch_report.ipynb"
PSEUDONYM = re.compile(r"P[0-9a-f]{16}")


@pytest.fixture(scope="session")
def branch_ids(sample_results) -> tuple[str, str]:
    """(a branch with n >= k, a branch with n < k) from the sample's branch_summary."""
    summary = pd.read_parquet(sample_results / "branch_summary.parquet")
    shown = summary.loc[summary["staff_results_shown"], "branch_id"].iloc[0]
    hidden = summary.loc[~summary["staff_results_shown"], "branch_id"].iloc[0]
    return str(shown), str(hidden)


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _set(results: Path, table: str, frame: pd.DataFrame) -> None:
    frame.to_parquet(results / f"{table}.parquet", index=False)
    frame.to_csv(results / f"{table}.csv", index=False)


def _zh_fixed_texts() -> list[str]:
    return [v for v in TEXT["zh"].values() if re.search(r"[\u4e00-\u9fff]", v) and "{" not in v]


def test_template_has_one_parameters_cell_no_outputs_no_functions():
    nb = nbformat.read(TEMPLATE, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name, literal in [("wave", '"sample"'), ("branch_id", '"B0001"'), ("lang", '"zh"'), ("results_dir", "None"),
                          ("previous_results_dir", "None")]:
        assert re.search(rf"^{name} = {re.escape(literal)}  # \S", tagged[0].source, re.M), name
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert not any(re.search(r"^\s*(def|class|lambda)\b", c.source, re.M) for c in code)


def test_every_sample_branch_gets_an_action_section(sample_results):
    """40% of managers once got nothing to act on: now every branch, small ones included, has actions."""
    summary = pd.read_parquet(sample_results / "branch_summary.parquet")
    sources = set()
    for bid in summary["branch_id"].astype(str):
        ctx = load_branch(sample_results, bid)
        html = actions_section(ctx)
        assert "<ol>" in html and not ctx.actions.empty, bid
        sources |= set(ctx.actions["source"])
        if not ctx.staff_shown:
            assert "staff_survey" not in set(ctx.actions["source"])
    assert {"staff_survey", "kpi", "customer_survey"} <= sources
    assert (~summary["staff_results_shown"]).sum() > 10  # the sample has many small branches


def test_a_small_branch_gets_one_notice_the_district_profile_and_its_kpi_actions(sample_results, branch_ids):
    _, hidden = branch_ids
    ctx = load_branch(sample_results, hidden)
    assert not ctx.staff_shown and ctx.profiles.empty and ctx.items.empty and ctx.info["n_respondents"] is None
    html = page(ctx)
    notice = TEXT["zh"]["privacy_notice"].format(k=5)
    assert html.count(notice) == 1
    assert TEXT["zh"]["district_title"] in html and "不代表本厅" in html  # labelled as the district's
    assert TEXT["zh"]["actions_title"] in html
    assert TEXT["zh"]["items_title"] not in html  # the branch's own item results are not there at all


def test_faulty_tables_cannot_leak_a_small_branch(sample_results, branch_ids, tmp_path):
    """Even when a (faulty) results table carries staff rows for a hidden branch, none is shown."""
    _, hidden = branch_ids
    results = _copy(sample_results, tmp_path / "results")
    profiles = pd.read_parquet(results / "branch_profiles.parquet")
    leaked = profiles[profiles["branch_id"] == profiles["branch_id"].iloc[0]].assign(branch_id=hidden, mean=1.2345, n=3)
    _set(results, "branch_profiles", pd.concat([profiles, leaked], ignore_index=True))
    actions = pd.read_parquet(results / "branch_actions.parquet")
    staff = actions[actions["source"] == "staff_survey"].head(2).assign(branch_id=hidden, title_zh="泄露的措施")
    _set(results, "branch_actions", pd.concat([actions, staff], ignore_index=True))
    html = page(load_branch(results, hidden))
    assert "1.23" not in html and "泄露的措施" not in html
    raw = pd.read_csv(ROOT / "data" / "raw" / "sample" / "staff_survey.csv", encoding="utf-8-sig")
    n_raw = int((raw["营业厅编号"] == hidden).sum())
    assert n_raw < 5 and f"{n_raw} / " not in html and f">{n_raw} 份" not in html


def test_survey_conventions_in_a_shown_branch(sample_results, branch_ids):
    shown, _ = branch_ids
    ctx = load_branch(sample_results, shown)
    html = page(ctx)
    zh = TEXT["zh"]
    for key in ("glance_title", "kpi_title", "profile_title", "items_title", "actions_title", "appendix_title"):
        assert zh[key] in html, key
    prof = ctx.profiles
    # % favourable beside the mean, and the CI inside the 1-5 scale
    assert all(f"{round(v):.0f}%" in html for v in prof["pct_favourable"])
    assert (prof["ci_low"] >= 1).all() and (prof["ci_high"] <= 5).all()
    # the gap's sign in words: 低于 / 高于 the company, never a bare signed number
    assert "低于" in html or "高于" in html
    # item wording, not item codes, in the strengths and opportunities
    items = ctx.items[ctx.items["strength_rank"].notna() | ctx.items["opportunity_rank"].notna()]
    assert len(items) and all(ctx.item_text(i) in unescape(html) for i in items["item"])
    assert not re.search(r"\b[A-Z]{2}\d得分\b", unescape(html).split(zh["actions_title"])[0])
    # response rate: answered / staff on record
    n, total = int(ctx.info["n_respondents"]), int(ctx.info["staff_on_record"])
    assert f"{n} / {total} 人" in html


def test_priorities_say_when_the_interval_covers_the_benchmark(sample_results):
    actions = pd.read_parquet(sample_results / "branch_actions.parquet")
    covered = actions[(actions["source"] == "staff_survey") & (actions["covers_benchmark"] == True)]  # noqa: E712
    assert len(covered)
    html = page(load_branch(sample_results, str(covered["branch_id"].iloc[0])))
    assert TEXT["zh"]["basis_covers"] in html


def test_a_strong_branch_gets_its_strengths_to_keep(sample_results):
    actions = pd.read_parquet(sample_results / "branch_actions.parquet")
    keep = actions[actions["source"] == "keep"]
    assert not keep.empty  # the sample has a branch ahead of the company on every dimension
    bid = str(keep["branch_id"].iloc[0])
    html = page(load_branch(sample_results, bid))
    assert TEXT["zh"]["source_keep"] in html and keep["title_zh"].iloc[0] in html


def test_english_variant_uses_no_chinese_fixed_text(sample_results, branch_ids):
    from conftest import without_respondent_text

    summary = pd.read_parquet(sample_results / "branch_summary.parquet")
    with_comments = pd.read_parquet(sample_results / "comments.parquet")["group"].astype(str)
    commented = next(b for b in summary["branch_id"].astype(str) if b in set(with_comments))
    for bid in [*branch_ids, commented]:
        ctx = load_branch(sample_results, bid, lang="en")
        html = page(ctx)
        assert TEXT["en"]["title"] in html and '<html lang="en">' in html
        html = without_respondent_text(html, sample_results, bid)  # comments are shown as written (Chinese)
        assert not [text for text in _zh_fixed_texts() if text in html]


def test_charts_are_inline_svg_that_parse_and_repeat_byte_for_byte(sample_results, branch_ids):
    shown, _ = branch_ids
    first, second = page(load_branch(sample_results, shown)), page(load_branch(sample_results, shown))
    assert first == second
    charts = re.findall(r"<svg.*?</svg>", first, re.S)
    assert len(charts) >= 4 and "data:image/png" not in first
    for chart in charts:
        ET.fromstring(chart)


def test_trends_state_holm_and_keep_the_legend_off_the_lines(sample_results, branch_ids, tmp_path):
    shown, hidden = branch_ids
    results = _copy(sample_results, tmp_path / "results")
    trends = pd.DataFrame({
        "branch_id": [shown, shown, hidden], "dimension": ["TS", "CO", "TS"], "wave": "sample",
        "previous_wave": "2026Q2", "mean": [3.4, 3.1, 2.0], "previous_mean": [3.0, 3.3, 4.0],
        "change": [0.4, -0.2, -2.0], "ci_low": [0.1, -0.5, -2.5], "ci_high": [0.7, 0.1, -1.5], "p": [0.01, 0.2, 0.001],
        "p_holm": [0.02, 0.2, 0.002], "significant": [True, False, True], "comparable": [True, True, True],
        "source": "staff"})
    _set(results, "branch_trends", trends)
    html = page(load_branch(results, shown))
    assert "Holm" in html and "+0.40 [0.10, 0.70]" in html
    assert 'class="hp-legend"' in html.split(TEXT["zh"]["trend_title"])[1]
    hidden_html = page(load_branch(results, hidden))
    assert "-2.00" not in hidden_html and "+0.40" not in hidden_html


def test_comments_only_for_branches_with_enough_answers(sample_results):
    """Each survey's comments of a branch are shown only with 10+ respondents to that survey: staff
    suggestions of a branch of fewer staff never, its customers' comments when 10+ customers answered."""
    tables = results_tables(sample_results)
    groups = tables.get("comment_groups")
    assert groups is not None and (groups["n"] >= 10).all()
    summary = pd.read_parquet(sample_results / "branch_summary.parquet")
    small = summary[summary["n_respondents"].fillna(0) < 10]["branch_id"].astype(str)
    branch = groups[groups["level"] == "branch_id"]
    staff_groups = set(branch.loc[branch["staff_survey"].astype(bool), "group"].astype(str))
    customer_groups = set(branch.loc[~branch["staff_survey"].astype(bool), "group"].astype(str))
    assert staff_groups and not staff_groups & set(small)
    assert set(small) & customer_groups  # the sample's simulated customers comment in small branches too
    zh = TEXT["zh"]
    for bid in small.head(5):
        html = page(load_branch(sample_results, bid))
        assert zh["comments_staff"] not in html
        assert (zh["comments_customer"] in html) == (bid in customer_groups)
    bid = sorted(staff_groups)[0]
    html = page(load_branch(sample_results, bid))
    assert zh["comments_title"] in html and zh["comments_staff"] in html and 'class="hp-quotes"' in html


def test_data_texts_are_escaped(sample_results, branch_ids, tmp_path):
    shown, _ = branch_ids
    results = _copy(sample_results, tmp_path / "results")
    summary = pd.read_parquet(results / "branch_summary.parquet")
    summary["branch_name"] = summary["branch_name"].astype(object)
    summary.loc[summary["branch_id"] == shown, "branch_name"] = "<script>document.title='owned'</script>"
    _set(results, "branch_summary", summary)
    html = page(load_branch(results, shown))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_no_pseudonym_in_any_sample_report(sample_results):
    summary = pd.read_parquet(sample_results / "branch_summary.parquet")
    text = "\n".join(page(load_branch(sample_results, str(b))) for b in summary["branch_id"].head(20))
    assert not PSEUDONYM.search(text)


def test_missing_branch_and_wrong_wave_are_errors(sample_results):
    with pytest.raises(KeyError, match="B9999"):
        load_branch(sample_results, "B9999")
    with pytest.raises(ValueError, match="wave"):
        load_branch(sample_results, "B0001", wave="2030Q1")


def test_at_a_glance_lists_only_dimensions_ahead_or_behind(sample_results):
    # a branch behind the company on every dimension once got "nan: — points" strengths (pandas assign on an empty frame)
    from analysis.report.branch import at_a_glance

    summary = pd.read_parquet(sample_results / "branch_summary.parquet")
    profiles = pd.read_parquet(sample_results / "branch_profiles.parquet")
    behind_everywhere = profiles.assign(ahead=profiles["mean"] > profiles["benchmark"]).groupby("branch_id")["ahead"].sum()
    weak = [b for b in behind_everywhere[behind_everywhere == 0].index if b in set(summary["branch_id"])]
    assert weak  # the sample has such a branch (B0026)
    for bid in summary["branch_id"].astype(str):
        html = str(at_a_glance(load_branch(sample_results, bid)))
        assert "nan" not in html and "— 分" not in html, bid
    strengths = re.search(r"相对优势</dt><dd>(.*?)</dd>", str(at_a_glance(load_branch(sample_results, weak[0])))).group(1)
    assert strengths == "—"


def test_team_appraisal_scores_are_labelled_with_the_composite_last(sample_results):
    from analysis.report.branch import team_section

    scorecard = pd.read_parquet(sample_results / "appraisal_branch_scorecard.parquet")
    codes = set(scorecard["indicator"])
    bid = str(scorecard["branch_id"].iloc[0])
    for lang, composite in (("zh", "综合得分"), ("en", "Composite")):
        html = str(team_section(load_branch(sample_results, bid, lang=lang)))
        terms = re.findall(r"<dt>(.*?)</dt>", html)
        assert terms and terms[-1] == composite and not codes & set(terms), terms  # no raw indicator code
