"""Small inputs for the docstring examples of :mod:`analysis.waves` (one definition, not one per example).

Two versions of the staff instrument (:func:`example_instruments`) and two waves of simulated
scale scores (:func:`example_waves`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.instrument import Instrument, load_instrument

__all__ = ["example_instruments", "example_waves"]


def example_instruments(path: str = "surveys/staff.yml") -> tuple[Instrument, Instrument]:
    """The staff instrument and a later version 2027.1 in which TS1's English text was reworded.

    Parameters
    ----------
    path : the staff codebook (the bundled one by default, from the project folder).

    Returns
    -------
    (old, new): the instrument as loaded, and its copy with TS1 reading "Targets are split per person".

    Examples
    --------
    >>> old, new = example_instruments()
    >>> new.version, new.items["TS1"].text.en, new.items["TS2"] == old.items["TS2"]
    ('2027.1', 'Targets are split per person', True)
    """
    old = load_instrument(path)
    ts1 = replace(old.items["TS1"], text=replace(old.items["TS1"].text, en="Targets are split per person"))
    return old, replace(old, version="2027.1", items={**old.items, "TS1": ts1})


def example_waves(seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two waves of 40 respondents in branches b1 and b2 (20 each) with TS drawn from N(3.5, 0.6), then N(3.8, 0.6).

    Parameters
    ----------
    seed : seed of the scores (both waves from one generator, the first wave first).

    Returns
    -------
    (w1, w2): one row per respondent with ``TS`` and ``branch_id``.

    Examples
    --------
    >>> w1, w2 = example_waves()
    >>> len(w1), len(w2), round(float(w2["TS"].mean() - w1["TS"].mean()), 3)  # the true change is 0.3
    (40, 40, 0.211)
    """
    rng = np.random.default_rng(seed)
    branch = np.repeat(["b1", "b2"], 20)
    w1 = pd.DataFrame({"TS": rng.normal(3.5, 0.6, 40), "branch_id": branch})
    w2 = pd.DataFrame({"TS": rng.normal(3.8, 0.6, 40), "branch_id": branch})
    return w1, w2
