"""Two small branches of staff answers for the docstring examples of :mod:`analysis.improvement` (one definition, not one per example)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.instrument import Instrument, load_instrument

__all__ = ["example_branches"]


def example_branches(path: str = "surveys/staff.yml") -> tuple[Instrument, pd.DataFrame, pd.DataFrame, pd.Series]:
    """Twelve staff in two branches of one district answering TS1-TS4 and CO1-CO4 (b1 one point higher, capped at 5).

    Parameters
    ----------
    path : the staff codebook (the bundled one by default, from the project folder).

    Returns
    -------
    (instrument, items, staff, district): item answers with ``staff_id`` and ``branch_id``; the same
    with the scale means ``TS`` and ``CO``; the branches' district.

    Examples
    --------
    >>> instrument, items, staff, district = example_branches()
    >>> staff.groupby("branch_id")["TS"].mean().round(2).to_dict(), district.to_dict()
    ({'b1': 3.71, 'b2': 3.29}, {'b1': 'D1', 'b2': 'D1'})
    """
    codes = [f"{s}{i}" for s in ("TS", "CO") for i in range(1, 5)]
    answers = np.random.default_rng(0).integers(1, 6, size=(12, 8))
    items = pd.DataFrame(np.minimum(answers + np.repeat([[1], [0]], 6, axis=0), 5), columns=codes)
    items = items.assign(staff_id=[f"s{i}" for i in range(12)], branch_id=["b1"] * 6 + ["b2"] * 6)
    staff = items.assign(TS=items[codes[:4]].mean(axis=1), CO=items[codes[4:]].mean(axis=1))
    return load_instrument(path), items, staff, pd.Series({"b1": "D1", "b2": "D1"})
