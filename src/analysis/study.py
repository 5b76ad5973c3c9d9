"""The study file: datasets, dimensions and hypotheses as models (``surveys/study.yml``).

A hypothesis names a model kind and its variables by role; :func:`load_study` checks the file
and :func:`check_variables` checks every variable against the analysis frames, so a misspelt
name fails before any model runs, with a message naming the file, the hypothesis and the name:
``surveys/study.yml: hypotheses[H2] (mediation): unknown variable 'ENN' in m``.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BeforeValidator, ValidationError, create_model, field_validator
from pydantic import Field as Constraint

from analysis.config import (LabelSpec, Number, SafeName, Strict, Text, TextList, describe, did_you_mean, fail,
                             load_yaml, top_mapping, unknown_key)
from analysis.config import problems as config_problems
from analysis.datasets import DatasetSpec, RatingsSpec, RecordsSpec
from analysis.errors import StudyError
from analysis.instrument import Label, to_label
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
Level = Literal["staff", "branch"]
LEVELS = typing.get_args(Level)


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis of the study file: a model kind and its variables by role.

    Attributes
    ----------
    id : the hypothesis id (``H1``), which names its result tables.
    model : the model kind, a key of ``MODEL_ROLES`` (``mediation``).
    label : the hypothesis in words.
    level : the frame its variables are columns of: ``staff`` or ``branch``.
    roles : role -> variable, list of variables or (``blocks``) list of lists, as given in the file.

    Examples
    --------
    >>> h2 = load_study("surveys/study.yml").hypotheses[1]
    >>> h2.id, h2.model, h2.level, h2.roles["m"], h2.variables()[:2]
    ('H2', 'mediation', 'staff', ['EN'], [('x', 'TS'), ('x', 'CO')])
    """

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
    """The ``targets`` section: the objective expectation of sales and the gap of assigned targets to it.

    Attributes
    ----------
    assigned, actual : the records' columns of the assigned target and the actual sales.
    predictors : the branch factors the expectation is estimated from.
    log : the predictors entered as logs.

    Examples
    --------
    >>> targets = load_study("surveys/study.yml").targets
    >>> targets.assigned, targets.predictors
    ('assigned_target', ('foot_traffic', 'staff_count', 'branch_type', 'past_sales'))
    """

    assigned: str
    actual: str
    predictors: tuple[str, ...]
    log: tuple[str, ...] = ()


@dataclass(frozen=True)
class KpiSpec:
    """One KPI of a branch report's snapshot (``report.kpis``).

    Attributes
    ----------
    column : the branch frame's column.
    label : the KPI's name in the report (the column when the file gives none).
    format : ``number``, ``percent`` or ``score``.
    benchmark : a reference value to compare with, or None.
    lower_is_better : True where a smaller value is better (a complaint rate).
    actions : the action library's dimension for a branch that falls behind on it, or None.

    Examples
    --------
    >>> calls = load_study("surveys/study.yml").kpis[2]
    >>> calls.column, calls.label.en, calls.benchmark, calls.actions
    ('calls_per_day', 'Outbound calls per day', 20, 'calls')
    """

    column: str
    label: Label
    format: str = "number"
    benchmark: float | None = None
    lower_is_better: bool = False
    actions: str | None = None


