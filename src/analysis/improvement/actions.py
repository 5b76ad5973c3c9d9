"""Priorities and actions: every branch gets something to act on, whatever its size.

* **Staff survey** (branches shown on the staff survey): a dimension's priority is importance ×
  max(gap, 0) (the importance–performance logic of Martilla & James 1977, with importance
  estimated as the dimension's relative weight); the top three with a positive priority get the
  action library's first actions (two for the first, one for the others). Its strength is
  importance × max(−gap, 0).
* **KPIs and the customer survey** (every branch with records; customer scales only where the
  branch is shown on the customer survey): a KPI the study file links to an action-library
  dimension (``report.kpis[].actions``), and every customer scale the library has actions for,
  is a need when the branch misses its guide (e.g. 20 outbound calls a day) or lies at least
  :data:`NEED_SD` standard deviations (of the shown branches) on the wrong side of the company
  mean. The two largest needs get actions.
* **A strong branch** (no dimension behind) gets the first action of its top strength, to keep.
* **Nothing else to go on** (a hidden branch with no KPI need): its district's first priority,
  labelled as the district's; failing that, a keep action on the company's most important
  dimension. So no report is without an action section.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOP_PRIORITIES = 3
ACTIONS_PER_PRIORITY = 2
TOP_NEEDS = 2
NEED_SD = 0.25  # a quarter of the between-branch SD: smaller shortfalls are not worth an action

ACTION_COLUMNS = ["branch_id", "source", "rank", "dimension", "order", "action_id", "title_zh", "title_en",
                  "detail_zh", "detail_en", "kpi_zh", "kpi_en", "horizon", "basis", "basis_value",
                  "basis_benchmark", "basis_kind", "basis_format", "lower_is_better", "covers_benchmark",
                  "importance", "need"]


def priorities(profiles: pd.DataFrame, importance: pd.Series, gate: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add importance, priority, rank, strength and strength rank; flag scores without agreement.

    ``importance`` maps dimension → share of R² (sums to 1). ``gate`` (scale, group,
    aggregation_ok) comes from rwg(j): a branch climate score without agreement is still shown,
    flagged.

    Parameters
    ----------
    profiles : :func:`dimension_profiles` of the shown branches.
    importance : dimension -> share of R² (sums to 1).
    gate : rwg(j) rows (scale, group, aggregation_ok), or None.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.improvement.examples import example_branches
    >>> instrument, items, staff, district = example_branches()  # 12 staff answering TS and CO, two branches
    >>> from analysis.improvement import dimension_profiles
    >>> profiles = dimension_profiles(staff, items, instrument, ["TS", "CO"], group="branch_id",
    ...                               respondent="staff_id", district=district, k=5)
    >>> out = priorities(profiles, pd.Series({"TS": 0.6, "CO": 0.4}))
    >>> print(out[["branch_id", "dimension", "gap", "priority", "rank", "strength_rank"]].round(3).to_string(index=False))
    branch_id dimension    gap  priority  rank  strength_rank
           b1        CO -0.188     0.000     1              2
           b1        TS -0.208     0.000     2              1
           b2        TS  0.208     0.125     1              2
           b2        CO  0.188     0.075     2              1
    """
    out = profiles.copy()
    out["importance"] = out["dimension"].map(importance).astype(float)
    out["priority"] = out["importance"] * out["gap"].clip(lower=0)
    out["strength"] = out["importance"] * (-out["gap"]).clip(lower=0)
    out["rank"] = out.groupby("branch_id")["priority"].rank(ascending=False, method="first").astype(int)
    out["strength_rank"] = out.groupby("branch_id")["strength"].rank(ascending=False, method="first").astype(int)
    if gate is not None and not gate.empty:
        flags = gate.set_index(["group", "scale"])["aggregation_ok"]
        out["aggregation_ok"] = [flags.get((b, d), np.nan) for b, d in zip(out["branch_id"], out["dimension"])]
    else:
        out["aggregation_ok"] = np.nan
    return out.sort_values(["branch_id", "rank"]).reset_index(drop=True)


