"""The report stage: results → research report, one report per branch and per district, an overview.

Reads only ``output/<wave>/results/`` (written by ``hallperf analyze``) and writes::

    output/<wave>/study/study.html              research report (notebooks/study.ipynb), tables, figures
    output/<wave>/branches/<name>.html          one report per branch (and <name>.pdf with pdf=True)
    output/<wave>/districts/<name>.html         one report per district (notebooks/district_report.ipynb)
    output/<wave>/branches/index.html           the overview: heatmap, sortable table, links
    .../_notebooks/                             executed notebooks and run records

``<name>`` is the id when it is a safe file name, else ``branch_``/``district_`` + a hash
(:func:`analysis.names.file_name`). ``lang="en"`` writes beside the Chinese files, with ``.en``
before the extension (``B0001.en.html``, ``index.en.html``, ``study/en/``), never over them.
Notebooks run through :func:`analysis.pipeline.batch.run_notebooks`. A rerun redoes only
missing, failed or outdated reports (the input hash covers the template, the parameters, the
result tables the report reads and the report code). One failing report does not stop the
others; :attr:`ReportSummary.exit_code` is 1 when any failed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.atomic import atomic_write, remove_stale_temporaries
from analysis.result_files import compare_dir, result_index, table_path
from analysis.errors import InputFileError
from analysis.names import file_name
from analysis.pipeline.core import lang_option
from analysis.pipeline.pdf import BrowserNotFoundError, chromium, render_pdfs
from analysis.privacy import reporting_k

__all__ = ["BrowserNotFoundError", "ReportSummary", "run_report"]

log = logging.getLogger(__name__)

BRANCH_TEMPLATE, DISTRICT_TEMPLATE, STUDY_TEMPLATE = "branch_report.ipynb", "district_report.ipynb", "study.ipynb"


@dataclass(frozen=True)
class ReportSummary:
    """What one report run did. ``failed`` lists (name, reason) of every failed output."""

    wave: str
    branches_dir: Path
    index: Path | None
    branches: tuple[Any, ...]  # analysis.pipeline.batch.JobResult, in the order of the jobs
    study: Any | None = None  # JobResult of the research report, None when not run
    study_note: str = ""  # why a part was not run
    districts: tuple[Any, ...] = ()
    pdfs: tuple[Path, ...] = ()
    pdf_failures: tuple[tuple[str, str], ...] = ()
    names: dict[str, str] = field(default_factory=dict)  # job name -> branch or district id

    @property
    def failed(self) -> list[tuple[str, str]]:
        out = [(self.names.get(r.name, r.name), r.reason) for r in (*self.branches, *self.districts) if r.status == "failed"]
        if self.study is not None and self.study.status == "failed":
            out.insert(0, ("study", self.study.reason))
        return out + list(self.pdf_failures)

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
        """One line for the CLI: counts, where the overview is, and the first failure."""
        c = self.counts()
        text = (f"branch reports for {self.wave!r}: {c['ok']} written, {c['skipped']} up to date, {c['failed']} failed "
                f"→ {self.index or self.branches_dir}")
        if self.districts:
            text += f"; {len(self.districts)} district reports"
        if self.study is not None:
            text += f"; study report {self.study.status}"
        if self.study_note:
            text += f"; {self.study_note}"
        if self.pdfs or self.pdf_failures:
            text += f"; {len(self.pdfs)} PDF"
        failed = self.failed
        if failed:
            text += f"; failed: {failed[0][0]}: {failed[0][1]}" + (f" (+{len(failed) - 1} more)" if len(failed) > 1 else "")
        return text


def _read(results: Path, name: str) -> pd.DataFrame | None:
    for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        if (results / f"{name}{suffix}").is_file():
            return reader(results / f"{name}{suffix}")
    return None


def _fingerprint(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode("utf-8") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"absent")
    return h.hexdigest()


def _code_files() -> list[Path]:
    """The code a report's output depends on: the report layer and the notebook engine."""
    import analysis
    from analysis.pipeline import batch, engine

    report = Path(analysis.__file__).parent / "report"
    return sorted(report.rglob("*.py")) + [Path(batch.__file__), Path(engine.__file__), Path(analysis.__file__)]


