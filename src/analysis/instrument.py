"""Codebooks (instruments): the one module that knows the YAML format.

An instrument describes one data file layout: a questionnaire (``kind: survey``) or a
record layout such as KPI records (``kind: records``). Everything else in the package asks
the :class:`Instrument` object, never the YAML. ``docs/codebook.md`` documents the format.

The loader checks the whole file and reports every problem at once, each with its path
inside the file, e.g. ``surveys/staff.yml: scales.TS.items[2]: unknown item 'TS9'``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from analysis.errors import InstrumentError

KINDS = ("survey", "records")
FIELD_TYPES = ("category", "integer", "number", "string", "month", "date")
STAGES = ("plan", "do", "check", "act", "all")
LEVELS = ("individual", "branch")
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Label:
    """A bilingual text; ``get`` falls back to the other language when one is missing."""

    zh: str = ""
    en: str = ""

    def get(self, lang: str = "zh") -> str:
        primary = self.zh if lang == "zh" else self.en
        return primary or self.en or self.zh


@dataclass(frozen=True)
class ResponseScale:
    code: str
    min: int
    max: int
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def label_to_value(self) -> dict[str, int]:
        """Every response label (any language) mapped to its numeric value."""
        out: dict[str, int] = {}
        for texts in self.labels.values():
            for offset, text in enumerate(texts):
                out[text] = self.min + offset
        return out


@dataclass(frozen=True)
class Item:
    code: str
    text: Label
    response: ResponseScale
    reverse: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scale:
    code: str
    label: Label
    items: tuple[str, ...]
    stage: str | None = None
    level: str = "individual"
    min_answered: int = 1


@dataclass(frozen=True)
class Field:
    """A demographic or record column with its type and allowed values."""

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
    """The respondent or group identifier column."""

    column: str
    aliases: tuple[str, ...] = ()
    pseudonymise: bool = False
    references: str | None = None
    pseudonymise_as: str | None = None  # HMAC namespace (default: the column name), e.g. staff_id


@dataclass(frozen=True)
class Careless:
    """Thresholds for careless-responding flags (Curran 2016; Dunn et al. 2018)."""

    too_fast_seconds: float | None = None
    longstring_max: int | None = None
    irv_min: float | None = None


@dataclass(frozen=True)
class Instrument:
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
    free_text: dict[str, KeyColumn]
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
    """Read and validate one codebook; raise :class:`InstrumentError` listing every problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InstrumentError(f"{path}: instrument file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise InstrumentError(f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return _Parser(path).parse(raw)


def load_instruments(directory: str | Path) -> dict[str, Instrument]:
    """Every ``*.yml`` codebook in a folder (files with a ``kind`` key), keyed by instrument id."""
    out: dict[str, Instrument] = {}
    for path in sorted(Path(directory).glob("*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(raw, dict) and "kind" in raw:
            inst = load_instrument(path)
            out[inst.id] = inst
    return out


class _Parser:
    """Turns the YAML mapping into an :class:`Instrument`, collecting problems as it goes."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def parse(self, raw: Any) -> Instrument:
        if not isinstance(raw, dict):
            raise InstrumentError(f"{self.path}: top level must be a mapping")
        for key in ("id", "version", "kind", "respondent"):
            if key not in raw:
                self.fail(key, "required key missing")
        kind = raw.get("kind", "survey")
        if kind not in KINDS:
            self.fail("kind", f"must be one of {', '.join(KINDS)}, not '{kind}'")
        languages = tuple(raw.get("languages", LANGUAGES))
        for i, lang in enumerate(languages):
            if lang not in LANGUAGES:
                self.fail(f"languages[{i}]", f"unsupported language '{lang}'")
        responses = {
            code: self.response_scale(f"response_scales.{code}", code, spec)
            for code, spec in self.mapping(raw, "response_scales").items()
        }
        default_response = raw.get("default_response")
        if default_response is not None and default_response not in responses:
            self.fail("default_response", f"unknown response scale '{default_response}'")
        items = {
            code: self.item(f"items.{code}", code, spec, responses, default_response)
            for code, spec in self.mapping(raw, "items").items()
        }
        scales = {
            code: self.scale(f"scales.{code}", code, spec, items)
            for code, spec in self.mapping(raw, "scales").items()
        }
        seen: dict[str, str] = {}
        for scale in scales.values():
            for i, item in enumerate(scale.items):
                if item in seen and seen[item] != scale.code:
                    self.fail(f"scales.{scale.code}.items[{i}]", f"item '{item}' already belongs to scale '{seen[item]}'")
                seen[item] = scale.code
        fields = {code: self.field(f"fields.{code}", code, spec) for code, spec in self.mapping(raw, "fields").items()}
        respondent = self.key_column("respondent", raw.get("respondent"))
        group = self.key_column("group", raw["group"]) if raw.get("group") else None
        duration = self.key_column("duration", raw["duration"]) if raw.get("duration") else None
        private = tuple(self.key_column(f"private[{i}]", spec) for i, spec in enumerate(raw.get("private") or []))
        free_text = {
            code: KeyColumn(column=code, aliases=tuple((spec or {}).get("aliases", ())))
            for code, spec in self.mapping(raw, "free_text").items()
        }
        known = {respondent.column, *fields, *items, *free_text}
        if group:
            known.add(group.column)
        unique = tuple(raw.get("unique") or [respondent.column])
        for i, col in enumerate(unique):
            if col not in known:
                self.fail(f"unique[{i}]", f"unknown column '{col}'")
        names = [respondent.column, *(c.column for c in private), *fields, *items, *free_text]
        names += [c.column for c in (group, duration) if c]
        for name in {n for n in names if names.count(n) > 1}:
            self.fail("columns", f"'{name}' is defined twice")
        careless_raw = raw.get("careless") or {}
        careless = Careless(
            too_fast_seconds=careless_raw.get("too_fast_seconds"),
            longstring_max=careless_raw.get("longstring_max"),
            irv_min=careless_raw.get("irv_min"),
        )
        if self.problems:
            raise InstrumentError(f"{self.path}: " + "; ".join(self.problems))
        return Instrument(
            id=str(raw["id"]),
            version=str(raw["version"]),
            kind=kind,
            title=self.label(raw.get("title")),
            languages=languages,
            respondent=respondent,
            group=group,
            duration=duration,
            private=private,
            fields=fields,
            items=items,
            scales=scales,
            free_text=free_text,
            unique=unique,
            careless=careless,
            path=self.path,
        )

    def mapping(self, raw: dict, key: str) -> dict:
        value = raw.get(key) or {}
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping keyed by code")
            return {}
        return {str(k): v for k, v in value.items()}

    @staticmethod
    def label(value: Any) -> Label:
        if isinstance(value, dict):
            return Label(zh=str(value.get("zh", "")), en=str(value.get("en", "")))
        return Label(zh=str(value or ""), en=str(value or ""))

    def response_scale(self, where: str, code: str, spec: Any) -> ResponseScale:
        spec = spec or {}
        lo, hi = spec.get("min"), spec.get("max")
        if not isinstance(lo, int) or not isinstance(hi, int) or lo >= hi:
            self.fail(where, "needs integer min < max")
            lo, hi = 1, 2
        labels = {lang: tuple(str(t) for t in texts) for lang, texts in (spec.get("labels") or {}).items()}
        for lang, texts in labels.items():
            if len(texts) != hi - lo + 1:
                self.fail(f"{where}.labels.{lang}", f"has {len(texts)} labels for {hi - lo + 1} values")
        return ResponseScale(code=code, min=lo, max=hi, labels=labels)

    def item(self, where: str, code: str, spec: Any, responses: dict, default: str | None) -> Item:
        spec = spec or {}
        response_code = spec.get("response", default)
        if response_code not in responses:
            self.fail(f"{where}.response", f"unknown response scale '{response_code}'")
            response = ResponseScale(code="?", min=1, max=5)
        else:
            response = responses[response_code]
        text = self.label(spec.get("text"))
        if not text.zh and not text.en:
            self.fail(f"{where}.text", "item needs a text in zh or en")
        return Item(
            code=code,
            text=text,
            response=response,
            reverse=bool(spec.get("reverse", False)),
            aliases=tuple(str(a) for a in spec.get("aliases", ())),
        )

    def scale(self, where: str, code: str, spec: Any, items: dict) -> Scale:
        spec = spec or {}
        members = list(spec.get("items") or [])
        for i, item in enumerate(members):
            if item not in items:
                self.fail(f"{where}.items[{i}]", f"unknown item '{item}'")
        if not members:
            self.fail(f"{where}.items", "a scale needs at least one item")
        stage = spec.get("stage")
        if stage is not None and stage not in STAGES:
            self.fail(f"{where}.stage", f"must be one of {', '.join(STAGES)}, not '{stage}'")
        level = spec.get("level", "individual")
        if level not in LEVELS:
            self.fail(f"{where}.level", f"must be one of {', '.join(LEVELS)}, not '{level}'")
        # Default minimum-answered rule: at least half of the items (rounded up).
        min_answered = spec.get("min_answered", max(1, math.ceil(len(members) / 2)))
        if not isinstance(min_answered, int) or not 1 <= min_answered <= max(1, len(members)):
            self.fail(f"{where}.min_answered", f"must be an integer from 1 to {len(members)}")
            min_answered = 1
        return Scale(
            code=code,
            label=self.label(spec.get("label")),
            items=tuple(members),
            stage=stage,
            level=level,
            min_answered=min_answered,
        )

    def field(self, where: str, code: str, spec: Any) -> Field:
        spec = spec or {}
        ftype = spec.get("type", "string")
        if ftype not in FIELD_TYPES:
            self.fail(f"{where}.type", f"must be one of {', '.join(FIELD_TYPES)}, not '{ftype}'")
        values = None
        if ftype == "category":
            raw_values = spec.get("values")
            if not isinstance(raw_values, dict) or not raw_values:
                self.fail(f"{where}.values", "a category field needs a mapping of allowed values")
            else:
                values = {str(k): self.label(v) for k, v in raw_values.items()}
        for bound in ("min", "max"):
            if bound in spec and not isinstance(spec[bound], (int, float)):
                self.fail(f"{where}.{bound}", "must be a number")
        alias_of = spec.get("pseudonymise_as")
        if alias_of is not None and (ftype != "string" or not isinstance(alias_of, str)):
            self.fail(f"{where}.pseudonymise_as", "needs a string field and the id namespace to use (e.g. staff_id)")
        return Field(
            code=code,
            label=self.label(spec.get("label", code)),
            type=ftype,
            required=bool(spec.get("required", False)),
            min=spec.get("min"),
            max=spec.get("max"),
            positive=bool(spec.get("positive", False)),
            values=values,
            within_wave=bool(spec.get("within_wave", False)),
            aliases=tuple(str(a) for a in spec.get("aliases", ())),
            pseudonymise_as=str(alias_of) if isinstance(alias_of, str) else None,
        )

    def key_column(self, where: str, spec: Any) -> KeyColumn:
        if isinstance(spec, str):
            return KeyColumn(column=spec)
        if not isinstance(spec, dict) or "column" not in spec:
            self.fail(where, "needs a 'column'")
            return KeyColumn(column=f"<{where}>")
        return KeyColumn(
            column=str(spec["column"]),
            aliases=tuple(str(a) for a in spec.get("aliases", ())),
            pseudonymise=bool(spec.get("pseudonymise", False) or spec.get("pseudonymise_as")),
            references=spec.get("references"),
            pseudonymise_as=str(spec["pseudonymise_as"]) if spec.get("pseudonymise_as") else None,
        )
