"""Item-level results of each shown branch, with the item wording, and the branch's top items.

Managers act on items, not on scale codes: "CO3得分" means nothing without "厅经理会在现场及时
纠正我的销售话术". Each shown branch gets, per item of the study's dimensions: n, mean, %
favourable / neutral / unfavourable and the company's % favourable (over shown branches), and
the items that stand out: its top strengths (most above the company in % favourable) and top
opportunities (most below), the convention of Culture Amp and Qualtrics EX reports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.disclosure import shown_members
from analysis.improvement.favourable import favourable_codes
from analysis.instrument import Instrument

ITEM_COLUMNS = ["branch_id", "dimension", "item", "n", "mean", "pct_favourable", "pct_neutral", "pct_unfavourable",
                "benchmark_mean", "benchmark_favourable", "district_favourable", "difference_favourable",
                "strength_rank", "opportunity_rank"]


def item_labels(instrument: Instrument, dimensions: list[str]) -> pd.DataFrame:
    """The wording of every item of the dimensions: item, dimension, text_zh, text_en, reverse.

    Parameters
    ----------
    instrument : the survey's codebook.
    dimensions : scale codes.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> labels = item_labels(load_instrument("surveys/staff.yml"), ["TS"])
    >>> labels.loc[0, "item"], labels.loc[0, "text_en"]
    ('TS1', "Our branch's sales targets are broken down to each individual")
    """
    return pd.DataFrame([
        {"item": code, "dimension": dim, "text_zh": instrument.items[code].text.zh,
         "text_en": instrument.items[code].text.en, "reverse": instrument.items[code].reverse}
        for dim in dimensions for code in instrument.scales[dim].items
    ], columns=["item", "dimension", "text_zh", "text_en", "reverse"])


def item_results(items: pd.DataFrame, instrument: Instrument, dimensions: list[str], *, group: str,
                 district: pd.Series, k: int, top: int = 3) -> pd.DataFrame:
    """Per shown branch and item: n, mean, % favourable, the benchmarks and the branch's top items.

    Parameters
    ----------
    items : keyed item answers of the analysed respondents, with ``group``.
    instrument, dimensions : the codebook and the study's dimensions (their items are reported).
    district : branch id → district.
    k : minimum reporting size; a branch is shown on an item when enough of its staff answered it.
    top : how many strengths and opportunities to rank per branch.

    Returns
    -------
    DataFrame with :data:`ITEM_COLUMNS`. ``difference_favourable`` = branch − company % favourable
    (percentage points); ``strength_rank`` 1..top for the items most above the company (positive
    differences only), ``opportunity_rank`` 1..top for those most below (negative only), else NA.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.improvement.examples import example_branches
    >>> instrument, items, staff, district = example_branches()  # 12 staff answering TS and CO, two branches
    >>> out = item_results(items, instrument, ["TS"], group="branch_id", district=district, k=5, top=1)
    >>> print(out[["branch_id", "item", "pct_favourable", "difference_favourable", "strength_rank",
    ...            "opportunity_rank"]].round(1).to_string(index=False))
    branch_id item  pct_favourable  difference_favourable  strength_rank  opportunity_rank
           b1  TS1            50.0                    0.0           <NA>              <NA>
           b2  TS1            50.0                    0.0           <NA>              <NA>
           b1  TS2            83.3                   25.0              1              <NA>
           b2  TS2            33.3                  -25.0           <NA>                 1
           b1  TS3            66.7                    8.3           <NA>              <NA>
           b2  TS3            50.0                   -8.3           <NA>              <NA>
           b1  TS4            50.0                   -8.3           <NA>                 1
           b2  TS4            66.7                    8.3              1              <NA>
    """
    rows = []
    for dim in dimensions:
        for code in instrument.scales[dim].items:
            if code not in items:
                continue
            answered = items.loc[items[code].notna(), [group, code]]
            kept = answered[shown_members(answered, group, k)]
            if kept.empty:
                continue
            coded = favourable_codes(kept[[code]], instrument)[code]
            frame = pd.DataFrame({"branch_id": kept[group].to_numpy(), "value": kept[code].to_numpy(dtype=float),
                                  "fav": (coded > 0).to_numpy(), "neu": (coded == 0).to_numpy(),
                                  "unf": (coded < 0).to_numpy()})
            per = frame.groupby("branch_id", observed=True).agg(n=("value", "size"), mean=("value", "mean"),
                                                                 fav=("fav", "mean"), neu=("neu", "mean"),
                                                                 unf=("unf", "mean")).reset_index()
            frame["district"] = frame["branch_id"].map(district)
            by_district = frame.groupby("district")["fav"].mean()
            per["dimension"], per["item"] = dim, code
            per["benchmark_mean"] = frame["value"].mean()
            per["benchmark_favourable"] = 100 * frame["fav"].mean()
            per["district_favourable"] = 100 * per["branch_id"].map(district).map(by_district)
            rows.append(per)
    if not rows:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    out["pct_favourable"], out["pct_neutral"], out["pct_unfavourable"] = 100 * out["fav"], 100 * out["neu"], 100 * out["unf"]
    out["difference_favourable"] = out["pct_favourable"] - out["benchmark_favourable"]
    out["strength_rank"] = _rank(out, out["difference_favourable"].where(out["difference_favourable"] > 0), top)
    out["opportunity_rank"] = _rank(out, (-out["difference_favourable"]).where(out["difference_favourable"] < 0), top)
    return out[ITEM_COLUMNS].reset_index(drop=True)


def _rank(frame: pd.DataFrame, score: pd.Series, top: int) -> pd.Series:
    """Rank 1..top of ``score`` within each branch (largest first, ties by item order); NA elsewhere."""
    order = pd.Series(np.arange(len(frame)), index=frame.index)
    ranked = (pd.DataFrame({"branch": frame["branch_id"], "score": score, "order": order})
              .dropna(subset=["score"]).sort_values(["branch", "score", "order"], ascending=[True, False, True]))
    ranked["rank"] = ranked.groupby("branch").cumcount() + 1
    ranked = ranked[ranked["rank"] <= top]
    return ranked["rank"].reindex(frame.index).astype("Int64")
