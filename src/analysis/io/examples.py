"""A small export file for the docstring examples of :mod:`analysis.io` (one definition, not one per example)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["example_export"]


@contextmanager
def example_export() -> Iterator[Path]:
    """``staff_survey.csv`` in a temporary folder, removed after the ``with`` block: a header
    ``工号,TS1,TS2`` and two respondents, A002 without TS1.

    Returns
    -------
    A context manager giving the file's path (UTF-8, no BOM).

    Examples
    --------
    >>> with example_export() as path:
    ...     print(path.name, path.read_text(encoding="utf-8").splitlines())
    staff_survey.csv ['工号,TS1,TS2', 'A001,4,5', 'A002,,3']
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "staff_survey.csv")
        path.write_text("工号,TS1,TS2\nA001,4,5\nA002,,3\n", encoding="utf-8")
        yield path
