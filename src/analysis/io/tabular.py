"""Plain CSV and Excel exports (one header row, one respondent per row).

CSV text is decoded by :mod:`analysis.io.text` (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16;
comma- or tab-separated), which also sets damaged rows apart. Excel sheets are read with
openpyxl (xlrd for .xls); the first sheet is used, its first row is the header.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from analysis.errors import InputFileError
from analysis.io.base import RawTable, check_headers, register_reader
from analysis.io.cells import text_frame
from analysis.io.text import csv_records, decode, header_records, records_table

_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip) and .xls (OLE2)


def read_csv(path: Path) -> RawTable:
    records = csv_records(decode(path))
    if not any(any(cell.strip() for cell in row) for row in records.rows):
        raise InputFileError(f"{path}: file is empty")
    headers = check_headers(header_records(records, 1, str(path))[0], str(path))
    return records_table(records, headers, 1, source=str(path), format="csv")


def is_workbook(path: Path) -> bool:
    """The file's content is an Excel workbook (zip for .xlsx, OLE2 for .xls), whatever its name."""
    with open(path, "rb") as handle:
        return handle.read(4) in _EXCEL_MAGIC


def read_excel(path: Path) -> RawTable:
    if not is_workbook(path):
        raise InputFileError(f"{path}: not an Excel workbook (a CSV or web page saved with an Excel name?); "
                             "name its format in wave.yml (format: csv) or with --format")
    try:
        sheet = pd.read_excel(path, dtype=object, sheet_name=0, header=None)
    except (zipfile.BadZipFile, EOFError):
        raise InputFileError(f"{path}: damaged Excel workbook (truncated or not fully copied?); "
                             "open it in Excel and save it again, or export it once more") from None
    if sheet.empty:
        raise InputFileError(f"{path}: the first sheet is empty")
    # Excel stores whole numbers as floats; write them back as the integers a person typed.
    sheet = sheet.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v)
    headers = check_headers(sheet.iloc[0].tolist(), str(path))
    body = sheet.iloc[1:].astype(object)
    frame = text_frame(body.where(body.notna(), None))
    frame.columns = headers
    blank = frame.isna().all(axis=1).to_numpy()
    rows = body.index.to_numpy() + 1  # sheet row i (0-based, header = 0) is Excel row i + 1
    return RawTable(frame=frame[~blank].reset_index(drop=True), source_rows=rows[~blank], format="xlsx",
                    notes={"blank_rows_skipped": int(blank.sum())})


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".txt", ".tsv")


def _is_excel(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm", ".xls")


register_reader("csv", read_csv, _is_csv, generic=True)
register_reader("xlsx", read_excel, _is_excel, generic=True)
