"""Tables written for people to open in a spreadsheet: cells that a spreadsheet would run as formulas.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken by Excel,
WPS and LibreOffice for a formula (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``, ``@SUM(...)``),
which can send data away or run a command when the file is opened (OWASP, "CSV Injection").
Branch names and ids come from the delivered files, so they may carry one. Following OWASP, such
a text cell gets a leading ``'``, which spreadsheets show as text and do not evaluate.

Left as they are: numbers (numeric columns, so ``-0.25`` stays a number), and text that is a
plain number (``"-3"``, ``"+5"``, ``"1e-3"``, also as a rendered statistic: ``"-.08**"``,
``"-∞"``): without a letter such a cell can call no function and name no cell, so it runs
nothing. Only CSV/XLSX copies meant for people are neutralised; Parquet and the data files keep
the exact values.

Every CSV meant for people is written by :func:`write_people_csv` (result tables, quarantine,
wave comparisons, study and paper tables).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|∞)\**$")


def neutralise(value: object) -> object:
    """One cell: text that a spreadsheet would evaluate gets a leading ``'``; anything else is returned as is.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("@SUM(A1)"), neutralise("-3"), neutralise(-0.25)
    ('\\'=HYPERLINK("http://x")', "'@SUM(A1)", '-3', -0.25)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralise_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`neutralise`; text headers too.

    Numeric, boolean and date columns are returned unchanged (they hold no text).
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
            out.isetitem(i, column.map(neutralise, na_action="ignore"))
    out.columns = [neutralise(c) for c in out.columns]
    return out


def write_people_csv(frame: pd.DataFrame, path_or_buf: Any = None, **kwargs: Any) -> str | None:
    """``frame`` as a CSV meant to be opened in a spreadsheet, cells neutralised; no index.

    Lines end in CRLF (RFC 4180), which also makes the csv writer quote any cell holding a bare
    carriage return: unquoted, a spreadsheet would start a new row there, and the rest of the
    cell would be read as a fresh cell, formula and all. Without ``path_or_buf`` the text is
    returned (``DataFrame.to_csv``).
    """
    return neutralise_cells(frame).to_csv(path_or_buf, index=False, lineterminator="\r\n", **kwargs)
