"""``hallperf analyze`` with the study's appraisal scheme: the sample wave's tables, and a follow-up wave
with an action register giving the action effects (the PDCA loop closed across waves)."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from analysis.pipeline import run_analyze_study, run_ingest, run_score, run_simulate
from analysis.pipeline.waves import run_simulate_follow_up
from conftest import ROOT, SURVEYS

TABLES = {
    "appraisal_scheme", "appraisal_scorecard", "appraisal_branch_scorecard", "appraisal_grades", "appraisal_bonus",
    "appraisal_bonus_summary", "appraisal_ratings_scores", "appraisal_ratings_icc", "appraisal_leniency",
    "appraisal_self_other", "appraisal_grade_stability", "appraisal_fairness", "appraisal_team_weighting",
    "appraisal_competition",
}


def read(results, name):
    return pd.read_parquet(results / f"{name}.parquet")


def test_sample_wave_has_the_appraisal_tables(sample_results):
    info = json.loads((sample_results / "results.json").read_text(encoding="utf-8"))
    assert TABLES <= set(info["tables"])
    assert not {"appraisal_action_effects", "appraisal_predictive_validity"} & set(info["tables"])  # no previous wave
    grades = read(sample_results, "appraisal_grades")
    kpi = pd.read_parquet(sample_results.parents[2] / "processed" / "sample" / "kpi.parquet")
    assert set(grades["staff_id"]) == set(kpi["staff_id"])  # everyone with KPI records is appraised
    counts = grades["grade"].value_counts().reindex(list("ABCDE")).tolist()
    assert counts == [42, 83, 208, 62, 21]  # 10/20/50/15/5% of 416 by largest remainders
    bonus = read(sample_results, "appraisal_bonus")
    assert int(bonus["bonus_units"].sum()) == 1500 * 416 * 100  # per_staff 1500 CNY, in whole fen
    assert grades["p_grade_change"].between(0, 1).all()
    card = read(sample_results, "appraisal_scorecard")
    assert card["points"].dropna().between(0, 100).all() and set(card["indicator"]) == set(read(sample_results, "appraisal_scheme")["indicator"])


def test_sample_tables_respect_the_reporting_size(sample_results):
    k = 5
    assert (read(sample_results, "appraisal_branch_scorecard")["n_staff"] >= k).all()
    self_other = read(sample_results, "appraisal_self_other")
    assert (self_other["n"] >= k).all()
    company = self_other.loc[self_other["level"] == "company", "n"].iloc[0]
    left_out = company - self_other.loc[self_other["level"] == "group", "n"].sum()
    assert left_out == 0 or left_out >= k  # no small remainder by difference
    assert (read(sample_results, "appraisal_bonus_summary")["n"] >= k).all()
    scores = read(sample_results, "appraisal_ratings_scores")
    anonymous = scores["role"].isin(["peer", "subordinate", "customer"])
    assert (scores.loc[anonymous, "n_raters"] >= 3).all()  # the scheme's min_raters


def test_ratings_linked_to_staff_and_pseudonymised(sample_results):
    processed = sample_results.parents[2] / "processed" / "sample"
    ratings = pd.read_parquet(processed / "ratings360.parquet")
    kpi = pd.read_parquet(processed / "kpi.parquet")
    assert ratings["ratee_id"].isin(set(kpi["staff_id"])).all()
    assert ratings["rater_id"].str.fullmatch(r"P[0-9a-f]{16}").all()
    raw = pd.read_csv(ROOT / "data" / "raw" / "sample" / "ratings360.csv", dtype=str, encoding="utf-8-sig")
    secrets = set(raw["评价人编号"]) | set(raw["被评价人工号"])
    blob = ratings.astype(str).to_csv() + (processed / "quarantine.csv").read_text(encoding="utf-8-sig")
    assert not [s for s in secrets if s in blob]


@pytest.fixture(scope="module")
def two_waves(tmp_path_factory):
    """A 40-branch wave and its follow-up with actions, ingested and analysed (fewer resamples)."""
    root = tmp_path_factory.mktemp("appraisal_waves")
    surveys = root / "surveys"
    shutil.copytree(SURVEYS, surveys)
    text = (surveys / "study.yml").read_text(encoding="utf-8").replace("n_boot: 5000", "n_boot: 200")
    (surveys / "study.yml").write_text(text, encoding="utf-8")
    model = surveys / "simulation.yml"
    run_simulate("w1", branches=40, seed=17, out=root / "raw" / "w1", instruments_dir=surveys, model_path=model)
    run_simulate_follow_up("w2", base_dir=root / "raw" / "w1", out=root / "raw" / "w2", instruments_dir=surveys,
                           model_path=model, actions=True)
    for wave in ("w1", "w2"):
        run_ingest(root / "raw" / wave, processed_root=root / "processed", instruments_dir=surveys, secret_file=root / "key")
        run_score(root / "processed" / wave, instruments_dir=surveys)
        run_analyze_study(surveys / "study.yml", wave, processed_root=root / "processed", out_root=root / "output",
                          instruments_dir=surveys)
    return root


def test_follow_up_with_register_gives_action_effects(two_waves):
    results = two_waves / "output" / "w2" / "results"
    effects = read(results, "appraisal_action_effects")
    truth = json.loads((two_waves / "raw" / "w2" / "truth_appraisal.json").read_text(encoding="utf-8"))["actions"]
    assert set(effects["action_id"]) == set(truth) and set(effects["previous_wave"]) == {"w1"}
    estimated = effects[effects["reason"] == ""]
    assert set(estimated["outcome"]) >= {"TS", "target_completion"} and estimated["invariant"].isin([True, None]).all()
    assert estimated["ci_low"].le(estimated["estimate"]).all() and estimated["estimate"].le(estimated["ci_high"]).all()
    branch = read(results, "appraisal_branch_actions")
    reg = pd.read_parquet(two_waves / "processed" / "w2" / "actions_register.parquet")
    assert len(branch) == len(reg) and branch.loc[~branch["shown"], "change"].isna().all()
    valid = read(results, "appraisal_predictive_validity").set_index("analysis")
    assert valid.loc["spearman", "estimate"] > 0 and valid.loc["spearman", "ci_low"] > 0  # stayers' performance persists
    assert (valid.loc[valid.index == "mean_by_grade", "n"] >= 5).all()
