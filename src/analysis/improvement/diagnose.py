"""The diagnosis tables of a study: what branch, district and overview reports read.

:func:`diagnose_branches` turns the analysis frames into the tables of
:mod:`analysis.improvement` (profiles, item results, priorities, actions, KPI snapshot, summary)
and the open comments (:mod:`analysis.comments`). Pure: frames in, named tables out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis import models
from analysis.comments import COMMENT_THRESHOLD, comment_tables
from analysis.datasets import AnalysisData
from analysis.disclosure import shown_groups
from analysis.improvement.actions import branch_actions, district_actions, kpi_needs, priorities
from analysis.improvement.items import item_labels, item_results
from analysis.improvement.profiles import dimension_profiles, district_profiles
from analysis.improvement.summary import branch_summary, dimension_labels, kpi_snapshot
from analysis.instrument import Instrument


def _need_specs(study, data: AnalysisData, library: dict, k: int, group: str) -> tuple[pd.DataFrame, list[dict]]:
    """The KPI and customer-scale columns that can give actions, with their shown values."""
    frame = data.branches[[group]].copy()
    specs = []
    known = library.get("dimensions", {})
    withheld = _withheld(study, data, k, group)
    for kpi in study.kpis:
        if kpi.actions and kpi.actions in known and kpi.column in data.branches:
            hide = withheld.get(kpi.column)
            hidden = (hide.reindex(data.branches[group]).fillna(True).to_numpy(dtype=bool) if hide is not None
                      else np.zeros(len(frame), dtype=bool))
            value = data.branches[kpi.column].where(~hidden)
            frame[kpi.column] = value
            specs.append({"column": kpi.column, "dimension": kpi.actions, "kind": "kpi", "format": kpi.format,
                          "lower_is_better": kpi.lower_is_better, "benchmark": kpi.benchmark})
    ratings = study.datasets.ratings
    if ratings:
        count = f"{ratings.instrument}_n"
        shown = shown_groups(data.branches[count], k) if count in data.branches else None
        for scale in ratings.mean:
            column = f"{ratings.instrument}_{scale}"
            if scale in known and column in data.branches and column not in frame and shown is not None:
                frame[column] = data.branches[column].where(shown.to_numpy())
                specs.append({"column": column, "dimension": scale, "kind": "customer_survey", "format": "score",
                              "lower_is_better": False, "benchmark": None})
    return frame, specs


def _withheld(study, data: AnalysisData, k: int, group: str) -> dict[str, pd.Series]:
    """KPI column → which branches' values must not be shown (customer-based, too few customers)."""
    ratings = study.datasets.ratings
    count = f"{ratings.instrument}_n" if ratings else None
    if not count or count not in data.branches:
        return {}
    few = ~shown_groups(data.branches.set_index(group)[count], k)  # indexed by branch id
    return {kpi.column: few for kpi in study.kpis if kpi.column.startswith(f"{ratings.instrument}_")}


def _comments(data: AnalysisData, instruments: Mapping[str, Instrument], lexicon: dict | None, *, group: str,
              district: pd.Series, k: int, threshold: int, seed: int, respondents: str) -> dict[str, pd.DataFrame]:
    """Masked comments and themes of every branch with at least ``threshold`` respondents.

    District and company rows pool the comments of those branches only, so no comment of a
    branch below the threshold can be singled out by comparing the levels.
    """
    parts: dict[str, list[pd.DataFrame]] = {"comment_groups": [], "comments": [], "comment_themes": []}
    for inst_id, frame in data.texts.items():
        inst = instruments[inst_id]
        gid = inst.group.column if inst.group else None
        if lexicon is None or gid is None:
            continue
        sizes = frame.groupby(gid, observed=True).size()
        shown = sizes.index[sizes >= threshold]
        for column in inst.free_text:
            if column not in frame:
                continue
            kept = frame[frame[gid].isin(shown)].rename(columns={gid: "branch_id"})
            kept = kept.assign(district=kept["branch_id"].map(district).fillna("—"), company="all",
                               text=kept[column].fillna("").astype(str))
            if kept.empty:
                continue
            tables = comment_tables(kept, text="text", group=["branch_id", "district", "company"], lexicon=lexicon,
                                    survey=inst_id, k_comments=threshold, k=k, seed=seed)
            for name, table in tables.items():
                # staff_survey: the study's respondents (hidden with the branch's staff results)
                parts[name].append(table.assign(survey=inst_id, question=column, staff_survey=inst_id == respondents))
    return {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items() if frames}


