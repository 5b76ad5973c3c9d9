"""The reader registry and the canonical raw table every reader returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import InputFileError


@dataclass(frozen=True)
class DamagedRow:
    """A row a reader could not split into cells: it goes to quarantine, never into the data.

    ``reason`` is an ingest reason code (``ragged_row``, ``bad_encoding``), ``column`` the header
    of the damaged cell when known, ``detail`` what is wrong, without the row's content.
    """

    row: int
    reason: str
    column: str = ""
    detail: str = ""


@dataclass
class RawTable:
    """Cells as text (missing = ``pd.NA``), headers as delivered, and where each row came from.

    ``source_rows`` holds the 1-based row number a person sees when opening the file
    (the header is row 1 in a plain CSV/XLSX), so quarantine entries can be found by hand.
    ``damaged`` lists the rows that could not be read at all; every row of the file is either
    in ``frame``, in ``damaged``, or blank (counted in ``notes['blank_rows_skipped']``).

    Attributes
    ----------
    frame : the cells as text, headers as delivered.
    source_rows : 1-based row number in the file of each row of ``frame``.
    format, encoding : the reader's name and the text encoding found.
    notes : what the reader noticed (e.g. ``blank_rows_skipped``).
    missing_codes : extra cell values meaning "no answer".
    damaged : rows that could not be split into cells.

    Examples
    --------
    >>> from analysis.io.examples import example_export
    >>> with example_export() as path:
    ...     table = read_table(path)
    >>> table.frame.iloc[0].tolist(), int(table.frame["TS1"].isna().sum()), table.source_rows.tolist(), table.rows_read
    (['A001', '4', '5'], 1, [2, 3], 2)
    """

    frame: pd.DataFrame
    source_rows: np.ndarray
    format: str
    encoding: str | None = None
    notes: dict = field(default_factory=dict)
    # ``missing_codes`` lists extra cell values that mean "no answer" (e.g. wjx -3).
    missing_codes: tuple[str, ...] = ()
    damaged: list[DamagedRow] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.damaged)


def column_letter(index: int) -> str:
    """0 → ``A``, 26 → ``AA``: the column as Excel names it."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def check_headers(cells: list[object], source: str) -> list[str]:
    """A header row as text; blank headers named ``Unnamed: i``; a repeated header stops the file.

    pandas would rename a second ``TS1`` to ``TS1.1`` and ingest would then ignore it: a column
    silently dropped. Which of the two is right is for a person to decide.
    """
    headers = [("" if c is None or (isinstance(c, float) and c != c) else str(c)).strip() for c in cells]
    if not any(headers):
        raise InputFileError(f"{source}: no header row (the first row is empty)")
    seen: dict[str, int] = {}
    for i, header in enumerate(headers):
        if not header:
            headers[i] = f"Unnamed: {i}"
            continue
        if header in seen:
            raise InputFileError(f"{source}: header '{header}' appears twice (columns {column_letter(seen[header])} "
                                 f"and {column_letter(i)}); keep only one of them")
        seen[header] = i
    return headers


Reader = Callable[[Path], RawTable]
Detector = Callable[[Path], bool]
_READERS: dict[str, tuple[Reader, Detector, bool]] = {}


def register_reader(name: str, reader: Reader, detector: Detector, *, generic: bool = False) -> None:
    """Make a reader available to ``read_table``.

    Detectors of specific layouts (问卷星, Qualtrics, SPSS) are tried before those of ``generic``
    readers (plain CSV and Excel, which would claim any such file), each group in registration order.

    Parameters
    ----------
    name : the format's name (``--format``).
    reader : path -> :class:`RawTable`.
    detector : path -> whether the file has this layout.
    generic : a catch-all layout (plain CSV, Excel), tried after the specific ones.

    Examples
    --------
    How the plain CSV reader registers itself (registering a name again keeps its place):

    >>> from analysis.io.tabular import _is_csv, read_csv
    >>> register_reader("csv", read_csv, _is_csv, generic=True)
    >>> _detection_order()
    ['qualtrics', 'sav', 'wjx', 'csv', 'xlsx']
    """
    _READERS[name] = (reader, detector, generic)


def _detection_order() -> list[str]:
    return [n for n, v in _READERS.items() if not v[2]] + [n for n, v in _READERS.items() if v[2]]


def detect_format(path: Path) -> str:
    """Name of the first registered reader whose detector accepts the file.

    Parameters
    ----------
    path : the export file.

    Examples
    --------
    >>> from analysis.io.examples import example_export
    >>> with example_export() as path:
    ...     print(detect_format(path))
    csv
    """
    for name in _detection_order():
        try:
            if _READERS[name][1](path):
                return name
        except InputFileError:
            raise
        except Exception:  # a detector that cannot parse the file simply does not claim it
            continue
    looked_for = ", ".join(_detection_order())
    raise InputFileError(f"{path}: unknown file layout (looked for: {looked_for}); name one with --format")


def read_table(path: str | Path, format: str | None = None) -> RawTable:
    """Read any supported export into a :class:`RawTable`.

    Parameters
    ----------
    path : the export file.
    format : the reader to use (default: detected, :func:`detect_format`).

    Examples
    --------
    >>> from analysis.io.examples import example_export
    >>> with example_export() as path:
    ...     table = read_table(path)
    >>> table.format, table.encoding, list(table.frame.columns)
    ('csv', 'utf-8', ['工号', 'TS1', 'TS2'])
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    name = format or detect_format(path)
    if name not in _READERS:
        raise InputFileError(f"{path}: unknown format '{name}' (known: {', '.join(_detection_order())})")
    try:
        return _READERS[name][0](path)
    except InputFileError:
        raise
    except MemoryError:
        raise InputFileError(f"{path}: too large to read into memory") from None
    except Exception as exc:  # any decoder failure becomes one line naming the file
        detail = " ".join(str(exc).split())[:200]
        raise InputFileError(f"{path}: cannot be read as {name} ({type(exc).__name__}: {detail})") from None
