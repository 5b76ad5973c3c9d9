"""The PDCA loop closed across waves: did the actions branches adopted move what they targeted?

An action register says which branch started which action of the action library in which
month. Read with the wave after the one whose report proposed the actions, it compares, per
action, the change from the previous wave to this one of the action's target dimension (the
branch mean of the staff scale) and of the KPIs in adopting branches with the change in
comparable branches that did not adopt it: a difference in differences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from analysis.models.regression import ols

__all__ = ["library_dimensions", "adoption", "action_effects", "branch_action_changes"]

COLUMNS = ["action_id", "dimension", "outcome", "outcome_kind", "estimator", "estimate", "se", "ci_low", "ci_high", "p",
           "df", "n", "n_treated", "n_control", "n_excluded", "treated_pre", "treated_post", "control_pre",
           "control_post", "invariant", "reason", "strata", "ci_level", "ci_method", "method"]


def library_dimensions(library: Mapping) -> dict[str, str]:
    """Action id -> the dimension it targets, from an action library (``surveys/actions.yml``).

    Parameters
    ----------
    library : the action library as parsed from YAML.

    Examples
    --------
    >>> library_dimensions({"dimensions": {"TS": {"actions": [{"id": "TS-1"}, {"id": "TS-2"}]},
    ...                                    "calls": {"actions": [{"id": "CA-1"}]}}})
    {'TS-1': 'TS', 'TS-2': 'TS', 'CA-1': 'calls'}
    """
    return {str(a["id"]): str(dim) for dim, spec in (library.get("dimensions") or {}).items()
            for a in (spec or {}).get("actions") or []}


def adoption(register: pd.DataFrame, dimensions: Mapping[str, str], *, after: str, until: str) -> pd.DataFrame:
    """Classify register rows: ``adopted`` between the waves, ``earlier``, ``later`` or ``unknown_action``.

    An action counts as adopted between the waves when it started after the previous wave's
    last month (``after``) and not after this wave's last month (``until``); an action already
    running during the previous wave (``earlier``) contaminates its baseline, one starting later
    has had no time to act. Months are ``YYYY-MM`` strings. Returns the register with
    ``dimension`` and ``status``.

    Parameters
    ----------
    register : action register rows (``action_id``, ``start_month`` and the branch).
    dimensions : action id -> dimension (:func:`library_dimensions`).
    after, until : the previous and this wave's last months (``YYYY-MM``).

    Examples
    --------
    >>> import pandas as pd
    >>> register = pd.DataFrame({"branch_id": ["b1", "b2", "b3", "b4"], "action_id": ["TS-1", "TS-1", "TS-1", "XX-9"],
    ...                          "start_month": ["2025-11", "2026-02", "2026-08", "2026-02"]})
    >>> adoption(register, {"TS-1": "TS"}, after="2025-12", until="2026-06")["status"].tolist()
    ['earlier', 'adopted', 'later', 'unknown_action']
    """
    out = register.copy()
    out["dimension"] = out["action_id"].astype(str).map(dimensions)
    month = out["start_month"].astype(str)
    out["status"] = np.select([out["dimension"].isna(), month <= after, month > until], ["unknown_action", "earlier", "later"],
                              "adopted")
    return out


def _strata_dummies(frame: pd.DataFrame, strata: Iterable[str]) -> tuple[pd.DataFrame, list[str]]:
    names = []
    for col in strata:
        levels = sorted(frame[col].dropna().astype(str).unique())
        for level in levels[1:]:
            name = f"{col}[{level}]"
            frame[name] = (frame[col].astype(str) == level).astype(float)
            if frame[name].nunique() > 1:
                names.append(name)
    return frame, names


def action_effects(
    register: pd.DataFrame,
    previous: pd.DataFrame,
    current: pd.DataFrame,
    *,
    dimensions: Mapping[str, str],
    kpis: Iterable[str],
    group: str,
    after: str,
    until: str,
    strata: Iterable[str] = ("branch_type",),
    invariant: Iterable[str] | None = None,
    respondents: str = "n_respondents",
    k: int = 5,
    min_branches: int = 2,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Difference-in-differences estimate of each registered action's effect.

    Parameters
    ----------
    register : action register rows (``action_id``, ``group``, ``start_month``).
    previous, current : branch frames of the two waves (one row per branch): the dimension
        scale means, ``respondents`` per branch, the KPI columns and the ``strata`` columns.
    dimensions : action id -> target dimension (:func:`library_dimensions`).
    kpis : KPI columns whose change is estimated for every action.
    after, until : the previous wave's and this wave's last months (see :func:`adoption`).
    strata : comparable branches are those of the same stratum (fixed effects).
    invariant : scales whose scalar invariance across the two waves holds; a dimension not in
        it gets no estimate (``reason = not_invariant``), since a change in its mean could be a
        change in how the items work. None: no gate.
    k : a dimension's estimate needs ``k`` respondents among adopters and among controls in
        both waves (no group below the minimum reporting size is shown, not even its mean).

    Returns
    -------
    DataFrame, one row per action, outcome and estimator (columns ``COLUMNS``), for the action's
    dimension and every KPI. ``estimator = did``: OLS of the change ``y_post - y_pre`` on one
    adoption indicator per action (all actions adopted between the waves enter together, so a
    branch that adopted two actions is not credited to one of them), with strata fixed effects;
    ``did_adjusted`` also controls for the previous level ``y_pre`` (matching on the pre-period
    level). The comparison branches are those that adopted none of the actions; branches with an
    action outside the window (``earlier``/``later``) and branches of actions adopted by fewer
    than ``min_branches`` are left out (``n_excluded``). Standard errors are
    heteroskedasticity-robust (cluster-robust CR1 with one branch per cluster, t with G - 1 df;
    :func:`analysis.models.ols`).

    Notes
    -----
    ``did`` is unbiased when adopting and other branches would have changed alike (parallel
    trends), e.g. when adoption depends on a branch's persistent level; ``did_adjusted`` when
    adoption depends on the observed previous level (a report recommending the action because
    last wave's mean was low), where ``did`` suffers regression to the mean. The two bracket
    the effect (Angrist & Pischke 2009, sec. 5.4); the simulator's truth follows the first
    (tests/test_appraisal_actions.py).

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). Mostly harmless econometrics. Princeton UP.
    Bertrand, M., Duflo, E., & Mullainathan, S. (2004). How much should we trust
    differences-in-differences estimates? QJE, 119(1), 249-275. doi:10.1162/003355304772839588

    Examples
    --------
    >>> from analysis.appraisal.examples import example_action_waves
    >>> register, previous, current = example_action_waves()  # b1-b4 adopted TS-1, which adds 0.3
    >>> out = action_effects(register, previous, current, dimensions={"TS-1": "TS"}, kpis=[], group="branch_id",
    ...                      after="2025-12", until="2026-06")
    >>> # did: (0.3 + 0.02) - 0.01, the adopters' change minus the others' (within branch types)
    >>> print(out[["action_id", "outcome", "estimator", "estimate", "n_treated", "n_control"]].round(3).to_string(index=False))
    action_id outcome    estimator  estimate  n_treated  n_control
         TS-1      TS          did     0.310          4          4
         TS-1      TS did_adjusted     0.312          4          4
    """
    strata = [s for s in strata if s in current.columns]
    invariant = None if invariant is None else set(invariant)
    status = adoption(register, dimensions, after=after, until=until)
    rows = [{"action_id": str(a), "reason": "unknown_action", "strata": ";".join(strata), "ci_level": ci}
            for a in sorted(status.loc[status["status"] == "unknown_action", "action_id"].astype(str).unique())]
    adopted = status[status["status"] == "adopted"]
    outside = set(status.loc[status["status"].isin(["earlier", "later"]), group])
    dim_of = adopted.drop_duplicates("action_id").set_index("action_id")["dimension"].to_dict()
    common = dict(group=group, strata=strata, respondents=respondents, k=k, min_branches=min_branches, ci=ci)
    for outcome in [*sorted(set(dim_of.values())), *kpis]:
        kind = "kpi" if outcome not in dim_of.values() else "dimension"
        relevant = sorted(a for a, d in dim_of.items() if kind == "kpi" or d == outcome)
        gate = (outcome in invariant) if (kind == "dimension" and invariant is not None) else None
        heads = [{"action_id": a, "dimension": dim_of[a], "outcome": outcome, "outcome_kind": kind, "invariant": gate,
                  "strata": ";".join(strata), "ci_level": ci} for a in relevant]
        if outcome not in previous.columns or outcome not in current.columns:
            rows += [{**h, "reason": "outcome_missing"} for h in heads]
        elif gate is False:
            rows += [{**h, "reason": "not_invariant"} for h in heads]
        else:
            rows += _joint(heads, previous, current, outcome, kind, adopted, outside, **common)
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def _joint(heads, previous, current, outcome, kind, adopted, outside, *, group, strata, respondents, k, min_branches, ci):
    """One joint difference-in-differences model of ``outcome``; a row per relevant action and estimator."""
    cols = [group, outcome] + ([respondents] if respondents in current.columns else [])
    frame = previous[cols].merge(current[[*cols, *strata]], on=group, suffixes=("_pre", "_post"))
    frame = frame.dropna(subset=[f"{outcome}_pre", f"{outcome}_post", *strata])
    n_all = len(frame)
    frame = frame[~frame[group].isin(outside)].copy()
    frame["delta"] = frame[f"{outcome}_post"] - frame[f"{outcome}_pre"]
    members = adopted.groupby("action_id")[group].agg(set).to_dict()
    while True:  # actions with too few adopters here: their branches are neither treated nor clean controls
        rare = [a for a, b in members.items() if frame[group].isin(b).sum() < min_branches]
        if not rare:
            break
        for a in rare:
            frame = frame[~frame[group].isin(members.pop(a))]
    dummies = {a: f"action[{a}]" for a in members}
    for a, name in dummies.items():
        frame[name] = frame[group].isin(members[a]).astype(float)
    control = frame[frame[list(dummies.values())].sum(axis=1) == 0] if dummies else frame
    out = []
    frame, fixed = _strata_dummies(frame, strata)
    fits = {}
    if len(control) >= min_branches and dummies:
        for estimator, extra in (("did", []), ("did_adjusted", [f"{outcome}_pre"])):
            fits[estimator] = ols(frame, y="delta", x=list(dummies.values()), covar=fixed + extra or None, group=group,
                                  ci=ci, model=estimator).set_index("term")
    for head in heads:
        a = head["action_id"]
        row = {**head, "n": len(frame), "n_control": len(control), "n_excluded": n_all - len(frame)}
        if a not in dummies or not fits:
            out.append({**row, "reason": "too_few_branches"})
            continue
        treated = frame[frame[dummies[a]] == 1]
        row["n_treated"] = len(treated)
        if kind == "dimension" and f"{respondents}_pre" in frame:
            if any(part[f"{respondents}_{w}"].sum() < k for part in (treated, control) for w in ("pre", "post")):
                out.append({**row, "reason": "below_k"})
                continue
        row.update(treated_pre=treated[f"{outcome}_pre"].mean(), treated_post=treated[f"{outcome}_post"].mean(),
                   control_pre=control[f"{outcome}_pre"].mean(), control_post=control[f"{outcome}_post"].mean())
        for estimator, table in fits.items():
            est = table.loc[dummies[a]]
            out.append({**row, "estimator": estimator, **{c: est[c] for c in ("estimate", "se", "ci_low", "ci_high", "p", "df")},
                        "ci_method": "t, cluster-robust CR1 with one branch per cluster (HC1)", "reason": "",
                        "method": est["method"] + f"; joint model of {len(dummies)} action(s)"
                                  + ("; controls: previous level" if estimator == "did_adjusted" else "")})
    return out