@dataclass(frozen=True)
class Study:
    """A study file. Only ``datasets.respondents`` is required: without ``dimensions``,
    ``performance``, ``targets`` or ``report.kpis`` the analyses that need them are skipped.

    Attributes
    ----------
    path : the study file.
    datasets : the instruments the analysis frames are built from, and how.
    title : the study's title.
    dimensions : the management-practice dimensions (branch profile, drivers, priority matrix).
    performance : the outcome whose drivers set each dimension's importance, or None.
    targets : the ``targets`` section, or None.
    hypotheses : the hypotheses, in file order.
    kpis : the KPIs of the branch reports.
    min_group_size : fewest respondents a group shown anywhere must have (at least 3).
    seed, n_boot : the seed of every random draw, and the number of bootstrap resamples.
    actions, appraisal, comments_lexicon : the action library, appraisal scheme and comment theme
        lexicon, relative to the study file's folder, or None.
    cfa_missing : missing answers in the CFA: ``fiml`` or ``listwise``.
    cor_missing : missing answers in KMO, Bartlett, EFA, omega_h, HTMT, Harman: ``pairwise`` or ``listwise``.
    htmt, cr_ave : the HTMT ratio (``htmt``, ``htmt2``) and the CR/AVE (``standardized``,
        ``observed``) the report's tables show.
    comment_threshold : fewest respondents a group needs for its comments to be shown (at least
        ``min_group_size``).
    raw : the file as read.

    Examples
    --------
    >>> study = load_study("surveys/study.yml")
    >>> study.datasets.respondents, study.dimensions[:3], study.min_group_size, str(study.actions)
    ('staff', ('TS', 'CO', 'EF'), 5, 'surveys/actions.yml')
    """

    path: Path
    datasets: DatasetSpec
    title: Label = Label()
    dimensions: tuple[str, ...] = ()
    performance: str | None = None
    targets: TargetsSpec | None = None
    hypotheses: tuple[Hypothesis, ...] = ()
    kpis: tuple[KpiSpec, ...] = ()
    min_group_size: int = MIN_GROUP_SIZE
    seed: int = 0
    n_boot: int = 5000
    actions: Path | None = None
    cfa_missing: str = "fiml"
    cor_missing: str = "pairwise"
    htmt: str = "htmt"
    cr_ave: str = "standardized"
    appraisal: Path | None = None
    comments_lexicon: Path | None = None
    comment_threshold: int = 10
    raw: dict = field(default_factory=dict, repr=False)


# --- the study file's format ---------------------------------------------------------------

Pair = Annotated[TextList, Constraint(min_length=2, max_length=2)]  # [numerator, denominator], [column, value]


class RecordsModel(Strict):
    """The file's ``datasets.records``: records (KPI) summed per staff member and per group.

    Attributes
    ----------
    instrument : the records' instrument id.
    sum : the columns summed over the wave.
    ratio : name -> [numerator, denominator] of sums, per staff member and per group.
    group_ratio : as ``ratio``, per group only.

    Examples
    --------
    >>> from analysis.config import validate
    >>> from analysis.errors import StudyError
    >>> validate(RecordsModel, {"instrument": "kpi", "ratio": {"completion": ["sales_revenue"]}}, source="study.yml",
    ...          error=StudyError)
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: study.yml: ratio.completion: needs at least 2 entries
    """

    instrument: Text
    sum: TextList = []
    ratio: dict[Text, Pair] = {}
    group_ratio: dict[Text, Pair] = {}


class RatingsModel(Strict):
    """A survey of others (customers) aggregated per group: the file's ``datasets.ratings``.

    Attributes
    ----------
    instrument : the survey's instrument id.
    mean : the columns averaged per group.
    share : name -> [column, value]: the share of answers with that value.
    nps : name -> the 0-10 column whose net promoter score it is.

    Examples
    --------
    >>> RatingsModel.model_validate({"instrument": "customer", "share": {"complaint_rate": ["complained", "1"]}}).share
    {'complaint_rate': ['complained', '1']}
    """

    instrument: Text
    mean: TextList = []
    share: dict[Text, Pair] = {}
    nps: dict[Text, Text] = {}


class DatasetsModel(Strict):
    """The file's ``datasets``: which instruments the staff and branch frames are built from, and
    whether careless responders are left out.

    Attributes
    ----------
    respondents : the staff survey's instrument id.
    groups : the branch master file's instrument id, or None.
    exclude_careless : leave careless responders out of the models.
    records, ratings : the records and the ratings of others, or None.

    Examples
    --------
    >>> from analysis.config import validate
    >>> from analysis.errors import StudyError
    >>> validate(DatasetsModel, {"respondent": "staff"}, source="study.yml", error=StudyError)
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: study.yml: missing required key 'respondents'; unknown key 'respondent' (did you mean 'respondents'?)
    """

    respondents: Text
    groups: Text | None = None
    exclude_careless: bool = True
    records: RecordsModel | None = None
    ratings: RatingsModel | None = None


