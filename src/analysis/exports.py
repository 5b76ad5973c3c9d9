"""Analysis-ready data for SPSS (``.sav``) and Stata (``.dta``), with variable and value labels.

Any frame can be exported (accepted survey data, scale scores, demographics, branch-level
aggregates); the instrument supplies the labels:

* variable labels: scale labels, field labels, item texts, the key columns' aliases, in Chinese
  (``lang="zh"``, the default) or English; a column ``<code>_<suffix>`` (e.g. ``TS_mean``,
  ``EN_sd`` in a branch table) gets the label of ``<code>`` followed by ``(<suffix>)``;
* value labels: category fields (codes ``"1"``, ``"2"`` become the numbers 1, 2), items (the
  response scale's labels) and boolean flags (否/是).

:func:`prepare_export` computes what will be written (pure, no files); :func:`write_sav` and
:func:`write_dta` write it with pyreadstat and return the same :class:`ExportSpec`, whose
``renamed`` and ``truncated`` say what had to change to fit the format.

Format limits handled here (checked against pyreadstat 1.3 / ReadStat, which refuses longer labels):

* Stata: files are written as format 118 (Stata 14 and later), which stores UTF-8, so Chinese
  labels are kept. Variable names have at most 32 characters (letters, digits, ``_``; not starting
  with a digit); variable and file labels at most 80 characters (longer ones are cut and listed in
  ``truncated``); value labels attach only to integer-valued numeric variables, so a category with
  text codes (e.g. ``branch_type``: ``flagship``, ``standard``) is stored as 1..k in codebook order,
  labelled with the codebook's labels (``encoded`` lists these columns).
* SPSS: Unicode (UTF-8) ``.sav``; variable names up to 64 bytes, starting with a letter, not a
  reserved word; variable labels up to 256 bytes, value labels up to 120 bytes (cut at a character
  boundary); value labels on text codes are kept as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.instrument import Instrument

STATA_VERSION = 14          # pyreadstat's version 14 writes dta format 118 (UTF-8, Stata 14+)
STATA_NAME_CHARS = 32
STATA_LABEL_CHARS = 80
SPSS_NAME_BYTES = 64
SPSS_LABEL_BYTES = 256
SPSS_VALUE_LABEL_BYTES = 120
_SPSS_RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
_STATA_RESERVED = {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
                   "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with"}
_YES_NO = {"zh": ("否", "是"), "en": ("No", "Yes")}
_PSEUDONYM = {"zh": "（假名）", "en": " (pseudonym)"}
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class ExportSpec:
    """What is written: the frame with export names, and its labels.

    Attributes
    ----------
    frame : columns renamed for the format; category codes numeric where possible.
    column_labels : export name → variable label.
    value_labels : export name → {value: label}.
    renamed : original column → export name, for the columns whose name had to change.
    truncated : human-readable notes on labels cut to the format's limit.
    encoded : columns whose text codes were replaced by 1..k (Stata only).
    """

    frame: pd.DataFrame
    column_labels: dict[str, str]
    value_labels: dict[str, dict]
    file_label: str = ""
    renamed: dict[str, str] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)
    encoded: dict[str, dict[str, int]] = field(default_factory=dict)


def variable_labels(columns, instrument: Instrument | None, lang: str = "zh") -> dict[str, str]:
    """Column → label from the instrument (see the module docstring); unknown columns get none."""
    if instrument is None:
        return {}
    known: dict[str, str] = {}
    keys = [instrument.respondent, instrument.group, instrument.duration, *instrument.private]
    for key in (k for k in keys if k is not None):
        known[key.column] = _alias_label(key.column, key.aliases, lang)
    if instrument.respondent.pseudonymise:  # processed ids are keyed pseudonyms, not the raw ids
        known[instrument.respondent.column] += _PSEUDONYM[lang]
    for code, spec in instrument.fields.items():
        known[code] = spec.label.get(lang)
    for code, item in instrument.items.items():
        known[code] = item.text.get(lang)
    for code, scale in instrument.scales.items():
        known[code] = scale.label.get(lang)
    for code, col in instrument.free_text.items():
        known[code] = _alias_label(code, col.aliases, lang)
    out: dict[str, str] = {}
    for column in columns:
        column = str(column)
        if column in known and known[column]:
            out[column] = known[column]
            continue
        stem, _, suffix = column.rpartition("_")
        if stem in known and known[stem] and suffix:
            out[column] = f"{known[stem]} ({suffix})"
    return out


def value_labels(data: pd.DataFrame, instrument: Instrument | None, lang: str = "zh") -> dict[str, dict[str, str]]:
    """Column → {code (as text): label} for category fields, items and boolean columns in ``data``."""
    out: dict[str, dict[str, str]] = {}
    for column in data.columns:
        if pd.api.types.is_bool_dtype(data[column]):
            out[column] = dict(zip(("0", "1"), _YES_NO[lang]))
    if instrument is None:
        return out
    for code, spec in instrument.fields.items():
        if code in data and spec.values:
            out[code] = {value: label.get(lang) for value, label in spec.values.items()}
    for code, item in instrument.items.items():
        if code in data and item.response.labels:
            texts = item.response.labels.get(lang) or next(iter(item.response.labels.values()))
            out[code] = {str(item.response.min + i): text for i, text in enumerate(texts)}
    return out


def prepare_export(
    data: pd.DataFrame,
    instrument: Instrument | None = None,
    *,
    target: str,
    lang: str = "zh",
    labels: dict[str, str] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    file_label: str | None = None,
) -> ExportSpec:
    """Everything a ``.sav`` (``target="sav"``) or ``.dta`` (``target="dta"``) file will hold.

    Parameters
    ----------
    data : any analysis frame (one row per respondent, branch, ...).
    instrument : the codebook the labels come from; ``None`` for labels from ``labels``/``values`` only.
    target : ``"sav"`` or ``"dta"``.
    lang : ``"zh"`` (default) or ``"en"`` for the labels taken from the codebook.
    labels : extra or overriding variable labels, by original column name.
    values : extra or overriding value labels, by original column name ({code: label}).
    file_label : the dataset label; defaults to the instrument's title.
    """
    if target not in ("sav", "dta"):
        raise ValueError(f"prepare_export: target must be 'sav' or 'dta', not {target!r}")
    if lang not in _YES_NO:
        raise ValueError(f"prepare_export: lang must be 'zh' or 'en', not {lang!r}")
    if data.columns.duplicated().any():
        dup = data.columns[data.columns.duplicated()].tolist()
        raise ValueError(f"prepare_export: duplicate column names {dup}; rename them before exporting")
    var_labels = {**variable_labels(data.columns, instrument, lang), **(labels or {})}
    val_labels = {**value_labels(data, instrument, lang), **(values or {})}
    names = _export_names([str(c) for c in data.columns], target)
    frame = pd.DataFrame(index=data.index)
    spec = ExportSpec(frame=frame, column_labels={}, value_labels={},
                      file_label=file_label if file_label is not None else (instrument.title.get(lang) if instrument else ""))
    for column in data.columns:
        name = names[str(column)]
        if name != str(column):
            spec.renamed[str(column)] = name
        series, mapping = _column(data[column], val_labels.get(str(column)), target)
        if mapping and series.attrs.get("encoded"):
            spec.encoded[name] = series.attrs["encoded"]
        frame[name] = series
        if str(column) in var_labels:
            spec.column_labels[name] = _fit_label(var_labels[str(column)], target, f"variable {name}", spec.truncated)
        if mapping:
            spec.value_labels[name] = {
                value: _fit_value_label(text, target, f"value {value} of {name}", spec.truncated)
                for value, text in mapping.items()
            }
    if target == "dta":
        spec.file_label = _fit_label(spec.file_label, "dta", "file label", spec.truncated)
    spec.frame = frame.reset_index(drop=True)
    return spec


def write_sav(data: pd.DataFrame, path: str | Path, instrument: Instrument | None = None, **kwargs) -> ExportSpec:
    """Write ``data`` as an SPSS ``.sav`` file with labels (arguments as :func:`prepare_export`)."""
    import pyreadstat

    spec = prepare_export(data, instrument, target="sav", **kwargs)
    measure = {name: "nominal" for name, m in spec.value_labels.items()
               if not pd.api.types.is_numeric_dtype(spec.frame[name]) or name in _category_names(data, instrument, spec)}
    pyreadstat.write_sav(spec.frame, str(path), file_label=spec.file_label, column_labels=spec.column_labels or None,
                         variable_value_labels=spec.value_labels or None, variable_measure=measure or None)
    return spec


def write_dta(data: pd.DataFrame, path: str | Path, instrument: Instrument | None = None, **kwargs) -> ExportSpec:
    """Write ``data`` as a Stata ``.dta`` file (format 118, UTF-8) with labels."""
    import pyreadstat

    spec = prepare_export(data, instrument, target="dta", **kwargs)
    pyreadstat.write_dta(spec.frame, str(path), file_label=spec.file_label, column_labels=spec.column_labels or None,
                         version=STATA_VERSION, variable_value_labels=spec.value_labels or None)
    return spec


# --- helpers -------------------------------------------------------------------------------

def _alias_label(column: str, aliases, lang: str) -> str:
    """A key column's label: its first Chinese alias (zh) or first non-Chinese alias (en)."""
    for alias in aliases:
        if bool(_CJK.search(alias)) == (lang == "zh"):
            return alias
    return aliases[0] if aliases else ""


