"""Shared machinery of the configuration files (codebooks, ``wave.yml``, the study file).

Each file is described by pydantic models (``extra="forbid"`` everywhere) and checked lazily:
every problem is collected and reported in ONE line, each with its path inside the file::

    surveys/staff.yml: scales.TS.items[2]: unknown item 'TS9'; items.X.text: item needs a text in zh or en

A misspelt key gets a suggestion (``unknown key 'hypotheses_' (did you mean 'hypotheses'?)``),
a file that is not YAML its line (``study.yml: line 4: not valid YAML (...)``). The messages are
raised as the :mod:`analysis.errors` class the caller names, which the CLI prints (exit 2).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo,
                      model_validator)

from analysis.errors import HallperfError
from analysis.names import name_problem

M = TypeVar("M", bound=BaseModel)
# An unknown key with no close match is followed by the allowed keys when there are this few.
MAX_LISTED = 10


# --- YAML ----------------------------------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error.

    PyYAML keeps the last of two equal keys silently: a codebook with two ``TS1`` items would
    lose the first one without a word.
    """


def _mapping_without_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            continue  # construct_mapping below reports the unhashable key
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def load_yaml(path: str | Path, error: type[HallperfError], what: str = "file") -> Any:
    """The parsed content of a YAML file; any failure is ``error`` with a one-line message.

    Parameters
    ----------
    path : the file.
    error : the :mod:`analysis.errors` class to raise (``InstrumentError``, ``StudyError``, ...).
    what : how a missing file is named (``study file not found``).

    Returns
    -------
    The YAML content (``None`` for an empty file).

    Notes
    -----
    A key given twice in one mapping is an error here, where PyYAML would keep the last one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from analysis.errors import StudyError
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "s.yml"
    >>> _ = bad.write_text("a: [1, 2\\nb: 3\\n")
    >>> load_yaml(bad, StudyError)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: .../s.yml: line 2: not valid YAML (expected ',' or ']', but got ':')
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (at byte {exc.start}), save the file as UTF-8") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{path}: {where}not valid YAML ({_one_line(problem)})") from None


def top_mapping(raw: Any, path: str | Path, error: type[HallperfError], keys: str) -> dict:
    """``raw`` if the file's top level is a mapping, else ``error`` saying what was found."""
    if isinstance(raw, dict):
        return raw
    found = "but the file is empty" if raw is None else f"not {describe(raw)}"
    raise error(f"{path}: top level must be a mapping ({keys}), {found}")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --- field types shared by the schemas -----------------------------------------------------

def _text(value: Any) -> Any:
    """Numbers become text (``version: 2026.1``, category code ``1``); booleans are refused,
    because YAML reads an unquoted ``No``/``yes``/``on`` as a boolean, not as the word."""
    if isinstance(value, bool):
        raise ValueError(f"got the boolean {str(value).lower()} (quote the text: YAML reads yes/no/on/off as booleans)")
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not the boolean {str(value).lower()}")
    return value


def _listify(value: Any) -> Any:
    """A single name where a list is expected is a list of one (``aliases: 工号``); an empty
    entry (``covar:``) is an empty list."""
    if value is None:
        return []
    return [value] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value


def _check_name(value: str) -> str:
    problem = name_problem(value)
    if problem:
        raise ValueError(f"{value!r} is not a valid name ({problem})")
    return value


Text = Annotated[str, BeforeValidator(_text)]
Number = Annotated[int | float, BeforeValidator(_number)]
TextList = Annotated[list[Text], BeforeValidator(_listify)]
SafeName = Annotated[str, BeforeValidator(_text), AfterValidator(_check_name)]


def reference(kind: str, what: str) -> AfterValidator:
    """A validator that the value is one of the codes ``context[kind]`` of the validation.

    The loader passes the codes found in the file (e.g. the item codes) as the validation
    context, so a reference is checked at its own path, together with every other problem.
    """

    def check(value: Any, info: ValidationInfo) -> Any:
        known = (info.context or {}).get(kind)
        if known is not None and value not in known:
            raise ValueError(unknown_key(value, sorted(known), what))
        return value

    return AfterValidator(check)


def codes(raw: Any, key: str) -> set[str]:
    """The keys of the mapping ``raw[key]`` as text, for a :func:`reference` context."""
    value = raw.get(key) if isinstance(raw, dict) else None
    return {str(k) for k in value} if isinstance(value, dict) else set()


