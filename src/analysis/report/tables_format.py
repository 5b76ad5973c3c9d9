"""Number rules, captions and notes of rendered tables, shared by every writer (CSV, Markdown, LaTeX, Word).

All number formatting and rounding of the project happens here, at render time; the frames passed
in keep full precision. Number rules (APA 7 §6.36): no leading zero for statistics that cannot
exceed 1 in absolute value (correlations, proportions, p, alpha); p values exact to three decimals
and ``< .001`` below that; stars ``*`` p < .05, ``**`` p < .01, ``***`` p < .001.
:class:`RenderedTable` is a table ready for a writer; what its cells are and how wide they are is
:mod:`.tables_cells`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .tables_cells import column_kinds

__all__ = [
    "BOUNDED_COLUMNS", "ITALIC_HEADERS", "LAYOUTS", "P_COLUMN_PATTERN", "RenderedTable", "caption_lines",
    "format_number", "format_p", "format_table", "is_missing", "note_text", "stars",
]

LAYOUTS = ("apa", "three_line")

#: Column names rendered without a leading zero (statistics bounded by 1), unless overridden.
BOUNDED_COLUMNS = frozenset({
    "r", "rho", "tau", "alpha", "omega", "omega_total", "omega_h", "r2", "r_squared", "adj_r2",
    "icc", "icc1", "icc2", "rwg", "rwg_j", "cfi", "proportion", "prop", "kappa",
})
#: Column names treated as p values, unless overridden.
P_COLUMN_PATTERN = re.compile(r"^(p|pval|p_value|pvalue|p_adj|p_fdr|p_holm)$|^p_|_p$")

ColumnFormat = int | str | Callable[[Any], str]

#: Headers that are a statistic's symbol, set in italics (APA 7 §6.45).
ITALIC_HEADERS = frozenset({"p", "b", "t", "z", "F", "n", "N", "M", "SD", "SE", "r", "df", "k", "R²", "h²", "f"})

TEXT = {
    "zh": {"table": "表", "figure": "图", "note": "注：", "continued": "（续）",
           "sig": "* p < .05，** p < .01，*** p < .001。"},
    "en": {"table": "Table", "figure": "Figure", "note": "Note.", "continued": " (continued)",
           "sig": "*p < .05. **p < .01. ***p < .001."},
}


# --------------------------------------------------------------------------- number formatting
def is_missing(x: Any) -> bool:
    """None, NA, NaT or a NaN of any numeric type; False for anything else (text, containers).

    The one missing-value test of the report layer (tables, HTML fragments, the study report).

    Examples
    --------
    >>> [is_missing(v) for v in (None, float("nan"), pd.NA, pd.NaT, 0, "", "nan", [1])]
    [True, True, True, True, False, False, False, False]
    """
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):  # containers: pd.isna is elementwise
        return False


def format_number(x: Any, decimals: int = 3, *, leading_zero: bool = True,
                  na_rep: str = "") -> str:
    """Format one number with a fixed number of decimals.

    Parameters
    ----------
    x : number
    decimals : int
        Digits after the decimal point.
    leading_zero : bool
        False for statistics bounded by 1 (APA: ``.52``, ``-.08``); True otherwise (``0.52``).
    na_rep : str
        Text for a missing value.

    Notes
    -----
    A value that rounds to zero is shown unsigned (``0.000``, never ``-0.000``).

    Examples
    --------
    >>> format_number(-0.0804, 2, leading_zero=False)
    '-.08'
    """
    if is_missing(x):
        return na_rep
    if isinstance(x, bool):
        return str(x)
    value = float(x)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:.{decimals}f}"
    if float(text) == 0.0:
        text = text.lstrip("-")
    if not leading_zero:
        text = re.sub(r"^(-?)0\.", r"\1.", text)
    return text


def format_p(p: Any, decimals: int = 3, *, na_rep: str = "") -> str:
    """Format a p value the APA way: ``.023``, ``< .001``, ``> .999``.

    Parameters
    ----------
    p : float in [0, 1]
    decimals : int
        Exact digits shown (3 by APA 7 §6.36); the threshold is ``10**-decimals``.

    Raises
    ------
    ValueError
        If p lies outside [0, 1].

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0234)
    ('< .001', '.023')
    """
    if is_missing(p):
        return na_rep
    value = float(p)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"p value {value!r} lies outside [0, 1]; pass probabilities, not percents")
    floor = 10.0 ** -decimals
    if value < floor:
        return "< " + format_number(floor, decimals, leading_zero=False)
    text = format_number(value, decimals, leading_zero=False)
    if float(text) >= 1.0:
        return "> ." + "9" * decimals
    return text


def stars(p: Any) -> str:
    """Significance stars: ``***`` p < .001, ``**`` p < .01, ``*`` p < .05, else ``""``.

    Parameters
    ----------
    p : a p-value (missing: no stars).

    Examples
    --------
    >>> stars(0.0004), stars(0.03), stars(0.2), stars(None)
    ('***', '*', '', '')
    """
    if is_missing(p):
        return ""
    value = float(p)
    if value < 0.001:
        return "***"
    if value < 0.01:
        return "**"
    if value < 0.05:
        return "*"
    return ""


def _column_kind(name: str, series: pd.Series, spec: ColumnFormat | None,
                 default_decimals: int) -> Callable[[Any], str] | None:
    """A formatter for one column, or None for text columns (left as they are)."""
    if callable(spec):
        return spec
    if isinstance(spec, bool):
        raise ValueError(f"format for column {name!r} must be an int, a kind or a callable, not a bool")
    if isinstance(spec, int):
        return lambda x, d=spec: format_number(x, d)
    if isinstance(spec, str):
        kinds = {
            "p": lambda x: format_p(x, default_decimals),
            "bounded": lambda x: format_number(x, default_decimals, leading_zero=False),
            "int": lambda x: format_number(x, 0),
            "number": lambda x: format_number(x, default_decimals),
            "text": None,
        }
        if spec not in kinds:
            raise ValueError(f"format {spec!r} for column {name!r} is unknown; use an int "
                             f"(decimals), a callable or one of {sorted(kinds)}")
        return kinds[spec]
    if spec is not None:
        raise ValueError(f"format for column {name!r} must be an int, a kind or a callable")
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    if P_COLUMN_PATTERN.search(name):
        return lambda x: format_p(x, default_decimals)
    if name.lower() in BOUNDED_COLUMNS:
        return lambda x: format_number(x, default_decimals, leading_zero=False)
    if pd.api.types.is_integer_dtype(series):
        return lambda x: format_number(x, 0)
    return lambda x: format_number(x, default_decimals)


def format_table(df: pd.DataFrame, decimals: int | Mapping[str, ColumnFormat] = 3, *,
                 star_columns: Mapping[str, str] | None = None,
                 na_rep: str = "") -> tuple[pd.DataFrame, list[bool]]:
    """Render every cell of ``df`` as text, by the number rules of this module.

    Parameters
    ----------
    df : DataFrame
        Tidy table at full precision.
    decimals : int or mapping
        An int applies to every numeric column. A mapping gives per-column formats: an int
        (decimals), ``"p"``, ``"bounded"`` (no leading zero), ``"int"``, ``"number"``,
        ``"text"`` or a callable; unnamed columns use 3 decimals and the automatic kind
        (p-value columns by name, bounded statistics by :data:`BOUNDED_COLUMNS`, integers).
    star_columns : mapping, optional
        ``{"estimate": "p"}`` appends the stars of column ``p`` to the rendered ``estimate``.
    na_rep : str
        Text for missing values.

    Returns
    -------
    (DataFrame of str, list of bool)
        The rendered cells (same columns) and, per column, whether it is numeric (for alignment).
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    per_column: Mapping[str, ColumnFormat] = decimals if isinstance(decimals, Mapping) else {}
    default = decimals if isinstance(decimals, int) and not isinstance(decimals, bool) else 3
    unknown = [c for c in per_column if c not in df.columns]
    if unknown:
        raise KeyError(f"decimals names columns {unknown} that are not in the table; "
                       f"columns are {list(df.columns)}")
    star_columns = dict(star_columns or {})
    for target, pcol in star_columns.items():
        if target not in df.columns or pcol not in df.columns:
            raise KeyError(f"star_columns {{{target!r}: {pcol!r}}} names a column not in the table; "
                           f"columns are {list(df.columns)}")
    out = {}
    numeric = []
    for col in df.columns:
        fmt = _column_kind(str(col), df[col], per_column.get(col), default)
        if fmt is None:
            out[col] = [na_rep if is_missing(v) else str(v) for v in df[col]]
            numeric.append(False)
        else:
            out[col] = [na_rep if is_missing(v) else fmt(v) for v in df[col]]
            numeric.append(True)
    for target, pcol in star_columns.items():
        out[target] = [cell + stars(p) if cell != na_rep else cell
                       for cell, p in zip(out[target], df[pcol], strict=True)]
    return pd.DataFrame(out, index=range(len(df)), dtype=object), numeric


