"""问卷星 (wjx.cn) exports: the by-option-code (按选项序号) and by-option-text (按选项文本) downloads.

Layout, as wjx writes it (.xls, .xlsx, or .csv in GBK or UTF-8), one respondent per row::

    序号 | 提交答卷时间 | 所用时间 | 来源 | 来源详情 | 来自IP | 1、工号 | ... | 15、请评价以下说法—我的销售指标有客观依据 | ...

The reader leaves cell values as delivered (codes, or option labels in a by-text download, which
ingest maps through the instrument's response labels and category value labels) except for:

* the skip codes ``-2``/``-3`` (and ``(跳过)``/``(空)`` of a by-text download) become missing in
  the question columns; they are also listed in ``RawTable.missing_codes``;
* multi-select answers joined with ``┋`` are kept as one text cell.

``所用时间`` (``123秒``, ``2分3秒``, ``1时2分3秒``) stays text here: ingest turns the instrument's
duration column into seconds for every format (:func:`analysis.io.cells.duration_seconds`).

Headers are normalised so that ingest's alias matching works: the leading ``12、`` is dropped and
a matrix header ``15、<matrix title>—<row text>`` (wjx joins them with ``—`` or ``:``/``：``)
becomes the row text alone. A header that would then collide with an earlier one keeps its
original text. Rows sharing the address in ``来自IP`` are counted in ``notes['duplicate_ip']``
(their file rows in ``notes['duplicate_ip_rows']``) so the pipeline can flag them; nothing is dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.io.base import RawTable, check_headers, register_reader
from analysis.io.tabular import is_workbook, read_csv, read_excel
from analysis.io.text import head_records

#: Metadata columns wjx puts before the questions (some are optional in a download).
METADATA = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分")
#: Cell values that mean "not answered": -3 skipped by jump logic, -2 not shown, and the by-text forms.
MISSING_CODES = ("-2", "-3", "(跳过)", "(空)", "（跳过）", "（空）")

_NUMBER_PREFIX = re.compile(r"^\s*\d+\s*[、.．]\s*")
_MATRIX_DASH = re.compile(r"—+")
_MATRIX_COLON = re.compile(r"[:：]")
_IP = re.compile(r"^\s*([^\s(（]+)")


def wjx_header(header: str) -> str:
    """Question header as ingest should see it: numbering dropped, matrix header → row text.

    ``"12、您的上级会及时给予反馈"`` → ``"您的上级会及时给予反馈"``;
    ``"15、请评价以下说法—我的销售指标有客观依据"`` → ``"我的销售指标有客观依据"``;
    ``"16、您的年龄："`` → ``"您的年龄"``. Metadata headers are returned unchanged.
    """
    text = str(header).strip()
    if text in METADATA:
        return text
    text = _NUMBER_PREFIX.sub("", text)
    for separator in (_MATRIX_DASH, _MATRIX_COLON):
        parts = [p.strip() for p in separator.split(text)]
        if len(parts) > 1:
            tail = parts[-1]
            # "title—row": the row text; "question：" (trailing separator): the question text.
            return tail if tail else (parts[-2] or text)
    return text


def ip_address(value: object) -> str | None:
    """``"112.96.1.2(广东-广州)"`` → ``"112.96.1.2"``."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    match = _IP.match(str(value))
    return match.group(1) if match else None


def _is_excel(path: Path) -> bool:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return True
    if path.suffix.lower() in (".csv", ".txt"):
        return False
    return is_workbook(path)  # a download renamed by hand: look at the content


def _header_cells(path: Path) -> list[str]:
    if _is_excel(path):
        return [str(c).strip() for c in pd.read_excel(path, nrows=0, sheet_name=0).columns]
    if path.suffix.lower() not in (".csv", ".txt"):
        return []  # detection claims only files named as CSV or Excel; format: wjx reads any name
    rows = head_records(path, 1)
    return [c.strip() for c in rows[0]] if rows else []


def is_wjx(path: Path) -> bool:
    """A wjx download: the header row has 序号 and 提交答卷时间 and/or 所用时间."""
    headers = set(_header_cells(path))
    return "序号" in headers and bool({"提交答卷时间", "所用时间"} & headers)


def read_wjx(path: Path) -> RawTable:
    """Read a wjx download (.csv/.xls/.xlsx) into a :class:`RawTable` with normalised headers."""
    base = read_excel(path) if _is_excel(path) else read_csv(path)
    frame = base.frame.copy()
    originals = [str(c).strip() for c in frame.columns]
    headers: list[str] = []
    renamed = 0
    for original in originals:
        header = wjx_header(original)
        if header in headers:  # two questions with the same row text: keep them apart
            header = original
        renamed += header != original
        headers.append(header)
    frame.columns = headers

    check_headers(headers, str(path))
    notes = dict(base.notes)
    questions = [h for h in headers if h not in METADATA]
    skipped = frame[questions].isin(MISSING_CODES)
    frame[questions] = frame[questions].mask(skipped)
    notes["skipped_cells"] = int(skipped.to_numpy().sum())
    notes["headers_normalised"] = int(renamed)
    if "来自IP" in frame:
        ips = frame["来自IP"].map(ip_address)
        shared = ips.notna() & ips.duplicated(keep=False)
        notes["duplicate_ip"] = int(shared.sum())
        notes["duplicate_ip_rows"] = [int(r) for r in base.source_rows[shared.to_numpy()]]
    return RawTable(frame=frame, source_rows=base.source_rows, format="wjx", encoding=base.encoding,
                    notes=notes, missing_codes=MISSING_CODES, damaged=base.damaged)


register_reader("wjx", read_wjx, is_wjx)