def _action_rows(branch: str, source: str, rank: int, dimension: str, library: dict, per: int, **basis) -> list[dict]:
    actions = library.get("dimensions", {}).get(dimension, {}).get("actions", [])[:per]
    return [{
        "branch_id": branch, "source": source, "rank": rank, "dimension": dimension, "order": order,
        "action_id": a["id"], "title_zh": a["title"]["zh"], "title_en": a["title"]["en"],
        "detail_zh": a["detail"]["zh"], "detail_en": a["detail"]["en"],
        "kpi_zh": a.get("kpi", {}).get("zh", ""), "kpi_en": a.get("kpi", {}).get("en", ""),
        "horizon": a.get("horizon", ""), **basis,
    } for order, a in enumerate(actions, start=1)]


def kpi_needs(values: pd.DataFrame, specs: list[dict], *, group: str) -> pd.DataFrame:
    """Where branches fall behind on linked KPIs and customer scales.

    Parameters
    ----------
    values : one row per branch: ``group`` and one column per spec (withheld values missing).
    specs : dicts with ``column``, ``dimension`` (action-library key), ``kind`` ("kpi" or
        "customer_survey"), ``format``, ``lower_is_better``, ``benchmark`` (a guide, or None).

    Returns
    -------
    One row per branch and need: branch_id, basis (the column), dimension, source, basis_value,
    basis_benchmark (the guide, else the company mean of the branches with a value), basis_kind
    ("guide" or "company"), basis_format, lower_is_better, need (shortfall in between-branch SDs;
    a missed guide counts at least :data:`NEED_SD`).

    Examples
    --------
    >>> import pandas as pd
    >>> values = pd.DataFrame({"branch_id": ["b1", "b2", "b3"], "calls": [22.0, 15.0, 30.0]})
    >>> specs = [{"column": "calls", "dimension": "calls", "kind": "kpi", "format": "number",
    ...           "lower_is_better": False, "benchmark": 20}]
    >>> needs = kpi_needs(values, specs, group="branch_id")  # b2 misses the guide of 20 calls a day
    >>> print(needs[["branch_id", "basis", "basis_value", "basis_benchmark", "basis_kind", "need"]].round(3).to_string(index=False))
    branch_id basis  basis_value  basis_benchmark basis_kind  need
           b2 calls         15.0             20.0      guide 0.977
    """
    rows = []
    for spec in specs:
        x = pd.to_numeric(values[spec["column"]], errors="coerce")
        shown = x.dropna()
        if len(shown) < 2 or not shown.std(ddof=1) > 0:
            continue
        sign = -1.0 if spec["lower_is_better"] else 1.0
        company, sd = float(shown.mean()), float(shown.std(ddof=1))
        guide = spec.get("benchmark")
        for branch, value in zip(values[group], x):
            if pd.isna(value):
                continue
            need = sign * (company - value) / sd
            kind, reference = "company", company
            if guide is not None and sign * (guide - value) > 0:
                need, kind, reference = max(need, NEED_SD, sign * (guide - value) / sd), "guide", float(guide)
            if need >= NEED_SD:
                rows.append({"branch_id": branch, "basis": spec["column"], "dimension": spec["dimension"],
                             "source": spec["kind"], "basis_value": float(value), "basis_benchmark": reference,
                             "basis_kind": kind, "basis_format": spec["format"],
                             "lower_is_better": bool(spec["lower_is_better"]), "need": float(need)})
    return pd.DataFrame(rows, columns=["branch_id", "basis", "dimension", "source", "basis_value", "basis_benchmark",
                                       "basis_kind", "basis_format", "lower_is_better", "need"])


