"""Small inputs for the docstring examples of :mod:`analysis.appraisal` (one definition, not one per example).

360° ratings (:func:`example_ratings`, scored: :func:`example_scored`), scorecard inputs
(:func:`example_scorecard_inputs`, as a staff frame: :func:`example_staff`), graded people
(:func:`example_graded`) and two waves of branches around an action (:func:`example_action_waves`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.appraisal.grades import assign_grades, split_bonus
from analysis.appraisal.ratings360 import ratee_role_scores, rating_scores
from analysis.appraisal.scheme import Scheme, load_scheme, parse_scheme
from analysis.appraisal.scorecard import composite, staff_frame
from analysis.datasets import RecordsSpec

__all__ = ["example_ratings", "example_scored", "example_scorecard_inputs", "example_staff", "example_graded",
           "example_action_waves"]


def example_ratings(path: str = "surveys/appraisal.yml", seed: int = 0) -> tuple[Scheme, pd.DataFrame]:
    """The scheme at ``path`` and four ratees' ratings: a supervisor, three peers and the self-rating each.

    Parameters
    ----------
    path : the appraisal scheme file (the bundled one by default, from the project folder).
    seed : seed of the answers (3-5 on every item of the scheme's ratings).

    Returns
    -------
    (scheme, ratings): ``ratings`` has the scheme's rater, ratee and role columns and its items.

    Examples
    --------
    >>> scheme, ratings = example_ratings()
    >>> len(ratings), sorted(ratings["rater_role"].unique())
    (20, ['peer', 'self', 'supervisor'])
    """
    scheme = load_scheme(path)
    spec = scheme.ratings
    rng = np.random.default_rng(seed)
    rows = []
    for ratee in ["s1", "s2", "s3", "s4"]:
        raters = [("m1", "supervisor"), (ratee, "self")] + [(f"p{i}", "peer") for i in range(1, 5) if f"s{i}" != ratee][:3]
        for rater, role in raters:
            rows.append({spec.rater: rater, spec.ratee: ratee, spec.role: role,
                         **{item: int(rng.integers(3, 6)) for item in spec.items}})
    return scheme, pd.DataFrame(rows)


def example_scored(path: str = "surveys/appraisal.yml", seed: int = 0, min_raters: int = 3
                   ) -> tuple[Scheme, pd.DataFrame, pd.DataFrame]:
    """:func:`example_ratings` scored: each rating's score and each ratee's role means.

    Parameters
    ----------
    path, seed : as in :func:`example_ratings`.
    min_raters : fewest raters an anonymous role needs to be shown (the three peers are).

    Returns
    -------
    (scheme, scored, roles): :func:`analysis.appraisal.ratings360.rating_scores` and
    :func:`analysis.appraisal.ratings360.ratee_role_scores` of the ratings under ``scheme.ratings``
    (items R_PERF ... R_SKILL; roles supervisor, peer, subordinate, customer, self).

    Examples
    --------
    >>> scheme, scored, roles = example_scored()
    >>> len(scored), len(roles), bool(roles["shown"].all())
    (20, 12, True)
    """
    scheme, ratings = example_ratings(path, seed)
    scored = rating_scores(ratings, scheme.ratings)
    return scheme, scored, ratee_role_scores(scored, scheme.ratings, min_raters=min_raters)


def example_scorecard_inputs() -> tuple[Scheme, pd.DataFrame, pd.DataFrame]:
    """A two-indicator scheme (target completion, weight 3; the branch's customer satisfaction, a team
    indicator, weight 1), two months of KPI records of three staff in two branches, and the branches.

    Returns
    -------
    (scheme, records, branches).

    Examples
    --------
    >>> scheme, records, branches = example_scorecard_inputs()
    >>> list(scheme.indicators), len(records), list(branches["branch_id"])
    (['completion', 'branch_sat'], 6, ['b1', 'b2'])
    """
    scheme = parse_scheme({
        "id": "demo", "version": "1", "title": {"zh": "示例", "en": "Demo"},
        "indicators": {
            "completion": {"label": {"zh": "完成率", "en": "Completion"}, "weight": 3, "ratio": ["sales", "target"],
                           "normalise": {"method": "target_ratio", "target": 1.0, "cap": 1.2}},
            "branch_sat": {"label": {"zh": "满意度", "en": "Satisfaction"}, "weight": 1, "level": "team",
                           "column": "customer_SAT", "normalise": {"method": "range", "min": 1, "max": 5}}},
        "grades": {"rule": "thresholds", "thresholds": {"A": 80, "B": 0}},
        "bonus": {"pool": {"amount": 1000}, "coefficients": {"A": 1.2, "B": 1.0}}})
    records = pd.DataFrame({"staff_id": ["s1", "s1", "s2", "s2", "s3", "s3"], "branch_id": ["b1"] * 4 + ["b2"] * 2,
                            "month": ["2026-07", "2026-08"] * 3, "sales": [60.0, 60, 40, 50, 30, 30],
                            "target": [50.0] * 6})
    branches = pd.DataFrame({"branch_id": ["b1", "b2"], "branch_type": ["urban", "rural"], "customer_SAT": [4.2, 3.4]})
    return scheme, records, branches


def example_staff() -> tuple[Scheme, pd.DataFrame, pd.DataFrame]:
    """:func:`example_scorecard_inputs` with the records summed per person (sales, target).

    Returns
    -------
    (scheme, staff, branches): ``staff`` is :func:`analysis.appraisal.scorecard.staff_frame` of the
    records (s1 sold 120 of a 100 target, s2 90, s3 60).

    Examples
    --------
    >>> scheme, staff, branches = example_staff()
    >>> staff["sales"].tolist(), staff["branch_id"].tolist()
    ([120.0, 90.0, 60.0], ['b1', 'b1', 'b2'])
    """
    scheme, records, branches = example_scorecard_inputs()
    staff = staff_frame(records, RecordsSpec("kpi", sum=("sales", "target")), branches, person="staff_id", group="branch_id")
    return scheme, staff, branches


def example_graded(path: str = "surveys/appraisal.yml", seed: int = 0) -> tuple[Scheme, pd.DataFrame, pd.DataFrame]:
    """Twenty people in two branches with random points (40-100) on every indicator, graded and paid by the scheme.

    Parameters
    ----------
    path : the appraisal scheme file (the bundled one by default, from the project folder).
    seed : seed of the points.

    Returns
    -------
    (scheme, points, people): ``points`` has one column per indicator; ``people`` (rows aligned)
    has staff_id, branch_id (10 each in b1, b2), composite, grade and bonus (ties by staff_id).

    Examples
    --------
    >>> scheme, points, people = example_graded()
    >>> points.shape, people["grade"].value_counts().sort_index().to_dict()
    ((20, 10), {'A': 2, 'B': 4, 'C': 10, 'D': 3, 'E': 1})
    """
    scheme = load_scheme(path)
    points = pd.DataFrame(np.random.default_rng(seed).uniform(40, 100, (20, len(scheme.indicators))),
                          columns=list(scheme.indicators))
    people = pd.DataFrame({"staff_id": [f"s{i:02d}" for i in range(20)], "branch_id": np.repeat(["b1", "b2"], 10)})
    people["composite"] = composite(points, scheme.weights())["composite"]
    people["grade"] = assign_grades(people, scheme.grades, tie="staff_id")
    people["bonus"] = split_bonus(people, scheme.bonus, tie="staff_id")["bonus"]
    return scheme, points, people


def example_action_waves() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Eight branches in two waves; b1-b4 adopted action TS-1 (January to March 2026), which adds 0.3 to TS.

    Besides the action, every branch has its own trend (adopters b1-b4: +0.02 on average, the
    others +0.01); 8 respondents per branch in both waves, urban and rural branches alternating.

    Returns
    -------
    (register, previous, current): the action register (``branch_id``, ``action_id``,
    ``start_month``) and the branch frames of the two waves (``branch_id``, ``TS``,
    ``n_respondents``, ``branch_type``).

    Examples
    --------
    >>> register, previous, current = example_action_waves()
    >>> (current["TS"] - previous["TS"]).round(2).tolist()
    [0.35, 0.28, 0.34, 0.31, 0.03, -0.01, 0.02, 0.0]
    """
    register = pd.DataFrame({"branch_id": ["b1", "b2", "b3", "b4"], "action_id": "TS-1",
                             "start_month": ["2026-01", "2026-02", "2026-02", "2026-03"]})
    pre = np.array([3.2, 3.4, 3.1, 3.5, 3.3, 3.6, 3.2, 3.4])
    trend = np.array([0.05, -0.02, 0.04, 0.01, 0.03, -0.01, 0.02, 0.00])
    previous = pd.DataFrame({"branch_id": [f"b{i}" for i in range(1, 9)], "TS": pre, "n_respondents": 8,
                             "branch_type": ["urban", "rural"] * 4})
    current = previous.assign(TS=pre + trend + np.r_[[0.3] * 4, [0] * 4])
    return register, previous, current