def _tables_fingerprint(results: Path, previous: Path | None) -> str:
    from analysis.report.branch import TABLES

    _, folders = result_index(results)
    files = [results / "results.json", compare_dir(results) / "results.json"]
    for name in TABLES:
        folder = folders.get(name, results)
        parquet = folder / f"{name}.parquet"
        files.append(parquet if parquet.is_file() else folder / f"{name}.csv")
    if previous is not None:
        earlier = result_index(previous)[1] if (previous / "results.json").is_file() else {}
        files.append(table_path(earlier, previous, "branch_trends") or previous / "branch_trends.parquet")
    return _fingerprint(files + _code_files())


def _name(record: dict, fallback: str) -> str:
    value = record.get("branch_name")
    return fallback if value is None or (isinstance(value, float) and value != value) else str(value)


def _check_branches(requested: Sequence[str] | None, known: list[str], wave: str) -> list[str]:
    if not requested:
        return known
    wanted = list(dict.fromkeys(str(b) for b in requested))
    unknown = [b for b in wanted if b not in set(known)]
    if unknown:
        shown = ", ".join(known[:5]) + (", …" if len(known) > 5 else "")
        raise InputFileError(f"--branch {unknown[0]!r}: no such branch in the results of wave {wave!r} (branches: {shown})")
    return wanted


