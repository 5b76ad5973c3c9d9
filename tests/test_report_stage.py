"""The report stage (analysis.pipeline.report.run_report): real notebooks, real sample results.

One module-level run executes a stand-in study notebook, the real branch template for every
sample branch (one of them named with a script tag) and the real district template, with two
workers; the tests then inspect its outputs. Failure isolation uses a template that fails for
one branch.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from html import unescape
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis.errors import InputFileError
from analysis.pipeline import pdf as pdf_stage
from analysis.pipeline.pdf import BrowserNotFoundError
from analysis.pipeline.report import ReportSummary, run_report
from analysis.report.branch import TEXT
from conftest import without_respondent_text

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = [ROOT / "notebooks" / "branch_report.ipynb", ROOT / "notebooks" / "district_report.ipynb"]
EVIL = "<script>document.title='owned'</script>"
PSEUDONYM = re.compile(r"P[0-9a-f]{16}")


def raw_identities() -> set[str]:
    """Staff ids, names and phone numbers, customer ids and phone numbers of the raw sample."""
    raw = ROOT / "data" / "raw" / "sample"
    staff = pd.read_csv(raw / "staff_survey.csv", encoding="utf-8-sig", dtype=str)
    kpi = pd.read_csv(raw / "kpi.csv", encoding="gb18030", dtype=str)
    customers = pd.read_excel(raw / "customer_survey.xlsx", dtype=str)
    values = set(staff["工号"]) | set(staff["姓名"]) | set(staff["手机号"])
    values |= set(kpi["工号"]) | set(kpi["姓名"])
    values |= set(customers["客户编号"]) | set(customers["手机号"])
    return {v for v in values if isinstance(v, str) and len(v) >= 2}


def _notebooks(folder: Path, *, fail_for: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for template in TEMPLATES:
        shutil.copy(template, folder / template.name)
    if fail_for is not None:
        path = folder / TEMPLATES[0].name
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(3, nbformat.v4.new_code_cell(f'if branch_id == "{fail_for}":\n    raise RuntimeError("deliberate")'))
        nbformat.write(nb, path)
    study = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('wave = "sample"\nlang = "zh"\nresults_dir = "."\noutput_dir = "."')
    params.metadata["tags"] = ["parameters"]
    study.cells = [params, nbformat.v4.new_code_cell(
        "import json, pathlib\n"
        "meta = json.loads((pathlib.Path(results_dir) / 'results.json').read_text('utf-8'))\n"
        "pathlib.Path(output_dir).mkdir(parents=True, exist_ok=True)\n"
        "pathlib.Path(output_dir, 'seen.txt').write_text(meta['wave'] + ' ' + lang)\n"
        "print('研究报告', meta['wave'])")]
    study.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(study, folder / "study.ipynb")
    return folder


@pytest.fixture(scope="module")
def staged(sample_results, tmp_path_factory):
    base = tmp_path_factory.mktemp("stage")
    results = base / "output" / "sample" / "results"
    shutil.copytree(sample_results, results)
    summary = pd.read_parquet(results / "branch_summary.parquet")
    shown = str(summary.loc[summary["staff_results_shown"], "branch_id"].iloc[0])
    hidden = str(summary.loc[~summary["staff_results_shown"], "branch_id"].iloc[0])
    summary["branch_name"] = summary["branch_name"].astype(object)
    summary.loc[summary["branch_id"] == shown, "branch_name"] = EVIL
    summary.to_parquet(results / "branch_summary.parquet", index=False)
    notebooks = _notebooks(base / "notebooks")
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in notebooks.iterdir()}
    result = run_report("sample", output_root=base / "output", workers=2, notebooks_dir=notebooks, progress=False)
    return {"base": base, "out": base / "output" / "sample", "summary": result, "shown": shown, "hidden": hidden,
            "notebooks": notebooks, "hashes": hashes, "results": results, "ids": list(summary["branch_id"].astype(str))}


def test_every_branch_and_district_report_is_written(staged):
    s: ReportSummary = staged["summary"]
    assert s.exit_code == 0 and s.ok, s.failed
    assert {r.name for r in s.branches} == set(staged["ids"])
    districts = sorted(pd.read_parquet(staged["results"] / "branch_summary.parquet")["district"].unique())
    assert sorted(r.name for r in s.districts) == districts and all(r.status == "ok" for r in s.districts)
    assert s.study is not None and s.study.status == "ok"
    assert (staged["out"] / "study" / "seen.txt").read_text() == "sample zh"


def test_an_unknown_branch_is_an_error_before_anything_runs(staged, tmp_path):
    with pytest.raises(InputFileError, match=r"--branch 'B9999': no such branch"):
        run_report("sample", output_root=staged["base"] / "output", branches=["B9999"],
                   notebooks_dir=staged["notebooks"], progress=False)


def test_one_failing_branch_does_not_stop_the_others(staged, tmp_path):
    out_root = tmp_path / "output"
    shutil.copytree(staged["results"], out_root / "sample" / "results")
    notebooks = _notebooks(tmp_path / "nb", fail_for=staged["hidden"])
    s = run_report("sample", output_root=out_root, branches=[staged["shown"], staged["hidden"]], workers=1,
                   notebooks_dir=notebooks, progress=False)
    assert {r.name: r.status for r in s.branches} == {staged["shown"]: "ok", staged["hidden"]: "failed"}
    assert s.exit_code == 1 and "RuntimeError: deliberate" in s.failed[0][1] and "1 failed" in s.line()
    index = (out_root / "sample" / "branches" / "index.html").read_text("utf-8")
    assert "失败" in index and "RuntimeError" in index


def test_output_layout_no_code_inline_charts_template_untouched(staged):
    out = staged["out"] / "branches"
    for bid in (staged["shown"], staged["hidden"]):
        html = (out / f"{bid}.html").read_text("utf-8")
        assert (out / "_notebooks" / f"{bid}.ipynb").is_file()
        assert "load_branch" not in html and "import " not in html and "<script src=" not in html
        assert "<svg" in html and "data:image/png" not in html
    assert not (out / "figures").exists()
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in staged["notebooks"].iterdir()} == staged["hashes"]
    executed = nbformat.read(out / "_notebooks" / f"{staged['shown']}.ipynb", as_version=4)
    assert executed.metadata["hallperf"]["parameters"]["branch_id"] == staged["shown"]


def test_a_small_branch_report_carries_one_notice(staged):
    hidden = (staged["out"] / "branches" / f"{staged['hidden']}.html").read_text("utf-8")
    assert hidden.count(TEXT["zh"]["privacy_notice"].format(k=5)) == 1
    assert TEXT["zh"]["actions_title"] in hidden


def test_the_overview_lists_every_branch_with_heatmap_links_and_districts(staged):
    index = (staged["out"] / "branches" / "index.html").read_text("utf-8")
    for bid in staged["ids"]:
        assert f"<td>{bid}</td>" in index and f'href="{bid}.html"' in index
    assert 'href="../study/study.html"' in index and 'href="../districts/D01.html"' in index
    assert "<svg" in index and "hp-sortable" in index and "hp-blank" in index  # hidden cells blank
    assert "<script>document" not in index and "&lt;script&gt;" in index
    district = (staged["out"] / "districts" / "D01.html").read_text("utf-8")
    assert 'href="../branches/' in district and "<svg" in district


def test_rerun_redoes_only_missing_failed_or_outdated(staged):
    base, shown, hidden = staged["base"], staged["shown"], staged["hidden"]
    kwargs = {"output_root": base / "output", "workers": 1, "notebooks_dir": staged["notebooks"], "progress": False}
    again = run_report("sample", branches=[shown, hidden], **kwargs)
    assert [r.status for r in again.branches] == ["skipped", "skipped"] and again.study.status == "skipped"
    (staged["out"] / "branches" / f"{hidden}.html").unlink()  # missing → redone
    results_json = staged["results"] / "results.json"
    meta = json.loads(results_json.read_text("utf-8"))
    meta["note"] = "results changed"
    results_json.write_text(json.dumps(meta), "utf-8")  # outdated → redone
    redo = run_report("sample", branches=[shown, hidden], **kwargs)
    assert [r.status for r in redo.branches] == ["ok", "ok"] and redo.exit_code == 0


def test_no_pseudonym_raw_id_or_name_in_any_page(staged):
    pages = sorted(staged["out"].rglob("*.html"))
    assert len(pages) >= 60
    text = "\n".join(p.read_text("utf-8") for p in pages)
    assert not PSEUDONYM.search(text)
    processed = staged["results"].parents[3] / "hallperf_sample_results" / "processed" / "sample"
    pseudonyms = set(pd.read_parquet(processed / "staff.parquet")["staff_id"])
    assert len(pseudonyms) > 100 and not any(p in text for p in pseudonyms)
    assert not sorted(v for v in raw_identities() if v in text)


def test_english_reports_are_written_beside_the_chinese_ones(staged):
    out = staged["out"] / "branches"
    before = (out / f"{staged['hidden']}.html").read_bytes()
    s = run_report("sample", output_root=staged["base"] / "output", branches=[staged["hidden"]], lang="en", workers=1,
                   notebooks_dir=staged["notebooks"], progress=False)
    assert [r.status for r in s.branches] == ["ok"], s.failed
    assert (out / f"{staged['hidden']}.html").read_bytes() == before  # the Chinese report is untouched
    html = (out / f"{staged['hidden']}.en.html").read_text("utf-8")
    assert TEXT["en"]["privacy_notice"].format(k=5) in unescape(html) and '<html lang="en">' in html
    zh_fixed = [v for v in TEXT["zh"].values() if re.search(r"[\u4e00-\u9fff]", v) and "{" not in v]
    html = without_respondent_text(html, staged["results"], staged["hidden"])  # comments are shown as written
    assert not [v for v in zh_fixed if v in html]
    index = (out / "index.en.html").read_text("utf-8")
    assert "Branch performance reports, wave sample" in index and (out / "index.html").is_file()


def test_bad_input_gives_one_line_errors(staged, tmp_path, monkeypatch):
    with pytest.raises(InputFileError, match="no results for wave"):
        run_report("nowave", output_root=tmp_path, notebooks_dir=staged["notebooks"], progress=False)
    with pytest.raises(InputFileError, match="lang"):
        run_report("sample", output_root=staged["base"] / "output", lang="fr", progress=False)
    monkeypatch.setattr(pdf_stage.shutil, "which", lambda name: None)
    monkeypatch.setattr(pdf_stage, "SYSTEM_CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(BrowserNotFoundError, match="make browser"):
        run_report("sample", output_root=staged["base"] / "output", pdf=True, notebooks_dir=staged["notebooks"],
                   progress=False)


@pytest.mark.slow
def test_dask_scheduler_passthrough(staged, tmp_path):
    from distributed import Client, LocalCluster

    out_root = tmp_path / "output"
    shutil.copytree(staged["results"], out_root / "sample" / "results")
    notebooks = _notebooks(tmp_path / "nb", fail_for=staged["shown"])
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        s = run_report("sample", output_root=out_root, branches=[staged["hidden"], staged["shown"]],
                       scheduler=client.scheduler.address, notebooks_dir=notebooks, progress=False)
    assert [r.status for r in s.branches] == ["ok", "failed"], s.failed
    assert (out_root / "sample" / "branches" / f"{staged['hidden']}.html").is_file()
