"""The simulator's appraisal files: 360° ratings in every wave (own random stream), an action register in
follow-ups simulated with actions, and the bundled sample's added files reproducible from its seed."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from analysis.pipeline import run_simulate
from analysis.simulate import load_model, simulate_wave
from conftest import ROOT, SURVEYS

SAMPLE = ROOT / "data" / "raw" / "sample"


def test_sample_appraisal_files_are_the_simulators(tmp_path):
    args = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))["arguments"]
    run_simulate("sample", branches=args["branches"], seed=args["seed"], out=tmp_path / "s", instruments_dir=SURVEYS,
                 model_path=SURVEYS / "simulation.yml", excel_customers=True)
    for name in ("ratings360.csv", "truth_appraisal.json", "wave.yml", "staff_survey.csv", "kpi.csv", "branches.csv"):
        assert (tmp_path / "s" / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    # openpyxl stamps the time into the file: compare the cells (the customers' comments among them)
    made, committed = (pd.read_excel(folder / "customer_survey.xlsx", dtype=str) for folder in (tmp_path / "s", SAMPLE))
    pd.testing.assert_frame_equal(made, committed)


def test_ratings_do_not_change_the_other_files(instruments):
    model = load_model(SURVEYS / "simulation.yml")
    without = copy.deepcopy(model)
    without.pop("appraisal")
    a = simulate_wave(instruments, model, wave="t", branches=20, seed=9)
    b = simulate_wave(instruments, without, wave="t", branches=20, seed=9)
    assert "ratings360" in a.tables and "ratings360" not in b.tables and not b.appraisal
    for name in ("branches", "staff", "customer", "kpi"):
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])


def test_rating_design(instruments):
    sim = simulate_wave(instruments, load_model(SURVEYS / "simulation.yml"), wave="t", branches=40, seed=2, malformed=False)
    r = sim.tables["ratings360"]
    people = sim.people.set_index("staff_id")
    assert not r.duplicated(["rater_id", "ratee_id"]).any()
    per = r.groupby(["ratee_id", "rater_role"]).size().unstack(fill_value=0)
    assert (per["supervisor"] == 1).all() and per["self"].max() == 1 and set(per.index) == set(people.index)
    staff_raters = r[r["rater_role"].isin(["peer", "subordinate"])]
    same_branch = people.loc[staff_raters["rater_id"], "branch"].to_numpy() == people.loc[staff_raters["ratee_id"], "branch"].to_numpy()
    assert same_branch.all()
    managers = people.loc[r.loc[r["rater_role"] == "subordinate", "ratee_id"], "position"]
    assert set(managers) <= {"3", "4"}
    assert (r[r["rater_role"] == "self"]["rater_id"] == r[r["rater_role"] == "self"]["ratee_id"]).all()
    items = ["R_PERF", "R_SERV", "R_SOLV", "R_TEAM", "R_SKILL"]
    assert r[items].isin([1, 2, 3, 4, 5]).all().all()
    # the supervisor's ratings follow the ratee's true performance (loading .6 on a 1-5 scale)
    z = pd.Series(sim.appraisal["ratings"]["performance_z"])
    sup = r[r["rater_role"] == "supervisor"].set_index("ratee_id")[items].mean(axis=1)
    assert np.corrcoef(sup, z[sup.index])[0, 1] > 0.5


def test_action_register_only_with_actions(instruments):
    model = load_model(SURVEYS / "simulation.yml")
    plain = simulate_wave(instruments, model, wave="b", branches=60, seed=4, follow_up=1, malformed=False)
    assert "actions_register" not in plain.tables and "actions" not in plain.appraisal
    acted = simulate_wave(instruments, model, wave="b", branches=60, seed=4, follow_up=1, malformed=False, actions=True)
    reg = acted.tables["actions_register"]
    truth = acted.appraisal["actions"]
    assert set(reg["action_id"]) == set(truth) and (reg["start_month"] == "2026-10").all()
    for action, spec in truth.items():
        assert sorted(reg.loc[reg["action_id"] == action, "branch_id"]) == sorted(spec["adopters"])
        source = next(a for a in model["appraisal"]["actions"] if a["action"] == action)
        coef = model["completion"]["effects"].get(spec["dimension"], 0.0)
        assert spec["kpi_effect"] == pytest.approx(source["kpi_effect"] + coef * source["effect"])
        assert set(spec["effect_observed"]) == set(spec["adopters"])
        assert all(0 < v < source["effect"] for v in spec["effect_observed"].values())  # 1-5 items: below the latent SD shift
    # the latent scores move by the action's effect in adopting branches only
    branch_ids = np.array([f"B{j + 1:04d}" for j in range(60)])
    for action, spec in truth.items():
        dim = spec["dimension"]
        adopted = np.isin(branch_ids[acted.people["branch"]], spec["adopters"])
        moved = acted.people[dim] - plain.people[dim]
        np.testing.assert_allclose(moved[adopted], spec["effect_latent"], atol=1e-12)
        np.testing.assert_allclose(moved[~adopted], 0, atol=1e-12)
    for dim in ("CO", "FB", "EN"):
        assert dim not in acted.people or np.allclose(acted.people[dim], plain.people[dim])
