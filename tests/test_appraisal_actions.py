"""Action effects across waves (difference in differences) against the simulator's known effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.appraisal.action_effects import action_effects, adoption, branch_action_changes, library_dimensions
from analysis.scoring import score_scales
from analysis.simulate import load_model, simulate_wave
from conftest import SURVEYS

DIMENSIONS = library_dimensions(yaml.safe_load((SURVEYS / "actions.yml").read_text(encoding="utf-8")))


def branch_frame(sim, staff_instrument) -> pd.DataFrame:
    """What analyze's branch frame holds for this test: scale means, respondents, completion, type."""
    staff = sim.tables["staff"]
    scores = score_scales(staff, staff_instrument).assign(branch_id=staff["branch_id"].to_numpy())
    per = scores.groupby("branch_id")[["TS", "TD"]].mean()
    per["n_respondents"] = scores.groupby("branch_id").size()
    kpi = sim.tables["kpi"].groupby("branch_id")[["sales_revenue", "assigned_target"]].sum()
    per = per.join((kpi["sales_revenue"] / kpi["assigned_target"]).rename("target_completion"))
    types = sim.tables["branches"].drop_duplicates("branch_id").set_index("branch_id")[["branch_type"]]
    return types.join(per).reset_index()


@pytest.fixture(scope="module")
def waves(instruments):
    model = load_model(SURVEYS / "simulation.yml")
    base = simulate_wave(instruments, model, wave="a", branches=150, seed=3, malformed=False)
    nxt = simulate_wave(instruments, model, wave="b", branches=150, seed=3, malformed=False, follow_up=1, actions=True)
    return base, nxt, branch_frame(base, instruments["staff"]), branch_frame(nxt, instruments["staff"])


def test_library_and_adoption_window():
    assert DIMENSIONS["TS-1"] == "TS" and DIMENSIONS["TD-1"] == "TD"
    reg = pd.DataFrame({"action_id": ["TS-1", "TS-1", "TS-1", "XX-9"], "branch_id": ["B1", "B2", "B3", "B4"],
                        "start_month": ["2026-09", "2026-10", "2027-01", "2026-10"]})
    status = adoption(reg, DIMENSIONS, after="2026-09", until="2026-12")
    assert status["status"].tolist() == ["earlier", "adopted", "later", "unknown_action"]


def test_did_covers_the_true_effects(waves):
    # 95% intervals at one seed; over seeds 0-11 (150 branches) the dimension intervals covered the truth
    # in 23 of 24 cases, with mean estimates .34 (truth .34, TS-1) and .30 (truth .27, TD-1).
    _, nxt, pre, post = waves
    truth = nxt.appraisal["actions"]
    table = action_effects(nxt.tables["actions_register"], pre, post, dimensions=DIMENSIONS, kpis=["target_completion"],
                           group="branch_id", after="2026-09", until="2026-12")
    did = table[table["estimator"] == "did"].set_index(["action_id", "outcome"])
    used = set(pre.dropna(subset=["TS"])["branch_id"]) & set(post.dropna(subset=["TS"])["branch_id"])
    for action, spec in truth.items():
        dim = spec["dimension"]
        observed = np.mean([v for b, v in spec["effect_observed"].items() if b in used])  # ATT of the branches in the model
        row = did.loc[(action, dim)]
        assert row["n_treated"] == len(set(spec["adopters"]) & used)
        assert row["ci_low"] <= observed <= row["ci_high"], (action, row["estimate"], observed)
        kpi = did.loc[(action, "target_completion")]
        assert kpi["ci_low"] <= spec["kpi_effect"] <= kpi["ci_high"], (action, kpi["estimate"], spec["kpi_effect"])
    assert did.loc[("TS-1", "TS"), "p"] < 0.001 and (table["reason"] == "").all()
    assert set(table["estimator"]) == {"did", "did_adjusted"}


def test_joint_model_separates_co_adopted_actions():
    # no noise: change = 1 for TS-1, + 2 for TD-1, whether adopted alone or together -> exactly 1 and 2
    rng = np.random.default_rng(0)
    ids = [f"B{i:03d}" for i in range(40)]
    a, b = np.arange(40) % 4 == 0, np.arange(40) % 5 == 0  # 2 branches adopt both
    pre = pd.DataFrame({"branch_id": ids, "target_completion": rng.normal(1, 0.1, 40), "branch_type": "std"})
    post = pre.assign(target_completion=pre["target_completion"] + 1.0 * a + 2.0 * b + 0.3)
    reg = pd.DataFrame({"action_id": ["TS-1"] * a.sum() + ["TD-1"] * b.sum(),
                        "branch_id": [i for i, x in zip(ids, a) if x] + [i for i, x in zip(ids, b) if x], "start_month": "2026-10"})
    out = action_effects(reg, pre, post, dimensions=DIMENSIONS, kpis=["target_completion"], group="branch_id",
                         after="2026-09", until="2026-12")
    did = out[(out["estimator"] == "did") & (out["outcome"] == "target_completion")].set_index("action_id")["estimate"]
    np.testing.assert_allclose(did[["TS-1", "TD-1"]], [1.0, 2.0], atol=1e-10)
    assert set(out.loc[out["outcome_kind"] == "dimension", "reason"]) == {"outcome_missing"}


def test_gates_invariance_privacy_and_too_few(waves):
    _, nxt, pre, post = waves
    reg = pd.concat([nxt.tables["actions_register"], pd.DataFrame([{"action_id": "ZZ-1", "branch_id": "B0001",
                                                                    "start_month": "2026-10"}])])
    common = dict(dimensions=DIMENSIONS, kpis=["target_completion"], group="branch_id", after="2026-09", until="2026-12")
    gated = action_effects(reg, pre, post, invariant={"TD"}, **common).set_index(["action_id", "outcome"])
    assert gated.loc[("TS-1", "TS"), "reason"] == "not_invariant" and np.isnan(gated.loc[("TS-1", "TS"), "estimate"])
    assert (gated.loc[("TD-1", "TD"), "reason"] == "").all()
    assert (gated.loc[("TS-1", "target_completion"), "reason"] == "").all()  # KPIs are records: no invariance gate
    assert gated.loc[("ZZ-1", np.nan), "reason"] == "unknown_action"
    private = action_effects(reg, pre, post, k=100_000, **common)
    assert set(private.loc[private["outcome_kind"] == "dimension", "reason"]) == {"below_k"}
    assert private.loc[private["outcome_kind"] == "dimension", ["treated_pre", "estimate"]].isna().all().all()
    few = action_effects(reg, pre, post, min_branches=1000, **common)
    assert set(few["reason"].dropna()) == {"too_few_branches", "unknown_action"}


def test_branch_changes_shown_only_for_branches_of_k(waves):
    _, nxt, pre, post = waves
    out = branch_action_changes(nxt.tables["actions_register"], pre, post, dimensions=DIMENSIONS, group="branch_id",
                                after="2026-09", until="2026-12", k=5)
    sizes = pre.set_index("branch_id")["n_respondents"].fillna(0).combine(post.set_index("branch_id")["n_respondents"].fillna(0), min)
    expected = out["branch_id"].map(sizes) >= 5
    assert (out["shown"] == expected).all() and out.loc[~out["shown"], ["previous", "current", "change"]].isna().all().all()
    assert len(out) == len(nxt.tables["actions_register"])
