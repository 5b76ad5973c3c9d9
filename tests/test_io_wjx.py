"""问卷星 downloads: detection, header normalisation, 所用时间, skip codes, and the same processed
data as the plain CSV of the bundled sample wave after ``run_ingest``."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import InputFileError
from analysis.io import detect_format, read_table
from analysis.io.cells import duration_seconds
from analysis.io.wjx import wjx_header
from fixtures.exports import SAMPLE, assert_same_ingest, ingest_staff, write_wjx


# Fixtures staff, plain, secret and baseline: tests/conftest.py.


@pytest.mark.parametrize(
    ("filename", "by_text", "encoding"),
    [("wjx_codes.xlsx", False, None), ("wjx_text.xlsx", True, None),
     ("wjx_codes.csv", False, "gbk"), ("wjx_text.csv", True, "gbk"), ("wjx_text_utf8.csv", True, "utf-8")],
)
def test_wjx_export_ingests_like_the_plain_csv(tmp_path, staff, plain, secret, baseline, filename, by_text, encoding):
    path = write_wjx(plain, staff, tmp_path / filename, by_text=by_text, encoding=encoding or "gbk")
    if encoding == "gbk":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    assert detect_format(path) == "wjx"
    got = ingest_staff(tmp_path, filename, secret)
    # Same rows, values, pseudonyms (same secret) and quarantine entries; 所用时间 "9分28秒" → 568.0.
    assert_same_ingest(baseline, got)
    assert got[2]["format"] == "wjx"
    assert got[0]["duration_seconds"].iloc[0] == 568.0
    # The wjx metadata is reported as unused, never silently taken for an instrument column.
    assert {"序号", "提交答卷时间", "来源", "来源详情", "来自IP"} <= set(got[2]["unused_columns"])


def test_format_override_reads_a_wjx_file_named_in_wave_yml(tmp_path, staff, plain, secret, baseline):
    write_wjx(plain, staff, tmp_path / "staff.data", by_text=False, encoding="utf-8")  # no telling suffix
    with pytest.raises(InputFileError, match="unknown file layout"):
        detect_format(tmp_path / "staff.data")
    assert_same_ingest(baseline, ingest_staff(tmp_path, "staff.data", secret, format="wjx"))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("123秒", "123"), ("2分3秒", "123"), ("1时2分3秒", "3723"), ("1小时0分5秒", "3605"), ("45", "45"),
     ("10分", "600"), (" 2分 3秒 ", "123")],
)
def test_duration_text_to_seconds(text, seconds):
    assert duration_seconds(text) == seconds


def test_unparseable_duration_is_left_for_ingest_to_report():
    assert duration_seconds("约5分钟左右") == "约5分钟左右"
    assert duration_seconds(None) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [("12、您的上级会及时给予反馈", "您的上级会及时给予反馈"),
     ("15、请评价以下说法—我的销售指标有客观依据", "我的销售指标有客观依据"),
     ("15、请评价以下说法:我的销售指标有客观依据", "我的销售指标有客观依据"),
     ("15、请评价以下说法：我的销售指标有客观依据", "我的销售指标有客观依据"),
     ("16、您的年龄：", "您的年龄"), ("所用时间", "所用时间"), ("来自IP", "来自IP")],
)
def test_headers_normalised(header, expected):
    assert wjx_header(header) == expected


def small_wjx(path, rows):
    header = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、工号", "2、您常用的办理渠道",
              "3、请评价以下说法—我的绩效奖金与我的业绩紧密挂钩", "4、请评价以下说法—业绩优秀的员工有更多晋升机会"]
    pd.DataFrame(rows, columns=header).to_csv(path, index=False, encoding="gbk")
    return path


def test_skip_codes_multi_select_and_duplicate_ip(tmp_path):
    path = small_wjx(tmp_path / "w.csv", [
        ["1", "2026/7/3 10:21:33", "2分3秒", "微信", "直接访问", "112.96.1.2(广东-广州)", "S1", "微信┋门店", "4", "-3"],
        ["2", "2026/7/3 10:25:01", "98秒", "链接", "直接访问", "112.96.1.9(广东-广州)", "S2", "门店", "-2", "5"],
        ["3", "2026/7/3 11:02:10", "1时2分3秒", "微信", "直接访问", "112.96.1.2(广东-广州)", "S3", "(跳过)", "3", "2"],
    ])
    table = read_table(path)
    assert table.format == "wjx"
    frame = table.frame
    assert frame["所用时间"].tolist() == ["2分3秒", "98秒", "1时2分3秒"]  # ingest turns durations into seconds
    assert frame["您常用的办理渠道"].iloc[0] == "微信┋门店"  # multi-select kept as one text cell
    assert pd.isna(frame["业绩优秀的员工有更多晋升机会"].iloc[0])  # -3 skipped → missing
    assert pd.isna(frame["我的绩效奖金与我的业绩紧密挂钩"].iloc[1])  # -2 not shown → missing
    assert pd.isna(frame["您常用的办理渠道"].iloc[2])
    assert frame["我的绩效奖金与我的业绩紧密挂钩"].tolist()[::2] == ["4", "3"]
    assert table.notes["skipped_cells"] == 3
    assert table.notes["duplicate_ip"] == 2 and table.notes["duplicate_ip_rows"] == [2, 4]
    assert "-3" in table.missing_codes and "-2" in table.missing_codes
    assert frame["序号"].tolist() == ["1", "2", "3"]  # metadata untouched


def test_skip_code_reaches_processed_data_as_missing(tmp_path, staff, plain, secret):
    one = plain.iloc[:3].copy()
    one["TS2"] = ["3", None, "4"]
    write_wjx(one, staff, tmp_path / "wjx.csv", encoding="gbk")
    assert "-3" in (tmp_path / "wjx.csv").read_text(encoding="gbk")
    accepted, quarantine, entry = ingest_staff(tmp_path, "wjx.csv", secret)
    assert accepted["TS2"].isna().tolist() == [False, True, False]
    assert len(quarantine) == 0 and entry["rows_accepted"] == 3


def test_duplicate_ip_note_in_manifest(tmp_path, staff, plain, secret):
    ips = [f"10.0.0.{i}" for i in range(len(plain))]
    ips[5] = ips[7] = ips[9] = "10.9.9.9"
    write_wjx(plain, staff, tmp_path / "wjx.xlsx", ips=ips)
    accepted, _, entry = ingest_staff(tmp_path, "wjx.xlsx", secret)
    assert entry["duplicate_ip"] == 3
    # Excel rows 7, 9, 11 (header is row 1) = data rows 5, 7, 9; all accepted, so flags line up.
    assert accepted["flag_duplicate_ip"].sum() == 3
    assert accepted.index[accepted["flag_duplicate_ip"]].tolist() == [5, 7, 9]


def test_plain_csv_is_not_taken_for_wjx_and_unknown_layout_says_what_was_looked_for(tmp_path):
    assert detect_format(SAMPLE / "staff_survey.csv") == "csv"
    assert detect_format(SAMPLE / "customer_survey.xlsx") == "xlsx"
    odd = tmp_path / "export.json"
    odd.write_text("{}", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_table(odd)
    message = str(err.value)
    assert "\n" not in message
    assert "unknown file layout" in message
    looked_for = message.split("looked for: ")[1].split(")")[0].split(", ")
    assert sorted(looked_for) == ["csv", "qualtrics", "sav", "wjx", "xlsx"]
    assert looked_for[-2:] == ["csv", "xlsx"]  # specific layouts are tried before plain CSV/XLSX
    with pytest.raises(InputFileError, match="unknown format 'spss'"):
        read_table(odd, format="spss")
