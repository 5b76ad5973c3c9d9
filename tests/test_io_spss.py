"""SPSS .sav: text cells, headers from names or labels, value labels checked against the codebook,
and the same processed data as the plain CSV of the bundled sample wave."""

from __future__ import annotations


from analysis.io import detect_format, read_table
from analysis.io.spss import check_value_labels
from fixtures.exports import assert_same_ingest, ingest_staff, write_sav


# Fixtures staff, plain, secret and baseline: tests/conftest.py.


def test_sav_ingests_like_the_plain_csv(tmp_path, staff, plain, secret, baseline):
    path = write_sav(plain, staff, tmp_path / "staff.sav")
    assert detect_format(path) == "sav"
    got = ingest_staff(tmp_path, "staff.sav", secret)
    # SPSS case numbers start at 1 (no header row): one less than the CSV's Excel row.
    assert_same_ingest(baseline, got, row_offset=-1)
    assert got[2]["format"] == "sav"
    assert got[2]["value_label_mismatches"] == []  # the file's labels agree with the codebook


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


def test_value_label_mismatch_report(tmp_path, staff, plain):
    labels = {"TS1": {1: "非常不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"},
              "TS2": {1: "Strongly disagree", 2: "Disagree", 3: "Neutral", 4: "Agree", 5: "Strongly agree", 9: "不适用"},
              "您的性别": {1: "女", 2: "男"}}
    table = read_table(write_sav(plain.iloc[:4], staff, tmp_path / "s.sav", value_labels=labels))
    report = check_value_labels(table.notes["value_labels"], staff)
    assert "item TS1: label for 5 is '非常满意' but the codebook says '非常同意'" in report
    assert "item TS1: label for 1 is '非常不满意' but the codebook says '非常不同意'" in report
    assert "item TS2: code 9 ('不适用') is not in the codebook (allowed: 1, 2, 3, 4, 5)" in report
    assert "field gender: label for 1 is '女' but the codebook says '男'" in report
    assert len(report) == 4 + 1 + 2  # TS1 codes 1, 2, 4, 5 (3 '一般' agrees); TS2 code 9; gender 1 and 2
    assert not any("TS2: label" in line for line in report)  # English labels are the codebook's en labels
    clean = read_table(write_sav(plain.iloc[:4], staff, tmp_path / "ok.sav"))
    assert check_value_labels(clean.notes["value_labels"], staff) == []


def test_dates_and_missing_become_text(tmp_path):
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame({"when": pd.to_datetime(["2026-07-03 10:21:33", None]), "Q1": [1.5, None], "s": ["a", " "], "t": ["x", "y"]})
    pyreadstat.write_sav(frame, str(tmp_path / "d.sav"), column_labels={"Q1": "您的年龄"})
    table = read_table(tmp_path / "d.sav", format="sav")
    assert table.frame["when"].tolist()[0] == "2026-07-03 10:21:33"
    assert pd.isna(table.frame["when"].iloc[1]) and pd.isna(table.frame["您的年龄"].iloc[1])
    assert table.frame["您的年龄"].iloc[0] == "1.5" and pd.isna(table.frame["s"].iloc[1])  # blank text → missing