# --------------------------------------------------------------------------- captions and notes
def caption_lines(layout: str, lang: str, title: str, number: int | str | None, *,
                  kind: str = "table") -> list[str]:
    """APA: ``["Table 1", title]`` (number and title on two lines); 三线表: ``["表1 title"]``."""
    word = TEXT[lang][kind]
    if layout == "apa":
        return ([f"{word} {number}"] if number is not None else []) + [title]
    sep = "" if lang == "zh" else " "
    return [f"{word}{sep}{number} {title}" if number is not None else title]


def note_text(note: str | None, star_columns: Mapping[str, str] | None, lang: str) -> str | None:
    """The note below a table, with the star legend appended when stars are shown."""
    parts = [note] if note else []
    if star_columns:
        parts.append(TEXT[lang]["sig"])
    return " ".join(parts) if parts else None


@dataclass(frozen=True)
class RenderedTable:
    """A table ready for a writer: text cells, header, per-column numeric flags, caption and note.

    ``name`` is the table's stable name (file stem, LaTeX label ``tab:<name>``); ``number`` the
    number shown in the caption (None: unnumbered).
    """

    name: str
    title: str
    cells: pd.DataFrame
    header: list[str]
    numeric: list[bool]
    note: str | None = None
    number: int | str | None = None

    @property
    def kinds(self) -> list[str]:
        return column_kinds(self.cells, self.numeric)
