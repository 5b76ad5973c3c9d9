"""Simulated target completion and the monthly KPI records of a BSS export.

The completion rate ``Y_ij = β0 + β_EN EN_ij + Σ c_k P_kij + β_g g_ij + β_cs CS_j + u_j + ε_ij``;
each month adds noise around it, and sales = assigned target × completion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.simulate.appraisal import BranchEffects
from analysis.simulate.latent import StaffLatent
from analysis.simulate.structure import WaveStructure


def target_completion(rng: np.random.Generator, model: dict, staff: StaffLatent, cs_branch: np.ndarray,
                      s: WaveStructure | None, branch_effects: BranchEffects | None) -> tuple[np.ndarray, np.ndarray]:
    """Each staff member's expected completion rate, and the branch part ``u_j`` (drawn or from ``s``).

    Parameters
    ----------
    rng : the random generator.
    model : the generating model (``completion``).
    staff : the staff's latent scores.
    cs_branch : each branch's part of customer satisfaction.
    s : the structure ``u_j`` comes from, or None to draw it (a base wave).
    branch_effects : the adopted actions' completion shifts, or None.

    Examples
    --------
    >>> from analysis.simulate.examples import example_draws
    >>> rng, model, br, st, cu = example_draws()
    >>> completion, branch_u = target_completion(rng, model, st, cu.cs_branch, None, None)
    >>> completion[:3].round(2).tolist(), branch_u.round(3).tolist()
    ([1.1, 1.09, 0.87], [0.006, 0.024, -0.036])
    """
    c = model["completion"]
    branch_u = rng.normal(0, c["branch_sd"], cs_branch.size) if s is None else s.branch_u
    completion = (
        c["intercept"]
        + sum(w * staff.scores[v] for v, w in c["effects"].items())
        + c["target_gap"] * staff.gap
        + c["customer_satisfaction"] * cs_branch[staff.branch_of]
        + branch_u[staff.branch_of]
        + rng.normal(0, c["staff_sd"], staff.branch_of.size)
        + (0.0 if branch_effects is None else branch_effects.completion[staff.branch_of])
    )
    return completion, branch_u


def kpi_records(rng: np.random.Generator, model: dict, period: list[str], staff: StaffLatent, completion: np.ndarray,
                expectation: np.ndarray, cs_branch: np.ndarray, staff_ids: np.ndarray, staff_names: np.ndarray,
                branch_ids: np.ndarray) -> pd.DataFrame:
    """One record per staff member and month: target, sales, product counts, activity, complaints.

    Parameters
    ----------
    rng : the random generator.
    model : the generating model (``completion``, ``activity``).
    period : the months ``YYYY-MM``.
    staff : the staff's latent scores (branch, target gap, the practice that drives outbound calls).
    completion : each staff member's expected completion rate (:func:`target_completion`).
    expectation : each branch's objective monthly sales expectation per staff member.
    cs_branch : each branch's part of customer satisfaction (fewer complaints where it is high).
    staff_ids, staff_names : each staff member's id and name.
    branch_ids : each branch's id.

    Examples
    --------
    >>> from analysis.simulate.examples import example_draws
    >>> rng, model, br, st, cu = example_draws()
    >>> completion, _ = target_completion(rng, model, st, cu.cs_branch, None, None)
    >>> ids = np.array([f"S{i}" for i in range(st.branch_of.size)])
    >>> kpi = kpi_records(rng, model, ["2026-07", "2026-08"], st, completion, br.expectation, cu.cs_branch, ids, ids,
    ...                   np.array(["B1", "B2", "B3"]))
    >>> len(kpi), kpi.columns[3:6].tolist()
    (50, ['month', 'assigned_target', 'sales_revenue'])
    """
    c, act = model["completion"], model["activity"]
    branch_of = staff.branch_of
    n_staff = branch_of.size
    target_month = expectation[branch_of] * np.exp(staff.gap)
    rows = []
    for month in period:
        rate = np.clip(completion + rng.normal(0, c["month_sd"], n_staff), 0.05, None)
        sales = np.round(target_month * rate, 2)
        days = rng.integers(20, 27, n_staff)
        calls = rng.poisson(days * act["calls_per_day"] * np.exp(act["calls_effect"] * staff.scores[act["calls_practice"]]))
        rows.append(pd.DataFrame({
            "staff_id": staff_ids, "name": staff_names, "branch_id": branch_ids[branch_of], "month": month,
            "assigned_target": np.round(target_month, 0), "sales_revenue": sales,
            "new_subscriptions": rng.poisson(sales / 2500), "broadband": rng.poisson(sales / 9000),
            "handsets": rng.poisson(sales / 6000), "value_added": rng.poisson(sales / 4000),
            "work_days": days, "outbound_calls": calls,
            "outbound_conversions": rng.binomial(calls, act["conversion_rate"]),
            "complaints": rng.poisson(0.3 * np.exp(-0.4 * cs_branch[branch_of])),
            "sales_expense": np.round(sales * rng.uniform(0.02, 0.06, n_staff), 2),
        }))
    return pd.concat(rows, ignore_index=True)