class TargetsModel(Strict):
    """The file's ``targets`` (:class:`TargetsSpec` once loaded).

    Attributes
    ----------
    assigned, actual, predictors, log : as in :class:`TargetsSpec`; ``predictors`` must not be empty.

    Examples
    --------
    >>> TargetsModel.model_validate({"assigned": "assigned_target", "actual": "sales_revenue",
    ...                              "predictors": ["foot_traffic"]}).log
    []
    """

    assigned: Text
    actual: Text
    predictors: Annotated[TextList, Constraint(min_length=1)]
    log: TextList = []


class KpiModel(Strict):
    """One entry of the file's ``report.kpis`` (:class:`KpiSpec` once loaded).

    Attributes
    ----------
    column, label, format, benchmark, lower_is_better, actions : as in :class:`KpiSpec`.

    Examples
    --------
    >>> from analysis.config import validate
    >>> from analysis.errors import StudyError
    >>> validate(KpiModel, {"column": "calls_per_day", "format": "percentage"}, source="study.yml", error=StudyError)
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: study.yml: format: must be one of number, percent, score, not 'percentage'
    """

    column: Text
    label: LabelSpec | None = None
    format: Literal["number", "percent", "score"] = "number"
    benchmark: Number | None = None
    lower_is_better: bool = False
    actions: Text | None = None  # the action library's dimension for a branch that falls behind on it


class ReportModel(Strict):
    """The file's ``report``.

    Attributes
    ----------
    kpis : the KPIs of the branch reports' snapshot.

    Examples
    --------
    >>> ReportModel.model_validate({"kpis": [{"column": "target_completion"}]}).kpis[0].format
    'number'
    """

    kpis: list[KpiModel] = []


class CommentsModel(Strict):
    """The file's ``comments``: open comments' themes and who may see them.

    Attributes
    ----------
    lexicon : the theme lexicon (docs/comments.md), relative to the study file.
    threshold : fewest respondents a group needs for its comments to be shown (at least 3).

    Examples
    --------
    >>> from analysis.config import validate
    >>> from analysis.errors import StudyError
    >>> validate(CommentsModel, {"lexicon": "comment_themes.yml", "threshold": 2}, source="study.yml", error=StudyError)
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: study.yml: threshold: must be greater than or equal to 3, not 2
    """

    lexicon: Text  # the theme lexicon (docs/comments.md), relative to the study file
    threshold: Annotated[int, Constraint(ge=3)] = 10  # respondents a group needs for its comments to be shown


class StudyModel(Strict):
    """The study file's top level, as written (:class:`Study` once loaded; hypotheses are checked
    one by one by :func:`load_study`).

    Attributes
    ----------
    title, datasets, dimensions, performance, targets, min_group_size, seed, n_boot, cfa_missing,
    cor_missing, htmt, cr_ave : as in :class:`Study`.
    hypotheses : the hypotheses as given (each checked by its model kind).
    report : the branch reports' KPIs.
    actions, appraisal : the action library and the appraisal scheme, relative to the study file.
    paper : the tables and figures of ``hallperf paper`` (checked by :mod:`analysis.report.paper`).
    comments : the open comments' lexicon and threshold, or None.

    Examples
    --------
    >>> from analysis.config import validate
    >>> from analysis.errors import StudyError
    >>> validate(StudyModel, {"datasets": {"respondents": "staff"}, "min_group_size": 2}, source="study.yml",
    ...          error=StudyError)
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: study.yml: min_group_size: minimum reporting group size k=2 is below the floor of 3, use k >= 3
    """

    title: LabelSpec = LabelSpec()
    datasets: DatasetsModel
    dimensions: TextList = []
    performance: Text | None = None
    targets: TargetsModel | None = None
    hypotheses: Annotated[list[Any], BeforeValidator(lambda v: [] if v is None else v)] = []
    report: ReportModel = ReportModel()
    min_group_size: int = MIN_GROUP_SIZE
    seed: Annotated[int, Constraint(ge=0)] = 0
    n_boot: Annotated[int, Constraint(ge=0)] = 5000
    actions: Text | None = None
    cfa_missing: Literal["fiml", "listwise"] = "fiml"
    cor_missing: Literal["pairwise", "listwise"] = "pairwise"  # KMO, Bartlett, EFA, omega_h, HTMT, Harman
    htmt: Literal["htmt", "htmt2"] = "htmt"  # the ratio the report's HTMT table shows (both are result tables)
    cr_ave: Literal["standardized", "observed"] = "standardized"  # the CR/AVE the reliability table shows
    appraisal: Text | None = None  # the appraisal scheme file (docs/appraisal.md), relative to the study file
    # the tables and figures of `hallperf paper`; checked against the result tables by analysis.report.paper
    paper: Any = None
    comments: CommentsModel | None = None

    @field_validator("min_group_size")
    @classmethod
    def _floor(cls, k: int) -> int:
        try:
            return check_min_group_size(k)
        except ValueError as exc:  # its "; use k >= 3" would read as a second problem here
            raise ValueError(str(exc).replace("; ", ", ")) from None


