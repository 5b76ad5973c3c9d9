"""Cell text as every reader hands it to ingest, and the value conversions ingest applies.

One place for what "the same answer" means whatever the file: NFKC folds full-width digits,
letters and punctuation (``４`` → ``4``, ``２５`` → ``25``, ``－3`` → ``-3``, the ideographic space)
that Chinese input methods type, so they validate like their ASCII forms; U+2212 (the typographic
minus) becomes ``-``; NUL bytes and zero-width characters, which no answer contains on purpose,
are dropped; surrounding space is stripped and an empty cell is missing.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

# Invisible characters that only ever come from copy-paste or a file stitched together by hand.
_DROP = dict.fromkeys(map(ord, "\x00\u200b\u200c\u200d\u2060\ufeff"))
_DROP[ord("\u2212")] = "-"


def normalise_text(value: str) -> str:
    """One cell's text, NFKC-folded and cleaned (see the module docstring).

    Examples
    --------
    >>> normalise_text("　２５ ")
    '25'
    >>> normalise_text("－０.５"), normalise_text("a\\x00b")
    ('-0.5', 'ab')
    """
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value.translate(_DROP))
    elif "\x00" in value:
        value = value.replace("\x00", "")
    return value.strip()


def text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """All cells as normalised text (:func:`normalise_text`); empty cells as ``pd.NA``."""
    out = {}
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i].astype("string")
        wide = ~values.str.isascii().fillna(True)
        if wide.any():  # most cells are ASCII: fold only the others (NFKC is the slow part)
            values = values.where(~wide, values[wide].map(normalise_text))
        if values.str.contains("\x00", regex=False).any():
            values = values.str.replace("\x00", "", regex=False)
        out[i] = values.str.strip()
    result = pd.DataFrame(out, index=frame.index)
    result.columns = frame.columns
    return result.mask(result == "", pd.NA)


_DURATION = re.compile(
    r"^(?:(?P<d>\d+(?:\.\d+)?)天)?(?:(?P<h>\d+(?:\.\d+)?)(?:小时|时))?(?:(?P<m>\d+(?:\.\d+)?)分(?:钟)?)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)秒(?:钟)?)?$"
)
_CLOCK = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{1,2}(?:\.\d+)?)$")
_SECONDS = re.compile(r"^(?P<s>\d+(?:\.\d+)?)(?:s|sec|secs|seconds?)?$", re.IGNORECASE)


def duration_seconds(value: object) -> object:
    """A time taken as seconds (text): ``"3分4秒"``, ``"1时2分3秒"``, ``"123秒"``, ``"0:03:04"``, ``"184"``.

    问卷星 writes 所用时间 as ``2分3秒``; other platforms and hand-made sheets use ``mm:ss``,
    ``hh:mm:ss`` or plain seconds. Anything else is returned unchanged, so that ingest reports it
    (``not_a_number``).

    Examples
    --------
    >>> duration_seconds("3分4秒"), duration_seconds("1小时0分5秒"), duration_seconds("0:03:04")
    ('184', '3605', '184')
    >>> duration_seconds("约5分钟左右")
    '约5分钟左右'
    """
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return value
    text = re.sub(r"\s+", "", str(value))
    if not text:
        return value
    match = _SECONDS.fullmatch(text) or _CLOCK.fullmatch(text) or _DURATION.fullmatch(text)
    if not match or not any(match.groupdict().values()):
        return value
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    seconds = parts.get("d", 0.0) * 86400 + parts.get("h", 0.0) * 3600 + parts.get("m", 0.0) * 60 + parts["s"]
    return str(int(seconds)) if seconds.is_integer() else repr(seconds)
