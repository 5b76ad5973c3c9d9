"""Latent scores of a simulated wave: staff practices, engagement and competencies; customers' satisfaction.

All latent variables are standardised. Management-practice climate ``B_j ~ N(0, R)`` and staff
deviations ``W_ij ~ N(0, R)`` (``R`` equicorrelated) mix as ``P_ij = sqrt(icc)·B_j + sqrt(1 − icc)·W_ij``;
``g_ij = log(assigned target / objective expectation)`` has a branch and a staff part; engagement
``EN_ij = Σ a_k P_kij + γ g_ij + e_ij`` with ``Var(e)`` set so ``Var(EN) = 1``; competencies follow
from training and engagement; customers' scales load on their overall satisfaction, which has a
branch part ``CS_j``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.simulate.appraisal import BranchEffects
from analysis.simulate.structure import WaveStructure, equicorrelated


@dataclass(frozen=True)
class StaffLatent:
    """Every employed staff member's latent scores (``scores`` by scale code) and their parts.

    Attributes
    ----------
    branch_of : each staff member's branch index.
    scores : scale code -> every staff member's latent score (practices, engagement, competencies).
    climate : branches x practices: the branch climate ``B_j``.
    deviations : staff x practices: each person's deviation ``W_ij`` from it.
    branch_gap : each branch's part of the log target gap.
    gap : each person's ``log(assigned target / expectation)``.
    engagement_sd : the residual SD of engagement.
    engagement_residual, competency_residuals : the standardised residuals of engagement and of
        the competencies (staff x competency scales).

    Examples
    --------
    >>> from analysis.simulate.examples import example_draws
    >>> rng, model, br, st, cu = example_draws()
    >>> sorted(st.scores)[:5], st.branch_of.size, round(st.engagement_sd, 3)
    (['CM', 'CO', 'EF', 'EN', 'FB'], 25, 0.879)
    """

    branch_of: np.ndarray        # branch index of each staff member
    scores: dict[str, np.ndarray]
    climate: np.ndarray
    deviations: np.ndarray
    branch_gap: np.ndarray
    gap: np.ndarray              # log(assigned target / expectation)
    engagement_sd: float         # residual SD of engagement
    engagement_residual: np.ndarray
    competency_residuals: np.ndarray


@dataclass(frozen=True)
class CustomerLatent:
    """Every customer's branch, overall satisfaction and scale scores (``scores`` by scale code).

    Attributes
    ----------
    cs_branch : each branch's part ``CS_j`` of overall satisfaction.
    branch_of : each customer's branch index.
    overall : each customer's overall satisfaction.
    scores : scale code -> every customer's latent score.

    Examples
    --------
    >>> from analysis.simulate.examples import example_draws
    >>> rng, model, br, st, cu = example_draws()
    >>> np.bincount(cu.branch_of).tolist(), sorted(cu.scores)
    ([33, 36, 30], ['ATT', 'KNO', 'RES', 'SAT', 'WAI'])
    """

    cs_branch: np.ndarray        # branch part of overall satisfaction
    branch_of: np.ndarray
    overall: np.ndarray
    scores: dict[str, np.ndarray]


def staff_latent(rng: np.random.Generator, model: dict, staff_count: np.ndarray, shifts: dict[str, float],
                 s: WaveStructure | None, branch_effects: BranchEffects | None) -> StaffLatent:
    """Practices, target gap, engagement and competencies; stable parts drawn (base wave) or from ``s``.

    Parameters
    ----------
    rng : the random generator.
    model : the generating model.
    staff_count : employed staff of each branch.
    shifts : scale code -> latent mean shift (SD units).
    s : the structure the stable parts come from, or None to draw them (a base wave).
    branch_effects : the adopted actions' latent shifts, or None.

    Examples
    --------
    >>> from analysis.simulate import load_model
    >>> st = staff_latent(np.random.default_rng(0), load_model("surveys/simulation.yml"), np.array([2, 3]), {"TS": 0.5},
    ...                   None, None)
    >>> st.branch_of.tolist(), st.scores["TS"].round(2).tolist()
    ([0, 0, 1, 1, 1], [1.25, 1.18, 1.19, 2.28, 0.14])
    """
    practices = model["practices"]
    k = len(practices)
    branches = staff_count.size
    icc, rho = model["practice_icc"], model["practice_correlation"]
    n_staff = int(staff_count.sum())
    branch_of = np.repeat(np.arange(branches), staff_count)
    if s is None:
        climate = equicorrelated(rng, branches, k, rho)
        deviations = equicorrelated(rng, n_staff, k, rho)
    else:
        climate, deviations = s.climate, s.deviations
    P = np.sqrt(icc) * climate[branch_of] + np.sqrt(1 - icc) * deviations
    for j, code in enumerate(practices):
        P[:, j] += shifts.get(code, 0.0)
    moved = np.zeros_like(P) if branch_effects is None else branch_effects.latent[branch_of]  # adopted actions
    P += moved
    latent = {code: P[:, j] for j, code in enumerate(practices)}

    gap_cfg = model["target_gap"]
    branch_gap = rng.normal(gap_cfg["branch_mean"], gap_cfg["branch_sd"], branches) if s is None else s.branch_gap
    gap = branch_gap[branch_of] + rng.normal(0, gap_cfg["staff_sd"], n_staff)

    eng = model["engagement"]
    a = np.array([eng["effects"].get(c, 0.0) for c in practices])
    R = np.full((k, k), rho) + (1 - rho) * np.eye(k)
    gap_var = gap_cfg["branch_sd"] ** 2 + gap_cfg["staff_sd"] ** 2
    explained = float(a @ R @ a + eng["target_gap"] ** 2 * gap_var)
    if explained >= 1:
        raise ValueError(f"simulation model: engagement effects explain {explained:.2f} >= 1 of its variance; lower them")
    e_sd = np.sqrt(1 - explained)
    # Engagement follows the unshifted practices: shifts and actions move practices, not engagement.
    en = (P - np.array([shifts.get(c, 0.0) for c in practices]) - moved) @ a
    e_resid = rng.standard_normal(n_staff) if s is None else s.engagement_residual
    en += eng["target_gap"] * (gap - gap_cfg["branch_mean"]) + e_sd * e_resid
    en += shifts.get(eng["scale"], 0.0)
    latent[eng["scale"]] = en

    comp = model["competencies"]
    comp_resid = np.empty((n_staff, len(comp["scales"]))) if s is None else s.competency_residuals
    for c_idx, code in enumerate(comp["scales"]):
        eff = comp["effects"]
        mean_part = sum(w * latent[src] for src, w in eff.items())
        rest = max(1 - float(np.var(mean_part)), 0.1)
        if s is None:
            comp_resid[:, c_idx] = rng.standard_normal(n_staff)
        latent[code] = mean_part + np.sqrt(rest) * comp_resid[:, c_idx] + shifts.get(code, 0.0)
    return StaffLatent(branch_of=branch_of, scores=latent, climate=climate, deviations=deviations, branch_gap=branch_gap,
                       gap=gap, engagement_sd=float(e_sd), engagement_residual=e_resid, competency_residuals=comp_resid)


def customer_latent(rng: np.random.Generator, model: dict, branches: int, customers: int | None,
                    shifts: dict[str, float], s: WaveStructure | None) -> CustomerLatent:
    """Customers per branch (Poisson), their overall satisfaction and the scales loading on it.

    Parameters
    ----------
    rng : the random generator.
    model : the generating model (``customer``, ``customers_per_branch``).
    branches : number of branches.
    customers : expected number of customers in all, or None for the model's ``customers_per_branch``.
    shifts : scale code -> latent mean shift (SD units).
    s : the structure ``CS_j`` comes from, or None to draw it (a base wave).

    Examples
    --------
    >>> from analysis.simulate import load_model
    >>> cu = customer_latent(np.random.default_rng(0), load_model("surveys/simulation.yml"), 2, 10, {}, None)
    >>> cu.branch_of.tolist(), cu.scores["SAT"].shape
    ([0, 1, 1, 1, 1, 1, 1, 1], (8,))
    """
    cust = model["customer"]
    cs_branch = rng.standard_normal(branches) if s is None else s.cs_branch
    n_cust = rng.poisson(customers / branches if customers else model["customers_per_branch"], branches)
    cust_branch = np.repeat(np.arange(branches), n_cust)
    overall = np.sqrt(cust["branch_icc"]) * cs_branch[cust_branch] + np.sqrt(1 - cust["branch_icc"]) * rng.standard_normal(cust_branch.size)
    gl = cust["general_loading"]
    scores = {s_: gl * overall + np.sqrt(1 - gl**2) * rng.standard_normal(overall.size) + shifts.get(s_, 0.0) for s_ in cust["scales"]}
    return CustomerLatent(cs_branch=cs_branch, branch_of=cust_branch, overall=overall, scores=scores)
