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


# --- continuous response scales -------------------------------------------------------------

HS1939 = """
id: hs1939
version: "1"
kind: survey
respondent: {column: id}
response_scales:
  score: {type: number, min: 0, max: 10}
default_response: score
items: {x1: {text: visual perception}, x2: {text: cubes}, x3: {text: lozenges}, x4: {text: paragraph comprehension},
        x5: {text: sentence completion}, x6: {text: word meaning}, x7: {text: speeded addition},
        x8: {text: speeded counting of dots}, x9: {text: speeded discrimination of capitals}}
scales:
  visual: {items: [x1, x2, x3]}
  textual: {items: [x4, x5, x6]}
  speed: {items: [x7, x8, x9]}
"""


def ingest_hs1939(tmp_path, codebook: str, frame=None):
    from semopy.examples import holzinger39

    from analysis.ingest import ingest_table
    from analysis.io import read_table

    data = holzinger39.get_data() if frame is None else frame
    data[["id", *(f"x{i}" for i in range(1, 10))]].to_csv(tmp_path / "hs.csv", index=False)
    return data, ingest_table(read_table(tmp_path / "hs.csv"), load_instrument(write(tmp_path, codebook)),
                              file_label="hs.csv", secret=b"k")


def test_continuous_items_keep_every_hs1939_row(tmp_path):
    """Holzinger & Swineford (1939), 301 pupils: x1..x9 are scores such as 3.33 (semopy's copy)."""
    data, result = ingest_hs1939(tmp_path, HS1939)
    assert (result.rows_read, len(result.accepted), result.rows_quarantined) == (301, 301, 0)
    items = [f"x{i}" for i in range(1, 10)]
    assert result.accepted[items].to_numpy() == pytest.approx(data[items].to_numpy(), abs=1e-12)


def test_an_integer_scale_still_quarantines_fractions(tmp_path):
    # The same data on a whole-number 0-10 scale: every pupil has a fractional score somewhere.
    _, result = ingest_hs1939(tmp_path, HS1939.replace("{type: number, min: 0, max: 10}", "{min: 0, max: 10}"))
    assert len(result.accepted) == 0 and result.reasons == {"out_of_range": 301}


def test_continuous_and_step_scales_still_check_the_range_and_grid(tmp_path):
    from semopy.examples import holzinger39

    data = holzinger39.get_data().head(4).reset_index(drop=True)
    data.loc[0, "x1"], data.loc[1, "x2"] = 10.5, -0.1
    _, result = ingest_hs1939(tmp_path, HS1939, data)
    assert set(result.quarantine["column"]) == {"x1", "x2"} and len(result.accepted) == 2

    grid = HS1939.replace("{type: number, min: 0, max: 10}", "{min: 0, max: 10, step: 0.25}")
    data = holzinger39.get_data().head(3).reset_index(drop=True)
    data[[f"x{i}" for i in range(1, 10)]] = 5.0
    data.loc[0, "x1"], data.loc[1, "x1"] = 2.75, 2.8  # on and off the grid 0, 0.25, ..., 10
    _, result = ingest_hs1939(tmp_path, grid, data)
    assert result.quarantine[["row", "column", "reason"]].values.tolist() == [[3, "x1", "out_of_range"]]


def test_step_scale_labels_name_the_grid(tmp_path):
    text = MINIMAL.replace("agree5: {min: 1, max: 5}", "half: {min: 1, max: 2, step: 0.5, labels: {en: [low, mid, high]}}")
    inst = load_instrument(write(tmp_path, text.replace("default_response: agree5", "default_response: half")))
    response = inst.items["A1"].response
    assert response.values() == (1, 1.5, 2) and response.label_to_value() == {"low": 1, "mid": 1.5, "high": 2}
