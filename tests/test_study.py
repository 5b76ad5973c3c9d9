"""The study file: hypotheses as models, checked names, reruns after an edit, exports."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from analysis.errors import StudyError
from analysis.pipeline import run_analyze_study, run_export
from analysis.study import load_study
from conftest import SURVEYS


@pytest.fixture(scope="module")
def study_run(small_wave, tmp_path_factory):
    """The bundled study on the small simulated wave (fewer resamples to keep the test fast)."""
    _, processed, _, _ = small_wave
    base = tmp_path_factory.mktemp("study")
    surveys = base / "surveys"
    shutil.copytree(SURVEYS, surveys)
    text = (surveys / "study.yml").read_text(encoding="utf-8").replace("n_boot: 5000", "n_boot: 300")
    (surveys / "study.yml").write_text(text, encoding="utf-8")
    info = run_analyze_study(surveys / "study.yml", processed.name, processed_root=processed.parent,
                             out_root=base / "output", instruments_dir=surveys)
    return base, surveys, processed, info


def test_every_hypothesis_has_tables(study_run):
    base, surveys, _, info = study_run
    study = load_study(surveys / "study.yml")
    for h in study.hypotheses:
        names = [n for n in info["tables"] if n.startswith(f"{h.id}_")]
        assert names, h.id
        table = pd.read_parquet(base / "output" / "w1" / "results" / f"{names[0]}.parquet")
        assert (table["hypothesis"] == h.id).all() and len(table) > 0
    for name in ("table1", "staff_reliability", "staff_cfa_fit", "branch_profiles", "branch_actions", "target_gaps"):
        assert name in info["tables"], name
    assert info["parameters"]["seed"] == study.seed
    assert "H6_pseudo_r2" in info["tables"]


def test_response_rates_count_only_shown_branches_by_district(study_run, small_wave):
    base, *_ = study_run
    rates = pd.read_parquet(base / "output" / "w1" / "results" / "response_rates.parquet")
    branches = pd.read_parquet(base / "output" / "w1" / "data" / "analysis_branches.parquet")
    company = rates[rates["level"] == "company"].iloc[0]
    assert company["rate"] == pytest.approx(company["respondents"] / company["employed"])
    districts = rates[rates["level"] == "district"]
    # every row counts shown branches only (n >= k; the export blanks the counts of hidden ones),
    # so the company row is the sum of the district rows: no difference reveals a hidden branch
    shown = branches[branches["n_respondents"].notna()]
    assert (shown["n_respondents"] >= 5).all() and len(shown) < len(branches)
    assert company["respondents"] == districts["respondents"].sum() == shown["n_respondents"].sum()
    assert company["employed"] == districts["employed"].sum() == shown["staff_count"].sum()
    assert company["branches"] == len(shown)
    assert 0.5 < company["rate"] < 1  # the simulation's response rate is .9, minus careless exclusions


def test_misspelt_variable_names_file_model_and_variable(study_run, tmp_path):
    _, surveys, processed, _ = study_run
    text = (surveys / "study.yml").read_text(encoding="utf-8").replace("    m: [EN]\n", "    m: [ENN]\n", 1)
    bad = tmp_path / "study.yml"
    bad.write_text(text, encoding="utf-8")
    (tmp_path / "actions.yml").write_text("dimensions: {}\n", encoding="utf-8")
    shutil.copy(surveys / "comment_themes.yml", tmp_path / "comment_themes.yml")
    with pytest.raises(StudyError, match=re.escape(f"{bad}: hypotheses[H2] (mediation): unknown variable 'ENN' in m")):
        run_analyze_study(bad, "w1", processed_root=processed.parent, out_root=tmp_path / "out", instruments_dir=surveys)
    assert not (tmp_path / "out" / "w1" / "results").exists()


def test_unknown_model_and_role_are_reported(tmp_path):
    (tmp_path / "study.yml").write_text(
        "datasets: {respondents: staff}\nhypotheses:\n  - {id: X1, model: anova, y: EN}\n"
        "  - {id: X2, model: regression, y: EN, x: [TS], moderator: CO}\n", encoding="utf-8")
    with pytest.raises(StudyError) as err:
        load_study(tmp_path / "study.yml")
    assert "hypotheses[X1]: unknown model 'anova'" in str(err.value)
    assert "hypotheses[X2] (regression): 'moderator' is not a role of this model" in str(err.value)


def test_changing_a_hypothesis_and_rerunning(study_run, tmp_path):
    _, surveys, processed, _ = study_run
    edited = tmp_path / "surveys"
    shutil.copytree(surveys, edited)
    text = (edited / "study.yml").read_text(encoding="utf-8")
    text = text.replace("    x: [target_gap]\n    covar: [tenure_years, age]", "    x: [target_gap, TS]\n    covar: [age]")
    (edited / "study.yml").write_text(text, encoding="utf-8")
    run_analyze_study(edited / "study.yml", "w1", processed_root=processed.parent, out_root=tmp_path / "out", instruments_dir=edited)
    h3 = pd.read_parquet(tmp_path / "out" / "w1" / "results" / "H3_coefficients.parquet")
    assert set(h3["term"]) == {"Intercept", "target_gap", "TS", "age"}


def test_branch_outputs_respect_minimum_group_size(study_run):
    base, _, processed, _ = study_run
    results = base / "output" / "w1" / "results"
    summary = pd.read_parquet(results / "branch_summary.parquet")
    profiles = pd.read_parquet(results / "branch_profiles.parquet")
    rwg = pd.read_parquet(results / "staff_rwg.parquet")
    staff = pd.read_parquet(processed / "staff_scores.parquet")
    sizes = staff[~staff["careless"]].groupby("branch_id").size()
    small = set(sizes.index[sizes < 5])
    assert small, "the simulated wave should have branches below k"
    assert not small & set(profiles["branch_id"]) and not small & set(rwg["group"])
    assert (profiles["n"] >= 5).all() and (rwg["n"] >= 5).all()
    assert summary.loc[summary["branch_id"].isin(small), "n_respondents"].isna().all()
    assert not summary.loc[summary["branch_id"].isin(small), "staff_results_shown"].any()


def test_export_to_spss_and_stata_with_chinese_labels(study_run):
    base, surveys, _, _ = study_run
    paths = run_export("w1", out_root=base / "output", instruments_dir=surveys, study_path=surveys / "study.yml")
    assert {p.suffix for p in paths} == {".sav", ".dta"}
    frame, meta = pyreadstat.read_sav(str(base / "output" / "w1" / "data" / "analysis_staff.sav"))
    assert meta.column_names_to_labels["TS"] == "目标设定"
    assert meta.variable_value_labels["gender"] == {1.0: "男", 2.0: "女"}
    staff = pd.read_parquet(base / "output" / "w1" / "data" / "analysis_staff.parquet")
    assert len(frame) == len(staff)
    assert frame["TS"].to_numpy() == pytest.approx(staff["TS"].to_numpy(dtype=float), nan_ok=True)


def test_two_wave_study_reports_the_known_change(study_run, small_wave, tmp_path):
    """A follow-up wave with TD shifted +0.8 SD: compare finds it; both reports show the waves."""
    from analysis.pipeline import run_ingest, run_score
    from analysis.pipeline.waves import run_compare_waves, run_simulate_follow_up
    from analysis.report.branch import TEXT, load_branch, page
    from analysis.report.study import StudyReport

    base, surveys, processed, _ = study_run
    raw, _, _, _ = small_wave
    raw2 = tmp_path / "raw" / "w2"
    run_simulate_follow_up("w2", base_dir=raw, out=raw2, instruments_dir=surveys, model_path=surveys / "simulation.yml",
                           shifts={"TD": 0.8})
    secret = processed.parent.parent / "secret.key"  # the same key links the two waves
    run_ingest(raw2, processed_root=processed.parent, instruments_dir=surveys, secret_file=secret)
    run_score(processed.parent / "w2", instruments_dir=surveys)
    out = base / "output"
    run_analyze_study(surveys / "study.yml", "w2", processed_root=processed.parent, out_root=out, instruments_dir=surveys)
    run_compare_waves("w2", "w1", processed_root=processed.parent, out_root=out, instruments_dir=surveys,
                      study_path=surveys / "study.yml")
    results, compared = out / "w2" / "results", out / "w2" / "compare"
    company = pd.read_parquet(compared / "waves_company.parquet").set_index("scale")
    assert company.loc["TD", "significant"] and company.loc["TD", "change"] > 0

    report = StudyReport(results, study_path=surveys / "study.yml", lang="en", wave="w2")
    titles = [t.title for t in report.tables() if t.section == "waves"]
    assert any("Measurement invariance" in t for t in titles) and any("company" in t for t in titles)
    assert any(t.startswith("Customer survey") and "company" in t for t in titles)
    assert "customer survey's scales are compared" in report.narrative("waves")

    trends = pd.read_parquet(compared / "branch_trends.parquet")
    # KPI trends: the change of the two analyzed waves' branch_kpis values
    kpi = trends[trends["source"] == "kpi"].set_index(["branch_id", "dimension"])["change"]
    before, after = (pd.read_parquet(out / w / "results" / "branch_kpis.parquet").set_index(["branch_id", "kpi"])["value"]
                     for w in ("w1", "w2"))
    assert len(kpi) == len(before.index.intersection(after.index)) and kpi.notna().any()
    assert kpi.to_numpy() == pytest.approx((after - before).reindex(kpi.index).to_numpy(), nan_ok=True)
    shown = trends.loc[(trends["dimension"] == "TD") & (trends["source"] == "staff"), "branch_id"].iloc[0]
    assert {"customer", "kpi"} <= set(trends.loc[trends["branch_id"] == shown, "source"])
    html = page(load_branch(results, shown, wave="w2", lang="en"))
    assert "no previous wave" not in html.lower()
    assert "w1" in html
    for key in ("trend_staff", "trend_customer", "trend_kpi"):
        assert TEXT["en"][key] in html, key
    # analyze again (it replaces results/ as a whole): the comparison, in its own folder, is still there
    run_analyze_study(surveys / "study.yml", "w2", processed_root=processed.parent, out_root=out, instruments_dir=surveys)
    again = StudyReport(results, study_path=surveys / "study.yml", lang="en", wave="w2")
    assert [t.title for t in again.tables() if t.section == "waves"] == titles
    assert TEXT["en"]["trend_staff"] in page(load_branch(results, shown, wave="w2", lang="en"))


# --------------------------------------------------------------------------- truth of the simulation
TRUTH_HYPOTHESIS = """  - id: HT
    label: {zh: 营业厅内指标偏差对目标完成率的效应, en: Within-branch effect of the target gap on completion}
    model: multilevel
    y: target_completion
    climate: [target_gap]
    group: branch_id
