"""The reader registry and the canonical raw table every reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from analysis.errors import InputFileError


@dataclass
class RawTable:
    """Cells as text (missing = ``pd.NA``), headers as delivered, and where each row came from.

    ``source_rows`` holds the 1-based row number a person sees when opening the file
    (the header is row 1 in a plain CSV/XLSX), so quarantine entries can be found by hand.
    """

    frame: pd.DataFrame
    source_rows: np.ndarray
    format: str
    encoding: str | None = None
    notes: dict = field(default_factory=dict)
    # Per-column value conversions a reader knows about (e.g. wjx "2分3秒" → seconds) are done by
    # the reader; ``missing_codes`` lists extra cell values that mean "no answer" (e.g. wjx -3).
    missing_codes: tuple[str, ...] = ()


Reader = Callable[[Path], RawTable]
Detector = Callable[[Path], bool]
_READERS: dict[str, tuple[Reader, Detector]] = {}


def register_reader(name: str, reader: Reader, detector: Detector) -> None:
    """Make a reader available to ``read_table``; detectors are tried in registration order."""
    _READERS[name] = (reader, detector)


def detect_format(path: Path) -> str:
    """Name of the first registered reader whose detector accepts the file."""
    _load_builtin_readers()
    for name, (_, detector) in _READERS.items():
        try:
            if detector(path):
                return name
        except InputFileError:
            raise
        except Exception:  # a detector that cannot parse the file simply does not claim it
            continue
    looked_for = ", ".join(_READERS)
    raise InputFileError(f"{path}: unknown file layout (looked for: {looked_for}); name one with --format")


def read_table(path: str | Path, format: str | None = None) -> RawTable:
    """Read any supported export into a :class:`RawTable`."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    _load_builtin_readers()
    name = format or detect_format(path)
    if name not in _READERS:
        raise InputFileError(f"{path}: unknown format '{name}' (known: {', '.join(_READERS)})")
    try:
        return _READERS[name][0](path)
    except InputFileError:
        raise
    except Exception as exc:  # any decoder failure becomes one line naming the file
        raise InputFileError(f"{path}: cannot be read as {name} ({type(exc).__name__}: {exc})") from None


def _load_builtin_readers() -> None:
    # Imported lazily so that each reader module registers itself without import cycles.
    import analysis.io.wjx, analysis.io.qualtrics, analysis.io.spss  # noqa: F401,E401  (specific layouts first)
    import analysis.io.tabular  # noqa: F401
