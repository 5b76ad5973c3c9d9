"""An unsupported --lang stops every command that takes it with one line, before anything is written."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

COMMANDS = {
    "run": ["run", "--wave", "w"],
    "report": ["report", "--wave", "w"],
    "paper": ["paper", "--wave", "w"],
    "analyze --instrument": ["analyze", "--instrument", str(ROOT / "surveys" / "staff.yml"), "--data", "staff.csv",
                             "--out", "out"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_an_unknown_language_is_one_line_and_writes_nothing(name, tmp_path):
    result = subprocess.run([sys.executable, "-m", "analysis", *COMMANDS[name], "--lang", "fr"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == "hallperf: error: --lang 'fr' is not supported; use one of zh, en"
    assert list(tmp_path.iterdir()) == []  # no simulated wave, no output folder, no lock left behind
