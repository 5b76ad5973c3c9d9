"""Text exports: the encoding of a file, and its CSV records with damaged rows set apart.

Encoding, decided once per file:

* a UTF-16 byte-order mark (Excel's "Unicode Text"), or NUL bytes in every other position,
  means UTF-16;
* a file that is valid UTF-8 throughout (with or without a BOM) is UTF-8;
* otherwise each line is looked at. The file is UTF-8 when at least as many lines are clearly
  UTF-8 (valid, and mostly characters above U+0800, as Chinese text in UTF-8 is) as are invalid
  UTF-8; the invalid lines are then the damage (typically one row pasted from a GBK file, or a
  cell typed on a machine with a GBK locale). Otherwise the file is GB18030 (a superset of GBK
  and GB2312, what Chinese Excel and 问卷星 write) and the damaged lines are those that are
  not GB18030, or that are clearly UTF-8.

A damaged line is never guessed at: decoding it in the other encoding would often "work" and
give wrong text without a sign (GBK bytes of many two-character names are valid UTF-8, and
UTF-8 Chinese is mostly valid GB18030). Its row goes to quarantine as ``bad_encoding``, naming
the row, so a person can retype it; the other rows are read. A file where no line with
non-ASCII text decodes in either encoding is rejected as a whole, and so is a damaged header.

Rows are CSV records (a quoted cell may span lines); their numbers are the rows Excel shows
(the header is row 1). A record with more cells than the header (a stray separator) is
``ragged_row``, unless its extra cells are empty and most rows have as many (a separator at the
end of every line); a shorter record has missing cells.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import InputFileError
from analysis.io.base import DamagedRow, RawTable
from analysis.io.cells import text_frame

ENCODINGS = ("utf-8-sig", "gb18030")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
MAX_CELL_CHARS = 1 << 24


@dataclass
class Decoded:
    """The lines of a text file (each with its line ending) and the lines that did not decode."""

    lines: list[str]
    encoding: str
    bad_lines: dict[int, str] = field(default_factory=dict)  # 0-based line → why

    @property
    def text(self) -> str:
        return "".join(self.lines)


def _utf16(data: bytes) -> str | None:
    if data.startswith(_UTF16_BOMS):
        encoding = "utf-16"
    else:
        head = data[:4096]
        if len(head) < 4 or head.count(0) < len(head) // 3:
            return None
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    # Random bytes behind an FF FE pair also "decode": a table has separators and line breaks.
    return text if any(c in text[:4096] for c in ",\t\n") else None


def _clearly_utf8(line: str) -> bool:
    wide = [c for c in line if ord(c) > 127]
    return bool(wide) and sum(ord(c) >= 0x800 for c in wide) * 2 >= len(wide)


def decode_bytes(data: bytes, source: str) -> Decoded:
    """Decode a text export (see the module docstring); raises when no encoding fits the file."""
    text = _utf16(data)
    if text is not None:
        return Decoded(io.StringIO(text.lstrip("\ufeff"), newline="").readlines(), "utf-16")
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8):] if bom else data
    try:
        return Decoded(io.StringIO(body.decode("utf-8"), newline="").readlines(), "utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError:
        pass
    raw = body.splitlines(keepends=True)
    as_utf8: list[str | None] = []
    for line in raw:
        try:
            as_utf8.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            as_utf8.append(None)
    invalid = [i for i, t in enumerate(as_utf8) if t is None]
    clear = sum(t is not None and _clearly_utf8(t) for t in as_utf8)
    if bom or clear >= len(invalid):
        bad = {i: "not valid UTF-8, unlike the rest of the file" for i in invalid}
        lines = [t if t is not None else raw[i].decode("utf-8", errors="replace") for i, t in enumerate(as_utf8)]
        return Decoded(lines, "utf-8-sig" if bom else "utf-8", bad)
    lines, bad, decoded_wide = [], {}, 0
    for i, line in enumerate(raw):
        if as_utf8[i] is not None and _clearly_utf8(as_utf8[i]):
            bad[i] = "UTF-8 text in a GBK/GB18030 file"
            lines.append(as_utf8[i])
            continue
        try:
            lines.append(line.decode("gb18030"))
            decoded_wide += not line.isascii()
        except UnicodeDecodeError:
            bad[i] = "neither GBK/GB18030, like the rest of the file, nor UTF-8"
            lines.append(line.decode("gb18030", errors="replace"))
    if not decoded_wide:
        raise InputFileError(f"{source}: text is neither UTF-8 nor GBK/GB18030; re-export it as UTF-8 CSV")
    return Decoded(lines, "gb18030", bad)


def decode(path: Path) -> Decoded:
    """The decoded lines of a text file."""
    return decode_bytes(Path(path).read_bytes(), str(path))


def head_lines(path: Path, limit: int = 65536) -> list[str]:
    """The first lines of a text file, decoded as its head suggests; for layout detectors only."""
    with open(path, "rb") as handle:
        data = handle.read(limit)
    cut = data.rfind(b"\n")
    if 0 < cut < len(data) - 1:
        data = data[: cut + 1]  # no half character at the end
    try:
        return decode_bytes(data, str(path)).lines
    except InputFileError:
        return []


def head_records(path: Path, count: int) -> list[list[str]]:
    """The first ``count`` CSV records of a text file, for layout detectors (never raises on encoding)."""
    return csv_records(Decoded(head_lines(path), ""), limit=count).rows


def sniff_delimiter(header_line: str) -> str:
    """Tab for tab-separated text (Excel's "Unicode Text", .tsv), else comma."""
    return "\t" if header_line.count("\t") > header_line.count(",") else ","


@dataclass
class Records:
    """CSV records of a file; ``bad`` maps a record index to the reason its text is damaged."""

    rows: list[list[str]]
    encoding: str
    bad: dict[int, str]


def csv_records(decoded: Decoded, limit: int | None = None) -> Records:
    """Split decoded lines into CSV records, marking those that span a damaged line."""
    lines = decoded.lines
    delimiter = sniff_delimiter(lines[0]) if lines else ","
    reader = csv.reader(iter(lines), delimiter=delimiter)
    rows: list[list[str]] = []
    bad: dict[int, str] = {}
    start = 0
    # A long free-text answer is not damage: lift the csv module's 128 KiB cell limit while reading.
    previous = csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS))
    try:
        for row in reader:
            end = reader.line_num
            hit = next((decoded.bad_lines[i] for i in range(start, end) if i in decoded.bad_lines), None)
            if hit is not None:
                bad[len(rows)] = hit
            rows.append(row)
            start = end
            if limit is not None and len(rows) >= limit:
                break
    finally:
        csv.field_size_limit(previous)
    return Records(rows, decoded.encoding, bad)


