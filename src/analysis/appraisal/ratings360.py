"""360° ratings: ratee scores by rater role, inter-rater reliability, rater leniency, self–other gaps.

Input is one row per rating (rater, ratee, role, rating items); a rating's score is the mean of
its items. Rater groups smaller than ``min_raters`` in an anonymous role (peers, subordinates,
customers) are neither shown nor counted in the ratee's combined score, so no shown figure
reveals a small group, not even by difference; identified roles (supervisor, self) always count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.appraisal.icc import additive_fit, rater_variance_components
from analysis.appraisal.scheme import Ratings
from analysis.psychometrics.aggregation import RWG_CUTOFF, icc, rwg_j

__all__ = ["rating_scores", "ratee_role_scores", "ratee_scores", "ratings_reliability", "rater_leniency", "self_other"]


def rating_scores(ratings: pd.DataFrame, spec: Ratings) -> pd.DataFrame:
    """The ratings with ``score`` (mean of the answered rating items); roles outside the scheme dropped.

    Parameters
    ----------
    ratings : one row per rating: rater, ratee, role and the rating items.
    spec : the scheme's ``ratings`` section (columns, items, roles).

    Examples
    --------
    >>> from analysis.appraisal.examples import example_ratings
    >>> scheme, ratings = example_ratings()  # four ratees: a supervisor, three peers and the self-rating each
    >>> spec = scheme.ratings  # items R_PERF ... R_SKILL; supervisor, peer, subordinate, customer, self
    >>> scored = rating_scores(ratings, spec)
    >>> len(scored), round(float(scored["score"].iloc[0]), 2)
    (20, 3.8)
    """
    missing = [c for c in (spec.rater, spec.ratee, spec.role, *spec.items) if c not in ratings.columns]
    if missing:
        raise KeyError(f"360° ratings: column(s) {missing} not found; the scheme's ratings section names them")
    out = ratings[ratings[spec.role].astype("string").isin(list(spec.roles))].copy()
    out[spec.role] = out[spec.role].astype(str)
    block = out[spec.items].apply(pd.to_numeric, errors="coerce").astype(float)
    out[spec.items] = block
    out["score"] = block.mean(axis=1)
    return out[out["score"].notna()].reset_index(drop=True)


def ratee_role_scores(scored: pd.DataFrame, spec: Ratings, min_raters: int) -> pd.DataFrame:
    """Per ratee and role: n_raters, the mean of every item and of the score, and ``shown``.

    ``shown`` is False for an anonymous role with fewer than ``min_raters`` raters.

    Parameters
    ----------
    scored : :func:`rating_scores`.
    spec : the scheme's ``ratings`` section.
    min_raters : fewest raters an anonymous role needs to be shown.

    Examples
    --------
    >>> from analysis.appraisal.examples import example_ratings
    >>> scheme, ratings = example_ratings()  # four ratees: a supervisor, three peers and the self-rating each
    >>> spec = scheme.ratings  # items R_PERF ... R_SKILL; supervisor, peer, subordinate, customer, self
    >>> roles = ratee_role_scores(rating_scores(ratings, spec), spec, min_raters=3)
    >>> print(roles[roles["ratee_id"] == "s1"][["rater_role", "n_raters", "score", "shown"]].round(2).to_string(index=False))
    rater_role  n_raters  score  shown
          peer         3   4.27   True
          self         1   3.40   True
    supervisor         1   3.80   True
    """
    keys = [spec.ratee, spec.role]
    grouped = scored.groupby(keys, observed=True)
    out = grouped[[*spec.items, "score"]].mean()
    out.insert(0, "n_raters", grouped[spec.rater].nunique())
    out = out.reset_index()
    anonymous = out[spec.role].map(lambda r: spec.roles[r].anonymous)
    out["shown"] = ~anonymous | (out["n_raters"] >= min_raters)
    return out


def ratee_scores(role_scores: pd.DataFrame, spec: Ratings, *, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """Each ratee's items and score combined over shown roles by the roles' weights.

    Weights are renormalised over the roles present (a clerk without subordinates is scored on
    the other roles). Returns one row per ratee: ratee, the items, score, roles_used (``;``),
    weight_covered (share of the scheme's role weight present), n_raters.

    Parameters
    ----------
    role_scores : :func:`ratee_role_scores`.
    spec : the scheme's ``ratings`` section (role weights).
    exclude : roles left out (e.g. ``("self",)`` for the others' view).

    Examples
    --------
    >>> from analysis.appraisal.examples import example_scored
    >>> scheme, _, roles = example_scored()  # four ratees: a supervisor, three peers and the self-rating each
    >>> out = ratee_scores(roles, scheme.ratings)  # supervisor .4, peers .2, self .1 of the weight: 0.7 covered
    >>> print(out[["ratee_id", "score", "roles_used", "weight_covered"]].round(3).to_string(index=False))
    ratee_id  score           roles_used  weight_covered
          s1  3.876 peer;self;supervisor             0.7
          s2  4.086 peer;self;supervisor             0.7
          s3  4.524 peer;self;supervisor             0.7
          s4  4.095 peer;self;supervisor             0.7
    """
    used = role_scores[role_scores["shown"] & ~role_scores[spec.role].isin(exclude)].copy()
    used["w"] = used[spec.role].map(lambda r: spec.roles[r].weight)
    used = used[used["w"] > 0]
    cols = [*spec.items, "score"]
    weighted = used[cols].mul(used["w"], axis=0)
    weighted[spec.ratee] = used[spec.ratee]
    sums = weighted.groupby(spec.ratee, observed=True)[cols].sum()
    present = used[cols].notna().mul(used["w"], axis=0)
    present[spec.ratee] = used[spec.ratee]
    w_present = present.groupby(spec.ratee, observed=True)[cols].sum()
    out = sums / w_present.where(w_present > 0)
    total = sum(r.weight for name, r in spec.roles.items() if name not in exclude)
    g = used.groupby(spec.ratee, observed=True)
    out["roles_used"] = g[spec.role].agg(lambda s: ";".join(sorted(s)))
    out["weight_covered"] = g["w"].sum() / total
    out["n_raters"] = g["n_raters"].sum()
    return out.reset_index()


def ratings_reliability(scored: pd.DataFrame, spec: Ratings, *, n_options: int, ci: float = 0.95) -> pd.DataFrame:
    """Inter-rater reliability and agreement of each role's ratings of the same ratee.

    Parameters
    ----------
    scored : :func:`rating_scores`.
    spec : the scheme's ``ratings`` section.
    n_options : response options of the rating items (for rwg(j)).
    ci : level of the ICC(1) interval.

    Returns
    -------
    DataFrame, one row per role: role, n, n_ratees (with 2+ raters of the role), n_raters,
    raters_per_ratee, icc1, icc1_ci_low, icc1_ci_high, icc1_k, f, df1, df2, p (one-way, raters
    nested in ratees), design, var_ratee, var_rater, var_error, icc2_1, icc2_k, iccc_1, iccc_k
    (two-way, :func:`analysis.appraisal.icc.rater_variance_components`), rwg_j_mean,
    rwg_j_median, share_rwg_ok (rwg(j) of each ratee's raters of the role over the rating items,
    uniform null), estimator, ci_level. Roles with one rater per ratee (supervisor, self) have
    no within-ratee variance: their indices are NaN with ``design`` ``one_rater_per_ratee``.

    Notes
    -----
    One-way: ``icc`` of :mod:`analysis.psychometrics.aggregation` (Bliese 2000; ICC(1) uses the
    mean group size, ICC(1,k) is Bliese's ICC(2)), on ratees with at least 2 raters of the role;
    its interval is Shrout & Fleiss's (1979) F interval with the mean number of raters, exact for
    equal numbers and approximate otherwise.

    Examples
    --------
    >>> from analysis.appraisal.examples import example_scored
    >>> scheme, scored, _ = example_scored()  # four ratees: a supervisor, three peers and the self-rating each
    >>> out = ratings_reliability(scored, scheme.ratings, n_options=5)
    >>> print(out[["role", "n_ratees", "icc1", "icc1_k", "design"]].round(3).to_string(index=False))
           role  n_ratees  icc1  icc1_k              design
     supervisor         0   NaN     NaN one_rater_per_ratee
           peer         4 0.413   0.679             crossed
    subordinate         0   NaN     NaN one_rater_per_ratee
       customer         0   NaN     NaN one_rater_per_ratee
           self         0   NaN     NaN one_rater_per_ratee
    """
    rows = []
    q = 1 - (1 - ci) / 2
    for role in spec.roles:
        part = scored[scored[spec.role] == role]
        per = part.groupby(spec.ratee, observed=True)[spec.rater].transform("nunique")
        multi = part[per >= 2]
        row = {"role": role, "n": len(part), "n_ratees": int(multi[spec.ratee].nunique()),
               "n_raters": int(part[spec.rater].nunique())}
        if multi[spec.ratee].nunique() < 2:
            rows.append({**row, "design": "one_rater_per_ratee"})
            continue
        one = icc(multi, "score", spec.ratee).iloc[0]
        k = one["mean_group_size"]
        fl = one["f"] / stats.f.ppf(q, one["df1"], one["df2"])
        fu = one["f"] * stats.f.ppf(q, one["df2"], one["df1"])
        two = rater_variance_components(part, "score", spec.ratee, spec.rater).iloc[0]
        agree = rwg_j(multi, spec.items, spec.ratee, n_options=n_options)
        ok = agree["rwg_j"].notna()
        rows.append({
            **row, "raters_per_ratee": k, "icc1": one["icc1"], "icc1_ci_low": (fl - 1) / (fl + k - 1),
            "icc1_ci_high": (fu - 1) / (fu + k - 1), "icc1_k": one["icc2"], "f": one["f"], "df1": one["df1"],
            "df2": one["df2"], "p": one["p"], "design": two["design"], "var_ratee": two["var_ratee"],
            "var_rater": two["var_rater"], "var_error": two["var_error"], "icc2_1": two["icc2_1"],
            "icc2_k": two["icc2_k"], "iccc_1": two["iccc_1"], "iccc_k": two["iccc_k"],
            "rwg_j_mean": agree.loc[ok, "rwg_j"].mean(), "rwg_j_median": agree.loc[ok, "rwg_j"].median(),
            "share_rwg_ok": float((agree.loc[ok, "rwg_j"] >= RWG_CUTOFF).mean()) if ok.any() else np.nan,
        })
    cols = ["role", "n", "n_ratees", "n_raters", "raters_per_ratee", "icc1", "icc1_ci_low", "icc1_ci_high", "icc1_k", "f",
            "df1", "df2", "p", "design", "var_ratee", "var_rater", "var_error", "icc2_1", "icc2_k", "iccc_1", "iccc_k",
            "rwg_j_mean", "rwg_j_median", "share_rwg_ok"]
    out = pd.DataFrame(rows).reindex(columns=cols)
    out["estimator"] = "one-way ANOVA ICC(1) (Bliese 2000); two-way Henderson Method III; rwg(j) uniform null"
    out["ci_level"] = ci
    return out


def rater_leniency(scored: pd.DataFrame, spec: Ratings, *, ci: float = 0.95) -> pd.DataFrame:
    """Leniency of each rater with ``min_ratings_leniency`` or more ratees: how much higher they rate.

    Parameters
    ----------
    scored : :func:`rating_scores`.
    spec : the scheme's ``ratings`` section (``min_ratings_leniency``, ``self_role``).
    ci : confidence level.

    Returns
    -------
    DataFrame, one row per rater and role: rater, role, n_ratings, n_eff, estimate, se, ci_low,
    ci_high, z, p, ci_level, estimator. ``estimate`` is in rating points, relative to the mean
    rater of the role (estimates of a role sum to 0).

    Notes
    -----
    The additive model ``score = mu_role + perf_ratee + leniency_rater + e`` is fitted by least
    squares (:func:`analysis.appraisal.icc.additive_fit`) on all ratings but self-ratings; raters
    below the minimum get no effect of their own (their leniency stays in the error), so they
    still inform the ratees' performance. The standard error is
    ``sigma / sqrt(n_eff)``, ``n_eff = sum_j (1 - 1/m_j)`` over the rater's ratees j with m_j
    ratings each, which ignores the estimation error of the other raters' effects (small when
    ratees have several raters); its coverage is checked by simulation
    (tests/test_appraisal_ratings.py). Normal-theory interval and two-sided z test.

    Examples
    --------
    >>> from analysis.appraisal.examples import example_scored
    >>> scheme, scored, _ = example_scored()  # four ratees: a supervisor, three peers and the self-rating each
    >>> out = rater_leniency(scored, scheme.ratings)
    >>> print(out[["rater", "role", "n_ratings", "estimate", "se"]].round(3).to_string(index=False))
    rater       role  n_ratings  estimate    se
       m1 supervisor          4     0.000 0.269
       p1       peer          3     0.205 0.311
       p2       peer          3     0.005 0.311
       p3       peer          3    -0.141 0.311
       p4       peer          3    -0.068 0.311
    """
    part = scored if spec.self_role is None else scored[scored[spec.role] != spec.self_role]
    part = part.reset_index(drop=True)
    key = part[spec.rater].astype(str) + "\x1f" + part[spec.role]
    counts = part.groupby(key, observed=True)[spec.ratee].nunique()
    r_codes, r_levels = pd.factorize(key, sort=True)
    free = counts.reindex(r_levels).to_numpy() >= spec.min_ratings_leniency
    t_codes, _ = pd.factorize(part[spec.ratee], sort=True)
    g_codes, g_levels = pd.factorize(part[spec.role], sort=True)
    y = part["score"].to_numpy(dtype=float)
    (perf, role_mean, lenient), resid, _ = additive_fit(y, [(t_codes, None), (g_codes, None), (r_codes, free)])
    n_free = int(free.sum())
    df = len(y) - (t_codes.max() + 1) - n_free - g_levels.size + 1
    sigma = float(np.sqrt(resid @ resid / df)) if df > 0 else np.nan
    m = np.bincount(t_codes).astype(float)
    n_eff = np.bincount(r_codes, weights=1 - 1 / m[t_codes], minlength=r_levels.size)
    rater_role = pd.Series(r_levels).str.split("\x1f", expand=True)
    out = pd.DataFrame({"rater": rater_role[0], "role": rater_role[1], "n_ratings": np.bincount(r_codes),
                        "n_eff": n_eff, "estimate": lenient})[free].reset_index(drop=True)
    out["estimate"] -= out.groupby("role")["estimate"].transform("mean")
    out["se"] = sigma / np.sqrt(out["n_eff"])
    crit = stats.norm.ppf(1 - (1 - ci) / 2)
    out["ci_low"], out["ci_high"] = out["estimate"] - crit * out["se"], out["estimate"] + crit * out["se"]
    out["z"] = out["estimate"] / out["se"]
    out["p"] = 2 * stats.norm.sf(np.abs(out["z"]))
    out["ci_level"] = ci
    out["estimator"] = "additive rater-effects model, least squares; se = sigma / sqrt(n_eff)"
    return out


def _mean_ci(values: np.ndarray, ci: float) -> dict:
    values = values[~np.isnan(values)]
    n = values.size
    if n < 2:
        return {"n": n, "estimate": values.mean() if n else np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan}
    mean, se = values.mean(), values.std(ddof=1) / np.sqrt(n)
    crit = stats.t.ppf(1 - (1 - ci) / 2, n - 1)
    p = 2 * stats.t.sf(abs(mean / se), n - 1) if se > 0 else np.nan
    return {"n": n, "estimate": mean, "se": se, "ci_low": mean - crit * se, "ci_high": mean + crit * se, "p": p}


def self_other(role_scores: pd.DataFrame, spec: Ratings, *, group_of: pd.Series | None = None, k: int = 5,
               ci: float = 0.95) -> pd.DataFrame:
    """Self-rating minus others' ratings: the company gap, the gap to each role and by group.

    Parameters
    ----------
    role_scores : :func:`ratee_role_scores` output.
    group_of : ratee -> group (e.g. branch) for per-group rows; groups with fewer than ``k``
        ratees are left out.

    Returns
    -------
    DataFrame: level (``company``, ``role``, ``group``), unit, n (ratees), mean_self, mean_other,
    estimate (mean gap self - other), se, ci_low, ci_high, p (paired t test), r_self_other
    (Pearson correlation of self and other scores: self–other agreement), ci_level, method.
    ``other`` is the ratee's role-weighted score without the self-rating (:func:`ratee_scores`).

    Examples
    --------
    >>> from analysis.appraisal.examples import example_scored
    >>> scheme, _, roles = example_scored()  # four ratees: a supervisor, three peers and the self-rating each
    >>> out = self_other(roles, scheme.ratings)
    >>> print(out[["level", "unit", "n", "mean_self", "mean_other", "estimate"]].round(3).to_string(index=False))
      level       unit  n  mean_self  mean_other  estimate
    company        all  4       3.95       4.178    -0.228
       role supervisor  4       3.95       4.250    -0.300
       role       peer  4       3.95       4.033    -0.083
    """
    if spec.self_role is None:
        return pd.DataFrame()
    selfs = role_scores[(role_scores[spec.role] == spec.self_role) & role_scores["shown"]].set_index(spec.ratee)["score"]
    other = ratee_scores(role_scores, spec, exclude=(spec.self_role,)).set_index(spec.ratee)["score"]
    pairs = pd.DataFrame({"self": selfs, "other": other}).dropna()
    rows = []

    def add(level: str, unit: str, frame: pd.DataFrame) -> None:
        stat = _mean_ci((frame["self"] - frame["other"]).to_numpy(dtype=float), ci)
        r = frame["self"].corr(frame["other"]) if len(frame) > 2 else np.nan
        rows.append({"level": level, "unit": unit, "mean_self": frame["self"].mean(), "mean_other": frame["other"].mean(),
                     **stat, "r_self_other": r})

    add("company", "all", pairs)
    for role in spec.roles:
        if role == spec.self_role:
            continue
        theirs = role_scores[(role_scores[spec.role] == role) & role_scores["shown"]].set_index(spec.ratee)["score"]
        both = pd.DataFrame({"self": selfs, "other": theirs}).dropna()
        if len(both):
            add("role", role, both)
    if group_of is not None:
        pairs = pairs.join(group_of.rename("_group"), how="inner")
        for unit, part in pairs.groupby("_group", observed=True):
            if len(part) >= k:
                add("group", str(unit), part)
    out = pd.DataFrame(rows, columns=["level", "unit", "n", "mean_self", "mean_other", "estimate", "se", "ci_low", "ci_high",
                                      "p", "r_self_other"])
    out["ci_level"] = ci
    out["method"] = "paired t: self score - others' role-weighted score"
    return out