def _category_names(data: pd.DataFrame, instrument: Instrument | None, spec: ExportSpec) -> set[str]:
    if instrument is None:
        return set()
    cats = [c for c, f in instrument.fields.items() if f.values and c in data]
    return {spec.renamed.get(c, c) for c in cats}


def _column(series: pd.Series, mapping: dict[str, str] | None, target: str) -> tuple[pd.Series, dict | None]:
    """The series as the format stores it, and its value labels keyed by stored value."""
    if pd.api.types.is_bool_dtype(series):
        series = series.astype("Int8" if series.isna().any() else "int8")
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pd.api.types.is_numeric_dtype(series):
        numeric = series.astype("Float64").astype(float) if series.isna().any() else series
        if not mapping:
            return numeric, None
        keyed = {_as_number(code): text for code, text in mapping.items()}
        keyed = {k: v for k, v in keyed.items() if k is not None}
        if target == "dta":
            keyed = {k: v for k, v in keyed.items() if float(k).is_integer()}
            if not _whole(numeric):
                return numeric, None
        return numeric, keyed or None
    if pd.api.types.is_datetime64_any_dtype(series):
        return series, None
    text = series.astype("string")
    if mapping is not None:
        codes = [_as_number(c) for c in mapping]
        present = text.dropna().unique().tolist()
        if all(c is not None for c in codes) and all(_as_number(v) is not None for v in present):
            numeric = text.map(_as_number, na_action="ignore").astype(float)
            if not numeric.isna().any() and numeric.dropna().map(float.is_integer).all():
                numeric = numeric.astype("int64")
            return numeric, {_as_number(c): t for c, t in mapping.items()}
        if target == "dta":  # Stata labels integers only: store text codes as 1..k in codebook order
            order = {code: i + 1 for i, code in enumerate(mapping)}
            for value in present:
                if value not in order:
                    order[value] = len(order) + 1
            numeric = text.map(order, na_action="ignore").astype(float)
            if not numeric.isna().any():
                numeric = numeric.astype("int64")
            numeric.attrs["encoded"] = order
            return numeric, {order[c]: mapping.get(c, c) for c in order}
        return text.astype(object).where(text.notna(), None), dict(mapping)
    return text.astype(object).where(text.notna(), None), None


