"""Input checks shared by the model functions: column lists, complete numeric frames, CI levels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["as_list", "require_columns", "numeric_frame", "check_ci"]


def as_list(value: str | Sequence[str] | None, what: str) -> list[str]:
    """A column name or a list of names as a list (``None``: empty); ``what`` names the argument."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        out = list(value)
    except TypeError:
        raise ValueError(f"{what} must be a column name or a list of column names, got {value!r}.") from None
    for v in out:
        if not isinstance(v, str):
            raise ValueError(f"{what} must contain column names (str), got {v!r} in {value!r}.")
    return out


def require_columns(data: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise a ``KeyError`` naming the missing columns and the available ones."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise KeyError(
            f"column(s) {missing} not found in data; available columns: {list(data.columns)}. "
            "Check the variable names passed as x/m/y/w/covar/group."
        )


def numeric_frame(data: pd.DataFrame, columns: Sequence[str], group: str | None = None) -> pd.DataFrame:
    """Listwise-complete float copy of ``columns`` (plus ``group``), with a clear error otherwise."""
    cols = list(dict.fromkeys(columns))
    require_columns(data, cols + ([group] if group else []))
    frame = data[cols + ([group] if group and group not in cols else [])].copy()
    for c in cols:
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]):
            try:
                frame[c] = pd.to_numeric(frame[c]).astype(float)
            except (TypeError, ValueError):
                raise ValueError(
                    f"column {c!r} must be numeric (dtype is {data[c].dtype}); recode it "
                    "(e.g. dummy-code categories) before modelling."
                ) from None
        frame[c] = frame[c].astype(float)
    frame = frame.dropna()
    if len(frame) == 0:
        raise ValueError(f"no complete rows for columns {cols}; check missing values.")
    return frame


def check_ci(ci: float) -> float:
    """A confidence level strictly between 0 and 1."""
    if isinstance(ci, bool) or not (isinstance(ci, (float, int, np.floating)) and 0 < ci < 1):
        raise ValueError(f"ci must be a confidence level strictly between 0 and 1, got {ci!r}; use e.g. ci=0.95.")
    return float(ci)
