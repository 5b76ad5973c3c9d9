"""Text and Excel decoding: encodings per file, damaged rows set apart (not the whole file), full-width
characters folded, duplicate headers refused, damaged workbooks named."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from analysis.errors import InputFileError
from analysis.io import read_table
from analysis.io.cells import duration_seconds, normalise_text

LINES = ["工号,姓名,营业厅编号,TS1", "S1,张三,B1,4", "S2,李四,B1,5", "S3,王五,B2,3", "S4,赵六,B2,2"]


def write_lines(path, encodings):
    """One line per entry of LINES, each in its own encoding."""
    path.write_bytes(b"".join((line + "\n").encode(enc) for line, enc in zip(LINES, encodings)))
    return path


def test_one_gbk_line_in_a_utf8_file_is_one_damaged_row(tmp_path):
    table = read_table(write_lines(tmp_path / "m.csv", ["utf-8", "utf-8", "gbk", "utf-8", "utf-8"]))
    assert table.encoding == "utf-8"
    assert table.frame["姓名"].tolist() == ["张三", "王五", "赵六"]
    assert table.source_rows.tolist() == [2, 4, 5]
    [damage] = table.damaged
    assert (damage.row, damage.reason, damage.column) == (3, "bad_encoding", "姓名")
    assert table.rows_read == 4


def test_one_utf8_line_in_a_gbk_file_is_one_damaged_row(tmp_path):
    table = read_table(write_lines(tmp_path / "m.csv", ["gbk", "gbk", "gbk", "utf-8", "gbk"]))
    assert table.encoding == "gb18030"
    assert table.frame["姓名"].tolist() == ["张三", "李四", "赵六"]
    assert [(d.row, d.reason, d.column) for d in table.damaged] == [(4, "bad_encoding", "姓名")]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"])
def test_whole_file_encodings(tmp_path, encoding):
    table = read_table(write_lines(tmp_path / "e.csv", [encoding] * 5) if encoding != "utf-16"
                       else _utf16(tmp_path / "e.txt"))
    assert table.frame["姓名"].tolist() == ["张三", "李四", "王五", "赵六"]
    assert not table.damaged


def _utf16(path):
    # Excel's "Unicode Text": UTF-16 with a BOM, tab-separated.
    path.write_text("\n".join(line.replace(",", "\t") for line in LINES) + "\n", encoding="utf-16")
    return path


def test_gbk_names_that_happen_to_be_valid_utf8_stay_gbk(tmp_path):
    # The GBK bytes of 谢英 are valid UTF-8 (two Cyrillic letters): a line is only taken for
    # UTF-8 when it reads as mostly CJK, so the file stays GBK and nothing is quarantined.
    path = tmp_path / "k.csv"
    path.write_bytes("工号,姓名,营业厅编号,TS1\nS1,谢英,B1,4\nS2,张三,B1,5\n".encode("gbk"))
    table = read_table(path)
    assert table.encoding == "gb18030" and table.frame["姓名"].tolist() == ["谢英", "张三"] and not table.damaged


def test_undecodable_file_is_rejected_as_a_whole(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n\x80\xff,\xff\x80\n")
    with pytest.raises(InputFileError, match=r"x.csv: text is neither UTF-8 nor GBK"):
        read_table(path)


def test_damaged_header_stops_the_file(tmp_path):
    with pytest.raises(InputFileError, match=r"m.csv: row 1 \(header\)"):
        read_table(write_lines(tmp_path / "m.csv", ["gbk", "utf-8", "utf-8", "utf-8", "utf-8"]))


def test_ragged_row_is_set_apart_and_short_rows_are_missing_cells(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6,7\n8,9\n10,11,,\n\n13,14,15\n", encoding="utf-8")
    table = read_table(path)
    assert table.frame.values.tolist() == [["1", "2", "3"], ["8", "9", pd.NA], ["13", "14", "15"]]
    assert table.source_rows.tolist() == [2, 4, 7]  # Excel rows; row 6 is blank
    # Row 5 has one cell more than the others, though empty: "10,1,1" with a stray comma looks the same.
    assert [(d.row, d.reason, d.detail) for d in table.damaged] == [
        (3, "ragged_row", "4 cells, the header has 3"), (5, "ragged_row", "4 cells, the header has 3")]
    assert table.notes["blank_rows_skipped"] == 1


def test_a_separator_at_the_end_of_every_line_is_no_damage(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3,\n4,5,6,\n7,8,9\n", encoding="utf-8")
    table = read_table(path)
    assert table.frame.values.tolist() == [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]] and not table.damaged


def test_quoted_cell_across_lines_is_one_row(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('a,b\n1,"two\nlines"\n3,4\n', encoding="utf-8")
    table = read_table(path)
    assert table.frame["b"].tolist() == ["two\nlines", "4"] and table.source_rows.tolist() == [2, 3]


@pytest.mark.parametrize(("text", "expected"), [("４", "4"), ("２５", "25"), ("－３", "-3"), ("\u22122", "-2"),
                                                 ("　5　", "5"), ("a\x00b", "ab"), ("\ufeffS1", "S1"), ("ＴＳ", "TS")])
def test_full_width_and_invisible_characters(text, expected):
    assert normalise_text(text) == expected


def test_every_reader_folds_full_width_cells(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("a,b\n４,２５\n", encoding="utf-8")
    assert read_table(path).frame.iloc[0].tolist() == ["4", "25"]
    pd.DataFrame({"a": ["４"], "b": ["２５"]}).to_excel(tmp_path / "f.xlsx", index=False)
    assert read_table(tmp_path / "f.xlsx").frame.iloc[0].tolist() == ["4", "25"]


@pytest.mark.parametrize(("text", "seconds"), [("3分4秒", "184"), ("0:03:04", "184"), ("3:04", "184"), ("184s", "184"),
                                               ("1天0时0分1秒", "86401"), ("2分钟", "120")])
def test_duration_forms(text, seconds):
    assert duration_seconds(text) == seconds


def test_duplicate_header_is_refused_naming_both_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("工号,TS1,TS2,TS1\nS1,4,3,2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"d.csv: header 'TS1' appears twice \(columns B and D\)"):
        read_table(path)
    workbook = openpyxl.Workbook()
    workbook.active.append(["工号", "TS1", "TS1"])
    workbook.active.append(["S1", 4, 2])
    workbook.save(tmp_path / "d.xlsx")
    with pytest.raises(InputFileError, match=r"d.xlsx: header 'TS1' appears twice \(columns B and C\)"):
        read_table(tmp_path / "d.xlsx")


def test_damaged_workbooks_are_named(tmp_path):
    pd.DataFrame({"a": [1, 2]}).to_excel(tmp_path / "ok.xlsx", index=False)
    data = (tmp_path / "ok.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match=r"cut.xlsx: damaged Excel workbook"):
        read_table(tmp_path / "cut.xlsx")
    (tmp_path / "text.xlsx").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"text.xlsx: not an Excel workbook .*format: csv"):
        read_table(tmp_path / "text.xlsx")
    assert read_table(tmp_path / "text.xlsx", format="csv").frame.values.tolist() == [["1", "2"]]
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(InputFileError, match=r"empty.xlsx: the first sheet is empty"):
        read_table(tmp_path / "empty.xlsx")