def _whole(series: pd.Series) -> bool:
    values = series.dropna().to_numpy(dtype=float)
    return bool(np.all(np.mod(values, 1) == 0))


def _as_number(value) -> int | float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if np.isnan(number):
        return None
    return int(number) if number.is_integer() else number


def _export_names(columns: list[str], target: str) -> dict[str, str]:
    out: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        name = re.sub(r"[^\w]", "_", column, flags=re.UNICODE)
        if target == "sav":
            if not re.match(r"[^\W\d_]", name):
                name = "v" + name
            if name.upper() in _SPSS_RESERVED:
                name += "_"
            name = _cut_bytes(name, SPSS_NAME_BYTES)
        else:
            if not re.match(r"[^\W\d]", name):
                name = "v" + name
            if name in _STATA_RESERVED or re.fullmatch(r"str\d+", name):
                name += "_"
            name = name[:STATA_NAME_CHARS]
        base, i = name, 1
        while name.casefold() in used:
            i += 1
            suffix = f"_{i}"
            name = (_cut_bytes(base, SPSS_NAME_BYTES - len(suffix)) if target == "sav" else base[:STATA_NAME_CHARS - len(suffix)]) + suffix
        used.add(name.casefold())
        out[column] = name
    return out


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def _fit_label(text: str, target: str, what: str, notes: list[str]) -> str:
    text = str(text)
    if target == "dta":
        fitted = text if len(text) <= STATA_LABEL_CHARS else text[: STATA_LABEL_CHARS - 1] + "…"
    else:
        fitted = text if len(text.encode("utf-8")) <= SPSS_LABEL_BYTES else _cut_bytes(text, SPSS_LABEL_BYTES - 3) + "…"
    if fitted != text:
        notes.append(f"{what}: label cut to the {'Stata 80-character' if target == 'dta' else 'SPSS 256-byte'} limit")
    return fitted


def _fit_value_label(text: str, target: str, what: str, notes: list[str]) -> str:
    text = str(text)
    if target == "dta" or len(text.encode("utf-8")) <= SPSS_VALUE_LABEL_BYTES:
        return text
    notes.append(f"{what}: label cut to the SPSS 120-byte limit")
    return _cut_bytes(text, SPSS_VALUE_LABEL_BYTES - 3) + "…"
