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
from fixtures.exports import SAMPLE, ingest_staff


def read_quarantine(processed):
    return pd.read_csv(processed / "quarantine.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_counts_add_up(small_wave):
    raw, processed, manifest, truth = small_wave
    for entry in manifest["inputs"]:
        assert entry["rows_accepted"] + entry["rows_quarantined"] == entry["rows_read"], entry["file"]
        assert sum(entry["quarantined_by_reason"].values()) == entry["rows_quarantined"]
        # rows read = data rows in the raw file (read into cells, or set apart as damaged)
        assert entry["rows_read"] == read_table(raw / entry["file"]).rows_read
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
    """README: "raw never modified" (see also test_raw_bytes_unchanged in test_bad_input_corpus.py)."""
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
    # open answers are masked at ingest: the simulated ones carry phone numbers and staff ids
    comments = pd.concat([pd.read_parquet(processed / "staff.parquet")["suggestion"],
                          pd.read_parquet(processed / "customer.parquet")["comment"]]).dropna()
    assert comments.str.contains(r"\[(?:电话|姓名|账号)\]").any()
    assert not comments.str.contains(r"1\d{2}[- ]?\d{4}[- ]?\d{4}|S\d{6}").any()


def test_open_answers_kept_as_written_with_mask_false(tmp_path, secret):
    for name in ("staff_survey.csv", "branches.csv"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    (tmp_path / "surveys").mkdir()
    shutil.copy(SURVEYS / "branches.yml", tmp_path / "surveys" / "branches.yml")
    codebook = (SURVEYS / "staff.yml").read_text(encoding="utf-8")
    assert "    id_pattern: 'S\\d{6}'" in codebook
    (tmp_path / "surveys" / "staff.yml").write_text(codebook.replace("    id_pattern: 'S\\d{6}'", "    mask: false"), encoding="utf-8")
    (tmp_path / "wave.yml").write_text("wave: w\nperiod: {start: 2026-07, end: 2026-09}\nfiles:\n"
                                       "  - {path: branches.csv, instrument: branches}\n"
                                       "  - {path: staff_survey.csv, instrument: staff}\n", encoding="utf-8")
    run_ingest(tmp_path, processed_root=tmp_path / "out", instruments_dir=tmp_path / "surveys", secret_file=secret)
    staff = pd.read_parquet(tmp_path / "out" / "w" / "staff.parquet")
    raw = pd.read_csv(tmp_path / "staff_survey.csv", dtype=str, encoding="utf-8-sig").iloc[:, -1].dropna()
    assert raw.str.contains(r"S\d{6}").any() and staff["suggestion"].str.contains(r"S\d{6}").any()


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
    """README: "nothing half-written" (a full disk: test_io_outputs.py)."""
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


# --- row-level damage stays row-level ----------------------------------------------------------

def staff_lines(n=12):
    """The first ``n`` data lines of the sample's staff survey (with the header), as text."""
    return (SAMPLE / "staff_survey.csv").read_text(encoding="utf-8-sig").splitlines()[: n + 1]


def write_staff(folder, lines, encoding="utf-8"):
    folder.mkdir(exist_ok=True)
    (folder / "staff_survey.csv").write_bytes(b"".join((line + "\n").encode(encoding) for line in lines))
    return "staff_survey.csv"


def test_one_ragged_row_is_quarantined_and_the_others_kept(tmp_path, secret):
    lines = staff_lines()
    lines[3] = lines[3].replace(",", ",,", 1)  # a stray comma after 工号: one cell too many, everything shifted
    _, quarantine, entry = ingest_staff(tmp_path, write_staff(tmp_path, lines), secret)
    assert (entry["rows_read"], entry["rows_accepted"]) == (12, 11)
    assert entry["quarantined_by_reason"] == {"ragged_row": 1}
    [row] = quarantine.itertuples(index=False)
    assert (row.row, row.reason, row.value) == ("4", "ragged_row", "")
    assert row.message.startswith("staff_survey.csv: row 4: more cells than the header has columns")


def test_one_gbk_cell_in_a_utf8_file_quarantines_that_row_naming_it(tmp_path, secret):
    lines = staff_lines()
    data = [(line + "\n").encode("gbk" if i == 6 else "utf-8") for i, line in enumerate(lines)]
    tmp_path.joinpath("staff_survey.csv").write_bytes(b"".join(data))
    _, quarantine, entry = ingest_staff(tmp_path, "staff_survey.csv", secret)
    assert (entry["rows_read"], entry["rows_accepted"], entry["quarantined_by_reason"]) == (12, 11, {"bad_encoding": 1})
    [row] = quarantine.itertuples(index=False)
    assert (row.row, row.column, row.reason, row.value) == ("7", "name", "bad_encoding", "")
    assert "王" not in row.message and "row 7, column 'name'" in row.message  # names never reach quarantine
    assert entry["encoding"] == "utf-8"


def test_full_width_answers_are_valid(tmp_path, secret):
    lines = staff_lines(3)
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("您的年龄")] = "２５"
    cells[header.index("TS1")] = "４"
    cells[header.index("所用时间")] = "５６８"
    lines[1] = ",".join(cells)
    accepted, quarantine, entry = ingest_staff(tmp_path, write_staff(tmp_path, lines), secret)
    assert entry["rows_quarantined"] == 0 and len(quarantine) == 0
    assert (accepted.loc[0, "age"], accepted.loc[0, "TS1"], accepted.loc[0, "duration_seconds"]) == (25, 4.0, 568.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [(lambda h: h.replace(",TS2,", ",TS1,", 1), "staff_survey.csv: header 'TS1' appears twice (columns L and M)"),
     (lambda h: h.replace("手机号", "staff_id", 1), "staff_survey.csv: headers '工号' and 'staff_id' both name column 'staff_id'"),
     (lambda h: h.replace(",TS2,", ",ＴＳ１,", 1), "staff_survey.csv: headers 'TS1' and 'ＴＳ１' both name column 'TS1'")],
    ids=["same_header", "alias_and_code", "full_width_copy"],
)
def test_duplicate_columns_stop_the_file(tmp_path, secret, change, message):
    lines = staff_lines(3)
    lines[0] = change(lines[0])
    with pytest.raises(InputFileError) as err:
        ingest_staff(tmp_path, write_staff(tmp_path, lines), secret)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out" / "w").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "qualtrics", "sav"])  # wjx: test_io_wjx.py
def test_minutes_and_seconds_durations_in_every_format(tmp_path, staff, plain, secret, fmt):
    """A plain CSV with 所用时间 "3分4秒" had every row quarantined; every reader now yields seconds."""
    from fixtures.exports import write_qualtrics, write_sav

    rows = plain.iloc[:8].copy()
    rows["所用时间"] = ["3分4秒", "0:09:28", "184", "1时0分5秒", "10分", "75秒", "2分 3秒", "0:03:04"]
    seconds = [184.0, 568.0, 184.0, 3605.0, 600.0, 75.0, 123.0, 184.0]
    name = {"csv": "s.csv", "xlsx": "s.xlsx", "qualtrics": "q.csv", "sav": "s.sav"}[fmt]
    if fmt in ("csv", "xlsx"):
        getattr(rows, "to_csv" if fmt == "csv" else "to_excel")(tmp_path / name, index=False)
    else:
        {"qualtrics": write_qualtrics, "sav": write_sav}[fmt](rows, staff, tmp_path / name)
    accepted, quarantine, _ = ingest_staff(tmp_path, name, secret)
    assert "duration_seconds" not in set(quarantine["column"])
    by_id = dict(zip(accepted["staff_id"], accepted["duration_seconds"]))
    ingested = [by_id.get(i) for i in ingest_ids(rows, secret)]
    assert [v for v in ingested if v is not None] == [s for s, v in zip(seconds, ingested) if v is not None]
    assert sum(v is not None for v in ingested) >= 6  # the sample's own flaws may quarantine a row or two


def ingest_ids(rows, secret_file):
    from analysis.privacy import load_secret, pseudonymise

    return pseudonymise(rows["工号"], load_secret(secret_file), "staff_id").tolist()


# --- what the other verbs make of what ingest kept ---------------------------------------------

@pytest.fixture
def hallperf(monkeypatch, capsys):
    """Run the CLI in this process (as ``hallperf ARGS`` from folder ``cwd``): (exit code, stderr)."""
    import sys

    from analysis import cli

    for name in ("HALLPERF_SECRET", "HALLPERF_SECRET_FILE"):
        monkeypatch.delenv(name, raising=False)

    def run(*args, cwd):
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["hallperf", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            cli.main()
        return exit_.value.code or 0, capsys.readouterr().err

    return run


def sample_copy(tmp_path, name):
    """A copy of the bundled sample as wave ``name`` in a project folder ``tmp_path`` (its own surveys/)."""
    shutil.copytree(SURVEYS, tmp_path / "surveys", dirs_exist_ok=True)
    raw = tmp_path / "data" / "raw" / name
    shutil.copytree(SAMPLE, raw)
    spec = (raw / "wave.yml").read_text(encoding="utf-8").replace("wave: sample", f"wave: {name}")
    (raw / "wave.yml").write_text(spec, encoding="utf-8")
    return raw


def test_header_only_survey_ingests_empty_and_analyze_says_nothing_to_analyse(tmp_path):
    from analysis.pipeline import run_analyze_study, run_score

    raw = sample_copy(tmp_path, "h")
    header = (raw / "staff_survey.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    (raw / "staff_survey.csv").write_text(header + "\n", encoding="utf-8-sig")
    manifest = run_ingest(raw, processed_root=tmp_path / "processed", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    entry = next(e for e in manifest["inputs"] if e["file"] == "staff_survey.csv")
    assert (entry["rows_read"], entry["rows_accepted"], entry["rows_quarantined"]) == (0, 0, 0)
    run_score(tmp_path / "processed" / "h", instruments_dir=SURVEYS)
    with pytest.raises(InputFileError, match=r"nothing to analyse: no accepted rows of 'staff' \(staff_survey.csv: 0 rows read"):
        run_analyze_study(SURVEYS / "study.yml", "h", processed_root=tmp_path / "processed", out_root=tmp_path / "output",
                          instruments_dir=SURVEYS)
    assert not (tmp_path / "output").exists()


def test_kpi_records_linking_to_no_respondent_stop_analyze_with_one_line(tmp_path, hallperf):
    raw = sample_copy(tmp_path, "nolink")
    kpi = (raw / "kpi.csv").read_text(encoding="gb18030").splitlines()
    kpi = kpi[:1] + ["X" + line[1:] for line in kpi[1:]]  # S100000 → X100000: no staff id matches
    (raw / "kpi.csv").write_bytes(("\n".join(kpi) + "\n").encode("gb18030"))
    for verb in (("ingest", "--wave", "nolink"), ("score", "--wave", "nolink")):
        assert hallperf(*verb, cwd=tmp_path)[0] == 0
    code, err = hallperf("analyze", "--study", "surveys/study.yml", "--wave", "nolink", cwd=tmp_path)
    assert code == 2 and err.startswith("hallperf: error: no link between 'kpi' and 'staff': none of the ")
    assert err.count("\n") == 1


def test_ingest_takes_a_wave_name_like_every_other_verb_and_keys_the_project(tmp_path, hallperf):
    sample_copy(tmp_path, "byname")
    (tmp_path / "output").mkdir()
    code, err = hallperf("ingest", "--wave", "byname", "--raw", "../data/raw", "--out", "../data/processed",
                         "--instruments", "../surveys", cwd=tmp_path / "output")
    assert code == 0, err
    assert (tmp_path / "data" / "processed" / "byname" / "manifest.json").exists()
    assert (tmp_path / ".hallperf" / "secret.key").exists()  # the project's key, not one in output/
    assert not (tmp_path / "output" / ".hallperf").exists()
    code, err = hallperf("ingest", "--wave", "nosuch", cwd=tmp_path)
    assert code == 2 and "no wave folder data/raw/nosuch" in err


def test_ingest_prints_what_it_quarantined_by_file_and_reason(tmp_path, hallperf):
    """The sample's seeded flaws (out of range, not a number, missing id, duplicates): one line per file."""
    sample_copy(tmp_path, "flaws")
    code, err = hallperf("ingest", "--wave", "flaws", cwd=tmp_path)
    assert code == 0, err
    manifest = json.loads((tmp_path / "data" / "processed" / "flaws" / "manifest.json").read_text(encoding="utf-8"))
    t = manifest["totals"]
    assert f"{t['rows_read']} rows read = {t['rows_accepted']} accepted + {t['rows_quarantined']} quarantined" in err
    flawed = [e for e in manifest["inputs"] if e["rows_quarantined"]]
    assert len(flawed) >= 3
    for e in flawed:
        reasons = ", ".join(f"{k} {v}" for k, v in e["quarantined_by_reason"].items())
        assert f"  {e['file']}: {e['rows_quarantined']} of {e['rows_read']} rows quarantined ({reasons})" in err


ANALYZE_CODEBOOK = """
id: climate
version: "1.0"
kind: survey
respondent: {column: rid, aliases: [工号]}
group: {column: team, aliases: [班组]}
duration: {column: seconds, aliases: [所用时间]}
response_scales:
  agree5: {min: 1, max: 5, labels: {zh: [非常不同意, 不同意, 一般, 同意, 非常同意]}}
default_response: agree5
items:
  SUP1: {text: {zh: 上级会及时给予反馈}}
  SUP2: {text: {zh: 上级很少与我沟通}, reverse: true}
  SUP3: {text: {zh: 上级关心我的成长}}
scales:
  SUP: {label: {zh: 上级支持}, items: [SUP1, SUP2, SUP3]}
"""


def climate_export(path, n=150, item="3"):
    rows = ["工号,班组,所用时间,SUP1,SUP2,SUP3"]
    rows += [f"S{i},t{i % 10},{1 + i % 8}分{i % 60}秒,{(i * 7) % 5 + 1},{item},{(i * 3) % 5 + 1}" for i in range(n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_analyze_instrument_parses_durations_prints_quarantine_and_creates_no_key(tmp_path, hallperf):
    (tmp_path / "c.yml").write_text(ANALYZE_CODEBOOK, encoding="utf-8")
    climate_export(tmp_path / "d.csv")
    code, err = hallperf("analyze", "--instrument", "c.yml", "--data", "d.csv", "--out", "out", cwd=tmp_path)
    assert code == 0, err
    assert "d.csv: 150 rows read = 150 accepted + 0 quarantined" in err  # 所用时间 "3分4秒" parsed
    assert not (tmp_path / ".hallperf").exists()  # no key file made in the working directory


def test_analyze_instrument_with_every_row_quarantined_exits_2(tmp_path, hallperf):
    (tmp_path / "c.yml").write_text(ANALYZE_CODEBOOK, encoding="utf-8")
    climate_export(tmp_path / "d.csv", item="x")
    code, err = hallperf("analyze", "--instrument", "c.yml", "--data", "d.csv", "--out", "out", cwd=tmp_path)
    assert code == 2
    assert err == ("hallperf: error: d.csv: nothing left to analyse: all 150 rows quarantined "
                   "(not_a_number 150); see out/quarantine.csv\n")
    quarantine = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str)
    assert len(quarantine) == 150 and set(quarantine["reason"]) == {"not_a_number"}
    header_only = tmp_path / "h.csv"
    header_only.write_text("工号,班组,所用时间,SUP1,SUP2,SUP3\n", encoding="utf-8")
    code, err = hallperf("analyze", "--instrument", "c.yml", "--data", "h.csv", "--out", "out2", cwd=tmp_path)
    assert code == 2 and "h.csv: nothing to analyse: the file has a header but no data rows" in err
    no_answers = tmp_path / "n.csv"  # rows accepted (ids, groups) but not one answer: nothing to compute
    no_answers.write_text("工号,班组,所用时间,SUP1,SUP2,SUP3\n" + "".join(f"S{i},t1,,,,\n" for i in range(6)), encoding="utf-8")
    code, err = hallperf("analyze", "--instrument", "c.yml", "--data", "n.csv", "--out", "out3", cwd=tmp_path)
    assert code == 2 and err.startswith("hallperf: error: n.csv: nothing to analyse: no statistic could be computed "
                                        "from the 6 accepted rows (SUP: 0 respondents answered every item")
    assert err.count("\n") == 1 and (tmp_path / "out3" / "problems.csv").is_file()


# --- simulate never replaces what it did not write ---------------------------------------------

def simulate_into(out, overwrite=False, seed=5):
    from analysis.pipeline import run_simulate

    return run_simulate("w", branches=6, seed=seed, out=out, instruments_dir=SURVEYS,
                        model_path=SURVEYS / "simulation.yml", overwrite=overwrite)


def test_simulate_refuses_a_folder_of_real_exports_or_the_committed_sample(tmp_path):
    real = tmp_path / "real"
    shutil.copytree(SAMPLE, real)  # the committed sample: its truth.json records no files it wrote
    (real / "extra_export.xlsx").write_bytes(b"PK\x03\x04 a real export")
    before = {p.name: p.read_bytes() for p in real.iterdir()}
    with pytest.raises(InputFileError, match=r"real: holds files simulate did not write .*--overwrite"):
        simulate_into(real)
    assert {p.name: p.read_bytes() for p in real.iterdir()} == before


def test_simulate_overwrite_keeps_every_file_it_did_not_write(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "staff_survey_from_hr.csv").write_text("工号\nS1\n", encoding="utf-8")
    (real / "notes").mkdir()
    (real / "notes" / "readme.txt").write_text("keep me", encoding="utf-8")
    simulate_into(real, overwrite=True)
    assert (real / "staff_survey_from_hr.csv").read_text(encoding="utf-8") == "工号\nS1\n"
    assert (real / "notes" / "readme.txt").read_text(encoding="utf-8") == "keep me"
    assert (real / "truth.json").exists() and (real / "staff_survey.csv").exists()


def test_simulate_replaces_its_own_unchanged_wave_but_not_a_changed_one(tmp_path):
    out = tmp_path / "sim"
    simulate_into(out, seed=5)
    first = (out / "staff_survey.csv").read_bytes()
    simulate_into(out, seed=6)  # simulate's own, untouched: replaced
    assert (out / "staff_survey.csv").read_bytes() != first
    (out / "kpi_extra.csv").write_text("工号\n", encoding="utf-8")  # someone put an export beside it
    with pytest.raises(InputFileError, match=r"kpi_extra.csv"):
        simulate_into(out, seed=7)
    (out / "kpi_extra.csv").unlink()
    with open(out / "kpi.csv", "ab") as handle:  # or edited one of its files
        handle.write(b"S9,x\n")
    with pytest.raises(InputFileError, match=r"kpi.csv"):
        simulate_into(out, seed=7)