"""


@pytest.fixture(scope="module")
def truth_run(tmp_path_factory):
    """The bundled study, plus one hypothesis (HT), on a 150-branch simulated wave (~1,000 staff)."""
    from analysis.pipeline import run_ingest, run_score, run_simulate

    base = tmp_path_factory.mktemp("truth")
    surveys = base / "surveys"
    shutil.copytree(SURVEYS, surveys)
    text = (surveys / "study.yml").read_text(encoding="utf-8").replace("n_boot: 5000", "n_boot: 100")
    (surveys / "study.yml").write_text(text.replace("hypotheses:\n", "hypotheses:\n" + TRUTH_HYPOTHESIS, 1),
                                       encoding="utf-8")
    raw = base / "raw" / "t1"
    run_simulate("t1", branches=150, seed=7, out=raw, instruments_dir=surveys, model_path=surveys / "simulation.yml")
    run_ingest(raw, processed_root=base / "processed", instruments_dir=surveys, secret_file=base / "secret.key")
    run_score(base / "processed" / "t1", instruments_dir=surveys)
    run_analyze_study(surveys / "study.yml", "t1", processed_root=base / "processed", out_root=base / "output",
                      instruments_dir=surveys)
    truth = json.loads((raw / "truth.json").read_text(encoding="utf-8"))
    return base / "output" / "t1" / "results", truth


def _completion_truth(truth: dict) -> dict:
    """Population values, in the metric the models estimate, implied by the generating model.

    Target completion over the wave is ``Y = b0 + b_EN EN + sum_k c_k P_k + b_g g + b_cs CS + u + e``
    averaged over 3 months of noise (surveys/simulation.yml; src/analysis/simulate/), with
    ``EN = sum_k a_k P_k + gamma (g - mean g) + e_EN`` and practices ``P = sqrt(icc) B_j +
    sqrt(1 - icc) W_ij`` (equicorrelated ``R``), gap ``g = G_j + s_ij``.  So

    * the within-branch slope of ``Y`` on the gap is the total effect ``b_g + b_EN gamma`` (the
      practices and the customer and branch terms do not vary with the gap);
    * between-branch variance ``icc c'Rc + (b_g + b_EN gamma)² sd(G)² + b_cs² + sd(u)²``, within
      ``(1 - icc) c'Rc + (b_g + b_EN gamma)² sd(s)² + b_EN² sd(e_EN)² + sd(e)² + sd(month)²/3``
      with ``c = b_EN a + (the direct practice effects)``; their ratio is the ICC;
    * the mean is ``b0 + b_g E[g]`` (EN is centred at the mean gap).
    """
    m = truth["model"]
    eng, comp, gap = m["engagement"], m["completion"], m["target_gap"]
    practices, icc, rho = m["practices"], m["practice_icc"], m["practice_correlation"]
    b_en = comp["effects"]["EN"]
    c = np.array([b_en * eng["effects"].get(p, 0.0) + comp["effects"].get(p, 0.0) for p in practices])
    r = np.full((len(c), len(c)), rho) + (1 - rho) * np.eye(len(c))
    crc = float(c @ r @ c)
    slope = comp["target_gap"] + b_en * eng["target_gap"]
    between = icc * crc + slope**2 * gap["branch_sd"] ** 2 + comp["customer_satisfaction"] ** 2 + comp["branch_sd"] ** 2
    within = ((1 - icc) * crc + slope**2 * gap["staff_sd"] ** 2 + (b_en * truth["engagement"]["residual_sd"]) ** 2
              + comp["staff_sd"] ** 2 + comp["month_sd"] ** 2 / 3)
    return {"within_gap_slope": slope, "icc": between / (between + within),
            "mean": comp["intercept"] + comp["target_gap"] * gap["branch_mean"]}


@pytest.mark.slow
def test_study_estimates_recover_the_simulation_truth(truth_run):
    """The study's estimates against the generating model, each within 3 of its standard errors.

    Compared (same metric on both sides):
    * H6's null model ICC(1) of target completion (an observed rate, the simulator's own unit);
      SE from the large-sample formula for a one-way ANOVA ICC, ``sqrt(2 (1-r)² (1+(k-1) r)² /
      (k (k-1) (G-1)))`` (Donner & Koval, 1980), k the mean branch size, inflated by 1.5 for the
      unequal sizes;
    * HT's within-branch fixed effect of the target gap (the study's gap differs from the true gap
      only by a per-branch constant -- the estimation error of the branch's expectation -- which
      group-mean centring removes), SE from the mixed model;
    * the mean of target completion (Table 1), SE ``sd / sqrt(n)`` times the root of the design
      effect.
    Not compared, and why: effects involving the survey scales (H2-H6 slopes of EN or the practices)
    are in the metric of a mean of 1-5 ordinal items, not of the standardised latent variables the
    simulator's effects are defined on; the between-branch gap effect is attenuated by the error of
    the estimated expectation (reliability about .87 here).
    3 SE: a correct estimator fails with probability about .003 per comparison (seeded: fixed).
    """
    results, truth = truth_run
    want = _completion_truth(truth)

    null = pd.read_parquet(results / "H6_null.parquet").set_index("term")
    rho, n_groups = null.loc["icc", "estimate"], int(null["n_groups"].iloc[0])
    k = null["n"].iloc[0] / n_groups
    se_icc = 1.5 * np.sqrt(2 * (1 - rho) ** 2 * (1 + (k - 1) * rho) ** 2 / (k * (k - 1) * (n_groups - 1)))
    assert abs(rho - want["icc"]) < 3 * se_icc, (rho, want["icc"], se_icc)
    assert null.loc["icc", "estimator"] == "anova" and null["converged"].all()

    ht = pd.read_parquet(results / "HT_coefficients.parquet").set_index("term")
    row = ht.loc["target_gap_within"]
    assert abs(row["estimate"] - want["within_gap_slope"]) < 3 * row["se"], (row["estimate"], row["se"])
    assert row["estimate"] < 0 and row["ci_high"] < 0  # the effect is detected: power, not just agreement
    assert ht["converged"].all() and (ht["warnings"] == "").all()

    desc = pd.read_parquet(results / "descriptives.parquet").set_index("variable").loc["target_completion"]
    se_mean = desc["sd"] / np.sqrt(desc["n"]) * np.sqrt(null.loc["design_effect", "estimate"])
    assert abs(desc["mean"] - want["mean"]) < 3 * se_mean, (desc["mean"], want["mean"], se_mean)


@pytest.mark.slow
def test_study_results_carry_structured_columns(truth_run):
    results, _ = truth_run
    weights = pd.read_parquet(results / "H7_weights.parquet")
    assert (weights["n_boot"] == 100).all() and (weights["n_boot_valid"] == 100).all()  # no cap below n_boot
    effects = pd.read_parquet(results / "H2_effects.parquet")
    boot = effects[effects["estimand"] == "indirect"]
    assert (boot["resample"] == "clusters").all() and (boot["cluster"] == "branch_id").all()
    assert {"estimand", "x", "m", "y", "warnings", "ci_method"} <= set(effects.columns)
