"""Matching an export's headers to an instrument's columns (by code or by any alias).

Readers only decode files and ingest only validates cells; both ask this module which header
is which column, so that the SPSS label check and ingest agree on the mapping.

Two headers that land on the same instrument column (``工号`` and ``staff_id`` in one file, or a
column exported twice) stop ingest: keeping one and dropping the other would silently lose data,
and which one is right is the person's call.
"""

from __future__ import annotations

import re
import unicodedata

from analysis.errors import InputFileError
from analysis.instrument import Instrument

# Question texts end in a colon or question mark in one export and in nothing in another.
_TRAILING = re.compile(r"[\s:：?？。.!！]+$")


def normalise_header(text: str) -> str:
    """Fold width, case and spacing, drop a leading question number (``12、``, ``Q12.``) and the
    punctuation a question ends with (``您的年龄：``).

    Examples
    --------
    >>> normalise_header(" 12、您的 年龄： ")
    '您的年龄'
    >>> normalise_header("ＴＳ１") == normalise_header("ts1")
    True
    """
    text = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    text = _TRAILING.sub("", text)
    text = re.sub(r"^(q?\d+[、.．:：)\]]\s*)", "", text)
    return re.sub(r"\s+", "", text)


def map_columns(headers: list[str], instrument: Instrument, *, source: str = "") -> tuple[dict[str, str], list[str], list[str]]:
    """Header → canonical column; also the instrument columns not found and the headers not used.

    Parameters
    ----------
    headers : the export's headers as delivered.
    instrument : the codebook the export follows.
    source : how the file is named in the error message.

    Returns
    -------
    (mapping, unmatched, unused): ``mapping`` from header to canonical column; ``unmatched`` the
    instrument's fields and items no header names; ``unused`` the headers that name no column.

    Raises
    ------
    InputFileError
        When two headers name the same instrument column.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> staff = load_instrument("surveys/staff.yml")
    >>> mapping, _, unused = map_columns(["工号", "营业厅编号", "备注"], staff)
    >>> mapping, unused
    ({'工号': 'staff_id', '营业厅编号': 'branch_id'}, ['备注'])
    """
    lookup: dict[str, str] = {}
    for canonical, names in instrument.aliases().items():
        for name in names:
            if name:
                lookup.setdefault(normalise_header(name), canonical)
    mapping: dict[str, str] = {}
    by_canonical: dict[str, list[str]] = {}
    unused: list[str] = []
    for header in headers:
        canonical = lookup.get(normalise_header(header))
        if canonical:
            mapping[header] = canonical
            by_canonical.setdefault(canonical, []).append(str(header))
        else:
            unused.append(header)
    clashes = {c: hs for c, hs in by_canonical.items() if len(hs) > 1}
    if clashes:
        canonical, names = next(iter(clashes.items()))
        listed = " and ".join(f"'{h}'" for h in names)
        more = f" (and {len(clashes) - 1} more column(s))" if len(clashes) > 1 else ""
        raise InputFileError(f"{source}: headers {listed} both name column '{canonical}' of instrument "
                             f"'{instrument.id}'{more}; keep only one of them")
    found = set(mapping.values())
    expected = [*instrument.fields, *instrument.items]
    unmatched = [c for c in expected if c not in found]
    return mapping, unmatched, unused