def run_report(wave: str, *, output_root: Path = Path("output"), branches: Sequence[str] | None = None,
               lang: str = "zh", workers: int | None = None, scheduler: Any = None, pdf: bool = False,
               force: bool = False, notebooks_dir: Path = Path("notebooks"), progress: bool = True,
               previous_wave: str | None = None) -> ReportSummary:
    """Run the study notebook, one branch notebook per branch and one district notebook per district.

    Parameters
    ----------
    wave : the wave whose results (``output_root/<wave>/results``) are reported.
    branches : branch ids to report (default: all); an id not in the results is an error.
    lang : {"zh", "en"}; English files are written beside the Chinese ones.
    workers, scheduler : local worker processes, or a dask.distributed scheduler (see ``run_notebooks``).
    pdf : also print the reports to A4 PDF with headless Chromium (checked before anything runs).
    force : redo reports whose inputs are unchanged.
    notebooks_dir : folder of the templates.
    previous_wave : a previous wave whose results hold ``branch_trends``.

    Raises
    ------
    InputFileError
        No results for the wave, no branch template, an unknown branch id or an unknown ``lang``.
    BrowserNotFoundError
        ``pdf=True`` and no Chromium is installed.
    """
    from analysis.pipeline.batch import Job, run_notebooks

    lang_option(lang)
    output_root = Path(output_root)
    results = (output_root / wave / "results").resolve()
    if not (results / "results.json").is_file():
        raise InputFileError(f"{results}: no results for wave {wave!r} (results.json missing); "
                             f"run 'hallperf analyze --wave {wave}' first")
    template = Path(notebooks_dir) / BRANCH_TEMPLATE
    if not template.is_file():
        raise InputFileError(f"{template}: the branch report template is missing")
    if pdf:
        chromium()  # fail early, before any notebook runs
    provenance = json.loads((results / "results.json").read_text(encoding="utf-8"))
    k = reporting_k(provenance)
    summary = _read(results, "branch_summary")
    if summary is None and branches:  # a study without groups or dimensions (results.json's notes say which)
        raise InputFileError(f"{results}: no branch results (table branch_summary is missing), so no report for "
                             f"--branch {branches[0]}")
    all_ids = [str(b) for b in summary["branch_id"]] if summary is not None else []
    ids = _check_branches(branches, all_ids, wave)
    suffix = "" if lang == "zh" else f".{lang}"
    out = (output_root / wave).resolve()
    remove_stale_temporaries(out)  # left by an interrupted run (the CLI holds the wave's lock)
    previous = (output_root / previous_wave / "results").resolve() if previous_wave else None
    notes: list[str] = []

    study_result = None
    study_template = Path(notebooks_dir) / STUDY_TEMPLATE
    if study_template.is_file():
        study_dir = out / "study"
        params: dict[str, Any] = {"wave": wave, "lang": lang, "results_dir": str(results),
                                  "output_dir": str(study_dir if lang == "zh" else study_dir / lang)}
        files = sorted(p for p in results.iterdir() if p.is_file())
        recorded = Path(str((provenance.get("study") or {}).get("path") or ""))
        if recorded.name and recorded.is_file():  # the study file the results were analysed with
            params["study_path"] = str(recorded.resolve())
            files.append(recorded)
        job = Job(f"study{suffix}", params, fingerprint=_fingerprint(files + _code_files()), title=f"{wave} · study")
        (study_result,) = run_notebooks(study_template, [job], study_dir, notebook_dir=study_dir / "_notebooks", workers=1,
                                        force=force, style_lang=lang, cwd=Path.cwd(), progress=False)
    else:
        notes.append(f"study report skipped: {study_template} does not exist")

    branches_dir = out / "branches"
    from analysis.report.branch import t as branch_text

    fingerprint = _tables_fingerprint(results, previous)
    names = {b: file_name(b, prefix="branch") + suffix for b in all_ids}
    by_id = {str(r["branch_id"]): r for r in summary.to_dict("records")} if summary is not None else {}
    jobs = [Job(names[b], {"wave": wave, "branch_id": b, "lang": lang, "results_dir": str(results),
                           "previous_results_dir": str(previous) if previous else None},
                fingerprint=fingerprint, title=f"{_name(by_id[b], b)} · {branch_text(lang, 'title')}")
            for b in ids]
    if summary is None:
        notes.append("branch reports skipped: the results hold no branch diagnosis (branch_summary)")
    results_b = run_notebooks(template, jobs, branches_dir, notebook_dir=branches_dir / "_notebooks", workers=workers,
                              scheduler=scheduler, force=force, style_lang=None, page_lang=lang, cwd=branches_dir,
                              progress=progress) if jobs else []

    district_results: list[Any] = []
    district_names: dict[str, str] = {}
    district_template = Path(notebooks_dir) / DISTRICT_TEMPLATE
    if summary is not None and "district" in summary and district_template.is_file() and not branches:
        districts = sorted({str(d) for d in summary["district"].dropna()})
        district_names = {d: file_name(d, prefix="district") + suffix for d in districts}
        district_jobs = [Job(district_names[d], {"wave": wave, "district": d, "lang": lang, "results_dir": str(results)},
                             fingerprint=fingerprint, title=f"{d} · {wave}") for d in districts]
        district_dir = out / "districts"
        district_results = run_notebooks(district_template, district_jobs, district_dir,
                                         notebook_dir=district_dir / "_notebooks", workers=workers, scheduler=scheduler,
                                         force=force, style_lang=None, page_lang=lang, cwd=district_dir, progress=False)

    pdfs: list[Path] = []
    pdf_failures: list[tuple[str, str]] = []
    if pdf:
        pages = [r.html for r in (*results_b, *district_results) if r.status in ("ok", "skipped") and r.html]
        if study_result is not None and study_result.status in ("ok", "skipped") and study_result.html:
            pages.append(study_result.html)
        pdfs, pdf_failures = render_pdfs(pages, force=force)

    index = None
    if summary is not None:
        index = _write_overview(wave=wave, lang=lang, k=k, results=results, summary=summary, names=names,
                                ran={r.name: r for r in results_b}, branches_dir=branches_dir,
                                districts=district_names, suffix=suffix, study=study_result)
    for r in (*results_b, *district_results):
        if r.status == "failed":
            log.error("report %s failed: %s", r.name, r.reason)
    return ReportSummary(wave=wave, branches_dir=branches_dir, index=index, branches=tuple(results_b), study=study_result,
                         study_note="; ".join(notes), districts=tuple(district_results), pdfs=tuple(pdfs),
                         pdf_failures=tuple(pdf_failures),
                         names={**{names[b]: b for b in ids}, **{v: d for d, v in district_names.items()}})


