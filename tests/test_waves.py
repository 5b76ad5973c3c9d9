"""Repeated waves: follow-up simulation, instrument changes, invariance across waves and trends.

Truth comes from the simulation: a follow-up wave of the same branches and staff with a known
latent mean shift (TD +0.5 SD; the competencies move by 0.35 x 0.5 through TD's effect on them,
recorded in truth['mean_shifts']; every other staff scale has a true change of 0). The pipeline
waves also shift customer satisfaction (SAT +0.8 SD; the other customer scales do not move).
KPI trends are checked against the two waves' ``branch_kpis`` tables they are computed from.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import InputFileError
from analysis.instrument import load_instrument, load_instruments
from analysis.pipeline import run_ingest, run_score, run_simulate
from analysis.pipeline.waves import list_waves, run_compare_waves, run_simulate_follow_up
from analysis.scoring import score_scales
from analysis.simulate import load_model, simulate_wave
from analysis.study import load_study
from analysis.waves import (
    combine_branch_trends, compare_waves, holm, instrument_changes, kpi_trends, period_dependent_kpis, trend_instrument,
    trend_items,
)
from conftest import SURVEYS

MODEL = SURVEYS / "simulation.yml"
SHIFT = {"TD": 0.5}
WAVE_SHIFT = {"TD": 0.5, "SAT": 0.8}  # the pipeline waves: a staff and a customer scale move
CUSTOMER_SCALES = ["SAT", "ATT", "KNO", "RES", "WAI"]


def edited_codebooks(folder):
    """A copy of the codebooks where staff.yml rewords TS2 and drops CO4 (version 2026.2)."""
    shutil.copytree(SURVEYS, folder)
    path = folder / "staff.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('version: "2026.1"', 'version: "2026.2"', 1)
    text = text.replace("我的任务指标是根据客观依据（如历史业绩、客流量）制定的", "我的任务指标有明确的计算依据", 1)
    start = text.index("  CO4:\n")
    end = text.index("\n  # ", start)  # the next item block's comment line
    text = text[:start] + text[end + 1:]
    text = text.replace("items: [CO1, CO2, CO3, CO4]", "items: [CO1, CO2, CO3]", 1)
    path.write_text(text, encoding="utf-8")
    return folder


# --- follow-up simulation ------------------------------------------------------------------

def test_follow_up_keeps_branches_and_most_staff(instruments):
    model = load_model(MODEL)
    base = simulate_wave(instruments, model, wave="a", branches=40, seed=13, malformed=False)
    nxt = simulate_wave(instruments, model, wave="b", branches=40, seed=13, malformed=False, follow_up=1,
                        shifts=SHIFT, base_wave="a")
    cols = ["branch_id", "branch_name", "district", "branch_type", "staff_count", "foot_traffic"]
    pd.testing.assert_frame_equal(base.tables["branches"][cols], nxt.tables["branches"][cols])
    # staff: KPI records cover every employed person; ~12% (model turnover) replaced by new ids
    a = base.tables["kpi"].drop_duplicates("staff_id").set_index("staff_id")
    b = nxt.tables["kpi"].drop_duplicates("staff_id").set_index("staff_id")
    assert len(a) == len(b)
    stayed = a.index.intersection(b.index)
    assert 0.80 < len(stayed) / len(a) < 0.95  # turnover .12 on ~300 staff: SE ~ .02
    assert (a.loc[stayed, ["name", "branch_id"]] == b.loc[stayed, ["name", "branch_id"]]).all().all()
    assert not set(b.index.difference(a.index)) & set(a.index)
    assert nxt.truth["months"] == ["2026-10", "2026-11", "2026-12"]
    assert nxt.truth["shifts"] == SHIFT and nxt.truth["follow_up"]["base_wave"] == "a"
    assert nxt.truth["mean_shifts"]["TD"] == 0.5 and nxt.truth["mean_shifts"]["PK"] == pytest.approx(0.175)
    assert nxt.truth["loadings"] == base.truth["loadings"]  # same item parameters: invariant by construction
    # new customers, no id shared with the base wave
    assert not set(base.tables["customer"]["customer_id"]) & set(nxt.tables["customer"]["customer_id"])


def test_follow_up_is_deterministic_and_default_unchanged(instruments):
    model = load_model(MODEL)
    one = simulate_wave(instruments, model, wave="b", branches=15, seed=2, follow_up=1, shifts=SHIFT)
    two = simulate_wave(instruments, model, wave="b", branches=15, seed=2, follow_up=1, shifts=SHIFT)
    pd.testing.assert_frame_equal(one.tables["staff"], two.tables["staff"])
    base = simulate_wave(instruments, model, wave="b", branches=15, seed=2)
    assert "follow_up" not in base.truth and base.truth["months"][0] == "2026-07"
    with pytest.raises(ValueError, match="follow_up"):
        simulate_wave(instruments, model, wave="b", branches=15, seed=2, follow_up=-1)


# --- pure statistics -----------------------------------------------------------------------

def test_holm_matches_definition():
    # Holm (1979) by hand, as R p.adjust(c(.01, .04, .03, .005), "holm"):
    # sorted .005 .01 .03 .04 -> 4*.005=.02, 3*.01=.03, 2*.03=.06, max(.06, 1*.04)=.06
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02], rtol=1e-12)
    out = holm([0.2, np.nan, 0.9])  # missing p-values are not counted: m = 2
    np.testing.assert_allclose(out[[0, 2]], [0.4, 0.9])
    assert np.isnan(out[1])


def test_compare_waves_welch_matches_scipy():
    rng = np.random.default_rng(0)
    a = pd.DataFrame({"X": rng.normal(3.0, 0.7, 40), "Y": rng.normal(3.0, 0.5, 40)})
    b = pd.DataFrame({"X": rng.normal(3.4, 1.0, 55), "Y": rng.normal(3.0, 0.5, 55)})
    out = compare_waves({"w1": a, "w2": b}, ["X", "Y"], comparable={"X": True, "Y": True}).set_index("scale")
    ref = stats.ttest_ind(b["X"], a["X"], equal_var=False)
    ci = ref.confidence_interval(0.95)
    # exact formulas on both sides: agreement to floating-point precision
    assert out.loc["X", "t"] == pytest.approx(ref.statistic, rel=1e-10)
    assert out.loc["X", "p"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert out.loc["X", "df"] == pytest.approx(ref.df, rel=1e-10)
    assert (out.loc["X", "ci_low"], out.loc["X", "ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert out.loc["X", "p_holm"] == pytest.approx(holm(out["p"].to_numpy())[0])


def test_compare_waves_suppresses_small_units_and_untestable_scales():
    a = pd.DataFrame({"branch_id": ["A"] * 6 + ["B"] * 4, "X": np.arange(10.0), "Y": np.arange(10.0)})
    b = pd.DataFrame({"branch_id": ["A"] * 5 + ["B"] * 7, "X": np.arange(12.0), "Y": np.arange(12.0)})
    out = compare_waves({"w1": a, "w2": b}, ["X", "Y"], level="branch", k=5, comparable={"X": True, "Y": False},
                        reasons={"Y": "scalar_invariance_fails"})
    assert set(out["unit"]) == {"A"}  # B has 4 respondents in w1
    y = out.set_index("scale").loc["Y"]
    assert np.isnan(y["p"]) and np.isnan(y["change"]) and not y["significant"] and y["reason"] == "scalar_invariance_fails"
    # company level leaves out the hidden branches' respondents (no recovery by difference): in w1,
    # B (4 < k) is hidden and, since 4 respondents alone would be recoverable from the research
    # totals, so is the next-smallest branch C (complementary suppression); in w2 all are shown
    a3 = pd.concat([a, pd.DataFrame({"branch_id": ["C"] * 5, "X": np.arange(5.0), "Y": np.arange(5.0)})])
    b3 = pd.concat([b, pd.DataFrame({"branch_id": ["C"] * 5, "X": np.arange(5.0), "Y": np.arange(5.0)})])
    company = compare_waves({"w1": a3, "w2": b3}, ["X"], k=5, comparable={"X": True}, within="branch_id")
    assert company["previous_n"].iloc[0] == 6 and company["n"].iloc[0] == 17
    with pytest.raises(ValueError, match="level"):
        compare_waves({"w1": a, "w2": b}, ["X"], level="region", comparable={})


def test_instrument_changes_reports_reworded_and_dropped(tmp_path):
    old = load_instrument(SURVEYS / "staff.yml")
    new = load_instrument(edited_codebooks(tmp_path / "v2") / "staff.yml")
    changes = instrument_changes(old, new)
    assert set(zip(changes["item"], changes["change"])) == {("TS2", "reworded_zh"), ("CO4", "removed")}
    assert changes["left_out_of_trends"].all() and set(changes["new_version"]) == {"2026.2"}
    items = trend_items(old, new)
    assert items["TS"] == ["TS1", "TS3", "TS4"] and items["CO"] == ["CO1", "CO2", "CO3"]
    assert items["EF"] == list(old.scales["EF"].items)
    assert trend_instrument(new, items).scales["TS"].items == ("TS1", "TS3", "TS4")
    assert instrument_changes(old, old).empty


def test_null_scales_not_flagged_over_seeds(instruments):
    """Family-wise false positives over the unchanged scales, and power for the shifted one.

    Holm over the 13 scales keeps the family-wise error rate <= .05; Welch ignores the positive
    correlation of the two waves (same branches, mostly the same staff), so it is conservative.
    Over 30 seeds the count of seeds with any unchanged scale flagged is then ~Binomial(30, <=.05);
    P(X >= 5) = .016 at exactly .05 (scipy.stats.binom.sf(4, 30, .05)) and far less at the
    conservative true rate, so 5 or more means the procedure is anti-conservative. (Measured over
    60 seeds: 0 families and 0.4% of single tests flagged at alpha = .05.)
    """
    model = load_model(MODEL)
    staff = instruments["staff"]
    scales = list(staff.scales)
    false_alarm, detected = 0, 0
    seeds = range(100, 130)
    for seed in seeds:
        waves = {}
        for name, kw in (("a", {}), ("b", {"follow_up": 1, "shifts": SHIFT})):
            sim = simulate_wave(instruments, model, wave=name, branches=40, seed=seed, malformed=False, **kw)
            data = sim.tables["staff"]
            waves[name] = score_scales(data, staff)
        out = compare_waves(waves, scales, comparable=dict.fromkeys(scales, True)).set_index("scale")
        null = [s for s in scales if sim.truth["mean_shifts"][s] == 0]
        assert len(null) == 8
        false_alarm += bool(out.loc[null, "significant"].any())
        detected += bool(out.loc["TD", "significant"] and out.loc["TD", "change"] > 0)
    assert false_alarm <= 4
    assert detected == len(seeds)  # d ~ .45 observed with ~270 per wave: power > .999 after Holm


def test_kpi_trends_are_differences_and_respect_withheld_values():
    w1 = pd.DataFrame({"branch_id": ["A", "A", "B", "B", "C"], "kpi": ["rate", "sat", "rate", "sat", "rate"],
                       "value": [0.80, 4.1, 0.90, np.nan, 0.70]})
    w2 = pd.DataFrame({"branch_id": ["A", "A", "B", "B", "D"], "kpi": ["rate", "sat", "rate", "sat", "rate"],
                       "value": [0.85, np.nan, 0.88, 4.0, 0.60], "label_en": "x", "format": "percent"})
    out = kpi_trends({"w1": w1, "w2": w2}).set_index(["branch_id", "kpi"])
    assert set(out.index) == {("A", "rate"), ("A", "sat"), ("B", "rate"), ("B", "sat")}  # C, D: one wave only
    assert out.loc[("A", "rate"), "change"] == 0.85 - 0.80 and out.loc[("B", "rate"), "change"] == 0.88 - 0.90
    assert (out.loc[[("A", "rate"), ("B", "rate")], "reason"] == "records_not_a_sample").all()
    for key in (("A", "sat"), ("B", "sat")):  # withheld in one wave: no change, whichever wave
        assert np.isnan(out.loc[key, "change"]) and out.loc[key, "reason"] == "value_missing"
        assert not out.loc[key, "comparable"]
    assert out.loc[("B", "sat"), "value"] == 4.0 and np.isnan(out.loc[("B", "sat"), "previous_value"])
    assert set(out["label_en"]) == {"x"} and set(out["previous_wave"]) == {"w1"}
    # a wave total over periods of different length is not compared
    apart = kpi_trends({"w1": w1, "w2": w2}, comparable={"rate": False}, reasons={"rate": "period_length_differs"})
    assert apart.loc[apart["kpi"] == "rate", "change"].isna().all()
    assert set(apart.loc[apart["kpi"] == "rate", "reason"]) == {"period_length_differs"}
    with pytest.raises(ValueError, match="more than one row"):
        kpi_trends({"w1": pd.concat([w1, w1.head(1)]), "w2": w2})
    with pytest.raises(KeyError, match="value"):
        kpi_trends({"w1": w1.drop(columns="value"), "w2": w2})
    # stacked with survey trends: KPI rows carry value/previous_value and no test
    both = combine_branch_trends(kpi=kpi_trends({"w1": w1, "w2": w2}))
    assert set(both["source"]) == {"kpi"} and both["significant"].isna().all() and both["p"].isna().all()
    assert "dimension" in both and "kpi" not in both


def test_period_dependent_kpis_of_the_bundled_study():
    records = load_study(SURVEYS / "study.yml").datasets.records
    kpis = ["target_completion", "sales_per_staff", "calls_per_day", "customer_SAT", "sales_revenue", "conversion_rate"]
    # totals: a summed column; a sum per staff member. Ratios of two sums do not depend on the period.
    assert period_dependent_kpis(kpis, records.sum, {**records.ratio, **records.group_ratio}) == [
        "sales_per_staff", "sales_revenue"]


# --- pipeline ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def three_waves(tmp_path_factory):
    """w1 base; w2 follow-up with TD +0.5 and SAT +0.8; w3 the next follow-up, ingested with edited codebooks.

    Before w2 is compared: w1 and w2 get ``branch_kpis`` result tables (as ``hallperf analyze``
    writes them, with withheld values), and in w1 all but 3 customers of one branch are flagged
    careless (that branch falls below k for the customer survey in w1).
    """
    root = tmp_path_factory.mktemp("waves")
    raw, processed, out, key = root / "raw", root / "processed", root / "output", root / "secret.key"
    v2 = edited_codebooks(root / "surveys_v2")
    run_simulate("w1", branches=70, seed=31, out=raw / "w1", instruments_dir=SURVEYS, model_path=MODEL)
    run_simulate_follow_up("w2", base_dir=raw / "w1", out=raw / "w2", instruments_dir=SURVEYS, model_path=MODEL,
                           shifts=WAVE_SHIFT)
    run_simulate_follow_up("w3", base_dir=raw / "w2", out=raw / "w3", instruments_dir=SURVEYS, model_path=MODEL,
                           shifts=WAVE_SHIFT)
    for wave, codebooks in (("w1", SURVEYS), ("w2", SURVEYS), ("w3", v2)):
        run_ingest(raw / wave, processed_root=processed, instruments_dir=codebooks, secret_file=key)
        run_score(processed / wave, instruments_dir=codebooks)
    # careless customers: all but 3 of the first branch's w1 customers
    path = processed / "w1" / "customer_scores.parquet"
    customers = pd.read_parquet(path)
    careless_branch = sorted(customers["branch_id"].unique())[0]
    rows = customers.index[customers["branch_id"] == careless_branch][3:]
    customers.loc[rows, "careless"] = True
    customers.to_parquet(path, index=False)
    # KPI snapshots of both waves; None = withheld
    kpis = {}
    branches = sorted(pd.read_parquet(processed / "w1" / "branches.parquet")["branch_id"])
    for i, wave in enumerate(("w1", "w2")):
        rng = np.random.default_rng(i)
        frame = pd.DataFrame([{"branch_id": b, "kpi": kpi, "value": value, "format": fmt, "label_zh": zh, "label_en": en}
                              for b in branches
                              for kpi, value, fmt, zh, en in (
                                  ("target_completion", rng.normal(0.9, 0.1), "percent", "目标完成率", "Target completion"),
                                  ("customer_SAT", rng.normal(4.0, 0.3), "score", "客户满意度", "Customer satisfaction"))])
        frame.loc[(frame["branch_id"] == branches[i]) & (frame["kpi"] == "customer_SAT"), "value"] = np.nan
        if wave == "w2":
            frame = frame[frame["branch_id"] != branches[-1]]  # a branch without records in w2
        kpis[wave] = frame.reset_index(drop=True)
        (out / wave / "results").mkdir(parents=True)
        kpis[wave].to_parquet(out / wave / "results" / "branch_kpis.parquet", index=False)
    # a table another stage already wrote must survive the comparison
    results = out / "w2" / "results"
    pd.DataFrame({"a": [1]}).to_csv(results / "descriptives.csv", index=False)
    (results / "results.json").write_text(json.dumps({"stage": "analyze", "tables": {"descriptives": {"rows": 1}}}), encoding="utf-8")
    info = run_compare_waves("w2", "w1", processed_root=processed, out_root=out, instruments_dir=SURVEYS, study_path=SURVEYS / "study.yml")
    return {"root": root, "raw": raw, "processed": processed, "out": out, "v2": v2, "info": info, "kpis": kpis,
            "careless_branch": careless_branch, "careless": len(rows)}


def read(waves, wave, name):
    return pd.read_parquet(waves["out"] / wave / "compare" / f"{name}.parquet")


def test_shift_detected_and_unchanged_scales_not_flagged(three_waves):
    company = read(three_waves, "w2", "waves_company").set_index("scale")
    truth = json.loads((three_waves["raw"] / "w2" / "truth.json").read_text(encoding="utf-8"))
    assert truth["follow_up"]["base_wave"] == "w1" and truth["shifts"] == WAVE_SHIFT
    assert company.loc["TD", "significant"] and company.loc["TD", "change"] > 0
    # observed change on the 1-5 scale of a 0.5 SD latent shift (~.4 here); CI must cover it
    assert 0.25 < company.loc["TD", "change"] < 0.55
    null = [s for s, v in truth["mean_shifts"].items() if v == 0 and s in company.index]
    assert len(null) == 8 and not company.loc[null, "significant"].any()
    assert set(company.index).isdisjoint(CUSTOMER_SCALES)  # the customer survey has tables of its own
    assert company["comparable"].all() and (company["n_both"] > 0.5 * company["n"]).all()


def test_scalar_invariance_holds_for_unchanged_instrument(three_waves):
    inv = read(three_waves, "w2", "waves_invariance")
    assert set(inv["step"]) == {"configural", "metric", "scalar"}
    assert inv["converged"].all() and inv["comparable"].all()
    assert inv.groupby("scale")["comparable"].first().index.size == 13
    assert set(inv["missing"]) == {"fiml"} and set(inv["estimator"]) == {"FIML"}  # the default, as the CFA's


def test_other_result_tables_kept_and_indexed(three_waves):
    # compare writes its own folder: the analyze stage's results stay as they were, and a later analyze
    # (which replaces results/ as a whole) cannot take the comparison with it; readers see both as one
    from analysis.result_files import result_index

    results = three_waves["out"] / "w2" / "results"
    assert (results / "descriptives.csv").exists()
    assert set(json.loads((results / "results.json").read_text(encoding="utf-8"))["tables"]) == {"descriptives"}
    info = json.loads((results.parent / "compare" / "results.json").read_text(encoding="utf-8"))
    merged, folders = result_index(results)
    assert {"descriptives", "waves_changes", "waves_invariance", "waves_company", "waves_district", "waves_branch",
            "waves_customer_invariance", "waves_customer_company", "waves_customer_district", "waves_customer_branch",
            "branch_trends"} <= set(merged["tables"]) and merged["waves"] == info["waves"]
    assert folders["descriptives"] == results and folders["waves_company"] == results.parent / "compare"
    assert info["waves"]["previous"] == "w1" and info["waves"]["excluded"]["w1"]["careless"] > 0
    for name in info["waves"]["tables"]:
        assert (folders[name] / f"{name}.csv").exists() and (folders[name] / f"{name}.parquet").exists()


def test_branch_trends_suppress_small_branches(three_waves):
    trends = read(three_waves, "w2", "branch_trends")
    assert list(trends.columns[:14]) == ["branch_id", "dimension", "wave", "previous_wave", "mean", "previous_mean",
                                         "change", "ci_low", "ci_high", "p", "p_holm", "significant", "comparable",
                                         "reason"]
    staff = trends[trends["source"] == "staff"]
    assert (staff["p_holm"] >= staff["p"]).all()  # p is raw, p_holm adjusted within the branch
    assert set(trends["source"]) == {"staff", "customer", "kpi"}
    staff_rows = trends[trends["source"] == "staff"]
    sizes = {}
    for wave in ("w1", "w2"):
        scores = pd.read_parquet(three_waves["processed"] / wave / "staff_scores.parquet")
        sizes[wave] = scores[~scores["careless"]].groupby("branch_id").size()
    both = pd.concat(sizes, axis=1).fillna(0)
    small = set(both.index[(both < 5).any(axis=1)])
    assert small, "the simulated waves should have branches below k"
    assert not small & set(staff_rows["branch_id"])
    assert (staff_rows["n"] >= 5).all() and (staff_rows["previous_n"] >= 5).all()
    assert set(staff_rows["dimension"]) == set(load_instruments(SURVEYS)["staff"].scales) & {"TS", "CO", "EF", "FB", "CM", "IN", "TC", "TD"}
    district = read(three_waves, "w2", "waves_district")
    assert not district.empty and (district[["n", "previous_n"]] >= 5).all().all()


def _customers(waves, wave):
    """Scored customers of a wave without the careless ones."""
    scores = pd.read_parquet(waves["processed"] / wave / "customer_scores.parquet")
    return scores[~scores["careless"].astype(bool)]


def test_customer_shift_detected_and_unchanged_customer_scales_not_flagged(three_waves):
    inv = read(three_waves, "w2", "waves_customer_invariance")
    assert set(inv["scale"]) == set(CUSTOMER_SCALES) and inv["comparable"].all() and inv["converged"].all()
    company = read(three_waves, "w2", "waves_customer_company").set_index("scale")
    truth = json.loads((three_waves["raw"] / "w2" / "truth.json").read_text(encoding="utf-8"))
    assert truth["mean_shifts"]["SAT"] == 0.8
    assert company.loc["SAT", "significant"] and company.loc["SAT", "change"] > 0
    # 0.8 SD latent shift on 3 items with loadings .62-.85 and skewed thresholds: ~.5 on the 1-5 scale
    assert 0.3 < company.loc["SAT", "change"] < 0.8
    null = [s for s in CUSTOMER_SCALES if truth["mean_shifts"][s] == 0]
    assert len(null) == 4 and not company.loc[null, "significant"].any()  # Holm over 5 scales: FWER <= .05
    assert company["comparable"].all()
    district = read(three_waves, "w2", "waves_customer_district")
    assert set(district["scale"]) == set(CUSTOMER_SCALES) and (district[["n", "previous_n"]] >= 5).all().all()


def test_customer_trends_leave_out_careless_and_small_branches(three_waves):
    info = three_waves["info"]["waves"]["customer"]
    assert info["excluded"]["w1"]["careless"] == three_waves["careless"] and info["excluded"]["w2"]["careless"] == 0
    small = three_waves["careless_branch"]  # 3 customers left in w1
    branch = read(three_waves, "w2", "waves_customer_branch")
    trends = read(three_waves, "w2", "branch_trends")
    customer_rows = trends[trends["source"] == "customer"]
    assert small not in set(branch["unit"]) and small not in set(customer_rows["branch_id"])
    assert (customer_rows[["n", "previous_n"]] >= 5).all().all()
    assert set(customer_rows["dimension"]) == set(CUSTOMER_SCALES)  # the scales among datasets.ratings.mean
    assert set(customer_rows["label_zh"]) >= {"总体满意度"}
    # company level: the non-careless customers of shown branches: the small branch (3 < k) is hidden
    # and, as 3 customers alone could be recovered by difference, so is the next-smallest branch
    w1 = _customers(three_waves, "w1")
    sizes = w1.groupby("branch_id")["SAT"].count().sort_values(kind="mergesort")
    hidden = list(sizes.index[sizes < 5])
    assert hidden == [small] and sizes[small] == 3
    hidden.append(sizes.index[len(hidden)])
    w1 = w1[~w1["branch_id"].isin(hidden)]
    company = read(three_waves, "w2", "waves_customer_company").set_index("scale")
    assert company.loc["SAT", "previous_n"] == w1["SAT"].notna().sum()
    assert company.loc["SAT", "previous_mean"] == pytest.approx(w1["SAT"].mean(), rel=1e-12)  # same data, same mean


def test_kpi_trend_rows_are_the_change_of_branch_kpis(three_waves):
    trends = read(three_waves, "w2", "branch_trends")
    rows = trends[trends["source"] == "kpi"].set_index(["branch_id", "dimension"]).sort_index()
    w1, w2 = (three_waves["kpis"][w].set_index(["branch_id", "kpi"])["value"] for w in ("w1", "w2"))
    common = w1.index.intersection(w2.index)
    assert len(rows) == len(common) and set(rows.index) == set(common)  # the branch without w2 records has none
    expected = (w2 - w1).reindex(rows.index)
    np.testing.assert_array_equal(rows["change"].to_numpy(), expected.to_numpy())  # the same subtraction
    np.testing.assert_array_equal(rows["value"].to_numpy(), w2.reindex(rows.index).to_numpy())
    np.testing.assert_array_equal(rows["previous_value"].to_numpy(), w1.reindex(rows.index).to_numpy())
    withheld = rows["value"].isna() | rows["previous_value"].isna()
    assert withheld.sum() == 2 and (rows.loc[withheld, "reason"] == "value_missing").all()
    assert (rows.loc[~withheld, "reason"] == "records_not_a_sample").all() and rows.loc[~withheld, "comparable"].all()
    # records, not samples: no test, no interval, no respondent count
    assert rows[["p", "ci_low", "ci_high", "mean", "n"]].isna().all().all() and rows["significant"].isna().all()
    assert three_waves["info"]["waves"]["kpi"]["months"] == {"w1": 3, "w2": 3}


def test_changed_instrument_reported_and_items_left_out(three_waves):
    w = three_waves
    with pytest.raises(InputFileError, match="previous-instruments"):
        run_compare_waves("w3", "w2", processed_root=w["processed"], out_root=w["out"], instruments_dir=w["v2"],
                          study_path=SURVEYS / "study.yml")
    run_compare_waves("w3", "w2", processed_root=w["processed"], out_root=w["out"], instruments_dir=w["v2"],
                      previous_instruments_dir=SURVEYS, study_path=SURVEYS / "study.yml")
    changes = read(w, "w3", "waves_changes")
    assert set(zip(changes["item"], changes["change"])) == {("TS2", "reworded_zh"), ("CO4", "removed")}
    assert set(changes["instrument"]) == {"staff"}  # the customer codebook did not change
    info = json.loads((w["out"] / "w3" / "compare" / "results.json").read_text(encoding="utf-8"))
    assert "branch_kpis" in info["waves"]["kpi"]["skipped"]  # w3 was not analyzed: no KPI trends
    assert not (read(w, "w3", "branch_trends")["source"] == "kpi").any()
    inv = read(w, "w3", "waves_invariance").groupby("scale").first()
    assert inv.loc["TS", "items"] == "TS1;TS3;TS4" and inv.loc["CO", "items"] == "CO1;CO2;CO3"
    # TS on its 3 unchanged items only, recomputed in both waves
    company = read(w, "w3", "waves_company").set_index("scale")
    w2 = pd.read_parquet(w["processed"] / "w2" / "staff.parquet")
    w2_scores = pd.read_parquet(w["processed"] / "w2" / "staff_scores.parquet")
    w2 = w2[w2["staff_id"].isin(w2_scores.loc[~w2_scores["careless"], "staff_id"])]
    staff = load_instrument(SURVEYS / "staff.yml")
    w2 = w2[w2.groupby("branch_id")["staff_id"].transform("size") >= 5]  # small branches left out of the company
    keyed = w2[["TS1", "TS3", "TS4"]].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    keyed[:, 2] = 6 - keyed[:, 2]  # TS4 is reverse-keyed
    assert staff.items["TS4"].reverse and staff.scales["TS"].min_answered <= 3
    answered = (~np.isnan(keyed)).sum(axis=1) >= staff.scales["TS"].min_answered
    expected = np.nanmean(np.nanmean(keyed[answered], axis=1))
    assert company.loc["TS", "previous_mean"] == pytest.approx(expected, rel=1e-9)  # same arithmetic: float precision
    # w3 shifts TD by the same 0.5 as w2 relative to the base: no change since w2
    assert not company.loc["TD", "significant"]


def test_list_waves(three_waves):
    listing = list_waves(three_waves["raw"], three_waves["processed"])
    staff = listing[listing["instrument"] == "staff"].set_index("wave")
    assert list(staff.index) == ["w1", "w2", "w3"]
    assert staff["ingested"].all() and staff["scored"].all()
    assert list(staff["period_start"]) == ["2026-07", "2026-10", "2027-01"]
    assert list(staff["instrument_version"]) == ["2026.1", "2026.1", "2026.2"]
    manifest = json.loads((three_waves["processed"] / "w2" / "manifest.json").read_text(encoding="utf-8"))
    assert staff.loc["w2", "rows_accepted"] == manifest["datasets"]["staff"]["rows"]
    assert set(listing["instrument"]) == {"branches", "staff", "customer", "kpi", "ratings360"}
