"""The codebook (instrument YAML) format as pydantic models: every key, its type and its checks.

Only :mod:`analysis.instrument` uses these models; it turns a validated :class:`InstrumentSpec`
into the :class:`~analysis.instrument.Instrument` the rest of the package asks.
``docs/codebook.md`` documents the keys. Unknown keys are errors (``extra="forbid"``).
References between sections (an item's response scale, a scale's items) are checked against
the codes of the file, passed as the validation context by the loader.
"""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any, Literal

from pydantic import Field as Constraint
from pydantic import ValidationInfo, field_validator, model_validator

from analysis.config import LabelSpec, Number, SafeName, Strict, Text, TextList, reference

Kind = Literal["survey", "records"]
FieldType = Literal["category", "integer", "number", "string", "month", "date"]
Stage = Literal["plan", "do", "check", "act", "all"]
Level = Literal["individual", "branch"]
Language = Literal["zh", "en"]
LANGUAGES = typing.get_args(Language)
# Keys by which a YAML file in the instruments folder is taken for a codebook (the generating
# model of the simulation has ``items`` and ``careless`` sections of its own).
CODEBOOK_KEYS = ("kind", "respondent")

ResponseRef = Annotated[Text, reference("response_scales", "response scale")]
ItemRef = Annotated[Text, reference("items", "item")]


class ResponseScaleSpec(Strict):
    type: Literal["integer", "number"] | None = None
    min: Number
    max: Number
    step: Annotated[Number, Constraint(gt=0)] | None = None
    labels: dict[Text, TextList] = {}

    @model_validator(mode="after")
    def _values(self) -> ResponseScaleSpec:
        if self.type == "integer" and self.step is not None:
            raise ValueError("step: only for a scale of type: number (or leave type out)")
        whole = self.type != "number" and self.step is None
        if whole and not (isinstance(self.min, int) and isinstance(self.max, int)):
            raise ValueError("needs integer min < max (for a continuous scale give a step or type: number)")
        if self.min >= self.max:
            raise ValueError("needs integer min < max" if whole else "needs min < max")
        if self.step is not None and not _whole((self.max - self.min) / self.step):
            raise ValueError(f"step: {self.step} does not divide max - min = {self.max - self.min}")
        n_values = None if self.type == "number" and self.step is None else round((self.max - self.min) / (self.step or 1)) + 1
        for lang, texts in self.labels.items():
            if n_values is None:
                raise ValueError(f"labels.{lang}: a continuous scale has no labelled values (give a step)")
            if len(texts) != n_values:
                raise ValueError(f"labels.{lang}: has {len(texts)} labels for {n_values} values")
        return self


def _whole(x: float) -> bool:
    return abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))


class ItemSpec(Strict):
    text: LabelSpec = Constraint(None, validate_default=True)
    reverse: bool = False
    aliases: TextList = []
    response: ResponseRef | None = None

    @field_validator("text")
    @classmethod
    def _has_text(cls, text: LabelSpec) -> LabelSpec:
        if not text.zh and not text.en:
            raise ValueError("item needs a text in zh or en")
        return text


class ScaleSpec(Strict):
    label: LabelSpec = LabelSpec()
    items: Annotated[list[ItemRef], Constraint(min_length=1)]
    stage: Stage | None = None
    level: Level = "individual"
    min_answered: int | None = None

    @field_validator("min_answered")
    @classmethod
    def _answerable(cls, value: int | None, info: ValidationInfo) -> int | None:
        n = len(info.data.get("items") or ())
        if value is not None and n and not 1 <= value <= n:
            raise ValueError(f"must be an integer from 1 to {n}")
        return value


