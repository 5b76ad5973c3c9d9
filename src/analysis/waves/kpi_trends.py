"""KPI records across waves (changes without tests), and the combined ``branch_trends`` table."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.waves.means import BRANCH_TREND_COLUMNS

KPI_TREND_COLUMNS = ["branch_id", "kpi", "wave", "previous_wave", "value", "previous_value", "change", "comparable",
                     "reason"]
KPI_LABEL_COLUMNS = ("label_zh", "label_en", "format", "lower_is_better")
# reason codes of kpi_trends (the branch report explains each)
KPI_NO_TEST = "records_not_a_sample"
KPI_MISSING = "value_missing"


def period_dependent_kpis(
    kpis: Sequence[str], sums: Sequence[str], ratios: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """The KPIs that grow with the length of a wave's period (totals over the wave).

    A KPI is a total when it is one of the summed record columns (``sums``), or a ratio whose
    numerator is a total and whose denominator is not (``sales_revenue / staff_with_records``);
    a ratio of two totals (``sales_revenue / assigned_target``, ``outbound_calls / work_days``)
    does not depend on the period's length. Other KPIs (branch attributes, survey aggregates)
    are taken as not depending on it.

    Parameters
    ----------
    kpis : KPI columns (e.g. ``branch_kpis.kpi``).
    sums : the record columns summed over the wave (study ``datasets.records.sum``).
    ratios : ratio name -> (numerator, denominator) (study ``records.ratio`` and ``group_ratio``).

    Examples
    --------
    >>> period_dependent_kpis(["sales_revenue", "revenue_per_staff", "target_completion"],
    ...                       sums=["sales_revenue", "assigned_target"],
    ...                       ratios={"revenue_per_staff": ("sales_revenue", "staff_count"),
    ...                               "target_completion": ("sales_revenue", "assigned_target")})
    ['sales_revenue', 'revenue_per_staff']
    """
    totals = set(sums)
    ratios = dict(ratios or {})

    def total(column: str, seen: frozenset = frozenset()) -> bool:
        if column in totals:
            return True
        if column in ratios and column not in seen:
            num, den = ratios[column]
            return total(num, seen | {column}) and not total(den, seen | {column})
        return False

    return [k for k in kpis if total(k)]


def kpi_trends(
    kpis_by_wave: Mapping[str, pd.DataFrame],
    *,
    group: str = "branch_id",
    comparable: Mapping[str, bool] | None = None,
    reasons: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Each branch's KPI now and a wave before, and the change: records, so no test.

    Parameters
    ----------
    kpis_by_wave : wave label -> a ``branch_kpis`` table (columns ``group``, ``kpi``, ``value``;
        ``label_zh``, ``label_en``, ``format``, ``lower_is_better`` are carried over from the
        later wave when present), in time order, oldest first. Each wave is compared with the
        one before it. A missing ``value`` is one the analysis withheld (e.g. a customer-survey
        KPI of a branch with fewer than k customers) or could not compute.
    group : the branch column.
    comparable : KPI -> whether its values can be compared across the waves (default: all can;
        e.g. a wave total is not comparable when the waves' periods differ in length, see
        :func:`period_dependent_kpis`). reasons : KPI -> why not (default ``not_comparable``).

    Returns
    -------
    DataFrame, one row per (wave pair, branch, KPI) present in both waves: branch_id, kpi, wave,
    previous_wave, value, previous_value, change, comparable, reason[, label_zh, label_en,
    format, lower_is_better]. ``change = value - previous_value`` (in the KPI's own unit, e.g.
    a proportion for a rate) when both values are present and the KPI is comparable; otherwise
    it is missing, ``comparable`` is False and ``reason`` says why (``value_missing`` when
    either wave has no value). A computed change has ``reason = "records_not_a_sample"``.

    Notes
    -----
    KPIs are the complete records of every branch (sales, targets, calls), not a sample of a
    population, so the change is the change: there is no sampling error to test against, and
    no confidence interval or p-value is given. Month-to-month variation is real but is not
    sampling error; judge a change against the branch's own history, not a significance test.
    Values missing in either wave are never filled in, so nothing withheld in a wave can be
    recovered from its change.

    Examples
    --------
    >>> import pandas as pd
    >>> k1 = pd.DataFrame({"branch_id": ["b1", "b2"], "kpi": "calls", "value": [18.0, 25.0]})
    >>> k2 = pd.DataFrame({"branch_id": ["b1", "b2"], "kpi": "calls", "value": [21.0, None]})  # b2 withheld
    >>> out = kpi_trends({"2025": k1, "2026": k2})
    >>> print(out[["branch_id", "kpi", "value", "previous_value", "change", "reason"]].to_string(index=False))
    branch_id   kpi  value  previous_value  change               reason
           b1 calls   21.0            18.0     3.0 records_not_a_sample
           b2 calls    NaN            25.0     NaN        value_missing
    """
    if len(kpis_by_wave) < 2:
        raise ValueError(f"kpi_trends: {len(kpis_by_wave)} wave(s) given; need at least 2")
    comparable = dict(comparable or {})
    reasons = dict(reasons or {})
    for wave, frame in kpis_by_wave.items():
        missing = [c for c in (group, "kpi", "value") if c not in frame.columns]
        if missing:
            raise KeyError(f"kpi_trends: wave '{wave}' has no column(s) {missing}; give each wave's branch_kpis table")
        dup = frame.duplicated([group, "kpi"])
        if dup.any():
            first = frame.loc[dup, [group, "kpi"]].iloc[0].tolist()
            raise ValueError(f"kpi_trends: wave '{wave}' has more than one row for {group}/kpi {first}; "
                             "give one value per branch and KPI")
    waves = list(kpis_by_wave)
    parts = []
    for previous, current in zip(waves, waves[1:]):
        before, after = kpis_by_wave[previous], kpis_by_wave[current]
        extra = [c for c in KPI_LABEL_COLUMNS if c in after.columns]
        left = after[[group, "kpi", "value", *extra]].assign(_key=lambda f: f[group].astype(str))
        right = before[[group, "kpi", "value"]].assign(_key=lambda f: f[group].astype(str))
        both = left.merge(right.drop(columns=group).rename(columns={"value": "previous_value"}),
                          on=["_key", "kpi"], how="inner").drop(columns="_key")
        value = pd.to_numeric(both["value"], errors="coerce").astype(float)
        prev = pd.to_numeric(both["previous_value"], errors="coerce").astype(float)
        ok_kpi = both["kpi"].map(lambda k: bool(comparable.get(k, True)))
        present = value.notna() & prev.notna()
        out = pd.DataFrame({
            "branch_id": both[group].to_numpy(), "kpi": both["kpi"].to_numpy(), "wave": current,
            "previous_wave": previous, "value": value.to_numpy(), "previous_value": prev.to_numpy(),
        })
        out["comparable"] = (present & ok_kpi).to_numpy()
        out["change"] = (value - prev).where(out["comparable"].to_numpy()).to_numpy()
        out["reason"] = np.where(~present, KPI_MISSING,
                                 np.where(ok_kpi, KPI_NO_TEST,
                                          both["kpi"].map(lambda k: reasons.get(k, "not_comparable")).to_numpy()))
        for c in extra:
            out[c] = both[c].to_numpy()
        parts.append(out)
    columns = [*KPI_TREND_COLUMNS, *[c for c in KPI_LABEL_COLUMNS if parts and c in parts[0].columns]]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return table.reindex(columns=columns).sort_values(["wave", "branch_id", "kpi"], kind="mergesort").reset_index(drop=True)

