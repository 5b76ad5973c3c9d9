"""A small 360° ratings table for the docstring examples of :mod:`analysis.appraisal` (one definition, not one per example)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.appraisal.scheme import Scheme, load_scheme, parse_scheme

__all__ = ["example_ratings", "example_scorecard_inputs"]


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