class HypothesisHead(Strict):
    """The keys of a hypothesis besides its roles.

    Attributes
    ----------
    id : the hypothesis id, a plain name (letters, digits, ``_``, ``.``, ``-``).
    model : the model kind.
    label : the hypothesis in words.
    level : ``staff`` (the default) or ``branch``.

    Examples
    --------
    >>> from analysis.config import validate
    >>> from analysis.errors import StudyError
    >>> validate(HypothesisHead, {"id": "H1", "model": "regression", "level": "district"}, source="study.yml",
    ...          error=StudyError)
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: study.yml: level: must be one of staff, branch, not 'district'
    """

    id: SafeName
    model: Text
    label: LabelSpec = LabelSpec()
    level: Level = "staff"


_SHAPES = {"one": Text, "list": TextList, "blocks": list[TextList]}


def _roles_model(kind: str) -> type[Strict]:
    """The roles of one model kind as a schema: required roles must be given (lists non-empty)."""
    fields: dict[str, Any] = {}
    for role, shape in MODEL_ROLES[kind].items():
        if role in REQUIRED_ROLES[kind]:
            fields[role] = (Annotated[_SHAPES[shape], Constraint(min_length=1)], ...)
        else:
            fields[role] = (_SHAPES[shape] | None, None) if shape == "one" else (_SHAPES[shape], [])
    return create_model(f"{kind}_roles", __base__=Strict, **fields)


ROLE_MODELS = {kind: _roles_model(kind) for kind in MODEL_ROLES}
HEAD_KEYS = tuple(HypothesisHead.model_fields)


