"""Dimension profiles of branches and districts: mean, CI, % favourable, against the benchmarks.

Privacy (:mod:`analysis.disclosure`): a branch appears on a dimension only when it is shown on
it (at least k staff scored it, complementary suppression included), and every benchmark —
company or district — is computed over the respondents of shown branches only, so no benchmark
minus shown branches reveals a hidden one. A district profile is the pool of its shown branches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.disclosure import shown_members
from analysis.improvement.favourable import favourable_codes
from analysis.instrument import Instrument

PROFILE_COLUMNS = ["branch_id", "dimension", "n", "mean", "sd", "ci_low", "ci_high", "ci_clipped", "scale_min",
                   "scale_max", "benchmark", "district", "district_benchmark", "gap", "covers_benchmark",
                   "pct_favourable", "pct_neutral", "pct_unfavourable", "benchmark_favourable", "district_favourable"]


def _scale_range(instrument: Instrument, dimension: str) -> tuple[float, float]:
    items = instrument.scales[dimension].items
    return (min(instrument.items[i].response.min for i in items), max(instrument.items[i].response.max for i in items))


def _answer_counts(codes: pd.DataFrame) -> pd.DataFrame:
    """Per respondent: favourable, neutral and unfavourable answers among the given items."""
    values = codes.to_numpy(dtype=float)
    return pd.DataFrame({"fav": np.nansum(values > 0, axis=1), "neu": np.nansum(values == 0, axis=1),
                         "unf": np.nansum(values < 0, axis=1)}, index=codes.index)


def _percent(counts: pd.DataFrame) -> pd.DataFrame:
    total = counts[["fav", "neu", "unf"]].sum(axis=1).replace(0, np.nan)
    return pd.DataFrame({"pct_favourable": 100 * counts["fav"] / total, "pct_neutral": 100 * counts["neu"] / total,
                         "pct_unfavourable": 100 * counts["unf"] / total})


def _t_interval(n: pd.Series, mean: pd.Series, sd: pd.Series, ci: float, lo: float, hi: float) -> pd.DataFrame:
    se = sd / np.sqrt(n)
    t = stats.t.ppf(0.5 + ci / 2, np.maximum(n - 1, 1))
    low, high = mean - t * se, mean + t * se
    # a t interval can leave the response scale (3.91–5.02 on 1–5); what lies outside is impossible
    return pd.DataFrame({"ci_low": low.clip(lower=lo), "ci_high": high.clip(upper=hi),
                         "ci_clipped": (low < lo) | (high > hi)})


def _dimension_long(staff: pd.DataFrame, items: pd.DataFrame, instrument: Instrument, dimensions: list[str],
                    *, group: str, respondent: str, k: int) -> pd.DataFrame:
    """One row per shown respondent and dimension: group, dimension, score and answer counts."""
    keyed = items.set_index(respondent)
    parts = []
    for dim in dimensions:
        answered = staff.loc[staff[dim].notna(), [respondent, group, dim]]
        kept = answered[shown_members(answered, group, k)]
        codes = favourable_codes(keyed.reindex(kept[respondent])[list(instrument.scales[dim].items)], instrument)
        counts = _answer_counts(codes).set_index(kept.index)
        parts.append(pd.concat([kept[[group]].assign(dimension=dim, score=kept[dim]), counts], axis=1))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[group, "dimension", "score"])


def dimension_profiles(staff: pd.DataFrame, items: pd.DataFrame, instrument: Instrument, dimensions: list[str], *,
                       group: str, respondent: str, district: pd.Series, k: int, ci: float = 0.95) -> pd.DataFrame:
    """Per shown branch and dimension: n, mean, sd, CI, % favourable, company and district benchmarks.

    Parameters
    ----------
    staff : one row per analysed respondent with ``respondent``, ``group`` and the dimension scores.
    items : the same respondents' keyed item answers (``respondent`` + item columns).
    instrument : the survey's codebook (response scales, the dimensions' items).
    dimensions : scale codes.
    district : branch id → district.
    k : minimum reporting size.

    Returns
    -------
    DataFrame with :data:`PROFILE_COLUMNS`: ``gap`` = benchmark − mean (positive: behind the
    company), ``covers_benchmark`` when the CI holds the benchmark (the gap may be chance), the CI
    clipped to the response scale (``ci_clipped`` says it was), % favourable/neutral/unfavourable of
    the branch, ``benchmark_favourable`` and ``district_favourable``.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.improvement.examples import example_branches
    >>> instrument, items, staff, district = example_branches()  # 12 staff answering TS and CO, two branches
    >>> profiles = dimension_profiles(staff, items, instrument, ["TS", "CO"], group="branch_id",
    ...                               respondent="staff_id", district=district, k=5)
    >>> print(profiles[["branch_id", "dimension", "n", "mean", "benchmark", "gap", "pct_favourable"]].round(2).to_string(index=False))
    branch_id dimension  n  mean  benchmark   gap  pct_favourable
           b1        CO  6  3.71       3.52 -0.19           58.33
           b1        TS  6  3.71       3.50 -0.21           62.50
           b2        CO  6  3.33       3.52  0.19           45.83
           b2        TS  6  3.29       3.50  0.21           50.00
    """
    long = _dimension_long(staff, items, instrument, dimensions, group=group, respondent=respondent, k=k)
    if long.empty:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    long["district"] = long[group].map(district)
    by = long.groupby([group, "dimension"], observed=True)
    out = by["score"].agg(n="count", mean="mean", sd="std").join(by[["fav", "neu", "unf"]].sum()).reset_index()
    out = out.rename(columns={group: "branch_id"})
    ranges = {d: _scale_range(instrument, d) for d in dimensions}
    out["scale_min"] = out["dimension"].map(lambda d: ranges[d][0])
    out["scale_max"] = out["dimension"].map(lambda d: ranges[d][1])
    parts = []
    for dim, part in out.groupby("dimension", sort=False):
        lo, hi = ranges[dim]
        parts.append(_t_interval(part["n"], part["mean"], part["sd"], ci, lo, hi))
    out = out.join(pd.concat(parts))
    out = out.join(_percent(out))
    company = long.groupby("dimension")["score"].mean()
    company_fav = _percent(long.groupby("dimension")[["fav", "neu", "unf"]].sum())["pct_favourable"]
    by_district = long.groupby(["district", "dimension"])
    district_mean = by_district["score"].mean()
    district_fav = _percent(by_district[["fav", "neu", "unf"]].sum())["pct_favourable"]
    out["benchmark"] = out["dimension"].map(company)
    out["benchmark_favourable"] = out["dimension"].map(company_fav)
    out["district"] = out["branch_id"].map(district)
    keys = list(zip(out["district"], out["dimension"]))
    out["district_benchmark"] = [district_mean.get(key, np.nan) for key in keys]
    out["district_favourable"] = [district_fav.get(key, np.nan) for key in keys]
    out["gap"] = out["benchmark"] - out["mean"]
    out["covers_benchmark"] = (out["ci_low"] <= out["benchmark"]) & (out["benchmark"] <= out["ci_high"])
    return out[PROFILE_COLUMNS].reset_index(drop=True)


def district_profiles(staff: pd.DataFrame, items: pd.DataFrame, instrument: Instrument, dimensions: list[str], *,
                      group: str, respondent: str, district: pd.Series, k: int, importance: pd.Series,
                      ci: float = 0.95) -> pd.DataFrame:
    """Per district and dimension, pooled over its shown branches: the district's profile and priorities.

    What a small branch's report shows as "the district's staff survey", and what a district
    report ranks. Columns: district, dimension, n, n_branches, mean, sd, ci_low, ci_high,
    ci_clipped, benchmark (company, over shown branches), gap (benchmark − mean),
    covers_benchmark, pct_favourable, pct_neutral, pct_unfavourable, benchmark_favourable,
    importance, priority (importance × max(gap, 0)), rank (1 = first priority in the district).

    Parameters
    ----------
    staff, items, instrument, dimensions, group, respondent, district, k, ci : as in :func:`dimension_profiles`.
    importance : dimension -> importance (share of R²), for the priorities.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.improvement.examples import example_branches
    >>> instrument, items, staff, district = example_branches()  # 12 staff answering TS and CO, two branches
    >>> out = district_profiles(staff, items, instrument, ["TS", "CO"], group="branch_id", respondent="staff_id",
    ...                         district=district, k=5, importance=pd.Series({"TS": 0.6, "CO": 0.4}))
    >>> print(out[["district", "dimension", "n", "n_branches", "mean", "rank"]].round(2).to_string(index=False))
    district dimension  n  n_branches  mean  rank
          D1        CO 12           2  3.52     1
          D1        TS 12           2  3.50     2
    """
    long = _dimension_long(staff, items, instrument, dimensions, group=group, respondent=respondent, k=k)
    columns = ["district", "dimension", "n", "n_branches", "mean", "sd", "ci_low", "ci_high", "ci_clipped", "benchmark",
               "gap", "covers_benchmark", "pct_favourable", "pct_neutral", "pct_unfavourable", "benchmark_favourable",
               "importance", "priority", "rank"]
    long["district"] = long[group].map(district)
    long = long[long["district"].notna()]
    if long.empty:
        return pd.DataFrame(columns=columns)
    by = long.groupby(["district", "dimension"], observed=True)
    out = by["score"].agg(n="count", mean="mean", sd="std").join(by[group].nunique().rename("n_branches"))
    out = out.join(by[["fav", "neu", "unf"]].sum()).reset_index()
    parts = []
    for dim, part in out.groupby("dimension", sort=False):
        lo, hi = _scale_range(instrument, dim)
        parts.append(_t_interval(part["n"], part["mean"], part["sd"], ci, lo, hi))
    out = out.join(pd.concat(parts)).join(_percent(out))
    company = long.groupby("dimension")["score"].mean()
    out["benchmark"] = out["dimension"].map(company)
    out["benchmark_favourable"] = out["dimension"].map(_percent(long.groupby("dimension")[["fav", "neu", "unf"]].sum())["pct_favourable"])
    out["gap"] = out["benchmark"] - out["mean"]
    out["covers_benchmark"] = (out["ci_low"] <= out["benchmark"]) & (out["benchmark"] <= out["ci_high"])
    out["importance"] = out["dimension"].map(importance).astype(float)
    out["priority"] = out["importance"] * out["gap"].clip(lower=0)
    out["rank"] = out.groupby("district")["priority"].rank(ascending=False, method="first").astype(int)
    return out.sort_values(["district", "rank"])[columns].reset_index(drop=True)
