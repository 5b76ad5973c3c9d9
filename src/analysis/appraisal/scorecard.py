"""The scorecard: each indicator's value, its points out of 100, and the weighted composite.

Points (0–100) by the indicator's ``normalise.method``; ``direction: lower`` turns a cost
(complaints, expense) into points the same way:

* ``target_ratio``: ``100 * min(r, cap) / cap`` with ``r = value / target`` (``target / value``
  for lower-is-better; a value of 0 then earns full marks); full marks at ``cap`` times target.
* ``percentile``: ``100 * (rank - 0.5) / n`` within ``within`` (mid-ranks for ties).
* ``zscore``: ``100 * Phi((value - mean) / sd)`` within ``within``.
* ``range``: ``100 * (value - min) / (max - min)``, clipped to [0, 100] (rating scales).

Team indicators (``level: team``) take the value of the person's branch; their percentiles and
z-scores are computed over branches, one value per branch, so large branches do not weigh more.
The composite is the weighted mean of a person's points over the indicators they have, with
the weights renormalised over those (``weight_covered`` says how much of the scheme's weight).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.appraisal.scheme import Indicator, Scheme
from analysis.datasets import RecordsSpec, aggregate_records
from analysis.errors import SchemeError
from analysis.privacy import suppress_small_groups

__all__ = ["staff_frame", "indicator_values", "indicator_points", "composite", "scorecard", "branch_scorecard"]


def staff_frame(records: pd.DataFrame, spec: RecordsSpec, branches: pd.DataFrame, *, person: str, group: str) -> pd.DataFrame:
    """Everyone appraised in the wave: KPI sums and ratios per person over the wave, with branch attributes.

    The person's branch is the one of their last record (a person who moved is appraised where
    they ended the wave). Branch columns (type, district, ``expected_per_staff`` of the
    objective target expectation) are joined; with ``expected_per_staff`` and the records'
    assigned target, ``target_gap = log(assigned / expected_per_staff)`` as in
    :func:`analysis.analyze.add_target_gap`.

    Parameters
    ----------
    records : one row per person and month (KPI records).
    spec : the study's ``datasets.records`` (columns summed, ratios).
    branches : the branch frame (type, district, ``expected_per_staff``).
    person, group : the person and branch id columns.

    Examples
    --------
    >>> from analysis.appraisal.examples import example_scorecard_inputs
    >>> from analysis.datasets import RecordsSpec
    >>> scheme, records, branches = example_scorecard_inputs()  # completion (weight 3) and a team satisfaction (1)
    >>> staff = staff_frame(records, RecordsSpec("kpi", sum=("sales", "target")), branches, person="staff_id",
    ...                     group="branch_id")
    >>> print(staff.to_string(index=False))
    staff_id  sales  target  records branch_id branch_type
          s1  120.0   100.0        2        b1       urban
          s2   90.0   100.0        2        b1       urban
          s3   60.0   100.0        2        b2       rural
    """
    per_person = aggregate_records(records, person, spec)
    order = records.sort_values("month", kind="stable") if "month" in records else records
    home = order.groupby(person, observed=True)[group].last()
    out = per_person.join(home).reset_index()
    attrs = [c for c in ("branch_type", "district", "expected_per_staff") if c in branches.columns]
    out = out.merge(branches[[group, *attrs]], on=group, how="left")
    if "expected_per_staff" in out and "assigned_target" in out:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["target_gap"] = np.log(out["assigned_target"] / out["expected_per_staff"])
    return out


def _value(frame: pd.DataFrame, ind: Indicator, code: str) -> pd.Series:
    if ind.column:
        return pd.to_numeric(frame[ind.column], errors="coerce").astype(float)
    num, den = (pd.to_numeric(frame[c], errors="coerce").astype(float) for c in ind.ratio)
    return num / den.where(den != 0)


def _needed(ind: Indicator) -> list[str]:
    cols = [ind.column] if ind.column else list(ind.ratio or [])
    if ind.normalise.within:
        cols.append(ind.normalise.within)
    if isinstance(ind.normalise.target, str):
        cols.append(ind.normalise.target)
    return cols


def indicator_values(scheme: Scheme, staff: pd.DataFrame, branches: pd.DataFrame, ratee: pd.DataFrame | None, *,
                     person: str, group: str) -> dict[str, pd.DataFrame]:
    """Per indicator, a frame of its unit (person, or branch for team indicators) with ``value``.

    ``ratee`` holds each person's combined 360° item scores (:func:`analysis.appraisal.ratings360.ratee_scores`,
    indexed by person id); without it (a wave without ratings) the ratings indicators are missing,
    so composites use the other indicators. Raises :class:`SchemeError` naming the indicator and
    the missing column.

    Parameters
    ----------
    scheme : the appraisal scheme.
    staff : :func:`staff_frame`.
    branches : the branch frame (team indicators' columns).
    ratee : 360° item scores by person id, or None.
    person, group : the person and branch id columns.

    Examples
    --------
    >>> from analysis.appraisal.examples import example_staff
    >>> scheme, staff, branches = example_staff()  # completion (weight 3) and a team satisfaction (1)
    >>> values = indicator_values(scheme, staff, branches, None, person="staff_id", group="branch_id")
    >>> values["completion"]["value"].tolist(), values["branch_sat"]["value"].tolist()
    ([1.2, 0.9, 0.6], [4.2, 3.4])
    """
    out = {}
    for code, ind in scheme.indicators.items():
        if ind.ratings:
            frame = staff[[person, group, *([ind.normalise.within] if ind.normalise.within else [])]]
            if ratee is None:  # a wave without 360° ratings: the indicator is missing for everyone
                out[code] = frame.assign(value=np.nan)
            else:
                value = ratee[list(ind.ratings)].mean(axis=1, skipna=False).rename("value")
                out[code] = frame.merge(value, left_on=person, right_index=True, how="left")
            continue
        source, key = (branches, group) if ind.level == "team" else (staff, person)
        missing = [c for c in _needed(ind) if c not in source.columns]
        if missing:
            where = "branch" if ind.level == "team" else "staff"
            raise SchemeError(f"indicators.{code}: column(s) {missing} not in the {where} frame "
                              f"(available: {', '.join(map(str, source.columns))})")
        frame = source[list(dict.fromkeys([key, *_needed(ind)]))].copy()
        frame["value"] = _value(source, ind, code)
        out[code] = frame
    return out


def indicator_points(frame: pd.DataFrame, ind: Indicator) -> pd.Series:
    """Points 0–100 of one indicator's values (module docstring for the formulas).

    Parameters
    ----------
    frame : the indicator's :func:`indicator_values` frame.
    ind : the indicator of the scheme.

    Examples
    --------
    >>> from analysis.appraisal.examples import example_staff
    >>> scheme, staff, branches = example_staff()  # completion (weight 3) and a team satisfaction (1)
    >>> values = indicator_values(scheme, staff, branches, None, person="staff_id", group="branch_id")
    >>> indicator_points(values["completion"], scheme.indicators["completion"]).tolist()  # 100 * min(r, 1.2) / 1.2
    [100.0, 75.0, 50.0]
    """
    x = frame["value"].astype(float)
    norm = ind.normalise
    lower = ind.direction == "lower"
    if norm.method == "target_ratio":
        target = frame[norm.target].astype(float) if isinstance(norm.target, str) else float(norm.target)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (target / x).where(x > 0, np.inf) if lower else x / target
        ratio = ratio.where(x.notna())
        return 100 * ratio.clip(lower=0, upper=norm.cap) / norm.cap
    if norm.method == "range":
        points = 100 * (x - norm.min) / (norm.max - norm.min)
        return (100 - points if lower else points).clip(0, 100)
    groups = frame[norm.within] if norm.within else pd.Series("all", index=frame.index)
    if norm.method == "percentile":
        rank = x.groupby(groups, observed=True).rank(method="average")
        n = x.notna().groupby(groups, observed=True).transform("sum")
        points = 100 * (rank - 0.5) / n
    else:
        mean = x.groupby(groups, observed=True).transform("mean")
        sd = x.groupby(groups, observed=True).transform("std")
        points = pd.Series(100 * stats.norm.cdf((x - mean) / sd.where(sd > 0)), index=x.index)
    return 100 - points if lower else points


def composite(points: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Weighted mean of each row's indicator points (columns) over the indicators present.

    Returns ``composite`` and ``weight_covered`` (the share of the weight present), per row.

    Parameters
    ----------
    points : one row per person, one column of points per indicator.
    weights : indicator -> weight.

    Examples
    --------
    >>> import pandas as pd
    >>> points = pd.DataFrame({"a": [100.0, 50.0], "b": [50.0, None]})
    >>> print(composite(points, {"a": 0.75, "b": 0.25}).to_string(index=False))  # row 2 is scored on a alone
     composite  weight_covered
          87.5            1.00
          50.0            0.75
    """
    w = pd.Series(weights)[points.columns]
    present = points.notna()
    covered = present.mul(w, axis=1).sum(axis=1)
    total = points.fillna(0).mul(w, axis=1).sum(axis=1)
    return pd.DataFrame({"composite": total / covered.where(covered > 0), "weight_covered": covered / w.sum()})


def scorecard(scheme: Scheme, staff: pd.DataFrame, branches: pd.DataFrame, ratee: pd.DataFrame | None, *,
              person: str, group: str, weights: dict[str, float] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indicator points of every person and their composite.

    Parameters
    ----------
    scheme : the appraisal scheme.
    staff : :func:`staff_frame`.
    branches : the branch frame.
    ratee : 360° item scores by person id, or None.
    person, group : the person and branch id columns.
    weights : indicator weights to use instead of the scheme's.

    Returns
    -------
    (long, wide). ``long``: one row per person and indicator: person, group, indicator, level,
    value, points, weight (normalised), weighted_points. ``wide``: one row per person: person,
    group, a column of points per indicator, composite, weight_covered.

    Examples
    --------
    >>> from analysis.appraisal.examples import example_staff
    >>> scheme, staff, branches = example_staff()  # completion (weight 3) and a team satisfaction (1)
    >>> long, wide = scorecard(scheme, staff, branches, None, person="staff_id", group="branch_id")
    >>> print(wide.round(2).to_string(index=False))
    staff_id branch_id  completion  branch_sat  composite  weight_covered
          s1        b1       100.0        80.0      95.00             1.0
          s2        b1        75.0        80.0      76.25             1.0
          s3        b2        50.0        60.0      52.50             1.0
    """
    weights = weights or scheme.weights()
    values = indicator_values(scheme, staff, branches, ratee, person=person, group=group)
    base = staff[[person, group]].copy()
    long_parts, wide = [], base.copy()
    for code, frame in values.items():
        ind = scheme.indicators[code]
        frame = frame.assign(points=indicator_points(frame, ind).to_numpy())
        key = group if ind.level == "team" else person
        merged = base.merge(frame[[key, "value", "points"]].drop_duplicates(key), on=key, how="left")
        wide[code] = merged["points"].to_numpy()
        long_parts.append(pd.DataFrame({person: merged[person], group: merged[group], "indicator": code, "level": ind.level,
                                        "value": merged["value"], "points": merged["points"], "weight": weights[code]}))
    long = pd.concat(long_parts, ignore_index=True)
    long["weighted_points"] = long["points"] * long["weight"]
    wide = pd.concat([wide, composite(wide[list(values)], weights)], axis=1)
    return long, wide


def branch_scorecard(long: pd.DataFrame, wide: pd.DataFrame, *, group: str, k: int) -> pd.DataFrame:
    """The team view: each branch's mean points per indicator and of the composite.

    One row per branch and indicator (``indicator = composite`` for the composite): group, indicator,
    level, n (staff), mean_value, mean_points, sd_points. Branches with fewer than ``k`` staff appraised
    are left out (:func:`analysis.privacy.suppress_small_groups`).

    Parameters
    ----------
    long, wide : :func:`scorecard`.
    group : the branch column.
    k : minimum reporting size.

    Examples
    --------
    >>> from analysis.appraisal.examples import example_staff
    >>> scheme, staff, branches = example_staff()  # completion (weight 3) and a team satisfaction (1)
    >>> long, wide = scorecard(scheme, staff, branches, None, person="staff_id", group="branch_id")
    >>> out = branch_scorecard(long, wide, group="branch_id", k=2)  # b2 has one person: left out
    >>> print(out[["branch_id", "indicator", "n", "mean_points"]].round(2).to_string(index=False))
    branch_id  indicator  n  mean_points
           b1 branch_sat  2        80.00
           b1 completion  2        87.50
           b1  composite  2        85.62
    """
    parts = long.groupby([group, "indicator"], observed=True, sort=False).agg(
        level=("level", "first"), n=("points", "count"), mean_value=("value", "mean"), mean_points=("points", "mean"),
        sd_points=("points", "std")).reset_index()
    comp = wide.groupby(group, observed=True).agg(n=("composite", "count"), mean_points=("composite", "mean"),
                                                  sd_points=("composite", "std")).reset_index()
    comp["indicator"], comp["level"], comp["mean_value"] = "composite", "composite", np.nan
    out = pd.concat([parts, comp[parts.columns]], ignore_index=True)
    size = wide.groupby(group, observed=True).size()
    out["n_staff"] = out[group].map(size)
    out = suppress_small_groups(out, k, group=group, n="n_staff")
    return out.sort_values([group, "indicator"], kind="stable").reset_index(drop=True)
