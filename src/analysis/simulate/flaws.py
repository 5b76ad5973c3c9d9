"""Realistic flaws of a simulated wave, recorded in its truth.

Missing answers, straight-liners and too-fast respondents (which screening should flag), and
malformed rows of every kind ingest must quarantine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.instrument import Instrument


def add_careless(rng: np.random.Generator, model: dict, staff: pd.DataFrame, customers: pd.DataFrame,
                 staff_i: Instrument, cust_i: Instrument) -> dict[str, list[str]]:
    """Blank a ``missing_rate`` of answers, make straight-liners and too-fast staff (in place); their ids.

    Parameters
    ----------
    rng : the random generator.
    model : the generating model (``items.missing_rate``; ``careless``: the shares of straight-liners
        and too-fast staff).
    staff, customers : the survey exports (changed in place).
    staff_i, cust_i : their codebooks.

    Returns
    -------
    ``straightliner`` and ``too_fast`` -> the staff ids.

    Examples
    --------
    >>> from analysis.simulate.examples import example_wave
    >>> instruments, model, sim = example_wave(malformed=False)
    >>> model = {**model, "careless": {"straightliners": 0.1, "too_fast": 0.1}}
    >>> flagged = add_careless(np.random.default_rng(0), model, sim.tables["staff"], sim.tables["customer"],
    ...                        instruments["staff"], instruments["customer"])
    >>> {kind: len(ids) for kind, ids in flagged.items()}
    {'straightliner': 2, 'too_fast': 2}
    """
    miss = model["items"]["missing_rate"]
    careless_ids: dict[str, list[str]] = {"straightliner": [], "too_fast": []}
    for frame, inst in ((staff, staff_i), (customers, cust_i)):
        codes = list(inst.items)
        block = frame[codes].to_numpy(dtype=float)
        block[rng.random(block.shape) < miss] = np.nan
        frame[codes] = pd.DataFrame(block, columns=codes, index=frame.index).astype("Int64")
    careless = model["careless"]
    idx = rng.choice(len(staff), int(round(careless["straightliners"] * len(staff))), replace=False)
    codes = list(staff_i.items)
    staff.loc[idx, codes] = np.repeat(rng.integers(3, 6, idx.size)[:, None], len(codes), axis=1)
    careless_ids["straightliner"] = staff.loc[idx, "staff_id"].tolist()
    rest = np.setdiff1d(np.arange(len(staff)), idx)
    fast = rng.choice(rest, int(round(careless["too_fast"] * len(staff))), replace=False)
    staff.loc[fast, "duration_seconds"] = rng.integers(40, 100, fast.size)
    careless_ids["too_fast"] = staff.loc[fast, "staff_id"].tolist()
    return careless_ids


def add_malformed(rng: np.random.Generator, tables: dict[str, pd.DataFrame], period: list[str]) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """Append corrupted copies of valid rows, one flaw each, and return where they are.

    Parameters
    ----------
    rng : the random generator.
    tables : the ``branches``, ``staff``, ``customer`` and ``kpi`` tables.
    period : the wave's months (a record dated two months after the last is outside the wave).

    Returns
    -------
    (tables, bad): the tables with the corrupted rows appended, and one entry per row (dataset,
    position, column, reason).

    Examples
    --------
    >>> from analysis.simulate.examples import example_wave
    >>> instruments, model, sim = example_wave(malformed=False)
    >>> tables, bad = add_malformed(np.random.default_rng(0), sim.tables, sim.truth["months"])
    >>> len(tables["staff"]) - len(sim.tables["staff"]), bad[0]
    (7, {'dataset': 'staff', 'position': 22, 'column': 'TS1', 'reason': 'out_of_range'})
    """
    staff, customers, branch_table, kpi = (tables[k] for k in ("staff", "customer", "branches", "kpi"))
    bad: list[dict] = []
    extra_month = str(pd.Period(period[-1], "M") + 2)

    def corrupt(frame: pd.DataFrame, dataset: str, changes: list[tuple[str, object, str]], id_col: str | None, new_id) -> pd.DataFrame:
        rows = []
        for n, (column, value, reason) in enumerate(changes):
            row = frame.iloc[int(rng.integers(0, len(frame)))].copy()
            if id_col and reason != "duplicate_respondent" and reason != "duplicate_record":
                row[id_col] = new_id(n)
            if column is not None:
                row[column] = value
            rows.append(row)
            bad.append({"dataset": dataset, "position": len(frame) + n, "column": column or id_col, "reason": reason})
        return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)

    staff = corrupt(staff, "staff", [
        ("TS1", 7, "out_of_range"), ("CO2", "很多", "not_a_number"), ("branch_id", "", "missing_required"),
        ("branch_id", "B9999", "unknown_group"), ("gender", "3", "not_allowed"), ("age", 12, "out_of_range"),
        (None, None, "duplicate_respondent"),
    ], "staff_id", lambda n: f"S9{n:05d}")
    customers = corrupt(customers, "customer", [
        ("SAT1", 0, "out_of_range"), ("recommend", 11, "out_of_range"), ("branch_id", "B9999", "unknown_group"),
        ("complained", "maybe", "not_allowed"), (None, None, "duplicate_respondent"),
    ], "customer_id", lambda n: f"C9{n:06d}")
    kpi = corrupt(kpi, "kpi", [
        ("sales_revenue", -1200, "negative_value"), ("assigned_target", 0, "not_positive"),
        ("month", extra_month, "month_outside_wave"), ("month", "2026-13", "bad_month"),
        ("outbound_calls", "n/a", "not_a_number"), ("branch_id", "B9999", "unknown_group"),
        (None, None, "duplicate_record"),
    ], "staff_id", lambda n: f"S8{n:05d}")
    branch_table = corrupt(branch_table, "branches", [
        ("branch_name", "", "missing_required"), ("foot_traffic", -5, "negative_value"), (None, None, "duplicate_record"),
    ], "branch_id", lambda n: f"B8{n:03d}")
    return {"branches": branch_table, "staff": staff, "customer": customers, "kpi": kpi}, bad