def diagnose_branches(study, data: AnalysisData, results: dict[str, pd.DataFrame], instrument: Instrument,
                      library: dict, groups_instrument: Instrument | None = None, *,
                      instruments: Mapping[str, Instrument] | None = None, lexicon: dict | None = None,
                      comment_threshold: int = COMMENT_THRESHOLD) -> dict[str, pd.DataFrame]:
    """Every table the branch, district and overview reports read (see the module docstring).

    ``results`` are the tables analysed so far (the rwg(j) gate of the respondents' survey is
    read from it); ``library`` the action library; ``lexicon`` the comment-theme lexicon (no
    comments without one). Needs a group column, at least two ``dimensions`` (their relative
    weights are the importance) and a ``performance`` variable; without them it returns no table
    and says why in ``data.notes``.
    """
    needs = [what for what, ok in ((f"a group column in '{instrument.id}'", instrument.group is not None),
                                   ("at least two dimensions", len(study.dimensions) >= 2),
                                   ("a performance variable", bool(study.performance))) if not ok]
    if needs:
        listed = " and ".join([", ".join(needs[:-1]), needs[-1]] if len(needs) > 1 else needs)
        data.notes.append("branch diagnosis skipped (profiles, priorities, actions, KPI snapshot; so no branch "
                          f"reports): it needs {listed} in the study")
        return {}
    k = study.min_group_size
    gid = instrument.group.column
    rid = instrument.respondent.column
    dims = list(study.dimensions)
    weights = models.relative_weights(data.staff, y=study.performance, x=dims, n_boot=0, seed=study.seed)
    importance = weights.set_index("term")["rescaled"]
    district = data.branches.set_index(gid)["district"] if "district" in data.branches else pd.Series(dtype=str)
    common = dict(group=gid, respondent=rid, district=district, k=k)
    profiles = dimension_profiles(data.staff, data.items, instrument, dims, **common)
    prioritised = priorities(profiles, importance, results.get(f"{instrument.id}_rwg"))
    districts = district_profiles(data.staff, data.items, instrument, dims, importance=importance, **common)
    values, specs = _need_specs(study, data, library, k, gid)
    needs = kpi_needs(values, specs, group=gid)
    everyone = pd.DataFrame({"branch_id": data.branches[gid],
                             "district": data.branches["district"] if "district" in data.branches else np.nan})
    ratings = study.datasets.ratings
    rating_n = f"{ratings.instrument}_n" if ratings else None
    names = [c for c in ("branch_name", "district", "branch_type") if c in data.branches]
    tables = {
        "dimension_importance": weights,
        "dimension_labels": dimension_labels(instrument, dims),
        "item_labels": item_labels(instrument, dims),
        "branch_profiles": prioritised,
        "branch_items": item_results(data.items, instrument, dims, group=gid, district=district, k=k),
        "district_profiles": districts,
        "district_actions": district_actions(districts, library),
        "branch_needs": needs,
        "branch_actions": branch_actions(prioritised, needs, districts, everyone, library, importance=importance),
        "branch_kpis": kpi_snapshot(data.branches, list(study.kpis), group=gid, district="district",
                                    withheld=_withheld(study, data, k, gid)),
        "branch_summary": branch_summary(data.branches, group=gid, k=k, rating_n=rating_n, name_columns=names,
                                         groups_instrument=groups_instrument),
    }
    tables.update(_comments(data, instruments or {instrument.id: instrument}, lexicon, group=gid,
                            district=district, k=k, threshold=max(comment_threshold, k), seed=study.seed,
                            respondents=instrument.id))
    return tables
