"""SPSS ``.sav``/``.zsav`` files (read with pyreadstat), and a check of their value labels.

Cells come back as text like every other reader: codes stay codes (``apply_value_formats`` is
off), whole numbers are written without ``.0``, SPSS system- and user-missing values are empty.
Headers are the variable names, except that a generic name (``Q12``, ``Q12_1``, ``VAR00001``,
``V3``) with a variable label is replaced by its label (for a matrix label
``<question>—<row>``/``<question> - <row>``, the row text), the way 问卷星 and Qualtrics name
variables in their SPSS downloads.

The file's value labels go to ``notes['value_labels']`` (header → {code: label}); compare them
with the codebook with :func:`check_value_labels` before trusting the codes.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from pathlib import Path

import pandas as pd

from analysis.instrument import Instrument
from analysis.io.base import RawTable, register_reader

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
    import pyreadstat

    from analysis.io.tabular import text_frame  # imported here: see analysis.io.base registration order

    data, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=False)
    labels = meta.column_names_to_labels or {}
    headers: list[str] = []
    for name in data.columns:
        header = _header(name, labels.get(name))
        headers.append(name if header in headers else header)
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


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


def check_value_labels(value_labels: dict[str, dict[str, str]], instrument: Instrument) -> list[str]:
    """Human-readable mismatches between a file's value labels and the codebook.

    Parameters
    ----------
    value_labels : header → {code: label}, as in ``RawTable.notes['value_labels']``.
    instrument : the codebook the file should follow.

    Returns
    -------
    list of str, one line per disagreement, e.g.
    ``item TS1: label for 5 is '非常满意' but the codebook says '非常同意'``; empty when the labels agree.
    Headers are matched to instrument columns as ingest does; unmatched headers and variables the
    codebook gives no labels for (numbers, free text) are not checked. A label matches when it equals
    the codebook's label in any of its languages (after width/space/case folding).

    Notes
    -----
    Codes are compared as text, so ``1`` and ``1.0`` are the same code. A labelled code outside an
    item's response range is reported (e.g. ``9 = 不适用``): it will be quarantined as out of range
    unless it is declared missing.
    """
    from analysis.ingest import map_columns

    mapping, _, _ = map_columns(list(value_labels), instrument)
    problems: list[str] = []
    for header, canonical in mapping.items():
        labels = value_labels[header]
        if canonical in instrument.items:
            response = instrument.items[canonical].response
            expected = {
                str(value): tuple(texts[value - response.min] for texts in response.labels.values())
                for value in range(response.min, response.max + 1)
            }
            kind = "item"
        elif canonical in instrument.fields and instrument.fields[canonical].values:
            expected = {code: tuple(t for t in (lab.zh, lab.en) if t) for code, lab in instrument.fields[canonical].values.items()}
            kind = "field"
        else:
            continue
        for code, label in sorted(labels.items(), key=lambda kv: _sort_key(kv[0])):
            if code not in expected:
                problems.append(f"{kind} {canonical}: code {code} ('{label}') is not in the codebook "
                                f"(allowed: {', '.join(expected)})")
                continue
            wanted = expected[code]
            if wanted and _fold(label) not in {_fold(t) for t in wanted}:
                problems.append(f"{kind} {canonical}: label for {code} is '{label}' but the codebook says '{wanted[0]}'")
    return problems


def _sort_key(code: str) -> tuple:
    try:
        return (0, float(code), code)
    except ValueError:
        return (1, 0.0, code)


register_reader("sav", read_sav, is_sav)
