"""Qualtrics CSV exports (the current layout with three header rows).

::

    row 1  StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,...,Q1,Q12_1,...
    row 2  Start Date,End Date,Response Type,IP Address,...,工号,请评价以下说法 - 本厅的销售目标会被...,...
    row 3  {"ImportId":"startDate","timeZone":"..."},...,{"ImportId":"QID1_TEXT"},{"ImportId":"QID12_1"},...
    row 4  the first response

Values are numeric recodes or choice text (either is fine: ingest maps response and category
labels). ``source_rows`` are the rows a person sees in Excel: the first response is row 4.

Header choice (the reader does not know the instrument, so it decides by the export tag):

* an export tag that Qualtrics generated (``Q12``, ``Q12_1``, ``Q12_TEXT``, ``QID12``) says nothing,
  so the header is the question text of row 2; for a matrix sub-question (tag ``Q12_1``) row 2 reads
  ``<question> - <statement>`` and the header is the statement alone;
* any other tag (metadata such as ``Duration (in seconds)``, embedded data such as ``营业厅编号``,
  or a tag the researcher set, e.g. ``TS1``) is used as is.

``notes['question_text_headers']`` counts the columns named by question text. ``-99`` (Qualtrics's
optional "seen but unanswered" recode) is a missing code. Preview/test responses and unfinished
responses are counted in the notes, not dropped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from analysis.io.base import RawTable, check_headers, register_reader
from analysis.io.text import (
    csv_records,
    decode,
    head_records,
    header_records,
    records_table,
)

HEADER_ROWS = 3
MISSING_CODES = ("-99",)
_AUTO_TAG = re.compile(r"^(?:Q|QID)\d+(?:[_.]\d+)*(?:_TEXT)?$", re.IGNORECASE)
_SUB_QUESTION = re.compile(r"_\d+(?:_TEXT)?$", re.IGNORECASE)
_MATRIX_SEPARATOR = " - "
# Status codes of a numeric export and their choice-text forms that are not real responses.
_NOT_RESPONSES = {"1", "2", "8", "9", "12", "Survey Preview", "Survey Test", "Spam", "Preview Spam"}


def _import_id(cell: str) -> str | None:
    cell = cell.strip()
    if not cell.startswith('{"ImportId"'):
        return None
    try:
        return str(json.loads(cell).get("ImportId"))
    except (ValueError, AttributeError):
        return None


def is_qualtrics(path: Path) -> bool:
    """A CSV whose third row holds ``{"ImportId": ...}`` cells (at least 90% of its non-empty cells)."""
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        return False
    rows = head_records(path, HEADER_ROWS)
    if len(rows) < HEADER_ROWS:
        return False
    cells = [c for c in rows[2] if c.strip()]
    # Qualtrics writes an ImportId in every cell of row 3; allow a few hand-edited ones.
    return bool(cells) and sum(_import_id(c) is not None for c in cells) >= 0.9 * len(cells)


def qualtrics_header(tag: str, text: str) -> str:
    """The header ingest should match for one column (see the module docstring)."""
    tag, text = tag.strip(), re.sub(r"\s+", " ", text).strip()
    if not text or not _AUTO_TAG.match(tag):
        return tag
    if _SUB_QUESTION.search(tag) and _MATRIX_SEPARATOR in text:
        return text.rsplit(_MATRIX_SEPARATOR, 1)[1].strip() or text
    return text


def read_qualtrics(path: Path) -> RawTable:
    """Read a Qualtrics CSV export into a :class:`RawTable`."""
    records = csv_records(decode(path))
    if len(records.rows) < HEADER_ROWS:
        raise ValueError("fewer than three header rows")
    tags, texts, _ = header_records(records, HEADER_ROWS, str(path))
    headers: list[str] = []
    by_text = 0
    for i, tag in enumerate(tags):
        header = qualtrics_header(tag, texts[i] if i < len(texts) else "")
        if header in headers:  # e.g. two matrices with the same statement: fall back to the tag
            header = tag.strip()
        by_text += header != tag.strip()
        headers.append(header)
    table = records_table(records, check_headers(headers, str(path)), HEADER_ROWS, source=str(path), format="qualtrics")
    kept, source_rows = table.frame, table.source_rows
    notes: dict = {**table.notes, "question_text_headers": int(by_text)}
    if "Status" in kept:
        notes["preview_or_test_responses"] = int(kept["Status"].isin(_NOT_RESPONSES).sum())
    if "Finished" in kept:
        notes["unfinished_responses"] = int(kept["Finished"].str.casefold().isin(["false", "0"]).sum())
    if "IPAddress" in kept:
        shared = kept["IPAddress"].notna() & kept["IPAddress"].duplicated(keep=False)
        notes["duplicate_ip"] = int(shared.sum())
        notes["duplicate_ip_rows"] = [int(r) for r in source_rows[shared.to_numpy()]]
    table.notes, table.missing_codes = notes, MISSING_CODES
    return table


register_reader("qualtrics", read_qualtrics, is_qualtrics)
