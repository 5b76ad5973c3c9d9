"""The study file's schema: the model kinds and their roles, and the keys each section takes.

:mod:`analysis.study` validates a file against these models and turns it into a
:class:`~analysis.study.Study`; the models say what may be written, with one-line errors.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, create_model, field_validator
from pydantic import Field as Constraint

from analysis.config import LabelSpec, Number, SafeName, Strict, Text, TextList
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
