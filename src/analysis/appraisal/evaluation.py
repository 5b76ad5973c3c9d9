"""Evaluating an appraisal scheme: how reliable, how fair, how team-minded, how predictive.

What HR tools do not report: the probability that a person's grade would change if other
raters had rated them (grade reliability); whether an over-set target costs people a grade
(fairness against the objective target gap of :mod:`analysis.models.targets`); what the weight
of team indicators does to grades, bonus spread and internal competition (the seed's third
problem: appraisal of individuals only, 恶性竞争); and whether grades predict the next wave's
performance (predictive validity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.appraisal.grades import assign_grades, split_bonus
from analysis.appraisal.scheme import Grades, Scheme
from analysis.appraisal.scorecard import indicator_points
from analysis.models.regression import ols
from analysis.psychometrics.aggregation import icc

__all__ = ["resample_raters", "rater_bootstrap_composites", "noise_replicates", "grade_stability", "fairness", "team_weighting", "competition",
           "predictive_validity", "gini"]


def resample_raters(scored: pd.DataFrame, cells: pd.DataFrame, *, ratee: str, role: str, items: list[str],
                    n_boot: int, seed: int | None) -> np.ndarray:
    """Item means of every shown (ratee, role) cell when its raters are resampled with replacement.

    Parameters
    ----------
    scored : one row per rating, with the ``items``.
    cells : the cells to resample (ratee, role), e.g. the shown rows of ``ratee_role_scores``.
    ratee, role : the ratee and role columns.
    items : the rating items.
    n_boot : number of replicates.
    seed : seed of ``numpy.random.default_rng``.

    Returns
    -------
    ndarray (n_boot, len(cells), len(items)): each replicate draws, within every cell, as many
    ratings as the cell has, uniformly with replacement (a stratified nonparametric bootstrap,
    Davison & Hinkley 1997, sec. 3.2); answered items are averaged (NaN if none answered).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from analysis.appraisal.ratings360 import rating_scores, ratee_role_scores
    >>> from analysis.appraisal.scheme import load_scheme
    >>> scheme = load_scheme("surveys/appraisal.yml")
    >>> spec = scheme.ratings
    >>> rows = [(ratee, rater, role) for ratee in ["s1", "s2", "s3", "s4"]
    ...         for rater, role in [("m1", "supervisor"), (ratee, "self"), ("p1", "peer"), ("p2", "peer"), ("p3", "peer")]]
    >>> ratings = pd.DataFrame(rows, columns=["ratee_id", "rater_id", "rater_role"])
    >>> ratings[spec.items] = np.random.default_rng(0).integers(3, 6, (len(ratings), len(spec.items)))
    >>> scored = rating_scores(ratings, spec)
    >>> roles = ratee_role_scores(scored, spec, min_raters=3)
    >>> cells = roles[roles["shown"]].reset_index(drop=True)
    >>> means = resample_raters(scored, cells, ratee="ratee_id", role="rater_role", items=spec.items, n_boot=50, seed=0)
    >>> one = (cells["n_raters"] == 1).to_numpy()  # one rater: every replicate is that rating
    >>> means.shape, bool(np.allclose(means[:, one, :], cells.loc[one, spec.items].to_numpy()))
    ((50, 12, 5), True)
    """
    key = pd.MultiIndex.from_frame(scored[[ratee, role]].astype(str))
    lookup = pd.MultiIndex.from_frame(cells[[ratee, role]].astype(str))
    code = lookup.get_indexer(key)
    keep = code >= 0
    code = code[keep]
    values = scored.loc[keep, items].to_numpy(dtype=float)
    order = np.argsort(code, kind="stable")
    code, values = code[order], values[order]
    n_cells = len(cells)
    size = np.bincount(code, minlength=n_cells)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    rng = np.random.default_rng(seed)
    out = np.empty((n_boot, n_cells, len(items)))
    answered = (~np.isnan(values)).astype(float)
    filled = np.nan_to_num(values)
    k = len(items)
    flat = (code[:, None] * k + np.arange(k)).ravel()  # (cell, item) of every drawn value: one bincount per sum
    for b in range(n_boot):
        draw = start[code] + np.floor(rng.random(code.size) * size[code]).astype(np.intp)
        s = np.bincount(flat, weights=filled[draw].ravel(), minlength=n_cells * k).reshape(n_cells, k)
        n = np.bincount(flat, weights=answered[draw].ravel(), minlength=n_cells * k).reshape(n_cells, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[b] = s / np.where(n > 0, n, np.nan)
    return out


def rater_bootstrap_composites(scored: pd.DataFrame, role_scores: pd.DataFrame, points: pd.DataFrame, people: pd.DataFrame,
                               scheme: Scheme, *, person: str, n_boot: int, seed: int | None) -> np.ndarray:
    """Composites of every person when their raters are resampled (the other indicators held fixed).

    Parameters
    ----------
    scored : the ratings with their items (:func:`analysis.appraisal.ratings360.rating_scores`).
    role_scores : :func:`analysis.appraisal.ratings360.ratee_role_scores`; only shown cells count,
        with the roles' weights, as in the scorecard.
    points : the scorecard's points per indicator (one column each), rows aligned with ``people``.
    people : the people (``person`` and the columns the ratings indicators normalise within).
    scheme : the appraisal scheme (role weights, indicator weights).
    person : the person id column.
    n_boot, seed : replicates and the seed of the rater resampling.

    Returns
    -------
    ndarray (n_boot, len(people)).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from analysis.appraisal.ratings360 import rating_scores, ratee_role_scores
    >>> from analysis.appraisal.scheme import load_scheme
    >>> scheme = load_scheme("surveys/appraisal.yml")
    >>> spec = scheme.ratings
    >>> rows = [(ratee, rater, role) for ratee in ["s1", "s2", "s3", "s4"]
    ...         for rater, role in [("m1", "supervisor"), (ratee, "self"), ("p1", "peer"), ("p2", "peer"), ("p3", "peer")]]
    >>> ratings = pd.DataFrame(rows, columns=["ratee_id", "rater_id", "rater_role"])
    >>> ratings[spec.items] = np.random.default_rng(0).integers(3, 6, (len(ratings), len(spec.items)))
    >>> scored = rating_scores(ratings, spec)
    >>> roles = ratee_role_scores(scored, spec, min_raters=3)
    >>> people = pd.DataFrame({"staff_id": ["s1", "s2", "s3", "s4"]})
    >>> points = pd.DataFrame(70.0, index=people.index, columns=list(scheme.indicators))  # the other indicators held
    >>> reps = rater_bootstrap_composites(scored, roles, points, people, scheme, person="staff_id", n_boot=20, seed=0)
    >>> reps.shape, bool(((reps >= 0) & (reps <= 100)).all())
    ((20, 4), True)
    """
    spec = scheme.ratings
    cells = role_scores[role_scores["shown"]].reset_index(drop=True)
    w = cells[spec.role].map(lambda r: spec.roles[r].weight).to_numpy(dtype=float)
    cells, w = cells[w > 0].reset_index(drop=True), w[w > 0]
    means = resample_raters(scored, cells, ratee=spec.ratee, role=spec.role, items=spec.items, n_boot=n_boot, seed=seed)
    ratee_code = pd.Index(people[person].astype(str)).get_indexer(cells[spec.ratee].astype(str))
    inside = ratee_code >= 0
    n, n_items = len(people), len(spec.items)
    # every replicate's cells -> its ratees, in one bincount over (replicate, ratee)
    flat = (np.arange(n_boot)[:, None] * n + ratee_code[inside][None, :]).ravel()
    m = means[:, inside, :].reshape(-1, n_items)
    wts = np.tile(w[inside], n_boot)
    num = np.stack([np.bincount(flat, weights=wts * np.nan_to_num(m[:, j]), minlength=n_boot * n) for j in range(n_items)], 1)
    den = np.stack([np.bincount(flat, weights=wts * ~np.isnan(m[:, j]), minlength=n_boot * n) for j in range(n_items)], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        combined = pd.DataFrame(num / np.where(den > 0, den, np.nan), columns=spec.items)
    replicate = np.repeat(np.arange(n_boot), n)
    reps = np.tile(points.to_numpy(dtype=float), (n_boot, 1))
    for code, ind in scheme.indicators.items():
        if not ind.ratings:
            continue
        # group by replicate (and the indicator's own within column), so each replicate is normalised alone;
        # integer keys: n_boot x n strings "replicate|within" took most of the time at national scale
        if ind.normalise.within:
            codes, levels = pd.factorize(people[ind.normalise.within].astype(str))
            key = replicate * len(levels) + np.tile(codes, n_boot)
        else:
            key = replicate
        frame = pd.DataFrame({"value": combined[list(ind.ratings)].mean(axis=1, skipna=False), "_replicate": key})
        by_replicate = ind.model_copy(update={"normalise": ind.normalise.model_copy(update={"within": "_replicate"})})
        reps[:, list(points.columns).index(code)] = indicator_points(frame, by_replicate).to_numpy()
    weights = pd.Series(scheme.weights())[list(points.columns)].to_numpy()
    ok = ~np.isnan(reps)
    covered = ok @ weights
    composite = np.where(ok, reps, 0) @ weights / np.where(covered > 0, covered, np.nan)
    return composite.reshape(n_boot, n)


def noise_replicates(composite: np.ndarray, noise_sd: float, *, n_boot: int, seed: int | None) -> np.ndarray:
    """Composites with added normal noise ``N(0, noise_sd²)``: a parametric sensitivity of the grades.

    Parameters
    ----------
    composite : the observed composites (n,).
    noise_sd : SD of the added noise, in points.
    n_boot : number of replicates.
    seed : seed of ``numpy.random.default_rng``.

    Returns
    -------
    array (n_boot, n) of replicate composites.

    Examples
    --------
    >>> import numpy as np
    >>> noise_replicates(np.array([70.0, 80.0]), 2.0, n_boot=3, seed=0).round(2)
    array([[70.25, 79.74],
           [71.28, 80.21],
           [68.93, 80.72]])
    """
    rng = np.random.default_rng(seed)
    composite = np.asarray(composite, dtype=float)
    return composite[None, :] + noise_sd * rng.standard_normal((n_boot, composite.size))


def grade_stability(data: pd.DataFrame, replicates: np.ndarray, spec: Grades, *, grade: str = "grade",
                    tie: str | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """Probability that each person's grade changes across replicate composites.

    Parameters
    ----------
    data : one row per person with the observed ``grade`` (and ``spec.within`` / ``tie`` columns).
    replicates : (n_boot, n) replicate composites (:func:`resample_raters` through the scorecard,
        or :func:`noise_replicates`); each replicate is graded again by the same rule.

    Returns
    -------
    (p_change per person, summary). ``summary``: one row per grade and ``all``: grade, n,
    p_change (mean), p_change_sd, share_stable (share of people whose grade changes in fewer
    than 20% of replicates), n_boot.

    Notes
    -----
    With no noise every replicate is the data and ``p_change = 0``; with noise swamping the
    composite a forced distribution hands out grades at random in its shares, so the
    probability tends to ``1 - share`` of the person's grade (tests/test_appraisal_grades.py).

    Examples
    --------
    >>> from analysis.appraisal.grades import assign_grades
    >>> from analysis.appraisal.scheme import load_scheme
    >>> grades = load_scheme("surveys/appraisal.yml").grades
    >>> people = pd.DataFrame({"composite": np.arange(20.0)})
    >>> people["grade"] = assign_grades(people, grades)
    >>> p, summary = grade_stability(people, np.tile(people["composite"].to_numpy(), (5, 1)), grades)  # no noise
    >>> float(p.max()), int(summary.loc[0, "n_boot"])
    (0.0, 5)
    """
    observed = data[grade].to_numpy(dtype=object)
    changed = np.zeros(len(data))
    frame = data[[c for c in dict.fromkeys([spec.within, tie]) if c]].copy()
    for rep in replicates:
        frame["_score"] = rep
        changed += assign_grades(frame, spec, score="_score", tie=tie).to_numpy(dtype=object) != observed
    p = pd.Series(changed / len(replicates), index=data.index, name="p_grade_change")
    p[pd.isna(observed)] = np.nan
    rows = [{"grade": "all", **_summary(p)}]
    rows += [{"grade": g, **_summary(p[observed == g])} for g in spec.order]
    out = pd.DataFrame(rows)
    out["n_boot"] = len(replicates)
    return p, out


def _summary(p: pd.Series) -> dict:
    p = p.dropna()
    return {"n": len(p), "p_change": p.mean() if len(p) else np.nan, "p_change_sd": p.std() if len(p) > 1 else np.nan,
            "share_stable": float((p < 0.2).mean()) if len(p) else np.nan}


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
    >>> import numpy as np, pandas as pd
    >>> from analysis.appraisal.grades import assign_grades, split_bonus
    >>> from analysis.appraisal.scheme import load_scheme
    >>> from analysis.appraisal.scorecard import composite
    >>> scheme = load_scheme("surveys/appraisal.yml")
    >>> points = pd.DataFrame(np.random.default_rng(0).uniform(40, 100, (20, 10)), columns=list(scheme.indicators))
    >>> people = pd.DataFrame({"staff_id": [f"s{i:02d}" for i in range(20)], "branch_id": np.repeat(["b1", "b2"], 10)})
    >>> people["composite"] = composite(points, scheme.weights())["composite"]
    >>> people["grade"] = assign_grades(people, scheme.grades, tie="staff_id")
    >>> people["bonus"] = split_bonus(people, scheme.bonus, tie="staff_id")["bonus"]
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
    >>> import numpy as np, pandas as pd
    >>> from analysis.appraisal.grades import assign_grades, split_bonus
    >>> from analysis.appraisal.scheme import load_scheme
    >>> from analysis.appraisal.scorecard import composite
    >>> scheme = load_scheme("surveys/appraisal.yml")
    >>> points = pd.DataFrame(np.random.default_rng(0).uniform(40, 100, (20, 10)), columns=list(scheme.indicators))
    >>> people = pd.DataFrame({"staff_id": [f"s{i:02d}" for i in range(20)], "branch_id": np.repeat(["b1", "b2"], 10)})
    >>> people["composite"] = composite(points, scheme.weights())["composite"]
    >>> people["grade"] = assign_grades(people, scheme.grades, tie="staff_id")
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