def branch_action_changes(register: pd.DataFrame, previous: pd.DataFrame, current: pd.DataFrame, *,
                          dimensions: Mapping[str, str], group: str, after: str, until: str,
                          respondents: str = "n_respondents", k: int = 5) -> pd.DataFrame:
    """Each adopting branch's own change of the action's dimension (for its report: 上期措施效果).

    One row per branch and adopted action: group, action_id, dimension, start_month, status,
    previous, current, change, shown. The scale means are shown only when the branch had at
    least ``k`` respondents in both waves; otherwise they are NaN and ``shown`` is False.

    Parameters
    ----------
    register : action register rows.
    previous, current : branch frames of the two waves (dimension means, ``respondents``).
    dimensions : action id -> dimension.
    group : the branch column.
    after, until : the previous and this wave's last months.
    respondents : the column with each branch's respondents.
    k : minimum reporting size in both waves.

    Examples
    --------
    >>> from analysis.appraisal.examples import example_action_waves
    >>> register, previous, current = example_action_waves()  # b1-b4 adopted TS-1, which adds 0.3
    >>> current.loc[2, "n_respondents"] = 3  # b3 below k this wave: its change is not shown
    >>> out = branch_action_changes(register, previous, current, dimensions={"TS-1": "TS"}, group="branch_id",
    ...                             after="2025-12", until="2026-06")
    >>> print(out[["branch_id", "previous", "current", "change", "shown"]].round(2).to_string(index=False))
    branch_id  previous  current  change  shown
           b1       3.2     3.55    0.35   True
           b2       3.4     3.68    0.28   True
           b3       NaN      NaN     NaN  False
           b4       3.5     3.81    0.31   True
    """
    status = adoption(register, dimensions, after=after, until=until)
    status = status[status["status"] == "adopted"]
    rows = []
    for _, entry in status.iterrows():
        dim, branch = entry["dimension"], entry[group]
        pre = previous.loc[previous[group] == branch]
        post = current.loc[current[group] == branch]
        values = [frame[dim].iloc[0] if dim in frame and len(frame) else np.nan for frame in (pre, post)]
        # a blank count is a branch whose results were not shown in that wave
        sizes = [frame[respondents].fillna(0).iloc[0] if respondents in frame and len(frame) else 0 for frame in (pre, post)]
        shown = all(s >= k for s in sizes) and not any(pd.isna(v) for v in values)
        values = values if shown else [np.nan, np.nan]
        rows.append({group: branch, "action_id": entry["action_id"], "dimension": dim, "start_month": entry["start_month"],
                     "previous": values[0], "current": values[1], "change": values[1] - values[0], "shown": shown})
    return pd.DataFrame(rows, columns=[group, "action_id", "dimension", "start_month", "previous", "current", "change", "shown"])
