"""The report stage: results → research report and one improvement report per branch.

Reads only ``output/<wave>/results/`` (written by ``hallperf analyze``) and writes::

    output/<wave>/study/study.html             research report (when notebooks/study.ipynb exists)
    output/<wave>/study/_notebooks/            its executed notebook and run record
    output/<wave>/branches/<name>.html         one report per branch, without input code
    output/<wave>/branches/<name>.pdf          with pdf=True (A4, headless Chromium)
    output/<wave>/branches/figures/<name>/     the PNG figures of each report
    output/<wave>/branches/_notebooks/         executed notebooks and run records
    output/<wave>/branches/index.html          every branch, key figures, link, status

``<name>`` is the branch id when it is file-safe, else ``branch_<sha256 prefix>``.
Notebooks run through :func:`analysis.pipeline.batch.run_notebooks` (parallel worker processes
that each keep one warm in-process shell, or a dask scheduler). A rerun redoes only missing, failed or outdated reports:
the input hash covers the template, the parameters and a fingerprint of the result tables the
report reads plus the report code. One failing report does not stop the others; the summary
lists every failure with its reason, and :attr:`ReportSummary.exit_code` is 1 when any failed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.privacy import reporting_k
from analysis.errors import HallperfError, InputFileError

__all__ = ["BrowserNotFoundError", "ReportSummary", "branch_job_name", "render_pdfs", "run_report"]

log = logging.getLogger(__name__)

BRANCH_TEMPLATE = "branch_report.ipynb"
STUDY_TEMPLATE = "study.ipynb"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
_SAFE = re.compile(r"^[^\W][\w.\-]*$")
_LANGS = ("zh", "en")

_INDEX_TEXT = {
    "zh": {"branch": "营业厅", "branch_id": "编号", "district": "区局", "n": "员工答卷数",
           "status": "状态", "ok": "已生成", "failed": "失败：{reason}", "missing": "未生成",
           "title": "{wave} 期营业厅绩效改进报告索引",
           "footer": "共 {n} 个营业厅；{failed} 份报告失败。员工答卷少于 {k} 份的营业厅不显示人数和员工问卷结果。"},
    "en": {"branch": "Branch", "branch_id": "Id", "district": "District", "n": "Staff responses",
           "status": "Status", "ok": "ready", "failed": "failed: {reason}", "missing": "not generated",
           "title": "Branch improvement reports, wave {wave}",
           "footer": "{n} branches; {failed} reports failed. Branches with fewer than {k} staff responses "
                     "show no count and no staff-survey results."},
}


class BrowserNotFoundError(HallperfError, RuntimeError):
    """PDF output needs a Chromium on this machine; none was found."""


@dataclass(frozen=True)
class ReportSummary:
    """What one report run did. ``failed`` lists (name, reason) of every failed output."""

    wave: str
    branches_dir: Path
    index: Path | None
    branches: tuple[Any, ...]  # analysis.pipeline.batch.JobResult, in the order of the jobs
    study: Any | None = None  # JobResult of the research report, None when not run
    study_note: str = ""  # why the research report was not run
    pdfs: tuple[Path, ...] = ()
    pdf_failures: tuple[tuple[str, str], ...] = ()
    names: dict[str, str] = field(default_factory=dict)  # job name -> branch id
    branch_note: str = ""  # why no branch report was run (the results hold no branch diagnosis)

    @property
    def failed(self) -> list[tuple[str, str]]:
        out = [(self.names.get(r.name, r.name), r.reason) for r in self.branches if r.status == "failed"]
        if self.study is not None and self.study.status == "failed":
            out.insert(0, ("study", self.study.reason))
        out += list(self.pdf_failures)
        return out

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        """0 when every report was written (or was up to date), else 1."""
        return 0 if self.ok else 1

    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.branches) for s in ("ok", "skipped", "failed")}

    def line(self) -> str:
        """One line for the CLI: counts, where the index is, and the first failure."""
        c = self.counts()
        text = self.branch_note or (f"branch reports for {self.wave!r}: {c['ok']} written, {c['skipped']} up to date, "
                                    f"{c['failed']} failed → {self.index or self.branches_dir}")
        if self.study is not None:
            text += f"; study report {self.study.status}"
        elif self.study_note:
            text += f"; {self.study_note}"
        if self.pdfs or self.pdf_failures:
            text += f"; {len(self.pdfs)} PDF"
        failed = self.failed
        if failed:
            text += f"; failed: {failed[0][0]}: {failed[0][1]}"
            if len(failed) > 1:
                text += f" (+{len(failed) - 1} more)"
        return text


def branch_job_name(branch_id: str) -> str:
    """File-safe output name of a branch: the id itself when safe, else a stable hash."""
    text = str(branch_id)
    if _SAFE.match(text) and text not in ("index", "study") and not text.startswith("_"):
        return text
    return "branch_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _read_table(results: Path, name: str) -> pd.DataFrame | None:
    for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        path = results / f"{name}{suffix}"
        if path.is_file():
            return reader(path)
    return None


def _fingerprint(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(str(path.name).encode("utf-8") + b"\0")
        if path.is_file():
            h.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            h.update(b"absent")
    return h.hexdigest()


def _code_files() -> list[Path]:
    import analysis
    from analysis.pipeline import batch, engine
    from analysis.report import branch, figures, html, style

    return [Path(m.__file__) for m in (branch, figures, html, style, batch, engine)] + [Path(analysis.__file__)]


def _branch_fingerprint(results: Path, previous: Path | None) -> str:
    from analysis.report.branch import TABLES

    files = [results / "results.json"]
    for name in TABLES:
        parquet = results / f"{name}.parquet"
        files.append(parquet if parquet.is_file() else results / f"{name}.csv")
    if previous is not None:
        files.append(previous / "branch_trends.parquet")
    return _fingerprint(files + _code_files())


def _index_rows(summary: pd.DataFrame, kpis: pd.DataFrame | None, ids: Sequence[str], names: dict[str, str],
                status: dict[str, tuple[str, str]], branches_dir: Path, lang: str, k: int,
                ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    from analysis.report.branch import format_kpi

    words = _INDEX_TEXT[lang]
    columns: dict[str, str] = {"branch": words["branch"], "branch_id": words["branch_id"]}
    if "district" in summary:
        columns["district"] = words["district"]
    columns["n"] = words["n"]
    kpi_cols: list[tuple[str, str, str]] = []  # (kpi, column key, format)
    if kpis is not None and not kpis.empty:
        first = kpis.drop_duplicates("kpi", keep="first")
        for rec in first.to_dict("records"):
            key = f"kpi_{rec['kpi']}"
            label = rec.get(f"label_{lang}")
            columns[key] = str(label) if isinstance(label, str) and label else str(rec["kpi"])
            kpi_cols.append((str(rec["kpi"]), key, str(rec.get("format") or "number")))
    columns["status"] = words["status"]
    by_id = {str(r["branch_id"]): r for r in summary.to_dict("records")}
    values: dict[tuple[str, str], Any] = {}
    if kpis is not None and not kpis.empty:
        for rec in kpis.to_dict("records"):
            values[(str(rec["branch_id"]), str(rec["kpi"]))] = (rec.get("value"), str(rec.get("format") or "number"))
    rows = []
    for bid in ids:
        rec = by_id.get(bid, {})
        name = names[bid]
        shown = bool(rec.get("staff_results_shown", False))
        n = rec.get("n_respondents")
        n_text = None
        if shown and n is not None and n is not pd.NA and not (isinstance(n, float) and math.isnan(n)) and int(n) >= k:
            n_text = int(n)
        branch_name = rec.get("branch_name")
        label = branch_name if isinstance(branch_name, str) and branch_name else bid
        row: dict[str, Any] = {"branch": label, "branch_id": bid, "n": n_text}
        if "district" in columns:
            district = rec.get("district")
            row["district"] = district if isinstance(district, str) else None
        for kpi, key, fmt in kpi_cols:
            value, vfmt = values.get((bid, kpi), (None, fmt))
            row[key] = format_kpi(value, vfmt)
        state, reason = status.get(bid, ("missing", ""))
        row["status"] = words["failed"].format(reason=reason) if state == "failed" else words[state]
        html_file = branches_dir / f"{name}.html"
        if state == "ok" and html_file.is_file():
            row["href"] = html_file.name
        rows.append(row)
    return rows, columns


def _record_status(nb_dir: Path, name: str, html_file: Path) -> tuple[str, str]:
    record = nb_dir / f"{name}.run.json"
    try:
        data = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        return ("missing", "")
    return ("ok", "") if data.get("status") == "ok" and html_file.is_file() else ("missing", "")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if SYSTEM_CHROMIUM.is_file():
        return str(SYSTEM_CHROMIUM)
    raise BrowserNotFoundError(
        "PDF reports need Chromium, and none was found on PATH or at /usr/bin/chromium; install it "
        "with 'make browser' (apt-get install chromium fonts-noto-cjk) or run without --pdf")


def render_pdfs(html_files: Sequence[Path], *, force: bool = False) -> tuple[list[Path], list[tuple[str, str]]]:
    """Print each HTML file to an A4 PDF beside it with the system's headless Chromium.

    Uses the ``playwright`` package with ``executable_path`` pointing at the system Chromium; it
    never downloads a browser. A PDF newer than its HTML is kept unless ``force``. Returns the
    PDFs written or kept and the (name, reason) of each failure.

    Raises
    ------
    BrowserNotFoundError
        No Chromium on this machine.
    """
    todo = [Path(p) for p in html_files]
    if not todo:
        return [], []
    executable = _chromium()
    # playwright's sync API refuses to run in a thread with a running asyncio loop (Jupyter, or
    # another playwright session), so the browser is driven from a thread of its own.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print_pdfs, todo, executable, force).result()


def _print_pdfs(todo: list[Path], executable: str, force: bool) -> tuple[list[Path], list[tuple[str, str]]]:
    from playwright.sync_api import sync_playwright

    from analysis.report import atomic_write

    written: list[Path] = []
    failures: list[tuple[str, str]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            for html_file in todo:
                pdf = html_file.with_suffix(".pdf")
                if (not force and pdf.is_file() and html_file.is_file()
                        and pdf.stat().st_mtime_ns >= html_file.stat().st_mtime_ns):
                    written.append(pdf)
                    continue
                try:
                    page.goto(html_file.resolve().as_uri(), wait_until="load")
                    data = page.pdf(format="A4", print_background=True,
                                    margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
                    atomic_write(pdf, data)
                    written.append(pdf)
                except Exception as err:  # one bad page does not stop the others
                    failures.append((f"{html_file.stem} (pdf)", f"{type(err).__name__}: {err}".splitlines()[0]))
        finally:
            browser.close()
    return written, failures


def run_report(wave: str, *, output_root: Path = Path("output"), branches: Sequence[str] | None = None,
               lang: str = "zh", workers: int | None = None, scheduler: Any = None, pdf: bool = False,
               force: bool = False, notebooks_dir: Path = Path("notebooks"), progress: bool = True,
               previous_wave: str | None = None) -> ReportSummary:
    """Run the study notebook (if present) and one branch notebook per branch; write the index.

    Parameters
    ----------
    wave : the wave whose results (``output_root/<wave>/results``) are reported.
    output_root : root of the outputs (``output``).
    branches : branch ids to report (default: every branch in ``branch_summary``). An id that
        is not in the results still gets a job, which fails with the reason.
    lang : {"zh", "en"} report language.
    workers : parallel local workers (default: all cores); ignored with ``scheduler``.
    scheduler : dask.distributed scheduler address (or Client), passed to ``run_notebooks``.
    pdf : also print every report to an A4 PDF with headless Chromium.
    force : redo every report even when its inputs are unchanged.
    notebooks_dir : folder of ``branch_report.ipynb`` and (optional) ``study.ipynb``.
    progress : show a progress bar on stderr.
    previous_wave : a previous wave whose results hold ``branch_trends`` (used when the current
        results have none).

    Returns
    -------
    ReportSummary
        ``exit_code`` is 1 when any report failed; ``line()`` is the CLI's one-line summary.

    Raises
    ------
    InputFileError
        The results of the wave or the branch template are missing, or ``lang`` is unknown.
    BrowserNotFoundError
        ``pdf=True`` and no Chromium is installed (checked before any notebook runs).
    """
    from analysis.pipeline.batch import Job, run_notebooks
    from analysis.report.branch import TEXT
    from analysis.report.html import write_index

    if lang not in _LANGS:
        raise InputFileError(f"--lang {lang!r} is not supported; use one of {', '.join(_LANGS)}")
    output_root = Path(output_root)
    results = (output_root / wave / "results").resolve()
    meta = results / "results.json"
    if not meta.is_file():
        raise InputFileError(f"{results}: no results for wave {wave!r} (results.json missing); "
                             f"run 'hallperf analyze --wave {wave}' first")
    template = Path(notebooks_dir) / BRANCH_TEMPLATE
    if not template.is_file():
        raise InputFileError(f"{template}: the branch report template is missing")
    if pdf:
        _chromium()  # fail early, before any notebook runs
    provenance = json.loads(meta.read_text(encoding="utf-8"))
    k = reporting_k(provenance)
    summary = _read_table(results, "branch_summary")
    branch_note = ""
    if summary is None:  # a study without groups or dimensions (results.json's notes say which)
        if branches:
            raise InputFileError(f"{results}: no branch results (table branch_summary is missing), so no report for "
                                 f"--branch {branches[0]}")
        branch_note = "branch reports skipped: the results hold no branch diagnosis (branch_summary)"
        summary = pd.DataFrame({"branch_id": pd.Series(dtype=str)})
    kpis = _read_table(results, "branch_kpis")
    all_ids = [str(b) for b in summary["branch_id"]]
    ids = list(dict.fromkeys(str(b) for b in branches)) if branches else all_ids
    names = {bid: branch_job_name(bid) for bid in dict.fromkeys(all_ids + ids)}
    previous = (output_root / previous_wave / "results").resolve() if previous_wave else None

    out = (output_root / wave).resolve()
    branches_dir = out / "branches"
    nb_dir = branches_dir / "_notebooks"

    # research report ---------------------------------------------------------------
    study_result, study_note = None, ""
    study_template = Path(notebooks_dir) / STUDY_TEMPLATE
    if study_template.is_file():
        study_dir = out / "study"
        files = sorted(p for p in results.iterdir() if p.is_file())
        params: dict[str, Any] = {"wave": wave, "lang": lang, "results_dir": str(results),
                                  "output_dir": str(study_dir)}
        recorded = Path(str((provenance.get("study") or {}).get("path") or ""))
        if recorded.name and recorded.is_file():  # the study file the results were analysed with
            params["study_path"] = str(recorded.resolve())
            files.append(recorded)
        study_job = Job("study", params, fingerprint=_fingerprint(files + _code_files()),
                        title=f"{wave} · study")
        # the working directory is the caller's (the project root), where relative paths resolve
        (study_result,) = run_notebooks(study_template, [study_job], study_dir,
                                        notebook_dir=study_dir / "_notebooks", workers=1, force=force,
                                        style_lang=lang, cwd=Path.cwd(), progress=False)
        if study_result.status == "failed":
            log.error("study report failed: %s", study_result.reason)
    else:
        study_note = f"study report skipped: {study_template} does not exist"
        log.info(study_note)

    # branch reports ----------------------------------------------------------------
    fingerprint = _branch_fingerprint(results, previous)
    by_id = {str(r["branch_id"]): r for r in summary.to_dict("records")}
    title_word = TEXT[lang]["title"]
    jobs = []
    for bid in ids:
        name = names[bid]
        branch_name = by_id.get(bid, {}).get("branch_name")
        label = branch_name if isinstance(branch_name, str) and branch_name else bid
        jobs.append(Job(name, {
            "wave": wave, "branch_id": bid, "lang": lang, "results_dir": str(results),
            "previous_results_dir": str(previous) if previous else None,
            "figure_dir": str(branches_dir / "figures" / name),
        }, fingerprint=fingerprint, title=f"{label} · {title_word}"))
    job_results = run_notebooks(template, jobs, branches_dir, notebook_dir=nb_dir, workers=workers,
                                scheduler=scheduler, force=force, style_lang=lang, cwd=branches_dir,
                                progress=progress) if jobs else []

    # index ---------------------------------------------------------------------------
    status: dict[str, tuple[str, str]] = {}
    ran = {r.name: r for r in job_results}
    index_ids = list(dict.fromkeys(all_ids + ids))
    for bid in index_ids:
        name = names[bid]
        r = ran.get(name)
        if r is not None:
            status[bid] = ("failed", r.reason) if r.status == "failed" else ("ok", "")
        else:
            status[bid] = _record_status(nb_dir, name, branches_dir / f"{name}.html")
    rows, columns = _index_rows(summary, kpis, index_ids, names, status, branches_dir, lang, k)
    words = _INDEX_TEXT[lang]
    n_failed = sum(s == "failed" for s, _ in status.values())
    index = None if branch_note else write_index(rows, branches_dir / "index.html", columns, lang=lang,
                                                 title=words["title"].format(wave=wave), link_column="branch",
                                                 footer=words["footer"].format(n=len(index_ids), failed=n_failed, k=k))

    # PDF -----------------------------------------------------------------------------
    pdfs: list[Path] = []
    pdf_failures: list[tuple[str, str]] = []
    if pdf:
        html_files = [r.html for r in job_results if r.status in ("ok", "skipped") and r.html is not None]
        if study_result is not None and study_result.status in ("ok", "skipped") and study_result.html:
            html_files.append(study_result.html)
        pdfs, pdf_failures = render_pdfs(html_files, force=force)
    for r in job_results:
        if r.status == "failed":
            log.error("branch report %s failed: %s", r.name, r.reason)
    return ReportSummary(wave=wave, branches_dir=branches_dir, index=index, branches=tuple(job_results),
                         study=study_result, study_note=study_note, pdfs=tuple(pdfs),
                         pdf_failures=tuple(pdf_failures), names={names[b]: b for b in ids}, branch_note=branch_note)
