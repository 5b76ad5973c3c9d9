"""Readers: one per export format, each returning a :class:`RawTable` of text cells.

Ingest maps the table's headers to instrument columns through the codebook aliases and
validates the cells; readers only decode files. ``read_table`` picks the reader by detecting
the layout unless ``format`` names it.
"""

from analysis.io import qualtrics, spss, tabular, wjx  # noqa: F401  (each reader registers itself)
from analysis.io.base import RawTable, detect_format, read_table, register_reader

__all__ = ["RawTable", "detect_format", "read_table", "register_reader"]
