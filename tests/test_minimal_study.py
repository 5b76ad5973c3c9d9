"""The minimal study of docs/study.md, end to end through the command line: one survey CSV, no
groups register, records, ratings, dimensions, performance, targets or report section; a
regression, a mediation and the null multilevel model (``y`` and ``group`` only)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT

DOC = (ROOT / "docs" / "study.md").read_text(encoding="utf-8")
WAVE = "2026Q3"


def _block(after: str, lang: str) -> str:
    """The first ```lang block after the line that introduces it in docs/study.md."""
    start = DOC.index(after)
    return re.search(rf"```{lang}[^\n]*\n(.*?)```", DOC[start:], re.S).group(1)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=cwd,
                            timeout=900)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def simulate(header: list[str], seed: int = 5) -> pd.DataFrame:
    """24 teams of 10: engagement rises with supervisor support (and sales with engagement); teams
    differ in engagement (a random intercept of SD .6 on a residual SD of .7)."""
    rng = np.random.default_rng(seed)
    team = np.repeat(np.arange(24), 10)
    n = team.size
    sup = rng.standard_normal(n)
    eng = 0.5 * sup + 0.6 * rng.standard_normal(24)[team] + 0.7 * rng.standard_normal(n)

    def item(latent: np.ndarray, reverse: bool = False) -> np.ndarray:
        value = np.clip(np.round(3 + 0.9 * latent + 0.6 * rng.standard_normal(n)), 1, 5).astype(int)
        return 6 - value if reverse else value

    frame = pd.DataFrame({
        "工号": [f"E{i + 1:04d}" for i in range(n)], "班组": [f"T{t + 1:02d}" for t in team],
        "age": rng.integers(20, 60, n), "sales": np.round(100 + 15 * eng + 10 * rng.standard_normal(n), 1).clip(0),
        "SUP1": item(sup), "SUP2": item(sup), "SUP3": item(sup, reverse=True),
        "ENG1": item(eng), "ENG2": item(eng), "ENG3": item(eng),
    })
    assert list(frame.columns) == header  # the columns the documentation shows
    return frame


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """docs/study.md's project folder, ingested, scored and analysed through the CLI."""
    root = tmp_path_factory.mktemp("minimal")
    (root / "surveys").mkdir()
    (root / "surveys" / "climate.yml").write_text(_block("The codebook of the survey, `surveys/climate.yml`", "yaml"),
                                                  encoding="utf-8")
    (root / "surveys" / "study.yml").write_text(_block("The study file, `surveys/study.yml`", "yaml"), encoding="utf-8")
    shown = _block("The export, `data/raw/2026Q3/climate.csv`", "csv").splitlines()
    raw = root / "data" / "raw" / WAVE
    raw.mkdir(parents=True)
    simulate(shown[0].split(",")).to_csv(raw / "climate.csv", index=False, encoding="utf-8-sig")
    (root / "notebooks").symlink_to(ROOT / "notebooks")
    runs = {verb: _cli(verb, "--wave", WAVE, cwd=root) for verb in ("ingest", "score", "analyze")}
    for verb, result in runs.items():
        assert result.returncode == 0, (verb, result.stderr)
    return root, runs


def _results(root: Path) -> Path:
    return root / "output" / WAVE / "results"


def test_the_documented_commands_run(project):
    root, runs = project
    assert "240 rows read = 240 accepted + 0 quarantined" in runs["ingest"].stderr
    # analyze without --study takes surveys/study.yml of the project
    info = json.loads((_results(root) / "results.json").read_text(encoding="utf-8"))
    assert Path(info["study"]["path"]).resolve() == (root / "surveys" / "study.yml").resolve()
    for name in ("climate_reliability", "climate_cfa_fit", "climate_icc", "climate_rwg", "table1",
                 "H1_coefficients", "H2_effects", "H3_null", "H3_coefficients"):
        assert name in info["tables"], name
    assert "branch_summary" not in info["tables"] and "target_gaps" not in info["tables"]


def test_what_is_left_out_is_noted_not_a_crash(project):
    root, runs = project
    info = json.loads((_results(root) / "results.json").read_text(encoding="utf-8"))
    (note,) = info["notes"]
    assert note.startswith("branch diagnosis skipped") and "two dimensions and a performance variable" in note
    assert f"note: {note}" in runs["analyze"].stderr
    assert note in DOC  # the documentation shows the note as printed


def test_hypotheses_on_the_survey(project):
    root, _ = project
    coefficients = pd.read_parquet(_results(root) / "H1_coefficients.parquet").set_index("term")
    # simulated: engagement = .5 support + ...; 240 respondents leave no doubt about the sign
    assert coefficients.loc["SUP", "estimate"] > 0.2 and coefficients.loc["SUP", "p"] < 1e-6
    assert "age" in coefficients.index
    effects = pd.read_parquet(_results(root) / "H2_effects.parquet")
    indirect = effects[effects["path"] == "indirect"].iloc[0]
    assert indirect["ci_low"] > 0  # support → engagement → sales, both paths positive by construction


def test_null_multilevel_model(project):
    """``multilevel`` with only y and group: the variance components and the ICC of engagement
    across teams, the same ICC(1) as psychometrics.icc on the frame the model ran on."""
    from analysis import Project
    from analysis.psychometrics import icc

    root, _ = project
    null = pd.read_parquet(_results(root) / "H3_null.parquet").set_index("term")
    frame = Project(root).analysis_data(WAVE).staff
    expected = icc(frame, "ENG", "team").iloc[0]
    assert null.loc["icc", "estimate"] == pytest.approx(expected["icc1"], rel=1e-9)
    assert null.loc["icc2", "estimate"] == pytest.approx(expected["icc2"], rel=1e-9)
    # the simulated between-team share of the latent engagement is .36/(.36 + .25 + .49) = .33; the
    # observed scale score is attenuated by unreliability; with 24 teams its SE is about .07
    assert 0.12 < null.loc["icc", "estimate"] < 0.5
    fixed = pd.read_parquet(_results(root) / "H3_coefficients.parquet")
    assert set(fixed.loc[fixed["effect"] == "fixed", "term"]) == {"Intercept"}


@pytest.mark.slow
def test_report_writes_the_study_report_and_skips_branch_reports(project):
    root, _ = project
    result = _cli("report", "--wave", WAVE, "--workers", "1", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "branch reports skipped: the results hold no branch diagnosis (branch_summary)" in result.stderr
    assert "study report ok" in result.stderr
    page = (root / "output" / WAVE / "study" / "study.html").read_text(encoding="utf-8")
    assert "上级支持、工作投入与销售" in page and 'class="hp-error"' not in page
    assert not (root / "output" / WAVE / "branches" / "index.html").exists()
