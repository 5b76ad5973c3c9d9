"""Plain CSV and Excel exports (one header row, one respondent per row)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from analysis.errors import InputFileError
from analysis.io.base import RawTable, register_reader

# Strict UTF-8 first (utf-8-sig also strips a BOM); GB18030 is a superset of GBK and GB2312,
# the encodings Chinese Excel and 问卷星 write. A statistical detector (charset-normalizer) guesses
# on short files; this order is deterministic and covers what these exports use.
ENCODINGS = ("utf-8-sig", "gb18030")


def decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{path}: text is neither UTF-8 nor GBK/GB18030; re-export it as UTF-8 CSV")


def text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """All cells as stripped text; empty cells as ``pd.NA``."""
    out = frame.astype("string").apply(lambda s: s.str.strip())
    return out.mask(out == "", pd.NA)


def read_csv(path: Path) -> RawTable:
    text, encoding = decode(path)
    if not text.strip():
        raise InputFileError(f"{path}: file is empty")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
    return _table(text_frame(frame), format="csv", encoding=encoding)


def read_excel(path: Path) -> RawTable:
    frame = pd.read_excel(path, dtype=object, sheet_name=0)
    # Excel stores whole numbers as floats; write them back as the integers a person typed.
    frame = frame.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v)
    return _table(text_frame(frame.astype(object).where(frame.notna(), None)), format="xlsx")


def _table(frame: pd.DataFrame, header_rows: int = 1, **kwargs) -> RawTable:
    # A fully blank line is not a respondent: it is skipped and counted in the notes.
    blank = frame.isna().all(axis=1)
    kept = frame[~blank]
    rows = kept.index.to_numpy() + header_rows + 1
    return RawTable(frame=kept.reset_index(drop=True), source_rows=rows,
                    notes={"blank_rows_skipped": int(blank.sum())}, **kwargs)


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".txt")


def _is_excel(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm", ".xls")


register_reader("csv", read_csv, _is_csv)
register_reader("xlsx", read_excel, _is_excel)
