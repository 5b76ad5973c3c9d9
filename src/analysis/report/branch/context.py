"""One branch's rows of the result tables, read once per process and cut down to what may be shown.

The tables of a results folder are read on first use and kept, split by branch, for the life
of the process (:func:`results_tables`), keyed by the folder and the modification time of its
``results.json``: a worker that renders hundreds of reports reads every table once, and a new
analysis (a new ``results.json``) is read afresh. The cache only holds what is in the files.

Privacy (minimum reporting size k from ``results.json``): when the branch's staff results are
not shown (``branch_summary.staff_results_shown``), its context holds no staff-survey table at
all (profile, items, staff-survey actions, staff comments and trends are dropped here, not only
hidden), and the district's profile stands in, labelled as the district's. Customer-survey rows
follow the same rule on the customer count. Counts below k never leave this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.privacy import reporting_k
from analysis.result_files import compare_dir, result_index, table_path

from ..fragments import is_missing
from ..texts import check_lang
from .text import STAGES, TEXT

# Tables a branch report reads (the report stage fingerprints exactly these to decide on reruns).
TABLES = ("branch_summary", "branch_kpis", "branch_profiles", "branch_items", "item_labels", "district_profiles",
          "branch_actions", "dimension_labels", "dimension_importance", "target_gaps", "branch_trends",
          "comment_groups", "comment_themes", "comments", "appraisal_branch_scorecard", "appraisal_branch_actions",
          "appraisal_scheme", "district_actions", "response_rates")
_BY_BRANCH = ("branch_kpis", "branch_profiles", "branch_items", "branch_actions", "target_gaps", "branch_trends",
              "appraisal_branch_scorecard", "appraisal_branch_actions")
_CACHE: dict[tuple[str, int], dict[str, Any]] = {}


def _read(results: Path, name: str, folders: dict[str, Path] | None = None) -> pd.DataFrame | None:
    """A table of the results folder, or of the compare stage's folder beside it (``branch_trends``)."""
    if folders is None:
        folders = result_index(results)[1] if (results / "results.json").is_file() else {}
    path = table_path(folders, results, name)
    if path is None:
        return None
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def results_tables(results_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The report tables of a results folder, split by branch where they hold branches (cached)."""
    results = Path(results_dir).resolve()
    meta = results / "results.json"
    if not meta.is_file():
        raise FileNotFoundError(f"{results}: results.json is missing; run 'hallperf analyze' first")
    compared = compare_dir(results) / "results.json"
    key = (str(results), meta.stat().st_mtime_ns, compared.stat().st_mtime_ns if compared.is_file() else None)
    if key not in _CACHE:
        _CACHE.clear()  # one results folder at a time is all a report batch needs
        info, folders = result_index(results)
        loaded: dict[str, Any] = {"provenance": info}
        for name in TABLES:
            frame = _read(results, name, folders)
            if frame is not None and name in _BY_BRANCH and "branch_id" in frame:
                loaded[name] = {str(b): part.reset_index(drop=True)
                                for b, part in frame.groupby(frame["branch_id"].astype(str), sort=False)}
                loaded[f"{name}__columns"] = list(frame.columns)
            else:
                loaded[name] = frame
        labels, items = loaded.get("dimension_labels"), loaded.get("item_labels")
        loaded["label_maps"] = {  # dimension/item → texts, looked up for every row of every report
            "dimension": {str(r["dimension"]): r for r in labels.to_dict("records")} if labels is not None else {},
            "order": {str(d): i for i, d in enumerate(labels["dimension"])} if labels is not None else {},
            "item": {str(r["item"]): r for r in items.to_dict("records")} if items is not None else {},
        }
        _CACHE[key] = loaded
    return _CACHE[key]


def _rows(tables: dict[str, Any], name: str, branch: str) -> pd.DataFrame:
    parts = tables.get(name)
    if parts is None:
        return pd.DataFrame()
    return parts.get(branch, pd.DataFrame(columns=tables.get(f"{name}__columns", [])))


def _count(value: Any) -> int | None:
    return None if is_missing(value) else int(value)


@dataclass(frozen=True)
class BranchContext:
    """Everything one branch report may show, already reduced to the branch's own rows."""

    wave: str
    branch_id: str
    lang: str
    k: int
    info: dict[str, Any]
    staff_shown: bool
    customer_shown: bool | None
    kpis: pd.DataFrame
    profiles: pd.DataFrame
    items: pd.DataFrame
    actions: pd.DataFrame
    district: pd.DataFrame
    labels: pd.DataFrame
    item_labels: pd.DataFrame
    importance: pd.DataFrame
    target: dict[str, Any] | None
    trends: pd.DataFrame
    comments: dict[str, pd.DataFrame]
    comment_threshold: int
    scorecard: pd.DataFrame
    effects: pd.DataFrame
    provenance: dict[str, Any] = field(repr=False)
    label_maps: dict[str, dict] = field(repr=False, default_factory=dict)

    @property
    def name(self) -> str:
        value = self.info.get("branch_name")
        return self.branch_id if is_missing(value) else str(value)

    def label(self, dimension: str) -> str:
        value = self.label_maps["dimension"].get(str(dimension), {}).get(f"label_{self.lang}")
        return str(dimension) if is_missing(value) else str(value)

    def stage(self, dimension: str) -> str:
        value = self.label_maps["dimension"].get(str(dimension), {}).get("stage")
        return "" if is_missing(value) or not value else STAGES[self.lang].get(str(value), str(value))

    def item_text(self, item: str) -> str:
        value = self.label_maps["item"].get(str(item), {}).get(f"text_{self.lang}")
        return str(item) if is_missing(value) else str(value)

    def dimension_order(self) -> dict[str, int]:
        return self.label_maps["order"]


def load_branch(results_dir: str | os.PathLike[str], branch_id: str, *, wave: str | None = None,
                lang: str = "zh", previous_results_dir: str | os.PathLike[str] | None = None) -> BranchContext:
    """One branch's context from a results folder (``output/<wave>/results``).

    Raises
    ------
    FileNotFoundError
        No results.json, or no ``branch_summary`` (run ``hallperf analyze``).
    KeyError
        ``branch_id`` is not in ``branch_summary``.
    ValueError
        ``wave`` differs from the results' wave, or ``lang`` is not supported.
    """
    check_lang(lang)
    tables = results_tables(results_dir)
    provenance = tables["provenance"]
    if wave is not None and provenance.get("wave") not in (None, wave):
        raise ValueError(f"{results_dir}: results are of wave {provenance.get('wave')!r}, not {wave!r}")
    summary = tables.get("branch_summary")
    if summary is None:
        raise FileNotFoundError(f"{results_dir}: result table 'branch_summary' is missing; rerun 'hallperf analyze'")
    branch = str(branch_id)
    row = summary[summary["branch_id"].astype(str) == branch]
    if row.empty:
        raise KeyError(f"branch {branch!r} is not in the results ({results_dir}); check the id")
    k = reporting_k(provenance)
    info = row.iloc[0].to_dict()
    staff_shown = bool(info.get("staff_results_shown", False)) and (_count(info.get("n_respondents")) or 0) >= k
    customer_shown = None
    if "customer_results_shown" in info:
        customer_shown = bool(info["customer_results_shown"]) and (_count(info.get("n_customers")) or 0) >= k
    if not staff_shown:  # counts below k never travel further than this function
        info["n_respondents"] = info["response_rate"] = None
    if customer_shown is False:
        info["n_customers"] = None

    actions = _rows(tables, "branch_actions", branch)
    if not staff_shown and "source" in actions:
        actions = actions[actions["source"] != "staff_survey"].reset_index(drop=True)
    trends = _rows(tables, "branch_trends", branch)
    if trends.empty and previous_results_dir not in (None, "", "None"):
        previous = _read(Path(previous_results_dir), "branch_trends")
        if previous is not None and "branch_id" in previous:
            trends = previous[previous["branch_id"].astype(str) == branch].reset_index(drop=True)
    if not trends.empty:
        source = trends["source"].astype("string").fillna("staff") if "source" in trends else "staff"
        trends = trends.assign(source=source)
        drop = ["staff"] * (not staff_shown) + ["customer"] * (customer_shown is False)
        trends = trends[~trends["source"].isin(drop)]
        for column in ("n", "previous_n"):
            if column in trends:
                trends = trends[trends[column].isna() | (trends[column] >= k)]
        trends = trends.reset_index(drop=True)
    district = tables.get("district_profiles")
    district_rows = pd.DataFrame()
    if district is not None and not staff_shown and not is_missing(info.get("district")):
        district_rows = district[district["district"].astype(str) == str(info["district"])].reset_index(drop=True)
    gaps = _rows(tables, "target_gaps", branch)
    scorecard = _rows(tables, "appraisal_branch_scorecard", branch) if staff_shown else pd.DataFrame()
    scheme = tables.get("appraisal_scheme")
    if not scorecard.empty and scheme is not None and f"label_{lang}" in scheme:
        labels = {**dict(zip(scheme["indicator"], scheme[f"label_{lang}"])), "composite": TEXT[lang]["team_composite"]}
        scorecard = scorecard.assign(label=scorecard["indicator"].map(labels))
    comments = _comments(tables, branch, staff_shown, customer_shown)
    empty = pd.DataFrame()
    return BranchContext(
        wave=str(provenance.get("wave") or wave or ""), branch_id=branch, lang=lang, k=k, info=info,
        staff_shown=staff_shown, customer_shown=customer_shown, kpis=_rows(tables, "branch_kpis", branch),
        profiles=_rows(tables, "branch_profiles", branch) if staff_shown else empty,
        items=_rows(tables, "branch_items", branch) if staff_shown else empty, actions=actions,
        district=district_rows, labels=tables.get("dimension_labels") if tables.get("dimension_labels") is not None else empty,
        item_labels=tables.get("item_labels") if tables.get("item_labels") is not None else empty,
        importance=tables.get("dimension_importance") if tables.get("dimension_importance") is not None else empty,
        target=gaps.iloc[0].to_dict() if not gaps.empty else None, trends=trends, comments=comments,
        comment_threshold=int((provenance.get("parameters") or {}).get("comment_threshold", 10)),
        scorecard=scorecard,
        effects=_rows(tables, "appraisal_branch_actions", branch), provenance=provenance,
        label_maps=tables["label_maps"])


def _comments(tables: dict[str, Any], branch: str, staff_shown: bool, customer_shown: bool | None) -> dict[str, pd.DataFrame]:
    """The branch's comment themes and comments per survey (only groups the analysis let through)."""
    out: dict[str, pd.DataFrame] = {}
    for name in ("comment_themes", "comments"):
        frame = tables.get(name)
        if frame is None or frame.empty:
            continue
        mine = frame[(frame["level"] == "branch_id") & (frame["group"].astype(str) == branch)]
        staff = mine["staff_survey"].astype(bool)
        keep = (staff & staff_shown) | (~staff & (customer_shown is not False))
        out[name] = mine[keep].reset_index(drop=True)
    return out
