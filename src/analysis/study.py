"""The study file: datasets, dimensions and hypotheses as models (``surveys/study.yml``).

A hypothesis names a model kind and its variables by role; :func:`load_study` checks the file
and :func:`check_variables` checks every variable against the analysis frames, so a misspelt
name fails before any model runs, with a message naming the file, the hypothesis and the name:
``surveys/study.yml: hypotheses[H2] (mediation): unknown variable 'ENN' in m``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.datasets import DatasetSpec, RatingsSpec, RecordsSpec
from analysis.errors import StudyError
from analysis.instrument import Label
from analysis.privacy import MIN_GROUP_SIZE, check_min_group_size

# Model kind → the roles it takes; roles holding one variable vs a list.
MODEL_ROLES: dict[str, dict[str, str]] = {
    "regression": {"y": "one", "x": "list", "covar": "list", "cluster": "one"},
    "hierarchical_regression": {"y": "one", "blocks": "blocks", "cluster": "one"},
    "multilevel": {"y": "one", "x": "list", "climate": "list", "covar": "list", "group": "one", "random_slopes": "list"},
    "mediation": {"x": "list", "m": "list", "y": "one", "covar": "list", "cluster": "one"},
    "moderation": {"x": "one", "w": "one", "y": "one", "covar": "list"},
    "moderated_mediation": {"x": "one", "w": "one", "m": "one", "y": "one", "covar": "list", "cluster": "one"},
    "relative_weights": {"y": "one", "x": "list"},
}
REQUIRED_ROLES = {
    "regression": ("y", "x"), "hierarchical_regression": ("y", "blocks"), "multilevel": ("y", "group"),
    "mediation": ("x", "m", "y"), "moderation": ("x", "w", "y"), "moderated_mediation": ("x", "w", "m", "y"),
    "relative_weights": ("y", "x"),
}
LEVELS = ("staff", "branch")


@dataclass(frozen=True)
class Hypothesis:
    id: str
    model: str
    label: Label
    level: str
    roles: dict[str, Any]

    def variables(self) -> list[tuple[str, str]]:
        """(role, variable) pairs in the order given."""
        out = []
        for role, value in self.roles.items():
            if MODEL_ROLES[self.model].get(role) == "blocks":
                # A block may hold interaction terms "a:b"; each factor must be a variable.
                out += [(f"{role}[{i}]", part) for i, block in enumerate(value) for v in block for part in v.split(":")]
            elif isinstance(value, list):
                out += [(role, v) for v in value]
            elif value is not None:
                out.append((role, value))
        return out


@dataclass(frozen=True)
class TargetsSpec:
    assigned: str
    actual: str
    predictors: tuple[str, ...]
    log: tuple[str, ...] = ()


@dataclass(frozen=True)
class KpiSpec:
    column: str
    label: Label
    format: str = "number"
    benchmark: float | None = None
    lower_is_better: bool = False


@dataclass(frozen=True)
class Study:
    path: Path
    title: Label
    datasets: DatasetSpec
    dimensions: tuple[str, ...]
    performance: str
    targets: TargetsSpec | None
    hypotheses: tuple[Hypothesis, ...]
    kpis: tuple[KpiSpec, ...] = ()
    min_group_size: int = MIN_GROUP_SIZE
    seed: int = 0
    n_boot: int = 5000
    actions: Path | None = None
    cfa_missing: str = "fiml"
    raw: dict = field(default_factory=dict, repr=False)


def _label(value: Any) -> Label:
    if isinstance(value, dict):
        return Label(zh=str(value.get("zh", "")), en=str(value.get("en", "")))
    return Label(zh=str(value or ""), en=str(value or ""))


def load_study(path: str | Path) -> Study:
    """Read a study file; raise :class:`StudyError` naming the file and every problem found."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise StudyError(f"{path}: study file not found") from None
    except yaml.YAMLError as exc:
        raise StudyError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    problems: list[str] = []
    ds = raw.get("datasets") or {}
    if "respondents" not in ds:
        problems.append("datasets.respondents: required")
    rec = ds.get("records")
    ratings = ds.get("ratings")
    datasets = DatasetSpec(
        respondents=str(ds.get("respondents", "")),
        groups=ds.get("groups"),
        exclude_careless=bool(ds.get("exclude_careless", True)),
        records=RecordsSpec(
            instrument=rec["instrument"], sum=tuple(rec.get("sum") or ()),
            ratio={k: tuple(v) for k, v in (rec.get("ratio") or {}).items()},
            group_ratio={k: tuple(v) for k, v in (rec.get("group_ratio") or {}).items()},
        ) if rec else None,
        ratings=RatingsSpec(
            instrument=ratings["instrument"], mean=tuple(ratings.get("mean") or ()),
            share={k: tuple(v) for k, v in (ratings.get("share") or {}).items()},
            nps=dict(ratings.get("nps") or {}),
        ) if ratings else None,
    )
    hypotheses = []
    seen_ids: set[str] = set()
    for i, h in enumerate(raw.get("hypotheses") or []):
        hid = str(h.get("id", f"#{i + 1}"))
        where = f"hypotheses[{hid}]"
        if hid in seen_ids:
            problems.append(f"{where}: duplicate id")
        seen_ids.add(hid)
        kind = h.get("model")
        if kind not in MODEL_ROLES:
            problems.append(f"{where}: unknown model '{kind}' (known: {', '.join(MODEL_ROLES)})")
            continue
        roles: dict[str, Any] = {}
        for role, value in h.items():
            if role in ("id", "model", "label", "level"):
                continue
            shape = MODEL_ROLES[kind].get(role)
            if shape is None:
                problems.append(f"{where} ({kind}): '{role}' is not a role of this model (roles: {', '.join(MODEL_ROLES[kind])})")
            elif shape == "list":
                roles[role] = [str(v) for v in (value if isinstance(value, list) else [value])]
            elif shape == "blocks":
                roles[role] = [[str(v) for v in block] for block in value]
            else:
                roles[role] = str(value)
        for role in REQUIRED_ROLES[kind]:
            if not roles.get(role):
                problems.append(f"{where} ({kind}): missing '{role}'")
        level = h.get("level", "staff")
        if level not in LEVELS:
            problems.append(f"{where}: level must be staff or branch, not '{level}'")
        hypotheses.append(Hypothesis(id=hid, model=kind, label=_label(h.get("label")), level=level, roles=roles))
    tg = raw.get("targets")
    kpis = tuple(
        KpiSpec(column=k["column"], label=_label(k.get("label", k["column"])), format=k.get("format", "number"),
                benchmark=k.get("benchmark"), lower_is_better=bool(k.get("lower_is_better", False)))
        for k in (raw.get("report") or {}).get("kpis") or []
    )
    try:
        k = check_min_group_size(int(raw.get("min_group_size", MIN_GROUP_SIZE)))
    except ValueError as exc:
        problems.append(f"min_group_size: {exc}")
        k = MIN_GROUP_SIZE
    cfa_missing = str(raw.get("cfa_missing", "fiml"))
    if cfa_missing not in ("fiml", "listwise"):
        problems.append(f"cfa_missing: must be fiml or listwise, not '{cfa_missing}'")
    if problems:
        raise StudyError(f"{path}: " + "; ".join(problems))
    return Study(
        path=path, title=_label(raw.get("title")), datasets=datasets,
        dimensions=tuple(raw.get("dimensions") or ()), performance=str(raw.get("performance", "")),
        targets=TargetsSpec(assigned=tg["assigned"], actual=tg["actual"], predictors=tuple(tg["predictors"]),
                            log=tuple(tg.get("log") or ())) if tg else None,
        hypotheses=tuple(hypotheses), kpis=kpis, min_group_size=k, seed=int(raw.get("seed", 0)),
        n_boot=int(raw.get("n_boot", 5000)),
        actions=(path.parent / raw["actions"]) if raw.get("actions") else None, cfa_missing=cfa_missing, raw=raw,
    )


def check_variables(study: Study, frames: dict[str, pd.DataFrame]) -> None:
    """Every variable a hypothesis, dimension or KPI names must be a column of its level's frame."""
    problems = []
    for h in study.hypotheses:
        columns = frames[h.level].columns
        for role, var in h.variables():
            if var not in columns:
                problems.append(f"hypotheses[{h.id}] ({h.model}): unknown variable '{var}' in {role}")
    for i, dim in enumerate(study.dimensions):
        if dim not in frames["staff"].columns:
            problems.append(f"dimensions[{i}]: unknown variable '{dim}'")
    if study.performance and study.performance not in frames["staff"].columns:
        problems.append(f"performance: unknown variable '{study.performance}'")
    for i, kpi in enumerate(study.kpis):
        if kpi.column not in frames["branch"].columns:
            problems.append(f"report.kpis[{i}]: unknown variable '{kpi.column}'")
    if problems:
        raise StudyError(f"{study.path}: " + "; ".join(problems))
