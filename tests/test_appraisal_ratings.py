"""360° ratings against the simulator's truth (analysis.simulate.appraisal): rater leniency, inter-rater
reliability per role, self–other gaps; and the anonymity rule for small rater groups.

Tolerances come from 10 simulated waves (seeds 0-9, 150 branches): the leniency CIs covered the truth
in 95.4% (supervisors, SD 1.8 points) and 95.3% (peers, SD 1.1) of raters; the slope of estimates on
the truth was .96 (SD .04) and .95 (SD .02), a little below 1 from rounding ratings to whole points;
ICC(1) - truth: -.005 (SD .014) for peers, -.004 (SD .012) for customers; Method III for peers:
var_rater - truth -.006 (SD .005), var_error -.014 (SD .005), var_ratee -.022 (SD .010).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.appraisal import ratings360 as r3
from analysis.appraisal.scheme import load_scheme
from analysis.simulate import load_model, simulate_wave
from conftest import SURVEYS


@pytest.fixture(scope="module")
def spec():
    return load_scheme(SURVEYS / "appraisal.yml").ratings


@pytest.fixture(scope="module")
def wave(instruments, spec):
    sim = simulate_wave(instruments, load_model(SURVEYS / "simulation.yml"), wave="t", branches=150, seed=3, malformed=False)
    return sim, r3.rating_scores(sim.tables["ratings360"], spec)


def test_rater_leniency_recovered(wave, spec):
    sim, scored = wave
    truth = sim.appraisal["ratings"]["leniency"]
    est = r3.rater_leniency(scored, spec)
    assert set(est["role"]) <= {"supervisor", "peer", "subordinate", "customer"} and (est["n_ratings"] >= 3).all()
    est["truth"] = [truth[f"{r}|{g}"] for r, g in zip(est["rater"], est["role"])]
    est["truth"] -= est.groupby("role")["truth"].transform("mean")  # estimates are relative to the role's mean rater
    np.testing.assert_allclose(est.groupby("role")["estimate"].sum(), 0, atol=1e-8)
    for role in ("supervisor", "peer"):
        part = est[est["role"] == role]
        cover = ((part["ci_low"] <= part["truth"]) & (part["truth"] <= part["ci_high"])).mean()
        slope = np.polyfit(part["truth"], part["estimate"], 1)[0]
        assert 0.90 <= cover <= 0.99, (role, cover)  # 95% intervals: about 3 SD of the coverage either side
        assert 0.85 <= slope <= 1.08, (role, slope)


def test_reliability_per_role_against_true_components(wave, spec):
    sim, scored = wave
    truth = sim.appraisal["ratings"]
    rel = r3.ratings_reliability(scored, spec, n_options=5).set_index("role")
    assert rel.loc["supervisor", "design"] == rel.loc["self", "design"] == "one_rater_per_ratee"
    assert rel.loc["customer", "design"] == "nested" and np.isnan(rel.loc["customer", "icc2_1"])
    assert rel.loc["peer", "design"] == "crossed"
    J = len(truth["items"])
    rounding = 1 / (12 * J)  # rounding each item to a whole point adds ~1/12 to its variance (Sheppard)
    for role in ("peer", "customer"):
        r = truth["roles"][role]
        error = r["rating_sd"] ** 2 + truth["item_sd"] ** 2 / J + rounding
        icc1 = r["loading"] ** 2 / (r["loading"] ** 2 + r["leniency_sd"] ** 2 + error)
        assert abs(rel.loc[role, "icc1"] - icc1) < 0.045, role
        assert rel.loc[role, "icc1_ci_low"] < rel.loc[role, "icc1"] < rel.loc[role, "icc1_ci_high"]
        assert rel.loc[role, "icc1_k"] > rel.loc[role, "icc1"]
    peer = truth["roles"]["peer"]
    assert abs(rel.loc["peer", "var_rater"] - peer["leniency_sd"] ** 2) < 0.022
    assert -0.035 < rel.loc["peer", "var_error"] - (peer["rating_sd"] ** 2 + truth["item_sd"] ** 2 / J + rounding) < 0.01
    # peers rate within their branch, so Method III sees the ratees' within-branch performance variance
    z = pd.Series(truth["performance_z"])
    branch = sim.people.set_index("staff_id").loc[z.index, "branch"]
    within = (z - z.groupby(branch).transform("mean")) ** 2
    assert abs(rel.loc["peer", "var_ratee"] - peer["loading"] ** 2 * within.sum() / (len(z) - branch.nunique())) < 0.06
    assert rel.loc["peer", "share_rwg_ok"] > 0.9  # raters agree far more than at random (uniform null)


def test_self_other_gap_per_role(wave, spec):
    sim, scored = wave
    truth = sim.appraisal["ratings"]
    roles = r3.ratee_role_scores(scored, spec, min_raters=3)
    table = r3.self_other(roles, spec).set_index(["level", "unit"])
    z = pd.Series(truth["performance_z"])
    lenient = pd.Series(truth["leniency"])
    s = truth["roles"]["self"]
    for role in ("supervisor", "peer", "customer"):
        r = truth["roles"][role]
        part = scored[scored[spec.role] == role]
        # expected role score of each ratee: mean + loading z + the mean leniency of its raters
        per = part.assign(len_=lenient.reindex(part[spec.rater] + "|" + role).to_numpy()).groupby(spec.ratee)["len_"].mean()
        shown = roles[(roles[spec.role] == role) & roles["shown"]][spec.ratee]
        selfs = roles[(roles[spec.role] == "self")][spec.ratee]
        both = pd.Index(shown).intersection(pd.Index(selfs))
        expected = (s["mean"] + s["loading"] * z[both] - (r["mean"] + r["loading"] * z[both] + per[both])).mean()
        row = table.loc[("role", role)]
        assert row["n"] == len(both)
        assert abs(row["estimate"] - expected) < 3 * row["se"] + 0.02, role  # + rounding/clipping of whole-point ratings
    company = table.loc[("company", "all")]
    assert company["estimate"] > 0 and company["p"] < 1e-6 and 0 < company["r_self_other"] < 1


def test_small_anonymous_groups_are_neither_shown_nor_counted(wave, spec):
    _, scored = wave
    roles = r3.ratee_role_scores(scored, spec, min_raters=3)
    anonymous = roles[spec.role].isin(["peer", "subordinate", "customer"])
    assert not roles.loc[anonymous & (roles["n_raters"] < 3), "shown"].any()
    assert roles.loc[~anonymous, "shown"].all()  # supervisor and self ratings are identified by design
    combined = r3.ratee_scores(roles, spec).set_index(spec.ratee)
    # by hand for every ratee: weighted mean of the shown roles' scores, weights renormalised
    shown = roles[roles["shown"]].assign(w=lambda f: f[spec.role].map({k: v.weight for k, v in spec.roles.items()}))
    by_hand = (shown["score"] * shown["w"]).groupby(shown[spec.ratee]).sum() / shown.groupby(spec.ratee)["w"].sum()
    np.testing.assert_allclose(combined.loc[by_hand.index, "score"], by_hand, rtol=1e-12)
    # changing the ratings of a hidden group changes no reported figure (no disclosure by difference)
    hidden = roles[anonymous & ~roles["shown"]].iloc[0]
    mask = (scored[spec.ratee] == hidden[spec.ratee]) & (scored[spec.role] == hidden[spec.role])
    changed = scored.copy()
    changed.loc[mask, [*spec.items]] = 1.0
    changed["score"] = changed[spec.items].mean(axis=1)
    again = r3.ratee_scores(r3.ratee_role_scores(changed, spec, min_raters=3), spec).set_index(spec.ratee)
    assert again.loc[hidden[spec.ratee], "score"] == combined.loc[hidden[spec.ratee], "score"]
