"""Building blocks of the research report: number formatters, table/figure containers, labels.

:class:`Labels` turns variable codes, model rows and method provenance into the report language
by looking them up (study file, codebooks, :mod:`.vocabulary`); it never parses result text.
:class:`StudyReport` inherits it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

import numpy as np
import pandas as pd

from ..tables import format_number, format_p, format_table
from ..tables_format import is_missing
from .vocabulary import (BOOT_TEXT, CI_TEXT, COLS, ESTIMANDS, ESTIMATOR_TEXT, METHOD_PARTS, SE_TEXT, SPECIAL_TERMS, W,
                         W_POINT_LABELS, WARNING_TEXT)

def p3(x: Any) -> str:
    return format_p(x, 3)


def num(decimals: int, *, lead: bool = True) -> Callable[[Any], str]:
    return lambda x: format_number(x, decimals, leading_zero=lead)


N0, N2, N3 = num(0), num(2), num(3)
B2, B3 = num(2, lead=False), num(3, lead=False)


def ci_text(lo: Any, hi: Any, fmt: Callable[[Any], str]) -> str:
    a, b = fmt(lo), fmt(hi)
    return f"[{a}, {b}]" if a and b else ""


def present(row: Mapping[str, Any], col: str) -> Any:
    """``row[col]``, or None when the column is absent or the value missing (NaN, NA, None)."""
    value = row.get(col)
    return None if is_missing(value) else value


@dataclass(frozen=True)
class StudyTable:
    """One manuscript table: a display frame at full precision plus how to render it.

    ``frame`` holds the selected (and where needed pivoted or pre-formatted) columns of a result
    table; ``formats`` maps columns to formatters (see :func:`analysis.report.tables.format_table`);
    ``labels`` gives the column headers in the report language.
    """

    name: str
    section: str
    title: str
    frame: pd.DataFrame
    formats: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    note: str | None = None
    star_columns: Mapping[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    number: int | None = None
    source: str | None = None

    def render(self, lang: str = "zh") -> tuple[pd.DataFrame, list[str], list[bool], str | None]:
        """The rendered cells, the header, per-column numeric flags and the full note."""
        formats = {k: v for k, v in self.formats.items() if k in self.frame.columns}
        cells, numeric = format_table(self.frame, formats, star_columns=self.star_columns or None)
        keep = [j for j, c in enumerate(self.frame.columns) if c not in set(self.drop)]
        cells = cells.iloc[:, keep]
        numeric = [numeric[j] for j in keep]
        header = [self.labels.get(c, str(c)) for c in cells.columns]
        note = self.note
        if self.star_columns:
            note = " ".join(x for x in (note, W[lang]["sig"]) if x)
        return cells, header, numeric, note


@dataclass(frozen=True)
class StudyFigure:
    """One figure: ``draw()`` returns a new matplotlib Figure (the caller closes it)."""

    name: str
    section: str
    title: str
    draw: Callable[[], Any]
    number: int | None = None


class Labels:
    """Labels in the report language; needs ``lang``, ``w``, ``study`` and ``instruments``
    (:meth:`instrument_results` also ``survey_instruments`` and ``result``)."""

    lang: str
    w: dict[str, str]
    study: Any
    instruments: dict[str, Any]
    survey_instruments: list[str]
    result: Callable[[str], pd.DataFrame | None]

    def instrument_results(self, suffix: str) -> Iterator[tuple[str, pd.DataFrame]]:
        """(instrument, its result ``<instrument>_<suffix>``) for each survey instrument that has one."""
        for inst in self.survey_instruments:
            frame = self.result(f"{inst}_{suffix}")
            if frame is not None:
                yield inst, frame

    def t(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.lang == "zh" else pair[1]

    def col(self, *names: str) -> dict[str, str]:
        """Column labels in the report language."""
        return {n: self.t(COLS[n]) if n in COLS else n for n in names}

    def instrument_name(self, inst_id: str) -> str:
        short = {"staff": ("员工问卷", "Staff survey"), "customer": ("客户问卷", "Customer survey"),
                 "branches": ("营业厅信息", "Branch register"), "kpi": ("KPI 记录", "KPI records")}
        if inst_id in short:
            return self.t(short[inst_id])
        inst = self.instruments.get(inst_id)
        return inst.title.get(self.lang) if inst is not None and inst.title.get(self.lang) else inst_id

    @cached_property
    def _levels(self) -> dict[tuple[str, str], str]:
        """(field, level code) → label, for every coded field of the codebooks (first codebook wins)."""
        out: dict[tuple[str, str], str] = {}
        for inst in self.instruments.values():
            for var, spec in inst.fields.items():
                for level, label in (spec.values or {}).items():
                    out.setdefault((var, str(level)), f"{spec.label.get(self.lang)}{self.w['sep']}{label.get(self.lang)}")
        return out

    @cached_property
    def _names(self) -> dict[str, str]:
        """Every variable code a result can name → its label, built once and looked up exactly.

        Codes: KPI columns, scales, fields, ``<instrument>_<scale>`` (branch means of another
        instrument), dummy codes in the three spellings the models write (``var_level``,
        ``var[level]``, ``var[T.level]``), and the derived ``<code>_within``,
        ``<code>_between`` and ``log_<code>``.  The first source listed wins a clash.
        """
        w, lang = self.w, self.lang
        names: dict[str, str] = {"Intercept": w["intercept"]}
        for code, pair in SPECIAL_TERMS.items():
            names.setdefault(code, self.t(pair))
        for kpi in self.study.kpis:
            names.setdefault(kpi.column, kpi.label.get(lang))
        for inst in self.instruments.values():
            for code, scale in inst.scales.items():
                names.setdefault(code, scale.label.get(lang))
        for inst in self.instruments.values():
            for code, spec in inst.fields.items():
                names.setdefault(code, spec.label.get(lang))
        for inst_id, inst in self.instruments.items():
            for code, scale in inst.scales.items():
                label = scale.label.get(lang)
                names.setdefault(f"{inst_id}_{code}", w["customer"] + (label if lang == "zh" else label.lower())
                                 if inst_id == "customer" else f"{self.instrument_name(inst_id)}{w['sep']}{label}")
        for (var, level), label in self._levels.items():
            for code in (f"{var}_{level}", f"{var}[{level}]", f"{var}[T.{level}]"):
                names.setdefault(code, label)
        for code, label in list(names.items()):
            names.setdefault(f"{code}_within", label + w["within"])
            names.setdefault(f"{code}_between", label + w["between"])
            names.setdefault(f"log_{code}", f"{w['ln']}({label})")
        return names

    def var_label(self, name: Any) -> str:
        """Display label of a variable code (see :attr:`_names`); a product term ``a:b`` (the models'
        and patsy's interaction spelling) is labelled factor by factor; an unknown code shows as is."""
        if is_missing(name):
            return ""
        name = str(name)
        if name in self._names:
            return self._names[name]
        if ":" in name:
            return " × ".join(self.var_label(part) for part in name.split(":"))
        return name

    def level_label(self, var: Any, level: Any) -> str:
        """Label of level ``level`` of the coded field ``var`` (the ``predictor``/``level`` columns)."""
        return self._levels.get((str(var), str(level)), f"{self.var_label(var)}{self.w['sep']}{level}")

    def row_label(self, row: Mapping[str, Any]) -> str:
        """Label of one model row from its structured columns (``estimand``, ``x``, ``m``, ``y``,
        ``w``, ``w_point``, ``predictor``, ``level``, ``jn_within_range``; :mod:`analysis.models._results`).

        Rows without an ``estimand`` (other result tables) are labelled by their ``term`` code.
        """
        get = partial(present, row)
        estimand = get("estimand")
        if estimand is None:
            return self.var_label(get("term"))
        if estimand == "coefficient":
            level = get("level")
            label = self.level_label(get("predictor"), level) if level is not None else self.var_label(get("predictor"))
            if get("part") not in ("a_model", "b_model"):
                return label
            key = "path_coefficient"
        elif estimand == "jn_boundary":
            key = "jn_inside" if bool(get("jn_within_range")) else "jn_outside"
        elif estimand == "variance" and get("predictor") == "Intercept":
            key = "intercept_variance"
        elif estimand in ESTIMANDS:
            key = estimand
        else:  # e.g. a relative weight or a correlation: the predictor (or term) names the row
            return self.var_label(get("predictor") if get("predictor") is not None else get("term"))
        point = get("w_point")
        fields = {c: self.var_label(get(c)) for c in ("x", "m", "y", "w", "predictor", "predictor2", "outcome")}
        if estimand == "coefficient":
            fields["predictor"] = label
        fields["point"] = self.t(W_POINT_LABELS[point]) if point is not None else N2(get("w_value"))
        return self.t(ESTIMANDS[key]).format(**fields)

    def row_labels(self, df: pd.DataFrame) -> list[str]:
        """:meth:`row_label` of every row of ``df``."""
        return [self.row_label(row) for row in df.to_dict("records")]

    def hypothesis_title(self, h: Any, what: tuple[str, str]) -> str:
        sep = "：" if self.lang == "zh" else ": "
        dash = "——" if self.lang == "zh" else " — "
        return f"{h.id}{sep}{h.label.get(self.lang)}{dash}{self.t(what)}"

    def scale_label(self, code: Any) -> str:
        return self.var_label(code)

    def reviewer_scale(self, s: Any) -> str:
        if is_missing(s):
            return ""
        s = str(s)
        if s in ("measurement", "single_factor"):
            return self.w[s]
        if s == "(all items)":
            return self.w["overall"]
        return self.var_label(s)

    def lower_matrix(self, names: list[str], values: Mapping[frozenset, float],
                      diag: Callable[[str], str]) -> pd.DataFrame:
        """A lower-triangular matrix of pair values, numbered columns, ``diag(name)`` on the diagonal."""
        rows = []
        for i, a in enumerate(names):
            row: dict[str, str] = {"variable": f"{i + 1}. {self.var_label(a)}"}
            for j, b in enumerate(names):
                if j < i:
                    row[str(j + 1)] = B2(values.get(frozenset((a, b)), np.nan))
                elif j == i:
                    row[str(j + 1)] = diag(a)
                else:
                    row[str(j + 1)] = ""
            rows.append(row)
        return pd.DataFrame(rows)

    def p_phrase(self, p: Any) -> str:
        text = p3(p)
        return text if text.startswith(("<", ">")) else f"= {text}"

    def method_note(self, df: pd.DataFrame, extra: tuple[str, ...] = ()) -> str:
        """``n`` and how the table was estimated, from the provenance columns of ``df``.

        One method text per distinct way the rows with a standard error were estimated (all rows
        when none has one), then the centred variables, the warning codes of all rows and the
        :data:`METHOD_PARTS` keys in ``extra``.
        """
        zh = self.lang == "zh"
        parts = []
        if "n" in df and df["n"].notna().any():
            n = int(df["n"].dropna().iloc[0])
            parts.append(f"n = {n}。" if zh else f"n = {n}.")
        if "estimator" not in df or df["estimator"].isna().all():
            return ("" if zh else " ").join(parts)
        rows = df[df["se_type"].notna()] if "se_type" in df and df["se_type"].notna().any() else df
        keys = [c for c in _METHOD_KEYS if c in rows]
        texts = list(dict.fromkeys(self.method_text(r) for r in rows[keys].to_dict("records")))
        join = self.t(METHOD_PARTS["join"])
        centred = [c for v in df.get("centred", pd.Series(dtype=str)).dropna() for c in str(v).split(";") if c]
        if centred:
            names = self.t(METHOD_PARTS["list_sep"]).join(self.var_label(c) for c in dict.fromkeys(centred))
            texts.append(self.t(METHOD_PARTS["centred"]).format(names=names))
        codes = {c for v in df.get("warnings", pd.Series(dtype=str)).dropna() for c in str(v).split(";") if c}
        if codes:
            text = self.t(METHOD_PARTS["list_sep"]).join(self.t(WARNING_TEXT[c]) for c in WARNING_TEXT if c in codes)
            texts.append(self.t(METHOD_PARTS["warnings"]).format(text=text))
        texts += [self.t(METHOD_PARTS[k]) for k in extra]
        text = join.join(texts)
        if not zh:
            text = text[:1].upper() + text[1:]
        parts.append(text + self.t(METHOD_PARTS["end"]))
        return ("" if zh else " ").join(parts)

    def method_text(self, row: Mapping[str, Any]) -> str:
        """How one row was estimated, from its provenance codes (:data:`ESTIMATOR_TEXT` and friends)."""
        get = partial(present, row)
        fields = self._method_fields(row)
        estimator = ESTIMATOR_TEXT.get(get("estimator"))  # every models._results code has one (tested)
        pieces = [self.t(estimator).format(**fields)] if estimator else []
        se, ci_method = get("se_type"), get("ci_method")
        if se == "cluster_cr1":
            pieces.append(self.t(SE_TEXT["cluster_cr1_t" if ci_method == "t" and get("df") is not None else se]).format(**fields))
        elif se in SE_TEXT:
            pieces.append(self.t(SE_TEXT[se]))
        if ci_method == "wald_z":
            pieces.append(self.t(SE_TEXT["wald_z"]))
        text = self.t(METHOD_PARTS["comma"]).join(pieces)
        if get("n_boot") or get("estimator") == "relative_weights":
            text += self.t(METHOD_PARTS["join"]) + self.boot_text(row)
        return text

    def boot_text(self, row: Mapping[str, Any]) -> str:
        """The bootstrap of a row (``n_boot``, ``resample``, ``ci_method``, ``cluster``), e.g.
        ``按营业厅整群重抽样的 Bootstrap（60 个群，5000 次重抽样，百分位区间）``; :data:`BOOT_TEXT`."""
        key = (present(row, "resample") or "cases") if present(row, "n_boot") else "none"
        return self.t(BOOT_TEXT[key]).format(**self._method_fields(row))

    def _method_fields(self, row: Mapping[str, Any]) -> dict[str, str]:
        get = partial(present, row)
        return {"cluster": self.var_label(get("cluster")), "df": N0(get("df")), "n_clusters": N0(get("n_clusters")),
                "n_boot": N0(get("n_boot")),
                "interval": self.t(CI_TEXT[get("ci_method")]) if get("ci_method") in CI_TEXT else ""}


#: Provenance columns that tell two ways of estimating apart in :meth:`Labels.method_note`.
_METHOD_KEYS = ("estimator", "se_type", "ci_method", "cluster", "n_clusters", "n_boot", "resample", "df")
