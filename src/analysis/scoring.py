"""Reverse keying, scale scores and careless-responding indices.

All functions take the accepted (typed) survey frame with item columns named by item code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.instrument import Instrument


def reverse_key(data: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Copy of ``data`` with reverse-keyed items recoded as ``min + max - x``.

    Items absent from ``data`` are skipped. Non-item columns are returned unchanged.

    Parameters
    ----------
    data : survey rows with item columns named by item code.
    instrument : the codebook (which items are reversed, their response scales).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.instrument import load_instrument
    >>> staff = load_instrument("surveys/staff.yml")  # TS4 is reverse-keyed on 1-5
    >>> print(reverse_key(pd.DataFrame({"TS3": [5, 2], "TS4": [5, 2]}), staff).to_string(index=False))
     TS3  TS4
       5    1
       2    4
    """
    out = data.copy()
    for code, item in instrument.items.items():
        if item.reverse and code in out:
            out[code] = item.response.min + item.response.max - out[code]
    return out


def score_scales(data: pd.DataFrame, instrument: Instrument, *, keyed: bool = False) -> pd.DataFrame:
    """Scale scores: the mean of the answered items, where at least ``min_answered`` were answered.

    A respondent with fewer answered items gets a missing score (not a mean of one or two items
    standing in for the scale), the rule most survey software calls "prorated mean"
    (e.g. Newman 2014, Organizational Research Methods 17(4), on person-mean imputation).

    Parameters
    ----------
    data : survey rows with item columns named by item code.
    instrument : the codebook (scales, their items and ``min_answered``).
    keyed : True if ``data`` is already reverse-keyed.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.instrument import load_instrument
    >>> staff = load_instrument("surveys/staff.yml")  # TS: TS1-TS4, TS4 reversed, at least 2 answered
    >>> answers = pd.DataFrame({"TS1": [5, 4, None], "TS2": [4, 4, None], "TS3": [5, 3, 2], "TS4": [4, None, None]})
    >>> score_scales(answers, staff)["TS"].round(3).tolist()
    [4.0, 3.667, nan]
    """
    items = data if keyed else reverse_key(data, instrument)
    scores: dict[str, pd.Series] = {}
    for code, scale in instrument.scales.items():
        present = [c for c in scale.items if c in items]
        block = items[present].astype(float) if present else pd.DataFrame(index=items.index)
        answered = block.notna().sum(axis=1)
        mean = block.mean(axis=1, skipna=True) if present else pd.Series(np.nan, index=items.index)
        scores[code] = mean.where(answered >= scale.min_answered)
    return pd.DataFrame(scores, index=data.index)


def longstring(values: np.ndarray) -> np.ndarray:
    """Longest run of identical consecutive answers per row; a missing answer breaks a run.

    Johnson (2005), J. Research in Personality 39(1), 103–129; as ``careless::longstring`` in R.

    Parameters
    ----------
    values : respondents x items, in questionnaire order (NaN = not answered).

    Examples
    --------
    >>> import numpy as np
    >>> longstring(np.array([[3, 3, 3, 3, 1], [1, 2, np.nan, 2, 2]]))
    array([4, 2])
    """
    values = np.asarray(values, dtype=float)
    n, k = values.shape
    if k == 0:
        return np.zeros(n, dtype=int)
    present = ~np.isnan(values)
    run = present[:, 0].astype(int)
    best = run.copy()
    for j in range(1, k):
        same = present[:, j] & present[:, j - 1] & (values[:, j] == values[:, j - 1])
        run = np.where(same, run + 1, present[:, j].astype(int))
        best = np.maximum(best, run)
    return best


def irv(values: np.ndarray) -> np.ndarray:
    """Intra-individual response variability: the SD (n − 1) of a person's answers.

    Dunn, Heggestad, Shanock & Theilgard (2018), J. Business and Psychology 33, 105–121;
    as ``careless::irv`` (R), which uses ``sd(..., na.rm = TRUE)``. Fewer than two answers → NaN.

    Parameters
    ----------
    values : respondents x items (NaN = not answered).

    Examples
    --------
    >>> import numpy as np
    >>> irv(np.array([[3, 3, 3, 3, 1], [1, 2, np.nan, 2, 2]])).round(3)  # careless::irv: sd(c(3, 3, 3, 3, 1))
    array([0.894, 0.5  ])
    """
    values = np.asarray(values, dtype=float)
    count = (~np.isnan(values)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=1) / count
        ss = np.nansum((values - mean[:, None]) ** 2, axis=1)
        return np.where(count >= 2, np.sqrt(ss / (count - 1)), np.nan)


def careless_indices(data: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Longstring, IRV and completion time with the instrument's flags; nothing is dropped.

    Indices use the answers as given (before reverse keying) in questionnaire order, as
    straight-lining shows in the raw answers. ``careless`` is True when any flag is raised.

    Parameters
    ----------
    data : survey rows with item columns (raw coding) and the duration column when there is one.
    instrument : the codebook (item order, ``careless`` thresholds, duration column).

    Examples
    --------
    >>> from analysis.examples import example_staff_answers
    >>> staff, answers = example_staff_answers()  # 49 items; s1 answers 3 throughout, in 100 seconds
    >>> print(careless_indices(answers, staff).round(3).to_string(index=False))
     items_answered  longstring   irv  flag_longstring  flag_irv  flag_too_fast  careless
                 49          49 0.000             True      True           True      True
                 49           1 1.039            False     False          False     False
    """
    codes = [c for c in instrument.item_codes if c in data]
    values = data[codes].to_numpy(dtype=float, na_value=np.nan) if codes else np.empty((len(data), 0))
    out = pd.DataFrame(index=data.index)
    out["items_answered"] = (~np.isnan(values)).sum(axis=1)
    out["longstring"] = longstring(values)
    out["irv"] = irv(values)
    rules = instrument.careless
    flags = []
    if rules.longstring_max is not None:
        out["flag_longstring"] = out["longstring"] >= rules.longstring_max
        flags.append("flag_longstring")
    if rules.irv_min is not None:
        out["flag_irv"] = out["irv"] < rules.irv_min
        flags.append("flag_irv")
    duration = instrument.duration.column if instrument.duration else None
    if rules.too_fast_seconds is not None and duration and duration in data:
        out["flag_too_fast"] = (data[duration] < rules.too_fast_seconds).fillna(False).astype(bool)
        flags.append("flag_too_fast")
    out["careless"] = out[flags].any(axis=1) if flags else False
    return out


def score_table(data: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """One row per respondent: ids, fields, scale scores and careless-responding indices.

    Parameters
    ----------
    data : accepted survey rows (ids, fields, items, duration).
    instrument : the codebook.

    Examples
    --------
    >>> from analysis.examples import example_staff_answers
    >>> staff, answers = example_staff_answers()  # 49 items; s1 answers 3 throughout, in 100 seconds
    >>> print(score_table(answers, staff)[["staff_id", "TS", "CO", "careless"]].to_string(index=False))
    staff_id  TS   CO  careless
          s1 3.0 3.00      True
          s2 2.5 3.25     False
    """
    keep = [instrument.respondent.column]
    if instrument.group:
        keep.append(instrument.group.column)
    keep += [c for c in instrument.fields if c in data]
    if instrument.duration and instrument.duration.column in data:
        keep.append(instrument.duration.column)
    if "flag_duplicate_ip" in data:  # from platform exports that record the answering address
        keep.append("flag_duplicate_ip")
    return pd.concat([data[keep], score_scales(data, instrument), careless_indices(data, instrument)], axis=1)
