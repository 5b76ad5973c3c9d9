"""The README's promises, each checked against what the code does (issue 9's "done when").

Each test quotes the README sentence it checks and fails when the sentence is no longer there,
so a promise cannot be reworded away from its test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

from analysis.errors import InputFileError, OutputWriteError
from conftest import ROOT, SURVEYS

README = re.sub(r"\s+", " ", (ROOT / "README.md").read_text(encoding="utf-8"))
SAMPLE = ROOT / "data" / "raw" / "sample"


def promise(sentence: str) -> None:
    assert sentence in README, f"README no longer says: {sentence}"


def test_raw_files_are_never_modified(sample_results, tmp_path, monkeypatch):
    promise("Raw files are never modified (ingest checks their sha256 before and after reading).")
    # the committed sample went through ingest → score → analyze (sample_results): byte for byte as committed
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-s", "data/raw/sample"], capture_output=True,
                            text=True, check=True).stdout.split("\n")
    committed = {line.split("\t")[1]: line.split()[1] for line in listed if line}
    assert len(committed) >= 5
    now = subprocess.run(["git", "-C", str(ROOT), "hash-object", *committed], capture_output=True, text=True,
                         check=True).stdout.split()
    assert dict(zip(committed, now)) == committed
    # a file that changes while it is read stops ingest; the new export is not mistaken for the old
    import analysis.pipeline.prepare as prepare

    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    read = prepare.read_table

    def read_and_touch(path, *args, **kwargs):
        table = read(path, *args, **kwargs)
        if path.name == "kpi.csv":
            path.write_bytes(path.read_bytes() + b"\n")
        return table

    monkeypatch.setattr(prepare, "read_table", read_and_touch)
    with pytest.raises(InputFileError, match="^kpi.csv: file changed while it was being read; ingest again$"):
        prepare.run_ingest(raw, processed_root=tmp_path / "out", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    assert not (tmp_path / "out" / "sample").exists()


@pytest.mark.parametrize("fault", [KeyboardInterrupt, OSError(28, "No space left on device")])
def test_nothing_is_half_written(sample_results, tmp_path, monkeypatch, fault):
    promise("Nothing is half-written: output goes to a temporary folder that replaces the old one only on success.")
    import analysis.pipeline.core as core

    results = tmp_path / "results"
    shutil.copytree(sample_results, results)
    before = {p.name: p.read_bytes() for p in results.iterdir()}
    tables = {p.stem: pd.read_parquet(p) for p in sorted(sample_results.glob("*.parquet"))}
    write, calls = core.write_people_csv, []

    def fail_halfway(frame, path, **kwargs):  # Ctrl-C or a full disk after half the tables
        calls.append(path)
        if len(calls) == len(tables) // 2:
            write(frame, path, **kwargs)
            raise fault
        return write(frame, path, **kwargs)

    monkeypatch.setattr(core, "write_people_csv", fail_halfway)
    with pytest.raises((KeyboardInterrupt, OutputWriteError)):
        core.write_results(results, tables, {"stage": "analyze"})
    assert {p.name: p.read_bytes() for p in results.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]  # no temporary folder left


def test_no_group_below_k_in_any_table(sample_results):
    promise("Groups below the minimum reporting size k (study file, default 5, never below 3) appear in no table, "
            "and benchmarks are computed from shown branches only, so no difference of two shown figures reveals "
            "a small group.")
    # Differences of shown figures: tests/test_disclosure.py (test_subtraction_attack_on_the_sample_results,
    # test_every_subtraction_of_shown_counts_leaves_zero_or_k). Here: every group row of every table.
    k = int(json.loads((sample_results / "results.json").read_text(encoding="utf-8"))["parameters"]["min_group_size"])
    groups = ("branch_id", "group", "unit", "district")
    counts = ("n", "n_respondents", "respondents", "n_customers", "customer_n", "n_staff", "previous_n", "n_both")
    checked = 0
    for path in sorted(sample_results.glob("*.parquet")):
        if path.stem.startswith("comment_themes"):
            continue  # counts of comments per theme, inside groups of >= the comment threshold (comment_groups)
        table = pd.read_parquet(path)
        if not any(g in table for g in groups):
            continue
        for column in (c for c in counts if c in table):
            n = pd.to_numeric(table[column], errors="coerce")
            small = table[(n > 0) & (n < k)]
            assert small.empty, f"{path.name}: {column} below k={k}: {small.head(3).to_dict('records')}"
            checked += 1
    assert checked >= 10
