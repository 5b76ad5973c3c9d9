"""Branch improvement report (analysis.report.branch) on the real results of the sample wave.

The sections are rendered in this process (no kernel), so these tests are fast; the notebook
runs end to end in tests/test_report_stage.py. Results of the bundled sample wave: the session
fixture ``sample_results`` of tests/conftest.py (tests that change them work on a copy).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis.report.branch import TEXT, header, load_branch, page
from analysis.report.html import CJK_FONT_STACK

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


def copy_results(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _set(results: Path, table: str, frame: pd.DataFrame) -> None:
    frame.to_parquet(results / f"{table}.parquet", index=False)
    frame.to_csv(results / f"{table}.csv", index=False)


def _zh_fixed_texts() -> list[str]:
    return [v for v in TEXT["zh"].values() if re.search(r"[\u4e00-\u9fff]", v) and "{" not in v]


# --------------------------------------------------------------------------- template
def test_template_has_one_parameters_cell_no_outputs_no_functions():
    nb = nbformat.read(TEMPLATE, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    source = tagged[0].source
    for name, literal in [("wave", '"sample"'), ("branch_id", '"B0001"'), ("lang", '"zh"'),
                          ("results_dir", '"output/sample/results"'), ("previous_results_dir", "None")]:
        assert re.search(rf"^{name} = {re.escape(literal)}  # \S", source, re.M), name
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert not any(re.search(r"^\s*(def|class|lambda)\b", c.source, re.M) for c in code)
    assert any(c.cell_type == "markdown" for c in nb.cells)
    assert all("analysis" in c.source or c is tagged[0] or "branch." in c.source for c in code)


# --------------------------------------------------------------------------- context and privacy
def test_context_of_a_suppressed_branch_holds_no_staff_results(sample_results, branch_ids):
    shown, hidden = branch_ids
    a = load_branch(sample_results, shown)
    b = load_branch(sample_results, hidden)
    assert a.staff_shown and not a.profiles.empty and a.info["n_respondents"] >= a.k
    assert not b.staff_shown and b.profiles.empty and b.actions.empty
    assert b.info["n_respondents"] is None
    assert a.k == 5 and not b.kpis.empty  # KPI records are still there


def test_missing_branch_and_wrong_wave_are_errors(sample_results):
    with pytest.raises(KeyError, match="B9999"):
        load_branch(sample_results, "B9999")
    with pytest.raises(ValueError, match="wave"):
        load_branch(sample_results, "B0001", wave="2030Q1")


def test_report_of_branch_with_enough_staff(sample_results, branch_ids, tmp_path):
    shown, _ = branch_ids
    ctx = load_branch(sample_results, shown, figure_dir=tmp_path / "fig")
    html = page(ctx)
    zh = TEXT["zh"]
    for key in ("kpi_title", "profile_title", "priority_title", "actions_title", "target_title",
                "trend_title", "method_title", "no_previous"):
        assert zh[key] in html, key
    assert zh["privacy_notice"].format(k=5) not in html
    assert html.count('src="data:image/png;base64,') == 3  # KPIs, profile, priority matrix
    assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == ["kpis.png", "priority.png", "profile.png"]
    # the top three priorities become actions from branch_actions
    actions = pd.read_parquet(sample_results / "branch_actions.parquet")
    mine = actions[(actions["branch_id"] == shown) & (actions["rank"] <= 3)]
    assert len(mine) > 0 and all(t in html for t in mine["title_zh"])
    # the KPI snapshot shows the guide's norm and the branch's target completion
    kpis = pd.read_parquet(sample_results / "branch_kpis.parquet")
    value = kpis[(kpis["branch_id"] == shown) & (kpis["kpi"] == "target_completion")]["value"].iloc[0]
    assert f"{value * 100:.1f}%" in html and "20.0" in html
    n = int(pd.read_parquet(sample_results / "branch_summary.parquet").set_index("branch_id")
            .loc[shown, "n_respondents"])
    assert zh["n_staff"].format(n=n) in html
    results_json = json.loads((sample_results / "results.json").read_text("utf-8"))
    assert str(results_json["parameters"]["seed"]) in html
    assert results_json["inputs"][0]["sha256"][:16] in html
    assert CJK_FONT_STACK in html


def test_report_of_branch_below_k_shows_no_staff_survey_results(sample_results, branch_ids, tmp_path):
    """Even when a (faulty) results table carries staff rows for the branch, none is shown."""
    _, hidden = branch_ids
    results = copy_results(sample_results, tmp_path / "results")
    profiles = pd.read_parquet(results / "branch_profiles.parquet")
    leaked = profiles[profiles["branch_id"] == profiles["branch_id"].iloc[0]].copy()
    leaked["branch_id"] = hidden
    leaked["mean"] = 1.2345
    leaked["n"] = 3
    _set(results, "branch_profiles", pd.concat([profiles, leaked], ignore_index=True))
    actions = pd.read_parquet(results / "branch_actions.parquet")
    leaked_actions = actions.head(2).assign(branch_id=hidden, title_zh="泄露的措施")
    _set(results, "branch_actions", pd.concat([actions, leaked_actions], ignore_index=True))

    ctx = load_branch(results, hidden, figure_dir=tmp_path / "fig")
    html = page(ctx)
    assert TEXT["zh"]["privacy_notice"].format(k=5) in html
    assert "1.23" not in html and "泄露的措施" not in html
    labels = pd.read_parquet(results / "dimension_labels.parquet")
    assert not any(label in html for label in labels["label_zh"])  # no dimension of the staff survey
    assert TEXT["zh"]["mean_ci"] not in html
    assert 'class="hp-action"' not in html
    assert TEXT["zh"]["n_staff_hidden"].format(k=5) in html
    assert html.count('src="data:image/png;base64,') == 1  # only the KPI figure (records + customers)
    assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == ["kpis.png"]
    # the count of staff respondents (below k) appears nowhere
    staff = pd.read_csv(ROOT / "data" / "raw" / "sample" / "staff_survey.csv", encoding="utf-8-sig")
    n_raw = int((staff["营业厅编号"] == hidden).sum())
    assert n_raw < 5 and TEXT["zh"]["n_staff"].format(n=n_raw) not in html


def test_customer_kpis_withheld_below_k(sample_results, branch_ids, tmp_path):
    shown, _ = branch_ids
    results = copy_results(sample_results, tmp_path / "results")
    summary = pd.read_parquet(results / "branch_summary.parquet")
    row = summary["branch_id"] == shown
    summary.loc[row, "customer_results_shown"] = False
    summary.loc[row, "n_customers"] = pd.NA
    _set(results, "branch_summary", summary)
    kpis = pd.read_parquet(results / "branch_kpis.parquet")
    kpis.loc[(kpis["branch_id"] == shown) & kpis["kpi"].str.startswith("customer_"), "value"] = float("nan")
    _set(results, "branch_kpis", kpis)
    html = page(load_branch(results, shown, figure_dir=tmp_path / "fig"))
    assert TEXT["zh"]["customer_notice"].format(k=5) in html
    assert html.count(TEXT["zh"]["withheld"]) == 2  # satisfaction and complaint rate
    assert TEXT["zh"]["n_customers_hidden"].format(k=5) in html


def test_english_variant_uses_no_chinese_fixed_text(sample_results, branch_ids, tmp_path):
    shown, _ = branch_ids
    html = page(load_branch(sample_results, shown, lang="en", figure_dir=tmp_path / "fig"))
    assert TEXT["en"]["title"] in html and '<html lang="en">' in html
    assert TEXT["en"]["kpi_title"] in html and "Target completion" in html
    leftovers = [text for text in _zh_fixed_texts() if text in html]
    assert not leftovers
    labels = pd.read_parquet(sample_results / "dimension_labels.parquet")
    assert any(label in html for label in labels["label_en"])
    assert not any(label in html for label in labels["label_zh"])


def test_low_agreement_is_flagged(sample_results, branch_ids, tmp_path):
    shown, _ = branch_ids
    results = copy_results(sample_results, tmp_path / "results")
    profiles = pd.read_parquet(results / "branch_profiles.parquet")
    first = profiles.index[profiles["branch_id"] == shown][0]
    profiles["aggregation_ok"] = profiles["aggregation_ok"].astype(object)
    profiles.loc[first, "aggregation_ok"] = False
    _set(results, "branch_profiles", profiles)
    html = page(load_branch(results, shown, lang="en", figure_dir=tmp_path / "fig"))
    assert html.count("agreement too low to treat as a branch climate") == 1
    assert TEXT["en"]["agreement_note"] in html
    clean = page(load_branch(sample_results, shown, lang="en", figure_dir=tmp_path / "fig2"))
    flags = pd.read_parquet(sample_results / "branch_profiles.parquet")
    n_low = int((flags[flags["branch_id"] == shown]["aggregation_ok"] == False).sum())  # noqa: E712
    assert clean.count("agreement too low to treat as a branch climate") == n_low


def test_trend_from_branch_trends_table(sample_results, branch_ids, tmp_path):
    shown, hidden = branch_ids
    results = copy_results(sample_results, tmp_path / "results")
    trends = pd.DataFrame({
        "branch_id": [shown, shown, hidden], "dimension": ["TS", "CO", "TS"], "wave": "sample",
        "previous_wave": "2026Q2", "mean": [3.4, 3.1, 2.0], "previous_mean": [3.0, 3.3, 4.0],
        "change": [0.4, -0.2, -2.0], "ci_low": [0.1, -0.5, -2.5], "ci_high": [0.7, 0.1, -1.5],
        "significant": [True, False, True], "comparable": [True, False, True]})
    _set(results, "branch_trends", trends)
    html = page(load_branch(results, shown, figure_dir=tmp_path / "fig"))
    assert TEXT["zh"]["no_previous"] not in html
    assert "2026Q2" in html and "0.40 [0.10, 0.70]" in html and (tmp_path / "fig" / "trend.png").is_file()
    # the suppressed branch's staff trend is not shown
    hidden_html = page(load_branch(results, hidden, figure_dir=tmp_path / "fig_h"))
    assert "-2.00" not in hidden_html and TEXT["zh"]["no_previous"] in hidden_html
    # a previous results folder is read when the current one has no trend table
    html2 = page(load_branch(sample_results, shown, previous_results_dir=results, figure_dir=tmp_path / "f3"))
    assert "0.40 [0.10, 0.70]" in html2


def test_data_texts_are_escaped_and_k_never_below_3(sample_results, branch_ids, tmp_path):
    shown, _ = branch_ids
    results = copy_results(sample_results, tmp_path / "results")
    summary = pd.read_parquet(results / "branch_summary.parquet")
    summary["branch_name"] = summary["branch_name"].astype(object)
    summary.loc[summary["branch_id"] == shown, "branch_name"] = "<script>document.title='owned'</script>"
    summary.loc[summary["branch_id"] == shown, "district"] = '<img src=x onerror="alert(1)">'
    _set(results, "branch_summary", summary)
    meta = json.loads((results / "results.json").read_text("utf-8"))
    meta["parameters"]["min_group_size"] = 2
    (results / "results.json").write_text(json.dumps(meta), "utf-8")
    ctx = load_branch(results, shown, figure_dir=tmp_path / "fig")
    assert ctx.k == 3
    html = page(ctx)
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;document.title=&#x27;owned&#x27;&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_figures_are_byte_identical_across_runs(sample_results, branch_ids, tmp_path):
    shown, _ = branch_ids
    a = page(load_branch(sample_results, shown, figure_dir=tmp_path / "a"))
    b = page(load_branch(sample_results, shown, figure_dir=tmp_path / "b"))
    assert a == b
    for name in ("kpis.png", "profile.png", "priority.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_no_pseudonym_or_raw_identity_in_reports(sample_results, branch_ids, tmp_path):
    pages = [page(load_branch(sample_results, b, lang=lang, figure_dir=tmp_path / f"{b}{lang}"))
             for b in branch_ids for lang in ("zh", "en")]
    text = "\n".join(pages)
    assert not PSEUDONYM.search(text)
    raw = ROOT / "data" / "raw" / "sample"
    staff = pd.read_csv(raw / "staff_survey.csv", encoding="utf-8-sig", dtype=str)
    secrets = set(staff["工号"]) | set(staff["姓名"]) | set(staff["手机号"])
    leaks = sorted(s for s in secrets if isinstance(s, str) and len(s) >= 2 and s in text)
    assert not leaks


def test_header_shows_codebook_labels_not_codes(sample_results, branch_ids):
    shown, _ = branch_ids
    summary = pd.read_parquet(sample_results / "branch_summary.parquet").set_index("branch_id")
    code = summary.loc[shown, "branch_type"]
    labels = {"flagship": ("旗舰厅", "Flagship"), "standard": ("标准厅", "Standard"),
              "community": ("社区厅", "Community"), "rural": ("乡镇厅", "Rural")}  # surveys/branches.yml
    for lang, label in zip(("zh", "en"), labels[code]):
        html = str(header(load_branch(sample_results, shown, lang=lang)))
        assert f"<dd>{label}</dd>" in html and f"<dd>{code}</dd>" not in html


def _three_kinds_of_trend(shown: str, hidden: str) -> pd.DataFrame:
    """branch_trends as ``hallperf compare`` writes them: staff, customer and KPI rows (``source``)."""
    rows = []
    for b, base in ((shown, 0.0), (hidden, 0.5)):
        rows += [
            {"branch_id": b, "dimension": "TS", "source": "staff", "mean": 3.4 + base, "previous_mean": 3.0,
             "change": 0.4 + base, "ci_low": 0.1, "ci_high": 0.7, "p": 0.01, "significant": True, "comparable": True,
             "reason": None, "n": 8, "previous_n": 7, "label_zh": "目标设定", "label_en": "Target setting"},
            {"branch_id": b, "dimension": "CO", "source": "staff", "mean": 3.1 + base, "previous_mean": 3.3,
             "change": None, "ci_low": None, "ci_high": None, "p": None, "significant": False, "comparable": False,
             "reason": "scalar_invariance_fails", "n": 8, "previous_n": 7, "label_zh": "辅导", "label_en": "Coaching"},
            {"branch_id": b, "dimension": "SAT", "source": "customer", "mean": 4.31, "previous_mean": 3.92,
             "change": 0.39, "ci_low": 0.2, "ci_high": 0.58, "p": 0.001, "significant": True, "comparable": True,
             "reason": None, "n": 25, "previous_n": 27, "label_zh": "<b>总体满意度</b>",
             "label_en": "<b>Overall satisfaction</b>"},
            {"branch_id": b, "dimension": "target_completion", "source": "kpi", "value": 0.90, "previous_value": 0.85,
             "change": 0.05, "significant": None, "comparable": True, "reason": "records_not_a_sample"},
            {"branch_id": b, "dimension": "customer_SAT", "source": "kpi", "value": None, "previous_value": 4.1,
             "change": None, "significant": None, "comparable": False, "reason": "value_missing"},
        ]
    frame = pd.DataFrame(rows).assign(wave="sample", previous_wave="2026Q2")
    frame["significant"] = frame["significant"].astype("boolean")
    frame["comparable"] = frame["comparable"].astype("boolean")
    for col in ("change", "ci_low", "ci_high", "p", "value", "previous_value", "n", "previous_n"):
        frame[col] = frame[col].astype(float)
    return frame


def test_trend_section_lists_staff_customer_and_kpi_trends(sample_results, branch_ids, tmp_path):
    shown, hidden = branch_ids
    results = copy_results(sample_results, tmp_path / "results")
    _set(results, "branch_trends", _three_kinds_of_trend(shown, hidden))
    zh, en = TEXT["zh"], TEXT["en"]
    html = page(load_branch(results, shown, figure_dir=tmp_path / "fig"))
    for key in ("trend_staff", "trend_customer", "trend_kpi", "trend_kpi_intro", "reason_scalar_invariance_fails",
                "reason_records_not_a_sample", "reason_value_missing"):
        assert zh[key] in html, key
    assert zh["no_previous"] not in html and zh["trend_staff_withheld"].format(k=5) not in html
    assert "0.40 [0.10, 0.70]" in html and "0.39 [0.20, 0.58]" in html  # staff and customer changes
    assert "85.0%" in html and "90.0%" in html and "+5.0 个百分点" in html  # KPI: values and change in points
    assert "目标完成率" in html and "客户满意度" in html  # KPI labels from branch_kpis
    assert "&lt;b&gt;总体满意度&lt;/b&gt;" in html and "<b>总体满意度" not in html  # data text escaped
    assert (tmp_path / "fig" / "trend.png").is_file()  # the figure draws the staff dimensions
    english = page(load_branch(results, shown, lang="en", figure_dir=tmp_path / "fig_en"))
    for key in ("trend_staff", "trend_customer", "trend_kpi", "reason_records_not_a_sample"):
        assert en[key] in english, key
    assert "+5.0 pp" in english and "&lt;b&gt;Overall satisfaction&lt;/b&gt;" in english
    assert not [text for text in _zh_fixed_texts() if text in english]


def test_trend_section_of_a_branch_below_k_has_no_staff_rows(sample_results, branch_ids, tmp_path):
    shown, hidden = branch_ids
    results = copy_results(sample_results, tmp_path / "results")
    _set(results, "branch_trends", _three_kinds_of_trend(shown, hidden))
    ctx = load_branch(results, hidden, figure_dir=tmp_path / "fig")
    assert not (ctx.trends["source"] == "staff").any()
    html = page(ctx)
    zh = TEXT["zh"]
    assert zh["trend_staff_withheld"].format(k=5) in html and zh["trend_kpi"] in html
    assert "0.90 [" not in html and "3.90" not in html and "目标设定" not in html  # the staff rows' numbers and labels
    assert not (tmp_path / "fig" / "trend.png").exists()
    assert (zh["trend_customer"] in html) == bool(ctx.customer_shown is not False)
    # customer-survey trends go with the customer results
    summary = pd.read_parquet(results / "branch_summary.parquet")
    summary.loc[summary["branch_id"] == shown, "customer_results_shown"] = False
    summary.loc[summary["branch_id"] == shown, "n_customers"] = pd.NA
    _set(results, "branch_summary", summary)
    html = page(load_branch(results, shown, figure_dir=tmp_path / "fig2"))
    assert zh["trend_customer"] not in html and "总体满意度" not in html and zh["trend_kpi"] in html
