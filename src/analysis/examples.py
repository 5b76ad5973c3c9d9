"""Small survey frames for the docstring examples of the top-level modules, e.g. :mod:`analysis.scoring`
(one definition, not one per example)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.instrument import Instrument, load_instrument

__all__ = ["example_staff_answers"]


def example_staff_answers(path: str = "surveys/staff.yml") -> tuple[Instrument, pd.DataFrame]:
    """The staff codebook at ``path`` and two respondents of branch b1 who answered every item: s1 answers 3
    throughout in 100 seconds (a fast straight-liner), s2 answers 2, 4, 3, 5, 4, 2, ... in 600 seconds.

    Parameters
    ----------
    path : the staff codebook (the bundled one by default, from the project folder).

    Returns
    -------
    (instrument, answers): ``answers`` has the item columns in questionnaire order (raw coding),
    ``staff_id``, ``branch_id`` and ``duration_seconds``.

    Examples
    --------
    >>> staff, answers = example_staff_answers()
    >>> len(staff.item_codes), answers[["staff_id", "duration_seconds"]].values.tolist()
    (49, [['s1', 100], ['s2', 600]])
    """
    instrument = load_instrument(path)
    codes = instrument.item_codes
    answers = pd.DataFrame([[3] * len(codes), np.resize([2, 4, 3, 5, 4], len(codes))], columns=codes)
    return instrument, answers.assign(staff_id=["s1", "s2"], branch_id="b1", duration_seconds=[100, 600])
