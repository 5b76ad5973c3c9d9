"""Analysis datasets: the staff-level and branch-level frames the models run on.

How records are aggregated is declared in the study file (``datasets:`` section of
``surveys/study.yml``), not here, so the same code serves any instrument set:

```yaml
datasets:
  respondents: staff                      # survey whose scored respondents are the level-1 units
  exclude_careless: true
  groups: branches                        # record table of level-2 units
  records:                                # e.g. KPI records, summed over the wave
    instrument: kpi
    sum: [assigned_target, sales_revenue, outbound_calls, work_days]
    ratio:
      target_completion: [sales_revenue, assigned_target]
      calls_per_day: [outbound_calls, work_days]
  ratings:                                # e.g. customer survey, aggregated per group
    instrument: customer
    mean: [SAT, ATT, recommend]
    share: {complaint_rate: [complained, "1"]}
    nps: {nps: recommend}
```
Ratios are ratios of sums (sales over the wave / targets over the wave), the usual definition of
a completion rate, not means of monthly ratios.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.disclosure import shown_groups
from analysis.instrument import Instrument
from analysis.scoring import reverse_key


@dataclass(frozen=True)
class RecordsSpec:
    instrument: str
    sum: tuple[str, ...] = ()
    ratio: dict[str, tuple[str, str]] = field(default_factory=dict)
    group_ratio: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RatingsSpec:
    instrument: str
    mean: tuple[str, ...] = ()
    share: dict[str, tuple[str, str]] = field(default_factory=dict)
    nps: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetSpec:
    respondents: str
    groups: str | None = None
    records: RecordsSpec | None = None
    ratings: RatingsSpec | None = None
    exclude_careless: bool = True


@dataclass
class AnalysisData:
    """The frames a study runs on, plus what was left out and why.

    ``items`` holds the analysed respondents' reverse-keyed item answers (respondent, group and
    item columns), ``texts`` the free-text answers per survey (instrument id → respondent-level
    frame with the group column and the free-text columns), both for the report tables.
    """

    staff: pd.DataFrame
    branches: pd.DataFrame
    excluded: dict[str, int]
    items: pd.DataFrame = field(default_factory=pd.DataFrame)
    texts: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # analyses skipped for want of data, and why


def aggregate_records(records: pd.DataFrame, by: str, spec: RecordsSpec) -> pd.DataFrame:
    """Sums over the wave per ``by`` and the declared ratios of sums (NaN where the denominator is 0)."""
    sums = records.groupby(by, observed=True)[list(spec.sum)].sum(min_count=1)
    sums["records"] = records.groupby(by, observed=True).size()
    for name, (num, den) in spec.ratio.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            sums[name] = sums[num] / sums[den].where(sums[den] != 0)
    return sums


def net_promoter_score(values: pd.Series) -> float:
    """NPS: % of 9–10 minus % of 0–6 on a 0–10 scale (Reichheld 2003), on the answered ratings."""
    answered = values.dropna()
    if answered.empty:
        return np.nan
    return float(100 * ((answered >= 9).mean() - (answered <= 6).mean()))


def aggregate_ratings(ratings: pd.DataFrame, by: str, spec: RatingsSpec) -> pd.DataFrame:
    """Per group: n, means of scales/fields, shares of a category value, NPS."""
    grouped = ratings.groupby(by, observed=True)
    out = pd.DataFrame({"n": grouped.size()})
    for column in spec.mean:
        out[column] = grouped[column].mean()
    for name, (column, value) in spec.share.items():
        hit = ratings[column].astype("string").eq(str(value)).where(ratings[column].notna())
        out[name] = hit.groupby(ratings[by], observed=True).mean()
    for name, column in spec.nps.items():
        out[name] = grouped[column].apply(net_promoter_score)
    return out


def build_analysis_data(
    spec: DatasetSpec,
    instruments: dict[str, Instrument],
    tables: dict[str, pd.DataFrame],
    scores: dict[str, pd.DataFrame],
) -> AnalysisData:
    """Join scored respondents, their aggregated records and their group's attributes.

    ``tables`` holds the processed (accepted) tables by instrument id, ``scores`` the scored
    survey tables. Columns of the staff frame get no prefix; group-level means of the
    respondents' scales in the branch frame keep the scale code (the branch climate).
    """
    resp = instruments[spec.respondents]
    rid, gid = resp.respondent.column, resp.group.column if resp.group else None
    staff = scores[spec.respondents].copy()
    texts: dict[str, pd.DataFrame] = {}
    excluded = {"careless": 0}
    if spec.exclude_careless and "careless" in staff:
        excluded["careless"] = int(staff["careless"].sum())
        staff = staff[~staff["careless"]]
    branches = pd.DataFrame()
    if spec.groups:
        group_inst = instruments[spec.groups]
        branches = tables[spec.groups].set_index(group_inst.respondent.column)
        branches.index.name = gid or group_inst.respondent.column
    if spec.records:
        records = tables[spec.records.instrument]
        per_person = aggregate_records(records, rid, spec.records)
        staff = staff.merge(per_person, left_on=rid, right_index=True, how="left")
        if gid:
            per_group = aggregate_records(records, gid, spec.records)
            per_group["staff_with_records"] = records.groupby(gid, observed=True)[rid].nunique()
            for name, (num, den) in spec.records.group_ratio.items():
                per_group[name] = per_group[num] / per_group[den].where(per_group[den] != 0)
            branches = branches.join(per_group, how="left") if not branches.empty else per_group
    if gid:
        if spec.groups:  # the group's own attributes (e.g. type, size) as level-2 variables
            attrs = [c for c in tables[spec.groups].columns if c in branches.columns]
            staff = staff.merge(branches[attrs], left_on=gid, right_index=True, how="left")
        climate = staff.groupby(gid, observed=True)[list(resp.scales)].mean()
        climate["n_respondents"] = staff.groupby(gid, observed=True).size()
        # without a groups table or records, the groups are those of the respondents
        branches = branches.join(climate, how="left") if not branches.empty else climate
        branches["n_respondents"] = branches["n_respondents"].fillna(0).astype(int)
    if spec.ratings and gid:
        rating_inst = instruments[spec.ratings.instrument]
        # Scored tables carry the fields too; unscored record tables are used as they are.
        ratings = scores.get(spec.ratings.instrument, tables[spec.ratings.instrument])
        if spec.exclude_careless and "careless" in ratings:
            excluded["careless_ratings"] = int(ratings["careless"].sum())
            ratings = ratings[~ratings["careless"]]
        per_group = aggregate_ratings(ratings, rating_inst.group.column, spec.ratings)
        per_group.columns = [f"{spec.ratings.instrument}_{c}" for c in per_group.columns]
        branches = branches.join(per_group, how="left")
        texts[rating_inst.id] = _free_text(tables[rating_inst.id], rating_inst, ratings)
    answers = tables[spec.respondents]
    keyed = reverse_key(answers[answers[rid].isin(staff[rid])], resp)
    items = keyed[[c for c in (rid, gid, *resp.items) if c and c in keyed]].reset_index(drop=True)
    texts[resp.id] = _free_text(answers, resp, staff)
    return AnalysisData(staff=staff.reset_index(drop=True), branches=branches.reset_index(), excluded=excluded,
                        items=items, texts={k: v for k, v in texts.items() if not v.empty})


def _free_text(answers: pd.DataFrame, instrument: Instrument, analysed: pd.DataFrame) -> pd.DataFrame:
    """The free-text answers of the analysed respondents: respondent, group and free-text columns."""
    rid = instrument.respondent.column
    columns = [c for c in instrument.free_text if c in answers]
    if not columns:
        return pd.DataFrame()
    keep = [rid, *([instrument.group.column] if instrument.group else []), *columns]
    return answers.loc[answers[rid].isin(analysed[rid]), keep].reset_index(drop=True)


def shareable_branches(branches: pd.DataFrame, spec: DatasetSpec, instruments: dict[str, Instrument], k: int) -> pd.DataFrame:
    """The branch frame as it may leave the analysis: survey aggregates of hidden groups blanked.

    A branch's staff-survey means and count are blanked unless the branch is shown
    (:func:`analysis.disclosure.shown_groups` on ``n_respondents``); its customer-survey
    aggregates (``<ratings>_*`` columns) unless it is shown on the number of customer respondents.
    Records (KPIs) and the branch's own attributes are not survey answers and stay.
    """
    out = branches.copy()
    resp = instruments[spec.respondents]
    if "n_respondents" in out:
        staff_columns = [c for c in (*resp.scales, "n_respondents") if c in out]
        hidden = ~shown_groups(out["n_respondents"], k)
        out.loc[hidden, staff_columns] = np.nan
        out["n_respondents"] = out["n_respondents"].astype("Int64")
    if spec.ratings:
        prefix = f"{spec.ratings.instrument}_"
        count = f"{prefix}n"
        if count in out:
            columns = [c for c in out.columns if c.startswith(prefix)]
            out.loc[~shown_groups(out[count], k), columns] = np.nan
    return out