class Strict(BaseModel):
    """Base of every schema model: unknown keys are errors; an empty section is an empty mapping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_empty(cls, data: Any) -> Any:
        return {} if data is None else data


class LabelSpec(Strict):
    """A bilingual text: ``{zh: …, en: …}``, or one text used for both languages."""

    zh: Text = ""
    en: Text = ""

    @model_validator(mode="before")
    @classmethod
    def _one_text(cls, data: Any) -> Any:
        data = _text(data)
        return {"zh": data, "en": data} if isinstance(data, str) else data


# --- validation errors in one line ---------------------------------------------------------

def did_you_mean(key: str, allowed: Iterable[str]) -> str | None:
    """The allowed key closest to a misspelt one, if any is close (difflib ratio >= 0.6)."""
    match = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1, cutoff=0.6)
    return match[0] if match else None


def unknown_key(key: Any, allowed: Iterable[str], what: str = "key") -> str:
    """``unknown key 'hypothesis' (did you mean 'hypotheses'?)``, or the known keys when few."""
    allowed = list(allowed)
    hint = did_you_mean(str(key), allowed)
    if hint:
        return f"unknown {what} {str(key)!r} (did you mean '{hint}'?)"
    if 0 < len(allowed) <= MAX_LISTED:
        return f"unknown {what} {str(key)!r} (known: {', '.join(allowed)})"
    return f"unknown {what} {str(key)!r}"


def validate(model: type[M], data: Any, *, source: str | Path, error: type[HallperfError], context: dict | None = None) -> M:
    """``model`` validated from ``data``; otherwise ``error`` naming ``source`` and every problem.

    Parameters
    ----------
    model : the schema (a :class:`Strict` model).
    data : the parsed file.
    source : the file, as the message names it.
    error : the :mod:`analysis.errors` class to raise.
    context : codes the :func:`reference` validators check against, e.g. ``{"items": {...}}``.

    Returns
    -------
    The validated model.

    Examples
    --------
    >>> from analysis.errors import StudyError
    >>> class Demo(Strict):
    ...     hypotheses: list[Text] = []
    >>> validate(Demo, {"hypothesis": ["H1"]}, source="study.yml", error=StudyError)
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: study.yml: unknown key 'hypothesis' (did you mean 'hypotheses'?)
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise fail(error, source, problems(exc, model)) from None


def fail(error: type[HallperfError], source: str | Path, found: list[str]) -> HallperfError:
    """The one-line ``error`` ``source: problem; problem; ...`` (line breaks in names escaped)."""
    return error(f"{source}: " + "; ".join(found).replace("\n", "\\n").replace("\r", "\\r"))


def problems(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> list[str]:
    """Each error of ``exc`` as ``path: message`` (``prefix`` before the path), in file order."""
    out: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] in ("extra_forbidden", "missing"):
            parent, key = loc[:-1], loc[-1]
            if err["type"] == "extra_forbidden":
                message = unknown_key(key, _keys_at(model, parent))
            else:
                message = f"missing required key '{key}'"
            line = _join(prefix, path_of(parent), message)
        else:
            line = _join(prefix, path_of(loc), _message(err))
        if line not in out:
            out.append(line)
    return out


def path_of(loc: tuple) -> str:
    """``('scales', 'TS', 'items', 2)`` → ``scales.TS.items[2]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _join(*parts: str) -> str:
    head = [p for p in parts[:-1] if p]
    return ": ".join([*head, parts[-1]])


def describe(value: Any) -> str:
    """A short one-line description of a YAML value for a message (``a list``, ``'2026-13'``)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_SIMPLE = {
    "string_type": "must be text",
    "int_type": "must be a whole number", "int_parsing": "must be a whole number", "int_from_float": "must be a whole number",
    "float_type": "must be a number", "float_parsing": "must be a number",
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "dict_type": "must be a mapping (key: value)", "model_type": "must be a mapping (key: value)",
    "model_attributes_type": "must be a mapping (key: value)",
    "list_type": "must be a list", "tuple_type": "must be a list",
}


def _message(err: dict) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind in _SIMPLE:
        return f"{_SIMPLE[kind]}, not {describe(value)}"
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"must be one of {', '.join(expected)}, not {describe(value)}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} entries, not {ctx.get('actual_length')}"
    if kind in ("value_error", "assertion_error"):
        return _one_line(str(ctx.get("error", err["msg"])))
    return _one_line(err["msg"].replace("Input should be", "must be")) + f", not {describe(value)}"


def _keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys the schema allows at ``loc`` (for the did-you-mean of an unknown key)."""
    target: Any = model
    for part in loc:
        target = _unwrap(target)
        if isinstance(target, type) and issubclass(target, BaseModel):
            fields = {(f.alias or name): f for name, f in target.model_fields.items()}
            if part not in fields:
                return []
            target = fields[part].annotation
        elif typing.get_origin(target) is dict:
            target = typing.get_args(target)[1]
        elif typing.get_origin(target) in (list, tuple):
            target = typing.get_args(target)[0]
        else:
            return []
    target = _unwrap(target)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return [f.alias or name for name, f in target.model_fields.items()]
    return []


def _unwrap(tp: Any) -> Any:
    """``Annotated[X, ...]`` → X; ``X | None`` → X (the first model of a union, else its first type)."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = (models or args)[0]
        else:
            return tp

