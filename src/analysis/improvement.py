"""Branch diagnosis: each branch's dimension profile, priorities and actions, and its KPI snapshot.

A dimension's *importance* is its share of the explained variance of the performance outcome
across all staff (Johnson's relative weights, rescaled to sum to 1); its *gap* in a branch is how
far the branch mean lies below the company benchmark. Priority = importance × max(gap, 0)
(the importance–performance logic of Martilla & James 1977, with importance estimated rather
than asked). The top priorities become actions from the action library (``surveys/actions.yml``).

Privacy (minimum reporting size k, :mod:`analysis.disclosure`): a branch with fewer than k staff
respondents (or hidden by complementary suppression) gets no staff survey results at all;
benchmarks are computed only from branches that are shown, so no difference between two shown
figures can reveal a hidden branch. Customer-based KPIs are withheld by the same rule on the
number of customer respondents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.disclosure import shown_groups, shown_members
from analysis.instrument import Instrument

TOP_PRIORITIES = 3
ACTIONS_PER_PRIORITY = 2


def dimension_profiles(
    staff: pd.DataFrame, dimensions: list[str], *, group: str, district: pd.Series, k: int, ci: float = 0.95,
) -> pd.DataFrame:
    """Per shown branch and dimension: n, mean, sd, t-based CI, company and district benchmarks, gap.

    ``district`` maps branch id → district. A branch is shown on a dimension when enough of its
    staff scored it (:func:`analysis.disclosure.shown_groups`, complementary suppression
    included); the benchmarks are means over the respondents of shown branches only, so no
    benchmark minus shown branches reveals a hidden one.
    """
    parts = []
    for dim in dimensions:
        answered = staff.loc[staff[dim].notna(), [group, dim]]
        kept = answered[shown_members(answered, group, k)].rename(columns={dim: "score"})
        kept["dimension"] = dim
        parts.append(kept)
    long = pd.concat(parts, ignore_index=True)
    stats_ = long.groupby([group, "dimension"], observed=True)["score"].agg(["count", "mean", "std"]).reset_index()
    stats_ = stats_.rename(columns={"count": "n", "std": "sd", group: "branch_id"})
    se = stats_["sd"] / np.sqrt(stats_["n"])
    t = stats.t.ppf(0.5 + ci / 2, np.maximum(stats_["n"] - 1, 1))
    stats_["ci_low"], stats_["ci_high"] = stats_["mean"] - t * se, stats_["mean"] + t * se
    company = long.groupby("dimension")["score"].mean()
    stats_["benchmark"] = stats_["dimension"].map(company)
    long["district"] = long[group].map(district)
    by_district = long.groupby(["district", "dimension"])["score"].mean()
    stats_["district"] = stats_["branch_id"].map(district)
    stats_["district_benchmark"] = [by_district.get((d, dim), np.nan) for d, dim in zip(stats_["district"], stats_["dimension"])]
    stats_["gap"] = stats_["benchmark"] - stats_["mean"]
    return stats_.reset_index(drop=True)


def priorities(profiles: pd.DataFrame, importance: pd.Series, gate: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add importance, priority and the within-branch rank; flag scores whose aggregation is not justified.

    ``importance`` maps dimension → share of R² (sums to 1). ``gate`` (scale, group, aggregation_ok)
    comes from rwg(j): a branch climate score without agreement is still shown, flagged.
    """
    out = profiles.copy()
    out["importance"] = out["dimension"].map(importance).astype(float)
    out["priority"] = out["importance"] * out["gap"].clip(lower=0)
    out["rank"] = out.groupby("branch_id")["priority"].rank(ascending=False, method="first").astype(int)
    if gate is not None and not gate.empty:
        flags = gate.set_index(["group", "scale"])["aggregation_ok"]
        out["aggregation_ok"] = [flags.get((b, d), np.nan) for b, d in zip(out["branch_id"], out["dimension"])]
    else:
        out["aggregation_ok"] = np.nan
    return out.sort_values(["branch_id", "rank"]).reset_index(drop=True)


