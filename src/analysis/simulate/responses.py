"""Simulated survey answers: ordinal items from latent scores, who responds, the staff and customer exports.

Items are ``y* = λ·η + sqrt(1 − λ²)·ε`` cut at fixed thresholds into 1–5 (reversed items coded
back), so each scale's reliability of the latent responses is known:
ω = (Σλ)² / ((Σλ)² + Σ(1 − λ²)) (:func:`population_omega`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.instrument import Instrument
from analysis.simulate.latent import CustomerLatent
from analysis.simulate.structure import WaveStructure, demographics, phones


def population_omega(loadings: list[float]) -> float:
    """ω of standardised congeneric items: (Σλ)² / ((Σλ)² + Σ(1 − λ²)) (McDonald 1999).

    Parameters
    ----------
    loadings : the items' standardised loadings.

    Examples
    --------
    >>> round(population_omega([0.7, 0.7, 0.7, 0.7]), 3)
    0.794
    """
    lam = np.asarray(loadings)
    return float(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()))


def item_loadings(rng: np.random.Generator, model: dict, instruments: tuple[Instrument, ...],
                  s: WaveStructure | None) -> dict[str, float]:
    """Every item's loading: uniform in the model's range (base wave), else the base wave's.

    Parameters
    ----------
    rng : the random generator.
    model : the generating model (``items.loadings``: the range).
    instruments : the codebooks whose items get loadings.
    s : the base wave's structure, or None to draw the loadings (a base wave).

    Examples
    --------
    >>> from analysis.simulate.examples import example_inputs
    >>> instruments, model = example_inputs()
    >>> loadings = item_loadings(np.random.default_rng(0), model, (instruments["staff"],), None)
    >>> len(loadings), all(0.62 <= v <= 0.85 for v in loadings.values())
    (49, True)
    """
    if s is None:
        lo, hi = model["items"]["loadings"]
        return {code: float(rng.uniform(lo, hi)) for inst in instruments for code in inst.items}
    missing = [code for inst in instruments for code in inst.items if code not in s.loadings]
    if missing:
        raise ValueError(f"simulate_wave: item(s) {missing} are not in the base wave's instruments; "
                         "simulate a follow-up with the base wave's codebooks")
    return s.loadings


def respondents(rng: np.random.Generator, staff_count: np.ndarray, responded: np.ndarray, s: WaveStructure | None) -> np.ndarray:
    """Mask of the staff who answer: the first ``responded[j]`` of branch ``j`` (base wave), drawn anew in a follow-up.

    Parameters
    ----------
    rng : the random generator (used in a follow-up).
    staff_count : employed staff of each branch.
    responded : how many answer in each branch.
    s : the base wave's structure in a follow-up, else None.

    Examples
    --------
    >>> respondents(np.random.default_rng(0), np.array([3, 2]), np.array([2, 1]), None).tolist()
    [True, True, False, True, False]
    """
    mask = np.zeros(int(staff_count.sum()), dtype=bool)
    first = np.concatenate([[0], np.cumsum(staff_count)[:-1]])
    if s is None:
        for j in range(staff_count.size):
            mask[first[j] : first[j] + responded[j]] = True
    else:  # who answers this time is drawn anew within each branch
        priority = rng.random(mask.size)
        for j in range(staff_count.size):
            members = np.arange(first[j], first[j] + staff_count[j])
            mask[members[np.argsort(priority[members])[: responded[j]]]] = True
    return mask


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


def scale_items(rng: np.random.Generator, latent: dict[str, np.ndarray], instrument: Instrument, model: dict,
                loadings: dict[str, float], *, survey: str) -> dict[str, np.ndarray]:
    """Item responses of every scale of ``instrument`` from the latent scores of its respondents.

    Parameters
    ----------
    rng : the random generator.
    latent : scale code -> the respondents' latent scores.
    instrument : the codebook.
    model : the generating model (``items.thresholds``).
    loadings : item code -> loading (:func:`item_loadings`).
    survey : the survey's name in the error for a scale without a latent variable.

    Examples
    --------
    >>> from analysis.simulate.examples import example_draws
    >>> from analysis.instrument import load_instrument
    >>> rng, model, br, st, cu = example_draws()
    >>> staff = load_instrument("surveys/staff.yml")
    >>> items = scale_items(rng, st.scores, staff, model, item_loadings(rng, model, (staff,), None), survey="staff")
    >>> len(items), items["TS1"][:8].tolist()
    (49, [3, 4, 2, 4, 4, 5, 2, 4])
    >>> scale_items(rng, {}, staff, model, {}, survey="staff")
    Traceback (most recent call last):
    ...
    ValueError: simulation model: staff scale 'TS' has no latent variable; add it to simulation.yml
    """
    cols: dict[str, np.ndarray] = {}
    for scale in instrument.scales:
        if scale not in latent:
            raise ValueError(f"simulation model: {survey} scale '{scale}' has no latent variable; add it to simulation.yml")
        cols.update(_items(rng, latent[scale], instrument, scale, model["items"], loadings))
    return cols


def staff_table(rng: np.random.Generator, staff_ids: np.ndarray, staff_names: np.ndarray, numbers: np.ndarray,
                branch_ids: np.ndarray, items: dict[str, np.ndarray], responded: np.ndarray,
                s: WaveStructure | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The staff survey export (respondents only, without the open answer), and every employed person's demographics.

    Parameters
    ----------
    rng : the random generator.
    staff_ids, staff_names, numbers : every employed staff member's id, name and mobile number.
    branch_ids : every employed staff member's branch id.
    items : item code -> every employed staff member's answers.
    responded : mask of the staff who answer (:func:`respondents`).
    s : the structure the demographics come from, or None to draw them (a base wave).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> staff, demo = staff_table(rng, np.array(["S1", "S2", "S3"]), np.array(["王伟", "李娜", "张敏"]), phones(rng, "138", 3),
    ...                           np.array(["B1", "B1", "B2"]), {"TS1": np.array([4, 5, 3])}, np.array([True, False, True]),
    ...                           None)
    >>> staff["staff_id"].tolist(), staff.columns[-2:].tolist(), len(demo)
    (['S1', 'S3'], ['tenure_years', 'TS1'], 3)
    """
    n_staff = staff_ids.size
    staff = pd.DataFrame({
        "staff_id": staff_ids, "name": staff_names, "phone": numbers, "branch_id": branch_ids,
        "duration_seconds": np.round(rng.lognormal(np.log(480), 0.35, n_staff)).astype(int),
    })
    if s is None:
        demo = demographics(rng, n_staff)
        demo["tenure_years"] = np.round(np.clip(rng.uniform(0, 1, n_staff) * (demo["age"] - 19), 0, None), 1)
    else:
        demo = s.demographics
    for col in demo.columns:
        staff[col] = demo[col].to_numpy()
    for code, values in items.items():
        staff[code] = values
    rng.random(n_staff)  # earlier releases drew a placeholder suggestion here; kept so later draws stay the same
    return staff[responded].reset_index(drop=True), demo


