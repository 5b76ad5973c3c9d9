"""Ingest: counts add up, every flaw quarantined with its reason, raw files untouched, no identities leak."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest

from analysis.errors import InputFileError
from analysis.io import read_table
from analysis.pipeline import run_ingest
from conftest import SURVEYS


def read_quarantine(processed):
    return pd.read_csv(processed / "quarantine.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_counts_add_up(small_wave):
    raw, processed, manifest, truth = small_wave
    for entry in manifest["inputs"]:
        assert entry["rows_accepted"] + entry["rows_quarantined"] == entry["rows_read"], entry["file"]
        assert sum(entry["quarantined_by_reason"].values()) == entry["rows_quarantined"]
        # rows read = data rows in the raw file
        raw_rows = len(read_table(raw / entry["file"]).frame)
        assert entry["rows_read"] == raw_rows
    for dataset, info in manifest["datasets"].items():
        accepted = sum(e["rows_accepted"] for e in manifest["inputs"] if e["instrument"] == dataset)
        assert len(pd.read_parquet(processed / info["file"])) == info["rows"] == accepted
    quarantined_rows = read_quarantine(processed).drop_duplicates(["file", "row"])
    assert len(quarantined_rows) == manifest["totals"]["rows_quarantined"]
    assert manifest["totals"]["rows_read"] == manifest["totals"]["rows_accepted"] + manifest["totals"]["rows_quarantined"]


def test_each_malformed_kind_quarantined_with_its_reason(small_wave):
    _, processed, _, truth = small_wave
    expected = {(m["file"], int(m["row"]), m["reason"]) for m in truth["malformed"]}
    got = {(f, int(r), reason) for f, r, reason in read_quarantine(processed)[["file", "row", "reason"]].itertuples(index=False)}
    assert expected == got
    reasons = {m["reason"] for m in truth["malformed"]}
    assert {"out_of_range", "not_a_number", "missing_required", "unknown_group", "not_allowed", "duplicate_respondent",
            "negative_value", "not_positive", "month_outside_wave", "bad_month", "duplicate_record"} <= reasons


def test_raw_files_byte_identical(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SURVEYS.parent / "data" / "raw" / "sample", raw)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in raw.iterdir()}
    stat_before = {p.name: p.stat().st_mtime_ns for p in raw.iterdir()}
    manifest = run_ingest(raw, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in raw.iterdir()}
    assert before == after
    assert stat_before == {p.name: p.stat().st_mtime_ns for p in raw.iterdir()}
    assert {e["file"]: e["sha256"] for e in manifest["inputs"]} == {k: v for k, v in before.items() if k in {e["file"] for e in manifest["inputs"]}}


def test_no_names_or_raw_ids_in_processed_data(small_wave):
    raw, processed, _, _ = small_wave
    staff = pd.read_csv(raw / "staff_survey.csv", dtype=str, encoding="utf-8-sig")
    kpi = pd.read_csv(raw / "kpi.csv", dtype=str, encoding="gb18030")
    customers = pd.read_csv(raw / "customer_survey.csv", dtype=str)
    secrets = set(staff["工号"]) | set(staff["姓名"]) | set(staff["手机号"]) | set(kpi["工号"]) | set(kpi["姓名"])
    secrets |= set(customers["客户编号"]) | set(customers["手机号"])
    secrets.discard("nan")
    text = []
    for path in processed.iterdir():
        if path.suffix == ".parquet":
            text.append(pd.read_parquet(path).astype(str).to_csv())
        else:
            text.append(path.read_text(encoding="utf-8-sig"))
    blob = "\n".join(text)
    leaked = [s for s in secrets if s in blob]
    assert not leaked, f"{len(leaked)} identifying values in processed data, e.g. {leaked[:3]}"


def test_pseudonyms_link_staff_and_kpi(small_wave):
    _, processed, _, _ = small_wave
    staff = pd.read_parquet(processed / "staff.parquet")
    kpi = pd.read_parquet(processed / "kpi.parquet")
    assert staff["staff_id"].str.fullmatch(r"P[0-9a-f]{16}").all()
    linked = staff["staff_id"].isin(set(kpi["staff_id"])).mean()
    assert linked > 0.95  # all respondents have KPI records, bar the corrupted copies


def test_gbk_export(tmp_path, instruments):
    path = tmp_path / "branches.csv"
    frame = pd.DataFrame({"营业厅编号": ["B1", "B2"], "营业厅名称": ["天河区体育西营业厅", "越秀区北京路营业厅"],
                          "所属区局": ["天河", "越秀"], "在岗人数": ["6", "x"]})
    frame.to_csv(path, index=False, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    table = read_table(path)
    assert table.encoding == "gb18030"
    assert table.frame.iloc[0, 1] == "天河区体育西营业厅"
    (tmp_path / "wave.yml").write_text("wave: g\nfiles:\n  - {path: branches.csv, instrument: branches}\n", encoding="utf-8")
    manifest = run_ingest(tmp_path, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    entry = manifest["inputs"][0]
    assert (entry["rows_accepted"], entry["quarantined_by_reason"]) == (1, {"not_a_number": 1})
    accepted = pd.read_parquet(tmp_path / "out" / "g" / "branches.parquet")
    assert accepted["branch_name"].tolist() == ["天河区体育西营业厅"]


def test_duplicates_across_files_of_one_instrument(tmp_path):
    rows = "工号,营业厅编号,月份,下达销售指标,销售收入\nS1,B1,2026-07,100,90\n"
    (tmp_path / "branches.csv").write_text("营业厅编号,营业厅名称,所属区局,在岗人数\nB1,甲,东区,5\n", encoding="utf-8")
    (tmp_path / "kpi_07.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "kpi_07_again.csv").write_text(rows, encoding="utf-8")
    manifest = run_ingest(tmp_path, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    by_file = {e["file"]: e for e in manifest["inputs"]}
    assert by_file["kpi_07.csv"]["rows_accepted"] == 1
    assert by_file["kpi_07_again.csv"]["quarantined_by_reason"] == {"duplicate_record": 1}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("工号,营业厅编号\nS1,B1\n", "kpi.csv: required column 'month' missing"),
        ("营业厅编号,营业厅名称,所属区局,在岗人数\nB1,甲,东区,5\n", "kpi.csv: required column 'staff_id' missing"),
        ("工号,营业厅编号,月份,下达销售指标,销售收入\n", None),  # header only: a valid, empty file
    ],
)
def test_bad_file_stops_with_one_line(tmp_path, content, message):
    (tmp_path / "kpi.csv").write_text(content, encoding="utf-8")
    (tmp_path / "wave.yml").write_text("wave: b\nfiles:\n  - {path: kpi.csv, instrument: kpi}\n", encoding="utf-8")
    if message is None:
        manifest = run_ingest(tmp_path, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
        assert manifest["totals"]["rows_read"] == 0
        return
    with pytest.raises(InputFileError, match=message) as err:
        run_ingest(tmp_path, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out" / "b").exists()  # nothing half-written


def test_wrong_instrument_and_unreadable_file(tmp_path):
    sample = SURVEYS.parent / "data" / "raw" / "sample"
    shutil.copy(sample / "kpi.csv", tmp_path / "kpi.csv")
    (tmp_path / "wave.yml").write_text("wave: b\nfiles:\n  - {path: kpi.csv, instrument: staff}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"kpi.csv: .*staff"):
        run_ingest(tmp_path, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    (tmp_path / "kpi.csv").write_bytes(b"\xff\xfe\x00\x81\x00garbage\x80\x80")
    (tmp_path / "wave.yml").write_text("wave: b\nfiles:\n  - {path: kpi.csv, instrument: kpi}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"kpi.csv: text is neither UTF-8 nor GBK"):
        run_ingest(tmp_path, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")


def test_failed_rerun_keeps_previous_output(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SURVEYS.parent / "data" / "raw" / "sample", raw)
    run_ingest(raw, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    manifest = (tmp_path / "out" / "sample" / "manifest.json").read_bytes()
    (raw / "kpi.csv").write_text("nonsense\n1\n", encoding="utf-8")
    with pytest.raises(InputFileError):
        run_ingest(raw, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    assert (tmp_path / "out" / "sample" / "manifest.json").read_bytes() == manifest
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["sample"]


def test_xlsx_sample_matches_its_truth():
    sample = SURVEYS.parent / "data" / "raw" / "sample"
    table = read_table(sample / "customer_survey.xlsx")
    truth = json.loads((sample / "truth.json").read_text(encoding="utf-8"))
    injected = sum(m["dataset"] == "customer" for m in truth["malformed"])
    assert table.format == "xlsx"
    assert len(table.frame) == truth["counts"]["customers"] + injected


def test_duplicate_ip_rows_are_flagged_not_dropped(instruments):
    from analysis.ingest import ingest_table
    from analysis.io.base import RawTable

    frame = pd.DataFrame({"营业厅编号": ["B1", "B2", "B3"], "营业厅名称": ["甲", "乙", "丙"], "所属区局": ["东", "东", "西"],
                          "在岗人数": ["5", "6", "7"]}, dtype="string")
    raw = RawTable(frame=frame, source_rows=pd.Series([2, 3, 4]).to_numpy(), format="wjx",
                   notes={"duplicate_ip": 2, "duplicate_ip_rows": [2, 4]})
    result = ingest_table(raw, instruments["branches"], file_label="b.xlsx", secret=b"k" * 32)
    assert result.accepted["flag_duplicate_ip"].tolist() == [True, False, True]
    assert result.notes == {"duplicate_ip": 2}  # counts go to the manifest, row lists do not
