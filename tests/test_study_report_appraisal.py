"""The research report's appraisal section (issue 14): the scheme's tables, read from the appraisal results
as they are, labelled in the report language, and empty (with a sentence) for a study without a scheme."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.report.study import StudyReport
from conftest import ROOT

STUDY = ROOT / "surveys" / "study.yml"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module", params=["zh", "en"])
def report(request, sample_results):
    return StudyReport(sample_results, study_path=STUDY, lang=request.param)


def _rendered(report, name):
    table = next(t for t in report.section_tables("appraisal") if t.name == name)
    cells, header, _, note = table.render(report.lang)
    return table, cells, header, note


def test_the_section_holds_the_scheme_evaluation(report):
    names = [t.name for t in report.section_tables("appraisal")]
    assert names[:7] == ["appraisal_scheme", "appraisal_grades", "appraisal_ratings_icc", "appraisal_self_other",
                         "appraisal_fairness", "appraisal_team_weighting", "appraisal_competition"]
    numbers = [t.number for t in report.section_tables("appraisal")]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # numbered in report order
    assert re.search(r"(表|Tables )\d+", report.narrative("appraisal"))


def test_numbers_are_the_results(report, sample_results):
    bonus = pd.read_parquet(sample_results / "appraisal_bonus_summary.parquet")
    _, cells, _, _ = _rendered(report, "appraisal_grades")
    assert cells["n"].astype(int).tolist() == bonus["n"].tolist()
    assert cells["share"].tolist() == [f"{v:.3f}".lstrip("0") for v in bonus["n"] / bonus["n"].sum()]
    icc = pd.read_parquet(sample_results / "appraisal_ratings_icc.parquet").set_index("role")
    _, cells, _, note = _rendered(report, "appraisal_ratings_icc")
    peer = cells.iloc[list(icc.index).index("peer")]
    assert peer["icc1"] == f"{icc.loc['peer', 'icc1']:.3f}".lstrip("0")
    assert peer["icc1_ci"] == f"[{icc.loc['peer', 'icc1_ci_low']:.3f}, {icc.loc['peer', 'icc1_ci_high']:.3f}]".replace("0.", ".")
    supervisor = cells.iloc[list(icc.index).index("supervisor")]
    assert supervisor["icc1"] == ""  # one supervisor per ratee: no inter-rater reliability, and the note says so
    assert ("上级" in note) if report.lang == "zh" else ("Supervisor" in note)


def test_labels_in_the_report_language(report):
    for table in report.section_tables("appraisal"):
        cells, header, _, note = table.render(report.lang)
        text = " ".join([table.title, note or "", *header, *cells.astype(str).to_numpy().ravel()])
        if report.lang == "en":
            assert not CJK.search(text), (table.name, CJK.findall(text)[:5])
        else:
            assert CJK.search(table.title) and all(CJK.search(h) or h.startswith(("ICC", "rwg", "p", "95%"))
                                                   for h in header), header
        for code in ("target_ratio", "points_on_gap", "over_set", "one_rater_per_ratee", "supervisor"):
            assert code not in text, (table.name, code)


def test_a_study_without_a_scheme_has_an_empty_section(sample_results, tmp_path):
    import shutil

    results = tmp_path / "results"
    shutil.copytree(sample_results, results, ignore=shutil.ignore_patterns("appraisal_*"))
    import json

    info = json.loads((results / "results.json").read_text(encoding="utf-8"))
    info["tables"] = {k: v for k, v in info["tables"].items() if not k.startswith("appraisal_")}
    (results / "results.json").write_text(json.dumps(info), encoding="utf-8")
    r = StudyReport(results, study_path=STUDY, lang="zh")
    assert r.section_tables("appraisal") == [] and "appraisal:" in r.narrative("appraisal")