def actions_for(prioritised: pd.DataFrame, library: dict, *, top: int = TOP_PRIORITIES, per: int = ACTIONS_PER_PRIORITY) -> pd.DataFrame:
    """The library's first ``per`` actions for each of a branch's ``top`` dimensions with a positive priority."""
    rows = []
    dims = library.get("dimensions", {})
    chosen = prioritised[(prioritised["rank"] <= top) & (prioritised["priority"] > 0)]
    for rec in chosen.itertuples(index=False):
        for order, action in enumerate(dims.get(rec.dimension, {}).get("actions", [])[:per], start=1):
            rows.append({
                "branch_id": rec.branch_id, "rank": rec.rank, "dimension": rec.dimension, "order": order,
                "action_id": action["id"],
                "title_zh": action["title"]["zh"], "title_en": action["title"]["en"],
                "detail_zh": action["detail"]["zh"], "detail_en": action["detail"]["en"],
                "kpi_zh": action.get("kpi", {}).get("zh", ""), "kpi_en": action.get("kpi", {}).get("en", ""),
                "horizon": action.get("horizon", ""),
            })
    columns = ["branch_id", "rank", "dimension", "order", "action_id", "title_zh", "title_en", "detail_zh",
               "detail_en", "kpi_zh", "kpi_en", "horizon"]
    return pd.DataFrame(rows, columns=columns)


def kpi_snapshot(branches: pd.DataFrame, kpis: list, *, group: str, district: str, withheld: dict[str, pd.Series]) -> pd.DataFrame:
    """Per branch and KPI: value, district and company means, the KPI's benchmark and percentile.

    ``withheld`` maps a KPI column → boolean Series (by branch id) of branches whose value must not
    be shown (e.g. fewer than k customer respondents); they are left out of the means as well.
    """
    rows = []
    frame = branches.set_index(group)
    for kpi in kpis:
        values = frame[kpi.column].astype(float)
        hide = withheld.get(kpi.column)
        if hide is not None:
            values = values.where(~hide.reindex(values.index, fill_value=True))
        company = values.mean()
        district_mean = (values.groupby(frame[district]).transform("mean") if district in frame
                         else pd.Series(np.nan, index=values.index))
        pct = values.rank(pct=True)
        for branch, value in values.items():
            rows.append({
                "branch_id": branch, "kpi": kpi.column, "value": value, "district_mean": district_mean[branch],
                "company_mean": company, "benchmark": kpi.benchmark,
                "percentile": (1 - pct[branch]) if kpi.lower_is_better else pct[branch],
                "lower_is_better": kpi.lower_is_better, "format": kpi.format,
                "label_zh": kpi.label.zh, "label_en": kpi.label.en,
            })
    return pd.DataFrame(rows)


def branch_summary(
    branches: pd.DataFrame, *, group: str, k: int, rating_n: str | None, name_columns: list[str],
    groups_instrument: Instrument | None = None,
) -> pd.DataFrame:
    """One row per branch: ids, names, respondent counts and what may be shown.

    Category columns of the group instrument (e.g. branch type) also get their labels,
    ``<column>_zh`` and ``<column>_en``, so reports need not know the codebook.
    """
    out = branches[[group, *name_columns]].copy().rename(columns={group: "branch_id"})
    fields = groups_instrument.fields if groups_instrument else {}
    for column in name_columns:
        spec = fields.get(column)
        if spec is not None and spec.type == "category":
            labels = spec.values or {}
            out[f"{column}_zh"] = out[column].map(lambda v: labels[v].zh if v in labels else v)
            out[f"{column}_en"] = out[column].map(lambda v: labels[v].en if v in labels else v)
    n = branches["n_respondents"] if "n_respondents" in branches else pd.Series(0, index=branches.index)
    shown = shown_groups(n, k)
    out["staff_results_shown"] = shown
    out["n_respondents"] = n.where(shown).astype("Int64")  # hidden counts are not shown either
    if rating_n and rating_n in branches:
        rn = branches[rating_n].fillna(0)
        shown = shown_groups(rn, k)
        out["customer_results_shown"] = shown
        out["n_customers"] = rn.where(shown).astype("Int64")
    return out


def dimension_labels(instrument: Instrument, dimensions: list[str]) -> pd.DataFrame:
    """Labels of the dimensions: a scale's, a field's, else the code itself."""
    rows = []
    for d in dimensions:
        scale = instrument.scales.get(d)
        spec = scale if scale is not None else instrument.fields.get(d)
        label = getattr(spec, "label", None)
        rows.append({"dimension": d, "label_zh": (label.zh if label else "") or d, "label_en": (label.en if label else "") or d,
                     "stage": (scale.stage or "") if scale else "", "level": scale.level if scale else "individual"})
    return pd.DataFrame(rows, columns=["dimension", "label_zh", "label_en", "stage", "level"])
