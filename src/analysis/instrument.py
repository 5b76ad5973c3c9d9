"""Codebooks (instruments): the one module that knows the YAML format.

An instrument describes one data file layout: a questionnaire (``kind: survey``) or a
record layout such as KPI records (``kind: records``). Everything else in the package asks
the :class:`Instrument` object, never the YAML. ``docs/codebook.md`` documents the format.

The file format is described by the pydantic models of :mod:`analysis.codebook` (unknown keys are
errors); the loader reports every problem at once in one line, each with its path inside the
file, e.g. ``surveys/staff.yml: scales.TS.items[2]: unknown item 'TS9'``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from analysis.codebook import CODEBOOK_KEYS, InstrumentSpec, KeyColumnSpec, ResponseScaleSpec
from analysis.config import LabelSpec, codes, load_yaml, top_mapping, validate
from analysis.errors import InstrumentError


@dataclass(frozen=True)
class Label:
    """A bilingual text; ``get`` falls back to the other language when one is missing.

    Attributes
    ----------
    zh, en : the Chinese and English text (either may be empty).

    Examples
    --------
    >>> Label(zh="目标设定").get("en")  # no English: the Chinese text
    '目标设定'
    """

    zh: str = ""
    en: str = ""

    def get(self, lang: str = "zh") -> str:
        primary = self.zh if lang == "zh" else self.en
        return primary or self.en or self.zh


@dataclass(frozen=True)
class ResponseScale:
    """An answer format: whole numbers ``min``..``max`` (the default), the grid ``min``,
    ``min + step``, ..., ``max`` (``step``), or any number from ``min`` to ``max`` (``step=None``,
    declared as ``type: number``), e.g. a 0–10 rating averaged over several judges.

    Attributes
    ----------
    code : the response scale's code in the codebook.
    min, max : the lowest and highest answer.
    labels : language -> answer labels from ``min`` up.
    step : grid spacing (1: whole numbers), or None for any number in range.

    Examples
    --------
    >>> agree = ResponseScale("agree5", 1, 5, labels={"en": ("Strongly disagree", "Disagree", "Neutral", "Agree",
    ...                                                        "Strongly agree")})
    >>> agree.values(), agree.label_to_value()["Agree"]
    ((1, 2, 3, 4, 5), 4)
    """

    code: str
    min: float
    max: float
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    step: float | None = 1

    def values(self) -> tuple[float, ...] | None:
        """The allowed values in order, or ``None`` for a continuous scale."""
        if self.step is None:
            return None
        n = round((self.max - self.min) / self.step)
        return tuple(self.min + k * self.step for k in range(n + 1))

    def label_to_value(self) -> dict[str, float]:
        """Every response label (any language) mapped to its numeric value."""
        values = self.values() or ()
        return {text: values[offset] for texts in self.labels.values() for offset, text in enumerate(texts)}

    def accepts(self, values: Any) -> np.ndarray:
        """Which numbers are allowed answers: inside [min, max] and, unless continuous, on the grid.

        Examples
        --------
        >>> ResponseScale("half", 1, 5, step=0.5).accepts([1, 2.5, 2.25, 5.5]).tolist()
        [True, True, False, False]
        """
        x = np.asarray(values, dtype=float)
        inside = (x >= self.min) & (x <= self.max)
        if self.step is None:
            return inside
        k = (x - self.min) / self.step
        # Relative tolerance: "3.33" on a 0.01 grid is 333.00000000000006 steps from 0.
        return inside & (np.abs(k - np.round(k)) <= 1e-9 * np.maximum(1.0, np.abs(k)))


@dataclass(frozen=True)
class Item:
    """A question: its wording, response scale and keying.

    Attributes
    ----------
    code : the item code (the canonical column name).
    text : the wording (:class:`Label`).
    response : its :class:`ResponseScale`.
    reverse : reverse-keyed (scored as ``min + max - x``).
    aliases : other column names it may carry in an export.

    Examples
    --------
    >>> staff = load_instrument("surveys/staff.yml")
    >>> item = staff.items["TS4"]
    >>> item.reverse, item.response.code, item.text.en[:31]
    (True, 'agree5', 'My sales targets are simply imp')
    """

    code: str
    text: Label
    response: ResponseScale
    reverse: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scale:
    """A multi-item scale: its items, PDCA stage, level and scoring rule.

    Attributes
    ----------
    code, label : the scale's code and its :class:`Label`.
    items : its item codes.
    stage : the PDCA stage it belongs to (``plan``, ``do``, ...), or None.
    level : ``individual`` or ``branch`` (a climate aggregated to the branch).
    min_answered : answered items needed for a score.

    Examples
    --------
    >>> staff = load_instrument("surveys/staff.yml")
    >>> ts = staff.scales["TS"]
    >>> ts.items, ts.stage, ts.level, ts.min_answered
    (('TS1', 'TS2', 'TS3', 'TS4'), 'plan', 'individual', 2)
    """

    code: str
    label: Label
    items: tuple[str, ...]
    stage: str | None = None
    level: str = "individual"
    min_answered: int = 1


@dataclass(frozen=True)
class Field:
    """A demographic or record column with its type and allowed values.

    Attributes
    ----------
    code, label : the column and its :class:`Label`.
    type : ``category``, ``integer``, ``number``, ``string``, ``month`` or ``date``.
    required : whether a row without it is quarantined.
    min, max, positive : bounds of a number.
    values : category code -> :class:`Label`.
    within_wave : a month field that must lie in the wave's period.
    aliases : other column names it may carry in an export.
    pseudonymise_as : id namespace of a second id column to pseudonymise.

    Examples
    --------
    >>> staff = load_instrument("surveys/staff.yml")
    >>> staff.fields["gender"].value_lookup()
    {'1': '1', '男': '1', 'Male': '1', '2': '2', '女': '2', 'Female': '2'}
    """

    code: str
    label: Label
    type: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    positive: bool = False
    values: dict[str, Label] | None = None
    within_wave: bool = False
    aliases: tuple[str, ...] = ()
    pseudonymise_as: str | None = None  # a second id column, pseudonymised in this id namespace

    def value_lookup(self) -> dict[str, str]:
        """Codes and their labels (any language) mapped to the code, for category fields."""
        out: dict[str, str] = {}
        for code, label in (self.values or {}).items():
            out[code] = code
            for text in (label.zh, label.en):
                if text:
                    out[text] = code
        return out


@dataclass(frozen=True)
class KeyColumn:
    """The respondent or group identifier column.

    Attributes
    ----------
    column : the canonical column name.
    aliases : other names it may carry in an export.
    pseudonymise : replace its values by keyed pseudonyms at ingest.
    references : the instrument whose rows it points to (e.g. ``branches``).
    pseudonymise_as : the HMAC namespace, when not the column name.

    Examples
    --------
    >>> staff = load_instrument("surveys/staff.yml")
    >>> staff.respondent.column, staff.respondent.pseudonymise, staff.group.references
    ('staff_id', True, 'branches')
    """

    column: str
    aliases: tuple[str, ...] = ()
    pseudonymise: bool = False
    references: str | None = None
    pseudonymise_as: str | None = None  # HMAC namespace (default: the column name), e.g. staff_id
    required: bool = True  # an empty value quarantines the row (analyze --instrument keeps rows without a group)


@dataclass(frozen=True)
class FreeText(KeyColumn):
    """An open answer: matched like a key column; personal data in it is masked at ingest unless ``mask`` is off.

    Attributes
    ----------
    column, aliases : as in :class:`KeyColumn`.
    mask : mask names, phone numbers, ids, e-mail addresses and URLs at ingest
        (:func:`analysis.comments.mask_series`).
    id_pattern : a regular expression of the organisation's own ids, masked too.

    Examples
    --------
    >>> staff = load_instrument("surveys/staff.yml")
    >>> staff.free_text["suggestion"].mask, staff.free_text["suggestion"].id_pattern
    (True, 'S\\\\d{6}')
    """

    mask: bool = True
    id_pattern: str | None = None


@dataclass(frozen=True)
class Careless:
    """Thresholds for careless-responding flags (Curran 2016; Dunn et al. 2018).

    Attributes
    ----------
    too_fast_seconds : completion time below which a respondent is flagged.
    longstring_max : longest run of identical answers at which one is flagged.
    irv_min : response variability below which one is flagged.

    Examples
    --------
    >>> staff = load_instrument("surveys/staff.yml")
    >>> staff.careless
    Careless(too_fast_seconds=150, longstring_max=20, irv_min=0.25)
    """

    too_fast_seconds: float | None = None
    longstring_max: int | None = None
    irv_min: float | None = None


@dataclass(frozen=True)
class Instrument:
    """A codebook: one data file layout (a questionnaire or a record layout).

    Attributes
    ----------
    id, version, kind, title, languages : what the codebook is (``kind``: ``survey`` or ``records``).
    respondent, group, duration : the key columns (:class:`KeyColumn`; group and duration optional).
    private : columns (names, phones) dropped at ingest.
    fields, items, scales, free_text : the columns by code.
    unique : columns that identify a row.
    careless : careless-responding thresholds.
    path : the file it was read from.

    Examples
    --------
    >>> staff = load_instrument("surveys/staff.yml")
    >>> staff.id, staff.kind, len(staff.items), staff.scale_of("CO2"), staff.required_columns()[:2]
    ('staff', 'survey', 49, 'CO', ['staff_id', 'branch_id'])
    >>> staff.aliases()["staff_id"]
    ['staff_id', '工号', '员工编号', '员工工号', 'Staff ID']
    """

    id: str
    version: str
    kind: str
    title: Label
    languages: tuple[str, ...]
    respondent: KeyColumn
    group: KeyColumn | None
    duration: KeyColumn | None
    private: tuple[KeyColumn, ...]
    fields: dict[str, Field]
    items: dict[str, Item]
    scales: dict[str, Scale]
    free_text: dict[str, FreeText]
    unique: tuple[str, ...]
    careless: Careless
    path: Path | None = None

    @property
    def item_codes(self) -> list[str]:
        """Items in questionnaire order (the order longstring is computed in)."""
        return list(self.items)

    def scale_of(self, item: str) -> str | None:
        for scale in self.scales.values():
            if item in scale.items:
                return scale.code
        return None

    def aliases(self) -> dict[str, list[str]]:
        """Canonical column → the names it may carry in an export (itself first)."""
        out: dict[str, list[str]] = {}

        def add(code: str, extra: Iterable[str]) -> None:
            out[code] = [code, *extra]

        add(self.respondent.column, self.respondent.aliases)
        if self.group:
            add(self.group.column, self.group.aliases)
        if self.duration:
            add(self.duration.column, self.duration.aliases)
        for col in self.private:
            add(col.column, col.aliases)
        for f in self.fields.values():
            add(f.code, f.aliases)
        for it in self.items.values():
            add(it.code, (*it.aliases, it.text.zh, it.text.en))
        for code, col in self.free_text.items():
            add(code, col.aliases)
        return out

    def required_columns(self) -> list[str]:
        cols = [self.respondent.column]
        if self.group:
            cols.append(self.group.column)
        cols += [f.code for f in self.fields.values() if f.required]
        return cols


def load_instrument(path: str | Path) -> Instrument:
    """Read and validate one codebook; raise :class:`InstrumentError` listing every problem.

    Parameters
    ----------
    path : the codebook (YAML).

    Examples
    --------
    >>> staff = load_instrument("surveys/staff.yml")
    >>> staff.version, list(staff.scales)[:3]
    ('2026.1', ['TS', 'CO', 'EF'])
    """
    path = Path(path)
    return _instrument(load_yaml(path, InstrumentError, "instrument file"), path)


def load_instruments(directory: str | Path) -> dict[str, Instrument]:
    """Every codebook in a folder (``*.yml`` files with a ``kind`` or ``respondent`` key), by id.

    Other YAML files there (the study file, the action library) are skipped, but a file that is
    not valid YAML is an error: it could be a codebook.

    Parameters
    ----------
    directory : the folder of codebooks (a project's ``surveys/``).

    Examples
    --------
    >>> sorted(load_instruments("surveys"))
    ['actions_register', 'branches', 'customer', 'kpi', 'ratings360', 'staff']
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InstrumentError(f"{directory}: instruments folder not found")
    out: dict[str, Instrument] = {}
    for path in sorted(directory.glob("*.yml")):
        raw = load_yaml(path, InstrumentError)
        if isinstance(raw, dict) and any(key in raw for key in CODEBOOK_KEYS):
            inst = _instrument(raw, path)
            if inst.id in out:
                raise InstrumentError(f"{path}: id: instrument '{inst.id}' is already defined in {out[inst.id].path}")
            out[inst.id] = inst
    return out


def _instrument(raw: Any, path: Path) -> Instrument:
    raw = top_mapping(raw, path, InstrumentError, "id, version, kind, respondent, ...")
    context = {"response_scales": codes(raw, "response_scales"), "items": codes(raw, "items")}
    spec = validate(InstrumentSpec, raw, source=path, error=InstrumentError, context=context)
    responses = {code: _response_scale(code, rs) for code, rs in spec.response_scales.items()}
    items = {
        code: Item(code=code, text=to_label(it.text), response=responses[it.response or spec.default_response],
                   reverse=it.reverse, aliases=tuple(it.aliases))
        for code, it in spec.items.items()
    }
    scales = {
        # Default minimum-answered rule: at least half of the items (rounded up).
        code: Scale(code=code, label=to_label(sc.label), items=tuple(sc.items), stage=sc.stage, level=sc.level,
                    min_answered=sc.min_answered or max(1, math.ceil(len(sc.items) / 2)))
        for code, sc in spec.scales.items()
    }
    fields = {
        code: Field(code=code, label=to_label(f.label) if f.label else Label(code, code), type=f.type, required=f.required,
                    min=f.min, max=f.max, positive=f.positive, within_wave=f.within_wave, aliases=tuple(f.aliases),
                    values={k: to_label(v) for k, v in f.values.items()} if f.values else None,
                    pseudonymise_as=f.pseudonymise_as)
        for code, f in spec.fields.items()
    }
    return Instrument(
        id=spec.id, version=spec.version, kind=spec.kind, title=to_label(spec.title), languages=tuple(spec.languages),
        respondent=_key_column(spec.respondent), group=_key_column(spec.group) if spec.group else None,
        duration=_key_column(spec.duration) if spec.duration else None, private=tuple(_key_column(c) for c in spec.private),
        fields=fields, items=items, scales=scales,
        free_text={code: FreeText(column=code, aliases=tuple(ft.aliases), mask=ft.mask, id_pattern=ft.id_pattern)
                   for code, ft in spec.free_text.items()},
        unique=tuple(spec.unique or [spec.respondent.column]), careless=Careless(**spec.careless.model_dump()), path=path,
    )


def to_label(spec: LabelSpec) -> Label:
    """The :class:`Label` of a validated label of a configuration file.

    Parameters
    ----------
    spec : a validated label (:class:`analysis.config.LabelSpec`).

    Examples
    --------
    >>> from analysis.config import LabelSpec
    >>> to_label(LabelSpec(zh="目标设定", en="Target setting"))
    Label(zh='目标设定', en='Target setting')
    """
    return Label(zh=spec.zh, en=spec.en)


def _response_scale(code: str, spec: ResponseScaleSpec) -> ResponseScale:
    step = None if spec.type == "number" and spec.step is None else (spec.step or 1)
    return ResponseScale(code=code, min=spec.min, max=spec.max, labels={k: tuple(v) for k, v in spec.labels.items()}, step=step)


def _key_column(spec: KeyColumnSpec) -> KeyColumn:
    return KeyColumn(spec.column, tuple(spec.aliases), spec.pseudonymise or spec.pseudonymise_as is not None,
                     spec.references, spec.pseudonymise_as)
