"""Batch execution of notebook templates (analysis.pipeline.batch, engine analysis.pipeline.engine).

Jobs run in one warm in-process shell per worker; the probe notebook checks that nothing a
notebook changes leaks into the next one. The fault tests run a batch in a child process and
interrupt or kill it.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import nbformat
import pytest

from analysis.pipeline import engine
from analysis.pipeline.batch import Job, exit_code, input_hash, run_notebooks, summarize
from analysis.report.style import use_style

DEMO = Path(__file__).parent / "fixtures" / "notebooks" / "demo_report.ipynb"

PROBE_SOURCE = '''\
import os, warnings
from pathlib import Path
import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
Path(f"pid-{tag}.txt").write_text(str(os.getpid()))
if mode == "set":
    leaked_global = 42
    matplotlib.rcParams["lines.linewidth"] = 9.0
    pd.set_option("display.max_rows", 3)
    os.environ["HALLPERF_LEAK"] = "1"
    warnings.filterwarnings("error", message="hallperf-probe")
    plt.figure()
    os.chdir("/")
elif mode == "check":
    assert "leaked_global" not in globals(), "global leaked"
    assert matplotlib.rcParams["lines.linewidth"] == expected_lw, "rcParams leaked"
    assert pd.get_option("display.max_rows") == 60, "pandas option leaked"
    assert "HALLPERF_LEAK" not in os.environ, "environment leaked"
    assert plt.get_fignums() == [], "figure leaked"
    assert Path.cwd() == Path(expected_cwd), "working directory leaked"
    warnings.warn("hallperf-probe")  # raises if the filter leaked
elif mode == "fail":
    raise RuntimeError("deliberate failure")
print("done", tag)
'''


@pytest.fixture(scope="module")
def probe_template(tmp_path_factory) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('mode = "check"\ntag = "x"\nexpected_lw = 1.0\nexpected_cwd = "."')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(PROBE_SOURCE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path_factory.mktemp("tpl") / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def _expected_lw() -> float:
    use_style("zh")
    value = float(matplotlib.rcParams["lines.linewidth"])
    matplotlib.rcdefaults()
    return value


def _probe_jobs(out: Path, modes: list[str], fingerprint: str = "") -> list[Job]:
    lw = _expected_lw()
    return [Job(f"{i}-{m}", {"mode": m, "tag": f"{i}-{m}", "expected_lw": lw,
                             "expected_cwd": str(out.resolve())}, fingerprint)
            for i, m in enumerate(modes)]


def test_input_hash_covers_parameters_fingerprint_and_template():
    base = input_hash(b"tpl", {"a": 1, "b": "厅"}, "fp")
    assert base == input_hash(b"tpl", {"b": "厅", "a": 1}, "fp")  # key order does not matter
    assert base != input_hash(b"tpl2", {"a": 1, "b": "厅"}, "fp")
    assert base != input_hash(b"tpl", {"a": 2, "b": "厅"}, "fp")
    assert base != input_hash(b"tpl", {"a": 1, "b": "厅"}, "fp2")


def test_bad_jobs_are_rejected_before_running(tmp_path, probe_template):
    with pytest.raises(ValueError, match="unique"):
        run_notebooks(probe_template, [Job("a"), Job("a")], tmp_path, progress=False)
    with pytest.raises(ValueError, match="file-safe"):
        run_notebooks(probe_template, [Job("../evil")], tmp_path, progress=False)
    with pytest.raises(FileNotFoundError):
        run_notebooks(tmp_path / "missing.ipynb", [Job("a")], tmp_path, progress=False)


def test_one_shell_no_leaks_failures_isolated_and_reruns_skip(tmp_path, probe_template):
    out = tmp_path / "out"
    template_before = probe_template.read_bytes()
    jobs = _probe_jobs(out, ["set", "check", "fail", "set", "check"])
    results = run_notebooks(probe_template, jobs, out, workers=1, progress=False)
    status = {r.name: r.status for r in results}
    assert status == {"0-set": "ok", "1-check": "ok", "2-fail": "failed", "3-set": "ok",
                      "4-check": "ok"}, [r.reason for r in results]
    # all five ran in ONE process's shell, so the checks after "set" prove the reset works
    pids = {(out / f"pid-{j.name}.txt").read_text() for j in jobs}
    assert len(pids) == 1
    failed = results[2]
    assert "RuntimeError: deliberate failure" in failed.reason and exit_code(results) == 1
    kept = nbformat.read(out / "2-fail.failed.ipynb", as_version=4)  # the traceback is kept
    assert any(o.get("ename") == "RuntimeError" for c in kept.cells for o in c.get("outputs", []))
    assert not (out / "2-fail.html").exists() and not (out / "2-fail.ipynb").exists()
    assert failed.html is None and not failed.kept_previous
    assert "1 failed" in summarize(results)
    # outputs: executed notebook (renumbered, hash recorded) and HTML without input code
    nb = nbformat.read(out / "1-check.ipynb", as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3]
    assert nb.metadata["hallperf"]["input_hash"] == results[1].input_hash
    page = (out / "1-check.html").read_text("utf-8")
    assert "done 1-check" in page and "leaked_global" not in page
    assert probe_template.read_bytes() == template_before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left

    # rerun: unchanged jobs are skipped, the failed one runs again, a new fingerprint reruns
    jobs[4] = Job(jobs[4].name, jobs[4].parameters, "new-data")
    again = run_notebooks(probe_template, jobs, out, workers=1, progress=False)
    assert [r.status for r in again] == ["skipped", "skipped", "failed", "skipped", "ok"]


def test_leak_check_fails_without_reset(tmp_path, probe_template, monkeypatch):
    # Control for the test above: with the reset disabled, the same probe detects the leak.
    monkeypatch.setattr(engine, "reset_state", lambda cwd, style_lang: None)
    out = tmp_path / "out"
    results = run_notebooks(probe_template, _probe_jobs(out, ["set", "check"]), out,
                            workers=1, progress=False)
    assert [r.status for r in results] == ["ok", "failed"]
    assert "global leaked" in results[1].reason


def test_same_png_bytes_alone_and_after_another_notebook(tmp_path):
    jobs = [Job("厅A", {"branch": "厅A", "score_shift": 0.1}),
            Job("厅B", {"branch": "厅B", "score_shift": -0.2})]
    after = run_notebooks(DEMO, jobs, tmp_path / "after", workers=1, progress=False)
    alone = run_notebooks(DEMO, jobs[1:], tmp_path / "alone", workers=1, progress=False)
    assert [r.status for r in after + alone] == ["ok"] * 3, [r.reason for r in after + alone]
    a = (tmp_path / "after" / "figures" / "厅B.png").read_bytes()
    b = (tmp_path / "alone" / "figures" / "厅B.png").read_bytes()
    assert a == b
    assert a != (tmp_path / "after" / "figures" / "厅A.png").read_bytes()
    page = (tmp_path / "after" / "厅B.html").read_text("utf-8")
    assert "import pandas" not in page and "data:image/png;base64" in page
    record = json.loads((tmp_path / "after" / "厅B.run.json").read_text("utf-8"))
    assert record["status"] == "ok" and record["input_hash"] == after[1].input_hash


def test_a_failed_forced_rerun_keeps_the_previous_report(tmp_path, probe_template):
    out = tmp_path / "out"
    lw = _expected_lw()
    good = Job("b1", {"mode": "check", "tag": "b1", "expected_lw": lw, "expected_cwd": str(out.resolve())})
    (first,) = run_notebooks(probe_template, [good], out, workers=1, progress=False)
    assert first.status == "ok"
    page, record = (out / "b1.html").read_bytes(), (out / "b1.run.json").read_bytes()
    bad = Job("b1", {**good.parameters, "mode": "fail"})
    (second,) = run_notebooks(probe_template, [bad], out, workers=1, force=True, progress=False)
    assert second.status == "failed" and second.kept_previous and second.html == out / "b1.html"
    assert (out / "b1.html").read_bytes() == page and (out / "b1.run.json").read_bytes() == record
    assert (out / "b1.failed.ipynb").is_file()
    (third,) = run_notebooks(probe_template, [good], out, workers=1, force=True, progress=False)
    assert third.status == "ok" and not (out / "b1.failed.ipynb").exists()


@pytest.mark.slow
def test_parallel_processes_and_dask_cluster(tmp_path, probe_template):
    from distributed import Client, LocalCluster

    out = tmp_path / "procs"
    jobs = _probe_jobs(out, ["set", "check", "check", "fail"])
    results = run_notebooks(probe_template, jobs, out, workers=2, progress=False)
    assert [r.status for r in results] == ["ok", "ok", "ok", "failed"], [r.reason for r in results]
    assert len({r.worker for r in results}) == 2  # both worker processes took jobs

    out = tmp_path / "dask"
    jobs = _probe_jobs(out, ["set", "check", "fail"])
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        results = run_notebooks(probe_template, jobs, out, scheduler=client, progress=False)
    assert [r.status for r in results] == ["ok", "ok", "failed"], [r.reason for r in results]
