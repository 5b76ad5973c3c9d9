"""A file's value labels (SPSS ``.sav``) reconciled with the codebook's, so codes mean what they say.

An SPSS file carries, per variable, what each code means (``1 = 非常同意``). When that meaning
differs from the codebook's (a questionnaire whose scale ran the other way, a gender coded
2/1), taking the codes as they are silently reverses scores. So, per item or category field that
has labels in both the file and the codebook:

* every labelled code is mapped to the codebook code with the same label (any language; width,
  space and case folded). Labels that agree code for code change nothing;
* when they disagree, the cells are recoded by label, and the recoding is recorded. Codes in the
  data without a label are recoded only when the labelled ones show a plain reversal
  (``min + max - x``) of an item's scale; otherwise their meaning is unknown and the file stops;
* a label the codebook does not have, on a code the codebook uses, or one label on two codes, or
  two codes meaning the same codebook value, stops the file (``InputFileError``): no guess is safe;
* a labelled code outside the codebook (``9 = 不适用``) is noted; its cells stay as they are and
  are quarantined as out of range unless they are declared missing.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from analysis.errors import InputFileError
from analysis.instrument import Instrument


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


def _sort_key(code: str) -> tuple:
    try:
        return (0, float(code), code)
    except ValueError:
        return (1, 0.0, code)


def codebook_labels(canonical: str, instrument: Instrument) -> tuple[str, dict[str, tuple[str, ...]]] | None:
    """(kind, code → labels in every language) for an item or category field, or None without labels."""
    if canonical in instrument.items:
        response = instrument.items[canonical].response
        if not response.labels:
            return None
        return "item", {
            str(v): tuple(texts[v - response.min] for texts in response.labels.values() if v - response.min < len(texts))
            for v in range(response.min, response.max + 1)
        }
    spec = instrument.fields.get(canonical)
    if spec is not None and spec.type == "category" and spec.values:
        return "field", {code: tuple(t for t in (label.zh, label.en) if t) for code, label in spec.values.items()}
    return None


def reconcile_value_labels(
    frame: pd.DataFrame, value_labels: dict[str, dict[str, str]], mapping: dict[str, str], instrument: Instrument,
    *, source: str,
) -> tuple[pd.DataFrame, dict[str, dict[str, str]], list[str]]:
    """Recode ``frame`` (canonical columns, text cells) by the file's value labels.

    Parameters
    ----------
    frame : the export's cells under canonical column names.
    value_labels : header → {code: label}, as in ``RawTable.notes['value_labels']``.
    mapping : header → canonical column (:func:`analysis.io.headers.map_columns`).
    instrument : the codebook.
    source : the file's name for messages.

    Returns
    -------
    (frame, recoded, notes): the recoded copy; canonical column → {file code: codebook code} for
    every column that was recoded; one line per label that changed nothing but is worth knowing.

    Raises
    ------
    InputFileError
        When the labels contradict the codebook in a way no recoding settles (module docstring).
    """
    frame = frame.copy()
    recoded: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    for header, labels in value_labels.items():
        canonical = mapping.get(header)
        known = codebook_labels(canonical, instrument) if canonical else None
        if known is None or not labels:
            continue
        kind, expected = known
        where = f"{source}: {kind} {canonical} (variable '{header}')"
        by_label: dict[str, str] = {}
        ambiguous = set()
        for code, texts in expected.items():
            for text in texts:
                folded = _fold(text)
                if by_label.get(folded, code) != code:
                    ambiguous.add(folded)
                by_label[folded] = code
        target: dict[str, str] = {}
        seen: dict[str, str] = {}
        for code, label in sorted(labels.items(), key=lambda kv: _sort_key(kv[0])):
            folded = _fold(label)
            if folded in seen:
                _stop(where, f"codes {seen[folded]} and {code} have the same label '{label}'")
            seen[folded] = code
            if folded in by_label and folded not in ambiguous:
                target[code] = by_label[folded]
            elif folded == _fold(code) and code in expected:
                target[code] = code
            elif code in expected:
                allowed = ", ".join(f"{c}={t[0]}" for c, t in expected.items() if t)
                _stop(where, f"code {code} is labelled '{label}', which is none of the codebook's labels ({allowed})")
            else:
                notes.append(f"{kind} {canonical}: code {code} ('{label}') is not in the codebook "
                             f"(allowed: {', '.join(expected)}); its answers are quarantined unless declared missing")
        meaning: dict[str, str] = {}
        for code, value in target.items():
            if value in meaning:
                _stop(where, f"codes {meaning[value]} and {code} both mean '{expected[value][0]}'")
            meaning[value] = code
        if all(code == value for code, value in target.items()):
            continue
        present = set(frame[canonical].dropna().unique()) if canonical in frame else set()
        unlabelled = sorted((c for c in present if c in expected and c not in target), key=_sort_key)
        if unlabelled:
            ends = min(map(int, expected)) + max(map(int, expected)) if kind == "item" else None
            if ends is not None and all(int(v) == ends - int(c) for c, v in target.items()):
                target.update({c: str(ends - int(c)) for c in unlabelled})
            else:
                _stop(where, f"the labels move codes ({_describe(target)}) but code(s) {', '.join(unlabelled)} have no "
                     "label, so their meaning is unknown")
        if canonical in frame:
            frame[canonical] = frame[canonical].map(target.get, na_action="ignore").fillna(frame[canonical]).astype("string")
        recoded[canonical] = {c: v for c, v in sorted(target.items(), key=lambda kv: _sort_key(kv[0])) if c != v}
    return frame, recoded, notes


def _stop(where: str, problem: str) -> None:
    raise InputFileError(f"{where}: {problem}; fix the value labels or the codes in a copy of the file")


def _describe(target: dict[str, str]) -> str:
    return ", ".join(f"{c}→{v}" for c, v in sorted(target.items(), key=lambda kv: _sort_key(kv[0])) if c != v)
