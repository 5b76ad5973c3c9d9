"""Synthetic appraisal files with known truth: 360° ratings and an action register.

Called from :func:`analysis.simulate.simulate_wave` (the generating model is the ``appraisal``
section of ``surveys/simulation.yml``); each wave's truth goes to ``truth_appraisal.json``.

360° ratings (``ratings360.csv``). Every employed staff member is rated by the branch's
supervisor (one per branch, id ``M0001`` …), up to ``per_ratee`` peers of the same branch, up to
``per_ratee`` subordinates if the person holds a position listed in ``of_positions``, up to
``per_ratee`` customers (each rates one person) and by themselves; each rating is given with
probability ``response``. With ``z_i`` the person's true performance (the z-score of their
expected target completion, the completion equation of the simulator without its monthly
noise), rater ``r`` of role ``g``:

``impression = mean_g + loading_g · z_i + leniency_(r,g) + u``,  ``u ~ N(0, rating_sd_g²)``,
``item = clip(round(impression + e), 1, 5)``,  ``e ~ N(0, item_sd²)`` per rating item,

with ``leniency_(r,g) ~ N(0, leniency_sd_g²)`` one draw per rater and role. On the mean of the J
items (before rounding), the true variance components of a role are therefore
``var_ratee = loading²``, ``var_rater = leniency_sd²``, ``var_error = rating_sd² + item_sd²/J``.

Action register (``actions_register.csv``, follow-ups simulated with ``actions=True``). For
each action of ``appraisal.actions``, a branch adopts it with probability
``logistic(logit(adoption) + selection · c_jd)``, ``c_jd`` its latent climate on the action's
dimension (weaker branches adopt more often when ``selection < 0``; at most one action per
dimension and branch); it starts in the wave's first month. In adopting branches the
dimension's latent score of every staff member rises by ``effect`` (SD units; like a wave shift
it does not move engagement) and the target completion rate by ``kpi_effect``; the KPI's true
effect adds the completion equation's own effect of the dimension (``effect`` times its
coefficient). Because adoption depends on the time-constant branch climate only, trends are
parallel and a difference in differences is unbiased. The truth also holds each adopting
branch's effect on the observed scale score: the mean over its staff of
``E[score | eta] - E[score | eta - effect]`` with ``E[item | eta] = min + sum_c Phi((lambda eta - tau_c)
/ sqrt(1 - lambda²))`` (the simulator's item model), which is the estimand of a branch-level
difference in differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.instrument import Instrument

__all__ = ["BranchEffects", "add_appraisal", "simulate_actions", "simulate_ratings"]

ROLE_ORDER = ("supervisor", "peer", "subordinate", "customer", "self")


@dataclass(frozen=True)
class BranchEffects:
    """Per-branch latent shifts (branches x practices) and completion shifts of adopted actions.

    Attributes
    ----------
    practices : the practice codes, the columns of ``latent``.
    latent : branches x practices: the shift of the latent score of every staff member of the branch.
    completion : each branch's shift of the target completion rate.
    register : the action register (action_id, branch_id, start_month, note).
    truth : action -> its dimension, true effects, adoption model and adopters.

    Examples
    --------
    >>> effects = simulate_actions(np.random.default_rng(0), np.zeros((3, 1)), ["TS"], np.array(["B1", "B2", "B3"]), "2026-10",
    ...                            [{"action": "TS-1", "dimension": "TS", "effect": 0.5, "adoption": 0.9}], {})
    >>> effects.latent[:, 0].tolist(), effects.completion.tolist(), effects.register["branch_id"].tolist()
    ([0.5, 0.5, 0.5], [0.0, 0.0, 0.0], ['B1', 'B2', 'B3'])
    """

    practices: tuple[str, ...]
    latent: np.ndarray
    completion: np.ndarray
    register: pd.DataFrame
    truth: dict


def simulate_ratings(rng: np.random.Generator, people: pd.DataFrame, branch_ids: np.ndarray, cfg: dict) -> tuple[pd.DataFrame, dict]:
    """360° ratings of every person in ``people`` (columns staff_id, branch, position, completion).

    Returns the ratings table (rater_id, ratee_id, branch_id, rater_role, one column per item)
    and its truth: role parameters, true variance components per role, each ratee's z and each
    (rater, role)'s leniency (keys ``"rater|role"``).

    Parameters
    ----------
    rng : the random generator.
    people : one row per person: staff_id, branch (index), position (code), completion (expected rate).
    branch_ids : each branch's id.
    cfg : the generating model's ``appraisal.ratings``.

    Examples
    --------
    >>> from analysis.simulate import load_model
    >>> people = pd.DataFrame({"staff_id": ["S1", "S2", "S3", "S4"], "branch": [0, 0, 0, 1], "position": ["3", "1", "1", "1"],
    ...                        "completion": [1.1, 0.9, 1.0, 1.2]})
    >>> ratings, truth = simulate_ratings(np.random.default_rng(0), people, np.array(["B1", "B2"]),
    ...                                   load_model("surveys/simulation.yml")["appraisal"]["ratings"])
    >>> ratings["rater_role"].value_counts().to_dict(), truth["variance_components"]["peer"]
    ({'customer': 11, 'peer': 5, 'supervisor': 4, 'self': 3}, {'var_ratee': 0.36, 'var_rater': 0.0625, 'var_error': 0.1725})
    """
    items = list(cfg["items"])
    roles = cfg["roles"]
    unknown = [r for r in roles if r not in ROLE_ORDER]
    if unknown:
        raise ValueError(f"simulation model: appraisal.ratings.roles {unknown} unknown; use {', '.join(ROLE_ORDER)}")
    perf = people["completion"].to_numpy(dtype=float)
    z = (perf - perf.mean()) / perf.std()
    ids = people["staff_id"].to_numpy()
    branch = people["branch"].to_numpy()
    position = people["position"].astype(str).to_numpy()
    leniency: dict[tuple[str, str], float] = {}
    rows: list[tuple[str, int, str, int]] = []  # (rater, ratee index, role, branch)
    customer_no = 0

    def rater(rid: str, role: str) -> str:
        if (rid, role) not in leniency:
            leniency[(rid, role)] = float(rng.normal(0, roles[role].get("leniency_sd", 0.0)))
        return rid

    for j in np.unique(branch):
        members = np.flatnonzero(branch == j)
        for i in members:
            asked = np.zeros(ids.size, dtype=bool)  # one rating per rater and ratee, whatever the role
            for role in (r for r in ROLE_ORDER if r in roles):
                spec = roles[role]
                if role == "supervisor":
                    chosen = [f"M{j + 1:04d}"]
                elif role == "self":
                    chosen = [ids[i]]
                elif role == "customer":
                    chosen = [f"K{customer_no + n:07d}" for n in range(spec["per_ratee"])]
                    customer_no += spec["per_ratee"]
                else:
                    pool = members[(members != i) & ~asked[members]]
                    if role == "subordinate":
                        managers = set(str(p) for p in spec.get("of_positions", ()))
                        if position[i] not in managers:
                            continue
                        pool = pool[~np.isin(position[pool], list(managers))]
                    take = min(spec["per_ratee"], pool.size)
                    picked = rng.choice(pool, take, replace=False) if take else np.array([], dtype=int)
                    asked[picked] = True
                    chosen = list(ids[picked])
                for rid in chosen:
                    if rng.random() < spec.get("response", 1.0):
                        rows.append((rater(rid, role), int(i), role, int(j)))
    n = len(rows)
    role_of = np.array([r[2] for r in rows])
    ratee = np.array([r[1] for r in rows], dtype=int)
    par = {key: np.array([roles[g].get(key, 0.0) for g in role_of]) for key in ("mean", "loading", "rating_sd")}
    lenient = np.array([leniency[(r[0], r[2])] for r in rows])
    impression = par["mean"] + par["loading"] * z[ratee] + lenient + par["rating_sd"] * rng.standard_normal(n)
    table = pd.DataFrame({
        "rater_id": [r[0] for r in rows], "ratee_id": ids[ratee], "branch_id": branch_ids[[r[3] for r in rows]],
        "rater_role": role_of,
    })
    for code in items:
        raw = impression + cfg["item_sd"] * rng.standard_normal(n)
        table[code] = np.clip(np.rint(raw), 1, 5).astype(int)
    components = {
        g: {"var_ratee": spec["loading"] ** 2, "var_rater": spec.get("leniency_sd", 0.0) ** 2,
            "var_error": spec["rating_sd"] ** 2 + cfg["item_sd"] ** 2 / len(items)}
        for g, spec in roles.items()
    }
    truth = {
        "items": items, "item_sd": cfg["item_sd"], "roles": roles, "variance_components": components,
        "performance": "z-score of the expected target completion (completion equation without monthly noise)",
        "performance_z": dict(zip(ids.tolist(), z.round(6).tolist())),
        "leniency": {f"{rid}|{role}": round(v, 6) for (rid, role), v in leniency.items()},
        "n_ratings": n,
    }
    return table, truth


def simulate_actions(
    rng: np.random.Generator, climate: np.ndarray, practices: list[str], branch_ids: np.ndarray, start_month: str,
    actions: list[dict], completion_effects: dict[str, float],
) -> BranchEffects:
    """Adoption of each action by branches and the per-branch shifts it causes (module docstring).

    Parameters
    ----------
    rng : the random generator.
    climate : branches x practices: the latent branch climate (adoption depends on it through ``selection``).
    practices : the practice codes, the columns of ``climate``.
    branch_ids : each branch's id.
    start_month : the month the actions start (the wave's first).
    actions : the generating model's ``appraisal.actions``.
    completion_effects : the completion equation's effects (``completion.effects``), for the KPI's true effect.

    Examples
    --------
    >>> effects = simulate_actions(np.random.default_rng(0), np.zeros((4, 2)), ["TS", "TD"], np.array(["B1", "B2", "B3", "B4"]),
    ...                            "2026-10", [{"action": "TS-1", "dimension": "TS", "effect": 0.5, "kpi_effect": 0.03,
    ...                                         "adoption": 0.5}], {"TS": 0.02})
    >>> effects.truth["TS-1"]["adopters"], effects.truth["TS-1"]["kpi_effect"]  # 0.03 direct + 0.02 x 0.5 through TS
    (['B2', 'B3', 'B4'], 0.04)
    """
    n_branches, k = climate.shape
    latent = np.zeros((n_branches, k))
    completion = np.zeros(n_branches)
    taken = np.zeros((n_branches, k), dtype=bool)
    rows, truth = [], {}
    for spec in actions:
        dim = spec["dimension"]
        if dim not in practices:
            raise ValueError(f"simulation model: action {spec['action']} targets '{dim}', not one of the practices {practices}")
        d = practices.index(dim)
        p0 = spec["adoption"]
        logit = np.log(p0 / (1 - p0)) + spec.get("selection", 0.0) * climate[:, d]
        adopt = (rng.random(n_branches) < 1 / (1 + np.exp(-logit))) & ~taken[:, d]
        taken[:, d] |= adopt
        latent[adopt, d] += spec["effect"]
        completion[adopt] += spec.get("kpi_effect", 0.0)
        rows += [{"action_id": spec["action"], "branch_id": b, "start_month": start_month, "note": ""} for b in branch_ids[adopt]]
        truth[spec["action"]] = {
            "dimension": dim, "effect_latent": spec["effect"], "kpi_effect_direct": spec.get("kpi_effect", 0.0),
            "kpi_effect": spec.get("kpi_effect", 0.0) + completion_effects.get(dim, 0.0) * spec["effect"],
            "adoption": p0, "selection": spec.get("selection", 0.0), "adopters": branch_ids[adopt].tolist(),
        }
    register = pd.DataFrame(rows, columns=["action_id", "branch_id", "start_month", "note"])
    return BranchEffects(tuple(practices), latent, completion, register, truth)


def expected_item_score(eta: np.ndarray, loading: float, thresholds: np.ndarray, lowest: int) -> np.ndarray:
    """``E[item | eta]`` of the simulator's item model (keyed coding)."""
    scale = np.sqrt(1 - loading**2)
    return lowest + stats.norm.cdf((loading * eta[:, None] - thresholds[None, :]) / scale).sum(axis=1)


def _observed_effects(effects: BranchEffects, people: pd.DataFrame, staff: Instrument, model: dict,
                      loadings: dict[str, float], branch_ids: np.ndarray) -> None:
    """Add each adopting branch's true effect on the observed scale score to ``effects.truth``."""
    tau = np.asarray(model["items"]["thresholds"], dtype=float)
    for action, spec in effects.truth.items():
        dim, delta = spec["dimension"], spec["effect_latent"]
        if dim not in staff.scales:
            continue
        eta = people[dim].to_numpy(dtype=float)
        items = staff.scales[dim].items
        gain = np.mean([expected_item_score(eta, loadings[c], tau, staff.items[c].response.min)
                        - expected_item_score(eta - delta, loadings[c], tau, staff.items[c].response.min) for c in items], axis=0)
        per_branch = pd.Series(gain).groupby(people["branch"].to_numpy()).mean()
        spec["effect_observed"] = {str(branch_ids[j]): float(per_branch[j]) for j in
                                   (int(np.flatnonzero(branch_ids == b)[0]) for b in spec["adopters"])}


def add_appraisal(sim, model: dict, instruments: dict[str, Instrument], rng: np.random.Generator,
                  effects: BranchEffects | None = None) -> None:
    """Add ``ratings360`` (and with ``effects`` an ``actions_register``) to ``sim``; truth to ``sim.appraisal``.

    Parameters
    ----------
    sim : the simulated wave (changed in place).
    model : the generating model (its ``appraisal`` section; ratings only where it has ``ratings``).
    instruments : codebooks by id (the staff codebook, for the actions' effects on observed scores).
    rng : the appraisal files' own random generator.
    effects : the adopted actions of a follow-up (:func:`simulate_actions`), or None.

    Examples
    --------
    >>> from analysis.simulate.examples import example_wave
    >>> instruments, model, sim = example_wave()
    >>> effects = simulate_actions(np.random.default_rng(0), np.zeros((4, 8)), model["practices"],
    ...                            sim.tables["branches"]["branch_id"][:4].to_numpy(), "2026-10",
    ...                            model["appraisal"]["actions"], model["completion"]["effects"])
    >>> add_appraisal(sim, model, instruments, np.random.default_rng(1), effects)
    >>> sorted(sim.appraisal), {b: round(e, 2) for b, e in sim.appraisal["actions"]["TS-1"]["effect_observed"].items()}
    (['actions', 'ratings'], {'B0002': 0.36, 'B0003': 0.35, 'B0004': 0.34})
    """
    cfg = model.get("appraisal") or {}
    branch_ids = sim.tables["branches"]["branch_id"].iloc[: int(sim.truth["counts"]["branches"])].to_numpy()
    if cfg.get("ratings"):
        table, truth = simulate_ratings(rng, sim.people, branch_ids, cfg["ratings"])
        sim.tables["ratings360"] = table
        sim.appraisal["ratings"] = truth
    if effects is not None:
        staff = instruments[model["instruments"]["staff"]]
        _observed_effects(effects, sim.people, staff, model, sim.truth["loadings"], branch_ids)
        sim.tables["actions_register"] = effects.register
        sim.appraisal["actions"] = effects.truth
