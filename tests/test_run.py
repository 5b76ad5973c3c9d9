"""``hallperf run`` (what ``make run`` calls): the whole chain on a new wave in a fresh project folder.

The README promises that one command simulates a missing wave, then ingests, scores, analyses and
reports it; every stage says what it did, in order, and the outputs are where the README says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from conftest import ROOT


def test_run_chains_every_stage_and_says_what_each_did(tmp_path):
    for folder in ("surveys", "notebooks"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    env = {**os.environ, "HALLPERF_SECRET": str(tmp_path / "key")}
    result = subprocess.run([sys.executable, "-m", "analysis", "run", "--wave", "tiny", "--branches", "12", "--seed", "3"],
                            cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    said = [line for line in result.stderr.splitlines() if not line.startswith(" ")]
    starts = ["simulated wave 'tiny' (12 branches, seed 3)", "ingested 'tiny':", "scored staff:", "scored customer:",
              "wrote ", "branch reports for 'tiny':"]
    found = [next(i for i, line in enumerate(said) if line.startswith(s)) for s in starts]
    assert found == sorted(found), said  # in the order the stages ran
    out = tmp_path / "output" / "tiny"
    assert (out / "results" / "results.json").is_file() and (out / "study" / "study.html").is_file()
    assert (out / "branches" / "index.html").is_file() and len(list((out / "branches").glob("B*.html"))) == 12
    assert (tmp_path / "data" / "processed" / "tiny" / "manifest.json").is_file()
    # a second run finds the wave: nothing is simulated again, and the reports are up to date
    again = subprocess.run([sys.executable, "-m", "analysis", "run", "--wave", "tiny"], cwd=tmp_path,
                           capture_output=True, text=True, env=env, timeout=900)
    assert again.returncode == 0 and "simulated" not in again.stderr and "ingested 'tiny'" in again.stderr
