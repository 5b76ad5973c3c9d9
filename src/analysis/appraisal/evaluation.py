"""Evaluating an appraisal scheme: how fair, how team-minded, how predictive (how reliable: :mod:`.stability`).

What HR tools do not report: whether an over-set target costs people a grade (fairness against
the objective target gap of :mod:`analysis.models.targets`); what the weight of team indicators
does to grades, bonus spread and internal competition (the seed's third problem: appraisal of
individuals only, 恶性竞争); and whether grades predict the next wave's performance (predictive
validity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.appraisal.grades import assign_grades, split_bonus
from analysis.appraisal.scheme import Grades, Scheme
from analysis.models.regression import ols
from analysis.psychometrics.aggregation import icc

__all__ = ["fairness", "team_weighting", "competition", "predictive_validity", "gini"]


def _grade_index(grades: pd.Series, order: list[str]) -> pd.Series:
    return grades.map({g: i for i, g in enumerate(order)}).astype(float)


def fairness(data: pd.DataFrame, fair: pd.Series, spec: Grades, *, gap: str = "target_gap", group: str,
             over_set: float = 0.10, tie: str | None = None, ci: float = 0.95) -> pd.DataFrame:
    """Do over-set targets cost people points, a grade and bonus?

    Parameters
    ----------
    data : one row per person: composite, grade, bonus, ``gap`` (log assigned / objective
        expectation), ``group``.
    fair : each person's composite had their target been the objective expectation (the
        scorecard recomputed with the expectation in place of the assigned target).
    spec : the scheme's ``grades``.
    gap : the target-gap column.
    group : the branch column (clusters of the regressions).
    over_set : a target at least this share above the expectation (``gap >= log(1 + over_set)``)
        counts as over-set, at least as far below as under-set.
    tie : column that orders equal scores.
    ci : confidence level.

    Returns
    -------
    DataFrame, one row per estimate: analysis, subset, term, estimate, se, ci_low, ci_high, p,
    n, n_groups, method. Regressions (cluster-robust by ``group``, :func:`analysis.models.ols`)
    of the composite, of being graded in the better half (``top``) or worse half (``bottom``)
    of the grades (linear probability) and of the bonus on the gap; then the counterfactual:
    among all, over-set and under-set staff, the share who lose at least one grade because of
    their target (``lost_grade``), who gain one (``gained_grade``), and the mean bonus change.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.appraisal.examples import example_graded
    >>> scheme, points, people = example_graded()  # 20 people in two branches, random points, graded and paid
    >>> people["target_gap"] = np.log(np.tile([1.0, 1.25], 10))  # every second target 25% over-set
    >>> fair = people["composite"] + np.where(people["target_gap"] > 0, 8.0, 0.0)  # 8 points more with a fair one
    >>> out = fairness(people, fair, scheme.grades, group="branch_id", tie="staff_id")
    >>> print(out[out["subset"] == "over_set"][["analysis", "estimate", "n"]].to_string(index=False))
        analysis  estimate  n
      lost_grade       0.4 10
    gained_grade       0.0 10
    grade_change       0.4 10
    """
    order = spec.order
    idx = _grade_index(data["grade"], order)
    half = len(order) // 2
    frame = data.assign(top=(idx < half).astype(float).where(idx.notna()),  # e.g. A, B of A-E
                        bottom=(idx >= len(order) - half).astype(float).where(idx.notna()))  # D, E
    rows = []
    for analysis, y in (("points_on_gap", "composite"), ("top_on_gap", "top"), ("bottom_on_gap", "bottom"),
                        ("bonus_on_gap", "bonus")):
        table = ols(frame, y=y, x=gap, group=group, ci=ci, model=analysis)
        row = table[table["term"] == gap].iloc[0]
        rows.append({"analysis": analysis, "subset": "all", "term": gap, **{c: row[c] for c in
                     ("estimate", "se", "ci_low", "ci_high", "p", "n", "n_groups", "method")}})
    counter = frame.assign(_fair=fair.to_numpy())
    fair_grade = assign_grades(counter, spec, score="_fair", tie=tie)
    change = idx - _grade_index(fair_grade, order)  # > 0: worse grade than with a fair target
    over, under = np.log1p(over_set), np.log1p(-over_set) if over_set < 1 else -np.inf
    for subset, mask in (("all", frame[gap].notna()), ("over_set", frame[gap] >= over), ("under_set", frame[gap] <= under)):
        part = change[mask & change.notna()]
        for analysis, values in (("lost_grade", (part > 0).astype(float)), ("gained_grade", (part < 0).astype(float)),
                                 ("grade_change", part)):
            rows.append({"analysis": analysis, "subset": subset, "term": "fair_target", "estimate": values.mean(),
                         "n": len(values), "method": "counterfactual: scorecard with the objective expectation as target"})
    return pd.DataFrame(rows, columns=["analysis", "subset", "term", "estimate", "se", "ci_low", "ci_high", "p", "n",
                                       "n_groups", "method"])


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative amounts: ``sum_i sum_j |x_i - x_j| / (2 n² mean)``.

    Parameters
    ----------
    values : the amounts (NaN ignored).

    Examples
    --------
    >>> import numpy as np
    >>> gini(np.array([1, 1, 1, 1])), gini(np.array([0, 0, 0, 4]))  # equal; one person has everything
    (0.0, 0.75)
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0 or x.sum() <= 0:
        return np.nan
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def _within_group_gini(amount: pd.Series, groups: pd.Series, k: int) -> float:
    sizes = groups.map(groups.value_counts())
    keep = sizes >= k
    per = amount[keep].groupby(groups[keep], observed=True).apply(lambda s: gini(s.to_numpy()))
    return float(per.mean()) if len(per) else np.nan


def team_weighting(points: pd.DataFrame, scheme: Scheme, data: pd.DataFrame, *, group: str, k: int,
                   tie: str | None = None) -> pd.DataFrame:
    """Grades and bonus if team indicators carried a different share of the weight.

    Parameters
    ----------
    points : one column of points per indicator (rows = people, as ``data``).
    scheme : the appraisal scheme (weights, ``evaluation.team_shares``, grades, bonus).
    data : the people with their scheme ``grade``, ``composite``, ``group``.
    group : the branch column.
    k : fewest staff a branch needs for its bonus Gini.
    tie : column that orders equal scores.

    Returns
    -------
    DataFrame, one row per team share (the scheme's own included, ``is_scheme``): team_share,
    rho_composite (Spearman with the scheme's composite), share_grade_changed, icc1_composite
    (share of composite variance between branches, :func:`analysis.psychometrics.aggregation.icc`),
    within_branch_gini (mean Gini of the bonus within branches of ``k`` or more staff), n.
    Team weights are rescaled to sum to the share, individual weights to the rest.

    Examples
    --------
    >>> from analysis.appraisal.examples import example_graded
    >>> scheme, points, people = example_graded()  # 20 people in two branches, random points, graded and paid
    >>> out = team_weighting(points, scheme, people, group="branch_id", k=5, tie="staff_id")
    >>> print(out[["team_share", "is_scheme", "share_grade_changed"]].to_string(index=False))
     team_share  is_scheme  share_grade_changed
           0.00      False                  0.3
           0.10      False                  0.2
           0.20      False                  0.0
           0.25       True                  0.0
           0.30      False                  0.0
           0.40      False                  0.1
           0.50      False                  0.2
    """
    weights = scheme.weights()
    team = [c for c, i in scheme.indicators.items() if i.level == "team"]
    indiv = [c for c in weights if c not in team]
    own = sum(weights[c] for c in team)
    shares = sorted(set(scheme.evaluation.team_shares) | {round(own, 12)})
    rows = []
    for share in shares:
        if (not team and share > 0) or (not indiv and share < 1):
            continue
        w = {c: (share * weights[c] / own if c in team else (1 - share) * weights[c] / (1 - own)) for c in weights}
        present = points[list(w)].notna()
        wv = pd.Series(w)
        comp = points[list(w)].fillna(0).mul(wv, axis=1).sum(axis=1) / present.mul(wv, axis=1).sum(axis=1).replace(0, np.nan)
        frame = data.assign(_score=comp.to_numpy())
        grade = assign_grades(frame, scheme.grades, score="_score", tie=tie)
        bonus = split_bonus(frame.assign(grade=grade), scheme.bonus, tie=tie)["bonus"]
        between = icc(pd.DataFrame({"score": comp.to_numpy(), "group": data[group].to_numpy()}), "score", "group").iloc[0]["icc1"]
        rows.append({"team_share": share, "is_scheme": bool(np.isclose(share, own)),
                     "rho_composite": stats.spearmanr(comp, data["composite"], nan_policy="omit")[0],
                     "share_grade_changed": float((grade != data["grade"]).where(data["grade"].notna()).mean()),
                     "icc1_composite": between, "within_branch_gini": _within_group_gini(bonus, data[group], k),
                     "n": int(comp.notna().sum())})
    return pd.DataFrame(rows)


def competition(branches: pd.DataFrame, *, y: str, x: str, group: str, ci: float = 0.95) -> pd.DataFrame:
    """Branch-level association of internal competition (e.g. mean of TC4) with bonus inequality.

    One OLS of ``y`` on ``x`` over branches (heteroskedasticity-robust: cluster-robust CR1
    with one branch per cluster); observational, so an association, not an effect.
    Returns the ``x`` row of :func:`analysis.models.ols` with ``analysis``.

    Parameters
    ----------
    branches : one row per branch with ``x`` and ``y``.
    y, x : outcome (e.g. the bonus Gini within the branch) and predictor (e.g. mean of TC4).
    group : the branch column (one cluster per branch).
    ci : confidence level.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> branches = pd.DataFrame({"branch_id": [f"b{i}" for i in range(12)], "competition": rng.uniform(1, 5, 12)})
    >>> branches["bonus_gini"] = 0.1 + 0.03 * branches["competition"] + rng.normal(0, 0.02, 12)
    >>> out = competition(branches, y="bonus_gini", x="competition", group="branch_id")
    >>> out.loc[0, "analysis"], round(float(out.loc[0, "estimate"]), 3), int(out.loc[0, "n"])
    ('bonus_gini_on_competition', 0.033, 12)
    """
    table = ols(branches, y=y, x=x, group=group, ci=ci, model="competition_on_bonus_gini")
    out = table[table["term"] == x].copy()
    out.insert(0, "analysis", f"{y}_on_{x}")
    return out.reset_index(drop=True)


def predictive_validity(previous: pd.DataFrame, current: pd.DataFrame, *, person: str, group: str, outcome: str,
                        order: list[str], k: int, ci: float = 0.95) -> pd.DataFrame:
    """Do last wave's composite and grade predict this wave's ``outcome``?

    Parameters
    ----------
    previous : last wave's ``appraisal_grades`` (person, composite, grade).
    current : this wave's people with ``outcome`` and ``group``.
    person, group : the person and branch id columns.
    outcome : this wave's performance column (e.g. ``target_completion``).
    order : the grades, best first.
    k : fewest people a grade needs for its mean.
    ci : confidence level.

    Returns
    -------
    DataFrame, one row per estimate: analysis (``spearman``, ``slope``, ``mean_by_grade``), term,
    estimate, se, ci_low, ci_high, p, n, method. Spearman's rho with a Fisher-z interval
    (``se = 1.06 / sqrt(n - 3)``, Fieller, Hartley & Pearson 1957); the OLS slope of the outcome
    on the previous composite, cluster-robust by this wave's branch; the outcome's mean per
    previous grade (grades with fewer than ``k`` people left out).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> previous = pd.DataFrame({"staff_id": [f"s{i}" for i in range(12)], "composite": np.linspace(50, 95, 12),
    ...                          "grade": ["C"] * 6 + ["B"] * 6})
    >>> current = pd.DataFrame({"staff_id": [f"s{i}" for i in range(12)], "branch_id": np.repeat(["b1", "b2", "b3"], 4),
    ...                         "target_completion": np.linspace(0.7, 1.2, 12) + rng.normal(0, 0.05, 12)})
    >>> out = predictive_validity(previous, current, person="staff_id", group="branch_id", outcome="target_completion",
    ...                           order=["A", "B", "C"], k=5)
    >>> print(out[["analysis", "term", "estimate", "n"]].round(3).to_string(index=False))
         analysis               term  estimate  n
         spearman previous_composite     0.965 12
            slope previous_composite     0.010 12
    mean_by_grade                  B     1.084  6
    mean_by_grade                  C     0.818  6
    """
    both = previous[[person, "composite", "grade"]].merge(current[[person, group, outcome]], on=person).dropna(
        subset=["composite", outcome])
    n = len(both)
    rows = []
    if n >= 4:
        rho, p = stats.spearmanr(both["composite"], both[outcome])
        se = 1.06 / np.sqrt(n - 3)
        crit = stats.norm.ppf(1 - (1 - ci) / 2)
        rows.append({"analysis": "spearman", "term": "previous_composite", "estimate": rho, "se": np.nan,
                     "ci_low": np.tanh(np.arctanh(rho) - crit * se), "ci_high": np.tanh(np.arctanh(rho) + crit * se),
                     "p": p, "n": n, "method": "Spearman rho, Fisher-z interval (se 1.06/sqrt(n-3))"})
        table = ols(both, y=outcome, x="composite", group=group, ci=ci, model="predictive")
        row = table[table["term"] == "composite"].iloc[0]
        rows.append({"analysis": "slope", "term": "previous_composite", **{c: row[c] for c in
                     ("estimate", "se", "ci_low", "ci_high", "p", "n", "method")}})
    for g in order:
        part = both.loc[both["grade"] == g, outcome]
        if len(part) >= k:
            rows.append({"analysis": "mean_by_grade", "term": g, "estimate": part.mean(),
                         "se": part.std(ddof=1) / np.sqrt(len(part)), "n": len(part), "method": "mean of outcome"})
    return pd.DataFrame(rows, columns=["analysis", "term", "estimate", "se", "ci_low", "ci_high", "p", "n", "method"])
