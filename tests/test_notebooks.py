"""The three notebooks run as a researcher runs them: from ``notebooks/`` (JupyterLab starts the
kernel in the notebook's folder) and from the project folder, with a real ``python3`` kernel.

Each runs in a project-like temporary folder (``surveys/``, ``notebooks/``, ``data/``,
``output/``) with its default, project-relative parameters where the data allow it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, SURVEYS

NOTEBOOKS = ("study.ipynb", "instrument.ipynb", "waves.ipynb")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _project(base: Path) -> Path:
    """A project folder: the bundled codebooks, a copy of the notebooks, empty data and output folders."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "surveys").symlink_to(SURVEYS)
    shutil.copytree(ROOT / "notebooks", base / "notebooks")
    for folder in ("data/raw", "data/processed", "output"):
        (base / folder).mkdir(parents=True)
    return base


def _execute(project: Path, notebook: str, cwd: Path, tmp: Path, **parameters) -> object:
    """Run a notebook of ``project`` with papermill and a real kernel; fail on any error output."""
    import nbformat
    import papermill as pm

    out = tmp / f"{Path(notebook).stem}-{'notebooks' if cwd.name == 'notebooks' else 'root'}.ipynb"
    pm.execute_notebook(str(project / "notebooks" / notebook), str(out), parameters=parameters,
                        kernel_name="python3", cwd=str(cwd), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    errors = [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, errors
    return nb


def _outputs(nb, *, removed: bool | None = None) -> list:
    """Outputs of the code cells (only those tagged remove_cell, or only the others)."""
    out = []
    for cell in nb.cells:
        hidden = "remove_cell" in cell.metadata.get("tags", [])
        if cell.cell_type == "code" and (removed is None or removed == hidden):
            out.extend(cell.outputs)
    return out


def _html(outputs: list) -> str:
    return "".join(o.data["text/html"] for o in outputs if "text/html" in o.get("data", {}))


@pytest.fixture(scope="module")
def study_project(sample_results, tmp_path_factory) -> Path:
    """The sample wave's results and processed data in a project folder (links; nothing is copied)."""
    base = sample_results.parents[2]  # <base>/output/sample/results
    root = _project(tmp_path_factory.mktemp("nb") / "project")
    (root / "data" / "processed" / "sample").symlink_to(base / "processed" / "sample")
    (root / "data" / "raw" / "sample").symlink_to(ROOT / "data" / "raw" / "sample")
    (root / "output" / "sample").mkdir()
    (root / "output" / "sample" / "results").symlink_to(sample_results)
    return root


def test_templates_are_clean():
    """Committed without outputs, one parameters cell with commented defaults, no definitions."""
    import nbformat

    for name in NOTEBOOKS:
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and code[0] is tagged[0], name
        assert all("#" in line for line in tagged[0].source.splitlines() if "=" in line), name
        assert all(not c.outputs and c.execution_count is None for c in code), name
        assert not any(re.search(r"^\s*(def|class|lambda)\b|\blambda\b", c.source, re.M) for c in code), name
        assert any(c.cell_type == "markdown" for c in nb.cells), name


@pytest.mark.slow
def test_study_notebook_from_notebooks_and_root(study_project, tmp_path):
    from analysis.report.html import notebook_html
    from analysis.report.study import SECTIONS

    for cwd in (study_project / "notebooks", study_project):
        for stale in (study_project / "output" / "sample" / "study").glob("*"):
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
        nb = _execute(study_project, "study.ipynb", cwd, tmp_path)  # the default, project-relative parameters
        study = study_project / "output" / "sample" / "study"
        assert (study / "tables.docx").is_file() and (study / "manifest.json").is_file()
        report = _outputs(nb, removed=False)
        markdown = "\n".join(o.data["text/markdown"] for o in report if "text/markdown" in o.get("data", {}))
        for i, (zh, _) in enumerate(SECTIONS.values(), start=1):
            assert f"## {i} {zh}" in markdown
        # the exploration part: DataFrames of the results, the restyled figure, the refitted hypothesis
        explore = _outputs(nb, removed=True)
        frames = _html(explore)
        assert 'class="dataframe"' in frames  # pandas' HTML of the result tables
        for column in ("alpha", "cfi", "srmr", "target_gap"):
            assert column in frames, column
        assert sum("image/png" in o.get("data", {}) for o in explore) == 1
        refit = [o for c in nb.cells if "project.refit" in c.source for o in c.outputs]
        assert refit and "target_gap" in _html(refit) and "tenure_years" not in _html(refit)
        # ... which stays out of the report page
        page = notebook_html(nb)
        assert "&lt;Results" not in page and "<Results" not in page
        assert 'id="T_hallperf_correlations"' in page


def test_refit_matches_the_analysis_and_changes_only_the_roles(study_project, sample_results):
    """The facade refits H3 on the frames analyze used: same roles, same coefficients; changed roles, new fit."""
    from analysis import Project
    from analysis.errors import StudyError

    project = Project.find(study_project / "notebooks")
    assert project.root == study_project
    results = project.results("sample")
    assert set(results.hypothesis("H3")) == {"coefficients"}
    same = project.refit("sample", "H3")["coefficients"]
    pd.testing.assert_frame_equal(same, results["H3_coefficients"], check_dtype=False)
    without = project.refit("sample", "H3", covar=None)["coefficients"]
    assert set(without["term"]) == {"Intercept", "target_gap"}
    with pytest.raises(StudyError, match=r"'covars' is not a role of this model \(did you mean 'covar'\?\)"):
        project.refit("sample", "H3", covars=["age"])
    with pytest.raises(StudyError, match=r"unknown variable 'agee' in covar"):
        project.refit("sample", "H3", covar=["agee"])
    with pytest.raises(StudyError, match=r"missing required key 'y'|Field required"):
        project.refit("sample", "H3", y=None)
    with pytest.raises(StudyError, match=r"no hypothesis 'H99'"):
        project.refit("sample", "H99")
    with pytest.raises(KeyError, match=r"did you mean 'table1'"):
        results["tabel1"]
    # the frames the hypotheses ran on: careless respondents left out, target_gap added, and the survey
    # means of branches below k kept (output/<wave>/data blanks them: it is for sharing)
    data = project.analysis_data("sample")
    info = json.loads((sample_results / "results.json").read_text(encoding="utf-8"))
    assert "target_gap" in data.staff and data.excluded == info["excluded"]
    shared = pd.read_parquet(sample_results.parent / "data" / "analysis_branches.parquet")
    assert len(data.branches) == len(shared) and data.branches["TS"].notna().sum() > shared["TS"].notna().sum()


@pytest.mark.slow
def test_instrument_notebook_on_the_sample_and_on_hs1939(study_project, tmp_path):
    from semopy.examples import holzinger39

    # from notebooks/, as JupyterLab runs it: the defaults (the sample's staff survey)
    _execute(study_project, "instrument.ipynb", study_project / "notebooks", tmp_path)
    out = study_project / "output" / "instrument_staff"
    assert (out / "report.html").is_file()
    assert set(pd.read_parquet(out / "reliability.parquet")["scale"]) >= {"TS", "EN"}
    # from the project folder: a codebook and a data file the toolkit has never seen
    byo = study_project / "byo"
    byo.mkdir(exist_ok=True)
    holzinger39.get_data().to_csv(byo / "hs.csv", index=False)
    (byo / "hs.yml").write_text(HS_CODEBOOK, encoding="utf-8")
    nb = _execute(study_project, "instrument.ipynb", study_project, tmp_path, instrument="byo/hs.yml",
                  data="byo/hs.csv", out="output/hs", cfa_missing="listwise", lang="en")
    fit = pd.read_parquet(study_project / "output" / "hs" / "cfa_fit.parquet").set_index("model").loc["measurement"]
    assert fit["chisq"] == pytest.approx(85.306, abs=5e-4)  # lavaan tutorial: cfa(HS.model, HolzingerSwineford1939)
    assert fit["srmr"] == pytest.approx(0.065, abs=5e-4)
    assert "visual" in _html(_outputs(nb))


@pytest.fixture(scope="module")
def waves_project(small_wave, tmp_path_factory) -> Path:
    """Two processed waves (w1, and its follow-up w2 with a shift in TD) in a project folder, not compared yet."""
    from analysis.pipeline import run_ingest, run_score
    from analysis.pipeline.waves import run_simulate_follow_up

    raw, processed, _, _ = small_wave
    root = _project(tmp_path_factory.mktemp("nbw") / "project")
    shutil.copytree(processed, root / "data" / "processed" / "w1")
    run_simulate_follow_up("w2", base_dir=raw, out=root / "data" / "raw" / "w2", instruments_dir=SURVEYS,
                           model_path=SURVEYS / "simulation.yml", shifts={"TD": 0.8})
    run_ingest(root / "data" / "raw" / "w2", processed_root=root / "data" / "processed", instruments_dir=SURVEYS,
               secret_file=processed.parents[1] / "secret.key")
    run_score(root / "data" / "processed" / "w2", instruments_dir=SURVEYS)
    return root


@pytest.mark.slow
def test_waves_notebook_compares_then_reads(waves_project, tmp_path):
    # from notebooks/: the waves are not compared yet, so the notebook compares them (hallperf compare)
    first = _execute(waves_project, "waves.ipynb", waves_project / "notebooks", tmp_path, wave="w2", previous="w1")
    results = waves_project / "output" / "w2" / "compare"  # compare's own folder, which analyze leaves alone
    company = pd.read_parquet(results / "waves_company.parquet").set_index("scale")
    # simulated: TD's latent mean rises by 0.8 SD, the others stay; TD's change is the largest
    assert company["change"].idxmax() == "TD" and company.loc["TD", "change"] > 0
    stamp = (results / "waves_invariance.parquet").stat().st_mtime_ns
    # from the project folder: the results of the comparison are read, not recomputed
    second = _execute(waves_project, "waves.ipynb", waves_project, tmp_path, wave="w2", previous="w1", lang="en")
    assert (results / "waves_invariance.parquet").stat().st_mtime_ns == stamp
    for nb in (first, second):
        html = _html(_outputs(nb))
        assert "configural" in html and "scalar" in html and "D0" in html  # invariance steps, districts
        assert sum("image/png" in o.get("data", {}) for o in _outputs(nb)) == 1


def test_readme_jupyter_example_runs(study_project, capsys, monkeypatch):
    """The README's Jupyter section example runs as written, from notebooks/."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Jupyter"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(study_project / "notebooks")
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "target_gap" in printed and "alpha" in printed


HS_CODEBOOK = """
id: hs1939
version: "1"
kind: survey
title: {en: Holzinger & Swineford (1939) mental ability tests, zh: Holzinger-Swineford 心理能力测验}
respondent: {column: id}
response_scales:
  score: {type: number, min: 0, max: 10}
default_response: score
items:
  x1: {text: {en: Visual perception}}
  x2: {text: {en: Cubes}}
  x3: {text: {en: Lozenges}}
  x4: {text: {en: Paragraph comprehension}}
  x5: {text: {en: Sentence completion}}
  x6: {text: {en: Word meaning}}
  x7: {text: {en: Speeded addition}}
  x8: {text: {en: Speeded counting of dots}}
  x9: {text: {en: Speeded discrimination of capitals}}
scales:
  visual: {label: {en: Visual, zh: 视觉}, items: [x1, x2, x3]}
  textual: {label: {en: Textual, zh: 文字}, items: [x4, x5, x6]}
  speed: {label: {en: Speed, zh: 速度}, items: [x7, x8, x9]}
"""
