"""Run one papermill notebook template for many parameter sets: fast, safe, resumable.

* Every job is a papermill run of the template with its parameters, executed by the in-process
  engine of :mod:`analysis.pipeline.engine` (heavy imports once per worker, no kernel traffic).
  Between jobs :func:`~analysis.pipeline.engine.reset_state` gives the next notebook a clean
  process.
* Parallel workers (default: all cores) are spawned processes fed from a queue. They ignore
  Ctrl-C (the main process handles it), and on Linux they die with the main process
  (``PR_SET_PDEATHSIG``), so a killed run leaves nothing writing. Ctrl-C stops the workers
  within seconds and raises :class:`KeyboardInterrupt` (the CLI exits 130). A worker that dies
  fails its job and is replaced. ``workers=1`` runs in this process.
* Optional dask.distributed (``scheduler=``: an address or a ``distributed.Client``): chunks of
  jobs go to the workers as tasks; each chunk runs in the worker process's shell. Workers must
  see the same file system and have this package installed (docs/distributed.md). A worker that
  dies fails the job it was running, as in the local pool (:mod:`analysis.pipeline.batch_dask`).
* One failing notebook does not stop the others; each job reports ``ok``/``failed``/``skipped``.
* Reruns skip a job whose record ``<name>.run.json`` holds the same input hash (parameters +
  caller fingerprint + template bytes) and whose outputs exist.
* Nothing half-written and nothing lost: every file is written to a temporary name and renamed;
  the record is written last. A job that fails keeps the outputs of its last good run (its
  failed notebook goes to ``<name>.failed.ipynb`` with the traceback), so a failed forced rerun
  never takes a good report away.
* HTML without input code (:func:`analysis.report.html.notebook_html`) goes to ``output_dir``;
  executed notebooks and records to ``notebook_dir`` (default: ``output_dir``). Execution
  counts are 1..n in every notebook.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.atomic import atomic_write

__all__ = ["Job", "JobResult", "exit_code", "input_hash", "run_notebooks", "summarize"]

STATUSES = ("ok", "failed", "skipped")
_NAME_OK = re.compile(r"^[^\W][\w.\-]*$")
_RECORD_SUFFIX = ".run.json"
_FAILED_SUFFIX = ".failed.ipynb"
# One notebook at a time per process: the engine has one shell, and a dask worker with several
# threads would otherwise interleave the cells (and the resets) of two notebooks in it.
_ONE_AT_A_TIME = threading.RLock()  # re-entrant: a nested in-process batch must not hang


@dataclass(frozen=True)
class Job:
    """One notebook run: a unique file-safe ``name``, papermill ``parameters`` and a fingerprint.

    ``fingerprint`` identifies the inputs the notebook reads (e.g. a hash of the result tables);
    it enters the input hash, so a rerun happens when the data change.
    """

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    title: str = ""  # the HTML page title (default: ``name``); escaped on export


@dataclass(frozen=True)
class JobResult:
    """Outcome of one job. ``status`` is ``"ok"``, ``"failed"`` or ``"skipped"``.

    ``html`` is the page a reader can open: for a failed job, the previous good page when one is
    kept (``kept_previous``), else None.
    """

    name: str
    status: str
    reason: str
    seconds: float
    notebook: Path | None
    html: Path | None
    input_hash: str
    worker: str = ""
    kept_previous: bool = False


def input_hash(template_bytes: bytes, parameters: Mapping[str, Any], fingerprint: str = "") -> str:
    """SHA-256 over the parameters (canonical JSON), the caller's fingerprint and the template."""
    h = hashlib.sha256()
    h.update(json.dumps({"parameters": dict(parameters), "fingerprint": fingerprint},
                        sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    h.update(b"\0")
    h.update(template_bytes)
    return h.hexdigest()


def exit_code(results: Iterable[JobResult]) -> int:
    """0 if no job failed, else 1 (for the CLI's exit status)."""
    return 1 if any(r.status == "failed" for r in results) else 0


def summarize(results: Sequence[JobResult]) -> str:
    """One line: counts per status and the first failure's reason."""
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    line = ", ".join(f"{n} {s}" for s, n in counts.items())
    failed = [r for r in results if r.status == "failed"]
    if failed:
        line += f"; first failure: {failed[0].name}: {failed[0].reason}"
    return line


# --------------------------------------------------------------------------- one job
@dataclass(frozen=True)
class _Config:
    template_text: str
    template_name: str
    output_dir: str
    notebook_dir: str
    timeout: float | None
    html: bool
    style_lang: str | None
    cwd: str
    page_lang: str = "zh"


def _renumber(nb: Any) -> None:
    count = 0
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and cell.get("execution_count") is not None:
            count += 1
            cell["execution_count"] = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count


def _run_one(cfg: _Config, name: str, parameters: Mapping[str, Any], digest: str, title: str) -> JobResult:
    """Execute one job in this process's shell and write its outputs (see the module docstring)."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from analysis.pipeline import engine
    from analysis.report.html import notebook_html

    nbs, out = Path(cfg.notebook_dir), Path(cfg.output_dir)
    nb_path, html_path, record = nbs / f"{name}.ipynb", out / f"{name}.html", nbs / f"{name}{_RECORD_SUFFIX}"
    worker = _worker_id()
    start = time.perf_counter()

    def result(status: str, reason: str, notebook: Path | None, html: Path | None, kept: bool = False) -> JobResult:
        return JobResult(name, status, reason, round(time.perf_counter() - start, 3), notebook, html, digest,
                         worker, kept)

    def failed(reason: str) -> JobResult:
        kept = html_path.is_file() if cfg.html else nb_path.is_file()
        return result("failed", reason, nbs / f"{name}{_FAILED_SUFFIX}" if (nbs / f"{name}{_FAILED_SUFFIX}").is_file()
                      else None, html_path if kept and cfg.html else None, kept)

    try:
        engine.reset_state(cfg.cwd, cfg.style_lang)
        nb = nbformat.reads(cfg.template_text, as_version=4)
        # no kernel is started, but papermill picks the parameter syntax by kernel and language
        kernel = (nb.metadata.get("kernelspec") or {}).get("name") or "python3"
        executed = pm.execute_notebook(nb, None, parameters=dict(parameters), engine_name=engine.ENGINE_NAME,
                                       kernel_name=kernel, language="python",
                                       progress_bar=False, request_save_on_cell_execute=False,
                                       execution_timeout=cfg.timeout, cwd=cfg.cwd, log_output=False)
    except PapermillExecutionError as err:
        if err.ename == "KeyboardInterrupt":
            raise KeyboardInterrupt from None
        if engine.last_notebook is not None:  # keep the notebook with its traceback beside the good one
            atomic_write(nbs / f"{name}{_FAILED_SUFFIX}", nbformat.writes(engine.last_notebook))
        return failed(f"{err.ename}: {err.evalue} (cell {err.exec_count})")
    except KeyboardInterrupt:
        raise
    except Exception as err:  # a template papermill cannot run (bad JSON, no parameters cell, ...)
        return failed(f"{type(err).__name__}: {err}".strip())
    try:
        _renumber(executed)
        executed.metadata["hallperf"] = {"input_hash": digest, "template": cfg.template_name,
                                         "parameters": dict(parameters)}
        atomic_write(nb_path, nbformat.writes(executed))
        if cfg.html:
            atomic_write(html_path, notebook_html(executed, title=title or name, lang=cfg.page_lang))
        seconds = round(time.perf_counter() - start, 3)
        atomic_write(record, json.dumps({
            "name": name, "input_hash": digest, "status": "ok", "seconds": seconds,
            "template": cfg.template_name, "notebook": nb_path.name,
            "html": html_path.name if cfg.html else None}, ensure_ascii=False, indent=1))
        (nbs / f"{name}{_FAILED_SUFFIX}").unlink(missing_ok=True)
    except OSError as err:
        return failed(f"cannot write the outputs: {err}")
    return result("ok", "", nb_path, html_path if cfg.html else None)


def _worker_id() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"


def _run_chunk(cfg: _Config, items: Sequence[tuple[int, str, dict, str, str]],
               run_dir: str | None = None) -> list[tuple[int, JobResult]]:
    """Run a list of jobs in this process, one at a time (used in-process and by dask tasks).

    ``run_dir``: the markers of a dask run (:mod:`analysis.pipeline.batch_dask`): a job an
    earlier try of this task finished or was running is not run again; a missing ``run_dir``
    means the batch is over, so the task stops.
    """
    from analysis.pipeline import batch_dask, engine

    logging.getLogger("papermill").setLevel(logging.WARNING)
    with _ONE_AT_A_TIME:
        home = os.getcwd()
        done: list[tuple[int, JobResult]] = []
        try:
            for i, name, params, digest, title in items:
                marker = Path(run_dir) / f"{name}.json" if run_dir is not None else None
                result = batch_dask.earlier_try(marker, name, digest) if marker is not None else None
                if result is None:
                    if marker is not None and not batch_dask.mark(marker, {"started": _worker_id()}):
                        break
                    result = _run_one(cfg, name, params, digest, title)
                    if marker is not None:
                        batch_dask.mark(marker, {"result": result})
                done.append((i, result))
            return done
        finally:
            engine.reset_state(home, None)  # leave the host process as the notebooks found it


# --------------------------------------------------------------------------- worker processes
def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies (even by SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # pragma: no cover - no libc (e.g. musl without that name)
        pass


def _process_worker(cfg: _Config, tasks: Any, results: Any, parent: int) -> None:
    """Worker process: jobs from the queue until a ``None`` sentinel."""
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the death signal was armed
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    logging.getLogger("papermill").setLevel(logging.WARNING)
    while True:
        item = tasks.get()
        if item is None:
            break
        index, name, params, digest, title = item
        results.put(("start", index, os.getpid()))
        results.put(("done", index, _run_one(cfg, name, params, digest, title)))


def _run_processes(cfg: _Config, pending: list[tuple[int, str, dict, str, str]], n: int,
                   bar: Any) -> list[tuple[int, JobResult]]:
    ctx = mp.get_context("spawn")  # no fork of a process that may hold threads and sockets
    tasks, results = ctx.Queue(), ctx.Queue()
    for item in pending:
        tasks.put(item)
    for _ in range(n):
        tasks.put(None)
    by_index = {i: (name, digest) for i, name, _, digest, _ in pending}

    def start() -> Any:
        proc = ctx.Process(target=_process_worker, args=(cfg, tasks, results, os.getpid()), daemon=True)
        proc.start()
        return proc

    procs = [start() for _ in range(n)]
    inflight: dict[int, int] = {}  # pid -> job index
    done: dict[int, JobResult] = {}
    try:
        while len(done) < len(pending):
            try:
                kind, index, payload = results.get(timeout=0.5)
            except queue.Empty:
                for k, proc in enumerate(procs):
                    if proc.is_alive() or proc.pid not in inflight:
                        continue
                    index = inflight.pop(proc.pid)
                    name, digest = by_index[index]
                    done[index] = JobResult(name, "failed", f"worker process died (exit code {proc.exitcode})",
                                            0.0, None, None, digest, f"pid {proc.pid}")
                    bar.advance(1)
                    procs[k] = start()
                if not any(p.is_alive() for p in procs) and results.empty():
                    for i, name, _, digest, _ in pending:
                        done.setdefault(i, JobResult(name, "failed", "no worker left to run it", 0.0, None, None, digest))
                    break
                continue
            if kind == "start":
                inflight[payload] = index
            else:
                inflight = {pid: i for pid, i in inflight.items() if i != index}
                done[index] = payload
                bar.advance(1)
    finally:
        interrupted = len(done) < len(pending)
        for proc in procs:
            if interrupted and proc.is_alive():
                proc.terminate()  # Ctrl-C or an error here: stop now, not after the queue is empty
            proc.join(timeout=10)
            if proc.is_alive():  # pragma: no cover
                proc.kill()
                proc.join()
    return sorted(done.items())


# --------------------------------------------------------------------------- orchestration
def run_notebooks(template: str | os.PathLike[str], jobs: Iterable[Job | Mapping[str, Any]],
                  output_dir: str | os.PathLike[str], *, workers: int | None = None, scheduler: Any = None,
                  chunk_size: int = 25, timeout: float | None = 600, html: bool = True, force: bool = False,
                  style_lang: str | None = "zh", cwd: str | os.PathLike[str] | None = None, progress: bool = True,
                  notebook_dir: str | os.PathLike[str] | None = None, page_lang: str | None = None) -> list[JobResult]:
    """Execute ``template`` once per job with papermill and export each result to HTML.

    Parameters
    ----------
    template : path to the ``.ipynb`` template (only read; a ``parameters``-tagged cell).
    jobs : :class:`Job` objects (or mappings with ``name``, ``parameters``, ``fingerprint``,
        ``title``). Names must be unique and file-safe (letters incl. CJK, digits, ``_ . -``).
    output_dir : folder for ``<name>.html`` (and, without ``notebook_dir``, for the executed
        ``<name>.ipynb`` and the record ``<name>.run.json``).
    workers : parallel worker processes (default ``os.cpu_count()``); ``1`` runs in this process.
        Ignored when ``scheduler`` is given.
    scheduler : a dask.distributed ``Client`` or scheduler address; jobs are submitted in chunks
        of at most ``chunk_size`` (at least one chunk per dask thread).
    timeout : seconds per cell before the job fails (None: no limit; needs a worker's main
        thread, so dask tasks run without it).
    html : also write the HTML page without input code.
    force : rerun even when outputs with the same input hash exist.
    style_lang : house style re-applied before each notebook (None: only matplotlib's defaults).
    cwd : working directory of the notebooks (default ``output_dir``).
    progress : show a progress bar (rich) on stderr.
    notebook_dir : folder for the executed notebooks and run records (default ``output_dir``).
    page_lang : language of the HTML pages (default ``style_lang``, else "zh").

    Returns
    -------
    list of JobResult
        In the order of ``jobs``. Use :func:`exit_code` for the process status.

    Raises
    ------
    KeyboardInterrupt
        On Ctrl-C, after the workers are stopped; outputs of finished jobs stay.
    """
    template_path = Path(template)
    if not template_path.is_file():
        raise FileNotFoundError(f"notebook template {template_path} does not exist")
    template_bytes = template_path.read_bytes()
    job_list = [_as_job(j) for j in jobs]
    names = [j.name for j in job_list]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"job names must be unique; repeated: {dupes}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers={workers} must be at least 1")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    nbs = Path(notebook_dir) if notebook_dir is not None else out
    nbs.mkdir(parents=True, exist_ok=True)
    if nbs.resolve() == template_path.resolve().parent and template_path.stem in names:
        raise ValueError(f"job name {template_path.stem!r} would overwrite the template; "
                         "rename the job or use another output_dir")
    cfg = _Config(template_text=template_bytes.decode("utf-8"), template_name=template_path.name,
                  output_dir=str(out.resolve()), notebook_dir=str(nbs.resolve()), timeout=timeout, html=html,
                  style_lang=style_lang, cwd=str(Path(cwd).resolve() if cwd else out.resolve()),
                  page_lang=page_lang or style_lang or "zh")

    results: list[JobResult | None] = [None] * len(job_list)
    pending: list[tuple[int, str, dict, str, str]] = []
    for i, job in enumerate(job_list):
        digest = input_hash(template_bytes, job.parameters, job.fingerprint)
        if not force and _is_current(out, nbs, job.name, digest, html):
            results[i] = JobResult(job.name, "skipped", "outputs up to date (same input hash)", 0.0,
                                   nbs / f"{job.name}.ipynb", out / f"{job.name}.html" if html else None, digest)
        else:
            pending.append((i, job.name, dict(job.parameters), digest, job.title))

    with _Progress(len(job_list), enabled=progress) as bar:
        bar.advance(len(job_list) - len(pending))
        if pending:
            if scheduler is not None:
                from analysis.pipeline.batch_dask import run_dask

                done = run_dask(cfg, pending, scheduler, chunk_size, bar)
            elif (workers or os.cpu_count() or 1) == 1 or len(pending) == 1:
                done = []
                for item in pending:
                    done += _run_chunk(cfg, [item])
                    bar.advance(1)
            else:
                done = _run_processes(cfg, pending, min(workers or os.cpu_count() or 1, len(pending)), bar)
            for i, result in done:
                results[i] = result
    return [r for r in results if r is not None]


def _as_job(job: Job | Mapping[str, Any]) -> Job:
    if isinstance(job, Job):
        result = job
    elif isinstance(job, Mapping):
        try:
            result = Job(name=job["name"], parameters=dict(job.get("parameters", {})),
                         fingerprint=str(job.get("fingerprint", "")), title=str(job.get("title", "")))
        except KeyError:
            raise KeyError(f"job {dict(job)!r} has no 'name'; give each job a file-safe name") from None
    else:
        raise TypeError(f"a job must be a Job or a mapping, not {type(job).__name__}")
    if not isinstance(result.name, str) or not _NAME_OK.match(result.name):
        raise ValueError(f"job name {result.name!r} is not file-safe; use letters (CJK allowed), "
                         "digits, '_', '.' and '-', starting with a letter or digit")
    return result


def _is_current(out: Path, nbs: Path, name: str, digest: str, html: bool) -> bool:
    try:
        data = json.loads((nbs / f"{name}{_RECORD_SUFFIX}").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    if data.get("input_hash") != digest or data.get("status") != "ok":
        return False
    needed = [nbs / f"{name}.ipynb"] + ([out / f"{name}.html"] if html else [])
    return all(p.is_file() for p in needed)


class _Progress:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled and total > 0
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self._progress = Progress(TextColumn("reports"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                      TimeRemainingColumn(), console=Console(stderr=True), transient=False)
            self._progress.start()
            self._task = self._progress.add_task("reports", total=self.total)
        return self

    def advance(self, n: int) -> None:
        if self._progress is not None and n:
            self._progress.advance(self._task, n)

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
