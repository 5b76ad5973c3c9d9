"""Scorecard points, grades (forced distribution, thresholds), the bonus split, and grade reliability."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.appraisal import stability
from analysis.appraisal.grades import assign_grades, largest_remainder, split_bonus
from analysis.appraisal.scheme import Bonus, Grades, Indicator, load_scheme, parse_scheme
from analysis.appraisal.scorecard import composite, indicator_points
from conftest import SURVEYS

SHARES = {"A": 0.10, "B": 0.20, "C": 0.50, "D": 0.15, "E": 0.05}
FORCED = Grades(rule="forced_distribution", shares=SHARES)


def people(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"staff_id": [f"P{i:05d}" for i in range(n)], "composite": rng.normal(70, 10, n),
                         "branch_id": rng.choice(["B1", "B2", "B3"], n)})


# --- points ------------------------------------------------------------------------------

def indicator(**normalise) -> Indicator:
    direction = normalise.pop("direction", "higher")
    return Indicator(label={"zh": "x"}, weight=1, column="x", direction=direction, normalise=normalise)


def test_points_by_hand():
    f = pd.DataFrame({"value": [0.6, 1.2, 1.5, np.nan, 0.0], "g": ["a", "a", "b", "b", "a"]})
    # target_ratio: 100 * min(value / target, cap) / cap
    np.testing.assert_allclose(indicator_points(f, indicator(method="target_ratio", target=1.0, cap=1.2)),
                               [50, 100, 100, np.nan, 0])
    # lower is better: ratio target / value; a value of 0 earns full marks
    np.testing.assert_allclose(indicator_points(f, indicator(method="target_ratio", target=0.6, cap=1.0, direction="lower")),
                               [100, 50, 40, np.nan, 100])
    # percentile: 100 (rank - .5) / n within group (a: 0.6, 1.2, 0.0 -> ranks 2, 3, 1; b: 1.5 alone)
    np.testing.assert_allclose(indicator_points(f, indicator(method="percentile", within="g")),
                               [100 * 1.5 / 3, 100 * 2.5 / 3, 50, np.nan, 100 * 0.5 / 3])
    g = pd.DataFrame({"value": [1, 3, 5, 6]})
    np.testing.assert_allclose(indicator_points(g, indicator(method="range", min=1, max=5)), [0, 50, 100, 100])
    np.testing.assert_allclose(indicator_points(g, indicator(method="range", min=1, max=5, direction="lower")), [100, 50, 0, 0])
    z = indicator_points(pd.DataFrame({"value": [1.0, 2.0, 3.0]}), indicator(method="zscore"))
    np.testing.assert_allclose(z, [100 * 0.15865525393145707, 50, 100 * 0.8413447460685429])  # Phi(-1), Phi(0), Phi(1)


def test_composite_renormalises_over_present_indicators():
    pts = pd.DataFrame({"a": [80.0, 60.0], "b": [40.0, np.nan]})
    out = composite(pts, {"a": 0.75, "b": 0.25})
    np.testing.assert_allclose(out["composite"], [0.75 * 80 + 0.25 * 40, 60.0])
    np.testing.assert_allclose(out["weight_covered"], [1.0, 0.75])


# --- grades ------------------------------------------------------------------------------

def test_largest_remainder_counts_sum_and_are_within_one_of_the_quota():
    rng = np.random.default_rng(1)
    for n in list(range(0, 40)) + [416, 1001]:
        shares = rng.dirichlet(np.ones(5))
        counts = largest_remainder(list(shares), n)
        assert counts.sum() == n and (np.abs(counts - shares * n) < 1).all()
    assert largest_remainder(list(SHARES.values()), 416).tolist() == [42, 83, 208, 62, 21]  # 41.6 83.2 208 62.4 20.8


@pytest.mark.parametrize("n", [7, 37, 416])
def test_forced_distribution_shares_exact(n):
    data = people(n)
    grade = assign_grades(data, FORCED, tie="staff_id")
    counts = grade.value_counts().reindex(list(SHARES), fill_value=0).to_numpy()
    np.testing.assert_array_equal(counts, largest_remainder(list(SHARES.values()), n))
    best = data.groupby(grade)["composite"].agg(["min", "max"]).reindex(list(SHARES)).dropna()
    assert (best["min"].to_numpy()[:-1] > best["max"].to_numpy()[1:]).all()  # every A above every B, ...


def test_forced_distribution_within_groups_and_ties():
    data = people(120, seed=2)
    spec = Grades(rule="forced_distribution", shares=SHARES, within="branch_id")
    grade = assign_grades(data, spec, tie="staff_id")
    for _, part in grade.groupby(data["branch_id"]):
        counts = part.value_counts().reindex(list(SHARES), fill_value=0).to_numpy()
        np.testing.assert_array_equal(counts, largest_remainder(list(SHARES.values()), len(part)))
    tied = pd.DataFrame({"staff_id": ["b", "a", "c"], "composite": [50.0, 50.0, 10.0]})
    two = Grades(rule="forced_distribution", shares={"A": 1 / 3, "B": 2 / 3})
    assert assign_grades(tied, two, tie="staff_id").tolist() == ["B", "A", "B"]  # equal scores: the tie key decides


def test_thresholds():
    spec = Grades(rule="thresholds", thresholds={"A": 90, "B": 80, "C": 70, "D": 60, "E": 0})
    data = pd.DataFrame({"composite": [95, 90, 89.9, 70, 59, -5, np.nan]})
    grade = assign_grades(data, spec)
    assert grade.iloc[:6].tolist() == ["A", "A", "B", "C", "E", "E"] and pd.isna(grade.iloc[6])


# --- bonus -------------------------------------------------------------------------------

@pytest.mark.parametrize("pool", [{"amount": 123456.78}, {"amount": 1000}, {"per_staff": 1500}, {"per_staff": 333.33}])
def test_bonus_pool_sums_exactly(pool):
    data = people(416)
    data["grade"] = assign_grades(data, FORCED, tie="staff_id")
    data.loc[3, "grade"] = None  # not graded: no bonus, not counted per staff
    spec = Bonus(pool=pool, coefficients={"A": 1.5, "B": 1.2, "C": 1.0, "D": 0.8, "E": 0.5})
    out = split_bonus(data, spec, tie="staff_id")
    total = pool.get("amount") or pool["per_staff"] * 415
    assert int(out["bonus_units"].sum()) == round(total / 0.01)  # whole fen, summing to the pool exactly
    assert out.loc[3, "bonus_units"] == 0
    by_grade = out.groupby(data["grade"])["bonus"].agg(["min", "max"]).reindex(list(SHARES))
    assert (by_grade["min"].to_numpy()[:-1] >= by_grade["max"].to_numpy()[1:]).all()  # 等级越高奖金比例越高
    # each amount within one fen of its exact share
    assert (np.abs(out["bonus_units"] - out["share"] * round(total / 0.01)) < 1).all()


def test_bonus_with_contribution():
    data = pd.DataFrame({"grade": ["A", "A", "B"], "sales": [100.0, 300.0, 100.0]})
    spec = Bonus(pool={"amount": 1000}, coefficients={"A": 2.0, "B": 1.0}, contribution="sales")
    out = split_bonus(data, spec)
    np.testing.assert_allclose(out["bonus"], [1000 * 200 / 900, 1000 * 600 / 900, 1000 * 100 / 900], atol=0.01)


# --- grade reliability -------------------------------------------------------------------

def test_grade_change_probability_limits():
    data = people(400, seed=5)
    data["grade"] = assign_grades(data, FORCED, tie="staff_id")
    none = stability.noise_replicates(data["composite"], 0.0, n_boot=20, seed=1)
    p0, _ = stability.grade_stability(data, none, FORCED, tie="staff_id")
    assert (p0 == 0).all()
    small = stability.noise_replicates(data["composite"], 0.5, n_boot=200, seed=1)
    medium = stability.noise_replicates(data["composite"], 5.0, n_boot=200, seed=1)
    p_small = stability.grade_stability(data, small, FORCED, tie="staff_id")[0].mean()
    p_medium = stability.grade_stability(data, medium, FORCED, tie="staff_id")[0].mean()
    assert 0 < p_small < p_medium
    # noise swamping the composite: grades fall at random in the forced shares, so a person graded g
    # keeps it with probability share_g. 400 replicates x n_g people: SD of the mean < .01; tolerance .03
    huge = stability.noise_replicates(data["composite"], 1e6, n_boot=400, seed=2)
    _, summary = stability.grade_stability(data, huge, FORCED, tie="staff_id")
    summary = summary.set_index("grade")
    for g, share in SHARES.items():
        assert abs(summary.loc[g, "p_change"] - (1 - share)) < 0.03, g
    assert abs(summary.loc["all", "p_change"] - (1 - sum(s * s for s in SHARES.values()))) < 0.02


def test_rater_bootstrap_is_exact_when_raters_agree(instruments):
    # zero rating noise and leniency: every rater of a (ratee, role) gives the same ratings, so resampling
    # raters changes nothing and no grade can change
    from analysis.simulate.appraisal import simulate_ratings
    from analysis.appraisal import ratings360 as r3
    from analysis.appraisal.scorecard import scorecard

    model = yaml.safe_load((SURVEYS / "simulation.yml").read_text(encoding="utf-8"))
    cfg = copy.deepcopy(model["appraisal"]["ratings"])
    cfg["item_sd"] = 0.0
    for role in cfg["roles"].values():
        role.update(leniency_sd=0.0, rating_sd=0.0)
    rng = np.random.default_rng(0)
    n = 120
    crowd = pd.DataFrame({"staff_id": [f"S{i}" for i in range(n)], "branch": np.repeat(np.arange(12), 10),
                          "position": rng.choice(["1", "3"], n, p=[0.8, 0.2]), "completion": rng.normal(1, 0.1, n)})
    ratings, _ = simulate_ratings(rng, crowd, np.array([f"B{j}" for j in range(12)]), cfg)
    raw = yaml.safe_load((SURVEYS / "appraisal.yml").read_text(encoding="utf-8"))
    raw["indicators"] = {k: v for k, v in raw["indicators"].items() if "ratings" in v}
    scheme = parse_scheme(raw)
    scored = r3.rating_scores(ratings, scheme.ratings)
    roles = r3.ratee_role_scores(scored, scheme.ratings, min_raters=3)
    staff = crowd.assign(branch_id=crowd["branch"].map(lambda j: f"B{j}"))[["staff_id", "branch_id"]]
    _, wide = scorecard(scheme, staff, pd.DataFrame({"branch_id": []}), r3.ratee_scores(roles, scheme.ratings).set_index("ratee_id"),
                        person="staff_id", group="branch_id")
    reps = stability.rater_bootstrap_composites(scored, roles, wide[list(scheme.indicators)], staff, scheme,
                                                 person="staff_id", n_boot=30, seed=4)
    np.testing.assert_allclose(reps, np.tile(wide["composite"].to_numpy(), (30, 1)), atol=1e-9)
    data = staff.assign(composite=wide["composite"])
    data["grade"] = assign_grades(data, scheme.grades, tie="staff_id")
    p, _ = stability.grade_stability(data, reps, scheme.grades, tie="staff_id")
    assert (p == 0).all()


def test_bundled_scheme_coefficients_rise_with_grade():
    scheme = load_scheme(SURVEYS / "appraisal.yml")
    assert list(scheme.bonus.coefficients) == scheme.grades.order


def test_complementary_suppression_leaves_no_small_remainder():
    from analysis.appraisal.tables import complement_small_remainder

    parts = pd.DataFrame({"unit": list("abcd"), "n": [12, 6, 5, 9]})
    # total 35: the shown parts (all >= 5) leave 3 out -> the smallest shown part goes too (3 + 5 = 8 >= 5)
    out = complement_small_remainder(parts, n="n", total=35, k=5)
    assert out["unit"].tolist() == ["a", "b", "d"] and 35 - out["n"].sum() >= 5
    assert complement_small_remainder(parts, n="n", total=32, k=5).equals(parts)  # nothing left out
    assert complement_small_remainder(parts, n="n", total=40, k=5).equals(parts)  # 8 left out: a group of k or more


def test_scorecard_without_ratings_uses_the_other_indicators():
    from analysis.appraisal.scorecard import scorecard

    raw = yaml.safe_load((SURVEYS / "appraisal.yml").read_text(encoding="utf-8"))
    raw["indicators"] = {k: raw["indicators"][k] for k in ("target_completion", "competence")}
    scheme = parse_scheme(raw)
    staff = pd.DataFrame({"staff_id": ["a", "b"], "branch_id": ["B1", "B1"], "sales_revenue": [90.0, 120.0],
                          "assigned_target": [100.0, 100.0]})
    long, wide = scorecard(scheme, staff, pd.DataFrame({"branch_id": ["B1"]}), None, person="staff_id", group="branch_id")
    np.testing.assert_allclose(wide["composite"], [75.0, 100.0])  # 100 * min(r, 1.2) / 1.2 of the completion only
    np.testing.assert_allclose(wide["weight_covered"], 25 / 35)
    assert long.loc[long["indicator"] == "competence", "points"].isna().all()