def _status(name: str, ran: dict[str, Any], branches_dir: Path, lang: str) -> tuple[str, str | None]:
    """(status text, href) of a branch report in the overview."""
    from analysis.report.overview import TEXT

    words = TEXT[lang]
    html = branches_dir / f"{name}.html"
    r = ran.get(name)
    if r is not None and r.status == "failed":
        return (words["kept" if r.kept_previous else "failed"].format(reason=r.reason), html.name if r.kept_previous else None)
    try:
        record = json.loads((branches_dir / "_notebooks" / f"{name}.run.json").read_text("utf-8"))
    except (OSError, ValueError):
        record = {}
    if record.get("status") == "ok" and html.is_file():
        return words["ok"], html.name
    return words["missing"], None


def _write_overview(*, wave: str, lang: str, k: int, results: Path, summary: pd.DataFrame, names: dict[str, str],
                    ran: dict[str, Any], branches_dir: Path, districts: dict[str, str], suffix: str, study: Any) -> Path:
    from analysis.report.fragments import format_kpi, is_missing
    from analysis.report.overview import TEXT, differences_of, overview_page

    kpis = _read(results, "branch_kpis")
    labels = _read(results, "dimension_labels")
    columns: dict[str, str] = {}
    values: dict[tuple[str, str], str | None] = {}
    if kpis is not None and not kpis.empty:
        for rec in kpis.drop_duplicates("kpi").to_dict("records"):
            columns[f"kpi_{rec['kpi']}"] = str(rec.get(f"label_{lang}") or rec["kpi"])
        for rec in kpis.to_dict("records"):
            values[(str(rec["branch_id"]), f"kpi_{rec['kpi']}")] = format_kpi(rec.get("value"), str(rec.get("format") or "number"))
    order = summary.assign(_d=summary["district"].astype(str) if "district" in summary else "")
    rows = []
    for rec in order.sort_values(["_d", "branch_id"], kind="mergesort").to_dict("records"):
        bid = str(rec["branch_id"])
        status, href = _status(names[bid], ran, branches_dir, lang)
        district = rec.get("district") if "district" in rec else None
        pdf = branches_dir / f"{names[bid]}.pdf"
        rows.append({"branch_id": bid, "branch": rec.get("branch_name") if not is_missing(rec.get("branch_name")) else bid,
                     "district": district, "n": rec.get("n_respondents") if rec.get("staff_results_shown") else None,
                     "status": status, "href": href, "pdf": pdf.name if pdf.is_file() and href else None,
                     "district_href": f"../districts/{districts[str(district)]}.html" if str(district) in districts else None,
                     **{c: values.get((bid, c)) for c in columns}})
    words = TEXT[lang]
    links = []
    if study is not None and study.html:
        links.append((words["study"], f"../study/{Path(study.html).name}"))
    links += [(f"{words['districts']} {d}", f"../districts/{n}.html") for d, n in districts.items()]
    dims = [(d, str(lbl)) for d, lbl in zip(labels["dimension"], labels[f"label_{lang}"])] if labels is not None else []
    failed = sum(r.status == "failed" for r in ran.values())
    page = overview_page(wave=wave, lang=lang, k=k, rows=rows, kpi_columns=columns, dimensions=dims,
                         differences=differences_of(_read(results, "branch_profiles")), links=links, failed=failed)
    return atomic_write(branches_dir / f"index{suffix}.html", page)