class FieldSpec(Strict):
    label: LabelSpec | None = None
    type: FieldType = "string"
    required: bool = False
    min: Number | None = None
    max: Number | None = None
    positive: bool = False
    values: dict[Text, LabelSpec] | None = Constraint(None, validate_default=True)
    within_wave: bool = False
    aliases: TextList = []
    # a second id column (e.g. the ratee of a 360° rating) pseudonymised in another id's namespace
    pseudonymise_as: SafeName | None = None

    @field_validator("pseudonymise_as")
    @classmethod
    def _linked_id(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("type", "string") != "string":
            raise ValueError("only string fields can be pseudonymised as another id")
        return value

    @field_validator("min", "max", "positive")
    @classmethod
    def _numeric(cls, value: Any, info: ValidationInfo) -> Any:
        if value not in (None, False) and info.data.get("type", "number") not in ("integer", "number"):
            raise ValueError(f"only integer and number fields take {info.field_name}")
        low = info.data.get("min")
        if info.field_name == "max" and low is not None and value is not None and value < low:
            raise ValueError(f"{value} is below min {low}")
        return value

    @field_validator("values")
    @classmethod
    def _categories(cls, value: dict | None, info: ValidationInfo) -> dict | None:
        ftype = info.data.get("type")
        if ftype == "category" and not value:
            raise ValueError("a category field needs a mapping of allowed values")
        if ftype not in (None, "category") and value:
            raise ValueError("only category fields take values")
        return value

    @field_validator("within_wave")
    @classmethod
    def _month(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("type", "month") != "month":
            raise ValueError("only month fields take within_wave")
        return value


class KeyColumnSpec(Strict):
    column: Text
    aliases: TextList = []
    pseudonymise: bool = False
    references: Text | None = None
    pseudonymise_as: SafeName | None = None  # HMAC namespace (default: the column), e.g. staff_id

    @model_validator(mode="before")
    @classmethod
    def _column_only(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str) else data


class FreeTextSpec(Strict):
    aliases: TextList = []
    mask: bool = True  # names, phone numbers, ids ... replaced at ingest (analysis.comments.mask_personal)
    id_pattern: Text | None = None  # a regex of the organisation's ids (e.g. staff ids S\d{6}) to mask too

    @field_validator("id_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression ({exc})") from None
        return value


class CarelessSpec(Strict):
    too_fast_seconds: Annotated[Number, Constraint(ge=0)] | None = None
    longstring_max: Annotated[int, Constraint(ge=1)] | None = None
    irv_min: Annotated[Number, Constraint(ge=0)] | None = None


class InstrumentSpec(Strict):
    id: SafeName
    version: Text
    kind: Kind
    title: LabelSpec = LabelSpec()
    languages: list[Language] = list(LANGUAGES)
    respondent: KeyColumnSpec
    group: KeyColumnSpec | None = None
    duration: KeyColumnSpec | None = None
    private: list[KeyColumnSpec] = []
    unique: TextList | None = None
    careless: CarelessSpec = CarelessSpec()
    response_scales: dict[Text, ResponseScaleSpec] = {}
    default_response: ResponseRef | None = None
    fields: dict[Text, FieldSpec] = {}
    items: dict[Text, ItemSpec] = {}
    scales: dict[Text, ScaleSpec] = {}
    free_text: dict[Text, FreeTextSpec] = {}

    @model_validator(mode="after")
    def _cross_references(self) -> InstrumentSpec:
        problems = [f"items.{code}.response: no response scale (name one, or set default_response)"
                    for code, item in self.items.items() if (item.response or self.default_response) is None]
        owner: dict[str, str] = {}
        for code, scale in self.scales.items():
            for i, item in enumerate(scale.items):
                if owner.setdefault(item, code) != code:
                    problems.append(f"scales.{code}.items[{i}]: item '{item}' already belongs to scale '{owner[item]}'")
        keys = [c.column for c in (self.respondent, self.group, self.duration, *self.private) if c]
        names = [*keys, *self.fields, *self.items, *self.free_text]
        problems += [f"columns: '{name}' is defined twice" for name in dict.fromkeys(names) if names.count(name) > 1]
        known = {self.respondent.column, *self.fields, *self.items, *self.free_text, *([self.group.column] if self.group else [])}
        problems += [f"unique[{i}]: unknown column '{col}'" for i, col in enumerate(self.unique or ()) if col not in known]
        if problems:
            raise ValueError("; ".join(problems))
        return self
