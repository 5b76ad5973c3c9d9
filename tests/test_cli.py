"""The command line as a new user meets it: help with examples, one-line errors, exit codes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

VERBS = ["simulate", "ingest", "score", "analyze", "report", "paper", "export", "waves", "compare", "run"]


def hallperf(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help_with_an_example(verb):
    result = hallperf(verb, "--help")
    assert result.returncode == 0
    examples = result.stdout.split("Examples:\n", 1)[1].split("\n\n")[0].splitlines()
    assert examples and all(line.startswith(f"    hallperf {verb}") for line in examples), result.stdout  # one per line


def test_corrupted_sample_gives_clear_messages(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw" / "sample", raw)
    lines = (raw / "staff_survey.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[5] = lines[5].replace(",3,", ",9,", 1)  # an out-of-range answer
    lines.insert(8, "garbage,,,")  # a torn line
    (raw / "staff_survey.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    result = hallperf("ingest", "--wave", str(raw), "--out", str(tmp_path / "out"), "--secret", str(tmp_path / "k"),
                      "--instruments", str(ROOT / "surveys"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "staff_survey.csv:" in result.stderr and "quarantined" in result.stderr

    (raw / "branches.csv").write_text("id,名称\n1,2\n", encoding="utf-8")
    result = hallperf("ingest", "--wave", str(raw), "--out", str(tmp_path / "out2"), "--secret", str(tmp_path / "k"),
                      "--instruments", str(ROOT / "surveys"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("hallperf: error: branches.csv: required column 'branch_id' missing")
    assert not (tmp_path / "out2").exists() or not any((tmp_path / "out2").iterdir())
