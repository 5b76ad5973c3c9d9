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
from pydantic import ValidationError

from analysis.config import describe, did_you_mean, fail, load_yaml, top_mapping, unknown_key
from analysis.config import problems as config_problems
from analysis.datasets import DatasetSpec, RatingsSpec, RecordsSpec
from analysis.errors import StudyError
from analysis.instrument import Label, to_label
from analysis.privacy import MIN_GROUP_SIZE
from analysis.study_schema import HEAD_KEYS, MODEL_ROLES, ROLE_MODELS, HypothesisHead, StudyModel


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


# --- from the file's models (analysis.study_schema) to the study -----------------------------

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
