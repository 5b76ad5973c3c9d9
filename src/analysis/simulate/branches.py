"""Simulated branches: type, staff, foot traffic, district, the sales a branch's traffic supports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.simulate.structure import WaveStructure


@dataclass(frozen=True)
class Branches:
    """Per-branch arrays; a follow-up takes them from the base wave's :class:`WaveStructure`.

    Attributes
    ----------
    btype, staff_count, traffic, district, expectation, past_sales : as in :class:`WaveStructure`.

    Examples
    --------
    >>> from analysis.simulate.examples import example_structure
    >>> model, s = example_structure()
    >>> Branches.of(s).staff_count.tolist()
    [1, 8, 16]
    """

    btype: np.ndarray
    staff_count: np.ndarray
    traffic: np.ndarray
    district: np.ndarray
    expectation: np.ndarray   # objective monthly sales expectation per staff member (CNY)
    past_sales: np.ndarray

    @classmethod
    def of(cls, s: WaveStructure) -> Branches:
        """The branch arrays of ``s``."""
        return cls(s.btype, s.staff_count, s.traffic, s.district, s.expectation, s.past_sales)


def draw_branches(rng: np.random.Generator, model: dict, branches: int, staff: int | None) -> Branches:
    """Branch types by their shares; staff sizes scaled so about ``staff`` respond when given.

    Parameters
    ----------
    rng : the random generator.
    model : the generating model (``branch_types``, ``districts``, ``staff_response_rate``).
    branches : number of branches.
    staff : approximate number of staff respondents, or None for the model's branch sizes.

    Examples
    --------
    >>> from analysis.simulate import load_model
    >>> b = draw_branches(np.random.default_rng(0), load_model("surveys/simulation.yml"), 4, staff=40)
    >>> b.staff_count.tolist(), b.district.tolist()  # 42 employed, 90% of them respond
    ([8, 9, 9, 16], [8, 6, 7, 6])
    """
    types = model["branch_types"]
    type_names = list(types)
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
    return Branches(btype, staff_count, traffic, district, expectation, past_sales)


def branch_table(b: Branches, model: dict, branch_ids: np.ndarray) -> pd.DataFrame:
    """The branch master file as a BSS system exports it.

    Parameters
    ----------
    b : the branches.
    model : the generating model (the names of its ``branch_types``).
    branch_ids : the branches' ids.

    Examples
    --------
    >>> from analysis.simulate import load_model
    >>> model = load_model("surveys/simulation.yml")
    >>> table = branch_table(draw_branches(np.random.default_rng(0), model, 2, None), model, np.array(["B0001", "B0002"]))
    >>> table["branch_name"].tolist(), table["branch_type"].tolist()
    (['7区1号营业厅', '6区2号营业厅'], ['community', 'standard'])
    """
    return pd.DataFrame({
        "branch_id": branch_ids,
        "branch_name": [f"{d}区{i}号营业厅" for d, i in zip(b.district, range(1, branch_ids.size + 1))],
        "district": [f"D{d:02d}" for d in b.district],
        "branch_type": np.array(list(model["branch_types"]))[b.btype],
        "staff_count": b.staff_count,
        "foot_traffic": np.round(b.traffic),
        "past_sales": np.round(b.past_sales, 2),
    })