def branch_actions(prioritised: pd.DataFrame, needs: pd.DataFrame, district_profiles: pd.DataFrame,
                   branches: pd.DataFrame, library: dict, *, importance: pd.Series) -> pd.DataFrame:
    """Every branch's actions by source (see the module docstring); at least one row per branch.

    ``branches`` has ``branch_id`` and ``district`` for every branch to report on.

    Parameters
    ----------
    prioritised : :func:`priorities` of the shown branches.
    needs : :func:`kpi_needs`.
    district_profiles : :func:`analysis.improvement.district_profiles`, for branches with nothing else.
    branches : ``branch_id`` and ``district`` of every branch to report on.
    library : the action library (``surveys/actions.yml``): dimension -> ordered actions.
    importance : dimension -> share of R², for the fallback keep action.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.improvement.examples import example_branches
    >>> instrument, items, staff, district = example_branches()  # 12 staff answering TS and CO, two branches
    >>> from analysis.improvement import dimension_profiles, district_profiles
    >>> profiles = dimension_profiles(staff, items, instrument, ["TS", "CO"], group="branch_id",
    ...                               respondent="staff_id", district=district, k=5)
    >>> library = {"dimensions": {d: {"actions": [
    ...     {"id": f"{d}-{i}", "title": {"zh": f"{d}行动{i}", "en": f"{d} action {i}"}, "detail": {"zh": "", "en": ""}}
    ...     for i in (1, 2)]} for d in ("TS", "CO", "calls")}}
    >>> values = pd.DataFrame({"branch_id": ["b1", "b2", "b3"], "calls": [22.0, 15.0, 30.0]})
    >>> specs = [{"column": "calls", "dimension": "calls", "kind": "kpi", "format": "number",
    ...           "lower_is_better": False, "benchmark": 20}]
    >>> importance = pd.Series({"TS": 0.6, "CO": 0.4})
    >>> actions = branch_actions(priorities(profiles, importance), kpi_needs(values, specs, group="branch_id"),
    ...                          district_profiles(staff, items, instrument, ["TS", "CO"], group="branch_id",
    ...                                            respondent="staff_id", district=district, k=5, importance=importance),
    ...                          pd.DataFrame({"branch_id": ["b1", "b2", "b3"], "district": "D1"}), library,
    ...                          importance=importance)
    >>> print(actions[["branch_id", "source", "rank", "dimension", "action_id"]].to_string(index=False))
    branch_id       source  rank dimension action_id
           b2 staff_survey     1        TS      TS-1
           b2 staff_survey     1        TS      TS-2
           b2 staff_survey     2        CO      CO-1
           b1         keep     1        TS      TS-1
           b2          kpi     1     calls   calls-1
           b3         keep     1        TS      TS-1
    """
    rows: list[dict] = []
    chosen = prioritised[(prioritised["rank"] <= TOP_PRIORITIES) & (prioritised["priority"] > 0)]
    for rec in chosen.itertuples(index=False):
        # two actions for the first priority, one for the others: a report that prints on 2–3 pages
        per = ACTIONS_PER_PRIORITY if rec.rank == 1 else 1
        rows += _action_rows(rec.branch_id, "staff_survey", rec.rank, rec.dimension, library, per,
                             basis=rec.dimension, basis_value=rec.mean, basis_benchmark=rec.benchmark,
                             basis_kind="company", basis_format="score", covers_benchmark=bool(rec.covers_benchmark),
                             importance=rec.importance)
    behind = set(chosen["branch_id"])
    keep = prioritised[(prioritised["strength_rank"] == 1) & (prioritised["strength"] > 0)
                       & ~prioritised["branch_id"].isin(behind)]
    for rec in keep.itertuples(index=False):
        rows += _action_rows(rec.branch_id, "keep", 1, rec.dimension, library, 1, basis=rec.dimension,
                             basis_value=rec.mean, basis_benchmark=rec.benchmark, basis_kind="company",
                             basis_format="score", importance=rec.importance)
    if not needs.empty:
        top = needs.sort_values(["branch_id", "need"], ascending=[True, False], kind="mergesort")
        top = top[top.groupby("branch_id").cumcount() < TOP_NEEDS]
        for rank, rec in zip(top.groupby("branch_id").cumcount() + 1, top.itertuples(index=False)):
            rows += _action_rows(rec.branch_id, rec.source, int(rank), rec.dimension, library, 1,
                                 basis=rec.basis, basis_value=rec.basis_value, basis_benchmark=rec.basis_benchmark,
                                 basis_kind=rec.basis_kind, basis_format=rec.basis_format,
                                 lower_is_better=rec.lower_is_better, need=rec.need)
    covered = {r["branch_id"] for r in rows}
    first = district_profiles[(district_profiles["rank"] == 1) & (district_profiles["priority"] > 0)].set_index("district")
    fallback = importance.sort_values(ascending=False, kind="mergesort").index[0] if len(importance) else None
    for rec in branches.itertuples(index=False):
        if rec.branch_id in covered:
            continue
        if rec.district in first.index:
            d = first.loc[rec.district]
            rows += _action_rows(rec.branch_id, "district", 1, d["dimension"], library, ACTIONS_PER_PRIORITY,
                                 basis=d["dimension"], basis_value=d["mean"], basis_benchmark=d["benchmark"],
                                 basis_kind="company", basis_format="score",
                                 covers_benchmark=bool(d["covers_benchmark"]), importance=d["importance"])
        elif fallback is not None:
            rows += _action_rows(rec.branch_id, "keep", 1, fallback, library, 1, basis=fallback,
                                 basis_kind="importance", importance=float(importance[fallback]))
    return pd.DataFrame(rows).reindex(columns=ACTION_COLUMNS)


