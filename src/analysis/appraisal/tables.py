"""Every appraisal table of a wave, as named tidy frames (what ``hallperf analyze`` writes).

Per-person tables (``appraisal_scorecard``, ``appraisal_grades``, ``appraisal_bonus``,
``appraisal_ratings_scores``, ``appraisal_leniency``) hold pseudonymous ids and are researcher
data for ``output/<wave>/results/``, never for a manager's report. Every per-group table leaves
out groups below the minimum reporting size ``k``; anonymous 360° rater groups below
``min_raters`` are neither shown nor counted (``docs/appraisal.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from analysis.appraisal import action_effects as actions
from analysis.appraisal import evaluation, ratings360, stability
from analysis.appraisal.grades import assign_grades, split_bonus
from analysis.appraisal.scheme import Scheme
from analysis.appraisal.scorecard import branch_scorecard, scorecard
from analysis.privacy import MIN_GROUP_SIZE_FLOOR

__all__ = ["appraisal_tables", "complement_small_remainder", "scheme_table"]


def scheme_table(scheme: Scheme) -> pd.DataFrame:
    """The scheme's indicators as a table: what a report prints beside the results.

    Parameters
    ----------
    scheme : the appraisal scheme.

    Examples
    --------
    >>> from analysis.appraisal.scheme import load_scheme
    >>> scheme = load_scheme("surveys/appraisal.yml")
    >>> print(scheme_table(scheme)[["indicator", "level", "weight", "method"]].head(3).to_string(index=False))
            indicator      level  weight       method
    target_completion individual    0.25 target_ratio
        sales_revenue individual    0.10   percentile
         sales_growth       team    0.05   percentile
    """
    weights = scheme.weights()
    return pd.DataFrame([{
        "indicator": code, "label_zh": i.label.zh, "label_en": i.label.en,
        "area_zh": i.area.zh if i.area else "", "area_en": i.area.en if i.area else "", "level": i.level,
        "weight": weights[code], "direction": i.direction,
        "source": i.column or (f"{i.ratio[0]}/{i.ratio[1]}" if i.ratio else "ratings:" + ";".join(i.ratings)),
        "method": i.normalise.method, "within": i.normalise.within, "cap": i.normalise.cap if i.normalise.method == "target_ratio" else np.nan,
        "target": str(i.normalise.target) if i.normalise.target is not None else "",
        "scheme_id": scheme.id, "scheme_version": scheme.version,
    } for code, i in scheme.indicators.items()])


def complement_small_remainder(table: pd.DataFrame, *, n: str, total: int, k: int) -> pd.DataFrame:
    """Drop further rows until the rows left out (``total`` minus the shown ``n``) are 0 or at least ``k``.

    A table that shows a total and its parts minus the small ones reveals the small ones pooled, by
    difference; leaving out the next-smallest part too makes that pooled remainder a group of k or
    more (complementary suppression).

    Parameters
    ----------
    table : one row per group, with its count.
    n : the count column.
    total : the total the table's groups are parts of.
    k : minimum reporting size.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"group": ["A", "B", "C"], "n": [12, 9, 6]})  # of 30: 3 left out
    >>> print(complement_small_remainder(table, n="n", total=30, k=5).to_string(index=False))
    group  n
        A 12
        B  9
    """
    out = table.sort_values(n, kind="stable")
    while len(out) and 0 < total - out[n].sum() < k:
        out = out.iloc[1:]
    return table.loc[table.index.isin(out.index)]


def _ratings_tables(scheme: Scheme, ratings: pd.DataFrame, staff: pd.DataFrame, *, person: str, group: str, k: int,
                    n_options: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    spec = scheme.ratings
    min_raters = max(spec.min_raters or k, MIN_GROUP_SIZE_FLOOR)
    scored = ratings360.rating_scores(ratings, spec)
    roles = ratings360.ratee_role_scores(scored, spec, min_raters)
    ratee = ratings360.ratee_scores(roles, spec)
    shown = roles[roles["shown"]].drop(columns="shown").rename(columns={spec.ratee: person, spec.role: "role"})
    combined = ratee.rename(columns={spec.ratee: person}).assign(role="combined")
    scores = pd.concat([shown, combined], ignore_index=True)
    group_of = staff.set_index(person)[group]
    out = {
        "appraisal_ratings_scores": scores,
        "appraisal_ratings_icc": ratings360.ratings_reliability(scored, spec, n_options=n_options),
        "appraisal_leniency": ratings360.rater_leniency(scored, spec),
    }
    gaps = ratings360.self_other(roles, spec, group_of=group_of, k=k)
    if len(gaps):
        groups = complement_small_remainder(gaps[gaps["level"] == "group"], n="n", total=int(gaps["n"].iloc[0]), k=k)
        gaps = pd.concat([gaps[(gaps["level"] != "group") & (gaps["n"] >= k)], groups])
    out["appraisal_self_other"] = gaps.reset_index(drop=True)
    reliability = out["appraisal_ratings_icc"]
    few = (reliability["n_ratees"] < k) & (reliability["design"] != "one_rater_per_ratee")  # a few ratees' ratings
    out["appraisal_ratings_icc"] = reliability[~few].reset_index(drop=True)
    out["appraisal_ratings_icc"]["min_raters"] = min_raters
    return out, scored, roles, ratee.set_index(spec.ratee)


def appraisal_tables(
    scheme: Scheme,
    staff: pd.DataFrame,
    branches: pd.DataFrame,
    ratings: pd.DataFrame | None = None,
    *,
    person: str = "staff_id",
    group: str = "branch_id",
    k: int = 5,
    seed: int = 0,
    n_options: int = 5,
    assigned: str = "assigned_target",
    expected: str = "expected_per_staff",
    survey: pd.DataFrame | None = None,
    previous_grades: pd.DataFrame | None = None,
    previous_branches: pd.DataFrame | None = None,
    register: pd.DataFrame | None = None,
    dimensions: Mapping[str, str] | None = None,
    invariant: Iterable[str] | None = None,
    after: str | None = None,
    until: str | None = None,
    previous_wave: str | None = None,
) -> dict[str, pd.DataFrame]:
    """The scorecard, grades, bonus, 360° statistics, the scheme's evaluation and action effects.

    Parameters
    ----------
    scheme : the validated scheme (:func:`analysis.appraisal.scheme.load_scheme`).
    staff : everyone appraised (:func:`analysis.appraisal.scorecard.staff_frame`).
    branches : the branch frame of the analysis (with ``expected_per_staff`` of the target model).
    ratings : the 360° ratings file (accepted rows), or None.
    k : minimum reporting size; also the default ``min_raters``.
    seed : seed of the grade-reliability bootstrap (unless the scheme sets one).
    assigned, expected : staff columns of the assigned target and of the objective expectation
        per person; the fairness counterfactual puts the second in place of the first.
    survey : the staff survey's accepted rows (raw item codes, ``group``), for the
        internal-competition item; None leaves ``appraisal_competition`` out.
    previous_grades : last wave's ``appraisal_grades`` (predictive validity).
    previous_branches, register, dimensions, invariant, after, until : last wave's branch frame,
        this wave's action register, the library's action -> dimension map, the scales whose
        scalar invariance across the waves holds, and the two waves' last months
        (:func:`analysis.appraisal.action_effects.action_effects`).
    previous_wave : recorded in the tables that use last wave's data.

    Returns
    -------
    dict of table name -> DataFrame (see docs/appraisal.md for every table and column).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from analysis.appraisal.scheme import parse_scheme
    >>> scheme = parse_scheme({
    ...     "id": "demo", "version": "1", "title": {"zh": "示例", "en": "Demo"},
    ...     "indicators": {
    ...         "completion": {"label": {"zh": "完成率", "en": "Completion"}, "weight": 3,
    ...                        "ratio": ["sales", "assigned_target"],
    ...                        "normalise": {"method": "target_ratio", "target": 1.0, "cap": 1.2}},
    ...         "branch_sat": {"label": {"zh": "满意度", "en": "Satisfaction"}, "weight": 1, "level": "team",
    ...                        "column": "customer_SAT", "normalise": {"method": "range", "min": 1, "max": 5}}},
    ...     "grades": {"rule": "forced_distribution", "shares": {"A": 0.2, "B": 0.6, "C": 0.2}},
    ...     "bonus": {"pool": {"per_staff": 1000}, "coefficients": {"A": 1.5, "B": 1.0, "C": 0.5}}})
    >>> rng = np.random.default_rng(0)
    >>> staff = pd.DataFrame({"staff_id": [f"s{i:02d}" for i in range(12)], "branch_id": np.repeat(["b1", "b2"], 6),
    ...                       "sales": rng.uniform(60, 130, 12).round(), "assigned_target": np.tile([100.0, 120.0], 6),
    ...                       "expected_per_staff": 100.0})
    >>> branches = pd.DataFrame({"branch_id": ["b1", "b2"], "customer_SAT": [4.2, 3.6]})
    >>> out = appraisal_tables(scheme, staff, branches, k=5)  # no 360° ratings, survey or previous wave
    >>> sorted(out)
    ['appraisal_bonus', 'appraisal_bonus_summary', 'appraisal_branch_scorecard', 'appraisal_grades', 'appraisal_scheme', 'appraisal_scorecard', 'appraisal_team_weighting']
    >>> out["appraisal_grades"]["grade"].value_counts().sort_index().to_dict()  # 2.4, 7.2, 2.4: A gets the remainder
    {'A': 3, 'B': 7, 'C': 2}
    """
    out: dict[str, pd.DataFrame] = {"appraisal_scheme": scheme_table(scheme)}
    ev = scheme.evaluation
    ratee = scored = roles = None
    if scheme.ratings is not None and ratings is not None and len(ratings):
        tables, scored, roles, ratee = _ratings_tables(scheme, ratings, staff, person=person, group=group, k=k,
                                                       n_options=n_options)
        out.update(tables)
    long, wide = scorecard(scheme, staff, branches, ratee, person=person, group=group)
    points = wide[list(scheme.indicators)]  # indicator codes may equal staff columns: kept apart
    people = staff.assign(composite=wide["composite"], weight_covered=wide["weight_covered"])
    people["grade"] = assign_grades(people, scheme.grades, tie=person)
    bonus = split_bonus(people, scheme.bonus, tie=person)
    graded = people[[person, group, "composite", "weight_covered", "grade"]].copy()
    graded["rank"] = graded["composite"].rank(ascending=False, method="min")
    bonus_table = pd.concat([graded[[person, group, "grade"]], bonus], axis=1)
    out["appraisal_scorecard"] = long
    out["appraisal_branch_scorecard"] = branch_scorecard(long, wide, group=group, k=k)
    summary = bonus_table.groupby("grade", observed=True).agg(n=(person, "count"), coefficient=("coefficient", "first"),
                                                             total=("bonus", "sum"), mean=("bonus", "mean"))
    summary = summary.reindex(scheme.grades.order).rename_axis("grade").reset_index()
    summary["share_of_pool"] = summary["total"] / bonus["pool"].iloc[0] if len(bonus) else np.nan
    out["appraisal_bonus_summary"] = complement_small_remainder(summary[summary["n"] >= k], n="n",
                                                                total=int(summary["n"].sum()), k=k).reset_index(drop=True)
    out["appraisal_bonus"] = bonus_table

    seed = ev.seed if ev.seed is not None else seed
    if scored is not None:
        reps = stability.rater_bootstrap_composites(scored, roles, points, people, scheme, person=person,
                                                     n_boot=ev.n_boot, seed=seed)
        p_change, reliability = stability.grade_stability(people, reps, scheme.grades, tie=person)
        graded["p_grade_change"] = p_change.to_numpy()
        grades_part = complement_small_remainder(reliability[(reliability["grade"] != "all") & (reliability["n"] >= k)],
                                                 n="n", total=int(reliability["n"].iloc[0]), k=k)
        reliability = pd.concat([reliability[reliability["grade"] == "all"], grades_part])
        out["appraisal_grade_stability"] = reliability.assign(method="raters resampled within ratee and role",
                                                                seed=seed).reset_index(drop=True)
    out["appraisal_grades"] = graded

    data = people.assign(bonus=bonus["bonus"].to_numpy())
    if "target_gap" in data and expected in staff and assigned in staff:
        fair_staff = staff.assign(**{assigned: staff[expected].where(staff[expected] > 0)})
        _, fair_wide = scorecard(scheme, fair_staff, branches, ratee, person=person, group=group)
        known = np.isfinite(data["target_gap"])
        out["appraisal_fairness"] = evaluation.fairness(data[known], fair_wide["composite"][known], scheme.grades,
                                                        group=group, over_set=ev.over_set, tie=person)
    out["appraisal_team_weighting"] = evaluation.team_weighting(points, scheme, data, group=group, k=k, tie=person)

    item = ev.competition_item
    if survey is not None and item and item in survey:
        per = survey.groupby(group, observed=True)[item].agg(["mean", "count"]).rename(columns={"mean": item, "count": "n_item"})
        sizes = data.groupby(group, observed=True).size()
        gini = data[sizes.reindex(data[group]).to_numpy() >= k].groupby(group, observed=True)["bonus"].apply(
            lambda s: evaluation.gini(s.to_numpy())).rename("bonus_gini")
        frame = per[per["n_item"] >= k].join(gini, how="inner").reset_index()
        if len(frame) >= 3 and frame["bonus_gini"].nunique() > 1:
            out["appraisal_competition"] = evaluation.competition(frame, y=item, x="bonus_gini", group=group)

    if previous_grades is not None and ev.outcome in staff:
        pv = evaluation.predictive_validity(previous_grades, staff, person=person, group=group, outcome=ev.outcome,
                                            order=scheme.grades.order, k=k)
        out["appraisal_predictive_validity"] = pv.assign(outcome=ev.outcome, previous_wave=previous_wave)

    if register is not None and previous_branches is not None and after and until:
        common = dict(dimensions=dimensions or {}, group=group, after=after, until=until, k=k)
        effects = actions.action_effects(register, previous_branches, branches, kpis=scheme.actions.kpis,
                                         strata=scheme.actions.strata, invariant=invariant,
                                         min_branches=scheme.actions.min_branches, ci=scheme.actions.ci, **common)
        out["appraisal_action_effects"] = effects.assign(previous_wave=previous_wave)
        out["appraisal_branch_actions"] = actions.branch_action_changes(register, previous_branches, branches, **common).assign(
            previous_wave=previous_wave)
    return out
