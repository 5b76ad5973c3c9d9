"""Simulated branches: type, staff, foot traffic, district, the sales a branch's traffic supports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.simulate.structure import WaveStructure


@dataclass(frozen=True)
class Branches:
    """Per-branch arrays; a follow-up takes them from the base wave's :class:`WaveStructure`."""

    btype: np.ndarray
    staff_count: np.ndarray
    traffic: np.ndarray
    district: np.ndarray
    expectation: np.ndarray   # objective monthly sales expectation per staff member (CNY)
    past_sales: np.ndarray

    @classmethod
    def of(cls, s: WaveStructure) -> Branches:
        return cls(s.btype, s.staff_count, s.traffic, s.district, s.expectation, s.past_sales)


def draw_branches(rng: np.random.Generator, model: dict, branches: int, staff: int | None) -> Branches:
    """Branch types by their shares; staff sizes scaled so about ``staff`` respond when given."""
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
    """The branch master file as a BSS system exports it."""
    return pd.DataFrame({
        "branch_id": branch_ids,
        "branch_name": [f"{d}区{i}号营业厅" for d, i in zip(b.district, range(1, branch_ids.size + 1))],
        "district": [f"D{d:02d}" for d in b.district],
        "branch_type": np.array(list(model["branch_types"]))[b.btype],
        "staff_count": b.staff_count,
        "foot_traffic": np.round(b.traffic),
        "past_sales": np.round(b.past_sales, 2),
    })