def _pairs(spec: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    return {k: (v[0], v[1]) for k, v in spec.items()}


def _hypothesis(i: int, raw: Any, problems: list[str]) -> Hypothesis | None:
    """One hypothesis, or ``None`` with its problems appended (``hypotheses[H2] (mediation): ...``)."""
    if not isinstance(raw, dict):
        problems.append(f"hypotheses[#{i + 1}]: must be a mapping (id, model and the roles), not {describe(raw)}")
        return None
    hid = raw.get("id")
    where = f"hypotheses[{hid}]" if isinstance(hid, (str, int)) and not isinstance(hid, bool) else f"hypotheses[#{i + 1}]"
    try:
        head = HypothesisHead.model_validate({k: v for k, v in raw.items() if k in HEAD_KEYS})
    except ValidationError as exc:
        problems += config_problems(exc, HypothesisHead, prefix=where)
        head = None
    kind = raw.get("model")
    if not (isinstance(kind, str) and kind in MODEL_ROLES):
        if "model" in raw:
            problems.append(f"{where}: {unknown_key(kind, MODEL_ROLES, what='model')}")
        return None
    where = f"{where} ({kind})"
    given = {k: v for k, v in raw.items() if k not in HEAD_KEYS}
    unknown = [k for k in given if k not in MODEL_ROLES[kind]]
    for role in unknown:
        hint = did_you_mean(str(role), [*MODEL_ROLES[kind], *HEAD_KEYS])
        tail = f"did you mean '{hint}'?" if hint else f"roles: {', '.join(MODEL_ROLES[kind])}"
        problems.append(f"{where}: '{role}' is not a role of this model ({tail})")
    try:
        roles = ROLE_MODELS[kind].model_validate({k: v for k, v in given.items() if k not in unknown}).model_dump()
    except ValidationError as exc:
        problems += config_problems(exc, ROLE_MODELS[kind], prefix=where)
        return None
    if head is None or unknown:
        return None
    return Hypothesis(id=head.id, model=kind, label=to_label(head.label), level=head.level,
                      roles={k: roles[k] for k in given})  # the roles given, in the order given


def load_study(path: str | Path) -> Study:
    """Read a study file; raise :class:`StudyError` naming the file and every problem found.

    Parameters
    ----------
    path : the study file; a relative ``actions``, ``appraisal`` or comment lexicon is read from its folder.

    Examples
    --------
    >>> load_study("surveys/study.yml").title.en
    'Performance management and sales performance of business-hall marketing staff'
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "study.yml")
    ...     _ = path.write_text("datasets: {respondents: staff}\\nhypothesis: []\\n")
    ...     load_study(path)
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: .../study.yml: unknown key 'hypothesis' (did you mean 'hypotheses'?)
    """
    path = Path(path)
    raw = top_mapping(load_yaml(path, StudyError, "study file"), path, StudyError, "datasets, hypotheses, ...")
    problems: list[str] = []
    try:
        spec: StudyModel | None = StudyModel.model_validate(raw)
    except ValidationError as exc:
        problems += config_problems(exc, StudyModel)
        spec = None
    # Hypotheses are checked one by one, by their model kind, whatever else is wrong.
    listed = raw.get("hypotheses")
    hypotheses = [_hypothesis(i, h, problems) for i, h in enumerate(listed if isinstance(listed, list) else [])]
    ids = [h.id for h in hypotheses if h]
    problems += [f"hypotheses[{hid}]: duplicate id" for hid in dict.fromkeys(ids) if ids.count(hid) > 1]
    if problems or spec is None:
        raise fail(StudyError, path, problems)
    ds, tg = spec.datasets, spec.targets
    datasets = DatasetSpec(
        respondents=ds.respondents, groups=ds.groups, exclude_careless=ds.exclude_careless,
        records=RecordsSpec(instrument=ds.records.instrument, sum=tuple(ds.records.sum), ratio=_pairs(ds.records.ratio),
                            group_ratio=_pairs(ds.records.group_ratio)) if ds.records else None,
        ratings=RatingsSpec(instrument=ds.ratings.instrument, mean=tuple(ds.ratings.mean), share=_pairs(ds.ratings.share),
                            nps=dict(ds.ratings.nps)) if ds.ratings else None,
    )
    kpis = tuple(KpiSpec(column=k.column, label=to_label(k.label) if k.label else Label(k.column, k.column), format=k.format,
                         benchmark=k.benchmark, lower_is_better=k.lower_is_better, actions=k.actions)
                 for k in spec.report.kpis)
    return Study(
        path=path, title=to_label(spec.title), datasets=datasets, dimensions=tuple(spec.dimensions),
        performance=spec.performance,
        targets=TargetsSpec(assigned=tg.assigned, actual=tg.actual, predictors=tuple(tg.predictors), log=tuple(tg.log)) if tg else None,
        hypotheses=tuple(h for h in hypotheses if h), kpis=kpis, min_group_size=spec.min_group_size, seed=spec.seed,
        n_boot=spec.n_boot, actions=(path.parent / spec.actions) if spec.actions else None, cfa_missing=spec.cfa_missing,
        cor_missing=spec.cor_missing, htmt=spec.htmt, cr_ave=spec.cr_ave,
        appraisal=(path.parent / spec.appraisal) if spec.appraisal else None,
        comments_lexicon=(path.parent / spec.comments.lexicon) if spec.comments else None,
        comment_threshold=max(spec.comments.threshold, spec.min_group_size) if spec.comments else 10, raw=raw,
    )


def check_variables(study: Study, frames: dict[str, pd.DataFrame]) -> None:
    """Every variable a hypothesis, dimension or KPI names must be a column of its level's frame.

    Raises :class:`StudyError` naming the study file and every unknown variable.

    Parameters
    ----------
    study : the loaded study.
    frames : level (``staff``, ``branch``) -> its analysis frame.

    Examples
    --------
    >>> from analysis.datasets import DatasetSpec
    >>> study = Study(Path("study.yml"), DatasetSpec("staff"), dimensions=("TS", "CO"), performance="target_completion")
    >>> check_variables(study, {"staff": pd.DataFrame(columns=["TS", "C0", "target_completion"]), "branch": pd.DataFrame()})
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: study.yml: dimensions[1]: unknown variable 'CO'
    """
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
