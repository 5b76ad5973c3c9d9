"""Grade reliability: the probability that a person's grade would change if other raters had rated them.

Replicate composites come from resampling each ratee's raters within role (:func:`resample_raters`
through the scorecard, :func:`rater_bootstrap_composites`) or from added noise
(:func:`noise_replicates`); :func:`grade_stability` grades every replicate again by the scheme's rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.appraisal.grades import assign_grades
from analysis.appraisal.scheme import Grades, Scheme
from analysis.appraisal.scorecard import indicator_points

__all__ = ["resample_raters", "rater_bootstrap_composites", "noise_replicates", "grade_stability"]


def resample_raters(scored: pd.DataFrame, cells: pd.DataFrame, *, ratee: str, role: str, items: list[str],
                    n_boot: int, seed: int | np.random.Generator | None) -> np.ndarray:
    """Item means of every shown (ratee, role) cell when its raters are resampled with replacement.

    Parameters
    ----------
    scored : one row per rating, with the ``items``.
    cells : the cells to resample (ratee, role), e.g. the shown rows of ``ratee_role_scores``.
    ratee, role : the ratee and role columns.
    items : the rating items.
    n_boot : number of replicates.
    seed : seed of ``numpy.random.default_rng``, or a generator to draw from.

    Returns
    -------
    ndarray (n_boot, len(cells), len(items)): each replicate draws, within every cell, as many
    ratings as the cell has, uniformly with replacement (a stratified nonparametric bootstrap,
    Davison & Hinkley 1997, sec. 3.2); answered items are averaged (NaN if none answered).

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.appraisal.examples import example_scored
    >>> scheme, scored, roles = example_scored()  # four ratees: a supervisor, three peers and the self-rating each
    >>> spec = scheme.ratings
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
    >>> import pandas as pd
    >>> from analysis.appraisal.examples import example_scored
    >>> scheme, scored, roles = example_scored()  # four ratees: a supervisor, three peers and the self-rating each
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
    ratee_code = pd.Index(people[person].astype(str)).get_indexer(cells[spec.ratee].astype(str))
    rng = np.random.default_rng(seed)  # one stream through the chunks: the same draws as one call
    out = np.empty((n_boot, len(people)))
    # replicates in chunks: all at once, a national wave's (replicate, cell, item) means took 4 GB
    for first in range(0, n_boot, _CHUNK):
        size = min(_CHUNK, n_boot - first)
        means = resample_raters(scored, cells, ratee=spec.ratee, role=spec.role, items=spec.items, n_boot=size, seed=rng)
        out[first:first + size] = _composites(means, ratee_code, w, points, people, scheme)
    return out


_CHUNK = 25


def _composites(means: np.ndarray, ratee_code: np.ndarray, w: np.ndarray, points: pd.DataFrame, people: pd.DataFrame,
                scheme: Scheme) -> np.ndarray:
    """(n_boot, len(people)) composites from the resampled cell means of :func:`rater_bootstrap_composites`."""
    spec = scheme.ratings
    n_boot = means.shape[0]
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
