"""One simulated wave, or a follow-up of one: the draws in their order, and the truth behind them.

The steps live beside this module (branches, latent, kpi, responses, flaws, appraisal); this
one calls them in the order of earlier releases, so that a seed gives the same files as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.instrument import Instrument
from analysis.simulate.appraisal import BranchEffects, add_appraisal, simulate_actions
from analysis.simulate.branches import Branches, branch_table, draw_branches
from analysis.simulate.comments import add_comments
from analysis.simulate.flaws import add_careless, add_malformed
from analysis.simulate.kpi import kpi_records, target_completion
from analysis.simulate.latent import customer_latent, staff_latent
from analysis.simulate.responses import (customer_table, item_loadings, population_omega, respondents, scale_items,
                                         staff_table)
from analysis.simulate.structure import WaveStructure, evolve, person_name, phones
from analysis.wave import months_between

#: Last entry of the open comments' seed, ``[seed, follow_up, 3]``: after evolution (1) and actions (2).
COMMENT_STREAM = 3


@dataclass
class SimulatedWave:
    """Raw tables as they will be written, and the truth behind them.

    Attributes
    ----------
    tables : dataset -> raw table (branches, staff, customer, kpi; ratings360, actions_register).
    truth : what generated them, written to ``truth.json`` (arguments, counts, loadings, omega,
        careless and malformed rows, the model ...).
    malformed : one entry per malformed row: dataset, position, column, reason.
    people : every employed person with branch, position, expected completion and latent practices.
    appraisal : the truth of the appraisal files, written to ``truth_appraisal.json``.

    Examples
    --------
    >>> from analysis.simulate.examples import example_wave
    >>> instruments, model, sim = example_wave()
    >>> sorted(sim.tables), sim.truth["counts"]["staff_respondents"], sim.malformed[0]["reason"]
    (['branches', 'customer', 'kpi', 'ratings360', 'staff'], 22, 'out_of_range')
    """

    tables: dict[str, pd.DataFrame]
    truth: dict
    malformed: list[dict] = field(default_factory=list)
    people: pd.DataFrame | None = None  # every employed person with their latent scores (appraisal)
    appraisal: dict = field(default_factory=dict)  # truth of the appraisal files -> truth_appraisal.json


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
    wave : the wave's name, recorded in ``truth.json``.
    branches : number of branches.
    seed : the seed of the base wave. With ``follow_up = 0`` everything is drawn from it (the
        default, unchanged behaviour).
    start_month : first month of the base wave; follow-up ``f`` starts ``f * months`` later.
    months : number of months of a wave.
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
        with known effects, :mod:`analysis.simulate.appraisal`). 360° ratings are added to every
        wave whose model has ``appraisal.ratings``, from their own random stream
        (``default_rng([seed, 360])``, follow-ups ``[seed, follow_up, 360]``), so the other files
        are the same as without them. Open comments (staff suggestions, customer comments,
        :mod:`analysis.simulate.comments`) likewise come from ``default_rng([seed, follow_up, 3])``
        (``follow_up = 0`` for a base wave); the stream is recorded in ``truth['comments']``.

    Examples
    --------
    >>> from analysis.simulate.examples import example_inputs
    >>> instruments, model = example_inputs()
    >>> sim = simulate_wave(instruments, model, wave="w1", branches=4, seed=1)
    >>> sim.truth["months"], sim.truth["counts"]["branches"]
    (['2026-07', '2026-08', '2026-09'], 4)
    >>> later = simulate_wave(instruments, model, wave="w2", branches=4, seed=1, follow_up=1, base_wave="w1", actions=True)
    >>> later.truth["months"][0], later.truth["follow_up"]["stayers_per_step"], "actions_register" in later.tables
    ('2026-10', [22], True)
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
                           shifts=shifts, malformed=malformed, structure=None,
                           comment_seed=[seed, 0, COMMENT_STREAM], **common)
        add_appraisal(sim, model, instruments, np.random.default_rng([seed, 360]))
        sim.truth["arguments"] = arguments
        sim.truth["mean_shifts"] = implied_mean_shifts(model, shifts)
        return sim
    # Reproduce the base wave's structure (draws after it do not matter), then evolve it.
    _, structure = _simulate(np.random.default_rng(seed), instruments, model, start_month=start_month,
                             shifts={}, malformed=False, structure=None,
                             comment_seed=[seed, 0, COMMENT_STREAM], **common)
    base_ids = set(structure.staff_ids)
    staff_per_step = []
    for step in range(1, follow_up + 1):
        structure = evolve(structure, np.random.default_rng([seed, step, 1]), model,
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
                               customer_prefix=f"C{follow_up:02d}", branch_effects=effects,
                               comment_seed=[seed, follow_up, COMMENT_STREAM], **common)
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

    Parameters
    ----------
    model : the generating model.
    shifts : scale code -> latent mean shift (SD units).

    Examples
    --------
    >>> from analysis.simulate import load_model
    >>> shifts = implied_mean_shifts(load_model("surveys/simulation.yml"), {"TD": 0.3})
    >>> shifts["TD"], shifts["EN"], shifts["PK"], shifts["target_completion"]  # PK: 0.35 x 0.3, completion: 0.015 x 0.3
    (0.3, 0.0, 0.105, 0.0045)
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
    comment_seed: list[int],
    customer_prefix: str = "C",
    branch_effects: BranchEffects | None = None,
) -> tuple[SimulatedWave, WaveStructure]:
    """One wave from ``rng``; the structure is drawn (base wave) or taken from ``structure``.

    For a base wave the draws happen in exactly the order of earlier releases, so a seed gives
    the same files as before; open comments come from ``default_rng(comment_seed)`` alone.
    """
    s = structure
    names = model["instruments"]
    staff_i, cust_i = instruments[names["staff"]], instruments[names["customer"]]
    period = months_between(start_month, str(pd.Period(start_month, "M") + months - 1))

    br = draw_branches(rng, model, branches, staff) if s is None else Branches.of(s)
    branch_ids = np.array([f"B{j + 1:04d}" for j in range(branches)])
    responded = rng.binomial(br.staff_count, model["staff_response_rate"])
    st = staff_latent(rng, model, br.staff_count, shifts, s, branch_effects)
    cu = customer_latent(rng, model, branches, customers, shifts, s)
    completion, branch_u = target_completion(rng, model, st, cu.cs_branch, s, branch_effects)
    n_staff = st.branch_of.size
    if s is None:
        staff_ids = np.array([f"S{100000 + i}" for i in range(n_staff)])
        staff_names = np.array([person_name(rng) for _ in range(n_staff)])
        numbers = phones(rng, "138", n_staff)
    else:
        staff_ids, staff_names, numbers = s.staff_ids, s.staff_names, s.phones
    kpi = kpi_records(rng, model, period, st, completion, br.expectation, cu.cs_branch, staff_ids, staff_names, branch_ids)

    loadings = item_loadings(rng, model, (staff_i, cust_i), s)
    resp_mask = respondents(rng, br.staff_count, responded, s)
    staff_items = scale_items(rng, st.scores, staff_i, model, loadings, survey="staff")
    cust_items = scale_items(rng, cu.scores, cust_i, model, loadings, survey="customer")
    staff_frame, demographics = staff_table(rng, staff_ids, staff_names, numbers, branch_ids[st.branch_of], staff_items, resp_mask, s)
    cust_frame = customer_table(rng, model, cu, cust_items, branch_ids, customer_prefix)
    comments = add_comments(staff_frame, cust_frame, pd.DataFrame({p: v[resp_mask] for p, v in st.scores.items()}),
                            pd.DataFrame(cu.scores), np.random.default_rng(comment_seed), model.get("comments"))
    careless_ids = add_careless(rng, model, staff_frame, cust_frame, staff_i, cust_i)

    tables = {"branches": branch_table(br, model, branch_ids), "staff": staff_frame, "customer": cust_frame, "kpi": kpi}
    bad: list[dict] = []
    if malformed:
        tables, bad = add_malformed(rng, tables, period)

    eng = model["engagement"]
    truth = {
        "wave": wave,
        "seed": seed,
        "months": list(period),
        "counts": {"branches": branches, "staff_employed": n_staff, "staff_respondents": int(resp_mask.sum()),
                   "customers": int(cu.branch_of.size), "kpi_records": int(len(kpi))},
        "branches_below_5_respondents": int((responded < 5).sum()),
        "engagement": {"scale": eng["scale"], "effects": eng["effects"], "target_gap": eng["target_gap"], "residual_sd": st.engagement_sd},
        "completion": model["completion"],
        "practice_icc": model["practice_icc"],
        "practice_correlation": model["practice_correlation"],
        "customer_branch_icc": model["customer"]["branch_icc"],
        "shifts": shifts,
        "loadings": loadings,
        "omega": {sc: population_omega([loadings[i] for i in inst.scales[sc].items]) for inst in (staff_i, cust_i) for sc in inst.scales},
        "careless": careless_ids,
        "comments": {"stream": comment_seed, **comments},
        "malformed": bad,
        "model": model,
    }
    people = pd.DataFrame({"staff_id": staff_ids, "branch": st.branch_of, "position": demographics["position"].to_numpy(),
                           "completion": completion, "responded": resp_mask, **{p: st.scores[p] for p in model["practices"]}})
    sim = SimulatedWave(tables=tables, truth=truth, malformed=bad, people=people)
    structure = WaveStructure(
        btype=br.btype, staff_count=br.staff_count, traffic=br.traffic, district=br.district, expectation=br.expectation,
        past_sales=br.past_sales, climate=st.climate, branch_gap=st.branch_gap, cs_branch=cu.cs_branch, branch_u=branch_u,
        staff_ids=staff_ids, staff_names=staff_names, phones=numbers, deviations=st.deviations,
        engagement_residual=st.engagement_residual, competency_residuals=st.competency_residuals, demographics=demographics,
        loadings=loadings, next_id=(s.next_id if s is not None else n_staff),
        stayed=(s.stayed if s is not None else None),
    )
    return sim, structure
