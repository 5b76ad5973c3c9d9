"""The appraisal scheme file (``surveys/appraisal.yml``): indicators, 360° roles, grades, bonus.

A scheme describes how a company appraises and pays its staff, the way the seed's 绩效考核方案
and 客户服务绩效及奖金管理制度 do: weighted KPI indicators, each normalised to points out of 100;
360° ratings combined by rater-role weights; grades by thresholds or a forced distribution; a
bonus coefficient per grade and a pool to split. ``docs/appraisal.md`` documents every key.

The file is validated with pydantic (v2) models that forbid unknown keys; every problem is
reported at once on one line, each with its path and, for a misspelt key, the closest allowed
one (``difflib``): ``surveys/appraisal.yml: indicators.sales.normalise.methd: unknown key
(did you mean 'method'?)``.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis.errors import SchemeError
from analysis.privacy import MIN_GROUP_SIZE_FLOOR

__all__ = ["Scheme", "load_scheme", "parse_scheme"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A bilingual label."""

    zh: str = ""
    en: str = ""

    def get(self, lang: str = "zh") -> str:
        primary = self.zh if lang == "zh" else self.en
        return primary or self.en or self.zh


class Normalise(_Strict):
    """How an indicator's raw value becomes points out of 100 (see docs/appraisal.md)."""

    method: Literal["target_ratio", "percentile", "zscore", "range"]
    target: float | str | None = None
    cap: float = Field(1.2, gt=0)
    within: str | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _complete(self) -> "Normalise":
        if self.method == "target_ratio" and self.target is None:
            raise ValueError("target_ratio needs a target (a number, or the column holding each person's target)")
        if self.method == "range" and (self.min is None or self.max is None or not self.min < self.max):
            raise ValueError("range needs min < max (the ends of the rating scale, e.g. min: 1, max: 5)")
        if isinstance(self.target, (int, float)) and not self.target > 0:
            raise ValueError(f"target must be > 0, got {self.target}")
        return self


