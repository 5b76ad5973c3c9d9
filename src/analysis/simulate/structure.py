"""What persists from one simulated wave to the next: branches, staff and their stable latent parts.

A base wave draws the structure; a follow-up evolves it (:func:`evolve`): a share of staff is
replaced by new hires, stayers' individual deviations drift, everyone ages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕鹏辉建国志文斌")


@dataclass
class WaveStructure:
    """What persists from one wave to the next: branches, staff and their stable latent parts.

    Arrays indexed by branch have ``branches`` rows; arrays indexed by staff member have one row
    per employed staff member, in branch order (``branch_of``). A follow-up keeps the branch
    arrays, and replaces leavers' rows by new hires in the same branch (so sizes stay equal).

    Attributes
    ----------
    btype : each branch's type (index into the model's ``branch_types``).
    staff_count, traffic, district : each branch's employed staff, monthly foot traffic and district number.
    expectation : each branch's objective monthly sales expectation per staff member (CNY).
    past_sales : each branch's sales of a past quarter (10,000 CNY).
    climate : branches x practices: the latent management climate ``B_j``.
    branch_gap : each branch's part of the log target gap.
    cs_branch : each branch's part ``CS_j`` of customers' overall satisfaction.
    branch_u : each branch's part ``u_j`` of target completion.
    staff_ids, staff_names, phones : each staff member's id, name and mobile number.
    deviations : staff x practices: each person's deviation ``W_ij`` from the branch climate.
    engagement_residual : each person's standardised engagement residual ``e_ij``.
    competency_residuals : staff x competency scales: the competencies' standardised residuals.
    demographics : each person's gender, age, education, position, employment and tenure_years.
    loadings : item code -> loading (the base wave's, kept in every follow-up).
    next_id : how many staff ids have been handed out.
    stayed : follow-ups: True where the person was employed the wave before; None in a base wave.

    Examples
    --------
    >>> from analysis.simulate.examples import example_structure
    >>> model, s = example_structure()
    >>> s.staff_count.tolist(), s.staff_ids[:2].tolist(), s.climate.shape
    ([1, 8, 16], ['S100000', 'S100001'], (3, 8))
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


def equicorrelated(rng: np.random.Generator, n: int, k: int, rho: float) -> np.ndarray:
    """``n`` draws of ``k`` standard normals with common correlation ``rho``.

    Parameters
    ----------
    rng : the random generator.
    n : number of draws (rows).
    k : number of variables (columns).
    rho : their common correlation, in [0, 1].

    Examples
    --------
    >>> x = equicorrelated(np.random.default_rng(0), 10_000, 3, 0.35)
    >>> x.shape, round(float(np.corrcoef(x.T)[0, 1]), 2)
    ((10000, 3), 0.35)
    """
    common = rng.standard_normal((n, 1))
    return np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.standard_normal((n, k))


def phones(rng: np.random.Generator, prefix: str, n: int) -> np.ndarray:
    """``n`` mobile numbers: ``prefix`` and eight random digits.

    Parameters
    ----------
    rng : the random generator.
    prefix : the numbers' first three digits.
    n : how many numbers.

    Examples
    --------
    >>> phones(np.random.default_rng(0), "138", 2).tolist()
    ['13886556180', '13867326551']
    """
    return np.char.add(prefix, rng.integers(10**7, 10**8, n).astype(str))


def person_name(rng: np.random.Generator) -> str:
    """A Chinese name: a common surname and one or two given-name characters.

    Parameters
    ----------
    rng : the random generator.

    Examples
    --------
    >>> person_name(np.random.default_rng(0))
    '蔡霞洋'
    """
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN, rng.integers(1, 3)))


def demographics(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Gender, age, education, position and employment codes of ``n`` staff members.

    Parameters
    ----------
    rng : the random generator.
    n : number of staff members (rows).

    Examples
    --------
    >>> demographics(np.random.default_rng(0), 4).iloc[0].to_dict()
    {'gender': '2', 'age': 27, 'education': '2', 'position': '3', 'employment': '2'}
    """
    return pd.DataFrame({
        "gender": rng.choice(["1", "2"], n, p=[0.4, 0.6]),
        "age": np.clip(np.round(rng.normal(31, 7, n)), 19, 60).astype(int),
        "education": rng.choice(["1", "2", "3", "4"], n, p=[0.15, 0.45, 0.37, 0.03]),
        "position": rng.choice(["1", "2", "3", "4"], n, p=[0.6, 0.2, 0.12, 0.08]),
        "employment": rng.choice(["1", "2"], n, p=[0.55, 0.45]),
    })


def evolve(s: WaveStructure, rng: np.random.Generator, model: dict, *, turnover: float, stability: float, months: int) -> WaveStructure:
    """One wave later: a ``turnover`` share of staff replaced by new hires, stayers' deviations drift.

    Parameters
    ----------
    s : the structure of the wave before.
    rng : the random generator of this step.
    model : the generating model (``practice_correlation``).
    turnover : expected share of staff replaced by new hires (new ids, names, phones, demographics).
    stability : correlation of a stayer's deviations and residuals with the wave before.
    months : months from the wave before (ages and tenures grow by them).

    Examples
    --------
    >>> from analysis.simulate.examples import example_structure
    >>> model, s = example_structure()
    >>> later = evolve(s, np.random.default_rng(1), model, turnover=0.3, stability=0.5, months=3)
    >>> int(later.stayed.sum()), later.staff_ids.size, later.staff_ids[~later.stayed][:2].tolist()
    (19, 25, ['S100025', 'S100026'])
    """
    n = s.staff_ids.size
    k = s.deviations.shape[1]
    rho = model["practice_correlation"]
    leave = rng.random(n) < turnover
    hires = int(leave.sum())
    keep, fresh = np.sqrt(stability), np.sqrt(1 - stability)

    def drift(old: np.ndarray, new_stay: np.ndarray, new_hire: np.ndarray) -> np.ndarray:
        mask = leave if old.ndim == 1 else leave[:, None]
        return np.where(mask, new_hire, keep * old + fresh * new_stay)

    deviations = drift(s.deviations, equicorrelated(rng, n, k, rho), equicorrelated(rng, n, k, rho))
    e = drift(s.engagement_residual, rng.standard_normal(n), rng.standard_normal(n))
    comp = drift(s.competency_residuals, rng.standard_normal(s.competency_residuals.shape), rng.standard_normal(s.competency_residuals.shape))
    ids = s.staff_ids.copy()
    ids[leave] = [f"S{100000 + s.next_id + i}" for i in range(hires)]
    names = s.staff_names.copy()
    names[leave] = [person_name(rng) for _ in range(hires)]
    numbers = s.phones.copy()
    numbers[leave] = phones(rng, "138", hires)
    demo = s.demographics.copy()
    years = months / 12
    demo["age"] = demo["age"] + (rng.random(n) < years).astype(int)
    demo["tenure_years"] = np.round(demo["tenure_years"] + years, 2)
    new = demographics(rng, hires)
    new["tenure_years"] = np.round(rng.uniform(0, years, hires), 2)
    new["position"] = "1"
    for col in new.columns:
        values = demo[col].to_numpy().copy()
        values[leave] = new[col].to_numpy()
        demo[col] = values
    return replace(
        s, staff_ids=ids, staff_names=names, phones=numbers, deviations=deviations, engagement_residual=e,
        competency_residuals=comp, demographics=demo, next_id=s.next_id + hires, stayed=~leave,
        past_sales=s.past_sales * rng.lognormal(0, 0.05, s.past_sales.size),
    )