TREND_SOURCES = ("staff", "customer", "kpi")


def combine_branch_trends(
    staff: pd.DataFrame | None = None,
    customer: pd.DataFrame | None = None,
    kpi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One ``branch_trends`` table of staff and customer scale trends and KPI trends.

    Parameters
    ----------
    staff, customer : :func:`branch_trends` tables (any extra columns, e.g. ``label_zh``, kept).
    kpi : a :func:`kpi_trends` table.

    Returns
    -------
    DataFrame: the :func:`branch_trends` columns, then ``source`` (``staff``, ``customer`` or
    ``kpi``), ``value`` and ``previous_value`` (KPI rows; their ``kpi`` is in ``dimension``)
    and any extra columns. KPI rows have no ``mean``, CI, ``p`` or ``n`` and ``significant``
    is missing (not tested); survey rows have no ``value``. ``significant`` and ``comparable``
    are nullable booleans.

    Examples
    --------
    >>> import pandas as pd
    >>> k1 = pd.DataFrame({"branch_id": ["b1", "b2"], "kpi": "calls", "value": [18.0, 25.0]})
    >>> k2 = pd.DataFrame({"branch_id": ["b1", "b2"], "kpi": "calls", "value": [21.0, None]})  # b2 withheld
    >>> staff = pd.DataFrame({"branch_id": ["b1"], "dimension": ["TS"], "wave": "2026", "previous_wave": "2025",
    ...                       "mean": [3.7], "previous_mean": [3.5], "change": [0.2], "significant": [False],
    ...                       "comparable": [True]})
    >>> out = combine_branch_trends(staff=staff, kpi=kpi_trends({"2025": k1, "2026": k2}))
    >>> print(out[["branch_id", "dimension", "source", "change", "value", "significant"]].to_string(index=False))
    branch_id dimension source  change  value  significant
           b1        TS  staff     0.2    NaN        False
           b1     calls    kpi     3.0   21.0         <NA>
           b2     calls    kpi     NaN    NaN         <NA>
    """
    parts = []
    for source, frame in (("staff", staff), ("customer", customer), ("kpi", kpi)):
        if frame is None:
            continue
        frame = frame.rename(columns={"kpi": "dimension"}) if source == "kpi" else frame
        parts.append(frame.assign(source=source))
    head = [*BRANCH_TREND_COLUMNS, "n", "previous_n", "source", "value", "previous_value"]
    extra = list(dict.fromkeys(c for f in parts for c in f.columns if c not in head))
    kept = [f for f in parts if not f.empty]
    out = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    out = out.reindex(columns=[*head, *extra])
    for col in ("significant", "comparable"):
        out[col] = out[col].astype("boolean")
    return out.reset_index(drop=True)
