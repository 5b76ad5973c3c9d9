"""The appraisal scheme file: the bundled scheme loads, and every kind of mistake is one line."""

from __future__ import annotations

import copy

import pytest
import yaml

from analysis.appraisal.scheme import load_scheme, parse_scheme
from analysis.errors import SchemeError
from analysis.study import load_study
from conftest import SURVEYS

RAW = yaml.safe_load((SURVEYS / "appraisal.yml").read_text(encoding="utf-8"))


def edited(change) -> dict:
    raw = copy.deepcopy(RAW)
    change(raw)
    return raw


def test_bundled_scheme_follows_the_seed():
    scheme = load_scheme(SURVEYS / "appraisal.yml")
    assert scheme.grades.order == ["A", "B", "C", "D", "E"]
    assert scheme.grades.shares == {"A": 0.10, "B": 0.20, "C": 0.50, "D": 0.15, "E": 0.05}
    assert sum(scheme.weights().values()) == pytest.approx(1.0, abs=1e-12)
    assert set(scheme.ratings.roles) == {"supervisor", "peer", "subordinate", "customer", "self"}
    coefficients = list(scheme.bonus.coefficients.values())
    assert coefficients == sorted(coefficients, reverse=True)  # 等级越高奖金比例越高
    assert {i.level for i in scheme.indicators.values()} == {"individual", "team"}
    assert load_study(SURVEYS / "study.yml").appraisal == SURVEYS / "appraisal.yml"


@pytest.mark.parametrize("change, message", [
    (lambda r: r["indicators"]["sales_revenue"]["normalise"].update(methd="x"),
     r"f\.yml: indicators\.sales_revenue\.normalise\.methd: unknown key \(did you mean 'method'\?\)"),
    (lambda r: r.update(grads=1), r"grads: unknown key \(did you mean 'grades'\?\)"),
    (lambda r: r["grades"]["shares"].update(A=0.2), r"grades: shares must be in \[0, 1\] and sum to 1 \(they sum to 1.1\)"),
    (lambda r: r["bonus"]["coefficients"].update(A=0.1), r"bonus\.coefficients: a better grade must not get a smaller coefficient"),
    (lambda r: r["indicators"]["competence"].update(ratings=["R_X"]), r"indicators\.competence\.ratings: \['R_X'\] not among"),
    (lambda r: r["indicators"]["complaint_rate"].update(column="complaints"), r"indicators\.complaint_rate: give exactly one of"),
    (lambda r: r["indicators"]["target_completion"]["normalise"].pop("target"), r"target_ratio needs a target"),
    (lambda r: r["ratings"].update(min_raters=2), r"ratings: min_raters=2 is below the anonymity floor of 3"),
    (lambda r: r["grades"].update(rule="thresholds", thresholds={"A": 80, "B": 90, "C": 70, "D": 60, "E": 0}),
     r"thresholds must decrease"),
    (lambda r: r.pop("bonus"), r"bonus: required key missing"),
])
def test_mistakes_are_one_line_errors(change, message):
    with pytest.raises(SchemeError, match=message) as err:
        parse_scheme(edited(change), label="f.yml")
    assert "\n" not in str(err.value) and str(err.value).startswith("f.yml: ")


def test_all_field_problems_reported_at_once():
    def two(r):
        r["grads"] = 1
        r["ratings"]["rols"] = {}
    with pytest.raises(SchemeError) as err:
        parse_scheme(edited(two), label="f.yml")
    assert "grads: unknown key" in str(err.value) and "ratings.rols: unknown key (did you mean 'roles'?)" in str(err.value)


def test_file_errors(tmp_path):
    with pytest.raises(SchemeError, match="not found"):
        load_scheme(tmp_path / "none.yml")
    (tmp_path / "bad.yml").write_text("a: [1,\n", encoding="utf-8")
    with pytest.raises(SchemeError, match=r"bad\.yml: line \d+: not valid YAML"):
        load_scheme(tmp_path / "bad.yml")