class Indicator(_Strict):
    """One KPI of the scorecard; its value comes from exactly one of column, ratio or ratings."""

    label: Text
    area: Text | None = None
    weight: float = Field(gt=0)
    level: Literal["individual", "team"] = "individual"
    direction: Literal["higher", "lower"] = "higher"
    column: str | None = None
    ratio: tuple[str, str] | None = None
    ratings: list[str] | None = None
    normalise: Normalise
    source: Text | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "Indicator":
        given = [k for k in ("column", "ratio", "ratings") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(f"give exactly one of column, ratio or ratings (got {', '.join(given) or 'none'})")
        if self.ratings and self.level == "team":
            raise ValueError("a ratings indicator is a person's own 360° score; it cannot have level: team")
        return self


class Role(_Strict):
    """A 360° rater role (上级、同事、下级、客户、自评) with its weight in the ratee's score."""

    label: Text
    weight: float = Field(ge=0)
    anonymous: bool = True


class Ratings(_Strict):
    """The 360° ratings file: which columns hold what, and how roles are weighted."""

    instrument: str = "ratings360"
    items: list[str] = Field(min_length=1)
    rater: str = "rater_id"
    ratee: str = "ratee_id"
    role: str = "rater_role"
    roles: dict[str, Role] = Field(min_length=1)
    min_raters: int | None = None
    min_ratings_leniency: int = Field(3, ge=2)
    self_role: str | None = "self"

    @model_validator(mode="after")
    def _check(self) -> "Ratings":
        if self.min_raters is not None and self.min_raters < MIN_GROUP_SIZE_FLOOR:
            raise ValueError(f"min_raters={self.min_raters} is below the anonymity floor of {MIN_GROUP_SIZE_FLOOR}")
        if self.self_role is not None and self.self_role not in self.roles:
            raise ValueError(f"self_role '{self.self_role}' is not one of the roles ({', '.join(self.roles)})")
        if not any(r.weight > 0 for r in self.roles.values()):
            raise ValueError("at least one role needs a weight > 0")
        return self


class Grades(_Strict):
    """Grades best first: a forced distribution (shares) or minimum points (thresholds)."""

    rule: Literal["forced_distribution", "thresholds"]
    shares: dict[str, float] | None = None
    thresholds: dict[str, float] | None = None
    within: str | None = None

    @model_validator(mode="after")
    def _check(self) -> "Grades":
        if self.rule == "forced_distribution":
            if not self.shares:
                raise ValueError("forced_distribution needs shares, e.g. {A: 0.10, B: 0.20, C: 0.50, D: 0.15, E: 0.05}")
            if any(not 0 <= s <= 1 for s in self.shares.values()) or not math.isclose(sum(self.shares.values()), 1.0, abs_tol=1e-9):
                raise ValueError(f"shares must be in [0, 1] and sum to 1 (they sum to {sum(self.shares.values()):g})")
        else:
            if not self.thresholds:
                raise ValueError("thresholds needs the minimum points of each grade, best first, e.g. {A: 90, B: 80, C: 70, D: 60, E: 0}")
            values = list(self.thresholds.values())
            if any(a <= b for a, b in zip(values, values[1:])):
                raise ValueError("thresholds must decrease from the best grade to the worst")
            if self.within is not None:
                raise ValueError("within applies to a forced distribution only")
        return self

    @property
    def order(self) -> list[str]:
        """Grade labels, best first."""
        return list(self.shares if self.rule == "forced_distribution" else self.thresholds)


class Pool(_Strict):
    amount: float | None = Field(None, gt=0)
    per_staff: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> "Pool":
        if (self.amount is None) == (self.per_staff is None):
            raise ValueError("give exactly one of amount (the whole pool) or per_staff (pool = per_staff x staff)")
        return self


class Bonus(_Strict):
    pool: Pool
    coefficients: dict[str, float]
    contribution: str | None = None
    unit: float = Field(0.01, gt=0)

    @field_validator("coefficients")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        if any(c < 0 for c in value.values()):
            raise ValueError("bonus coefficients must be >= 0")
        return value


class Evaluation(_Strict):
    n_boot: int = Field(200, ge=2)
    seed: int | None = None
    team_shares: list[float] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    over_set: float = Field(0.10, gt=0)
    outcome: str = "target_completion"
    competition_item: str | None = "TC4"

    @field_validator("team_shares")
    @classmethod
    def _shares(cls, value: list[float]) -> list[float]:
        if any(not 0 <= s <= 1 for s in value):
            raise ValueError("team_shares must lie in [0, 1]")
        return value


class Actions(_Strict):
    instrument: str = "actions_register"
    kpis: list[str] = ["target_completion"]
    strata: list[str] = ["branch_type"]
    min_branches: int = Field(2, ge=2)
    ci: float = Field(0.95, gt=0, lt=1)


class Scheme(_Strict):
    """A validated appraisal scheme.

    Attributes
    ----------
    id, version, title, source : what the scheme is and where it comes from.
    indicators : indicator code -> :class:`Indicator` (value, weight, normalisation).
    ratings : the 360° ratings section, or None.
    grades, bonus : how composites become grades, and grades a bonus.
    evaluation, actions : settings of the scheme's evaluation and of the action effects.

    Examples
    --------
    >>> from analysis.appraisal.scheme import load_scheme
    >>> scheme = load_scheme("surveys/appraisal.yml")
    >>> scheme.id, len(scheme.indicators), scheme.grades.order, round(scheme.weights()["target_completion"], 2)
    ('hall_staff_appraisal', 10, ['A', 'B', 'C', 'D', 'E'], 0.25)
    """

    id: str
    version: str
    title: Text
    source: Text | None = None
    indicators: dict[str, Indicator] = Field(min_length=1)
    ratings: Ratings | None = None
    grades: Grades
    bonus: Bonus
    evaluation: Evaluation = Evaluation()
    actions: Actions = Actions()

    @model_validator(mode="after")
    def _cross(self) -> "Scheme":
        problems = []
        for code, ind in self.indicators.items():
            if ind.ratings:
                if self.ratings is None:
                    problems.append(f"indicators.{code}.ratings: the scheme has no ratings section")
                else:
                    unknown = [i for i in ind.ratings if i not in self.ratings.items]
                    if unknown:
                        problems.append(f"indicators.{code}.ratings: {unknown} not among ratings.items {self.ratings.items}")
        order = self.grades.order
        if list(self.bonus.coefficients) != order:
            problems.append(f"bonus.coefficients: grades {list(self.bonus.coefficients)} must be the grades {order}, in that order")
        else:
            c = list(self.bonus.coefficients.values())
            if any(a < b for a, b in zip(c, c[1:])):
                problems.append("bonus.coefficients: a better grade must not get a smaller coefficient (等级越高奖金比例越高)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def weights(self) -> dict[str, float]:
        """Indicator weights normalised to sum to 1 (the file's weights are relative)."""
        total = sum(i.weight for i in self.indicators.values())
        return {code: i.weight / total for code, i in self.indicators.items()}


# --------------------------------------------------------------------------- loading
def load_scheme(path: str | Path) -> Scheme:
    """Read and validate a scheme file; raise :class:`SchemeError` listing every problem.

    Parameters
    ----------
    path : the scheme file (YAML, e.g. ``surveys/appraisal.yml``).

    Examples
    --------
    >>> from analysis.appraisal.scheme import load_scheme
    >>> scheme = load_scheme("surveys/appraisal.yml")
    >>> scheme.ratings.roles["supervisor"].weight
    0.4
    >>> load_scheme("no/such/appraisal.yml")
    Traceback (most recent call last):
    ...
    analysis.errors.SchemeError: no/such/appraisal.yml: appraisal scheme file not found
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemeError(f"{path}: appraisal scheme file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise SchemeError(f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return parse_scheme(raw, label=str(path))


def parse_scheme(raw: Any, *, label: str = "scheme") -> Scheme:
    """Validate a scheme given as a mapping (what the YAML file holds).

    Parameters
    ----------
    raw : the scheme as a mapping.
    label : the name errors start with (e.g. the file).

    Examples
    --------
    >>> import yaml
    >>> raw = yaml.safe_load(open("surveys/appraisal.yml", encoding="utf-8"))
    >>> parse_scheme(raw).version
    '2026.1'
    >>> parse_scheme({**raw, "bonus": {**raw["bonus"], "coefficients": {"A": 1, "B": 2, "C": 1, "D": 1, "E": 1}}})
    Traceback (most recent call last):
    ...
    analysis.errors.SchemeError: scheme: ... a better grade must not get a smaller coefficient (等级越高奖金比例越高)
    """
    if not isinstance(raw, dict):
        raise SchemeError(f"{label}: top level must be a mapping")
    try:
        return Scheme.model_validate(raw)
    except ValidationError as exc:
        raise SchemeError(f"{label}: " + "; ".join(_describe(e) for e in exc.errors())) from None


def _describe(error: dict) -> str:
    loc = [str(p) for p in error["loc"]]
    where = ".".join(loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(Scheme, error["loc"][:-1])
        match = difflib.get_close_matches(loc[-1], allowed, n=1, cutoff=0.6)
        hint = f" (did you mean '{match[0]}'?)" if match else (f" (allowed: {', '.join(allowed)})" if allowed else "")
        return f"{where}: unknown key{hint}"
    if error["type"] == "missing":
        return f"{where}: required key missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"


def _model_in(annotation: Any) -> Any:
    """The pydantic model class or ``dict[str, Model]`` value type inside an annotation."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
        return None
    return annotation if origin is dict or (isinstance(annotation, type) and issubclass(annotation, BaseModel)) else None


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the model found by walking ``loc`` from the top-level :class:`Scheme`."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            current = _model_in(info.annotation) if info else None
        elif typing.get_origin(current) is dict:
            current = _model_in(typing.get_args(current)[1])
        else:
            return []
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []
