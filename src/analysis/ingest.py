"""Ingest one export: map its columns through the instrument, validate every cell, split the rows.

Every input row ends up either accepted (typed, pseudonymised, without identifying columns)
or in quarantine with a reason code; ``accepted + quarantined == read`` always holds.

Validation is written here rather than with pandera: in pandera's lazy mode a column whose
values fail type coercion is no longer range-checked, so an out-of-range value next to a
non-numeric one goes unreported (pandera 0.35). Ingest must report every bad cell.

Reason codes (see ``REASONS``) are stable: tests and users filter quarantine.csv by them.
Rows a reader could not split into cells (``ragged_row``, ``bad_encoding``) arrive as
``RawTable.damaged`` and are quarantined here with the others, so one damaged row never costs
the rest of the file.

Before validation, the instrument's duration column is turned into seconds whatever the format
(``3分4秒``, ``0:03:04``), and a file's value labels, when it has them (SPSS), are reconciled with
the codebook (:mod:`analysis.io.value_labels`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.comments import mask_series
from analysis.errors import InputFileError
from analysis.instrument import Field, Instrument
from analysis.io.base import RawTable
from analysis.io.cells import duration_seconds
from analysis.io.headers import map_columns
from analysis.io.value_labels import reconcile_value_labels
from analysis.privacy import pseudonymise

REASONS = {
    "missing_required": "a required value is empty",
    "not_a_number": "not a number",
    "not_an_integer": "not a whole number",
    "out_of_range": "outside the allowed range",
    "negative_value": "negative where only zero or more is possible",
    "not_positive": "must be greater than zero",
    "not_allowed": "not one of the allowed values",
    "bad_month": "not a month (YYYY-MM)",
    "month_outside_wave": "month outside the wave's period",
    "bad_date": "not a date",
    "duplicate_respondent": "the same respondent answered more than once (first answer kept)",
    "duplicate_record": "the same record appears more than once (first kept)",
    "unknown_group": "refers to a group (e.g. branch) that is not in its reference table",
    "ragged_row": "more cells than the header has columns (a stray separator?); the row was not read",
    "bad_encoding": "text in another encoding than the rest of the file; the row was not read",
}

# Columns whose values never reach a file after ingest, not even in quarantine.
_HIDDEN_VALUE = "<hidden>"
# Below this share of matched items, a survey file is taken for another instrument's.
MIN_MATCHED_SHARE = 0.5


@dataclass
class IngestResult:
    accepted: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int
    reasons: dict[str, int]
    unmatched: list[str]
    unused_columns: list[str]
    notes: dict = field(default_factory=dict)

    @property
    def rows_quarantined(self) -> int:
        return int(sum(self.reasons.values()))


class _Problems:
    """Collects (row position, column, reason, value) in check order."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, mask: pd.Series, column: str, reason: str, values: pd.Series | None, hidden: bool = False) -> None:
        rows = np.flatnonzero(mask.to_numpy(dtype=bool))
        if rows.size == 0:
            return
        if values is None:  # the value is missing, nothing to show
            shown = [""] * rows.size
        else:
            shown = [_HIDDEN_VALUE] * rows.size if hidden else values.iloc[rows].astype(str).tolist()
        self.parts.append(pd.DataFrame({"pos": rows, "column": column, "reason": reason, "value": shown}))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"pos": pd.Series(dtype=int), "column": [], "reason": [], "value": []})
        out = pd.concat(self.parts, ignore_index=True)
        out["order"] = np.arange(len(out))
        return out.sort_values(["pos", "order"], kind="stable").drop(columns="order")


def _to_number(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").astype(float)


def _check_number(text: pd.Series, spec: Field, problems: _Problems, integer: bool) -> pd.Series:
    values = _to_number(text)
    present = text.notna()
    problems.add(present & values.isna(), spec.code, "not_a_number", text)
    ok = values.notna()
    if integer:
        problems.add(ok & (values % 1 != 0), spec.code, "not_an_integer", text)
    if spec.positive:
        problems.add(ok & (values <= 0), spec.code, "not_positive", text)
    if spec.min is not None:
        low = ok & (values < spec.min)
        reason = "negative_value" if spec.min == 0 else "out_of_range"
        problems.add(low & ~(spec.positive & (values <= 0)), spec.code, reason, text)
    if spec.max is not None:
        problems.add(ok & (values > spec.max), spec.code, "out_of_range", text)
    return values.round() if integer else values


_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]?\s*(\d{1,2})(?:\D.*)?$")


def _check_month(text: pd.Series, spec: Field, problems: _Problems, months: tuple[str, ...]) -> pd.Series:
    parts = text.str.extract(_MONTH)
    year = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(parts[1], errors="coerce")
    ok = year.notna() & month.between(1, 12)
    problems.add(text.notna() & ~ok, spec.code, "bad_month", text)
    out = pd.Series(pd.NA, index=text.index, dtype="string")
    out[ok] = [f"{int(y)}-{int(m):02d}" for y, m in zip(year[ok], month[ok])]
    if spec.within_wave and months:
        problems.add(ok & ~out.isin(months), spec.code, "month_outside_wave", text)
    return out