def header_records(records: Records, count: int, source: str) -> list[list[str]]:
    """The first ``count`` records (the header rows); a damaged header stops the file."""
    for index in range(min(count, len(records.rows))):
        if index in records.bad:
            raise InputFileError(f"{source}: row {index + 1} (header): {records.bad[index]}; re-export the file")
    return records.rows[:count]


def records_table(records: Records, headers: list[str], header_rows: int, *, source: str, format: str) -> RawTable:
    """The data records (those after ``header_rows``) as a :class:`RawTable` under ``headers``
    (from :func:`header_records`).

    Damaged records (bad encoding, more cells than headers) become :class:`DamagedRow` entries;
    shorter records are padded with missing cells; fully blank records are skipped and counted.
    """
    width = len(headers)
    lengths = Counter(len(r) for r in records.rows[header_rows:] if any(c.strip() for c in r))
    # A separator at the end of every line (a trailing empty column) is the file's shape, not damage;
    # one more cell than the other rows have is, even when the cell it pushed out was empty.
    usual = max(lengths.items(), key=lambda kv: (kv[1], -kv[0]))[0] if lengths else width
    kept: list[list[str]] = []
    rows: list[int] = []
    damaged: list[DamagedRow] = []
    for index in range(header_rows, len(records.rows)):
        row, number = records.rows[index], index + 1
        if index in records.bad:
            # ASCII reads the same in every encoding here: the cells with other text are the damaged ones.
            broken = [headers[j] for j, cell in enumerate(row[:width]) if not cell.isascii()]
            damaged.append(DamagedRow(number, "bad_encoding", broken[0] if broken else "", records.bad[index]))
        elif len(row) > width and (len(row) > usual or any(cell.strip() for cell in row[width:])):
            damaged.append(DamagedRow(number, "ragged_row", "", f"{len(row)} cells, the header has {width}"))
        else:
            kept.append((row + [""] * (width - len(row)))[:width])
            rows.append(number)
    frame = text_frame(pd.DataFrame(kept, columns=range(width), dtype=object))
    frame.columns = headers
    blank = frame.isna().all(axis=1).to_numpy()
    return RawTable(frame=frame[~blank].reset_index(drop=True), source_rows=np.asarray(rows, dtype=int)[~blank],
                    format=format, encoding=records.encoding, damaged=damaged,
                    notes={"blank_rows_skipped": int(blank.sum())})
