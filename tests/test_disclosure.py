"""No group below k, also not by difference: complementary suppression and a subtraction attack.

The attack takes every figure the results show at several levels (research totals, company,
district, branch) and subtracts the finer shown figures from the coarser ones, the way a reader
with a spreadsheet would. Whatever remains must cover no one or at least k respondents, and a
benchmark must be exactly the mean over the shown branches it claims to cover.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.analyze import response_rates
from analysis.disclosure import shown_groups, shown_members
from analysis.improvement import dimension_profiles

K = 5


def _remainder_ok(n: int | float, k: int = K) -> bool:
    return n == 0 or n >= k


@pytest.mark.parametrize(("sizes", "shown"), [
    ({"a": 9, "b": 7}, {"a": True, "b": True}),                       # nothing hidden
    ({"a": 9, "b": 7, "c": 5, "d": 1}, {"a": True, "b": True, "c": False, "d": False}),  # 1 hidden: +c
    ({"a": 9, "b": 2, "c": 3}, {"a": True, "b": False, "c": False}),  # 2 + 3 hidden = 5: enough
    ({"a": 9, "b": 0}, {"a": True, "b": False}),                      # hidden, but 0 people: a stays shown
    ({"a": 6, "b": 5, "c": 4}, {"a": True, "b": False, "c": False}),  # smallest shown goes first
    ({"a": 5, "b": 4}, {"a": False, "b": False}),                     # nothing can be shown
])
def test_shown_groups_complementary_suppression(sizes, shown):
    out = shown_groups(pd.Series(sizes), K)
    assert out.to_dict() == shown
    hidden = sum(n for g, n in sizes.items() if not out[g])
    assert _remainder_ok(hidden)


def test_shown_members_counts_answers_to_the_named_column():
    data = pd.DataFrame({"g": list("aaaaabbbbbb"), "x": [1.0] * 4 + [np.nan] + [2.0] * 6})
    # on x, branch a has 4 answers (< 5): hidden; b's 6 answers alone would then be the whole remainder?
    # no: the hidden remainder is a's 4 answers (1..k-1), so b is hidden as well
    assert not shown_members(data, "g", K, value="x").any()
    assert shown_members(data, "g", K).all()  # on all rows both have >= 5


def _staff(sizes: dict[str, int], instrument, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Respondents of the given branches: scale scores (TS, CO) and their item answers."""
    rng = np.random.default_rng(seed)
    codes = [*instrument.scales["TS"].items, *instrument.scales["CO"].items]
    rows = [{"staff_id": f"s{b}{i}", "branch_id": b, **{c: int(rng.integers(1, 6)) for c in codes}}
            for b, n in sizes.items() for i in range(n)]
    items = pd.DataFrame(rows)
    staff = items[["staff_id", "branch_id"]].assign(TS=items[list(instrument.scales["TS"].items)].mean(axis=1),
                                                    CO=items[list(instrument.scales["CO"].items)].mean(axis=1))
    return staff, items


def test_one_small_branch_cannot_be_recovered_from_profiles_and_research_totals(instruments):
    sizes = {"B1": 12, "B2": 9, "B3": 6, "B4": 2}   # B4 alone would be recoverable: B3 is hidden too
    staff, items = _staff(sizes, instruments["staff"])
    district = pd.Series({"B1": "D1", "B2": "D1", "B3": "D2", "B4": "D2"})
    profiles = dimension_profiles(staff, items, instruments["staff"], ["TS", "CO"], group="branch_id",
                                  respondent="staff_id", district=district, k=K)
    assert set(profiles["branch_id"]) == {"B1", "B2"}
    for dim, rows in profiles.groupby("dimension"):
        everyone = staff[dim]                        # what a research table (descriptives) shows
        remainder_n = everyone.notna().sum() - rows["n"].sum()
        assert _remainder_ok(remainder_n)
        # the benchmark is the mean over the shown branches exactly, so benchmark x n - shown sums = 0
        shown_sum = (rows["n"] * rows["mean"]).sum()
        assert rows["benchmark"].iloc[0] * rows["n"].sum() == pytest.approx(shown_sum)
    branches = pd.DataFrame({"branch_id": list(sizes), "n_respondents": list(sizes.values()),
                             "staff_count": [14, 10, 8, 3], "district": ["D1", "D1", "D2", "D2"]})
    rates = response_rates(branches, group="branch_id", k=K)
    company = rates[rates["level"] == "company"].iloc[0]
    assert company["respondents"] == rates.loc[rates["level"] == "district", "respondents"].sum() == 21
    assert "D2" not in set(rates["unit"])            # its only branches are hidden
    assert _remainder_ok(sum(sizes.values()) - company["respondents"])


def test_subtraction_attack_on_the_sample_results(sample_results):
    """Every subtraction of shown figures of the sample wave leaves 0 or at least k respondents."""
    info = json.loads((sample_results / "results.json").read_text(encoding="utf-8"))
    k = int(info["parameters"]["min_group_size"])
    read = lambda name: pd.read_parquet(sample_results / f"{name}.parquet")  # noqa: E731
    summary, profiles, rates = read("branch_summary"), read("branch_profiles"), read("response_rates")
    descriptives, sample = read("descriptives"), read("sample")
    shown = summary[summary["staff_results_shown"]]
    assert (shown["n_respondents"] >= k).all() and summary.loc[~summary["staff_results_shown"], "n_respondents"].isna().all()

    # research level − company level: the staff analysed minus the shown branches' respondents
    staff_rows = int(sample.loc[sample["instrument"] == "staff", "rows_accepted"].sum())
    analysed = staff_rows - int(info["excluded"]["careless"])
    assert _remainder_ok(analysed - shown["n_respondents"].sum(), k)
    # company − districts − branches of the response-rate table
    company = rates[rates["level"] == "company"].iloc[0]
    districts = rates[rates["level"] == "district"]
    assert company["respondents"] == districts["respondents"].sum() == shown["n_respondents"].sum()
    for unit, row in districts.set_index("unit").iterrows():
        in_district = shown[shown["district"] == unit]
        assert row["respondents"] == in_district["n_respondents"].sum()
        assert row["branches"] == len(in_district)

    # per dimension: descriptives (everyone) − shown branch profiles; benchmarks = shown means
    by_var = descriptives.set_index("variable")
    for dim, rows in profiles.groupby("dimension"):
        assert _remainder_ok(int(by_var.loc[dim, "n"]) - int(rows["n"].sum()), k), dim
        pooled = (rows["n"] * rows["mean"]).sum() / rows["n"].sum()
        assert rows["benchmark"].iloc[0] == pytest.approx(pooled, rel=1e-12), dim
        for district, part in rows.groupby("district"):
            pooled = (part["n"] * part["mean"]).sum() / part["n"].sum()
            assert part["district_benchmark"].iloc[0] == pytest.approx(pooled, rel=1e-12), (dim, district)

    # the analysis data that leave the results folder carry no hidden branch's survey figures
    data = pd.read_parquet(sample_results.parent / "data" / "analysis_branches.parquet")
    hidden = data[~data["branch_id"].isin(shown["branch_id"])]
    assert len(hidden) > 0 and hidden[["n_respondents", "TS", "EN"]].isna().all().all()
    customers = data["customer_n"]
    assert (customers.dropna() >= k).all()


# --- every subtraction of shown counts, table by table ----------------------------------------

def _figures(results):
    """Shown counts of the sample results as {(table, measure): {(level, unit): n}}; level is
    company, district or branch. Each table's levels count the same people the same way, so a
    reader subtracts within a table (across tables the profiles/descriptives test above applies)."""
    read = lambda name: pd.read_parquet(results / f"{name}.parquet")  # noqa: E731
    out: dict = {}

    def add(table, measure, level, unit, n):
        out.setdefault((table, measure), {})[(level, str(unit))] = int(n)

    for row in read("response_rates").itertuples():
        add("response_rates", "respondents", row.level, row.unit, row.respondents)
    for row in read("comment_groups").itertuples():
        add("comment_groups", (row.survey, row.question), {"branch_id": "branch"}.get(row.level, row.level), row.group, row.n)
    descriptives = read("descriptives").set_index("variable")["n"]
    for row in read("district_profiles").itertuples():
        add("profiles", row.dimension, "district", row.district, row.n)
    for row in read("branch_profiles").itertuples():
        add("profiles", row.dimension, "branch", row.branch_id, row.n)
        add("profiles", row.dimension, "company", "all", descriptives[row.dimension])
    for row in read("appraisal_self_other").itertuples():
        if row.level in ("company", "group"):
            add("appraisal_self_other", "self_other", {"group": "branch"}.get(row.level, row.level), row.unit, row.n)
    return out


def test_every_subtraction_of_shown_counts_leaves_zero_or_k(sample_results):
    """A coarser figure minus any shown finer figures inside it: 0 or at least k people remain.

    Minus all of them is the smallest remainder that is not a shown figure itself (each shown
    figure is >= k); it is tried for company − districts, company − branches, district − its
    branches, and every single pair of nested figures.
    """
    k = int(json.loads((sample_results / "results.json").read_text(encoding="utf-8"))["parameters"]["min_group_size"])
    summary = pd.read_parquet(sample_results / "branch_summary.parquet")
    district_of = dict(zip(summary["branch_id"].astype(str), summary["district"].astype(str)))
    figures = _figures(sample_results)
    assert {t for t, _ in figures} == {"response_rates", "comment_groups", "profiles", "appraisal_self_other"}
    tried = 0
    for (table, measure), shown in figures.items():
        assert all(n >= k for (level, _), n in shown.items() if level != "company"), (table, measure)
        company = shown.get(("company", "all"))
        districts = {u: n for (level, u), n in shown.items() if level == "district"}
        branches = {u: n for (level, u), n in shown.items() if level == "branch"}
        for coarse, parts in ((company, districts), (company, branches)):
            if coarse is not None and parts:
                assert _remainder_ok(coarse - sum(parts.values()), k), (table, measure)
                tried += 1 + len(parts)
        for district, n in districts.items():
            inside = [m for b, m in branches.items() if district_of.get(b) == district]
            if inside:
                assert _remainder_ok(n - sum(inside), k), (table, measure, district)
                assert all(_remainder_ok(n - m, k) for m in inside), (table, measure, district)
                tried += 1 + len(inside)
    assert tried > 500