def _check_field(text: pd.Series, spec: Field, problems: _Problems, months: tuple[str, ...]) -> pd.Series:
    if spec.required:
        problems.add(text.isna(), spec.code, "missing_required", None)
    if spec.type in ("number", "integer"):
        values = _check_number(text, spec, problems, integer=spec.type == "integer")
        return values.astype("Int64") if spec.type == "integer" else values
    if spec.type == "category":
        lookup = spec.value_lookup()
        # Numeric codes may arrive as "1.0" from spreadsheets.
        normalised = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
        codes = normalised.map(lambda v: lookup.get(v, pd.NA) if pd.notna(v) else pd.NA).astype("string")
        problems.add(text.notna() & codes.isna(), spec.code, "not_allowed", text)
        return codes
    if spec.type == "month":
        return _check_month(text, spec, problems, months)
    if spec.type == "date":
        dates = pd.to_datetime(text, errors="coerce")
        problems.add(text.notna() & dates.isna(), spec.code, "bad_date", text)
        return dates
    return text.astype("string")


def _check_item(text: pd.Series, code: str, instrument: Instrument, problems: _Problems) -> pd.Series:
    response = instrument.items[code].response
    labels = response.label_to_value()
    from_label = text.map(lambda v: labels.get(v, np.nan) if pd.notna(v) else np.nan).astype(float)
    values = from_label.fillna(_to_number(text))
    problems.add(text.notna() & values.isna(), code, "not_a_number", text)
    # Outside [min, max], or off the scale's grid (a fraction on a whole-number scale).
    problems.add(values.notna() & ~response.accepts(values), code, "out_of_range", text)
    return values