def customer_table(rng: np.random.Generator, model: dict, cust: CustomerLatent, items: dict[str, np.ndarray],
                   branch_ids: np.ndarray, customer_prefix: str) -> pd.DataFrame:
    """The customer survey export: ids, phone, items, recommendation (0–10), complaint, purpose, demographics.

    Parameters
    ----------
    rng : the random generator.
    model : the generating model (``customer.recommend``, ``customer.complained``).
    cust : the customers' latent scores.
    items : item code -> every customer's answers.
    branch_ids : each branch's id.
    customer_prefix : the prefix of the customer ids (``C``; follow-ups ``C01``, ``C02`` ...).

    Examples
    --------
    >>> from analysis.simulate.examples import example_draws
    >>> rng, model, br, st, cu = example_draws()
    >>> customers = customer_table(rng, model, cu, {}, np.array(["B1", "B2", "B3"]), "C")
    >>> len(customers), customers["customer_id"][:2].tolist(), bool(customers["recommend"].between(0, 10).all())
    (99, ['C1000000', 'C1000001'], True)
    """
    n = cust.branch_of.size
    customers = pd.DataFrame({
        "customer_id": [f"{customer_prefix}{1000000 + i}" for i in range(n)],
        "phone": phones(rng, "139", n),
        "branch_id": branch_ids[cust.branch_of],
        "duration_seconds": np.round(rng.lognormal(np.log(150), 0.3, n)).astype(int),
    })
    for code, values in items.items():
        customers[code] = values
    cfg = model["customer"]
    overall = cust.overall
    rec = cfg["recommend"]
    customers["recommend"] = np.clip(np.round(rec["intercept"] + rec["slope"] * overall + rng.normal(0, rec["sd"], overall.size)), 0, 10).astype(int)
    comp_cfg = cfg["complained"]
    p_complain = 1 / (1 + np.exp(-(comp_cfg["intercept"] + comp_cfg["slope"] * overall)))
    customers["complained"] = (rng.random(overall.size) < p_complain).astype(int).astype(str)
    customers["visit_purpose"] = rng.choice(["1", "2", "3", "4"], overall.size)
    customers["gender"] = rng.choice(["1", "2"], overall.size)
    customers["age_group"] = rng.choice(["1", "2", "3", "4"], overall.size, p=[0.3, 0.35, 0.25, 0.1])
    return customers
