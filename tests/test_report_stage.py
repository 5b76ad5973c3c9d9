"""The report stage (analysis.pipeline.report.run_report): real notebooks, real sample results.

One module-level run executes a stand-in study notebook and the real branch template for a
branch with n >= k (whose name is a script tag), one with n < k and one id that is not in the
results, with two parallel workers that reuse their kernels; the tests then inspect its outputs.
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
from analysis.pipeline import report as stage
from analysis.pipeline.report import BrowserNotFoundError, ReportSummary, run_report
from analysis.report.branch import TEXT
from analysis.report.html import CJK_FONT_STACK

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "notebooks" / "branch_report.ipynb"
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


def _write_study_standin(folder: Path) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('wave = "sample"\nlang = "zh"\nresults_dir = "."\noutput_dir = "."')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import json, pathlib\n"
        "meta = json.loads((pathlib.Path(results_dir) / 'results.json').read_text('utf-8'))\n"
        "pathlib.Path(output_dir, 'seen.txt').write_text(meta['wave'] + ' ' + lang)\n"
        "print('研究报告', meta['wave'])")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "study.ipynb")


def _ids(results: Path) -> tuple[str, str]:
    summary = pd.read_parquet(results / "branch_summary.parquet")
    return (str(summary.loc[summary["staff_results_shown"], "branch_id"].iloc[0]),
            str(summary.loc[~summary["staff_results_shown"], "branch_id"].iloc[0]))


@pytest.fixture(scope="module")
def staged(sample_results, tmp_path_factory):
    base = tmp_path_factory.mktemp("stage")
    results = base / "output" / "sample" / "results"
    shutil.copytree(sample_results, results)
    shown, hidden = _ids(results)
    summary = pd.read_parquet(results / "branch_summary.parquet")
    summary["branch_name"] = summary["branch_name"].astype(object)
    summary.loc[summary["branch_id"] == shown, "branch_name"] = EVIL
    summary.to_parquet(results / "branch_summary.parquet", index=False)
    summary.to_csv(results / "branch_summary.csv", index=False)
    notebooks = base / "notebooks"
    notebooks.mkdir()
    shutil.copy(TEMPLATE, notebooks / TEMPLATE.name)
    _write_study_standin(notebooks)
    template_hash = hashlib.sha256((notebooks / TEMPLATE.name).read_bytes()).hexdigest()
    result = run_report("sample", output_root=base / "output", branches=[shown, hidden, "B9999"],
                        workers=2, notebooks_dir=notebooks, progress=False)
    index = (base / "output" / "sample" / "branches" / "index.html").read_text("utf-8")  # as this run left it
    return {"base": base, "out": base / "output" / "sample", "summary": result, "shown": shown, "index": index,
            "hidden": hidden, "notebooks": notebooks, "template_hash": template_hash, "results": results}


def test_one_failing_branch_does_not_stop_the_others(staged):
    s: ReportSummary = staged["summary"]
    status = {r.name: r.status for r in s.branches}
    assert status == {staged["shown"]: "ok", staged["hidden"]: "ok", "B9999": "failed"}
    assert [name for name, _ in s.failed] == ["B9999"]
    assert "B9999" in s.failed[0][1] and "KeyError" in s.failed[0][1]
    assert s.exit_code == 1 and not s.ok
    assert "1 failed" in s.line() and "B9999" in s.line()


def test_study_notebook_runs_as_one_job(staged, tmp_path, caplog):
    s = staged["summary"]
    study = staged["out"] / "study"
    assert s.study is not None and s.study.status == "ok", s.study
    assert (study / "seen.txt").read_text() == "sample zh"
    assert (study / "study.html").is_file() and (study / "_notebooks" / "study.ipynb").is_file()
    # without a study notebook the stage logs why and carries on (no branch runs needed here)
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    shutil.copy(TEMPLATE, notebooks / TEMPLATE.name)
    with caplog.at_level("INFO", logger="analysis.pipeline.report"):
        skipped = run_report("sample", output_root=staged["base"] / "output", branches=[staged["hidden"]],
                             workers=1, notebooks_dir=notebooks, progress=False)
    assert skipped.study is None and "study.ipynb does not exist" in skipped.study_note
    assert "study.ipynb does not exist" in caplog.text
    assert [r.status for r in skipped.branches] == ["skipped"]


def test_output_layout_no_code_and_template_untouched(staged):
    out = staged["out"] / "branches"
    for bid in (staged["shown"], staged["hidden"]):
        html = (out / f"{bid}.html").read_text("utf-8")
        assert (out / "_notebooks" / f"{bid}.ipynb").is_file()
        assert "load_branch" not in html and "import " not in html and "use_style" not in html
        assert CJK_FONT_STACK in html and "<script src=" not in html
        assert "data:image/png;base64," in html
    assert sorted(p.name for p in (out / "figures" / staged["shown"]).iterdir()) == [
        "kpis.png", "priority.png", "profile.png"]
    assert not (out / "B9999.html").exists()
    assert hashlib.sha256((staged["notebooks"] / TEMPLATE.name).read_bytes()).hexdigest() == staged["template_hash"]
    assert not list(staged["notebooks"].glob("B*"))  # nothing executed beside the template
    executed = nbformat.read(out / "_notebooks" / f"{staged['shown']}.ipynb", as_version=4)
    assert executed.metadata["hallperf"]["parameters"]["branch_id"] == staged["shown"]


def test_notebook_report_below_k_has_notice_and_no_staff_results(staged):
    out = staged["out"] / "branches"
    hidden = (out / f"{staged['hidden']}.html").read_text("utf-8")
    assert TEXT["zh"]["privacy_notice"].format(k=5) in hidden
    labels = pd.read_parquet(staged["results"] / "dimension_labels.parquet")
    assert not any(label in hidden for label in labels["label_zh"])
    assert hidden.count('src="data:image/png;base64,') == 1
    shown = (out / f"{staged['shown']}.html").read_text("utf-8")
    assert TEXT["zh"]["privacy_notice"].format(k=5) not in shown
    assert all(label in shown for label in labels["label_zh"])


def test_index_lists_every_branch_with_figures_links_and_failures(staged):
    index = staged["index"]
    summary = pd.read_parquet(staged["results"] / "branch_summary.parquet")
    rows = re.findall(r"<tr>(.*?)</tr>", index, re.S)[1:]
    assert len(rows) == len(summary) + 1  # every branch, plus the unknown id that failed
    for bid in summary["branch_id"]:
        assert f"<td>{bid}</td>" in index
    assert f'href="{staged["hidden"]}.html"' in index and f'href="{staged["shown"]}.html"' in index
    assert index.count("href=") == 2  # only reports that exist are linked
    failed_row = next(r for r in rows if "<td>B9999</td>" in r)
    assert "失败" in failed_row and "KeyError" in failed_row
    kpis = pd.read_parquet(staged["results"] / "branch_kpis.parquet")
    value = kpis[(kpis["branch_id"] == staged["hidden"]) & (kpis["kpi"] == "target_completion")]["value"].iloc[0]
    hidden_row = next(r for r in rows if f"<td>{staged['hidden']}</td>" in r)
    assert f"{value * 100:.1f}%" in hidden_row
    n = summary.set_index("branch_id").loc[staged["shown"], "n_respondents"]
    shown_row = next(r for r in rows if f"<td>{staged['shown']}</td>" in r)
    assert f'<td class="num">{n}</td>' in shown_row
    assert "<script>" not in index and "&lt;script&gt;" in index
    assert CJK_FONT_STACK in index


def test_rerun_redoes_only_missing_failed_or_outdated(staged):
    base, shown, hidden = staged["base"], staged["shown"], staged["hidden"]
    kwargs = {"output_root": base / "output", "workers": 1, "notebooks_dir": staged["notebooks"],
              "progress": False}
    again = run_report("sample", branches=[shown, hidden, "B9999"], **kwargs)
    assert {r.name: r.status for r in again.branches} == {shown: "skipped", hidden: "skipped", "B9999": "failed"}
    assert again.study is not None and again.study.status == "skipped"
    (staged["out"] / "branches" / f"{hidden}.html").unlink()  # missing → redone
    results_json = staged["results"] / "results.json"
    meta = json.loads(results_json.read_text("utf-8"))
    meta["note"] = "results changed"
    results_json.write_text(json.dumps(meta), "utf-8")  # outdated → every report redone
    redo = run_report("sample", branches=[shown, hidden], **kwargs)
    assert [r.status for r in redo.branches] == ["ok", "ok"] and redo.exit_code == 0
    index = (staged["out"] / "branches" / "index.html").read_text("utf-8")
    assert index.count("href=") == 2


def test_no_pseudonym_raw_id_or_name_in_any_page(staged):
    pages = sorted(staged["base"].rglob("*.html"))
    assert len(pages) >= 4
    text = "\n".join(p.read_text("utf-8") for p in pages)
    assert not PSEUDONYM.search(text)
    processed = staged["results"].parents[3] / "hallperf_sample_results" / "processed" / "sample"
    pseudonyms = set(pd.read_parquet(processed / "staff.parquet")["staff_id"])
    pseudonyms |= set(pd.read_parquet(processed / "customer.parquet")["customer_id"].astype(str))
    assert len(pseudonyms) > 100 and not any(p in text for p in pseudonyms)
    leaks = sorted(v for v in raw_identities() if v in text)
    assert not leaks


def test_english_reports(staged, tmp_path):
    out_root = tmp_path / "output"
    shutil.copytree(staged["results"], out_root / "sample" / "results")
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    shutil.copy(TEMPLATE, notebooks / TEMPLATE.name)
    s = run_report("sample", output_root=out_root, branches=[staged["hidden"]], lang="en", workers=1,
                   notebooks_dir=notebooks, progress=False)
    assert [r.status for r in s.branches] == ["ok"], s.failed
    html = (out_root / "sample" / "branches" / f"{staged['hidden']}.html").read_text("utf-8")
    assert TEXT["en"]["privacy_notice"].format(k=5) in unescape(html) and '<html lang="en">' in html
    zh_fixed = [v for v in TEXT["zh"].values() if re.search(r"[\u4e00-\u9fff]", v) and "{" not in v]
    assert not [v for v in zh_fixed if v in html]
    index = (out_root / "sample" / "branches" / "index.html").read_text("utf-8")
    assert "Branch improvement reports, wave sample" in index and "Staff responses" in index


def test_bad_input_gives_one_line_errors(staged, tmp_path, monkeypatch):
    with pytest.raises(InputFileError, match="no results for wave"):
        run_report("nowave", output_root=tmp_path, notebooks_dir=staged["notebooks"], progress=False)
    with pytest.raises(InputFileError, match="lang"):
        run_report("sample", output_root=staged["base"] / "output", lang="fr", progress=False)
    monkeypatch.setattr(stage.shutil, "which", lambda name: None)
    monkeypatch.setattr(stage, "SYSTEM_CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(BrowserNotFoundError, match="make browser"):
        run_report("sample", output_root=staged["base"] / "output", pdf=True,
                   notebooks_dir=staged["notebooks"], progress=False)


@pytest.mark.slow
def test_dask_scheduler_passthrough(staged, tmp_path):
    from distributed import Client, LocalCluster

    out_root = tmp_path / "output"
    shutil.copytree(staged["results"], out_root / "sample" / "results")
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    shutil.copy(TEMPLATE, notebooks / TEMPLATE.name)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        s = run_report("sample", output_root=out_root, branches=[staged["hidden"], "B9999"],
                       scheduler=client.scheduler.address, notebooks_dir=notebooks, progress=False)
    assert [r.status for r in s.branches] == ["ok", "failed"], s.failed
    assert (out_root / "sample" / "branches" / f"{staged['hidden']}.html").is_file()
