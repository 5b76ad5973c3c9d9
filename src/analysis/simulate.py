"""Synthetic survey waves whose truth is known.

The generating model is read from a YAML file (``surveys/simulation.yml`` for the bundled
study), so no scale code is written here. The structure, with all latent variables standardised:

* branch *j* of a type (staff, foot traffic), in a district; management-practice climate
  ``B_j ~ N(0, R)`` and staff deviations ``W_ij ~ N(0, R)`` (``R`` equicorrelated), mixed as
  ``P_ij = sqrt(icc)·B_j + sqrt(1 − icc)·W_ij``;
* ``g_ij = log(assigned target / objective expectation)`` with a branch and a staff part;
* engagement ``EN_ij = Σ a_k P_kij + γ g_ij + e_ij`` with ``Var(e)`` set so ``Var(EN) = 1``;
* competencies from training and engagement;
* the target completion rate ``Y_ij = β0 + β_EN EN_ij + Σ c_k P_kij + β_g g_ij + β_cs CS_j + u_j + ε_ij``,
  with monthly noise around it; sales = target × completion;
* customers' overall satisfaction with a branch part ``CS_j`` and their scales loading on it;
* items ``y* = λ·η + sqrt(1 − λ²)·ε`` cut at fixed thresholds into 1–5 (reversed items coded back),
  so each scale's reliability of the latent responses is known: ω = (Σλ)² / ((Σλ)² + Σ(1 − λ²)).

Realistic flaws are added and recorded in ``truth.json``: missing answers, straight-liners,
too-fast respondents, and malformed rows of every kind ingest must quarantine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.instrument import Instrument
from analysis.simulate_appraisal import BranchEffects, add_appraisal, simulate_actions
from analysis.wave import months_between

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕鹏辉建国志文斌")


@dataclass
class SimulatedWave:
    """Raw tables as they will be written, and the truth behind them."""

    tables: dict[str, pd.DataFrame]
    truth: dict
    malformed: list[dict] = field(default_factory=list)
    people: pd.DataFrame | None = None  # every employed person with their latent scores (simulate_appraisal)
    appraisal: dict = field(default_factory=dict)  # truth of the appraisal files -> truth_appraisal.json


def _header(instrument: Instrument, column: str, chinese: bool) -> str:
    """The first Chinese alias of a column when ``chinese``, else its code (as real exports mix)."""
    if not chinese:
        return column
    aliases = instrument.aliases().get(column, [column])
    return aliases[1] if len(aliases) > 1 else column


def _equicorrelated(rng: np.random.Generator, n: int, k: int, rho: float) -> np.ndarray:
    common = rng.standard_normal((n, 1))
    return np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.standard_normal((n, k))


def _items(rng, latent: np.ndarray, instrument: Instrument, scale: str, cfg: dict, loadings: dict) -> dict[str, np.ndarray]:
    """Ordinal item responses for one scale from its latent score (raw coding, reversed items flipped)."""
    tau = np.asarray(cfg["thresholds"])
    out = {}
    for code in instrument.scales[scale].items:
        item = instrument.items[code]
        lam = loadings[code]
        ystar = lam * latent + np.sqrt(1 - lam**2) * rng.standard_normal(latent.shape[0])
        span = item.response.max - item.response.min
        # Other response formats get the same range of thresholds, evenly spaced.
        cuts = tau if span == len(tau) else np.linspace(tau[0], tau[-1], span)
        keyed = item.response.min + (ystar[:, None] > cuts[None, :]).sum(axis=1)
        out[code] = item.response.min + item.response.max - keyed if item.reverse else keyed
    return out


def _phones(rng: np.random.Generator, prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, rng.integers(10**7, 10**8, n).astype(str))


def population_omega(loadings: list[float]) -> float:
    """ω of standardised congeneric items: (Σλ)² / ((Σλ)² + Σ(1 − λ²)) (McDonald 1999)."""
    lam = np.asarray(loadings)
    return float(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()))


@dataclass
class WaveStructure:
    """What persists from one wave to the next: branches, staff and their stable latent parts.

    Arrays indexed by branch have ``branches`` rows; arrays indexed by staff member have one row
    per employed staff member, in branch order (``branch_of``). A follow-up keeps the branch
    arrays, and replaces leavers' rows by new hires in the same branch (so sizes stay equal).
    """

    btype: np.ndarray
    staff_count: np.ndarray
    traffic: np.ndarray
    district: np.ndarray
    expectation: np.ndarray
    past_sales: np.ndarray
    climate: np.ndarray          # branches x practices: latent branch management climate
    branch_gap: np.ndarray
    cs_branch: np.ndarray        # branch part of customers' overall satisfaction
    branch_u: np.ndarray         # branch part of target completion
    staff_ids: np.ndarray
    staff_names: np.ndarray
    phones: np.ndarray
    deviations: np.ndarray       # staff x practices: a person's deviation from the branch climate
    engagement_residual: np.ndarray
    competency_residuals: np.ndarray   # staff x competency scales
    demographics: pd.DataFrame   # gender, age, education, position, employment, tenure_years
    loadings: dict[str, float]
    next_id: int                 # staff ids S{100000 + i} are handed out in order
    stayed: np.ndarray | None = None   # follow-ups: True where the person was employed the wave before


def simulate_wave(
    instruments: dict[str, Instrument],
    model: dict,
    *,
    wave: str,
    branches: int,
    seed: int,
    start_month: str = "2026-07",
    months: int = 3,
    shifts: dict[str, float] | None = None,
    malformed: bool = True,
    staff: int | None = None,
    customers: int | None = None,
    follow_up: int = 0,
    base_wave: str | None = None,
    turnover: float | None = None,
    actions: bool = False,
) -> SimulatedWave:
    """Simulate one wave (see the module docstring for the model), or a follow-up of one.

    Parameters
    ----------
    instruments : codebooks by id; ``model['instruments']`` names which is which.
    model : the generating model (``surveys/simulation.yml``).
    seed : the seed of the base wave. With ``follow_up = 0`` everything is drawn from it (the
        default, unchanged behaviour).
    start_month : first month of the base wave; follow-up ``f`` starts ``f * months`` later.
    shifts : latent mean changes, e.g. ``{"TD": 0.3}`` (SD units of the base wave). Practice
        shifts do not move engagement (its equation uses the unshifted practices); shifts of
        engagement and TD carry into the competencies through their effects, and every shift
        carries into the KPI through the completion equation. ``truth['mean_shifts']`` records
        the total shift of every scale's latent mean.
    malformed : add the malformed rows ingest must quarantine.
    staff, customers : approximate numbers of staff and customer respondents (the model's
        branch sizes and customers per branch are scaled to reach them).
    follow_up : 0 for a base wave; ``f >= 1`` for the ``f``-th follow-up of the base wave
        simulated with the same ``seed``, ``branches``, ``staff``, ``customers`` and
        ``start_month``. The structure (branches, staff, branch climate, item loadings) is the
        base wave's, drawn from ``seed``; each follow-up step replaces a ``turnover`` share of
        staff by new hires (new ids) and lets stayers' individual deviations drift (correlation
        ``model['follow_up']['staff_stability']`` with the wave before), drawn from
        ``default_rng([seed, step, 1])``; responses, KPI records and customers are new, drawn
        from ``default_rng([seed, follow_up])``.
    base_wave : name of the base wave, recorded in ``truth.json`` of a follow-up.
    turnover : share of staff replaced per follow-up step (default ``model['follow_up']['turnover']``).
    actions : follow-ups only: branches adopt the model's ``appraisal.actions`` (an action register
        with known effects, :mod:`analysis.simulate_appraisal`). 360° ratings are added to every
        wave whose model has ``appraisal.ratings``, from their own random stream
        (``default_rng([seed, 360])``, follow-ups ``[seed, follow_up, 360]``), so the other files
        are the same as without them.
    """
    if not isinstance(follow_up, (int, np.integer)) or follow_up < 0:
        raise ValueError(f"simulate_wave: follow_up={follow_up!r}; use 0 for a base wave or 1, 2, ... for a follow-up")
    fu_cfg = {"turnover": 0.12, "staff_stability": 0.5, **(model.get("follow_up") or {})}
    turnover = fu_cfg["turnover"] if turnover is None else turnover
    if not 0 <= turnover < 1:
        raise ValueError(f"simulate_wave: turnover={turnover}; give the share of staff replaced per wave, in [0, 1)")
    shifts = dict(shifts or {})
    arguments = {"branches": branches, "seed": seed, "start_month": start_month, "months": months,
                 "staff": staff, "customers": customers}
    common = dict(wave=wave, seed=seed, branches=branches, months=months, staff=staff, customers=customers)
    if follow_up == 0:
        sim, _ = _simulate(np.random.default_rng(seed), instruments, model, start_month=start_month,
                           shifts=shifts, malformed=malformed, structure=None, **common)
        add_appraisal(sim, model, instruments, np.random.default_rng([seed, 360]))
        sim.truth["arguments"] = arguments
        sim.truth["mean_shifts"] = implied_mean_shifts(model, shifts)
        return sim
    # Reproduce the base wave's structure (draws after it do not matter), then evolve it.
    _, structure = _simulate(np.random.default_rng(seed), instruments, model, start_month=start_month,
                             shifts={}, malformed=False, structure=None, **common)
    base_ids = set(structure.staff_ids)
    staff_per_step = []
    for step in range(1, follow_up + 1):
        structure = _evolve(structure, np.random.default_rng([seed, step, 1]), model,
                            turnover=turnover, stability=fu_cfg["staff_stability"], months=months)
        staff_per_step.append(int(structure.stayed.sum()))
    start = str(pd.Period(start_month, "M") + months * follow_up)
    effects = None
    if actions:
        effects = simulate_actions(np.random.default_rng([seed, follow_up, 2]), structure.climate, model["practices"],
                                   np.array([f"B{j + 1:04d}" for j in range(branches)]), start,
                                   (model.get("appraisal") or {}).get("actions") or [], model["completion"]["effects"])
    sim, structure = _simulate(np.random.default_rng([seed, follow_up]), instruments, model, start_month=start,
                               shifts=shifts, malformed=malformed, structure=structure,
                               customer_prefix=f"C{follow_up:02d}", branch_effects=effects, **common)
    add_appraisal(sim, model, instruments, np.random.default_rng([seed, follow_up, 360]), effects)
    respondents = set(sim.tables["staff"]["staff_id"])
    sim.truth.update({
        "arguments": arguments,
        "mean_shifts": implied_mean_shifts(model, shifts),
        "follow_up": {
            "base_wave": base_wave, "step": follow_up, "structure_seed": seed, "response_seed": [seed, follow_up],
            "turnover": turnover, "staff_stability": fu_cfg["staff_stability"],
            "stayers_per_step": staff_per_step,
            "staff_employed_in_base": int(len(base_ids & set(structure.staff_ids))),
            "respondents_employed_in_base": int(len(base_ids & respondents)),
        },
    })
    return sim


def implied_mean_shifts(model: dict, shifts: dict[str, float]) -> dict[str, float]:
    """Total change of every latent scale mean implied by ``shifts`` through the model.

    Practices, engagement and customer scales move by their own shift; a competency moves by
    its own shift plus ``Σ effect · shift`` of its sources (TD, EN); ``target_completion`` by
    ``Σ effect · shift`` of the completion equation's scales.
    """
    out = {code: float(shifts.get(code, 0.0)) for code in model["practices"]}
    out[model["engagement"]["scale"]] = float(shifts.get(model["engagement"]["scale"], 0.0))
    comp = model["competencies"]
    for code in comp["scales"]:
        out[code] = float(shifts.get(code, 0.0) + sum(w * out.get(src, 0.0) for src, w in comp["effects"].items()))
    for code in model["customer"]["scales"]:
        out[code] = float(shifts.get(code, 0.0))
    out["target_completion"] = float(sum(w * out.get(v, 0.0) for v, w in model["completion"]["effects"].items()))
    return out


def _evolve(s: WaveStructure, rng: np.random.Generator, model: dict, *, turnover: float, stability: float, months: int) -> WaveStructure:
    """One wave later: a ``turnover`` share of staff replaced by new hires, stayers' deviations drift."""
    n = s.staff_ids.size
    k = s.deviations.shape[1]
    rho = model["practice_correlation"]
    leave = rng.random(n) < turnover
    hires = int(leave.sum())
    keep, fresh = np.sqrt(stability), np.sqrt(1 - stability)

    def drift(old: np.ndarray, new_stay: np.ndarray, new_hire: np.ndarray) -> np.ndarray:
        mask = leave if old.ndim == 1 else leave[:, None]
        return np.where(mask, new_hire, keep * old + fresh * new_stay)

    deviations = drift(s.deviations, _equicorrelated(rng, n, k, rho), _equicorrelated(rng, n, k, rho))
    e = drift(s.engagement_residual, rng.standard_normal(n), rng.standard_normal(n))
    comp = drift(s.competency_residuals, rng.standard_normal(s.competency_residuals.shape), rng.standard_normal(s.competency_residuals.shape))
    ids = s.staff_ids.copy()
    ids[leave] = [f"S{100000 + s.next_id + i}" for i in range(hires)]
    names = s.staff_names.copy()
    names[leave] = [_name(rng) for _ in range(hires)]
    phones = s.phones.copy()
    phones[leave] = _phones(rng, "138", hires)
    demo = s.demographics.copy()
    years = months / 12
    demo["age"] = demo["age"] + (rng.random(n) < years).astype(int)
    demo["tenure_years"] = np.round(demo["tenure_years"] + years, 2)
    new = _demographics(rng, hires)
    new["tenure_years"] = np.round(rng.uniform(0, years, hires), 2)
    new["position"] = "1"
    for col in new.columns:
        values = demo[col].to_numpy().copy()
        values[leave] = new[col].to_numpy()
        demo[col] = values
    return replace(
        s, staff_ids=ids, staff_names=names, phones=phones, deviations=deviations, engagement_residual=e,
        competency_residuals=comp, demographics=demo, next_id=s.next_id + hires, stayed=~leave,
        past_sales=s.past_sales * rng.lognormal(0, 0.05, s.past_sales.size),
    )


