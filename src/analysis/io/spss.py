"""SPSS ``.sav``/``.zsav`` files (read with pyreadstat), and a check of their value labels.

Cells come back as text like every other reader: codes stay codes (``apply_value_formats`` is
off), whole numbers are written without ``.0``, SPSS system- and user-missing values are empty.
Headers are the variable names, except that a generic name (``Q12``, ``Q12_1``, ``VAR00001``,
``V3``) with a variable label is replaced by its label (for a matrix label
``<question>—<row>``/``<question> - <row>``, the row text), the way 问卷星 and Qualtrics name
variables in their SPSS downloads.

The file's value labels go to ``notes['value_labels']`` (header → {code: label}); ingest
reconciles them with the codebook (:mod:`analysis.io.value_labels`) before trusting the codes.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import pandas as pd
import pyreadstat

from analysis.io.base import RawTable, check_headers, register_reader
from analysis.io.cells import text_frame

_GENERIC_NAME = re.compile(r"^(?:Q\d+(?:[_.]\d+)*(?:_TEXT)?|VAR\d+|V\d+)$", re.IGNORECASE)
_MATRIX = re.compile(r"—+|\s-\s")
_SAV_MAGIC = (b"$FL2", b"$FL3")


def _cell(value: object) -> object:
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):  # NaN, NaT, NA
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        return value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


def _code(value: object) -> str:
    """A value-label key as the text a cell would hold (``1.0`` → ``"1"``)."""
    return str(_cell(value))


def _header(name: str, label: str | None) -> str:
    if not label or not _GENERIC_NAME.match(name):
        return name
    label = re.sub(r"^\s*\d+\s*[、.．]\s*", "", label.strip())
    parts = [p.strip() for p in _MATRIX.split(label)]
    return parts[-1] if len(parts) > 1 and parts[-1] else label


def is_sav(path: Path) -> bool:
    if path.suffix.lower() in (".sav", ".zsav"):
        return True
    with open(path, "rb") as handle:
        return handle.read(4) in _SAV_MAGIC


def read_sav(path: Path) -> RawTable:
    """Read an SPSS file into a :class:`RawTable`; value labels in ``notes['value_labels']``."""
    data, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=False)
    labels = meta.column_names_to_labels or {}
    headers: list[str] = []
    for name in data.columns:
        header = _header(name, labels.get(name))
        headers.append(name if header in headers else header)
    check_headers(headers, str(path))
    cells = pd.DataFrame({h: [_cell(v) for v in data[name].tolist()] for h, name in zip(headers, data.columns)},
                         dtype=object, columns=headers)
    frame = text_frame(cells)
    blank = frame.isna().all(axis=1)
    kept = frame[~blank]
    source_rows = kept.index.to_numpy() + 1  # case numbers as SPSS's Data View shows them
    to_header = dict(zip(data.columns, headers))
    value_labels = {
        to_header[name]: {_code(code): str(text) for code, text in mapping.items()}
        for name, mapping in (meta.variable_value_labels or {}).items() if name in to_header
    }
    notes = {"blank_rows_skipped": int(blank.sum()), "value_labels": value_labels}
    return RawTable(frame=kept.reset_index(drop=True), source_rows=source_rows, format="sav",
                    encoding=meta.file_encoding, notes=notes)


register_reader("sav", read_sav, is_sav)
