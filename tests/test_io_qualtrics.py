"""Qualtrics CSV exports: three header rows, headers from question text or export tag, file row
numbers, and the same processed data as the plain CSV of the bundled sample wave."""

from __future__ import annotations

import pytest

from analysis.io import detect_format, read_table
from analysis.io.qualtrics import qualtrics_header
from fixtures.exports import assert_same_ingest, ingest_staff, write_qualtrics


# Fixtures staff, plain, secret and baseline: tests/conftest.py.


@pytest.mark.parametrize("choice_text", [False, True], ids=["numeric", "choice_text"])
def test_qualtrics_export_ingests_like_the_plain_csv(tmp_path, staff, plain, secret, baseline, choice_text):
    path = write_qualtrics(plain, staff, tmp_path / "staff_qualtrics.csv", choice_text=choice_text)
    assert detect_format(path) == "qualtrics"
    got = ingest_staff(tmp_path, "staff_qualtrics.csv", secret)
    # Two more header rows than the plain CSV: every quarantined row is two rows further down.
    assert_same_ingest(baseline, got, row_offset=2)
    assert got[2]["format"] == "qualtrics"
    assert {"StartDate", "ResponseId", "IPAddress"} <= set(got[2]["unused_columns"])


def test_source_rows_are_file_rows(tmp_path, staff, plain):
    path = write_qualtrics(plain.iloc[:5], staff, tmp_path / "q.csv")
    table = read_table(path)
    assert table.source_rows.tolist() == [4, 5, 6, 7, 8]
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[table.source_rows[2] - 1].split(",")[11] == table.frame["工号"].iloc[2]
    assert table.frame["工号"].tolist() == plain["工号"].iloc[:5].tolist()


def test_headers_question_text_for_generated_tags_else_the_tag(tmp_path, staff, plain):
    table = read_table(write_qualtrics(plain.iloc[:3], staff, tmp_path / "q.csv"))
    columns = list(table.frame.columns)
    assert "Duration (in seconds)" in columns and "营业厅编号" in columns  # metadata / embedded data: tag
    assert "工号" in columns and "您的性别" in columns                      # Q1, Q5: question text
    assert staff.items["TS2"].text.zh in columns                             # Q12_2: matrix statement
    assert not any(c.startswith("请根据") for c in columns)
    assert qualtrics_header("TS1", "请评价 - 本厅的销售目标会被逐级分解到每个人") == "TS1"  # a tag the researcher set
    assert qualtrics_header("Q7", "您的年龄 - 周岁") == "您的年龄 - 周岁"  # not a sub-question: text kept whole
    assert qualtrics_header("Q7_TEXT", "") == "Q7_TEXT"


def test_notes_preview_unfinished_and_duplicate_ip(tmp_path, staff, plain):
    ips = [f"203.0.113.{i}" for i in range(6)]
    ips[4] = ips[1]
    path = write_qualtrics(plain.iloc[:6], staff, tmp_path / "q.csv", ips=ips)
    text = path.read_text(encoding="utf-8-sig").splitlines()
    # Response 3 is a preview, response 6 unfinished (edit the Status / Finished cells).
    row = text[5].split(",")
    row[2] = "1"
    text[5] = ",".join(row)
    row = text[8].split(",")
    row[6] = "0"
    text[8] = ",".join(row)
    path.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    table = read_table(path)
    assert table.notes["preview_or_test_responses"] == 1
    assert table.notes["unfinished_responses"] == 1
    assert table.notes["duplicate_ip"] == 2 and table.notes["duplicate_ip_rows"] == [5, 8]
    assert table.missing_codes == ("-99",)


def test_a_plain_csv_with_json_in_a_cell_is_not_qualtrics(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('a,b,c\n1,2,3\n{"ImportId":"x"},3,4\n', encoding="utf-8")
    assert detect_format(path) == "csv"
    path.write_text('a,b,c\nA,B,C\n{"ImportId":"QID1"},{"ImportId":"QID2"},{"ImportId":"QID3_1"}\n', encoding="utf-8")
    assert detect_format(path) == "qualtrics"
    assert len(read_table(path).frame) == 0


def test_format_override(tmp_path, staff, plain):
    path = write_qualtrics(plain.iloc[:5], staff, tmp_path / "q.csv")
    assert read_table(path, format="qualtrics").format == "qualtrics"
    raw = read_table(path, format="csv")  # the plain reader sees the header rows 2 and 3 as data
    assert raw.format == "csv" and len(raw.frame) == 7 and raw.frame.columns[0] == "StartDate"
    same = tmp_path / "q.export"  # a name that says nothing: only the override reads it
    same.write_bytes(path.read_bytes())
    assert read_table(same, format="qualtrics").frame.equals(read_table(path).frame)
