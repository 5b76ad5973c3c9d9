"""The codebook loader: bundled instruments load; broken ones give path-qualified messages."""

from __future__ import annotations

import re

import pytest

from analysis.errors import InstrumentError
from analysis.instrument import load_instrument
from conftest import SURVEYS

MINIMAL = """
id: tiny
version: "1"
kind: survey
respondent: {column: rid}
response_scales:
  agree5: {min: 1, max: 5}
default_response: agree5
items:
  A1: {text: {zh: 甲一, en: A one}}
  A2: {text: {zh: 甲二, en: A two}, reverse: true}
scales:
  A: {label: {zh: 甲, en: A}, items: [A1, A2]}
"""


def write(tmp_path, text):
    path = tmp_path / "tiny.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_instruments_load(instruments):
    assert set(instruments) == {"staff", "customer", "branches", "kpi", "ratings360", "actions_register"}
    staff = instruments["staff"]
    assert staff.respondent.pseudonymise and staff.group.references == "branches"
    # Every scale has 3–6 items and every item belongs to exactly one scale.
    assert all(3 <= len(s.items) <= 6 for s in staff.scales.values())
    assert sorted(i for s in staff.scales.values() for i in s.items) == sorted(staff.items)
    assert any(i.reverse for i in staff.items.values())
    assert all(i.text.zh and i.text.en for inst in instruments.values() for i in inst.items.values())


def test_minimal_instrument_defaults(tmp_path):
    inst = load_instrument(write(tmp_path, MINIMAL))
    assert inst.scales["A"].min_answered == 1  # ceil(2 / 2)
    assert inst.items["A2"].reverse and inst.unique == ("rid",)


def test_unknown_item_named_with_its_path(tmp_path):
    path = write(tmp_path, MINIMAL.replace("items: [A1, A2]", "items: [A1, A2, A9]"))
    with pytest.raises(InstrumentError, match=re.escape(f"{path}: scales.A.items[2]: unknown item 'A9'")):
        load_instrument(path)


def test_bundled_staff_broken_copy(tmp_path):
    text = (SURVEYS / "staff.yml").read_text(encoding="utf-8").replace("items: [TS1, TS2, TS3, TS4]", "items: [TS1, TS2, TS9, TS4]")
    path = tmp_path / "staff.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentError, match=re.escape("staff.yml: scales.TS.items[2]: unknown item 'TS9'")):
        load_instrument(path)


def test_every_problem_reported_at_once(tmp_path):
    text = MINIMAL.replace("kind: survey", "kind: poll").replace("A2: {text: {zh: 甲二, en: A two}, reverse: true}", "A2: {text: {zh: 甲二}, response: agree7}")
    with pytest.raises(InstrumentError) as err:
        load_instrument(write(tmp_path, text))
    message = str(err.value)
    assert "kind: must be one of survey, records, not 'poll'" in message
    assert "items.A2.response: unknown response scale 'agree7'" in message
    assert "\n" not in message


def test_invalid_yaml_names_the_line(tmp_path):
    with pytest.raises(InstrumentError, match=r"tiny.yml: line \d+: not valid YAML"):
        load_instrument(write(tmp_path, "id: [unclosed\nkind: survey\n"))