def _name(rng: np.random.Generator) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN, rng.integers(1, 3)))


def _demographics(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "gender": rng.choice(["1", "2"], n, p=[0.4, 0.6]),
        "age": np.clip(np.round(rng.normal(31, 7, n)), 19, 60).astype(int),
        "education": rng.choice(["1", "2", "3", "4"], n, p=[0.15, 0.45, 0.37, 0.03]),
        "position": rng.choice(["1", "2", "3", "4"], n, p=[0.6, 0.2, 0.12, 0.08]),
        "employment": rng.choice(["1", "2"], n, p=[0.55, 0.45]),
    })


def _simulate(
    rng: np.random.Generator,
    instruments: dict[str, Instrument],
    model: dict,
    *,
    wave: str,
    seed: int | list[int],
    branches: int,
    start_month: str,
    months: int,
    shifts: dict[str, float],
    malformed: bool,
    staff: int | None,
    customers: int | None,
    structure: WaveStructure | None,
    customer_prefix: str = "C",
    branch_effects: BranchEffects | None = None,
) -> tuple[SimulatedWave, WaveStructure]:
    """One wave from ``rng``; the structure is drawn (base wave) or taken from ``structure``.

    For a base wave the draws happen in exactly the order of earlier releases, so a seed gives
    the same files as before.
    """
    s = structure
    names = model["instruments"]
    staff_i, cust_i = instruments[names["staff"]], instruments[names["customer"]]
    period = months_between(start_month, str(pd.Period(start_month, "M") + months - 1))

    # --- branches ------------------------------------------------------------------------
    types = model["branch_types"]
    type_names = list(types)
    if s is None:
        share = np.array([types[t]["share"] for t in type_names])
        btype = rng.choice(len(type_names), size=branches, p=share / share.sum())
        staff_mean = np.array([types[t]["staff"] for t in type_names])[btype]
        if staff:
            staff_mean = staff_mean * staff / (staff_mean.sum() * model["staff_response_rate"])
        staff_count = 1 + rng.poisson(np.maximum(staff_mean - 1, 0))
        traffic = np.array([types[t]["traffic"] for t in type_names])[btype] * rng.lognormal(0, 0.3, branches)
        district = rng.integers(1, model["districts"] + 1, branches)
        # Objective monthly expectation per staff member (CNY): what foot traffic supports.
        expectation = 40_000 * (traffic / 4500) ** 0.6 / np.sqrt(staff_count / 8) * rng.lognormal(0, 0.1, branches)
        past_sales = expectation * staff_count * 3 * rng.lognormal(0, 0.05, branches) / 10_000
    else:
        btype, staff_count, traffic, district = s.btype, s.staff_count, s.traffic, s.district
        expectation, past_sales = s.expectation, s.past_sales
    branch_ids = np.array([f"B{j + 1:04d}" for j in range(branches)])

    # --- staff ---------------------------------------------------------------------------
    practices = model["practices"]
    k = len(practices)
    icc, rho = model["practice_icc"], model["practice_correlation"]
    responded = rng.binomial(staff_count, model["staff_response_rate"])
    n_staff = int(staff_count.sum())
    branch_of = np.repeat(np.arange(branches), staff_count)
    if s is None:
        climate = _equicorrelated(rng, branches, k, rho)
        deviations = _equicorrelated(rng, n_staff, k, rho)
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

    # --- customers -----------------------------------------------------------------------
    cust = model["customer"]
    cs_branch = rng.standard_normal(branches) if s is None else s.cs_branch
    n_cust = rng.poisson(customers / branches if customers else model["customers_per_branch"], branches)
    cust_branch = np.repeat(np.arange(branches), n_cust)
    overall = np.sqrt(cust["branch_icc"]) * cs_branch[cust_branch] + np.sqrt(1 - cust["branch_icc"]) * rng.standard_normal(cust_branch.size)
    gl = cust["general_loading"]
    cust_latent = {s_: gl * overall + np.sqrt(1 - gl**2) * rng.standard_normal(overall.size) + shifts.get(s_, 0.0) for s_ in cust["scales"]}

    # --- completion and KPI --------------------------------------------------------------
    c = model["completion"]
    branch_u = rng.normal(0, c["branch_sd"], branches) if s is None else s.branch_u
    completion = (
        c["intercept"]
        + sum(w * latent[v] for v, w in c["effects"].items())
        + c["target_gap"] * gap
        + c["customer_satisfaction"] * cs_branch[branch_of]
        + branch_u[branch_of]
        + rng.normal(0, c["staff_sd"], n_staff)
        + (0.0 if branch_effects is None else branch_effects.completion[branch_of])
    )
    if s is None:
        staff_ids = np.array([f"S{100000 + i}" for i in range(n_staff)])
        staff_names = np.array([_name(rng) for _ in range(n_staff)])
        phones = _phones(rng, "138", n_staff)
    else:
        staff_ids, staff_names, phones = s.staff_ids, s.staff_names, s.phones
    target_month = expectation[branch_of] * np.exp(gap)
    act = model["activity"]
    kpi_rows = []
    for month in period:
        rate = np.clip(completion + rng.normal(0, c["month_sd"], n_staff), 0.05, None)
        sales = np.round(target_month * rate, 2)
        days = rng.integers(20, 27, n_staff)
        calls = rng.poisson(days * act["calls_per_day"] * np.exp(act["calls_effect"] * latent[act["calls_practice"]]))
        kpi_rows.append(pd.DataFrame({
            "staff_id": staff_ids, "name": staff_names, "branch_id": branch_ids[branch_of], "month": month,
            "assigned_target": np.round(target_month, 0), "sales_revenue": sales,
            "new_subscriptions": rng.poisson(sales / 2500), "broadband": rng.poisson(sales / 9000),
            "handsets": rng.poisson(sales / 6000), "value_added": rng.poisson(sales / 4000),
            "work_days": days, "outbound_calls": calls,
            "outbound_conversions": rng.binomial(calls, act["conversion_rate"]),
            "complaints": rng.poisson(0.3 * np.exp(-0.4 * cs_branch[branch_of])),
            "sales_expense": np.round(sales * rng.uniform(0.02, 0.06, n_staff), 2),
        }))
    kpi = pd.concat(kpi_rows, ignore_index=True)

    # --- item responses ------------------------------------------------------------------
    if s is None:
        lo, hi = model["items"]["loadings"]
        loadings = {code: float(rng.uniform(lo, hi)) for inst in (staff_i, cust_i) for code in inst.items}
    else:
        missing = [code for inst in (staff_i, cust_i) for code in inst.items if code not in s.loadings]
        if missing:
            raise ValueError(f"simulate_wave: item(s) {missing} are not in the base wave's instruments; "
                             "simulate a follow-up with the base wave's codebooks")
        loadings = s.loadings
    resp_mask = np.zeros(n_staff, dtype=bool)
    first = np.concatenate([[0], np.cumsum(staff_count)[:-1]])
    if s is None:
        for j in range(branches):
            resp_mask[first[j] : first[j] + responded[j]] = True
    else:  # who answers this time is drawn anew within each branch
        priority = rng.random(n_staff)
        for j in range(branches):
            members = np.arange(first[j], first[j] + staff_count[j])
            resp_mask[members[np.argsort(priority[members])[: responded[j]]]] = True

    staff_cols: dict[str, np.ndarray] = {}
    for scale in staff_i.scales:
        if scale not in latent:
            raise ValueError(f"simulation model: staff scale '{scale}' has no latent variable; add it to simulation.yml")
        staff_cols.update(_items(rng, latent[scale], staff_i, scale, model["items"], loadings))
    cust_cols: dict[str, np.ndarray] = {}
    for scale in cust_i.scales:
        cust_cols.update(_items(rng, cust_latent[scale], cust_i, scale, model["items"], loadings))

    staff = pd.DataFrame({
        "staff_id": staff_ids, "name": staff_names, "phone": phones, "branch_id": branch_ids[branch_of],
        "duration_seconds": np.round(rng.lognormal(np.log(480), 0.35, n_staff)).astype(int),
    })
    if s is None:
        demographics = _demographics(rng, n_staff)
        demographics["tenure_years"] = np.round(np.clip(rng.uniform(0, 1, n_staff) * (demographics["age"] - 19), 0, None), 1)
    else:
        demographics = s.demographics
    for col in demographics.columns:
        staff[col] = demographics[col].to_numpy()
    for code, values in staff_cols.items():
        staff[code] = values
    staff["suggestion"] = np.where(rng.random(n_staff) < 0.1, "希望加强产品培训", "")
    staff = staff[resp_mask].reset_index(drop=True)

    customers = pd.DataFrame({
        "customer_id": [f"{customer_prefix}{1000000 + i}" for i in range(cust_branch.size)],
        "phone": _phones(rng, "139", cust_branch.size),
        "branch_id": branch_ids[cust_branch],
        "duration_seconds": np.round(rng.lognormal(np.log(150), 0.3, cust_branch.size)).astype(int),
    })
    for code, values in cust_cols.items():
        customers[code] = values
    rec = cust["recommend"]
    customers["recommend"] = np.clip(np.round(rec["intercept"] + rec["slope"] * overall + rng.normal(0, rec["sd"], overall.size)), 0, 10).astype(int)
    comp_cfg = cust["complained"]
    p_complain = 1 / (1 + np.exp(-(comp_cfg["intercept"] + comp_cfg["slope"] * overall)))
    customers["complained"] = (rng.random(overall.size) < p_complain).astype(int).astype(str)
    customers["visit_purpose"] = rng.choice(["1", "2", "3", "4"], overall.size)
    customers["gender"] = rng.choice(["1", "2"], overall.size)
    customers["age_group"] = rng.choice(["1", "2", "3", "4"], overall.size, p=[0.3, 0.35, 0.25, 0.1])

    branch_table = pd.DataFrame({
        "branch_id": branch_ids,
        "branch_name": [f"{d}区{i}号营业厅" for d, i in zip(district, range(1, branches + 1))],
        "district": [f"D{d:02d}" for d in district],
        "branch_type": np.array(type_names)[btype],
        "staff_count": staff_count,
        "foot_traffic": np.round(traffic),
        "past_sales": np.round(past_sales, 2),
    })

    # --- flaws ---------------------------------------------------------------------------
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

    tables = {"branches": branch_table, "staff": staff, "customer": customers, "kpi": kpi}
    bad: list[dict] = []
    if malformed:
        tables, bad = _add_malformed(rng, tables, instruments, names, period)

    truth = {
        "wave": wave,
        "seed": seed,
        "months": list(period),
        "counts": {"branches": branches, "staff_employed": n_staff, "staff_respondents": int(resp_mask.sum()),
                   "customers": int(cust_branch.size), "kpi_records": int(len(kpi))},
        "branches_below_5_respondents": int((responded < 5).sum()),
        "engagement": {"scale": eng["scale"], "effects": eng["effects"], "target_gap": eng["target_gap"], "residual_sd": float(e_sd)},
        "completion": c,
        "practice_icc": icc,
        "practice_correlation": rho,
        "customer_branch_icc": cust["branch_icc"],
        "shifts": shifts,
        "loadings": loadings,
        "omega": {sc: population_omega([loadings[i] for i in inst.scales[sc].items]) for inst in (staff_i, cust_i) for sc in inst.scales},
        "careless": careless_ids,
        "malformed": bad,
        "model": model,
    }
    people = pd.DataFrame({"staff_id": staff_ids, "branch": branch_of, "position": demographics["position"].to_numpy(),
                           "completion": completion, "responded": resp_mask, **{p: latent[p] for p in practices}})
    sim = SimulatedWave(tables=tables, truth=truth, malformed=bad, people=people)
    structure = WaveStructure(
        btype=btype, staff_count=staff_count, traffic=traffic, district=district, expectation=expectation,
        past_sales=past_sales, climate=climate, branch_gap=branch_gap, cs_branch=cs_branch, branch_u=branch_u,
        staff_ids=staff_ids, staff_names=staff_names, phones=phones, deviations=deviations,
        engagement_residual=e_resid, competency_residuals=comp_resid, demographics=demographics,
        loadings=loadings, next_id=(s.next_id if s is not None else n_staff),
        stayed=(s.stayed if s is not None else None),
    )
    return sim, structure


def _add_malformed(rng, tables, instruments, names, period):
    """Append corrupted copies of valid rows, one flaw each, and return where they are."""
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


def load_model(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def write_wave(sim: SimulatedWave, instruments: dict[str, Instrument], names: dict[str, str], out: Path, *, excel_customers: bool = False) -> list[Path]:
    """Write the raw exports as a survey platform and a BSS system would, plus wave.yml and truth.json.

    Staff survey: UTF-8 with BOM (Excel's "CSV UTF-8"); KPI: GB18030 (GBK-compatible, as Chinese
    BSS exports); customers: XLSX when ``excel_customers`` else UTF-8 CSV; branches: UTF-8 CSV.
    Headers are the Chinese aliases for ids and fields and the codes for items, as real exports mix.
    """
    out.mkdir(parents=True, exist_ok=True)
    plan = [
        ("branches", "branches.csv", "utf-8"),
        ("staff", "staff_survey.csv", "utf-8-sig"),
        ("customer", "customer_survey.xlsx" if excel_customers else "customer_survey.csv", "utf-8"),
        ("kpi", "kpi.csv", "gb18030"),
        *((d, f"{d}.csv", "utf-8-sig") for d in ("ratings360", "actions_register")
          if d in sim.tables and names.get(d) in instruments),
    ]
    written = []
    files = []
    for dataset, filename, encoding in plan:
        inst = instruments[names[dataset]]
        frame = sim.tables[dataset].copy()
        frame.columns = [_header(inst, c, chinese=c not in inst.items) for c in frame.columns]
        path = out / filename
        if filename.endswith(".xlsx"):
            frame.to_excel(path, index=False)
        else:
            frame.to_csv(path, index=False, encoding=encoding, lineterminator="\n")
        header_rows = 1
        for entry in sim.truth["malformed"]:
            if entry["dataset"] == dataset:
                entry["file"] = filename
                entry["row"] = entry["position"] + header_rows + 1
        written.append(path)
        files.append({"path": filename, "instrument": names[dataset]})
    spec = {"wave": sim.truth["wave"], "period": {"start": sim.truth["months"][0], "end": sim.truth["months"][-1]}, "files": files}
    (out / "wave.yml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(sim.truth, ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8")
    if sim.appraisal:
        (out / "truth_appraisal.json").write_text(json.dumps(sim.appraisal, ensure_ascii=False, indent=1, default=_json_default),
                                                  encoding="utf-8")
    return written


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
