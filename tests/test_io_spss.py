"""SPSS .sav: text cells, headers from names or labels, value labels reconciled with the codebook
(recoded by label, or the file refused), and the same processed data as the plain CSV of the
bundled sample wave."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import InputFileError
from analysis.io import detect_format, read_table
from fixtures.exports import assert_same_ingest, ingest_staff, write_sav


# Fixtures staff, plain, secret and baseline: tests/conftest.py.


def test_sav_ingests_like_the_plain_csv(tmp_path, staff, plain, secret, baseline):
    path = write_sav(plain, staff, tmp_path / "staff.sav")
    assert detect_format(path) == "sav"
    got = ingest_staff(tmp_path, "staff.sav", secret)
    # SPSS case numbers start at 1 (no header row): one less than the CSV's Excel row.
    assert_same_ingest(baseline, got, row_offset=-1)
    assert got[2]["format"] == "sav"
    assert got[2]["value_labels_recoded"] == {} and got[2]["value_label_notes"] == []  # the labels agree


def test_cells_are_text_and_generic_names_take_their_label(tmp_path, staff, plain):
    table = read_table(write_sav(plain.iloc[:4], staff, tmp_path / "s.sav"))
    frame = table.frame
    assert table.source_rows.tolist() == [1, 2, 3, 4]
    assert list(frame.columns[:4]) == ["工号", "姓名", "手机号", "营业厅编号"]  # Q1..Q4 named by their labels
    assert "TS1" in frame.columns  # a meaningful name is kept
    assert frame["您在本公司工作了多少年"].tolist() == ["2.4", "7.8", "8.4", "9.8"]  # no float noise
    assert frame["TS1"].tolist() == ["4", "4", "2", "2"]  # whole numbers without ".0"
    assert frame["TS3"].isna().tolist() == [False, False, True, False]  # system-missing → missing
    assert table.notes["value_labels"]["您的性别"] == {"1": "男", "2": "女"}


AGREE = ["非常不同意", "不同意", "一般", "同意", "非常同意"]


def test_reversed_labels_are_recoded_by_label(tmp_path, staff, plain, secret, baseline):
    """A file whose TS1 runs 1 = 非常同意 … 5 = 非常不同意 (and gender 1 = 女) holds the codebook's 5 … 1:
    taken as they are, the scores would be silently reversed."""
    rows = plain.iloc[:40].copy()
    flip = {"1": "5", "2": "4", "3": "3", "4": "2", "5": "1"}
    rows["TS1"] = rows["TS1"].map(flip.get)  # what the respondents meant, written in the file's coding
    rows["您的性别"] = rows["您的性别"].map({"1": "2", "2": "1"}.get)
    labels = {"TS1": dict(zip(range(1, 6), reversed(AGREE))), "您的性别": {1: "女", 2: "男"}}
    write_sav(rows, staff, tmp_path / "s.sav", value_labels=labels)
    accepted, _, entry = ingest_staff(tmp_path, "s.sav", secret)
    expected = baseline[0].set_index("staff_id").loc[accepted["staff_id"]]
    assert accepted["TS1"].tolist() == expected["TS1"].tolist()
    assert accepted["gender"].tolist() == expected["gender"].tolist()
    assert entry["value_labels_recoded"] == {"TS1": {"1": "5", "2": "4", "4": "2", "5": "1"}, "gender": {"1": "2", "2": "1"}}


def test_labels_on_the_end_points_only_show_a_reversal(tmp_path, staff, plain, secret, baseline):
    rows = plain.iloc[:40].copy()
    rows["TS2"] = rows["TS2"].map({"1": "5", "2": "4", "3": "3", "4": "2", "5": "1"}.get)
    write_sav(rows, staff, tmp_path / "s.sav", value_labels={"TS2": {1: "非常同意", 5: "非常不同意"}})
    accepted, _, entry = ingest_staff(tmp_path, "s.sav", secret)
    expected = baseline[0].set_index("staff_id").loc[accepted["staff_id"]]
    assert accepted["TS2"].tolist() == expected["TS2"].tolist()
    assert entry["value_labels_recoded"]["TS2"] == {"1": "5", "2": "4", "4": "2", "5": "1"}


@pytest.mark.parametrize(
    ("labels", "problem"),
    [({"TS1": {1: "非常不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"}},
      "code 1 is labelled '非常不满意', which is none of the codebook's labels"),
     ({"TS1": {1: "非常不同意", 2: "非常不同意", 3: "一般", 4: "同意", 5: "非常同意"}},
      "codes 1 and 2 have the same label '非常不同意'"),
     ({"TS1": {1: "Strongly disagree", 2: "非常不同意", 3: "一般", 4: "同意", 5: "非常同意"}},
      "codes 1 and 2 both mean '非常不同意'"),
     ({"TS1": {1: "非常不同意", 2: "同意"}}, "have no label, so their meaning is unknown")],
    ids=["unknown_label", "one_label_two_codes", "two_codes_one_meaning", "partial_not_a_reversal"],
)
def test_contradicting_labels_stop_the_file_naming_the_variable(tmp_path, staff, plain, secret, labels, problem):
    write_sav(plain.iloc[:40], staff, tmp_path / "s.sav", value_labels=labels)
    with pytest.raises(InputFileError) as err:
        ingest_staff(tmp_path, "s.sav", secret)
    message = str(err.value)
    assert message.startswith("s.sav: item TS1 (variable 'TS1'): ") and problem in message and "\n" not in message
    assert not (tmp_path / "out" / "w").exists()


def test_labels_in_english_and_extra_codes_are_fine(tmp_path, staff, plain, secret, baseline):
    labels = {"TS2": {1: "Strongly disagree", 2: "Disagree", 3: "Neutral", 4: "Agree", 5: "Strongly agree", 9: "不适用"}}
    write_sav(plain, staff, tmp_path / "s.sav", value_labels=labels)
    got = ingest_staff(tmp_path, "s.sav", secret)
    assert_same_ingest(baseline, got, row_offset=-1)
    assert got[2]["value_labels_recoded"] == {}
    note = ("item TS2: code 9 ('不适用') is not in the codebook (allowed: 1, 2, 3, 4, 5); its answers are "
            "quarantined unless declared missing")
    assert got[2]["value_label_notes"] == [note]


def test_dates_and_missing_become_text(tmp_path):
    import pyreadstat

    frame = pd.DataFrame({"when": pd.to_datetime(["2026-07-03 10:21:33", None]), "Q1": [1.5, None], "s": ["a", " "], "t": ["x", "y"]})
    pyreadstat.write_sav(frame, str(tmp_path / "d.sav"), column_labels={"Q1": "您的年龄"})
    table = read_table(tmp_path / "d.sav", format="sav")
    assert table.frame["when"].tolist()[0] == "2026-07-03 10:21:33"
    assert pd.isna(table.frame["when"].iloc[1]) and pd.isna(table.frame["您的年龄"].iloc[1])
    assert table.frame["您的年龄"].iloc[0] == "1.5" and pd.isna(table.frame["s"].iloc[1])  # blank text → missing