def district_actions(district_profiles: pd.DataFrame, library: dict, *, top: int = TOP_PRIORITIES) -> pd.DataFrame:
    """The library's first action for each of a district's ``top`` priorities (for district reports).

    Columns: district, rank, dimension, order, action_id, title/detail/kpi in zh and en, horizon,
    basis_value (the district's mean), basis_benchmark (the company's), covers_benchmark, importance.

    Parameters
    ----------
    district_profiles : :func:`analysis.improvement.district_profiles`.
    library : the action library (dimension -> ordered actions).
    top : how many priorities per district.

    Examples
    --------
    >>> import pandas as pd
    >>> library = {"dimensions": {d: {"actions": [
    ...     {"id": f"{d}-{i}", "title": {"zh": f"{d}行动{i}", "en": f"{d} action {i}"}, "detail": {"zh": "", "en": ""}}
    ...     for i in (1, 2)]} for d in ("TS", "CO", "calls")}}
    >>> profiles = pd.DataFrame({"district": ["D1", "D1"], "dimension": ["TS", "CO"], "rank": [1, 2],
    ...                          "priority": [0.12, 0.0], "mean": [3.3, 3.5], "benchmark": [3.5, 3.5],
    ...                          "covers_benchmark": [False, True], "importance": [0.6, 0.4]})
    >>> print(district_actions(profiles, library)[["district", "rank", "dimension", "action_id", "title_en"]].to_string(index=False))
    district  rank dimension action_id    title_en
          D1     1        TS      TS-1 TS action 1
    """
    rows = []
    chosen = district_profiles[(district_profiles["rank"] <= top) & (district_profiles["priority"] > 0)]
    for rec in chosen.itertuples(index=False):
        for row in _action_rows(rec.district, "district", rec.rank, rec.dimension, library, 1, basis=rec.dimension,
                                basis_value=rec.mean, basis_benchmark=rec.benchmark, basis_kind="company",
                                basis_format="score", covers_benchmark=bool(rec.covers_benchmark),
                                importance=rec.importance):
            rows.append({"district": row.pop("branch_id"), **row})
    columns = ["district", *[c for c in ACTION_COLUMNS if c != "branch_id"]]
    return pd.DataFrame(rows).reindex(columns=columns)