def ingest_table(
    raw: RawTable,
    instrument: Instrument,
    *,
    file_label: str,
    secret: bytes,
    months: tuple[str, ...] = (),
    known_groups: set[str] | None = None,
    seen_keys: set[tuple] | None = None,
) -> IngestResult:
    """Validate and split one export.

    Parameters
    ----------
    raw : the decoded export.
    instrument : the codebook the file follows.
    file_label : how the file is named in messages and quarantine (e.g. ``staff_survey.csv``).
    secret : the pseudonymisation key (:func:`analysis.privacy.load_secret`).
    months : the wave's months, for ``within_wave`` month fields.
    known_groups : ids of the referenced table (e.g. accepted branch ids) for the ``unknown_group`` check.
    seen_keys : unique keys accepted from earlier files of the same instrument; updated in place.

    Raises
    ------
    InputFileError
        When the file cannot be used at all: a required column is missing, two headers name the
        same column, too few of the instrument's columns are found (most likely another
        instrument's file), or its value labels contradict the codebook.
    """
    mapping, unmatched, unused = map_columns(list(raw.frame.columns), instrument, source=file_label)
    found = set(mapping.values())
    for column in instrument.required_columns():
        if column not in found:
            names = ", ".join(instrument.aliases()[column])
            raise InputFileError(f"{file_label}: required column '{column}' missing (looked for: {names})")
    # A questionnaire export without most of its items is another instrument's file; record
    # layouts are recognised by their required columns alone.
    expected = len(instrument.items)
    matched = expected - sum(c in instrument.items for c in unmatched)
    if expected and matched / expected < MIN_MATCHED_SHARE:
        raise InputFileError(
            f"{file_label}: only {matched} of {expected} items of instrument '{instrument.id}' found; "
            f"is this the right file for '{instrument.id}'?"
        )
    frame = raw.frame[list(mapping)].rename(columns=mapping)
    if raw.missing_codes:
        frame = frame.mask(frame.isin(raw.missing_codes))
    notes = dict(raw.notes)
    value_labels = notes.pop("value_labels", None)
    if value_labels is not None:
        frame, recoded, label_notes = reconcile_value_labels(frame, value_labels, mapping, instrument, source=file_label)
        notes["value_labels_recoded"] = recoded
        notes["value_label_notes"] = label_notes
    if instrument.duration and instrument.duration.column in frame:
        column = instrument.duration.column
        frame[column] = frame[column].map(duration_seconds, na_action="ignore").astype("string")
    problems = _Problems()
    out: dict[str, pd.Series] = {}

    rid = instrument.respondent
    problems.add(frame[rid.column].isna(), rid.column, "missing_required", None)
    ids = frame[rid.column].astype("string")
    if instrument.group:
        gcol = instrument.group.column
        if instrument.group.required:
            problems.add(frame[gcol].isna(), gcol, "missing_required", None)
        out[gcol] = frame[gcol].astype("string")
    if instrument.duration and instrument.duration.column in frame:
        duration = Field(code=instrument.duration.column, label=instrument.title, type="number", min=0)
        out[duration.code] = _check_number(frame[duration.code], duration, problems, integer=False)
    for code, spec in instrument.fields.items():
        if code in frame:
            out[code] = _check_field(frame[code], spec, problems, months)
    for code in instrument.items:
        if code in frame:
            out[code] = _check_item(frame[code], code, instrument, problems)
    for code, spec in instrument.free_text.items():
        if code in frame:
            text = frame[code].astype("string")
            # no names or phone numbers after ingest, in open answers either (best effort: docs/comments.md)
            out[code] = mask_series(text, id_pattern=spec.id_pattern) if spec.mask else text

    bad = np.zeros(len(frame), dtype=bool)
    listed = problems.frame()
    bad[listed["pos"].to_numpy(dtype=int)] = True
    if known_groups is not None and instrument.group:
        gcol = instrument.group.column
        unknown = frame[gcol].notna() & ~frame[gcol].isin(known_groups)
        problems.add(unknown & ~bad, gcol, "unknown_group", frame[gcol])
        bad |= unknown.to_numpy()
    key_frame = pd.DataFrame({c: (ids if c == rid.column else out.get(c, frame.get(c))) for c in instrument.unique})
    keys = list(key_frame.itertuples(index=False, name=None))
    seen = seen_keys if seen_keys is not None else set()
    duplicate = np.zeros(len(frame), dtype=bool)
    for pos, key in enumerate(keys):
        if bad[pos]:
            continue
        if key in seen:
            duplicate[pos] = True
        else:
            seen.add(key)
    reason = "duplicate_respondent" if instrument.kind == "survey" else "duplicate_record"
    problems.add(pd.Series(duplicate), rid.column, reason, None)
    bad |= duplicate

    listed = problems.frame()
    linked = {code: f.pseudonymise_as for code, f in instrument.fields.items() if f.pseudonymise_as and code in out}
    hidden = {rid.column, *(c.column for c in instrument.private), *linked}
    listed.loc[listed["column"].isin(hidden), "value"] = _HIDDEN_VALUE
    listed["row"] = raw.source_rows[listed["pos"].to_numpy(dtype=int)]
    listed["message"] = [
        f"{file_label}: row {row}, column '{col}': {REASONS[reason]}" + ("" if value == _HIDDEN_VALUE else f" (value {value!r})")
        for row, col, reason, value in zip(listed["row"], listed["column"], listed["reason"], listed["value"])
    ]
    primary = listed.drop_duplicates("pos")["reason"].value_counts()
    listed = listed.drop(columns="pos")
    if raw.damaged:
        listed = pd.concat([listed, _damaged_rows(raw, file_label, mapping)], ignore_index=True)
        listed = listed.astype({"row": int}).sort_values("row", kind="stable")
    listed.insert(0, "file", file_label)
    quarantine = listed[["file", "row", "column", "reason", "value", "message"]].reset_index(drop=True)
    reasons = {k: int(v) for k, v in primary.items()}
    for damage in raw.damaged:
        reasons[damage.reason] = reasons.get(damage.reason, 0) + 1

    accepted = pd.DataFrame(out)
    for code, namespace in linked.items():  # e.g. the ratee of a 360° rating: linked to staff ids
        accepted[code] = pseudonymise(accepted[code], secret, namespace)
    respondent = pseudonymise(ids, secret, rid.pseudonymise_as or rid.column) if rid.pseudonymise else ids
    accepted.insert(0, rid.column, respondent)
    shared_ip_rows = notes.pop("duplicate_ip_rows", None)
    if shared_ip_rows is not None:
        # Several answers from one address are flagged, not dropped: staff of one hall share its network.
        accepted["flag_duplicate_ip"] = np.isin(raw.source_rows, shared_ip_rows)
    accepted = accepted[~bad].reset_index(drop=True)
    return IngestResult(
        accepted=accepted,
        quarantine=quarantine,
        rows_read=raw.rows_read,
        reasons=reasons,
        unmatched=unmatched,
        unused_columns=[c for c in unused if c not in {p.column for p in instrument.private}],
        notes=notes,
    )


def _damaged_rows(raw: RawTable, file_label: str, mapping: dict[str, str]) -> pd.DataFrame:
    """Quarantine entries for the rows the reader could not read; their content is never shown."""
    entries = []
    for damage in raw.damaged:
        column = mapping.get(damage.column, damage.column)
        where = f"row {damage.row}" + (f", column '{column}'" if column else "")
        detail = f" ({damage.detail})" if damage.detail else ""
        entries.append({"row": damage.row, "column": column, "reason": damage.reason, "value": "",
                        "message": f"{file_label}: {where}: {REASONS[damage.reason]}{detail}"})
    return pd.DataFrame(entries, columns=["row", "column", "reason", "value", "message"])
