"""Each branch's KPI snapshot and summary row, and the labels of the study's dimensions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.disclosure import shown_groups
from analysis.instrument import Instrument


def kpi_snapshot(branches: pd.DataFrame, kpis: list, *, group: str, district: str, withheld: dict[str, pd.Series]) -> pd.DataFrame:
    """Per branch and KPI: value, district and company means, the KPI's benchmark and percentile.

    Parameters
    ----------
    branches : one row per branch: ``group``, ``district`` and the KPI columns.
    kpis : the study's KPIs (:class:`analysis.study.KpiSpec`: column, label, format, benchmark, lower_is_better).
    group, district : the branch id and district columns.
    withheld : KPI column -> boolean Series (by branch id) of values that must not be shown (e.g.
        fewer than k customer respondents); they are left out of the means as well.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.instrument import Label
    >>> from analysis.study import KpiSpec
    >>> branches = pd.DataFrame({"branch_id": ["b1", "b2", "b3"], "district": "D1", "calls": [22.0, 15.0, 30.0]})
    >>> kpis = [KpiSpec("calls", Label("日均外呼", "Calls a day"), benchmark=20)]
    >>> snap = kpi_snapshot(branches, kpis, group="branch_id", district="district", withheld={})
    >>> print(snap[["branch_id", "value", "company_mean", "benchmark", "percentile"]].round(3).to_string(index=False))
    branch_id  value  company_mean  benchmark  percentile
           b1   22.0        22.333         20       0.667
           b2   15.0        22.333         20       0.333
           b3   30.0        22.333         20       1.000
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
    groups_instrument: Instrument | None = None, employed: str = "staff_count",
) -> pd.DataFrame:
    """One row per branch: ids, names, respondent counts, response rate and what may be shown.

    Category columns of the group instrument (e.g. branch type) also get their labels,
    ``<column>_zh`` and ``<column>_en``, so reports need not know the codebook. ``staff_on_record``
    (the register's ``employed`` column) is shown for every branch; ``response_rate`` (respondents
    / staff on record) only where the staff results are shown.

    Parameters
    ----------
    branches : one row per branch: ``group``, the name columns, ``n_respondents`` and optionally
        ``employed`` and ``rating_n``.
    group : the branch id column.
    k : minimum reporting size (complementary suppression included, :mod:`analysis.disclosure`).
    rating_n : column with the number of customer respondents, or None.
    name_columns : columns copied as they are (names, type, district).
    groups_instrument : the branch register's codebook, for category labels.
    employed : column with the staff on record.

    Examples
    --------
    >>> import pandas as pd
    >>> branches = pd.DataFrame({"branch_id": ["b1", "b2", "b3"], "name": ["东门厅", "西门厅", "南门厅"],
    ...                          "n_respondents": [6, 6, 2], "staff_count": [8, 6, 3]})
    >>> out = branch_summary(branches, group="branch_id", k=5, rating_n=None, name_columns=["name"])
    >>> print(out.to_string(index=False))  # b3 is below k = 5; b1 is hidden too, or b3's count would follow
    branch_id name  staff_results_shown  n_respondents  staff_on_record  response_rate
           b1  东门厅                False           <NA>                8            NaN
           b2  西门厅                 True              6                6            1.0
           b3  南门厅                False           <NA>                3            NaN
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
    if employed in branches:  # answered / staff on record; a hidden branch's rate would give its count
        on_record = pd.to_numeric(branches[employed], errors="coerce")
        out["staff_on_record"] = on_record.astype("Int64")
        out["response_rate"] = (n / on_record.where(on_record > 0)).where(shown)
    if rating_n and rating_n in branches:
        rn = branches[rating_n].fillna(0)
        shown = shown_groups(rn, k)
        out["customer_results_shown"] = shown
        out["n_customers"] = rn.where(shown).astype("Int64")
    return out


def dimension_labels(instrument: Instrument, dimensions: list[str]) -> pd.DataFrame:
    """Labels of the dimensions: a scale's, a field's, else the code itself.

    Parameters
    ----------
    instrument : the survey's codebook.
    dimensions : scale or field codes.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> print(dimension_labels(load_instrument("surveys/staff.yml"), ["TS", "CO"]).to_string(index=False))
    dimension label_zh                label_en stage      level
           TS     目标设定          Target setting  plan individual
           CO  绩效辅导与监控 Coaching and monitoring    do     branch
    """
    rows = []
    for d in dimensions:
        scale = instrument.scales.get(d)
        spec = scale if scale is not None else instrument.fields.get(d)
        label = getattr(spec, "label", None)
        rows.append({"dimension": d, "label_zh": (label.zh if label else "") or d, "label_en": (label.en if label else "") or d,
                     "stage": (scale.stage or "") if scale else "", "level": scale.level if scale else "individual"})
    return pd.DataFrame(rows, columns=["dimension", "label_zh", "label_en", "stage", "level"])
