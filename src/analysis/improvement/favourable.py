"""% favourable: the survey-report convention beside the mean (Qualtrics EX, Culture Amp, Glint).

An answer is *favourable* when it lies above the middle of its response scale, *unfavourable*
below it and *neutral* at it: on a 1–5 agreement scale 4–5, 1–2 and 3 (Culture Amp's and
Qualtrics' definition); on a 1–7 scale 5–7, 1–3 and 4; an even scale has no neutral answer.
Answers are taken after reverse keying, so favourable always means the good end of the item.
A dimension's % favourable pools its items' answers (each answer counts once), as those
products report a factor's % favourable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.instrument import Instrument


def favourable_codes(values: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Each keyed item answer as +1 (favourable), 0 (neutral) or −1 (unfavourable); NaN stays NaN.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> staff = load_instrument("surveys/staff.yml")
    >>> favourable_codes(pd.DataFrame({"TS1": [1, 3, 4, 5, None]}), staff)["TS1"].tolist()
    [-1.0, 0.0, 1.0, 1.0, nan]
    """
    out = pd.DataFrame(index=values.index)
    for code in values.columns:
        item = instrument.items.get(code)
        if item is None:
            continue
        middle = (item.response.min + item.response.max) / 2
        x = pd.to_numeric(values[code], errors="coerce")
        out[code] = np.sign(x - middle)
    return out


def shares(codes: pd.Series | pd.DataFrame) -> tuple[float, float, float, int]:
    """(% favourable, % neutral, % unfavourable, answers) of coded answers, in percent."""
    flat = pd.Series(np.asarray(codes, dtype=float).ravel()).dropna()
    n = int(flat.size)
    if n == 0:
        return (np.nan, np.nan, np.nan, 0)
    return (100 * float((flat > 0).mean()), 100 * float((flat == 0).mean()), 100 * float((flat < 0).mean()), n)
